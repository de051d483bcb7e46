//! The waiting-room board's API: the board at a glance (what a board opened mid-day shows at once, and
//! the live-event id to resume after) and the spoken announcement of a call as a WAV file, synthesized
//! on the server (`crate::speech`) as soon as the call happens.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;
use turno_shared::api::{BoardView, ErrorBody, ErrorCode, LiveEvent};
use turno_shared::domain::TicketNumber;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Query;
use crate::AppState;
use crate::auth::Principal;
use crate::engine;
use crate::error::{Error, Result};
use crate::speech::{self, Lang, Speech};
use crate::store::office as cfg;

/// How many calls a board lists.
pub const BOARD_CALLS: usize = 8;
/// How long a computed board is served to the boards that ask, while no live event happens.
const BOARD_FRESH: Duration = Duration::from_secs(2);

/// What the board routes share in one server: the speech synthesizer and the last board computed.
#[derive(Default)]
pub struct Boards {
    pub speech: Speech,
    latest: Mutex<Option<(i64, Instant, Arc<BoardView>)>>,
    /// Started with the first board: makes each call's announcement as the call happens.
    announcer: OnceLock<()>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(board))
        .routes(routes!(announcement))
        .layer(Extension(Arc::new(Boards::default())))
}

/// The board at a glance: the office view (services, queues, estimated waits, notices), the tickets at
/// counters now, which counters are open, and the live-event id to follow the events after.
#[utoipa::path(get, path = "/board", tag = "board",
    responses((status = 200, body = BoardView), (status = 401, body = ErrorBody)),
    security(("display" = [])))]
async fn board(
    _: Principal,
    State(state): State<AppState>,
    Extension(boards): Extension<Arc<Boards>>,
) -> Result<Json<BoardView>> {
    boards.announce_calls(&state);
    // Read the id first: an event after it may also show in the view, never the other way round.
    let last_event_id = state.store.last_feed_id().await?;
    if let Some((id, at, view)) = &*boards.latest.lock().unwrap_or_else(|e| e.into_inner())
        && *id == last_event_id
        && at.elapsed() < BOARD_FRESH
    {
        return Ok(Json(view.as_ref().clone()));
    }
    let office = state.office.clone();
    let now = state.store.now();
    let queue = state.store.queue();
    let (office_view, calls, counters) = state
        .store
        .read(move |c| engine::board_view(c, &queue, &office, now, BOARD_CALLS))
        .await?;
    let view = Arc::new(BoardView {
        last_event_id,
        office: office_view,
        timezone: state.config.timezone.clone(),
        calls,
        counters,
        speech_languages: Lang::ALL.iter().map(|l| l.code().to_owned()).collect(),
    });
    *boards.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some((last_event_id, Instant::now(), view.clone()));
    Ok(Json(view.as_ref().clone()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AnnouncementQuery {
    /// The ticket number called, as printed (`A012`).
    #[param(pattern = "^[A-Z]([0-9]{2}[1-9]|[0-9][1-9][0-9]|[1-9][0-9]{2}|[1-9][0-9]{3})$")]
    number: String,
    /// The counter it is called to.
    #[param(minimum = 1)]
    counter_id: i64,
    /// The languages to speak it in, in order (`it,en` when absent; empty for the chime alone):
    /// `it`, `en`, `fr`, `de`, `es`.
    #[param(pattern = "^((it|en|fr|de|es)(,(it|en|fr|de|es)){0,4})?$")]
    languages: Option<String>,
    /// How many times the spoken part is said (1 when absent).
    #[param(minimum = 1, maximum = 3)]
    repeat: Option<u8>,
}

/// A WAV file: 16-bit PCM, mono, 22,050 Hz.
pub struct WavFile;

impl PartialSchema for WavFile {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("A WAV file: 16-bit PCM, mono, 22,050 Hz."))
            .into()
    }
}

impl ToSchema for WavFile {}

fn invalid_query(message: impl Into<String>) -> Error {
    Error::BadRequest {
        status: axum::http::StatusCode::BAD_REQUEST,
        code: ErrorCode::InvalidQuery,
        message: message.into(),
    }
}

/// The announcement of a call, for a board to play: a chime, then "Numero A 0 1 2, sportello 3" in
/// each language asked for, synthesized on the server. The chime plays alone when no language is
/// asked for, or when the server cannot speak (espeak-ng missing: it is logged).
#[utoipa::path(get, path = "/board/announcement", tag = "board", params(AnnouncementQuery),
    responses(
        (status = 200, description = "The announcement (WAV: 16-bit PCM, mono, 22,050 Hz)", content_type = "audio/wav",
            body = WavFile),
        (status = 404, description = "No such counter", body = ErrorBody)),
    security(("display" = [])))]
async fn announcement(
    _: Principal,
    State(state): State<AppState>,
    Extension(boards): Extension<Arc<Boards>>,
    Query(q): Query<AnnouncementQuery>,
) -> Result<axum::response::Response> {
    let number: TicketNumber = q
        .number
        .parse()
        .ok()
        .filter(|n: &TicketNumber| n.to_string() == q.number)
        .ok_or_else(|| invalid_query(format!("{:?} is not a ticket number as printed, like A012", q.number)))?;
    if q.counter_id < 1 {
        return Err(invalid_query("counter_id is a positive counter id"));
    }
    let languages = q.languages.as_deref().unwrap_or("it,en");
    let langs = speech::parse_languages(languages).ok_or_else(|| {
        invalid_query(format!(
            "{languages:?} is not a list such as it,en of it, en, fr, de, es"
        ))
    })?;
    let repeat = q.repeat.unwrap_or(1);
    if !(1..=3).contains(&repeat) {
        return Err(invalid_query("repeat is 1, 2 or 3"));
    }
    let counter_id = q.counter_id;
    let counter = state
        .store
        .read(move |c| cfg::counter_name(c, counter_id))
        .await?
        .ok_or_else(|| Error::not_found(format!("counter {counter_id}")))?;
    let wav = boards.speech.announcement(number, &counter, &langs, repeat).await;
    Ok((
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        wav,
    )
        .into_response())
}

/// The languages most boards speak: their clips are made as each call happens.
const USUAL_LANGUAGES: [Lang; 2] = [Lang::It, Lang::En];

impl Boards {
    /// Starts, once, the task that synthesizes each call's announcement as the call happens, so that
    /// the boards' requests find it ready. It ends with the server.
    fn announce_calls(self: &Arc<Self>, state: &AppState) {
        self.announcer.get_or_init(|| {
            let mut rx = state.store.subscribe();
            let mut shutdown = state.shutdown.clone();
            let boards = Arc::downgrade(self);
            tokio::spawn(async move {
                loop {
                    let item = tokio::select! {
                        item = rx.recv() => item,
                        _ = shutdown.wait_for(|stop| *stop) => return,
                    };
                    let item = match item {
                        Ok(item) => item,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    };
                    if !matches!(&*item.name, "ticket_called" | "ticket_recalled") {
                        continue;
                    }
                    let Ok(
                        LiveEvent::TicketCalled {
                            number, counter_name, ..
                        }
                        | LiveEvent::TicketRecalled {
                            number, counter_name, ..
                        },
                    ) = serde_json::from_str::<LiveEvent>(&item.data)
                    else {
                        continue;
                    };
                    let Some(boards) = boards.upgrade() else { return };
                    tokio::spawn(async move {
                        boards
                            .speech
                            .announcement(number, &counter_name, &USUAL_LANGUAGES, 1)
                            .await;
                    });
                }
            });
        });
    }
}
