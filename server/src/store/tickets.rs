//! SQL for tickets, their event log (the source of statistics) and ratings.

use jiff::Timestamp;
use rusqlite::{Connection, Row, named_params};
use turno_shared::api::{ClerkDay, ErrorCode, StoredRating, TicketEvent, TicketView, TransferredFrom, WalkIn};
use turno_shared::domain::{BadReason, Candidate, Code, Priority, Rating, ServicePrefix, TicketNumber, TicketState};

use super::office::{CounterService, parse as parse_column, ts as timestamp_column};
use super::{is_unique_violation, optional};
use crate::error::{Error, Result};

/// A ticket as stored.
#[derive(Clone, Debug)]
pub struct Ticket {
    pub id: i64,
    pub office_day: String,
    pub number: TicketNumber,
    pub service_id: i64,
    pub priority: Priority,
    pub language: Option<String>,
    pub token: String,
    pub state: TicketState,
    pub issued_at: Timestamp,
    pub called_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
    pub target_counter_id: Option<i64>,
    pub outcome: Option<Code>,
    pub note: Option<String>,
    pub transferred_from: Option<TransferredFrom>,
    /// When it was first called: its wait ends there, whatever happens after.
    pub first_called_at: Option<Timestamp>,
    pub transfers: u32,
}

impl Ticket {
    pub fn view(&self) -> TicketView {
        TicketView {
            id: self.id,
            number: self.number,
            service_id: self.service_id,
            priority: self.priority,
            state: self.state,
            office_day: self.office_day.clone(),
            issued_at: self.issued_at,
            called_at: self.called_at,
            started_at: self.started_at,
            language: self.language.clone(),
            transferred_from: self.transferred_from.clone(),
            counter_id: self.counter_id,
            target_counter_id: self.target_counter_id,
            outcome: self.outcome.clone(),
        }
    }
}

const COLUMNS: &str = "id, office_day, prefix, seq, service_id, priority, language, token, state, issued_at,
    called_at, started_at, finished_at, counter_id, user_id, target_counter_id, outcome, note,
    transferred_from_service_id, transferred_from_counter_id, first_called_at, transfers";

fn opt_ts(v: Option<i64>) -> rusqlite::Result<Option<Timestamp>> {
    v.map(timestamp_column).transpose()
}

fn row(r: &Row<'_>) -> rusqlite::Result<Ticket> {
    let prefix: ServicePrefix = parse_column(&r.get::<_, String>(2)?)?;
    let seq: u32 = r.get(3)?;
    Ok(Ticket {
        id: r.get(0)?,
        office_day: r.get(1)?,
        number: TicketNumber::new(prefix, seq)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Integer, e.into()))?,
        service_id: r.get(4)?,
        priority: if r.get::<_, bool>(5)? {
            Priority::Priority
        } else {
            Priority::Normal
        },
        language: r.get(6)?,
        token: r.get(7)?,
        state: parse_column(&r.get::<_, String>(8)?)?,
        issued_at: timestamp_column(r.get(9)?)?,
        called_at: opt_ts(r.get(10)?)?,
        started_at: opt_ts(r.get(11)?)?,
        finished_at: opt_ts(r.get(12)?)?,
        counter_id: r.get(13)?,
        user_id: r.get(14)?,
        target_counter_id: r.get(15)?,
        outcome: r.get::<_, Option<String>>(16)?.map(|s| parse_column(&s)).transpose()?,
        note: r.get(17)?,
        transferred_from: r
            .get::<_, Option<i64>>(18)?
            .map(|service_id| -> rusqlite::Result<_> {
                Ok(TransferredFrom {
                    service_id,
                    counter_id: r.get(19)?,
                })
            })
            .transpose()?,
        first_called_at: opt_ts(r.get(20)?)?,
        transfers: r.get(21)?,
    })
}

pub fn get(c: &Connection, id: i64) -> Result<Option<Ticket>> {
    optional(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM tickets WHERE id = ?1"))?
            .query_row([id], row),
    )
}

pub fn by_token(c: &Connection, token: &str) -> Result<Option<Ticket>> {
    optional(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM tickets WHERE token = ?1"))?
            .query_row([token], row),
    )
}

pub fn by_number(c: &Connection, office_day: &str, number: TicketNumber) -> Result<Option<Ticket>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE office_day = ?1 AND prefix = ?2 AND seq = ?3"
    ))?;
    optional(stmt.query_row(
        rusqlite::params![office_day, number.prefix().to_string(), number.seq()],
        row,
    ))
}

/// The ticket called or being served at a counter.
pub fn at_counter(c: &Connection, counter_id: i64) -> Result<Option<Ticket>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE counter_id = ?1 AND state IN ('called', 'serving') ORDER BY called_at DESC LIMIT 1"
    ))?;
    optional(stmt.query_row([counter_id], row))
}

/// Tickets in `state`, oldest first, at most `limit`.
/// The most tickets [`list_in_state`] returns.
pub const LIST_LIMIT: u32 = 1000;

/// Tickets in a state, oldest first, at most [`LIST_LIMIT`].
pub fn list_in_state(c: &Connection, state: TicketState) -> Result<Vec<Ticket>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE state = ?1 ORDER BY issued_at, id LIMIT {LIST_LIMIT}"
    ))?;
    let rows = stmt.query_map([state.as_str()], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many tickets a prefix has issued in an office day.
pub fn issued_count(c: &Connection, office_day: &str, prefix: ServicePrefix) -> Result<u32> {
    Ok(
        c.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM tickets WHERE office_day = ?1 AND prefix = ?2")?
            .query_row(rusqlite::params![office_day, prefix.to_string()], |r| r.get(0))?,
    )
}

pub struct NewTicket<'a> {
    pub office_day: &'a str,
    pub number: TicketNumber,
    pub service_id: i64,
    pub priority: Priority,
    pub language: Option<&'a str>,
    pub token: &'a str,
    pub now: Timestamp,
}

pub fn insert(c: &Connection, t: &NewTicket<'_>) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO tickets (office_day, prefix, seq, service_id, priority, language, token, state, issued_at)
         VALUES (:day, :prefix, :seq, :service, :priority, :language, :token, 'waiting', :now)",
    )?
    .execute(named_params! {
        ":day": t.office_day, ":prefix": t.number.prefix().to_string(), ":seq": t.number.seq(),
        ":service": t.service_id, ":priority": t.priority == Priority::Priority, ":language": t.language,
        ":token": t.token, ":now": t.now.as_millisecond(),
    })
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict(
                ErrorCode::DuplicateNumber,
                format!("number {} was already issued today", t.number),
            )
        } else {
            e.into()
        }
    })?;
    Ok(c.last_insert_rowid())
}

/// Writes back every field that an action can change.
pub fn update(c: &Connection, t: &Ticket) -> Result<()> {
    let ms = |v: Option<Timestamp>| v.map(|t| t.as_millisecond());
    c.prepare_cached(
        "UPDATE tickets SET service_id = :service, state = :state, called_at = :called, started_at = :started,
         finished_at = :finished, counter_id = :counter, user_id = :user, target_counter_id = :target,
         outcome = :outcome, note = :note, transferred_from_service_id = :from_service,
         transferred_from_counter_id = :from_counter, first_called_at = :first_called, transfers = :transfers
         WHERE id = :id",
    )?
    .execute(named_params! {
        ":id": t.id, ":service": t.service_id, ":state": t.state.as_str(), ":called": ms(t.called_at),
        ":started": ms(t.started_at), ":finished": ms(t.finished_at), ":counter": t.counter_id,
        ":user": t.user_id, ":target": t.target_counter_id, ":outcome": t.outcome.as_ref().map(Code::as_str),
        ":note": t.note, ":from_service": t.transferred_from.as_ref().map(|f| f.service_id),
        ":from_counter": t.transferred_from.as_ref().and_then(|f| f.counter_id),
        ":first_called": ms(t.first_called_at), ":transfers": t.transfers,
    })?;
    Ok(())
}

/// A visit that further services are recorded against.
#[derive(Clone, Copy, Debug)]
pub enum Visit {
    Ticket(i64),
    WalkIn(i64),
}

/// Records a further service delivered in a visit.
pub fn insert_extra_service(c: &Connection, visit: Visit, service_id: i64) -> Result<()> {
    let (ticket, walk_in) = match visit {
        Visit::Ticket(id) => (Some(id), None),
        Visit::WalkIn(id) => (None, Some(id)),
    };
    c.prepare_cached("INSERT INTO extra_services (ticket_id, walk_in_id, service_id) VALUES (?1, ?2, ?3)")?
        .execute(rusqlite::params![ticket, walk_in, service_id])?;
    Ok(())
}

/// Records a visit without a ticket; returns its id.
pub fn insert_walk_in(c: &Connection, v: &WalkIn, note: Option<&str>) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO walk_ins (office_day, service_id, counter_id, user_id, started_at, finished_at, outcome, note)
         VALUES (:day, :service, :counter, :user, :started, :finished, :outcome, :note)",
    )?
    .execute(named_params! {
        ":day": v.office_day, ":service": v.service_id, ":counter": v.counter_id, ":user": v.user_id,
        ":started": v.started_at.as_millisecond(), ":finished": v.finished_at.as_millisecond(),
        ":outcome": v.outcome.as_str(), ":note": note,
    })?;
    Ok(c.last_insert_rowid())
}

/// A service's waiting tickets of today.
pub struct QueueCounts {
    pub waiting: u32,
    pub priority_waiting: u32,
    pub oldest_since: Option<Timestamp>,
}

/// How many of a service's tickets issued since `since` wait, how many of them with priority, and
/// since when the oldest.
pub fn queue_of(c: &Connection, service_id: i64, since: Timestamp) -> Result<QueueCounts> {
    let mut stmt = c.prepare_cached(
        "SELECT COUNT(*), COALESCE(SUM(priority), 0), MIN(issued_at) FROM tickets
         WHERE state = 'waiting' AND service_id = ?1 AND issued_at >= ?2",
    )?;
    let (waiting, priority_waiting, oldest): (u32, u32, Option<i64>) = stmt
        .query_row([service_id, since.as_millisecond()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(QueueCounts {
        waiting,
        priority_waiting,
        oldest_since: oldest.map(timestamp_column).transpose()?,
    })
}

/// Tickets issued since `since` that wait for this counter in particular.
pub fn transferred_to(c: &Connection, counter_id: i64, since: Timestamp) -> Result<u32> {
    Ok(c.prepare_cached(
        "SELECT COUNT(*) FROM tickets WHERE state = 'waiting' AND target_counter_id = ?1 AND issued_at >= ?2",
    )?
    .query_row([counter_id, since.as_millisecond()], |r| r.get(0))?)
}

/// Waiting tickets issued since `since` that a counter may call, oldest first (at most [`LIST_LIMIT`]).
pub fn callable_by(c: &Connection, counter_id: i64, since: Timestamp) -> Result<Vec<Ticket>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE state = 'waiting' AND issued_at >= ?2 AND (target_counter_id = ?1 OR
         (target_counter_id IS NULL AND service_id IN (SELECT service_id FROM counter_services WHERE counter_id = ?1)))
         ORDER BY issued_at, id LIMIT {LIST_LIMIT}"
    ))?;
    let rows = stmt.query_map([counter_id, since.as_millisecond()], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A clerk's office day: tickets finished and no-shows (from the event log), visits without ticket,
/// and the mean service time of the tickets they finished. Time paused is counted elsewhere.
pub fn clerk_day(c: &Connection, user_id: i64, office_day: &str) -> Result<ClerkDay> {
    let (served, no_shows, mean_ms): (u32, u32, Option<f64>) = c
        .prepare_cached(
            "SELECT COALESCE(SUM(state = 'done'), 0), COALESCE(SUM(state = 'no_show'), 0),
             AVG(CASE WHEN state = 'done' AND called_at IS NOT NULL
                 THEN finished_at - COALESCE(started_at, called_at) END)
             FROM tickets WHERE user_id = ?1 AND office_day = ?2",
        )?
        .query_row(rusqlite::params![user_id, office_day], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let walk_ins: u32 = c
        .prepare_cached("SELECT COUNT(*) FROM walk_ins WHERE user_id = ?1 AND office_day = ?2")?
        .query_row(rusqlite::params![user_id, office_day], |r| r.get(0))?;
    Ok(ClerkDay {
        served,
        no_shows,
        walk_ins,
        mean_service_secs: mean_ms.map(|ms| (ms / 1000.0).round().clamp(0.0, f64::from(u32::MAX)) as u32),
        paused_secs: 0,
    })
}

/// Who made a ticket change: the clerk (or back-office user) and the counter they acted from.
#[derive(Clone, Copy, Debug, Default)]
pub struct By {
    pub user_id: Option<i64>,
    pub counter_id: Option<i64>,
}

/// Appends to the event log, from which statistics are computed. The event's counter is the one the
/// change was made from, else the ticket's.
pub fn record_event(
    c: &Connection,
    t: &Ticket,
    action: &str,
    from: Option<TicketState>,
    by: By,
    at: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO ticket_events (ticket_id, action, from_state, to_state, at, service_id, counter_id, user_id, outcome)
         VALUES (:ticket, :action, :from, :to, :at, :service, :counter, :user, :outcome)",
    )?
    .execute(named_params! {
        ":ticket": t.id, ":action": action, ":from": from.map(TicketState::as_str),
        ":to": t.state.as_str(), ":at": at.as_millisecond(), ":service": t.service_id,
        ":counter": by.counter_id.or(t.counter_id), ":user": by.user_id,
        ":outcome": t.outcome.as_ref().map(Code::as_str),
    })?;
    Ok(())
}

/// A ticket's history, oldest first.
pub fn events_of(c: &Connection, ticket_id: i64) -> Result<Vec<TicketEvent>> {
    let mut stmt = c.prepare_cached(
        "SELECT action, from_state, to_state, at, service_id, counter_id, user_id, outcome FROM ticket_events
         WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([ticket_id], |r| {
        Ok(TicketEvent {
            action: r.get(0)?,
            from_state: r.get::<_, Option<String>>(1)?.map(|s| parse_column(&s)).transpose()?,
            to_state: parse_column(&r.get::<_, String>(2)?)?,
            at: timestamp_column(r.get(3)?)?,
            service_id: r.get(4)?,
            counter_id: r.get(5)?,
            user_id: r.get(6)?,
            outcome: r.get::<_, Option<String>>(7)?.map(|s| parse_column(&s)).transpose()?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The waiting tickets a counter could call, enough for the call policy to choose exactly: per service
/// and class, the oldest ticket not sent to a counter, and when that one is past the service's target
/// wait, also the oldest one not yet past it; and the 8 oldest tickets sent to this counter. Only tickets issued since
/// `day_start` count: a ticket of a past office day is never called, even before the maintenance has
/// closed it.
pub fn candidates(
    c: &Connection,
    counter_id: i64,
    services: &[CounterService],
    now: Timestamp,
    day_start: Timestamp,
) -> Result<Vec<Candidate>> {
    let today = day_start.as_millisecond() - 1;
    let mut out: Vec<Candidate> = Vec::new();
    // Tickets sent to a counter are not their service's: they come from the query below, so that one
    // sent here never stands in for its service's oldest (nor hides an aged one behind it).
    let mut oldest = c.prepare_cached(
        "SELECT id, issued_at FROM tickets WHERE state = 'waiting' AND service_id = ?1 AND priority = ?2
         AND target_counter_id IS NULL AND issued_at > ?3
         ORDER BY issued_at, id LIMIT 1",
    )?;
    let mut find = |service_id: i64, priority: bool, since: i64| -> Result<Option<(i64, i64)>> {
        optional(oldest.query_row(rusqlite::params![service_id, priority, since], |r| {
            Ok((r.get(0)?, r.get(1)?))
        }))
    };
    for s in services {
        for priority in [true, false] {
            let Some((id, arrival)) = find(s.service_id, priority, today)? else {
                continue;
            };
            let candidate = Candidate {
                ticket_id: id,
                rank: s.rank,
                arrival_ms: arrival,
                priority,
                target_wait_minutes: s.target_wait_minutes,
            };
            out.push(candidate);
            // Past its target, the oldest is urgent: the oldest not yet urgent is a candidate too.
            if !priority && candidate.is_urgent(now.as_millisecond()) {
                let target = i64::from(s.target_wait_minutes.unwrap_or_default()) * 60_000;
                if let Some((id, arrival)) = find(s.service_id, false, (now.as_millisecond() - target).max(today))? {
                    out.push(Candidate {
                        ticket_id: id,
                        arrival_ms: arrival,
                        ..candidate
                    });
                }
            }
        }
    }
    let mut targeted = c.prepare_cached(
        "SELECT id, issued_at, priority FROM tickets WHERE state = 'waiting' AND target_counter_id = ?1
         AND issued_at > ?2 ORDER BY issued_at, id LIMIT 8",
    )?;
    let rows = targeted.query_map([counter_id, today], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    for r in rows {
        let (id, arrival, priority): (i64, i64, bool) = r?;
        out.push(Candidate {
            ticket_id: id,
            rank: 0,
            arrival_ms: arrival,
            priority,
            target_wait_minutes: None,
        });
    }
    Ok(out)
}

/// How many waiting tickets a counter may call.
pub fn waiting_for_counter(c: &Connection, counter_id: i64) -> Result<u32> {
    Ok(c.prepare_cached(
        "SELECT COUNT(*) FROM tickets t WHERE t.state = 'waiting' AND (t.target_counter_id = ?1 OR
         (t.target_counter_id IS NULL AND t.service_id IN (SELECT service_id FROM counter_services WHERE counter_id = ?1)))",
    )?
    .query_row([counter_id], |r| r.get(0))?)
}

/// Waiting tickets of a service.
pub fn waiting_in_service(c: &Connection, service_id: i64) -> Result<u32> {
    Ok(
        c.prepare_cached("SELECT COUNT(*) FROM tickets WHERE state = 'waiting' AND service_id = ?1")?
            .query_row([service_id], |r| r.get(0))?,
    )
}

/// Waiting tickets of the same service that go before `t`: earlier arrivals, and for a priority ticket
/// only earlier priority tickets.
pub fn people_ahead(c: &Connection, t: &Ticket) -> Result<u32> {
    let only_priority = t.priority == Priority::Priority;
    Ok(c.prepare_cached(
        "SELECT COUNT(*) FROM tickets WHERE state = 'waiting' AND service_id = ?1 AND (issued_at < ?2 OR (issued_at = ?2 AND id < ?3))
         AND (?4 = 0 OR priority = 1)",
    )?
    .query_row(
        rusqlite::params![t.service_id, t.issued_at.as_millisecond(), t.id, only_priority],
        |r| r.get(0),
    )?)
}

/// How many recent service times the estimate learns from.
pub const SERVICE_TIME_SAMPLES: u32 = 20;

/// Service times (call to finish, in seconds) of the latest [`SERVICE_TIME_SAMPLES`] tickets a
/// service finished.
pub fn recent_service_secs(c: &Connection, service_id: i64) -> Result<Vec<u32>> {
    // The limit is written into the statement: a bound one would re-prepare it on every call.
    let mut stmt = c.prepare_cached(&format!(
        "SELECT (finished_at - COALESCE(started_at, called_at)) / 1000 FROM tickets
         WHERE state = 'done' AND service_id = ?1 AND called_at IS NOT NULL
         ORDER BY finished_at DESC LIMIT {SERVICE_TIME_SAMPLES}"
    ))?;
    let rows = stmt.query_map([service_id], |r| r.get::<_, i64>(0))?;
    Ok(rows
        .map(|r| r.map(|s| s.clamp(0, i64::from(u32::MAX)) as u32))
        .collect::<rusqlite::Result<_>>()?)
}

/// Open tickets of office days before `office_day`, or of that day too when `including` is set, in
/// the given states.
pub fn open_tickets_to_expire(
    c: &Connection,
    office_day: &str,
    including: bool,
    states: &[TicketState],
) -> Result<Vec<Ticket>> {
    let op = if including { "<=" } else { "<" };
    let list = states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = c.prepare(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE state IN ('waiting', 'called', 'serving') AND office_day {op} ?1
         AND state IN ({list})"
    ))?;
    let rows = stmt.query_map([office_day], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ----- ratings -----

/// The most ratings [`ratings_between`] returns.
pub const RATINGS_LIMIT: u32 = 10_000;

/// The ratings of the visits of office days `from` to `to` (inclusive, `YYYY-MM-DD`), oldest first.
pub fn ratings_between(c: &Connection, from: &str, to: &str) -> Result<Vec<StoredRating>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT t.office_day, t.prefix, t.seq, r.service_id, r.counter_id, r.rating, r.reason, r.at
         FROM ratings r JOIN tickets t ON t.id = r.ticket_id
         WHERE t.office_day BETWEEN ?1 AND ?2 ORDER BY r.at, r.ticket_id LIMIT {RATINGS_LIMIT}"
    ))?;
    let rows = stmt.query_map([from, to], |r| {
        let prefix: ServicePrefix = parse_column(&r.get::<_, String>(1)?)?;
        Ok(StoredRating {
            office_day: r.get(0)?,
            number: TicketNumber::new(prefix, r.get(2)?)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Integer, e.into()))?,
            service_id: r.get(3)?,
            counter_id: r.get(4)?,
            rating: parse_column(&r.get::<_, String>(5)?)?,
            reason: r.get::<_, Option<String>>(6)?.map(|s| parse_column(&s)).transpose()?,
            at: timestamp_column(r.get(7)?)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn has_rating(c: &Connection, ticket_id: i64) -> Result<bool> {
    Ok(
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM ratings WHERE ticket_id = ?1)")?
            .query_row([ticket_id], |r| r.get(0))?,
    )
}

pub fn insert_rating(
    c: &Connection,
    t: &Ticket,
    rating: Rating,
    reason: Option<BadReason>,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO ratings (ticket_id, rating, reason, at, service_id, counter_id, user_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(rusqlite::params![
        t.id,
        rating.as_str(),
        reason.map(BadReason::as_str),
        now.as_millisecond(),
        t.service_id,
        t.counter_id,
        t.user_id
    ])
    .map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict(
                ErrorCode::AlreadyRated,
                format!("ticket {} has already been rated", t.number),
            )
        } else {
            e.into()
        }
    })?;
    Ok(())
}
