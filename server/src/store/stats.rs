//! SQL for the statistics: the rows of a range of office days that `turno_shared::stats` counts —
//! tickets, visits without ticket, ratings, pauses — read one at a time, never the range at once.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use rusqlite::Connection;
use turno_shared::domain::PauseReason;
use turno_shared::stats::{PauseRow, RatingRow, TicketRow, WalkInRow};

use super::office::parse;
use crate::error::Result;

/// Which visits: office days `from` to `to` (inclusive, `YYYY-MM-DD`), and optionally one service,
/// counter or clerk.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub from: String,
    pub to: String,
    pub service_id: Option<i64>,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
}

impl Filter {
    pub(super) fn params(&self) -> [rusqlite::types::Value; 5] {
        use rusqlite::types::Value;
        let id = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
        [
            Value::Text(self.from.clone()),
            Value::Text(self.to.clone()),
            id(self.service_id),
            id(self.counter_id),
            id(self.user_id),
        ]
    }
}

/// Local weekday (1 = Monday) and hour of an instant, cheap enough for a million rows.
pub struct LocalTime {
    tz: TimeZone,
}

impl LocalTime {
    pub fn new(tz: TimeZone) -> Self {
        Self { tz }
    }

    pub fn weekday_hour(&self, ms: i64) -> (u8, u8) {
        let Ok(ts) = Timestamp::from_millisecond(ms) else {
            return (1, 0);
        };
        let local_secs = ms.div_euclid(1000) + i64::from(self.tz.to_offset(ts).seconds());
        let days = local_secs.div_euclid(86_400);
        let hour = local_secs.rem_euclid(86_400) / 3600;
        // 1970-01-01 was a Thursday (4).
        let weekday = (days + 3).rem_euclid(7) + 1;
        (weekday as u8, hour as u8)
    }

    /// The local date (`YYYY-MM-DD`, the office day) of an instant.
    pub fn date(&self, ms: i64) -> String {
        Timestamp::from_millisecond(ms).map_or_else(
            |_| "1970-01-01".to_owned(),
            |ts| ts.to_zoned(self.tz.clone()).date().to_string(),
        )
    }
}

/// Milliseconds as whole seconds, never negative.
pub(crate) fn millis_to_secs(ms: Option<i64>) -> Option<u32> {
    ms.map(|ms| (ms.max(0) / 1000).min(i64::from(u32::MAX)) as u32)
}

fn secs_between(from: Option<i64>, to: Option<i64>) -> Option<u32> {
    match (from, to) {
        (Some(a), Some(b)) => Some(((b - a).max(0) / 1000).min(i64::from(u32::MAX)) as u32),
        _ => None,
    }
}

/// Each service's target wait, in minutes: a ticket is counted against its service's current target.
pub(super) fn service_targets(c: &Connection) -> Result<std::collections::HashMap<i64, Option<u32>>> {
    Ok(c.prepare_cached("SELECT id, target_wait_minutes FROM services")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Every ticket of the filter's days, in issue order.
pub fn tickets(c: &Connection, f: &Filter, local: &LocalTime, mut each: impl FnMut(TicketRow)) -> Result<()> {
    let targets = service_targets(c)?;
    // A range that holds a good part of the table's days (a year's half counted beside the other)
    // is read straight through the table, in its order: cheaper than a lookup in the index of days
    // for each row. A shorter one goes through the index.
    let (first, last): (Option<String>, Option<String>) = c.query_row(
        "SELECT (SELECT min(office_day) FROM tickets), (SELECT max(office_day) FROM tickets)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let day = |d: &str| d.parse::<jiff::civil::Date>().ok();
    let span = |a: jiff::civil::Date, b: jiff::civil::Date| a.until(b).map_or(0, |s| s.get_days());
    let whole = match (
        first.as_deref().and_then(day),
        last.as_deref().and_then(day),
        day(&f.from),
        day(&f.to),
    ) {
        (Some(first), Some(last), Some(from), Some(to)) => {
            5 * span(from.max(first), to.min(last)) >= 2 * span(first, last)
        }
        _ => false,
    };
    let sql = format!(
        "SELECT office_day, service_id, counter_id, user_id, state, priority, issued_at,
                first_called_at - issued_at, finished_at - coalesce(started_at, called_at), outcome, transfers
         FROM tickets {}
         WHERE office_day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR service_id = ?3)
           AND (?4 IS NULL OR counter_id = ?4) AND (?5 IS NULL OR user_id = ?5)",
        if whole { "NOT INDEXED" } else { "" }
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(f.params())?;
    while let Some(r) = rows.next()? {
        // Fewer columns, differences made by SQLite and text read in place: a year is a million rows.
        let service_id: i64 = r.get(1)?;
        let (weekday, hour) = local.weekday_hour(r.get(6)?);
        let text =
            |i: usize| -> Result<Option<&str>> { Ok(r.get_ref(i)?.as_str_or_null().map_err(rusqlite::Error::from)?) };
        each(TicketRow {
            office_day: r.get(0)?,
            service_id,
            counter_id: r.get(2)?,
            user_id: r.get(3)?,
            state: parse(text(4)?.unwrap_or_default())?,
            priority: r.get(5)?,
            weekday,
            hour,
            wait_secs: millis_to_secs(r.get(7)?),
            service_secs: millis_to_secs(r.get(8)?),
            outcome: text(9)?.map(parse).transpose()?,
            transfers: r.get(10)?,
            target_wait_minutes: targets.get(&service_id).copied().flatten(),
        });
    }
    Ok(())
}

/// Every visit without a ticket of the filter's days.
pub fn walk_ins(c: &Connection, f: &Filter, local: &LocalTime, mut each: impl FnMut(WalkInRow)) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT office_day, service_id, counter_id, user_id, started_at, finished_at, outcome FROM walk_ins
         WHERE office_day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR service_id = ?3)
           AND (?4 IS NULL OR counter_id = ?4) AND (?5 IS NULL OR user_id = ?5)",
    )?;
    let mut rows = stmt.query(f.params())?;
    while let Some(r) = rows.next()? {
        let started: i64 = r.get(4)?;
        let (weekday, hour) = local.weekday_hour(started);
        each(WalkInRow {
            office_day: r.get(0)?,
            service_id: r.get(1)?,
            counter_id: r.get(2)?,
            user_id: r.get(3)?,
            weekday,
            hour,
            service_secs: secs_between(Some(started), r.get(5)?).unwrap_or(0),
            outcome: parse(&r.get::<_, String>(6)?)?,
        });
    }
    Ok(())
}

/// Every rating of a visit of the filter's days.
pub fn ratings(c: &Connection, f: &Filter, local: &LocalTime, mut each: impl FnMut(RatingRow)) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT t.office_day, r.service_id, r.counter_id, r.user_id, t.issued_at, r.rating, r.reason
         FROM ratings r JOIN tickets t ON t.id = r.ticket_id
         WHERE t.office_day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR r.service_id = ?3)
           AND (?4 IS NULL OR r.counter_id = ?4) AND (?5 IS NULL OR r.user_id = ?5)",
    )?;
    let mut rows = stmt.query(f.params())?;
    while let Some(r) = rows.next()? {
        let (weekday, hour) = local.weekday_hour(r.get(4)?);
        each(RatingRow {
            office_day: r.get(0)?,
            service_id: r.get(1)?,
            counter_id: r.get(2)?,
            user_id: r.get(3)?,
            weekday,
            hour,
            rating: parse(&r.get::<_, String>(5)?)?,
            reason: r.get::<_, Option<String>>(6)?.map(|s| parse(&s)).transpose()?,
        });
    }
    Ok(())
}

/// Every pause that began from `from` (inclusive) to `to` (exclusive), with its length up to its end
/// (resume, a new pause, closing the counter) or up to `now`. Filtered by counter and clerk (pauses
/// have no service).
pub fn pauses(
    c: &Connection,
    from: Timestamp,
    to: Timestamp,
    f: &Filter,
    now: Timestamp,
    mut each: impl FnMut(PauseRow),
) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT e.reason, s.counter_id, s.user_id, e.at,
                (SELECT MIN(n.at) FROM clerk_events n WHERE n.session_id = e.session_id AND n.id > e.id)
         FROM clerk_events e JOIN counter_sessions s ON s.id = e.session_id
         WHERE e.kind = 'pause' AND e.at >= ?1 AND e.at < ?2
           AND (?3 IS NULL OR s.counter_id = ?3) AND (?4 IS NULL OR s.user_id = ?4)",
    )?;
    let mut rows = stmt.query(rusqlite::params![
        from.as_millisecond(),
        to.as_millisecond(),
        f.counter_id,
        f.user_id
    ])?;
    while let Some(r) = rows.next()? {
        let reason: PauseReason = r
            .get::<_, Option<String>>(0)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(PauseReason::Other);
        let start: i64 = r.get(3)?;
        let end: i64 = r.get::<_, Option<i64>>(4)?.unwrap_or(now.as_millisecond());
        each(PauseRow {
            reason,
            counter_id: r.get(1)?,
            user_id: r.get(2)?,
            secs: ((end - start).max(0) / 1000) as u64,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_weekday_and_hour_follow_the_clock_changes() {
        let local = LocalTime::new(TimeZone::get("Europe/Rome").unwrap());
        let at = |s: &str| s.parse::<Timestamp>().unwrap().as_millisecond();
        // Thursday 26 November 2026, 09:00 UTC = 10:00 in Rome (winter time).
        assert_eq!(local.weekday_hour(at("2026-11-26T09:00:00Z")), (4, 10));
        // Sunday 29 March 2026, 01:30 UTC = 03:30 in Rome (summer time began at 02:00).
        assert_eq!(local.weekday_hour(at("2026-03-29T01:30:00Z")), (7, 3));
        // Monday at midnight in Rome is Sunday 23:00 UTC in winter.
        assert_eq!(local.weekday_hour(at("2026-11-29T23:00:00Z")), (1, 0));
    }
}
