//! The ticket lifecycle under load: each client plays a kiosk and the clerk of its own counter, and
//! loops issue → call next → start → finish, one HTTP request per operation, for a fixed time.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use turno_shared::api::IssueRequest;
use turno_shared::client::{Client, ClientError};
use turno_shared::domain::{Priority, TicketNumber};

use crate::office::{Clerk, Office};
use crate::stats::{
    MemorySampler, cpu_time, machine_busy, mb, memory, ms, percentile, reset_peak, thread_cpu_time, thread_named,
};

/// The four operations of a ticket's life, in order.
pub const OPS: [&str; 4] = ["issue", "call", "start", "finish"];
const ISSUE: usize = 0;
const CALL: usize = 1;
const START: usize = 2;
const FINISH: usize = 3;

/// What one scenario measured.
#[derive(Clone, Debug, Default)]
pub struct LoadFigures {
    /// Operations completed inside the measured window, per second.
    pub ops_per_s: f64,
    /// Latency of every operation, in ms.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// p50 and p99 of each operation of [`OPS`], in ms.
    pub by_op: [(f64, f64); 4],
    /// Requests that failed; the scenario's figures are suspect when not zero.
    pub errors: u64,
    pub first_error: Option<String>,
    /// Calls that found nothing to call (the loop then issues again).
    pub empty_calls: u64,
    /// Whether the clients stopped early because the day's ticket numbers were running out.
    pub out_of_numbers: bool,
    /// Cores busy on average during the load: the server's and the load generator's.
    pub server_cores: f64,
    pub client_cores: f64,
    /// Of the server's, the share of a core its store writer thread used (the one thread that runs
    /// every write); `None` when the thread was not found.
    pub writer_cores: Option<f64>,
    /// Cores busy with anything else on the machine (other programs disturb the figures).
    pub other_cores: f64,
    /// The server's resident memory when setup ended and the load began, in MB.
    pub rss_start_mb: f64,
    /// The server's peak resident memory during the load (`VmHWM` reset after setup), in MB.
    pub rss_peak_mb: f64,
    /// The server's resident memory once the load stopped, in MB.
    pub rss_end_mb: f64,
    /// The server's peak resident memory during setup (clerk accounts and logins), in MB.
    pub setup_peak_mb: f64,
}

/// The measured window: operations that begin before `from` (warm-up) or end after `to` do not count.
#[derive(Clone, Copy)]
struct Window {
    from: Instant,
    to: Instant,
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    latencies: [Vec<Duration>; 4],
    errors: u64,
    first_error: Option<String>,
    empty_calls: u64,
    out_of_numbers: bool,
}

impl Tally {
    /// Times one request; records its latency when it falls inside the window, or its failure.
    async fn timed<T>(
        &mut self,
        op: usize,
        window: Window,
        request: impl Future<Output = Result<T, ClientError>>,
    ) -> Option<T> {
        let began = Instant::now();
        let result = request.await;
        let took = began.elapsed();
        match result {
            Ok(value) => {
                if began >= window.from && began + took <= window.to {
                    self.latencies[op].push(took);
                }
                Some(value)
            }
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| format!("{}: {e}", OPS[op]));
                None
            }
        }
    }
}

/// What every client of a scenario shares.
struct Plan {
    /// An outcome each service accepts, by service id.
    outcomes: HashMap<i64, String>,
    services: Vec<i64>,
    /// Tickets the clients may still issue.
    numbers: AtomicI64,
    window: Window,
    /// With a target rate, how often each client starts a lifecycle.
    period: Option<Duration>,
    clients: usize,
}

/// Runs `clients` kiosk-and-clerk loops against `office` for `warmup` + `duration`, as fast as the
/// server answers, or offering `rate` operations a second in all when given.
pub async fn run(
    office: &Office,
    clients: usize,
    rate: Option<f64>,
    warmup: Duration,
    duration: Duration,
) -> LoadFigures {
    let clerks = office.seat_clerks(clients).await;
    let services: Vec<i64> = office.services.iter().map(|s| s.id).collect();
    // Numbers run to 9,999 per service and day; stop well before, whatever the speed.
    let numbers = AtomicI64::new((services.len() as i64) * i64::from(TicketNumber::MAX_SEQ) * 9 / 10);
    let pid = office.server.pid();
    let at_start = memory(pid).unwrap_or_default();
    let peak_was_reset = reset_peak(pid);
    let sampler = MemorySampler::start(pid);

    let start = Instant::now();
    let writer = thread_named(pid, "turno-writer");
    let writer_before = writer.map(|tid| thread_cpu_time(pid, tid));
    let cpu_before = (cpu_time(Some(pid)), cpu_time(None), machine_busy());
    let window = Window {
        from: start + warmup,
        to: start + warmup + duration,
    };
    let plan = Arc::new(Plan {
        outcomes: office.outcomes(),
        services,
        numbers,
        window,
        period: rate.map(|r| Duration::from_secs_f64(OPS.len() as f64 * clients as f64 / r.max(0.001))),
        clients,
    });
    let mut set = JoinSet::new();
    for (index, clerk) in clerks.into_iter().enumerate() {
        let kiosk = clerk.client.with_token(&office.server.kiosk_token);
        let plan = plan.clone();
        set.spawn(async move { client_loop(index, kiosk, clerk, &plan).await });
    }
    let tallies = set.join_all().await;
    let wall = start.elapsed().as_secs_f64();
    let cpu_after = (cpu_time(Some(pid)), cpu_time(None), machine_busy());
    let writer_after = writer.map(|tid| thread_cpu_time(pid, tid));
    let (max_rss_kb, last) = sampler.stop();

    let mut all = Vec::new();
    let mut by_op: [Vec<Duration>; 4] = Default::default();
    let mut figures = LoadFigures {
        server_cores: (cpu_after.0 - cpu_before.0).as_secs_f64() / wall,
        client_cores: (cpu_after.1 - cpu_before.1).as_secs_f64() / wall,
        writer_cores: writer_before
            .zip(writer_after)
            .map(|(before, after)| (after - before).as_secs_f64() / wall),
        other_cores: ((cpu_after.2 - cpu_before.2).as_secs_f64()
            - (cpu_after.0 - cpu_before.0).as_secs_f64()
            - (cpu_after.1 - cpu_before.1).as_secs_f64())
        .max(0.0)
            / wall,
        setup_peak_mb: mb(at_start.hwm_kb),
        rss_start_mb: mb(at_start.rss_kb),
        rss_end_mb: mb(last.rss_kb),
        // Without a reset the kernel's peak would include setup; fall back to the sampled maximum.
        rss_peak_mb: mb(if peak_was_reset { last.hwm_kb } else { max_rss_kb }),
        ..LoadFigures::default()
    };
    for t in tallies {
        figures.errors += t.errors;
        figures.empty_calls += t.empty_calls;
        figures.out_of_numbers |= t.out_of_numbers;
        if figures.first_error.is_none() {
            figures.first_error = t.first_error;
        }
        for (op, lat) in t.latencies.into_iter().enumerate() {
            all.extend_from_slice(&lat);
            by_op[op].extend(lat);
        }
    }
    figures.ops_per_s = all.len() as f64 / duration.as_secs_f64();
    all.sort_unstable();
    figures.p50_ms = ms(percentile(&all, 0.50));
    figures.p99_ms = ms(percentile(&all, 0.99));
    for (op, mut lat) in by_op.into_iter().enumerate() {
        lat.sort_unstable();
        figures.by_op[op] = (ms(percentile(&lat, 0.50)), ms(percentile(&lat, 0.99)));
    }
    figures
}

/// One client: a kiosk issues a ticket for a service (each in turn), then the clerk calls the next
/// ticket at its counter, starts and finishes it with an outcome of its service. Ends at the window's
/// end, on the first failed request, or when the ticket numbers are running out. With a period, starts
/// a lifecycle every period (clients staggered evenly), or at once when running late.
async fn client_loop(index: usize, kiosk: Client, clerk: Clerk, plan: &Plan) -> Tally {
    let (services, window) = (&plan.services, plan.window);
    let mut pace = plan.period.map(|period| {
        let offset = period.mul_f64(index as f64 / plan.clients as f64);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick
    });
    let mut tally = Tally::default();
    let mut round = 0;
    while Instant::now() < window.to {
        if let Some(tick) = &mut pace {
            tick.tick().await;
            if Instant::now() >= window.to {
                break;
            }
        }
        if plan.numbers.fetch_sub(1, Ordering::Relaxed) <= 0 {
            tally.out_of_numbers = true;
            break;
        }
        let issue = IssueRequest {
            service_id: services[(index + round) % services.len()],
            priority: Priority::Normal,
            language: None,
        };
        round += 1;
        if tally.timed(ISSUE, window, kiosk.issue_ticket(&issue)).await.is_none() {
            break;
        }
        let Some(called) = tally.timed(CALL, window, clerk.client.call_next(clerk.counter)).await else {
            break;
        };
        // Every client issues before it calls, so something always waits; count it if not.
        let Some(ticket) = called else {
            tally.empty_calls += 1;
            continue;
        };
        if tally
            .timed(START, window, clerk.client.start(ticket.id))
            .await
            .is_none()
        {
            break;
        }
        let outcome = &plan.outcomes[&ticket.service_id];
        let finish = clerk.client.finish(ticket.id, outcome, None);
        if tally.timed(FINISH, window, finish).await.is_none() {
            break;
        }
    }
    tally
}
