//! The console's integration tests, one binary: the window on Slint's headless testing backend, a real
//! office server on 127.0.0.1 (a free port), each test in its own temp directory.

mod accessibility;
mod banners;
mod controller;
mod day;
mod mouse;
mod race;
mod restart;
mod sign_in;
mod support;
