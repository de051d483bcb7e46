//! The citizen's ticket page, which the ticket's QR code opens: the page carries the ticket's status,
//! its service's information sheet and the office's notices, and its script follows the ticket's live
//! stream (`/api/v1/public/tickets/<token>/live`). An unknown token gets a friendly page.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use turno_shared::api::{Localized, PublicTicketStatus, ServiceView};

use super::{escape, page_headers};
use crate::AppState;
use crate::engine;
use crate::error::Error;
use crate::store::tickets;

/// What the page's script starts from.
#[derive(Serialize)]
struct Initial {
    token: String,
    /// The language chosen at the kiosk, when known.
    language: Option<String>,
    service_id: i64,
    office_name: String,
    status: PublicTicketStatus,
    /// The ticket's service as the office view shows it (information sheet, documents, forms).
    service: Option<ServiceView>,
    notices: Vec<Localized>,
}

/// `/t/<token>`.
pub async fn page(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let office = state.office.clone();
    let now = state.store.now();
    let wanted = token.clone();
    let queue = state.store.queue();
    let found = state
        .store
        .read(move |c| {
            if tickets::by_token(c, &wanted)?.is_none() {
                return Ok(None);
            }
            let status = engine::public_status(c, &queue, &office, &wanted, now)?;
            let view = engine::office_view(c, &queue, &office, now)?;
            let service = view.services.into_iter().find(|s| s.id == status.service_id);
            Ok(Some((status, service, view.notices)))
        })
        .await;
    let (status, service, notices) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&state.office.name, &headers),
        Err(e) => return unavailable(e),
    };
    let language = status.language.clone();
    let service_id = status.service_id;
    let lang = language.as_deref().unwrap_or("it");
    let number = status.number.to_string();
    let initial = Initial {
        token,
        language: language.clone(),
        service_id,
        office_name: state.office.name.clone(),
        status,
        service,
        notices,
    };
    // JSON inside a <script> element: `<` escaped, so no text can close the element.
    let json = serde_json::to_string(&initial)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    let (title, loading) = if lang == "it" {
        ("Il suo biglietto", "Caricamento…")
    } else {
        ("Your ticket", "Loading…")
    };
    let html = include_str!("assets/ticket.html")
        .replace("{{lang}}", &escape(lang))
        .replace(
            "{{title}}",
            &escape(&format!("{title} {number} – {}", state.office.name)),
        )
        .replace("{{office}}", &escape(&state.office.name))
        .replace("{{number}}", &escape(&number))
        .replace("{{loading}}", loading)
        .replace("{{initial}}", &json);
    html_response(StatusCode::OK, html)
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    page_headers(&mut response);
    response
}

/// Whether the browser prefers Italian to English (Italian when it says neither).
fn prefers_english(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let first = accept
        .split(',')
        .map(|part| part.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .find(|l| l.starts_with("it") || l.starts_with("en"));
    first.is_some_and(|l| l.starts_with("en"))
}

/// The friendly page for a token that names no ticket (mistyped, or from a database since replaced).
fn not_found(office: &str, headers: &HeaderMap) -> Response {
    let (lang, title, text, hint) = if prefers_english(headers) {
        (
            "en",
            "Ticket not found",
            "We cannot find this ticket. The link may be incomplete, or the ticket may be from another day.",
            "If you are waiting in the office, keep your paper ticket: your number will be called on the screens in the waiting room. For help, ask at the reception desk.",
        )
    } else {
        (
            "it",
            "Biglietto non trovato",
            "Non troviamo questo biglietto. Il collegamento potrebbe essere incompleto, oppure il biglietto è di un altro giorno.",
            "Se è in attesa in ufficio, conservi il biglietto di carta: il suo numero sarà chiamato sugli schermi della sala d'attesa. Per assistenza si rivolga all'accoglienza.",
        )
    };
    let html = include_str!("assets/message.html")
        .replace("{{lang}}", lang)
        .replace("{{title}}", title)
        .replace("{{office}}", &escape(office))
        .replace("{{text}}", text)
        .replace("{{hint}}", hint);
    html_response(StatusCode::NOT_FOUND, html)
}

fn unavailable(e: Error) -> Response {
    tracing::warn!(error = %e, "cannot show a ticket page");
    let html = include_str!("assets/message.html")
        .replace("{{lang}}", "it")
        .replace("{{title}}", "Servizio momentaneamente non disponibile")
        .replace("{{office}}", "")
        .replace(
            "{{text}}",
            "Non riusciamo a mostrare il biglietto in questo momento. Riprovi tra poco. \
             <span lang=\"en\">We cannot show the ticket right now: please try again shortly.</span>",
        )
        .replace("{{hint}}", "");
    html_response(StatusCode::SERVICE_UNAVAILABLE, html)
}
