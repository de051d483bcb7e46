//! Turno's shared crate: the office's domain rules and statistics (pure, no I/O), the wire types of the
//! HTTP API, and the typed HTTP client with its live-event stream.

pub mod api;
pub mod client;
pub mod domain;
pub mod stats;
