//! The office's settings that every operation needs: name, time zone, call policy, login lifetime.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};
use turno_shared::domain::CallPolicy;

#[derive(Clone, Debug)]
pub struct Office {
    pub name: String,
    pub tz: TimeZone,
    pub policy: CallPolicy,
    /// How long a clerk's or admin's login lasts.
    pub login_ttl: SignedDuration,
}

impl Office {
    /// Local time at the office.
    pub fn local(&self, now: Timestamp) -> Zoned {
        now.to_zoned(self.tz.clone())
    }

    /// The office day of `now`, `YYYY-MM-DD`.
    pub fn day(&self, now: Timestamp) -> String {
        self.local(now).date().to_string()
    }
}
