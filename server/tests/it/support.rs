//! A test office: the demo office in a temp database, the router from `app()`, a settable clock,
//! and a `call` helper that sends one request and decodes the JSON answer.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;
use turno_server::config::Config;
use turno_server::{AppState, app, demo};
use turno_shared::api::ErrorCode;

pub struct TestOffice {
    pub router: Router,
    pub state: AppState,
    pub kiosk: String,
    pub display: String,
    now: Arc<Mutex<Timestamp>>,
    /// Held so that the server does not look shut down (which ends live streams).
    _stop: tokio::sync::watch::Sender<bool>,
    _dir: TempDir,
}

/// A response: status and JSON body (`Value::Null` when empty or not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    /// The error code of an error answer.
    pub fn code(&self) -> ErrorCode {
        serde_json::from_value(self.body["code"].clone()).unwrap_or(ErrorCode::Unknown)
    }
}

impl TestOffice {
    /// The demo office at 10:00 on Thursday 26 November 2026, Rome time.
    pub async fn new() -> TestOffice {
        Self::with_config(|_| {}).await
    }

    /// An office whose database was loaded from an SQL fixture (a released schema version with data)
    /// and then opened, so migrated, by the current server; at 10:00 on `now_local`.
    pub async fn from_fixture(sql: &str, now_local: &str, kiosk: &str, display: &str) -> TestOffice {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("turno.db");
        rusqlite::Connection::open(&db).unwrap().execute_batch(sql).unwrap();
        let config = Config {
            db,
            ..Config::default()
        };
        let civil: jiff::civil::DateTime = now_local.parse().unwrap();
        let start = civil
            .to_zoned(jiff::tz::TimeZone::get(&config.timezone).unwrap())
            .unwrap()
            .timestamp();
        let now = Arc::new(Mutex::new(start));
        let clock_now = now.clone();
        let (state, stop) = AppState::new(&config, Arc::new(move || *clock_now.lock().unwrap())).unwrap();
        TestOffice {
            router: app(state.clone()),
            state,
            kiosk: kiosk.to_owned(),
            display: display.to_owned(),
            now,
            _stop: stop,
            _dir: dir,
        }
    }

    pub async fn with_config(edit: impl FnOnce(&mut Config)) -> TestOffice {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            db: dir.path().join("turno.db"),
            ..Config::default()
        };
        edit(&mut config);
        let now = Arc::new(Mutex::new("2026-11-26T09:00:00Z".parse::<Timestamp>().unwrap()));
        let clock_now = now.clone();
        let (state, stop) = AppState::new(&config, Arc::new(move || *clock_now.lock().unwrap())).unwrap();
        let tokens = demo::create(&state).await.unwrap();
        TestOffice {
            router: app(state.clone()),
            state,
            kiosk: tokens.kiosk,
            display: tokens.display,
            now,
            _stop: stop,
            _dir: dir,
        }
    }

    /// Sets the clock to a local time at the office, `2026-03-28T23:00`.
    pub fn set_local(&self, local: &str) {
        let civil: jiff::civil::DateTime = local.parse().unwrap();
        *self.now.lock().unwrap() = civil.to_zoned(self.state.office.tz.clone()).unwrap().timestamp();
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.now.lock().unwrap();
        *now = now.checked_add(by).unwrap();
    }

    /// Sends a request; `body` is sent as JSON when given.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.send(req).await
    }

    /// Sends a request; the answer of a live-event stream, which never ends, is its status alone.
    pub async fn send(&self, req: Request<Body>) -> Answer {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let streaming = resp
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        if streaming {
            return Answer {
                status,
                body: Value::Null,
            };
        }
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// A login attempt sent from the client address `from`.
    pub async fn login_from(&self, from: &str, username: &str, password: &str) -> Answer {
        let addr: std::net::SocketAddr = format!("{from}:40000").parse().unwrap();
        let mut req = Request::builder()
            .method("POST")
            .uri("/api/v1/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({"username": username, "password": password}).to_string(),
            ))
            .unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
        self.send(req).await
    }

    pub async fn login(&self, username: &str) -> String {
        let (_, _, _, password) = demo::USERS.iter().find(|(u, ..)| *u == username).unwrap();
        let a = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.body["token"].as_str().unwrap().to_owned()
    }

    /// Signs `username` in and at `counter`; returns the token.
    pub async fn clerk_at(&self, username: &str, counter: i64) -> String {
        let token = self.login(username).await;
        let a = self
            .call(
                "POST",
                &format!("/api/v1/counters/{counter}/session"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        token
    }

    /// Issues a ticket at the kiosk; returns the answer's body.
    pub async fn issue(&self, service_id: i64, priority: bool) -> Value {
        let priority = if priority { "priority" } else { "normal" };
        let a = self
            .call(
                "POST",
                "/api/v1/tickets",
                Some(&self.kiosk),
                Some(serde_json::json!({"service_id": service_id, "priority": priority})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.body
    }
}
