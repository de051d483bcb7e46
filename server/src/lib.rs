//! Turno's office server: the queue engine, the SQLite store, the HTTP API with live events, and the
//! demo office. [`app`] builds the router (tests call it directly); [`serve`] runs it until shutdown.

pub mod alerts;
pub mod auth;
pub mod backoffice;
pub mod central;
pub mod config;
pub mod demo;
pub mod engine;
pub mod error;
pub mod eta_log;
pub mod exports;
pub mod history;
pub mod office;
pub mod pages;
pub mod routes;
pub mod serve;
pub mod setup;
pub mod speech;
pub mod stats;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jiff::SignedDuration;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use turno_shared::api::ErrorCode;
use turno_shared::domain::CallPolicy;

use crate::error::Error;
use crate::office::Office;
use crate::store::{Clock, Store, StoreOptions};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub office: Arc<Office>,
    pub tokens: Arc<auth::TokenCache>,
    pub limiter: Arc<auth::LoginLimiter>,
    pub rating_limiter: Arc<auth::RatingLimiter>,
    pub hasher: auth::Hasher,
    /// The alerts in force.
    pub alerts: Arc<alerts::Alerts>,
    /// Password hashes checked at login since start (a measure of the work logins cost).
    pub password_checks: Arc<std::sync::atomic::AtomicU64>,
    /// The configuration the server started with.
    pub config: Arc<config::Config>,
    /// Turns true when the server shuts down, ending live streams.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// Opens the store and builds the state from `config`; returns the sender that signals shutdown.
    pub fn new(config: &config::Config, clock: Clock) -> Result<(AppState, watch::Sender<bool>), Error> {
        let tz = jiff::tz::TimeZone::get(&config.timezone)
            .map_err(|e| Error::invalid(format!("unknown time zone {:?}: {e}", config.timezone)))?;
        let store = Store::open(
            &config.db,
            StoreOptions {
                group_commit: config.group_commit,
                synchronous: config.synchronous,
            },
            clock,
        )?;
        let office = Office {
            name: config.office_name.clone(),
            tz,
            policy: CallPolicy {
                priority_ratio: config.priority_ratio,
            },
            login_ttl: SignedDuration::from_hours(i64::from(config.login_hours.max(1))),
        };
        let (stop, shutdown) = watch::channel(false);
        let state = AppState {
            store,
            office: Arc::new(office),
            tokens: Arc::default(),
            limiter: Arc::default(),
            rating_limiter: Arc::default(),
            hasher: auth::Hasher::start(),
            alerts: Arc::default(),
            password_checks: Arc::default(),
            config: Arc::new(config.clone()),
            shutdown,
        };
        Ok((state, stop))
    }
}

impl AppState {
    /// How many password hashes logins have checked since start.
    pub fn password_checks(&self) -> u64 {
        self.password_checks.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api, mut openapi) = routes::api().split_for_parts();
    routes::complete_document(&mut openapi);
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = openapi.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .merge(pages::router())
        .fallback(|| async { Error::not_found("this page") })
        .method_not_allowed_fallback(|| async {
            Error::BadRequest {
                status: StatusCode::METHOD_NOT_ALLOWED,
                code: ErrorCode::MethodNotAllowed,
                message: "this method is not allowed here".into(),
            }
            .into_response()
        })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            Error::internal("a request handler panicked").into_response()
        }))
        .layer(axum::middleware::from_fn_with_state(
            Duration::from_secs(state.config.limits.request_timeout_secs),
            request_timeout,
        ))
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            state.config.limits.body_timeout_secs,
        )))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Answers 503 when a request takes longer than `limit`, live-event streams excepted (their answer
/// starts at once and then lasts as long as the client listens).
async fn request_timeout(
    axum::extract::State(limit): axum::extract::State<Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => Error::BadRequest {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: ErrorCode::Timeout,
            message: "the server took too long to answer; the operation may or may not have been recorded".into(),
        }
        .into_response(),
    }
}

/// What one pass of maintenance did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// Open tickets of past office days closed as expired.
    pub expired: u32,
    /// Whether the retention pruning ran (once per office day).
    pub pruned: bool,
}

/// One pass of maintenance: closes the open tickets of past office days, drops expired logins, and,
/// when `prune` is set, applies the retention settings (live-event feed, notes and pause reasons,
/// printer alerts).
pub async fn maintenance_pass(state: &AppState, prune: bool) -> Result<Maintenance, Error> {
    let office = state.office.clone();
    let retention = state.config.retention;
    state
        .store
        .write(move |ctx| {
            let expired = engine::end_of_day(ctx, &office, false, true)?;
            store::office::delete_expired_tokens(ctx.conn, ctx.now())?;
            if prune {
                let local = office.local(ctx.now());
                let ago = |span: jiff::Span| local.checked_sub(span).map(|z| z.timestamp()).map_err(Error::internal);
                store::prune_feed(ctx.conn, ago(jiff::Span::new().days(i64::from(retention.feed_days)))?)?;
                store::erase_notes(
                    ctx.conn,
                    ago(jiff::Span::new().months(i64::from(retention.notes_months)))?,
                )?;
                store::prune_printer_alerts(
                    ctx.conn,
                    ago(jiff::Span::new().months(i64::from(retention.alerts_months)))?,
                )?;
            }
            Ok(Maintenance { expired, pruned: prune })
        })
        .await
}

/// Keeps the office day tidy, every `every`: [`maintenance_pass`], pruning once per office day, then
/// packs the closed days' facts for the statistics ([`stats::pack_closed_days`]).
pub async fn maintain(state: AppState, every: Duration) {
    let mut shutdown = state.shutdown.clone();
    let mut pruned_day = None;
    loop {
        let today = state.office.day(state.store.now());
        let prune = pruned_day.as_ref() != Some(&today);
        match maintenance_pass(&state, prune).await {
            Ok(done) => {
                if done.expired > 0 {
                    tracing::info!(expired = done.expired, "closed the open tickets of past office days");
                }
                if done.pruned {
                    pruned_day = Some(today);
                }
            }
            Err(e) => tracing::warn!(error = %e, "maintenance failed"),
        }
        // The days just closed (and, the first time, the history before them) packed for the statistics.
        match stats::pack_closed_days(&state.store, state.office.clone()).await {
            Ok(0) => {}
            Ok(days) => tracing::info!(days, "packed the facts of closed office days for the statistics"),
            Err(e) => tracing::warn!(error = %e, "packing the closed days' facts failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
