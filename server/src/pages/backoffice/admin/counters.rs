//! The counters pages: the list (with who is signed in at each), and the form of a counter: its name,
//! the services it serves in order of preference, in use or not.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use maud::html;
use turno_shared::api::{Counter, CounterInput, ErrorCode, REFERENCE_LANGUAGE, Service, User};

use super::super::{Nav, Staff, error_page, layout, respond};
use super::{
    Field, PageId, Posted, Problems, active_badge, checkbox, done, fid, flash, ok_of, query_pairs, save, summary,
};
use crate::AppState;
use crate::backoffice;
use crate::error::Error;
use crate::store::office as cfg;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice/counters", get(list))
        .route("/backoffice/counters/new", get(new_page).post(create))
        .route("/backoffice/counters/{id}", get(edit_page).post(update))
}

async fn list(
    State(state): State<AppState>,
    Staff(me): Staff,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    let read = state
        .store
        .read(|c| {
            Ok((
                cfg::list_counters(c)?,
                cfg::list_services(c)?,
                backoffice::open_sessions(c)?,
            ))
        })
        .await;
    let (counters, services, sessions) = match read {
        Ok(found) => found,
        Err(e) => return error_page(e),
    };
    let service_name = |id: &i64| {
        services
            .iter()
            .find(|s| s.id == *id)
            .map(|s| format!("{} {}", s.config.prefix, s.config.name.get(REFERENCE_LANGUAGE)))
            .unwrap_or_default()
    };
    let body = html! {
        h1 { "Sportelli" }
        (flash(ok_of(&query)))
        p.bo-actions { a.bo-btn.bo-btn-primary href="/backoffice/counters/new" { "Nuovo sportello" } }
        div.bo-table-wrap {
            table {
                caption { "Sportelli dell'ufficio" }
                thead { tr {
                    th scope="col" { "Nome" }
                    th scope="col" { "Servizi, in ordine di preferenza" }
                    th scope="col" { "Stato" }
                    th scope="col" { "Operatore collegato" }
                    th scope="col" { span.bo-sr { "Azioni" } }
                } }
                tbody {
                    @for k in &counters {
                        tr {
                            td { (k.config.name) }
                            td {
                                @if k.config.services.is_empty() { "—" }
                                @else { ol.bo-inline-list { @for s in &k.config.services { li { (service_name(s)) } } } }
                            }
                            td { (active_badge(k.config.active, "In uso", "Non in uso")) }
                            td {
                                @match sessions.iter().find(|s| s.counter_id == k.id) {
                                    Some(s) => { (s.user.display_name) @if s.paused.is_some() { " (in pausa)" } }
                                    None => { "—" }
                                }
                            }
                            td { a href={ "/backoffice/counters/" (k.id) } { "Modifica" span.bo-sr { " " (k.config.name) } } }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        layout(&state, "Sportelli", Some(&me), Nav::Counters, body),
    )
}

fn draft_of(k: &CounterInput) -> Posted {
    let mut d = vec![("name".to_owned(), k.name.clone())];
    for (i, s) in k.services.iter().enumerate() {
        d.push((format!("rank.{s}"), (i + 1).to_string()));
    }
    if k.active {
        d.push(("active".into(), "1".into()));
    }
    Posted(d)
}

fn parse(d: &Posted, services: &[Service]) -> Result<CounterInput, Problems> {
    let mut p = Problems::default();
    let name = d.get("name").trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 {
        p.add(
            "name",
            "Scriva il nome dello sportello, fino a 60 caratteri: per esempio Sportello 3.",
        );
    }
    let mut ranked = Vec::new();
    for s in services {
        let field = format!("rank.{}", s.id);
        let text = d.get(&field).trim();
        if text.is_empty() {
            continue;
        }
        match text.parse::<u32>() {
            Ok(n) if (1..=99).contains(&n) => ranked.push((n, s.id)),
            _ => p.add(
                &field,
                format!(
                    "{}: scriva la posizione con un numero da 1 a 99, oppure lasci vuoto se lo sportello non lo serve.",
                    s.config.name.get(REFERENCE_LANGUAGE)
                ),
            ),
        }
    }
    ranked.sort();
    if p.is_empty() {
        Ok(CounterInput {
            name,
            services: ranked.into_iter().map(|(_, id)| id).collect(),
            active: d.checked("active"),
        })
    } else {
        Err(p)
    }
}

fn italian(field: &str, e: &Error) -> Option<String> {
    let code = e.status_and_code().1;
    Some(match field {
        "name" if code == ErrorCode::AlreadyExists => "Un altro sportello ha già questo nome.".into(),
        "name" => "Scriva il nome dello sportello, fino a 60 caratteri.".into(),
        "active" => {
            "Un operatore è collegato a questo sportello: potrà metterlo fuori uso quando l'operatore esce.".into()
        }
        "services" => "Uno dei servizi scelti non esiste più: ricarichi la pagina.".into(),
        _ => return None,
    })
}

struct View<'a> {
    id: Option<i64>,
    title: &'a str,
    draft: &'a Posted,
    problems: &'a Problems,
    services: &'a [Service],
    ok: Option<&'a str>,
}

fn page(state: &AppState, me: &User, v: &View<'_>) -> maud::Markup {
    let (d, p) = (v.draft, v.problems);
    let action = match v.id {
        Some(id) => format!("/backoffice/counters/{id}"),
        None => "/backoffice/counters/new".to_owned(),
    };
    let body = html! {
        p.bo-breadcrumb { a href="/backoffice/counters" { "Sportelli" } " › " (v.title) }
        h1 { (v.title) }
        (flash(v.ok))
        (summary(p))
        form.bo-form.bo-form-narrow method="post" action=(action) novalidate {
            (Field { name: "name", label: "Nome", required: true, hint: Some("Come lo mostra il tabellone: Sportello 3.") }
                .input("text", d.get("name"), p))
            fieldset #(fid("services")) aria-describedby="services-hint" {
                legend { "Servizi serviti" }
                p.bo-hint #services-hint { "Per ogni servizio che lo sportello serve, la posizione nell'ordine di preferenza (1 = chiamato per primo). Vuoto: lo sportello non lo serve." }
                @if let Some(e) = p.get("services") { p.bo-field-error { (e) } }
                div.bo-ranks {
                    @for s in v.services {
                        @let field = format!("rank.{}", s.id);
                        @let label = format!("{} – {}", s.config.prefix, s.config.name.get(REFERENCE_LANGUAGE));
                        (Field { name: &field, label: &label, required: false, hint: None }.input("text", d.get(&field), p))
                    }
                }
            }
            (checkbox("active", "In uso", d.checked("active"), p))
            div.bo-actions {
                button.bo-btn.bo-btn-primary type="submit" { "Salva" }
                a href="/backoffice/counters" { "Torna agli sportelli" }
            }
        }
    };
    layout(state, v.title, Some(me), Nav::Counters, body)
}

async fn services(state: &AppState) -> Result<Vec<Service>, Response> {
    state.store.read(cfg::list_services).await.map_err(error_page)
}

async fn new_page(State(state): State<AppState>, Staff(me): Staff) -> Response {
    let services = match services(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let draft = Posted(vec![("active".into(), "1".into())]);
    let view = View {
        id: None,
        title: "Nuovo sportello",
        draft: &draft,
        problems: &Problems::default(),
        services: &services,
        ok: None,
    };
    respond(StatusCode::OK, page(&state, &me, &view))
}

async fn load(state: &AppState, id: i64) -> Result<(Counter, Vec<Service>), Response> {
    state
        .store
        .read(move |c| {
            let k = cfg::get_counter(c, id)?.ok_or_else(|| Error::not_found(format!("counter {id}")))?;
            Ok((k, cfg::list_services(c)?))
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
    let (counter, services) = match load(&state, id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let draft = draft_of(&counter.config);
    let title = format!("Sportello: {}", counter.config.name);
    let view = View {
        id: Some(id),
        title: &title,
        draft: &draft,
        problems: &Problems::default(),
        services: &services,
        ok: ok_of(&query),
    };
    respond(StatusCode::OK, page(&state, &me, &view))
}

async fn create(State(state): State<AppState>, Staff(me): Staff, draft: Posted) -> Response {
    let services = match services(&state).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let again = |p: &Problems| {
        let view = View {
            id: None,
            title: "Nuovo sportello",
            draft: &draft,
            problems: p,
            services: &services,
            ok: None,
        };
        respond(StatusCode::UNPROCESSABLE_ENTITY, page(&state, &me, &view))
    };
    let input = match parse(&draft, &services) {
        Ok(i) => i,
        Err(p) => return again(&p),
    };
    let by = me.clone();
    save(
        &state,
        move |ctx| backoffice::create_counter(ctx, Some(&by), input),
        italian,
        |p| again(p),
        |_| done("/backoffice/counters", "created"),
    )
    .await
}

async fn update(State(state): State<AppState>, Staff(me): Staff, PageId(id): PageId, draft: Posted) -> Response {
    let (counter, services) = match load(&state, id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let title = format!("Sportello: {}", counter.config.name);
    let again = |p: &Problems| {
        let view = View {
            id: Some(id),
            title: &title,
            draft: &draft,
            problems: p,
            services: &services,
            ok: None,
        };
        respond(StatusCode::UNPROCESSABLE_ENTITY, page(&state, &me, &view))
    };
    let input = match parse(&draft, &services) {
        Ok(i) => i,
        Err(p) => return again(&p),
    };
    let by = me.clone();
    save(
        &state,
        move |ctx| backoffice::update_counter(ctx, Some(&by), id, input),
        italian,
        |p| again(p),
        |_| done(&format!("/backoffice/counters/{id}"), "saved"),
    )
    .await
}
