//! Back-office routes: services, counters, users and devices, and the end of the office day.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use rusqlite::Connection;
use turno_shared::api::{
    Counter, CounterInput, Device, DeviceCreated, DeviceInput, EndOfDayReport, EndOfDayRequest, ErrorBody, ErrorCode,
    LiveEvent, NewUserInput, Notice, NoticeInput, REFERENCE_LANGUAGE, Service, ServiceInput, StoredRating, User,
    UserInput,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{JsonBody, Path, Query};
use crate::AppState;
use crate::auth::{self, Admin, MIN_PASSWORD_CHARS};
use crate::engine;
use crate::error::{Error, Result};
use crate::store::office as cfg;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_services, create_service))
        .routes(routes!(update_service, deactivate_service))
        .routes(routes!(list_counters, create_counter))
        .routes(routes!(update_counter, deactivate_counter))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user, deactivate_user))
        .routes(routes!(list_devices, create_device))
        .routes(routes!(revoke_device))
        .routes(routes!(end_of_day))
        .routes(routes!(ratings))
        .routes(routes!(list_notices, create_notice))
        .routes(routes!(update_notice, delete_notice))
}

/// Refuses a notice whose texts are blank or too long, or whose end comes before its start.
fn validate_notice(n: &NoticeInput) -> Result<()> {
    if n.text.0.get(REFERENCE_LANGUAGE).is_none_or(|t| t.trim().is_empty()) {
        return Err(Error::invalid("a notice needs an Italian text (\"it\")"));
    }
    for text in n.text.0.values() {
        check_text("a notice", text, 200)?;
    }
    if let (Some(start), Some(end)) = (n.starts_at, n.ends_at)
        && end <= start
    {
        // JSON Schema cannot compare two fields: a conflict, not a schema violation.
        return Err(Error::conflict(
            ErrorCode::InvalidRange,
            "a notice must end after it starts",
        ));
    }
    Ok(())
}

/// The notices, shown or not.
#[utoipa::path(get, path = "/admin/notices", tag = "admin",
    responses((status = 200, body = Vec<Notice>)), security(("admin" = [])))]
async fn list_notices(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<Notice>>> {
    Ok(Json(state.store.read(cfg::list_notices).await?))
}

/// Adds a notice for the boards, kiosks and ticket pages.
#[utoipa::path(post, path = "/admin/notices", tag = "admin", request_body = NoticeInput,
    responses((status = 200, body = Notice), (status = 409, body = ErrorBody)), security(("admin" = [])))]
async fn create_notice(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(input): JsonBody<NoticeInput>,
) -> Result<Json<Notice>> {
    validate_notice(&input)?;
    let notice = state
        .store
        .write(move |ctx| {
            let id = cfg::insert_notice(ctx.conn, &input)?;
            ctx.emit(&LiveEvent::ConfigChanged)?;
            Ok(Notice { id, config: input })
        })
        .await?;
    Ok(Json(notice))
}

#[utoipa::path(put, path = "/admin/notices/{id}", tag = "admin", request_body = NoticeInput,
    params(("id" = i64, Path, minimum = 1, description = "Notice id")),
    responses((status = 200, body = Notice), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("admin" = [])))]
async fn update_notice(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<NoticeInput>,
) -> Result<Json<Notice>> {
    validate_notice(&input)?;
    let notice = state
        .store
        .write(move |ctx| {
            if !cfg::update_notice(ctx.conn, id, &input)? {
                return Err(Error::not_found(format!("notice {id}")));
            }
            ctx.emit(&LiveEvent::ConfigChanged)?;
            Ok(Notice { id, config: input })
        })
        .await?;
    Ok(Json(notice))
}

/// Removes a notice.
#[utoipa::path(delete, path = "/admin/notices/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "Notice id")),
    responses((status = 200), (status = 404, body = ErrorBody)), security(("admin" = [])))]
async fn delete_notice(State(state): State<AppState>, _: Admin, Path(id): Path<i64>) -> Result<Json<()>> {
    state
        .store
        .write(move |ctx| {
            if !cfg::delete_notice(ctx.conn, id)? {
                return Err(Error::not_found(format!("notice {id}")));
            }
            ctx.emit(&LiveEvent::ConfigChanged)
        })
        .await?;
    Ok(Json(()))
}

fn check_text(what: &str, text: &str, max: usize) -> Result<()> {
    if text.trim().is_empty() || text.chars().count() > max {
        return Err(Error::invalid(format!("{what} must hold 1 to {max} characters")));
    }
    Ok(())
}

fn validate_service(s: &ServiceInput) -> Result<()> {
    if s.name.0.get(REFERENCE_LANGUAGE).is_none_or(|n| n.trim().is_empty()) {
        return Err(Error::invalid("a service needs an Italian name (\"it\")"));
    }
    for name in s.name.0.values() {
        check_text("a service's name", name, 80)?;
    }
    for text in s.info.0.values() {
        if text.chars().count() > 4000 {
            return Err(Error::invalid("an information sheet can hold up to 4000 characters"));
        }
    }
    if s.documents.len() > 30 {
        return Err(Error::invalid("list up to 30 documents to bring"));
    }
    if s.outcomes.is_empty() {
        return Err(Error::invalid("a service needs at least one outcome code"));
    }
    // JSON Schema cannot say "unique by code", so a repeated code is a conflict, not a schema violation.
    let mut seen = HashSet::new();
    for o in &s.outcomes {
        if !seen.insert(&o.code) {
            return Err(Error::conflict(
                ErrorCode::DuplicateOutcome,
                format!("the outcome code {} appears twice", o.code),
            ));
        }
    }
    if s.target_wait_minutes.is_some_and(|m| m == 0 || m > 24 * 60) {
        return Err(Error::invalid("the target wait runs from 1 to 1440 minutes"));
    }
    if s.daily_cap.is_some_and(|c| c == 0 || c > 9999) {
        return Err(Error::invalid("the daily cap runs from 1 to 9999 tickets"));
    }
    Ok(())
}

fn validate_counter(c: &Connection, input: &CounterInput) -> Result<()> {
    check_text("a counter's name", &input.name, 60)?;
    let mut seen = HashSet::new();
    for id in &input.services {
        if !seen.insert(id) {
            return Err(Error::invalid(format!("service {id} appears twice")));
        }
        if cfg::get_service(c, *id)?.is_none() {
            return Err(Error::conflict(
                ErrorCode::UnknownReference,
                format!("there is no service {id}"),
            ));
        }
    }
    Ok(())
}

async fn changed(state: &AppState) -> Result<()> {
    state.store.write(|ctx| ctx.emit(&LiveEvent::ConfigChanged)).await
}

#[utoipa::path(get, path = "/admin/services", tag = "admin",
    responses((status = 200, body = Vec<Service>)), security(("admin" = [])))]
async fn list_services(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<Service>>> {
    Ok(Json(state.store.read(cfg::list_services).await?))
}

#[utoipa::path(post, path = "/admin/services", tag = "admin", request_body = ServiceInput,
    responses((status = 200, body = Service), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("admin" = [])))]
async fn create_service(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(input): JsonBody<ServiceInput>,
) -> Result<Json<Service>> {
    validate_service(&input)?;
    let service = state
        .store
        .write(move |ctx| {
            let id = cfg::insert_service(ctx.conn, &input)?;
            ctx.emit(&LiveEvent::ConfigChanged)?;
            Ok(Service { id, config: input })
        })
        .await?;
    Ok(Json(service))
}

#[utoipa::path(put, path = "/admin/services/{id}", tag = "admin", request_body = ServiceInput,
    params(("id" = i64, Path, minimum = 1, description = "Service id")),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("admin" = [])))]
async fn update_service(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<ServiceInput>,
) -> Result<Json<Service>> {
    validate_service(&input)?;
    let service = state
        .store
        .write(move |ctx| {
            if !cfg::update_service(ctx.conn, id, &input)? {
                return Err(Error::not_found(format!("service {id}")));
            }
            ctx.emit(&LiveEvent::ConfigChanged)?;
            Ok(Service { id, config: input })
        })
        .await?;
    Ok(Json(service))
}

#[utoipa::path(get, path = "/admin/counters", tag = "admin",
    responses((status = 200, body = Vec<Counter>)), security(("admin" = [])))]
async fn list_counters(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<Counter>>> {
    Ok(Json(state.store.read(cfg::list_counters).await?))
}

#[utoipa::path(post, path = "/admin/counters", tag = "admin", request_body = CounterInput,
    responses((status = 200, body = Counter), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("admin" = [])))]
async fn create_counter(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(input): JsonBody<CounterInput>,
) -> Result<Json<Counter>> {
    let counter = state
        .store
        .write(move |ctx| {
            validate_counter(ctx.conn, &input)?;
            let id = cfg::insert_counter(ctx.conn, &input)?;
            ctx.emit(&LiveEvent::ConfigChanged)?;
            Ok(Counter { id, config: input })
        })
        .await?;
    Ok(Json(counter))
}

#[utoipa::path(put, path = "/admin/counters/{id}", tag = "admin", request_body = CounterInput,
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = Counter), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("admin" = [])))]
async fn update_counter(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<CounterInput>,
) -> Result<Json<Counter>> {
    let counter = state
        .store
        .write(move |ctx| {
            validate_counter(ctx.conn, &input)?;
            if !cfg::update_counter(ctx.conn, id, &input)? {
                return Err(Error::not_found(format!("counter {id}")));
            }
            ctx.emit(&LiveEvent::ConfigChanged)?;
            Ok(Counter { id, config: input })
        })
        .await?;
    Ok(Json(counter))
}

#[utoipa::path(get, path = "/admin/users", tag = "admin",
    responses((status = 200, body = Vec<User>)), security(("admin" = [])))]
async fn list_users(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<User>>> {
    Ok(Json(state.store.read(cfg::list_users).await?))
}

async fn password_hash(state: &AppState, password: Option<String>, required: bool) -> Result<Option<String>> {
    match password {
        None if required => Err(Error::invalid("a new user needs a password")),
        None => Ok(None),
        Some(p) if !(MIN_PASSWORD_CHARS..=256).contains(&p.chars().count()) => Err(Error::invalid(format!(
            "a password needs {MIN_PASSWORD_CHARS} to 256 characters"
        ))),
        Some(p) => state.hasher.run(move || auth::hash_password(&p)).await?.map(Some),
    }
}

#[utoipa::path(post, path = "/admin/users", tag = "admin", request_body = NewUserInput,
    responses((status = 200, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("admin" = [])))]
async fn create_user(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(input): JsonBody<UserInput>,
) -> Result<Json<User>> {
    check_text("a display name", &input.display_name, 80)?;
    let hash = password_hash(&state, input.password.clone(), true)
        .await?
        .unwrap_or_default();
    let user = state
        .store
        .write(move |ctx| {
            let id = cfg::insert_user(
                ctx.conn,
                input.username.as_str(),
                &input.display_name,
                input.role,
                &hash,
                input.active,
            )?;
            Ok(User {
                id,
                username: input.username,
                display_name: input.display_name,
                role: input.role,
                active: input.active,
            })
        })
        .await?;
    changed(&state).await?;
    Ok(Json(user))
}

/// Updates a user; deactivating one signs them out everywhere.
#[utoipa::path(put, path = "/admin/users/{id}", tag = "admin", request_body = UserInput,
    params(("id" = i64, Path, minimum = 1, description = "User id")),
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("admin" = [])))]
async fn update_user(
    State(state): State<AppState>,
    Admin(me): Admin,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<UserInput>,
) -> Result<Json<User>> {
    // Changing your own password signs you out everywhere else, not here.
    let keep = (id == me.id)
        .then(|| {
            headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .map(|(_, t)| auth::token_hash(t.trim()))
        })
        .flatten();
    check_text("a display name", &input.display_name, 80)?;
    if id == me.id && (!input.active || input.role != me.role) {
        return Err(Error::conflict(
            ErrorCode::SelfLockout,
            "you cannot deactivate yourself or change your own role",
        ));
    }
    let hash = password_hash(&state, input.password.clone(), false).await?;
    let user = state
        .store
        .write(move |ctx| {
            let c = ctx.conn;
            if !cfg::update_user(
                c,
                id,
                input.username.as_str(),
                &input.display_name,
                input.role,
                hash.as_deref(),
                input.active,
            )? {
                return Err(Error::not_found(format!("user {id}")));
            }
            if !input.active || hash.is_some() {
                match &keep {
                    Some(keep) => cfg::delete_other_user_tokens(c, id, keep)?,
                    None => cfg::delete_user_tokens(c, id)?,
                }
            }
            Ok(User {
                id,
                username: input.username,
                display_name: input.display_name,
                role: input.role,
                active: input.active,
            })
        })
        .await?;
    state.tokens.clear();
    changed(&state).await?;
    Ok(Json(user))
}

#[utoipa::path(get, path = "/admin/devices", tag = "admin",
    responses((status = 200, body = Vec<Device>)), security(("admin" = [])))]
async fn list_devices(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<Device>>> {
    Ok(Json(state.store.read(cfg::list_devices).await?))
}

/// Creates a kiosk or display device; its token is shown in this answer only.
#[utoipa::path(post, path = "/admin/devices", tag = "admin", request_body = DeviceInput,
    responses((status = 200, body = DeviceCreated), (status = 422, body = ErrorBody)), security(("admin" = [])))]
async fn create_device(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(input): JsonBody<DeviceInput>,
) -> Result<Json<DeviceCreated>> {
    check_text("a device's name", &input.name, 60)?;
    let token = auth::new_token();
    let hash = auth::token_hash(&token);
    let device = state
        .store
        .write(move |ctx| {
            let id = cfg::insert_device(ctx.conn, &input.name, input.kind, &hash, ctx.now())?;
            cfg::get_device(ctx.conn, id)?.ok_or_else(|| Error::internal("device vanished"))
        })
        .await?;
    Ok(Json(DeviceCreated { device, token }))
}

/// Revokes a device's token at once.
#[utoipa::path(delete, path = "/admin/devices/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "Device id")),
    responses((status = 200, body = Device), (status = 404, body = ErrorBody)), security(("admin" = [])))]
async fn revoke_device(State(state): State<AppState>, _: Admin, Path(id): Path<i64>) -> Result<Json<Device>> {
    let device = state
        .store
        .write(move |ctx| {
            if !cfg::revoke_device(ctx.conn, id)? {
                return Err(Error::not_found(format!("device {id}")));
            }
            cfg::get_device(ctx.conn, id)?.ok_or_else(|| Error::not_found(format!("device {id}")))
        })
        .await?;
    state.tokens.clear();
    Ok(Json(device))
}

/// Ends the office day now: tickets still waiting or called are closed as `expired`.
#[utoipa::path(post, path = "/admin/end-of-day", tag = "admin", request_body = EndOfDayRequest,
    responses((status = 200, body = EndOfDayReport)), security(("admin" = [])))]
async fn end_of_day(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(req): JsonBody<EndOfDayRequest>,
) -> Result<Json<EndOfDayReport>> {
    let office = state.office.clone();
    let expired = state
        .store
        .write(move |ctx| engine::end_of_day(ctx, &office, true, req.include_serving))
        .await?;
    Ok(Json(EndOfDayReport { expired }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct DaysQuery {
    /// The first office day, `YYYY-MM-DD` (default: today).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<jiff::civil::Date>,
    /// The last office day, `YYYY-MM-DD` (default: `from`).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<jiff::civil::Date>,
}

/// The ratings given for the visits of a range of office days (at most 10,000), oldest first:
/// anonymous, with their service and counter.
#[utoipa::path(get, path = "/admin/ratings", tag = "admin", params(DaysQuery),
    responses((status = 200, body = Vec<StoredRating>)), security(("admin" = [])))]
async fn ratings(
    State(state): State<AppState>,
    _: Admin,
    Query(q): Query<DaysQuery>,
) -> Result<Json<Vec<StoredRating>>> {
    let today = state.office.local(state.store.now()).date();
    let from = q.from.unwrap_or(today);
    // A range that ends before it starts holds no day.
    let to = q.to.unwrap_or(from);
    let (from, to) = (from.to_string(), to.to_string());
    Ok(Json(
        state
            .store
            .read(move |c| crate::store::tickets::ratings_between(c, &from, &to))
            .await?,
    ))
}

/// Takes a service out of use: its history stays, kiosks stop offering it.
#[utoipa::path(delete, path = "/admin/services/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "Service id")),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody)), security(("admin" = [])))]
async fn deactivate_service(State(state): State<AppState>, _: Admin, Path(id): Path<i64>) -> Result<Json<Service>> {
    let service = state
        .store
        .write(move |ctx| {
            let mut s = cfg::get_service(ctx.conn, id)?.ok_or_else(|| Error::not_found(format!("service {id}")))?;
            s.config.active = false;
            cfg::update_service(ctx.conn, id, &s.config)?;
            ctx.emit(&LiveEvent::ConfigChanged)?;
            Ok(s)
        })
        .await?;
    Ok(Json(service))
}

/// Takes a counter out of use: its history stays.
#[utoipa::path(delete, path = "/admin/counters/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = Counter), (status = 404, body = ErrorBody)), security(("admin" = [])))]
async fn deactivate_counter(State(state): State<AppState>, _: Admin, Path(id): Path<i64>) -> Result<Json<Counter>> {
    let counter = state
        .store
        .write(move |ctx| {
            let mut k = cfg::get_counter(ctx.conn, id)?.ok_or_else(|| Error::not_found(format!("counter {id}")))?;
            k.config.active = false;
            cfg::update_counter(ctx.conn, id, &k.config)?;
            ctx.emit(&LiveEvent::ConfigChanged)?;
            Ok(k)
        })
        .await?;
    Ok(Json(counter))
}

/// Deactivates a user and signs them out everywhere; their history stays.
#[utoipa::path(delete, path = "/admin/users/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "User id")),
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("admin" = [])))]
async fn deactivate_user(State(state): State<AppState>, Admin(me): Admin, Path(id): Path<i64>) -> Result<Json<User>> {
    if id == me.id {
        return Err(Error::conflict(
            ErrorCode::SelfLockout,
            "you cannot deactivate yourself",
        ));
    }
    let user = state
        .store
        .write(move |ctx| {
            let mut u = cfg::get_user(ctx.conn, id)?.ok_or_else(|| Error::not_found(format!("user {id}")))?;
            u.active = false;
            cfg::update_user(ctx.conn, id, u.username.as_str(), &u.display_name, u.role, None, false)?;
            cfg::delete_user_tokens(ctx.conn, id)?;
            Ok(u)
        })
        .await?;
    state.tokens.clear();
    Ok(Json(user))
}
