//! The centre's accounts page (`/backoffice/accounts`): an account of the whole city lists the central
//! accounts, creates one (bound to an office or to the whole city; its random password shown once) and
//! changes an account's office or disables it (its sessions end at once). Office accounts may not come.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Router};
use maud::{Markup, html};
use serde::Deserialize;

use super::central::{Signed, page};
use super::{message, respond, unavailable};
use crate::auth;
use crate::central::CentralState;
use crate::central::db::{self, Account, AccountRow, OfficeLag};
use crate::error::Error;

pub fn router() -> Router<CentralState> {
    Router::new()
        .route("/backoffice/accounts", axum::routing::get(list).post(create))
        .route("/backoffice/accounts/{username}", axum::routing::post(update))
}

/// Only an account of the whole city manages accounts: the refusal of any other.
fn refused(me: &Signed) -> Option<Response> {
    me.0.office.as_ref().map(|_| {
        message(
            StatusCode::FORBIDDEN,
            "Accesso non consentito",
            "Solo un account di tutta la città gestisce gli account.",
        )
    })
}

#[derive(Deserialize, Default)]
struct NewAccount {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    office: String,
}

/// A new account's fields, checked: a username of 3 to 64 lowercase letters, digits, `.`, `-` or `_`;
/// a name of at most 100 characters (the username when empty); an office code or "" for the city.
fn parse(form: &NewAccount) -> Result<Account, Vec<(&'static str, &'static str)>> {
    let mut errors = Vec::new();
    let username = form.username.trim();
    let ok = (3..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !ok {
        errors.push((
            "username",
            "Da 3 a 64 caratteri: lettere minuscole, cifre, punto, trattino o trattino basso.",
        ));
    }
    let name = form.display_name.trim();
    if name.chars().count() > 100 {
        errors.push(("display_name", "Al massimo 100 caratteri."));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Account {
        username: username.to_owned(),
        display_name: if name.is_empty() {
            username.to_owned()
        } else {
            name.to_owned()
        },
        office: Some(form.office.trim()).filter(|o| !o.is_empty()).map(str::to_owned),
    })
}

/// What the page shows: the accounts, the offices, the form to create one as posted with its errors,
/// and an account just made with its password.
struct View<'a> {
    accounts: &'a [AccountRow],
    offices: &'a [OfficeLag],
    form: &'a NewAccount,
    errors: &'a [(&'a str, &'a str)],
    created: Option<(&'a str, &'a str)>,
}

fn accounts_page(state: &CentralState, me: &Signed, status: StatusCode, view: View<'_>) -> Response {
    let View {
        accounts,
        offices,
        form,
        errors,
        created,
    } = view;
    let error = |field: &str| errors.iter().find(|(f, _)| *f == field).map(|(_, m)| *m);
    let office_name = |code: &Option<String>| match code {
        None => "Tutta la città".to_owned(),
        Some(c) => offices
            .iter()
            .find(|o| &o.code == c)
            .map_or(c.clone(), |o| format!("{} ({c})", o.name)),
    };
    let office_select = |id: &str, chosen: Option<&str>| -> Markup {
        html! {
            select id=(id) name="office" {
                option value="" selected[chosen.is_none()] { "Tutta la città" }
                @for o in offices {
                    option value=(o.code) selected[chosen == Some(o.code.as_str())] { (o.name) " (" (o.code) ")" }
                }
            }
        }
    };
    let body = html! {
        h1 { "Account" }
        p.bo-lead { "Gli account del back office cittadino. Un account legato a un ufficio vede solo quell'ufficio; un account di tutta la città vede ogni ufficio e gestisce gli account." }
        @if let Some((username, password)) = created {
            div.bo-alert.bo-alert-ok role="status" id="created" {
                p { "Account " strong { (username) } " creato. La sua password, mostrata solo ora:" }
                p { code #password { (password) } }
            }
        }
        @if !errors.is_empty() {
            div.bo-alert.bo-alert-error role="alert" id="form-error" { "L'account non è stato creato: correggere i campi segnalati." }
        }
        table.bo-table #accounts {
            caption { "Gli account, il loro ufficio e se possono accedere." }
            thead { tr {
                th scope="col" { "Nome utente" } th scope="col" { "Nome" } th scope="col" { "Ufficio" }
                th scope="col" { "Stato" } th scope="col" { "Modifica" }
            } }
            tbody {
                @for a in accounts {
                    @let id = format!("office-{}", a.username);
                    tr {
                        th scope="row" { (a.username) }
                        td { (a.display_name) }
                        td { (office_name(&a.office)) }
                        td { @if a.active { span.bo-badge.bo-badge-ok { "Attivo" } } @else { span.bo-badge.bo-badge-warn { "Disattivato" } } }
                        td {
                            form.bo-form.bo-inline method="post" action={ "/backoffice/accounts/" (a.username) } {
                                label.bo-sr for=(id) { "Ufficio di " (a.username) }
                                (office_select(&id, a.office.as_deref()))
                                @if a.username == me.0.username {
                                    input type="hidden" name="active" value="on";
                                    button.bo-btn type="submit" { "Salva" }
                                } @else {
                                    label { input type="checkbox" name="active" checked[a.active]; " Attivo" }
                                    button.bo-btn type="submit" { "Salva" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Nuovo account" }
        form.bo-form method="post" action="/backoffice/accounts" {
            div.bo-field {
                label for="username" { "Nome utente" }
                input #username name="username" type="text" required value=(form.username)
                    aria-invalid=[error("username").map(|_| "true")]
                    aria-describedby=[error("username").map(|_| "username-error")];
                @if let Some(e) = error("username") { p.bo-field-error #username-error { (e) } }
            }
            div.bo-field {
                label for="display_name" { "Nome e cognome" }
                input #display_name name="display_name" type="text" value=(form.display_name)
                    aria-invalid=[error("display_name").map(|_| "true")]
                    aria-describedby=[error("display_name").map(|_| "display_name-error")];
                @if let Some(e) = error("display_name") { p.bo-field-error #display_name-error { (e) } }
            }
            div.bo-field {
                label for="office" { "Ufficio" }
                (office_select("office", Some(form.office.as_str()).filter(|o| !o.is_empty())))
                @if let Some(e) = error("office") { p.bo-field-error #office-error { (e) } }
            }
            button.bo-btn.bo-btn-primary type="submit" { "Crea l'account" }
        }
    };
    respond(status, page(state, Some(&me.0), "Account", "accounts", body))
}

async fn load(state: &CentralState) -> Result<(Vec<AccountRow>, Vec<OfficeLag>), Error> {
    tokio::try_join!(db::accounts(&state.pool), db::offices(&state.pool, None))
}

async fn list(State(state): State<CentralState>, me: Signed) -> Response {
    if let Some(r) = refused(&me) {
        return r;
    }
    match load(&state).await {
        Ok((accounts, offices)) => accounts_page(
            &state,
            &me,
            StatusCode::OK,
            View {
                accounts: &accounts,
                offices: &offices,
                form: &NewAccount::default(),
                errors: &[],
                created: None,
            },
        ),
        Err(e) => unavailable(e),
    }
}

async fn create(State(state): State<CentralState>, me: Signed, Form(form): Form<NewAccount>) -> Response {
    if let Some(r) = refused(&me) {
        return r;
    }
    let result = match parse(&form) {
        Err(errors) => Err(errors),
        Ok(account) => {
            let password = crate::setup::random_password();
            let hashed = {
                let password = password.clone();
                state.hasher.run(move || auth::hash_password(&password)).await
            };
            let made = match hashed {
                Ok(Ok(hash)) => db::create_account(&state.pool, &account, &hash).await,
                Ok(Err(e)) | Err(e) => Err(e),
            };
            match made {
                Ok(()) => Ok((account.username, password)),
                Err(Error::Field { field, error })
                    if field == "username" && matches!(*error, Error::Conflict { .. }) =>
                {
                    Err(vec![("username", "Questo nome utente esiste già.")])
                }
                Err(Error::Field { field, .. }) if field == "office" => Err(vec![("office", "Ufficio sconosciuto.")]),
                Err(e) => return unavailable(e),
            }
        }
    };
    let (accounts, offices) = match load(&state).await {
        Ok(x) => x,
        Err(e) => return unavailable(e),
    };
    match result {
        Ok((username, password)) => accounts_page(
            &state,
            &me,
            StatusCode::CREATED,
            View {
                accounts: &accounts,
                offices: &offices,
                form: &NewAccount::default(),
                errors: &[],
                created: Some((&username, &password)),
            },
        ),
        Err(errors) => accounts_page(
            &state,
            &me,
            StatusCode::UNPROCESSABLE_ENTITY,
            View {
                accounts: &accounts,
                offices: &offices,
                form: &form,
                errors: &errors,
                created: None,
            },
        ),
    }
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    office: String,
    /// A ticked checkbox posts "on"; an unticked one nothing.
    #[serde(default)]
    active: Option<String>,
}

async fn update(
    State(state): State<CentralState>,
    me: Signed,
    Path(username): Path<String>,
    Form(change): Form<Change>,
) -> Response {
    if let Some(r) = refused(&me) {
        return r;
    }
    let office = Some(change.office.trim()).filter(|o| !o.is_empty());
    let active = change.active.is_some();
    if username == me.0.username && (!active || office.is_some()) {
        return message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Modifica non consentita",
            "Non si può disattivare il proprio account né legarlo a un ufficio: lo faccia un altro account della città.",
        );
    }
    match db::update_account(&state.pool, &username, office, active).await {
        Ok(true) => Redirect::to("/backoffice/accounts").into_response(),
        Ok(false) => message(
            StatusCode::NOT_FOUND,
            "Account inesistente",
            "Questo account non esiste.",
        ),
        Err(Error::Field { field, .. }) if field == "office" => message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Ufficio sconosciuto",
            "L'ufficio scelto non è tra quelli della centrale.",
        ),
        Err(e) => unavailable(e),
    }
}
