//! `turno-board-bench`, the benchmark of the waiting-room board and the ticket pages against the real
//! release server on loopback: 50 boards (each does what the page does: reads `/api/v1/board`, follows
//! the live events with the shared client's parser, fetches each call's announcement as soon as the
//! event arrives, and reloads the board view after queue changes) and 500 ticket pages following their
//! tickets' live streams, while clerks call. It prints call → event on every board (p50, p99), call →
//! announcement ready (p50, p95), and the server's memory with all of them open.
//!
//! `cargo build --release -p turno-server -p turno-tests && target/release/turno-board-bench`

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::StreamExt;
use turno_shared::api::{IssueRequest, LiveEvent};
use turno_shared::client::Client;
use turno_shared::domain::Priority;
use turno_tests::ServerProcess;

#[derive(Parser)]
#[command(name = "turno-board-bench", version)]
struct Args {
    /// Boards following the live events.
    #[arg(long, default_value_t = 50)]
    boards: usize,
    /// Ticket pages following their tickets.
    #[arg(long, default_value_t = 500)]
    ticket_pages: usize,
    /// Calls made, one after another from five counters in turn.
    #[arg(long, default_value_t = 200)]
    calls: usize,
    /// Calls a second.
    #[arg(long, default_value_t = 4.0)]
    call_rate: f64,
    /// The languages each board asks its announcements in.
    #[arg(long, default_value = "it,en")]
    languages: String,
}

/// When each counter sent its latest call (its event may reach a board before the clerk's answer).
type Sent = Arc<Mutex<std::collections::HashMap<i64, Instant>>>;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(name: &str, mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let (p50, p95, p99) = (percentile(&ms, 50.0), percentile(&ms, 95.0), percentile(&ms, 99.0));
    println!(
        "{name}: {} samples, p50 {p50:.1} ms, p95 {p95:.1} ms, p99 {p99:.1} ms, max {:.1} ms",
        ms.len(),
        ms.last().copied().unwrap_or(f64::NAN)
    );
    (p50, p95, p99)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().expect("a temp directory");
    // One address opens every board and page here: lift the per-address cap a real office never meets.
    let config = dir.path().join("turno.toml");
    std::fs::write(
        &config,
        "[limits]\nmax_connections = 8192\nmax_connections_per_address = 8192\n",
    )
    .expect("the configuration file");
    let server = tokio::task::block_in_place(|| {
        ServerProcess::start(dir.path(), &["--config", config.to_str().expect("a UTF-8 path")])
    });
    let url = server.url.clone();
    println!(
        "turno-board-bench: {} boards, {} ticket pages, {} calls at {}/s, announcements in {}",
        args.boards, args.ticket_pages, args.calls, args.call_rate, args.languages
    );

    // Tickets: those the pages follow, and those the clerks call (every service the counters serve).
    let kiosk = server.kiosk();
    let admin = server.client().with_token(
        server
            .client()
            .login("admin", turno_tests::demo_password("admin"))
            .await
            .unwrap()
            .token,
    );
    let mut services = admin.services().await.unwrap();
    for s in &mut services {
        s.config.daily_cap = None;
        admin.update_service(s.id, &s.config).await.unwrap();
    }
    let issue = |service_id: i64| {
        let kiosk = kiosk.clone();
        async move {
            kiosk
                .issue_ticket(&IssueRequest {
                    service_id,
                    priority: Priority::Normal,
                    language: None,
                })
                .await
                .expect("the kiosk issues")
        }
    };
    let anagrafe = services.iter().find(|s| s.config.prefix.as_char() == 'A').unwrap().id;
    let mut tokens = Vec::new();
    for _ in 0..args.ticket_pages.max(args.calls) {
        tokens.push(issue(anagrafe).await.token);
    }

    // 500 ticket pages: each follows its ticket's live stream and counts the statuses it gets.
    let http = reqwest::Client::builder().build().unwrap();
    let statuses = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut pages = Vec::new();
    for token in tokens.iter().rev().take(args.ticket_pages) {
        let (http, url, statuses) = (http.clone(), url.clone(), statuses.clone());
        let token = token.clone();
        pages.push(tokio::spawn(async move {
            let answer = http
                .get(format!("{url}/api/v1/public/tickets/{token}/live"))
                .send()
                .await
                .expect("a ticket page connects");
            assert!(answer.status().is_success(), "{}", answer.status());
            let mut body = answer.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                let n = chunk.windows(13).filter(|w| w == b"event: status").count();
                statuses.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }

    // 50 boards, as the page: the board view, then the events after it.
    let sent: Sent = Arc::default();
    let drawn = Arc::new(Mutex::new(Vec::<f64>::new()));
    let audio = Arc::new(Mutex::new(Vec::<f64>::new()));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(args.boards);
    let mut boards = Vec::new();
    for _ in 0..args.boards {
        let display = server.display();
        let (sent, drawn, audio, http, url) = (sent.clone(), drawn.clone(), audio.clone(), http.clone(), url.clone());
        let (token, languages, ready) = (server.display_token.clone(), args.languages.clone(), ready_tx.clone());
        let refreshing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        boards.push(tokio::spawn(async move {
            let view: serde_json::Value = display.get("/board").await.expect("the board view");
            let mut events = display.subscribe(view["last_event_id"].as_i64());
            let mut connected = events.connected();
            connected.wait_for(|c| *c).await.expect("the board connects");
            let _ = ready.send(()).await;
            while let Some(message) = events.next().await {
                match message.event {
                    LiveEvent::TicketCalled {
                        number, counter_id, ..
                    } => {
                        let at = Instant::now();
                        let Some(started) = sent.lock().unwrap().get(&counter_id).copied() else {
                            continue;
                        };
                        drawn.lock().unwrap().push(at.duration_since(started).as_secs_f64() * 1000.0);
                        // The page fetches the announcement at once.
                        let (http, url, token, languages, audio) =
                            (http.clone(), url.clone(), token.clone(), languages.clone(), audio.clone());
                        tokio::spawn(async move {
                            let wav = http
                                .get(format!(
                                    "{url}/api/v1/board/announcement?number={number}&counter_id={counter_id}&languages={languages}"
                                ))
                                .bearer_auth(&token)
                                .send()
                                .await
                                .expect("the announcement")
                                .bytes()
                                .await
                                .expect("its audio");
                            assert!(wav.len() > 44, "a WAV file");
                            audio.lock().unwrap().push(started.elapsed().as_secs_f64() * 1000.0);
                        });
                    }
                    // The page reloads the board view 800 ms after a queue change, once.
                    LiveEvent::QueueChanged { .. } if !refreshing.swap(true, std::sync::atomic::Ordering::AcqRel) => {
                        let (display, refreshing) = (display.clone(), refreshing.clone());
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_millis(800)).await;
                            refreshing.store(false, std::sync::atomic::Ordering::Release);
                            let _: Result<serde_json::Value, _> = display.get("/board").await;
                        });
                    }
                    _ => {}
                }
            }
        }));
    }
    drop(ready_tx);
    for _ in 0..args.boards {
        ready_rx.recv().await.expect("every board connects");
    }
    // Let the pages' first statuses arrive.
    let deadline = Instant::now() + Duration::from_secs(30);
    while statuses.load(std::sync::atomic::Ordering::Relaxed) < args.ticket_pages && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (rss_open, _) = turno_tests::memory_mib(server.pid());
    println!(
        "open: {} boards and {} ticket pages ({} first statuses); server memory {rss_open:.1} MiB",
        args.boards,
        args.ticket_pages,
        statuses.load(std::sync::atomic::Ordering::Relaxed)
    );

    // Clerks at the five counters call in turn, finishing the ticket before.
    let mut clerks: Vec<(Client, i64, Option<i64>)> = Vec::new();
    for (i, user) in ["mrossi", "lbianchi", "gverdi", "fesposito", "aromano"]
        .iter()
        .enumerate()
    {
        let login = server
            .client()
            .login(user, turno_tests::demo_password(user))
            .await
            .unwrap();
        let client = server.client().with_token(login.token);
        client.open_counter(i as i64 + 1).await.unwrap();
        clerks.push((client, i as i64 + 1, None));
    }
    // Counters 1, 2 and 5 serve the registry office, where the tickets wait.
    clerks.retain(|(_, counter, _)| [1, 2, 5].contains(counter));
    let outcome = services.iter().find(|s| s.id == anagrafe).unwrap().config.outcomes[0]
        .code
        .to_string();
    let every = Duration::from_secs_f64(1.0 / args.call_rate);
    let mut next = Instant::now();
    for i in 0..args.calls {
        tokio::time::sleep_until(next.into()).await;
        next += every;
        let n = clerks.len();
        let (client, counter, current) = &mut clerks[i % n];
        if let Some(id) = current.take() {
            client.finish(id, &outcome, None).await.expect("the clerk finishes");
        }
        sent.lock().unwrap().insert(*counter, Instant::now());
        let called = client
            .call_next(*counter)
            .await
            .expect("the clerk calls")
            .expect("tickets wait");
        *current = Some(called.id);
    }
    // Everything in flight arrives within a few seconds.
    let expected = args.calls * args.boards;
    let deadline = Instant::now() + Duration::from_secs(30);
    while (drawn.lock().unwrap().len() < expected || audio.lock().unwrap().len() < expected)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (rss, hwm) = turno_tests::memory_mib(server.pid());
    println!();
    let (_, _, drawn_p99) = summary("call → event on every board", drawn.lock().unwrap().clone());
    let (_, audio_p95, _) = summary(
        "call → announcement ready on every board",
        audio.lock().unwrap().clone(),
    );
    println!(
        "server memory with {} boards and {} ticket pages open: {rss:.1} MiB now, {hwm:.1} MiB at peak",
        args.boards, args.ticket_pages
    );
    println!(
        "ticket pages received {} statuses",
        statuses.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!(
        "\ntargets: call → board p99 {drawn_p99:.1} ms (≤ 200: {}), call → audio p95 {audio_p95:.1} ms (≤ 300: {}), memory {hwm:.1} MiB (≤ 60: {})",
        ok(drawn_p99 <= 200.0),
        ok(audio_p95 <= 300.0),
        ok(hwm <= 60.0)
    );
    println!(
        "command: target/release/turno-board-bench --boards {} --ticket-pages {} --calls {} --call-rate {} --languages {}",
        args.boards, args.ticket_pages, args.calls, args.call_rate, args.languages
    );
    for task in boards.into_iter().chain(pages) {
        task.abort();
    }
}

fn ok(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
