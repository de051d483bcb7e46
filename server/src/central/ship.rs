//! The office's shipper: a background task that sends the journal to the centre in order, in batches,
//! after the durable cursor, and advances the cursor only once the centre has committed the batch.
//! At-least-once: a batch whose answer was lost (or an office killed before advancing) is sent again,
//! and the centre's writes are idempotent (keyed by office and event id). Never on a request's path:
//! with the centre down it retries with a growing pause (up to a minute) and the office works as ever.

use std::time::{Duration, Instant};

use super::db::{self, OfficeInfo};
use crate::AppState;
use crate::config::CentralConfig;
use crate::error::{Error, Result};
use crate::store::central as journal;
use crate::store::stats::LocalTime;

/// Journal entries per batch.
pub const BATCH: u32 = 5_000;
/// How often an idle office looks for new entries.
const POLL: Duration = Duration::from_millis(200);
/// How often an idle office tells the centre it is there.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// The longest pause between two attempts while the centre cannot be reached.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A batch that takes longer has failed (a link that drops packets rather than refusing).
const BATCH_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs until the server shuts down.
pub async fn run(state: AppState, central: CentralConfig) {
    let pool = match db::pool(&central.url, 2) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "shipping to the centre is off");
            return;
        }
    };
    let office = OfficeInfo {
        code: central.office.clone(),
        name: state.office.name.clone(),
        timezone: state.config.timezone.clone(),
    };
    let mut shutdown = state.shutdown.clone();
    let mut backoff = Duration::from_secs(1);
    let mut schema_ok = false;
    let mut last_heartbeat: Option<Instant> = None;
    let mut cursor: Option<i64> = None;
    tracing::info!(office = %office.code, "shipping to the centre");
    loop {
        if *shutdown.borrow() {
            return;
        }
        let pause = match step(&state, &pool, &office, &mut cursor, &mut schema_ok, &mut last_heartbeat).await {
            Ok(true) => {
                backoff = Duration::from_secs(1);
                continue;
            }
            Ok(false) => {
                backoff = Duration::from_secs(1);
                POLL
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_secs = backoff.as_secs(), "cannot ship to the centre");
                schema_ok = false;
                let p = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                p
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Ships one batch (true) or finds nothing to ship (false).
async fn step(
    state: &AppState,
    pool: &deadpool_postgres::Pool,
    office: &OfficeInfo,
    cursor: &mut Option<i64>,
    schema_ok: &mut bool,
    last_heartbeat: &mut Option<Instant>,
) -> Result<bool> {
    let after = match *cursor {
        Some(c) => c,
        None => {
            let now = state.store.now().as_millisecond();
            state.store.write(move |ctx| journal::started(ctx.conn, now)).await?;
            let c = state.store.read(journal::cursor).await?;
            *cursor = Some(c);
            c
        }
    };
    let tz = state.office.tz.clone();
    let read_at = state.store.now().as_millisecond();
    let batch = state
        .store
        .read(move |c| journal::read_batch(c, after, BATCH, &LocalTime::new(tz)))
        .await?;
    let Some(batch) = batch else {
        if last_heartbeat.is_none_or(|t| t.elapsed() >= HEARTBEAT) {
            tokio::time::timeout(BATCH_TIMEOUT, db::heartbeat(pool, office, after, read_at))
                .await
                .map_err(|_| Error::Unavailable("the centre did not answer in time".into()))??;
            *last_heartbeat = Some(Instant::now());
        }
        return Ok(false);
    };
    if !*schema_ok {
        let version = db::schema_version(pool).await?;
        if version < super::schema::LATEST {
            return Err(Error::Unavailable(format!(
                "the centre's schema is at version {version}, this office needs {}: start the centre (it migrates)",
                super::schema::LATEST
            )));
        }
        *schema_ok = true;
    }
    // Complete up to the moment read when nothing is left behind; else up to its last ticket event.
    let as_of = if batch.pending == 0 {
        read_at
    } else {
        batch.events.iter().map(|e| e.at_ms).max().unwrap_or(0)
    };
    tokio::time::timeout(BATCH_TIMEOUT, db::ingest(pool, office, &batch, as_of))
        .await
        .map_err(|_| Error::Unavailable("the centre did not answer in time".into()))??;
    let last = batch.last;
    let now = state.store.now().as_millisecond();
    state
        .store
        .write(move |ctx| journal::advance(ctx.conn, last, now))
        .await?;
    *cursor = Some(last);
    *last_heartbeat = Some(Instant::now());
    tracing::debug!(entries = batch.len(), last, pending = batch.pending, "shipped");
    Ok(true)
}
