//! SQL of the office's side of shipping to the city's centre: the journal (filled by triggers, see
//! migration 4) read in order after the durable cursor, each entry with the row it names, as the
//! statistics count it; and the cursor, advanced once the centre has committed.

use rusqlite::{Connection, OptionalExtension};

use super::stats::LocalTime;
use crate::central::batch::{Batch, ClerkRow, CounterRow, EventRow, RatingRow, ServiceRow, TicketSnapshot, WalkInRow};
use crate::error::Result;

/// The last journal id the centre has committed (0 when nothing was shipped yet).
pub fn cursor(c: &Connection) -> Result<i64> {
    Ok(
        c.query_row("SELECT shipped FROM central_cursor WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0),
    )
}

/// Records that the centre committed everything up to `shipped`; never moves back.
pub fn advance(c: &Connection, shipped: i64, at_ms: i64) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO central_cursor (id, shipped, at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET shipped = max(shipped, excluded.shipped), at = excluded.at",
    )?
    .execute(rusqlite::params![shipped, at_ms])?;
    Ok(())
}

/// The journal's last id (what has been written so far).
pub fn journal_end(c: &Connection) -> Result<i64> {
    Ok(c.query_row("SELECT coalesce(max(id), 0) FROM central_journal", [], |r| r.get(0))?)
}

/// Up to `limit` journal entries after `after`, with their rows, read in one snapshot. `None` when
/// there is nothing after `after`.
pub fn read_batch(c: &Connection, after: i64, limit: u32, local: &LocalTime) -> Result<Option<Batch>> {
    let last: Option<i64> = c.query_row(
        "SELECT max(id) FROM (SELECT id FROM central_journal WHERE id > ?1 ORDER BY id LIMIT ?2)",
        rusqlite::params![after, limit],
        |r| r.get(0),
    )?;
    let Some(last) = last else {
        return Ok(None);
    };
    let end = journal_end(c)?;
    let mut b = Batch {
        after,
        last,
        pending: end - last,
        ..Batch::default()
    };
    let range = rusqlite::params![after, last];
    let mut stmt = c.prepare_cached(
        "SELECT j.id, e.ticket_id, e.action, e.from_state, e.to_state, e.at, e.service_id, e.counter_id,
                e.user_id, e.outcome,
                t.office_day, t.service_id, t.counter_id, t.user_id, t.state, t.priority, t.issued_at,
                t.first_called_at - t.issued_at, t.finished_at - coalesce(t.started_at, t.called_at),
                t.outcome, t.transfers
         FROM central_journal j JOIN ticket_events e ON e.id = j.ref JOIN tickets t ON t.id = e.ticket_id
         WHERE j.id > ?1 AND j.id <= ?2 AND j.kind = 'event' ORDER BY j.id",
    )?;
    let mut rows = stmt.query(range)?;
    while let Some(r) = rows.next()? {
        let event_id: i64 = r.get(0)?;
        let ticket_id: i64 = r.get(1)?;
        let at: i64 = r.get(5)?;
        b.events.push(EventRow {
            event_id,
            ticket_id,
            action: r.get(2)?,
            from_state: r.get(3)?,
            to_state: r.get(4)?,
            at_ms: at,
            service_id: r.get(6)?,
            counter_id: r.get(7)?,
            user_id: r.get(8)?,
            outcome: r.get(9)?,
        });
        let issued: i64 = r.get(16)?;
        let (weekday, hour) = local.weekday_hour(issued);
        b.tickets.push(TicketSnapshot {
            event_id,
            ticket_id,
            office_day: r.get(10)?,
            service_id: r.get(11)?,
            counter_id: r.get(12)?,
            user_id: r.get(13)?,
            state: r.get(14)?,
            priority: r.get(15)?,
            weekday: i16::from(weekday),
            hour: i16::from(hour),
            issued_ms: issued,
            wait_ms: r.get(17)?,
            service_ms: r.get(18)?,
            outcome: r.get(19)?,
            transfers: r.get(20)?,
        });
    }
    let mut stmt = c.prepare_cached(
        "SELECT j.id, r.ticket_id, t.office_day, r.service_id, r.counter_id, r.user_id, t.issued_at, r.rating,
                r.reason, r.at
         FROM central_journal j JOIN ratings r ON r.ticket_id = j.ref JOIN tickets t ON t.id = r.ticket_id
         WHERE j.id > ?1 AND j.id <= ?2 AND j.kind = 'rating' ORDER BY j.id",
    )?;
    let mut rows = stmt.query(range)?;
    while let Some(r) = rows.next()? {
        let (weekday, hour) = local.weekday_hour(r.get(6)?);
        b.ratings.push(RatingRow {
            event_id: r.get(0)?,
            ticket_id: r.get(1)?,
            office_day: r.get(2)?,
            service_id: r.get(3)?,
            counter_id: r.get(4)?,
            user_id: r.get(5)?,
            weekday: i16::from(weekday),
            hour: i16::from(hour),
            rating: r.get(7)?,
            reason: r.get(8)?,
            at_ms: r.get(9)?,
        });
    }
    let mut stmt = c.prepare_cached(
        "SELECT j.id, w.id, w.office_day, w.service_id, w.counter_id, w.user_id, w.started_at, w.finished_at,
                w.outcome
         FROM central_journal j JOIN walk_ins w ON w.id = j.ref
         WHERE j.id > ?1 AND j.id <= ?2 AND j.kind = 'walk_in' ORDER BY j.id",
    )?;
    let mut rows = stmt.query(range)?;
    while let Some(r) = rows.next()? {
        let started: i64 = r.get(6)?;
        let finished: i64 = r.get(7)?;
        let (weekday, hour) = local.weekday_hour(started);
        b.walk_ins.push(WalkInRow {
            event_id: r.get(0)?,
            walk_in_id: r.get(1)?,
            office_day: r.get(2)?,
            service_id: r.get(3)?,
            counter_id: r.get(4)?,
            user_id: r.get(5)?,
            weekday: i16::from(weekday),
            hour: i16::from(hour),
            started_ms: started,
            service_ms: finished - started,
            outcome: r.get(8)?,
        });
    }
    let mut stmt = c.prepare_cached(
        "SELECT j.id, e.id, e.session_id, s.counter_id, s.user_id, e.kind, e.reason, e.at
         FROM central_journal j JOIN clerk_events e ON e.id = j.ref JOIN counter_sessions s ON s.id = e.session_id
         WHERE j.id > ?1 AND j.id <= ?2 AND j.kind = 'clerk' ORDER BY j.id",
    )?;
    let mut rows = stmt.query(range)?;
    while let Some(r) = rows.next()? {
        let at: i64 = r.get(7)?;
        b.clerk.push(ClerkRow {
            event_id: r.get(0)?,
            clerk_event_id: r.get(1)?,
            session_id: r.get(2)?,
            counter_id: r.get(3)?,
            user_id: r.get(4)?,
            kind: r.get(5)?,
            reason: r.get(6)?,
            at_ms: at,
            office_day: local.date(at),
        });
    }
    let mut stmt = c.prepare_cached(
        "SELECT j.id, s.id, s.code, s.name, s.target_wait_minutes
         FROM central_journal j JOIN services s ON s.id = j.ref
         WHERE j.id > ?1 AND j.id <= ?2 AND j.kind = 'service' ORDER BY j.id",
    )?;
    let mut rows = stmt.query(range)?;
    while let Some(r) = rows.next()? {
        b.services.push(ServiceRow {
            event_id: r.get(0)?,
            service_id: r.get(1)?,
            code: r.get(2)?,
            name: r.get(3)?,
            target_wait_minutes: r.get(4)?,
        });
    }
    let mut stmt = c.prepare_cached(
        "SELECT j.id, k.id, k.name FROM central_journal j JOIN counters k ON k.id = j.ref
         WHERE j.id > ?1 AND j.id <= ?2 AND j.kind = 'counter' ORDER BY j.id",
    )?;
    let mut rows = stmt.query(range)?;
    while let Some(r) = rows.next()? {
        b.counters.push(CounterRow {
            event_id: r.get(0)?,
            counter_id: r.get(1)?,
            name: r.get(2)?,
        });
    }
    Ok(Some(b))
}
