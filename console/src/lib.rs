//! The clerk console (`turno-console`): the Slint desktop UI of `turno-ui` at each counter, driven by a
//! plain-Rust controller, talking to the office server through the shared client.
//!
//! - [`controller`]: the state machine of screens, dialogs, keys, banners and resynchronisation (no I/O);
//! - [`console`]: the glue between the controller and the window's `ConsoleAdapter` global;
//! - [`backend`]: the server calls and the live-event subscription on a tokio runtime, whose results come
//!   back to the UI thread;
//! - [`config`]: the settings file and flags;
//! - [`fixtures`]: an office, counters and tickets for screenshots and tests without a server.

pub mod backend;
pub mod config;
pub mod console;
pub mod controller;
pub mod fixtures;
