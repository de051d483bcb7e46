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

/// What a citizen types or scans to rate a visit: the ticket's number and five check characters that
/// cannot be guessed from the number (25 bits), written `A012-7K3MX`. At most ten keypad presses.
/// The server derives the check from the ticket's secret token; this type only carries and compares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RatingCode {
    number: TicketNumber,
    check: [u8; RatingCode::CHECK_LEN],
}

impl RatingCode {
    /// Check characters after the number.
    pub const CHECK_LEN: usize = 5;
    /// Crockford's base 32: the digits and the capitals without I, L, O and U, so that nothing reads as
    /// something else. When parsing, I and L are read as 1 and O as 0.
    pub const ALPHABET: &'static [u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// The code of `number` whose check carries the low 25 bits of `bits`.
    pub fn new(number: TicketNumber, bits: u32) -> Self {
        let mut check = [0u8; Self::CHECK_LEN];
        for (i, c) in check.iter_mut().enumerate() {
            let shift = 5 * (Self::CHECK_LEN - 1 - i);
            *c = Self::ALPHABET[((bits >> shift) & 31) as usize];
        }
        Self { number, check }
    }

    pub fn number(&self) -> TicketNumber {
        self.number
    }

    /// The check characters, `7K3MX`.
    pub fn check(&self) -> &str {
        std::str::from_utf8(&self.check).expect("the alphabet is ASCII")
    }

    /// Whether both codes are the same, comparing the checks in constant time.
    pub fn matches(&self, other: &RatingCode) -> bool {
        let diff = self
            .check
            .iter()
            .zip(other.check)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0 && self.number == other.number
    }
}

impl fmt::Display for RatingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.number, self.check())
    }
}

impl FromStr for RatingCode {
    type Err = InvalidValue;
    /// Accepts what a citizen types or a scanner sends: `A012-7K3MX`, `a0127k3mx`, `A12 7K3MX`. A dash
    /// separates the number from the check; without one, the check is the last five characters.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidValue(format!("{s:?} is not a rating code like A012-7K3MX"));
        let compact = |part: &str| -> Vec<char> {
            part.chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect()
        };
        let (number, check_chars) = match s.split_once('-') {
            Some((number, check)) => (compact(number), compact(check)),
            None => {
                let mut all = compact(s);
                let check = all.split_off(all.len().saturating_sub(Self::CHECK_LEN));
                (all, check)
            }
        };
        if number.is_empty() || check_chars.len() != Self::CHECK_LEN {
            return Err(bad());
        }
        let number: TicketNumber = number.iter().collect::<String>().parse().map_err(|_| bad())?;
        let mut check = [0u8; Self::CHECK_LEN];
        for (slot, &c) in check.iter_mut().zip(&check_chars) {
            let c = match c {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            if !c.is_ascii() || !Self::ALPHABET.contains(&(c as u8)) {
                return Err(bad());
            }
            *slot = c as u8;
        }
        Ok(Self { number, check })
    }
}

impl TryFrom<String> for RatingCode {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<RatingCode> for String {
    fn from(c: RatingCode) -> String {
        c.to_string()
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
string_schema!(
    RatingCode,
    "^[A-Z]([1-9][0-9]{2,3}|0[1-9][0-9]{1,2}|00[1-9][0-9]?|000[1-9])-[0-9A-HJKMNP-TV-Z]{5}$"
);

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

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok($name::$variant),)+
                    _ => Err($crate::domain::InvalidValue(format!(
                        concat!("{:?} is not a valid ", stringify!($name), "; expected one of: {}"),
                        s,
                        [$($s),+].join(", ")
                    ))),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
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
    /// Why a counter is paused: the statistics count the time by reason.
    PauseReason {
        /// A break (coffee, lunch).
        Break = "break",
        /// Work for the back office away from the public.
        BackOffice = "back_office",
        /// A technical problem (PC, printer, network).
        Technical = "technical",
        Other = "other",
    }
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
    fn rating_codes_carry_25_bits_and_read_what_citizens_type() {
        let number: TicketNumber = "A012".parse().unwrap();
        let code = RatingCode::new(number, 0x1ff_ffff);
        assert_eq!(code.to_string(), "A012-ZZZZZ");
        assert_eq!(RatingCode::new(number, 0).check(), "00000");
        // Every bit of the 25 changes the check; the 26th does not.
        for bit in 0..25 {
            assert_ne!(
                RatingCode::new(number, 1 << bit),
                RatingCode::new(number, 0),
                "bit {bit}"
            );
        }
        assert_eq!(RatingCode::new(number, 1 << 25), RatingCode::new(number, 0));
        let typed = RatingCode::new(number, 0b00111_10100_00011_10011_11101);
        assert_eq!(typed.to_string(), "A012-7M3KX");
        for input in ["A012-7M3KX", "a0127m3kx", " A12 7M3KX ", "A0012-7M3KX"] {
            let parsed: RatingCode = input.parse().unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert!(parsed.matches(&typed), "{input:?}");
        }
        // I, L and O are read as the digits they look like.
        let ones = RatingCode::new(number, 0b00001_00001_00000_00000_00001);
        assert!("A012-1L0O1".parse::<RatingCode>().unwrap().matches(&ones));
        assert!("A012-II001".parse::<RatingCode>().unwrap().matches(&ones));
        for wrong in [
            "A012",
            "A1",
            "A012-7M3K",
            "A012-7M3KU",
            "0127M3KX",
            "A012-7M3K!",
            "A12345-7M3KX",
            "",
            "A012-7M3KX-1",
            "-7M3KX",
        ] {
            assert!(wrong.parse::<RatingCode>().is_err(), "{wrong:?}");
        }
        assert!(!"A012-7M3KY".parse::<RatingCode>().unwrap().matches(&typed));
        // Without a dash the check is the last five: a character left out makes another number.
        assert!(!"A0127M3K".parse::<RatingCode>().unwrap().matches(&typed));
        assert!(!"A013-7M3KX".parse::<RatingCode>().unwrap().matches(&typed));
        assert_eq!(serde_json::to_string(&typed).unwrap(), "\"A012-7M3KX\"");
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
