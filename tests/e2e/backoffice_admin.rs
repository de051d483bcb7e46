//! The back office's pages that keep the office up to date, in a real headless Chromium against the
//! real server.
