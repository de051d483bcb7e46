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
use turno_shared::api::{ErrorBody, LiveEvent, LiveEventSse};
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
/// `queue_changed`, `printer_alert`, `config_changed`, and `resync` first when the events after
/// `Last-Event-ID` are no longer kept (reload everything). Each `data` is a JSON `LiveEvent`.
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
    let keep_alive = Duration::from_secs(state.config.limits.stream_keepalive_secs);
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(q.last_event_id);
    // Subscribe before reading the backlog, so nothing falls between the two.
    let rx = state.store.subscribe();
    let mut backlog = VecDeque::new();
    let mut resume_after = last;
    if let Some(last) = last {
        let bounds = state.store.feed_bounds().await?;
        if !bounds.can_resume_after(last) {
            // The events the client missed are gone: tell it to reload, then go on from now.
            backlog.push_back(resync(bounds.newest));
            resume_after = Some(bounds.newest);
        }
    }
    let feed = Feed {
        rx,
        store: state.store.clone(),
        backlog,
        last: resume_after.unwrap_or(0),
        replaying: resume_after.is_some(),
    };
    let mut shutdown = state.shutdown.clone();
    let credentials = state.clone();
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let item = feed.next().await?;
        let event = Event::default()
            .id(item.id.to_string())
            .event(&*item.name)
            .data(&*item.data);
        Some((Ok(event), feed))
    })
    .take_until(async move {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => {}
            _ = revoked(&credentials, &token, keep_alive) => {}
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(keep_alive)))
}

/// Ends when the stream's credentials stop being valid (signed out, revoked, deactivated, expired),
/// checking once per keep-alive period: a stream does not outlive the right to read it.
async fn revoked(state: &AppState, token: &str, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        // Only a refusal ends it: a busy or failing database is no reason to cut a board off.
        if let Err(Error::Unauthenticated) = auth::authenticate(state, token).await {
            return;
        }
    }
}

/// The `resync` event, carrying the id to resume after.
fn resync(id: i64) -> FeedItem {
    let event = LiveEvent::Resync;
    FeedItem {
        id,
        name: event.name().into(),
        data: serde_json::to_string(&event).unwrap_or_default().into(),
    }
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
                self.last = self.last.max(item.id);
                return Some(item);
            }
            if self.replaying {
                let page = self.store.feed_after(self.last).await.ok()?;
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
