//! Public routes (office view, a ticket's status and rating by its token) and sign-in.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::Extensions;
use jiff::SignedDuration;
use turno_shared::api::{
    ErrorBody, LoginRequest, LoginResponse, OfficeView, PublicRatingRequest, PublicTicketStatus, RatingRecorded,
};
use turno_shared::domain::RatingInput;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{JsonBody, Path};
use crate::AppState;
use crate::auth::{self, Person};
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
}

/// The office, its services and their queues.
#[utoipa::path(get, path = "/office", tag = "public", responses((status = 200, body = OfficeView)))]
async fn office(State(state): State<AppState>) -> Result<Json<OfficeView>> {
    let office = state.office.clone();
    let now = state.store.now();
    Ok(Json(
        state.store.read(move |c| engine::office_view(c, &office, now)).await?,
    ))
}

/// A ticket's status, for whoever holds it: the token is printed in its QR code.
#[utoipa::path(get, path = "/public/tickets/{token}", tag = "public",
    params(("token" = String, Path, pattern = "^[0-9a-f]{32}$", description = "The ticket's token")),
    responses((status = 200, body = PublicTicketStatus), (status = 404, body = ErrorBody)))]
async fn ticket_status(State(state): State<AppState>, Path(token): Path<String>) -> Result<Json<PublicTicketStatus>> {
    let office = state.office.clone();
    let now = state.store.now();
    Ok(Json(
        state
            .store
            .read(move |c| engine::public_status(c, &office, &token, now))
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

/// Signs a clerk or back-office user in. Repeated failures are refused for a while.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>> {
    let addr = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let username = req.username.trim().to_lowercase();
    state.limiter.check(&username, addr)?;
    let name = username.clone();
    let found = state.store.read(move |c| cfg::user_by_username(c, &name)).await?;
    let password = req.password;
    let user = auth::on_hasher(move || match found {
        Some((user, hash)) if user.active && auth::verify_password(&password, &hash) => Some(user),
        Some(_) => None,
        None => {
            // Spend the same time as for a real user, so timing does not tell which usernames exist.
            let _ = auth::verify_password(&password, dummy_hash());
            None
        }
    })
    .await?;
    let Some(user) = user else {
        state.limiter.failed(&username, addr);
        return Err(Error::BadRequest {
            status: axum::http::StatusCode::UNAUTHORIZED,
            code: "bad_credentials",
            message: "wrong username or password".into(),
        });
    };
    state.limiter.succeeded(&username);
    let token = auth::new_token();
    let hash = auth::token_hash(&token);
    let ttl: SignedDuration = state.office.login_ttl;
    let user_id = user.id;
    let expires_at = state
        .store
        .write(move |ctx| {
            let expires = ctx.now().checked_add(ttl).map_err(Error::internal)?;
            cfg::delete_expired_tokens(ctx.conn, ctx.now())?;
            cfg::insert_token(ctx.conn, &hash, user_id, expires)?;
            Ok(expires)
        })
        .await?;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        user,
    }))
}

fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password("not a real password").unwrap_or_default())
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
