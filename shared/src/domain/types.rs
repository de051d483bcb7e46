//! Value types that cannot hold a wrong value: service prefixes, ticket numbers, codes, ratings, roles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A value that failed validation, with a message fit for the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// The letter that starts every number of a service (`A` in `A001`): one ASCII capital letter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Za-z]$", example = "A")]
pub struct ServicePrefix(char);

impl ServicePrefix {
    pub fn new(c: char) -> Result<Self, InvalidValue> {
        let c = c.to_ascii_uppercase();
        if c.is_ascii_uppercase() {
            Ok(Self(c))
        } else {
            Err(InvalidValue(format!(
                "a service prefix is one letter from A to Z, not {c:?}"
            )))
        }
    }

    pub fn as_char(self) -> char {
        self.0
    }
}

impl FromStr for ServicePrefix {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Self::new(c),
            _ => Err(InvalidValue(format!(
                "a service prefix is one letter from A to Z, not {s:?}"
            ))),
        }
    }
}

impl TryFrom<String> for ServicePrefix {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ServicePrefix> for String {
    fn from(p: ServicePrefix) -> String {
        p.0.to_string()
    }
}

impl fmt::Display for ServicePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A ticket number as printed and called: the service prefix and the day's sequence, `A001`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketNumber {
    prefix: ServicePrefix,
    seq: u32,
}

impl TicketNumber {
    /// The highest sequence a service can reach in one office day.
    pub const MAX_SEQ: u32 = 9999;

    pub fn new(prefix: ServicePrefix, seq: u32) -> Result<Self, InvalidValue> {
        if (1..=Self::MAX_SEQ).contains(&seq) {
            Ok(Self { prefix, seq })
        } else {
            Err(InvalidValue(format!(
                "a ticket's sequence runs from 1 to {}, not {seq}",
                Self::MAX_SEQ
            )))
        }
    }

    pub fn prefix(self) -> ServicePrefix {
        self.prefix
    }

    pub fn seq(self) -> u32 {
        self.seq
    }
}

impl fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:03}", self.prefix, self.seq)
    }
}

impl FromStr for TicketNumber {
    type Err = InvalidValue;
    /// Accepts what a citizen types: `A001`, `a1`, ` A 12 `.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || InvalidValue(format!("{s:?} is not a ticket number like A001"));
        let mut chars = compact.chars();
        let prefix = ServicePrefix::new(chars.next().ok_or_else(bad)?).map_err(|_| bad())?;
        let digits = chars.as_str();
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let seq: u32 = digits.parse().map_err(|_| bad())?;
        Self::new(prefix, seq).map_err(|_| bad())
    }
}

impl TryFrom<String> for TicketNumber {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TicketNumber> for String {
    fn from(n: TicketNumber) -> String {
        n.to_string()
    }
}

/// Documents a type that travels as a string in the OpenAPI document.
macro_rules! string_schema {
    ($name:ty, $pattern:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use string_schema;

string_schema!(TicketNumber, "^[A-Z][0-9]{3,4}$");

/// A short machine code (service code, outcome code, username): 1–32 of `a-z 0-9 _ -`, lower case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[a-z0-9_-]{1,32}$", example = "anagrafe")]
pub struct Code(String);

impl Code {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Code {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidValue(format!(
                "{s:?} is not a valid code: use 1 to 32 lower-case letters, digits, '_' or '-'"
            )))
        }
    }
}

impl TryFrom<String> for Code {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Code> for String {
    fn from(c: Code) -> String {
        c.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Macro-free string mapping for the small enums below, shared by SQL, URLs and logs.
macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok($name::$variant),)+
                    _ => Err(InvalidValue(format!(
                        concat!("{:?} is not a valid ", stringify!($name), "; expected one of: {}"),
                        s,
                        [$($s),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use str_enum;

str_enum! {
    /// The ticket's class: `priority` is the Italian *precedenza* (people with disabilities,
    /// pregnant women, and others the law names).
    Priority { Normal = "normal", Priority = "priority" }
}

str_enum! {
    /// The three faces of the Italian PA's "Mettiamoci la faccia".
    Rating { Good = "good", Neutral = "neutral", Bad = "bad" }
}

str_enum! {
    /// Why a visit was rated bad: one of a fixed list of four.
    BadReason {
        WaitingTime = "waiting_time",
        StaffCourtesy = "staff_courtesy",
        UnclearInformation = "unclear_information",
        ProblemNotSolved = "problem_not_solved",
    }
}

str_enum! {
    /// What a person may do: clerks serve at a counter, admins run the back office.
    Role { Clerk = "clerk", Admin = "admin" }
}

str_enum! {
    /// What a device token is for.
    DeviceKind { Kiosk = "kiosk", Display = "display" }
}

/// A rating with its optional reason, checked: a reason goes only with a bad rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RatingInput {
    rating: Rating,
    reason: Option<BadReason>,
}

impl RatingInput {
    pub fn new(rating: Rating, reason: Option<BadReason>) -> Result<Self, InvalidValue> {
        if reason.is_some() && rating != Rating::Bad {
            return Err(InvalidValue("a reason can be given only with a bad rating".to_owned()));
        }
        Ok(Self { rating, reason })
    }

    pub fn rating(self) -> Rating {
        self.rating
    }

    pub fn reason(self) -> Option<BadReason> {
        self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_numbers_parse_what_citizens_type() {
        let check = |input: &str, expected: Option<&str>| {
            let got = input.parse::<TicketNumber>().ok().map(|n| n.to_string());
            assert_eq!(got.as_deref(), expected, "input {input:?}");
        };
        check("A001", Some("A001"));
        check("a1", Some("A001"));
        check(" B 12 ", Some("B012"));
        check("Z9999", Some("Z9999"));
        check("C1234", Some("C1234"));
        check("A0", None);
        check("A10000", None);
        check("1A", None);
        check("", None);
        check("AB1", None);
        check("À1", None);
    }

    #[test]
    fn codes_are_short_lower_case_words() {
        assert!("anagrafe".parse::<Code>().is_ok());
        assert!("cie_rilascio-2".parse::<Code>().is_ok());
        assert!("".parse::<Code>().is_err());
        assert!("Anagrafe".parse::<Code>().is_err());
        assert!("a b".parse::<Code>().is_err());
        assert!("x".repeat(33).parse::<Code>().is_err());
    }

    #[test]
    fn a_reason_goes_only_with_a_bad_rating() {
        assert!(RatingInput::new(Rating::Bad, Some(BadReason::WaitingTime)).is_ok());
        assert!(RatingInput::new(Rating::Bad, None).is_ok());
        assert!(RatingInput::new(Rating::Good, Some(BadReason::WaitingTime)).is_err());
        assert!(RatingInput::new(Rating::Neutral, None).is_ok());
    }

    #[test]
    fn enums_round_trip_through_their_names() {
        for r in Rating::ALL {
            assert_eq!(r.as_str().parse::<Rating>().unwrap(), *r);
        }
        assert!("excellent".parse::<Rating>().is_err());
        assert_eq!(
            serde_json::to_string(&BadReason::ProblemNotSolved).unwrap(),
            "\"problem_not_solved\""
        );
    }
}
