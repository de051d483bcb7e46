//! The office's statistics for a range of office days: the store's rows counted by
//! `turno_shared::stats` (the same computation the city's centre runs on its own rows).

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::Connection;
use turno_shared::stats::{Accumulator, Stats};

use crate::error::{Error, Result};
use crate::office::Office;
use crate::store::stats::{self as rows, Filter, LocalTime};

/// Which visits to count.
#[derive(Clone, Debug)]
pub struct Query {
    pub from: Date,
    pub to: Date,
    pub service_id: Option<i64>,
    pub counter_id: Option<i64>,
    pub user_id: Option<i64>,
}

/// When an office day starts, in the office's time zone.
fn day_start(office: &Office, day: Date) -> Result<Timestamp> {
    day.to_zoned(office.tz.clone())
        .map(|z| z.timestamp())
        .map_err(|e| Error::invalid(format!("{day}: {e}")))
}

/// Counts the visits, ratings and pauses of the query's days.
pub fn compute(c: &Connection, office: &Office, q: &Query, now: Timestamp) -> Result<Stats> {
    let filter = Filter {
        from: q.from.to_string(),
        to: q.to.to_string(),
        service_id: q.service_id,
        counter_id: q.counter_id,
        user_id: q.user_id,
    };
    let local = LocalTime::new(office.tz.clone());
    let mut acc = Accumulator::new();
    rows::tickets(c, &filter, &local, |t| acc.ticket(&t))?;
    rows::walk_ins(c, &filter, &local, |w| acc.walk_in(&w))?;
    rows::ratings(c, &filter, &local, |r| acc.rating(&r))?;
    // Pauses belong to counters and clerks, not to services.
    if q.service_id.is_none() && q.from <= q.to {
        // The end of the last day: the start of the next (the last day jiff knows ends the calendar).
        let end = day_start(office, q.to.tomorrow().unwrap_or(q.to))?;
        rows::pauses(c, day_start(office, q.from)?, end, &filter, now, |p| acc.pause(&p))?;
    }
    Ok(acc.finish())
}
