//! Turno's shared crate: the office's domain rules and statistics (pure, no I/O), the wire types of the
//! HTTP API, the typed HTTP client with its live-event stream, and the voice both the board and the kiosk
//! speak with.

pub mod api;
pub mod client;
pub mod domain;
pub mod stats;
pub mod voice;
