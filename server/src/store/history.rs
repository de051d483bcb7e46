//! SQL for generated history (the demo's past months, the benchmarks' year): a finished ticket written at
//! once with its whole event log and its rating, bypassing the live office's operations.

use rusqlite::{Connection, named_params};

use crate::error::Result;

/// One step of a generated ticket's history.
#[derive(Clone, Debug)]
pub struct Step {
    pub action: &'static str,
    pub from_state: Option<&'static str>,
    pub to_state: &'static str,
    pub at: i64,
    pub service_id: i64,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
}

/// A generated ticket, in its final state, with its history and rating.
#[derive(Clone, Debug)]
pub struct PastTicket {
    pub office_day: String,
    pub prefix: char,
    pub seq: u32,
    pub service_id: i64,
    pub priority: bool,
    pub language: Option<&'static str>,
    pub token: String,
    pub state: &'static str,
    pub issued_at: i64,
    pub first_called_at: Option<i64>,
    pub called_at: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
    pub outcome: Option<String>,
    pub transfers: u32,
    pub steps: Vec<Step>,
    /// Face and reason, rated at `finished_at` plus a few minutes.
    pub rating: Option<(&'static str, Option<&'static str>, i64)>,
}

pub fn insert(c: &Connection, t: &PastTicket) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO tickets (office_day, prefix, seq, service_id, priority, language, token, state, issued_at,
            called_at, started_at, finished_at, counter_id, user_id, outcome, first_called_at, transfers)
         VALUES (:day, :prefix, :seq, :service, :priority, :language, :token, :state, :issued,
            :called, :started, :finished, :counter, :user, :outcome, :first_called, :transfers)",
    )?
    .execute(named_params! {
        ":day": t.office_day, ":prefix": t.prefix.to_string(), ":seq": t.seq, ":service": t.service_id,
        ":priority": t.priority, ":language": t.language, ":token": t.token, ":state": t.state,
        ":issued": t.issued_at, ":called": t.called_at, ":started": t.started_at, ":finished": t.finished_at,
        ":counter": t.counter_id, ":user": t.user_id, ":outcome": t.outcome, ":first_called": t.first_called_at,
        ":transfers": t.transfers,
    })?;
    let id = c.last_insert_rowid();
    let mut event = c.prepare_cached(
        "INSERT INTO ticket_events (ticket_id, action, from_state, to_state, at, service_id, counter_id, user_id, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for s in &t.steps {
        let outcome = (s.action == "finish").then_some(t.outcome.as_deref()).flatten();
        event.execute(rusqlite::params![
            id,
            s.action,
            s.from_state,
            s.to_state,
            s.at,
            s.service_id,
            s.counter_id,
            s.user_id,
            outcome
        ])?;
    }
    if let Some((rating, reason, at)) = t.rating {
        c.prepare_cached(
            "INSERT INTO ratings (ticket_id, rating, reason, at, service_id, counter_id, user_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(rusqlite::params![
            id,
            rating,
            reason,
            at,
            t.service_id,
            t.counter_id,
            t.user_id
        ])?;
    }
    Ok(id)
}

/// Whether any ticket exists before `office_day`: generated history is written only once.
pub fn has_tickets_before(c: &Connection, office_day: &str) -> Result<bool> {
    Ok(
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM tickets WHERE office_day < ?1)")?
            .query_row([office_day], |r| r.get(0))?,
    )
}
