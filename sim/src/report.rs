//! What the evaluator prints: the table of predictors on a log, the chart of predicted against actual
//! waits (SVG), the call-policy study, and the speed measurement of the server's estimate.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use turno_shared::domain::CallPolicy;
use turno_shared::domain::eta::{
    CounterMode, CounterState, FORWARD_CALIBRATION, ForwardParams, QueueState, ServiceState, WaitingTicket, estimate,
};

use crate::log;
use crate::replay::{Metrics, Prediction, Shown, measure};
use crate::scenario::Scenario;
use crate::simulate::simulate_day_with;
use crate::tune::{self, NAMES};
use crate::{Error, Result, percentile};

/// A markdown table of predictors' figures.
pub fn table(rows: &[(String, Metrics)]) -> String {
    let mut s = String::from(
        "| predictor | tickets | MAE (min) | median AE | p90 AE | relative | in interval | MAE if waited > 20 min (n) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (name, m) in rows {
        let coverage = m.coverage.map_or("—".to_string(), |c| format!("{:.0}%", c * 100.0));
        let _ = writeln!(
            s,
            "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.0}% | {coverage} | {:.2} ({}) |",
            m.n,
            m.mae,
            m.median_ae,
            m.p90_ae,
            m.relative * 100.0,
            m.mae_long,
            m.n_long
        );
    }
    s
}

/// `eta-eval`: reads a log and measures every predictor on it. With `tune_days`, the first that
/// many office days of the log fit every predictor's interval and the others are measured;
/// without, all days are measured and only the server's estimate has an interval (the one shipped).
pub fn eval_log(path: &Path, tune_days: Option<usize>) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    let events =
        log::read(std::io::BufReader::new(file)).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    let predictions = tune::replay_all(&events, ForwardParams::default())?;
    let mut days: Vec<&str> = predictions.iter().map(|p| p.day.as_str()).collect();
    days.dedup();
    let mut out = String::new();
    let called = predictions.iter().filter(|p| p.actual.is_some()).count();
    let _ = writeln!(
        out,
        "{}: {} office days, {} tickets issued, {} called, {} never called\n",
        path.display(),
        days.len(),
        predictions.len(),
        called,
        predictions.len() - called
    );
    let rows = match tune_days {
        Some(n) => {
            if n >= days.len() {
                return Err(Error::new(format!(
                    "--tune-days {n}: the log has {} office days, at least one must be left to measure",
                    days.len()
                )));
            }
            let tuning: Vec<Prediction> = predictions
                .iter()
                .filter(|p| days[..n].contains(&p.day.as_str()))
                .cloned()
                .collect();
            let cals = tune::calibrations(&[tuning]);
            let measured: Vec<&Prediction> = predictions
                .iter()
                .filter(|p| !days[..n].contains(&p.day.as_str()))
                .collect();
            let _ = writeln!(
                out,
                "intervals fitted on the first {n} days, figures of the other {}:\n",
                days.len() - n
            );
            tune::rows(&measured, &cals)
        }
        None => {
            let all: Vec<&Prediction> = predictions.iter().collect();
            let mut rows: Vec<(String, Metrics)> = NAMES
                .iter()
                .enumerate()
                .map(|(i, name)| (name.to_string(), measure(&all, i, Shown::Raw)))
                .collect();
            rows.push((
                "forward, shown (server)".into(),
                measure(&all, NAMES.len() - 1, Shown::Calibrated(FORWARD_CALIBRATION)),
            ));
            rows
        }
    };
    out.push_str(&table(&rows));
    Ok(out)
}

/// A scatter chart of predicted (x) against actual (y) waits, one colour per series, with the
/// diagonal; waits past `max` minutes are drawn at the edge.
/// A series of a chart: its name, its colour and its (predicted, actual) points.
pub type Series<'a> = (&'a str, &'a str, Vec<(f64, f64)>);

pub fn chart(title: &str, series: &[Series<'_>], max: f64) -> String {
    let (w, h, pad) = (640.0, 640.0, 60.0);
    let scale = (w - 2.0 * pad) / max;
    let x = |v: f64| ((pad + v.clamp(0.0, max) * scale) * 10.0).round() / 10.0;
    let y = |v: f64| ((h - pad - v.clamp(0.0, max) * scale) * 10.0).round() / 10.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">{title}</text>\n",
        w / 2.0
    );
    let mut tick = 0.0;
    while tick <= max {
        let _ = writeln!(
            s,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#eee\"/><line x1=\"{left}\" y1=\"{3}\" x2=\"{right}\" y2=\"{3}\" stroke=\"#eee\"/>\
             <text x=\"{0}\" y=\"{4}\" text-anchor=\"middle\">{5}</text><text x=\"{6}\" y=\"{7}\" text-anchor=\"end\">{5}</text>",
            x(tick),
            y(0.0),
            y(max),
            y(tick),
            h - pad + 18.0,
            tick,
            pad - 6.0,
            y(tick) + 4.0,
            left = x(0.0),
            right = x(max),
        );
        tick += 10.0;
    }
    let _ = writeln!(
        s,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\" stroke-dasharray=\"4 4\"/>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">predicted wait at issue (min)</text>\n\
         <text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">actual wait (min)</text>",
        x(0.0),
        y(0.0),
        x(max),
        y(max),
        w / 2.0,
        h - 16.0,
        h / 2.0
    );
    for (i, (name, colour, points)) in series.iter().enumerate() {
        // At most 1500 points a series: every k-th ticket.
        let every = points.len().div_ceil(1500).max(1);
        for &(p, a) in points.iter().step_by(every) {
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"{colour}\" fill-opacity=\"0.45\"/>",
                x(p),
                y(a)
            );
        }
        // The legend, bottom right, where the points are few.
        let ly = h - pad - 60.0 + 18.0 * i as f64;
        let lx = w - pad - 170.0;
        let _ = writeln!(
            s,
            "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{name}</text>",
            lx,
            ly,
            lx + 10.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Figures of one call policy on a scenario's held-out days.
pub struct PolicyFigures {
    pub ratio: u32,
    pub ageing: bool,
    /// (mean, p90, max) wait of normal and of priority tickets, minutes.
    pub normal: (f64, f64, f64),
    pub priority: (f64, f64, f64),
    pub over_20: f64,
    pub never_called: f64,
}

/// Plays the held-out days of a scenario under each priority ratio 1–5, with and without ageing.
pub fn policy_study(sc: &Scenario, days: u32) -> Result<Vec<PolicyFigures>> {
    let mut out = Vec::new();
    for ageing in [true, false] {
        for ratio in 1..=5 {
            let mut normal = Vec::new();
            let mut priority = Vec::new();
            let mut never = 0usize;
            for d in 0..days {
                let log = simulate_day_with(sc, tune::HELD_OUT_SEED + u64::from(d), 100 + d, ratio, ageing)?;
                for p in crate::replay::replay(&log, &[])? {
                    match p.actual {
                        Some(w) if p.priority => priority.push(w),
                        Some(w) => normal.push(w),
                        None => never += 1,
                    }
                }
            }
            let total = (normal.len() + priority.len() + never).max(1) as f64;
            let over = normal.iter().chain(&priority).filter(|&&w| w > 20.0).count() as f64 / total;
            let stats = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
                (mean, percentile(v, 90.0), v.last().copied().unwrap_or(0.0))
            };
            out.push(PolicyFigures {
                ratio,
                ageing,
                normal: stats(&mut normal),
                priority: stats(&mut priority),
                over_20: over,
                never_called: never as f64 / total,
            });
        }
    }
    Ok(out)
}

pub fn policy_table(rows: &[PolicyFigures]) -> String {
    let mut s = String::from(
        "| ratio | ageing | normal mean | normal p90 | normal max | priority mean | priority p90 | priority max | waited > 20 min | never called |\n\
         | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1}% | {:.1}% |",
            r.ratio,
            if r.ageing { "on" } else { "off" },
            r.normal.0,
            r.normal.1,
            r.normal.2,
            r.priority.0,
            r.priority.1,
            r.priority.2,
            r.over_20 * 100.0,
            r.never_called * 100.0
        );
    }
    s
}

/// A busy moment of a large office: `waiting` tickets over 6 services, 8 counters serving 2–3
/// services each, one on a pause, all with service-time history and the hour's arrivals.
pub fn busy_state(waiting: usize) -> QueueState {
    let now = 1_772_440_200_000 + 3 * 3_600_000;
    QueueState {
        now_ms: now,
        policy: CallPolicy::default(),
        services: (1..=6)
            .map(|id| ServiceState {
                id,
                target_wait_minutes: Some(30 + 5 * id as u32),
                recent_service_secs: (0..20).map(|i| 120 + 37 * i * id as u32 % 600).collect(),
                recent_visit_secs: (0..20).map(|i| 150 + 41 * i * id as u32 % 700).collect(),
                completed_last_hour: 10,
                issued_last_hour: 14,
                priority_issued_last_hour: 1,
                last_called_wait_secs: Some(900),
                closes_at_ms: Some(now + 2 * 3_600_000),
            })
            .collect(),
        counters: (1..=8)
            .map(|k| CounterState {
                id: k,
                services: vec![(k % 6) + 1, ((k + 2) % 6) + 1, ((k + 4) % 6) + 1][..2 + (k as usize % 2)].to_vec(),
                mode: if k == 3 {
                    CounterMode::Paused {
                        since_ms: now - 300_000,
                    }
                } else {
                    CounterMode::Open
                },
                busy: (k != 3).then_some(((k % 6) + 1, now - 60_000 * k)),
                urgent_streak: 0,
            })
            .collect(),
        waiting: (0..waiting as i64)
            .map(|i| WaitingTicket {
                id: i + 1,
                service_id: i % 6 + 1,
                arrival_ms: now - (waiting as i64 - i) * 20_000,
                priority: i % 15 == 0,
                to_counter: None,
            })
            .collect(),
    }
}

/// Times the server's estimate (`turno_shared::domain::eta::estimate`) for the last of `waiting`
/// tickets: microseconds per estimate, best of five runs of `runs`.
pub fn bench(waiting: usize, runs: u32) -> f64 {
    let state = busy_state(waiting);
    let last = waiting as i64;
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(estimate(std::hint::black_box(&state), last));
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / f64::from(runs));
    }
    best
}

/// Everything `docs/queue-science.md` reports, as markdown, and the chart written to `chart_path`.
pub fn study(dir: &Path, chart_path: &Path) -> Result<String> {
    let cases = tune::cases(dir)?;
    let mut out = String::new();
    let (params, tried) = tune::choose(&cases)?;
    out.push_str(
        "## Tuning: the forward simulation's assumptions\n\nMAE of the forward predictor over today's, on tuning days",
    );
    let _ = writeln!(
        out,
        " (seeds {}…, {} days per scenario):\n",
        tune::TUNING_SEED,
        tune::TUNING_DAYS
    );
    out.push_str("| arrivals for (min) | min residual | pause (min) |");
    for c in &cases {
        let _ = write!(out, " {} |", c.scenario.name);
    }
    out.push_str(" mean |\n| --- | ---: | ---: |");
    for _ in &cases {
        out.push_str(" ---: |");
    }
    out.push_str(" ---: |\n");
    for t in &tried {
        let _ = write!(
            out,
            "| {} | {} | {} |",
            if t.params.arrivals {
                t.params.arrivals_minutes.to_string()
            } else {
                "none".to_string()
            },
            t.params.min_residual,
            t.params.pause_minutes
        );
        for r in &t.ratios {
            let _ = write!(out, " {r:.3} |");
        }
        let _ = writeln!(out, " {:.3} |", t.ratios.iter().sum::<f64>() / t.ratios.len() as f64);
    }
    let _ = writeln!(out, "\nChosen: `{params:?}`\n");
    if params != ForwardParams::default() {
        let _ = writeln!(
            out,
            "**The server's `ForwardParams::default()` differs: `{:?}`. Make it the chosen one.**\n",
            ForwardParams::default()
        );
    }
    let tuning: Vec<Vec<Prediction>> = cases
        .iter()
        .map(|c| tune::replay_all(&c.tuning, params))
        .collect::<Result<_>>()?;
    let cals = tune::calibrations(&tuning);
    let _ = writeln!(
        out,
        "Forward calibration fitted on all tuning days:\n\n```rust\n{}```\n",
        tune::calibration_source(&cals[NAMES.len() - 1])
    );
    let _ = writeln!(
        out,
        "## Held-out days ({} days per scenario, seeds {}…)\n",
        tune::HELD_OUT_DAYS,
        tune::HELD_OUT_SEED
    );
    let mut chart_points: Vec<(f64, f64)> = Vec::new();
    let mut today_points: Vec<(f64, f64)> = Vec::new();
    let mut summary = String::from(
        "| scenario | today MAE | best of QL/LES/HOL | forward, shown MAE | vs today | in interval |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for c in &cases {
        let preds = tune::replay_all(&c.held_out, params)?;
        let refs: Vec<&Prediction> = preds.iter().collect();
        let rows = tune::rows(&refs, &cals);
        let called = refs.iter().filter(|p| p.actual.is_some()).count();
        let _ = writeln!(
            out,
            "### {} — {}\n\n{} tickets issued, {} called, mean wait {:.1} min.\n",
            c.scenario.name,
            c.scenario.description,
            refs.len(),
            called,
            refs.iter().filter_map(|p| p.actual).sum::<f64>() / called.max(1) as f64
        );
        out.push_str(&table(&rows));
        out.push('\n');
        let today = rows[0].1.mae;
        let best = rows[1..4].iter().map(|r| r.1.mae).fold(f64::MAX, f64::min);
        let best_name = rows[1..4]
            .iter()
            .min_by(|a, b| a.1.mae.total_cmp(&b.1.mae))
            .map_or("", |r| r.0.as_str());
        let shown = &rows[NAMES.len()].1;
        let _ = writeln!(
            summary,
            "| {} | {:.2} | {:.2} ({best_name}) | {:.2} | {:+.0}% | {:.0}% |",
            c.scenario.name,
            today,
            best,
            shown.mae,
            (shown.mae / today - 1.0) * 100.0,
            shown.coverage.unwrap_or(0.0) * 100.0
        );
        if c.scenario.name == "city" {
            let cal = cals[NAMES.len() - 1];
            for p in &preds {
                if let (Some(a), Some(f), Some(t)) = (p.actual, p.raw[NAMES.len() - 1], p.raw[0]) {
                    chart_points.push((f64::from(cal.eta(f).minutes), a));
                    today_points.push((t, a));
                }
            }
        }
    }
    out.push_str("### Summary\n\n");
    out.push_str(&summary);
    out.push('\n');
    let svg = chart(
        "City office, held-out days: predicted against actual wait (minutes; past 90 at the edge)",
        &[
            ("today's predictor", "#d9534f", today_points),
            ("forward, as shown", "#0b6fb8", chart_points),
        ],
        90.0,
    );
    std::fs::write(chart_path, svg).map_err(|e| Error::new(format!("{}: {e}", chart_path.display())))?;
    let _ = writeln!(out, "Chart written to `{}`.\n", chart_path.display());

    out.push_str("## The call policy\n\n");
    for c in &cases {
        let _ = writeln!(out, "### {}\n", c.scenario.name);
        out.push_str(&policy_table(&policy_study(&c.scenario, tune::HELD_OUT_DAYS)?));
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "## Speed\n\nThe server's estimate at 200 waiting tickets (8 counters, 6 services): {:.0} µs; at 50: {:.0} µs.",
        bench(200, 200),
        bench(50, 200)
    );
    Ok(out)
}
