//! The queue's state for the wait estimate (`turno_shared::domain::eta::QueueState`), read in a few
//! indexed queries: today's waiting tickets, the counters with a clerk signed in (services in order
//! of preference, pause, visit in progress, run of urgent calls) and what the server's predictor
//! learns from each service: its latest visits and the last hour's arrivals. The history used only
//! by the evaluator's other predictors (the hour's completions, the last wait) is left empty.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::Connection;
use turno_shared::domain::CallPolicy;
use turno_shared::domain::eta::{CounterMode, CounterState, QueueState, ServiceState, WaitingTicket};

use super::tickets::{SERVICE_TIME_SAMPLES, recent_service_secs};
use crate::error::Result;

const HOUR_MS: i64 = 3_600_000;

/// The state at `now` of today's queue (tickets issued after `day_start`), `closes_at` giving when
/// each service stops issuing tickets today, if known.
pub fn queue_state(
    c: &Connection,
    now: Timestamp,
    day_start: Timestamp,
    policy: CallPolicy,
    closes_at: &dyn Fn(i64) -> Option<i64>,
) -> Result<QueueState> {
    let now_ms = now.as_millisecond();
    let mut arrivals: HashMap<i64, (u32, u32)> = HashMap::new();
    {
        let mut stmt = c.prepare_cached(
            "SELECT e.service_id, COUNT(*), COALESCE(SUM(t.priority), 0) FROM ticket_events e
             JOIN tickets t ON t.id = e.ticket_id
             WHERE e.at > ?1 AND e.action = 'issue' GROUP BY e.service_id",
        )?;
        let rows = stmt.query_map([now_ms - HOUR_MS], |r| {
            Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?)))
        })?;
        for row in rows {
            let (id, counts) = row?;
            arrivals.insert(id, counts);
        }
    }
    let mut visits = c.prepare_cached(&format!(
        "SELECT (finished_at - called_at) / 1000 FROM tickets
         WHERE state = 'done' AND service_id = ?1 AND called_at IS NOT NULL
         ORDER BY finished_at DESC LIMIT {SERVICE_TIME_SAMPLES}"
    ))?;
    let mut services = Vec::new();
    let mut stmt = c.prepare_cached("SELECT id, target_wait_minutes FROM services WHERE active = 1 ORDER BY id")?;
    let rows: Vec<(i64, Option<u32>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, target) in rows {
        let recent_visit_secs = visits
            .query_map([id], |r| r.get::<_, i64>(0))?
            .map(|r| r.map(|s| s.clamp(0, i64::from(u32::MAX)) as u32))
            .collect::<rusqlite::Result<_>>()?;
        let (issued, priority) = arrivals.get(&id).copied().unwrap_or_default();
        services.push(ServiceState {
            id,
            target_wait_minutes: target,
            recent_service_secs: recent_service_secs(c, id)?,
            recent_visit_secs,
            issued_last_hour: issued,
            priority_issued_last_hour: priority,
            closes_at_ms: closes_at(id),
            ..ServiceState::default()
        });
    }

    let mut stmt = c.prepare_cached(
        "SELECT s.counter_id, s.paused_reason IS NOT NULL, COALESCE(s.paused_at, s.opened_at), s.urgent_streak
         FROM counter_sessions s JOIN counters k ON k.id = s.counter_id AND k.active = 1
         WHERE s.closed_at IS NULL ORDER BY s.counter_id",
    )?;
    let sessions: Vec<(i64, bool, i64, u32)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut served = c.prepare_cached("SELECT service_id FROM counter_services WHERE counter_id = ?1 ORDER BY rank")?;
    let mut busy = c.prepare_cached(
        "SELECT service_id, called_at FROM tickets WHERE counter_id = ?1 AND state IN ('called', 'serving')
         AND called_at IS NOT NULL LIMIT 1",
    )?;
    let mut counters = Vec::new();
    for (id, paused, since, urgent_streak) in sessions {
        let services = served
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        let busy = super::optional(busy.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))))?;
        counters.push(CounterState {
            id,
            services,
            mode: if paused {
                CounterMode::Paused { since_ms: since }
            } else {
                CounterMode::Open
            },
            busy,
            urgent_streak,
        });
    }

    let mut stmt = c.prepare_cached(
        "SELECT id, service_id, issued_at, priority, target_counter_id FROM tickets
         WHERE state = 'waiting' AND issued_at > ?1",
    )?;
    let waiting = stmt
        .query_map([day_start.as_millisecond() - 1], |r| {
            Ok(WaitingTicket {
                id: r.get(0)?,
                service_id: r.get(1)?,
                arrival_ms: r.get(2)?,
                priority: r.get(3)?,
                to_counter: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(QueueState {
        now_ms,
        policy,
        services,
        counters,
        waiting,
    })
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
