//! The queue's state for the wait estimate (`turno_shared::domain::eta::QueueState`), read in a few
//! indexed queries: today's waiting tickets, the counters with a clerk signed in (services in order
//! of preference, pause, visit in progress, run of urgent calls) and what the server's predictor
//! learns from each service: its latest visits and the last hour's arrivals. The history used only
//! by the evaluator's other predictors (service times from the start, the hour's completions, the
//! last wait) is left empty. The server estimates from the same state kept in memory
//! (`super::queue::LiveQueue`); this reading is what that one is tested against. Also the office's past days as rows for the predictors' event log.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::Connection;
use turno_shared::domain::CallPolicy;
use turno_shared::domain::eta::{CounterMode, CounterState, QueueState, ServiceState, WaitingTicket};

use super::tickets::SERVICE_TIME_SAMPLES;
use crate::error::Result;

pub(super) const HOUR_MS: i64 = 3_600_000;
/// The forward estimate simulates at most this many calls; older tickets than the oldest this many
/// waiting are not read.
pub(super) const MAX_WAITING: u32 = 2000;
/// At most this many of the last hour's issues are read for the arrival rate.
pub(super) const ARRIVALS_READ: u32 = 200;

/// A service as the estimate needs it: its target and when it stops issuing tickets today.
pub struct ServiceRule {
    pub id: i64,
    pub target_wait_minutes: Option<u32>,
    pub closes_at_ms: Option<i64>,
}

/// An active service's target and opening rules, without its texts.
#[derive(Clone, Debug)]
pub struct ServiceHours {
    pub id: i64,
    pub target_wait_minutes: Option<u32>,
    pub hours: turno_shared::domain::WeeklyHours,
    pub closed_days: Vec<turno_shared::api::ClosedDay>,
}

/// The active services' targets and opening rules.
pub fn service_hours(c: &Connection) -> Result<Vec<ServiceHours>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, target_wait_minutes, hours, closed_days FROM services WHERE active = 1 ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ServiceHours {
            id: r.get(0)?,
            target_wait_minutes: r.get(1)?,
            hours: super::office::from_json(&r.get::<_, String>(2)?)?,
            closed_days: super::office::from_json(&r.get::<_, String>(3)?)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The counters with a clerk signed in: services in order of preference, pause, visit in progress,
/// run of urgent calls. Two queries, whatever the number of counters.
pub fn counters(c: &Connection) -> Result<Vec<CounterState>> {
    let mut stmt = c.prepare_cached(
        "SELECT s.counter_id, s.paused_reason IS NOT NULL, COALESCE(s.paused_at, s.opened_at), s.urgent_streak,
                cs.service_id
         FROM counter_sessions s JOIN counters k ON k.id = s.counter_id AND k.active = 1
         LEFT JOIN counter_services cs ON cs.counter_id = s.counter_id
         WHERE s.closed_at IS NULL ORDER BY s.counter_id, cs.rank",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, bool>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, u32>(3)?,
            r.get::<_, Option<i64>>(4)?,
        ))
    })?;
    let mut counters: Vec<CounterState> = Vec::new();
    for row in rows {
        let (id, paused, since, urgent_streak, service) = row?;
        if counters.last().is_none_or(|k| k.id != id) {
            counters.push(CounterState {
                id,
                services: Vec::new(),
                mode: if paused {
                    CounterMode::Paused { since_ms: since }
                } else {
                    CounterMode::Open
                },
                busy: None,
                urgent_streak,
            });
        }
        if let (Some(service), Some(k)) = (service, counters.last_mut()) {
            k.services.push(service);
        }
    }
    // The latest call wins when a counter holds more than one.
    let mut stmt = c.prepare_cached(
        "SELECT counter_id, service_id, called_at FROM tickets
         WHERE state IN ('called', 'serving') AND counter_id IS NOT NULL AND called_at IS NOT NULL
         ORDER BY called_at, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    })?;
    for row in rows {
        let (counter, service, called) = row?;
        // Counters come in id order.
        if let Ok(i) = counters.binary_search_by_key(&counter, |k| k.id) {
            counters[i].busy = Some((service, called));
        }
    }
    Ok(counters)
}

/// The state at `now` of today's queue (tickets issued after `day_start`, the oldest
/// [`MAX_WAITING`] and ticket `include`), with these services and counters.
pub fn queue_state(
    c: &Connection,
    now: Timestamp,
    day_start: Timestamp,
    policy: CallPolicy,
    rules: &[ServiceRule],
    counters: Vec<CounterState>,
    include: Option<i64>,
) -> Result<QueueState> {
    let now_ms = now.as_millisecond();
    let arrivals = {
        let mut stmt = c.prepare_cached(&format!(
            "SELECT e.service_id, t.priority, e.at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
             WHERE e.at > ?1 AND e.action = 'issue' ORDER BY e.at DESC LIMIT {ARRIVALS_READ}"
        ))?;
        let rows: Vec<(i64, bool, i64)> = stmt
            .query_map([now_ms - HOUR_MS], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        arrivals_last_hour(now_ms, rows)
    };
    // Call to finish of the latest visits (the forward estimate's visit time).
    let mut visits = c.prepare_cached(&format!(
        "SELECT (finished_at - called_at) / 1000 FROM tickets
         WHERE state = 'done' AND service_id = ?1 AND called_at IS NOT NULL
         ORDER BY finished_at DESC, id DESC LIMIT {SERVICE_TIME_SAMPLES}"
    ))?;
    let mut services = Vec::new();
    for rule in rules {
        let recent_visit_secs = visits
            .query_map([rule.id], |r| r.get::<_, i64>(0))?
            .map(|r| r.map(|s| s.clamp(0, i64::from(u32::MAX)) as u32))
            .collect::<rusqlite::Result<_>>()?;
        let (issued, priority) = arrivals.get(&rule.id).copied().unwrap_or_default();
        services.push(ServiceState {
            id: rule.id,
            target_wait_minutes: rule.target_wait_minutes,
            recent_visit_secs,
            issued_last_hour: issued,
            priority_issued_last_hour: priority,
            closes_at_ms: rule.closes_at_ms,
            ..ServiceState::default()
        });
    }

    let row = |r: &rusqlite::Row<'_>| {
        Ok(WaitingTicket {
            id: r.get(0)?,
            service_id: r.get(1)?,
            arrival_ms: r.get(2)?,
            priority: r.get(3)?,
            to_counter: r.get(4)?,
        })
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT id, service_id, issued_at, priority, target_counter_id FROM tickets
         WHERE state = 'waiting' AND issued_at > ?1 ORDER BY issued_at, id LIMIT {MAX_WAITING}"
    ))?;
    let mut waiting: Vec<WaitingTicket> = stmt
        .query_map([day_start.as_millisecond() - 1], row)?
        .collect::<rusqlite::Result<_>>()?;
    if let Some(id) = include
        && !waiting.iter().any(|w| w.id == id)
    {
        let mut stmt = c.prepare_cached(
            "SELECT id, service_id, issued_at, priority, target_counter_id FROM tickets
             WHERE id = ?1 AND state = 'waiting'",
        )?;
        if let Some(w) = super::optional(stmt.query_row([id], row))? {
            waiting.push(w);
        }
    }
    Ok(QueueState {
        now_ms,
        policy,
        services,
        counters,
        waiting,
    })
}

/// The last hour's arrivals by service (all, priority) from its latest issues, newest first
/// (`(service, priority, at)`, at most [`ARRIVALS_READ`] of them: when more came in the hour, the
/// count is scaled from the span they cover).
pub(super) fn arrivals_last_hour(
    now_ms: i64,
    rows: impl IntoIterator<Item = (i64, bool, i64)>,
) -> HashMap<i64, (u32, u32)> {
    let rows: Vec<(i64, bool, i64)> = rows.into_iter().take(ARRIVALS_READ as usize).collect();
    let scale = match rows.last() {
        Some(&(_, _, oldest)) if rows.len() == ARRIVALS_READ as usize => {
            HOUR_MS as f64 / (now_ms - oldest).max(1000) as f64
        }
        _ => 1.0,
    };
    let mut counts: HashMap<i64, (f64, f64)> = HashMap::new();
    for (service, priority, _) in rows {
        let n = counts.entry(service).or_default();
        n.0 += scale;
        if priority {
            n.1 += scale;
        }
    }
    counts
        .into_iter()
        .map(|(service, (all, priority))| (service, (all.round() as u32, priority.round() as u32)))
        .collect()
}

/// A ticket's step, for the event log of past days.
pub struct TicketStep {
    pub office_day: String,
    pub at: i64,
    pub action: String,
    pub ticket_id: i64,
    pub service_id: i64,
    pub counter_id: Option<i64>,
    pub priority: bool,
}

/// Every step of the tickets of office days `from` to `to` (`YYYY-MM-DD`), in time order.
pub fn ticket_steps(c: &Connection, from: &str, to: &str) -> Result<Vec<TicketStep>> {
    let mut stmt = c.prepare_cached(
        "SELECT t.office_day, e.at, e.action, e.ticket_id, e.service_id, e.counter_id, t.priority
         FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id
         WHERE t.office_day BETWEEN ?1 AND ?2 ORDER BY e.at, e.id",
    )?;
    let rows = stmt.query_map([from, to], |r| {
        Ok(TicketStep {
            office_day: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            ticket_id: r.get(3)?,
            service_id: r.get(4)?,
            counter_id: r.get(5)?,
            priority: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The clerks' steps at counters between two moments (milliseconds): `(at, kind, counter_id)`, kind
/// one of `open`, `pause`, `resume`, `close`, in time order.
pub fn counter_steps(c: &Connection, from_ms: i64, to_ms: i64) -> Result<Vec<(i64, String, i64)>> {
    let mut stmt = c.prepare_cached(
        "SELECT e.at, e.kind, s.counter_id FROM clerk_events e JOIN counter_sessions s ON s.id = e.session_id
         WHERE e.at >= ?1 AND e.at < ?2 ORDER BY e.at, e.id",
    )?;
    let rows = stmt.query_map([from_ms, to_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
