//! End-to-end tests of the office server: the real `turno-server` binary driven through the typed client.

mod backoffice_admin;
mod backoffice_dashboard;
mod board;
mod central;
mod central_accounts;
mod concurrency;
mod contract;
mod crash;
mod hardening;
mod office_day;
mod powercut;
mod support;
