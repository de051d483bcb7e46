//! The users pages: who is signed in at which counter now, the accounts with their roles, a new
//! account with its first password, and for each account a new password or its deactivation.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use turno_shared::api::{ErrorCode, OpenSession, User, UserInput};
use turno_shared::domain::{Code, Role};

use super::super::{Nav, Staff, error_page, layout, respond};
use super::{
    Field, PageId, Posted, Problems, active_badge, done, engine_problem, flash, local_time, ok_of, query_pairs, summary,
};
use crate::AppState;
use crate::auth::{self, MIN_PASSWORD_CHARS};
use crate::backoffice;
use crate::error::Error;
use crate::store::office as cfg;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice/users", get(list).post(create))
        .route("/backoffice/users/{id}", get(user_page))
        .route("/backoffice/users/{id}/password", post(new_password))
        .route("/backoffice/users/{id}/deactivate", post(deactivate))
}

const ROLES: &[(&str, &str)] = &[
    ("clerk", "Operatore di sportello"),
    ("admin", "Back office (amministratore)"),
];

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Clerk => "Operatore di sportello",
        Role::Admin => "Back office",
    }
}

async fn read_all(state: &AppState) -> Result<(Vec<User>, Vec<OpenSession>), Response> {
    state
        .store
        .read(|c| Ok((cfg::list_users(c)?, backoffice::open_sessions(c)?)))
        .await
        .map_err(error_page)
}

async fn list(
    State(state): State<AppState>,
    Staff(me): Staff,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    let (users, sessions) = match read_all(&state).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let draft = Posted(vec![("role".into(), "clerk".into())]);
    respond(
        StatusCode::OK,
        list_page(
            &state,
            &me,
            &users,
            &sessions,
            &draft,
            &Problems::default(),
            ok_of(&query),
        ),
    )
}

fn list_page(
    state: &AppState,
    me: &User,
    users: &[User],
    sessions: &[OpenSession],
    d: &Posted,
    p: &Problems,
    ok: Option<&str>,
) -> Markup {
    let body = html! {
        h1 { "Utenti" }
        (flash(ok))
        h2 { "Chi è collegato e dove" }
        @if sessions.is_empty() {
            p { "Nessun operatore è collegato a uno sportello in questo momento." }
        } @else {
            div.bo-table-wrap {
                table {
                    caption { "Operatori collegati agli sportelli" }
                    thead { tr {
                        th scope="col" { "Sportello" }
                        th scope="col" { "Operatore" }
                        th scope="col" { "Dalle" }
                        th scope="col" { "Stato" }
                    } }
                    tbody {
                        @for s in sessions {
                            tr {
                                td { (s.counter_name) }
                                td { (s.user.display_name) " (" (s.user.username) ")" }
                                td { (local_time(state, s.since)) }
                                td { @if s.paused.is_some() { "In pausa" } @else { "Al lavoro" } }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Account" }
        div.bo-table-wrap {
            table {
                caption { "Account degli operatori e del back office" }
                thead { tr {
                    th scope="col" { "Nome utente" }
                    th scope="col" { "Nome" }
                    th scope="col" { "Ruolo" }
                    th scope="col" { "Stato" }
                    th scope="col" { span.bo-sr { "Azioni" } }
                } }
                tbody {
                    @for u in users {
                        tr {
                            td { (u.username) }
                            td { (u.display_name) }
                            td { (role_name(u.role)) }
                            td { (active_badge(u.active, "Attivo", "Disattivato")) }
                            td { a href={ "/backoffice/users/" (u.id) } { "Gestisci" span.bo-sr { " " (u.username) } } }
                        }
                    }
                }
            }
        }
        h2 #nuovo { "Nuovo account" }
        (summary(p))
        form.bo-form.bo-form-narrow method="post" action="/backoffice/users" novalidate {
            (Field { name: "username", label: "Nome utente", required: true,
                hint: Some("Da 1 a 32 caratteri tra lettere minuscole senza accenti, cifre, - e _: per esempio mrossi.") }
                .input("text", d.get("username"), p))
            (Field { name: "display_name", label: "Nome e cognome", required: true, hint: None }
                .input("text", d.get("display_name"), p))
            (Field { name: "role", label: "Ruolo", required: true, hint: None }.select(ROLES, d.get("role"), p))
            (Field { name: "password", label: "Password iniziale", required: true,
                hint: Some("Almeno 8 caratteri. La comunichi alla persona di persona.") }
                .input("password", "", p))
            div { button.bo-btn.bo-btn-primary type="submit" { "Crea l'account" } }
        }
    };
    layout(state, "Utenti", Some(me), Nav::Users, body)
}

/// Checks a password typed in a form; the problem goes to `password`.
fn check_password(password: &str, p: &mut Problems) {
    if !(MIN_PASSWORD_CHARS..=256).contains(&password.chars().count()) {
        p.add(
            "password",
            format!("La password deve avere da {MIN_PASSWORD_CHARS} a 256 caratteri."),
        );
    }
}

async fn hash(state: &AppState, password: String) -> Result<String, Response> {
    match state.hasher.run(move || auth::hash_password(&password)).await {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) | Err(e) => Err(error_page(e)),
    }
}

fn italian(field: &str, e: &Error) -> Option<String> {
    let code = e.status_and_code().1;
    Some(match field {
        "username" if code == ErrorCode::AlreadyExists => "Questo nome utente è già usato: ne scelga un altro.".into(),
        "username" => "Nome utente non valido.".into(),
        "display_name" => "Scriva nome e cognome, fino a 80 caratteri.".into(),
        "active" => "Non può disattivare il suo stesso account.".into(),
        "role" => "Non può cambiare il suo stesso ruolo.".into(),
        _ => return None,
    })
}

async fn create(State(state): State<AppState>, Staff(me): Staff, d: Posted) -> Response {
    let mut p = Problems::default();
    let username = d.get("username").trim().parse::<Code>();
    if username.is_err() {
        p.add(
            "username",
            "Il nome utente è obbligatorio: da 1 a 32 lettere minuscole senza accenti, cifre, - o _.",
        );
    }
    let display_name = d.get("display_name").trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 80 {
        p.add("display_name", "Scriva nome e cognome, fino a 80 caratteri.");
    }
    let role = d.get("role").parse::<Role>();
    if role.is_err() {
        p.add("role", "Scelga il ruolo.");
    }
    let password = d.get("password").to_owned();
    check_password(&password, &mut p);
    let again = async |p: &Problems| match read_all(&state).await {
        Ok((users, sessions)) => respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            list_page(&state, &me, &users, &sessions, &d, p, None),
        ),
        Err(r) => r,
    };
    let (Ok(username), Ok(role), true) = (username, role, p.is_empty()) else {
        return again(&p).await;
    };
    let hash = match hash(&state, password).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let input = UserInput {
        username,
        display_name,
        role,
        password: None,
        active: true,
    };
    let by = me.clone();
    match state
        .store
        .write(move |ctx| backoffice::create_user(ctx, Some(&by), input, &hash))
        .await
    {
        Ok(_) => done("/backoffice/users", "user-created"),
        Err(e) => match engine_problem(e, italian) {
            Ok(p) => again(&p).await,
            Err(r) => r,
        },
    }
}

async fn load(state: &AppState, id: i64) -> Result<User, Response> {
    state
        .store
        .read(move |c| cfg::get_user(c, id)?.ok_or_else(|| Error::not_found(format!("user {id}"))))
        .await
        .map_err(error_page)
}

async fn user_page(
    State(state): State<AppState>,
    Staff(me): Staff,
    PageId(id): PageId,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    match load(&state, id).await {
        Ok(user) => respond(
            StatusCode::OK,
            one_page(&state, &me, &user, &Problems::default(), ok_of(&query)),
        ),
        Err(r) => r,
    }
}

fn one_page(state: &AppState, me: &User, u: &User, p: &Problems, ok: Option<&str>) -> Markup {
    let title = format!("Utente: {}", u.username);
    let body = html! {
        p.bo-breadcrumb { a href="/backoffice/users" { "Utenti" } " › " (u.username) }
        h1 { (title) }
        (flash(ok))
        (summary(p))
        dl.bo-facts {
            dt { "Nome" } dd { (u.display_name) }
            dt { "Ruolo" } dd { (role_name(u.role)) }
            dt { "Stato" } dd { (active_badge(u.active, "Attivo", "Disattivato")) }
        }
        h2 { "Nuova password" }
        p.bo-hint { "L'utente esce da tutte le sessioni e accede di nuovo con la nuova password." }
        form.bo-form.bo-form-narrow method="post" action={ "/backoffice/users/" (u.id) "/password" } novalidate {
            (Field { name: "password", label: "Nuova password", required: true, hint: Some("Almeno 8 caratteri.") }
                .input("password", "", p))
            div { button.bo-btn.bo-btn-primary type="submit" { "Reimposta la password" } }
        }
        @if u.active && u.id != me.id {
            h2 { "Disattivazione" }
            p { "L'account non potrà più accedere; se è collegato a uno sportello, lo sportello si chiude e il biglietto in corso torna in coda al suo posto. Lo storico resta." }
            form method="post" action={ "/backoffice/users/" (u.id) "/deactivate" } {
                button.bo-btn.bo-btn-danger type="submit" { "Disattiva " (u.username) }
            }
        }
    };
    layout(state, &title, Some(me), Nav::Users, body)
}

async fn new_password(State(state): State<AppState>, Staff(me): Staff, PageId(id): PageId, d: Posted) -> Response {
    let user = match load(&state, id).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut p = Problems::default();
    let password = d.get("password").to_owned();
    check_password(&password, &mut p);
    if !p.is_empty() {
        return respond(StatusCode::UNPROCESSABLE_ENTITY, one_page(&state, &me, &user, &p, None));
    }
    let hash = match hash(&state, password).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let (by, username) = (me.clone(), user.username.to_string());
    let result = state
        .store
        .write(move |ctx| backoffice::reset_password(ctx, Some(&by), &username, &hash))
        .await;
    state.tokens.clear();
    match result {
        // Their own password: this session ended with the others.
        Ok(_) if id == me.id => Redirect::to("/backoffice/login").into_response(),
        Ok(_) => done(&format!("/backoffice/users/{id}"), "password"),
        Err(e) => error_page(e),
    }
}

async fn deactivate(State(state): State<AppState>, Staff(me): Staff, PageId(id): PageId) -> Response {
    let by = me.clone();
    let result = state
        .store
        .write(move |ctx| backoffice::deactivate_user(ctx, Some(&by), id))
        .await;
    state.tokens.clear();
    match result {
        Ok(_) => done(&format!("/backoffice/users/{id}"), "deactivated"),
        Err(e) => match (e.status_and_code().1, load(&state, id).await) {
            (ErrorCode::SelfLockout, Ok(user)) => respond(
                StatusCode::CONFLICT,
                one_page(
                    &state,
                    &me,
                    &user,
                    &Problems::general("Non può disattivare il suo stesso account."),
                    None,
                ),
            ),
            _ => error_page(e),
        },
    }
}
