//! When will a waiting ticket be called? The queue's state at one moment ([`QueueState`]) and the
//! predictors that answer from it: today's queue-length rule, the queue-length rule with the hour's
//! completion rate, the delay-history predictors LES and HOL (Ibrahim & Whitt), and the one the
//! server uses, a fast simulation forward from the current state under the real call policy
//! ([`Predictor::Forward`]), with an interval calibrated on simulated office days ([`Calibration`]).
//! Pure: the server fills a `QueueState` from its store, the evaluator of `turno-sim` from a replayed
//! event log; both ask the same functions.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::policy::{CallPolicy, Candidate, choose_next};
use super::wait::{DEFAULT_SERVICE_SECS, estimate_wait_minutes, typical_service_secs};

const MIN_MS: f64 = 60_000.0;

/// What is known of one service at the moment of the estimate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceState {
    pub id: i64,
    /// The service's target wait; past it a ticket is urgent for the call policy (ageing).
    pub target_wait_minutes: Option<u32>,
    /// Service times (start, or call when never started, to finish; seconds) of the latest finished
    /// visits, newest first, at most 20: what today's predictor learns from.
    pub recent_service_secs: Vec<u32>,
    /// How long the latest visits held a counter (call to finish or no-show; seconds), newest first,
    /// at most 20.
    pub recent_visit_secs: Vec<u32>,
    /// Visits of this service that left a counter (finished or no-show) in the last hour.
    pub completed_last_hour: u32,
    /// Tickets of this service issued in the last hour, and how many of them with priority.
    pub issued_last_hour: u32,
    pub priority_issued_last_hour: u32,
    /// The wait of the latest ticket of this service to be called (issue to first call; seconds).
    pub last_called_wait_secs: Option<u32>,
    /// When the service stops issuing tickets today, if it is known (milliseconds since the epoch).
    pub closes_at_ms: Option<i64>,
}

/// Whether a counter is serving or on a pause. Closed counters are not in the state at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterMode {
    Open,
    /// Paused since this moment (milliseconds since the epoch).
    Paused {
        since_ms: i64,
    },
}

/// A counter with a clerk signed in.
#[derive(Clone, Debug, PartialEq)]
pub struct CounterState {
    pub id: i64,
    /// Service ids in the counter's order of preference.
    pub services: Vec<i64>,
    pub mode: CounterMode,
    /// The visit at the counter now: its service and when it was called.
    pub busy: Option<(i64, i64)>,
    /// Urgent calls in a row (the call policy's interleaving).
    pub urgent_streak: u32,
}

/// A waiting ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitingTicket {
    pub id: i64,
    pub service_id: i64,
    /// Arrival (transfers keep the original one), milliseconds since the epoch.
    pub arrival_ms: i64,
    pub priority: bool,
    /// Transferred to this very counter.
    pub to_counter: Option<i64>,
}

/// The queue at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueState {
    pub now_ms: i64,
    pub policy: CallPolicy,
    pub services: Vec<ServiceState>,
    pub counters: Vec<CounterState>,
    pub waiting: Vec<WaitingTicket>,
}

impl QueueState {
    fn service(&self, id: i64) -> Option<&ServiceState> {
        self.services.iter().find(|s| s.id == id)
    }

    /// Tickets of the same service called before `t` in arrival order (priority tickets count only
    /// other priority tickets): the server's "people ahead".
    pub fn people_ahead(&self, t: &WaitingTicket) -> u32 {
        self.waiting
            .iter()
            .filter(|w| {
                w.service_id == t.service_id
                    && (w.arrival_ms, w.id) < (t.arrival_ms, t.id)
                    && (!t.priority || w.priority)
            })
            .count() as u32
    }

    /// Counters serving now (open, not paused) that take this ticket.
    fn serving_counters(&self, t: &WaitingTicket) -> u32 {
        self.counters
            .iter()
            .filter(|k| k.mode == CounterMode::Open && takes(k, t))
            .count() as u32
    }
}

fn takes(k: &CounterState, t: &WaitingTicket) -> bool {
    match t.to_counter {
        Some(id) => k.id == id,
        None => k.services.contains(&t.service_id),
    }
}

/// The predictors compared by the evaluator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Predictor {
    /// Before issue 12: people ahead × median of the latest 20 service times ÷ counters serving,
    /// in whole minutes rounded up.
    Today,
    /// Queue length with the hour's completion rate: (people ahead + 1) ÷ the visits of the service
    /// that left a counter in the last hour.
    QueueLength,
    /// Last to enter service: the wait of the latest ticket of the service to be called.
    Les,
    /// Head of the line: the elapsed wait of the oldest ticket of the service ahead (zero when none).
    Hol,
    /// A simulation forward from now under the real call policy with per-service visit times.
    Forward,
}

impl Predictor {
    pub const ALL: [Predictor; 5] = [
        Predictor::Today,
        Predictor::QueueLength,
        Predictor::Les,
        Predictor::Hol,
        Predictor::Forward,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Predictor::Today => "today",
            Predictor::QueueLength => "ql-hour",
            Predictor::Les => "les",
            Predictor::Hol => "hol",
            Predictor::Forward => "forward",
        }
    }

    /// Minutes until the waiting ticket `ticket_id` is called, as this predictor sees it; `None`
    /// when no counter can call it (or the ticket is not waiting).
    pub fn minutes(self, state: &QueueState, ticket_id: i64) -> Option<f64> {
        let t = state.waiting.iter().find(|w| w.id == ticket_id)?;
        let ahead = state.people_ahead(t);
        let open = state.serving_counters(t);
        let s = state.service(t.service_id);
        match self {
            Predictor::Today => {
                let secs = s
                    .and_then(|s| typical_service_secs(&s.recent_service_secs))
                    .unwrap_or(DEFAULT_SERVICE_SECS);
                estimate_wait_minutes(ahead, secs, open).map(f64::from)
            }
            Predictor::QueueLength => {
                if !any_counter(state, t) {
                    return None;
                }
                match s.map_or(0, |s| s.completed_last_hour) {
                    // Nothing left a counter this hour yet: today's rule, without its rounding.
                    0 => {
                        let secs = s.map_or(DEFAULT_SERVICE_SECS, |s| visit_secs(s) as u32);
                        Some(f64::from(ahead) * f64::from(secs) / 60.0 / f64::from(open.max(1)))
                    }
                    done => Some(f64::from(ahead + 1) * 60.0 / f64::from(done)),
                }
            }
            Predictor::Les => {
                if !any_counter(state, t) {
                    return None;
                }
                Some(
                    s.and_then(|s| s.last_called_wait_secs)
                        .map_or(0.0, |w| f64::from(w) / 60.0),
                )
            }
            Predictor::Hol => {
                if !any_counter(state, t) {
                    return None;
                }
                let head = state
                    .waiting
                    .iter()
                    .filter(|w| w.service_id == t.service_id && (w.arrival_ms, w.id) < (t.arrival_ms, t.id))
                    .map(|w| w.arrival_ms)
                    .min();
                Some(match head {
                    None => 0.0,
                    Some(arrival) => (state.now_ms - arrival).max(0) as f64 / MIN_MS,
                })
            }
            Predictor::Forward => forward_minutes(state, t, &ForwardParams::default()),
        }
    }
}

fn any_counter(state: &QueueState, t: &WaitingTicket) -> bool {
    state.counters.iter().any(|k| takes(k, t))
}

/// The mean time a visit of this service holds a counter (seconds), from the latest visits: their
/// mean, each capped at four times their median so one very long case weighs less, pulled towards
/// [`DEFAULT_SERVICE_SECS`] as if that were one more sample (one visit of one second does not make
/// the next wait zero).
fn visit_secs(s: &ServiceState) -> f64 {
    let samples = if s.recent_visit_secs.is_empty() {
        &s.recent_service_secs
    } else {
        &s.recent_visit_secs
    };
    let cap = typical_service_secs(samples).map_or(f64::MAX, |m| 4.0 * f64::from(m.max(30)));
    let sum: f64 = samples.iter().map(|&x| f64::from(x).min(cap)).sum();
    (sum + f64::from(DEFAULT_SERVICE_SECS)) / (samples.len() as f64 + 1.0)
}

/// The forward simulation's assumptions, chosen on tuning days (see `docs/queue-science.md`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForwardParams {
    /// Seconds between a counter leaving one visit and calling the next.
    pub gap_secs: f64,
    /// A visit in progress ends after its service's mean less what it has lasted, but never sooner
    /// than this share of the mean.
    pub min_residual: f64,
    /// A pause lasts this long (minutes); one already longer ends within two minutes.
    pub pause_minutes: f64,
    /// Tickets keep arriving at the last hour's rate (priority ones may pass ahead) until the service
    /// closes, and for at most `arrivals_minutes`: the last hour says little of what comes later.
    pub arrivals: bool,
    pub arrivals_minutes: f64,
    /// At most this many calls are simulated; past them the estimate is where the simulation got to.
    pub max_calls: u32,
}

impl Default for ForwardParams {
    fn default() -> Self {
        Self {
            gap_secs: 15.0,
            min_residual: 0.5,
            pause_minutes: 15.0,
            arrivals: true,
            arrivals_minutes: 60.0,
            max_calls: 2000,
        }
    }
}

/// A service's queue in the simulation: waiting tickets by arrival, priority and normal apart.
#[derive(Default, Clone)]
struct Lane {
    priority: Vec<WaitingTicket>,
    normal: Vec<WaitingTicket>,
}

fn insert_sorted(v: &mut Vec<WaitingTicket>, t: WaitingTicket) {
    let at = v.partition_point(|w| (w.arrival_ms, w.id) <= (t.arrival_ms, t.id));
    v.insert(at, t);
}

/// Simulates the counters calling by the real policy (`choose_next`) until `target` is called.
pub fn forward_minutes(state: &QueueState, target: &WaitingTicket, p: &ForwardParams) -> Option<f64> {
    if !any_counter(state, target) {
        return None;
    }
    let now = state.now_ms;
    let sidx = |id: i64| state.services.iter().position(|s| s.id == id);
    let mean_ms: Vec<f64> = state.services.iter().map(|s| visit_secs(s) * 1000.0).collect();
    let default_ms = f64::from(DEFAULT_SERVICE_SECS) * 1000.0;
    let visit_ms = |service_id: i64| sidx(service_id).map_or(default_ms, |i| mean_ms[i]);
    let gap = p.gap_secs * 1000.0;

    // Queues: by service, and the tickets transferred to a counter.
    let mut lanes: Vec<Lane> = vec![Lane::default(); state.services.len()];
    let mut unknown = Lane::default();
    let mut to_counter: Vec<Vec<WaitingTicket>> = vec![Vec::new(); state.counters.len()];
    for w in &state.waiting {
        if let Some(id) = w.to_counter {
            // Sent to a counter: only that one calls it (and nobody while it is closed).
            if let Some(k) = state.counters.iter().position(|k| k.id == id) {
                insert_sorted(&mut to_counter[k], *w);
            }
            continue;
        }
        let lane = match sidx(w.service_id) {
            Some(i) => &mut lanes[i],
            None => &mut unknown,
        };
        insert_sorted(
            if w.priority {
                &mut lane.priority
            } else {
                &mut lane.normal
            },
            *w,
        );
    }

    // Counters: when each is next free to call, and its run of urgent calls.
    let free: Vec<f64> = state
        .counters
        .iter()
        .map(|k| {
            let base = match k.mode {
                CounterMode::Open => now as f64,
                CounterMode::Paused { since_ms } => {
                    (since_ms as f64 + p.pause_minutes * MIN_MS).max(now as f64 + 2.0 * MIN_MS)
                }
            };
            match k.busy {
                Some((service_id, since)) => {
                    let mean = visit_ms(service_id);
                    let left = (mean - (now - since) as f64).max(p.min_residual * mean);
                    base.max(now as f64 + left + gap)
                }
                None => base,
            }
        })
        .collect();
    let mut streak: Vec<u32> = state.counters.iter().map(|k| k.urgent_streak).collect();
    // When each counter next calls, soonest first (equal times: the first counter); a counter that
    // took nothing waits for the next arrival. Times are positive, so their bits order as they do.
    let mut due: BinaryHeap<Reverse<(u64, usize)>> = free
        .iter()
        .enumerate()
        .filter(|(_, f)| **f < f64::MAX)
        .map(|(k, f)| Reverse((f.to_bits(), k)))
        .collect();
    let mut reached = now as f64;

    // Arrivals to come: per service, the next normal and priority arrival and their spacing.
    struct Stream {
        lane: usize,
        priority: bool,
        next: f64,
        every: f64,
        until: f64,
    }
    let mut streams: Vec<Stream> = Vec::new();
    if p.arrivals {
        for (i, s) in state.services.iter().enumerate() {
            let until = s
                .closes_at_ms
                .map_or(f64::MAX, |c| c as f64)
                .min(now as f64 + p.arrivals_minutes * MIN_MS);
            let normal = s.issued_last_hour.saturating_sub(s.priority_issued_last_hour);
            for (n, priority) in [(normal, false), (s.priority_issued_last_hour, true)] {
                if n > 0 {
                    let every = 60.0 * MIN_MS / f64::from(n);
                    streams.push(Stream {
                        lane: i,
                        priority,
                        next: now as f64 + every,
                        every,
                        until,
                    });
                }
            }
        }
    }
    let mut next_id = i64::MAX / 2;
    let mut candidates: Vec<Candidate> = Vec::with_capacity(16);

    for _ in 0..p.max_calls {
        let Reverse((bits, k)) = due.pop()?;
        let at = f64::from_bits(bits);
        reached = reached.max(at);
        // Tickets that arrived by then join their queues.
        for s in &mut streams {
            while s.next <= at && s.next < s.until {
                next_id += 1;
                let w = WaitingTicket {
                    id: next_id,
                    service_id: state.services[s.lane].id,
                    arrival_ms: s.next as i64,
                    priority: s.priority,
                    to_counter: None,
                };
                let lane = &mut lanes[s.lane];
                if s.priority {
                    lane.priority.push(w);
                } else {
                    lane.normal.push(w);
                }
                s.next += s.every;
            }
        }
        let at_ms = at as i64;
        let counter = &state.counters[k];
        candidates.clear();
        // As the server does: the 8 oldest sent to this counter, urgent only with priority.
        for w in to_counter[k].iter().take(8) {
            candidates.push(candidate(w, 0, None));
        }
        for (rank, service_id) in counter.services.iter().enumerate() {
            let Some(i) = sidx(*service_id) else { continue };
            let s = &state.services[i];
            let lane = &lanes[i];
            let rank = rank as u32 + 1;
            if let Some(w) = lane.priority.first() {
                candidates.push(candidate(w, rank, Some(s)));
            }
            if let Some(w) = lane.normal.first() {
                let c = candidate(w, rank, Some(s));
                candidates.push(c);
                // As the server does: past the target the oldest is urgent, so the oldest not yet
                // urgent is a candidate too.
                if c.is_urgent(at_ms) {
                    let limit = at_ms - i64::from(s.target_wait_minutes.unwrap_or_default()) * 60_000;
                    let j = lane.normal.partition_point(|w| w.arrival_ms <= limit);
                    if let Some(w) = lane.normal.get(j) {
                        candidates.push(candidate(w, rank, Some(s)));
                    }
                }
            }
        }
        let Some(choice) = choose_next(&candidates, streak[k], state.policy, at_ms) else {
            // Nothing for this counter: it waits for the next arrival, or is done.
            let next_arrival = streams
                .iter()
                .filter(|s| s.next < s.until)
                .map(|s| s.next)
                .fold(f64::MAX, f64::min);
            if next_arrival < f64::MAX {
                due.push(Reverse((next_arrival.to_bits(), k)));
            }
            continue;
        };
        if choice.ticket_id == target.id {
            return Some((at - now as f64).max(0.0) / MIN_MS);
        }
        streak[k] = choice.urgent_streak;
        let mut service_id = take(&mut to_counter[k], choice.ticket_id);
        for i in counter.services.iter().filter_map(|id| sidx(*id)) {
            if service_id.is_some() {
                break;
            }
            service_id =
                take(&mut lanes[i].priority, choice.ticket_id).or_else(|| take(&mut lanes[i].normal, choice.ticket_id));
        }
        due.push(Reverse((
            (at + service_id.map_or(default_ms, visit_ms) + gap).to_bits(),
            k,
        )));
    }
    // Past the simulation's horizon: where it got to.
    Some((reached - now as f64) / MIN_MS)
}

/// Removes ticket `id` from `v`; its service when it was there.
fn take(v: &mut Vec<WaitingTicket>, id: i64) -> Option<i64> {
    let j = v.iter().position(|w| w.id == id)?;
    Some(v.remove(j).service_id)
}

fn candidate(w: &WaitingTicket, rank: u32, s: Option<&ServiceState>) -> Candidate {
    Candidate {
        ticket_id: w.id,
        rank,
        arrival_ms: w.arrival_ms,
        priority: w.priority,
        target_wait_minutes: s.and_then(|s| s.target_wait_minutes),
    }
}

/// The estimate shown to citizens: a point and an interval that held the actual wait of about 80%
/// of tickets on tuning days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eta {
    pub minutes: u32,
    pub low: u32,
    pub high: u32,
}

/// How a predictor's raw answer becomes what is shown: by bands of the raw prediction, the median,
/// 10th and 90th percentiles of (actual − predicted) minutes measured on tuning days.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// For each band of [`BAND_EDGES`] (the raw prediction below its edge): the median, low and
    /// high residual, in minutes.
    pub bands: [(f64, f64, f64); BAND_EDGES.len()],
}

/// The bands of raw predictions (minutes) that a [`Calibration`] corrects apart.
pub const BAND_EDGES: [f64; 6] = [2.0, 5.0, 10.0, 20.0, 40.0, f64::INFINITY];

/// The band of a raw prediction.
pub fn band_of(raw: f64) -> usize {
    BAND_EDGES.iter().position(|&e| raw < e).unwrap_or(BAND_EDGES.len() - 1)
}

impl Calibration {
    /// The point estimate and its interval for a raw prediction.
    pub fn apply(&self, raw: f64) -> (f64, f64, f64) {
        let band = self.bands[band_of(raw)];
        let point = (raw + band.0).max(0.0);
        let low = (raw + band.1).max(0.0).min(point);
        let high = (raw + band.2).max(point);
        (point, low, high)
    }

    /// In whole minutes: the point rounded, the interval widened to whole minutes.
    pub fn eta(&self, raw: f64) -> Eta {
        let (point, low, high) = self.apply(raw);
        Eta {
            minutes: point.round() as u32,
            low: low.floor() as u32,
            high: high.ceil().max(1.0) as u32,
        }
    }
}

/// The server's estimate: [`Predictor::Forward`] with [`FORWARD_CALIBRATION`]. `None` when no
/// counter can call the ticket.
pub fn estimate(state: &QueueState, ticket_id: i64) -> Option<Eta> {
    Predictor::Forward
        .minutes(state, ticket_id)
        .map(|raw| FORWARD_CALIBRATION.eta(raw))
}

/// The estimate for a ticket of `service_id` (not priority) taken now.
pub fn estimate_new(state: &QueueState, service_id: i64) -> Option<Eta> {
    let mut state = state.clone();
    let id = i64::MAX / 4;
    state.waiting.push(WaitingTicket {
        id,
        service_id,
        arrival_ms: state.now_ms,
        priority: false,
        to_counter: None,
    });
    estimate(&state, id)
}

/// Fitted by `turno-sim tune` on the tuning days of every shipped scenario (see
/// `docs/queue-science.md`); replace it with that command's output.
pub const FORWARD_CALIBRATION: Calibration = Calibration {
    bands: [
        (0.00, 0.00, 0.00),
        (-0.51, -2.14, 3.25),
        (0.19, -2.66, 6.99),
        (1.28, -4.22, 12.05),
        (2.70, -6.12, 16.67),
        (3.76, -16.66, 31.50),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    /// One counter serving service 1; visits always last `visit` minutes; tickets waiting at the
    /// given minutes.
    fn one_counter(visit_min: u32, waiting: &[i64], busy_since: Option<i64>, now: i64) -> QueueState {
        QueueState {
            now_ms: now * MIN,
            policy: CallPolicy::default(),
            services: vec![ServiceState {
                id: 1,
                recent_service_secs: vec![visit_min * 60; 20],
                recent_visit_secs: vec![visit_min * 60; 20],
                ..ServiceState::default()
            }],
            counters: vec![CounterState {
                id: 7,
                services: vec![1],
                mode: CounterMode::Open,
                busy: busy_since.map(|s| (1, s * MIN)),
                urgent_streak: 0,
            }],
            waiting: waiting
                .iter()
                .enumerate()
                .map(|(i, &at)| WaitingTicket {
                    id: i as i64 + 1,
                    service_id: 1,
                    arrival_ms: at * MIN,
                    priority: false,
                    to_counter: None,
                })
                .collect(),
        }
    }

    #[test]
    fn nobody_ahead_and_a_free_counter_is_called_now() {
        let state = one_counter(5, &[10], None, 10);
        let p = ForwardParams {
            arrivals: false,
            ..ForwardParams::default()
        };
        assert_eq!(forward_minutes(&state, &state.waiting[0], &p), Some(0.0));
    }

    #[test]
    fn forward_counts_the_visits_ahead_and_the_one_in_progress() {
        // Busy since minute 8 with 5-minute visits, three ahead: 3 + 3 × (5 min + gap).
        let state = one_counter(5, &[1, 2, 3, 10], Some(8), 10);
        let p = ForwardParams {
            arrivals: false,
            gap_secs: 0.0,
            ..ForwardParams::default()
        };
        let m = forward_minutes(&state, &state.waiting[3], &p).unwrap();
        // The mean is pulled towards the 5-minute default by one sample: still 5 minutes here.
        assert!((m - 18.0).abs() < 1e-6, "{m}");
    }

    #[test]
    fn a_single_one_second_visit_does_not_make_the_wait_zero() {
        let mut state = one_counter(5, &[0, 1], Some(1), 1);
        state.services[0].recent_service_secs = vec![1];
        state.services[0].recent_visit_secs = vec![1];
        assert_eq!(Predictor::Today.minutes(&state, 2), Some(1.0));
        let m = Predictor::Forward.minutes(&state, 2).unwrap();
        assert!(m > 2.0, "{m}");
    }

    #[test]
    fn no_counter_for_the_service_gives_no_number() {
        let mut state = one_counter(5, &[0], None, 1);
        state.counters.clear();
        for p in Predictor::ALL {
            assert_eq!(p.minutes(&state, 1), None, "{p:?}");
        }
        assert_eq!(estimate(&state, 1), None);
    }

    #[test]
    fn priority_arrivals_pass_ahead_of_a_normal_ticket() {
        // Two counters' worth of priority arrivals per hour on one counter: the normal ticket waits
        // longer than with no arrivals.
        let mut state = one_counter(5, &[0, 1, 2], Some(2), 2);
        state.services[0].issued_last_hour = 12;
        state.services[0].priority_issued_last_hour = 12;
        let with = forward_minutes(&state, &state.waiting[2], &ForwardParams::default()).unwrap();
        let without = forward_minutes(
            &state,
            &state.waiting[2],
            &ForwardParams {
                arrivals: false,
                ..ForwardParams::default()
            },
        )
        .unwrap();
        assert!(with > without, "{with} vs {without}");
    }

    /// The forward simulation's first call is the policy's choice among every waiting ticket the
    /// counter may take (the simulation builds fewer candidates, as the server's query does; those
    /// sent to the counter come first and are urgent only with priority, as there).
    #[test]
    fn the_first_simulated_call_is_the_policy_s_choice() {
        let mut seed: u64 = 0x2545_F491;
        let mut rand = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for round in 0..500 {
            let now = 600 * MIN;
            let services: Vec<ServiceState> = (1..=4)
                .map(|id| ServiceState {
                    id,
                    target_wait_minutes: [None, Some(10), Some(20), Some(30)][rand(4) as usize],
                    recent_visit_secs: vec![300],
                    ..ServiceState::default()
                })
                .collect();
            let mut served: Vec<i64> = vec![1, 2, 3];
            for i in (1..served.len()).rev() {
                served.swap(i, rand(i as u64 + 1) as usize);
            }
            served.truncate(2 + rand(2) as usize);
            let counter = CounterState {
                id: 7,
                services: served,
                mode: CounterMode::Open,
                busy: None,
                urgent_streak: rand(4) as u32,
            };
            let waiting: Vec<WaitingTicket> = (0..1 + rand(25) as i64)
                .map(|i| WaitingTicket {
                    id: 100 + i,
                    service_id: 1 + rand(4) as i64,
                    arrival_ms: now - rand(60) as i64 * MIN - rand(2) as i64 * 1000,
                    priority: rand(5) == 0,
                    to_counter: [None, None, None, None, Some(7), Some(8)][rand(6) as usize],
                })
                .collect();
            let state = QueueState {
                now_ms: now,
                policy: CallPolicy {
                    priority_ratio: rand(5) as u32,
                },
                services,
                counters: vec![counter.clone()],
                waiting,
            };
            let every: Vec<Candidate> = state
                .waiting
                .iter()
                .filter_map(|w| {
                    // Sent to this counter: first, and urgent only with priority.
                    match w.to_counter {
                        Some(7) => Some(candidate(w, 0, None)),
                        Some(_) => None,
                        None => {
                            let rank = counter.services.iter().position(|s| *s == w.service_id)? as u32 + 1;
                            Some(candidate(w, rank, state.service(w.service_id)))
                        }
                    }
                })
                .collect();
            let expected = choose_next(&every, counter.urgent_streak, state.policy, now).map(|c| c.ticket_id);
            let p = ForwardParams {
                arrivals: false,
                ..ForwardParams::default()
            };
            let called_now: Vec<i64> = state
                .waiting
                .iter()
                .filter(|w| forward_minutes(&state, w, &p) == Some(0.0))
                .map(|w| w.id)
                .collect();
            assert_eq!(
                called_now,
                expected.into_iter().collect::<Vec<_>>(),
                "round {round}: {state:?}"
            );
        }
    }

    #[test]
    fn calibration_bands() {
        let c = Calibration {
            bands: [
                (1.0, -1.0, 2.0),
                (1.0, -1.0, 2.0),
                (2.0, -5.0, 6.0),
                (2.0, -5.0, 6.0),
                (2.0, -5.0, 6.0),
                (2.0, -5.0, 6.0),
            ],
        };
        assert_eq!(c.apply(3.0), (4.0, 2.0, 5.0));
        assert_eq!(c.apply(10.0), (12.0, 5.0, 16.0));
        assert_eq!(
            c.eta(0.2),
            Eta {
                minutes: 1,
                low: 0,
                high: 3
            }
        );
    }
}
