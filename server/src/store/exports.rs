//! SQL for the exports: the tickets, their events and the ratings of a range of office days, one row at a
//! time (an export never holds its range in memory), with the names people read beside the ids.

use rusqlite::Connection;

use super::stats::Filter;
use crate::error::Result;

/// A ticket as exported. Times are milliseconds since the epoch (the writer formats them).
#[derive(Clone, Debug)]
pub struct TicketLine {
    pub id: i64,
    pub office_day: String,
    pub number: String,
    pub service_code: String,
    /// The service's Italian name.
    pub service: String,
    pub priority: bool,
    pub language: Option<String>,
    pub state: String,
    pub issued_at: i64,
    pub first_called_at: Option<i64>,
    pub called_at: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub counter: Option<String>,
    pub clerk: Option<String>,
    pub outcome: Option<String>,
    pub transfers: u32,
}

/// A step of a ticket's history as exported.
#[derive(Clone, Debug)]
pub struct EventLine {
    pub ticket_id: i64,
    pub number: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub at: i64,
    pub service_code: String,
    pub counter: Option<String>,
    pub clerk: Option<String>,
    pub outcome: Option<String>,
}

/// A rating as exported: anonymous, with its visit's service and counter, never the clerk.
#[derive(Clone, Debug)]
pub struct RatingLine {
    pub office_day: String,
    pub number: String,
    pub service_code: String,
    pub counter: Option<String>,
    pub rating: String,
    pub reason: Option<String>,
    pub at: i64,
}

fn italian(name_json: &str) -> String {
    serde_json::from_str::<turno_shared::api::Localized>(name_json)
        .map(|n| n.get(turno_shared::api::REFERENCE_LANGUAGE).to_owned())
        .unwrap_or_default()
}

const FILTERS: &str = "t.office_day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR t.service_id = ?3)
    AND (?4 IS NULL OR t.counter_id = ?4) AND (?5 IS NULL OR t.user_id = ?5)";

pub fn tickets(c: &Connection, f: &Filter, mut each: impl FnMut(TicketLine) -> Result<()>) -> Result<()> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT t.id, t.office_day, t.prefix, t.seq, s.code, s.name, t.priority, t.language, t.state,
                t.issued_at, t.first_called_at, t.called_at, t.started_at, t.finished_at, k.name, u.username,
                t.outcome, t.transfers
         FROM tickets t JOIN services s ON s.id = t.service_id
         LEFT JOIN counters k ON k.id = t.counter_id LEFT JOIN users u ON u.id = t.user_id
         WHERE {FILTERS} ORDER BY t.id"
    ))?;
    let mut rows = stmt.query(f.params())?;
    while let Some(r) = rows.next()? {
        each(TicketLine {
            id: r.get(0)?,
            office_day: r.get(1)?,
            number: format!("{}{:03}", r.get::<_, String>(2)?, r.get::<_, u32>(3)?),
            service_code: r.get(4)?,
            service: italian(&r.get::<_, String>(5)?),
            priority: r.get(6)?,
            language: r.get(7)?,
            state: r.get(8)?,
            issued_at: r.get(9)?,
            first_called_at: r.get(10)?,
            called_at: r.get(11)?,
            started_at: r.get(12)?,
            finished_at: r.get(13)?,
            counter: r.get(14)?,
            clerk: r.get(15)?,
            outcome: r.get(16)?,
            transfers: r.get(17)?,
        })?;
    }
    Ok(())
}

pub fn events(c: &Connection, f: &Filter, mut each: impl FnMut(EventLine) -> Result<()>) -> Result<()> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT e.ticket_id, t.prefix, t.seq, e.action, e.from_state, e.to_state, e.at, s.code, k.name,
                u.username, e.outcome
         FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id JOIN services s ON s.id = e.service_id
         LEFT JOIN counters k ON k.id = e.counter_id LEFT JOIN users u ON u.id = e.user_id
         WHERE {FILTERS} ORDER BY e.id"
    ))?;
    let mut rows = stmt.query(f.params())?;
    while let Some(r) = rows.next()? {
        each(EventLine {
            ticket_id: r.get(0)?,
            number: format!("{}{:03}", r.get::<_, String>(1)?, r.get::<_, u32>(2)?),
            action: r.get(3)?,
            from_state: r.get(4)?,
            to_state: r.get(5)?,
            at: r.get(6)?,
            service_code: r.get(7)?,
            counter: r.get(8)?,
            clerk: r.get(9)?,
            outcome: r.get(10)?,
        })?;
    }
    Ok(())
}

pub fn ratings(c: &Connection, f: &Filter, mut each: impl FnMut(RatingLine) -> Result<()>) -> Result<()> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT t.office_day, t.prefix, t.seq, s.code, k.name, r.rating, r.reason, r.at
         FROM tickets t JOIN ratings r ON r.ticket_id = t.id JOIN services s ON s.id = r.service_id
         LEFT JOIN counters k ON k.id = r.counter_id
         WHERE {FILTERS} ORDER BY r.at, r.ticket_id"
    ))?;
    let mut rows = stmt.query(f.params())?;
    while let Some(r) = rows.next()? {
        each(RatingLine {
            office_day: r.get(0)?,
            number: format!("{}{:03}", r.get::<_, String>(1)?, r.get::<_, u32>(2)?),
            service_code: r.get(3)?,
            counter: r.get(4)?,
            rating: r.get(5)?,
            reason: r.get(6)?,
            at: r.get(7)?,
        })?;
    }
    Ok(())
}

/// The office days of the filter's range that hold tickets or visits without ticket, in order.
pub fn days_with_visits(c: &Connection, f: &Filter) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT office_day FROM tickets t WHERE t.office_day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR t.service_id = ?3)
           AND (?4 IS NULL OR t.counter_id = ?4) AND (?5 IS NULL OR t.user_id = ?5)
         UNION
         SELECT office_day FROM walk_ins w WHERE w.office_day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR w.service_id = ?3)
           AND (?4 IS NULL OR w.counter_id = ?4) AND (?5 IS NULL OR w.user_id = ?5)
         ORDER BY 1",
    )?;
    let rows = stmt.query_map(f.params(), |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The codes and Italian names of every service, by id.
pub fn service_names(c: &Connection) -> Result<Vec<(i64, String, String)>> {
    let mut stmt = c.prepare_cached("SELECT id, code, name FROM services ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, italian(&r.get::<_, String>(2)?))))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
