//! The office under load: a fresh release server with the demo office in a temp directory of its own,
//! with no daily cap, and as many extra counters and clerks as the load needs, each clerk signed in at
//! a counter that serves every service.

use std::collections::HashMap;
use std::path::Path;

use futures_util::StreamExt;
use tempfile::TempDir;
use turno_shared::api::{CounterInput, Service, UserInput};
use turno_shared::client::Client;
use turno_shared::domain::Role;
use turno_tests::ServerProcess;

/// How the server commits: the subject of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    /// Many pending operations in one transaction (the server's default).
    Group,
    /// Each operation in its own `synchronous=FULL` transaction (`--no-group-commit`).
    Baseline,
}

impl Commit {
    pub fn flags(self) -> &'static [&'static str] {
        match self {
            Commit::Group => &[],
            Commit::Baseline => &["--no-group-commit"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Commit::Group => "group",
            Commit::Baseline => "baseline",
        }
    }
}

/// How many clerk accounts are created and signed in at once; each costs the server an Argon2 hash
/// (about 19 MiB for its duration), so setup stays gentle and does not distort the memory figures.
const SETUP_CONCURRENCY: usize = 4;

/// A running office for one scenario; the server stops and its directory goes when dropped.
pub struct Office {
    // Declared before `_dir` so the process stops before its directory goes away.
    pub server: ServerProcess,
    _dir: TempDir,
    pub admin: Client,
    pub services: Vec<Service>,
}

/// A clerk signed in at a counter that serves every service.
pub struct Clerk {
    pub client: Client,
    pub counter: i64,
}

/// The centre's PostgreSQL to ship to (`--central`), set once at start.
pub static CENTRAL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

impl Office {
    /// Starts the release server with the demo office in a new directory under `parent` and lifts the
    /// daily cap of every service, so the ticket numbers (9,999 per service and day) are the only limit.
    pub async fn start(parent: &Path, commit: Commit) -> Office {
        let dir = tempfile::Builder::new()
            .prefix("turno-load-")
            .tempdir_in(parent)
            .unwrap_or_else(|e| panic!("cannot make a directory in {}: {e}", parent.display()));
        let path = dir.path().to_owned();
        // Every client of the benchmark comes from this machine's one address: lift the per-address cap
        // that an office network needs against one misbehaving host.
        let config = path.join("load.toml");
        // With --central, the office ships to the centre as it works (shipping on versus off).
        let central = match CENTRAL.get() {
            Some(url) if !url.is_empty() => {
                let code = format!(
                    "load-{}",
                    path.file_name()
                        .map_or("x".into(), |n| n.to_string_lossy().to_lowercase())
                )
                .replace(|c: char| !(c.is_ascii_alphanumeric() || c == '-'), "-");
                format!("\n[central]\nurl = \"{url}\"\noffice = \"{code}\"\n")
            }
            _ => String::new(),
        };
        std::fs::write(
            &config,
            format!("[limits]\nmax_connections = 8192\nmax_connections_per_address = 8192\n{central}"),
        )
        .expect("the load's settings are written");
        let server = tokio::task::spawn_blocking(move || {
            let config = config.display().to_string();
            let mut flags = vec!["--config", config.as_str()];
            flags.extend_from_slice(commit.flags());
            ServerProcess::start(&path, &flags)
        })
        .await
        .expect("the server starts");
        let admin = server.user("admin").await;
        let mut services = admin.services().await.expect("the admin lists the services");
        for s in &mut services {
            s.config.daily_cap = None;
            *s = admin
                .update_service(s.id, &s.config)
                .await
                .unwrap_or_else(|e| panic!("the admin lifts the daily cap of service {}: {e}", s.id));
        }
        services.sort_by_key(|s| s.id);
        Office {
            server,
            _dir: dir,
            admin,
            services,
        }
    }

    /// An outcome code each service accepts, by service id.
    pub fn outcomes(&self) -> HashMap<i64, String> {
        self.services
            .iter()
            .map(|s| {
                let first = s.config.outcomes.first().expect("every demo service has outcomes");
                (s.id, first.code.to_string())
            })
            .collect()
    }

    /// `n` new clerks, each signed in at a new counter that serves every service. Each clerk's client
    /// has a connection pool of its own, as a console on its own PC would.
    pub async fn seat_clerks(&self, n: usize) -> Vec<Clerk> {
        let services: Vec<i64> = self.services.iter().map(|s| s.id).collect();
        let mut clerks: Vec<(usize, Clerk)> = futures_util::stream::iter(0..n)
            .map(|i| {
                let services = services.clone();
                async move { (i, self.seat_clerk(i, services).await) }
            })
            .buffer_unordered(SETUP_CONCURRENCY)
            .collect()
            .await;
        clerks.sort_by_key(|(i, _)| *i);
        clerks.into_iter().map(|(_, c)| c).collect()
    }

    async fn seat_clerk(&self, i: usize, services: Vec<i64>) -> Clerk {
        let counter = self
            .admin
            .create_counter(&CounterInput {
                name: format!("Sportello carico {}", i + 1),
                services,
                active: true,
            })
            .await
            .unwrap_or_else(|e| panic!("the admin creates counter {}: {e}", i + 1))
            .id;
        let username = format!("carico_{:03}", i + 1);
        let password = format!("password-{username}");
        self.admin
            .create_user(&UserInput {
                username: username.parse().expect("a valid username"),
                display_name: format!("Impiegato di carico {}", i + 1),
                role: Role::Clerk,
                password: Some(password.clone()),
                active: true,
            })
            .await
            .unwrap_or_else(|e| panic!("the admin creates clerk {username}: {e}"));
        let own = Client::new(&self.server.url);
        let login = own
            .login(&username, &password)
            .await
            .unwrap_or_else(|e| panic!("{username} signs in: {e}"));
        let client = own.with_token(login.token);
        client
            .open_counter(counter)
            .await
            .unwrap_or_else(|e| panic!("{username} opens counter {counter}: {e}"));
        Clerk { client, counter }
    }
}
