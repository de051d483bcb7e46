//! SQL for the audit log: every change the back office makes, with who, when, and the record before and
//! after.

use jiff::Timestamp;
use rusqlite::{Connection, named_params};
use turno_shared::api::AuditEntry;

use super::office::ts;
use crate::error::{Error, Result};

/// One change to record.
pub struct Change<'a> {
    pub user_id: Option<i64>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub fn insert(c: &Connection, at: Timestamp, change: &Change<'_>) -> Result<()> {
    let text = |v: &Option<serde_json::Value>| v.as_ref().map(serde_json::Value::to_string);
    c.prepare_cached(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, before, after)
         VALUES (:at, :user, :action, :entity, :entity_id, :before, :after)",
    )?
    .execute(named_params! {
        ":at": at.as_millisecond(), ":user": change.user_id, ":action": change.action, ":entity": change.entity,
        ":entity_id": change.entity_id, ":before": text(&change.before), ":after": text(&change.after),
    })?;
    Ok(())
}

/// The most entries [`between`] returns.
pub const LIMIT: u32 = 5000;

/// The changes made from `from` (inclusive) to `to` (exclusive), newest first, at most [`LIMIT`];
/// only those of `entity` when given.
pub fn between(c: &Connection, from: Timestamp, to: Timestamp, entity: Option<&str>) -> Result<Vec<AuditEntry>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT a.id, a.at, a.user_id, u.username, a.action, a.entity, a.entity_id, a.before, a.after
         FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
         WHERE a.at >= ?1 AND a.at < ?2 AND (?3 IS NULL OR a.entity = ?3)
         ORDER BY a.id DESC LIMIT {LIMIT}"
    ))?;
    let json = |s: Option<String>| -> rusqlite::Result<Option<serde_json::Value>> {
        s.map(|s| {
            serde_json::from_str(&s)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
        })
        .transpose()
    };
    let rows = stmt.query_map(
        rusqlite::params![from.as_millisecond(), to.as_millisecond(), entity],
        |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: ts(r.get(1)?)?,
                user_id: r.get(2)?,
                username: r.get(3)?,
                action: r.get(4)?,
                entity: r.get(5)?,
                entity_id: r.get(6)?,
                before: json(r.get(7)?)?,
                after: json(r.get(8)?)?,
            })
        },
    )?;
    rows.collect::<rusqlite::Result<_>>().map_err(Error::from)
}
