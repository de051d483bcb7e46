//! The Slint designs of kiosk and console, compiled by `build.rs` from `turno.slint`: their windows, the `export global`
//! adapters through which Rust talks to them, theme, widgets and translations.

slint::include_modules!();
