//! The HTTP API under `/api/v1`, grouped by resource, with its OpenAPI document generated from the
//! handlers' annotations (so the document lists exactly the routes the server serves).

pub mod admin;
pub mod board;
pub mod counters;
pub mod events;
pub mod public;
pub mod stats;
pub mod ticket_live;
pub mod tickets;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::openapi::{KnownFormat, SchemaFormat};
use utoipa::{Modify, OpenApi};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::error::Error;
use turno_shared::api::ErrorCode;

/// A JSON request body whose every rejection is a JSON [`Error`]: 415 without a JSON content type,
/// 400 when it is not JSON, 422 when it does not fit `T`.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let axum::Json(mut value) = axum::Json::<Value>::from_request(req, state).await?;
        whole_numbers_as_integers(&mut value);
        serde_json::from_value(value)
            .map(JsonBody)
            .map_err(|e| Error::BadRequest {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: ErrorCode::InvalidJson,
                message: format!("Failed to deserialize the JSON body into the target type: {e}"),
            })
    }
}

/// JSON Schema counts `2.0` as the integer 2 (draft 6 on, so OpenAPI 3.1), serde does not: read whole
/// numbers written with a fraction as integers. The API takes no fractional numbers anywhere.
fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// Path parameters whose rejection is a JSON [`Error`].
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

/// Query parameters whose rejection is a JSON [`Error`].
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct Query<T>(pub T);

/// A PDF file, as an upload's body.
pub struct PdfFile;

impl PartialSchema for PdfFile {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The PDF file, at most 10 MB."))
            .into()
    }
}

impl ToSchema for PdfFile {}

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

/// Completes the generated document where the handlers' annotations cannot: the error answers that the
/// extractors give to every operation, and constraints that utoipa cannot express.
pub fn complete_document(doc: &mut utoipa::openapi::OpenApi) {
    fn error(status: &str, description: &str) -> RefOr<utoipa::openapi::Response> {
        let mut r = ResponseBuilder::new().description(description);
        if status == "401" {
            r = r.header(
                "WWW-Authenticate",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .build(),
            );
        }
        r.content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
    }
    for item in doc.paths.paths.values_mut() {
        let ops: [&mut Option<Operation>; 4] = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete];
        for op in ops.into_iter().flatten() {
            let roles: Vec<String> = op
                .security
                .iter()
                .flatten()
                .filter_map(|r| serde_json::to_value(r).ok())
                .filter_map(|v| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()))
                .flatten()
                .collect();
            let has_params = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query));
            let mut wanted: Vec<(&str, &str)> = Vec::new();
            if op.request_body.is_some() {
                wanted.push((
                    "400",
                    "Not JSON (`invalid_json`), or a malformed path or query parameter",
                ));
                wanted.push((
                    "415",
                    "The body is not sent as `application/json` (`unsupported_media_type`)",
                ));
                wanted.push((
                    "422",
                    "The body does not fit the schema or breaks a rule (`invalid_json`, `invalid_input`)",
                ));
            }
            if has_params {
                wanted.push((
                    "400",
                    "A malformed path or query parameter (`invalid_path`, `invalid_query`)",
                ));
            }
            if !roles.is_empty() {
                wanted.push((
                    "401",
                    "No token, or an unknown, expired or revoked one (`unauthenticated`)",
                ));
                if roles.iter().any(|r| r != "display") {
                    wanted.push(("403", "The token's holder may not do this (`forbidden`)"));
                }
            }
            for (status, description) in wanted {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(status, description));
            }
        }
    }
    add_links(doc);
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    // utoipa 5.5 writes `#[schema(min_properties = 1)]` as `maxProperties`; set it here instead.
    if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut("TransferRequest") {
        o.min_properties = Some(1);
    }
    // A reason goes only with a bad rating.
    for name in ["RatingRequest", "PublicRatingRequest"] {
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(name) {
            o.extensions.get_or_insert_with(Default::default).insert(
                "anyOf".to_owned(),
                json!([
                    { "properties": { "rating": { "const": "bad" } } },
                    { "properties": { "reason": { "type": "null" } } }
                ]),
            );
        }
    }
}

/// OpenAPI links from what creates a ticket or opens a counter session to what can be done with it:
/// Schemathesis' stateful phase follows them (it infers none from `IssuedTicket.ticket.id`).
/// Written as raw JSON because utoipa 5.5 writes a link's `operationId` as `operation_id`.
fn add_links(doc: &mut utoipa::openapi::OpenApi) {
    const TICKET_OPS: &[&str] = &[
        "get_ticket",
        "recall",
        "start",
        "finish",
        "no_show",
        "return_to_queue",
        "transfer",
        "cancel",
    ];
    let links = |ops: &[&str], param: &str, expr: &str| -> Value {
        ops.iter()
            .map(|op| {
                (
                    (*op).to_owned(),
                    json!({ "operationId": op, "parameters": { param: expr } }),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let mut issued = links(TICKET_OPS, "id", "$response.body#/ticket/id");
    issued["ticket_events"] =
        json!({ "operationId": "ticket_events", "parameters": { "id": "$response.body#/ticket/id" } });
    issued["ticket_status"] =
        json!({ "operationId": "ticket_status", "parameters": { "token": "$response.body#/token" } });
    let wanted = [
        ("issue_ticket", issued),
        ("call_next", links(TICKET_OPS, "id", "$response.body#/ticket/id")),
        ("call_ticket", links(TICKET_OPS, "id", "$response.body#/id")),
        (
            "start",
            links(&["finish", "return_to_queue", "transfer"], "id", "$response.body#/id"),
        ),
        (
            "open_session",
            links(
                &[
                    "call_next",
                    "call_ticket",
                    "pause",
                    "resume",
                    "close_session",
                    "walk_in",
                    "panel",
                    "queue",
                ],
                "id",
                "$response.body#/counter/id",
            ),
        ),
    ];
    for item in doc.paths.paths.values_mut() {
        let ops: [&mut Option<Operation>; 4] = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete];
        for op in ops.into_iter().flatten() {
            let Some((_, value)) = wanted.iter().find(|(id, _)| op.operation_id.as_deref() == Some(*id)) else {
                continue;
            };
            if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
                ok.extensions
                    .get_or_insert_with(Default::default)
                    .insert("links".to_owned(), value.clone());
            }
        }
    }
}

/// Every API route, with the OpenAPI document that describes them.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        turno_shared::api::API_PREFIX,
        OpenApiRouter::new()
            .merge(public::router())
            .merge(board::router())
            .merge(ticket_live::router())
            .merge(tickets::router())
            .merge(counters::router())
            .merge(events::router())
            .merge(admin::router())
            .merge(stats::router()),
    )
}
