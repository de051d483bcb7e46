//! The centre's statistics: each office's rows counted by `turno_shared::stats::Accumulator` (the very
//! computation an office runs on its own rows, so an office's figures are the same at the centre), and
//! the city's as the offices' accumulators merged. City-wide, services are grouped by their code (each
//! office's registry service counts as one), counters and clerks kept apart per office.

use std::collections::HashMap;

use deadpool_postgres::Pool;
use turno_shared::stats::{Accumulator, Stats};

use super::db::{self, Remap};
use crate::error::Result;

/// Offices counted at once for the city's figures.
const PARALLEL: usize = 4;

/// One office's statistics for office days `from` to `to`, keyed by its own ids.
pub async fn office(pool: &Pool, code: &str, from: &str, to: &str, now_ms: i64) -> Result<Stats> {
    let mut acc = Accumulator::new();
    db::office_rows(pool, code, from, to, now_ms, &mut acc, None).await?;
    Ok(acc.finish())
}

/// What the city-wide figures' keys stand for.
#[derive(Clone, Debug, Default)]
pub struct CityNames {
    /// Key → service name (and code).
    pub services: HashMap<String, String>,
    /// Key → "office: counter".
    pub counters: HashMap<String, String>,
}

/// The city's statistics over `offices` (every office's rows counted side by side, then merged).
pub async fn city(pool: &Pool, offices: &[String], from: &str, to: &str, now_ms: i64) -> Result<(Stats, CityNames)> {
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
            let key = *codes.entry(code).or_insert(n);
            names.services.entry(key.to_string()).or_insert(name);
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
    // A few offices at a time (each accumulator of a year holds tens of megabytes of per-second
    // histograms), merged as they finish.
    use futures_util::StreamExt;
    let mut counted = futures_util::stream::iter(maps.into_iter().map(|(o, map)| {
        let pool = pool.clone();
        let (from, to) = (from.to_owned(), to.to_owned());
        async move {
            let mut acc = Accumulator::new();
            db::office_rows(&pool, &o, &from, &to, now_ms, &mut acc, Some(&map)).await?;
            Ok::<_, crate::error::Error>(acc)
        }
    }))
    .buffer_unordered(PARALLEL);
    let mut all = Accumulator::new();
    while let Some(acc) = counted.next().await {
        all.merge(acc?);
    }
    Ok((all.finish(), names))
}
