//! The citizen kiosk (`turno-kiosk`): the Slint touch UI of `turno-ui` driven by a plain-Rust
//! controller, ticket printing on ESC/POS printers, and satisfaction ratings.
//!
//! - [`controller`]: the state machine of screens, language, idle timer and rating flow (no I/O);
//! - [`kiosk`]: the glue between the controller and the window's `export global` adapters;
//! - [`backend`]: the server calls and the printer, on a tokio runtime and a printer thread, whose
//!   results come back to the UI thread;
//! - [`printer`]: ESC/POS encoding and the transports to the printer;
//! - [`speech`]: the spoken mode's voice (espeak-ng) and the words it says;
//! - [`config`]: the TOML file and flags.

pub mod backend;
pub mod config;
pub mod controller;
#[cfg(feature = "test-support")]
pub mod fixtures;
pub mod kiosk;
pub mod lang;
pub mod printer;
pub mod speech;
