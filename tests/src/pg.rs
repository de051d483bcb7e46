//! A throwaway PostgreSQL cluster for the tests and benchmarks of the city's centre: Debian's
//! `postgresql` binaries (`initdb`, `pg_ctl`), a data directory in a temporary folder, a free port on
//! the loopback address. initdb refuses to run as root, so as root the cluster belongs to the system
//! user `turno-pg` (created by `scripts/test`, or here when missing). Also a TCP relay whose link can be
//! cut, to play a network outage between an office and the centre.

use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The unprivileged user that owns the cluster when the tests run as root.
pub const PG_USER: &str = "turno-pg";

/// A running PostgreSQL cluster, stopped (and its folder removed) on drop.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    data: PathBuf,
    pub port: u16,
    owner: Option<(u32, u32)>,
    options: String,
}

/// The folder of the newest PostgreSQL installed by Debian (`$TURNO_PG_BIN` wins).
pub fn pg_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("TURNO_PG_BIN") {
        return PathBuf::from(p);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (apt-get install postgresql; scripts/test does it)")
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .expect("a PostgreSQL with initdb under /usr/lib/postgresql/*/bin")
        .1
}

/// The uid and gid of [`PG_USER`], created if missing (root only).
fn pg_user() -> (u32, u32) {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, PG_USER]).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().parse().ok())?
    };
    if id("-u").is_none() {
        let status = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER])
            .status()
            .expect("useradd runs");
        // Another test may have created it meanwhile.
        assert!(
            status.success() || id("-u").is_some(),
            "cannot create the user {PG_USER}"
        );
    }
    (
        id("-u").expect("the user exists"),
        id("-g").expect("the user has a group"),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Postgres {
    /// Creates and starts a cluster for tests: no fsync (the tests check the centre's logic, not the
    /// disk's; a stopped PostgreSQL still keeps what it committed, in the system's cache), but
    /// `synchronous_commit` on: an office advances its cursor on the commit's word. Panics with
    /// PostgreSQL's own words when it cannot.
    pub fn start() -> Postgres {
        Self::start_with("-c fsync=off -c full_page_writes=off")
    }

    /// Creates and starts a cluster with PostgreSQL's durable defaults (for benchmarks), plus `options`.
    pub fn start_durable(options: &str) -> Postgres {
        Self::start_with(options)
    }

    fn start_with(options: &str) -> Postgres {
        let bin = pg_bin();
        let dir = tempfile::Builder::new()
            .prefix("turno-pg-")
            .tempdir()
            .expect("a temporary folder");
        let data = dir.path().join("data");
        // SAFETY: geteuid has no preconditions and cannot fail.
        let owner = (unsafe { libc::geteuid() } == 0).then(pg_user);
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown the cluster's folder");
        }
        let out = Self::command(&bin, "initdb", owner)
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--no-sync",
                "--locale=C",
            ])
            .arg("-D")
            .arg(&data)
            .stdin(Stdio::null())
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut pg = Postgres {
            bin,
            dir,
            data,
            port: 0,
            owner,
            options: options.to_owned(),
        };
        pg.start_server();
        pg
    }

    fn command(bin: &Path, program: &str, owner: Option<(u32, u32)>) -> Command {
        let mut c = Command::new(bin.join(program));
        if let Some((uid, gid)) = owner {
            c.uid(uid).gid(gid);
            // Its own environment: root's HOME is not readable by the unprivileged user.
            c.env("HOME", "/tmp");
        }
        c
    }

    fn start_server(&mut self) {
        // A port found free may be taken before PostgreSQL binds it: try a few.
        for _ in 0..5 {
            let port = if self.port == 0 { free_port() } else { self.port };
            let opts = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 {}",
                self.dir.path().display(),
                self.options
            );
            let status = Self::command(&self.bin, "pg_ctl", self.owner)
                .args(["start", "-w", "-t", "60", "-D"])
                .arg(&self.data)
                .arg("-l")
                .arg(self.dir.path().join("postgres.log"))
                .args(["-o", &opts])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status()
                .expect("pg_ctl runs");
            if status.success() {
                self.port = port;
                return;
            }
            if self.port != 0 {
                break;
            }
        }
        panic!("PostgreSQL did not start: {}", self.log());
    }

    /// What PostgreSQL logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// The connection address of database `db` (`postgres` exists from the start).
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates a database and returns its address.
    pub fn create_database(&self, name: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.url("postgres"), "-c"])
            .arg(format!("CREATE DATABASE \"{name}\""))
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        self.url(name)
    }

    /// Runs SQL with psql and returns what it printed (unaligned, tuples only).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url(db),
                "-c",
                sql,
            ])
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Stops the cluster at once (as a crash would), keeping its data.
    pub fn stop(&mut self) {
        let _ = Self::command(&self.bin, "pg_ctl", self.owner)
            .args(["stop", "-m", "immediate", "-w", "-D"])
            .arg(&self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Starts the stopped cluster again on the same port.
    pub fn restart(&mut self) {
        self.start_server();
    }

    /// The size of the cluster's data folder, in bytes.
    pub fn data_bytes(&self) -> u64 {
        fn size(p: &Path) -> u64 {
            std::fs::read_dir(p).map_or(0, |rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| match e.metadata() {
                        Ok(m) if m.is_dir() => size(&e.path()),
                        Ok(m) => m.len(),
                        Err(_) => 0,
                    })
                    .sum()
            })
        }
        size(&self.data)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TCP relay on the loopback address to `target`, whose link can be cut (every connection dropped,
/// new ones refused at once) and restored: a network outage between an office and the centre.
pub struct Relay {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
}

impl Relay {
    /// Starts relaying on a free port; runs on the current tokio runtime.
    pub async fn start(target: SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the relay");
        let addr = listener.local_addr().expect("the relay's address");
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(tokio::sync::Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Relay { addr, up, cut }
    }

    /// Cuts the link: open connections are dropped, new ones refused.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// Waits until `check` holds, polling, or panics after `within` with `what`.
pub async fn eventually(within: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < within, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A running centre (`turno-server central serve`), stopped on drop.
pub struct CentralProcess {
    child: std::process::Child,
    pub url: String,
    pg: String,
    log: PathBuf,
    /// Further arguments of `central serve`, kept for a restart.
    extra: Vec<String>,
}

impl CentralProcess {
    /// Starts the centre on database `pg` on a free port; returns once its schema is migrated.
    pub fn start(pg: &str, dir: &Path) -> CentralProcess {
        Self::start_with(pg, dir, &[])
    }

    /// The same, with further arguments of `central serve` (`--trusted-proxy …`).
    pub fn start_with(pg: &str, dir: &Path, extra: &[&str]) -> CentralProcess {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        Self::start_on(pg, dir, "127.0.0.1:0", extra)
    }

    fn start_on(pg: &str, dir: &Path, listen: &str, extra: Vec<String>) -> CentralProcess {
        use std::io::BufRead;
        let log = dir.join("central.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("the test folder is writable");
        let mut child = Command::new(crate::server_binary())
            .args([
                "central",
                "serve",
                "--pg",
                pg,
                "--listen",
                listen,
                "--city",
                "Comune di Valverde",
            ])
            .args(&extra)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("turno-server central starts");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("piped")).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("turno-server central listening on ") {
                        break rest.trim().to_owned();
                    }
                }
                _ => panic!(
                    "the centre exited before listening: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        CentralProcess {
            child,
            url,
            pg: pg.to_owned(),
            log,
            extra,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the centre (SIGKILL).
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same address.
    pub fn restart(&mut self) {
        self.kill9();
        let listen = self.url.trim_start_matches("http://").to_owned();
        let dir = self.log.parent().expect("a folder").to_owned();
        let pg = self.pg.clone();
        let extra = self.extra.clone();
        *self = Self::start_on(&pg, &dir, &listen, extra);
    }

    /// Creates a central account (`office`: the one it sees) and returns its password.
    pub fn account(&self, username: &str, office: Option<&str>) -> String {
        let mut args = vec!["central", "account", "--pg", &self.pg, username];
        if let Some(o) = office {
            args.extend(["--office", o]);
        }
        let (ok, out, err) = crate::run_server_command(&args);
        assert!(ok, "{err}");
        out.lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("central account"))
            .expect("the password is printed")
            .to_owned()
    }

    /// A client of the centre's API signed in as `username`.
    pub async fn api(&self, username: &str, password: &str) -> CentralApi {
        let http = reqwest::Client::new();
        let r: serde_json::Value = http
            .post(format!("{}/api/v1/central/login", self.url))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("the centre answers")
            .json()
            .await
            .expect("JSON");
        CentralApi {
            http,
            url: self.url.clone(),
            token: r["token"].as_str().expect("signed in").to_owned(),
        }
    }
}

impl Drop for CentralProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The centre's JSON API, signed in.
pub struct CentralApi {
    http: reqwest::Client,
    pub url: String,
    token: String,
}

impl CentralApi {
    /// GET `path` (under `/api/v1/central/`) with `query`; the status and the body.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let r = self
            .http
            .get(format!("{}/api/v1/central/{path}", self.url))
            .bearer_auth(&self.token)
            .query(query)
            .send()
            .await
            .expect("the centre answers");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// GET a file of the centre as bytes (signed in through the same token): the status, the content
    /// type and the body.
    pub async fn download(&self, path_and_query: &str) -> (u16, String, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path_and_query}", self.url))
            .header("cookie", format!("turno_bo={}", self.token))
            .send()
            .await
            .expect("the centre answers");
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            r.status().as_u16(),
            kind,
            r.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
        )
    }

    /// POSTs a form to a page of the centre, as its own page would (same origin), without following a
    /// redirect: the status, the `Location` and the body.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let r = http
            .post(format!("{}{path}", self.url))
            .header("cookie", format!("turno_bo={}", self.token))
            .header("origin", &self.url)
            .form(form)
            .send()
            .await
            .expect("the centre answers");
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (r.status().as_u16(), location, r.text().await.unwrap_or_default())
    }

    /// GET a page or file of the centre (signed in through the same token).
    pub async fn page(&self, path_and_query: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path_and_query}", self.url))
            .header("cookie", format!("turno_bo={}", self.token))
            .send()
            .await
            .expect("the centre answers");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }
}

/// The office's journal end and shipped cursor, read from its SQLite file.
pub fn journal_state(db: &Path) -> (i64, i64) {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the office's database");
    c.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
    let end: i64 = c
        .query_row("SELECT coalesce(max(id), 0) FROM central_journal", [], |r| r.get(0))
        .expect("the journal");
    let shipped: i64 = c
        .query_row("SELECT coalesce(max(shipped), 0) FROM central_cursor", [], |r| r.get(0))
        .expect("the cursor");
    (end, shipped)
}
