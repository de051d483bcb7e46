//! API and store tests of the office server, through `app()` on a temp database.

mod admin;
mod auth;
mod central;
mod console;
mod day;
mod eta;
mod events;
mod exports;
mod input;
mod midnight;
mod pages;
mod retention;
mod stats;
mod store;
mod support;
mod upgrade;
