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

    /// When the office day of `now` began: local midnight (or the first instant after it, on a day whose
    /// midnight a clock change skips).
    pub fn day_start(&self, now: Timestamp) -> crate::error::Result<Timestamp> {
        self.local(now)
            .start_of_day()
            .map(|z| z.timestamp())
            .map_err(crate::error::Error::internal)
    }
}
