//! API and store tests of the office server, through `app()` on a temp database.

mod auth;
mod day;
mod input;
mod retention;
mod store;
mod support;
