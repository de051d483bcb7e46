//! The HTTP API under `/api/v1`, grouped by resource, with its OpenAPI document generated from the
//! handlers' annotations (so the document lists exactly the routes the server serves).

pub mod admin;
pub mod counters;
pub mod events;
pub mod public;
pub mod tickets;

use axum::extract::{FromRequest, FromRequestParts};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::Error;

/// A JSON request body whose every rejection is a JSON [`Error`].
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct JsonBody<T>(pub T);

/// Path parameters whose rejection is a JSON [`Error`].
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

/// Query parameters whose rejection is a JSON [`Error`].
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct Query<T>(pub T);

/// The roles a route may require, named in each operation's `security`. The auth test reads them
/// from the generated document and checks that every route refuses the others.
pub const ROLES: &[(&str, &str)] = &[
    ("kiosk", "A kiosk's device token."),
    (
        "display",
        "Any device or user token: kiosks, waiting-room displays, clerks, back office.",
    ),
    (
        "clerk",
        "A clerk (or back-office user) signed in at the counter the operation acts on.",
    ),
    ("user", "Any signed-in clerk or back-office user."),
    ("admin", "A back-office user."),
];

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, description) in ROLES {
            components.add_security_scheme(
                *name,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(*description))
                        .build(),
                ),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Turno office server", description = "Queue, counters, ratings and live events of one office."),
    modifiers(&SecuritySchemes),
    tags(
        (name = "public", description = "What anyone may read: the office view and a ticket's status."),
        (name = "auth", description = "Sign in and out."),
        (name = "tickets", description = "Issuing tickets and what clerks do with them."),
        (name = "counters", description = "Counters, their clerks and their calls."),
        (name = "events", description = "Live events (Server-Sent Events)."),
        (name = "admin", description = "The back office: services, counters, users, devices, end of day."),
    )
)]
struct ApiDoc;

/// Every API route, with the OpenAPI document that describes them.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        turno_shared::api::API_PREFIX,
        OpenApiRouter::new()
            .merge(public::router())
            .merge(tickets::router())
            .merge(counters::router())
            .merge(events::router())
            .merge(admin::router()),
    )
}
