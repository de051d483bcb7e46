//! The study behind `docs/queue-science.md` holds for the code as shipped: the server's forward
//! assumptions and calibration are those tuning chooses, and on held-out days (slow: with
//! `TURNO_SLOW_TESTS=1`) its estimate meets the target.

use std::path::Path;

use turno_shared::domain::eta::{FORWARD_CALIBRATION, ForwardParams};
use turno_sim::replay::Prediction;
use turno_sim::tune::{self, NAMES};

fn scenarios() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
}

fn slow() -> bool {
    std::env::var("TURNO_SLOW_TESTS").is_ok_and(|v| v == "1")
}

#[test]
fn the_shipped_calibration_is_the_one_fitted_on_tuning_days() {
    let cases = tune::cases(scenarios()).expect("scenarios");
    assert_eq!(cases.len(), 4);
    let tuning: Vec<Vec<Prediction>> = cases
        .iter()
        .map(|c| tune::replay_all(&c.tuning, ForwardParams::default()).expect("replay"))
        .collect();
    let fitted = tune::calibrations(&tuning)[NAMES.len() - 1];
    for (shipped, got) in FORWARD_CALIBRATION.bands.iter().zip(fitted.bands) {
        for (a, b) in [(shipped.0, got.0), (shipped.1, got.1), (shipped.2, got.2)] {
            assert!(
                (a - b).abs() < 0.006,
                "shipped {:?}, fitted {:?}: paste `turno-sim study`'s calibration",
                FORWARD_CALIBRATION.bands,
                fitted.bands
            );
        }
    }
    if slow() {
        let (chosen, _) = tune::choose(&cases).expect("tuning");
        assert_eq!(
            chosen,
            ForwardParams::default(),
            "the server's assumptions are the chosen ones"
        );
    }
}

#[test]
fn on_held_out_days_the_estimate_beats_todays_and_the_baselines_and_its_range_holds_80_percent() {
    if !slow() {
        return;
    }
    let cases = tune::cases(scenarios()).expect("scenarios");
    let tuning: Vec<Vec<Prediction>> = cases
        .iter()
        .map(|c| tune::replay_all(&c.tuning, ForwardParams::default()).expect("replay"))
        .collect();
    let cals = tune::calibrations(&tuning);
    for c in &cases {
        let preds = tune::replay_all(&c.held_out, ForwardParams::default()).expect("replay");
        let refs: Vec<&Prediction> = preds.iter().collect();
        let rows = tune::rows(&refs, &cals);
        let shown = &rows[NAMES.len()].1;
        let name = &c.scenario.name;
        assert!(
            shown.mae <= 0.7 * rows[0].1.mae,
            "{name}: {} vs today {}",
            shown.mae,
            rows[0].1.mae
        );
        for baseline in &rows[1..4] {
            assert!(
                shown.mae <= baseline.1.mae,
                "{name}: {} vs {} {}",
                shown.mae,
                baseline.0,
                baseline.1.mae
            );
        }
        let coverage = shown.coverage.expect("an interval");
        assert!((0.75..=0.85).contains(&coverage), "{name}: {coverage}");
    }
}
