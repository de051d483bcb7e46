//! The office's statistics for a range of office days: the store's rows counted by
//! `turno_shared::stats` (the same computation the city's centre runs on its own rows).

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::Connection;
use turno_shared::stats::{Accumulator, Stats};

use crate::error::{Error, Result};
use crate::office::Office;
use crate::store::Store;
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
    Ok(accumulate(c, office, q, now, Some((q.from, q.to)))?.finish())
}

/// [`compute`] on the store's read connections: a range of more than four weeks is counted in two
/// halves side by side (one per core) and the halves merged, which gives the same figures.
pub async fn compute_in(store: &Store, office: Arc<Office>, q: Query, now: Timestamp) -> Result<Stats> {
    let days = q.from.until(q.to).map_or(0, |span| span.get_days());
    if days < 28 {
        return store.read(move |c| compute(c, &office, &q, now)).await;
    }
    let mid = q
        .from
        .checked_add(jiff::Span::new().days(i64::from(days / 2)))
        .map_err(Error::internal)?;
    let first = Query { to: mid, ..q.clone() };
    let second = Query {
        from: mid.tomorrow().map_err(Error::internal)?,
        ..q.clone()
    };
    let pauses = Some((q.from, q.to));
    let other = office.clone();
    let (mut a, b) = tokio::try_join!(
        store.read(move |c| accumulate(c, &office, &first, now, pauses)),
        store.read(move |c| accumulate(c, &other, &second, now, None)),
    )?;
    a.merge(b);
    Ok(a.finish())
}

/// Counts the visits and ratings of the query's days, and the pauses of the days `pauses` names.
fn accumulate(
    c: &Connection,
    office: &Office,
    q: &Query,
    now: Timestamp,
    pauses: Option<(Date, Date)>,
) -> Result<Accumulator> {
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
    if let Some((from, to)) = pauses
        && q.service_id.is_none()
        && from <= to
    {
        // The end of the last day: the start of the next (the last day jiff knows ends the calendar).
        let end = day_start(office, to.tomorrow().unwrap_or(to))?;
        let filter = Filter {
            from: from.to_string(),
            to: to.to_string(),
            ..filter
        };
        rows::pauses(c, day_start(office, from)?, end, &filter, now, |p| acc.pause(&p))?;
    }
    Ok(acc)
}
