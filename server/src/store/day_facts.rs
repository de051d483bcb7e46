//! Packed facts of closed office days: the rows the statistics count (tickets, visits without a
//! ticket, ratings), read once from their tables when the day is over and kept as fixed-size records,
//! so that a year's statistics read a few hundred records blobs instead of a million rows. Triggers
//! delete a day's facts whenever one of its rows changes; the next maintenance pass packs it again.

use rusqlite::{Connection, OptionalExtension, params};
use turno_shared::domain::{BadReason, Code, Rating, TicketState};
use turno_shared::stats::{RatingRow, TicketRow, WalkInRow};

use super::stats::{self as rows, Filter, LocalTime};
use crate::error::{Error, Result};

/// The records' layout; facts packed in another layout are ignored and packed again.
pub const FORMAT: i64 = 1;

const TICKET_LEN: usize = 28;
const WALK_IN_LEN: usize = 20;
const RATING_LEN: usize = 16;
const NONE32: u32 = u32::MAX;
const NONE16: u16 = u16::MAX;

/// A day's rows packed: three record arrays and the outcome codes their records point to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Packed {
    pub codes: Vec<String>,
    pub tickets: Vec<u8>,
    pub walk_ins: Vec<u8>,
    pub ratings: Vec<u8>,
}

/// An id as four bytes: ids are SQLite row ids, small in practice; a day holding one that does not
/// fit is simply not packed (its rows are then always read from the tables).
fn id32(id: i64) -> Option<u32> {
    u32::try_from(id).ok().filter(|&v| v != NONE32)
}

fn opt_id32(id: Option<i64>) -> Option<u32> {
    match id {
        None => Some(NONE32),
        Some(id) => id32(id),
    }
}

fn index_of<T: PartialEq>(all: &[T], v: &T) -> u8 {
    all.iter().position(|x| x == v).unwrap_or(0) as u8
}

impl Packed {
    fn code(&mut self, code: &Code) -> Option<u16> {
        let i = match self.codes.iter().position(|c| c == code.as_str()) {
            Some(i) => i,
            None => {
                self.codes.push(code.as_str().to_owned());
                self.codes.len() - 1
            }
        };
        u16::try_from(i).ok().filter(|&i| i != NONE16)
    }

    /// Appends a ticket; `None` when one of its values does not fit its record.
    fn ticket(&mut self, t: &TicketRow) -> Option<()> {
        let outcome = match &t.outcome {
            Some(o) => self.code(o)?,
            None => NONE16,
        };
        let b = &mut self.tickets;
        b.extend_from_slice(&id32(t.service_id)?.to_le_bytes());
        b.extend_from_slice(&opt_id32(t.counter_id)?.to_le_bytes());
        b.extend_from_slice(&opt_id32(t.user_id)?.to_le_bytes());
        b.extend_from_slice(&[
            index_of(TicketState::ALL, &t.state),
            u8::from(t.priority),
            t.weekday,
            t.hour,
        ]);
        b.extend_from_slice(&t.wait_secs.unwrap_or(NONE32).to_le_bytes());
        b.extend_from_slice(&t.service_secs.unwrap_or(NONE32).to_le_bytes());
        b.extend_from_slice(&outcome.to_le_bytes());
        b.extend_from_slice(&u16::try_from(t.transfers).unwrap_or(u16::MAX).to_le_bytes());
        Some(())
    }

    fn walk_in(&mut self, w: &WalkInRow) -> Option<()> {
        let outcome = self.code(&w.outcome)?;
        let b = &mut self.walk_ins;
        b.extend_from_slice(&id32(w.service_id)?.to_le_bytes());
        b.extend_from_slice(&id32(w.counter_id)?.to_le_bytes());
        b.extend_from_slice(&id32(w.user_id)?.to_le_bytes());
        b.extend_from_slice(&[w.weekday, w.hour]);
        b.extend_from_slice(&w.service_secs.to_le_bytes());
        b.extend_from_slice(&outcome.to_le_bytes());
        Some(())
    }

    fn rating(&mut self, r: &RatingRow) -> Option<()> {
        let b = &mut self.ratings;
        b.extend_from_slice(&id32(r.service_id)?.to_le_bytes());
        b.extend_from_slice(&opt_id32(r.counter_id)?.to_le_bytes());
        b.extend_from_slice(&opt_id32(r.user_id)?.to_le_bytes());
        b.extend_from_slice(&[
            r.weekday,
            r.hour,
            index_of(Rating::ALL, &r.rating),
            r.reason.map_or(u8::MAX, |x| index_of(BadReason::ALL, &x)),
        ]);
        Some(())
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn opt(v: u32) -> Option<u32> {
    (v != NONE32).then_some(v)
}

fn opt_id(v: u32) -> Option<i64> {
    opt(v).map(i64::from)
}

/// Whether a row of service `service`, counter `counter` and clerk `user` passes the filter's ids.
fn passes(f: &Filter, service: i64, counter: Option<i64>, user: Option<i64>) -> bool {
    f.service_id.is_none_or(|s| s == service)
        && f.counter_id.is_none_or(|c| counter == Some(c))
        && f.user_id.is_none_or(|u| user == Some(u))
}

fn corrupt(day: &str, what: &str) -> Error {
    Error::internal(format!("the packed facts of {day} are damaged ({what})"))
}

/// What the statistics are handed, day by day.
pub trait Visitor {
    fn ticket(&mut self, t: &TicketRow);
    fn walk_in(&mut self, w: &WalkInRow);
    fn rating(&mut self, r: &RatingRow);
}

/// Hands the rows of the packed days from `f.from` to `f.to` that pass `f`'s ids to `v`, in day
/// order, as the tables would (each service's current target wait added to its tickets). Returns the
/// days it covered, in order: the caller reads the others from the tables.
pub fn replay(c: &Connection, f: &Filter, v: &mut impl Visitor) -> Result<Vec<String>> {
    let targets = rows::service_targets(c)?;
    let mut stmt = c.prepare_cached(
        "SELECT office_day, codes, tickets, walk_ins, ratings FROM day_facts
         WHERE office_day BETWEEN ?1 AND ?2 AND format = ?3 ORDER BY office_day",
    )?;
    let mut found = stmt.query(params![f.from, f.to, FORMAT])?;
    let mut covered = Vec::new();
    while let Some(r) = found.next()? {
        let day: String = r.get(0)?;
        let codes: Vec<Code> =
            serde_json::from_str::<Vec<String>>(r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?)
                .map_err(|_| corrupt(&day, "codes"))?
                .into_iter()
                .map(|s| s.parse().map_err(|_| corrupt(&day, "an outcome code")))
                .collect::<Result<_>>()?;
        let code = |i: u16| -> Result<Option<Code>> {
            match i {
                NONE16 => Ok(None),
                i => codes
                    .get(usize::from(i))
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| corrupt(&day, "a code")),
            }
        };

        let tickets = r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
        if tickets.len() % TICKET_LEN != 0 {
            return Err(corrupt(&day, "tickets"));
        }
        let mut t = TicketRow {
            office_day: day.clone(),
            service_id: 0,
            counter_id: None,
            user_id: None,
            state: TicketState::Done,
            priority: false,
            weekday: 1,
            hour: 0,
            wait_secs: None,
            service_secs: None,
            outcome: None,
            transfers: 0,
            target_wait_minutes: None,
        };
        let mut last_outcome = NONE16;
        for b in tickets.chunks_exact(TICKET_LEN) {
            let (service, counter, user) = (i64::from(u32_at(b, 0)), opt_id(u32_at(b, 4)), opt_id(u32_at(b, 8)));
            if !passes(f, service, counter, user) {
                continue;
            }
            t.service_id = service;
            t.counter_id = counter;
            t.user_id = user;
            t.state = *TicketState::ALL
                .get(usize::from(b[12]))
                .ok_or_else(|| corrupt(&day, "a state"))?;
            t.priority = b[13] != 0;
            t.weekday = b[14];
            t.hour = b[15];
            t.wait_secs = opt(u32_at(b, 16));
            t.service_secs = opt(u32_at(b, 20));
            // The code changes from row to row less often than it stays: clone it only then.
            let outcome = u16_at(b, 24);
            if outcome != last_outcome {
                t.outcome = code(outcome)?;
                last_outcome = outcome;
            }
            t.transfers = u32::from(u16_at(b, 26));
            t.target_wait_minutes = targets.get(&service).copied().flatten();
            v.ticket(&t);
        }

        let walk_ins = r.get_ref(3)?.as_blob().map_err(rusqlite::Error::from)?;
        if walk_ins.len() % WALK_IN_LEN != 0 {
            return Err(corrupt(&day, "visits without a ticket"));
        }
        for b in walk_ins.chunks_exact(WALK_IN_LEN) {
            let (service, counter, user) = (
                i64::from(u32_at(b, 0)),
                i64::from(u32_at(b, 4)),
                i64::from(u32_at(b, 8)),
            );
            if !passes(f, service, Some(counter), Some(user)) {
                continue;
            }
            v.walk_in(&WalkInRow {
                office_day: day.clone(),
                service_id: service,
                counter_id: counter,
                user_id: user,
                weekday: b[12],
                hour: b[13],
                service_secs: u32_at(b, 14),
                outcome: code(u16_at(b, 18))?.ok_or_else(|| corrupt(&day, "a visit's outcome"))?,
            });
        }

        let ratings = r.get_ref(4)?.as_blob().map_err(rusqlite::Error::from)?;
        if ratings.len() % RATING_LEN != 0 {
            return Err(corrupt(&day, "ratings"));
        }
        let mut rating = RatingRow {
            office_day: day.clone(),
            service_id: 0,
            counter_id: None,
            user_id: None,
            weekday: 1,
            hour: 0,
            rating: Rating::Good,
            reason: None,
        };
        for b in ratings.chunks_exact(RATING_LEN) {
            let (service, counter, user) = (i64::from(u32_at(b, 0)), opt_id(u32_at(b, 4)), opt_id(u32_at(b, 8)));
            if !passes(f, service, counter, user) {
                continue;
            }
            rating.service_id = service;
            rating.counter_id = counter;
            rating.user_id = user;
            rating.weekday = b[12];
            rating.hour = b[13];
            rating.rating = *Rating::ALL
                .get(usize::from(b[14]))
                .ok_or_else(|| corrupt(&day, "a rating"))?;
            rating.reason = match b[15] {
                u8::MAX => None,
                i => Some(
                    *BadReason::ALL
                        .get(usize::from(i))
                        .ok_or_else(|| corrupt(&day, "a reason"))?,
                ),
            };
            v.rating(&rating);
        }
        covered.push(day);
    }
    Ok(covered)
}

/// Packs the rows of office day `day` as the tables hold them now; `None` when the day still has
/// open tickets (its figures can still change) or a value that does not fit a record.
pub fn pack(c: &Connection, day: &str, local: &LocalTime) -> Result<Option<Packed>> {
    let f = Filter {
        from: day.to_owned(),
        to: day.to_owned(),
        ..Filter::default()
    };
    let mut p = Packed::default();
    let mut ok = true;
    rows::tickets(c, &f, local, |t| {
        ok &= !t.state.is_open() && p.ticket(&t).is_some();
    })?;
    rows::walk_ins(c, &f, local, |w| ok &= p.walk_in(&w).is_some())?;
    rows::ratings(c, &f, local, |r| ok &= p.rating(&r).is_some())?;
    Ok(ok.then_some(p))
}

/// Packs office day `day` and keeps its facts (on the writer: the rows read and the facts written
/// in one transaction, so no change can fall between them). Returns whether it was packed.
pub fn store(c: &Connection, day: &str, local: &LocalTime) -> Result<bool> {
    let Some(p) = pack(c, day, local)? else {
        return Ok(false);
    };
    c.prepare_cached(
        "INSERT INTO day_facts (office_day, format, codes, tickets, walk_ins, ratings) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (office_day) DO UPDATE SET format = excluded.format, codes = excluded.codes,
             tickets = excluded.tickets, walk_ins = excluded.walk_ins, ratings = excluded.ratings",
    )?
    .execute(params![
        day,
        FORMAT,
        serde_json::to_string(&p.codes).map_err(Error::internal)?,
        p.tickets,
        p.walk_ins,
        p.ratings
    ])?;
    Ok(true)
}

/// The office days before `today` (from the first day with a ticket or a visit without one) whose
/// facts are missing or packed in another layout, oldest first.
pub fn missing(c: &Connection, today: &str) -> Result<Vec<String>> {
    let first: Option<String> = c.query_row(
        "SELECT min(d) FROM (SELECT (SELECT min(office_day) FROM tickets) AS d
                             UNION ALL SELECT (SELECT min(office_day) FROM walk_ins))",
        [],
        |r| r.get(0),
    )?;
    let Some(first) = first.and_then(|d| d.parse::<jiff::civil::Date>().ok()) else {
        return Ok(Vec::new());
    };
    let Ok(today) = today.parse::<jiff::civil::Date>() else {
        return Ok(Vec::new());
    };
    let mut packed = c.prepare_cached("SELECT 1 FROM day_facts WHERE office_day = ?1 AND format = ?2")?;
    let mut out = Vec::new();
    let mut day = first;
    while day < today {
        let d = day.to_string();
        if packed.query_row(params![d, FORMAT], |_| Ok(())).optional()?.is_none() {
            out.push(d);
        }
        day = day.tomorrow().map_err(Error::internal)?;
    }
    Ok(out)
}
