//! Turno's office server: the queue engine, the SQLite store, the HTTP API with live events, and the
//! demo office. [`app`] builds the router (tests call it directly); [`serve`] runs it until shutdown.

pub mod auth;
pub mod config;
pub mod demo;
pub mod engine;
pub mod error;
pub mod office;
pub mod pages;
pub mod routes;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jiff::SignedDuration;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
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
            shutdown,
        };
        Ok((state, stop))
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
                code: "method_not_allowed",
                message: "this method is not allowed here".into(),
            }
            .into_response()
        })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            Error::internal("a request handler panicked").into_response()
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Keeps the office day tidy: closes tickets of past days, drops old live events and expired logins.
pub async fn maintain(state: AppState) {
    let mut shutdown = state.shutdown.clone();
    loop {
        let office = state.office.clone();
        let done = state
            .store
            .write(move |ctx| {
                let expired = engine::end_of_day(ctx, &office, false, true)?;
                let week_ago = ctx
                    .now()
                    .checked_sub(SignedDuration::from_hours(24 * 7))
                    .map_err(Error::internal)?;
                store::prune_feed(ctx.conn, week_ago)?;
                store::office::delete_expired_tokens(ctx.conn, ctx.now())?;
                Ok(expired)
            })
            .await;
        match done {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "closed the open tickets of past office days"),
            Err(e) => tracing::warn!(error = %e, "maintenance failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
