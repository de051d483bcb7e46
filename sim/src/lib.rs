//! Queue science for Turno: an office-day simulator driven by scenario files, the event-log CSV
//! format, and the replay evaluator that measures every wait predictor of
//! `turno_shared::domain::eta` against what actually happened.
//!
//! - `scenario` — the scenario file (TOML), parsed and validated;
//! - `simulate` — plays a day of a scenario with the real call policy, seeded, into an event log;
//! - `log` — the event-log CSV: read (with line-numbered errors) and written;
//! - `replay` — replays a log, asks each predictor at every issue, measures the answers;
//! - `tune` — fits the forward predictor's assumptions and every predictor's interval on tuning days;
//! - `report` — tables, the predicted-against-actual chart (SVG) and the call-policy study.

pub mod log;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod simulate;
pub mod tune;

use std::fmt;

/// What went wrong, said plainly: a bad scenario field, a malformed CSV line, a file not found.
#[derive(Debug)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Error(msg.into())
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A small, fast, seeded generator (xorshift64*): reproducible days without a dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut r = Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Log-normal with this median and spread (sigma of the logarithm).
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Exponential with this mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).max(1e-12).ln()
    }
}

/// Percentile (0–100) of a sorted slice, nearest rank; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}
