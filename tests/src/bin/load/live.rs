//! Live events at scale: many waiting-room displays subscribed at once, a clerk calling at a steady
//! rate, and for each call the time from sending `call-next` until the subscribers got its
//! `ticket_called` event.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;
use turno_shared::api::{IssueRequest, LiveEvent};
use turno_shared::client::Subscription;
use turno_shared::domain::Priority;

use crate::office::Office;
use crate::stats::{MemorySampler, cpu_time, machine_busy, mb, memory, ms, percentile, reset_peak};

/// How long to wait for all subscriptions to connect, and for the last events after the last call.
const PATIENCE: Duration = Duration::from_secs(30);

/// What the live-event scenario measured.
#[derive(Clone, Debug, Default)]
pub struct LiveFigures {
    pub subscribers: usize,
    /// Calls measured (those after the warm-up).
    pub calls: usize,
    /// From sending the call until every subscriber had its event, in ms.
    pub all_p50_ms: f64,
    pub all_p99_ms: f64,
    /// From sending the call until one subscriber had its event, over every delivery, in ms.
    pub each_p50_ms: f64,
    pub each_p99_ms: f64,
    /// The answer to `call-next` itself, in ms.
    pub call_p50_ms: f64,
    pub call_p99_ms: f64,
    /// Deliveries of measured calls that never arrived.
    pub missed: u64,
    /// Cores busy during the calls: the server, this load generator (its subscribers included), anything
    /// else.
    pub server_cores: f64,
    pub client_cores: f64,
    pub other_cores: f64,
    /// Subscriptions that did not connect in time.
    pub unconnected: usize,
    /// The server's resident memory after setup, before the first subscription, in MB.
    pub rss_start_mb: f64,
    /// The server's peak resident memory from the first subscription on, in MB.
    pub rss_peak_mb: f64,
    /// With every subscriber connected, once the calls ended, in MB.
    pub rss_end_mb: f64,
}

/// Opens `subscribers` live streams with the display token, then one clerk issues, calls, starts and
/// finishes a ticket `rate` times a second for `warmup` + `duration`.
pub async fn run(office: &Office, subscribers: usize, rate: f64, warmup: Duration, duration: Duration) -> LiveFigures {
    let clerk = office.seat_clerks(1).await.pop().expect("one clerk");
    let kiosk = clerk.client.with_token(&office.server.kiosk_token);
    let outcomes = office.outcomes();
    let services: Vec<i64> = office.services.iter().map(|s| s.id).collect();
    let pid = office.server.pid();
    let at_start = memory(pid).unwrap_or_default();
    let peak_was_reset = reset_peak(pid);
    let sampler = MemorySampler::start(pid);

    let display = office.server.display();
    let subs: Vec<Subscription> = (0..subscribers).map(|_| display.subscribe(None)).collect();
    let mut unconnected = 0;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    for sub in &subs {
        let mut connected = sub.connected();
        let wait = tokio::time::timeout_at(deadline, connected.wait_for(|c| *c)).await;
        if !matches!(wait, Ok(Ok(_))) {
            unconnected += 1;
        }
    }

    // Each subscriber notes when each call reached it, until it has seen the last call.
    // `Some(last)` once the calls ended, `last` being the id of the last measured call, if any.
    let (last_tx, last_rx) = watch::channel(None::<Option<i64>>);
    let mut listeners = JoinSet::new();
    for sub in subs {
        listeners.spawn(listen(sub, last_rx.clone()));
    }

    let interval = Duration::from_secs_f64(1.0 / rate.max(0.1));
    let start = Instant::now();
    let cpu_before = (cpu_time(Some(pid)), cpu_time(None), machine_busy());
    let (from, to) = (start + warmup, start + warmup + duration);
    let max_calls = ((warmup + duration).as_secs_f64() * rate).ceil() as usize + 1;
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut calls: Vec<(i64, Instant, Duration)> = Vec::new();
    for round in 0..max_calls {
        tick.tick().await;
        if Instant::now() >= to {
            break;
        }
        let issue = IssueRequest {
            service_id: services[round % services.len()],
            priority: Priority::Normal,
            language: None,
        };
        kiosk.issue_ticket(&issue).await.expect("the kiosk issues a ticket");
        let sent = Instant::now();
        let ticket = clerk
            .client
            .call_next(clerk.counter)
            .await
            .expect("the clerk calls")
            .expect("the ticket just issued waits");
        let answered = sent.elapsed();
        if sent >= from {
            calls.push((ticket.id, sent, answered));
        }
        clerk.client.start(ticket.id).await.expect("the clerk starts");
        let outcome = &outcomes[&ticket.service_id];
        clerk
            .client
            .finish(ticket.id, outcome, None)
            .await
            .expect("the clerk finishes");
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = (
        (cpu_time(Some(pid)) - cpu_before.0).as_secs_f64(),
        (cpu_time(None) - cpu_before.1).as_secs_f64(),
        (machine_busy() - cpu_before.2).as_secs_f64(),
    );
    let _ = last_tx.send(Some(calls.last().map(|(id, ..)| *id)));
    let seen = listeners.join_all().await;
    let (max_rss_kb, end) = sampler.stop();

    let (mut all, mut each, mut answers) = (Vec::new(), Vec::new(), Vec::new());
    let mut missed = 0;
    for (id, sent, answered) in &calls {
        answers.push(*answered);
        let mut slowest = Duration::ZERO;
        for arrivals in &seen {
            match arrivals.get(id) {
                Some(at) => {
                    let took = at.saturating_duration_since(*sent);
                    slowest = slowest.max(took);
                    each.push(took);
                }
                None => missed += 1,
            }
        }
        all.push(slowest);
    }
    for v in [&mut all, &mut each, &mut answers] {
        v.sort_unstable();
    }
    LiveFigures {
        subscribers,
        calls: calls.len(),
        all_p50_ms: ms(percentile(&all, 0.50)),
        all_p99_ms: ms(percentile(&all, 0.99)),
        each_p50_ms: ms(percentile(&each, 0.50)),
        each_p99_ms: ms(percentile(&each, 0.99)),
        call_p50_ms: ms(percentile(&answers, 0.50)),
        call_p99_ms: ms(percentile(&answers, 0.99)),
        missed,
        server_cores: cpu.0 / wall,
        client_cores: cpu.1 / wall,
        other_cores: (cpu.2 - cpu.0 - cpu.1).max(0.0) / wall,
        unconnected,
        rss_start_mb: mb(at_start.rss_kb),
        // Without a reset the kernel's peak would include setup; fall back to the sampled maximum.
        rss_peak_mb: mb(if peak_was_reset { end.hwm_kb } else { max_rss_kb }),
        rss_end_mb: mb(end.rss_kb),
    }
}

/// When each `ticket_called` event reached this subscriber, by ticket id; ends once it has seen the
/// last call, or [`PATIENCE`] after the calls ended.
async fn listen(mut sub: Subscription, mut last: watch::Receiver<Option<Option<i64>>>) -> HashMap<i64, Instant> {
    let mut arrivals = HashMap::new();
    let mut give_up: Option<tokio::time::Instant> = None;
    loop {
        let ended = *last.borrow();
        match ended {
            None => {}
            Some(None) => break,
            Some(Some(id)) if arrivals.contains_key(&id) => break,
            Some(Some(_)) => {
                give_up.get_or_insert_with(|| tokio::time::Instant::now() + PATIENCE);
            }
        }
        let patience = async {
            match give_up {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            message = sub.next() => match message {
                Some(m) => {
                    if let LiveEvent::TicketCalled { ticket_id, .. } = m.event {
                        arrivals.entry(ticket_id).or_insert_with(Instant::now);
                    }
                }
                None => break,
            },
            changed = last.changed() => {
                if changed.is_err() && give_up.is_none() {
                    break;
                }
            }
            () = patience => break,
        }
    }
    arrivals
}
