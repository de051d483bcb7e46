//! The notices pages: the lines boards, kiosks and ticket pages show ("Oggi chiusura alle 12:30"),
//! each with its text per language and the window it is shown in; create, edit, delete.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::html;
use turno_shared::api::{Localized, Notice, NoticeInput, REFERENCE_LANGUAGE, User};

use super::super::{Nav, Staff, error_page, layout, respond};
use super::services::{LANGUAGES, lang};
use super::{
    Field, PageId, Posted, Problems, active_badge, checkbox, done, flash, local_time, ok_of, query_pairs, save, summary,
};
use crate::AppState;
use crate::backoffice;
use crate::error::Error;
use crate::store::office as cfg;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice/notices", get(list))
        .route("/backoffice/notices/new", get(new_page).post(create))
        .route("/backoffice/notices/{id}", get(edit_page).post(update))
        .route("/backoffice/notices/{id}/delete", post(delete))
}

async fn list(
    State(state): State<AppState>,
    Staff(me): Staff,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    let notices = match state.store.read(cfg::list_notices).await {
        Ok(n) => n,
        Err(e) => return error_page(e),
    };
    let when = |t: Option<jiff::Timestamp>| t.map(|t| local_time(&state, t)).unwrap_or_else(|| "—".into());
    let body = html! {
        h1 { "Avvisi" }
        (flash(ok_of(&query)))
        p.bo-lead { "Le righe che tabelloni, chioschi e pagine dei biglietti mostrano, nel periodo indicato." }
        p.bo-actions { a.bo-btn.bo-btn-primary href="/backoffice/notices/new" { "Nuovo avviso" } }
        @if notices.is_empty() {
            p { "Nessun avviso." }
        } @else {
            div.bo-table-wrap {
                table {
                    caption { "Avvisi" }
                    thead { tr {
                        th scope="col" { "Testo" }
                        th scope="col" { "Dal" }
                        th scope="col" { "Al" }
                        th scope="col" { "Stato" }
                        th scope="col" { span.bo-sr { "Azioni" } }
                    } }
                    tbody {
                        @for n in &notices {
                            tr {
                                td { (n.config.text.get(REFERENCE_LANGUAGE)) }
                                td { (when(n.config.starts_at)) }
                                td { (when(n.config.ends_at)) }
                                td { (active_badge(n.config.active, "Attivo", "Sospeso")) }
                                td { a href={ "/backoffice/notices/" (n.id) } { "Modifica" span.bo-sr { " avviso " (n.id) } } }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(StatusCode::OK, layout(&state, "Avvisi", Some(&me), Nav::Notices, body))
}

/// A time of the office as a `datetime-local` field holds it: `2026-11-30T18:05`.
fn field_time(state: &AppState, t: Option<jiff::Timestamp>) -> String {
    t.map(|t| state.office.local(t).strftime("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

fn draft_of(state: &AppState, n: &NoticeInput) -> Posted {
    let mut d = Vec::new();
    for l in LANGUAGES {
        d.push((
            format!("text.{}", l.code),
            n.text.0.get(l.code).cloned().unwrap_or_default(),
        ));
    }
    d.push(("starts_at".into(), field_time(state, n.starts_at)));
    d.push(("ends_at".into(), field_time(state, n.ends_at)));
    if n.active {
        d.push(("active".into(), "1".into()));
    }
    Posted(d)
}

/// A time typed in the office's time zone: `2026-11-30T18:05` (as the field sends it) or
/// `30/11/2026 18:05`.
fn parse_time(state: &AppState, text: &str) -> Option<jiff::Timestamp> {
    let text = text.trim();
    let dt = text.parse::<jiff::civil::DateTime>().ok().or_else(|| {
        let (date, time) = text.split_once([' ', 'T'])?;
        let date = super::services::parse_date(date)?;
        let time = time.trim().replace('.', ":").parse::<jiff::civil::Time>().ok()?;
        Some(date.to_datetime(time))
    })?;
    dt.to_zoned(state.office.tz.clone()).ok().map(|z| z.timestamp())
}

fn parse(state: &AppState, d: &Posted) -> Result<NoticeInput, Problems> {
    let mut p = Problems::default();
    let mut text = Localized::default();
    for l in LANGUAGES {
        let field = format!("text.{}", l.code);
        let t = d.get(&field).trim();
        if t.chars().count() > 200 {
            p.add(
                &field,
                format!(
                    "Il testo in {} può avere al massimo 200 caratteri.",
                    l.italian.to_lowercase()
                ),
            );
        }
        if !t.is_empty() {
            text.0.insert(l.code.to_owned(), t.to_owned());
        }
    }
    if !text.0.contains_key(REFERENCE_LANGUAGE) {
        p.add("text.it", "Scriva il testo dell'avviso in italiano.");
    }
    let mut time = |field: &str, what: &str| {
        let raw = d.get(field);
        if raw.trim().is_empty() {
            return None;
        }
        let t = parse_time(state, raw);
        if t.is_none() {
            p.add(
                field,
                format!("{what}: scriva data e ora come 30/11/2026 08:30, oppure lasci vuoto."),
            );
        }
        t
    };
    let starts_at = time("starts_at", "Dal");
    let ends_at = time("ends_at", "Al");
    if let (Some(s), Some(e)) = (starts_at, ends_at)
        && e <= s
    {
        p.add("ends_at", "La fine dell'avviso deve venire dopo il suo inizio.");
    }
    if p.is_empty() {
        Ok(NoticeInput {
            text,
            starts_at,
            ends_at,
            active: d.checked("active"),
        })
    } else {
        Err(p)
    }
}

fn italian(field: &str, _: &Error) -> Option<String> {
    let (base, code) = field.split_once('.').unwrap_or((field, ""));
    Some(match base {
        "text" if code == REFERENCE_LANGUAGE => "Scriva il testo dell'avviso in italiano, fino a 200 caratteri.".into(),
        "text" => format!(
            "Il testo in {} può avere da 1 a 200 caratteri.",
            lang(code).italian.to_lowercase()
        ),
        "ends_at" => "La fine dell'avviso deve venire dopo il suo inizio.".into(),
        _ => return None,
    })
}

fn page(state: &AppState, me: &User, id: Option<i64>, d: &Posted, p: &Problems, ok: Option<&str>) -> maud::Markup {
    let title = match id {
        Some(id) => format!("Avviso {id}"),
        None => "Nuovo avviso".to_owned(),
    };
    let action = match id {
        Some(id) => format!("/backoffice/notices/{id}"),
        None => "/backoffice/notices/new".to_owned(),
    };
    let body = html! {
        p.bo-breadcrumb { a href="/backoffice/notices" { "Avvisi" } " › " (title) }
        h1 { (title) }
        (flash(ok))
        (summary(p))
        form.bo-form.bo-form-narrow method="post" action=(action) novalidate {
            fieldset {
                legend { "Testo" }
                @for l in LANGUAGES {
                    @let field = format!("text.{}", l.code);
                    @let label = if l.code == REFERENCE_LANGUAGE { "Italiano".to_owned() } else { format!("{} (facoltativo)", l.italian) };
                    (Field { name: &field, label: &label, required: l.code == REFERENCE_LANGUAGE,
                        hint: (l.code == REFERENCE_LANGUAGE).then_some("Fino a 200 caratteri. Dove manca una traduzione si mostra l'italiano.") }
                        .input_lang("text", d.get(&field), p, Some(l.code)))
                }
            }
            fieldset {
                legend { "Periodo" }
                p.bo-hint { "Ora dell'ufficio. Vuoto: da subito, e fino a quando non lo sospende." }
                div.bo-row {
                    (Field { name: "starts_at", label: "Dal", required: false, hint: None }
                        .input("datetime-local", d.get("starts_at"), p))
                    (Field { name: "ends_at", label: "Al", required: false, hint: None }
                        .input("datetime-local", d.get("ends_at"), p))
                }
            }
            (checkbox("active", "Attivo: mostrato nel periodo indicato", d.checked("active"), p))
            div.bo-actions {
                button.bo-btn.bo-btn-primary type="submit" { "Salva" }
                a href="/backoffice/notices" { "Torna agli avvisi" }
            }
        }
        @if let Some(id) = id {
            form method="post" action={ "/backoffice/notices/" (id) "/delete" } {
                button.bo-btn.bo-btn-danger type="submit" { "Elimina l'avviso" }
            }
        }
    };
    layout(state, &title, Some(me), Nav::Notices, body)
}

async fn new_page(State(state): State<AppState>, Staff(me): Staff) -> Response {
    let d = Posted(vec![("active".into(), "1".into())]);
    respond(StatusCode::OK, page(&state, &me, None, &d, &Problems::default(), None))
}

async fn load(state: &AppState, id: i64) -> Result<Notice, Response> {
    state
        .store
        .read(move |c| {
            cfg::list_notices(c)?
                .into_iter()
                .find(|n| n.id == id)
                .ok_or_else(|| Error::not_found(format!("notice {id}")))
        })
        .await
        .map_err(error_page)
}

async fn edit_page(
    State(state): State<AppState>,
    Staff(me): Staff,
    PageId(id): PageId,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    match load(&state, id).await {
        Ok(n) => {
            let d = draft_of(&state, &n.config);
            respond(
                StatusCode::OK,
                page(&state, &me, Some(id), &d, &Problems::default(), ok_of(&query)),
            )
        }
        Err(r) => r,
    }
}

async fn create(State(state): State<AppState>, Staff(me): Staff, d: Posted) -> Response {
    let again = |p: &Problems| respond(StatusCode::UNPROCESSABLE_ENTITY, page(&state, &me, None, &d, p, None));
    let input = match parse(&state, &d) {
        Ok(i) => i,
        Err(p) => return again(&p),
    };
    let by = me.clone();
    save(
        &state,
        move |ctx| backoffice::create_notice(ctx, Some(&by), input),
        italian,
        |p| again(p),
        |_| done("/backoffice/notices", "created"),
    )
    .await
}

async fn update(State(state): State<AppState>, Staff(me): Staff, PageId(id): PageId, d: Posted) -> Response {
    let again = |p: &Problems| {
        respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(&state, &me, Some(id), &d, p, None),
        )
    };
    let input = match parse(&state, &d) {
        Ok(i) => i,
        Err(p) => return again(&p),
    };
    let by = me.clone();
    save(
        &state,
        move |ctx| backoffice::update_notice(ctx, Some(&by), id, input),
        italian,
        |p| again(p),
        |_| done(&format!("/backoffice/notices/{id}"), "saved"),
    )
    .await
}

async fn delete(State(state): State<AppState>, Staff(me): Staff, PageId(id): PageId) -> Response {
    match state
        .store
        .write(move |ctx| backoffice::delete_notice(ctx, Some(&me), id))
        .await
    {
        Ok(()) => done("/backoffice/notices", "deleted"),
        Err(e) => error_page(e),
    }
}
