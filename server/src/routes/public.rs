//! Public routes (office view, a ticket's status and rating by its token) and sign-in.

use axum::Json;
use axum::extract::State;
use turno_shared::api::{
    ErrorBody, LoginRequest, LoginResponse, OfficeView, PublicRatingRequest, PublicTicketStatus, RatingRecorded,
};
use turno_shared::domain::RatingInput;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{JsonBody, Path, PdfFile};
use crate::AppState;
use crate::auth::{self, ClientAddr, Person};
use crate::engine;
use crate::error::{Error, Result};
use crate::store::{office as cfg, tickets};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(office))
        .routes(routes!(ticket_status))
        .routes(routes!(rate_ticket))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(download_form))
}

/// A service's form (PDF), for citizens to download while they wait.
#[utoipa::path(get, path = "/forms/{id}", tag = "public",
    params(("id" = i64, Path, minimum = 1, description = "Form id")),
    responses((status = 200, content_type = "application/pdf", body = PdfFile), (status = 404, body = ErrorBody)))]
async fn download_form(State(state): State<AppState>, Path(id): Path<i64>) -> Result<axum::response::Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let (form, data) = state
        .store
        .read(move |c| cfg::form_data(c, id))
        .await?
        .ok_or_else(|| Error::not_found(format!("form {id}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", form.filename),
            ),
        ],
        data,
    )
        .into_response())
}

/// The office, its services and their queues.
#[utoipa::path(get, path = "/office", tag = "public", responses((status = 200, body = OfficeView)))]
async fn office(State(state): State<AppState>) -> Result<Json<OfficeView>> {
    let office = state.office.clone();
    let now = state.store.now();
    let queue = state.store.queue();
    Ok(Json(
        state
            .store
            .read(move |c| engine::office_view(c, &queue, &office, now))
            .await?,
    ))
}

/// A ticket's status, for whoever holds it: the token is printed in its QR code.
#[utoipa::path(get, path = "/public/tickets/{token}", tag = "public",
    params(("token" = String, Path, pattern = "^[0-9a-f]{32}$", description = "The ticket's token")),
    responses((status = 200, body = PublicTicketStatus), (status = 404, body = ErrorBody)))]
async fn ticket_status(State(state): State<AppState>, Path(token): Path<String>) -> Result<Json<PublicTicketStatus>> {
    let office = state.office.clone();
    let now = state.store.now();
    let queue = state.store.queue();
    Ok(Json(
        state
            .store
            .read(move |c| engine::public_status(c, &queue, &office, &token, now))
            .await?,
    ))
}

/// Rates a finished visit from the ticket's own status page.
#[utoipa::path(post, path = "/public/tickets/{token}/rating", tag = "public",
    params(("token" = String, Path, pattern = "^[0-9a-f]{32}$", description = "The ticket's token")),
    request_body = PublicRatingRequest,
    responses((status = 200, body = RatingRecorded), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn rate_ticket(
    State(state): State<AppState>,
    Path(token): Path<String>,
    JsonBody(req): JsonBody<PublicRatingRequest>,
) -> Result<Json<RatingRecorded>> {
    let input = RatingInput::new(req.rating, req.reason)?;
    let office = state.office.clone();
    let recorded = state
        .store
        .write(move |ctx| {
            let t = tickets::by_token(ctx.conn, &token)?.ok_or_else(|| Error::not_found("ticket"))?;
            engine::rate(ctx, &office, t, input)
        })
        .await?;
    Ok(Json(recorded))
}

/// Signs a clerk or back-office user in. Repeated failures from one address are refused for a while.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, description = "Too many sign-ins at once", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>> {
    Ok(Json(auth::login(&state, req, client).await?))
}

/// Signs out: the token stops working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    responses((status = 200), (status = 401, body = ErrorBody)), security(("user" = [])))]
async fn logout(State(state): State<AppState>, _: Person, parts: axum::http::HeaderMap) -> Result<Json<()>> {
    let token = parts
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' ').map(|(_, t)| t.trim().to_owned()))
        .ok_or(Error::Unauthenticated)?;
    let hash = auth::token_hash(&token);
    state.store.write(move |ctx| cfg::delete_token(ctx.conn, &hash)).await?;
    state.tokens.clear();
    Ok(Json(()))
}
