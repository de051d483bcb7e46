//! The centre's accounts page, for city-wide accounts only: every central account with the office it
//! sees, a new account (city-wide or bound to one office) with a password made for it and shown once,
//! a new password for an account, an account moved to another office, and an account turned off (its
//! sessions ended) or on again.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};

use super::admin::{Field, Posted, Problems, active_badge, done, ok_of, query_pairs, summary};
use super::central::{Signed, page};
use super::{message, respond, unavailable};
use crate::auth;
use crate::central::CentralState;
use crate::central::db::{self, Account, AccountRow, OfficeLag};

pub fn router() -> Router<CentralState> {
    Router::new()
        .route("/backoffice/accounts", get(list).post(create))
        .route("/backoffice/accounts/{username}/password", post(new_password))
        .route("/backoffice/accounts/{username}/active", post(set_active))
        .route("/backoffice/accounts/{username}/office", post(set_office))
}

/// A signed-in city-wide account: only these manage accounts.
struct CityAccount(Account);

impl FromRequestParts<CentralState> for CityAccount {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &CentralState) -> Result<Self, Response> {
        let Signed(me) = Signed::from_request_parts(parts, state).await?;
        if me.office.is_some() {
            return Err(message(
                StatusCode::FORBIDDEN,
                "Accesso non consentito",
                "Gli account si gestiscono con un account cittadino: questo account vede un solo ufficio.",
            ));
        }
        Ok(CityAccount(me))
    }
}

/// A username as sign-in finds it: 1 to 40 lower-case letters without accents, digits, '.', '-', '_'.
fn valid_username(u: &str) -> bool {
    (1..=40).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
}

/// The message after a change (fixed texts: no link can make the page say something else).
fn flash(ok: Option<&str>) -> Markup {
    let text = match ok.unwrap_or("") {
        "off" => "Account disattivato: le sue sessioni sono state chiuse.",
        "on" => "Account riattivato: accede con la sua password.",
        "moved" => "Account spostato: da ora vede l'ufficio scelto.",
        _ => "",
    };
    html! {
        @if !text.is_empty() {
            div.bo-alert.bo-alert-ok role="status" { (text) }
        }
    }
}

/// An office as the page names it: its name and code.
fn office_name(offices: &[OfficeLag], code: &str) -> String {
    match offices.iter().find(|o| o.code == code) {
        Some(o) if o.name != o.code => format!("{} ({code})", o.name),
        _ => code.to_owned(),
    }
}

async fn read_all(state: &CentralState) -> Result<(Vec<AccountRow>, Vec<OfficeLag>), Response> {
    tokio::try_join!(db::accounts(&state.pool), db::offices(&state.pool, None)).map_err(unavailable)
}

async fn list(
    State(state): State<CentralState>,
    CityAccount(me): CityAccount,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    match read_all(&state).await {
        Ok((accounts, offices)) => respond(
            StatusCode::OK,
            list_page(
                &state,
                &me,
                &accounts,
                &offices,
                &Posted::default(),
                &Problems::default(),
                ok_of(&query),
                None,
            ),
        ),
        Err(r) => r,
    }
}

/// A new password, shown once on the page that made it.
struct Made<'a> {
    username: &'a str,
    password: &'a str,
    new_account: bool,
}

#[allow(clippy::too_many_arguments)]
fn list_page(
    state: &CentralState,
    me: &Account,
    accounts: &[AccountRow],
    offices: &[OfficeLag],
    d: &Posted,
    p: &Problems,
    ok: Option<&str>,
    made: Option<&Made<'_>>,
) -> Markup {
    let mut choices: Vec<(&str, &str)> = vec![("", "Tutta la città")];
    let named: Vec<(&str, String)> = offices
        .iter()
        .map(|o| (o.code.as_str(), office_name(offices, &o.code)))
        .collect();
    choices.extend(named.iter().map(|(code, name)| (*code, name.as_str())));
    let body = html! {
        h1 { "Account del back office cittadino" }
        (flash(ok))
        @if let Some(m) = made {
            div.bo-alert.bo-alert-ok role="status" {
                p {
                    @if m.new_account { "Account " strong { (m.username) } " creato. " }
                    @else { "Nuova password per " strong { (m.username) } ": le sessioni aperte sono state chiuse. " }
                    "La password è mostrata solo ora: la comunichi alla persona di persona."
                }
                p { "Password: " code #new-password { (m.password) } }
            }
        }
        p {
            "Un account cittadino vede tutti gli uffici e gestisce gli account; un account d'ufficio vede solo "
            "le statistiche del suo ufficio."
        }
        div.bo-table-wrap {
            table {
                caption { "Account" }
                thead { tr {
                    th scope="col" { "Nome utente" }
                    th scope="col" { "Nome" }
                    th scope="col" { "Vede" }
                    th scope="col" { "Stato" }
                    th scope="col" { "Sessioni aperte" }
                    th scope="col" { span.bo-sr { "Azioni" } }
                } }
                tbody {
                    @for a in accounts {
                        tr {
                            td { (a.account.username) }
                            td { (a.account.display_name) }
                            td { @match &a.account.office {
                                None => "Tutta la città",
                                Some(code) => (office_name(offices, code)),
                            } }
                            td { (active_badge(a.active, "Attivo", "Disattivato")) }
                            td { (a.sessions) }
                            td { div.bo-actions {
                                form method="post" action={ "/backoffice/accounts/" (a.account.username) "/password" } {
                                    button.bo-btn type="submit" { "Nuova password" span.bo-sr { " per " (a.account.username) } }
                                }
                                @if a.account.username != me.username {
                                    form.bo-actions method="post" action={ "/backoffice/accounts/" (a.account.username) "/office" } {
                                        select name="office" aria-label={ "Che cosa vede " (a.account.username) } {
                                            @for (code, name) in &choices {
                                                option value=(code) selected[a.account.office.as_deref().unwrap_or("") == *code] { (name) }
                                            }
                                        }
                                        button.bo-btn type="submit" { "Sposta" span.bo-sr { " " (a.account.username) } }
                                    }
                                    form method="post" action={ "/backoffice/accounts/" (a.account.username) "/active" } {
                                        input type="hidden" name="active" value=(if a.active { "false" } else { "true" });
                                        button.bo-btn type="submit" {
                                            (if a.active { "Disattiva" } else { "Riattiva" })
                                            span.bo-sr { " " (a.account.username) }
                                        }
                                    }
                                }
                            } }
                        }
                    }
                }
            }
        }
        h2 #nuovo { "Nuovo account" }
        (summary(p))
        form.bo-form.bo-form-narrow method="post" action="/backoffice/accounts" novalidate {
            (Field { name: "username", label: "Nome utente", required: true,
                hint: Some("Da 1 a 40 caratteri tra lettere minuscole senza accenti, cifre, punto, - e _: per esempio anagrafe-nord.bo.") }
                .input("text", d.get("username"), p))
            (Field { name: "display_name", label: "Nome", required: true, hint: None }
                .input("text", d.get("display_name"), p))
            (Field { name: "office", label: "Vede", required: true,
                hint: Some("Tutta la città, o un solo ufficio tra quelli che hanno inviato dati.") }
                .select(&choices, d.get("office"), p))
            div { button.bo-btn.bo-btn-primary type="submit" { "Crea l'account" } }
        }
    };
    page(state, Some(me), "Account", "accounts", body)
}

async fn create(State(state): State<CentralState>, CityAccount(me): CityAccount, d: Posted) -> Response {
    let (accounts, offices) = match read_all(&state).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let mut p = Problems::default();
    let username = d.get("username").trim().to_lowercase();
    if !valid_username(&username) {
        p.add(
            "username",
            "Il nome utente è obbligatorio: da 1 a 40 lettere minuscole senza accenti, cifre, punto, - o _.",
        );
    } else if accounts.iter().any(|a| a.account.username == username) {
        p.add("username", "Questo nome utente è già usato: ne scelga un altro.");
    }
    let display_name = d.get("display_name").trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 80 {
        p.add("display_name", "Scriva il nome, fino a 80 caratteri.");
    }
    let office = match d.get("office") {
        "" => None,
        code if offices.iter().any(|o| o.code == code) => Some(code.to_owned()),
        _ => {
            p.add("office", "Scelga tutta la città o uno degli uffici dell'elenco.");
            None
        }
    };
    let again = |p: &Problems| {
        respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            list_page(&state, &me, &accounts, &offices, &d, p, None, None),
        )
    };
    if !p.is_empty() {
        return again(&p);
    }
    let account = Account {
        username,
        display_name,
        office,
    };
    let password = auth::new_token();
    let hash = match hash(&state, password.clone()).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    match db::create_account(&state.pool, &account, &hash).await {
        Ok(true) => {}
        Ok(false) => {
            // Taken between the read and the write.
            let mut p = Problems::default();
            p.add("username", "Questo nome utente è già usato: ne scelga un altro.");
            return again(&p);
        }
        Err(e) => return unavailable(e),
    }
    tracing::info!(by = %me.username, account = %account.username, office = ?account.office, "central account created");
    shown_once(&state, &me, &account.username, &password, true).await
}

async fn new_password(
    State(state): State<CentralState>,
    CityAccount(me): CityAccount,
    Path(username): Path<String>,
) -> Response {
    let password = auth::new_token();
    let hash = match hash(&state, password.clone()).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    match db::set_password(&state.pool, &username, &hash).await {
        Ok(true) => {
            tracing::info!(by = %me.username, account = %username, "central account's password reset");
            shown_once(&state, &me, &username, &password, false).await
        }
        Ok(false) => no_such_account(),
        Err(e) => unavailable(e),
    }
}

async fn set_office(
    State(state): State<CentralState>,
    CityAccount(me): CityAccount,
    Path(username): Path<String>,
    d: Posted,
) -> Response {
    let office = match d.get("office") {
        "" => None,
        code => Some(code.to_owned()),
    };
    if username == me.username && office.is_some() {
        return message(
            StatusCode::CONFLICT,
            "Operazione non consentita",
            "Non può legare a un ufficio il suo stesso account: perderebbe la gestione degli account.",
        );
    }
    if let Some(code) = &office {
        match db::offices(&state.pool, Some(code)).await {
            Ok(found) if !found.is_empty() => {}
            Ok(_) => {
                return message(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Ufficio sconosciuto",
                    "L'ufficio scelto non è tra quelli della centrale. Torni all'elenco degli account.",
                );
            }
            Err(e) => return unavailable(e),
        }
    }
    match db::set_office(&state.pool, &username, office.as_deref()).await {
        Ok(true) => {
            tracing::info!(by = %me.username, account = %username, office = ?office, "central account moved");
            done("/backoffice/accounts", "moved")
        }
        Ok(false) => no_such_account(),
        Err(e) => unavailable(e),
    }
}

async fn set_active(
    State(state): State<CentralState>,
    CityAccount(me): CityAccount,
    Path(username): Path<String>,
    d: Posted,
) -> Response {
    let active = match d.get("active") {
        "true" => true,
        "false" => false,
        _ => {
            return message(
                StatusCode::BAD_REQUEST,
                "Richiesta non valida",
                "Il modulo inviato non è leggibile. Torni alla pagina e riprovi.",
            );
        }
    };
    if !active && username == me.username {
        return message(
            StatusCode::CONFLICT,
            "Operazione non consentita",
            "Non può disattivare il suo stesso account.",
        );
    }
    match db::set_active(&state.pool, &username, active).await {
        Ok(true) => {
            tracing::info!(by = %me.username, account = %username, active, "central account turned on or off");
            done("/backoffice/accounts", if active { "on" } else { "off" })
        }
        Ok(false) => no_such_account(),
        Err(e) => unavailable(e),
    }
}

fn no_such_account() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Account non trovato",
        "Questo account non esiste. Torni all'elenco degli account.",
    )
}

async fn hash(state: &CentralState, password: String) -> Result<String, Response> {
    match state.hasher.run(move || auth::hash_password(&password)).await {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) | Err(e) => Err(unavailable(e)),
    }
}

/// The accounts page with a password made just now: the page that shows it is never stored.
async fn shown_once(state: &CentralState, me: &Account, username: &str, password: &str, new_account: bool) -> Response {
    let (accounts, offices) = match read_all(state).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let made = Made {
        username,
        password,
        new_account,
    };
    let mut response = respond(
        StatusCode::OK,
        list_page(
            state,
            me,
            &accounts,
            &offices,
            &Posted::default(),
            &Problems::default(),
            None,
            Some(&made),
        ),
    );
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response.into_response()
}
