//! Plays one office day of a scenario into an event log: arrivals by the hour (a Poisson process at
//! each period's rate), log-normal service times, priority, no-shows, transfers, clerks' pauses and
//! counters closing, and every call chosen by the real call policy (`turno_shared::domain::choose_next`)
//! from the candidates the server would give it. Seeded: the same scenario, seed and day give the
//! same log.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use jiff::civil::Date;
use turno_shared::domain::{CallPolicy, Candidate, choose_next};

use crate::log::{Event, Kind};
use crate::scenario::Scenario;
use crate::{Error, Result, Rng};

const MIN: f64 = 60_000.0;
/// The first simulated office day; day `n` is `n` days later.
pub const FIRST_DAY: (i16, i8, i8) = (2026, 3, 2);

/// The office day `n` days after [`FIRST_DAY`], and its midnight (UTC) in milliseconds.
pub fn day_of(n: u32) -> Result<(String, i64)> {
    let first = Date::new(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).map_err(|e| Error::new(e.to_string()))?;
    let day = first
        .checked_add(jiff::Span::new().days(i64::from(n)))
        .map_err(|e| Error::new(format!("day {n}: {e}")))?;
    let midnight = day
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|e| Error::new(e.to_string()))?
        .timestamp()
        .as_millisecond();
    Ok((day.to_string(), midnight))
}

struct Ticket {
    id: i64,
    service: usize,
    arrival: i64,
    priority: bool,
    transferred: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    NotOpen,
    Working,
    Closed,
}

struct Counter {
    services: Vec<usize>,
    close: Option<i64>,
    pauses: Vec<(i64, i64, bool)>,
    streak: u32,
    status: Status,
    /// Only the latest scheduled decision of a counter counts.
    generation: u64,
    idle: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Open(usize),
    Arrive(usize),
    Requeue(usize),
    Decide(usize, u64),
}

/// Plays day `day` (see [`day_of`]) of the scenario with this seed.
pub fn simulate_day(sc: &Scenario, seed: u64, day: u32) -> Result<Vec<Event>> {
    simulate_day_with(sc, seed, day, sc.policy.priority_ratio, sc.policy.ageing)
}

/// As [`simulate_day`], with another call policy.
pub fn simulate_day_with(sc: &Scenario, seed: u64, day: u32, ratio: u32, ageing: bool) -> Result<Vec<Event>> {
    let (date, midnight) = day_of(day)?;
    let mut rng = Rng::new(seed ^ (u64::from(day) << 32));
    let at = |minute: f64| midnight + (minute * MIN) as i64;
    let mut out: Vec<(i64, u64, Event)> = Vec::new();
    let mut seq = 0u64;
    let mut emit = |e: Event| {
        seq += 1;
        out.push((e.at_ms, seq, e));
    };
    let policy = CallPolicy { priority_ratio: ratio };
    let targets: Vec<Option<u32>> = sc
        .services
        .iter()
        .map(|s| if ageing { s.target_wait_minutes } else { None })
        .collect();

    // What the day starts with: the policy and the services.
    let prelude = at(f64::from(sc.open.0) - 30.0);
    let mut e = Event::new(&date, prelude, Kind::Policy);
    e.detail = ratio.to_string();
    emit(e);
    for (i, t) in targets.iter().enumerate() {
        let mut e = Event::new(&date, prelude, Kind::Service);
        e.service = Some(i as i64 + 1);
        e.detail = t.map(|t| t.to_string()).unwrap_or_default();
        emit(e);
        let mut e = Event::new(&date, prelude, Kind::Closes);
        e.service = Some(i as i64 + 1);
        e.detail = jiff::Timestamp::from_millisecond(at(f64::from(sc.close.0)))
            .map_err(|e| Error::new(e.to_string()))?
            .to_string();
        emit(e);
    }

    // Arrivals: each period's share of the day's tickets, a Poisson process at its rate.
    let factor = (sc.day_spread * rng.normal() - sc.day_spread * sc.day_spread / 2.0).exp();
    let total: f64 = sc
        .arrivals
        .iter()
        .map(|a| a.weight * f64::from(a.to.0 - a.from.0))
        .sum();
    let share_total: f64 = sc.services.iter().map(|s| s.share).sum();
    let mut tickets: Vec<Ticket> = Vec::new();
    for a in &sc.arrivals {
        let expected = sc.tickets_per_day * factor * a.weight * f64::from(a.to.0 - a.from.0) / total;
        if expected <= 0.0 {
            continue;
        }
        let mean_gap = f64::from(a.to.0 - a.from.0) / expected;
        let mut minute = f64::from(a.from.0) + rng.exponential(mean_gap);
        while minute < f64::from(a.to.0) {
            let mut x = rng.unit() * share_total;
            let service = sc
                .services
                .iter()
                .position(|s| {
                    x -= s.share;
                    x < 0.0
                })
                .unwrap_or(sc.services.len() - 1);
            tickets.push(Ticket {
                id: i64::from(day) * 100_000 + tickets.len() as i64 + 1,
                service,
                arrival: at(minute),
                priority: rng.chance(sc.priority_share),
                transferred: false,
            });
            minute += rng.exponential(mean_gap);
        }
    }
    tickets.sort_by_key(|t| t.arrival);
    for (i, t) in tickets.iter_mut().enumerate() {
        t.id = i64::from(day) * 100_000 + i as i64 + 1;
    }

    let issue_close = at(f64::from(sc.close.0));
    let hard_close = issue_close + (120.0 * MIN) as i64;
    let mut counters: Vec<Counter> = sc
        .counters
        .iter()
        .map(|k| Counter {
            services: k.services.iter().filter_map(|c| sc.service_index(c)).collect(),
            close: k.close.map(|c| at(f64::from(c.0))),
            pauses: k
                .pauses
                .iter()
                .map(|p| {
                    let start = at(f64::from(p.at.0));
                    (start, (p.minutes * MIN) as i64, false)
                })
                .collect(),
            streak: 0,
            status: Status::NotOpen,
            generation: 0,
            idle: false,
        })
        .collect();

    let mut heap: BinaryHeap<Reverse<(i64, u64, Ev)>> = BinaryHeap::new();
    let mut order = 0u64;
    let mut push = |heap: &mut BinaryHeap<Reverse<(i64, u64, Ev)>>, t: i64, ev: Ev| {
        order += 1;
        heap.push(Reverse((t, order, ev)));
    };
    for (k, c) in sc.counters.iter().enumerate() {
        push(&mut heap, at(f64::from(c.open.unwrap_or(sc.open).0)), Ev::Open(k));
    }
    for (i, t) in tickets.iter().enumerate() {
        push(&mut heap, t.arrival, Ev::Arrive(i));
    }
    // Waiting tickets (indices into `tickets`) by service, in arrival order.
    let mut queues: Vec<Vec<usize>> = vec![Vec::new(); sc.services.len()];
    let mut last = prelude;
    let gap = (sc.clerks.call_gap_secs * 1000.0) as i64;
    let mut candidates: Vec<Candidate> = Vec::new();

    while let Some(Reverse((t, _, ev))) = heap.pop() {
        last = last.max(t);
        let enqueue = |queues: &mut Vec<Vec<usize>>, tickets: &[Ticket], i: usize| {
            let q = &mut queues[tickets[i].service];
            let pos =
                q.partition_point(|&j| (tickets[j].arrival, tickets[j].id) <= (tickets[i].arrival, tickets[i].id));
            q.insert(pos, i);
        };
        let wake = |counters: &mut Vec<Counter>,
                    heap: &mut BinaryHeap<_>,
                    push: &mut dyn FnMut(&mut BinaryHeap<_>, i64, Ev)| {
            for (k, c) in counters.iter_mut().enumerate() {
                if c.status == Status::Working && c.idle {
                    c.idle = false;
                    c.generation += 1;
                    push(heap, t, Ev::Decide(k, c.generation));
                }
            }
        };
        match ev {
            Ev::Open(k) => {
                let c = &mut counters[k];
                if c.close.is_some_and(|close| close <= t) {
                    c.status = Status::Closed;
                    continue;
                }
                c.status = Status::Working;
                let mut e = Event::new(&date, t, Kind::CounterOpen);
                e.counter = Some(k as i64 + 1);
                e.detail = c
                    .services
                    .iter()
                    .map(|s| (s + 1).to_string())
                    .collect::<Vec<_>>()
                    .join(";");
                emit(e);
                c.generation += 1;
                push(&mut heap, t, Ev::Decide(k, c.generation));
            }
            Ev::Arrive(i) => {
                let tk = &tickets[i];
                let mut e = Event::new(&date, t, Kind::Issue);
                e.ticket = Some(tk.id);
                e.service = Some(tk.service as i64 + 1);
                e.priority = tk.priority;
                emit(e);
                enqueue(&mut queues, &tickets, i);
                wake(&mut counters, &mut heap, &mut push);
            }
            Ev::Requeue(i) => {
                enqueue(&mut queues, &tickets, i);
                wake(&mut counters, &mut heap, &mut push);
            }
            Ev::Decide(k, generation) => {
                let c = &mut counters[k];
                if c.status != Status::Working || c.generation != generation {
                    continue;
                }
                let close = |c: &mut Counter, emit: &mut dyn FnMut(Event)| {
                    c.status = Status::Closed;
                    let mut e = Event::new(&date, t, Kind::CounterClose);
                    e.counter = Some(k as i64 + 1);
                    emit(e);
                };
                if c.close.is_some_and(|close| t >= close) || t >= hard_close {
                    close(c, &mut emit);
                    continue;
                }
                // A pause due: taken now, between two visits.
                if let Some(p) = c.pauses.iter_mut().find(|p| !p.2 && p.0 <= t) {
                    p.2 = true;
                    let until = t + p.1;
                    let mut e = Event::new(&date, t, Kind::CounterPause);
                    e.counter = Some(k as i64 + 1);
                    emit(e);
                    let mut e = Event::new(&date, until, Kind::CounterResume);
                    e.counter = Some(k as i64 + 1);
                    emit(e);
                    c.generation += 1;
                    push(&mut heap, until, Ev::Decide(k, c.generation));
                    continue;
                }
                // The candidates the server's query gives the policy.
                candidates.clear();
                for (rank, &s) in c.services.iter().enumerate() {
                    let rank = rank as u32 + 1;
                    let cand = |i: usize| Candidate {
                        ticket_id: i as i64,
                        rank,
                        arrival_ms: tickets[i].arrival,
                        priority: tickets[i].priority,
                        target_wait_minutes: targets[s],
                    };
                    if let Some(&i) = queues[s].iter().find(|&&i| tickets[i].priority) {
                        candidates.push(cand(i));
                    }
                    let mut normal = queues[s].iter().copied().filter(|&i| !tickets[i].priority);
                    if let Some(i) = normal.next() {
                        let oldest = cand(i);
                        candidates.push(oldest);
                        if oldest.is_urgent(t)
                            && let Some(j) = normal.find(|&j| !cand(j).is_urgent(t))
                        {
                            candidates.push(cand(j));
                        }
                    }
                }
                let Some(choice) = choose_next(&candidates, c.streak, policy, t) else {
                    if c.close.is_none()
                        && t >= issue_close
                        && heap
                            .iter()
                            .all(|Reverse((_, _, e))| !matches!(e, Ev::Arrive(_) | Ev::Requeue(_)))
                    {
                        close(c, &mut emit);
                        continue;
                    }
                    // Idle: woken by the next arrival, its pause or its closing time.
                    c.idle = true;
                    c.generation += 1;
                    let next = c
                        .pauses
                        .iter()
                        .filter(|p| !p.2)
                        .map(|p| p.0)
                        .chain(c.close)
                        .chain((c.close.is_none() && t < issue_close).then_some(issue_close))
                        .min();
                    if let Some(next) = next {
                        push(&mut heap, next.max(t + 1), Ev::Decide(k, c.generation));
                    }
                    continue;
                };
                c.streak = choice.urgent_streak;
                let i = choice.ticket_id as usize;
                let s = tickets[i].service;
                queues[s].retain(|&j| j != i);
                let counter = Some(k as i64 + 1);
                let ticket = Some(tickets[i].id);
                let mut e = Event::new(&date, t, Kind::Call);
                (e.ticket, e.counter) = (ticket, counter);
                emit(e);
                let end = if rng.chance(sc.no_show) && !tickets[i].transferred {
                    let end = t + (sc.clerks.no_show_wait_secs * 1000.0) as i64;
                    let mut e = Event::new(&date, end, Kind::NoShow);
                    (e.ticket, e.counter) = (ticket, counter);
                    emit(e);
                    end
                } else {
                    let (lo, hi) = sc.clerks.walk_secs;
                    let start = t + ((lo + rng.unit() * (hi - lo)) * 1000.0) as i64;
                    let svc = &sc.services[s];
                    let secs = rng.log_normal(svc.median_minutes * 60.0, svc.sigma).clamp(20.0, 7200.0);
                    let end = start + (secs * 1000.0) as i64;
                    let mut e = Event::new(&date, start, Kind::Start);
                    (e.ticket, e.counter) = (ticket, counter);
                    emit(e);
                    let transfer = svc
                        .transfer
                        .as_ref()
                        .filter(|tr| !tickets[i].transferred && rng.chance(tr.share))
                        .and_then(|tr| sc.service_index(&tr.to));
                    if let Some(to) = transfer {
                        let mut e = Event::new(&date, end, Kind::Transfer);
                        (e.ticket, e.counter) = (ticket, counter);
                        e.service = Some(to as i64 + 1);
                        emit(e);
                        tickets[i].service = to;
                        tickets[i].transferred = true;
                        push(&mut heap, end, Ev::Requeue(i));
                    } else {
                        let mut e = Event::new(&date, end, Kind::Finish);
                        (e.ticket, e.counter) = (ticket, counter);
                        emit(e);
                    }
                    end
                };
                let c = &mut counters[k];
                c.generation += 1;
                push(&mut heap, end + gap, Ev::Decide(k, c.generation));
            }
        }
    }
    // Whoever still waits when every counter has closed goes home.
    for q in &queues {
        for &i in q {
            let mut e = Event::new(&date, last, Kind::Expire);
            e.ticket = Some(tickets[i].id);
            emit(e);
        }
    }
    out.sort_by_key(|(at, seq, _)| (*at, *seq));
    Ok(out.into_iter().map(|(_, _, e)| e).collect())
}

/// Plays `days` days from `first_day` (seeds `seed`, `seed + 1`, …) into one log.
pub fn simulate_days(sc: &Scenario, seed: u64, first_day: u32, days: u32) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    for d in 0..days {
        out.extend(simulate_day(sc, seed.wrapping_add(u64::from(d)), first_day + d)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        Scenario::parse(include_str!("../scenarios/small-town.toml")).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_day_and_another_seed_another() {
        let sc = scenario();
        let a = simulate_day(&sc, 7, 3).unwrap();
        assert_eq!(a, simulate_day(&sc, 7, 3).unwrap());
        assert_ne!(a, simulate_day(&sc, 8, 3).unwrap());
        assert!(a.iter().filter(|e| e.kind == Kind::Issue).count() > 20);
    }

    #[test]
    fn every_ticket_is_called_or_expires() {
        let sc = scenario();
        let log = simulate_days(&sc, 1, 0, 3).unwrap();
        let mut issued = std::collections::HashMap::new();
        for e in &log {
            match e.kind {
                Kind::Issue => {
                    issued.insert(e.ticket.unwrap(), 0);
                }
                Kind::Call | Kind::Expire => *issued.get_mut(&e.ticket.unwrap()).unwrap() += 1,
                _ => {}
            }
        }
        // A transferred ticket is called twice, never more.
        assert!(issued.values().all(|&n| n == 1 || n == 2), "{issued:?}");
    }
}
