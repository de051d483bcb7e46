//! Live events as Server-Sent Events. Each event carries its id; a client that reconnects with
//! `Last-Event-ID` first receives, from the stored feed, every event it missed.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use turno_shared::api::{ErrorBody, LiveEventSse};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Query;
use crate::AppState;
use crate::auth;
use crate::error::{Error, Result};
use crate::store::{FeedItem, Store};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

#[derive(Deserialize, IntoParams)]
struct EventsQuery {
    /// The token, for clients that cannot send headers (a browser's `EventSource`).
    access_token: Option<String>,
    /// Resume after this event id (the `Last-Event-ID` header takes precedence).
    last_event_id: Option<i64>,
}

/// The live event stream: `ticket_issued`, `ticket_called`, `ticket_recalled`, `ticket_finished`,
/// `queue_changed`, `printer_alert`, `config_changed`. Each `data` is a JSON `LiveEvent`.
#[utoipa::path(get, path = "/events", tag = "events", params(EventsQuery),
    responses((status = 200, description = "text/event-stream of LiveEvent data", content_type = "text/event-stream",
        body = LiveEventSse), (status = 401, body = ErrorBody)),
    security(("display" = [])))]
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let from_header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    let token = from_header.or(q.access_token).ok_or(Error::Unauthenticated)?;
    auth::authenticate(&state, &token).await?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(q.last_event_id);
    // Subscribe before reading the backlog, so nothing falls between the two.
    let feed = Feed {
        rx: state.store.subscribe(),
        store: state.store.clone(),
        backlog: VecDeque::new(),
        last: last.unwrap_or(0),
        replaying: last.is_some(),
    };
    let mut shutdown = state.shutdown.clone();
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let item = feed.next().await?;
        let event = Event::default()
            .id(item.id.to_string())
            .event(&*item.name)
            .data(&*item.data);
        Some((Ok(event), feed))
    })
    .take_until(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

struct Feed {
    rx: tokio::sync::broadcast::Receiver<FeedItem>,
    store: Store,
    backlog: VecDeque<FeedItem>,
    last: i64,
    replaying: bool,
}

impl Feed {
    async fn next(&mut self) -> Option<FeedItem> {
        loop {
            if let Some(item) = self.backlog.pop_front() {
                self.last = item.id;
                return Some(item);
            }
            if self.replaying {
                let page = self.store.feed_after(self.last, 1000).await.ok()?;
                if page.is_empty() {
                    self.replaying = false;
                }
                self.backlog.extend(page);
                continue;
            }
            match self.rx.recv().await {
                Ok(item) if item.id <= self.last => continue,
                Ok(item) => {
                    self.last = item.id;
                    return Some(item);
                }
                // Too slow to keep up: catch up from the stored feed.
                Err(RecvError::Lagged(_)) => self.replaying = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
