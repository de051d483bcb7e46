//! Back-office pages that keep the office up to date: services (with their information sheets,
//! a preview as kiosk and ticket show them, and their PDF forms), counters, users, devices, board
//! notices, and the audit log of every change.

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
