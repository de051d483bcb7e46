//! A real office's days as the wait predictors' event log (`turno_sim::log`), so that an office can
//! measure the predictors on its own history: `turno-server eta-eval --from … --to …`.
//!
//! What the database does not keep is taken from today's settings: the services each counter served
//! (its preferences now), the services' targets and hours, the call policy. A transfer's target
//! counter is not in the ticket's history and is left out.

use std::collections::BTreeMap;

use jiff::civil::Date;
use turno_sim::log::{Event, Kind};

use crate::error::{Error, Result};
use crate::office::Office;
use crate::store::{eta, office as cfg};

/// The log of office days `from` to `to`.
pub fn office_log(c: &rusqlite::Connection, office: &Office, from: Date, to: Date) -> Result<Vec<Event>> {
    if to < from {
        return Err(Error::invalid("--to comes before --from"));
    }
    let services = cfg::list_services(c)?;
    let counters = cfg::list_counters(c)?;
    let midnight = |d: Date| -> Result<i64> {
        Ok(d.to_zoned(office.tz.clone())
            .map_err(Error::internal)?
            .timestamp()
            .as_millisecond())
    };
    let mut events: Vec<Event> = Vec::new();
    let mut closes: Vec<Event> = Vec::new();
    // Each day opens with the policy, the services and the moments they stop issuing tickets.
    let mut day = from;
    while day <= to {
        let date = day.to_string();
        let start = midnight(day)?;
        let mut e = Event::new(&date, start, Kind::Policy);
        e.detail = office.policy.priority_ratio.to_string();
        events.push(e);
        for s in services.iter().filter(|s| s.config.active) {
            let mut e = Event::new(&date, start, Kind::Service);
            e.service = Some(s.id);
            e.detail = s.config.target_wait_minutes.map(|t| t.to_string()).unwrap_or_default();
            events.push(e);
            // From each opening range's start, tickets come until its end.
            for range in s.config.hours.day(day.weekday()) {
                let zoned = |t| day.to_datetime(t).to_zoned(office.tz.clone()).map_err(Error::internal);
                let (open, close) = (zoned(range.open())?, zoned(range.close())?);
                let mut e = Event::new(&date, open.timestamp().as_millisecond(), Kind::Closes);
                e.service = Some(s.id);
                e.detail = close.timestamp().to_string();
                events.push(e);
            }
        }
        day = day.tomorrow().map_err(Error::internal)?;
    }
    let day_of = |ms: i64| -> Result<String> {
        let t = jiff::Timestamp::from_millisecond(ms).map_err(Error::internal)?;
        Ok(office.local(t).date().to_string())
    };
    for (at, kind, counter) in
        eta::counter_steps(c, midnight(from)?, midnight(to.tomorrow().map_err(Error::internal)?)?)?
    {
        let kind = match kind.as_str() {
            "open" => Kind::CounterOpen,
            "pause" => Kind::CounterPause,
            "resume" => Kind::CounterResume,
            _ => Kind::CounterClose,
        };
        let mut e = Event::new(&day_of(at)?, at, kind);
        e.counter = Some(counter);
        if kind == Kind::CounterOpen {
            let served = counters
                .iter()
                .find(|k| k.id == counter)
                .map(|k| k.config.services.clone());
            let served = served.unwrap_or_default();
            if served.is_empty() {
                continue;
            }
            e.detail = served.iter().map(i64::to_string).collect::<Vec<_>>().join(";");
        }
        events.push(e);
    }
    let mut steps: Vec<Event> = Vec::new();
    for s in eta::ticket_steps(c, &from.to_string(), &to.to_string())? {
        let kind = match s.action.as_str() {
            "issue" => Kind::Issue,
            "call" => Kind::Call,
            "start" => Kind::Start,
            "finish" => Kind::Finish,
            "no_show" => Kind::NoShow,
            "return" => Kind::Requeue,
            "transfer" => Kind::Transfer,
            "cancel" | "expire" => Kind::Expire,
            _ => continue,
        };
        let mut e = Event::new(&s.office_day, s.at, kind);
        e.ticket = Some(s.ticket_id);
        e.counter = s.counter_id;
        e.priority = s.priority;
        if matches!(kind, Kind::Issue | Kind::Transfer) {
            e.service = Some(s.service_id);
        }
        steps.push(e);
    }
    // Days without the clerks' steps (generated history, data from before they were kept): each
    // counter that called that day is taken as open from the day's first ticket to its last step.
    let mut by_day: BTreeMap<&str, (i64, BTreeMap<i64, i64>)> = BTreeMap::new();
    for e in &steps {
        let (first, counters) = by_day.entry(e.day.as_str()).or_insert((e.at_ms, BTreeMap::new()));
        *first = (*first).min(e.at_ms);
        if let Some(k) = e.counter {
            let last = counters.entry(k).or_insert(e.at_ms);
            *last = (*last).max(e.at_ms);
        }
    }
    for (day, (first, used)) in &by_day {
        if events.iter().any(|e| e.day == *day && e.kind == Kind::CounterOpen) {
            continue;
        }
        for (&counter, &last) in used {
            let Some(k) = counters.iter().find(|k| k.id == counter) else {
                continue;
            };
            if k.config.services.is_empty() {
                continue;
            }
            let mut e = Event::new(day, *first, Kind::CounterOpen);
            e.counter = Some(counter);
            e.detail = k
                .config
                .services
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(";");
            events.push(e);
            let mut e = Event::new(day, last, Kind::CounterClose);
            e.counter = Some(counter);
            closes.push(e);
        }
    }
    events.extend(steps);
    events.extend(closes);
    events.sort_by_key(|e| e.at_ms);
    Ok(events)
}
