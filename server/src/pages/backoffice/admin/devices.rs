//! The devices page: kiosks and waiting-room displays with their state, a new device (its token shown
//! once, on the answer to its creation), and revoking one.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use turno_shared::api::{Device, DeviceInput, User};
use turno_shared::domain::DeviceKind;

use super::super::{Nav, Staff, error_page, layout, respond};
use super::{Field, PageId, Posted, Problems, done, engine_problem, flash, local_time, ok_of, query_pairs, summary};
use crate::AppState;
use crate::auth;
use crate::backoffice;
use crate::error::Error;
use crate::store::office as cfg;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice/devices", get(list).post(create))
        .route("/backoffice/devices/{id}/revoke", post(revoke))
}

const KINDS: &[(&str, &str)] = &[
    ("kiosk", "Chiosco (emette i biglietti)"),
    ("display", "Tabellone della sala d'attesa"),
];

fn kind_name(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Kiosk => "Chiosco",
        DeviceKind::Display => "Tabellone",
    }
}

async fn devices(state: &AppState) -> Result<Vec<Device>, Response> {
    state.store.read(cfg::list_devices).await.map_err(error_page)
}

async fn list(
    State(state): State<AppState>,
    Staff(me): Staff,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    match devices(&state).await {
        Ok(devices) => respond(
            StatusCode::OK,
            list_page(
                &state,
                &me,
                &devices,
                &Posted(vec![("kind".into(), "kiosk".into())]),
                &Problems::default(),
                ok_of(&query),
            ),
        ),
        Err(r) => r,
    }
}

fn list_page(state: &AppState, me: &User, devices: &[Device], d: &Posted, p: &Problems, ok: Option<&str>) -> Markup {
    let body = html! {
        h1 { "Dispositivi" }
        (flash(ok))
        p.bo-lead { "Chioschi e tabelloni accedono al server con un codice proprio. Revocato il codice, il dispositivo smette subito di funzionare." }
        div.bo-table-wrap {
            table {
                caption { "Chioschi e tabelloni" }
                thead { tr {
                    th scope="col" { "Nome" }
                    th scope="col" { "Tipo" }
                    th scope="col" { "Creato" }
                    th scope="col" { "Stato" }
                    th scope="col" { span.bo-sr { "Azioni" } }
                } }
                tbody {
                    @for x in devices {
                        tr {
                            td { (x.name) }
                            td { (kind_name(x.kind)) }
                            td { (local_time(state, x.created_at)) }
                            td {
                                @if x.revoked { span.bo-badge.bo-badge-off { "Revocato" } }
                                @else { span.bo-badge.bo-badge-ok { "Attivo" } }
                            }
                            td {
                                @if !x.revoked {
                                    form method="post" action={ "/backoffice/devices/" (x.id) "/revoke" } {
                                        button.bo-btn.bo-btn-danger.bo-btn-small type="submit" {
                                            "Revoca" span.bo-sr { " " (x.name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Nuovo dispositivo" }
        (summary(p))
        form.bo-form.bo-form-narrow method="post" action="/backoffice/devices" novalidate {
            (Field { name: "name", label: "Nome", required: true, hint: Some("Dove si trova: per esempio Chiosco ingresso.") }
                .input("text", d.get("name"), p))
            (Field { name: "kind", label: "Tipo", required: true, hint: None }.select(KINDS, d.get("kind"), p))
            div { button.bo-btn.bo-btn-primary type="submit" { "Crea il dispositivo" } }
        }
    };
    layout(state, "Dispositivi", Some(me), Nav::Devices, body)
}

async fn create(State(state): State<AppState>, Staff(me): Staff, d: Posted) -> Response {
    let mut p = Problems::default();
    let name = d.get("name").trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 {
        p.add("name", "Scriva il nome del dispositivo, fino a 60 caratteri.");
    }
    let kind = d.get("kind").parse::<DeviceKind>();
    if kind.is_err() {
        p.add("kind", "Scelga se è un chiosco o un tabellone.");
    }
    let again = async |p: &Problems| match devices(&state).await {
        Ok(devices) => respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            list_page(&state, &me, &devices, &d, p, None),
        ),
        Err(r) => r,
    };
    let (Ok(kind), true) = (kind, p.is_empty()) else {
        return again(&p).await;
    };
    let token = auth::new_token();
    let hash = auth::token_hash(&token);
    let by = me.clone();
    let input = DeviceInput { name, kind };
    let created = match state
        .store
        .write(move |ctx| backoffice::create_device(ctx, Some(&by), input, &hash))
        .await
    {
        Ok(created) => created,
        Err(e) => {
            let italian = |field: &str, _: &Error| {
                (field == "name").then(|| "Scriva il nome del dispositivo, fino a 60 caratteri.".to_owned())
            };
            return match engine_problem(e, italian) {
                Ok(p) => again(&p).await,
                Err(r) => r,
            };
        }
    };
    // The token is shown on this answer only: the server keeps its hash. Not a redirect, so that it
    // never travels in an address; the page is not stored (`Cache-Control: no-store`).
    let setting = match created.kind {
        DeviceKind::Kiosk => {
            "Da scrivere come token nella configurazione del chiosco (o nella variabile TURNO_KIOSK_TOKEN)."
        }
        DeviceKind::Display => "Da aggiungere all'indirizzo del tabellone: /board?token=seguito dal codice.",
    };
    let body = html! {
        p.bo-breadcrumb { a href="/backoffice/devices" { "Dispositivi" } " › " (created.name) }
        h1 { "Dispositivo creato: " (created.name) }
        div.bo-alert.bo-alert-warn role="alert" {
            strong { "Copi ora il codice del dispositivo: è mostrato solo questa volta." }
            " Il server ne conserva solo un'impronta e non potrà mostrarlo di nuovo. Se lo perde, revochi il dispositivo e ne crei uno nuovo."
        }
        div.bo-field {
            label for="device-token" { "Codice di " (kind_name(created.kind).to_lowercase()) " «" (created.name) "»" }
            span.bo-hint #device-token-hint { (setting) }
            input #device-token .bo-token type="text" readonly value=(token) aria-describedby="device-token-hint";
        }
        p { a.bo-btn href="/backoffice/devices" { "Fatto: torna ai dispositivi" } }
    };
    respond(
        StatusCode::OK,
        layout(&state, "Dispositivo creato", Some(&me), Nav::Devices, body),
    )
}

async fn revoke(State(state): State<AppState>, Staff(me): Staff, PageId(id): PageId) -> Response {
    let result = state
        .store
        .write(move |ctx| backoffice::revoke_device(ctx, Some(&me), id))
        .await;
    state.tokens.clear();
    match result {
        Ok(_) => done("/backoffice/devices", "revoked"),
        Err(e) => error_page(e),
    }
}
