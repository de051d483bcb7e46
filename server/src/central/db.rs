//! The centre's SQL (PostgreSQL, through `tokio-postgres` and a `deadpool-postgres` pool): migrations,
//! the batch an office ships (one transaction: idempotent inserts keyed by office and event id, the
//! tickets' latest state, the daily rollup of the days it touched, the office's lag), and the reads of
//! the centre's pages: rows for `turno_shared::stats`, the rollups, the offices' lag, accounts.

use std::collections::HashSet;
use std::sync::Mutex;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::{TryStreamExt, pin_mut};
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;
use turno_shared::stats::{Accumulator, Cell, PauseRow, RatingRow, TicketRow, WalkInRow};

use super::batch::Batch;
use super::schema::{LATEST, MIGRATIONS};
use crate::error::{Error, Result};
use crate::store::stats::millis_to_secs;

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        Error::Unavailable(format!("central database: {e}"))
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Error::Unavailable(format!("central database: {e}"))
    }
}

/// A pool of `size` connections to `url` (`postgres://user:password@host:port/db`), without TLS.
pub fn pool(url: &str, size: usize) -> Result<Pool> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| Error::invalid(format!("central url {url:?}: {e}")))?;
    config.connect_timeout(std::time::Duration::from_secs(10));
    config.application_name("turno");
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .create_timeout(Some(std::time::Duration::from_secs(15)))
        .wait_timeout(Some(std::time::Duration::from_secs(30)))
        .build()
        .map_err(|e| Error::invalid(format!("central pool: {e}")))
}

/// The schema's version (0 for an empty database).
pub async fn schema_version(pool: &Pool) -> Result<i32> {
    let c = pool.get().await?;
    let exists: bool = c
        .query_one("SELECT to_regclass('turno_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(c.query_one("SELECT coalesce(max(version), 0) FROM turno_schema", &[])
        .await?
        .get(0))
}

/// Brings the schema up to `target` (the latest when `None`), each migration in its own transaction,
/// under a lock so that two centres started together do not both migrate. Returns the version.
pub async fn migrate(pool: &Pool, target: Option<i32>) -> Result<i32> {
    let target = target.unwrap_or(LATEST);
    if !(0..=LATEST).contains(&target) {
        return Err(Error::invalid(format!(
            "schema version {target} is not between 0 and {LATEST}"
        )));
    }
    let mut c = pool.get().await?;
    c.batch_execute(
        "SELECT pg_advisory_lock(7310013);
         CREATE TABLE IF NOT EXISTS turno_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)",
    )
    .await?;
    let result = async {
        let mut version: i32 = c
            .query_one("SELECT coalesce(max(version), 0) FROM turno_schema", &[])
            .await?
            .get(0);
        if version > LATEST {
            return Err(Error::invalid(format!(
                "the central database has schema version {version}, newer than this program's {LATEST}"
            )));
        }
        while version < target {
            let tx = c.transaction().await?;
            tx.batch_execute(MIGRATIONS[version as usize]).await?;
            tx.execute(
                "INSERT INTO turno_schema (version, applied_at) VALUES ($1, now())",
                &[&(version + 1)],
            )
            .await?;
            tx.commit().await?;
            version += 1;
            tracing::info!(version, "central schema migrated");
        }
        Ok(version)
    }
    .await;
    c.batch_execute("SELECT pg_advisory_unlock(7310013)").await?;
    result
}

/// Who is shipping.
#[derive(Clone, Debug)]
pub struct OfficeInfo {
    pub code: String,
    pub name: String,
    pub timezone: String,
}

/// Months (`(year, month)`) whose partition of `ticket_events` this process knows exists.
static PARTITIONS: Mutex<Option<HashSet<(i16, i8)>>> = Mutex::new(None);

/// Creates the monthly partitions of `ticket_events` the batch needs, each in its own short
/// transaction before the batch's (creating one locks the parent table).
async fn ensure_partitions(pool: &Pool, batch: &Batch) -> Result<()> {
    let mut months: Vec<(i16, i8)> = batch
        .events
        .iter()
        .filter_map(|e| jiff::Timestamp::from_millisecond(e.at_ms).ok())
        .map(|t| {
            let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
            (d.year(), d.month())
        })
        .collect();
    months.sort();
    months.dedup();
    let missing: Vec<(i16, i8)> = {
        let known = PARTITIONS.lock().unwrap_or_else(|e| e.into_inner());
        months
            .into_iter()
            .filter(|m| known.as_ref().is_none_or(|k| !k.contains(m)))
            .collect()
    };
    if missing.is_empty() {
        return Ok(());
    }
    let mut c = pool.get().await?;
    for (y, m) in missing {
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let tx = c.transaction().await?;
        tx.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock(7310014);
             CREATE TABLE IF NOT EXISTS ticket_events_y{y:04}m{m:02} PARTITION OF ticket_events
             FOR VALUES FROM ('{y:04}-{m:02}-01 00:00:00+00') TO ('{ny:04}-{nm:02}-01 00:00:00+00')"
        ))
        .await?;
        tx.commit().await?;
        PARTITIONS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(HashSet::new)
            .insert((y, m));
    }
    Ok(())
}

const MS: &str = "'epoch'::timestamptz + interval '1 millisecond' *";

/// Writes one batch in one transaction: a retry of the same batch (or of part of it) changes nothing.
/// `as_of_ms`: up to when the office's data is complete at the centre once this commits.
pub async fn ingest(pool: &Pool, office: &OfficeInfo, batch: &Batch, as_of_ms: i64) -> Result<()> {
    ensure_partitions(pool, batch).await?;
    let mut c = pool.get().await?;
    let tx = c.transaction().await?;
    let code = &office.code;
    // The office's row first: it orders two shippers of one office, and the names refer to it.
    tx.execute(
        &format!(
            "INSERT INTO offices (code, name, timezone, shipped, backlog, last_seen, data_as_of)
             VALUES ($1, $2, $3, $4, $5, now(), {MS} $6::bigint)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, timezone = excluded.timezone,
               shipped = greatest(offices.shipped, excluded.shipped), backlog = excluded.backlog,
               last_seen = now(), data_as_of = greatest(offices.data_as_of, excluded.data_as_of)"
        ),
        &[
            &office.code,
            &office.name,
            &office.timezone,
            &batch.last,
            &batch.pending,
            &as_of_ms,
        ],
    )
    .await?;
    if !batch.services.is_empty() {
        let s = &batch.services;
        let ids: Vec<i64> = s.iter().map(|r| r.service_id).collect();
        let ev: Vec<i64> = s.iter().map(|r| r.event_id).collect();
        let codes: Vec<&str> = s.iter().map(|r| r.code.as_str()).collect();
        let names: Vec<&str> = s.iter().map(|r| r.name.as_str()).collect();
        let targets: Vec<Option<i32>> = s.iter().map(|r| r.target_wait_minutes.map(|t| t as i32)).collect();
        tx.execute(
            "INSERT INTO services (office, service_id, event_id, code, name, target_wait_minutes)
             SELECT DISTINCT ON (i) $1, i, e, c, n, t FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[],
                $6::integer[]) AS x(i, e, c, n, t) ORDER BY i, e DESC
             ON CONFLICT (office, service_id) DO UPDATE SET event_id = excluded.event_id, code = excluded.code,
               name = excluded.name, target_wait_minutes = excluded.target_wait_minutes
             WHERE services.event_id < excluded.event_id",
            &[code, &ids, &ev, &codes, &names, &targets],
        )
        .await?;
    }
    if !batch.counters.is_empty() {
        let k = &batch.counters;
        let ids: Vec<i64> = k.iter().map(|r| r.counter_id).collect();
        let ev: Vec<i64> = k.iter().map(|r| r.event_id).collect();
        let names: Vec<&str> = k.iter().map(|r| r.name.as_str()).collect();
        tx.execute(
            "INSERT INTO counters (office, counter_id, event_id, name)
             SELECT DISTINCT ON (i) $1, i, e, n FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS x(i, e, n)
             ORDER BY i, e DESC
             ON CONFLICT (office, counter_id) DO UPDATE SET event_id = excluded.event_id, name = excluded.name
             WHERE counters.event_id < excluded.event_id",
            &[code, &ids, &ev, &names],
        )
        .await?;
    }
    if !batch.events.is_empty() {
        let e = &batch.events;
        let col_i = |f: fn(&super::batch::EventRow) -> i64| -> Vec<i64> { e.iter().map(f).collect() };
        let col_o = |f: fn(&super::batch::EventRow) -> Option<i64>| -> Vec<Option<i64>> { e.iter().map(f).collect() };
        let ev = col_i(|r| r.event_id);
        let tickets = col_i(|r| r.ticket_id);
        let at = col_i(|r| r.at_ms);
        let service = col_i(|r| r.service_id);
        let counter = col_o(|r| r.counter_id);
        let user = col_o(|r| r.user_id);
        let action: Vec<&str> = e.iter().map(|r| r.action.as_str()).collect();
        let from: Vec<Option<&str>> = e.iter().map(|r| r.from_state.as_deref()).collect();
        let to: Vec<&str> = e.iter().map(|r| r.to_state.as_str()).collect();
        let outcome: Vec<Option<&str>> = e.iter().map(|r| r.outcome.as_deref()).collect();
        tx.execute(
            &format!(
                "INSERT INTO ticket_events (office, event_id, ticket_id, action, from_state, to_state, at, service_id,
                   counter_id, user_id, outcome)
                 SELECT $1, e, t, a, f, s, {MS} at, sv, c, u, o FROM unnest($2::bigint[], $3::bigint[], $4::text[],
                   $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[])
                   AS x(e, t, a, f, s, at, sv, c, u, o)
                 ON CONFLICT DO NOTHING"
            ),
            &[
                code, &ev, &tickets, &action, &from, &to, &at, &service, &counter, &user, &outcome,
            ],
        )
        .await?;
    }
    if !batch.tickets.is_empty() {
        // The newest snapshot of each ticket in the batch (one row per ticket in one statement).
        let mut latest: std::collections::HashMap<i64, &super::batch::TicketSnapshot> = Default::default();
        for t in &batch.tickets {
            let e = latest.entry(t.ticket_id).or_insert(t);
            if e.event_id < t.event_id {
                *e = t;
            }
        }
        let t: Vec<&super::batch::TicketSnapshot> = latest.into_values().collect();
        let ids: Vec<i64> = t.iter().map(|r| r.ticket_id).collect();
        let ev: Vec<i64> = t.iter().map(|r| r.event_id).collect();
        let day: Vec<&str> = t.iter().map(|r| r.office_day.as_str()).collect();
        let service: Vec<i64> = t.iter().map(|r| r.service_id).collect();
        let counter: Vec<Option<i64>> = t.iter().map(|r| r.counter_id).collect();
        let user: Vec<Option<i64>> = t.iter().map(|r| r.user_id).collect();
        let state: Vec<&str> = t.iter().map(|r| r.state.as_str()).collect();
        let priority: Vec<bool> = t.iter().map(|r| r.priority).collect();
        let weekday: Vec<i16> = t.iter().map(|r| r.weekday).collect();
        let hour: Vec<i16> = t.iter().map(|r| r.hour).collect();
        let issued: Vec<i64> = t.iter().map(|r| r.issued_ms).collect();
        let wait: Vec<Option<i64>> = t.iter().map(|r| r.wait_ms).collect();
        let serv: Vec<Option<i64>> = t.iter().map(|r| r.service_ms).collect();
        let outcome: Vec<Option<&str>> = t.iter().map(|r| r.outcome.as_deref()).collect();
        let transfers: Vec<i32> = t.iter().map(|r| r.transfers as i32).collect();
        let params: [&(dyn ToSql + Sync); 16] = [
            code, &ids, &ev, &day, &service, &counter, &user, &state, &priority, &weekday, &hour, &issued, &wait,
            &serv, &outcome, &transfers,
        ];
        tx.execute(
            &format!(
                "INSERT INTO tickets (office, ticket_id, event_id, office_day, service_id, counter_id, user_id, state,
                   priority, weekday, hour, issued_at, wait_ms, service_ms, outcome, transfers)
                 SELECT $1, i, e, d::date, s, c, u, st, p, wd, h, {MS} iss, w, sv, o, tr
                 FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],
                   $8::text[], $9::boolean[], $10::smallint[], $11::smallint[], $12::bigint[], $13::bigint[],
                   $14::bigint[], $15::text[], $16::integer[])
                   AS x(i, e, d, s, c, u, st, p, wd, h, iss, w, sv, o, tr)
                 ON CONFLICT (office, ticket_id) DO UPDATE SET event_id = excluded.event_id,
                   service_id = excluded.service_id, counter_id = excluded.counter_id, user_id = excluded.user_id,
                   state = excluded.state, wait_ms = excluded.wait_ms, service_ms = excluded.service_ms,
                   outcome = excluded.outcome, transfers = excluded.transfers
                 WHERE tickets.event_id < excluded.event_id"
            ),
            &params,
        )
        .await?;
    }
    if !batch.ratings.is_empty() {
        let r = &batch.ratings;
        let ids: Vec<i64> = r.iter().map(|x| x.ticket_id).collect();
        let ev: Vec<i64> = r.iter().map(|x| x.event_id).collect();
        let day: Vec<&str> = r.iter().map(|x| x.office_day.as_str()).collect();
        let service: Vec<i64> = r.iter().map(|x| x.service_id).collect();
        let counter: Vec<Option<i64>> = r.iter().map(|x| x.counter_id).collect();
        let user: Vec<Option<i64>> = r.iter().map(|x| x.user_id).collect();
        let weekday: Vec<i16> = r.iter().map(|x| x.weekday).collect();
        let hour: Vec<i16> = r.iter().map(|x| x.hour).collect();
        let rating: Vec<&str> = r.iter().map(|x| x.rating.as_str()).collect();
        let reason: Vec<Option<&str>> = r.iter().map(|x| x.reason.as_deref()).collect();
        let at: Vec<i64> = r.iter().map(|x| x.at_ms).collect();
        tx.execute(
            &format!(
                "INSERT INTO ratings (office, ticket_id, event_id, office_day, service_id, counter_id, user_id, weekday,
                   hour, rating, reason, at)
                 SELECT $1, i, e, d::date, s, c, u, wd, h, r, re, {MS} at FROM unnest($2::bigint[], $3::bigint[],
                   $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::smallint[], $9::smallint[], $10::text[],
                   $11::text[], $12::bigint[]) AS x(i, e, d, s, c, u, wd, h, r, re, at)
                 ON CONFLICT DO NOTHING"
            ),
            &[
                code, &ids, &ev, &day, &service, &counter, &user, &weekday, &hour, &rating, &reason, &at,
            ],
        )
        .await?;
    }
    if !batch.walk_ins.is_empty() {
        let w = &batch.walk_ins;
        let ids: Vec<i64> = w.iter().map(|x| x.walk_in_id).collect();
        let ev: Vec<i64> = w.iter().map(|x| x.event_id).collect();
        let day: Vec<&str> = w.iter().map(|x| x.office_day.as_str()).collect();
        let service: Vec<i64> = w.iter().map(|x| x.service_id).collect();
        let counter: Vec<i64> = w.iter().map(|x| x.counter_id).collect();
        let user: Vec<i64> = w.iter().map(|x| x.user_id).collect();
        let weekday: Vec<i16> = w.iter().map(|x| x.weekday).collect();
        let hour: Vec<i16> = w.iter().map(|x| x.hour).collect();
        let started: Vec<i64> = w.iter().map(|x| x.started_ms).collect();
        let secs: Vec<i64> = w.iter().map(|x| x.service_ms).collect();
        let outcome: Vec<&str> = w.iter().map(|x| x.outcome.as_str()).collect();
        tx.execute(
            &format!(
                "INSERT INTO walk_ins (office, walk_in_id, event_id, office_day, service_id, counter_id, user_id,
                   weekday, hour, started_at, service_ms, outcome)
                 SELECT $1, i, e, d::date, s, c, u, wd, h, {MS} st, ms, o FROM unnest($2::bigint[], $3::bigint[],
                   $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::smallint[], $9::smallint[],
                   $10::bigint[], $11::bigint[], $12::text[]) AS x(i, e, d, s, c, u, wd, h, st, ms, o)
                 ON CONFLICT DO NOTHING"
            ),
            &[
                code, &ids, &ev, &day, &service, &counter, &user, &weekday, &hour, &started, &secs, &outcome,
            ],
        )
        .await?;
    }
    if !batch.clerk.is_empty() {
        let k = &batch.clerk;
        let ids: Vec<i64> = k.iter().map(|x| x.clerk_event_id).collect();
        let ev: Vec<i64> = k.iter().map(|x| x.event_id).collect();
        let session: Vec<i64> = k.iter().map(|x| x.session_id).collect();
        let counter: Vec<i64> = k.iter().map(|x| x.counter_id).collect();
        let user: Vec<i64> = k.iter().map(|x| x.user_id).collect();
        let kind: Vec<&str> = k.iter().map(|x| x.kind.as_str()).collect();
        let reason: Vec<Option<&str>> = k.iter().map(|x| x.reason.as_deref()).collect();
        let at: Vec<i64> = k.iter().map(|x| x.at_ms).collect();
        let day: Vec<&str> = k.iter().map(|x| x.office_day.as_str()).collect();
        tx.execute(
            &format!(
                "INSERT INTO clerk_events (office, clerk_event_id, event_id, session_id, counter_id, user_id, kind,
                   reason, at, office_day)
                 SELECT $1, i, e, s, c, u, k, r, {MS} at, d::date FROM unnest($2::bigint[], $3::bigint[],
                   $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::bigint[], $10::text[])
                   AS x(i, e, s, c, u, k, r, at, d)
                 ON CONFLICT DO NOTHING"
            ),
            &[code, &ids, &ev, &session, &counter, &user, &kind, &reason, &at, &day],
        )
        .await?;
    }
    let days = batch.days();
    if !days.is_empty() {
        tx.execute(
            "DELETE FROM daily WHERE office = $1 AND office_day = ANY($2::text[]::date[])",
            &[code, &days],
        )
        .await?;
        // Its trigger rewrites the days' cells (`daily_cells`) too.
        tx.execute(ROLLUP, &[code, &days]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The daily rollup of an office's days (`$1`, `$2`), counted from the rows: always equal to them.
const ROLLUP: &str = "
INSERT INTO daily (office, office_day, service_id, issued, served, no_show, walk_ins, called, long_waits, wait_secs,
                   timed, service_secs, ratings, good, neutral, bad, priority, transferred)
SELECT $1, d, s, sum(issued), sum(served), sum(no_show), sum(walk_ins), sum(called), sum(long_waits), sum(wait_secs),
       sum(timed), sum(service_secs), sum(ratings), sum(good), sum(neutral), sum(bad), sum(priority),
       sum(transferred)
FROM (
  SELECT office_day AS d, service_id AS s, 1 AS issued, (state = 'done')::int AS served,
         (state = 'no_show')::int AS no_show, 0 AS walk_ins, (wait_ms IS NOT NULL)::int AS called,
         coalesce((greatest(wait_ms, 0) / 1000 > 1200)::int, 0) AS long_waits,
         coalesce(greatest(wait_ms, 0) / 1000, 0) AS wait_secs,
         (state = 'done' AND service_ms IS NOT NULL)::int AS timed,
         CASE WHEN state = 'done' THEN coalesce(greatest(service_ms, 0) / 1000, 0) ELSE 0 END AS service_secs,
         0 AS ratings, 0 AS good, 0 AS neutral, 0 AS bad, priority::int AS priority,
         (transfers > 0)::int AS transferred
  FROM tickets WHERE office = $1 AND office_day = ANY($2::text[]::date[])
  UNION ALL
  SELECT office_day, service_id, 0, 0, 0, 1, 0, 0, 0, 1, greatest(service_ms, 0) / 1000, 0, 0, 0, 0, 0, 0
  FROM walk_ins WHERE office = $1 AND office_day = ANY($2::text[]::date[])
  UNION ALL
  SELECT office_day, service_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, (rating = 'good')::int, (rating = 'neutral')::int,
         (rating = 'bad')::int, 0, 0
  FROM ratings WHERE office = $1 AND office_day = ANY($2::text[]::date[])
) x GROUP BY d, s";

/// Tells the centre the office is there and has nothing more to send (`backlog` 0), its data complete
/// up to `as_of_ms`.
pub async fn heartbeat(pool: &Pool, office: &OfficeInfo, shipped: i64, as_of_ms: i64) -> Result<()> {
    let c = pool.get().await?;
    c.execute(
        &format!(
            "INSERT INTO offices (code, name, timezone, shipped, backlog, last_seen, data_as_of)
             VALUES ($1, $2, $3, $4, 0, now(), {MS} $5::bigint)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, timezone = excluded.timezone,
               shipped = greatest(offices.shipped, excluded.shipped), backlog = 0, last_seen = now(),
               data_as_of = greatest(offices.data_as_of, excluded.data_as_of)"
        ),
        &[&office.code, &office.name, &office.timezone, &shipped, &as_of_ms],
    )
    .await?;
    Ok(())
}

// ----- reads of the centre -----

/// An office as the centre sees it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OfficeLag {
    pub code: String,
    pub name: String,
    pub shipped: i64,
    /// Events the office had not yet shipped when it last reported.
    pub backlog: i64,
    /// Seconds since the centre last heard from it.
    pub last_seen_secs: Option<f64>,
    /// Seconds by which its data lags behind now.
    pub data_age_secs: Option<f64>,
    /// More than 15 minutes old.
    pub stale: bool,
}

/// Data older than this is marked.
pub const STALE_SECS: f64 = 15.0 * 60.0;

pub async fn offices(pool: &Pool, only: Option<&str>) -> Result<Vec<OfficeLag>> {
    let c = pool.get().await?;
    let rows = c
        .query(
            "SELECT code, name, shipped, backlog,
                    extract(epoch FROM now() - last_seen)::float8, extract(epoch FROM now() - data_as_of)::float8
             FROM offices WHERE $1::text IS NULL OR code = $1 ORDER BY code",
            &[&only],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let age: Option<f64> = r.get(5);
            OfficeLag {
                code: r.get(0),
                name: r.get(1),
                shipped: r.get(2),
                backlog: r.get(3),
                last_seen_secs: r.get(4),
                data_age_secs: age,
                stale: age.is_none_or(|a| a > STALE_SECS),
            }
        })
        .collect())
}

/// A service's name as the centre shows it: in Italian, from the names in every language the office
/// ships (as it keeps them: a JSON object by language); a name that is not one is shown as it is.
fn reference_name(shipped: &str) -> String {
    serde_json::from_str::<turno_shared::api::Localized>(shipped).map_or_else(
        |_| shipped.to_owned(),
        |l| l.get(turno_shared::api::REFERENCE_LANGUAGE).to_owned(),
    )
}

/// A service's or counter's name at an office.
pub async fn names(pool: &Pool, office: &str) -> Result<(Vec<(i64, String, String)>, Vec<(i64, String)>)> {
    let c = pool.get().await?;
    let services = c
        .query(
            "SELECT service_id, code, name FROM services WHERE office = $1 ORDER BY service_id",
            &[&office],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), reference_name(r.get(2))))
        .collect();
    let counters = c
        .query(
            "SELECT counter_id, name FROM counters WHERE office = $1 ORDER BY counter_id",
            &[&office],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Ok((services, counters))
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| Error::internal(format!("unexpected value {s:?} in the central database")))
}

/// Ids of one office's services, counters and clerks as the city-wide figures key them (services by
/// their code, so that every office's registry service counts as one; counters and clerks apart).
#[derive(Clone, Debug, Default)]
pub struct Remap {
    pub service: std::collections::HashMap<i64, i64>,
    pub counter: std::collections::HashMap<i64, i64>,
    /// Added to the office's clerk ids (offices apart by a billion).
    pub user_offset: i64,
}

impl Remap {
    /// A service's id as the figures key it (the office's own without a map).
    pub fn service(map: Option<&Remap>, id: i64) -> i64 {
        map.and_then(|m| m.service.get(&id).copied()).unwrap_or(id)
    }

    /// A counter's id as the figures key it.
    pub fn counter(map: Option<&Remap>, id: i64) -> i64 {
        map.and_then(|m| m.counter.get(&id).copied()).unwrap_or(id)
    }

    /// A clerk's id as the figures key it.
    pub fn user(map: Option<&Remap>, id: i64) -> i64 {
        map.map_or(id, |m| m.user_offset + id)
    }
}

/// Counts every row of one office's days `from` to `to` (`YYYY-MM-DD`) in `acc`, as the office's own
/// store hands them to `turno_shared::stats` (the same figures follow); ids through `map` when given.
/// Pauses still going are measured up to `now_ms`.
pub async fn office_rows(
    pool: &Pool,
    office: &str,
    from: &str,
    to: &str,
    now_ms: i64,
    acc: &mut Accumulator,
    map: Option<&Remap>,
) -> Result<()> {
    let sv = |id: i64| Remap::service(map, id);
    let ct = |id: i64| Remap::counter(map, id);
    let us = |id: i64| Remap::user(map, id);
    let c = pool.get().await?;
    let params: [&(dyn ToSql + Sync); 3] = [&office, &from, &to];
    let stmt = c
        .prepare_cached(
            "SELECT t.office_day::text, t.service_id, t.counter_id, t.user_id, t.state, t.priority, t.weekday,
                    t.hour, t.wait_ms, t.service_ms, t.outcome, t.transfers, s.target_wait_minutes
             FROM tickets t LEFT JOIN services s ON s.office = t.office AND s.service_id = t.service_id
             WHERE t.office = $1 AND t.office_day BETWEEN $2::text::date AND $3::text::date",
        )
        .await?;
    let rows = c.query_raw(&stmt, params.iter().copied()).await?;
    pin_mut!(rows);
    while let Some(r) = rows.try_next().await? {
        acc.ticket(&TicketRow {
            office_day: r.get(0),
            service_id: sv(r.get(1)),
            counter_id: r.get::<_, Option<i64>>(2).map(ct),
            user_id: r.get::<_, Option<i64>>(3).map(us),
            state: parse(r.get(4))?,
            priority: r.get(5),
            weekday: r.get::<_, i16>(6) as u8,
            hour: r.get::<_, i16>(7) as u8,
            wait_secs: millis_to_secs(r.get(8)),
            service_secs: millis_to_secs(r.get(9)),
            outcome: r.get::<_, Option<&str>>(10).map(parse).transpose()?,
            transfers: r.get::<_, i32>(11) as u32,
            target_wait_minutes: r.get::<_, Option<i32>>(12).map(|t| t as u32),
        });
    }
    let stmt = c
        .prepare_cached(
            "SELECT office_day::text, service_id, counter_id, user_id, weekday, hour, service_ms, outcome
             FROM walk_ins WHERE office = $1 AND office_day BETWEEN $2::text::date AND $3::text::date",
        )
        .await?;
    let rows = c.query_raw(&stmt, params.iter().copied()).await?;
    pin_mut!(rows);
    while let Some(r) = rows.try_next().await? {
        acc.walk_in(&WalkInRow {
            office_day: r.get(0),
            service_id: sv(r.get(1)),
            counter_id: ct(r.get(2)),
            user_id: us(r.get(3)),
            weekday: r.get::<_, i16>(4) as u8,
            hour: r.get::<_, i16>(5) as u8,
            service_secs: millis_to_secs(Some(r.get(6))).unwrap_or(0),
            outcome: parse(r.get(7))?,
        });
    }
    let stmt = c
        .prepare_cached(
            "SELECT office_day::text, service_id, counter_id, user_id, weekday, hour, rating, reason
             FROM ratings WHERE office = $1 AND office_day BETWEEN $2::text::date AND $3::text::date",
        )
        .await?;
    let rows = c.query_raw(&stmt, params.iter().copied()).await?;
    pin_mut!(rows);
    while let Some(r) = rows.try_next().await? {
        acc.rating(&RatingRow {
            office_day: r.get(0),
            service_id: sv(r.get(1)),
            counter_id: r.get::<_, Option<i64>>(2).map(ct),
            user_id: r.get::<_, Option<i64>>(3).map(us),
            weekday: r.get::<_, i16>(4) as u8,
            hour: r.get::<_, i16>(5) as u8,
            rating: parse(r.get(6))?,
            reason: r.get::<_, Option<&str>>(7).map(parse).transpose()?,
        });
    }
    drop(c);
    office_pauses(pool, office, from, to, now_ms, acc, map).await
}

/// Counts one office's pauses of days `from` to `to` in `acc` (few: read from the rows, measured up to
/// `now_ms` when still going).
pub async fn office_pauses(
    pool: &Pool,
    office: &str,
    from: &str,
    to: &str,
    now_ms: i64,
    acc: &mut Accumulator,
    map: Option<&Remap>,
) -> Result<()> {
    let ct = |id: i64| Remap::counter(map, id);
    let us = |id: i64| Remap::user(map, id);
    let c = pool.get().await?;
    let params: [&(dyn ToSql + Sync); 3] = [&office, &from, &to];
    let stmt = c
        .prepare_cached(
            "SELECT e.reason, e.counter_id, e.user_id, (extract(epoch FROM e.at) * 1000)::bigint,
                    (SELECT (extract(epoch FROM min(n.at)) * 1000)::bigint FROM clerk_events n
                     WHERE n.office = e.office AND n.session_id = e.session_id
                       AND n.clerk_event_id > e.clerk_event_id)
             FROM clerk_events e
             WHERE e.office = $1 AND e.kind = 'pause' AND e.office_day BETWEEN $2::text::date AND $3::text::date",
        )
        .await?;
    let rows = c.query_raw(&stmt, params.iter().copied()).await?;
    pin_mut!(rows);
    while let Some(r) = rows.try_next().await? {
        let start: i64 = r.get(3);
        let end: i64 = r.get::<_, Option<i64>>(4).unwrap_or(now_ms);
        acc.pause(&PauseRow {
            reason: r
                .get::<_, Option<&str>>(0)
                .and_then(|s| s.parse().ok())
                .unwrap_or(turno_shared::domain::PauseReason::Other),
            counter_id: ct(r.get(1)),
            user_id: us(r.get(2)),
            secs: ((end - start).max(0) / 1000) as u64,
        });
    }
    Ok(())
}

/// One office's cells of the daily rollup for days `from` to `to` (`YYYY-MM-DD`), with its services'
/// targets of today, as rows for [`CellReader`]: counted by `Accumulator::cell`, the same figures as its
/// rows (`office_rows`) without reading them.
pub async fn office_cells(pool: &Pool, office: &str, from: &str, to: &str) -> Result<Vec<tokio_postgres::Row>> {
    let c = pool.get().await?;
    let stmt = c
        .prepare_cached(
            "SELECT c.office_day - date '2000-01-01', c.service_id, c.counter_id, c.user_id, c.counts, c.waits,
                    c.services, c.outcomes, c.reasons, s.target_wait_minutes
             FROM daily_cells c LEFT JOIN services s ON s.office = c.office AND s.service_id = c.service_id
             WHERE c.office = $1 AND c.office_day BETWEEN $2::text::date AND $3::text::date",
        )
        .await?;
    Ok(c.query(&stmt, &[&office, &from, &to]).await?)
}

/// Reads rows of [`office_cells`] into one cell, reused for a year's.
#[derive(Default)]
pub struct CellReader {
    cell: Cell,
    /// The office day of `cell.office_day`, in days since 2000-01-01.
    day: Option<i32>,
}

impl CellReader {
    /// The cell of row `r`, ids through `map` when given.
    pub fn read(&mut self, r: &tokio_postgres::Row, map: Option<&Remap>) -> Result<&Cell> {
        let cell = &mut self.cell;
        let day: i32 = r.get(0);
        if self.day != Some(day) {
            let date = jiff::civil::date(2000, 1, 1)
                .checked_add(jiff::Span::new().days(day))
                .map_err(|e| Error::internal(format!("a rollup cell's day: {e}")))?;
            cell.office_day = date.to_string();
            self.day = Some(day);
        }
        cell.service_id = Remap::service(map, r.get(1));
        cell.counter_id = r.get::<_, Option<i64>>(2).map(|id| Remap::counter(map, id));
        cell.user_id = r.get::<_, Option<i64>>(3).map(|id| Remap::user(map, id));
        let counts: &[u8] = r.get(4);
        if counts.len() != 48 {
            return Err(Error::internal("a rollup cell's counts are not 48 bytes"));
        }
        let int = |i: usize| i32::from_be_bytes(counts[4 * i..4 * i + 4].try_into().unwrap_or_default()).max(0) as u32;
        let short = |at: usize| i16::from_be_bytes(counts[at..at + 2].try_into().unwrap_or_default());
        cell.issued = int(0);
        cell.served = int(1);
        cell.no_show = int(2);
        cell.cancelled = int(3);
        cell.expired = int(4);
        cell.transferred = int(5);
        cell.priority = int(6);
        cell.walk_ins = int(7);
        cell.good = int(8);
        cell.neutral = int(9);
        cell.bad = int(10);
        cell.weekday = short(44).clamp(0, 255) as u8;
        cell.hour = short(46).clamp(0, 255) as u8;
        unpack_durations(r.get(5), &mut cell.waits)?;
        unpack_durations(r.get(6), &mut cell.services)?;
        cell.outcomes.clear();
        for (code, n) in unpack_counts(r.get(7))? {
            cell.outcomes.push((parse(code)?, n));
        }
        cell.reasons.clear();
        for (reason, n) in unpack_counts(r.get(8))? {
            cell.reasons.push((parse(reason)?, n));
        }
        cell.target_wait_minutes = r.get::<_, Option<i32>>(9).map(|t| t as u32);
        Ok(&self.cell)
    }
}

/// `(seconds, how many)` pairs packed by `turno_daily_cells`: 8 bytes of seconds, 4 of the count, big-endian.
fn unpack_durations(packed: &[u8], into: &mut Vec<(u32, u32)>) -> Result<()> {
    if !packed.len().is_multiple_of(12) {
        return Err(Error::internal("a rollup cell's durations are not pairs of 12 bytes"));
    }
    into.clear();
    into.extend(packed.chunks_exact(12).map(|pair| {
        let secs = i64::from_be_bytes(pair[..8].try_into().unwrap_or_default());
        let n = i32::from_be_bytes(pair[8..].try_into().unwrap_or_default());
        (secs.clamp(0, i64::from(u32::MAX)) as u32, n.max(0) as u32)
    }));
    Ok(())
}

/// `code=how_many code=how_many` as written by `turno_daily_cells`.
fn unpack_counts(text: &str) -> Result<impl Iterator<Item = (&str, u32)>> {
    let pairs: Vec<(&str, u32)> = text
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .and_then(|(k, n)| Some((k, n.parse().ok()?)))
                .ok_or_else(|| Error::internal(format!("a rollup cell's count {p:?} is not code=number")))
        })
        .collect::<Result<_>>()?;
    Ok(pairs.into_iter())
}

/// The rollup's figures of each office over days `from` to `to`: what offices side by side compare.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Summary {
    pub office: String,
    pub issued: i64,
    pub served: i64,
    pub no_show: i64,
    pub walk_ins: i64,
    pub called: i64,
    pub long_waits: i64,
    pub wait_secs: i64,
    pub timed: i64,
    pub service_secs: i64,
    pub ratings: i64,
    pub good: i64,
    pub neutral: i64,
    pub bad: i64,
    pub priority: i64,
    pub transferred: i64,
}

impl Summary {
    pub fn long_wait_share(&self) -> Option<f64> {
        (self.called > 0).then(|| self.long_waits as f64 / self.called as f64)
    }
    pub fn mean_wait_secs(&self) -> Option<f64> {
        (self.called > 0).then(|| self.wait_secs as f64 / self.called as f64)
    }
    pub fn mean_service_secs(&self) -> Option<f64> {
        (self.timed > 0).then(|| self.service_secs as f64 / self.timed as f64)
    }
    pub fn satisfaction_index(&self) -> Option<f64> {
        (self.ratings > 0).then(|| (self.good * 100 + self.neutral * 50) as f64 / self.ratings as f64)
    }
    pub fn participation(&self) -> Option<f64> {
        let visits = self.served + self.walk_ins;
        (visits > 0).then(|| self.ratings as f64 / visits as f64)
    }
}

pub async fn summaries(pool: &Pool, from: &str, to: &str, only: Option<&str>) -> Result<Vec<Summary>> {
    let c = pool.get().await?;
    let rows = c
        .query(
            "SELECT o.code, coalesce(sum(issued), 0)::int8, coalesce(sum(served), 0)::int8,
                    coalesce(sum(no_show), 0)::int8, coalesce(sum(walk_ins), 0)::int8, coalesce(sum(called), 0)::int8,
                    coalesce(sum(long_waits), 0)::int8, coalesce(sum(wait_secs), 0)::int8,
                    coalesce(sum(timed), 0)::int8, coalesce(sum(service_secs), 0)::int8,
                    coalesce(sum(ratings), 0)::int8, coalesce(sum(good), 0)::int8, coalesce(sum(neutral), 0)::int8,
                    coalesce(sum(bad), 0)::int8, coalesce(sum(priority), 0)::int8,
                    coalesce(sum(transferred), 0)::int8
             FROM offices o LEFT JOIN daily d ON d.office = o.code
               AND d.office_day BETWEEN $1::text::date AND $2::text::date
             WHERE $3::text IS NULL OR o.code = $3
             GROUP BY o.code ORDER BY o.code",
            &[&from, &to, &only],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Summary {
            office: r.get(0),
            issued: r.get(1),
            served: r.get(2),
            no_show: r.get(3),
            walk_ins: r.get(4),
            called: r.get(5),
            long_waits: r.get(6),
            wait_secs: r.get(7),
            timed: r.get(8),
            service_secs: r.get(9),
            ratings: r.get(10),
            good: r.get(11),
            neutral: r.get(12),
            bad: r.get(13),
            priority: r.get(14),
            transferred: r.get(15),
        })
        .collect())
}

/// Office days with visits in a range, across `only` (or every office).
pub async fn days_with_visits(pool: &Pool, from: &str, to: &str, only: Option<&str>) -> Result<Vec<String>> {
    let c = pool.get().await?;
    Ok(c.query(
        "SELECT DISTINCT office_day::text FROM daily
         WHERE office_day BETWEEN $1::text::date AND $2::text::date AND ($3::text IS NULL OR office = $3)
         ORDER BY 1",
        &[&from, &to, &only],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

// ----- accounts -----

/// A central account.
#[derive(Clone, Debug)]
pub struct Account {
    pub username: String,
    pub display_name: String,
    /// `None`: the whole city.
    pub office: Option<String>,
}

/// Creates or replaces an account (its password already hashed).
pub async fn put_account(pool: &Pool, a: &Account, password_hash: &str) -> Result<()> {
    let c = pool.get().await?;
    if let Some(o) = &a.office {
        // An office seen by an account before it first ships: its row waits for its data.
        c.execute(
            "INSERT INTO offices (code, name, timezone) VALUES ($1, $1, 'Europe/Rome') ON CONFLICT DO NOTHING",
            &[o],
        )
        .await?;
    }
    c.execute(
        "INSERT INTO accounts (username, display_name, password_hash, office, active) VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name,
           password_hash = excluded.password_hash, office = excluded.office, active = true",
        &[&a.username, &a.display_name, &password_hash, &a.office],
    )
    .await?;
    Ok(())
}

/// An active account's password hash.
pub async fn account_hash(pool: &Pool, username: &str) -> Result<Option<(Account, String)>> {
    let c = pool.get().await?;
    Ok(c.query_opt(
        "SELECT username, display_name, office, password_hash FROM accounts WHERE username = $1 AND active",
        &[&username],
    )
    .await?
    .map(|r| {
        (
            Account {
                username: r.get(0),
                display_name: r.get(1),
                office: r.get(2),
            },
            r.get(3),
        )
    }))
}

pub async fn create_session(pool: &Pool, token_hash: &str, username: &str, hours: i32) -> Result<()> {
    let c = pool.get().await?;
    c.execute(
        "INSERT INTO sessions (token_hash, username, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))",
        &[&token_hash, &username, &hours],
    )
    .await?;
    Ok(())
}

pub async fn end_session(pool: &Pool, token_hash: &str) -> Result<()> {
    let c = pool.get().await?;
    c.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
        .await?;
    Ok(())
}

pub async fn session_account(pool: &Pool, token_hash: &str) -> Result<Option<Account>> {
    let c = pool.get().await?;
    Ok(c.query_opt(
        "SELECT a.username, a.display_name, a.office FROM sessions s JOIN accounts a ON a.username = s.username
         WHERE s.token_hash = $1 AND s.expires_at > now() AND a.active",
        &[&token_hash],
    )
    .await?
    .map(|r| Account {
        username: r.get(0),
        display_name: r.get(1),
        office: r.get(2),
    }))
}

/// An account as the accounts page lists it.
pub struct AccountRow {
    pub account: Account,
    pub active: bool,
    /// Sessions not yet expired.
    pub sessions: i64,
}

/// Every account, city-wide ones first, then by office and username.
pub async fn accounts(pool: &Pool) -> Result<Vec<AccountRow>> {
    let c = pool.get().await?;
    let rows = c
        .query(
            "SELECT a.username, a.display_name, a.office, a.active,
                    (SELECT count(*) FROM sessions s WHERE s.username = a.username AND s.expires_at > now())
             FROM accounts a ORDER BY a.office NULLS FIRST, a.username",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| AccountRow {
            account: Account {
                username: r.get(0),
                display_name: r.get(1),
                office: r.get(2),
            },
            active: r.get(3),
            sessions: r.get(4),
        })
        .collect())
}

/// Creates an account (its password already hashed); false when the username is taken.
pub async fn create_account(pool: &Pool, a: &Account, password_hash: &str) -> Result<bool> {
    let c = pool.get().await?;
    Ok(c.execute(
        "INSERT INTO accounts (username, display_name, password_hash, office, active) VALUES ($1, $2, $3, $4, true)
         ON CONFLICT (username) DO NOTHING",
        &[&a.username, &a.display_name, &password_hash, &a.office],
    )
    .await?
        == 1)
}

/// Gives an account a new password and ends its sessions; false when there is no such account.
pub async fn set_password(pool: &Pool, username: &str, password_hash: &str) -> Result<bool> {
    let mut c = pool.get().await?;
    let tx = c.transaction().await?;
    let found = tx
        .execute(
            "UPDATE accounts SET password_hash = $2 WHERE username = $1",
            &[&username, &password_hash],
        )
        .await?;
    tx.execute("DELETE FROM sessions WHERE username = $1", &[&username])
        .await?;
    tx.commit().await?;
    Ok(found == 1)
}

/// Binds an account to an office (`None`: the whole city); its sessions see the new office at their next
/// request. False when there is no such account.
pub async fn set_office(pool: &Pool, username: &str, office: Option<&str>) -> Result<bool> {
    let c = pool.get().await?;
    Ok(c.execute(
        "UPDATE accounts SET office = $2 WHERE username = $1",
        &[&username, &office],
    )
    .await?
        == 1)
}

/// Turns an account on or off (off ends its sessions); false when there is no such account.
pub async fn set_active(pool: &Pool, username: &str, active: bool) -> Result<bool> {
    let mut c = pool.get().await?;
    let tx = c.transaction().await?;
    let found = tx
        .execute(
            "UPDATE accounts SET active = $2 WHERE username = $1",
            &[&username, &active],
        )
        .await?;
    if !active {
        tx.execute("DELETE FROM sessions WHERE username = $1", &[&username])
            .await?;
    }
    tx.commit().await?;
    Ok(found == 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn services_are_named_in_italian() {
        assert_eq!(
            super::reference_name(r#"{"en":"Registry office","it":"Anagrafe – Carta d'identità"}"#),
            "Anagrafe – Carta d'identità"
        );
        assert_eq!(super::reference_name(r#"{"en":"Registry office"}"#), "Registry office");
        assert_eq!(super::reference_name("Tributi"), "Tributi");
    }
}
