//! `turno-backoffice-bench`, the benchmark of the back office's statistics and exports on a large
//! office's year: a synthetic year (by default about a million tickets, with their events and ratings,
//! made by the server's own history generator and kept for later runs), then the statistics of the
//! whole year, the CSV and XLSX exports of the year by the real `turno-server export` (time and peak
//! memory), and the live office's ticket operations while an export runs, against the same without.
//!
//! `cargo build --release -p turno-server -p turno-tests`, then
//! `cargo run --release -p turno-tests --bin turno-backoffice-bench`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use turno_server::config::Config;
use turno_server::{AppState, demo, history, stats, store};
use turno_shared::api::IssueRequest;
use turno_shared::domain::Priority;
use turno_tests::{ServerProcess, server_binary};

/// Benchmark of Turno's statistics and exports on a synthetic year.
#[derive(Parser)]
struct Args {
    /// Where the synthetic year is kept between runs.
    #[arg(long, default_value = "target/bench/year.db")]
    db: PathBuf,
    /// Office days of the year.
    #[arg(long, default_value_t = 300)]
    days: u32,
    /// Tickets on an ordinary weekday morning (about a million in 300 days at 3,400).
    #[arg(long, default_value_t = 3400)]
    tickets_per_day: u32,
    /// Times each measure is taken (the median is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Count the year on one connection, not in two halves side by side (the baseline).
    #[arg(long)]
    serial: bool,
    /// Only the statistics, not the exports and the live office (for profiling).
    #[arg(long)]
    stats_only: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The year's database: made once, then reused.
async fn year(args: &Args) -> (PathBuf, u64) {
    if args.db.exists() {
        let count: u64 = rusqlite::Connection::open(&args.db)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM tickets", [], |r| r.get(0))
            .unwrap();
        return (args.db.clone(), count);
    }
    std::fs::create_dir_all(args.db.parent().unwrap_or(Path::new("."))).unwrap();
    let config = Config {
        db: args.db.clone(),
        ..Config::default()
    };
    let (state, _stop) = AppState::new(&config, store::system_clock()).expect("the store opens");
    demo::create(&state).await.expect("the demo office");
    // Counters enough for a large office: twelve, each serving every service.
    let admin_services: Vec<i64> = state
        .store
        .read(store::office::list_services)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    for i in 0..7 {
        let mut order = admin_services.clone();
        let n = order.len();
        order.rotate_left(i % n);
        let input = turno_shared::api::CounterInput {
            name: format!("Sportello {}", i + 6),
            services: order,
            active: true,
        };
        state
            .store
            .write(move |ctx| turno_server::backoffice::create_counter(ctx, None, input))
            .await
            .unwrap();
    }
    let started = Instant::now();
    let today = jiff::Zoned::now().date();
    let n = history::generate(
        &state,
        today,
        history::Options {
            days: args.days,
            tickets_per_day: args.tickets_per_day,
            seed: 7,
        },
    )
    .await
    .expect("the year is generated");
    eprintln!(
        "generated {n} tickets in {:.1?} into {}",
        started.elapsed(),
        args.db.display()
    );
    (args.db.clone(), n)
}

/// Runs `turno-server export` and answers its wall time and peak resident memory (MiB).
fn export(db: &Path, from: &str, to: &str, format: &str, out: &Path) -> (Duration, f64) {
    let _ = std::fs::remove_file(out);
    let started = Instant::now();
    let mut child = Command::new(server_binary())
        .args(["export", "--db"])
        .arg(db)
        .args(["--from", from, "--to", to, "--format", format, "--out"])
        .arg(out)
        .spawn()
        .expect("turno-server runs");
    let pid = child.id();
    let mut peak = 0f64;
    // Sample the child's peak (VmHWM) until it ends.
    loop {
        let (_, hwm) = turno_tests::memory_mib(pid);
        if hwm.is_finite() {
            peak = peak.max(hwm);
        }
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "the export failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (started.elapsed(), peak)
}

/// Latencies (ms) of issue → call → finish lifecycles against a running server, for `for_how_long`.
async fn lifecycles(server: &ServerProcess, kiosk: &str, for_how_long: Duration) -> Vec<f64> {
    let kiosk = server.client().with_token(kiosk);
    let clerk = server.user("mrossi").await;
    clerk.open_counter(1).await.expect("the counter opens");
    let office = kiosk.office().await.unwrap();
    let service = office.services[0].id;
    let outcome = office.services[0].outcomes[0].code.to_string();
    let mut out = Vec::new();
    let end = Instant::now() + for_how_long;
    while Instant::now() < end {
        let t0 = Instant::now();
        kiosk
            .issue_ticket(&IssueRequest {
                service_id: service,
                priority: Priority::Normal,
                language: None,
            })
            .await
            .expect("issue");
        let t = clerk.call_next(1).await.expect("call").expect("a ticket");
        clerk.finish(t.id, &outcome, None).await.expect("finish");
        out.push(t0.elapsed().as_secs_f64() * 1000.0 / 3.0);
    }
    out
}

fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((p / 100.0 * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1]
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let (db, tickets) = year(&args).await;
    let (from, to) = {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.query_row("SELECT MIN(office_day), MAX(office_day) FROM tickets", [], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .unwrap()
    };
    println!(
        "Synthetic year: {tickets} tickets, office days {from} to {to}, database {}",
        db.display()
    );

    // The statistics of the whole year, computed as the API does.
    let config = Config {
        db: db.clone(),
        ..Config::default()
    };
    let (state, _stop) = AppState::new(&config, store::system_clock()).unwrap();
    let query = stats::Query {
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        service_id: None,
        counter_id: None,
        user_id: None,
    };
    let office = state.office.clone();
    let mut times = Vec::new();
    for _ in 0..args.runs {
        let (office, query) = (office.clone(), query.clone());
        let t0 = Instant::now();
        let s = if args.serial {
            state
                .store
                .read(move |c| stats::compute(c, &office, &query, jiff::Timestamp::now()))
                .await
        } else {
            stats::compute_in(&state.store, office, query, jiff::Timestamp::now()).await
        }
        .unwrap();
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(u64::from(s.total.issued), tickets);
    }
    println!(
        "statistics of the year: median {:.0} ms (runs: {times:.0?})",
        median(times.clone())
    );
    drop(state);
    if args.stats_only {
        return;
    }

    // Exports of the year by the real binary.
    let out_dir = tempfile::tempdir().unwrap();
    for (format, file) in [("csv", "year.csv"), ("xlsx", "year.xlsx")] {
        let mut runs = Vec::new();
        let mut peaks = Vec::new();
        for _ in 0..args.runs {
            let (t, peak) = export(&db, &from, &to, format, &out_dir.path().join(file));
            runs.push(t.as_secs_f64());
            peaks.push(peak);
        }
        let size = std::fs::metadata(out_dir.path().join(file))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "export {format} of the year: median {:.1} s, peak memory {:.0} MiB, {:.0} MB",
            median(runs),
            median(peaks),
            size as f64 / 1e6
        );
    }

    // The live office while a year's XLSX export runs, against the same without.
    let live = tempfile::tempdir().unwrap();
    std::fs::copy(&db, live.path().join("turno.db")).unwrap();
    // A kiosk of its own: the year's database keeps only the hashes of its demo tokens.
    let kiosk = {
        let config = Config {
            db: live.path().join("turno.db"),
            ..Config::default()
        };
        let (state, _stop) = AppState::new(&config, store::system_clock()).unwrap();
        let token = turno_server::auth::new_token();
        let hash = turno_server::auth::token_hash(&token);
        let input = turno_shared::api::DeviceInput {
            name: "Chiosco del banco di prova".into(),
            kind: turno_shared::domain::DeviceKind::Kiosk,
        };
        state
            .store
            .write(move |ctx| turno_server::backoffice::create_device(ctx, None, input, &hash))
            .await
            .unwrap();
        // No daily cap: the measure issues as many tickets as it can.
        for s in state.store.read(store::office::list_services).await.unwrap() {
            let config = turno_shared::api::ServiceInput {
                daily_cap: None,
                ..s.config
            };
            state
                .store
                .write(move |ctx| turno_server::backoffice::update_service(ctx, None, s.id, config))
                .await
                .unwrap();
        }
        token
    };
    let server = Arc::new(tokio::task::block_in_place(|| ServerProcess::start(live.path(), &[])));
    let quiet = lifecycles(&server, &kiosk, Duration::from_secs(5)).await;
    let db_live = live.path().join("turno.db");
    let (f, t) = (from.clone(), to.clone());
    let exporting = std::thread::spawn(move || {
        let out = tempfile::tempdir().unwrap();
        export(&db_live, &f, &t, "xlsx", &out.path().join("y.xlsx"))
    });
    let busy = lifecycles(&server, &kiosk, Duration::from_secs(5)).await;
    let _ = exporting.join();
    println!(
        "ticket operations (one clerk and one kiosk, ms per operation): quiet p50 {:.2} p99 {:.2}; during a year's export p50 {:.2} p99 {:.2} (x{:.2} at p50)",
        percentile(&quiet, 50.0),
        percentile(&quiet, 99.0),
        percentile(&busy, 50.0),
        percentile(&busy, 99.0),
        percentile(&busy, 50.0) / percentile(&quiet, 50.0)
    );
    println!(
        "command: cargo run --release -p turno-tests --bin turno-backoffice-bench -- --runs {}",
        args.runs
    );
}
