//! Generated history: past office days of a registry office's realistic shape, for the demo (three
//! months, so that whoever opens the statistics first sees what they are for) and, scaled up, for the
//! benchmarks (a large office's year). Seeded and reproducible. Each day is played out: arrivals by
//! the hour (the morning peak, two afternoons a week), service times log-normal per service, counters
//! calling by the office's real call policy (`turno_shared::domain::choose_next`), no-shows, priority,
//! transfers to another service (3% of visits), visits without a ticket (3%), outcomes and ratings.

use std::collections::{HashMap, VecDeque};

use jiff::civil::{Date, Weekday};
use turno_shared::api::WalkIn;
use turno_shared::domain::{CallPolicy, Candidate, choose_next};

use crate::AppState;
use crate::error::{Error, Result};
use crate::store::history::{self as past, PastTicket, Step};
use crate::store::office as cfg;
use crate::store::tickets::insert_walk_in;

/// How much history to make.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Office days before `until` (Sundays are closed and not counted).
    pub days: u32,
    /// Tickets on an ordinary weekday morning, in all services.
    pub tickets_per_day: u32,
    pub seed: u64,
}

/// A small, fast, seeded generator (xorshift64*): reproducible history without a dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Log-normal with this median and spread (sigma of the logarithm).
    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        median * (sigma * normal).exp()
    }

    fn pick<'a, T>(&mut self, weighted: &'a [(T, f64)]) -> &'a T {
        let total: f64 = weighted.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (item, w) in weighted {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &weighted[weighted.len() - 1].0
    }
}

/// Opening windows of a weekday, local minutes from midnight; an empty list when closed.
fn windows(day: Weekday) -> &'static [(u32, u32)] {
    match day {
        Weekday::Tuesday | Weekday::Thursday => &[(8 * 60 + 30, 12 * 60 + 30), (14 * 60 + 30, 16 * 60 + 30)],
        Weekday::Saturday => &[(8 * 60 + 30, 11 * 60 + 30)],
        Weekday::Sunday => &[],
        _ => &[(8 * 60 + 30, 12 * 60 + 30)],
    }
}

/// How busy a weekday is, against an ordinary morning.
fn weekday_load(day: Weekday) -> f64 {
    match day {
        Weekday::Monday => 1.25,
        Weekday::Friday => 0.85,
        Weekday::Saturday => 0.45,
        _ => 1.0,
    }
}

/// The arrival rate at a minute of an opening window: a peak an hour after opening.
fn arrival_weight(minute: u32, window: (u32, u32)) -> f64 {
    let since_open = f64::from(minute - window.0) / 60.0;
    let peak = (-((since_open - 1.0).powi(2)) / 0.8).exp();
    0.35 + peak
}

struct Service {
    id: i64,
    prefix: char,
    target: Option<u32>,
    outcomes: Vec<String>,
    /// Median service time in seconds.
    median_secs: f64,
    share: f64,
}

struct Counter {
    id: i64,
    user_id: Option<i64>,
    /// Service ids in order of preference.
    services: Vec<i64>,
}

/// Writes `opts.days` past office days before `until`, unless the office already has tickets before it.
/// Returns how many tickets were written.
pub async fn generate(state: &AppState, until: Date, opts: Options) -> Result<u64> {
    let day_before = until.to_string();
    if opts.days == 0
        || state
            .store
            .read(move |c| past::has_tickets_before(c, &day_before))
            .await?
    {
        return Ok(0);
    }
    let (services, counters) = state
        .store
        .read(|c| {
            let services = cfg::list_services(c)?;
            let counters = cfg::list_counters(c)?;
            let users = cfg::list_users(c)?;
            Ok((services, counters, users))
        })
        .await
        .map(|(services, counters, users)| {
            let clerks: Vec<i64> = users
                .iter()
                .filter(|u| u.role == turno_shared::domain::Role::Clerk && u.active)
                .map(|u| u.id)
                .collect();
            let services: Vec<Service> = services
                .into_iter()
                .filter(|s| s.config.active)
                .enumerate()
                .map(|(i, s)| Service {
                    id: s.id,
                    prefix: s.config.prefix.as_char(),
                    target: s.config.target_wait_minutes,
                    outcomes: s.config.outcomes.iter().map(|o| o.code.to_string()).collect(),
                    // The first service (the registry office) is the busiest and the quickest.
                    median_secs: [300.0, 540.0, 600.0, 720.0, 240.0, 180.0][i % 6],
                    share: [0.42, 0.12, 0.16, 0.08, 0.10, 0.12][i % 6],
                })
                .collect();
            let counters: Vec<Counter> = counters
                .into_iter()
                .filter(|k| k.config.active)
                .enumerate()
                .map(|(i, k)| Counter {
                    id: k.id,
                    user_id: clerks.get(i % clerks.len().max(1)).copied(),
                    services: k.config.services,
                })
                .collect();
            (services, counters)
        })?;
    if services.is_empty() || counters.is_empty() {
        return Ok(0);
    }
    let mut rng = Rng::new(opts.seed);
    let mut day = until;
    let mut days = Vec::new();
    while days.len() < opts.days as usize {
        day = day.yesterday().map_err(Error::internal)?;
        if !windows(day.weekday()).is_empty() {
            days.push(day);
        }
    }
    days.reverse();
    let policy = state.office.policy;
    let mut written = 0;
    for day in days {
        let (tickets, walk_ins) = play_day(&mut rng, state, day, &services, &counters, opts.tickets_per_day, policy)?;
        written += tickets.len() as u64;
        state
            .store
            .write(move |ctx| {
                for t in &tickets {
                    past::insert(ctx.conn, t)?;
                }
                for w in &walk_ins {
                    insert_walk_in(ctx.conn, w, None)?;
                }
                Ok(())
            })
            .await?;
    }
    Ok(written)
}

/// A ticket of the day being played.
struct Sim {
    service: usize,
    arrival: i64,
    priority: bool,
}

/// Plays one office day: arrivals, counters calling by the policy, service, transfers, outcomes,
/// ratings; and visits without a ticket.
fn play_day(
    rng: &mut Rng,
    state: &AppState,
    day: Date,
    services: &[Service],
    counters: &[Counter],
    per_day: u32,
    policy: CallPolicy,
) -> Result<(Vec<PastTicket>, Vec<WalkIn>)> {
    let midnight = day
        .to_zoned(state.office.tz.clone())
        .map_err(Error::internal)?
        .timestamp()
        .as_millisecond();
    let at = |minute: f64| -> Result<i64> { Ok(midnight + (minute * 60_000.0) as i64) };
    // Arrivals: each window's share of the day's tickets, spread by the hour's weight.
    let windows = windows(day.weekday());
    let expected = f64::from(per_day) * weekday_load(day.weekday());
    let shares: Vec<(usize, f64)> = services.iter().enumerate().map(|(i, s)| (i, s.share)).collect();
    let mut sims = Vec::new();
    for &w in windows {
        // An afternoon is quieter than a morning.
        let scale = if w.0 >= 13 * 60 { 0.35 } else { 1.0 } * expected / 240.0;
        for minute in w.0..w.1 {
            let rate = scale * arrival_weight(minute, w) / 0.95;
            let mut arrivals = rate;
            while arrivals > 0.0 {
                if rng.unit() < arrivals.min(1.0) {
                    let service = *rng.pick(&shares);
                    let second = rng.unit();
                    sims.push(Sim {
                        service,
                        arrival: at(f64::from(minute) + second)?,
                        priority: rng.chance(0.07),
                    });
                }
                arrivals -= 1.0;
            }
        }
    }
    sims.sort_by_key(|s| s.arrival);
    let close = at(f64::from(windows.last().map_or(0, |w| w.1)) + 90.0)?;

    // Waiting tickets by service, and the counters' next free moment.
    let mut queue: HashMap<i64, VecDeque<usize>> = HashMap::new();
    let mut next_arrival = 0;
    let mut free: Vec<(i64, u32)> = counters
        .iter()
        .map(|_| (sims.first().map_or(close, |s| s.arrival), 0))
        .collect();
    let mut out: Vec<Option<PastTicket>> = (0..sims.len()).map(|_| None).collect();
    // What happened to a ticket before it was transferred: its steps so far, its first call, and the
    // prefix of its number (kept when its service changes).
    let mut before: Vec<Vec<Step>> = (0..sims.len()).map(|_| Vec::new()).collect();
    let mut first_called: Vec<Option<i64>> = vec![None; sims.len()];
    let mut transfers: Vec<u32> = vec![0; sims.len()];
    let prefixes: Vec<char> = sims.iter().map(|s| services[s.service].prefix).collect();
    // Transferred tickets on their way to their new queue: (when they join it, ticket), in time order.
    let mut sent_on: Vec<(i64, usize)> = Vec::new();
    let mut seqs: HashMap<char, u32> = HashMap::new();
    let numbers: Vec<u32> = sims
        .iter()
        .map(|s| {
            let n = seqs.entry(services[s.service].prefix).or_insert(0);
            *n += 1;
            *n
        })
        .collect();
    // The counter free soonest calls next.
    while let Some((k, &(now, streak))) = free.iter().enumerate().min_by_key(|(_, f)| f.0) {
        if now >= close {
            break;
        }
        while next_arrival < sims.len() && sims[next_arrival].arrival <= now {
            queue
                .entry(services[sims[next_arrival].service].id)
                .or_default()
                .push_back(next_arrival);
            next_arrival += 1;
        }
        // Transferred tickets join their new queue once sent, in arrival order.
        while let Some(&(sent, i)) = sent_on.first()
            && sent <= now
        {
            sent_on.remove(0);
            let waiting = queue.entry(services[sims[i].service].id).or_default();
            let at = waiting
                .iter()
                .position(|&j| sims[j].arrival > sims[i].arrival)
                .unwrap_or(waiting.len());
            waiting.insert(at, i);
        }
        let counter = &counters[k];
        let candidates: Vec<Candidate> = counter
            .services
            .iter()
            .enumerate()
            .filter_map(|(rank, sid)| {
                let head = *queue.get(sid)?.front()?;
                let s = services.iter().find(|s| s.id == *sid)?;
                // Priority tickets are looked for beyond the head of the queue.
                let best = queue[sid].iter().copied().find(|&i| sims[i].priority).unwrap_or(head);
                Some(Candidate {
                    ticket_id: best as i64,
                    rank: rank as u32 + 1,
                    arrival_ms: sims[best].arrival,
                    priority: sims[best].priority,
                    target_wait_minutes: s.target,
                })
            })
            .collect();
        let Some(choice) = choose_next(&candidates, streak, policy, now) else {
            // Nothing for this counter: it waits for the next arrival or transfer (or the day ends).
            let next = sims
                .get(next_arrival)
                .map(|s| s.arrival)
                .into_iter()
                .chain(sent_on.first().map(|s| s.0));
            free[k].0 = next.min().map_or(close, |at| at.max(now + 1));
            continue;
        };
        let i = choice.ticket_id as usize;
        let sid = services[sims[i].service].id;
        if let Some(q) = queue.get_mut(&sid) {
            q.retain(|&j| j != i);
        }
        let s = &services[sims[i].service];
        let called = now;
        first_called[i].get_or_insert(called);
        if before[i].is_empty() {
            before[i].push(Step {
                action: "issue",
                from_state: None,
                to_state: "waiting",
                at: sims[i].arrival,
                service_id: sid,
                counter_id: None,
                user_id: None,
            });
        }
        // Now and then the citizen turns out to need another service: started here, sent there, and
        // back in the queue with the arrival time kept.
        if transfers[i] == 0 && services.len() > 1 && rng.chance(0.03) {
            let others: Vec<(usize, f64)> = services
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != sims[i].service)
                .map(|(j, o)| (j, o.share))
                .collect();
            let to = *rng.pick(&others);
            let start = called + 20_000 + (rng.unit() * 40_000.0) as i64;
            let sent = start + (rng.log_normal(120.0, 0.5).clamp(30.0, 900.0) * 1000.0) as i64;
            let by = (Some(counter.id), counter.user_id);
            before[i].extend([
                Step {
                    action: "call",
                    from_state: Some("waiting"),
                    to_state: "called",
                    at: called,
                    service_id: sid,
                    counter_id: by.0,
                    user_id: by.1,
                },
                Step {
                    action: "start",
                    from_state: Some("called"),
                    to_state: "serving",
                    at: start,
                    service_id: sid,
                    counter_id: by.0,
                    user_id: by.1,
                },
                Step {
                    action: "transfer",
                    from_state: Some("serving"),
                    to_state: "waiting",
                    at: sent,
                    service_id: services[to].id,
                    counter_id: by.0,
                    user_id: by.1,
                },
            ]);
            transfers[i] += 1;
            sims[i].service = to;
            let at = sent_on.partition_point(|&(t, _)| t <= sent);
            sent_on.insert(at, (sent, i));
            free[k] = (sent + 15_000, choice.urgent_streak);
            continue;
        }
        let (state, started, finished, outcome) = if rng.chance(0.04) {
            ("no_show", None, Some(called + 120_000), None)
        } else {
            let start = called + 20_000 + (rng.unit() * 40_000.0) as i64;
            let secs = rng.log_normal(s.median_secs, 0.55).clamp(40.0, 3600.0);
            let outcome = s.outcomes[if rng.chance(0.6) {
                0
            } else {
                (rng.next() % s.outcomes.len() as u64) as usize
            }]
            .clone();
            ("done", Some(start), Some(start + (secs * 1000.0) as i64), Some(outcome))
        };
        free[k] = (finished.unwrap_or(called) + 15_000, choice.urgent_streak);
        let mut steps = std::mem::take(&mut before[i]);
        steps.extend([Step {
            action: "call",
            from_state: Some("waiting"),
            to_state: "called",
            at: called,
            service_id: sid,
            counter_id: Some(counter.id),
            user_id: counter.user_id,
        }]);
        if let Some(start) = started {
            steps.push(Step {
                action: "start",
                from_state: Some("called"),
                to_state: "serving",
                at: start,
                service_id: sid,
                counter_id: Some(counter.id),
                user_id: counter.user_id,
            });
        }
        steps.push(Step {
            action: if state == "done" { "finish" } else { "no_show" },
            from_state: Some(if started.is_some() { "serving" } else { "called" }),
            to_state: state,
            at: finished.unwrap_or(called),
            service_id: sid,
            counter_id: Some(counter.id),
            user_id: counter.user_id,
        });
        // A quarter of those served rate the visit; the longer the wait, the worse.
        let rating = (state == "done" && rng.chance(0.27)).then(|| {
            let waited_min = (called - sims[i].arrival) as f64 / 60_000.0;
            let bad = (0.04 + waited_min / 250.0).min(0.5);
            let face = *rng.pick(&[("good", 0.78 - bad), ("neutral", 0.22), ("bad", bad)]);
            let reason = (face == "bad").then(|| {
                *rng.pick(&[
                    ("waiting_time", 0.45),
                    ("staff_courtesy", 0.1),
                    ("unclear_information", 0.2),
                    ("problem_not_solved", 0.25),
                ])
            });
            (face, reason, finished.unwrap_or(called) + 60_000)
        });
        out[i] = Some(PastTicket {
            office_day: day.to_string(),
            prefix: prefixes[i],
            seq: numbers[i],
            service_id: sid,
            priority: sims[i].priority,
            language: [Some("it"), Some("it"), Some("it"), Some("en"), None][(rng.next() % 5) as usize],
            token: format!("{:016x}{:016x}", rng.next(), rng.next()),
            state,
            issued_at: sims[i].arrival,
            first_called_at: first_called[i],
            called_at: Some(called),
            started_at: started,
            finished_at: finished,
            counter_id: Some(counter.id),
            user_id: counter.user_id,
            outcome,
            transfers: transfers[i],
            steps,
            rating,
        });
    }
    let walk_ins = walk_ins(rng, day, services, counters, &out, windows, midnight);
    // Who was still waiting at closing time went home: closed at the end of the day.
    let tickets = out
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            t.unwrap_or_else(|| {
                let s = &services[sims[i].service];
                let mut steps = std::mem::take(&mut before[i]);
                if steps.is_empty() {
                    steps.push(Step {
                        action: "issue",
                        from_state: None,
                        to_state: "waiting",
                        at: sims[i].arrival,
                        service_id: s.id,
                        counter_id: None,
                        user_id: None,
                    });
                }
                steps.push(Step {
                    action: "expire",
                    from_state: Some("waiting"),
                    to_state: "expired",
                    at: close,
                    service_id: s.id,
                    counter_id: None,
                    user_id: None,
                });
                PastTicket {
                    office_day: day.to_string(),
                    prefix: prefixes[i],
                    seq: numbers[i],
                    service_id: s.id,
                    priority: sims[i].priority,
                    language: Some("it"),
                    token: format!("{:016x}{:016x}", rng.next(), rng.next()),
                    state: "expired",
                    issued_at: sims[i].arrival,
                    first_called_at: first_called[i],
                    called_at: None,
                    started_at: None,
                    finished_at: Some(close),
                    counter_id: None,
                    user_id: None,
                    outcome: None,
                    transfers: transfers[i],
                    steps,
                    rating: None,
                }
            })
        })
        .collect();
    Ok((tickets, walk_ins))
}

/// Visits without a ticket (a citizen sent straight to a desk, a phone appointment): about one for
/// every thirty visits served, at a counter with a clerk, during opening hours.
fn walk_ins(
    rng: &mut Rng,
    day: Date,
    services: &[Service],
    counters: &[Counter],
    served: &[Option<PastTicket>],
    windows: &[(u32, u32)],
    midnight: i64,
) -> Vec<WalkIn> {
    let done = served.iter().flatten().filter(|t| t.state == "done").count();
    let staffed: Vec<&Counter> = counters.iter().filter(|k| k.user_id.is_some()).collect();
    let mut out = Vec::new();
    if staffed.is_empty() || windows.is_empty() {
        return out;
    }
    for _ in 0..done / 30 {
        let counter = staffed[(rng.next() % staffed.len() as u64) as usize];
        let Some(service) = counter
            .services
            .iter()
            .find_map(|id| services.iter().find(|s| s.id == *id).filter(|_| rng.chance(0.6)))
        else {
            continue;
        };
        let (open, close) = windows[(rng.next() % windows.len() as u64) as usize];
        let minute = f64::from(open) + rng.unit() * f64::from(close - open);
        let started = midnight + (minute * 60_000.0) as i64;
        let secs = rng.log_normal(service.median_secs * 0.8, 0.5).clamp(30.0, 3600.0);
        let finished = started + (secs * 1000.0) as i64;
        let pick = (rng.next() % service.outcomes.len().max(1) as u64) as usize;
        let (Ok(started_at), Ok(finished_at), Some(Ok(outcome))) = (
            jiff::Timestamp::from_millisecond(started),
            jiff::Timestamp::from_millisecond(finished),
            service.outcomes.get(pick).map(|o| o.parse()),
        ) else {
            continue;
        };
        out.push(WalkIn {
            id: 0,
            office_day: day.to_string(),
            service_id: service.id,
            counter_id: counter.id,
            user_id: counter.user_id.unwrap_or_default(),
            started_at,
            finished_at,
            outcome,
            also: Vec::new(),
        });
    }
    out
}
