//! Back-office pages that analyse the front office: the dashboard (today live, followed through the
//! live events; the chosen range's figures and charts drawn on the server as SVG, each with its table),
//! exports to download, and the printable monthly report. Every figure comes from
//! [`crate::stats::compute`], the same computation the API's `/stats` answers with.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use jiff::ToSpan;
use jiff::civil::Date;
use maud::{Markup, html};
use serde::Deserialize;
use turno_shared::api::{Alert, AlertKind, BoardCounter, ServiceQueue};
use turno_shared::api::{CounterState, Service};
use turno_shared::stats::{Figures, Group, Stats};

use super::charts::{self, Chart, number};
use super::{Nav, Staff, error_page, layout, respond};
use crate::AppState;
use crate::engine;
use crate::error::Error;
use crate::exports::{self, Export, Format, Table};
use crate::stats::{self, Query as StatsQuery};
use crate::store::office as cfg;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice", axum::routing::get(dashboard))
        .route("/backoffice/live", axum::routing::get(live_fragment))
        .route("/backoffice/live/stream", axum::routing::get(live_stream))
        .route("/backoffice/exports", axum::routing::get(exports_page))
        .route("/backoffice/exports/download", axum::routing::get(download))
        .route("/backoffice/report", axum::routing::get(report))
}

// ----- the range asked for -----

/// A range and filters as the pages' forms send them: every field text, so that a wrong value gets
/// a message next to its field instead of a refusal of the whole request.
#[derive(Clone, Debug, Default, Deserialize)]
struct RangeForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    counter: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    table: String,
    #[serde(default)]
    month: String,
}

/// A form's field-level errors, by field name.
#[derive(Default)]
struct Problems(Vec<(&'static str, String)>);

impl Problems {
    fn of(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The names the pages show for ids.
struct Names {
    services: Vec<Service>,
    counters: HashMap<i64, String>,
    users: HashMap<i64, String>,
}

impl Names {
    fn service(&self, id: i64) -> String {
        self.services
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| format!("Servizio {id}"), |s| s.config.name.get("it").to_owned())
    }
}

async fn names(state: &AppState) -> Result<Names, Error> {
    state
        .store
        .read(|c| {
            Ok(Names {
                services: cfg::list_services(c)?,
                counters: cfg::list_counters(c)?
                    .into_iter()
                    .map(|k| (k.id, k.config.name))
                    .collect(),
                users: cfg::list_users(c)?
                    .into_iter()
                    .map(|u| (u.id, u.display_name))
                    .collect(),
            })
        })
        .await
}

fn parse_date(text: &str, field: &'static str, problems: &mut Problems) -> Option<Date> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            problems
                .0
                .push((field, "Scriva una data valida (gg/mm/aaaa).".to_owned()));
            None
        }
    }
}

fn parse_id(text: &str, field: &'static str, known: impl Fn(i64) -> bool, problems: &mut Problems) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<i64>() {
        Ok(id) if known(id) => Some(id),
        _ => {
            problems.0.push((field, "Scelga una voce dell'elenco.".to_owned()));
            None
        }
    }
}

/// The statistics query a form names: the last 30 days by default.
fn range_query(form: &RangeForm, today: Date, names: &Names, problems: &mut Problems) -> StatsQuery {
    let to = parse_date(&form.to, "to", problems).unwrap_or(today);
    let from = parse_date(&form.from, "from", problems).unwrap_or_else(|| to.checked_sub(29.days()).unwrap_or(to));
    if from > to {
        problems
            .0
            .push(("to", "La data finale viene prima di quella iniziale.".to_owned()));
    } else if from.until(to).map_or(true, |span| span.get_days() > 3 * 366) {
        problems
            .0
            .push(("from", "Scelga un periodo di al massimo tre anni.".to_owned()));
    }
    StatsQuery {
        from,
        to: to.max(from),
        service_id: parse_id(
            &form.service,
            "service",
            |id| names.services.iter().any(|s| s.id == id),
            problems,
        ),
        counter_id: parse_id(
            &form.counter,
            "counter",
            |id| names.counters.contains_key(&id),
            problems,
        ),
        user_id: None,
    }
}

fn today(state: &AppState) -> Date {
    state.office.local(state.store.now()).date()
}

/// Dates as the pages write them: 30/11/2026.
fn it_date(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
}

fn minutes(secs: Option<f64>) -> String {
    secs.map_or("—".to_owned(), |s| format!("{} min", number(s / 60.0, 1)))
}

fn minutes_u(secs: Option<u32>) -> String {
    minutes(secs.map(f64::from))
}

fn share(v: Option<f64>) -> String {
    v.map_or("—".to_owned(), |v| format!("{} %", number(v * 100.0, 1)))
}

fn index(f: &Figures) -> Option<f64> {
    f.satisfaction.as_ref().and_then(|s| s.index)
}

fn reason_name(code: &str) -> &str {
    match code {
        "waiting_time" => "Tempo di attesa",
        "staff_courtesy" => "Cortesia del personale",
        "unclear_information" => "Informazioni poco chiare",
        "problem_not_solved" => "Problema non risolto",
        other => other,
    }
}

fn pause_name(code: &str) -> &str {
    match code {
        "break" => "Pausa",
        "back_office" => "Lavoro di back office",
        "technical" => "Problema tecnico",
        "other" => "Altro",
        other => other,
    }
}

// ----- the dashboard -----

async fn dashboard(State(state): State<AppState>, Staff(me): Staff, Query(form): Query<RangeForm>) -> Response {
    let names = match names(&state).await {
        Ok(n) => n,
        Err(e) => return error_page(e),
    };
    let mut problems = Problems::default();
    let query = range_query(&form, today(&state), &names, &mut problems);
    let live = match live_view(&state).await {
        Ok(live) => live,
        Err(e) => return error_page(e),
    };
    let stats = if problems.is_empty() {
        match compute(&state, query.clone()).await {
            Ok(s) => Some(s),
            Err(e) => return error_page(e),
        }
    } else {
        None
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        h1 { "Cruscotto" }
        section aria-labelledby="live-title" {
            h2 #live-title { "Adesso" }
            div #live data-src="/backoffice/live" data-stream="/backoffice/live/stream" {
                (live_markup(&live, &names))
            }
        }
        section aria-labelledby="range-title" {
            h2 #range-title { "Periodo" }
            (range_form("/backoffice", &form, &query, &names, &problems, today(&state)))
            @if let Some(stats) = &stats {
                (range_markup(stats, &query, &names))
            }
        }
        script src="/assets/backoffice.js" defer {}
    };
    respond(status, layout(&state, "Cruscotto", Some(&me), Nav::Dashboard, body))
}

async fn compute(state: &AppState, query: StatsQuery) -> Result<Stats, Error> {
    let office = state.office.clone();
    let now = state.store.now();
    stats::compute_in(&state.store, office, query, now).await
}

/// The office now: queues, counters, today's figures, alerts.
struct Live {
    queues: Vec<ServiceQueue>,
    counters: Vec<BoardCounter>,
    today: Figures,
    alerts: Vec<Alert>,
    now: jiff::Timestamp,
    tz: jiff::tz::TimeZone,
}

async fn live_view(state: &AppState) -> Result<Live, Error> {
    let office = state.office.clone();
    let now = state.store.now();
    let day = office.local(now).date();
    let queue = state.store.queue();
    let (queues, counters, today) = state
        .store
        .read(move |c| {
            let queues = engine::office_queues(c, &queue, &office, now)?;
            let (_, _, board) = engine::board_view(c, &queue, &office, now, 0)?;
            let query = StatsQuery {
                from: day,
                to: day,
                service_id: None,
                counter_id: None,
                user_id: None,
            };
            Ok((queues, board, stats::compute(c, &office, &query, now)?.total))
        })
        .await?;
    let mut alerts = state.alerts.current();
    alerts.sort_by_key(|a| a.since);
    Ok(Live {
        queues,
        counters,
        today,
        alerts,
        now,
        tz: state.office.tz.clone(),
    })
}

fn live_markup(live: &Live, names: &Names) -> Markup {
    let waiting: u32 = live.queues.iter().map(|q| q.waiting).sum();
    let wait_secs = |q: &ServiceQueue| {
        q.oldest_since
            .map(|since| (live.now.as_second() - since.as_second()).max(0) as f64)
    };
    let longest = live
        .queues
        .iter()
        .filter_map(wait_secs)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    let over = live.queues.iter().any(|q| q.over_target);
    let open = live.counters.iter().filter(|c| c.state == CounterState::Open).count();
    let paused = live.counters.iter().filter(|c| c.state == CounterState::Paused).count();
    let satisfaction = live.today.satisfaction.as_ref();
    html! {
        div.bo-grid {
            div.bo-card { span.bo-figure #live-waiting { (waiting) } span.bo-label { "Persone in attesa" } }
            div.bo-card.bo-warn[over] {
                span.bo-figure { (minutes(longest)) }
                span.bo-label { "Attesa più lunga" @if over { " — oltre l'obiettivo" } }
            }
            div.bo-card { span.bo-figure { (open) } span.bo-label { "Sportelli aperti" @if paused > 0 { " (" (paused) " in pausa)" } } }
            div.bo-card { span.bo-figure #live-served { (live.today.served) } span.bo-label { "Serviti oggi" } }
            div.bo-card {
                span.bo-figure { (satisfaction.and_then(|s| s.index).map_or("—".to_owned(), |i| number(i, 0))) }
                span.bo-label { "Soddisfazione oggi (0–100), " (satisfaction.map_or(0, |s| s.responses)) " valutazioni" }
            }
        }
        div #alerts aria-live="polite" {
            @for alert in &live.alerts {
                div.bo-alert.bo-alert-warn {
                    strong { (match alert.kind { AlertKind::WaitOverTarget => "Attesa oltre l'obiettivo", AlertKind::BadRatings => "Valutazioni negative" }) }
                    @if let Some(id) = alert.service_id { " — " (names.service(id)) }
                    " (dalle " (live.tz.to_datetime(alert.since).time().strftime("%H:%M")) ")"
                }
            }
        }
        div.bo-table-wrap tabindex="0" role="region" aria-label=("Code dei servizi, ora") {
            table {
                caption { "Code dei servizi, ora" }
                thead { tr {
                    th scope="col" { "Servizio" } th.num scope="col" { "In attesa" } th.num scope="col" { "Con priorità" }
                    th.num scope="col" { "Attesa più lunga" } th.num scope="col" { "Obiettivo" } th.num scope="col" { "Attesa stimata" }
                } }
                tbody {
                    @for q in &live.queues {
                        tr {
                            th scope="row" { (names.service(q.service_id)) }
                            td.num { (q.waiting) }
                            td.num { (q.priority_waiting) }
                            td.num {
                                (minutes(wait_secs(q)))
                                @if q.over_target { " " span.bo-badge.bo-badge-warn { "oltre" } }
                            }
                            td.num { (q.target_wait_minutes.map_or("—".to_owned(), |m| format!("{m} min"))) }
                            td.num { (match (q.estimated_wait_minutes, q.estimated_wait_range) {
                                (Some(_), Some(r)) => format!("{}–{} min", r.low_minutes, r.high_minutes),
                                (Some(m), None) => format!("{m} min"),
                                (None, _) => "—".to_owned(),
                            }) }
                        }
                    }
                }
            }
        }
    }
}

/// The live section alone, which the dashboard's script fetches again when the office changes.
async fn live_fragment(State(state): State<AppState>, _: Staff) -> Response {
    let names = match names(&state).await {
        Ok(n) => n,
        Err(e) => return error_page(e),
    };
    match live_view(&state).await {
        Ok(live) => respond(StatusCode::OK, live_markup(&live, &names)),
        Err(e) => error_page(e),
    }
}

/// Tells the dashboard, as a `change` event, that something happened in the office (a ticket
/// issued, called, finished; a counter opened or paused; an alert raised or cleared), at most twice
/// a second. The dashboard then fetches [`live_fragment`].
async fn live_stream(
    State(state): State<AppState>,
    Staff(_): Staff,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = state.store.subscribe();
    let mut shutdown = state.shutdown.clone();
    let keep_alive = Duration::from_secs(state.config.limits.stream_keepalive_secs);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(item) => {
                // Let a burst settle, then say once that things changed.
                tokio::time::sleep(Duration::from_millis(500)).await;
                while rx.try_recv().is_ok() {}
                Event::default().event("change").data(&*item.name)
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Event::default().event("change").data("lagged"),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), rx))
    })
    .take_until(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(keep_alive))
}

// ----- the range's figures and charts -----

fn field_error(problems: &Problems, field: &str) -> Markup {
    html! {
        @if let Some(message) = problems.of(field) {
            span.bo-field-error id=(format!("{field}-error")) { (message) }
        }
    }
}

fn range_form(
    action: &str,
    form: &RangeForm,
    query: &StatsQuery,
    names: &Names,
    problems: &Problems,
    today: Date,
) -> Markup {
    let value = |text: &str, parsed: Date| {
        if text.trim().is_empty() {
            parsed.to_string()
        } else {
            text.to_owned()
        }
    };
    let shortcut = |from: Date, to: Date| format!("{action}?from={from}&to={to}");
    let month_start = today.first_of_month();
    let last_month_end = month_start.yesterday().unwrap_or(month_start);
    html! {
        @if !problems.is_empty() {
            div.bo-alert.bo-alert-error role="alert" {
                "Controlli il periodo: "
                @for (i, (field, message)) in problems.0.iter().enumerate() {
                    @if i > 0 { "; " }
                    a href=(format!("#{field}")) { (message) }
                }
            }
        }
        form.bo-panel.bo-row method="get" action=(action) {
            div.bo-field {
                label for="from" { "Dal" }
                input #from name="from" type="date" value=(value(&form.from, query.from))
                    aria-invalid=[problems.of("from").map(|_| "true")] aria-describedby=[problems.of("from").map(|_| "from-error")];
                (field_error(problems, "from"))
            }
            div.bo-field {
                label for="to" { "Al" }
                input #to name="to" type="date" value=(value(&form.to, query.to))
                    aria-invalid=[problems.of("to").map(|_| "true")] aria-describedby=[problems.of("to").map(|_| "to-error")];
                (field_error(problems, "to"))
            }
            div.bo-field {
                label for="service" { "Servizio" }
                select #service name="service" aria-invalid=[problems.of("service").map(|_| "true")] {
                    option value="" { "Tutti i servizi" }
                    @for s in &names.services {
                        option value=(s.id) selected[query.service_id == Some(s.id)] { (s.config.name.get("it")) }
                    }
                }
                (field_error(problems, "service"))
            }
            div.bo-field {
                label for="counter" { "Sportello" }
                select #counter name="counter" aria-invalid=[problems.of("counter").map(|_| "true")] {
                    option value="" { "Tutti gli sportelli" }
                    @for (id, name) in sorted(&names.counters) {
                        option value=(id) selected[query.counter_id == Some(id)] { (name) }
                    }
                }
                (field_error(problems, "counter"))
            }
            button.bo-btn.bo-btn-primary type="submit" { "Mostra" }
        }
        p.bo-actions.bo-noprint {
            "Scorciatoie: "
            a href=(shortcut(today, today)) { "Oggi" }
            a href=(shortcut(today.checked_sub(6.days()).unwrap_or(today), today)) { "Ultimi 7 giorni" }
            a href=(shortcut(today.checked_sub(29.days()).unwrap_or(today), today)) { "Ultimi 30 giorni" }
            a href=(shortcut(last_month_end.first_of_month(), last_month_end)) { "Mese scorso" }
            a href=(shortcut(today.checked_sub(1.year()).and_then(|d| d.tomorrow()).unwrap_or(today), today)) { "Ultimo anno" }
        }
    }
}

fn sorted(map: &HashMap<i64, String>) -> Vec<(i64, &str)> {
    let mut v: Vec<_> = map.iter().map(|(id, name)| (*id, name.as_str())).collect();
    v.sort_by(|a, b| a.1.cmp(b.1));
    v
}

fn filters_query(query: &StatsQuery) -> String {
    let mut q = format!("from={}&to={}", query.from, query.to);
    if let Some(id) = query.service_id {
        q.push_str(&format!("&service={id}"));
    }
    if let Some(id) = query.counter_id {
        q.push_str(&format!("&counter={id}"));
    }
    q
}

/// The headline figures of a range, as cards.
fn figures_cards(f: &Figures) -> Markup {
    let card = |figure: String, label: &str| {
        html! { div.bo-card { span.bo-figure { (figure) } span.bo-label { (label) } } }
    };
    html! {
        div.bo-grid {
            (card(f.issued.to_string(), "Biglietti emessi"))
            (card(f.served.to_string(), "Visite servite"))
            (card(f.no_show.to_string(), "Assenti alla chiamata"))
            (card(f.walk_ins.to_string(), "Visite senza biglietto"))
            (card(minutes(f.wait.mean_secs), "Attesa media"))
            (card(minutes_u(f.wait.median_secs), "Attesa mediana"))
            (card(minutes_u(f.wait.p90_secs), "Attesa, 90° percentile"))
            (card(share(f.long_wait_share), "Attese oltre 20 minuti"))
            (card(share(f.within_target_share), "Chiamati entro l'obiettivo"))
            (card(minutes_u(f.service.median_secs), "Durata mediana del servizio"))
            (card(index(f).map_or("—".to_owned(), |i| number(i, 0)), "Indice di soddisfazione (0–100)"))
            (card(share(f.satisfaction.as_ref().and_then(|s| s.participation)), "Partecipazione alla valutazione"))
        }
    }
}

fn group_table(caption: &str, head: &str, groups: &[Group], name: impl Fn(&str) -> String) -> Markup {
    html! {
        div.bo-table-wrap tabindex="0" role="region" aria-label=((caption)) {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (head) }
                    th.num scope="col" { "Emessi" } th.num scope="col" { "Serviti" } th.num scope="col" { "Assenti" }
                    th.num scope="col" { "Trasferiti" } th.num scope="col" { "Senza biglietto" }
                    th.num scope="col" { "Attesa media" } th.num scope="col" { "Mediana" } th.num scope="col" { "90° perc." }
                    th.num scope="col" { "Oltre 20 min" } th.num scope="col" { "Durata mediana" }
                    th.num scope="col" { "Soddisfazione" } th.num scope="col" { "Partecipazione" }
                } }
                tbody {
                    @for g in groups {
                        @let f = &g.figures;
                        tr {
                            th scope="row" { (name(&g.key)) }
                            td.num { (f.issued) } td.num { (f.served) } td.num { (f.no_show) }
                            td.num { (f.transferred) } td.num { (f.walk_ins) }
                            td.num { (minutes(f.wait.mean_secs)) } td.num { (minutes_u(f.wait.median_secs)) }
                            td.num { (minutes_u(f.wait.p90_secs)) } td.num { (share(f.long_wait_share)) }
                            td.num { (minutes_u(f.service.median_secs)) }
                            td.num { (index(f).map_or("—".to_owned(), |i| number(i, 0))) }
                            td.num { (share(f.satisfaction.as_ref().and_then(|s| s.participation))) }
                        }
                    }
                }
            }
        }
    }
}

/// The charts of a range.
fn charts(stats: &Stats, names: &Names) -> Vec<Markup> {
    let mut out = Vec::new();
    // Waits by service.
    let labels: Vec<String> = stats.by_service.iter().map(|g| service_label(&g.key, names)).collect();
    let median: Vec<Option<f64>> = stats
        .by_service
        .iter()
        .map(|g| g.figures.wait.median_secs.map(|s| f64::from(s) / 60.0))
        .collect();
    let p90: Vec<Option<f64>> = stats
        .by_service
        .iter()
        .map(|g| g.figures.wait.p90_secs.map(|s| f64::from(s) / 60.0))
        .collect();
    let series = [("Mediana", median), ("90° percentile", p90)];
    out.push(
        Chart {
            id: "chart-waits",
            title: "Attesa per servizio (minuti)",
            description: "Barre orizzontali: per ogni servizio l'attesa mediana e il 90° percentile, in minuti.",
            svg: charts::bars(&labels, &series, " min", 1),
            table: charts::bars_table("Attesa per servizio, minuti", "Servizio", &labels, &series, 1),
        }
        .render(),
    );
    // Arrivals.
    out.push(
        Chart {
            id: "chart-arrivals",
            title: "Arrivi per giorno e ora",
            description: "Mappa di calore: biglietti emessi per giorno della settimana e ora; più scuro, più arrivi.",
            svg: charts::heatmap(&stats.arrivals),
            table: charts::heatmap_table(&stats.arrivals),
        }
        .render(),
    );
    // The 20-minute share by day.
    let days: Vec<(String, Option<f64>)> = stats
        .by_day
        .iter()
        .map(|g| (short_day(&g.key), g.figures.long_wait_share.map(|s| s * 100.0)))
        .collect();
    let called: Vec<String> = stats.by_day.iter().map(|g| g.figures.wait.count.to_string()).collect();
    let long: Vec<String> = stats.by_day.iter().map(|g| g.figures.long_waits.to_string()).collect();
    out.push(
        Chart {
            id: "chart-long-waits",
            title: "Quota di chi ha atteso più di 20 minuti, per giorno (%)",
            description: "Linea per giorno: la percentuale dei chiamati che hanno atteso più di 20 minuti.",
            svg: charts::line(&days, Some(100.0), "%", None),
            table: charts::line_table(
                "Attese oltre 20 minuti per giorno",
                "Quota %",
                &days,
                &[("Chiamati", called), ("Oltre 20 min", long)],
                1,
            ),
        }
        .render(),
    );
    // Satisfaction by day.
    let trend: Vec<(String, Option<f64>)> = stats
        .by_day
        .iter()
        .map(|g| (short_day(&g.key), index(&g.figures)))
        .collect();
    let responses: Vec<String> = stats
        .by_day
        .iter()
        .map(|g| g.figures.satisfaction.as_ref().map_or(0, |s| s.responses).to_string())
        .collect();
    out.push(
        Chart {
            id: "chart-satisfaction",
            title: "Indice di soddisfazione per giorno (0–100)",
            description: "Linea per giorno: l'indice di soddisfazione, 100 tutti soddisfatti, 0 tutti insoddisfatti.",
            svg: charts::line(&trend, Some(100.0), "", None),
            table: charts::line_table(
                "Soddisfazione per giorno",
                "Indice",
                &trend,
                &[("Valutazioni", responses)],
                0,
            ),
        }
        .render(),
    );
    // Outcomes.
    let outcome_labels: Vec<String> = stats
        .outcomes
        .iter()
        .map(|o| {
            // "Anagrafe – Carta d'identità" → "Anagrafe": the outcome must fit beside it.
            let service = names.service(o.service_id);
            let short = service.split(" – ").next().unwrap_or(&service).to_owned();
            format!("{short} · {}", o.outcome)
        })
        .collect();
    let counts = [(
        "Visite",
        stats.outcomes.iter().map(|o| Some(f64::from(o.count))).collect(),
    )];
    out.push(
        Chart {
            id: "chart-outcomes",
            title: "Esiti delle visite",
            description: "Barre orizzontali: quante visite si sono chiuse con ciascun esito, per servizio.",
            svg: charts::bars(&outcome_labels, &counts, "", 0),
            table: charts::bars_table("Esiti delle visite", "Servizio · esito", &outcome_labels, &counts, 0),
        }
        .render(),
    );
    out
}

fn service_label(key: &str, names: &Names) -> String {
    key.parse().map_or_else(|_| key.to_owned(), |id| names.service(id))
}

/// `2026-11-30` → `30/11`.
fn short_day(key: &str) -> String {
    key.parse::<Date>()
        .map_or_else(|_| key.to_owned(), |d| format!("{:02}/{:02}", d.day(), d.month()))
}

fn range_markup(stats: &Stats, query: &StatsQuery, names: &Names) -> Markup {
    let filters = filters_query(query);
    let satisfaction = stats.total.satisfaction.as_ref();
    html! {
        p.bo-lead {
            "Dal " (it_date(query.from)) " al " (it_date(query.to))
            @if let Some(id) = query.service_id { " · " (names.service(id)) }
            @if let Some(id) = query.counter_id { " · " (names.counters.get(&id).map_or("", String::as_str)) }
        }
        p.bo-actions.bo-noprint {
            a.bo-btn href=(format!("/backoffice/exports?{filters}")) { "Esporta questi dati" }
            a.bo-btn href=(format!("/backoffice/report?month={}", &query.to.to_string()[..7])) { "Rapporto mensile" }
        }
        (figures_cards(&stats.total))
        div.bo-charts { @for chart in charts(stats, names) { (chart) } }
        h2 { "Per servizio" }
        (group_table("Figure per servizio", "Servizio", &stats.by_service, |k| service_label(k, names)))
        h2 { "Per sportello" }
        (group_table("Figure per sportello", "Sportello", &stats.by_counter, |k| {
            k.parse().ok().and_then(|id: i64| names.counters.get(&id).cloned()).unwrap_or_else(|| k.to_owned())
        }))
        h2 { "Per operatore" }
        p.bo-muted { "La soddisfazione di un operatore è mostrata solo con almeno 10 valutazioni." }
        (group_table("Figure per operatore", "Operatore", &stats.by_clerk, |k| {
            k.parse().ok().and_then(|id: i64| names.users.get(&id).cloned()).unwrap_or_else(|| k.to_owned())
        }))
        h2 { "Soddisfazione" }
        @if let Some(s) = satisfaction {
            div.bo-table-wrap tabindex="0" role="region" aria-label=("Valutazioni del periodo") {
                table {
                    caption { "Valutazioni del periodo" }
                    thead { tr { th scope="col" { "Voce" } th.num scope="col" { "Numero" } } }
                    tbody {
                        tr { th scope="row" { "Soddisfatti" } td.num { (s.good) } }
                        tr { th scope="row" { "Né soddisfatti né insoddisfatti" } td.num { (s.neutral) } }
                        tr { th scope="row" { "Insoddisfatti" } td.num { (s.bad) } }
                        @for (reason, n) in &s.reasons {
                            tr { th scope="row" { "— per: " (reason_name(reason)) } td.num { (n) } }
                        }
                        tr { th scope="row" { "Partecipazione (valutazioni ÷ visite servite)" } td.num { (share(s.participation)) } }
                    }
                }
            }
        } @else {
            p { "Nessuna valutazione nel periodo." }
        }
        h2 { "Pause degli sportelli" }
        div.bo-table-wrap tabindex="0" role="region" aria-label=("Pause per motivo") {
            table {
                caption { "Pause per motivo" }
                thead { tr { th scope="col" { "Motivo" } th.num scope="col" { "Pause" } th.num scope="col" { "Tempo" } } }
                tbody {
                    @for p in &stats.pauses {
                        tr {
                            th scope="row" { (pause_name(p.reason.as_str())) }
                            td.num { (p.count) }
                            td.num { (format!("{} h {:02} min", p.secs / 3600, p.secs % 3600 / 60)) }
                        }
                    }
                }
            }
        }
        p.bo-muted { "Come sono misurate attese e durate: docs/data-dictionary.md, nella documentazione del server." }
    }
}

// ----- exports -----

const FORMATS: &[(&str, &str)] = &[
    ("csv", "CSV per Excel (separatore ;, virgola decimale)"),
    ("csv-rfc", "CSV standard (RFC 4180)"),
    ("xlsx", "Cartella di lavoro Excel (XLSX)"),
    ("json", "JSON"),
    ("mlf", "Rapporto settimanale «Mettiamoci la faccia» (CSV)"),
];

const TABLES: &[(&str, &str)] = &[
    ("tickets", "Biglietti"),
    ("events", "Eventi dei biglietti"),
    ("ratings", "Valutazioni"),
    ("daily", "Riepilogo giornaliero"),
];

async fn exports_page(State(state): State<AppState>, Staff(me): Staff, Query(form): Query<RangeForm>) -> Response {
    let names = match names(&state).await {
        Ok(n) => n,
        Err(e) => return error_page(e),
    };
    let mut problems = Problems::default();
    let query = range_query(&form, today(&state), &names, &mut problems);
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    respond(status, exports_markup(&state, &me, &form, &query, &names, &problems))
}

fn exports_markup(
    state: &AppState,
    me: &turno_shared::api::User,
    form: &RangeForm,
    query: &StatsQuery,
    names: &Names,
    problems: &Problems,
) -> Markup {
    let value = |text: &str, parsed: Date| {
        if text.trim().is_empty() {
            parsed.to_string()
        } else {
            text.to_owned()
        }
    };
    let format = if form.format.is_empty() {
        "csv"
    } else {
        form.format.as_str()
    };
    let table = if form.table.is_empty() {
        "tickets"
    } else {
        form.table.as_str()
    };
    let body = html! {
        h1 { "Esportazioni" }
        p.bo-lead { "Scarichi i dati del periodo e dei filtri scelti. Il significato di ogni colonna è descritto nel dizionario dei dati (docs/data-dictionary.md)." }
        @if !problems.is_empty() {
            div.bo-alert.bo-alert-error role="alert" {
                "Controlli i campi: "
                @for (i, (field, message)) in problems.0.iter().enumerate() {
                    @if i > 0 { "; " }
                    a href=(format!("#{field}")) { (message) }
                }
            }
        }
        form.bo-form.bo-panel method="get" action="/backoffice/exports/download" {
            div.bo-row {
                div.bo-field {
                    label for="from" { "Dal" }
                    input #from name="from" type="date" value=(value(&form.from, query.from)) required
                        aria-invalid=[problems.of("from").map(|_| "true")] aria-describedby=[problems.of("from").map(|_| "from-error")];
                    (field_error(problems, "from"))
                }
                div.bo-field {
                    label for="to" { "Al" }
                    input #to name="to" type="date" value=(value(&form.to, query.to)) required
                        aria-invalid=[problems.of("to").map(|_| "true")] aria-describedby=[problems.of("to").map(|_| "to-error")];
                    (field_error(problems, "to"))
                }
                div.bo-field {
                    label for="service" { "Servizio" }
                    select #service name="service" {
                        option value="" { "Tutti i servizi" }
                        @for s in &names.services {
                            option value=(s.id) selected[query.service_id == Some(s.id)] { (s.config.name.get("it")) }
                        }
                    }
                    (field_error(problems, "service"))
                }
                div.bo-field {
                    label for="counter" { "Sportello" }
                    select #counter name="counter" {
                        option value="" { "Tutti gli sportelli" }
                        @for (id, name) in sorted(&names.counters) {
                            option value=(id) selected[query.counter_id == Some(id)] { (name) }
                        }
                    }
                    (field_error(problems, "counter"))
                }
            }
            fieldset {
                legend { "Formato" }
                @for (code, label) in FORMATS {
                    div.bo-check {
                        input type="radio" name="format" id=(format!("format-{code}")) value=(code) checked[*code == format];
                        label for=(format!("format-{code}")) { (label) }
                    }
                }
                (field_error(problems, "format"))
            }
            div.bo-field {
                label for="table" { "Tabella (per i CSV; XLSX e JSON le contengono tutte)" }
                select #table name="table" {
                    @for (code, label) in TABLES {
                        option value=(code) selected[*code == table] { (label) }
                    }
                }
                (field_error(problems, "table"))
            }
            div.bo-actions { button.bo-btn.bo-btn-primary type="submit" { "Scarica" } }
        }
        p.bo-muted {
            "Gli stessi dati da riga di comando: "
            code { "turno-server export --db FILE --from " (query.from) " --to " (query.to) " --format csv --out FILE" }
        }
    };
    layout(state, "Esportazioni", Some(me), Nav::Exports, body)
}

async fn download(State(state): State<AppState>, Staff(me): Staff, Query(form): Query<RangeForm>) -> Response {
    let names = match names(&state).await {
        Ok(n) => n,
        Err(e) => return error_page(e),
    };
    let mut problems = Problems::default();
    let query = range_query(&form, today(&state), &names, &mut problems);
    let format = match form.format.trim() {
        "" => Format::ExcelCsv,
        text => text.parse().unwrap_or_else(|_| {
            problems
                .0
                .push(("format", "Scelga uno dei formati elencati.".to_owned()));
            Format::ExcelCsv
        }),
    };
    let table = match form.table.trim() {
        "" => Table::Tickets,
        text => text.parse().unwrap_or_else(|_| {
            problems
                .0
                .push(("table", "Scelga una delle tabelle elencate.".to_owned()));
            Table::Tickets
        }),
    };
    if !problems.is_empty() {
        return respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            exports_markup(&state, &me, &form, &query, &names, &problems),
        );
    }
    let mut response = exports::download(&state, Export { query, format, table });
    super::super::page_headers(&mut response);
    response.into_response()
}

// ----- the monthly report -----

async fn report(State(state): State<AppState>, Staff(me): Staff, Query(form): Query<RangeForm>) -> Response {
    let names = match names(&state).await {
        Ok(n) => n,
        Err(e) => return error_page(e),
    };
    let today = today(&state);
    let month = form.month.trim();
    let first = if month.is_empty() {
        // The last whole month, unless asked otherwise.
        today.first_of_month().yesterday().unwrap_or(today).first_of_month()
    } else {
        match format!("{month}-01").parse::<Date>() {
            Ok(d) => d,
            Err(_) => {
                return super::message(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Mese non valido",
                    "Scelga un mese nella forma aaaa-mm, per esempio 2026-11.",
                );
            }
        }
    };
    let last = first.last_of_month();
    let query = StatsQuery {
        from: first,
        to: last,
        service_id: None,
        counter_id: None,
        user_id: None,
    };
    let stats = match compute(&state, query.clone()).await {
        Ok(s) => s,
        Err(e) => return error_page(e),
    };
    let month_name = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ][usize::try_from(first.month() - 1).unwrap_or(0)];
    let title = format!("Rapporto di {month_name} {}", first.year());
    let previous = first.yesterday().unwrap_or(first);
    let next = last.tomorrow().unwrap_or(last);
    let body = html! {
        div.bo-report {
            h1 { (title) }
            p.bo-lead { (state.office.name) " — dal " (it_date(first)) " al " (it_date(last)) }
            form.bo-panel.bo-row.bo-noprint method="get" action="/backoffice/report" {
                div.bo-field {
                    label for="month" { "Mese" }
                    input #month name="month" type="month" value=(&first.to_string()[..7]);
                }
                button.bo-btn type="submit" { "Mostra" }
                a.bo-btn href=(format!("/backoffice/report?month={}", &previous.to_string()[..7])) { "Mese precedente" }
                a.bo-btn href=(format!("/backoffice/report?month={}", &next.to_string()[..7])) { "Mese successivo" }
                button.bo-btn.bo-btn-primary type="button" data-print { "Stampa o salva in PDF" }
            }
            (figures_cards(&stats.total))
            div.bo-charts { @for chart in charts(&stats, &names) { (chart) } }
            h2 { "Per servizio" }
            (group_table("Figure per servizio", "Servizio", &stats.by_service, |k| service_label(k, &names)))
            h2 { "Per giorno della settimana" }
            (group_table("Figure per giorno della settimana", "Giorno", &stats.by_weekday, |k| {
                k.parse::<usize>().ok().and_then(|d| charts::WEEKDAYS.get(d.wrapping_sub(1))).map_or_else(|| k.to_owned(), |d| (*d).to_owned())
            }))
            p.bo-muted { "Attese misurate dall'emissione del biglietto alla prima chiamata; durate dalla chiamata alla chiusura (docs/data-dictionary.md)." }
        }
        script src="/assets/backoffice.js" defer {}
    };
    respond(StatusCode::OK, layout(&state, &title, Some(&me), Nav::Report, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            services: Vec::new(),
            counters: HashMap::from([(3, "Sportello 3".to_owned())]),
            users: HashMap::new(),
        }
    }

    #[test]
    fn a_range_defaults_to_the_last_thirty_days() {
        let today: Date = "2026-11-30".parse().unwrap();
        let mut problems = Problems::default();
        let q = range_query(&RangeForm::default(), today, &names(), &mut problems);
        assert!(problems.is_empty());
        assert_eq!(
            (q.from.to_string(), q.to.to_string()),
            ("2026-11-01".into(), "2026-11-30".into())
        );
    }

    #[test]
    fn wrong_fields_are_named() {
        let today: Date = "2026-11-30".parse().unwrap();
        let check = |form: RangeForm, field: &str| {
            let mut problems = Problems::default();
            range_query(&form, today, &names(), &mut problems);
            assert!(problems.of(field).is_some(), "{form:?} → {field}");
        };
        check(
            RangeForm {
                from: "31/02/2026".into(),
                ..Default::default()
            },
            "from",
        );
        check(
            RangeForm {
                from: "2026-11-10".into(),
                to: "2026-11-01".into(),
                ..Default::default()
            },
            "to",
        );
        check(
            RangeForm {
                from: "2020-01-01".into(),
                to: "2026-11-01".into(),
                ..Default::default()
            },
            "from",
        );
        check(
            RangeForm {
                counter: "99".into(),
                ..Default::default()
            },
            "counter",
        );
        check(
            RangeForm {
                service: "x".into(),
                ..Default::default()
            },
            "service",
        );
        let mut problems = Problems::default();
        let q = range_query(
            &RangeForm {
                counter: "3".into(),
                ..Default::default()
            },
            today,
            &names(),
            &mut problems,
        );
        assert_eq!(q.counter_id, Some(3));
    }
}
