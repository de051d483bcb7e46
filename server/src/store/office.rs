//! SQL for the office's configuration and people: services, counters, users, devices, login tokens,
//! counter sessions and printer alerts.

use jiff::Timestamp;
use rusqlite::{Connection, Row, named_params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use turno_shared::api::{
    ClosedDay, Counter, CounterInput, Device, ErrorCode, Form, Localized, Notice, NoticeInput, Outcome, Pause,
    PrinterAlert, PrinterStatus, REFERENCE_LANGUAGE, Service, ServiceInput, User,
};
use turno_shared::domain::{DeviceKind, Role, ServicePrefix, WeeklyHours};

use super::{is_unique_violation, optional};
use crate::error::{Error, Result};

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(Error::internal)
}

pub(crate) fn from_json<T: DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

pub(crate) fn parse<T: std::str::FromStr>(s: &str) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse()
        .map_err(|e: T::Err| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

pub(crate) fn ts(ms: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, e.into()))
}

fn unique_or(e: rusqlite::Error, message: impl FnOnce() -> String) -> Error {
    if is_unique_violation(&e) {
        Error::conflict(ErrorCode::AlreadyExists, message())
    } else {
        e.into()
    }
}

// ----- services -----

const SERVICE_COLUMNS: &str =
    "id, code, prefix, name, info, documents, outcomes, target_wait_minutes, daily_cap, hours, active, closed_days";

fn service_row(r: &Row<'_>) -> rusqlite::Result<Service> {
    Ok(Service {
        id: r.get(0)?,
        config: ServiceInput {
            code: parse(&r.get::<_, String>(1)?)?,
            prefix: parse(&r.get::<_, String>(2)?)?,
            name: from_json(&r.get::<_, String>(3)?)?,
            info: from_json(&r.get::<_, String>(4)?)?,
            documents: from_json(&r.get::<_, String>(5)?)?,
            outcomes: from_json(&r.get::<_, String>(6)?)?,
            target_wait_minutes: r.get(7)?,
            daily_cap: r.get(8)?,
            hours: from_json(&r.get::<_, String>(9)?)?,
            active: r.get(10)?,
            closed_days: from_json(&r.get::<_, String>(11)?)?,
        },
    })
}

pub fn list_services(c: &Connection) -> Result<Vec<Service>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {SERVICE_COLUMNS} FROM services ORDER BY id"))?;
    let rows = stmt.query_map([], service_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_service(c: &Connection, id: i64) -> Result<Option<Service>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {SERVICE_COLUMNS} FROM services WHERE id = ?1"))?;
    optional(stmt.query_row([id], service_row))
}

fn service_params(s: &ServiceInput) -> Result<[String; 6]> {
    Ok([
        s.code.to_string(),
        s.prefix.to_string(),
        json(&s.name)?,
        json(&s.info)?,
        json(&s.documents)?,
        json(&s.outcomes)?,
    ])
}

pub fn insert_service(c: &Connection, s: &ServiceInput) -> Result<i64> {
    let [code, prefix, name, info, documents, outcomes] = service_params(s)?;
    c.prepare_cached(
        "INSERT INTO services (code, prefix, name, info, documents, outcomes, target_wait_minutes, daily_cap, hours,
         active, closed_days)
         VALUES (:code, :prefix, :name, :info, :documents, :outcomes, :target, :cap, :hours, :active, :closed)",
    )?
    .execute(named_params! {
        ":code": code, ":prefix": prefix, ":name": name, ":info": info, ":documents": documents,
        ":outcomes": outcomes, ":target": s.target_wait_minutes, ":cap": s.daily_cap,
        ":hours": json(&s.hours)?, ":active": s.active, ":closed": json(&s.closed_days)?,
    })
    .map_err(|e| {
        unique_or(e, || {
            format!("a service with code {} or prefix {} already exists", s.code, s.prefix)
        })
    })?;
    Ok(c.last_insert_rowid())
}

/// Returns whether the service existed.
pub fn update_service(c: &Connection, id: i64, s: &ServiceInput) -> Result<bool> {
    let [code, prefix, name, info, documents, outcomes] = service_params(s)?;
    let n = c
        .prepare_cached(
            "UPDATE services SET code = :code, prefix = :prefix, name = :name, info = :info, documents = :documents,
             outcomes = :outcomes, target_wait_minutes = :target, daily_cap = :cap, hours = :hours, active = :active,
             closed_days = :closed WHERE id = :id",
        )?
        .execute(named_params! {
            ":id": id, ":code": code, ":prefix": prefix, ":name": name, ":info": info, ":documents": documents,
            ":outcomes": outcomes, ":target": s.target_wait_minutes, ":cap": s.daily_cap,
            ":hours": json(&s.hours)?, ":active": s.active, ":closed": json(&s.closed_days)?,
        })
        .map_err(|e| {
            unique_or(e, || {
                format!("a service with code {} or prefix {} already exists", s.code, s.prefix)
            })
        })?;
    Ok(n == 1)
}

/// What the queue engine needs of a service to issue a ticket, without its texts.
pub struct ServiceRules {
    pub id: i64,
    pub prefix: ServicePrefix,
    /// The names, as stored (JSON): parsed only for a message.
    name_json: String,
    pub hours: WeeklyHours,
    pub daily_cap: Option<u32>,
    pub active: bool,
    pub closed_days: Vec<ClosedDay>,
}

impl ServiceRules {
    /// The Italian name, for messages.
    pub fn name(&self) -> String {
        from_json::<Localized>(&self.name_json)
            .map(|n| n.get(REFERENCE_LANGUAGE).to_owned())
            .unwrap_or_default()
    }
}

pub fn service_rules(c: &Connection, id: i64) -> Result<Option<ServiceRules>> {
    let mut stmt =
        c.prepare_cached("SELECT id, prefix, name, hours, daily_cap, active, closed_days FROM services WHERE id = ?1")?;
    optional(stmt.query_row([id], |r| {
        Ok(ServiceRules {
            id: r.get(0)?,
            prefix: parse(&r.get::<_, String>(1)?)?,
            name_json: r.get(2)?,
            hours: from_json(&r.get::<_, String>(3)?)?,
            daily_cap: r.get(4)?,
            active: r.get(5)?,
            closed_days: from_json(&r.get::<_, String>(6)?)?,
        })
    }))
}

/// A service's Italian name and its outcome codes.
pub fn service_outcomes(c: &Connection, id: i64) -> Result<Option<(String, Vec<Outcome>)>> {
    let mut stmt = c.prepare_cached("SELECT name, outcomes FROM services WHERE id = ?1")?;
    optional(stmt.query_row([id], |r| {
        let name: Localized = from_json(&r.get::<_, String>(0)?)?;
        Ok((
            name.get(REFERENCE_LANGUAGE).to_owned(),
            from_json(&r.get::<_, String>(1)?)?,
        ))
    }))
}

// ----- counters -----

pub fn list_counters(c: &Connection) -> Result<Vec<Counter>> {
    let mut stmt = c.prepare_cached("SELECT id, name, active FROM counters ORDER BY id")?;
    let rows: Vec<(i64, String, bool)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, name, active)| {
            Ok(Counter {
                id,
                config: CounterInput {
                    name,
                    services: counter_services(c, id)?,
                    active,
                },
            })
        })
        .collect()
}

pub fn get_counter(c: &Connection, id: i64) -> Result<Option<Counter>> {
    let row = optional(
        c.prepare_cached("SELECT name, active FROM counters WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?))),
    )?;
    row.map(|(name, active)| {
        Ok(Counter {
            id,
            config: CounterInput {
                name,
                services: counter_services(c, id)?,
                active,
            },
        })
    })
    .transpose()
}

/// The services of a counter, in its order of preference.
pub fn counter_services(c: &Connection, counter_id: i64) -> Result<Vec<i64>> {
    let mut stmt = c.prepare_cached("SELECT service_id FROM counter_services WHERE counter_id = ?1 ORDER BY rank")?;
    let rows = stmt.query_map([counter_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn set_counter_services(c: &Connection, counter_id: i64, services: &[i64]) -> Result<()> {
    c.prepare_cached("DELETE FROM counter_services WHERE counter_id = ?1")?
        .execute([counter_id])?;
    let mut insert =
        c.prepare_cached("INSERT INTO counter_services (counter_id, service_id, rank) VALUES (?1, ?2, ?3)")?;
    for (rank, service) in services.iter().enumerate() {
        insert.execute([counter_id, *service, rank as i64 + 1])?;
    }
    Ok(())
}

pub fn insert_counter(c: &Connection, input: &CounterInput) -> Result<i64> {
    c.prepare_cached("INSERT INTO counters (name, active) VALUES (?1, ?2)")?
        .execute(rusqlite::params![input.name, input.active])
        .map_err(|e| unique_or(e, || format!("a counter named {:?} already exists", input.name)))?;
    let id = c.last_insert_rowid();
    set_counter_services(c, id, &input.services)?;
    Ok(id)
}

pub fn update_counter(c: &Connection, id: i64, input: &CounterInput) -> Result<bool> {
    let n = c
        .prepare_cached("UPDATE counters SET name = ?2, active = ?3 WHERE id = ?1")?
        .execute(rusqlite::params![id, input.name, input.active])
        .map_err(|e| unique_or(e, || format!("a counter named {:?} already exists", input.name)))?;
    if n == 1 {
        set_counter_services(c, id, &input.services)?;
    }
    Ok(n == 1)
}

/// A service a counter serves, for choosing what it calls next.
pub struct CounterService {
    pub service_id: i64,
    /// 1 for the counter's first preference, 2 for the second, …
    pub rank: u32,
    pub target_wait_minutes: Option<u32>,
}

/// The active services of a counter, in its order of preference.
pub fn counter_service_rules(c: &Connection, counter_id: i64) -> Result<Vec<CounterService>> {
    let mut stmt = c.prepare_cached(
        "SELECT cs.service_id, cs.rank, s.target_wait_minutes FROM counter_services cs
         JOIN services s ON s.id = cs.service_id
         WHERE cs.counter_id = ?1 ORDER BY cs.rank",
    )?;
    let rows = stmt.query_map([counter_id], |r| {
        Ok(CounterService {
            service_id: r.get(0)?,
            rank: r.get(1)?,
            target_wait_minutes: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether a counter serves a service.
pub fn counter_serves(c: &Connection, counter_id: i64, service_id: i64) -> Result<bool> {
    Ok(
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM counter_services WHERE counter_id = ?1 AND service_id = ?2)")?
            .query_row([counter_id, service_id], |r| r.get(0))?,
    )
}

pub fn counter_name(c: &Connection, id: i64) -> Result<Option<String>> {
    optional(
        c.prepare_cached("SELECT name FROM counters WHERE id = ?1")?
            .query_row([id], |r| r.get(0)),
    )
}

// ----- users -----

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: parse(&r.get::<_, String>(1)?)?,
        display_name: r.get(2)?,
        role: parse(&r.get::<_, String>(3)?)?,
        active: r.get(4)?,
    })
}

pub fn list_users(c: &Connection) -> Result<Vec<User>> {
    let mut stmt = c.prepare_cached("SELECT id, username, display_name, role, active FROM users ORDER BY id")?;
    let rows = stmt.query_map([], user_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_user(c: &Connection, id: i64) -> Result<Option<User>> {
    let mut stmt = c.prepare_cached("SELECT id, username, display_name, role, active FROM users WHERE id = ?1")?;
    optional(stmt.query_row([id], user_row))
}

/// The user and their password hash.
pub fn user_by_username(c: &Connection, username: &str) -> Result<Option<(User, String)>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, username, display_name, role, active, password_hash FROM users WHERE username = ?1",
    )?;
    optional(stmt.query_row([username], |r| Ok((user_row(r)?, r.get(5)?))))
}

/// Every user with their password hash.
pub fn users_with_hashes(c: &Connection) -> Result<Vec<(User, String)>> {
    let mut stmt =
        c.prepare_cached("SELECT id, username, display_name, role, active, password_hash FROM users ORDER BY id")?;
    let rows = stmt.query_map([], |r| Ok((user_row(r)?, r.get(5)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Sets a user's password hash and makes the user active.
pub fn set_password(c: &Connection, user_id: i64, hash: &str) -> Result<()> {
    c.prepare_cached("UPDATE users SET password_hash = ?2, active = 1 WHERE id = ?1")?
        .execute(rusqlite::params![user_id, hash])?;
    Ok(())
}

pub fn insert_user(
    c: &Connection,
    username: &str,
    display_name: &str,
    role: Role,
    hash: &str,
    active: bool,
) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO users (username, display_name, role, password_hash, active) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![username, display_name, role.as_str(), hash, active])
    .map_err(|e| unique_or(e, || format!("the username {username:?} is taken")))?;
    Ok(c.last_insert_rowid())
}

pub fn update_user(
    c: &Connection,
    id: i64,
    username: &str,
    display_name: &str,
    role: Role,
    hash: Option<&str>,
    active: bool,
) -> Result<bool> {
    let n = c
        .prepare_cached(
            "UPDATE users SET username = ?2, display_name = ?3, role = ?4, active = ?5,
             password_hash = COALESCE(?6, password_hash) WHERE id = ?1",
        )?
        .execute(rusqlite::params![
            id,
            username,
            display_name,
            role.as_str(),
            active,
            hash
        ])
        .map_err(|e| unique_or(e, || format!("the username {username:?} is taken")))?;
    Ok(n == 1)
}

// ----- devices -----

fn device_row(r: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: parse(&r.get::<_, String>(2)?)?,
        revoked: r.get(3)?,
        created_at: ts(r.get(4)?)?,
    })
}

pub fn list_devices(c: &Connection) -> Result<Vec<Device>> {
    let mut stmt = c.prepare_cached("SELECT id, name, kind, revoked, created_at FROM devices ORDER BY id")?;
    let rows = stmt.query_map([], device_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_device(c: &Connection, id: i64) -> Result<Option<Device>> {
    let mut stmt = c.prepare_cached("SELECT id, name, kind, revoked, created_at FROM devices WHERE id = ?1")?;
    optional(stmt.query_row([id], device_row))
}

pub fn insert_device(c: &Connection, name: &str, kind: DeviceKind, token_hash: &str, now: Timestamp) -> Result<i64> {
    c.prepare_cached("INSERT INTO devices (name, kind, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(rusqlite::params![name, kind.as_str(), token_hash, now.as_millisecond()])?;
    Ok(c.last_insert_rowid())
}

pub fn revoke_device(c: &Connection, id: i64) -> Result<bool> {
    Ok(c.prepare_cached("UPDATE devices SET revoked = 1 WHERE id = ?1")?
        .execute([id])?
        == 1)
}

/// The device holding a token, unless revoked.
pub fn device_by_token(c: &Connection, token_hash: &str) -> Result<Option<Device>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, name, kind, revoked, created_at FROM devices WHERE token_hash = ?1 AND revoked = 0",
    )?;
    optional(stmt.query_row([token_hash], device_row))
}

// ----- login tokens -----

pub fn insert_token(c: &Connection, token_hash: &str, user_id: i64, expires_at: Timestamp) -> Result<()> {
    c.prepare_cached("INSERT INTO auth_tokens (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)")?
        .execute(rusqlite::params![token_hash, user_id, expires_at.as_millisecond()])?;
    Ok(())
}

/// The active user holding an unexpired token, with its expiry.
pub fn user_by_token(c: &Connection, token_hash: &str, now: Timestamp) -> Result<Option<(User, Timestamp)>> {
    let mut stmt = c.prepare_cached(
        "SELECT u.id, u.username, u.display_name, u.role, u.active, t.expires_at
         FROM auth_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = ?1 AND t.expires_at > ?2 AND u.active = 1",
    )?;
    optional(
        stmt.query_row(rusqlite::params![token_hash, now.as_millisecond()], |r| {
            Ok((user_row(r)?, ts(r.get(5)?)?))
        }),
    )
}

pub fn delete_token(c: &Connection, token_hash: &str) -> Result<()> {
    c.prepare_cached("DELETE FROM auth_tokens WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

pub fn delete_user_tokens(c: &Connection, user_id: i64) -> Result<()> {
    c.prepare_cached("DELETE FROM auth_tokens WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(())
}

/// Signs a user out everywhere but on the token `keep` (the hash of the one making the change).
pub fn delete_other_user_tokens(c: &Connection, user_id: i64, keep: &str) -> Result<()> {
    c.prepare_cached("DELETE FROM auth_tokens WHERE user_id = ?1 AND token_hash <> ?2")?
        .execute(rusqlite::params![user_id, keep])?;
    Ok(())
}

pub fn delete_expired_tokens(c: &Connection, now: Timestamp) -> Result<usize> {
    Ok(c.execute("DELETE FROM auth_tokens WHERE expires_at <= ?1", [now.as_millisecond()])?)
}

// ----- counter sessions -----

/// A clerk's open session at a counter.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: i64,
    pub counter_id: i64,
    pub user_id: i64,
    pub paused: Option<Pause>,
    pub urgent_streak: u32,
}

const SESSION_COLUMNS: &str = "id, counter_id, user_id, paused_reason, paused_note, paused_at, urgent_streak";

fn session_row(r: &Row<'_>) -> rusqlite::Result<Session> {
    let paused = match r.get::<_, Option<String>>(3)? {
        Some(reason) => Some(Pause {
            reason: parse(&reason)?,
            note: r.get(4)?,
            since: ts(r.get::<_, Option<i64>>(5)?.unwrap_or_default())?,
        }),
        None => None,
    };
    Ok(Session {
        id: r.get(0)?,
        counter_id: r.get(1)?,
        user_id: r.get(2)?,
        paused,
        urgent_streak: r.get(6)?,
    })
}

pub fn session_at_counter(c: &Connection, counter_id: i64) -> Result<Option<Session>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM counter_sessions WHERE counter_id = ?1 AND closed_at IS NULL"
    ))?;
    optional(stmt.query_row([counter_id], session_row))
}

pub fn session_of_user(c: &Connection, user_id: i64) -> Result<Option<Session>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM counter_sessions WHERE user_id = ?1 AND closed_at IS NULL"
    ))?;
    optional(stmt.query_row([user_id], session_row))
}

pub fn open_session(c: &Connection, counter_id: i64, user_id: i64, now: Timestamp) -> Result<i64> {
    c.prepare_cached("INSERT INTO counter_sessions (counter_id, user_id, opened_at) VALUES (?1, ?2, ?3)")?
        .execute(rusqlite::params![counter_id, user_id, now.as_millisecond()])
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::conflict(
                    ErrorCode::CounterTaken,
                    "this counter or this clerk already has an open session",
                )
            } else {
                e.into()
            }
        })?;
    Ok(c.last_insert_rowid())
}

pub fn close_session(c: &Connection, session_id: i64, now: Timestamp) -> Result<()> {
    c.prepare_cached("UPDATE counter_sessions SET closed_at = ?2 WHERE id = ?1")?
        .execute([session_id, now.as_millisecond()])?;
    Ok(())
}

/// Pauses a session (`Some`) or resumes it (`None`).
pub fn set_pause(c: &Connection, session_id: i64, pause: Option<&Pause>) -> Result<()> {
    c.prepare_cached("UPDATE counter_sessions SET paused_reason = ?2, paused_note = ?3, paused_at = ?4 WHERE id = ?1")?
        .execute(rusqlite::params![
            session_id,
            pause.map(|p| p.reason.as_str()),
            pause.and_then(|p| p.note.as_deref()),
            pause.map(|p| p.since.as_millisecond()),
        ])?;
    Ok(())
}

pub fn set_urgent_streak(c: &Connection, session_id: i64, streak: u32) -> Result<()> {
    c.prepare_cached("UPDATE counter_sessions SET urgent_streak = ?2 WHERE id = ?1")?
        .execute(rusqlite::params![session_id, streak])?;
    Ok(())
}

/// What happened to a clerk's session: `open`, `close`, `pause` (with its reason and note), `resume`.
pub fn clerk_event(c: &Connection, session_id: i64, kind: &str, pause: Option<&Pause>, now: Timestamp) -> Result<()> {
    c.prepare_cached("INSERT INTO clerk_events (session_id, kind, reason, note, at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(rusqlite::params![
            session_id,
            kind,
            pause.map(|p| p.reason.as_str()),
            pause.and_then(|p| p.note.as_deref()),
            now.as_millisecond()
        ])?;
    Ok(())
}

/// Seconds a user spent paused in the sessions they opened since `since`, counting an open pause up to
/// `now`.
pub fn paused_secs(c: &Connection, user_id: i64, since: Timestamp, now: Timestamp) -> Result<u64> {
    let mut stmt = c.prepare_cached(
        "SELECT e.session_id, e.kind, e.at FROM clerk_events e
         JOIN counter_sessions s ON s.id = e.session_id
         WHERE s.user_id = ?1 AND s.opened_at >= ?2 ORDER BY e.session_id, e.id",
    )?;
    let rows = stmt.query_map([user_id, since.as_millisecond()], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
    })?;
    let mut total_ms: i64 = 0;
    // The session paused and since when; a second pause (a new reason) keeps the first start.
    let mut paused: Option<(i64, i64)> = None;
    for row in rows {
        let (session, kind, at) = row?;
        if let Some((s, from)) = paused {
            if s != session {
                // A session that ended paused without its closing event (a crash): nothing to count.
                paused = None;
            } else if kind != "pause" {
                total_ms += (at - from).max(0);
                paused = None;
            }
        }
        if kind == "pause" && paused.is_none() {
            paused = Some((session, at));
        }
    }
    if let Some((_, from)) = paused {
        total_ms += (now.as_millisecond() - from).max(0);
    }
    Ok((total_ms / 1000).max(0) as u64)
}

// ----- printer alerts -----

fn status_str(s: PrinterStatus) -> Result<String> {
    Ok(json(&s)?.trim_matches('"').to_owned())
}

pub fn insert_printer_alert(
    c: &Connection,
    device_id: i64,
    status: PrinterStatus,
    message: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached("INSERT INTO printer_alerts (device_id, status, message, at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(rusqlite::params![
            device_id,
            status_str(status)?,
            message,
            now.as_millisecond()
        ])?;
    Ok(())
}

/// The latest printer status of every kiosk that reported one.
pub fn latest_printer_alerts(c: &Connection) -> Result<Vec<PrinterAlert>> {
    let mut stmt = c.prepare_cached(
        "SELECT a.device_id, d.name, a.status, a.message, a.at FROM printer_alerts a
         JOIN devices d ON d.id = a.device_id
         WHERE a.id = (SELECT MAX(id) FROM printer_alerts b WHERE b.device_id = a.device_id)
         ORDER BY a.device_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(PrinterAlert {
            device_id: r.get(0)?,
            device_name: r.get(1)?,
            status: from_json(&format!("\"{}\"", r.get::<_, String>(2)?))?,
            message: r.get(3)?,
            at: ts(r.get(4)?)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ----- forms -----

fn form_row(r: &Row<'_>) -> rusqlite::Result<Form> {
    let id: i64 = r.get(0)?;
    let filename: String = r.get(3)?;
    Ok(Form {
        id,
        service_id: r.get(1)?,
        title: r.get(2)?,
        path: format!("/api/v1/forms/{id}"),
        filename,
        size: r.get(4)?,
        uploaded_at: ts(r.get(5)?)?,
    })
}

const FORM_COLUMNS: &str = "id, service_id, title, filename, size, uploaded_at";

pub fn list_forms(c: &Connection) -> Result<Vec<Form>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {FORM_COLUMNS} FROM forms ORDER BY service_id, id"))?;
    let rows = stmt.query_map([], form_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_form(c: &Connection, id: i64) -> Result<Option<Form>> {
    let mut stmt = c.prepare_cached(&format!("SELECT {FORM_COLUMNS} FROM forms WHERE id = ?1"))?;
    optional(stmt.query_row([id], form_row))
}

/// A form's file.
pub fn form_data(c: &Connection, id: i64) -> Result<Option<(Form, Vec<u8>)>> {
    let Some(form) = get_form(c, id)? else {
        return Ok(None);
    };
    let data: Vec<u8> = c
        .prepare_cached("SELECT data FROM forms WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    Ok(Some((form, data)))
}

pub fn insert_form(
    c: &Connection,
    service_id: i64,
    title: &str,
    filename: &str,
    sha256: &str,
    data: &[u8],
    now: Timestamp,
) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO forms (service_id, title, filename, size, sha256, data, uploaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(rusqlite::params![
        service_id,
        title,
        filename,
        data.len() as i64,
        sha256,
        data,
        now.as_millisecond()
    ])?;
    Ok(c.last_insert_rowid())
}

pub fn delete_form(c: &Connection, id: i64) -> Result<bool> {
    Ok(c.prepare_cached("DELETE FROM forms WHERE id = ?1")?.execute([id])? == 1)
}

/// Every open counter session with its clerk.
pub fn open_sessions(c: &Connection) -> Result<Vec<(Session, i64)>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS}, opened_at FROM counter_sessions WHERE closed_at IS NULL ORDER BY counter_id"
    ))?;
    let rows = stmt.query_map([], |r| Ok((session_row(r)?, r.get(7)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ----- notices -----

fn notice_row(r: &Row<'_>) -> rusqlite::Result<Notice> {
    Ok(Notice {
        id: r.get(0)?,
        config: NoticeInput {
            text: from_json(&r.get::<_, String>(1)?)?,
            starts_at: r.get::<_, Option<i64>>(2)?.map(ts).transpose()?,
            ends_at: r.get::<_, Option<i64>>(3)?.map(ts).transpose()?,
            active: r.get(4)?,
        },
    })
}

pub fn list_notices(c: &Connection) -> Result<Vec<Notice>> {
    let mut stmt = c.prepare_cached("SELECT id, text, starts_at, ends_at, active FROM notices ORDER BY id")?;
    let rows = stmt.query_map([], notice_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The notices to show at `now`.
pub fn current_notices(c: &Connection, now: Timestamp) -> Result<Vec<Localized>> {
    let mut stmt = c.prepare_cached(
        "SELECT text FROM notices WHERE active = 1 AND (starts_at IS NULL OR starts_at <= ?1)
         AND (ends_at IS NULL OR ends_at > ?1) ORDER BY id",
    )?;
    let rows = stmt.query_map([now.as_millisecond()], |r| from_json(&r.get::<_, String>(0)?))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn insert_notice(c: &Connection, n: &NoticeInput) -> Result<i64> {
    c.prepare_cached("INSERT INTO notices (text, starts_at, ends_at, active) VALUES (?1, ?2, ?3, ?4)")?
        .execute(rusqlite::params![
            json(&n.text)?,
            n.starts_at.map(|t| t.as_millisecond()),
            n.ends_at.map(|t| t.as_millisecond()),
            n.active
        ])?;
    Ok(c.last_insert_rowid())
}

/// Returns whether the notice existed.
pub fn update_notice(c: &Connection, id: i64, n: &NoticeInput) -> Result<bool> {
    Ok(
        c.prepare_cached("UPDATE notices SET text = ?2, starts_at = ?3, ends_at = ?4, active = ?5 WHERE id = ?1")?
            .execute(rusqlite::params![
                id,
                json(&n.text)?,
                n.starts_at.map(|t| t.as_millisecond()),
                n.ends_at.map(|t| t.as_millisecond()),
                n.active
            ])?
            == 1,
    )
}

/// Returns whether the notice existed.
pub fn delete_notice(c: &Connection, id: i64) -> Result<bool> {
    Ok(c.prepare_cached("DELETE FROM notices WHERE id = ?1")?.execute([id])? == 1)
}

// ----- settings -----

pub fn get_setting(c: &Connection, key: &str) -> Result<Option<String>> {
    optional(
        c.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0)),
    )
}

pub fn set_setting(c: &Connection, key: &str, value: &str) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}
