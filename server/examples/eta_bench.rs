//! Times the wait estimate as the server makes it when it answers an issued ticket: the demo office
//! with `--counters` counters open (each serving every service, as in `turno-load`) and `--waiting`
//! tickets waiting; the answer made from the queue kept in memory (what the server does), and, for
//! comparison, the same estimate from the queue read from the tables (what it did before).
//!
//! `cargo run --release -p turno-server --example eta_bench -- --counters 200 --waiting 200 [--every-ms 9000]`

use std::sync::{Arc, Mutex};
use std::time::Instant;

use jiff::Timestamp;
use turno_server::config::Config;
use turno_server::{AppState, backoffice, demo, engine};
use turno_shared::api::{CounterInput, IssueRequest, UserInput};
use turno_shared::domain::eta;
use turno_shared::domain::{Priority, Role};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} takes a number")))
        .unwrap_or(default)
}

/// The best time per call over 5 rounds of `runs` calls, in microseconds.
fn time(runs: u32, mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..runs {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / f64::from(runs));
    }
    best
}

#[tokio::main]
async fn main() {
    let (counters, waiting, spacing_ms) = (arg("--counters", 200), arg("--waiting", 200), arg("--every-ms", 9000));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = Config {
        db: dir.path().join("turno.db"),
        ..Config::default()
    };
    // Thursday 26 November 2026 from 10:00 in Rome (every demo service is open), a ticket every
    // `--every-ms` (`turno-load` issues thousands a second: 0 or 1 here).
    let start: Timestamp = "2026-11-26T09:00:00Z".parse().expect("a timestamp");
    let clock = Arc::new(Mutex::new(start));
    let read_clock = clock.clone();
    let (state, _stop) =
        AppState::new(&config, Arc::new(move || *read_clock.lock().expect("the clock"))).expect("the server starts");
    demo::create(&state).await.expect("the demo office");
    let services: Vec<i64> = state
        .store
        .read_blocking(|c| engine::office_view(c, &state.store.queue(), &state.office, start))
        .expect("the office")
        .services
        .iter()
        .map(|s| s.id)
        .collect();
    let all = services.clone();
    state
        .store
        .write(move |ctx| {
            // The demo's counters serve a few services each; these serve all of them.
            for i in 0..counters {
                let input = |services| CounterInput {
                    name: format!("Banco {i}"),
                    services,
                    active: true,
                };
                let counter = backoffice::create_counter(ctx, None, input(all.clone()))?;
                let user = backoffice::create_user(
                    ctx,
                    None,
                    UserInput {
                        username: format!("banco{i}").parse().expect("a valid username"),
                        display_name: format!("Banco {i}"),
                        role: Role::Clerk,
                        password: None,
                        active: true,
                    },
                    "not a password hash: nobody signs in",
                )?;
                engine::open_session(ctx, &user, counter.id)?;
            }
            Ok(())
        })
        .await
        .expect("counters and clerks");
    let mut issued = None;
    for i in 0..waiting {
        *clock.lock().expect("the clock") = start + jiff::SignedDuration::from_millis((spacing_ms * i) as i64);
        let req = IssueRequest {
            service_id: services[i % services.len()],
            priority: Priority::Normal,
            language: None,
        };
        let office = state.office.clone();
        issued = Some(
            state
                .store
                .write(move |ctx| engine::issue(ctx, &office, &req))
                .await
                .expect("a ticket"),
        );
    }
    let now = *clock.lock().expect("the clock");
    let ticket = issued.expect("at least one ticket waiting");

    let queue = state.store.queue();
    let office = state.office.clone();
    let answer = engine::issued(&queue, &office, ticket.clone(), now).expect("an answer");
    let memory = time(200, || {
        std::hint::black_box(engine::issued(&queue, &office, ticket.clone(), now).expect("an answer"));
    });
    let from_tables = time(20, || {
        let state = state
            .store
            .read_blocking(|c| engine::queue_state_from_tables(c, &office, now, Some(ticket.id)))
            .expect("the queue")
            .expect("counters open");
        std::hint::black_box(eta::estimate(&state, ticket.id));
    });
    let state_only = time(200, || {
        std::hint::black_box(engine::queue_state(&queue, &office, now, Some(ticket.id)).expect("the queue"));
    });
    println!(
        "{counters} counters open (each serving all {} services), {waiting} waiting, issued {spacing_ms} ms apart; \
         the last ticket's answer: {} ahead, {:?} min, range {:?}",
        services.len(),
        answer.people_ahead,
        answer.estimated_wait_minutes,
        answer.estimated_wait_range.map(|r| (r.low_minutes, r.high_minutes))
    );
    println!("issue answer from the queue in memory: {memory:.1} µs (of which the state's copy {state_only:.1} µs)");
    println!("the same estimate from the tables:     {from_tables:.1} µs");
    println!(
        "command: cargo run --release -p turno-server --example eta_bench -- --counters {counters} --waiting {waiting} \
         --every-ms {spacing_ms}"
    );
}
