//! A ticket's status as a live stream, for the citizen's ticket page: the status first, then again each
//! time it changes. It carries only what `GET /public/tickets/{token}` answers for that token, so it
//! tells nothing about anyone else's ticket.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use turno_shared::api::{ErrorBody, PublicTicketStatus};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Path;
use crate::AppState;
use crate::engine;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ticket_live))
}

/// One event of a ticket's live status as `text/event-stream` carries it: `event` is `status`, `data`
/// a JSON `PublicTicketStatus`.
pub struct TicketStatusSse;

impl PartialSchema for TicketStatusSse {
    fn schema() -> RefOr<Schema> {
        turno_shared::api::sse_schema(["status"], "PublicTicketStatus", false)
    }
}

impl ToSchema for TicketStatusSse {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("PublicTicketStatus".to_owned(), PublicTicketStatus::schema()));
        PublicTicketStatus::schemas(schemas);
    }
}

async fn status(state: &AppState, token: &str) -> Result<PublicTicketStatus> {
    let office = state.office.clone();
    let now = state.store.now();
    let token = token.to_owned();
    let queue = state.store.queue();
    state
        .store
        .read(move |c| engine::public_status(c, &queue, &office, &token, now))
        .await
}

fn event(status: &PublicTicketStatus) -> Event {
    Event::default()
        .event("status")
        .data(serde_json::to_string(status).unwrap_or_default())
}

/// A ticket's status, live: `status` events, the first at once, then one each time the status changes
/// (its position, estimated wait, call, counter, end, rating). Whoever holds the token may follow it.
#[utoipa::path(get, path = "/public/tickets/{token}/live", tag = "public",
    params(("token" = String, Path, pattern = "^[0-9a-f]{32}$", description = "The ticket's token")),
    responses((status = 200, description = "text/event-stream of `status` events", content_type = "text/event-stream",
        body = TicketStatusSse), (status = 404, body = ErrorBody)))]
async fn ticket_live(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    // Subscribe before reading the status, so that no change falls between the two.
    let rx = state.store.subscribe();
    let first = status(&state, &token).await?;
    let keep_alive = Duration::from_secs(state.config.limits.stream_keepalive_secs);
    let mut shutdown = state.shutdown.clone();
    let watch = Watch {
        state,
        token,
        rx,
        last: None,
        first: Some(first),
    };
    let stream = futures_util::stream::unfold(watch, |mut w| async move {
        let next = w.next().await?;
        Some((Ok(event(&next)), w))
    })
    .take_until(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(keep_alive)))
}

struct Watch {
    state: AppState,
    token: String,
    rx: tokio::sync::broadcast::Receiver<crate::store::FeedItem>,
    last: Option<String>,
    first: Option<PublicTicketStatus>,
}

impl Watch {
    /// The next status that differs from the last one sent.
    async fn next(&mut self) -> Option<PublicTicketStatus> {
        if let Some(first) = self.first.take() {
            self.last = serde_json::to_string(&first).ok();
            return Some(first);
        }
        loop {
            match self.rx.recv().await {
                Ok(item) if &*item.name == "printer_alert" => continue,
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
            }
            // Whatever else came meanwhile is answered by the same reading.
            loop {
                match self.rx.try_recv() {
                    Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => return None,
                }
            }
            // A ticket that went away (a restored backup) ends the stream; a busy database waits for
            // the next change.
            let now = match status(&self.state, &self.token).await {
                Ok(s) => s,
                Err(crate::error::Error::NotFound(_)) => return None,
                Err(_) => continue,
            };
            let json = serde_json::to_string(&now).ok();
            if json != self.last {
                self.last = json;
                return Some(now);
            }
        }
    }
}
