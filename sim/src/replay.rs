//! The replay evaluator: plays an event log back, rebuilds the queue's state at every `issue`, asks
//! each predictor "when will this ticket be called?", and when the ticket is first called measures
//! how far each answer was from the actual wait.

use std::collections::{BTreeMap, HashMap, VecDeque};

use turno_shared::domain::CallPolicy;
use turno_shared::domain::eta::{Calibration, CounterMode, CounterState, QueueState, ServiceState, WaitingTicket};

use crate::log::{Event, Kind, counter_services};
use crate::{Error, Result, percentile};

const HOUR_MS: i64 = 3_600_000;
const SAMPLES: usize = 20;

/// A predictor as the evaluator asks it: the state and the ticket's id in, minutes (or nothing) out.
pub type Predict<'a> = &'a dyn Fn(&QueueState, i64) -> Option<f64>;

/// What each predictor said at a ticket's issue, and what happened.
#[derive(Clone, Debug)]
pub struct Prediction {
    pub day: String,
    pub ticket: i64,
    pub priority: bool,
    /// One answer per predictor, in the order they were given.
    pub raw: Vec<Option<f64>>,
    /// Minutes from issue to the first call; `None` when never called (expired).
    pub actual: Option<f64>,
    /// Waiting tickets when it was issued.
    pub queue: usize,
}

#[derive(Default)]
struct History {
    target: Option<u32>,
    service_secs: VecDeque<u32>,
    visit_secs: VecDeque<u32>,
    completed: VecDeque<i64>,
    issued: VecDeque<(i64, bool)>,
    last_called_wait: Option<u32>,
    closes_at: Option<i64>,
}

fn push_sample(q: &mut VecDeque<u32>, v: i64) {
    q.push_front(v.clamp(0, i64::from(u32::MAX)) as u32);
    q.truncate(SAMPLES);
}

struct Tk {
    service: i64,
    arrival: i64,
    priority: bool,
    called_at: Option<i64>,
    started_at: Option<i64>,
    first_call: bool,
    prediction: Option<usize>,
}

/// The state rebuilt from the log.
#[derive(Default)]
struct Office {
    policy: CallPolicy,
    services: BTreeMap<i64, History>,
    counters: BTreeMap<i64, CounterState>,
    waiting: Vec<WaitingTicket>,
    tickets: HashMap<i64, Tk>,
}

impl Office {
    fn state(&mut self, now: i64) -> QueueState {
        QueueState {
            now_ms: now,
            policy: self.policy,
            services: self
                .services
                .iter_mut()
                .map(|(&id, h)| {
                    while h.completed.front().is_some_and(|&t| t <= now - HOUR_MS) {
                        h.completed.pop_front();
                    }
                    while h.issued.front().is_some_and(|&(t, _)| t <= now - HOUR_MS) {
                        h.issued.pop_front();
                    }
                    ServiceState {
                        id,
                        target_wait_minutes: h.target,
                        recent_service_secs: h.service_secs.iter().copied().collect(),
                        recent_visit_secs: h.visit_secs.iter().copied().collect(),
                        completed_last_hour: h.completed.len() as u32,
                        issued_last_hour: h.issued.len() as u32,
                        priority_issued_last_hour: h.issued.iter().filter(|i| i.1).count() as u32,
                        last_called_wait_secs: h.last_called_wait,
                        closes_at_ms: h.closes_at,
                    }
                })
                .collect(),
            counters: self.counters.values().cloned().collect(),
            waiting: self.waiting.clone(),
        }
    }

    fn ticket(&mut self, e: &Event) -> Result<(i64, &mut Tk)> {
        let id = e.ticket.unwrap_or_default();
        let t = self.tickets.get_mut(&id).ok_or_else(|| {
            Error::new(format!(
                "{} at {}: ticket {id} was never issued in this log",
                e.kind.as_str(),
                e.at_ms
            ))
        })?;
        Ok((id, t))
    }

    /// The visit at a counter ends: it is free again.
    fn leave(&mut self, e: &Event, service: i64, called_at: Option<i64>) {
        if let Some(k) = e.counter.and_then(|k| self.counters.get_mut(&k)) {
            k.busy = None;
        }
        let h = self.services.entry(service).or_default();
        if let Some(called) = called_at {
            push_sample(&mut h.visit_secs, (e.at_ms - called) / 1000);
        }
        h.completed.push_back(e.at_ms);
    }
}

/// Replays `events`, asking every predictor at every issue. Predictions come in issue order.
pub fn replay(events: &[Event], predictors: &[Predict<'_>]) -> Result<Vec<Prediction>> {
    replay_observed(events, predictors, &mut |_, _, _| {})
}

/// As [`replay`], also showing `on_call` the state just before each call, with the counter and the
/// ticket called.
pub fn replay_observed(
    events: &[Event],
    predictors: &[Predict<'_>],
    on_call: &mut dyn FnMut(&QueueState, i64, i64),
) -> Result<Vec<Prediction>> {
    let mut o = Office::default();
    let mut out: Vec<Prediction> = Vec::new();
    let mut day = String::new();
    for e in events {
        if e.day != day {
            // A new office day: counters and queue start afresh; service times are remembered.
            day.clone_from(&e.day);
            o.counters.clear();
            o.waiting.clear();
            o.tickets.clear();
            for h in o.services.values_mut() {
                h.completed.clear();
                h.issued.clear();
                h.last_called_wait = None;
                h.closes_at = None;
            }
        }
        let now = e.at_ms;
        match e.kind {
            Kind::Policy => {
                o.policy.priority_ratio = e.detail.parse().map_err(|_| Error::new("bad policy row"))?;
            }
            Kind::Service => {
                let h = o.services.entry(e.service.unwrap_or_default()).or_default();
                h.target = e.detail.parse().ok();
            }
            Kind::Closes => {
                let h = o.services.entry(e.service.unwrap_or_default()).or_default();
                h.closes_at = e.detail.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond());
            }
            Kind::CounterOpen => {
                let id = e.counter.unwrap_or_default();
                let services = counter_services(&e.detail).map_err(Error::new)?;
                for s in &services {
                    o.services.entry(*s).or_default();
                }
                o.counters.insert(
                    id,
                    CounterState {
                        id,
                        services,
                        mode: CounterMode::Open,
                        busy: None,
                        urgent_streak: 0,
                    },
                );
            }
            Kind::CounterPause => {
                if let Some(k) = e.counter.and_then(|k| o.counters.get_mut(&k)) {
                    k.mode = CounterMode::Paused { since_ms: now };
                }
            }
            Kind::CounterResume => {
                if let Some(k) = e.counter.and_then(|k| o.counters.get_mut(&k)) {
                    k.mode = CounterMode::Open;
                }
            }
            Kind::CounterClose => {
                o.counters.remove(&e.counter.unwrap_or_default());
            }
            Kind::Issue => {
                let id = e.ticket.unwrap_or_default();
                let service = e.service.unwrap_or_default();
                if o.tickets.contains_key(&id) {
                    return Err(Error::new(format!("issue at {now}: ticket {id} issued twice")));
                }
                let h = o.services.entry(service).or_default();
                h.issued.push_back((now, e.priority));
                o.waiting.push(WaitingTicket {
                    id,
                    service_id: service,
                    arrival_ms: now,
                    priority: e.priority,
                    to_counter: None,
                });
                let state = o.state(now);
                let raw = predictors.iter().map(|p| p(&state, id)).collect();
                o.tickets.insert(
                    id,
                    Tk {
                        service,
                        arrival: now,
                        priority: e.priority,
                        called_at: None,
                        started_at: None,
                        first_call: false,
                        prediction: Some(out.len()),
                    },
                );
                out.push(Prediction {
                    day: day.clone(),
                    ticket: id,
                    priority: e.priority,
                    raw,
                    actual: None,
                    queue: state.waiting.len(),
                });
            }
            Kind::Call => {
                let counter = e.counter.unwrap_or_default();
                on_call(&o.state(now), counter, e.ticket.unwrap_or_default());
                let (id, t) = o.ticket(e)?;
                t.called_at = Some(now);
                t.started_at = None;
                let (service, arrival, priority) = (t.service, t.arrival, t.priority);
                let first = !t.first_call;
                t.first_call = true;
                if first && let Some(p) = t.prediction {
                    out[p].actual = Some((now - arrival) as f64 / 60_000.0);
                }
                o.waiting.retain(|w| w.id != id);
                let target = o.services.get(&service).and_then(|h| h.target);
                let h = o.services.entry(service).or_default();
                h.last_called_wait = Some(((now - arrival) / 1000).max(0) as u32);
                if let Some(k) = o.counters.get_mut(&counter) {
                    // The interleaving as the server counts it: an urgent call adds one, a normal one
                    // starts again.
                    let urgent = priority || target.is_some_and(|m| now - arrival > i64::from(m) * 60_000);
                    k.urgent_streak = if urgent { k.urgent_streak + 1 } else { 0 };
                    k.busy = Some((service, now));
                    k.mode = CounterMode::Open;
                }
            }
            Kind::Start => {
                let (_, t) = o.ticket(e)?;
                t.started_at = Some(now);
            }
            Kind::Finish => {
                let (_, t) = o.ticket(e)?;
                let (service, called, started) = (t.service, t.called_at, t.started_at);
                if let Some(from) = started.or(called) {
                    push_sample(
                        &mut o.services.entry(service).or_default().service_secs,
                        (now - from) / 1000,
                    );
                }
                o.leave(e, service, called);
            }
            Kind::NoShow => {
                let (_, t) = o.ticket(e)?;
                let (service, called) = (t.service, t.called_at.take());
                o.leave(e, service, called);
            }
            Kind::Requeue | Kind::Transfer => {
                let (id, t) = o.ticket(e)?;
                let (old, called) = (t.service, t.called_at);
                if e.kind == Kind::Transfer {
                    t.service = e.service.unwrap_or(old);
                }
                let (service, arrival, priority) = (t.service, t.arrival, t.priority);
                t.called_at = None;
                if called.is_some() && e.counter.is_some() {
                    o.leave(e, old, called);
                }
                o.waiting.retain(|w| w.id != id);
                o.waiting.push(WaitingTicket {
                    id,
                    service_id: service,
                    arrival_ms: arrival,
                    priority,
                    to_counter: e.detail.parse().ok(),
                });
            }
            Kind::Expire => {
                let (id, t) = o.ticket(e)?;
                let at_counter = t.called_at.take().is_some();
                o.waiting.retain(|w| w.id != id);
                if at_counter && let Some(k) = e.counter.and_then(|k| o.counters.get_mut(&k)) {
                    k.busy = None;
                }
            }
        }
    }
    Ok(out)
}

/// How one predictor did on a set of tickets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Tickets called (with an actual wait) that the predictor answered for.
    pub n: usize,
    /// Tickets called for which it had no answer.
    pub unanswered: usize,
    pub mae: f64,
    pub median_ae: f64,
    pub p90_ae: f64,
    /// Mean absolute error over mean actual wait.
    pub relative: f64,
    /// Mean of predicted − actual.
    pub bias: f64,
    /// Share of actual waits inside the interval, when there is one.
    pub coverage: Option<f64>,
    /// Over tickets that waited more than 20 minutes.
    pub n_long: usize,
    pub mae_long: f64,
}

/// How a predictor's answer is shown.
#[derive(Clone, Copy, Debug)]
pub enum Shown {
    /// As it comes, with no interval.
    Raw,
    /// As it comes, with an interval from this calibration.
    RawWithInterval(Calibration),
    /// Corrected and rounded by this calibration, with its interval: what the server shows.
    Calibrated(Calibration),
}

/// Measures predictor `index` on `predictions`.
pub fn measure(predictions: &[&Prediction], index: usize, shown: Shown) -> Metrics {
    let mut errors = Vec::new();
    let (mut sum_actual, mut sum_bias, mut inside, mut long, mut long_sum) = (0.0, 0.0, 0usize, 0usize, 0.0);
    let mut unanswered = 0;
    for p in predictions {
        let Some(actual) = p.actual else { continue };
        let Some(raw) = p.raw[index] else {
            unanswered += 1;
            continue;
        };
        let (point, interval) = match shown {
            Shown::Raw => (raw, None),
            Shown::RawWithInterval(c) => {
                let eta = c.eta(raw);
                (raw, Some((f64::from(eta.low), f64::from(eta.high))))
            }
            Shown::Calibrated(c) => {
                let eta = c.eta(raw);
                (f64::from(eta.minutes), Some((f64::from(eta.low), f64::from(eta.high))))
            }
        };
        let err = (point - actual).abs();
        errors.push(err);
        sum_actual += actual;
        sum_bias += point - actual;
        if interval.is_some_and(|(lo, hi)| actual >= lo && actual <= hi) {
            inside += 1;
        }
        if actual > 20.0 {
            long += 1;
            long_sum += err;
        }
    }
    let n = errors.len();
    if n == 0 {
        return Metrics {
            unanswered,
            ..Metrics::default()
        };
    }
    let mae = errors.iter().sum::<f64>() / n as f64;
    errors.sort_by(f64::total_cmp);
    Metrics {
        n,
        unanswered,
        mae,
        median_ae: percentile(&errors, 50.0),
        p90_ae: percentile(&errors, 90.0),
        relative: if sum_actual > 0.0 {
            mae / (sum_actual / n as f64)
        } else {
            0.0
        },
        bias: sum_bias / n as f64,
        coverage: (!matches!(shown, Shown::Raw)).then(|| inside as f64 / n as f64),
        n_long: long,
        mae_long: if long > 0 { long_sum / long as f64 } else { 0.0 },
    }
}

/// Fits a calibration for predictor `index`: per band of its raw answer, the median and the `tail`
/// and `100 − tail` percentiles of (actual − raw). A band with fewer than 30 tickets takes the one
/// below it (the first band with too few takes no correction and the pooled spread).
pub fn fit(predictions: &[&Prediction], index: usize, tail: f64) -> Calibration {
    use turno_shared::domain::eta::{BAND_EDGES, band_of};
    let mut residuals: Vec<Vec<f64>> = vec![Vec::new(); BAND_EDGES.len()];
    let mut all = Vec::new();
    for p in predictions {
        if let (Some(actual), Some(raw)) = (p.actual, p.raw[index]) {
            residuals[band_of(raw)].push(actual - raw);
            all.push(actual - raw);
        }
    }
    all.sort_by(f64::total_cmp);
    let pooled = (0.0, percentile(&all, tail), percentile(&all, 100.0 - tail));
    let mut bands = [pooled; BAND_EDGES.len()];
    let mut previous = pooled;
    for (b, r) in residuals.iter_mut().enumerate() {
        if r.len() >= 30 {
            r.sort_by(f64::total_cmp);
            previous = (percentile(r, 50.0), percentile(r, tail), percentile(r, 100.0 - tail));
        }
        bands[b] = previous;
    }
    Calibration { bands }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Event;
    use turno_shared::domain::eta::{CounterState, ForwardParams, Predictor, forward_minutes};

    const MIN: i64 = 60_000;
    const T0: i64 = 1_772_440_200_000;

    fn ev(at_min: i64, kind: Kind, ticket: Option<i64>, counter: Option<i64>) -> Event {
        let mut e = Event::new("2026-03-02", T0 + at_min * MIN, kind);
        e.ticket = ticket;
        e.counter = counter;
        if kind == Kind::Issue {
            e.service = Some(1);
        }
        if kind == Kind::CounterOpen {
            e.detail = "1".into();
        }
        if kind == Kind::Policy {
            e.detail = "3".into();
        }
        e
    }

    /// One counter, every visit exactly `visit` minutes (called at once, no gap); a warm-up day
    /// teaches the service time, then on the measured day tickets arrive every `every` minutes
    /// while the counter is busy.
    fn constant_day(visit: i64, tickets: i64, every: i64) -> Vec<Event> {
        let mut log = vec![ev(0, Kind::Policy, None, None), ev(0, Kind::CounterOpen, None, Some(1))];
        // Warm-up: 20 visits, so every predictor has learned the visit time.
        let mut t = 0;
        for i in 0..20 {
            log.push(ev(t, Kind::Issue, Some(1000 + i), None));
            log.push(ev(t, Kind::Call, Some(1000 + i), Some(1)));
            log.push(ev(t, Kind::Start, Some(1000 + i), Some(1)));
            log.push(ev(t + visit, Kind::Finish, Some(1000 + i), Some(1)));
            t += visit;
        }
        // Measured: a ticket at t, then arrivals every `every` minutes; the counter calls in order
        // each `visit` minutes.
        let base = t;
        let mut calls: Vec<(i64, i64)> = Vec::new();
        let mut issues: Vec<(i64, i64)> = Vec::new();
        let mut free = base;
        for i in 0..tickets {
            let at = base + i * every;
            issues.push((at, i + 1));
            let call = free.max(at);
            calls.push((call, i + 1));
            free = call + visit;
        }
        let mut rows: Vec<(i64, u8, Event)> = Vec::new();
        for &(at, id) in &issues {
            rows.push((at, 0, ev(at, Kind::Issue, Some(id), None)));
        }
        for &(at, id) in &calls {
            rows.push((at, 1, ev(at, Kind::Call, Some(id), Some(1))));
            rows.push((at, 2, ev(at, Kind::Start, Some(id), Some(1))));
            rows.push((at + visit, 0, ev(at + visit, Kind::Finish, Some(id), Some(1))));
        }
        // Finishes come first at the same moment, then issues, then calls.
        rows.sort_by_key(|(at, order, e)| (*at, if e.kind == Kind::Finish { 0 } else { 1 + *order }));
        log.extend(rows.into_iter().map(|r| r.2));
        log
    }

    fn measured(log: &[Event], ask: Predict<'_>) -> Vec<(i64, f64, f64)> {
        replay(log, &[ask])
            .unwrap()
            .into_iter()
            .filter(|p| p.ticket < 900)
            .map(|p| (p.ticket, p.raw[0].unwrap(), p.actual.unwrap()))
            .collect()
    }

    fn exact(log: &[Event], name: &str, ask: Predict<'_>, from_ticket: i64) {
        let got = measured(log, ask);
        assert!(got.iter().filter(|g| g.0 >= from_ticket).count() >= 5);
        for (id, pred, actual) in got.into_iter().filter(|g| g.0 >= from_ticket) {
            assert!(
                (pred - actual).abs() < 1e-9,
                "{name}, ticket {id}: predicted {pred}, actual {actual}"
            );
        }
    }

    #[test]
    fn one_counter_constant_visits_a_burst_at_a_free_counter() {
        // Five tickets at once, nobody ahead, 5-minute visits: waits 0, 5, 10, 15, 20. Today's rule
        // and the forward simulation (with no gap between visits, as in this log) are exact.
        let log = constant_day(5, 5, 0);
        exact(&log, "today", &|s, id| Predictor::Today.minutes(s, id), 1);
        let p = ForwardParams {
            gap_secs: 0.0,
            arrivals: false,
            ..ForwardParams::default()
        };
        let forward = |s: &QueueState, id: i64| forward_minutes(s, s.waiting.iter().find(|w| w.id == id)?, &p);
        exact(&log, "forward", &forward, 1);
    }

    /// One counter, 5-minute visits, a steady queue: ticket k arrives at minute 5k and is called at
    /// 5k + 10 (two tickets issued at minute 0 start it). `issue_first`: a ticket issued at the
    /// moment of a call is issued before it (else after).
    fn steady(issue_first: bool, tickets: i64) -> Vec<Event> {
        let mut timeline: Vec<(i64, u8, Event)> = Vec::new();
        let (issue, call) = if issue_first { (1, 2) } else { (2, 1) };
        let mut add = |at: i64, order: u8, kind: Kind, id: i64| {
            timeline.push((at, order, ev(at, kind, Some(id), (kind != Kind::Issue).then_some(1))));
        };
        add(0, 0, Kind::Issue, 901);
        add(0, 0, Kind::Issue, 902);
        add(0, call, Kind::Call, 901);
        add(5, 0, Kind::Finish, 901);
        add(5, call, Kind::Call, 902);
        add(10, 0, Kind::Finish, 902);
        for k in 0..tickets {
            add(5 * k, issue, Kind::Issue, k + 1);
            add(5 * k + 10, call, Kind::Call, k + 1);
            add(5 * k + 15, 0, Kind::Finish, k + 1);
        }
        timeline.sort_by_key(|(at, order, _)| (*at, *order));
        let mut log = vec![ev(0, Kind::Policy, None, None), ev(0, Kind::CounterOpen, None, Some(1))];
        log.extend(timeline.into_iter().map(|t| t.2));
        log
    }

    #[test]
    fn one_counter_constant_visits_a_steady_queue() {
        // Everybody waits 10 minutes. The last to enter service waited 10 (LES, either order); the
        // head of the line has waited 10 when issued just before its call (HOL); issued just after
        // a call, (1 ahead + 1) × 5 minutes at 12 visits an hour once an hour has passed (QL).
        for issue_first in [true, false] {
            exact(
                &steady(issue_first, 30),
                "les",
                &|s, id| Predictor::Les.minutes(s, id),
                4,
            );
        }
        exact(&steady(true, 30), "hol", &|s, id| Predictor::Hol.minutes(s, id), 4);
        exact(
            &steady(false, 30),
            "ql-hour",
            &|s, id| Predictor::QueueLength.minutes(s, id),
            14,
        );
        // And the actual waits are what the log says.
        assert!(
            measured(&steady(true, 30), &|_, _| Some(0.0))
                .iter()
                .all(|g| g.2 == 10.0)
        );
    }

    #[test]
    fn metrics_and_interval_coverage() {
        let p = |raw: f64, actual: f64| Prediction {
            day: "d".into(),
            ticket: 1,
            priority: false,
            raw: vec![Some(raw)],
            actual: Some(actual),
            queue: 0,
        };
        let preds = [p(10.0, 12.0), p(10.0, 30.0), p(5.0, 5.0), p(0.0, 1.0)];
        let refs: Vec<&Prediction> = preds.iter().collect();
        let m = measure(&refs, 0, Shown::Raw);
        assert_eq!(m.n, 4);
        assert!((m.mae - (2.0 + 20.0 + 0.0 + 1.0) / 4.0).abs() < 1e-9);
        assert_eq!((m.n_long, m.mae_long), (1, 20.0));
        assert_eq!(m.coverage, None);
        let band = (0.0, -1.0, 3.0);
        let c = Calibration { bands: [band; 6] };
        // Intervals: [9, 13], [9, 13], [4, 8], [0, 3]: three of four hold the actual wait.
        assert_eq!(measure(&refs, 0, Shown::RawWithInterval(c)).coverage, Some(0.75));
    }

    /// The policy's input written the obvious way: every waiting ticket the counter may take, those
    /// sent to it first. The server's query gives fewer (the oldest of each kind per service), and
    /// `choose_next` picks the same from both.
    fn every_candidate(state: &QueueState, counter: &CounterState) -> Vec<turno_shared::domain::Candidate> {
        state
            .waiting
            .iter()
            .filter_map(|w| {
                // Sent to this counter: first, and urgent only with priority (as the server does).
                let (rank, target) = match w.to_counter {
                    Some(k) if k == counter.id => (0, None),
                    Some(_) => return None,
                    None => (
                        counter.services.iter().position(|s| *s == w.service_id)? as u32 + 1,
                        state
                            .services
                            .iter()
                            .find(|s| s.id == w.service_id)?
                            .target_wait_minutes,
                    ),
                };
                Some(turno_shared::domain::Candidate {
                    ticket_id: w.id,
                    rank,
                    arrival_ms: w.arrival_ms,
                    priority: w.priority,
                    target_wait_minutes: target,
                })
            })
            .collect()
    }

    #[test]
    fn the_simulator_calls_as_the_server_s_policy_would() {
        for name in ["city", "small-town", "tax-deadline", "early-close"] {
            let path = format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"));
            let sc = crate::scenario::Scenario::load(std::path::Path::new(&path)).unwrap();
            let log = crate::simulate::simulate_days(&sc, 5, 0, 2).unwrap();
            let mut calls = 0;
            replay_observed(&log, &[], &mut |state, counter, ticket| {
                let Some(k) = state.counters.iter().find(|k| k.id == counter) else {
                    // A transferred ticket called again: fine; a call from a closed counter is not.
                    panic!("{name}: counter {counter} calls while closed");
                };
                let choice = turno_shared::domain::choose_next(
                    &every_candidate(state, k),
                    k.urgent_streak,
                    state.policy,
                    state.now_ms,
                );
                assert_eq!(choice.map(|c| c.ticket_id), Some(ticket), "{name}, at {}", state.now_ms);
                calls += 1;
            })
            .unwrap();
            assert!(calls > 100, "{name}: {calls} calls");
        }
    }

    #[test]
    fn events_of_unknown_tickets_are_refused() {
        let log = vec![
            ev(0, Kind::CounterOpen, None, Some(1)),
            ev(1, Kind::Call, Some(5), Some(1)),
        ];
        let err = replay(&log, &[]).unwrap_err().0;
        assert!(err.contains("ticket 5 was never issued"), "{err}");
    }
}
