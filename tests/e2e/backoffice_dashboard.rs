//! The back office's dashboard, exports and monthly report, in a real headless Chromium against the
//! real server.
