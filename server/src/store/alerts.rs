//! SQL for the alerts: each service's longest wait today, and the ratings of the last minutes.

use jiff::Timestamp;
use rusqlite::Connection;

use crate::error::Result;

/// A service's oldest waiting ticket of today.
pub struct OldestWait {
    pub service_id: i64,
    pub service_name: String,
    pub target_wait_minutes: Option<u32>,
    pub oldest_issued_at: i64,
}

/// For each service with tickets waiting since `since`, when the oldest was issued.
pub fn oldest_waits(c: &Connection, since: Timestamp) -> Result<Vec<OldestWait>> {
    let mut stmt = c.prepare_cached(
        "SELECT s.id, s.name, s.target_wait_minutes, MIN(t.issued_at) FROM tickets t
         JOIN services s ON s.id = t.service_id
         WHERE t.state = 'waiting' AND t.issued_at >= ?1 GROUP BY s.id",
    )?;
    let rows = stmt.query_map([since.as_millisecond()], |r| {
        let name: String = r.get(1)?;
        Ok(OldestWait {
            service_id: r.get(0)?,
            service_name: serde_json::from_str::<turno_shared::api::Localized>(&name)
                .map(|n| n.get(turno_shared::api::REFERENCE_LANGUAGE).to_owned())
                .unwrap_or(name),
            target_wait_minutes: r.get(2)?,
            oldest_issued_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The bad ratings and all ratings given since `since`.
pub fn ratings_since(c: &Connection, since: Timestamp) -> Result<(u32, u32)> {
    Ok(
        c.prepare_cached("SELECT COALESCE(SUM(rating = 'bad'), 0), COUNT(*) FROM ratings WHERE at >= ?1")?
            .query_row([since.as_millisecond()], |r| Ok((r.get(0)?, r.get(1)?)))?,
    )
}
