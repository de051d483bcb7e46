//! The event log: what happened in an office, one CSV row per ticket or counter event, in time
//! order. The simulator writes it, an office's database can be exported as it, and the replay
//! evaluator reads it. Columns (header required, in this order):
//!
//! `day,at,event,ticket,service,counter,priority,detail`
//!
//! - `day`: the office day, `YYYY-MM-DD`; `at`: the moment, RFC 3339 (`2026-03-02T08:31:12.250Z`);
//! - `event` and what it uses:
//!   - `policy` — `detail`: the priority ratio (urgent calls in a row before a normal one);
//!   - `service` — `service`; `detail`: its target wait in minutes, or empty for none;
//!   - `closes` — `service`; `detail`: the moment (RFC 3339) it stops issuing tickets that day;
//!   - `counter_open` — `counter`; `detail`: the service ids it serves in order of preference,
//!     separated by `;`;
//!   - `counter_pause`, `counter_resume`, `counter_close` — `counter`;
//!   - `issue` — `ticket`, `service`, `priority` (`1` or `0`);
//!   - `call`, `start`, `finish`, `no_show` — `ticket`, `counter`;
//!   - `requeue` (back in the queue, in its place) — `ticket`; `counter`: the counter it leaves, if any;
//!   - `transfer` — `ticket`; `counter`: the counter it leaves, if any; `service`: its new service;
//!     `detail`: the counter it is sent to, or empty;
//!   - `expire` — `ticket`: closed without being served (cancelled, or at the end of the day);
//!     `counter`: the counter it leaves, if it was at one.
//!
//! Ids are whole numbers; empty cells are absent values.

use std::io::{Read, Write};

use jiff::Timestamp;

use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Policy,
    Service,
    Closes,
    CounterOpen,
    CounterPause,
    CounterResume,
    CounterClose,
    Issue,
    Call,
    Start,
    Finish,
    NoShow,
    Requeue,
    Transfer,
    Expire,
}

impl Kind {
    const ALL: [Kind; 15] = [
        Kind::Policy,
        Kind::Service,
        Kind::Closes,
        Kind::CounterOpen,
        Kind::CounterPause,
        Kind::CounterResume,
        Kind::CounterClose,
        Kind::Issue,
        Kind::Call,
        Kind::Start,
        Kind::Finish,
        Kind::NoShow,
        Kind::Requeue,
        Kind::Transfer,
        Kind::Expire,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Service => "service",
            Kind::Closes => "closes",
            Kind::CounterOpen => "counter_open",
            Kind::CounterPause => "counter_pause",
            Kind::CounterResume => "counter_resume",
            Kind::CounterClose => "counter_close",
            Kind::Issue => "issue",
            Kind::Call => "call",
            Kind::Start => "start",
            Kind::Finish => "finish",
            Kind::NoShow => "no_show",
            Kind::Requeue => "requeue",
            Kind::Transfer => "transfer",
            Kind::Expire => "expire",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One row of the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub day: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub kind: Kind,
    pub ticket: Option<i64>,
    pub service: Option<i64>,
    pub counter: Option<i64>,
    pub priority: bool,
    pub detail: String,
}

impl Event {
    pub fn new(day: &str, at_ms: i64, kind: Kind) -> Event {
        Event {
            day: day.to_owned(),
            at_ms,
            kind,
            ticket: None,
            service: None,
            counter: None,
            priority: false,
            detail: String::new(),
        }
    }
}

pub const HEADER: [&str; 8] = [
    "day", "at", "event", "ticket", "service", "counter", "priority", "detail",
];

/// Writes events as the log's CSV.
pub fn write(events: &[Event], out: impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| Error::new(format!("writing the log: {e}"));
    w.write_record(HEADER).map_err(io)?;
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for e in events {
        let at = Timestamp::from_millisecond(e.at_ms)
            .map_err(|err| Error::new(format!("time {} out of range: {err}", e.at_ms)))?;
        w.write_record([
            e.day.as_str(),
            &format!("{at:.3}"),
            e.kind.as_str(),
            &opt(e.ticket),
            &opt(e.service),
            &opt(e.counter),
            if e.priority { "1" } else { "0" },
            &e.detail,
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|e| Error::new(format!("writing the log: {e}")))
}

/// Reads a log's CSV, checking every row; errors name the line.
pub fn read(input: impl Read) -> Result<Vec<Event>> {
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
    let header = r.headers().map_err(|e| Error::new(format!("the log's header: {e}")))?;
    if header.iter().map(str::trim).ne(HEADER) {
        return Err(Error::new(format!(
            "the log's header must be `{}`, found `{}`",
            HEADER.join(","),
            header.iter().collect::<Vec<_>>().join(",")
        )));
    }
    let mut out: Vec<Event> = Vec::new();
    for (i, row) in r.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| Error::new(format!("line {line}: {e}")))?;
        let event = parse_row(&row).map_err(|e| Error::new(format!("line {line}: {e}")))?;
        if let Some(prev) = out.last()
            && event.at_ms < prev.at_ms
        {
            return Err(Error::new(format!(
                "line {line}: events must be in time order, this one is earlier than the line before"
            )));
        }
        out.push(event);
    }
    Ok(out)
}

fn parse_row(row: &csv::StringRecord) -> std::result::Result<Event, String> {
    if row.len() != HEADER.len() {
        return Err(format!("{} fields, expected {}", row.len(), HEADER.len()));
    }
    let f = |i: usize| row[i].trim();
    let day = f(0);
    day.parse::<jiff::civil::Date>()
        .map_err(|_| format!("day {day:?} is not a date like 2026-03-02"))?;
    let at: Timestamp = f(1)
        .parse()
        .map_err(|_| format!("at {:?} is not a moment like 2026-03-02T08:30:00Z", f(1)))?;
    let kind = Kind::parse(f(2)).ok_or_else(|| format!("unknown event {:?}", f(2)))?;
    let id = |i: usize| -> std::result::Result<Option<i64>, String> {
        match f(i) {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| format!("{} {v:?} is not a whole number", HEADER[i])),
        }
    };
    let priority = match f(6) {
        "" | "0" => false,
        "1" => true,
        v => return Err(format!("priority {v:?} must be 1 or 0")),
    };
    let e = Event {
        day: day.to_owned(),
        at_ms: at.as_millisecond(),
        kind,
        ticket: id(3)?,
        service: id(4)?,
        counter: id(5)?,
        priority,
        detail: f(7).to_owned(),
    };
    let need = |what: &str, v: Option<i64>| v.map(|_| ()).ok_or_else(|| format!("{} needs a {what}", kind.as_str()));
    match kind {
        Kind::Policy => {
            e.detail
                .parse::<u32>()
                .map_err(|_| format!("policy's detail {:?} must be the priority ratio", e.detail))?;
        }
        Kind::Service => {
            need("service", e.service)?;
            if !e.detail.is_empty() {
                e.detail
                    .parse::<u32>()
                    .map_err(|_| format!("service's detail {:?} must be its target wait in minutes", e.detail))?;
            }
        }
        Kind::Closes => {
            need("service", e.service)?;
            e.detail.parse::<Timestamp>().map_err(|_| {
                format!(
                    "closes' detail {:?} must be a moment like 2026-03-02T12:30:00Z",
                    e.detail
                )
            })?;
        }
        Kind::CounterOpen => {
            need("counter", e.counter)?;
            counter_services(&e.detail)?;
        }
        Kind::CounterPause | Kind::CounterResume | Kind::CounterClose => need("counter", e.counter)?,
        Kind::Issue => {
            need("ticket", e.ticket)?;
            need("service", e.service)?;
        }
        Kind::Requeue => need("ticket", e.ticket)?,
        Kind::Call | Kind::Start | Kind::Finish | Kind::NoShow => {
            need("ticket", e.ticket)?;
            need("counter", e.counter)?;
        }
        Kind::Transfer => {
            need("ticket", e.ticket)?;
            need("service", e.service)?;
            if !e.detail.is_empty() {
                e.detail
                    .parse::<i64>()
                    .map_err(|_| format!("transfer's detail {:?} must be a counter id", e.detail))?;
            }
        }
        Kind::Expire => need("ticket", e.ticket)?,
    }
    Ok(e)
}

/// The services of a `counter_open` row's detail.
pub fn counter_services(detail: &str) -> std::result::Result<Vec<i64>, String> {
    if detail.is_empty() {
        return Err("counter_open's detail must list the service ids it serves, like 1;2".into());
    }
    detail
        .split(';')
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| format!("counter_open's detail {detail:?}: {s:?} is not a service id"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "day,at,event,ticket,service,counter,priority,detail\n";

    fn error_of(body: &str) -> String {
        read(format!("{HEAD}{body}").as_bytes()).unwrap_err().0
    }

    #[test]
    fn round_trip() {
        let mut issue = Event::new("2026-03-02", 1_772_440_200_250, Kind::Issue);
        issue.ticket = Some(1);
        issue.service = Some(2);
        issue.priority = true;
        let mut open = Event::new("2026-03-02", 1_772_440_200_250, Kind::CounterOpen);
        open.counter = Some(3);
        open.detail = "2;1".into();
        let mut out = Vec::new();
        write(&[open.clone(), issue.clone()], &mut out).unwrap();
        assert_eq!(read(out.as_slice()).unwrap(), vec![open, issue]);
    }

    #[test]
    fn malformed_logs_are_refused_with_the_line() {
        assert!(read("a,b\n".as_bytes()).unwrap_err().0.contains("header"));
        let e = error_of("2026-03-02,2026-03-02T08:30:00Z,issue,1,,,0,\n");
        assert!(e.starts_with("line 2") && e.contains("service"), "{e}");
        let e = error_of("2026-03-02,yesterday,issue,1,1,,0,\n");
        assert!(e.contains("yesterday"), "{e}");
        let e = error_of("2026-03-02,2026-03-02T08:30:00Z,teleport,1,1,,0,\n");
        assert!(e.contains("teleport"), "{e}");
        let e = error_of("2026-03-02,2026-03-02T08:30:00Z,issue,x,1,,0,\n");
        assert!(e.contains("\"x\""), "{e}");
        let e = error_of("2026-03-02,2026-03-02T08:30:00Z,counter_open,,,1,0,a;b\n");
        assert!(e.contains("service id"), "{e}");
        let e =
            error_of("2026-03-02,2026-03-02T08:30:00Z,issue,1,1,,0,\n2026-03-02,2026-03-02T08:29:00Z,issue,2,1,,0,\n");
        assert!(e.starts_with("line 3") && e.contains("time order"), "{e}");
        let e = error_of("2026-03-02,2026-03-02T08:30:00Z,issue,1,1\n");
        assert!(e.starts_with("line 2"), "{e}");
    }
}
