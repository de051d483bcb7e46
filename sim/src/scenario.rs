//! The scenario file: one office's day described in TOML (services, counters and what each serves
//! in order of preference, opening hours, pauses, arrivals by the hour, service times, priority,
//! no-shows, transfers, the call policy). Unknown fields are refused, values are checked, and a
//! mistake is named with the field it is in. The format is documented in `sim/scenarios/README.md`.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::{Error, Result};

/// A time of day, minutes from midnight, written "08:30" in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Clock(pub u32);

impl<'de> Deserialize<'de> for Clock {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_clock(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a time of day like \"08:30\"")))
    }
}

fn parse_clock(s: &str) -> Option<Clock> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(Clock(h * 60 + m))
}

/// A scenario as written in its file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// When the kiosk issues tickets.
    pub open: Clock,
    pub close: Clock,
    /// Tickets on an average day, all services together.
    pub tickets_per_day: f64,
    /// How much one day differs from another: the sigma of a log-normal factor on the day's tickets.
    #[serde(default = "default_day_spread")]
    pub day_spread: f64,
    /// Share of tickets with priority (*precedenza*).
    #[serde(default)]
    pub priority_share: f64,
    /// Share of called tickets whose holder does not come.
    #[serde(default)]
    pub no_show: f64,
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub clerks: ClerkConfig,
    /// Relative arrival weights over the day: each period gets tickets in proportion to its weight.
    pub arrivals: Vec<ArrivalPeriod>,
    pub services: Vec<ServiceConfig>,
    pub counters: Vec<CounterConfig>,
}

fn default_day_spread() -> f64 {
    0.15
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    #[serde(default = "default_ratio")]
    pub priority_ratio: u32,
    /// Whether tickets past their service's target wait become urgent.
    #[serde(default = "yes")]
    pub ageing: bool,
}

fn default_ratio() -> u32 {
    3
}

fn yes() -> bool {
    true
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            priority_ratio: default_ratio(),
            ageing: true,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClerkConfig {
    /// Seconds from leaving one visit to calling the next.
    #[serde(default = "default_gap")]
    pub call_gap_secs: f64,
    /// Seconds a called citizen takes to reach the counter: uniform between these two.
    #[serde(default = "default_walk")]
    pub walk_secs: (f64, f64),
    /// Seconds a clerk waits for a citizen who does not come before marking the no-show.
    #[serde(default = "default_no_show_wait")]
    pub no_show_wait_secs: f64,
}

fn default_gap() -> f64 {
    15.0
}
fn default_walk() -> (f64, f64) {
    (20.0, 60.0)
}
fn default_no_show_wait() -> f64 {
    120.0
}

impl Default for ClerkConfig {
    fn default() -> Self {
        Self {
            call_gap_secs: default_gap(),
            walk_secs: default_walk(),
            no_show_wait_secs: default_no_show_wait(),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalPeriod {
    pub from: Clock,
    pub to: Clock,
    pub weight: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The ticket prefix, one capital letter.
    pub code: String,
    pub name: String,
    /// Share of the day's tickets.
    pub share: f64,
    /// Median service time (minutes) and the sigma of its logarithm (log-normal; 0.5–0.8 is a
    /// heavy tail).
    pub median_minutes: f64,
    pub sigma: f64,
    pub target_wait_minutes: Option<u32>,
    /// Visits that end sent to another service (by its code), with their share.
    #[serde(default)]
    pub transfer: Option<Transfer>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub to: String,
    pub share: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterConfig {
    pub name: String,
    /// Service codes in order of preference.
    pub services: Vec<String>,
    /// When the clerk signs in; the office's opening by default.
    pub open: Option<Clock>,
    /// When the clerk leaves even if tickets still wait; by default the counter serves until nobody
    /// it can call waits after the kiosk closes (and at most two hours past it).
    pub close: Option<Clock>,
    #[serde(default)]
    pub pauses: Vec<PauseConfig>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseConfig {
    /// The clerk pauses at the first free moment from this time.
    pub at: Clock,
    pub minutes: f64,
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        Scenario::parse(&text).map_err(|e| Error::new(format!("{}: {e}", path.display())))
    }

    /// Parses and checks a scenario's text.
    pub fn parse(text: &str) -> Result<Scenario> {
        let s: Scenario = toml::from_str(text).map_err(|e| Error::new(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    /// The index of a service by its code.
    pub fn service_index(&self, code: &str) -> Option<usize> {
        self.services.iter().position(|s| s.code == code)
    }

    fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::new(msg));
        if self.open >= self.close {
            return bad("`open` must come before `close`".into());
        }
        if !(self.tickets_per_day > 0.0 && self.tickets_per_day.is_finite()) {
            return bad("`tickets_per_day` must be a positive number".into());
        }
        for (field, v) in [("priority_share", self.priority_share), ("no_show", self.no_show)] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("`{field}` is a share: between 0 and 1"));
            }
        }
        if !(0.0..=2.0).contains(&self.day_spread) {
            return bad("`day_spread` must be between 0 and 2".into());
        }
        let c = &self.clerks;
        if c.call_gap_secs < 0.0 || c.walk_secs.0 < 0.0 || c.walk_secs.1 < c.walk_secs.0 || c.no_show_wait_secs < 0.0 {
            return bad("`clerks`: times must be positive and `walk_secs` a [low, high] pair".into());
        }
        if self.arrivals.is_empty() {
            return bad("`arrivals` needs at least one period".into());
        }
        for (i, a) in self.arrivals.iter().enumerate() {
            if a.from >= a.to || !(a.weight >= 0.0 && a.weight.is_finite()) {
                return bad(format!(
                    "`arrivals[{i}]`: `from` must come before `to` and `weight` be zero or more"
                ));
            }
            if a.from < self.open || a.to > self.close {
                return bad(format!("`arrivals[{i}]` lies outside the opening hours"));
            }
        }
        if self.arrivals.iter().all(|a| a.weight == 0.0) {
            return bad("`arrivals`: at least one period needs a weight above zero".into());
        }
        if self.services.is_empty() {
            return bad("`services` needs at least one service".into());
        }
        let mut codes = HashSet::new();
        for s in &self.services {
            let ok = s.code.len() == 1 && s.code.chars().all(|c| c.is_ascii_uppercase());
            if !ok {
                return bad(format!("service code {:?} must be one capital letter", s.code));
            }
            if !codes.insert(s.code.as_str()) {
                return bad(format!("service code {:?} is used twice", s.code));
            }
            if !(s.share >= 0.0 && s.median_minutes > 0.0 && (0.0..=3.0).contains(&s.sigma)) {
                return bad(format!(
                    "service {}: `share` ≥ 0, `median_minutes` > 0 and `sigma` between 0 and 3",
                    s.code
                ));
            }
        }
        if self.services.iter().all(|s| s.share == 0.0) {
            return bad("at least one service needs a share above zero".into());
        }
        for s in &self.services {
            if let Some(t) = &s.transfer {
                if self.service_index(&t.to).is_none() || t.to == s.code {
                    return bad(format!("service {}: `transfer.to` names no other service", s.code));
                }
                if !(0.0..=1.0).contains(&t.share) {
                    return bad(format!("service {}: `transfer.share` is between 0 and 1", s.code));
                }
            }
        }
        if self.counters.is_empty() {
            return bad("`counters` needs at least one counter".into());
        }
        for k in &self.counters {
            if k.services.is_empty() {
                return bad(format!("counter {}: `services` is empty", k.name));
            }
            for code in &k.services {
                if self.service_index(code).is_none() {
                    return bad(format!("counter {}: no service has code {code:?}", k.name));
                }
            }
            if let (Some(o), Some(c)) = (k.open, k.close)
                && o >= c
            {
                return bad(format!("counter {}: `open` must come before `close`", k.name));
            }
            for p in &k.pauses {
                if !(p.minutes > 0.0 && p.minutes < 600.0) {
                    return bad(format!("counter {}: a pause lasts between 0 and 600 minutes", k.name));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
open = "08:30"
close = "12:30"
tickets_per_day = 50
arrivals = [{ from = "08:30", to = "12:30", weight = 1 }]
[[services]]
code = "A"
name = "Anagrafe"
share = 1
median_minutes = 5
sigma = 0.5
target_wait_minutes = 30
[[counters]]
name = "1"
services = ["A"]
"#;

    #[test]
    fn a_minimal_scenario_parses() {
        let s = Scenario::parse(MINIMAL).unwrap();
        assert_eq!(s.open, Clock(510));
        assert_eq!(s.policy.priority_ratio, 3);
    }

    fn error_of(text: &str) -> String {
        Scenario::parse(text).unwrap_err().0
    }

    #[test]
    fn mistakes_are_named() {
        let unknown = error_of(&MINIMAL.replace("tickets_per_day = 50", "tickets_per_day = 50\nticket_per_day = 3"));
        assert!(unknown.contains("ticket_per_day"), "{unknown}");
        let clock = error_of(&MINIMAL.replace("\"12:30\"\ntickets", "\"25:00\"\ntickets"));
        assert!(clock.contains("25:00"), "{clock}");
        let service = error_of(&MINIMAL.replace("services = [\"A\"]", "services = [\"B\"]"));
        assert!(service.contains("\"B\""), "{service}");
        let share = error_of(&MINIMAL.replace("tickets_per_day = 50", "tickets_per_day = 50\nno_show = 2"));
        assert!(share.contains("no_show"), "{share}");
    }
}
