//! Console benchmark (issue 8): Call-next keypress → ticket drawn, kiosk ticket → queue panel updated,
//! resident memory, start → first frame.
//!
//! ```sh
//! cargo run --release -p turno-console --example console-bench -- [--calls N] [--issues N] [--starts N]
//! # and, with a display (e.g. `Xvfb :99 -screen 0 1366x768x24 &`), the real binary too:
//! cargo build --release -p turno-console
//! DISPLAY=:99 cargo run --release -p turno-console --example console-bench -- \
//!     --real-console target/release/turno-console
//! ```
//!
//! Everything runs in this process except the start and memory measurements: the office server
//! (`turno_server::app` with the demo office in a temp directory) on 127.0.0.1, and the console's window
//! on Slint's headless testing backend (software renderer, 1366×768), driven by key events as a clerk
//! types, with the real backend (`NetBackend`: shared client, live-event subscription). Waits block on
//! the console's wake-up (what the real event loop gets through `upgrade_in_event_loop`), never on sleeps.
//!
//! 1. **Call next.** From dispatching F1 to the window to the first frame drawn that shows the ticket
//!    (the request, the server's transaction, the answer, the view and one full 1366×768 frame). The
//!    ticket is then marked a no-show (F5) and another issued, outside the timing.
//! 2. **Kiosk → panel.** From the kiosk's `issue_ticket` call to the frame drawn with the console's queue
//!    panel counting one more: the server's commit, the live event, the panel reload, the view, the frame.
//! 3. **Memory.** VmRSS / VmHWM of a child process that is only the console, signed in at its counter
//!    with the panel loaded, after drawing the work screen.
//! 4. **Start → first frame.** That child, from `exec` to its first drawn frame (the sign-in screen), and
//!    to the first frame of the work screen with data. With `--real-console`, the real binary on the
//!    display in `DISPLAY`, from spawn to its first rendered frame, read from Slint's
//!    `SLINT_DEBUG_PERFORMANCE=refresh_lazy,console` report (its first report comes one second after the
//!    first frame), and its memory on the sign-in screen two seconds later.

use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
use slint::ComponentHandle;
use slint::platform::WindowEvent;
use tokio::runtime::Runtime;
use turno_console::backend::NetBackend;
use turno_console::console::{self, Console, key_text};
use turno_console::controller::{Key, Screen, Settings, Timing};
use turno_shared::api::IssueRequest;
use turno_shared::client::Client;
use turno_shared::domain::Priority;
use turno_ui::ConsoleWindow;

/// Any single wait longer than this is a failure.
const DEADLINE: Duration = Duration::from_secs(20);

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
        "p50 {:>6.1} ms  p95 {:>6.1} ms  max {:>6.1} ms  (n={})",
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
    // As the console's main.rs: two worker threads (here shared with the in-process server).
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

/// The office server with the demo office, daily caps lifted, on 127.0.0.1.
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
}

fn password(username: &str) -> &'static str {
    turno_server::demo::USERS
        .iter()
        .find(|(u, ..)| *u == username)
        .map(|(.., p)| *p)
        .expect("a demo user")
}

/// The console on the testing backend; background results wake it, as the real event loop.
struct Ui {
    console: Console,
    woken: mpsc::Receiver<()>,
}

impl Ui {
    fn start(rt: &Runtime, url: &str) -> Ui {
        let window = ConsoleWindow::new().expect("window");
        window.window().set_size(slint::PhysicalSize::new(1366, 768));
        let (wake_tx, woken) = mpsc::channel();
        let (outbox, inbox) = console::channel(move || {
            let _ = wake_tx.send(());
        });
        let backend = NetBackend::new(rt.handle().clone(), None, outbox);
        let settings = Settings {
            server: url.to_owned(),
            ..Settings::default()
        };
        let console = Console::new(
            window,
            Timing::default(),
            settings,
            Box::new(backend),
            Box::new(|_| {}),
            inbox,
        );
        console.start();
        console.window().show().expect("show");
        Ui { console, woken }
    }

    fn frame(&self) {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(16));
        std::hint::black_box(self.console.window().window().take_snapshot().expect("snapshot"));
    }

    /// Pumps whenever the background says something, until `done`.
    fn wait(&self, what: &str, done: impl Fn(&Console) -> bool) {
        loop {
            self.console.pump();
            if done(&self.console) {
                return;
            }
            self.woken
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; view {:#?}", self.console.view()));
        }
    }

    fn key(&self, key: Key) {
        let w = self.console.window().window();
        w.dispatch_event(WindowEvent::KeyPressed { text: key_text(key) });
        w.dispatch_event(WindowEvent::KeyReleased { text: key_text(key) });
    }

    fn type_text(&self, text: &str) {
        for c in text.chars() {
            let key: slint::SharedString = if c == '\t' {
                slint::platform::Key::Tab.into()
            } else {
                c.into()
            };
            let w = self.console.window().window();
            w.dispatch_event(WindowEvent::KeyPressed { text: key.clone() });
            w.dispatch_event(WindowEvent::KeyReleased { text: key });
        }
    }

    /// Signs in as `username` and opens counter `n` (1-based) with the keyboard.
    fn sign_in(&self, username: &str, n: char) {
        self.frame();
        self.type_text(&format!("{username}\t{}", password(username)));
        self.key(Key::Enter);
        self.wait("the counters", |c| {
            c.view().screen == Screen::Counters && !c.view().counters.is_empty()
        });
        self.key(Key::Char(n));
        self.key(Key::Enter);
        self.wait("the work screen", |c| {
            c.view().screen == Screen::Work && !c.view().queues.is_empty() && !c.view().offline
        });
        self.frame();
    }
}

fn issue(rt: &Runtime, kiosk: &Client) {
    rt.block_on(kiosk.issue_ticket(&IssueRequest {
        service_id: 1,
        priority: Priority::Normal,
        language: Some("it".into()),
    }))
    .expect("issue");
}

fn calls(rt: &Runtime, ui: &Ui, kiosk: &Client, n: usize) {
    let mut times = Vec::new();
    for i in 0..n + 5 {
        issue(rt, kiosk);
        // The live event of the issue reloads the panel: let it settle outside the timing.
        ui.wait("the panel", |c| c.view().queues[0].waiting > 0);
        while ui.woken.recv_timeout(Duration::from_millis(30)).is_ok() {
            ui.console.pump();
        }
        let start = Instant::now();
        ui.key(Key::F(1));
        ui.wait("the ticket", |c| c.view().ticket.is_some() && !c.view().busy);
        ui.frame();
        if i >= 5 {
            times.push(ms(start.elapsed()));
        }
        ui.key(Key::F(5));
        ui.wait("no ticket", |c| c.view().ticket.is_none() && !c.view().busy);
    }
    println!("\n[1] Call next: F1 keypress → ticket drawn (1366×768 frame included)");
    println!("  {}   <- target p95 ≤ 50 ms", summary(&times));
}

fn panel_updates(rt: &Runtime, ui: &Ui, kiosk: &Client, n: usize) {
    let mut times = Vec::new();
    for i in 0..n + 5 {
        while ui.woken.recv_timeout(Duration::from_millis(30)).is_ok() {
            ui.console.pump();
        }
        let before: u32 = ui.console.view().queues.iter().map(|q| q.waiting).sum();
        let start = Instant::now();
        issue(rt, kiosk);
        ui.wait("the panel", |c| {
            c.view().queues.iter().map(|q| q.waiting).sum::<u32>() > before
        });
        ui.frame();
        if i >= 5 {
            times.push(ms(start.elapsed()));
        }
    }
    println!("\n[2] kiosk issues a ticket → the console's queue panel drawn with it");
    println!("  {}   <- target p95 ≤ 100 ms", summary(&times));
}

/// Child: the console alone, from exec to its first frame, then signed in, then its memory.
fn child(url: &str, spawned_ns: u128) {
    let rt = runtime();
    init_slint();
    let ui = Ui::start(&rt, url);
    ui.frame();
    let first = monotonic_ns() - spawned_ns;
    ui.sign_in("gverdi", '3');
    let work = monotonic_ns() - spawned_ns;
    // A minute of a clerk's work without the wall-clock wait: frames as the clock ticks.
    for _ in 0..20 {
        ui.console.pump();
        ui.frame();
    }
    let (rss, hwm) = memory("self");
    println!("CHILD {first} {work} {rss} {hwm}");
    // Sign out, so the next child can open the counter again.
    ui.key(Key::F(12));
    ui.key(Key::Enter);
    ui.wait("signed out", |c| c.view().screen == Screen::SignIn);
}

fn children(url: &str, starts: usize) {
    let exe = std::env::current_exe().expect("own path");
    let (mut first, mut work, mut rss, mut hwm) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..starts {
        let spawned = monotonic_ns();
        let out = Command::new(&exe)
            .args(["--child", url, &spawned.to_string()])
            .output()
            .expect("child");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("CHILD "))
            .unwrap_or_else(|| panic!("child said {text} {}", String::from_utf8_lossy(&out.stderr)));
        let f: Vec<f64> = line
            .split_whitespace()
            .skip(1)
            .map(|v| v.parse().unwrap_or(f64::NAN))
            .collect();
        first.push(f[0] / 1e6);
        work.push(f[1] / 1e6);
        rss.push(f[2]);
        hwm.push(f[3]);
    }
    println!("\n[4] start → first frame, console alone (child process, software renderer, 1366×768), {starts} starts");
    println!(
        "  exec → first frame (sign-in screen)              {}   <- target ≤ 1 s",
        summary(&first)
    );
    println!("  exec → work screen drawn (signed in, panel read) {}", summary(&work));
    println!(
        "[3] memory of that child at work: VmRSS median {:.1} MiB (all {:?}), VmHWM median {:.1} MiB   <- target ≤ 60 MB",
        median(&rss),
        rss.iter().map(|r| format!("{r:.1}")).collect::<Vec<_>>(),
        median(&hwm)
    );
}

/// The real binary on the display in `DISPLAY`: spawn → first frame, and its memory.
fn real_console_runs(url: &str, binary: &str, starts: usize) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let display = std::env::var("DISPLAY").unwrap_or_default();
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut first, mut rss, mut hwm) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..starts {
        let spawned = Instant::now();
        let mut child = Command::new(binary)
            .args(["--server", url, "--windowed", "--config"])
            .arg(dir.path().join("console.toml"))
            .env("SLINT_DEBUG_PERFORMANCE", "refresh_lazy,console")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the real console");
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
        let mut reports = 0;
        while reports < 3 {
            let (at, line) = rx
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|_| panic!("the real console said nothing more (DISPLAY={display:?})"));
            if line.contains("average frames per second") {
                reports += 1;
                if reports == 1 {
                    first.push(ms(at - spawned) - 1000.);
                }
            }
        }
        let (r, h) = memory(&pid);
        rss.push(r);
        hwm.push(h);
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("\n[4] real binary {binary} on DISPLAY={display}, {starts} starts");
    println!(
        "  spawn → first rendered frame (first SLINT_DEBUG_PERFORMANCE report − 1 s) {}   <- target ≤ 1 s",
        summary(&first)
    );
    println!(
        "[3] real binary on the sign-in screen ≥ 2 s after its first frame: VmRSS median {:.1} MiB (all {:?}), VmHWM median {:.1} MiB   <- target ≤ 60 MB",
        median(&rss),
        rss.iter().map(|r| format!("{r:.1}")).collect::<Vec<_>>(),
        median(&hwm)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1], args[2].parse().expect("spawn time"));
        return;
    }
    let (mut n_calls, mut n_issues, mut starts, mut real) = (100, 100, 7, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value")).clone();
        match arg.as_str() {
            "--calls" => n_calls = value().parse().expect("--calls N"),
            "--issues" => n_issues = value().parse().expect("--issues N"),
            "--starts" => starts = value().parse().expect("--starts N"),
            "--real-console" => real = Some(value()),
            other => {
                panic!("unknown argument {other}; use [--calls N] [--issues N] [--starts N] [--real-console PATH]")
            }
        }
    }
    println!(
        "command: cargo run --release -p turno-console --example console-bench -- {}",
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
    let kiosk = Client::new(&office.url).with_token(office.kiosk_token.clone());

    children(&office.url, starts);
    if let Some(binary) = &real {
        real_console_runs(&office.url, binary, starts);
    }

    let ui = Ui::start(&rt, &office.url);
    ui.sign_in("mrossi", '1');
    calls(&rt, &ui, &kiosk, n_calls);
    panel_updates(&rt, &ui, &kiosk, n_issues);
    let (rss, hwm) = memory("self");
    println!("\n[3] this process after the run (server + console in one): VmRSS {rss:.1} MiB, VmHWM {hwm:.1} MiB");
    println!(
        "load average at the end: {}",
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
}
