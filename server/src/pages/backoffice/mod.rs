//! The back office's web pages under `/backoffice`: sign-in with a back-office account (a session
//! cookie holding the same login token the API takes), the shared page layout, and the guard that
//! refuses cross-site form posts. The pages themselves live in [`admin`] (keeping the office up to
//! date, the audit log) and [`dashboard`] (today, statistics, charts, exports, the monthly report);
//! they call the same engine operations as the API, never SQL of their own.

mod admin;
pub(crate) mod central;
mod central_accounts;
pub(crate) mod charts;
mod dashboard;

use axum::Router;
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use turno_shared::api::{LoginRequest, User};
use turno_shared::domain::Role;

use super::page_headers;
use crate::AppState;
use crate::auth::{self, ClientAddr, Principal};
use crate::error::Error;
use crate::store::office as cfg;

/// The session cookie: the login token, readable by the server only, sent only to `/backoffice`
/// and never by another site's page.
const COOKIE: &str = "turno_bo";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice/login", axum::routing::get(login_page).post(login))
        .route("/backoffice/logout", axum::routing::post(logout))
        .merge(dashboard::router())
        .merge(admin::router())
        .layer(axum::middleware::from_fn(same_origin_posts))
}

// ----- who is signed in -----

/// A back-office user signed in through the pages. A request without a valid session is sent to
/// the sign-in page and comes back where it was going.
pub struct Staff(pub User);

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(token) = session_token(&parts.headers) else {
            return Err(to_login(parts));
        };
        match auth::authenticate(state, &token).await {
            Ok(Principal::User(u)) if u.role == Role::Admin => Ok(Staff(u)),
            Ok(_) => Err(message(
                StatusCode::FORBIDDEN,
                "Accesso non consentito",
                "Questa sezione è riservata agli account del back office.",
            )),
            Err(Error::Unauthenticated) => Err(to_login(parts)),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// The session token carried by the request's cookie, if any.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Sends the browser to the sign-in page, remembering where it was going.
fn to_login(parts: &Parts) -> Response {
    let wanted = parts.uri.path_and_query().map_or("/backoffice", |p| p.as_str());
    let next = if parts.method == Method::GET {
        safe_next(wanted)
    } else {
        "/backoffice"
    };
    Redirect::to(&format!("/backoffice/login?next={}", url_encode(next))).into_response()
}

/// Where to go after signing in: only a page of the back office, never another site.
fn safe_next(next: &str) -> &str {
    let inside = next == "/backoffice" || next.starts_with("/backoffice/") || next.starts_with("/backoffice?");
    if inside && !next.contains("//") && !next.contains('\\') {
        next
    } else {
        "/backoffice"
    }
}

/// Percent-encodes a value for a URL's query.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ----- sign in and out -----

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref().unwrap_or("/backoffice")).to_owned();
    login_form(&state, StatusCode::OK, "", &next, None)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(State(state): State<AppState>, ClientAddr(client): ClientAddr, form: axum::Form<LoginForm>) -> Response {
    let form = form.0;
    let next = safe_next(&form.next).to_owned();
    if form.username.trim().is_empty() || form.password.is_empty() {
        let why = "Inserisca nome utente e password.";
        return login_form(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form.username,
            &next,
            Some(why),
        );
    }
    let request = LoginRequest {
        username: form.username.clone(),
        password: form.password,
    };
    let signed_in = match auth::login(&state, request, client).await {
        Ok(signed_in) => signed_in,
        Err(e) => {
            let (status, why) = match &e {
                Error::Unauthenticated => (
                    StatusCode::UNAUTHORIZED,
                    "Nome utente o password non corretti.".to_owned(),
                ),
                Error::TooManyAttempts { retry_after_secs } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Troppi tentativi non riusciti: riprovi tra {} minuti.",
                        retry_after_secs.div_ceil(60).max(1)
                    ),
                ),
                Error::Unavailable(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Il server è molto occupato: riprovi tra qualche secondo.".to_owned(),
                ),
                _ => (
                    e.status_and_code().0,
                    "Accesso non riuscito. Riprovi più tardi.".to_owned(),
                ),
            };
            return login_form(&state, status, &form.username, &next, Some(&why));
        }
    };
    if signed_in.user.role != Role::Admin {
        // A clerk's account: the token just made is withdrawn, the clerk is told where to work.
        let hash = auth::token_hash(&signed_in.token);
        let _ = state.store.write(move |ctx| cfg::delete_token(ctx.conn, &hash)).await;
        let why = "Questo account è di uno sportello: usi la console dello sportello. \
                   Il back office è riservato agli account del back office.";
        return login_form(&state, StatusCode::FORBIDDEN, &form.username, &next, Some(why));
    }
    let mut response = Redirect::to(&next).into_response();
    let cookie = format!(
        "{COOKIE}={}; Path=/backoffice; HttpOnly; SameSite=Strict{}",
        signed_in.token,
        if state.config.tls_cert.is_some() {
            "; Secure"
        } else {
            ""
        }
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn login_form(state: &AppState, status: StatusCode, username: &str, next: &str, error: Option<&str>) -> Response {
    let body = html! {
        div.bo-narrow {
            h1 { "Accesso al back office" }
            p.bo-lead { (state.office.name) }
            @if let Some(error) = error {
                div.bo-alert.bo-alert-error role="alert" id="login-error" { (error) }
            }
            form.bo-form method="post" action="/backoffice/login" {
                input type="hidden" name="next" value=(next);
                div.bo-field {
                    label for="username" { "Nome utente" }
                    input #username name="username" type="text" autocomplete="username" required
                        autofocus[error.is_none()] value=(username)
                        aria-describedby=[error.map(|_| "login-error")];
                }
                div.bo-field {
                    label for="password" { "Password" }
                    input #password name="password" type="password" autocomplete="current-password" required
                        autofocus[error.is_some()];
                }
                button.bo-btn.bo-btn-primary type="submit" { "Accedi" }
            }
        }
    };
    respond(status, layout(state, "Accesso", None, Nav::None, body))
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        let hash = auth::token_hash(&token);
        if let Err(e) = state.store.write(move |ctx| cfg::delete_token(ctx.conn, &hash)).await {
            return unavailable(e);
        }
        state.tokens.clear();
    }
    let mut response = Redirect::to("/backoffice/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("turno_bo=; Path=/backoffice; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

// ----- cross-site posts -----

/// Refuses a form post that another site's page sent: the browser says where a request comes from
/// (`Sec-Fetch-Site`, `Origin`), and the session cookie is `SameSite=Strict` besides.
pub(crate) async fn same_origin_posts(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) || is_same_origin(request.headers()) {
        next.run(request).await
    } else {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        tracing::warn!(
            origin = header("origin"),
            host = header("host"),
            site = header("sec-fetch-site"),
            path = request.uri().path(),
            "a cross-site form post was refused"
        );
        message(
            StatusCode::FORBIDDEN,
            "Richiesta rifiutata",
            "La richiesta non proviene da una pagina del back office. Torni alla pagina e riprovi.",
        )
    }
}

pub(crate) fn is_same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return false;
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

// ----- layout -----

/// The section a page belongs to, highlighted in the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    None,
    Dashboard,
    Services,
    Counters,
    Users,
    Devices,
    Notices,
    Audit,
    Exports,
    Report,
}

const SECTIONS: &[(Nav, &str, &str)] = &[
    (Nav::Dashboard, "/backoffice", "Cruscotto"),
    (Nav::Services, "/backoffice/services", "Servizi"),
    (Nav::Counters, "/backoffice/counters", "Sportelli"),
    (Nav::Users, "/backoffice/users", "Utenti"),
    (Nav::Devices, "/backoffice/devices", "Dispositivi"),
    (Nav::Notices, "/backoffice/notices", "Avvisi"),
    (Nav::Audit, "/backoffice/audit", "Registro modifiche"),
    (Nav::Exports, "/backoffice/exports", "Esportazioni"),
    (Nav::Report, "/backoffice/report", "Rapporto mensile"),
];

/// A whole back-office page: header with the office and the signed-in user, navigation, and `body`
/// (which carries its own `h1`).
pub fn layout(state: &AppState, title: &str, me: Option<&User>, nav: Nav, body: Markup) -> Markup {
    let sections: Vec<(&str, &str, bool)> = SECTIONS
        .iter()
        .map(|(section, href, label)| (*href, *label, *section == nav))
        .collect();
    frame(
        &Frame {
            site: "Back office",
            brand: &state.office.name,
            home: "/backoffice",
            signed_in: me.map(|me| (me.display_name.as_str(), "/backoffice/logout")),
            nav_label: "Sezioni del back office",
        },
        title,
        &sections,
        body,
    )
}

/// What a back-office page's frame names: the office's or the city's.
pub struct Frame<'a> {
    /// The part of Turno ("Back office", "Back office cittadino").
    pub site: &'a str,
    /// The office's or the city's name, linking to `home`.
    pub brand: &'a str,
    pub home: &'a str,
    /// Who is signed in, and where to post to sign out.
    pub signed_in: Option<(&'a str, &'a str)>,
    pub nav_label: &'a str,
}

/// The page around `body`: head, header with who is signed in, navigation (`(href, label, current)`,
/// shown to the signed in only). The office's back office and the city's centre share it.
pub fn frame(f: &Frame<'_>, title: &str, sections: &[(&str, &str, bool)], body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="it" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " – " (f.site) " – " (f.brand) }
                link rel="stylesheet" href="/assets/turno.css";
                link rel="stylesheet" href="/assets/backoffice.css";
            }
            body {
                a.bo-skip href="#main" { "Vai al contenuto" }
                header.bo-header {
                    div.bo-slim {
                        div.bo-wrap.bo-slim-row {
                            span { "Turno · " (f.site) }
                            @if let Some((name, logout)) = f.signed_in {
                                form.bo-signout method="post" action=(logout) {
                                    span { "Accesso come " strong { (name) } }
                                    button.bo-btn.bo-btn-small type="submit" { "Esci" }
                                }
                            }
                        }
                    }
                    div.bo-wrap.bo-brand {
                        a href=(f.home) { (f.brand) }
                    }
                    @if f.signed_in.is_some() {
                        nav.bo-nav aria-label=(f.nav_label) {
                            ul.bo-wrap {
                                @for (href, label, current) in sections {
                                    li {
                                        a href=(href) aria-current=[current.then_some("page")] { (label) }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main .bo-wrap tabindex="-1" { (body) }
            }
        }
    }
}

/// A page as a response, with the headers every page carries.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response();
    page_headers(&mut response);
    // Browsers send `Origin: null` with the posts of a page whose policy is `no-referrer`; within
    // the site the origin is needed to tell our own forms from another site's.
    response
        .headers_mut()
        .insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// A short page telling what went wrong.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="it" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/assets/turno.css";
                link rel="stylesheet" href="/assets/backoffice.css";
            }
            body {
                main #main .bo-wrap .bo-narrow {
                    h1 { (title) }
                    p { (text) }
                    p { a href="/backoffice" { "Torna al back office" } }
                }
            }
        }
    };
    respond(status, markup)
}

/// The page for an error the engine returned where no form can show it.
pub fn error_page(e: Error) -> Response {
    match e {
        Error::NotFound(_) => message(
            StatusCode::NOT_FOUND,
            "Pagina non trovata",
            "Ciò che cerca non esiste o è stato rimosso.",
        ),
        Error::Unavailable(_) | Error::Internal(_) => unavailable(e),
        other => {
            let (status, _) = other.status_and_code();
            message(status, "Operazione non riuscita", &other.to_string())
        }
    }
}

pub(crate) fn unavailable(e: Error) -> Response {
    if let Error::Internal(cause) = &e {
        tracing::error!(%cause, "back-office page failed");
    }
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Servizio momentaneamente non disponibile",
        "Il server non riesce a rispondere in questo momento. Riprovi tra qualche secondo.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_back_office_pages_are_a_place_to_return_to() {
        assert_eq!(safe_next("/backoffice/services/3"), "/backoffice/services/3");
        assert_eq!(safe_next("/backoffice?from=2026-11-01"), "/backoffice?from=2026-11-01");
        for outside in [
            "https://evil.example/",
            "//evil.example",
            "/backoffice//evil",
            "/api/v1/office",
            "/backoffice\\x",
            "/backofficeX",
        ] {
            assert_eq!(safe_next(outside), "/backoffice", "{outside}");
        }
    }

    #[test]
    fn posts_from_another_site_are_told_apart() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        assert!(is_same_origin(&headers(&[
            ("host", "office:8080"),
            ("origin", "http://office:8080")
        ])));
        assert!(is_same_origin(&headers(&[
            ("host", "office:8080"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(
            is_same_origin(&headers(&[("host", "office:8080")])),
            "curl sends neither"
        );
        assert!(!is_same_origin(&headers(&[
            ("host", "office:8080"),
            ("origin", "http://evil:8080")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("host", "office:8080"),
            ("origin", "null")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("host", "office"),
            ("sec-fetch-site", "cross-site")
        ])));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; turno_bo=tok123; b=2"));
        assert_eq!(session_token(&h).as_deref(), Some("tok123"));
        h.insert(header::COOKIE, HeaderValue::from_static("turno_bo="));
        assert_eq!(session_token(&h), None);
    }
}
