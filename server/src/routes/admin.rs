//! Back-office routes: services, counters, users, devices, notices and forms, who is signed in where,
//! the audit log, the ratings, and the end of the office day. Each extracts its request and calls one
//! operation of [`crate::backoffice`], which validates, writes, audits and announces.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use turno_shared::api::{
    AuditEntry, Counter, CounterInput, Device, DeviceCreated, DeviceInput, EndOfDayReport, EndOfDayRequest, ErrorBody,
    ErrorCode, Form, NewUserInput, Notice, NoticeInput, OpenSession, Service, ServiceInput, StoredRating, User,
    UserInput,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{JsonBody, Path, PdfFile, Query};
use crate::AppState;
use crate::auth::{self, Admin, MIN_PASSWORD_CHARS};
use crate::backoffice;
use crate::error::{Error, Result};
use crate::store::{audit, office as cfg};

pub fn router() -> OpenApiRouter<AppState> {
    // Forms are the one body larger than the API's usual limit.
    let uploads = OpenApiRouter::new()
        .routes(routes!(upload_form))
        .layer(axum::extract::DefaultBodyLimit::max(backoffice::MAX_FORM_BYTES + 1));
    OpenApiRouter::new()
        .routes(routes!(list_services, create_service))
        .routes(routes!(update_service, deactivate_service))
        .routes(routes!(list_counters, create_counter))
        .routes(routes!(update_counter, deactivate_counter))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user, deactivate_user))
        .routes(routes!(list_sessions))
        .routes(routes!(list_devices, create_device))
        .routes(routes!(revoke_device))
        .routes(routes!(list_notices, create_notice))
        .routes(routes!(update_notice, delete_notice))
        .routes(routes!(list_forms))
        .routes(routes!(delete_form))
        .routes(routes!(end_of_day))
        .routes(routes!(ratings))
        .routes(routes!(audit_log))
        .merge(uploads)
}

// ----- services -----

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
    Admin(me): Admin,
    JsonBody(input): JsonBody<ServiceInput>,
) -> Result<Json<Service>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::create_service(ctx, Some(&me), input))
            .await?,
    ))
}

#[utoipa::path(put, path = "/admin/services/{id}", tag = "admin", request_body = ServiceInput,
    params(("id" = i64, Path, minimum = 1, description = "Service id")),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("admin" = [])))]
async fn update_service(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<ServiceInput>,
) -> Result<Json<Service>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::update_service(ctx, Some(&me), id, input))
            .await?,
    ))
}

/// Takes a service out of use: its history stays, kiosks stop offering it, tickets already waiting are
/// still called.
#[utoipa::path(delete, path = "/admin/services/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "Service id")),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody)), security(("admin" = [])))]
async fn deactivate_service(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
) -> Result<Json<Service>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::deactivate_service(ctx, Some(&me), id))
            .await?,
    ))
}

// ----- counters -----

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
    Admin(me): Admin,
    JsonBody(input): JsonBody<CounterInput>,
) -> Result<Json<Counter>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::create_counter(ctx, Some(&me), input))
            .await?,
    ))
}

/// Updates a counter; one a clerk is signed in at cannot be taken out of use.
#[utoipa::path(put, path = "/admin/counters/{id}", tag = "admin", request_body = CounterInput,
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = Counter), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("admin" = [])))]
async fn update_counter(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<CounterInput>,
) -> Result<Json<Counter>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::update_counter(ctx, Some(&me), id, input))
            .await?,
    ))
}

/// Takes a counter out of use (not while a clerk is signed in at it): its history stays.
#[utoipa::path(delete, path = "/admin/counters/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = Counter), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("admin" = [])))]
async fn deactivate_counter(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
) -> Result<Json<Counter>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::deactivate_counter(ctx, Some(&me), id))
            .await?,
    ))
}

// ----- users -----

#[utoipa::path(get, path = "/admin/users", tag = "admin",
    responses((status = 200, body = Vec<User>)), security(("admin" = [])))]
async fn list_users(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<User>>> {
    Ok(Json(state.store.read(cfg::list_users).await?))
}

/// The hash of a new password, off the writer; `None` when none is given.
async fn password_hash(state: &AppState, password: Option<String>) -> Result<Option<String>> {
    match password {
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
    Admin(me): Admin,
    JsonBody(input): JsonBody<UserInput>,
) -> Result<Json<User>> {
    if input.password.is_none() {
        return Err(Error::invalid("a new user needs a password"));
    }
    let hash = password_hash(&state, input.password.clone()).await?.unwrap_or_default();
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::create_user(ctx, Some(&me), input, &hash))
            .await?,
    ))
}

/// Updates a user; a new password or deactivation signs them out everywhere (changing your own
/// password keeps this session).
#[utoipa::path(put, path = "/admin/users/{id}", tag = "admin", request_body = UserInput,
    params(("id" = i64, Path, minimum = 1, description = "User id")),
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("admin" = [])))]
async fn update_user(
    State(state): State<AppState>,
    Admin(me): Admin,
    headers: HeaderMap,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<UserInput>,
) -> Result<Json<User>> {
    let keep = (id == me.id)
        .then(|| {
            headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .map(|(_, t)| auth::token_hash(t.trim()))
        })
        .flatten();
    let hash = password_hash(&state, input.password.clone()).await?;
    let user = state
        .store
        .write(move |ctx| backoffice::update_user(ctx, Some(&me), id, input, hash.as_deref(), keep.as_deref()))
        .await?;
    state.tokens.clear();
    Ok(Json(user))
}

/// Deactivates a user: signed out everywhere, their counter closed (a ticket still there goes back to
/// the queue in its place); their history stays.
#[utoipa::path(delete, path = "/admin/users/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "User id")),
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("admin" = [])))]
async fn deactivate_user(State(state): State<AppState>, Admin(me): Admin, Path(id): Path<i64>) -> Result<Json<User>> {
    let user = state
        .store
        .write(move |ctx| backoffice::deactivate_user(ctx, Some(&me), id))
        .await?;
    state.tokens.clear();
    Ok(Json(user))
}

/// Who is signed in at which counter now, and since when; paused or not.
#[utoipa::path(get, path = "/admin/sessions", tag = "admin",
    responses((status = 200, body = Vec<OpenSession>)), security(("admin" = [])))]
async fn list_sessions(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<OpenSession>>> {
    let sessions = state
        .store
        .read(|c| {
            let mut out = Vec::new();
            for (s, opened_at) in cfg::open_sessions(c)? {
                let (Some(user), Some(counter_name)) =
                    (cfg::get_user(c, s.user_id)?, cfg::counter_name(c, s.counter_id)?)
                else {
                    continue;
                };
                out.push(OpenSession {
                    counter_id: s.counter_id,
                    counter_name,
                    user,
                    since: cfg::ts(opened_at)?,
                    paused: s.paused,
                });
            }
            Ok(out)
        })
        .await?;
    Ok(Json(sessions))
}

// ----- devices -----

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
    Admin(me): Admin,
    JsonBody(input): JsonBody<DeviceInput>,
) -> Result<Json<DeviceCreated>> {
    let token = auth::new_token();
    let hash = auth::token_hash(&token);
    let device = state
        .store
        .write(move |ctx| backoffice::create_device(ctx, Some(&me), input, &hash))
        .await?;
    Ok(Json(DeviceCreated { device, token }))
}

/// Revokes a device's token at once.
#[utoipa::path(delete, path = "/admin/devices/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "Device id")),
    responses((status = 200, body = Device), (status = 404, body = ErrorBody)), security(("admin" = [])))]
async fn revoke_device(State(state): State<AppState>, Admin(me): Admin, Path(id): Path<i64>) -> Result<Json<Device>> {
    let device = state
        .store
        .write(move |ctx| backoffice::revoke_device(ctx, Some(&me), id))
        .await?;
    state.tokens.clear();
    Ok(Json(device))
}

// ----- notices -----

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
    Admin(me): Admin,
    JsonBody(input): JsonBody<NoticeInput>,
) -> Result<Json<Notice>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::create_notice(ctx, Some(&me), input))
            .await?,
    ))
}

#[utoipa::path(put, path = "/admin/notices/{id}", tag = "admin", request_body = NoticeInput,
    params(("id" = i64, Path, minimum = 1, description = "Notice id")),
    responses((status = 200, body = Notice), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("admin" = [])))]
async fn update_notice(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<NoticeInput>,
) -> Result<Json<Notice>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::update_notice(ctx, Some(&me), id, input))
            .await?,
    ))
}

/// Removes a notice.
#[utoipa::path(delete, path = "/admin/notices/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "Notice id")),
    responses((status = 200), (status = 404, body = ErrorBody)), security(("admin" = [])))]
async fn delete_notice(State(state): State<AppState>, Admin(me): Admin, Path(id): Path<i64>) -> Result<Json<()>> {
    state
        .store
        .write(move |ctx| backoffice::delete_notice(ctx, Some(&me), id))
        .await?;
    Ok(Json(()))
}

// ----- forms -----

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct FormQuery {
    /// What the form is, as citizens read it.
    #[param(
        min_length = 1,
        max_length = 120,
        pattern = r"[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    )]
    title: String,
    /// The file's name when downloaded (made safe; it ends in `.pdf`).
    #[param(max_length = 200)]
    filename: Option<String>,
}

/// Attaches a PDF form (at most 10 MB) to a service; citizens download it from their ticket's page.
/// A file that is not a PDF is answered 415.
#[utoipa::path(post, path = "/admin/services/{id}/forms", tag = "admin", params(FormQuery,
        ("id" = i64, Path, minimum = 1, description = "Service id")),
    request_body(content = PdfFile, content_type = "application/pdf"),
    responses((status = 200, body = Form), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody)),
    security(("admin" = [])))]
async fn upload_form(
    State(state): State<AppState>,
    Admin(me): Admin,
    Path(id): Path<i64>,
    Query(q): Query<FormQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Form>> {
    let pdf = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/pdf"));
    if !pdf {
        return Err(Error::BadRequest {
            status: axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: ErrorCode::UnsupportedMediaType,
            message: "send the form as application/pdf".into(),
        });
    }
    let filename = q.filename.unwrap_or_else(|| format!("{}.pdf", q.title));
    Ok(Json(
        state
            .store
            .write(move |ctx| backoffice::add_form(ctx, Some(&me), id, &q.title, &filename, &body))
            .await?,
    ))
}

/// Every service's forms.
#[utoipa::path(get, path = "/admin/forms", tag = "admin",
    responses((status = 200, body = Vec<Form>)), security(("admin" = [])))]
async fn list_forms(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<Form>>> {
    Ok(Json(state.store.read(cfg::list_forms).await?))
}

#[utoipa::path(delete, path = "/admin/forms/{id}", tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "Form id")),
    responses((status = 200), (status = 404, body = ErrorBody)), security(("admin" = [])))]
async fn delete_form(State(state): State<AppState>, Admin(me): Admin, Path(id): Path<i64>) -> Result<Json<()>> {
    state
        .store
        .write(move |ctx| backoffice::delete_form(ctx, Some(&me), id))
        .await?;
    Ok(Json(()))
}

// ----- the office day, ratings, audit -----

/// Ends the office day now: tickets still waiting or called are closed as `expired`.
#[utoipa::path(post, path = "/admin/end-of-day", tag = "admin", request_body = EndOfDayRequest,
    responses((status = 200, body = EndOfDayReport)), security(("admin" = [])))]
async fn end_of_day(
    State(state): State<AppState>,
    Admin(me): Admin,
    JsonBody(req): JsonBody<EndOfDayRequest>,
) -> Result<Json<EndOfDayReport>> {
    let office = state.office.clone();
    let expired = state
        .store
        .write(move |ctx| backoffice::end_of_day(ctx, Some(&me), &office, req.include_serving))
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

impl DaysQuery {
    /// The range asked for, today by default.
    fn range(&self, state: &AppState) -> (jiff::civil::Date, jiff::civil::Date) {
        let today = state.office.local(state.store.now()).date();
        let from = self.from.unwrap_or(today);
        (from, self.to.unwrap_or(from))
    }
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
    // A range that ends before it starts holds no day.
    let (from, to) = q.range(&state);
    let (from, to) = (from.to_string(), to.to_string());
    Ok(Json(
        state
            .store
            .read(move |c| crate::store::tickets::ratings_between(c, &from, &to))
            .await?,
    ))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct AuditQuery {
    /// The first office day, `YYYY-MM-DD` (default: today).
    #[param(value_type = Option<String>, format = Date)]
    from: Option<jiff::civil::Date>,
    /// The last office day, `YYYY-MM-DD` (default: `from`).
    #[param(value_type = Option<String>, format = Date)]
    to: Option<jiff::civil::Date>,
    /// Only changes to this kind of record.
    #[param(inline)]
    entity: Option<AuditedKind>,
}

/// The kinds of record the audit log names.
#[derive(Clone, Copy, Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum AuditedKind {
    Service,
    Counter,
    User,
    Device,
    Notice,
    Form,
    Office,
}

impl AuditedKind {
    fn as_str(self) -> &'static str {
        match self {
            AuditedKind::Service => "service",
            AuditedKind::Counter => "counter",
            AuditedKind::User => "user",
            AuditedKind::Device => "device",
            AuditedKind::Notice => "notice",
            AuditedKind::Form => "form",
            AuditedKind::Office => "office",
        }
    }
}

/// The changes the back office made in a range of office days, newest first (at most 5,000): who,
/// when, what, before and after.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>)), security(("admin" = [])))]
async fn audit_log(
    State(state): State<AppState>,
    _: Admin,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>> {
    let days = DaysQuery { from: q.from, to: q.to };
    let (from, to) = days.range(&state);
    let start = |d: jiff::civil::Date| -> Result<jiff::Timestamp> {
        d.to_zoned(state.office.tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| Error::invalid(e.to_string()))
    };
    let (start, end) = (
        start(from)?,
        start(to.tomorrow().map_err(|e| Error::invalid(e.to_string()))?)?,
    );
    Ok(Json(
        state
            .store
            .read(move |c| audit::between(c, start, end, q.entity.map(AuditedKind::as_str)))
            .await?,
    ))
}
