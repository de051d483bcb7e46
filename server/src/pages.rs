//! Web pages served beside the API. For now: the public page of a ticket, which its QR code opens.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use turno_shared::domain::TicketState;

use crate::AppState;
use crate::engine;

pub fn router() -> Router<AppState> {
    Router::new().route("/t/{token}", axum::routing::get(ticket_page))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The citizen's view of their ticket: number, position, estimated wait, where to go.
async fn ticket_page(State(state): State<AppState>, Path(token): Path<String>) -> Html<String> {
    let office = state.office.clone();
    let now = state.store.now();
    let counters = state.store.open_counters();
    let status = state
        .store
        .read(move |c| engine::public_status(c, &counters, &office, &token, now))
        .await;
    let body = match status {
        Ok(s) => {
            let line = match s.state {
                TicketState::Waiting => format!(
                    "<p>Persone prima di te: <b>{}</b></p><p>Attesa stimata: <b>{}</b></p>",
                    s.people_ahead.unwrap_or(0),
                    s.estimated_wait_minutes
                        .map_or("non disponibile".to_owned(), |m| format!("{m} min"))
                ),
                TicketState::Called | TicketState::Serving => {
                    format!(
                        "<p class=call>Tocca a te: vai allo <b>{}</b></p>",
                        escape(s.counter_name.as_deref().unwrap_or("sportello"))
                    )
                }
                TicketState::Done => "<p>Servizio concluso. Grazie!</p>".to_owned(),
                _ => "<p>Questo numero non è più in coda.</p>".to_owned(),
            };
            format!(
                "<h1>{}</h1><p class=svc>{}</p>{line}",
                s.number,
                escape(s.service_name.get("it"))
            )
        }
        Err(_) => "<p>Biglietto non trovato.</p>".to_owned(),
    };
    Html(format!(
        "<!doctype html><html lang=it><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <meta http-equiv=refresh content=20><title>{name}</title><style>body{{font-family:sans-serif;text-align:center;\
         background:#fff;color:#111;margin:2em}}h1{{font-size:5em;margin:.2em}}.svc{{font-size:1.4em}}.call{{font-size:1.6em;\
         color:#0b4a8b}}</style></head><body><p>{name}</p>{body}</body></html>",
        name = escape(&state.office.name)
    ))
}
