//! Ticket routes: issuing at the kiosk, what clerks do with a ticket, ratings and printer alerts.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use turno_shared::api::{
    ErrorBody, FinishRequest, IssueRequest, IssuedTicket, PrinterAlert, PrinterAlertRequest, RatingRecorded,
    RatingRequest, TicketEvent, TicketView, TransferRequest,
};
use turno_shared::domain::{RatingInput, TicketState};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{JsonBody, Path, Query};
use crate::AppState;
use crate::auth::{Kiosk, Person};
use crate::engine::{self, Act};
use crate::error::{Error, Result};
use crate::store::{office as cfg, tickets};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue, list))
        .routes(routes!(get_ticket))
        .routes(routes!(ticket_events))
        .routes(routes!(recall))
        .routes(routes!(start))
        .routes(routes!(finish))
        .routes(routes!(no_show))
        .routes(routes!(return_to_queue))
        .routes(routes!(transfer))
        .routes(routes!(cancel))
        .routes(routes!(rate))
        .routes(routes!(report_printer, printer_alerts))
}

/// Issues a ticket for a service: the kiosk prints what it answers.
#[utoipa::path(post, path = "/tickets", tag = "tickets", operation_id = "issue_ticket", request_body = IssueRequest,
    responses((status = 200, body = IssuedTicket),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Service closed or full", body = ErrorBody)),
    security(("kiosk" = [])))]
async fn issue(
    State(state): State<AppState>,
    Kiosk(_device): Kiosk,
    JsonBody(req): JsonBody<IssueRequest>,
) -> Result<Json<IssuedTicket>> {
    let office = state.office.clone();
    let ticket = state
        .store
        .write({
            let office = office.clone();
            move |ctx| engine::issue(ctx, &office, &req)
        })
        .await?;
    // The estimate comes from the queue in memory, which the commit has updated: no read.
    let now = state.store.now();
    Ok(Json(engine::issued(&state.store.queue(), &office, ticket, now)?))
}

#[derive(Deserialize, IntoParams)]
struct ListQuery {
    /// Only tickets in this state (default `waiting`).
    state: Option<TicketState>,
}

/// Tickets in a state, oldest first (at most 1000).
#[utoipa::path(get, path = "/tickets", tag = "tickets", operation_id = "list_tickets", params(ListQuery),
    responses((status = 200, body = Vec<TicketView>)), security(("user" = [])))]
async fn list(State(state): State<AppState>, _: Person, Query(q): Query<ListQuery>) -> Result<Json<Vec<TicketView>>> {
    let wanted = q.state.unwrap_or(TicketState::Waiting);
    let rows = state.store.read(move |c| tickets::list_in_state(c, wanted)).await?;
    Ok(Json(rows.iter().map(tickets::Ticket::view).collect()))
}

#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets",
    params(("id" = i64, Path, minimum = 1, description = "Ticket id")),
    responses((status = 200, body = TicketView), (status = 404, body = ErrorBody)), security(("user" = [])))]
async fn get_ticket(State(state): State<AppState>, _: Person, Path(id): Path<i64>) -> Result<Json<TicketView>> {
    let t = state.store.read(move |c| tickets::get(c, id)).await?;
    Ok(Json(t.ok_or_else(|| Error::not_found(format!("ticket {id}")))?.view()))
}

/// A ticket's history: every step with its time, counter and clerk.
#[utoipa::path(get, path = "/tickets/{id}/events", tag = "tickets",
    params(("id" = i64, Path, description = "Ticket id")),
    responses((status = 200, body = Vec<TicketEvent>), (status = 404, body = ErrorBody)), security(("user" = [])))]
async fn ticket_events(
    State(state): State<AppState>,
    _: Person,
    Path(id): Path<i64>,
) -> Result<Json<Vec<TicketEvent>>> {
    let events = state
        .store
        .read(move |c| {
            tickets::get(c, id)?.ok_or_else(|| Error::not_found(format!("ticket {id}")))?;
            tickets::events_of(c, id)
        })
        .await?;
    Ok(Json(events))
}

async fn apply(state: AppState, user: turno_shared::api::User, id: i64, act: Act) -> Result<Json<TicketView>> {
    let office = state.office.clone();
    Ok(Json(
        state
            .store
            .write(move |ctx| engine::act(ctx, &office, &user, id, act))
            .await?,
    ))
}

/// Calls the ticket again (the citizen did not come yet).
#[utoipa::path(post, path = "/tickets/{id}/recall", tag = "tickets",
    params(("id" = i64, Path, minimum = 1, description = "Ticket id")),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn recall(State(state): State<AppState>, Person(user): Person, Path(id): Path<i64>) -> Result<Json<TicketView>> {
    apply(state, user, id, Act::Recall).await
}

/// The citizen is at the counter: service starts.
#[utoipa::path(post, path = "/tickets/{id}/start", tag = "tickets",
    params(("id" = i64, Path, minimum = 1, description = "Ticket id")),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn start(State(state): State<AppState>, Person(user): Person, Path(id): Path<i64>) -> Result<Json<TicketView>> {
    apply(state, user, id, Act::Start).await
}

/// Ends the service with an outcome from the service's list and an optional note.
#[utoipa::path(post, path = "/tickets/{id}/finish", tag = "tickets", request_body = FinishRequest,
    params(("id" = i64, Path, minimum = 1, description = "Ticket id")),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("clerk" = [])))]
async fn finish(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<FinishRequest>,
) -> Result<Json<TicketView>> {
    apply(
        state,
        user,
        id,
        Act::Finish {
            outcome: req.outcome,
            note: req.note,
            also: req.also,
        },
    )
    .await
}

/// The citizen did not come.
#[utoipa::path(post, path = "/tickets/{id}/no-show", tag = "tickets",
    params(("id" = i64, Path, minimum = 1, description = "Ticket id")),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn no_show(State(state): State<AppState>, Person(user): Person, Path(id): Path<i64>) -> Result<Json<TicketView>> {
    apply(state, user, id, Act::NoShow).await
}

/// Puts the ticket back in the queue with its original arrival time (also a late no-show).
#[utoipa::path(post, path = "/tickets/{id}/return", tag = "tickets",
    params(("id" = i64, Path, minimum = 1, description = "Ticket id")),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn return_to_queue(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
) -> Result<Json<TicketView>> {
    apply(state, user, id, Act::ReturnToQueue).await
}

/// Moves the ticket to another service or counter; it keeps its original arrival time.
#[utoipa::path(post, path = "/tickets/{id}/transfer", tag = "tickets", request_body = TransferRequest,
    params(("id" = i64, Path, minimum = 1, description = "Ticket id")),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn transfer(
    State(state): State<AppState>,
    Person(user): Person,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<TransferRequest>,
) -> Result<Json<TicketView>> {
    apply(state, user, id, Act::Transfer(req)).await
}

/// Cancels a waiting or called ticket.
#[utoipa::path(post, path = "/tickets/{id}/cancel", tag = "tickets",
    params(("id" = i64, Path, minimum = 1, description = "Ticket id")),
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("clerk" = [])))]
async fn cancel(State(state): State<AppState>, Person(user): Person, Path(id): Path<i64>) -> Result<Json<TicketView>> {
    apply(state, user, id, Act::Cancel).await
}

/// Records a citizen's rating at the kiosk. `code` is the rating code printed on the ticket (typed or
/// scanned from its barcode) or the ticket's token (scanned from its QR code). A kiosk that sends
/// many wrong codes is refused for a while.
#[utoipa::path(post, path = "/ratings", tag = "tickets", request_body = RatingRequest,
    responses((status = 200, body = RatingRecorded), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("kiosk" = [])))]
async fn rate(
    State(state): State<AppState>,
    Kiosk(device): Kiosk,
    JsonBody(req): JsonBody<RatingRequest>,
) -> Result<Json<RatingRecorded>> {
    let input = RatingInput::new(req.rating, req.reason)?;
    let attempt = state.rating_limiter.attempt(device.id)?;
    let code = engine::KioskCode::parse(&req.code)?;
    let office = state.office.clone();
    let recorded = state
        .store
        .write(move |ctx| {
            let t = engine::ticket_by_code(ctx.conn, &office, &code, ctx.now())?
                .ok_or_else(|| Error::not_found("today's ticket with this code"))?;
            engine::rate(ctx, &office, t, input)
        })
        .await;
    match &recorded {
        Err(Error::NotFound(_)) => drop(attempt),
        _ => attempt.withdrawn(),
    }
    Ok(Json(recorded?))
}

/// A kiosk reports its printer's status: consoles and the back office see it live.
#[utoipa::path(post, path = "/printer-alerts", tag = "tickets", request_body = PrinterAlertRequest,
    responses((status = 200, body = PrinterAlert)), security(("kiosk" = [])))]
async fn report_printer(
    State(state): State<AppState>,
    Kiosk(device): Kiosk,
    JsonBody(req): JsonBody<PrinterAlertRequest>,
) -> Result<Json<PrinterAlert>> {
    Ok(Json(
        state
            .store
            .write(move |ctx| engine::printer_alert(ctx, &device, &req))
            .await?,
    ))
}

/// The latest printer status of each kiosk.
#[utoipa::path(get, path = "/printer-alerts", tag = "tickets",
    responses((status = 200, body = Vec<PrinterAlert>)), security(("user" = [])))]
async fn printer_alerts(State(state): State<AppState>, _: Person) -> Result<Json<Vec<PrinterAlert>>> {
    Ok(Json(state.store.read(cfg::latest_printer_alerts).await?))
}
