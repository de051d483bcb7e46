//! Kiosk benchmark (issue 3): tap → last byte at the printer, resident memory, start to first frame.
//!
//! ```sh
//! cargo run --release -p turno-kiosk --example kiosk-bench --features test-support -- [--tickets N] [--starts N]
//! # and, with a display (e.g. `Xvfb :99 -screen 0 1080x1920x24 &`), the real binary too:
//! DISPLAY=:99 cargo run --release -p turno-kiosk --example kiosk-bench --features test-support -- \
//!     --real-kiosk target/release/turno-kiosk
//! ```
//!
//! Everything runs in this process except the start measurements: the office server
//! (`turno_server::app` with the demo office in a temp directory) on 127.0.0.1:0, a `FakePrinter`,
//! and the kiosk's window on Slint's headless testing backend (software renderer), driven by
//! accessible label as a finger would. Waits block on events (the kiosk's outbox wake-up, the fake
//! printer's condition variable, a child's output), never on sleeps.
//!
//! 1. **Tap → printer.** From the tap on the priority screen's answer (the tap that issues the ticket;
//!    "Prendi il numero" on the information sheet only opens that screen) to the ticket's last byte
//!    (the cut) at the fake printer, and to the kiosk hearing that the ticket printed (after the
//!    printer's final status answer, so after the last byte). Once without drawing, once drawing a
//!    frame after each change as the real event loop would. Same-run baselines: the server's issue
//!    call alone (`Client::issue_ticket`) and encode + print alone (`print_ticket` on a network
//!    transport to the same fake printer, until the cut arrives).
//! 2. **Memory.** VmRSS / VmHWM of this process (server included) and of a child process that is
//!    only the kiosk (testing backend) with the welcome screen drawn; with `--real-kiosk`, of the real
//!    binary on the display after its first frames.
//! 3. **Start to first frame.** A child (this program with `--first-frame-child`) from `exec` to the
//!    first `take_snapshot()` of the welcome screen, before and after the office has loaded; with
//!    `--real-kiosk`, the real binary from spawn to its first rendered frame, read from Slint's
//!    `SLINT_DEBUG_PERFORMANCE=refresh_lazy,console` report, which starts a one-second timer at the
//!    end of the first frame (first frame = first report − 1 s).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use slint::ComponentHandle;
use slint::platform::PointerEventButton;
use tokio::runtime::Runtime;
use turno_kiosk::backend::NetBackend;
use turno_kiosk::controller::{PrintState, Screen, Timing};
use turno_kiosk::kiosk::{self, Kiosk, TicketSettings};
use turno_kiosk::lang::Language;
use turno_kiosk::printer::{FakePrinter, PaperWidth, TicketPrint, encode_ticket_for, open_transport, print_ticket};
use turno_shared::api::{IssueRequest, IssuedTicket, ServiceView};
use turno_shared::client::Client;
use turno_shared::domain::Priority;
use turno_ui::KioskWindow;

/// Any single wait longer than this is a failure.
const DEADLINE: Duration = Duration::from_secs(20);
/// The service the tickets are taken for, as its tile's accessible label says.
const SERVICE: &str = "Anagrafe – Carta d'identità";

/// CLOCK_MONOTONIC in nanoseconds, comparable across processes (`Instant` uses the same clock).
fn monotonic_ns() -> u128 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128
}

/// VmRSS and VmHWM of a process, in MiB.
fn memory(pid: &str) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.
}

/// p50, p95, max of `samples` (ms), nearest rank.
fn summary(samples: &[f64]) -> String {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let at = |q: f64| s[((s.len() as f64 * q).ceil() as usize).clamp(1, s.len()) - 1];
    format!(
        "p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms  (n={})",
        at(0.5),
        at(0.95),
        at(1.0),
        s.len()
    )
}

fn median(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn runtime() -> Runtime {
    // As the kiosk's main.rs: two worker threads (here shared with the in-process server).
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn init_slint() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .expect("the testing backend");
}

/// The office server with the demo office, daily caps lifted, on 127.0.0.1:0.
struct Office {
    url: String,
    kiosk_token: String,
    _dir: tempfile::TempDir,
}

impl Office {
    fn start(rt: &Runtime) -> Office {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = turno_server::config::Config {
            db: dir.path().join("turno.db"),
            office_name: turno_server::demo::OFFICE_NAME.to_owned(),
            ..turno_server::config::Config::default()
        };
        let (url, kiosk_token) = rt.block_on(async {
            let (state, stop) =
                turno_server::AppState::new(&config, turno_server::store::system_clock()).expect("server state");
            // The server lives as long as this process.
            std::mem::forget(stop);
            let tokens = turno_server::demo::create(&state).await.expect("demo office");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let url = format!("http://{}", listener.local_addr().expect("address"));
            let app = turno_server::app(state);
            tokio::spawn(async move { axum::serve(listener, app).await });
            // More tickets than the demo's daily cap of 200 a service.
            let (_, _, _, password) = turno_server::demo::USERS[0];
            let admin = Client::new(&url);
            let login = admin.login("admin", password).await.expect("admin login");
            let admin = admin.with_token(login.token);
            for service in admin.services().await.expect("services") {
                let mut input = service.config.clone();
                input.daily_cap = None;
                admin.update_service(service.id, &input).await.expect("lift the cap");
            }
            (url, tokens.kiosk)
        });
        Office {
            url,
            kiosk_token,
            _dir: dir,
        }
    }

    fn kiosk_client(&self) -> Client {
        Client::new(&self.url).with_token(self.kiosk_token.clone())
    }
}

/// The kiosk on the testing backend, with a wake-up channel: background results nudge it, and the
/// bench pumps when nudged, as the real event loop does through `upgrade_in_event_loop`.
struct Ui {
    kiosk: Kiosk,
    woken: mpsc::Receiver<Instant>,
    /// Draw a frame after each change, as the real event loop would.
    render: bool,
    /// How long each frame took to draw (ms).
    frames: std::cell::RefCell<Vec<f64>>,
}

impl Ui {
    fn start(rt: &Runtime, url: &str, token: &str, printer: &FakePrinter) -> Ui {
        let window = KioskWindow::new().expect("window");
        window.window().set_size(slint::PhysicalSize::new(1080, 1920));
        window.show().expect("show");
        let (wake_tx, woken) = mpsc::channel();
        let (outbox, inbox) = kiosk::channel(move || {
            let _ = wake_tx.send(Instant::now());
        });
        let backend = NetBackend::start(
            rt.handle().clone(),
            Client::new(url).with_token(token.to_owned()),
            printer.config(PaperWidth::Mm80),
            outbox,
            Duration::from_secs(5),
        );
        let kiosk = Kiosk::new(
            window,
            Timing::default(),
            Box::new(backend),
            inbox,
            TicketSettings {
                public_url: url.to_owned(),
                paper: PaperWidth::Mm80,
            },
        );
        kiosk.start();
        Ui {
            kiosk,
            woken,
            render: false,
            frames: Default::default(),
        }
    }

    fn frame(&self) {
        if self.render {
            let start = Instant::now();
            let shot = self.kiosk.window().window().take_snapshot().expect("snapshot");
            std::hint::black_box(shot);
            self.frames.borrow_mut().push(ms(start.elapsed()));
        }
    }

    /// Pumps whenever the background says something, until `done`; the time of the wake-up that
    /// made it true (or now, if it already held). Draws no frame: the caller does, after timing.
    fn wait(&self, what: &str, done: impl Fn(&Kiosk) -> bool) -> Instant {
        let mut woken_at = Instant::now();
        loop {
            self.kiosk.pump();
            if done(&self.kiosk) {
                return woken_at;
            }
            woken_at = self
                .woken
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; view {:#?}", self.kiosk.view()));
        }
    }

    /// The visible element labelled `label` (the last one, as the tests do).
    fn find(&self, label: &str) -> ElementHandle {
        // Let layout and transitions settle (mocked time; no real waiting).
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(500));
        ElementHandle::find_by_accessible_label(self.kiosk.window(), label)
            .filter(|e| e.size().width > 0. && e.size().height > 0.)
            .last()
            .unwrap_or_else(|| panic!("nothing labelled {label:?} on {:?}", self.kiosk.view().screen))
    }

    fn tap(&self, label: &str) {
        self.find(label).mock_single_click(PointerEventButton::Left);
        self.frame();
    }

    fn screen_is(&self, screen: Screen) -> impl Fn(&Kiosk) -> bool {
        move |k| k.view().screen == screen
    }
}

/// One ticket's times, from the tap (ms).
struct TicketTimes {
    issued: f64,
    dispatched: f64,
    cut: f64,
    printed: f64,
}

/// Takes a ticket as a citizen does; times from the tap that issues it.
fn take_ticket(ui: &Ui, printer: &FakePrinter) -> TicketTimes {
    let times = issue_and_print(ui, printer);
    ui.tap("Fine");
    ui.wait("welcome", ui.screen_is(Screen::Welcome));
    times
}

fn issue_and_print(ui: &Ui, printer: &FakePrinter) -> TicketTimes {
    ui.wait("the office", |k| !k.view().services.is_empty());
    ui.tap("Prendi il numero");
    ui.wait("services", ui.screen_is(Screen::Services));
    ui.tap(SERVICE);
    ui.wait("information sheet", ui.screen_is(Screen::Info));
    ui.tap("Prendi il numero");
    ui.wait("priority", ui.screen_is(Screen::Priority));
    printer.clear();
    let no = ui.find("No");
    // Wake-ups from before the tap (office reloads) must not time what follows it.
    while ui.woken.try_recv().is_ok() {}

    std::thread::scope(|scope| {
        // The cut is timed where it arrives, whatever the UI thread is doing then.
        let cut = scope.spawn(|| printer.wait_until(DEADLINE, |p| p.cuts() > 0).then(Instant::now));
        let tap = Instant::now();
        no.mock_single_click(PointerEventButton::Left);
        ui.frame();
        let issued = ui.wait("the ticket", ui.screen_is(Screen::Ticket));
        let dispatched = Instant::now();
        ui.frame();
        let printed = ui.wait("printed", |k| k.view().ticket.print == PrintState::Printed);
        ui.frame();
        let cut = cut.join().expect("printer waiter").expect("the ticket was not printed");
        TicketTimes {
            issued: ms(issued - tap),
            dispatched: ms(dispatched - tap),
            cut: ms(cut - tap),
            printed: ms(printed - tap),
        }
    })
}

fn kiosk_phase(ui: &Ui, printer: &FakePrinter, tickets: usize, label: &str) {
    for _ in 0..5 {
        take_ticket(ui, printer);
    }
    let times: Vec<TicketTimes> = (0..tickets).map(|_| take_ticket(ui, printer)).collect();
    let col = |f: fn(&TicketTimes) -> f64| times.iter().map(f).collect::<Vec<_>>();
    println!("\n[1] kiosk, {label}: from the tap on the priority answer");
    println!("  → UI takes the issued ticket {}", summary(&col(|t| t.issued)));
    println!("  → print job handed over      {}", summary(&col(|t| t.dispatched)));
    println!(
        "  → cut (last ticket byte)     {}   <- target p95 ≤ 150 ms",
        summary(&col(|t| t.cut))
    );
    println!("  → UI hears it printed        {}", summary(&col(|t| t.printed)));
    let frames = std::mem::take(&mut *ui.frames.borrow_mut());
    if !frames.is_empty() {
        println!(
            "  one full 1080×1920 frame (take_snapshot, software) {}",
            summary(&frames)
        );
    }
}

/// The ticket the kiosk prints for `issued`, its labels read from the window in Italian: the
/// kiosk's own function, no copy. The kiosk's tests compile this file and check that it is the ticket
/// the kiosk hands to its printer (`tests/it/bench_ticket.rs`).
pub fn ticket_print(
    window: &KioskWindow,
    office_name: &str,
    url: &str,
    issued: &IssuedTicket,
    s: &ServiceView,
) -> TicketPrint {
    let settings = TicketSettings {
        public_url: url.to_owned(),
        paper: PaperWidth::Mm80,
    };
    kiosk::ticket_print(window, office_name, &settings, issued, s, Language::Italian)
}

/// The issue call alone, then encode + print alone; returns a ticket to print.
fn baselines(rt: &Runtime, office: &Office, printer: &FakePrinter, tickets: usize) {
    let client = office.kiosk_client();
    let view = rt.block_on(client.office()).expect("office");
    let service = view
        .services
        .iter()
        .find(|s| s.name.get("it") == SERVICE)
        .expect("the service")
        .clone();
    let request = IssueRequest {
        service_id: service.id,
        priority: Priority::Normal,
        language: Some("it".into()),
    };
    let mut issue = Vec::new();
    let mut last = None;
    for i in 0..tickets + 5 {
        let start = Instant::now();
        let issued = rt.block_on(client.issue_ticket(&request)).expect("issue");
        if i >= 5 {
            issue.push(ms(start.elapsed()));
        }
        last = Some(issued);
    }
    println!("\n[1] baseline: server issue call alone (Client::issue_ticket, loopback)");
    println!("  issue_ticket                 {}", summary(&issue));

    let window = KioskWindow::new().expect("window");
    let ticket = ticket_print(&window, &view.name, &office.url, &last.expect("a ticket"), &service);
    let config = printer.config(PaperWidth::Mm80);
    let bytes = encode_ticket_for(&ticket, config.text_encoding()).len();
    let mut transport = open_transport(&config).expect("transport");
    let (mut encode, mut to_cut, mut to_return) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..tickets + 5 {
        printer.clear();
        let start = Instant::now();
        std::hint::black_box(encode_ticket_for(&ticket, config.text_encoding()));
        let encoded = start.elapsed();
        let (cut, returned) = std::thread::scope(|scope| {
            let cut = scope.spawn(|| printer.wait_until(DEADLINE, |p| p.cuts() > 0).then(Instant::now));
            let start = Instant::now();
            print_ticket(transport.as_mut(), &ticket, config.text_encoding()).expect("printed");
            let returned = start.elapsed();
            let cut = cut.join().expect("printer waiter").expect("no cut");
            (cut - start, returned)
        });
        if i >= 5 {
            encode.push(ms(encoded));
            to_cut.push(ms(cut));
            to_return.push(ms(returned));
        }
    }
    println!("[1] baseline: encode + print alone (Italian ticket, {bytes} bytes, 80 mm, network transport)");
    println!("  encode_ticket only           {}", summary(&encode));
    println!("  print_ticket → cut received  {}", summary(&to_cut));
    println!(
        "  print_ticket returns (after the printer's final status answer) {}",
        summary(&to_return)
    );
}

/// Child: the kiosk alone, from exec to the first drawn frame of the welcome screen.
fn first_frame_child(url: &str, token: &str, spawned_ns: u128) {
    let rt = runtime();
    init_slint();
    let printer = FakePrinter::start().expect("fake printer");
    let ui = Ui::start(&rt, url, token, &printer);
    i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(16));
    std::hint::black_box(ui.kiosk.window().window().take_snapshot().expect("snapshot"));
    let empty = monotonic_ns() - spawned_ns;
    ui.wait("the office", |k| {
        !k.view().services.is_empty() && !k.view().office_name.is_empty()
    });
    i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(16));
    std::hint::black_box(ui.kiosk.window().window().take_snapshot().expect("snapshot"));
    let loaded = monotonic_ns() - spawned_ns;
    let (rss, hwm) = memory("self");
    println!("FIRST-FRAME {empty} {loaded} {rss} {hwm}");
}

fn first_frame_runs(office: &Office, starts: usize) {
    let exe = std::env::current_exe().expect("own path");
    let (mut empty, mut loaded, mut rss, mut hwm) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..starts {
        let spawned = monotonic_ns();
        let out = Command::new(&exe)
            .args([
                "--first-frame-child",
                &office.url,
                &office.kiosk_token,
                &spawned.to_string(),
            ])
            .output()
            .expect("child");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("FIRST-FRAME "))
            .unwrap_or_else(|| panic!("child said {text} {}", String::from_utf8_lossy(&out.stderr)));
        let f: Vec<f64> = line
            .split_whitespace()
            .skip(1)
            .map(|v| v.parse().unwrap_or(f64::NAN))
            .collect();
        empty.push(f[0] / 1e6);
        loaded.push(f[1] / 1e6);
        rss.push(f[2]);
        hwm.push(f[3]);
    }
    println!(
        "\n[3] start → first frame, kiosk on the testing backend (child process, software renderer, 1080×1920), {starts} starts"
    );
    println!("  exec → first snapshot, office not loaded yet   {}", summary(&empty));
    println!(
        "  exec → first snapshot of welcome with data     {}   <- target ≤ 1 s",
        summary(&loaded)
    );
    println!(
        "[2] memory of that child (kiosk only, after the welcome frame with data): VmRSS median {:.1} MiB, VmHWM median {:.1} MiB",
        median(&rss),
        median(&hwm)
    );
}

/// The real binary on the display in `DISPLAY`: spawn → first frame, and its memory.
fn real_kiosk_runs(office: &Office, binary: &str, starts: usize) {
    let display = std::env::var("DISPLAY").unwrap_or_default();
    let (mut first, mut rss, mut hwm, mut fps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..starts {
        let spawned = Instant::now();
        let mut child = Command::new(binary)
            .args([
                "--server",
                &office.url,
                "--token",
                &office.kiosk_token,
                "--printer",
                "console",
            ])
            .env("SLINT_DEBUG_PERFORMANCE", "refresh_lazy,console")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the real kiosk");
        let pid = child.id().to_string();
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        // First report: one second after the first frame. Memory at the third report (≥ 2 s after
        // the first frame; the office has long loaded on loopback).
        let mut reports = 0;
        while reports < 3 {
            let (at, line) = rx
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|_| panic!("the real kiosk said nothing more (DISPLAY={display:?})"));
            if line.contains("average frames per second") {
                reports += 1;
                if reports == 1 {
                    first.push(ms(at - spawned) - 1000.);
                }
                if let Some(n) = line.split("second: ").nth(1).and_then(|r| r.split_whitespace().next()) {
                    fps.push(n.to_owned());
                }
            }
        }
        let (r, h) = memory(&pid);
        rss.push(r);
        hwm.push(h);
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("\n[3] real binary {binary} on DISPLAY={display}, {starts} starts");
    println!(
        "  spawn → first rendered frame (first SLINT_DEBUG_PERFORMANCE report − 1 s) {}   <- target ≤ 1 s",
        summary(&first)
    );
    println!("  frames per second reported while idle on welcome: {}", fps.join(" "));
    println!(
        "[2] real binary memory ≥ 2 s after its first frame: VmRSS median {:.1} MiB (all: {:?}), VmHWM median {:.1} MiB   <- target ≤ 80 MB",
        median(&rss),
        rss.iter().map(|r| format!("{r:.1}")).collect::<Vec<_>>(),
        median(&hwm)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--first-frame-child") {
        let spawned = args[3].parse().expect("spawn time");
        first_frame_child(&args[1], &args[2], spawned);
        return;
    }
    let (mut tickets, mut starts, mut real) = (100, 7, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value")).clone();
        match arg.as_str() {
            "--tickets" => tickets = value().parse().expect("--tickets N"),
            "--starts" => starts = value().parse().expect("--starts N"),
            "--real-kiosk" => real = Some(value()),
            other => panic!("unknown argument {other}; use [--tickets N] [--starts N] [--real-kiosk PATH]"),
        }
    }
    println!(
        "command: cargo run --release -p turno-kiosk --example kiosk-bench --features test-support -- {}",
        args.join(" ")
    );
    println!(
        "machine: {} CPUs, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );

    let rt = runtime();
    init_slint();
    let office = Office::start(&rt);
    let printer = FakePrinter::start().expect("fake printer");
    let (rss0, _) = memory("self");

    first_frame_runs(&office, starts);
    if let Some(binary) = &real {
        real_kiosk_runs(&office, binary, starts);
    }

    baselines(&rt, &office, &printer, tickets);
    let (rss1, _) = memory("self");
    let mut ui = Ui::start(&rt, &office.url, &office.kiosk_token, &printer);
    kiosk_phase(&ui, &printer, tickets, "no frames drawn");
    ui.render = true;
    kiosk_phase(&ui, &printer, tickets, "a 1080×1920 frame drawn after each change");

    let (rss, hwm) = memory("self");
    println!(
        "\n[2] this process after the run (server + kiosk + fake printer in one): VmRSS {rss:.1} MiB, VmHWM {hwm:.1} MiB"
    );
    println!("    VmRSS with the server only {rss0:.1} MiB; after the baselines {rss1:.1} MiB");
    println!(
        "load average at the end: {}",
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
}
