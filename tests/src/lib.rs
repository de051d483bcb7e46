//! Harness of the end-to-end tests and the load generator: runs the real `turno-server` binary on
//! port 0 with a demo office in a directory of its own, and hands out typed clients for its people
//! and devices.

pub mod browser;
pub mod pg;
pub mod powercut;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use turno_server::demo;
use turno_shared::client::Client;

/// A process's resident memory now and at its peak (`VmRSS`, `VmHWM`), in MiB; NaN once it has ended.
pub fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The published password of a demo user (`admin`, `mrossi`, …).
pub fn demo_password(username: &str) -> &'static str {
    demo::USERS
        .iter()
        .find(|(u, ..)| *u == username)
        .map(|(.., password)| *password)
        .unwrap_or_else(|| panic!("{username} is not a demo user"))
}

/// Runs `turno-server` with `args` to its end (commands such as `backup` and `admin`, or a `serve` that
/// must refuse to start); returns whether it succeeded, and what it printed on stdout and stderr.
pub fn run_server_command(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(server_binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("turno-server runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `turno-server` binary: `$TURNO_SERVER_BIN`, else the one cargo built beside this program.
pub fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("TURNO_SERVER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test knows its own path");
    let mut dir = exe.parent().expect("an executable lives in a directory").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join(format!("turno-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build --workspace` first",
        bin.display()
    );
    bin
}

/// A running server process.
pub struct ServerProcess {
    child: Child,
    pub url: String,
    pub db: PathBuf,
    /// The demo's device tokens (empty for an office started without `--demo`).
    pub kiosk_token: String,
    pub display_token: String,
    /// What the server printed before it listened (credentials shown once, …).
    pub printed: Vec<String>,
    dir: PathBuf,
    args: Vec<String>,
}

impl ServerProcess {
    /// Starts the server on `dir/turno.db` (created with the demo office if new), on a free port.
    /// `extra` adds flags such as `--no-group-commit`.
    pub fn start(dir: &Path, extra: &[&str]) -> ServerProcess {
        // No generated history: tests count what they do themselves.
        let mut args: Vec<String> = vec!["--demo".into(), "--history-days".into(), "0".into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::spawn(dir, args, None)
    }

    /// Like [`ServerProcess::start`], listening on `listen` (such as `0.0.0.0:0`).
    pub fn start_listening(dir: &Path, listen: &str, extra: &[&str]) -> ServerProcess {
        let mut args: Vec<String> = vec!["--demo".into(), "--history-days".into(), "0".into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::spawn(dir, args, Some(listen))
    }

    /// Starts the server on `dir/turno.db` without the demo: a new database gets only its first
    /// administrator, whose password is in [`ServerProcess::printed`].
    pub fn start_plain(dir: &Path, extra: &[&str]) -> ServerProcess {
        Self::spawn(dir, extra.iter().map(|s| s.to_string()).collect(), None)
    }

    fn spawn(dir: &Path, args: Vec<String>, listen: Option<&str>) -> ServerProcess {
        let db = dir.join("turno.db");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .expect("the test directory is writable");
        let mut child = Command::new(server_binary())
            .arg("serve")
            .arg("--db")
            .arg(&db)
            .arg("--listen")
            .arg(listen.unwrap_or("127.0.0.1:0"))
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("turno-server starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let (mut kiosk, mut display, mut url) = (None, None, None);
        let mut printed = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while url.is_none() {
            assert!(
                Instant::now() < deadline,
                "turno-server did not start; see {}",
                dir.join("server.log").display()
            );
            let Some(Ok(line)) = lines.next() else {
                panic!(
                    "turno-server exited before listening; see {}",
                    dir.join("server.log").display()
                )
            };
            let last_word = || line.split_whitespace().last().map(str::to_owned);
            if line.trim_start().starts_with("kiosk ") {
                kiosk = last_word();
            } else if line.trim_start().starts_with("display ") {
                display = last_word();
            } else if let Some(rest) = line.strip_prefix("turno-server listening on ") {
                url = Some(rest.trim().to_owned());
            }
            printed.push(line);
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ServerProcess {
            child,
            url: url.expect("checked above"),
            db,
            kiosk_token: kiosk.unwrap_or_default(),
            display_token: display.unwrap_or_default(),
            printed,
            dir: dir.to_owned(),
            args,
        }
    }

    /// A client without credentials.
    pub fn client(&self) -> Client {
        Client::new(&self.url)
    }

    pub fn kiosk(&self) -> Client {
        self.client().with_token(&self.kiosk_token)
    }

    pub fn display(&self) -> Client {
        self.client().with_token(&self.display_token)
    }

    /// A client signed in as a demo user (`admin`, `mrossi`, …).
    pub async fn user(&self, username: &str) -> Client {
        let login = self
            .client()
            .login(username, demo_password(username))
            .await
            .expect("demo users can sign in");
        self.client().with_token(login.token)
    }

    /// Kills the server at once (SIGKILL): no shutdown, no flush.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the server to stop (SIGTERM) and waits for it; returns whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().is_ok_and(|s| s.success())
    }

    /// Starts the server again on the same database and the same address.
    pub fn restart(&mut self) {
        self.kill9();
        let listen = self.address().to_owned();
        let again = Self::spawn(&self.dir, self.args.clone(), Some(&listen));
        *self = again;
    }

    /// The address the server listens on, `127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        self.url.split_once("://").map_or(&self.url, |(_, a)| a)
    }

    /// The server's process id, to read its memory use.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
