//! The centre's statistics, counted by `turno_shared::stats::Accumulator` (the very computation an
//! office runs on its own rows, so an office's figures are the same at the centre): by default from
//! the daily rollup's cells (`daily_cells`: counts and per-second durations per office, day, service,
//! counter, clerk and hour; a year of the city is a few hundred thousand cells instead of millions of
//! rows), or from the rows themselves ([`Source::Rows`], the reference the cells are checked against).
//! City-wide, services are grouped by their code (each office's registry service counts as one),
//! counters and clerks kept apart per office.

use std::collections::HashMap;

use deadpool_postgres::Pool;
use turno_shared::stats::{Accumulator, Stats};

use super::db::{self, Remap};
use crate::error::Result;

/// Offices read at once for the city's figures.
const PARALLEL: usize = 4;

/// Where the figures are counted from: the same figures either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The daily rollup's cells (and the pauses' rows, a few a day).
    #[default]
    Rollup,
    /// Every ticket, visit without ticket, rating and pause of the range.
    Rows,
}

/// Office days `from` to `to` (`YYYY-MM-DD`), pauses still going measured up to `now_ms`.
struct Days<'a> {
    from: &'a str,
    to: &'a str,
    now_ms: i64,
}

/// Counts one office's days into `acc`.
async fn count(
    pool: &Pool,
    code: &str,
    days: &Days<'_>,
    source: Source,
    acc: &mut Accumulator,
    map: Option<&Remap>,
) -> Result<()> {
    let Days { from, to, now_ms } = *days;
    match source {
        Source::Rows => db::office_rows(pool, code, from, to, now_ms, acc, map).await,
        Source::Rollup => {
            let mut reader = db::CellReader::default();
            for row in db::office_cells(pool, code, from, to).await? {
                acc.cell(reader.read(&row, map)?);
            }
            db::office_pauses(pool, code, from, to, now_ms, acc, map).await
        }
    }
}

/// One office's statistics for office days `from` to `to`, keyed by its own ids.
pub async fn office(pool: &Pool, code: &str, from: &str, to: &str, now_ms: i64, source: Source) -> Result<Stats> {
    let mut acc = Accumulator::new();
    count(pool, code, &Days { from, to, now_ms }, source, &mut acc, None).await?;
    Ok(acc.finish())
}

/// What the city-wide figures' keys stand for.
#[derive(Clone, Debug, Default)]
pub struct CityNames {
    /// Key → service name.
    pub services: HashMap<String, String>,
    /// Key → service code (the same at every office).
    pub service_codes: HashMap<String, String>,
    /// Key → "office: counter".
    pub counters: HashMap<String, String>,
}

/// The city's statistics over `offices` (every office's rows counted side by side, then merged).
pub async fn city(
    pool: &Pool,
    offices: &[String],
    from: &str,
    to: &str,
    now_ms: i64,
    source: Source,
) -> Result<(Stats, CityNames)> {
    let mut names = CityNames::default();
    let mut codes: HashMap<String, i64> = HashMap::new();
    let mut next_counter = 0i64;
    let mut next_user = 0i64;
    let mut maps = Vec::new();
    for o in offices {
        let (services, counters) = db::names(pool, o).await?;
        let mut map = Remap::default();
        for (id, code, name) in services {
            let n = codes.len() as i64 + 1;
            let key = *codes.entry(code.clone()).or_insert(n);
            names.services.entry(key.to_string()).or_insert(name);
            names.service_codes.entry(key.to_string()).or_insert(code);
            map.service.insert(id, key);
        }
        for (id, name) in counters {
            next_counter += 1;
            names.counters.insert(next_counter.to_string(), format!("{o}: {name}"));
            map.counter.insert(id, next_counter);
        }
        map.user_offset = next_user;
        next_user += 1_000_000_000;
        maps.push((o.clone(), map));
    }
    use futures_util::StreamExt;
    let mut all = Accumulator::new();
    match source {
        // A few offices' cells read at a time, counted in one accumulator as they come (an accumulator
        // of a year holds megabytes of per-second histograms: one, not one per office).
        Source::Rollup => {
            let mut read = futures_util::stream::iter(maps.into_iter().map(|(o, map)| {
                let pool = pool.clone();
                let (from, to) = (from.to_owned(), to.to_owned());
                async move {
                    let cells = db::office_cells(&pool, &o, &from, &to).await?;
                    let mut pauses = Accumulator::new();
                    db::office_pauses(&pool, &o, &from, &to, now_ms, &mut pauses, Some(&map)).await?;
                    Ok::<_, crate::error::Error>((cells, map, pauses))
                }
            }))
            .buffer_unordered(PARALLEL);
            let mut reader = db::CellReader::default();
            while let Some(read) = read.next().await {
                let (cells, map, pauses) = read?;
                for row in &cells {
                    all.cell(reader.read(row, Some(&map))?);
                }
                all.merge(pauses);
            }
        }
        // A few offices at a time, each in its own accumulator, merged as they finish.
        Source::Rows => {
            let mut counted = futures_util::stream::iter(maps.into_iter().map(|(o, map)| {
                let pool = pool.clone();
                let (from, to) = (from.to_owned(), to.to_owned());
                async move {
                    let mut acc = Accumulator::new();
                    let days = Days {
                        from: &from,
                        to: &to,
                        now_ms,
                    };
                    count(&pool, &o, &days, source, &mut acc, Some(&map)).await?;
                    Ok::<_, crate::error::Error>(acc)
                }
            }))
            .buffer_unordered(PARALLEL);
            while let Some(acc) = counted.next().await {
                all.merge(acc?);
            }
        }
    }
    Ok((all.finish(), names))
}
