//! The city's centre: every office's statistics data in one PostgreSQL. The office's side is [`ship`]
//! (a background task of `turno-server serve` with `[central]` in its settings); the centre's side is
//! `turno-server central serve`, which migrates the schema ([`schema`]) and serves the city's back
//! office (`crate::pages::backoffice::central`). All the PostgreSQL is in [`db`].

pub mod batch;
pub mod db;
pub mod schema;
pub mod ship;
pub mod stats;

use deadpool_postgres::Pool;

use std::sync::Arc;

use crate::auth::{Hasher, LoginLimiter};
use crate::error::{Error, Result};

/// What the centre's handlers share.
#[derive(Clone)]
pub struct CentralState {
    pub pool: Pool,
    pub hasher: Hasher,
    /// Failed sign-ins, per account and address and per address, as an office counts them.
    pub limiter: Arc<LoginLimiter>,
    /// The city's name, shown on every page.
    pub city: String,
    /// Reverse proxies whose X-Forwarded-For names the client (`--trusted-proxy`).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
}

/// Migrates the centre's schema, calls `ready`, and serves its pages and API on `listener` until
/// `shutdown` turns true.
pub async fn serve_ready(
    url: &str,
    city: String,
    trusted_proxies: Vec<std::net::IpAddr>,
    listener: tokio::net::TcpListener,
    shutdown: tokio::sync::watch::Receiver<bool>,
    ready: impl FnOnce(),
) -> Result<()> {
    let pool = db::pool(url, 16)?;
    let version = db::migrate(&pool, None).await?;
    tracing::info!(version, "central schema ready");
    ready();
    let state = CentralState {
        pool,
        hasher: Hasher::start(),
        limiter: Arc::default(),
        city,
        trusted_proxies: trusted_proxies.into(),
    };
    let app = crate::pages::backoffice::central::router()
        .with_state(state)
        .layer(tower_http::catch_panic::CatchPanicLayer::new());
    let mut shutdown = shutdown;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    })
    .await
    .map_err(|e| Error::Unavailable(format!("serving: {e}")))
}
