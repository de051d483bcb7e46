//! Crash safety of the real binary: killed with SIGKILL under load, again and again, the server loses no
//! operation it acknowledged, and its database stays sound. `TURNO_SLOW_TESTS=1` runs a longer siege.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;
use tokio::task::JoinSet;
use turno_shared::api::{ErrorCode, IssueRequest, TicketView};
use turno_shared::client::{Client, ClientError};
use turno_shared::domain::{Priority, TicketState};

use crate::support::{Clerk, Office, slow_tests, within};

/// What the clients see of the run, shared through a watch channel.
#[derive(Clone, Copy, Debug, Default)]
struct Progress {
    /// Bumped each time the server is back after a kill.
    generation: u64,
    stop: bool,
    issued: u64,
    acknowledged: u64,
}

/// An operation the server acknowledged with a 200.
#[derive(Debug)]
enum Ack {
    Issued(TicketView),
    Called(TicketView),
    Finished { ticket_id: i64, outcome: String },
}

/// What one client task saw.
#[derive(Debug, Default)]
struct Report {
    acks: Vec<Ack>,
    /// Requests that met no server (killed, or not yet back).
    unreachable: u32,
    /// Operations found done after a retry: committed, but their answer was lost in a crash.
    unanswered: u32,
}

#[derive(Clone)]
struct Load(Arc<watch::Sender<Progress>>);

impl Load {
    fn now(&self) -> Progress {
        *self.0.borrow()
    }

    fn acknowledged(&self, report: &mut Report, ack: Ack) {
        let issued = matches!(ack, Ack::Issued(_));
        report.acks.push(ack);
        self.0.send_modify(|p| {
            p.acknowledged += 1;
            p.issued += u64::from(issued);
        });
    }

    async fn until(&self, what: &str, done: impl FnMut(&Progress) -> bool) {
        let mut rx = self.0.subscribe();
        within(what, rx.wait_for(done))
            .await
            .expect("the test holds the sender");
    }

    /// Runs `op` until it meets a server: a connection error is no answer, so the client waits for the
    /// server to be back and tries again. Answers the result and whether it took more than one try.
    async fn retry<T, F, Fut>(&self, report: &mut Report, mut op: F) -> (Result<T, ClientError>, bool)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut retried = false;
        loop {
            let generation = self.now().generation;
            match op().await {
                Err(ClientError::Unreachable(_)) => {
                    report.unreachable += 1;
                    retried = true;
                    // Waits without limit: the test bounds the whole run.
                    let mut rx = self.0.subscribe();
                    let _ = rx.wait_for(|p| p.generation > generation || p.stop).await;
                }
                other => return (other, retried),
            }
        }
    }
}

/// A kiosk issuing tickets for every service in turn until told to stop.
async fn kiosk(load: Load, kiosk: Client, services: Vec<i64>, seed: usize) -> Report {
    let mut report = Report::default();
    let mut i = seed;
    while !load.now().stop {
        let request = IssueRequest {
            service_id: services[i % services.len()],
            priority: if i.is_multiple_of(7) {
                Priority::Priority
            } else {
                Priority::Normal
            },
            language: None,
        };
        i += 1;
        match load.retry(&mut report, || kiosk.issue_ticket(&request)).await.0 {
            Ok(t) => load.acknowledged(&mut report, Ack::Issued(t.ticket)),
            Err(e) => panic!("issuing for service {} was refused: {e}", request.service_id),
        }
    }
    report
}

/// A clerk calling and finishing tickets until told to stop.
async fn clerk(load: Load, clerk: Clerk, outcomes: HashMap<i64, String>) -> Report {
    let mut report = Report::default();
    let (client, counter) = (&clerk.client, clerk.counter);
    while !load.now().stop {
        let issued = load.now().issued;
        match load.retry(&mut report, || client.call_next(counter)).await.0 {
            Ok(Some(t)) => {
                load.acknowledged(&mut report, Ack::Called(t.clone()));
                finish(&load, &mut report, client, &t, &outcomes[&t.service_id]).await;
            }
            Ok(None) => load.until("a ticket to call", |p| p.issued > issued || p.stop).await,
            Err(e) if e.code() == Some(ErrorCode::TicketInProgress) => {
                // A call committed just before a crash, whose answer never came: the console shows it.
                let (status, _) = load.retry(&mut report, || client.counter_status(counter)).await;
                let status = status.unwrap_or_else(|e| panic!("counter {counter} status: {e}"));
                let t = status.current.expect("a counter with a ticket in progress shows it");
                report.unanswered += 1;
                finish(&load, &mut report, client, &t, &outcomes[&t.service_id]).await;
            }
            Err(e) => panic!("counter {counter} could not call: {e}"),
        }
    }
    report
}

async fn finish(load: &Load, report: &mut Report, client: &Client, t: &TicketView, outcome: &str) {
    match load.retry(report, || client.finish(t.id, outcome, None)).await {
        (Ok(done), _) => {
            assert_eq!(done.state, TicketState::Done);
            let ack = Ack::Finished {
                ticket_id: t.id,
                outcome: outcome.to_owned(),
            };
            load.acknowledged(report, ack);
        }
        (Err(e), true) if e.code() == Some(ErrorCode::IllegalTransition) => {
            // The finish was committed before the crash; only its answer was lost.
            let (now, _) = load.retry(report, || client.ticket(t.id)).await;
            let now = now.unwrap_or_else(|e| panic!("read ticket {}: {e}", t.number));
            assert_eq!(
                now.state,
                TicketState::Done,
                "{} after a finish that met a crash",
                t.number
            );
            report.unanswered += 1;
        }
        (Err(e), _) => panic!("finishing {} was refused: {e}", t.number),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_operations_survive_kill_9() {
    let (kills, per_round, kiosks) = if slow_tests() { (10, 3000, 6) } else { (3, 500, 3) };
    let started = Instant::now();
    let mut office = Office::start().await;
    office.lift_daily_caps().await;
    let mut services: Vec<i64> = office.services.values().map(|s| s.id).collect();
    services.sort_unstable();
    let outcomes: HashMap<i64, String> = services.iter().map(|id| (*id, office.outcome_of(*id))).collect();
    let load = Load(Arc::new(watch::channel(Progress::default()).0));

    let mut tasks = JoinSet::new();
    for seed in 0..kiosks {
        tasks.spawn(kiosk(load.clone(), office.kiosk.clone(), services.clone(), seed));
    }
    for (username, counter) in [
        ("mrossi", "Sportello 1"),
        ("lbianchi", "Sportello 2"),
        ("gverdi", "Sportello 3"),
        ("fesposito", "Sportello 4"),
        ("aromano", "Sportello 5"),
    ] {
        let c = office.clerk(username, counter).await;
        tasks.spawn(clerk(load.clone(), c, outcomes.clone()));
    }

    for _ in 0..kills {
        let target = load.now().acknowledged + per_round;
        load.until("the load to make progress", |p| p.acknowledged >= target)
            .await;
        tokio::task::block_in_place(|| office.server.restart());
        load.0.send_modify(|p| p.generation += 1);
    }
    let target = load.now().acknowledged + per_round;
    load.until("the load to go on after the last restart", |p| p.acknowledged >= target)
        .await;
    load.0.send_modify(|p| p.stop = true);
    let reports = within("the clients to stop", tasks.join_all()).await;
    assert!(
        tokio::task::block_in_place(|| office.server.terminate()),
        "the server stops cleanly on SIGTERM"
    );

    let unreachable: u32 = reports.iter().map(|r| r.unreachable).sum();
    let unanswered: u32 = reports.iter().map(|r| r.unanswered).sum();
    let acks: Vec<&Ack> = reports.iter().flat_map(|r| &r.acks).collect();
    assert!(
        unreachable >= kills,
        "every kill met clients at work ({unreachable} failed requests for {kills} kills)"
    );
    check_database(&office, &acks);
    let count = |f: fn(&Ack) -> bool| acks.iter().filter(|a| f(a)).count();
    eprintln!(
        "{kills} kills under load in {:.1?}: {} issues, {} calls, {} finishes acknowledged; \
         {unreachable} requests met no server, {unanswered} operations committed without an answer",
        started.elapsed(),
        count(|a| matches!(a, Ack::Issued(_))),
        count(|a| matches!(a, Ack::Called(_))),
        count(|a| matches!(a, Ack::Finished { .. })),
    );
}

/// Opens the database the server left and checks every acknowledged operation in it.
fn check_database(office: &Office, acks: &[&Ack]) {
    let db = rusqlite::Connection::open(&office.server.db).expect("open the database");
    let integrity: Vec<String> = db
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("integrity check");
    assert_eq!(integrity, ["ok"]);

    let duplicated: Vec<(String, String, i64, i64)> = db
        .prepare(
            "SELECT office_day, prefix, seq, COUNT(*) FROM tickets GROUP BY office_day, prefix, seq
             HAVING COUNT(*) > 1",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect()
        })
        .expect("look for duplicated numbers");
    assert!(duplicated.is_empty(), "numbers issued twice: {duplicated:?}");
    let called_twice: Vec<(i64, i64)> = db
        .prepare("SELECT ticket_id, COUNT(*) FROM ticket_events WHERE action = 'call' GROUP BY ticket_id HAVING COUNT(*) > 1")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .expect("look for tickets called twice");
    assert!(called_twice.is_empty(), "tickets called twice: {called_twice:?}");

    let mut stmt = db
        .prepare("SELECT office_day, prefix, seq, state, counter_id, outcome FROM tickets WHERE id = ?1")
        .expect("prepare");
    type Row = (String, String, u32, String, Option<i64>, Option<String>);
    let mut get = |id: i64| -> Option<Row> {
        use rusqlite::OptionalExtension;
        stmt.query_row([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })
        .optional()
        .expect("read a ticket")
    };
    let mut called = HashSet::new();
    for ack in acks {
        match ack {
            Ack::Issued(t) => {
                let (day, prefix, seq, ..) = get(t.id).unwrap_or_else(|| panic!("acknowledged {} is lost", t.number));
                assert_eq!(
                    (day.as_str(), prefix.as_str(), seq),
                    (
                        t.office_day.as_str(),
                        t.number.prefix().to_string().as_str(),
                        t.number.seq()
                    ),
                    "ticket {} has another number than the one acknowledged",
                    t.id
                );
            }
            Ack::Called(t) => {
                assert!(called.insert(t.id), "{} was acknowledged as called twice", t.number);
                let (_, _, _, state, counter, _) = get(t.id).expect("a called ticket exists");
                assert!(
                    ["called", "serving", "done"].contains(&state.as_str()),
                    "acknowledged call of {} lost: it is {state}",
                    t.number
                );
                assert_eq!(counter, t.counter_id, "{} is at another counter", t.number);
            }
            Ack::Finished { ticket_id, outcome } => {
                let (_, _, _, state, _, stored) = get(*ticket_id).expect("a finished ticket exists");
                assert_eq!(
                    (state.as_str(), stored.as_deref()),
                    ("done", Some(outcome.as_str())),
                    "acknowledged finish of ticket {ticket_id} lost"
                );
            }
        }
    }
}
