//! Back-office pages that keep the office up to date: services (with their information sheets,
//! a preview as kiosk and ticket show them, and their PDF forms), counters, users, devices, board
//! notices, and the audit log of every change. Every change goes through one operation of
//! [`crate::backoffice`], as the API's does; lists are read with the store's functions the API uses.
//!
//! Every form works without JavaScript: it posts to the server, which answers a redirect with a
//! message when the change is made (Post/Redirect/Get), or the same form again (422) with the values
//! entered, each problem next to its field and a summary at the top linking to them.

// A handler's helpers answer early with the page that says why: that page is the error.
#![allow(
    clippy::result_large_err,
    reason = "the error is the page to answer, returned once per request"
)]

mod audit;
mod counters;
mod devices;
mod notices;
mod services;
mod users;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::{error_page, message};
use crate::AppState;
use crate::error::Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(services::router())
        .merge(counters::router())
        .merge(users::router())
        .merge(devices::router())
        .merge(notices::router())
        .merge(audit::router())
}

// ----- what a form posted -----

/// The fields a form posted, in order (a name may repeat).
#[derive(Default)]
pub(super) struct Posted(Vec<(String, String)>);

/// The body of an `application/x-www-form-urlencoded` post; a body that is not one gets the page
/// saying so.
impl<S: Send + Sync> axum::extract::FromRequest<S> for Posted {
    type Rejection = Response;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(pairs)) => Ok(Posted(pairs)),
            Err(_) => Err(message(
                StatusCode::BAD_REQUEST,
                "Richiesta non valida",
                "Il modulo inviato non è leggibile. Torni alla pagina e riprovi.",
            )),
        }
    }
}

impl Posted {
    /// The first value of `name`, or "".
    pub(super) fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// Whether a checkbox `name` was ticked.
    pub(super) fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// A record's id in a page's address; a malformed one names no record.
/// The id in a page's path (`/backoffice/services/3`): anything but a positive number is a page that
/// does not exist.
pub(super) struct PageId(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PageId {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Response> {
        let axum::extract::Path(text) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| error_page(Error::not_found("page")))?;
        parse_id(&text).map(PageId)
    }
}

pub(super) fn parse_id(text: &str) -> Result<i64, Response> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| error_page(Error::not_found("page")))
}

// ----- problems, shown next to their fields -----

/// What is wrong with a form: an Italian message for each field concerned, in the form's order.
#[derive(Default)]
pub(super) struct Problems(Vec<(String, String)>);

impl Problems {
    /// Records a problem with `field`; the first one recorded for a field is the one shown.
    pub(super) fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field.to_owned(), message.into()));
        }
    }

    pub(super) fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    /// Whether some field whose name starts with `prefix` has a problem.
    pub(super) fn any_under(&self, prefix: &str) -> bool {
        self.0.iter().any(|(f, _)| f.starts_with(prefix))
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// One problem that concerns the whole form (shown in the summary only).
    pub(super) fn general(message: impl Into<String>) -> Problems {
        Problems(vec![(String::new(), message.into())])
    }
}

/// What to do with an error the engine returned for a form: the form again with the problem next
/// to its field (in Italian when `italian` knows the field), or the error's own page.
/// Runs one engine operation a form asked for: its answer becomes the page to go to (`then`), a
/// refusal the form can show brings the form back with it (`again`), anything else an error page.
pub(super) async fn save<T: Send + 'static>(
    state: &AppState,
    op: impl FnOnce(&mut crate::store::WriteCtx<'_>) -> crate::error::Result<T> + Send + 'static,
    italian: impl Fn(&str, &Error) -> Option<String>,
    again: impl Fn(&Problems) -> Response,
    then: impl FnOnce(T) -> Response,
) -> Response {
    match state.store.write(op).await {
        Ok(answer) => then(answer),
        Err(e) => match engine_problem(e, italian) {
            Ok(p) => again(&p),
            Err(r) => r,
        },
    }
}

pub(super) fn engine_problem(e: Error, italian: impl Fn(&str, &Error) -> Option<String>) -> Result<Problems, Response> {
    match e.field() {
        Some(field) => {
            let text = italian(field, &e).unwrap_or_else(|| format!("Valore non accettato: {e}."));
            let mut p = Problems::default();
            p.add(field, text);
            Ok(p)
        }
        None => match e {
            Error::BadRequest { .. } | Error::Conflict { .. } => {
                Ok(Problems::general(format!("La modifica non è stata salvata: {e}.")))
            }
            other => Err(error_page(other)),
        },
    }
}

/// The `id` of a field's element: `name.en` is `f-name-en`.
pub(super) fn fid(name: &str) -> String {
    format!("f-{}", name.replace(['.', '_'], "-"))
}

/// The box at the top of a form that failed: how many problems, each a link to its field.
pub(super) fn summary(problems: &Problems) -> Markup {
    html! {
        @if !problems.is_empty() {
            div.bo-alert.bo-alert-error #errors role="alert" tabindex="-1" aria-labelledby="errors-title" {
                h2 #errors-title .bo-alert-title {
                    @if problems.0.len() == 1 { "C'è un problema da correggere" }
                    @else { "Ci sono " (problems.0.len()) " problemi da correggere" }
                }
                ul {
                    @for (field, text) in &problems.0 {
                        li {
                            @if field.is_empty() { (text) }
                            @else { a href={ "#" (fid(field)) } { (text) } }
                        }
                    }
                }
            }
        }
    }
}

/// A field's label, hint and error around its control; the control gets the `id`, `aria-describedby`
/// and `aria-invalid` built here.
pub(super) struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
    pub required: bool,
}

impl Field<'_> {
    fn described_by(&self, problems: &Problems) -> Option<String> {
        let id = fid(self.name);
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{id}-hint"));
        }
        if problems.get(self.name).is_some() {
            ids.push(format!("{id}-error"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }

    fn wrap(&self, problems: &Problems, control: Markup) -> Markup {
        let id = fid(self.name);
        html! {
            div.bo-field {
                label for=(id) {
                    (self.label)
                    @if self.required { span.bo-required { " (obbligatorio)" } }
                }
                @if let Some(hint) = self.hint { span.bo-hint id={ (id) "-hint" } { (hint) } }
                (control)
                @if let Some(error) = problems.get(self.name) {
                    span.bo-field-error id={ (id) "-error" } { span.bo-sr { "Errore: " } (error) }
                }
            }
        }
    }

    /// An `<input>` of `kind` (`text`, `number`, `date`, …).
    pub(super) fn input(&self, kind: &str, value: &str, problems: &Problems) -> Markup {
        self.input_lang(kind, value, problems, None)
    }

    /// An `<input>` whose text is in `lang`.
    pub(super) fn input_lang(&self, kind: &str, value: &str, problems: &Problems, lang: Option<&str>) -> Markup {
        let control = html! {
            input id=(fid(self.name)) name=(self.name) type=(kind) value=(value) lang=[lang]
                dir=[lang.map(|_| "auto")] required[self.required]
                autocomplete=[(kind == "password").then_some("new-password")]
                aria-describedby=[self.described_by(problems)]
                aria-invalid=[problems.get(self.name).map(|_| "true")];
        };
        self.wrap(problems, control)
    }

    /// A `<textarea>` of `rows` lines, its text in `lang` when given.
    pub(super) fn textarea(&self, value: &str, rows: u32, problems: &Problems, lang: Option<&str>) -> Markup {
        let control = html! {
            textarea id=(fid(self.name)) name=(self.name) rows=(rows) lang=[lang] dir=[lang.map(|_| "auto")]
                required[self.required]
                aria-describedby=[self.described_by(problems)]
                aria-invalid=[problems.get(self.name).map(|_| "true")] { (value) }
        };
        self.wrap(problems, control)
    }

    /// A `<select>` of `(value, label)` options.
    pub(super) fn select(&self, options: &[(&str, &str)], value: &str, problems: &Problems) -> Markup {
        let control = html! {
            select id=(fid(self.name)) name=(self.name) required[self.required]
                aria-describedby=[self.described_by(problems)]
                aria-invalid=[problems.get(self.name).map(|_| "true")] {
                @for (v, label) in options {
                    option value=(v) selected[*v == value] { (label) }
                }
            }
        };
        self.wrap(problems, control)
    }
}

/// A checkbox with its label beside it, and its error below.
pub(super) fn checkbox(name: &str, label: &str, checked: bool, problems: &Problems) -> Markup {
    let id = fid(name);
    html! {
        div.bo-field {
            div.bo-check {
                input type="checkbox" id=(id) name=(name) value="1" checked[checked]
                    aria-describedby=[problems.get(name).map(|_| format!("{id}-error"))]
                    aria-invalid=[problems.get(name).map(|_| "true")];
                label for=(id) { (label) }
            }
            @if let Some(error) = problems.get(name) {
                span.bo-field-error id={ (id) "-error" } { span.bo-sr { "Errore: " } (error) }
            }
        }
    }
}

// ----- after a change -----

/// Goes to `to` after a change, with the message `done` names (Post/Redirect/Get).
pub(super) fn done(to: &str, done: &str) -> Response {
    let (path, fragment) = to.split_once('#').map_or((to, ""), |(p, f)| (p, f));
    let sep = if path.contains('?') { '&' } else { '?' };
    let fragment = if fragment.is_empty() {
        String::new()
    } else {
        format!("#{fragment}")
    };
    Redirect::to(&format!("{path}{sep}ok={done}{fragment}")).into_response()
}

/// The message for `?ok=…` after a redirect: fixed texts, so that no link can make the page say
/// something else.
pub(super) fn flash(ok: Option<&str>) -> Markup {
    let text = match ok.unwrap_or("") {
        "created" => "Creato. Chioschi, console e tabelloni lo ricevono subito.",
        "saved" => "Modifiche salvate. Chioschi, console e tabelloni le ricevono subito.",
        "deleted" => "Eliminato.",
        "user-created" => "Account creato: la persona accede con la password iniziale che le ha comunicato.",
        "form-added" => "Modulo caricato: i cittadini lo trovano nella pagina del biglietto.",
        "form-deleted" => "Modulo eliminato.",
        "revoked" => "Dispositivo revocato: il suo codice non è più accettato.",
        "deactivated" => "Utente disattivato: le sue sessioni sono state chiuse.",
        "password" => "Password reimpostata: l'utente deve accedere di nuovo con la nuova password.",
        _ => "",
    };
    html! {
        @if !text.is_empty() {
            div.bo-alert.bo-alert-ok role="status" { (text) }
        }
    }
}

/// The `ok` value of a page's query, if any.
pub(super) fn ok_of(query: &[(String, String)]) -> Option<&str> {
    query.iter().find(|(k, _)| k == "ok").map(|(_, v)| v.as_str())
}

/// A page's query, or nothing when it is malformed (the page then shows its defaults).
pub(super) fn query_pairs(
    q: Result<axum::extract::Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Vec<(String, String)> {
    q.map(|axum::extract::Query(pairs)| pairs).unwrap_or_default()
}

/// A date and time of the office, as Italians write it: `30/11/2026 18:05`.
pub(super) fn local_time(state: &AppState, at: jiff::Timestamp) -> String {
    state.office.local(at).strftime("%d/%m/%Y %H:%M").to_string()
}

/// A yes/no badge.
pub(super) fn active_badge(active: bool, on: &str, off: &str) -> Markup {
    html! {
        @if active { span.bo-badge.bo-badge-ok { (on) } } @else { span.bo-badge.bo-badge-off { (off) } }
    }
}
