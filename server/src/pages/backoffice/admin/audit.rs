//! The audit log's page: every change the back office made, filtered by days, kind of record and
//! user, a page at a time, each with who, when (office time) and what changed, before and after
//! side by side; and the same filtered log as CSV the way Italian Excel opens it (UTF-8 with BOM, `;`).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde_json::Value;
use turno_shared::api::{AuditEntry, User};

use super::super::{Nav, Staff, error_page, layout, respond, url_encode};
use super::{Field, Problems, local_time, query_pairs, summary};
use crate::AppState;
use crate::error::Error;
use crate::store::{audit, office as cfg};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/backoffice/audit", get(page))
        .route("/backoffice/audit.csv", get(csv_export))
}

/// Entries on one page.
const PER_PAGE: usize = 50;

const KINDS: &[(&str, &str)] = &[
    ("", "Tutti"),
    ("service", "Servizi"),
    ("counter", "Sportelli"),
    ("user", "Utenti"),
    ("device", "Dispositivi"),
    ("notice", "Avvisi"),
    ("form", "Moduli"),
    ("office", "Ufficio"),
];

fn kind_name(entity: &str) -> &str {
    match entity {
        "service" => "servizio",
        "counter" => "sportello",
        "user" => "utente",
        "device" => "dispositivo",
        "notice" => "avviso",
        "form" => "modulo",
        "office" => "ufficio",
        other => other,
    }
}

fn action_name(action: &str) -> &str {
    match action {
        "create" => "Creazione",
        "update" => "Modifica",
        "update_with_password" => "Modifica con nuova password",
        "deactivate" => "Disattivazione",
        "revoke" => "Revoca",
        "delete" => "Eliminazione",
        "reset_password" => "Nuova password",
        "end_of_day" => "Chiusura della giornata",
        other => other,
    }
}

/// A field of a stored record, in Italian: `name.en` is `Nome (en)`.
fn field_name(path: &str) -> String {
    let (head, rest) = match path.find(['.', '[']) {
        Some(i) => (&path[..i], path[i..].trim_start_matches('.')),
        None => (path, ""),
    };
    let head = match head {
        "id" => "Id",
        "code" => "Codice",
        "prefix" => "Lettera",
        "name" => "Nome",
        "info" => "Scheda informativa",
        "documents" => "Documenti da portare",
        "outcomes" => "Esiti",
        "target_wait_minutes" => "Attesa obiettivo (min)",
        "daily_cap" => "Tetto giornaliero",
        "hours" => "Orari",
        "closed_days" => "Giorni di chiusura",
        "active" => "Attivo",
        "services" => "Servizi",
        "username" => "Nome utente",
        "display_name" => "Nome e cognome",
        "role" => "Ruolo",
        "kind" => "Tipo",
        "revoked" => "Revocato",
        "created_at" => "Creato",
        "text" => "Testo",
        "starts_at" => "Dal",
        "ends_at" => "Al",
        "title" => "Titolo",
        "filename" => "File",
        "size" => "Dimensione (byte)",
        "path" => "Indirizzo",
        "uploaded_at" => "Caricato",
        "service_id" => "Servizio",
        "expired" => "Biglietti chiusi",
        "include_serving" => "Anche quelli in servizio",
        other => other,
    };
    if rest.is_empty() {
        return head.to_owned();
    }
    // `[2].label.en` reads "n. 2, etichetta, en".
    let parts: Vec<String> = rest
        .split(['.', '['])
        .filter(|p| !p.is_empty())
        .map(|p| match p.strip_suffix(']') {
            Some(n) => format!("n. {n}"),
            None => match p {
                "label" => "etichetta".into(),
                "date" => "data".into(),
                "reason" => "motivo".into(),
                "code" => "codice".into(),
                "mon" => "lunedì".into(),
                "tue" => "martedì".into(),
                "wed" => "mercoledì".into(),
                "thu" => "giovedì".into(),
                "fri" => "venerdì".into(),
                "sat" => "sabato".into(),
                "sun" => "domenica".into(),
                other => other.to_owned(),
            },
        })
        .collect();
    format!("{head} ({})", parts.join(", "))
}

/// A record's fields as `path → text`: objects by key, lists of plain values joined, other lists by
/// position (from 1).
fn flatten(value: &Value) -> BTreeMap<String, String> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
        let join = |k: &str| {
            if prefix.is_empty() {
                k.to_owned()
            } else {
                format!("{prefix}.{k}")
            }
        };
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    walk(&join(k), v, out);
                }
            }
            Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
                let texts: Vec<String> = items.iter().map(scalar).collect();
                out.insert(prefix.to_owned(), texts.join(", "));
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(&format!("{prefix}[{}]", i + 1), item, out);
                }
            }
            other => {
                out.insert(prefix.to_owned(), scalar(other));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", value, &mut out);
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(true) => "sì".into(),
        Value::Bool(false) => "no".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What changed: `(field, before, after)` for every field that differs (all fields for a creation or
/// a deletion).
fn changes(e: &AuditEntry) -> Vec<(String, Option<String>, Option<String>)> {
    let before = e.before.as_ref().map(flatten).unwrap_or_default();
    let after = e.after.as_ref().map(flatten).unwrap_or_default();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| (k.clone(), before.get(k).cloned(), after.get(k).cloned()))
        .collect()
}

/// The record's name as people know it, from its fields.
fn record_name(e: &AuditEntry) -> Option<String> {
    let v = e.after.as_ref().or(e.before.as_ref())?;
    let text = |x: &Value| x.as_str().map(str::to_owned);
    v.get("name")
        .and_then(|n| n.get("it").and_then(text).or_else(|| text(n)))
        .or_else(|| v.get("username").and_then(text))
        .or_else(|| v.get("title").and_then(text))
        .or_else(|| v.get("text").and_then(|t| t.get("it")).and_then(text))
}

// ----- the filters -----

struct Filters {
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    entity: String,
    /// A user's id, `cli` for the server's command line, or empty for all.
    user: String,
    page: usize,
    raw_from: String,
    raw_to: String,
}

impl Filters {
    fn read(state: &AppState, q: &[(String, String)], p: &mut Problems) -> Filters {
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str()).trim();
        let today = state.office.local(state.store.now()).date();
        let default_from = today.checked_sub(jiff::Span::new().days(29)).unwrap_or(today);
        let mut date = |field: &str, default: jiff::civil::Date| {
            let raw = get(field);
            if raw.is_empty() {
                return default;
            }
            super::services::parse_date(raw).unwrap_or_else(|| {
                p.add(field, "Scriva una data come 30/11/2026.");
                default
            })
        };
        let from = date("from", default_from);
        let to = date("to", today);
        if to < from {
            p.add("to", "La data finale viene prima di quella iniziale.");
        }
        let entity = get("entity");
        let entity = if KINDS.iter().any(|(k, _)| *k == entity) {
            entity
        } else {
            ""
        };
        Filters {
            from,
            to,
            entity: entity.to_owned(),
            user: get("user").to_owned(),
            page: get("page").parse::<usize>().unwrap_or(1).max(1),
            raw_from: if get("from").is_empty() {
                from.to_string()
            } else {
                get("from").to_owned()
            },
            raw_to: if get("to").is_empty() {
                to.to_string()
            } else {
                get("to").to_owned()
            },
        }
    }

    /// The query that repeats these filters, on page `page`.
    fn query(&self, page: Option<usize>) -> String {
        let mut q = format!(
            "from={}&to={}&entity={}&user={}",
            url_encode(&self.raw_from),
            url_encode(&self.raw_to),
            url_encode(&self.entity),
            url_encode(&self.user)
        );
        if let Some(page) = page {
            q.push_str(&format!("&page={page}"));
        }
        q
    }

    fn keeps(&self, e: &AuditEntry) -> bool {
        match self.user.as_str() {
            "" => true,
            "cli" => e.user_id.is_none(),
            id => id.parse::<i64>().is_ok_and(|id| e.user_id == Some(id)),
        }
    }
}

/// The entries the filters keep (newest first), whether the store's cap cut the range, and the users.
async fn entries(state: &AppState, f: &Filters) -> Result<(Vec<AuditEntry>, bool, Vec<User>), Error> {
    let tz = state.office.tz.clone();
    let start = f.from.to_zoned(tz.clone()).map_err(Error::internal)?.timestamp();
    let end =
        f.to.tomorrow()
            .and_then(|d| d.to_zoned(tz))
            .map_err(Error::internal)?
            .timestamp();
    let entity = (!f.entity.is_empty()).then(|| f.entity.clone());
    let (all, users) = state
        .store
        .read(move |c| Ok((audit::between(c, start, end, entity.as_deref())?, cfg::list_users(c)?)))
        .await?;
    let capped = all.len() >= audit::LIMIT as usize;
    Ok((all.into_iter().filter(|e| f.keeps(e)).collect(), capped, users))
}

fn who(e: &AuditEntry) -> String {
    e.username
        .clone()
        .unwrap_or_else(|| "riga di comando del server".into())
}

fn what(e: &AuditEntry) -> String {
    let mut s = format!("{} {}", action_name(&e.action), kind_name(&e.entity));
    if let Some(id) = e.entity_id {
        s.push_str(&format!(" n. {id}"));
    }
    if let Some(name) = record_name(e) {
        s.push_str(&format!(" «{name}»"));
    }
    s
}

async fn page(
    State(state): State<AppState>,
    Staff(me): Staff,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    let mut problems = Problems::default();
    let f = Filters::read(&state, &query, &mut problems);
    let (found, capped, users) = if problems.is_empty() {
        match entries(&state, &f).await {
            Ok(x) => x,
            Err(e) => return error_page(e),
        }
    } else {
        match state.store.read(cfg::list_users).await {
            Ok(users) => (Vec::new(), false, users),
            Err(e) => return error_page(e),
        }
    };
    let pages = found.len().div_ceil(PER_PAGE).max(1);
    let page = f.page.min(pages);
    let shown = found.iter().skip((page - 1) * PER_PAGE).take(PER_PAGE);
    let mut user_options: Vec<(String, String)> = vec![
        (String::new(), "Tutti".into()),
        ("cli".into(), "Riga di comando del server".into()),
    ];
    user_options.extend(
        users
            .iter()
            .map(|u| (u.id.to_string(), format!("{} ({})", u.display_name, u.username))),
    );
    let user_options: Vec<(&str, &str)> = user_options.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let body = html! {
        h1 { "Registro modifiche" }
        p.bo-lead { "Ogni modifica del back office: chi, quando (ora dell'ufficio), che cosa, prima e dopo." }
        (summary(&problems))
        form.bo-form.bo-filters method="get" action="/backoffice/audit" novalidate {
            div.bo-row {
                (Field { name: "from", label: "Dal", required: false, hint: None }.input("date", &f.raw_from, &problems))
                (Field { name: "to", label: "Al", required: false, hint: None }.input("date", &f.raw_to, &problems))
                (Field { name: "entity", label: "Tipo", required: false, hint: None }.select(KINDS, &f.entity, &problems))
                (Field { name: "user", label: "Utente", required: false, hint: None }.select(&user_options, &f.user, &problems))
                div.bo-field.bo-field-button { button.bo-btn.bo-btn-primary type="submit" { "Filtra" } }
            }
        }
        @if problems.is_empty() {
            p.bo-actions {
                span role="status" {
                    @match found.len() { 0 => { "Nessuna modifica nel periodo." } 1 => { "1 modifica." } n => { (n) " modifiche." } }
                }
                a.bo-btn href={ "/backoffice/audit.csv?" (f.query(None)) } download { "Esporta CSV" }
            }
            @if capped {
                p.bo-alert.bo-alert-warn { "Il periodo contiene più di " (audit::LIMIT) " modifiche: sono mostrate le più recenti. Restringa il periodo per vedere le altre." }
            }
            @for e in shown {
                (entry(&state, e))
            }
            @if pages > 1 {
                nav.bo-pager aria-label="Pagine del registro" {
                    @if page > 1 { a href={ "/backoffice/audit?" (f.query(Some(page - 1))) } rel="prev" { "‹ Più recenti" } }
                    span { "Pagina " (page) " di " (pages) }
                    @if page < pages { a href={ "/backoffice/audit?" (f.query(Some(page + 1))) } rel="next" { "Meno recenti ›" } }
                }
            }
        }
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    respond(
        status,
        layout(&state, "Registro modifiche", Some(&me), Nav::Audit, body),
    )
}

fn entry(state: &AppState, e: &AuditEntry) -> Markup {
    let changes = changes(e);
    let both = e.before.is_some() && e.after.is_some();
    html! {
        article.bo-panel.bo-audit-entry aria-labelledby={ "audit-" (e.id) } {
            h2.bo-audit-title #{ "audit-" (e.id) } { (what(e)) }
            p.bo-muted { (local_time(state, e.at)) " · " (who(e)) }
            @if changes.is_empty() {
                p { "Nessun campo cambiato." }
            } @else if both {
                (change_table(e, &changes))
            } @else {
                details {
                    summary { @if e.after.is_some() { "Valori registrati (" (changes.len()) ")" } @else { "Valori prima dell'eliminazione (" (changes.len()) ")" } }
                    (change_table(e, &changes))
                }
            }
        }
    }
}

fn change_table(e: &AuditEntry, changes: &[(String, Option<String>, Option<String>)]) -> Markup {
    html! {
        div.bo-table-wrap {
            table.bo-diff {
                caption.bo-sr { "Campi cambiati: " (what(e)) }
                thead { tr {
                    th scope="col" { "Campo" }
                    @if e.before.is_some() { th scope="col" { "Prima" } }
                    @if e.after.is_some() { th scope="col" { "Dopo" } }
                } }
                tbody {
                    @for (field, before, after) in changes {
                        tr {
                            th scope="row" { (field_name(field)) }
                            @if e.before.is_some() { td.bo-before { (before.as_deref().unwrap_or("—")) } }
                            @if e.after.is_some() { td.bo-after { (after.as_deref().unwrap_or("—")) } }
                        }
                    }
                }
            }
        }
    }
}

async fn csv_export(
    State(state): State<AppState>,
    Staff(_): Staff,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    let mut problems = Problems::default();
    let f = Filters::read(&state, &query, &mut problems);
    if !problems.is_empty() {
        return super::super::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Filtri non validi",
            "Le date del registro non sono valide: torni al registro e le corregga.",
        );
    }
    let (found, _, _) = match entries(&state, &f).await {
        Ok(x) => x,
        Err(e) => return error_page(e),
    };
    match to_csv(&state, &found) {
        Ok(bytes) => {
            let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response();
            let name = format!("attachment; filename=\"registro-modifiche-{}-{}.csv\"", f.from, f.to);
            if let Ok(v) = HeaderValue::from_str(&name) {
                response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => error_page(e),
    }
}

/// The entries as CSV for Italian Excel: a BOM, `;` between fields, a row per change with its fields
/// spelled out and the records before and after as JSON.
fn to_csv(state: &AppState, entries: &[AuditEntry]) -> Result<Vec<u8>, Error> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(&mut out);
        w.write_record([
            "Data e ora",
            "Utente",
            "Azione",
            "Tipo",
            "Id",
            "Nome",
            "Campi cambiati",
            "Prima (JSON)",
            "Dopo (JSON)",
        ])
        .map_err(Error::internal)?;
        for e in entries {
            let changed: Vec<String> = changes(e)
                .into_iter()
                .map(|(field, before, after)| {
                    format!(
                        "{}: {} → {}",
                        field_name(&field),
                        before.as_deref().unwrap_or("—"),
                        after.as_deref().unwrap_or("—")
                    )
                })
                .collect();
            let json = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
            w.write_record([
                local_time(state, e.at),
                who(e),
                action_name(&e.action).to_owned(),
                kind_name(&e.entity).to_owned(),
                e.entity_id.map(|i| i.to_string()).unwrap_or_default(),
                record_name(e).unwrap_or_default(),
                changed.join("\n"),
                json(&e.before),
                json(&e.after),
            ])
            .map_err(Error::internal)?;
        }
        w.flush().map_err(Error::internal)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(before: Option<Value>, after: Option<Value>) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: jiff::Timestamp::UNIX_EPOCH,
            user_id: Some(1),
            username: Some("admin".into()),
            action: "update".into(),
            entity: "service".into(),
            entity_id: Some(3),
            before,
            after,
        }
    }

    #[test]
    fn an_update_shows_only_what_changed() {
        let e = entry(
            Some(
                json!({"id": 3, "name": {"it": "Anagrafe"}, "info": {"it": "Vecchia"}, "hours": {"mon": ["08:30-12:30"]}}),
            ),
            Some(
                json!({"id": 3, "name": {"it": "Anagrafe"}, "info": {"it": "Nuova", "en": "New"}, "hours": {"mon": ["08:30-12:30"]}}),
            ),
        );
        assert_eq!(
            changes(&e),
            vec![
                ("info.en".into(), None, Some("New".into())),
                ("info.it".into(), Some("Vecchia".into()), Some("Nuova".into())),
            ]
        );
        assert_eq!(field_name("info.it"), "Scheda informativa (it)");
        assert_eq!(field_name("outcomes[2].label.en"), "Esiti (n. 2, etichetta, en)");
        assert_eq!(field_name("hours.mon"), "Orari (lunedì)");
        assert_eq!(what(&e), "Modifica servizio n. 3 «Anagrafe»");
    }

    #[test]
    fn lists_of_records_are_told_apart_by_position() {
        let flat = flatten(&json!({"documents": [{"it": "Carta"}, {"it": "Codice"}], "services": [2, 1]}));
        assert_eq!(flat["documents[1].it"], "Carta");
        assert_eq!(flat["documents[2].it"], "Codice");
        assert_eq!(flat["services"], "2, 1");
    }
}
