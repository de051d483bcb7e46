//! SQL of the office's side of shipping to the city's centre: the journal (filled by triggers, see
//! migration 4, only while shipping is on) read in order after the durable cursor, each entry with the
//! row it names, as the statistics count it; the cursor, advanced once the centre has committed, which
//! prunes what was shipped; and turning shipping on and off.

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

/// Records that shipping has started (a cursor at 0 if there was none): from then on, batches may
/// have reached the centre, so turning shipping off keeps the journal (see [`set_shipping`]).
pub fn started(c: &Connection, at_ms: i64) -> Result<()> {
    c.prepare_cached("INSERT INTO central_cursor (id, shipped, at) VALUES (1, 0, ?1) ON CONFLICT (id) DO NOTHING")?
        .execute([at_ms])?;
    Ok(())
}

/// Records that the centre committed everything up to `shipped` (never moving back) and forgets the
/// shipped entries. The entry at the cursor is kept, so that the journal's ids never start again
/// below it.
pub fn advance(c: &Connection, shipped: i64, at_ms: i64) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO central_cursor (id, shipped, at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET shipped = max(shipped, excluded.shipped), at = excluded.at",
    )?
    .execute(rusqlite::params![shipped, at_ms])?;
    c.prepare_cached("DELETE FROM central_journal WHERE id < (SELECT shipped FROM central_cursor WHERE id = 1)")?
        .execute([])?;
    Ok(())
}

/// The journal's triggers, as migration 4 made them: dropped while shipping is off, made again when
/// it is turned on.
const TRIGGERS: &[(&str, &str)] = &[
    (
        "central_event",
        "AFTER INSERT ON ticket_events BEGIN INSERT INTO central_journal (kind, ref) VALUES ('event', NEW.id); END",
    ),
    (
        "central_rating",
        "AFTER INSERT ON ratings BEGIN INSERT INTO central_journal (kind, ref) VALUES ('rating', NEW.ticket_id); END",
    ),
    (
        "central_walk_in",
        "AFTER INSERT ON walk_ins BEGIN INSERT INTO central_journal (kind, ref) VALUES ('walk_in', NEW.id); END",
    ),
    (
        "central_clerk",
        "AFTER INSERT ON clerk_events BEGIN INSERT INTO central_journal (kind, ref) VALUES ('clerk', NEW.id); END",
    ),
    (
        "central_service_new",
        "AFTER INSERT ON services BEGIN INSERT INTO central_journal (kind, ref) VALUES ('service', NEW.id); END",
    ),
    (
        "central_service_changed",
        "AFTER UPDATE OF code, name, target_wait_minutes ON services
         BEGIN INSERT INTO central_journal (kind, ref) VALUES ('service', NEW.id); END",
    ),
    (
        "central_counter_new",
        "AFTER INSERT ON counters BEGIN INSERT INTO central_journal (kind, ref) VALUES ('counter', NEW.id); END",
    ),
    (
        "central_counter_changed",
        "AFTER UPDATE OF name ON counters BEGIN INSERT INTO central_journal (kind, ref) VALUES ('counter', NEW.id); END",
    ),
];

/// What [`set_shipping`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switched {
    /// Shipping already was as asked.
    Unchanged,
    /// Turned off: the triggers are dropped, and the journal keeps only what was never shipped
    /// (nothing at all if the office never shipped).
    Off { kept: i64 },
    /// Turned on: every row the centre lacks is journaled, and the triggers are made again.
    On { journaled: i64 },
}

/// Turns the journal on (with `[central]` in the settings) or off (without), in the caller's
/// transaction. Off, the office journals nothing; it notes the last rows it journaled, so that turning
/// it on again journals exactly the rows written meanwhile (the centre keys ticket events by journal
/// id, so none may be journaled twice: what was journaled and not yet shipped is kept, and shipped as
/// it was). An office that never started shipping (no cursor: no batch can have reached a centre)
/// forgets its journal when turned off, and journals its whole history when turned on. Rows the centre
/// keys by their own ids (ratings, visits without a ticket, clerks' events, names) are idempotent there.
pub fn set_shipping(c: &Connection, on: bool, now_ms: i64) -> Result<Switched> {
    let off: Option<(i64, i64, i64, i64)> = c
        .query_row(
            "SELECT event, rating_at, walk_in, clerk FROM central_off WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    match (on, off) {
        (true, None) | (false, Some(_)) => Ok(Switched::Unchanged),
        (false, None) => {
            for (name, _) in TRIGGERS {
                c.execute_batch(&format!("DROP TRIGGER IF EXISTS {name}"))?;
            }
            let started: Option<i64> = c
                .query_row("SELECT shipped FROM central_cursor WHERE id = 1", [], |r| r.get(0))
                .optional()?;
            let shipped = started.unwrap_or(0);
            let marks = if started.is_none() {
                c.execute("DELETE FROM central_journal", [])?;
                (0, 0, 0, 0)
            } else {
                c.execute("DELETE FROM central_journal WHERE id < ?1", [shipped])?;
                c.query_row(
                    "SELECT (SELECT coalesce(max(id), 0) FROM ticket_events),
                            (SELECT coalesce(max(at), 0) FROM ratings),
                            (SELECT coalesce(max(id), 0) FROM walk_ins),
                            (SELECT coalesce(max(id), 0) FROM clerk_events)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?
            };
            c.execute(
                "INSERT INTO central_off (id, event, rating_at, walk_in, clerk, since) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![marks.0, marks.1, marks.2, marks.3, now_ms],
            )?;
            let kept = c.query_row("SELECT count(*) FROM central_journal WHERE id > ?1", [shipped], |r| {
                r.get(0)
            })?;
            Ok(Switched::Off { kept })
        }
        (true, Some((event, rating_at, walk_in, clerk))) => {
            let before = journal_end(c)?;
            c.execute_batch(
                "INSERT INTO central_journal (kind, ref) SELECT 'service', id FROM services ORDER BY id;
                 INSERT INTO central_journal (kind, ref) SELECT 'counter', id FROM counters ORDER BY id;",
            )?;
            // Ratings from the last one journaled on: one of them may be sent again, which the centre
            // ignores (it keys ratings by ticket), where one given in the same millisecond must not be lost.
            c.execute(
                "INSERT INTO central_journal (kind, ref) SELECT 'event', id FROM ticket_events WHERE id > ?1 ORDER BY id",
                [event],
            )?;
            c.execute(
                "INSERT INTO central_journal (kind, ref)
                 SELECT 'rating', ticket_id FROM ratings WHERE at >= ?1 ORDER BY at, ticket_id",
                [rating_at],
            )?;
            c.execute(
                "INSERT INTO central_journal (kind, ref) SELECT 'walk_in', id FROM walk_ins WHERE id > ?1 ORDER BY id",
                [walk_in],
            )?;
            c.execute(
                "INSERT INTO central_journal (kind, ref) SELECT 'clerk', id FROM clerk_events WHERE id > ?1 ORDER BY id",
                [clerk],
            )?;
            for (name, body) in TRIGGERS {
                c.execute_batch(&format!("CREATE TRIGGER IF NOT EXISTS {name} {body}"))?;
            }
            c.execute("DELETE FROM central_off", [])?;
            Ok(Switched::On {
                journaled: journal_end(c)? - before,
            })
        }
    }
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
