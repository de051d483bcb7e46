//! The kiosk's integration tests, one binary: the window on Slint's headless testing backend, a real
//! office server on 127.0.0.1:0 and a fake printer, each test in its own temp directory.

mod accessibility;
mod bench_ticket;
mod codepages;
mod controller;
mod faults;
mod layout;
mod not_printed;
mod printer;
mod rating;
mod rtl;
mod speech;
mod support;
mod ticket;
mod unreachable;
mod wait;
