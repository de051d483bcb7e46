//! Tuning and held-out evaluation over the shipped scenarios: tuning days choose the forward
//! simulation's assumptions and fit every predictor's interval; other days, never seen while tuning,
//! measure them.

use std::path::Path;

use turno_shared::domain::eta::{Calibration, ForwardParams, Predictor, QueueState, forward_minutes};

use crate::log::Event;
use crate::replay::{Predict, Prediction, Shown, fit, measure, replay};
use crate::scenario::Scenario;
use crate::simulate::simulate_days;
use crate::{Error, Result};

/// Tuning days: seeds from here, days 0…
pub const TUNING_SEED: u64 = 1;
pub const TUNING_DAYS: u32 = 10;
/// Held-out days: other seeds, later dates.
pub const HELD_OUT_SEED: u64 = 10_001;
pub const HELD_OUT_DAYS: u32 = 20;
const HELD_OUT_FIRST_DAY: u32 = 100;

/// A scenario with its tuning and held-out logs.
pub struct Case {
    pub scenario: Scenario,
    pub tuning: Vec<Event>,
    pub held_out: Vec<Event>,
}

/// Loads every `*.toml` scenario of a folder (by name order) and plays its days.
pub fn cases(dir: &Path) -> Result<Vec<Case>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::new(format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::new(format!("{}: no scenario (*.toml) there", dir.display())));
    }
    paths
        .iter()
        .map(|p| {
            let scenario = Scenario::load(p)?;
            Ok(Case {
                tuning: simulate_days(&scenario, TUNING_SEED, 0, TUNING_DAYS)?,
                held_out: simulate_days(&scenario, HELD_OUT_SEED, HELD_OUT_FIRST_DAY, HELD_OUT_DAYS)?,
                scenario,
            })
        })
        .collect()
}

/// The names of the predictors in the order `predictors` gives them.
pub const NAMES: [&str; 5] = ["today", "ql-hour", "les", "hol", "forward"];

/// A predictor the evaluator owns.
pub type Boxed = Box<dyn Fn(&QueueState, i64) -> Option<f64>>;

/// Every predictor, the forward one with these assumptions.
pub fn predictors(p: ForwardParams) -> Vec<Boxed> {
    let base = |x: Predictor| -> Boxed { Box::new(move |s, id| x.minutes(s, id)) };
    vec![
        base(Predictor::Today),
        base(Predictor::QueueLength),
        base(Predictor::Les),
        base(Predictor::Hol),
        Box::new(move |s: &QueueState, id| forward_minutes(s, s.waiting.iter().find(|w| w.id == id)?, &p)),
    ]
}

/// Replays a log with every predictor.
pub fn replay_all(log: &[Event], p: ForwardParams) -> Result<Vec<Prediction>> {
    let boxed = predictors(p);
    let refs: Vec<Predict<'_>> = boxed.iter().map(|b| b.as_ref()).collect();
    replay(log, &refs)
}

/// The assumptions tried on tuning days.
pub fn grid() -> Vec<ForwardParams> {
    let mut out = vec![ForwardParams {
        arrivals: false,
        ..ForwardParams::default()
    }];
    for arrivals_minutes in [30.0, 60.0, 120.0, 600.0] {
        for min_residual in [0.3, 0.5] {
            for pause_minutes in [10.0, 15.0] {
                out.push(ForwardParams {
                    arrivals: true,
                    arrivals_minutes,
                    min_residual,
                    pause_minutes,
                    ..ForwardParams::default()
                });
            }
        }
    }
    out
}

/// One line of the tuning report: the assumptions and the forward predictor's MAE against today's,
/// per scenario.
pub struct Tried {
    pub params: ForwardParams,
    pub ratios: Vec<f64>,
}

/// Chooses the forward simulation's assumptions: the lowest mean over scenarios of its MAE divided
/// by today's, on tuning days.
pub fn choose(cases: &[Case]) -> Result<(ForwardParams, Vec<Tried>)> {
    let today: Vec<f64> = cases
        .iter()
        .map(|c| {
            let ask = |s: &QueueState, id: i64| Predictor::Today.minutes(s, id);
            let preds = replay(&c.tuning, &[&ask])?;
            Ok(measure(&preds.iter().collect::<Vec<_>>(), 0, Shown::Raw).mae)
        })
        .collect::<Result<_>>()?;
    let mut tried = Vec::new();
    for params in grid() {
        let ask = move |s: &QueueState, id: i64| forward_minutes(s, s.waiting.iter().find(|w| w.id == id)?, &params);
        let ratios = cases
            .iter()
            .zip(&today)
            .map(|(c, t)| {
                let preds = replay(&c.tuning, &[&ask])?;
                Ok(measure(&preds.iter().collect::<Vec<_>>(), 0, Shown::Raw).mae / t.max(1e-9))
            })
            .collect::<Result<Vec<f64>>>()?;
        tried.push(Tried { params, ratios });
    }
    let mean = |t: &Tried| t.ratios.iter().sum::<f64>() / t.ratios.len() as f64;
    let best = tried
        .iter()
        .min_by(|a, b| mean(a).total_cmp(&mean(b)))
        .map(|t| t.params)
        .ok_or_else(|| Error::new("no assumptions to try"))?;
    Ok((best, tried))
}

/// The share of actual waits the interval shown should hold.
pub const COVERAGE: f64 = 0.8;

/// Every predictor's calibration, fitted on the tuning days of all scenarios together (the server
/// ships one): of the tails tried (10% to 15% on each side), the one whose interval, as shown in
/// whole minutes, holds the share of actual waits nearest [`COVERAGE`] on those days.
pub fn calibrations(tuning: &[Vec<Prediction>]) -> Vec<Calibration> {
    let pooled: Vec<&Prediction> = tuning.iter().flatten().collect();
    (0..NAMES.len())
        .map(|i| {
            (0..=10)
                .map(|step| fit(&pooled, i, 10.0 + 0.5 * f64::from(step)))
                .min_by(|a, b| {
                    let off = |c: &Calibration| {
                        (measure(&pooled, i, Shown::RawWithInterval(*c)).coverage.unwrap_or(0.0) - COVERAGE).abs()
                    };
                    off(a).total_cmp(&off(b))
                })
                .unwrap_or_else(|| fit(&pooled, i, 10.0))
        })
        .collect()
}

/// A calibration as Rust source, to paste as `FORWARD_CALIBRATION`.
pub fn calibration_source(c: &Calibration) -> String {
    let mut s = String::from("pub const FORWARD_CALIBRATION: Calibration = Calibration {\n    bands: [\n");
    for (m, lo, hi) in c.bands {
        s.push_str(&format!("        ({m:.2}, {lo:.2}, {hi:.2}),\n"));
    }
    s.push_str("    ],\n};\n");
    s
}

/// The rows of an evaluation table: every predictor as it comes (with its fitted interval), then
/// the forward predictor as the server shows it.
pub fn rows(predictions: &[&Prediction], cals: &[Calibration]) -> Vec<(String, crate::replay::Metrics)> {
    let mut out: Vec<(String, crate::replay::Metrics)> = NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            (
                name.to_string(),
                measure(predictions, i, Shown::RawWithInterval(cals[i])),
            )
        })
        .collect();
    out.push((
        "forward, shown".into(),
        measure(predictions, NAMES.len() - 1, Shown::Calibrated(cals[NAMES.len() - 1])),
    ));
    out
}
