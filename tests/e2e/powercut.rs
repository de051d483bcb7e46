//! Durability through a power cut: the real server keeps its database on a file system that holds only
//! what was synced (`turno_tests::powercut`); the power goes under load, the server is restarted on
//! what a disk would still hold, and every operation it acknowledged must be there. A negative control
//! runs the server with SQLite's `synchronous=NORMAL` and checks that the test then sees the loss.
//! `TURNO_SLOW_TESTS=1` cuts after a heavier load.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;
use tokio::task::JoinSet;
use turno_shared::api::{IssueRequest, TicketView};
use turno_shared::client::{Client, ClientError};
use turno_shared::domain::Priority;
use turno_tests::ServerProcess;
use turno_tests::powercut::{PowerCut, Stats};

use crate::support::{Clerk, slow_tests, within};

/// What the clients see of the run, shared through a watch channel.
#[derive(Clone, Copy, Debug, Default)]
struct Progress {
    issued: u64,
    finished: u64,
    /// Set just before the power goes: from then on a failed request is expected.
    cut: bool,
    stop: bool,
}

/// An operation the server acknowledged.
#[derive(Debug)]
enum Op {
    Issued(TicketView),
    Called(TicketView),
    Finished { ticket: TicketView, outcome: String },
}

/// An acknowledged operation and the instant its answer arrived.
#[derive(Debug)]
struct Ack {
    op: Op,
    at: Instant,
}

/// What one client task saw.
#[derive(Debug, Default)]
struct Report {
    acks: Vec<Ack>,
    /// Issue requests that got no answer because the power went.
    unanswered_issues: u32,
    /// Calls and finishes that got no answer because the power went.
    unanswered_others: u32,
}

#[derive(Clone)]
struct Load(Arc<watch::Sender<Progress>>);

impl Load {
    fn now(&self) -> Progress {
        *self.0.borrow()
    }

    fn acknowledged(&self, report: &mut Report, op: Op) {
        let at = Instant::now();
        let (issued, finished) = (matches!(op, Op::Issued(_)), matches!(op, Op::Finished { .. }));
        report.acks.push(Ack { op, at });
        self.0.send_modify(|p| {
            p.issued += u64::from(issued);
            p.finished += u64::from(finished);
        });
    }

    /// A request failed: only the power cut may explain it.
    fn failed(&self, what: &str, e: &ClientError) {
        assert!(self.now().cut, "{what} failed before the power cut: {e}");
    }

    async fn until(&self, what: &str, done: impl FnMut(&Progress) -> bool) {
        let mut rx = self.0.subscribe();
        within(what, rx.wait_for(done))
            .await
            .expect("the test holds the sender");
    }
}

/// A kiosk issuing tickets for every service in turn until the power goes.
async fn kiosk(load: Load, kiosk: Client, services: Vec<i64>, seed: usize) -> Report {
    let mut report = Report::default();
    for i in seed.. {
        if load.now().stop {
            break;
        }
        let request = IssueRequest {
            service_id: services[i % services.len()],
            priority: if i.is_multiple_of(7) {
                Priority::Priority
            } else {
                Priority::Normal
            },
            language: None,
        };
        match kiosk.issue_ticket(&request).await {
            Ok(t) => load.acknowledged(&mut report, Op::Issued(t.ticket)),
            Err(e) => {
                load.failed("issuing a ticket", &e);
                report.unanswered_issues += 1;
                break;
            }
        }
    }
    report
}

/// A clerk calling and finishing tickets until the power goes.
async fn clerk(load: Load, clerk: Clerk, outcomes: HashMap<i64, String>) -> Report {
    let mut report = Report::default();
    let (client, counter) = (&clerk.client, clerk.counter);
    while !load.now().stop {
        let issued = load.now().issued;
        let t = match client.call_next(counter).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                load.until("a ticket to call", |p| p.issued > issued || p.cut).await;
                continue;
            }
            Err(e) => {
                load.failed("calling a ticket", &e);
                report.unanswered_others += 1;
                break;
            }
        };
        load.acknowledged(&mut report, Op::Called(t.clone()));
        let outcome = &outcomes[&t.service_id];
        match client.finish(t.id, outcome, None).await {
            Ok(_) => load.acknowledged(
                &mut report,
                Op::Finished {
                    ticket: t,
                    outcome: outcome.clone(),
                },
            ),
            Err(e) => {
                load.failed("finishing a ticket", &e);
                report.unanswered_others += 1;
                break;
            }
        }
    }
    report
}

/// One run: the office under load on the power-cut file system, the cut, and what a restart finds.
struct Run {
    acks: Vec<Ack>,
    cut_at: Instant,
    unanswered_issues: u32,
    unanswered_others: u32,
    stats: Stats,
    findings: Findings,
    /// Numbers handed out again after the restart although a citizen holds them from before the cut.
    reissued: Vec<String>,
}

impl Run {
    fn count(&self, f: fn(&Op) -> bool) -> usize {
        self.acks.iter().filter(|a| f(&a.op)).count()
    }

    fn summary(&self) -> String {
        let after_cut = self.acks.iter().filter(|a| a.at >= self.cut_at).count();
        let Stats {
            writes,
            file_syncs,
            dir_syncs,
            refused_after_cut,
            ..
        } = self.stats;
        format!(
            "{} issues, {} calls, {} finishes acknowledged ({after_cut} answers arrived after the cut began); \
             {} operations lost; {} orphan tickets (committed, never answered) of {} issue requests cut short, \
             {} calls or finishes cut short; file system: {writes} writes, {file_syncs} file syncs, \
             {dir_syncs} directory syncs, {refused_after_cut} operations refused after the cut",
            self.count(|o| matches!(o, Op::Issued(_))),
            self.count(|o| matches!(o, Op::Called(_))),
            self.count(|o| matches!(o, Op::Finished { .. })),
            self.findings.lost.len(),
            self.findings.orphans.len(),
            self.unanswered_issues,
            self.unanswered_others,
        )
    }
}

/// Runs the office on a fresh power-cut file system with the server's `extra` flags, cuts the power
/// once `issues` tickets were acknowledged, and restarts the server on what the disk holds.
async fn power_cut_under_load(extra: &[&str], issues: u64) -> Run {
    let fs = PowerCut::mount().expect("mount the power-cut file system (needs root and /dev/fuse)");
    let mut server = tokio::task::block_in_place(|| ServerProcess::start(fs.path(), extra));
    let admin = server.user("admin").await;
    let mut services = admin.services().await.expect("the admin lists services");
    services.sort_by_key(|s| s.id);
    for s in &services {
        let mut config = s.config.clone();
        config.daily_cap = None;
        admin
            .update_service(s.id, &config)
            .await
            .unwrap_or_else(|e| panic!("the admin lifts the cap of service {}: {e}", s.id));
    }
    let outcomes: HashMap<i64, String> = services
        .iter()
        .map(|s| (s.id, s.config.outcomes[0].code.to_string()))
        .collect();
    let counters: HashMap<String, i64> = admin
        .counters()
        .await
        .expect("the admin lists counters")
        .into_iter()
        .map(|c| (c.config.name.clone(), c.id))
        .collect();

    let load = Load(Arc::new(watch::channel(Progress::default()).0));
    let mut tasks = JoinSet::new();
    let service_ids: Vec<i64> = services.iter().map(|s| s.id).collect();
    for seed in 0..4 {
        tasks.spawn(kiosk(load.clone(), server.kiosk(), service_ids.clone(), seed));
    }
    // Between them these counters serve every demo service.
    for (username, counter) in [
        ("mrossi", "Sportello 1"),
        ("gverdi", "Sportello 3"),
        ("fesposito", "Sportello 4"),
    ] {
        let client = server.user(username).await;
        let counter = counters[counter];
        client
            .open_counter(counter)
            .await
            .unwrap_or_else(|e| panic!("{username} signs in at counter {counter}: {e}"));
        tasks.spawn(clerk(load.clone(), Clerk { client, counter }, outcomes.clone()));
    }

    load.until("the load to reach the cut", |p| p.issued >= issues && p.finished >= 10)
        .await;
    let cut_at = Instant::now();
    load.0.send_modify(|p| p.cut = true);
    fs.cut();
    tokio::task::block_in_place(|| server.kill9());
    load.0.send_modify(|p| p.stop = true);
    let reports = within("the clients to stop", tasks.join_all()).await;
    let stats = fs.stats();

    let disk = tempfile::tempdir().expect("a temp directory");
    fs.write_durable_to(disk.path()).expect("copy what the disk holds");
    // Not the subject: the demo's notes of its device tokens, which the harness needs to start again.
    let credentials = "turno.db.demo-credentials.txt";
    std::fs::copy(fs.path().join(credentials), disk.path().join(credentials)).expect("copy the demo credentials");
    drop(fs);

    let unanswered_issues = reports.iter().map(|r| r.unanswered_issues).sum();
    let unanswered_others = reports.iter().map(|r| r.unanswered_others).sum();
    let acks: Vec<Ack> = reports.into_iter().flat_map(|r| r.acks).collect();
    let findings = inspect(&disk.path().join("turno.db"), &acks, cut_at);
    let reissued = issue_after_restart(disk.path(), &service_ids, &acks).await;
    Run {
        acks,
        cut_at,
        unanswered_issues,
        unanswered_others,
        stats,
        findings,
        reissued,
    }
}

/// What the database left on the disk holds, against what was acknowledged.
#[derive(Debug, Default)]
struct Findings {
    integrity: Vec<String>,
    /// Acknowledged operations missing from the database, and whether their answer arrived before the
    /// cut began.
    lost: Vec<(String, bool)>,
    /// Numbers given to more than one ticket.
    duplicated: Vec<String>,
    /// Tickets in the database whose issue was never answered: (number, state).
    orphans: Vec<(String, String)>,
}

/// Opens the database read-only, as the disk left it (SQLite replays its WAL in memory), and checks it.
fn inspect(db: &Path, acks: &[Ack], cut_at: Instant) -> Findings {
    let db = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the database the disk holds");
    let integrity: Vec<String> = db
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("integrity check");
    type Row = (String, String, u32, String, Option<i64>, Option<String>);
    let tickets: HashMap<i64, Row> = db
        .prepare("SELECT id, office_day, prefix, seq, state, counter_id, outcome FROM tickets")
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?),
                ))
            })?
            .collect()
        })
        .expect("read the tickets");

    let mut findings = Findings {
        integrity,
        ..Findings::default()
    };
    let mut numbers: HashMap<(String, String), HashSet<i64>> = HashMap::new();
    for (id, (day, prefix, seq, ..)) in &tickets {
        numbers
            .entry((day.clone(), format!("{prefix}{seq:03}")))
            .or_default()
            .insert(*id);
    }
    let mut issued = HashSet::new();
    for ack in acks {
        let (t, kept) = match &ack.op {
            Op::Issued(t) => {
                issued.insert(t.id);
                numbers
                    .entry((t.office_day.clone(), t.number.to_string()))
                    .or_default()
                    .insert(t.id);
                let kept = tickets.get(&t.id).is_some_and(|(day, prefix, seq, ..)| {
                    (day.as_str(), prefix.as_str(), *seq)
                        == (
                            t.office_day.as_str(),
                            t.number.prefix().to_string().as_str(),
                            t.number.seq(),
                        )
                });
                (t, kept)
            }
            Op::Called(t) => {
                let kept = tickets.get(&t.id).is_some_and(|(.., state, counter, _)| {
                    ["called", "serving", "done"].contains(&state.as_str()) && *counter == t.counter_id
                });
                (t, kept)
            }
            Op::Finished { ticket, outcome } => {
                let kept = tickets
                    .get(&ticket.id)
                    .is_some_and(|(.., state, _, stored)| state == "done" && stored.as_ref() == Some(outcome));
                (ticket, kept)
            }
        };
        if !kept {
            let what = match ack.op {
                Op::Issued(_) => "issue",
                Op::Called(_) => "call",
                Op::Finished { .. } => "finish",
            };
            findings
                .lost
                .push((format!("{what} of {} (id {})", t.number, t.id), ack.at < cut_at));
        }
    }
    findings.duplicated = numbers
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|((day, number), ids)| format!("{number} of {day}: ids {ids:?}"))
        .collect();
    findings.orphans = tickets
        .iter()
        .filter(|(id, _)| !issued.contains(id))
        .map(|(_, (_, prefix, seq, state, ..))| (format!("{prefix}{seq:03}"), state.clone()))
        .collect();
    findings
}

/// Starts the server again on what the disk held and issues one ticket per service: answers the new
/// numbers that an acknowledged ticket already had.
async fn issue_after_restart(dir: &Path, services: &[i64], acks: &[Ack]) -> Vec<String> {
    let mut server = tokio::task::block_in_place(|| ServerProcess::start(dir, &[]));
    let acknowledged: HashSet<(String, String)> = acks
        .iter()
        .filter_map(|a| match &a.op {
            Op::Issued(t) => Some((t.office_day.clone(), t.number.to_string())),
            _ => None,
        })
        .collect();
    let mut reissued = Vec::new();
    for service_id in services {
        let request = IssueRequest {
            service_id: *service_id,
            priority: Priority::Normal,
            language: None,
        };
        let t = server
            .kiosk()
            .issue_ticket(&request)
            .await
            .unwrap_or_else(|e| panic!("after the restart the kiosk issues for service {service_id}: {e}"))
            .ticket;
        if acknowledged.contains(&(t.office_day.clone(), t.number.to_string())) {
            reissued.push(t.number.to_string());
        }
    }
    assert!(
        tokio::task::block_in_place(|| server.terminate()),
        "the restarted server stops cleanly on SIGTERM"
    );
    reissued
}

/// Every answer the server gave must survive, even one that arrived after the cut began: the file
/// system refuses every sync from the cut on, so an answer means a sync before it. Each round cuts at
/// another moment of the load (in a commit, between commits, in a checkpoint).
#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_operations_survive_a_power_cut() {
    let (rounds, issues) = if slow_tests() { (8, 1000) } else { (3, 200) };
    for round in 0..rounds {
        let started = Instant::now();
        let run = power_cut_under_load(&[], issues + 37 * round).await;
        eprintln!(
            "power cut {}/{rounds}: {} in {:.1?}",
            round + 1,
            run.summary(),
            started.elapsed()
        );
        let f = &run.findings;
        assert_eq!(f.integrity, ["ok"], "the database is sound after the power cut");
        assert!(
            f.lost.is_empty(),
            "acknowledged operations lost in the power cut: {:?}",
            f.lost
        );
        assert!(f.duplicated.is_empty(), "numbers given twice: {:?}", f.duplicated);
        assert!(
            run.reissued.is_empty(),
            "after the restart, numbers handed out again: {:?}",
            run.reissued
        );
        // Each kiosk had at most one request in flight: an orphan is the commit of one of them.
        assert!(
            f.orphans.len() <= run.unanswered_issues as usize,
            "more tickets without an answer ({:?}) than issue requests cut short ({})",
            f.orphans,
            run.unanswered_issues
        );
    }
}

/// The negative control: with `synchronous=NORMAL` SQLite acknowledges commits it has not synced, and
/// the test must see acknowledged operations lost. Those committed since the last checkpoint (which
/// syncs) are lost; a cut right after a checkpoint could lose none, so the run is tried a few times.
#[tokio::test(flavor = "multi_thread")]
async fn the_power_cut_test_catches_unsynced_commits() {
    const ATTEMPTS: usize = 4;
    let started = Instant::now();
    for attempt in 1..=ATTEMPTS {
        let run = power_cut_under_load(&["--unsafe-synchronous", "normal"], 150).await;
        let lost_before_cut = run.findings.lost.iter().filter(|(_, before)| *before).count();
        eprintln!(
            "power cut with synchronous=NORMAL, attempt {attempt}: {}; {lost_before_cut} lost were answered \
             before the cut began; {} numbers handed out again after the restart; {:.1?} so far",
            run.summary(),
            run.reissued.len(),
            started.elapsed()
        );
        if lost_before_cut > 0 {
            return;
        }
    }
    panic!("in {ATTEMPTS} power cuts with synchronous=NORMAL the test never saw an acknowledged operation lost");
}
