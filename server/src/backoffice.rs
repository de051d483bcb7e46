//! The back office's changes to the office: services, counters, users, devices, notices and forms. Each
//! change is one operation on the store's writer that validates, writes, records itself in the audit log
//! and tells kiosks, consoles and boards to reload (`config_changed`), all in one transaction: either
//! all of it happens or none. Routes and the command line only extract and call.

use std::collections::HashSet;

use rusqlite::Connection;
use serde::Serialize;
use sha2::Digest;
use turno_shared::api::{
    Counter, CounterInput, Device, DeviceInput, ErrorCode, Form, LiveEvent, Notice, NoticeInput, REFERENCE_LANGUAGE,
    Service, ServiceInput, TicketView, User, UserInput,
};
use turno_shared::domain::TicketAction;

use crate::error::{Error, Result};
use crate::office::Office;
use crate::store::WriteCtx;
use crate::store::audit::{self, Change};
use crate::store::office as cfg;
use crate::store::tickets::{self, By};

/// The largest form accepted.
pub const MAX_FORM_BYTES: usize = 10 * 1024 * 1024;

/// Who makes a change: a back-office user, or the server's own command line (`None`).
pub type Actor<'a> = Option<&'a User>;

fn to_json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// Records a change and tells the clients to reload.
fn done<B: Serialize, A: Serialize>(
    ctx: &mut WriteCtx<'_>,
    by: Actor<'_>,
    action: &str,
    entity: &str,
    id: Option<i64>,
    before: Option<&B>,
    after: Option<&A>,
) -> Result<()> {
    let change = Change {
        user_id: by.map(|u| u.id),
        action,
        entity,
        entity_id: id,
        before: before.and_then(to_json),
        after: after.and_then(to_json),
    };
    audit::insert(ctx.conn, ctx.now(), &change)?;
    ctx.emit(&LiveEvent::ConfigChanged)
}

/// Refuses a blank text or one longer than `max` characters, as an error of `field`.
fn check_text(field: &str, what: &str, text: &str, max: usize) -> Result<()> {
    if text.trim().is_empty() || text.chars().count() > max {
        return Err(Error::invalid_field(
            field,
            format!("{what} must hold 1 to {max} characters"),
        ));
    }
    Ok(())
}

// ----- services -----

/// Checks a service's settings; each error names its field (`name.en`, `outcomes`, `closed_days`, …).
fn validate_service(s: &ServiceInput) -> Result<()> {
    if s.name.0.get(REFERENCE_LANGUAGE).is_none_or(|n| n.trim().is_empty()) {
        return Err(Error::invalid_field(
            "name.it",
            "a service needs an Italian name (\"it\")",
        ));
    }
    for (lang, name) in &s.name.0 {
        check_text(&format!("name.{lang}"), "a service's name", name, 80)?;
    }
    for (lang, text) in &s.info.0 {
        if text.chars().count() > 4000 {
            return Err(Error::invalid_field(
                format!("info.{lang}"),
                "an information sheet can hold up to 4000 characters",
            ));
        }
    }
    if s.documents.len() > 30 {
        return Err(Error::invalid_field("documents", "list up to 30 documents to bring"));
    }
    for (lang, text) in s.documents.iter().flat_map(|d| &d.0) {
        if text.chars().count() > 200 {
            return Err(Error::invalid_field(
                format!("documents.{lang}"),
                "a document to bring is named in up to 200 characters",
            ));
        }
    }
    if s.outcomes.is_empty() {
        return Err(Error::invalid_field(
            "outcomes",
            "a service needs at least one outcome code",
        ));
    }
    // JSON Schema cannot say "unique by code", so a repeated code is a conflict, not a schema violation.
    let mut seen = HashSet::new();
    for o in &s.outcomes {
        if !seen.insert(&o.code) {
            return Err(Error::conflict(
                ErrorCode::DuplicateOutcome,
                format!("the outcome code {} appears twice", o.code),
            )
            .on("outcomes"));
        }
    }
    if s.target_wait_minutes.is_some_and(|m| m == 0 || m > 24 * 60) {
        return Err(Error::invalid_field(
            "target_wait_minutes",
            "the target wait runs from 1 to 1440 minutes",
        ));
    }
    if s.daily_cap.is_some_and(|c| c == 0 || c > 9999) {
        return Err(Error::invalid_field(
            "daily_cap",
            "the daily cap runs from 1 to 9999 tickets",
        ));
    }
    if s.closed_days.len() > 366 {
        return Err(Error::invalid_field("closed_days", "list up to 366 days closed"));
    }
    let mut days = HashSet::new();
    for d in &s.closed_days {
        if !days.insert(d.date) {
            return Err(Error::conflict(
                ErrorCode::AlreadyExists,
                format!("{} is listed twice among the days closed", d.date),
            )
            .on("closed_days"));
        }
        if d.reason.as_ref().is_some_and(|r| r.chars().count() > 120) {
            return Err(Error::invalid_field(
                "closed_days",
                "the reason of a day closed holds up to 120 characters",
            ));
        }
    }
    Ok(())
}

/// Refuses a code or prefix another service (not `id`) already uses, naming the field.
fn ensure_service_unique(c: &Connection, id: Option<i64>, s: &ServiceInput) -> Result<()> {
    for other in cfg::list_services(c)?.into_iter().filter(|o| Some(o.id) != id) {
        if other.config.code == s.code {
            return Err(Error::conflict(
                ErrorCode::AlreadyExists,
                format!("the service {} already has the code {}", other.id, s.code),
            )
            .on("code"));
        }
        if other.config.prefix == s.prefix {
            return Err(Error::conflict(
                ErrorCode::AlreadyExists,
                format!("the service {} already has the prefix {}", other.id, s.prefix),
            )
            .on("prefix"));
        }
    }
    Ok(())
}

fn service(c: &Connection, id: i64) -> Result<Service> {
    cfg::get_service(c, id)?.ok_or_else(|| Error::not_found(format!("service {id}")))
}

pub fn create_service(ctx: &mut WriteCtx<'_>, by: Actor<'_>, input: ServiceInput) -> Result<Service> {
    validate_service(&input)?;
    ensure_service_unique(ctx.conn, None, &input)?;
    let id = cfg::insert_service(ctx.conn, &input)?;
    let created = Service { id, config: input };
    done::<(), _>(ctx, by, "create", "service", Some(id), None, Some(&created))?;
    Ok(created)
}

pub fn update_service(ctx: &mut WriteCtx<'_>, by: Actor<'_>, id: i64, input: ServiceInput) -> Result<Service> {
    validate_service(&input)?;
    let before = service(ctx.conn, id)?;
    ensure_service_unique(ctx.conn, Some(id), &input)?;
    cfg::update_service(ctx.conn, id, &input)?;
    let after = Service { id, config: input };
    done(ctx, by, "update", "service", Some(id), Some(&before), Some(&after))?;
    Ok(after)
}

/// Takes a service out of use: kiosks stop offering it; tickets already waiting are still called.
pub fn deactivate_service(ctx: &mut WriteCtx<'_>, by: Actor<'_>, id: i64) -> Result<Service> {
    let before = service(ctx.conn, id)?;
    let mut after = before.clone();
    after.config.active = false;
    cfg::update_service(ctx.conn, id, &after.config)?;
    done(ctx, by, "deactivate", "service", Some(id), Some(&before), Some(&after))?;
    Ok(after)
}

// ----- counters -----

fn validate_counter(c: &Connection, id: Option<i64>, input: &CounterInput) -> Result<()> {
    check_text("name", "a counter's name", &input.name, 60)?;
    let taken = cfg::list_counters(c)?
        .into_iter()
        .any(|k| Some(k.id) != id && k.config.name.trim().eq_ignore_ascii_case(input.name.trim()));
    if taken {
        return Err(Error::conflict(
            ErrorCode::AlreadyExists,
            format!("a counter is already named {}", input.name.trim()),
        )
        .on("name"));
    }
    let mut seen = HashSet::new();
    for id in &input.services {
        if !seen.insert(id) {
            return Err(Error::invalid_field("services", format!("service {id} appears twice")));
        }
        if cfg::get_service(c, *id)?.is_none() {
            return Err(
                Error::conflict(ErrorCode::UnknownReference, format!("there is no service {id}")).on("services"),
            );
        }
    }
    Ok(())
}

fn counter(c: &Connection, id: i64) -> Result<Counter> {
    cfg::get_counter(c, id)?.ok_or_else(|| Error::not_found(format!("counter {id}")))
}

pub fn create_counter(ctx: &mut WriteCtx<'_>, by: Actor<'_>, input: CounterInput) -> Result<Counter> {
    validate_counter(ctx.conn, None, &input)?;
    let id = cfg::insert_counter(ctx.conn, &input)?;
    let created = Counter { id, config: input };
    done::<(), _>(ctx, by, "create", "counter", Some(id), None, Some(&created))?;
    Ok(created)
}

pub fn update_counter(ctx: &mut WriteCtx<'_>, by: Actor<'_>, id: i64, input: CounterInput) -> Result<Counter> {
    validate_counter(ctx.conn, Some(id), &input)?;
    let before = counter(ctx.conn, id)?;
    if !input.active {
        ensure_unused(ctx.conn, &before).map_err(|e| e.on("active"))?;
    }
    cfg::update_counter(ctx.conn, id, &input)?;
    let after = Counter { id, config: input };
    done(ctx, by, "update", "counter", Some(id), Some(&before), Some(&after))?;
    Ok(after)
}

/// A counter a clerk is signed in at cannot be taken out of use under them.
fn ensure_unused(c: &Connection, k: &Counter) -> Result<()> {
    match cfg::session_at_counter(c, k.id)? {
        Some(_) => Err(Error::conflict(
            ErrorCode::CounterTaken,
            format!("a clerk is signed in at {}: they sign out first", k.config.name),
        )),
        None => Ok(()),
    }
}

pub fn deactivate_counter(ctx: &mut WriteCtx<'_>, by: Actor<'_>, id: i64) -> Result<Counter> {
    let before = counter(ctx.conn, id)?;
    ensure_unused(ctx.conn, &before)?;
    let mut after = before.clone();
    after.config.active = false;
    cfg::update_counter(ctx.conn, id, &after.config)?;
    done(ctx, by, "deactivate", "counter", Some(id), Some(&before), Some(&after))?;
    Ok(after)
}

// ----- users -----

fn user(c: &Connection, id: i64) -> Result<User> {
    cfg::get_user(c, id)?.ok_or_else(|| Error::not_found(format!("user {id}")))
}

/// Creates a user with the hash of their password (hashed off the writer).
pub fn create_user(ctx: &mut WriteCtx<'_>, by: Actor<'_>, input: UserInput, hash: &str) -> Result<User> {
    check_text("display_name", "a display name", &input.display_name, 80)?;
    if cfg::user_by_username(ctx.conn, input.username.as_str())?.is_some() {
        return Err(Error::conflict(
            ErrorCode::AlreadyExists,
            format!("the username {} is taken", input.username),
        )
        .on("username"));
    }
    let id = cfg::insert_user(
        ctx.conn,
        input.username.as_str(),
        &input.display_name,
        input.role,
        hash,
        input.active,
    )?;
    let created = user(ctx.conn, id)?;
    done::<(), _>(ctx, by, "create", "user", Some(id), None, Some(&created))?;
    Ok(created)
}

/// Updates a user. A new password (its hash) or deactivation signs them out everywhere, except the
/// session `keep` (the one changing its own password).
pub fn update_user(
    ctx: &mut WriteCtx<'_>,
    by: Actor<'_>,
    id: i64,
    input: UserInput,
    hash: Option<&str>,
    keep: Option<&str>,
) -> Result<User> {
    check_text("display_name", "a display name", &input.display_name, 80)?;
    if by.is_some_and(|me| me.id == id) && !input.active {
        return Err(Error::conflict(ErrorCode::SelfLockout, "you cannot deactivate yourself").on("active"));
    }
    if by.is_some_and(|me| me.id == id && me.role != input.role) {
        return Err(Error::conflict(ErrorCode::SelfLockout, "you cannot change your own role").on("role"));
    }
    let before = user(ctx.conn, id)?;
    cfg::update_user(
        ctx.conn,
        id,
        input.username.as_str(),
        &input.display_name,
        input.role,
        hash,
        input.active,
    )?;
    if !input.active {
        sign_out_everywhere(ctx, id)?;
    } else if hash.is_some() {
        match keep {
            Some(keep) => cfg::delete_other_user_tokens(ctx.conn, id, keep)?,
            None => cfg::delete_user_tokens(ctx.conn, id)?,
        }
    }
    let after = user(ctx.conn, id)?;
    let action = if hash.is_some() {
        "update_with_password"
    } else {
        "update"
    };
    done(ctx, by, action, "user", Some(id), Some(&before), Some(&after))?;
    Ok(after)
}

/// Ends all of a user's logins and their counter session; a ticket still at their counter goes back
/// to the queue with its arrival time, so that no citizen is lost.
fn sign_out_everywhere(ctx: &mut WriteCtx<'_>, user_id: i64) -> Result<Option<TicketView>> {
    cfg::delete_user_tokens(ctx.conn, user_id)?;
    let Some(session) = cfg::session_of_user(ctx.conn, user_id)? else {
        return Ok(None);
    };
    let mut returned = None;
    if let Some(mut t) = tickets::at_counter(ctx.conn, session.counter_id)? {
        let from = t.state;
        t.state = from.apply(TicketAction::ReturnToQueue)?;
        t.called_at = None;
        t.started_at = None;
        tickets::update(ctx.conn, &t)?;
        let by = By {
            user_id: None,
            counter_id: Some(session.counter_id),
        };
        tickets::record_event(
            ctx.conn,
            &t,
            TicketAction::ReturnToQueue.as_str(),
            Some(from),
            by,
            ctx.now(),
        )?;
        ctx.queue_changed();
        returned = Some(t.view());
    }
    cfg::close_session(ctx.conn, session.id, ctx.now())?;
    cfg::clerk_event(ctx.conn, session.id, "close", None, ctx.now())?;
    let counter_name = cfg::counter_name(ctx.conn, session.counter_id)?.unwrap_or_default();
    ctx.emit(&LiveEvent::CounterChanged {
        counter_id: session.counter_id,
        counter_name,
        state: turno_shared::api::CounterState::Closed,
    })?;
    Ok(returned)
}

/// Deactivates a user: signed out everywhere, their counter closed; their history stays.
pub fn deactivate_user(ctx: &mut WriteCtx<'_>, by: Actor<'_>, id: i64) -> Result<User> {
    if by.is_some_and(|me| me.id == id) {
        return Err(Error::conflict(
            ErrorCode::SelfLockout,
            "you cannot deactivate yourself",
        ));
    }
    let before = user(ctx.conn, id)?;
    cfg::update_user(
        ctx.conn,
        id,
        before.username.as_str(),
        &before.display_name,
        before.role,
        None,
        false,
    )?;
    sign_out_everywhere(ctx, id)?;
    let after = user(ctx.conn, id)?;
    done(ctx, by, "deactivate", "user", Some(id), Some(&before), Some(&after))?;
    Ok(after)
}

/// Gives a user a new password (its hash) and makes them active again; signed out everywhere.
pub fn reset_password(ctx: &mut WriteCtx<'_>, by: Actor<'_>, username: &str, hash: &str) -> Result<User> {
    let (before, _) =
        cfg::user_by_username(ctx.conn, username)?.ok_or_else(|| Error::not_found(format!("user {username:?}")))?;
    cfg::set_password(ctx.conn, before.id, hash)?;
    cfg::delete_user_tokens(ctx.conn, before.id)?;
    let after = user(ctx.conn, before.id)?;
    done(
        ctx,
        by,
        "reset_password",
        "user",
        Some(before.id),
        Some(&before),
        Some(&after),
    )?;
    Ok(after)
}

/// Who is signed in at which counter now, and since when; paused or not.
pub fn open_sessions(c: &Connection) -> Result<Vec<turno_shared::api::OpenSession>> {
    let mut out = Vec::new();
    for (s, opened_at) in cfg::open_sessions(c)? {
        let (Some(user), Some(counter_name)) = (cfg::get_user(c, s.user_id)?, cfg::counter_name(c, s.counter_id)?)
        else {
            continue;
        };
        out.push(turno_shared::api::OpenSession {
            counter_id: s.counter_id,
            counter_name,
            user,
            since: cfg::ts(opened_at)?,
            paused: s.paused,
        });
    }
    Ok(out)
}

// ----- devices -----

/// Registers a kiosk or display with the hash of its new token.
pub fn create_device(ctx: &mut WriteCtx<'_>, by: Actor<'_>, input: DeviceInput, token_hash: &str) -> Result<Device> {
    check_text("name", "a device's name", &input.name, 60)?;
    let id = cfg::insert_device(ctx.conn, &input.name, input.kind, token_hash, ctx.now())?;
    let created = cfg::get_device(ctx.conn, id)?.ok_or_else(|| Error::internal("device vanished"))?;
    done::<(), _>(ctx, by, "create", "device", Some(id), None, Some(&created))?;
    Ok(created)
}

pub fn revoke_device(ctx: &mut WriteCtx<'_>, by: Actor<'_>, id: i64) -> Result<Device> {
    let before = cfg::get_device(ctx.conn, id)?.ok_or_else(|| Error::not_found(format!("device {id}")))?;
    cfg::revoke_device(ctx.conn, id)?;
    let after = cfg::get_device(ctx.conn, id)?.ok_or_else(|| Error::not_found(format!("device {id}")))?;
    done(ctx, by, "revoke", "device", Some(id), Some(&before), Some(&after))?;
    Ok(after)
}

// ----- notices -----

/// Refuses a notice whose texts are blank or too long, or whose end comes before its start.
fn validate_notice(n: &NoticeInput) -> Result<()> {
    if n.text.0.get(REFERENCE_LANGUAGE).is_none_or(|t| t.trim().is_empty()) {
        return Err(Error::invalid_field(
            "text.it",
            "a notice needs an Italian text (\"it\")",
        ));
    }
    for (lang, text) in &n.text.0 {
        check_text(&format!("text.{lang}"), "a notice", text, 200)?;
    }
    if let (Some(start), Some(end)) = (n.starts_at, n.ends_at)
        && end <= start
    {
        // JSON Schema cannot compare two fields: a conflict, not a schema violation.
        return Err(Error::conflict(ErrorCode::InvalidRange, "a notice must end after it starts").on("ends_at"));
    }
    Ok(())
}

pub fn create_notice(ctx: &mut WriteCtx<'_>, by: Actor<'_>, input: NoticeInput) -> Result<Notice> {
    validate_notice(&input)?;
    let id = cfg::insert_notice(ctx.conn, &input)?;
    let created = Notice { id, config: input };
    done::<(), _>(ctx, by, "create", "notice", Some(id), None, Some(&created))?;
    Ok(created)
}

fn notice(c: &Connection, id: i64) -> Result<Notice> {
    cfg::list_notices(c)?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(|| Error::not_found(format!("notice {id}")))
}

pub fn update_notice(ctx: &mut WriteCtx<'_>, by: Actor<'_>, id: i64, input: NoticeInput) -> Result<Notice> {
    validate_notice(&input)?;
    let before = notice(ctx.conn, id)?;
    cfg::update_notice(ctx.conn, id, &input)?;
    let after = Notice { id, config: input };
    done(ctx, by, "update", "notice", Some(id), Some(&before), Some(&after))?;
    Ok(after)
}

pub fn delete_notice(ctx: &mut WriteCtx<'_>, by: Actor<'_>, id: i64) -> Result<()> {
    let before = notice(ctx.conn, id)?;
    cfg::delete_notice(ctx.conn, id)?;
    done::<_, ()>(ctx, by, "delete", "notice", Some(id), Some(&before), None)
}

// ----- forms -----

/// Whether `data` is a PDF file: its header, and the end-of-file marker in its last kilobyte (where
/// every well-formed PDF has it, after the cross-reference that locates its objects).
pub fn is_pdf(data: &[u8]) -> bool {
    let tail = &data[data.len().saturating_sub(1024)..];
    (data.starts_with(b"%PDF-1.") || data.starts_with(b"%PDF-2."))
        && tail.windows(5).any(|w| w == b"%%EOF")
        && tail.windows(9).any(|w| w == b"startxref")
}

/// A file name as given, reduced to what every system accepts: letters, digits, `-`, `_`, `.`; ends
/// in `.pdf`.
fn safe_filename(name: &str) -> String {
    let base: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let base = base.trim_matches('.');
    let stem = base
        .strip_suffix(".pdf")
        .or_else(|| base.strip_suffix(".PDF"))
        .unwrap_or(base);
    if stem.is_empty() {
        "modulo.pdf".to_owned()
    } else {
        format!("{stem}.pdf")
    }
}

/// Attaches a PDF form to a service.
pub fn add_form(
    ctx: &mut WriteCtx<'_>,
    by: Actor<'_>,
    service_id: i64,
    title: &str,
    filename: &str,
    data: &[u8],
) -> Result<Form> {
    check_text("title", "a form's title", title, 120)?;
    service(ctx.conn, service_id)?;
    if data.len() > MAX_FORM_BYTES {
        return Err(Error::BadRequest {
            status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            code: ErrorCode::BodyTooLarge,
            message: format!("a form can be up to {} MB", MAX_FORM_BYTES / (1024 * 1024)),
        }
        .on("file"));
    }
    if !is_pdf(data) {
        return Err(Error::BadRequest {
            status: axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: ErrorCode::UnsupportedMediaType,
            message: "the file is not a PDF document".into(),
        }
        .on("file"));
    }
    let sha: String = sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect();
    let id = cfg::insert_form(
        ctx.conn,
        service_id,
        title.trim(),
        &safe_filename(filename),
        &sha,
        data,
        ctx.now(),
    )?;
    let created = cfg::get_form(ctx.conn, id)?.ok_or_else(|| Error::internal("form vanished"))?;
    done::<(), _>(ctx, by, "create", "form", Some(id), None, Some(&created))?;
    Ok(created)
}

pub fn delete_form(ctx: &mut WriteCtx<'_>, by: Actor<'_>, id: i64) -> Result<()> {
    let before = cfg::get_form(ctx.conn, id)?.ok_or_else(|| Error::not_found(format!("form {id}")))?;
    cfg::delete_form(ctx.conn, id)?;
    done::<_, ()>(ctx, by, "delete", "form", Some(id), Some(&before), None)
}

// ----- the office day -----

/// Ends the office day now; recorded in the audit log.
pub fn end_of_day(ctx: &mut WriteCtx<'_>, by: Actor<'_>, office: &Office, include_serving: bool) -> Result<u32> {
    let expired = crate::engine::end_of_day(ctx, office, true, include_serving)?;
    let change = Change {
        user_id: by.map(|u| u.id),
        action: "end_of_day",
        entity: "office",
        entity_id: None,
        before: None,
        after: Some(serde_json::json!({ "expired": expired, "include_serving": include_serving })),
    };
    audit::insert(ctx.conn, ctx.now(), &change)?;
    Ok(expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_has_its_header_and_its_end() {
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nxref\n0 1\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n";
        assert!(is_pdf(pdf));
        assert!(!is_pdf(b"%PDF-1.7\nno end"));
        assert!(!is_pdf(b"PK\x03\x04 a zip file %%EOF startxref"));
        assert!(!is_pdf(b""));
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd.pdf");
        assert_eq!(
            safe_filename("Modulo residenza (2026).PDF"),
            "Modulo_residenza__2026_.pdf"
        );
        assert_eq!(safe_filename(""), "modulo.pdf");
        assert_eq!(safe_filename("C:\\Documents\\domanda.pdf"), "domanda.pdf");
    }
}
