//! What the end-to-end tests share: a demo office served by the real binary in a temp directory, its
//! services and counters by name, clerks signed in at counters, and checks for refusals and waits.

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use serde_json::json;
use tempfile::TempDir;
use turno_shared::api::{
    CounterInput, ErrorCode, IssueRequest, IssuedTicket, LiveEvent, LiveMessage, Service, TicketView, UserInput,
};
use turno_shared::client::{Client, ClientError, Subscription};
use turno_shared::domain::{Priority, Role};
use turno_tests::ServerProcess;
use turno_tests::demo_password;

/// How long a test waits for something that should happen at once before it fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A running demo office: the server process, and what the tests need to know about its setup.
pub struct Office {
    // Declared before `dir` so the process stops before its directory goes away.
    pub server: ServerProcess,
    _dir: TempDir,
    pub admin: Client,
    pub kiosk: Client,
    /// Services by prefix letter (`'A'` is the registry office).
    pub services: HashMap<char, Service>,
    /// Counter ids by name (`"Sportello 1"`).
    pub counters: HashMap<String, i64>,
}

impl Office {
    /// Starts the real server with the demo office in a fresh temp directory, on a free port.
    pub async fn start() -> Office {
        let dir = tempfile::tempdir().expect("a temp directory");
        let server = tokio::task::block_in_place(|| ServerProcess::start(dir.path(), &[]));
        let admin = server.user("admin").await;
        let kiosk = server.kiosk();
        let services = admin
            .services()
            .await
            .expect("the admin lists services")
            .into_iter()
            .map(|s| (s.config.prefix.as_char(), s))
            .collect();
        let counters = admin
            .counters()
            .await
            .expect("the admin lists counters")
            .into_iter()
            .map(|c| (c.config.name.clone(), c.id))
            .collect();
        Office {
            server,
            _dir: dir,
            admin,
            kiosk,
            services,
            counters,
        }
    }

    /// The id of the service whose numbers start with `prefix`.
    pub fn service(&self, prefix: char) -> i64 {
        self.services
            .get(&prefix)
            .unwrap_or_else(|| panic!("the demo office has no service {prefix}"))
            .id
    }

    pub fn counter(&self, name: &str) -> i64 {
        *self
            .counters
            .get(name)
            .unwrap_or_else(|| panic!("the demo office has no counter {name:?}"))
    }

    /// An outcome code the service with this id accepts.
    pub fn outcome_of(&self, service_id: i64) -> String {
        let s = self
            .services
            .values()
            .find(|s| s.id == service_id)
            .unwrap_or_else(|| panic!("no service {service_id}"));
        s.config.outcomes[0].code.to_string()
    }

    /// The kiosk prints a ticket for the service with this prefix.
    pub async fn issue(&self, prefix: char, priority: Priority) -> IssuedTicket {
        self.kiosk
            .issue_ticket(&IssueRequest {
                service_id: self.service(prefix),
                priority,
                language: None,
            })
            .await
            .unwrap_or_else(|e| panic!("the kiosk issues a {prefix} ticket: {e}"))
    }

    /// A demo clerk signed in at the named counter.
    pub async fn clerk(&self, username: &str, counter: &str) -> Clerk {
        let client = self.server.user(username).await;
        let counter = self.counter(counter);
        let status = client
            .open_counter(counter)
            .await
            .unwrap_or_else(|e| panic!("{username} signs in at counter {counter}: {e}"));
        assert_eq!(status.counter.id, counter);
        Clerk { client, counter }
    }

    /// Opens `n` more counters, each serving every service in its own order of preference, with a new
    /// clerk signed in at each.
    pub async fn more_clerks(&self, n: usize) -> Vec<Clerk> {
        let mut services: Vec<i64> = self.services.values().map(|s| s.id).collect();
        services.sort_unstable();
        let made = futures_util::future::join_all((0..n).map(|i| {
            let mut order = services.clone();
            order.rotate_left(i % services.len());
            async move {
                let counter = self
                    .admin
                    .create_counter(&CounterInput {
                        name: format!("Sportello R{i}"),
                        services: order,
                        active: true,
                    })
                    .await
                    .unwrap_or_else(|e| panic!("counter R{i}: {e}"));
                let username = format!("clerk{i}");
                self.admin
                    .create_user(&UserInput {
                        username: username.parse().expect("a valid username"),
                        display_name: format!("Clerk {i}"),
                        role: Role::Clerk,
                        password: Some(format!("password {i}")),
                        active: true,
                    })
                    .await
                    .unwrap_or_else(|e| panic!("user {username}: {e}"));
                (username, format!("password {i}"), counter.id)
            }
        }))
        .await;
        // Sign in one after another: logins wait for the server's one hashing thread.
        let mut clerks = Vec::new();
        for (username, password, counter) in made {
            let login = self.server.client().login(&username, &password).await.expect("sign in");
            let client = self.server.client().with_token(login.token);
            client.open_counter(counter).await.expect("open the counter");
            clerks.push(Clerk { client, counter });
        }
        clerks
    }

    /// Lifts the daily cap of every service, keeping the rest of its configuration.
    pub async fn lift_daily_caps(&self) {
        for s in self.services.values() {
            let mut config = s.config.clone();
            config.daily_cap = None;
            let updated = self
                .admin
                .update_service(s.id, &config)
                .await
                .unwrap_or_else(|e| panic!("the admin lifts the cap of service {}: {e}", s.id));
            assert_eq!(updated.config, config);
        }
    }
}

/// A clerk signed in at a counter.
#[derive(Clone)]
pub struct Clerk {
    pub client: Client,
    pub counter: i64,
}

impl Clerk {
    /// Calls the next ticket; `None` when nothing waits for this counter.
    pub async fn call_next(&self) -> Option<TicketView> {
        self.client
            .call_next(self.counter)
            .await
            .unwrap_or_else(|e| panic!("counter {} calls the next ticket: {e}", self.counter))
    }

    /// Calls the next ticket, which must exist and have this number.
    pub async fn calls(&self, number: &str) -> TicketView {
        let t = self
            .call_next()
            .await
            .unwrap_or_else(|| panic!("counter {} expected to call {number}, nothing waits", self.counter));
        assert_eq!(
            t.number.to_string(),
            number,
            "counter {} called the wrong ticket",
            self.counter
        );
        t
    }

    /// Finishes a ticket with an outcome its service accepts.
    pub async fn finish(&self, ticket: &TicketView, outcome: &str) -> TicketView {
        self.client
            .finish(ticket.id, outcome, None)
            .await
            .unwrap_or_else(|e| panic!("finish {} with {outcome}: {e}", ticket.number))
    }
}

/// Asserts that the server refused the request with this status and stable error code.
#[track_caller]
pub fn assert_refused<T: Debug>(result: Result<T, ClientError>, status: u16, code: ErrorCode) {
    match result {
        Err(ClientError::Api { status: got, body }) => {
            assert_eq!(
                (got.as_u16(), body.code),
                (status, code),
                "expected {status} {code}, got {got} {body:?}"
            );
            assert!(!body.message.is_empty(), "an error says what was wrong");
        }
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}

/// Waits for `fut`, failing the test if it takes longer than [`PATIENCE`].
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Waits until the live stream is connected: events emitted from then on are delivered.
pub async fn connected(sub: &Subscription) {
    let mut connected = sub.connected();
    within("the live stream to connect", connected.wait_for(|c| *c))
        .await
        .expect("the subscription runs");
}

/// The next live event for which `pick` answers something, skipping the others.
pub async fn next_event<T>(sub: &mut Subscription, what: &str, pick: impl Fn(&LiveEvent) -> Option<T>) -> (i64, T) {
    within(what, async {
        loop {
            let LiveMessage { id, event } = sub.next().await.expect("the subscription runs");
            if let Some(found) = pick(&event) {
                return (id, found);
            }
        }
    })
    .await
}

/// Whether slow, bigger variants were asked for with `TURNO_SLOW_TESTS=1`.
pub fn slow_tests() -> bool {
    std::env::var("TURNO_SLOW_TESTS").is_ok_and(|v| v == "1")
}

/// axe-core, vendored from npm with its licence (`tests/vendor/axe-core/`).
const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

/// Runs axe-core in the page; answers its serious and critical violations.
pub async fn axe_violations(browser: &turno_tests::browser::Browser) -> Vec<String> {
    browser.eval(&format!("{AXE}\n;return typeof axe")).await;
    let found = browser
        .eval_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document).then(r => done({ passes: r.passes.length, serious: r.violations \
               .filter(v => v.impact === 'serious' || v.impact === 'critical') \
               .map(v => v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', ')) })) \
               .catch(e => done({ passes: 0, serious: ['axe failed: ' + e] }));",
        )
        .await;
    assert!(
        found["passes"].as_u64().unwrap_or(0) > 10,
        "axe-core ran its checks: {found}"
    );
    found["serious"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Opens `path`, is sent to the sign-in page, signs in as `username` through the form, and waits to be
/// back at `path`.
pub async fn sign_in(browser: &turno_tests::browser::Browser, office: &Office, username: &str, path: &str) {
    browser.goto(&format!("{}{path}", office.server.url)).await;
    let at = browser
        .wait_for(
            "the sign-in page",
            PATIENCE,
            "return document.querySelector('#username') && location.pathname + location.search",
        )
        .await;
    assert_eq!(
        at.as_str().unwrap_or(""),
        format!(
            "/backoffice/login?next={}",
            path.replace('?', "%3F").replace('=', "%3D")
        ),
        "a stranger is sent to sign in, remembering where they were going"
    );
    browser
        .eval_with(
            "document.querySelector('#username').value = arguments[0];
             document.querySelector('#password').value = arguments[1];",
            json!([username, demo_password(username)]),
        )
        .await
        .expect("the form takes the credentials");
    browser.click("form.bo-form button[type=submit]").await;
    browser
        .wait_for(
            "the page asked for, signed in",
            PATIENCE,
            &format!(
                "return location.pathname === {} && document.querySelector('.bo-signout') !== null",
                json!(path.split('?').next().unwrap_or(path))
            ),
        )
        .await;
}

/// html-validate: `$TURNO_HTML_VALIDATE`, else the one `scripts/test` installs.
fn html_validate() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("TURNO_HTML_VALIDATE") {
        return p.into();
    }
    let installed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/tools/html-validate/node_modules/.bin/html-validate");
    assert!(
        installed.exists(),
        "html-validate is not installed: run the tests with `scripts/test` (it installs it in \
         target/tools/html-validate), or set TURNO_HTML_VALIDATE to an html-validate 9 program"
    );
    installed
}

/// Checks each `(name, html)` with html-validate's rules of the HTML standard.
pub fn assert_valid_html(pages: &[(&str, String)]) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("htmlvalidate.json");
    std::fs::write(&config, r#"{"extends": ["html-validate:standard"]}"#).unwrap();
    let files: Vec<_> = pages
        .iter()
        .map(|(name, html)| {
            let path = dir.path().join(format!("{name}.html"));
            std::fs::write(&path, html).unwrap();
            path
        })
        .collect();
    let out = std::process::Command::new(html_validate())
        .arg("--config")
        .arg(&config)
        .args(&files)
        .output()
        .expect("html-validate runs");
    assert!(
        out.status.success(),
        "the pages are not valid HTML:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The page as the browser holds it now, serialized.
pub async fn drawn(browser: &turno_tests::browser::Browser) -> String {
    let html = browser
        .eval("return '<!DOCTYPE html>\\n' + document.documentElement.outerHTML")
        .await;
    html.as_str().unwrap().to_owned()
}
