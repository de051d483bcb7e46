//! Counter routes: a clerk signs in at a counter, pauses and resumes, and calls tickets.

use axum::Json;
use axum::extract::State;
use turno_shared::api::{
    CallResponse, CallTicketRequest, Counter, CounterPanel, CounterStatus, ErrorBody, PauseRequest, TicketView, WalkIn,
    WalkInRequest,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{JsonBody, Path};
use crate::AppState;
use crate::auth::Person;
use crate::engine;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(status))
        .routes(routes!(open_session, close_session))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(call_next))
        .routes(routes!(call_ticket))
        .routes(routes!(panel))
        .routes(routes!(queue))
        .routes(routes!(walk_in))
}

/// What the counter's console shows beside the current ticket: the queues of the counter's services
/// today (waiting, with priority, the longest wait and whether it is past the target, the estimate),
/// tickets transferred to it, and the day of the clerk who asks (served, no-shows, visits without
/// ticket, mean service time, time paused).
#[utoipa::path(get, path = "/counters/{id}/panel", tag = "counters",
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = CounterPanel), (status = 404, body = ErrorBody)), security(("user" = [])))]
async fn panel(State(state): State<AppState>, Person(user): Person, Path(id): Path<i64>) -> Result<Json<CounterPanel>> {
    let office = state.office.clone();
    let now = state.store.now();
    let queue = state.store.queue();
    Ok(Json(
        state
            .store
            .read(move |c| engine::counter_panel(c, &queue, &office, &user, id, now))
            .await?,
    ))
}

/// The tickets the counter may call now, oldest first (at most 1000): to call one by its number.
#[utoipa::path(get, path = "/counters/{id}/queue", tag = "counters",
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = Vec<TicketView>), (status = 404, body = ErrorBody)), security(("user" = [])))]
async fn queue(State(state): State<AppState>, _: Person, Path(id): Path<i64>) -> Result<Json<Vec<TicketView>>> {
    let office = state.office.clone();
    let now = state.store.now();
    Ok(Json(
        state
            .store
            .read(move |c| engine::counter_queue(c, &office, id, now))
            .await?,
    ))
}

/// Records a visit without a ticket at the counter (a citizen sent straight to the desk, a phone
/// appointment), ending now, with its outcome: the statistics hold every visit.
#[utoipa::path(post, path = "/counters/{id}/walk-ins", tag = "counters", request_body = WalkInRequest,
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = WalkIn), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn walk_in(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<WalkInRequest>,
) -> Result<Json<WalkIn>> {
    let office = state.office.clone();
    Ok(Json(
        state
            .store
            .write(move |ctx| engine::walk_in(ctx, &office, &user, id, &req))
            .await?,
    ))
}

/// The counters of the office and their services, for a clerk to choose where to sit.
#[utoipa::path(get, path = "/counters", tag = "counters", operation_id = "list_counters_at_work",
    responses((status = 200, body = Vec<Counter>)), security(("user" = [])))]
async fn list(State(state): State<AppState>, _: Person) -> Result<Json<Vec<Counter>>> {
    Ok(Json(state.store.read(crate::store::office::list_counters).await?))
}

/// The counter, its clerk, its current ticket and how many tickets it may call.
#[utoipa::path(get, path = "/counters/{id}", tag = "counters", operation_id = "counter_status",
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = CounterStatus), (status = 404, body = ErrorBody)), security(("user" = [])))]
async fn status(State(state): State<AppState>, _: Person, Path(id): Path<i64>) -> Result<Json<CounterStatus>> {
    Ok(Json(state.store.read(move |c| engine::counter_status(c, id)).await?))
}

/// Signs the clerk in at the counter (one clerk per counter, one counter per clerk).
#[utoipa::path(post, path = "/counters/{id}/session", tag = "counters",
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = CounterStatus),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("user" = [])))]
async fn open_session(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
) -> Result<Json<CounterStatus>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| engine::open_session(ctx, &user, id))
            .await?,
    ))
}

/// Signs the clerk out of the counter.
#[utoipa::path(delete, path = "/counters/{id}/session", tag = "counters",
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = CounterStatus), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn close_session(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
) -> Result<Json<CounterStatus>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| engine::close_session(ctx, &user, id))
            .await?,
    ))
}

/// Pauses the counter with a reason; it calls nobody until resumed.
#[utoipa::path(post, path = "/counters/{id}/pause", tag = "counters", request_body = PauseRequest,
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = CounterStatus), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn pause(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<PauseRequest>,
) -> Result<Json<CounterStatus>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| engine::pause(ctx, &user, id, &req))
            .await?,
    ))
}

#[utoipa::path(post, path = "/counters/{id}/resume", tag = "counters",
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = CounterStatus), (status = 403, body = ErrorBody)), security(("clerk" = [])))]
async fn resume(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
) -> Result<Json<CounterStatus>> {
    Ok(Json(
        state.store.write(move |ctx| engine::resume(ctx, &user, id)).await?,
    ))
}

/// Calls the next ticket by the office's call policy; `ticket` is null when nothing waits.
#[utoipa::path(post, path = "/counters/{id}/call-next", tag = "counters",
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = CallResponse),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn call_next(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
) -> Result<Json<CallResponse>> {
    let office = state.office.clone();
    let ticket = state
        .store
        .write(move |ctx| engine::call_next(ctx, &office, &user, id))
        .await?;
    Ok(Json(CallResponse { ticket }))
}

/// Calls a specific waiting ticket.
#[utoipa::path(post, path = "/counters/{id}/call", tag = "counters", request_body = CallTicketRequest,
    params(("id" = i64, Path, minimum = 1, description = "Counter id")),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn call_ticket(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<CallTicketRequest>,
) -> Result<Json<TicketView>> {
    let office = state.office.clone();
    Ok(Json(
        state
            .store
            .write(move |ctx| engine::call_ticket(ctx, &office, &user, id, req.ticket_id))
            .await?,
    ))
}
