//! The office's statistics, computed from what the front office recorded: visits (tickets and visits
//! without a ticket), ratings and pauses, as rows a store hands over one at a time. Pure: no I/O, no
//! SQL, so that one office's server and the city's centre compute them alike. Every measure is defined
//! in `docs/data-dictionary.md`; percentiles are exact, by nearest rank, on whole seconds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{BadReason, Code, PauseReason, Rating, TicketState};

/// Waits over this many seconds count in the share ISTAT publishes for registry offices.
pub const LONG_WAIT_SECS: u32 = 20 * 60;

/// Ratings a clerk needs in a range before their satisfaction is shown: fewer could point at people.
pub const MIN_RATINGS_PER_CLERK: u32 = 10;

/// A ticket of the range, as the store keeps it once its day's work on it is over (or as it stands).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRow {
    pub office_day: String,
    /// The service it ended in (after transfers).
    pub service_id: i64,
    /// The counter that last held it.
    pub counter_id: Option<i64>,
    /// The clerk who last called it.
    pub user_id: Option<i64>,
    pub state: TicketState,
    pub priority: bool,
    /// Local weekday of issue, 1 = Monday … 7 = Sunday, and local hour of issue, 0–23.
    pub weekday: u8,
    pub hour: u8,
    /// Seconds from issue to the first call; `None` when never called.
    pub wait_secs: Option<u32>,
    /// Seconds from the last call (or the start of service) to finish, for finished visits.
    pub service_secs: Option<u32>,
    pub outcome: Option<Code>,
    /// How many times it was transferred.
    pub transfers: u32,
    /// The wait its service aimed not to exceed, in minutes.
    pub target_wait_minutes: Option<u32>,
}

/// A visit without a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkInRow {
    pub office_day: String,
    pub service_id: i64,
    pub counter_id: i64,
    pub user_id: i64,
    pub weekday: u8,
    pub hour: u8,
    pub service_secs: u32,
    pub outcome: Code,
}

/// A rating of a visit in the range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatingRow {
    pub office_day: String,
    pub service_id: i64,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
    pub weekday: u8,
    pub hour: u8,
    pub rating: Rating,
    pub reason: Option<BadReason>,
}

/// Rows counted elsewhere, all of one office day, service, counter, clerk, weekday and hour (a cell of
/// the centre's daily rollup): their counts, and their durations as `(whole seconds, how many)`. Fed to
/// [`Accumulator::cell`], a cell counts exactly as its rows would, percentiles included, since the
/// percentiles are taken on whole seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    pub office_day: String,
    pub service_id: i64,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
    pub weekday: u8,
    pub hour: u8,
    /// Tickets, by how they stand.
    pub issued: u32,
    pub served: u32,
    pub no_show: u32,
    pub cancelled: u32,
    pub expired: u32,
    pub transferred: u32,
    pub priority: u32,
    pub walk_ins: u32,
    /// The waits of the tickets called.
    pub waits: Vec<(u32, u32)>,
    /// The service times of the tickets served and of the visits without ticket.
    pub services: Vec<(u32, u32)>,
    /// The wait the service aims not to exceed, in minutes.
    pub target_wait_minutes: Option<u32>,
    /// Outcomes of the tickets served and of the visits without ticket.
    pub outcomes: Vec<(Code, u32)>,
    pub good: u32,
    pub neutral: u32,
    pub bad: u32,
    pub reasons: Vec<(BadReason, u32)>,
}

/// A pause in the range (its seconds up to its end, or up to now when still going).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PauseRow {
    pub reason: PauseReason,
    pub counter_id: i64,
    pub user_id: i64,
    pub secs: u64,
}

// ----- the answer -----

/// Durations of a group, in seconds: exact, percentiles by nearest rank.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Durations {
    pub count: u32,
    pub mean_secs: Option<f64>,
    pub median_secs: Option<u32>,
    pub p90_secs: Option<u32>,
    pub max_secs: Option<u32>,
}

/// Satisfaction of a group ("Mettiamoci la faccia").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Satisfaction {
    pub responses: u32,
    pub good: u32,
    pub neutral: u32,
    pub bad: u32,
    /// Ratings ÷ visits served (tickets finished with an outcome and visits without ticket).
    pub participation: Option<f64>,
    /// 0–100: good counts 100, neutral 50, bad 0.
    pub index: Option<f64>,
    /// Why the bad ones were bad.
    pub reasons: BTreeMap<String, u32>,
}

/// Every figure of a group of visits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    pub issued: u32,
    pub served: u32,
    pub no_show: u32,
    pub cancelled: u32,
    /// Closed at the end of the day while still waiting or called.
    pub expired: u32,
    /// Tickets transferred at least once.
    pub transferred: u32,
    pub walk_ins: u32,
    pub priority: u32,
    /// From issue to first call, tickets called at least once.
    pub wait: Durations,
    /// From call (or start) to finish, visits served (tickets and visits without ticket).
    pub service: Durations,
    /// Tickets that waited more than 20 minutes, and their share of those called.
    pub long_waits: u32,
    pub long_wait_share: Option<f64>,
    /// The share of tickets called within their service's target wait (of those with a target).
    pub within_target_share: Option<f64>,
    /// `None` for a clerk with fewer than [`MIN_RATINGS_PER_CLERK`] ratings.
    pub satisfaction: Option<Satisfaction>,
}

/// A group's key and figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Group {
    /// A service, counter or clerk id; a weekday (1 = Monday); an hour (0–23); an office day.
    pub key: String,
    pub figures: Figures,
}

/// How many of a service's visits ended with an outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutcomeCount {
    pub service_id: i64,
    pub outcome: Code,
    pub count: u32,
}

/// Pauses by reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PauseTotal {
    pub reason: PauseReason,
    pub count: u32,
    pub secs: u64,
}

/// The statistics of a range of office days.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    pub total: Figures,
    pub by_service: Vec<Group>,
    pub by_counter: Vec<Group>,
    /// Satisfaction shown only for clerks with at least ten ratings.
    pub by_clerk: Vec<Group>,
    pub by_weekday: Vec<Group>,
    pub by_hour: Vec<Group>,
    pub by_day: Vec<Group>,
    /// Tickets issued by weekday (row 0 = Monday) and hour (column 0 = midnight).
    pub arrivals: Vec<Vec<u32>>,
    pub outcomes: Vec<OutcomeCount>,
    pub pauses: Vec<PauseTotal>,
}

// ----- the computation -----

/// Exact percentiles of whole seconds: a count per second up to four hours, the rest kept as they are.
#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: Vec<u32>,
    over: Vec<u32>,
    n: u32,
    sum: u64,
    max: u32,
}

const HISTOGRAM_SECS: usize = 4 * 3600;

impl Histogram {
    fn add(&mut self, v: u32) {
        self.add_n(v, 1);
    }

    /// Adds `n` values `v`.
    fn add_n(&mut self, v: u32, n: u32) {
        if n == 0 {
            return;
        }
        if (v as usize) < HISTOGRAM_SECS {
            if self.counts.is_empty() {
                self.counts = vec![0; HISTOGRAM_SECS];
            }
            self.counts[v as usize] += n;
        } else {
            self.over.extend(std::iter::repeat_n(v, n as usize));
        }
        self.n += n;
        self.sum += u64::from(v) * u64::from(n);
        self.max = self.max.max(v);
    }

    /// Adds another histogram's values to this one.
    fn merge(&mut self, other: Histogram) {
        if !other.counts.is_empty() {
            if self.counts.is_empty() {
                self.counts = other.counts;
            } else {
                for (a, b) in self.counts.iter_mut().zip(&other.counts) {
                    *a += b;
                }
            }
        }
        self.over.extend(other.over);
        self.n += other.n;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// The value of rank `k` (1-based) in ascending order.
    fn rank(&mut self, k: u32) -> u32 {
        let mut seen = 0;
        for (v, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= k {
                return v as u32;
            }
        }
        self.over.sort_unstable();
        self.over[(k - seen - 1) as usize]
    }

    /// Nearest rank: the smallest value with at least `p`% of the values at or below it.
    fn percentile(&mut self, p: u32) -> Option<u32> {
        (self.n > 0).then(|| {
            let k = (u64::from(p) * u64::from(self.n)).div_ceil(100).max(1) as u32;
            self.rank(k)
        })
    }

    fn durations(&mut self) -> Durations {
        Durations {
            count: self.n,
            mean_secs: (self.n > 0).then(|| self.sum as f64 / f64::from(self.n)),
            median_secs: self.percentile(50),
            p90_secs: self.percentile(90),
            max_secs: (self.n > 0).then_some(self.max),
        }
    }
}

/// A group being counted.
#[derive(Clone, Debug, Default)]
struct Tally {
    figures: Figures,
    wait: Histogram,
    service: Histogram,
    called: u32,
    with_target: u32,
    within_target: u32,
    ratings: Satisfaction,
}

impl Tally {
    fn ticket(&mut self, t: &TicketRow) {
        let f = &mut self.figures;
        f.issued += 1;
        match t.state {
            TicketState::Done => f.served += 1,
            TicketState::NoShow => f.no_show += 1,
            TicketState::Cancelled => f.cancelled += 1,
            TicketState::Expired => f.expired += 1,
            _ => {}
        }
        f.transferred += u32::from(t.transfers > 0);
        f.priority += u32::from(t.priority);
        if let Some(w) = t.wait_secs {
            self.wait.add(w);
            self.called += 1;
            f.long_waits += u32::from(w > LONG_WAIT_SECS);
            if let Some(target) = t.target_wait_minutes {
                self.with_target += 1;
                self.within_target += u32::from(u64::from(w) <= u64::from(target) * 60);
            }
        }
        if t.state == TicketState::Done
            && let Some(s) = t.service_secs
        {
            self.service.add(s);
        }
    }

    fn walk_in(&mut self, w: &WalkInRow) {
        self.figures.walk_ins += 1;
        self.service.add(w.service_secs);
    }

    fn rating(&mut self, r: &RatingRow) {
        let s = &mut self.ratings;
        s.responses += 1;
        match r.rating {
            Rating::Good => s.good += 1,
            Rating::Neutral => s.neutral += 1,
            Rating::Bad => s.bad += 1,
        }
        if let Some(reason) = r.reason {
            *s.reasons.entry(reason.as_str().to_owned()).or_default() += 1;
        }
    }

    fn cell(&mut self, c: &Cell) {
        let f = &mut self.figures;
        f.issued += c.issued;
        f.served += c.served;
        f.no_show += c.no_show;
        f.cancelled += c.cancelled;
        f.expired += c.expired;
        f.transferred += c.transferred;
        f.priority += c.priority;
        f.walk_ins += c.walk_ins;
        for &(w, n) in &c.waits {
            self.wait.add_n(w, n);
            self.called += n;
            if w > LONG_WAIT_SECS {
                f.long_waits += n;
            }
            if let Some(target) = c.target_wait_minutes {
                self.with_target += n;
                if u64::from(w) <= u64::from(target) * 60 {
                    self.within_target += n;
                }
            }
        }
        for &(s, n) in &c.services {
            self.service.add_n(s, n);
        }
        let s = &mut self.ratings;
        s.responses += c.good + c.neutral + c.bad;
        s.good += c.good;
        s.neutral += c.neutral;
        s.bad += c.bad;
        for &(reason, n) in &c.reasons {
            if n > 0 {
                *s.reasons.entry(reason.as_str().to_owned()).or_default() += n;
            }
        }
    }

    /// Adds another tally of the same group (counted from other rows) to this one.
    fn merge(&mut self, o: Tally) {
        let (f, g) = (&mut self.figures, o.figures);
        f.issued += g.issued;
        f.served += g.served;
        f.no_show += g.no_show;
        f.cancelled += g.cancelled;
        f.expired += g.expired;
        f.transferred += g.transferred;
        f.walk_ins += g.walk_ins;
        f.priority += g.priority;
        f.long_waits += g.long_waits;
        self.wait.merge(o.wait);
        self.service.merge(o.service);
        self.called += o.called;
        self.with_target += o.with_target;
        self.within_target += o.within_target;
        let (s, r) = (&mut self.ratings, o.ratings);
        s.responses += r.responses;
        s.good += r.good;
        s.neutral += r.neutral;
        s.bad += r.bad;
        for (reason, n) in r.reasons {
            *s.reasons.entry(reason).or_default() += n;
        }
    }

    fn finish(mut self, min_ratings: u32) -> Figures {
        let mut f = self.figures;
        f.wait = self.wait.durations();
        f.service = self.service.durations();
        f.long_wait_share = (self.called > 0).then(|| f64::from(f.long_waits) / f64::from(self.called));
        f.within_target_share =
            (self.with_target > 0).then(|| f64::from(self.within_target) / f64::from(self.with_target));
        let mut s = std::mem::take(&mut self.ratings);
        let visits = f.served + f.walk_ins;
        s.participation = (visits > 0).then(|| f64::from(s.responses) / f64::from(visits));
        s.index = (s.responses > 0).then(|| f64::from(s.good * 100 + s.neutral * 50) / f64::from(s.responses));
        f.satisfaction = (s.responses >= min_ratings).then_some(s);
        f
    }
}

/// Tallies of the groups of one breakdown, found without allocating: a million rows look their
/// groups up six times each.
#[derive(Default)]
struct Breakdown {
    groups: Vec<(String, Tally)>,
    /// Few (services, counters, clerks, weekdays, hours): a short list beats hashing.
    by_id: Vec<(i64, usize)>,
    by_text: std::collections::HashMap<String, usize>,
    /// The group of the last text key: rows come day by day.
    last_text: Option<usize>,
}

impl Breakdown {
    fn add(&mut self, key: String) -> usize {
        self.groups.push((key, Tally::default()));
        self.groups.len() - 1
    }

    fn id(&mut self, key: i64) -> &mut Tally {
        let i = match self.by_id.iter().find(|(k, _)| *k == key) {
            Some(&(_, i)) => i,
            None => {
                let i = self.add(key.to_string());
                self.by_id.push((key, i));
                i
            }
        };
        &mut self.groups[i].1
    }

    fn text(&mut self, key: &str) -> &mut Tally {
        let i = match self.last_text {
            Some(i) if self.groups[i].0 == key => i,
            _ => match self.by_text.get(key) {
                Some(&i) => i,
                None => {
                    let i = self.add(key.to_owned());
                    self.by_text.insert(key.to_owned(), i);
                    i
                }
            },
        };
        self.last_text = Some(i);
        &mut self.groups[i].1
    }

    /// Adds another breakdown's groups, group by group.
    fn merge(&mut self, other: Breakdown) {
        for (key, tally) in other.groups {
            let mine = match key.parse::<i64>() {
                Ok(id) if other.by_id.iter().any(|(k, _)| *k == id) => self.id(id),
                _ => self.text(&key),
            };
            mine.merge(tally);
        }
    }

    fn finish(self, min_ratings: u32) -> Vec<Group> {
        let mut groups: Vec<Group> = self
            .groups
            .into_iter()
            .map(|(key, t)| Group {
                key,
                figures: t.finish(min_ratings),
            })
            .collect();
        // Numeric keys in numeric order (service 10 after service 9), days as they sort.
        groups.sort_by(|a, b| match (a.key.parse::<i64>(), b.key.parse::<i64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.key.cmp(&b.key),
        });
        groups
    }
}

/// The groups a row belongs to.
struct Keys<'a> {
    service: i64,
    counter: Option<i64>,
    clerk: Option<i64>,
    weekday: u8,
    hour: u8,
    day: &'a str,
}

/// Computes the statistics as rows arrive.
#[derive(Default)]
pub struct Accumulator {
    total: Tally,
    by_service: Breakdown,
    by_counter: Breakdown,
    by_clerk: Breakdown,
    by_weekday: Breakdown,
    by_hour: Breakdown,
    by_day: Breakdown,
    arrivals: [[u32; 24]; 7],
    /// By service and outcome code: a few dozen, looked up by a row of a million without cloning its code.
    outcomes: Vec<((i64, Code), u32)>,
    /// By reason (its name), how many and how long.
    pauses: BTreeMap<&'static str, (u32, u64)>,
}

impl Accumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a row in the total and in each group it belongs to.
    fn each(&mut self, k: Keys<'_>, f: impl Fn(&mut Tally)) {
        f(&mut self.total);
        f(self.by_service.id(k.service));
        if let Some(c) = k.counter {
            f(self.by_counter.id(c));
        }
        if let Some(u) = k.clerk {
            f(self.by_clerk.id(u));
        }
        f(self.by_weekday.id(i64::from(k.weekday)));
        f(self.by_hour.id(i64::from(k.hour)));
        f(self.by_day.text(k.day));
    }

    pub fn ticket(&mut self, t: &TicketRow) {
        self.arrivals[usize::from(t.weekday.clamp(1, 7) - 1)][usize::from(t.hour.min(23))] += 1;
        if t.state == TicketState::Done
            && let Some(o) = &t.outcome
        {
            self.outcome(t.service_id, o, 1);
        }
        let keys = Keys {
            service: t.service_id,
            counter: t.counter_id,
            clerk: t.user_id,
            weekday: t.weekday,
            hour: t.hour,
            day: &t.office_day,
        };
        self.each(keys, |g| g.ticket(t));
    }

    pub fn walk_in(&mut self, w: &WalkInRow) {
        self.outcome(w.service_id, &w.outcome, 1);
        let keys = Keys {
            service: w.service_id,
            counter: Some(w.counter_id),
            clerk: Some(w.user_id),
            weekday: w.weekday,
            hour: w.hour,
            day: &w.office_day,
        };
        self.each(keys, |g| g.walk_in(w));
    }

    pub fn rating(&mut self, r: &RatingRow) {
        let keys = Keys {
            service: r.service_id,
            counter: r.counter_id,
            clerk: r.user_id,
            weekday: r.weekday,
            hour: r.hour,
            day: &r.office_day,
        };
        self.each(keys, |g| g.rating(r));
    }

    /// Counts a cell of rows counted elsewhere: the same as counting its rows one by one.
    pub fn cell(&mut self, c: &Cell) {
        self.arrivals[usize::from(c.weekday.clamp(1, 7) - 1)][usize::from(c.hour.min(23))] += c.issued;
        for (o, n) in &c.outcomes {
            if *n > 0 {
                self.outcome(c.service_id, o, *n);
            }
        }
        let keys = Keys {
            service: c.service_id,
            counter: c.counter_id,
            clerk: c.user_id,
            weekday: c.weekday,
            hour: c.hour,
            day: &c.office_day,
        };
        self.each(keys, |g| g.cell(c));
    }

    pub fn pause(&mut self, p: &PauseRow) {
        let e = self.pauses.entry(p.reason.as_str()).or_default();
        e.0 += 1;
        e.1 += p.secs;
    }

    /// Adds what another accumulator counted (other rows of the same range) to this one: two
    /// halves of a range counted side by side give the same statistics as the whole.
    pub fn merge(&mut self, o: Accumulator) {
        self.total.merge(o.total);
        self.by_service.merge(o.by_service);
        self.by_counter.merge(o.by_counter);
        self.by_clerk.merge(o.by_clerk);
        self.by_weekday.merge(o.by_weekday);
        self.by_hour.merge(o.by_hour);
        self.by_day.merge(o.by_day);
        for (mine, theirs) in self.arrivals.iter_mut().zip(o.arrivals) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        for ((service, code), n) in o.outcomes {
            self.outcome(service, &code, n);
        }
        for (reason, (count, secs)) in o.pauses {
            let e = self.pauses.entry(reason).or_default();
            e.0 += count;
            e.1 += secs;
        }
    }

    fn outcome(&mut self, service: i64, code: &Code, n: u32) {
        match self.outcomes.iter_mut().find(|((s, c), _)| *s == service && c == code) {
            Some((_, count)) => *count += n,
            None => self.outcomes.push(((service, code.clone()), n)),
        }
    }

    pub fn finish(mut self) -> Stats {
        self.outcomes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Stats {
            total: self.total.finish(0),
            by_service: self.by_service.finish(0),
            by_counter: self.by_counter.finish(0),
            by_clerk: self.by_clerk.finish(MIN_RATINGS_PER_CLERK),
            by_weekday: self.by_weekday.finish(0),
            by_hour: self.by_hour.finish(0),
            by_day: self.by_day.finish(0),
            arrivals: self.arrivals.iter().map(|r| r.to_vec()).collect(),
            outcomes: self
                .outcomes
                .into_iter()
                .map(|((service_id, outcome), count)| OutcomeCount {
                    service_id,
                    outcome,
                    count,
                })
                .collect(),
            pauses: self
                .pauses
                .into_iter()
                .filter_map(|(reason, (count, secs))| {
                    Some(PauseTotal {
                        reason: reason.parse().ok()?,
                        count,
                        secs,
                    })
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(service_id: i64, state: TicketState, wait: Option<u32>, service: Option<u32>) -> TicketRow {
        TicketRow {
            office_day: "2026-11-26".into(),
            service_id,
            counter_id: Some(1),
            user_id: Some(7),
            state,
            priority: false,
            weekday: 4,
            hour: 9,
            wait_secs: wait,
            service_secs: service,
            outcome: (state == TicketState::Done).then(|| "certificato".parse().unwrap()),
            transfers: 0,
            target_wait_minutes: Some(10),
        }
    }

    fn rating(rating: Rating, reason: Option<BadReason>) -> RatingRow {
        RatingRow {
            office_day: "2026-11-26".into(),
            service_id: 1,
            counter_id: Some(1),
            user_id: Some(7),
            weekday: 4,
            hour: 9,
            rating,
            reason,
        }
    }

    /// Percentiles by nearest rank on known sets: the value at rank ⌈p·n/100⌉.
    #[test]
    fn percentiles_are_exact_by_nearest_rank() {
        let check = |values: &[u32], median: u32, p90: u32, mean: f64, max: u32| {
            let mut h = Histogram::default();
            for &v in values {
                h.add(v);
            }
            let d = h.durations();
            assert_eq!(
                (d.count as usize, d.median_secs, d.p90_secs, d.mean_secs, d.max_secs),
                (values.len(), Some(median), Some(p90), Some(mean), Some(max)),
                "{values:?}"
            );
        };
        check(&[60], 60, 60, 60.0, 60);
        check(&[10, 20], 10, 20, 15.0, 20);
        check(&[30, 10, 20], 20, 30, 20.0, 30);
        check(&(1..=10).map(|i| i * 60).collect::<Vec<_>>(), 300, 540, 330.0, 600);
        check(&(1..=100).collect::<Vec<_>>(), 50, 90, 50.5, 100);
        // Waits past four hours (kept apart from the per-second counts) rank with the others.
        check(&[5, 20_000, 15_000, 10], 10, 20_000, 8753.75, 20_000);
        let mut empty = Histogram::default();
        assert_eq!(empty.durations(), Durations::default());
    }

    /// Rows counted in two accumulators and merged give the statistics of all of them counted in one:
    /// the store counts the halves of a long range side by side.
    #[test]
    fn halves_merged_equal_the_whole() {
        let rows: Vec<TicketRow> = (0..400u32)
            .map(|i| {
                let state = [TicketState::Done, TicketState::NoShow, TicketState::Cancelled][i as usize % 3];
                TicketRow {
                    office_day: format!("2026-11-{:02}", 1 + i % 20),
                    counter_id: Some(i64::from(i % 4)),
                    user_id: (i % 5 != 0).then_some(i64::from(i % 6)),
                    weekday: (i % 7 + 1) as u8,
                    hour: (8 + i % 9) as u8,
                    priority: i % 11 == 0,
                    transfers: i % 13 / 12,
                    ..ticket(
                        i64::from(i % 3 + 1),
                        state,
                        (state != TicketState::Cancelled).then_some(i * 37 % 20_000),
                        Some(i * 53 % 1_800),
                    )
                }
            })
            .collect();
        let ratings: Vec<RatingRow> = (0..60u32)
            .map(|i| RatingRow {
                office_day: format!("2026-11-{:02}", 1 + i % 20),
                ..rating(
                    [Rating::Good, Rating::Neutral, Rating::Bad][i as usize % 3],
                    (i % 3 == 2).then_some(BadReason::WaitingTime),
                )
            })
            .collect();
        let mut whole = Accumulator::new();
        let (mut first, mut second) = (Accumulator::new(), Accumulator::new());
        for (i, t) in rows.iter().enumerate() {
            whole.ticket(t);
            if i < 170 { first.ticket(t) } else { second.ticket(t) }
        }
        for (i, r) in ratings.iter().enumerate() {
            whole.rating(r);
            if i % 2 == 0 { first.rating(r) } else { second.rating(r) }
        }
        first.merge(second);
        assert_eq!(first.finish(), whole.finish());
    }

    /// Rows grouped into cells (office day, service, counter, clerk, weekday, hour), as the centre's
    /// rollup groups them.
    fn cells_of(tickets: &[TicketRow], walk_ins: &[WalkInRow], ratings: &[RatingRow]) -> Vec<Cell> {
        type Key = (String, i64, Option<i64>, Option<i64>, u8, u8);
        let mut cells: BTreeMap<Key, Cell> = BTreeMap::new();
        fn cell(cells: &mut BTreeMap<Key, Cell>, k: Key, target: Option<u32>) -> &mut Cell {
            cells.entry(k.clone()).or_insert_with(|| Cell {
                office_day: k.0,
                service_id: k.1,
                counter_id: k.2,
                user_id: k.3,
                weekday: k.4,
                hour: k.5,
                target_wait_minutes: target,
                ..Cell::default()
            })
        }
        fn bump<T: PartialEq>(list: &mut Vec<(T, u32)>, v: T) {
            match list.iter_mut().find(|(x, _)| *x == v) {
                Some((_, n)) => *n += 1,
                None => list.push((v, 1)),
            }
        }
        for t in tickets {
            let c = cell(
                &mut cells,
                (
                    t.office_day.clone(),
                    t.service_id,
                    t.counter_id,
                    t.user_id,
                    t.weekday,
                    t.hour,
                ),
                t.target_wait_minutes,
            );
            c.issued += 1;
            match t.state {
                TicketState::Done => c.served += 1,
                TicketState::NoShow => c.no_show += 1,
                TicketState::Cancelled => c.cancelled += 1,
                TicketState::Expired => c.expired += 1,
                _ => {}
            }
            c.transferred += u32::from(t.transfers > 0);
            c.priority += u32::from(t.priority);
            if let Some(w) = t.wait_secs {
                bump(&mut c.waits, w);
            }
            if t.state == TicketState::Done {
                if let Some(s) = t.service_secs {
                    bump(&mut c.services, s);
                }
                if let Some(o) = &t.outcome {
                    bump(&mut c.outcomes, o.clone());
                }
            }
        }
        for w in walk_ins {
            let c = cell(
                &mut cells,
                (
                    w.office_day.clone(),
                    w.service_id,
                    Some(w.counter_id),
                    Some(w.user_id),
                    w.weekday,
                    w.hour,
                ),
                None,
            );
            c.walk_ins += 1;
            bump(&mut c.services, w.service_secs);
            bump(&mut c.outcomes, w.outcome.clone());
        }
        for r in ratings {
            let c = cell(
                &mut cells,
                (
                    r.office_day.clone(),
                    r.service_id,
                    r.counter_id,
                    r.user_id,
                    r.weekday,
                    r.hour,
                ),
                None,
            );
            match r.rating {
                Rating::Good => c.good += 1,
                Rating::Neutral => c.neutral += 1,
                Rating::Bad => c.bad += 1,
            }
            if let Some(reason) = r.reason {
                bump(&mut c.reasons, reason);
            }
        }
        // A cell of ratings only still knows its service's target, as the centre's join gives it.
        let targets: BTreeMap<i64, Option<u32>> =
            tickets.iter().map(|t| (t.service_id, t.target_wait_minutes)).collect();
        cells
            .into_values()
            .map(|mut c| {
                c.target_wait_minutes = targets.get(&c.service_id).copied().flatten();
                c
            })
            .collect()
    }

    /// Cells of rows give, to the last percentile, the statistics of the rows counted one by one: the
    /// centre's year read from its rollup is the year of its rows.
    #[test]
    fn cells_count_as_their_rows() {
        let states = [
            TicketState::Done,
            TicketState::NoShow,
            TicketState::Cancelled,
            TicketState::Expired,
            TicketState::Waiting,
            TicketState::Done,
        ];
        let tickets: Vec<TicketRow> = (0..3000u32)
            .map(|i| {
                let state = states[i as usize % states.len()];
                let called = !matches!(state, TicketState::Cancelled | TicketState::Waiting);
                TicketRow {
                    office_day: format!("2026-10-{:02}", 1 + i % 9),
                    counter_id: (called || i % 4 == 0).then_some(i64::from(i % 5)),
                    user_id: called.then_some(i64::from(i % 7)),
                    weekday: (i % 9 % 7 + 1) as u8,
                    hour: (8 + i % 6) as u8,
                    priority: i % 11 == 0,
                    transfers: u32::from(i % 17 == 0),
                    // Waits from seconds to past the four hours counted per second.
                    target_wait_minutes: [Some(10), None, Some(30)][(i % 3) as usize],
                    ..ticket(
                        i64::from(i % 3 + 1),
                        state,
                        called.then_some(i * 7919 % 16_000),
                        (i % 23 != 0).then_some(i * 53 % 2_400),
                    )
                }
            })
            .map(|mut t| {
                // One target per service, as a service has.
                t.target_wait_minutes = [Some(10), None, Some(30)][(t.service_id - 1) as usize];
                if t.state == TicketState::Done && t.service_id == 2 {
                    t.outcome = Some("altro".parse().unwrap());
                }
                t
            })
            .collect();
        let walk_ins: Vec<WalkInRow> = (0..200u32)
            .map(|i| WalkInRow {
                office_day: format!("2026-10-{:02}", 1 + i % 9),
                service_id: i64::from(i % 3 + 1),
                counter_id: i64::from(i % 5),
                user_id: i64::from(i % 7),
                weekday: (i % 9 % 7 + 1) as u8,
                hour: (8 + i % 6) as u8,
                service_secs: i * 31 % 900,
                outcome: "informazioni".parse().unwrap(),
            })
            .collect();
        let ratings: Vec<RatingRow> = (0..900u32)
            .map(|i| RatingRow {
                office_day: format!("2026-10-{:02}", 1 + i % 9),
                service_id: i64::from(i % 3 + 1),
                counter_id: (i % 10 != 0).then_some(i64::from(i % 5)),
                user_id: (i % 10 != 0).then_some(i64::from(i % 7)),
                weekday: (i % 9 % 7 + 1) as u8,
                hour: (8 + i % 7) as u8,
                ..rating(
                    [Rating::Good, Rating::Neutral, Rating::Bad][i as usize % 3],
                    (i % 3 == 2).then_some([BadReason::WaitingTime, BadReason::ProblemNotSolved][i as usize % 2]),
                )
            })
            .collect();
        let mut rows = Accumulator::new();
        tickets.iter().for_each(|t| rows.ticket(t));
        walk_ins.iter().for_each(|w| rows.walk_in(w));
        ratings.iter().for_each(|r| rows.rating(r));
        let cells = cells_of(&tickets, &walk_ins, &ratings);
        assert!(cells.len() < tickets.len() / 2, "cells group rows: {}", cells.len());
        let mut from_cells = Accumulator::new();
        cells.iter().for_each(|c| from_cells.cell(c));
        let (rows, from_cells) = (rows.finish(), from_cells.finish());
        assert!(
            rows.total.wait.max_secs > Some(HISTOGRAM_SECS as u32),
            "waits past four hours are tested"
        );
        assert!(rows.by_clerk.iter().any(|g| g.figures.satisfaction.is_some()));
        assert_eq!(from_cells, rows);
        // A cell counted twice is not the same: the comparison sees a difference.
        let mut twice = Accumulator::new();
        cells.iter().for_each(|c| twice.cell(c));
        twice.cell(&cells[0]);
        assert_ne!(twice.finish(), rows);
    }

    #[test]
    fn figures_of_a_known_day() {
        let mut acc = Accumulator::new();
        // Eight tickets called after 1..8 minutes and served in 5 each; a no-show called after 25
        // minutes; one cancelled and one expired before their call.
        for i in 1..=8 {
            acc.ticket(&ticket(1, TicketState::Done, Some(i * 60), Some(300)));
        }
        acc.ticket(&ticket(1, TicketState::NoShow, Some(25 * 60), None));
        acc.ticket(&ticket(2, TicketState::Cancelled, None, None));
        acc.ticket(&TicketRow {
            transfers: 1,
            priority: true,
            ..ticket(2, TicketState::Expired, None, None)
        });
        acc.walk_in(&WalkInRow {
            office_day: "2026-11-26".into(),
            service_id: 2,
            counter_id: 1,
            user_id: 7,
            weekday: 4,
            hour: 11,
            service_secs: 600,
            outcome: "informazioni".parse().unwrap(),
        });
        // Nine ratings: six good, two neutral, one bad for the wait.
        for _ in 0..6 {
            acc.rating(&rating(Rating::Good, None));
        }
        for _ in 0..2 {
            acc.rating(&rating(Rating::Neutral, None));
        }
        acc.rating(&rating(Rating::Bad, Some(BadReason::WaitingTime)));
        acc.pause(&PauseRow {
            reason: PauseReason::Break,
            counter_id: 1,
            user_id: 7,
            secs: 900,
        });
        acc.pause(&PauseRow {
            reason: PauseReason::Break,
            counter_id: 1,
            user_id: 7,
            secs: 300,
        });
        let stats = acc.finish();
        let t = &stats.total;
        assert_eq!(
            (
                t.issued,
                t.served,
                t.no_show,
                t.cancelled,
                t.expired,
                t.transferred,
                t.walk_ins,
                t.priority
            ),
            (11, 8, 1, 1, 1, 1, 1, 1)
        );
        // Waits 1..8 minutes and 25: median the 5th (5 min), p90 the 9th (25 min).
        assert_eq!(
            (t.wait.count, t.wait.median_secs, t.wait.p90_secs),
            (9, Some(300), Some(1500))
        );
        assert_eq!((t.long_waits, t.long_wait_share), (1, Some(1.0 / 9.0)));
        // Target 10 minutes: all but the 25-minute wait.
        assert_eq!(t.within_target_share, Some(8.0 / 9.0));
        // Service: eight of 5 minutes and one visit without ticket of 10.
        assert_eq!(
            (t.service.count, t.service.median_secs, t.service.max_secs),
            (9, Some(300), Some(600))
        );
        let s = t.satisfaction.as_ref().unwrap();
        assert_eq!((s.responses, s.good, s.neutral, s.bad), (9, 6, 2, 1));
        assert_eq!(s.participation, Some(1.0), "nine ratings for nine visits served");
        assert_eq!(s.index, Some((600.0 + 100.0) / 9.0));
        assert_eq!(s.reasons.get("waiting_time"), Some(&1));
        // Per service; the clerk's satisfaction is withheld with fewer than ten ratings.
        assert_eq!(
            stats.by_service.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
            ["1", "2"]
        );
        assert_eq!(stats.by_service[1].figures.walk_ins, 1);
        assert_eq!(stats.by_clerk[0].figures.satisfaction, None);
        assert_eq!(stats.by_clerk[0].figures.served, 8);
        // Arrivals: eleven on Thursday at 9.
        assert_eq!(stats.arrivals[3][9], 11);
        assert_eq!(stats.arrivals.iter().flatten().sum::<u32>(), 11);
        assert_eq!(
            stats.outcomes,
            [
                OutcomeCount {
                    service_id: 1,
                    outcome: "certificato".parse().unwrap(),
                    count: 8
                },
                OutcomeCount {
                    service_id: 2,
                    outcome: "informazioni".parse().unwrap(),
                    count: 1
                }
            ]
        );
        assert_eq!(
            stats.pauses,
            [PauseTotal {
                reason: PauseReason::Break,
                count: 2,
                secs: 1200
            }]
        );
    }

    #[test]
    fn a_clerk_with_ten_ratings_shows_satisfaction() {
        let mut acc = Accumulator::new();
        for _ in 0..10 {
            acc.ticket(&ticket(1, TicketState::Done, Some(60), Some(60)));
            acc.rating(&rating(Rating::Bad, Some(BadReason::ProblemNotSolved)));
        }
        let stats = acc.finish();
        let s = stats.by_clerk[0]
            .figures
            .satisfaction
            .as_ref()
            .expect("ten ratings are shown");
        assert_eq!((s.responses, s.index), (10, Some(0.0)));
    }
}
