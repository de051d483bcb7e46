//! Opening hours per weekday: `{"mon": ["08:30-12:30", "14:30-16:30"], …}`; a day with no range is closed.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Time, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::types::{InvalidValue, string_schema};

string_schema!(
    TimeRange,
    "^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
);

/// A time range within a day, `08:30-12:30`: open from the first time, closed from the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    open: Time,
    close: Time,
}

impl TimeRange {
    pub fn new(open: Time, close: Time) -> Result<Self, InvalidValue> {
        if open < close {
            Ok(Self { open, close })
        } else {
            Err(InvalidValue(format!(
                "an opening range must close after it opens, not {}-{}",
                hhmm(open),
                hhmm(close)
            )))
        }
    }

    pub fn contains(&self, t: Time) -> bool {
        self.open <= t && t < self.close
    }

    /// When the range opens.
    pub fn open(&self) -> Time {
        self.open
    }

    /// When the range closes.
    pub fn close(&self) -> Time {
        self.close
    }
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Exactly `HH:MM`, as the schema's pattern says: no spaces, no one-digit hours.
fn parse_hhmm(s: &str) -> Option<Time> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![b[0], b[1], b[3], b[4]].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digits = |i: usize| (b[i] - b'0') as i8 * 10 + (b[i + 1] - b'0') as i8;
    let (h, m) = (digits(0), digits(3));
    if h == 24 && m == 0 {
        return Some(Time::MAX);
    }
    Time::new(h, m, 0, 0).ok()
}

impl FromStr for TimeRange {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidValue(format!("{s:?} is not an opening range like 08:30-12:30"));
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        Self::new(parse_hhmm(a).ok_or_else(bad)?, parse_hhmm(b).ok_or_else(bad)?)
    }
}

impl TryFrom<String> for TimeRange {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TimeRange> for String {
    fn from(r: TimeRange) -> String {
        r.to_string()
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let close = if self.close == Time::MAX {
            "24:00".to_owned()
        } else {
            hhmm(self.close)
        };
        write!(f, "{}-{}", hhmm(self.open), close)
    }
}

/// Opening hours for each day of the week.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WeeklyHours {
    pub mon: Vec<TimeRange>,
    pub tue: Vec<TimeRange>,
    pub wed: Vec<TimeRange>,
    pub thu: Vec<TimeRange>,
    pub fri: Vec<TimeRange>,
    pub sat: Vec<TimeRange>,
    pub sun: Vec<TimeRange>,
}

impl WeeklyHours {
    /// Open every day, all day.
    pub fn always() -> Self {
        let all = vec![TimeRange {
            open: Time::MIN,
            close: Time::MAX,
        }];
        Self {
            mon: all.clone(),
            tue: all.clone(),
            wed: all.clone(),
            thu: all.clone(),
            fri: all.clone(),
            sat: all.clone(),
            sun: all,
        }
    }

    pub fn day(&self, weekday: Weekday) -> &[TimeRange] {
        match weekday {
            Weekday::Monday => &self.mon,
            Weekday::Tuesday => &self.tue,
            Weekday::Wednesday => &self.wed,
            Weekday::Thursday => &self.thu,
            Weekday::Friday => &self.fri,
            Weekday::Saturday => &self.sat,
            Weekday::Sunday => &self.sun,
        }
    }

    pub fn is_open(&self, weekday: Weekday, time: Time) -> bool {
        self.day(weekday).iter().any(|r| r.contains(time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::time;

    #[test]
    fn ranges_parse_and_print() {
        let r: TimeRange = "08:30-12:30".parse().unwrap();
        assert_eq!(r.to_string(), "08:30-12:30");
        assert_eq!("00:00-24:00".parse::<TimeRange>().unwrap().to_string(), "00:00-24:00");
        for bad in [
            "8-12",
            "12:30-08:30",
            "08:30",
            "25:00-26:00",
            "08:30-08:30",
            "ab:cd-12:00",
        ] {
            assert!(bad.parse::<TimeRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn open_within_a_range_closed_at_its_end() {
        let hours: WeeklyHours = serde_json::from_str(r#"{"mon": ["08:30-12:30", "14:30-16:30"]}"#).unwrap();
        let check = |day, t, open| assert_eq!(hours.is_open(day, t), open, "{day:?} {t}");
        check(Weekday::Monday, time(8, 29, 59, 0), false);
        check(Weekday::Monday, time(8, 30, 0, 0), true);
        check(Weekday::Monday, time(12, 30, 0, 0), false);
        check(Weekday::Monday, time(15, 0, 0, 0), true);
        check(Weekday::Tuesday, time(10, 0, 0, 0), false);
        assert!(WeeklyHours::always().is_open(Weekday::Sunday, time(23, 59, 59, 0)));
    }

    #[test]
    fn unknown_days_are_refused() {
        assert!(serde_json::from_str::<WeeklyHours>(r#"{"monday": []}"#).is_err());
    }
}
