//! `turno-central-bench`, the benchmark of the city's centre: N offices (copies of one generated office
//! year, made by the server's own history generator and kept for later runs) ship their whole backlog
//! at once into one PostgreSQL (a durable throwaway cluster, `turno_tests::pg`): throughput; then the
//! steady-state lag of tickets issued at the offices' normal rates; one office's full day of backlog
//! drained; the city's statistics for the year (side by side from the rollups; every figure with exact
//! percentiles from the rollup's cells and, checked equal, from the rows); the centre's
//! memory and the database's size.
//!
//! `cargo build --release -p turno-server -p turno-tests`, then
//! `target/release/turno-central-bench --offices 20 --days 300 --tickets-per-day 670` (200,000 tickets
//! an office).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use turno_server::config::Config;
use turno_server::{AppState, demo, history, store};
use turno_shared::api::IssueRequest;
use turno_shared::domain::Priority;
use turno_tests::ServerProcess;
use turno_tests::pg::{CentralProcess, Postgres, journal_state};

#[derive(Parser)]
#[command(name = "turno-central-bench")]
struct Args {
    /// Offices shipping to the centre.
    #[arg(long, default_value_t = 20)]
    offices: usize,
    /// Office days of each office's year.
    #[arg(long, default_value_t = 300)]
    days: u32,
    /// Tickets on an ordinary weekday morning (200,000 a year at about 670).
    #[arg(long, default_value_t = 670)]
    tickets_per_day: u32,
    /// Where the generated office year and the offices' copies are kept.
    #[arg(long, default_value = "target/bench/central")]
    dir: PathBuf,
    /// Tickets issued for the steady-state lag.
    #[arg(long, default_value_t = 100)]
    lag_samples: usize,
}

/// One office's year: made once, then reused.
async fn office_year(args: &Args) -> PathBuf {
    let db = args
        .dir
        .join(format!("office-{}d-{}t.db", args.days, args.tickets_per_day));
    if db.exists() {
        return db;
    }
    std::fs::create_dir_all(&args.dir).unwrap();
    let config = Config {
        db: db.clone(),
        ..Config::default()
    };
    let (state, _stop) = AppState::new(&config, store::system_clock()).expect("the store opens");
    demo::create(&state).await.expect("the demo office");
    let started = Instant::now();
    let n = history::generate(
        &state,
        jiff::Zoned::now().date(),
        history::Options {
            days: args.days,
            tickets_per_day: args.tickets_per_day,
            seed: 11,
        },
    )
    .await
    .expect("the year is generated");
    eprintln!("generated {n} tickets in {:.1?}", started.elapsed());
    db
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// Starts an office on `db` shipping to `pg` as `code`.
fn start_office(dir: &Path, code: &str, pg: &str) -> ServerProcess {
    std::fs::write(
        dir.join("office.toml"),
        format!(
            "office_name = \"Ufficio {code}\"\n[limits]\nmax_connections_per_address = 4096\n\
             [central]\nurl = \"{pg}\"\noffice = \"{code}\"\n"
        ),
    )
    .unwrap();
    let config = dir.join("office.toml").display().to_string();
    ServerProcess::start_plain(dir, &["--config", &config])
}

fn copy_office(year: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let _ = std::fs::remove_file(dir.join("turno.db-wal"));
    let _ = std::fs::remove_file(dir.join("turno.db-shm"));
    std::fs::copy(year, dir.join("turno.db")).unwrap();
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let year = office_year(&args).await;
    let tickets = count(&year, "SELECT count(*) FROM tickets");
    let journal = count(&year, "SELECT count(*) FROM central_journal");
    let events = count(&year, "SELECT count(*) FROM ticket_events");
    let days = count(&year, "SELECT count(DISTINCT office_day) FROM tickets");
    println!("one office: {tickets} tickets, {events} ticket events, {journal} journal entries, {days} office days");

    let pg = Postgres::start_durable("-c shared_buffers=512MB -c max_wal_size=4GB");
    let url = pg.create_database("city");
    let run = tempfile::tempdir_in(&args.dir).unwrap();
    let centre = CentralProcess::start(&url, run.path());
    let password = centre.account("bench", None);
    let api = centre.api("bench", &password).await;

    // 1. Throughput: every office's year at once.
    let mut dirs = Vec::new();
    for i in 0..args.offices {
        let d = run.path().join(format!("o{i:02}"));
        copy_office(&year, &d);
        dirs.push(d);
    }
    let started = Instant::now();
    let offices: Vec<ServerProcess> = dirs
        .iter()
        .enumerate()
        .map(|(i, d)| start_office(d, &format!("o{i:02}"), &url))
        .collect();
    loop {
        let shipped: i64 = offices.iter().map(|o| journal_state(&o.db).1).sum();
        if shipped >= journal * args.offices as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let took = started.elapsed().as_secs_f64();
    let total = journal * args.offices as i64;
    println!(
        "throughput: {} offices shipped {total} journal entries ({} ticket events) in {took:.1} s: \
         {:.0} entries/s, {:.0} ticket events/s",
        args.offices,
        events * args.offices as i64,
        total as f64 / took,
        (events * args.offices as i64) as f64 / took
    );

    // 2. Steady-state lag: tickets issued across the offices, each timed until the centre holds it.
    let client = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(client.1);
    let pgc = client.0;
    let service = offices[0].client().office().await.unwrap().services[0].id;
    // A kiosk at every office (the copies have the demo's accounts, not its printed tokens).
    let mut kiosks = Vec::new();
    for o in &offices {
        let made = o
            .user("admin")
            .await
            .create_device(&turno_shared::api::DeviceInput {
                name: "Chiosco del benchmark".into(),
                kind: turno_shared::domain::DeviceKind::Kiosk,
            })
            .await
            .expect("a kiosk");
        kiosks.push(o.client().with_token(made.token));
    }
    let mut lags = Vec::new();
    for i in 0..args.lag_samples {
        let k = i % offices.len();
        let t = kiosks[k]
            .issue_ticket(&IssueRequest {
                service_id: service,
                priority: Priority::Normal,
                language: None,
            })
            .await
            .expect("issued");
        let issued = Instant::now();
        let code = format!("o{k:02}");
        loop {
            let n: i64 = pgc
                .query_one(
                    "SELECT count(*) FROM tickets WHERE office = $1 AND ticket_id = $2",
                    &[&code, &t.ticket.id],
                )
                .await
                .unwrap()
                .get(0);
            if n > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        lags.push(issued.elapsed().as_secs_f64());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    lags.sort_by(f64::total_cmp);
    println!(
        "steady-state lag: {} tickets, p50 {:.2} s, p99 {:.2} s, max {:.2} s",
        lags.len(),
        lags[lags.len() / 2],
        lags[(lags.len() * 99 / 100).min(lags.len() - 1)],
        lags[lags.len() - 1]
    );

    // 3. One office's full day of backlog: a new office whose cursor stands one busiest day back.
    let d = run.path().join("backlog");
    copy_office(&year, &d);
    let day_entries = {
        let c = rusqlite::Connection::open(d.join("turno.db")).unwrap();
        let busiest: String = c
            .query_row(
                "SELECT office_day FROM tickets GROUP BY office_day ORDER BY count(*) DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let first: i64 = c
            .query_row(
                "SELECT min(j.id) FROM central_journal j JOIN ticket_events e ON e.id = j.ref AND j.kind = 'event'
                 JOIN tickets t ON t.id = e.ticket_id WHERE t.office_day = ?1",
                [&busiest],
                |r| r.get(0),
            )
            .unwrap();
        let last: i64 = c
            .query_row(
                "SELECT max(j.id) FROM central_journal j JOIN ticket_events e ON e.id = j.ref AND j.kind = 'event'
                 JOIN tickets t ON t.id = e.ticket_id WHERE t.office_day = ?1",
                [&busiest],
                |r| r.get(0),
            )
            .unwrap();
        // Everything after that day is removed from the copy's journal: the backlog is the day alone.
        c.execute("DELETE FROM central_journal WHERE id > ?1", [last]).unwrap();
        c.execute(
            "INSERT INTO central_cursor (id, shipped, at) VALUES (1, ?1, 0)
             ON CONFLICT (id) DO UPDATE SET shipped = excluded.shipped",
            [first - 1],
        )
        .unwrap();
        last - first + 1
    };
    let started = Instant::now();
    let o = start_office(&d, "backlog", &url);
    loop {
        let (end, shipped) = journal_state(&o.db);
        if shipped >= end {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "a full day's backlog: {day_entries} journal entries drained in {:.2} s (office start included)",
        started.elapsed().as_secs_f64()
    );

    // 4. The city's statistics for the year.
    let today = jiff::Zoned::now().date();
    let from = today.checked_sub(jiff::Span::new().days(400)).unwrap().to_string();
    let to = today.to_string();
    let mut rollup = Vec::new();
    let mut exact = Vec::new();
    let mut rows = Vec::new();
    let mut figures = None;
    for _ in 0..3 {
        let t = Instant::now();
        let (s, _) = api.get("offices", &[("from", &from), ("to", &to)]).await;
        assert_eq!(s, 200);
        rollup.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let (s, body) = api.get("stats", &[("from", &from), ("to", &to)]).await;
        assert_eq!(s, 200, "{body}");
        exact.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let (s, from_rows) = api
            .get("stats", &[("from", &from), ("to", &to), ("source", "rows")])
            .await;
        assert_eq!(s, 200, "{from_rows}");
        rows.push(t.elapsed().as_secs_f64());
        assert!(
            body == from_rows,
            "the year from the rollup's cells differs from the year from the rows"
        );
        figures = Some(body);
    }
    rollup.sort_by(f64::total_cmp);
    exact.sort_by(f64::total_cmp);
    rows.sort_by(f64::total_cmp);
    let figures = figures.expect("three runs");
    let cells: i64 = pgc
        .query_one("SELECT count(*) FROM daily_cells", &[])
        .await
        .unwrap()
        .get(0);
    println!(
        "city-wide year: offices side by side from the rollups {:.3} s; every figure with exact percentiles \
         {:.3} s from the rollup's {cells} cells, {:.2} s from the rows (medians of 3; the same figures: \
         {} tickets, wait p90 {} s)",
        rollup[1], exact[1], rows[1], figures["total"]["issued"], figures["total"]["wait"]["p90_secs"]
    );
    let (rss, peak) = turno_tests::memory_mib(centre_pid(&centre));
    let size: i64 = pgc
        .query_one("SELECT pg_database_size('city')", &[])
        .await
        .unwrap()
        .get(0);
    println!(
        "centre: {rss:.0} MiB resident, {peak:.0} MiB peak; database {:.0} MiB ({:.0} MiB on disk with WAL)",
        size as f64 / 1048576.0,
        pg.data_bytes() as f64 / 1048576.0
    );
    drop(offices);
    drop(o);
}

fn centre_pid(c: &CentralProcess) -> u32 {
    c.pid()
}
