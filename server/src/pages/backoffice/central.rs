//! The city's back office, served by the centre (`turno-server central serve`): sign-in with a central
//! account, the offices side by side with their lag, the statistics of one office or of the whole city
//! (the office's own computation, `turno_shared::stats`), their exports (CSV, XLSX, JSON: offices side
//! by side and the city) and the "Mettiamoci la faccia" report for the city by week or by month. The
//! same frame, styles and charts as an office's back office; a JSON API beside the pages
//! (`/api/v1/central/*`) with the same sign-in. An account bound to an office sees only it.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Json, Router};
use maud::{Markup, html};
use serde::Deserialize;
use turno_shared::stats::{Figures, Stats};

use super::charts::{self, number};
use super::{Frame, frame, message, respond, session_token, unavailable};
use crate::auth;
use crate::central::db::{self, Account, OfficeLag, Summary};
use crate::central::{CentralState, stats};
use crate::error::Error;
use crate::exports::{self, FiguresTable, Format};

const COOKIE: &str = "turno_bo";

pub fn router() -> Router<CentralState> {
    Router::new()
        .route("/", axum::routing::get(|| async { Redirect::to("/backoffice") }))
        .route("/backoffice", axum::routing::get(overview))
        .route("/backoffice/login", axum::routing::get(login_page).post(login))
        .route("/backoffice/logout", axum::routing::post(logout))
        .route("/backoffice/stats", axum::routing::get(stats_page))
        .route("/backoffice/report.csv", axum::routing::get(weekly_report))
        .route("/backoffice/export", axum::routing::get(export))
        .route("/api/v1/central/login", axum::routing::post(api_login))
        .route("/api/v1/central/offices", axum::routing::get(api_offices))
        .route("/api/v1/central/stats", axum::routing::get(api_stats))
        .route("/assets/{*file}", axum::routing::get(super::super::asset))
        .merge(super::central_accounts::router())
        .layer(axum::middleware::from_fn(super::same_origin_posts))
}

/// A signed-in central account (session cookie, or `Authorization: Bearer` for the API).
pub struct Signed(pub Account);

impl FromRequestParts<CentralState> for Signed {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &CentralState) -> Result<Self, Response> {
        let api = parts.uri.path().starts_with("/api/");
        let token = session_token(&parts.headers).or_else(|| auth::bearer(parts).map(str::to_owned));
        let refuse = || {
            if api {
                Error::Unauthenticated.into_response()
            } else {
                Redirect::to("/backoffice/login").into_response()
            }
        };
        let Some(token) = token else {
            return Err(refuse());
        };
        match db::session_account(&state.pool, &auth::token_hash(&token)).await {
            Ok(Some(a)) => Ok(Signed(a)),
            Ok(None) => Err(refuse()),
            Err(e) if api => Err(e.into_response()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

impl Signed {
    /// The office asked for, if this account may see it (a city account sees every office).
    fn office<'a>(&'a self, wanted: Option<&'a str>) -> Result<Option<&'a str>, Error> {
        match (&self.0.office, wanted) {
            (None, w) => Ok(w.filter(|w| !w.is_empty())),
            (Some(mine), None) => Ok(Some(mine)),
            (Some(mine), Some(w)) if w.is_empty() || w == mine => Ok(Some(mine)),
            (Some(_), Some(_)) => Err(Error::Forbidden("this account sees only its own office".into())),
        }
    }
}

/// A page of the centre in the back office's frame; an account of the whole city also sees "Account".
pub(super) fn page(state: &CentralState, me: Option<&Account>, title: &str, current: &str, body: Markup) -> Markup {
    let mut sections = vec![
        ("/backoffice", "Uffici a confronto", current == "overview"),
        ("/backoffice/stats", "Statistiche", current == "stats"),
    ];
    if me.is_some_and(|a| a.office.is_none()) {
        sections.push(("/backoffice/accounts", "Account", current == "accounts"));
    }
    frame(
        &Frame {
            site: "Back office cittadino",
            brand: &state.city,
            home: "/backoffice",
            signed_in: me.map(|a| (a.display_name.as_str(), "/backoffice/logout")),
            nav_label: "Sezioni del back office cittadino",
        },
        title,
        &sections,
        body,
    )
}

// ----- sign-in -----

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Checks the credentials (throttled as an office throttles its sign-ins; an unknown username costs
/// the same hash as a known one); on success opens a session and returns its token.
async fn sign_in(state: &CentralState, c: Credentials, client: IpAddr) -> Result<(Account, String), Error> {
    let username = c.username.trim().to_lowercase();
    if username.is_empty() || c.password.is_empty() {
        return Err(Error::invalid("give a username and a password"));
    }
    let attempt = state.limiter.attempt(&username, client)?;
    let found = db::account_hash(&state.pool, &username).await?;
    let password = c.password;
    let hash = found
        .as_ref()
        .map_or_else(|| auth::dummy_hash().to_owned(), |(_, hash)| hash.clone());
    let ok = state
        .hasher
        .run(move || auth::verify_password(&password, &hash))
        .await?;
    let Some((account, _)) = found.filter(|_| ok) else {
        drop(attempt);
        return Err(Error::Unauthenticated);
    };
    attempt.succeeded();
    let token = auth::new_token();
    db::create_session(&state.pool, &auth::token_hash(&token), &account.username, 12).await?;
    Ok((account, token))
}

/// The client's address, as an office finds it: the peer's, or the one a trusted proxy names
/// (requests that did not come over a socket come from nowhere).
struct Client(IpAddr);

impl FromRequestParts<CentralState> for Client {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &CentralState) -> Result<Self, Response> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        Ok(Client(auth::client_addr(peer, &parts.headers, &state.trusted_proxies)))
    }
}

async fn login_page(State(state): State<CentralState>) -> Response {
    login_form(&state, StatusCode::OK, "", None)
}

async fn login(State(state): State<CentralState>, Client(client): Client, form: axum::Form<Credentials>) -> Response {
    let username = form.0.username.clone();
    match sign_in(&state, form.0, client).await {
        Ok((_, token)) => {
            let mut response = Redirect::to("/backoffice").into_response();
            let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response
        }
        Err(Error::Unauthenticated) => login_form(
            &state,
            StatusCode::UNAUTHORIZED,
            &username,
            Some("Nome utente o password non corretti."),
        ),
        Err(Error::TooManyAttempts { retry_after_secs }) => {
            let why = format!(
                "Troppi tentativi non riusciti: riprovi tra {} minuti.",
                retry_after_secs.div_ceil(60).max(1)
            );
            let mut response = login_form(&state, StatusCode::TOO_MANY_REQUESTS, &username, Some(&why));
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Err(e @ Error::BadRequest { .. }) => {
            let _ = e;
            login_form(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &username,
                Some("Inserisca nome utente e password."),
            )
        }
        Err(e) => unavailable(e),
    }
}

fn login_form(state: &CentralState, status: StatusCode, username: &str, error: Option<&str>) -> Response {
    let body = html! {
        div.bo-narrow {
            h1 { "Accesso al back office cittadino" }
            p.bo-lead { (state.city) }
            @if let Some(error) = error {
                div.bo-alert.bo-alert-error role="alert" id="login-error" { (error) }
            }
            form.bo-form method="post" action="/backoffice/login" {
                div.bo-field {
                    label for="username" { "Nome utente" }
                    input #username name="username" type="text" autocomplete="username" required
                        value=(username) aria-describedby=[error.map(|_| "login-error")];
                }
                div.bo-field {
                    label for="password" { "Password" }
                    input #password name="password" type="password" autocomplete="current-password" required;
                }
                button.bo-btn.bo-btn-primary type="submit" { "Accedi" }
            }
        }
    };
    respond(status, page(state, None, "Accesso", "", body))
}

async fn logout(State(state): State<CentralState>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers)
        && let Err(e) = db::end_session(&state.pool, &auth::token_hash(&token)).await
    {
        return unavailable(e);
    }
    let mut response = Redirect::to("/backoffice/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("turno_bo=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

// ----- the range -----

#[derive(Deserialize, Default)]
struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
    office: Option<String>,
    /// `rows` to count every row instead of the rollup's cells (the same figures; for checking them).
    #[serde(default)]
    source: stats::Source,
    /// An export's format (`csv`, `csv-rfc`, `xlsx`, `json`) and, for CSV, its table (`offices`,
    /// `services`, `daily`).
    format: Option<String>,
    table: Option<String>,
    /// The report's period: `week` (the default) or `month`.
    period: Option<String>,
}

/// The range asked for (the last 30 days by default), checked.
fn range(q: &RangeQuery) -> Result<(String, String), Error> {
    let today = jiff::Zoned::now().date();
    let parse = |v: &Option<String>, field: &str, default: jiff::civil::Date| match v.as_deref() {
        None | Some("") => Ok(default),
        Some(s) => s
            .parse::<jiff::civil::Date>()
            .map_err(|_| Error::invalid_field(field, format!("{s:?} is not a date (YYYY-MM-DD)"))),
    };
    let from = parse(
        &q.from,
        "from",
        today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today),
    )?;
    let to = parse(&q.to, "to", today)?;
    if from > to {
        return Err(Error::invalid_field("from", "the range starts after it ends"));
    }
    Ok((from.to_string(), to.to_string()))
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

// ----- pages -----

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{} %", number(v * 100.0, 1)))
}

fn minutes(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{} min", number(v / 60.0, 1)))
}

fn ago(secs: Option<f64>) -> String {
    match secs {
        None => "mai".into(),
        Some(s) if s < 90.0 => format!("{} s fa", s.round() as i64),
        Some(s) if s < 5400.0 => format!("{} min fa", (s / 60.0).round() as i64),
        Some(s) if s < 172_800.0 => format!("{} ore fa", (s / 3600.0).round() as i64),
        Some(s) => format!("{} giorni fa", (s / 86_400.0).round() as i64),
    }
}

fn range_form(action: &str, from: &str, to: &str, offices: Option<(&[OfficeLag], Option<&str>)>) -> Markup {
    html! {
        form.bo-form.bo-filters method="get" action=(action) {
            div.bo-field { label for="from" { "Dal" } input #from name="from" type="date" value=(from); }
            div.bo-field { label for="to" { "Al" } input #to name="to" type="date" value=(to); }
            @if let Some((offices, chosen)) = offices {
                div.bo-field {
                    label for="office" { "Ufficio" }
                    select #office name="office" {
                        option value="" { "Tutta la città" }
                        @for o in offices {
                            option value=(o.code) selected[chosen == Some(o.code.as_str())] { (o.name) }
                        }
                    }
                }
            }
            button.bo-btn.bo-btn-primary type="submit" { "Mostra" }
        }
    }
}

async fn overview(State(state): State<CentralState>, me: Signed, Query(q): Query<RangeQuery>) -> Response {
    let (from, to) = match range(&q) {
        Ok(r) => r,
        Err(e) => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Intervallo non valido",
                &e.to_string(),
            );
        }
    };
    let only = me.0.office.as_deref();
    let (lags, sums) = match tokio::try_join!(
        db::offices(&state.pool, only),
        db::summaries(&state.pool, &from, &to, only)
    ) {
        Ok(x) => x,
        Err(e) => return unavailable(e),
    };
    let mut city = Summary {
        office: "Tutta la città".into(),
        ..Summary::default()
    };
    for s in &sums {
        add(&mut city, s);
    }
    let name_of = |code: &str| {
        lags.iter()
            .find(|o| o.code == code)
            .map_or(code.to_owned(), |o| o.name.clone())
    };
    let labels: Vec<String> = sums.iter().map(|s| name_of(&s.office)).collect();
    let share: Vec<Option<f64>> = sums.iter().map(|s| s.long_wait_share().map(|v| v * 100.0)).collect();
    let satisfaction: Vec<Option<f64>> = sums.iter().map(Summary::satisfaction_index).collect();
    let chart_share = charts::Chart {
        id: "long-waits",
        title: "Quota di attese oltre 20 minuti, per ufficio",
        description: "Per ogni ufficio, la quota dei biglietti chiamati dopo più di 20 minuti di attesa.",
        svg: charts::bars(&labels, &[("Oltre 20 minuti", share.clone())], " %", 1),
        table: charts::bars_table(
            "Attese oltre 20 minuti per ufficio",
            "Ufficio",
            &labels,
            &[("Oltre 20 minuti (%)", share)],
            1,
        ),
    };
    let chart_sat = charts::Chart {
        id: "satisfaction",
        title: "Indice di soddisfazione, per ufficio",
        description: "Per ogni ufficio, l'indice di soddisfazione da 0 a 100 di Mettiamoci la faccia.",
        svg: charts::bars(&labels, &[("Indice", satisfaction.clone())], "", 1),
        table: charts::bars_table(
            "Soddisfazione per ufficio",
            "Ufficio",
            &labels,
            &[("Indice (0–100)", satisfaction)],
            1,
        ),
    };
    let body = html! {
        h1 { "Uffici a confronto" }
        (range_form("/backoffice", &from, &to, None))
        h2 { "Dati ricevuti dagli uffici" }
        table.bo-table #lag {
            caption { "Per ogni ufficio: quando la centrale lo ha sentito l'ultima volta e quanti eventi sono in viaggio. Un ufficio con dati più vecchi di 15 minuti è segnalato." }
            thead { tr { th scope="col" { "Ufficio" } th scope="col" { "Ultimo contatto" } th scope="col" { "Dati aggiornati a" } th scope="col" { "Eventi in viaggio" } th scope="col" { "Stato" } } }
            tbody {
                @for o in &lags {
                    tr {
                        th scope="row" { (o.name) " " span.bo-muted { "(" (o.code) ")" } }
                        td { (ago(o.last_seen_secs)) }
                        td { (ago(o.data_age_secs)) }
                        td { (o.backlog) }
                        td {
                            @if o.stale { strong.bo-badge.bo-badge-warn { "Dati non aggiornati (oltre 15 minuti)" } }
                            @else { span.bo-badge.bo-badge-ok { "Aggiornato" } }
                        }
                    }
                }
            }
        }
        h2 { "Dal " (from) " al " (to) }
        table.bo-table #side-by-side {
            caption { "Gli uffici affiancati: biglietti, attese oltre 20 minuti, tempi medi, soddisfazione e partecipazione." }
            thead { tr {
                th scope="col" { "Ufficio" } th scope="col" { "Biglietti" } th scope="col" { "Serviti" }
                th scope="col" { "Senza biglietto" } th scope="col" { "Attese oltre 20 min" }
                th scope="col" { "Attesa media" } th scope="col" { "Servizio medio" }
                th scope="col" { "Soddisfazione" } th scope="col" { "Partecipazione" }
            } }
            tbody {
                @for s in sums.iter().chain(std::iter::once(&city)) {
                    tr {
                        th scope="row" { (if s.office == city.office { s.office.clone() } else { name_of(&s.office) }) }
                        td { (s.issued) } td { (s.served) } td { (s.walk_ins) }
                        td { (pct(s.long_wait_share())) }
                        td { (minutes(s.mean_wait_secs())) } td { (minutes(s.mean_service_secs())) }
                        td { (s.satisfaction_index().map_or("—".into(), |v| number(v, 1))) }
                        td { (pct(s.participation())) }
                    }
                }
            }
        }
        (chart_share.render())
        (chart_sat.render())
        (downloads(&from, &to, None))
    };
    respond(
        StatusCode::OK,
        page(&state, Some(&me.0), "Uffici a confronto", "overview", body),
    )
}

/// The range's downloads: the figures side by side (CSV, XLSX, JSON) and the reports of "Mettiamoci
/// la faccia" by week and by month, for `office` or every office the account sees.
fn downloads(from: &str, to: &str, office: Option<&str>) -> Markup {
    let q = format!("from={from}&to={to}&office={}", office.unwrap_or(""));
    html! {
        h2 { "Scarica" }
        ul {
            li { "Le cifre per ufficio e per tutta la città, affiancate: "
                a href={ "/backoffice/export?format=csv&table=offices&" (q) } { "per ufficio (CSV)" } ", "
                a href={ "/backoffice/export?format=csv&table=services&" (q) } { "per servizio (CSV)" } ", "
                a href={ "/backoffice/export?format=csv&table=daily&" (q) } { "per giorno (CSV)" } ", "
                a href={ "/backoffice/export?format=xlsx&" (q) } { "tutto in Excel (XLSX)" } ", "
                a href={ "/backoffice/export?format=json&" (q) } { "tutto in JSON" }
            }
            li { "Il rapporto \"Mettiamoci la faccia\": "
                a href={ "/backoffice/report.csv?period=week&" (q) } { "settimanale (CSV)" } ", "
                a href={ "/backoffice/report.csv?period=month&" (q) } { "mensile (CSV)" }
            }
        }
    }
}

fn add(a: &mut Summary, s: &Summary) {
    a.issued += s.issued;
    a.served += s.served;
    a.no_show += s.no_show;
    a.walk_ins += s.walk_ins;
    a.called += s.called;
    a.long_waits += s.long_waits;
    a.wait_secs += s.wait_secs;
    a.timed += s.timed;
    a.service_secs += s.service_secs;
    a.ratings += s.ratings;
    a.good += s.good;
    a.neutral += s.neutral;
    a.bad += s.bad;
    a.priority += s.priority;
    a.transferred += s.transferred;
}

/// The statistics and the names of their service keys, for an office or the city.
async fn compute(
    state: &CentralState,
    office: Option<&str>,
    from: &str,
    to: &str,
    source: stats::Source,
) -> Result<(Stats, Vec<(String, String)>), Error> {
    match office {
        Some(code) => {
            let s = stats::office(&state.pool, code, from, to, now_ms(), source).await?;
            let (services, _) = db::names(&state.pool, code).await?;
            Ok((
                s,
                services
                    .into_iter()
                    .map(|(id, _, name)| (id.to_string(), name))
                    .collect(),
            ))
        }
        None => {
            let offices: Vec<String> = db::offices(&state.pool, None)
                .await?
                .into_iter()
                .map(|o| o.code)
                .collect();
            let (s, names) = stats::city(&state.pool, &offices, from, to, now_ms(), source).await?;
            Ok((s, names.services.into_iter().collect()))
        }
    }
}

fn figures_row(label: &str, f: &Figures) -> Markup {
    let sat = f.satisfaction.as_ref();
    html! {
        tr {
            th scope="row" { (label) }
            td { (f.issued) } td { (f.served) } td { (f.no_show) } td { (f.walk_ins) }
            td { (minutes(f.wait.mean_secs)) } td { (minutes(f.wait.median_secs.map(f64::from))) }
            td { (minutes(f.wait.p90_secs.map(f64::from))) } td { (pct(f.long_wait_share)) }
            td { (minutes(f.service.mean_secs)) }
            td { (sat.and_then(|s| s.index).map_or("—".into(), |v| number(v, 1))) }
            td { (pct(sat.and_then(|s| s.participation))) }
        }
    }
}

async fn stats_page(State(state): State<CentralState>, me: Signed, Query(q): Query<RangeQuery>) -> Response {
    let (from, to) = match range(&q) {
        Ok(r) => r,
        Err(e) => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Intervallo non valido",
                &e.to_string(),
            );
        }
    };
    let office = match me.office(q.office.as_deref()) {
        Ok(o) => o,
        Err(e) => return message(StatusCode::FORBIDDEN, "Accesso non consentito", &e.to_string()),
    };
    let offices = match db::offices(&state.pool, me.0.office.as_deref()).await {
        Ok(o) => o,
        Err(e) => return unavailable(e),
    };
    let (s, names) = match compute(&state, office, &from, &to, q.source).await {
        Ok(x) => x,
        Err(e) => return unavailable(e),
    };
    let title = office
        .and_then(|c| offices.iter().find(|o| o.code == c))
        .map_or("Tutta la città".to_owned(), |o| o.name.clone());
    let name = |key: &str| {
        names
            .iter()
            .find(|(k, _)| k == key)
            .map_or(key.to_owned(), |(_, n)| n.clone())
    };
    let days: Vec<(String, Option<f64>)> = s
        .by_day
        .iter()
        .map(|g| (g.key.clone(), g.figures.long_wait_share.map(|v| v * 100.0)))
        .collect();
    let line = charts::Chart {
        id: "long-waits-by-day",
        title: "Quota di attese oltre 20 minuti, per giorno",
        description: "Per ogni giorno, la quota dei biglietti chiamati dopo più di 20 minuti.",
        svg: charts::line(&days, Some(100.0), " %", None),
        table: charts::line_table("Attese oltre 20 minuti per giorno", "Giorno", &days, &[], 1),
    };
    let body = html! {
        h1 { "Statistiche: " (title) }
        (range_form("/backoffice/stats", &from, &to, Some((&offices, office))))
        table.bo-table #figures {
            caption { "Le cifre del periodo, in totale e per servizio (attese: media, mediana e 90° percentile)." }
            thead { tr {
                th scope="col" { "" } th scope="col" { "Biglietti" } th scope="col" { "Serviti" }
                th scope="col" { "Non presentati" } th scope="col" { "Senza biglietto" }
                th scope="col" { "Attesa media" } th scope="col" { "Attesa mediana" } th scope="col" { "Attesa 90° perc." }
                th scope="col" { "Oltre 20 min" } th scope="col" { "Servizio medio" }
                th scope="col" { "Soddisfazione" } th scope="col" { "Partecipazione" }
            } }
            tbody {
                (figures_row("Totale", &s.total))
                @for g in &s.by_service { (figures_row(&name(&g.key), &g.figures)) }
            }
        }
        (line.render())
        (downloads(&from, &to, office))
    };
    respond(StatusCode::OK, page(&state, Some(&me.0), "Statistiche", "stats", body))
}

/// The weekly report of "Mettiamoci la faccia" for the city: for each ISO week of the range (cut to it),
/// each office and service, the faces, the reasons of the bad ones, the visits and the participation.
/// CSV for Italian Excel (semicolons, decimal comma), the columns of an office's report.
/// The report's periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// ISO weeks, as "Mettiamoci la faccia" collects them.
    Week,
    /// Calendar months.
    Month,
}

async fn weekly_report(State(state): State<CentralState>, me: Signed, Query(q): Query<RangeQuery>) -> Response {
    let (from, to) = match range(&q) {
        Ok(r) => r,
        Err(e) => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Intervallo non valido",
                &e.to_string(),
            );
        }
    };
    let period = match q.period.as_deref() {
        None | Some("") | Some("week") => Period::Week,
        Some("month") => Period::Month,
        Some(p) => {
            return message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Periodo non valido",
                &format!("{p:?} non è un periodo: week (settimana) o month (mese)."),
            );
        }
    };
    let office = match me.office(q.office.as_deref()) {
        Ok(o) => o,
        Err(e) => return message(StatusCode::FORBIDDEN, "Accesso non consentito", &e.to_string()),
    };
    let what = if period == Period::Month {
        "mensile"
    } else {
        "settimanale"
    };
    match report_csv(&state, office, &from, &to, period).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"mettiamoci-la-faccia-{what}-{}-{from}-{to}.csv\"",
                        office.unwrap_or("citta")
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => unavailable(e),
    }
}

/// The report of "Mettiamoci la faccia" for `only` (or every office), by week or by month of the
/// range (each period cut to it): per office and service, the office's report's columns; by month the
/// first column is the month (`mese`, `2026-11`).
pub async fn report_csv(
    state: &CentralState,
    only: Option<&str>,
    from: &str,
    to: &str,
    period: Period,
) -> Result<Vec<u8>, Error> {
    let offices = db::offices(&state.pool, only).await?;
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    let io = |e: csv::Error| Error::internal(e.to_string());
    let mut columns = crate::exports::MLF_COLUMNS.to_vec();
    if period == Period::Month {
        columns[0] = "mese";
    }
    out.write_record(&columns).map_err(io)?;
    let mut spans: Vec<(jiff::civil::Date, jiff::civil::Date)> = Vec::new();
    let (first, last) = (
        from.parse::<jiff::civil::Date>().map_err(Error::internal)?,
        to.parse::<jiff::civil::Date>().map_err(Error::internal)?,
    );
    for day in db::days_with_visits(&state.pool, from, to, only).await? {
        let Ok(day) = day.parse::<jiff::civil::Date>() else {
            continue;
        };
        let (start, end) = match period {
            Period::Week => {
                let monday = day
                    .checked_sub(jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset())))
                    .unwrap_or(day);
                (monday, monday.checked_add(jiff::Span::new().days(6)).unwrap_or(day))
            }
            Period::Month => (day.first_of_month(), day.last_of_month()),
        };
        let span = (start.max(first), end.min(last));
        if spans.last() != Some(&span) {
            spans.push(span);
        }
    }
    for (start, end) in spans {
        let label = match period {
            Period::Week => {
                let week = start.iso_week_date();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Period::Month => start.strftime("%Y-%m").to_string(),
        };
        for o in &offices {
            let s = stats::office(
                &state.pool,
                &o.code,
                &start.to_string(),
                &end.to_string(),
                now_ms(),
                stats::Source::Rollup,
            )
            .await?;
            let (services, _) = db::names(&state.pool, &o.code).await?;
            for g in &s.by_service {
                let name = services
                    .iter()
                    .find(|(id, ..)| id.to_string() == g.key)
                    .map_or(g.key.clone(), |(.., n)| n.clone());
                let f = &g.figures;
                let r = f.satisfaction.clone().unwrap_or_default();
                let reason = |k: &str| r.reasons.get(k).copied().unwrap_or(0).to_string();
                out.write_record([
                    label.clone(),
                    start.strftime("%d/%m/%Y").to_string(),
                    end.strftime("%d/%m/%Y").to_string(),
                    o.name.clone(),
                    name,
                    "sportello".into(),
                    r.good.to_string(),
                    r.neutral.to_string(),
                    r.bad.to_string(),
                    reason("waiting_time"),
                    reason("staff_courtesy"),
                    reason("unclear_information"),
                    reason("problem_not_solved"),
                    (f.served + f.walk_ins).to_string(),
                    r.participation.map_or(String::new(), |p| number(p, 4)),
                ])
                .map_err(io)?;
            }
        }
    }
    out.into_inner().map_err(|e| Error::internal(e.to_string()))
}

// ----- exports -----

/// The statistics of the range as tables, offices side by side (every office the account sees, or the
/// one asked for), each figure from the same computation as the pages': `offices` (each office's
/// total, then the city's), `services` (each office's services, then the city's, services of one code
/// counted as one), `daily` (each office's days, then the city's).
pub async fn figures_tables(
    state: &CentralState,
    office: Option<&str>,
    city_wide: bool,
    from: &str,
    to: &str,
) -> Result<Vec<FiguresTable>, Error> {
    let offices = db::offices(&state.pool, office).await?;
    let now = now_ms();
    let mut by_office = Vec::new();
    let mut by_service = Vec::new();
    let mut by_day = Vec::new();
    for o in &offices {
        let s = stats::office(&state.pool, &o.code, from, to, now, stats::Source::Rollup).await?;
        let (services, _) = db::names(&state.pool, &o.code).await?;
        by_office.push((vec![o.code.clone(), o.name.clone()], s.total));
        for g in s.by_service {
            let (code, name) = services
                .iter()
                .find(|(id, ..)| id.to_string() == g.key)
                .map_or((g.key.clone(), String::new()), |(_, c, n)| (c.clone(), n.clone()));
            by_service.push((vec![o.code.clone(), o.name.clone(), code, name], g.figures));
        }
        for g in s.by_day {
            by_day.push((vec![g.key, o.code.clone(), o.name.clone()], g.figures));
        }
    }
    if city_wide {
        let codes: Vec<String> = offices.iter().map(|o| o.code.clone()).collect();
        let (s, names) = stats::city(&state.pool, &codes, from, to, now, stats::Source::Rollup).await?;
        let city = || vec!["*".to_owned(), "Tutta la città".to_owned()];
        by_office.push((city(), s.total));
        for g in s.by_service {
            let code = names.service_codes.get(&g.key).cloned().unwrap_or_default();
            let name = names.services.get(&g.key).cloned().unwrap_or_default();
            by_service.push(([city(), vec![code, name]].concat(), g.figures));
        }
        for g in s.by_day {
            by_day.push(([vec![g.key], city()].concat(), g.figures));
        }
    }
    Ok(vec![
        FiguresTable {
            name: "offices",
            sheet: "Uffici",
            keys: &["office_code", "office"],
            rows: by_office,
        },
        FiguresTable {
            name: "services",
            sheet: "Servizi",
            keys: &["office_code", "office", "service_code", "service"],
            rows: by_service,
        },
        FiguresTable {
            name: "daily",
            sheet: "Giorni",
            keys: &["office_day", "office_code", "office"],
            rows: by_day,
        },
    ])
}

/// A refused request of a page or download: its message, in the page's frame.
fn refuse(e: Error) -> Response {
    match e {
        Error::Field { error, .. } => refuse(*error),
        Error::Forbidden(m) => message(StatusCode::FORBIDDEN, "Accesso non consentito", &m),
        e @ Error::BadRequest { .. } => {
            message(StatusCode::UNPROCESSABLE_ENTITY, "Richiesta non valida", &e.to_string())
        }
        e => unavailable(e),
    }
}

/// The statistics of the range across offices as CSV (one table: `table=offices`, `services` or
/// `daily`), XLSX (a sheet each) or JSON (an array each): per office and city-wide, side by side.
async fn export(State(state): State<CentralState>, me: Signed, Query(q): Query<RangeQuery>) -> Response {
    let result = async {
        let (from, to) = range(&q)?;
        let office = me.office(q.office.as_deref())?;
        let format: Format = q
            .format
            .as_deref()
            .unwrap_or("csv")
            .parse()
            .map_err(|e: String| Error::invalid_field("format", e))?;
        if format == Format::Mlf {
            return Err(Error::invalid_field(
                "format",
                "the report of Mettiamoci la faccia is /backoffice/report.csv",
            ));
        }
        let table = q.table.as_deref().unwrap_or("offices");
        if !["offices", "services", "daily"].contains(&table) {
            return Err(Error::invalid_field(
                "table",
                format!("{table:?} is not a table: offices, services or daily"),
            ));
        }
        // The city's figures for a city account looking at the whole city.
        let mut tables = figures_tables(&state, office, office.is_none(), &from, &to).await?;
        let scope = office.unwrap_or("citta").to_owned();
        let (name, kind) = match format {
            Format::ExcelCsv | Format::Csv => {
                tables.retain(|t| t.name == table);
                (
                    format!("turno-{scope}-{table}-{from}-{to}.csv"),
                    "text/csv; charset=utf-8",
                )
            }
            Format::Xlsx => (
                format!("turno-{scope}-{from}-{to}.xlsx"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            _ => (format!("turno-{scope}-{from}-{to}.json"), "application/json"),
        };
        let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, Error> {
            if format == Format::Xlsx {
                let dir = tempfile::tempdir().map_err(Error::internal)?;
                let path = dir.path().join("export.xlsx");
                exports::write_figures_xlsx(&tables, &path)?;
                std::fs::read(&path).map_err(Error::internal)
            } else {
                let mut out = Vec::new();
                exports::write_figures(format, &tables, &mut out)?;
                Ok(out)
            }
        })
        .await
        .map_err(Error::internal)??;
        Ok::<_, Error>(
            (
                [
                    (header::CONTENT_TYPE, kind.to_owned()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                ],
                bytes,
            )
                .into_response(),
        )
    }
    .await;
    result.unwrap_or_else(refuse)
}

// ----- the JSON API -----

async fn api_login(State(state): State<CentralState>, Client(client): Client, Json(c): Json<Credentials>) -> Response {
    match sign_in(&state, c, client).await {
        Ok((account, token)) => Json(serde_json::json!({
            "token": token,
            "username": account.username,
            "office": account.office,
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Each office's lag and its figures from the daily rollups.
async fn api_offices(State(state): State<CentralState>, me: Signed, Query(q): Query<RangeQuery>) -> Response {
    let result = async {
        let (from, to) = range(&q)?;
        let only = me.0.office.as_deref();
        let (lags, sums) = tokio::try_join!(
            db::offices(&state.pool, only),
            db::summaries(&state.pool, &from, &to, only)
        )?;
        Ok::<_, Error>(Json(serde_json::json!({ "offices": lags, "summaries": sums })))
    }
    .await;
    result.into_response()
}

/// The statistics of an office (`office=`) or of the city.
async fn api_stats(State(state): State<CentralState>, me: Signed, Query(q): Query<RangeQuery>) -> Response {
    let result = async {
        let (from, to) = range(&q)?;
        let office = me.office(q.office.as_deref())?;
        let (s, _) = compute(&state, office, &from, &to, q.source).await?;
        Ok::<_, Error>(Json(s))
    }
    .await;
    result.into_response()
}
