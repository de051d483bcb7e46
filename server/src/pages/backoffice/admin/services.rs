//! The services pages: the list, the editing form (names, information sheet and documents in every
//! language the kiosk offers, outcomes, target wait, daily cap, hours, days closed, in use or not),
//! the preview of the sheet exactly as the kiosk and the ticket page show it in each language, and
//! the service's PDF forms (upload, list, delete).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use maud::{Markup, html};
use turno_shared::api::{ClosedDay, ErrorCode, Form, Localized, Outcome, REFERENCE_LANGUAGE, Service, ServiceInput};
use turno_shared::domain::{Code, ServicePrefix, TimeRange, WeeklyHours};

use super::super::{Nav, Staff, error_page, layout, respond};
use super::{
    Field, PageId, Posted, Problems, active_badge, checkbox, done, engine_problem, flash, local_time, ok_of, parse_id,
    query_pairs, save, summary,
};
use crate::AppState;
use crate::backoffice::{self, MAX_FORM_BYTES};
use crate::engine;
use crate::error::Error;
use crate::store::office as cfg;

pub fn router() -> Router<AppState> {
    // A form's upload is the one body larger than the server's usual limit.
    let uploads = Router::new()
        .route("/backoffice/services/{id}/forms", post(upload_form))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES + 256 * 1024));
    Router::new()
        .route("/backoffice/services", get(list))
        .route("/backoffice/services/new", get(new_page).post(create))
        .route("/backoffice/services/{id}", get(edit_page).post(update))
        .route("/backoffice/services/{id}/forms/{form}/delete", post(delete_form))
        .merge(uploads)
}

/// The languages of the kiosk and the ticket page, in the kiosk's order: code, name in Italian, name
/// in itself, and the words kiosk and ticket page put around a sheet in that language (sheet title
/// on the ticket page, "documents to bring", "forms to download", "no documents needed", the kiosk's
/// button), copied from `ui/translations` and `assets/ticket.js`.
pub(super) const LANGUAGES: &[Lang] = &[
    Lang {
        code: "it",
        italian: "Italiano",
        native: "Italiano",
        sheet: "Scheda informativa",
        documents: "Documenti da portare",
        forms: "Moduli da scaricare",
        no_documents: "Nessun documento richiesto.",
        take_number: "Prendi il numero",
    },
    Lang {
        code: "en",
        italian: "Inglese",
        native: "English",
        sheet: "Information sheet",
        documents: "Documents to bring",
        forms: "Forms to download",
        no_documents: "No documents needed.",
        take_number: "Take a number",
    },
    Lang {
        code: "fr",
        italian: "Francese",
        native: "Français",
        sheet: "Fiche d’information",
        documents: "Documents à apporter",
        forms: "Formulaires à télécharger",
        no_documents: "Aucun document n’est demandé.",
        take_number: "Prendre un numéro",
    },
    Lang {
        code: "de",
        italian: "Tedesco",
        native: "Deutsch",
        sheet: "Informationsblatt",
        documents: "Mitzubringende Unterlagen",
        forms: "Formulare zum Herunterladen",
        no_documents: "Keine Unterlagen nötig.",
        take_number: "Nummer ziehen",
    },
    Lang {
        code: "es",
        italian: "Spagnolo",
        native: "Español",
        sheet: "Ficha informativa",
        documents: "Documentos necesarios",
        forms: "Formularios para descargar",
        no_documents: "No se necesita ningún documento.",
        take_number: "Coger número",
    },
    Lang {
        code: "uk",
        italian: "Ucraino",
        native: "Українська",
        sheet: "Інформаційний лист",
        documents: "Потрібні документи",
        forms: "Бланки для завантаження",
        no_documents: "Документи не потрібні.",
        take_number: "Взяти номер",
    },
    Lang {
        code: "zh",
        italian: "Cinese",
        native: "中文",
        sheet: "办事指南",
        documents: "需携带的证件",
        forms: "可下载的表格",
        no_documents: "无需携带证件。",
        take_number: "取号",
    },
    Lang {
        code: "ar",
        italian: "Arabo",
        native: "العربية",
        sheet: "بطاقة المعلومات",
        documents: "المستندات المطلوبة",
        forms: "نماذج للتنزيل",
        no_documents: "لا حاجة إلى مستندات.",
        take_number: "خذ رقمًا",
    },
];

pub(super) struct Lang {
    pub code: &'static str,
    pub italian: &'static str,
    pub native: &'static str,
    sheet: &'static str,
    documents: &'static str,
    forms: &'static str,
    no_documents: &'static str,
    take_number: &'static str,
}

pub(super) fn lang(code: &str) -> &'static Lang {
    LANGUAGES.iter().find(|l| l.code == code).unwrap_or(&LANGUAGES[0])
}

const DAYS: &[(&str, &str)] = &[
    ("mon", "Lunedì"),
    ("tue", "Martedì"),
    ("wed", "Mercoledì"),
    ("thu", "Giovedì"),
    ("fri", "Venerdì"),
    ("sat", "Sabato"),
    ("sun", "Domenica"),
];

// ----- the list -----

async fn list(
    State(state): State<AppState>,
    Staff(me): Staff,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    let office = state.office.clone();
    let now = state.store.now();
    let queue = state.store.queue();
    let read = state
        .store
        .read(move |c| {
            let services = cfg::list_services(c)?;
            let waiting: BTreeMap<i64, u32> = engine::office_view(c, &queue, &office, now)?
                .services
                .into_iter()
                .map(|s| (s.id, s.waiting))
                .collect();
            Ok((services, waiting))
        })
        .await;
    let (services, waiting) = match read {
        Ok(found) => found,
        Err(e) => return error_page(e),
    };
    let body = html! {
        h1 { "Servizi" }
        (flash(ok_of(&query)))
        p.bo-actions { a.bo-btn.bo-btn-primary href="/backoffice/services/new" { "Nuovo servizio" } }
        div.bo-table-wrap {
            table {
                caption { "Servizi dell'ufficio" }
                thead { tr {
                    th scope="col" { "Lettera" }
                    th scope="col" { "Nome" }
                    th scope="col" { "Stato" }
                    th.num scope="col" { "Attesa obiettivo" }
                    th.num scope="col" { "Tetto giornaliero" }
                    th.num scope="col" { "In attesa ora" }
                    th scope="col" { span.bo-sr { "Azioni" } }
                } }
                tbody {
                    @for s in &services {
                        tr {
                            td { strong { (s.config.prefix) } }
                            td { (s.config.name.get(REFERENCE_LANGUAGE)) }
                            td { (active_badge(s.config.active, "In uso", "Non in uso")) }
                            td.num { @if let Some(m) = s.config.target_wait_minutes { (m) " min" } @else { "—" } }
                            td.num { @if let Some(c) = s.config.daily_cap { (c) } @else { "—" } }
                            td.num { @if let Some(w) = waiting.get(&s.id) { (w) } @else { "—" } }
                            td { a href={ "/backoffice/services/" (s.id) } {
                                "Modifica" span.bo-sr { " " (s.config.name.get(REFERENCE_LANGUAGE)) }
                            } }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        layout(&state, "Servizi", Some(&me), Nav::Services, body),
    )
}

// ----- the form's values -----

/// The form's fields filled from a stored service.
fn draft_of(s: &ServiceInput) -> Posted {
    let mut d = Vec::new();
    let mut put = |k: String, v: String| d.push((k, v));
    put("code".into(), s.code.to_string());
    put("prefix".into(), s.prefix.to_string());
    for l in LANGUAGES {
        put(
            format!("name.{}", l.code),
            s.name.0.get(l.code).cloned().unwrap_or_default(),
        );
        put(
            format!("info.{}", l.code),
            s.info.0.get(l.code).cloned().unwrap_or_default(),
        );
        let lines: Vec<&str> = s
            .documents
            .iter()
            .map(|doc| doc.0.get(l.code).map_or("", String::as_str))
            .collect();
        let text = if lines.iter().all(|t| t.is_empty()) {
            String::new()
        } else {
            lines.join("\n")
        };
        put(format!("documents.{}", l.code), text);
    }
    let outcomes: Vec<String> = s
        .outcomes
        .iter()
        .map(|o| format!("{} | {}", o.code, o.label.get(REFERENCE_LANGUAGE)))
        .collect();
    put("outcomes".into(), outcomes.join("\n"));
    put(
        "target_wait_minutes".into(),
        s.target_wait_minutes.map(|m| m.to_string()).unwrap_or_default(),
    );
    put(
        "daily_cap".into(),
        s.daily_cap.map(|m| m.to_string()).unwrap_or_default(),
    );
    for (day, _) in DAYS {
        let ranges: Vec<String> = hours_of(&s.hours, day).iter().map(ToString::to_string).collect();
        put(format!("hours.{day}"), ranges.join(", "));
    }
    let closed: Vec<String> = s
        .closed_days
        .iter()
        .map(|c| {
            let date = c.date.strftime("%d/%m/%Y").to_string();
            match &c.reason {
                Some(r) => format!("{date} {r}"),
                None => date,
            }
        })
        .collect();
    put("closed_days".into(), closed.join("\n"));
    if s.active {
        put("active".into(), "1".into());
    }
    Posted(d)
}

/// A new service's form: in use, one outcome.
fn blank_draft() -> Posted {
    Posted(vec![
        ("outcomes".into(), "fatto | Pratica conclusa".into()),
        ("active".into(), "1".into()),
    ])
}

fn hours_of<'a>(h: &'a WeeklyHours, day: &str) -> &'a Vec<TimeRange> {
    match day {
        "mon" => &h.mon,
        "tue" => &h.tue,
        "wed" => &h.wed,
        "thu" => &h.thu,
        "fri" => &h.fri,
        "sat" => &h.sat,
        _ => &h.sun,
    }
}

fn hours_of_mut<'a>(h: &'a mut WeeklyHours, day: &str) -> &'a mut Vec<TimeRange> {
    match day {
        "mon" => &mut h.mon,
        "tue" => &mut h.tue,
        "wed" => &mut h.wed,
        "thu" => &mut h.thu,
        "fri" => &mut h.fri,
        "sat" => &mut h.sat,
        _ => &mut h.sun,
    }
}

/// The texts of `base.<lang>` that are not blank, by language.
fn localized(d: &Posted, base: &str) -> Localized {
    let mut out = Localized::default();
    for l in LANGUAGES {
        let text = d.get(&format!("{base}.{}", l.code)).trim();
        if !text.is_empty() {
            out.0.insert(l.code.to_owned(), text.replace("\r\n", "\n"));
        }
    }
    out
}

/// The lines of a text area, trimmed (Windows line ends included).
fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim).collect()
}

/// The documents to bring: line *n* of each language's box is document *n*. Problems go to `p`.
fn documents(d: &Posted, p: &mut Problems) -> Vec<Localized> {
    let per_lang: Vec<(&str, Vec<&str>)> = LANGUAGES
        .iter()
        .map(|l| (l.code, lines(d.get(&format!("documents.{}", l.code)))))
        .collect();
    let count = per_lang.iter().map(|(_, ls)| ls.len()).max().unwrap_or(0);
    let italian = &per_lang[0].1;
    let mut docs = Vec::new();
    for i in 0..count {
        let mut doc = Localized::default();
        for (code, ls) in &per_lang {
            if let Some(text) = ls.get(i).filter(|t| !t.is_empty()) {
                doc.0.insert((*code).to_owned(), (*text).to_owned());
            }
        }
        if doc.0.is_empty() {
            continue;
        }
        if italian.get(i).is_none_or(|t| t.is_empty()) {
            let other = per_lang
                .iter()
                .find(|(_, ls)| ls.get(i).is_some_and(|t| !t.is_empty()))
                .map_or("en", |(c, _)| *c);
            p.add(
                &format!("documents.{other}"),
                format!(
                    "Documenti da portare in {}: la riga {} non ha un documento corrispondente in italiano. \
                     Scriva i documenti nello stesso ordine dell'italiano, uno per riga.",
                    lang(other).italian.to_lowercase(),
                    i + 1
                ),
            );
        }
        docs.push(doc);
    }
    docs
}

/// Reads the form into a service; labels of outcomes in other languages are kept from `before`.
fn parse(d: &Posted, before: Option<&ServiceInput>) -> Result<ServiceInput, Problems> {
    let mut p = Problems::default();
    let code = match d.get("code").trim().to_lowercase().parse::<Code>() {
        Ok(c) => Some(c),
        Err(_) => {
            p.add(
                "code",
                "Il codice è obbligatorio: da 1 a 32 lettere minuscole senza accenti, cifre, trattino o trattino basso.",
            );
            None
        }
    };
    let prefix = match d.get("prefix").trim().parse::<ServicePrefix>() {
        Ok(x) => Some(x),
        Err(_) => {
            p.add("prefix", "La lettera è obbligatoria: una sola lettera dalla A alla Z.");
            None
        }
    };
    let name = localized(d, "name");
    if !name.0.contains_key(REFERENCE_LANGUAGE) {
        p.add("name.it", "Scriva il nome del servizio in italiano.");
    }
    for l in LANGUAGES {
        if name.0.get(l.code).is_some_and(|n| n.chars().count() > 80) {
            p.add(
                &format!("name.{}", l.code),
                format!(
                    "Il nome in {} può avere al massimo 80 caratteri.",
                    l.italian.to_lowercase()
                ),
            );
        }
    }
    let info = localized(d, "info");
    for l in LANGUAGES {
        if let Some(text) = info.0.get(l.code)
            && text.chars().count() > 4000
        {
            p.add(
                &format!("info.{}", l.code),
                format!(
                    "La scheda informativa in {} ha {} caratteri: al massimo 4000.",
                    l.italian.to_lowercase(),
                    text.chars().count()
                ),
            );
        }
    }
    let documents = documents(d, &mut p);
    let mut outcomes = Vec::new();
    for (i, line) in lines(d.get("outcomes")).into_iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let (code, label) = line.split_once('|').unwrap_or((line, ""));
        let (code, label) = (code.trim().to_lowercase(), label.trim());
        let Ok(code) = code.parse::<Code>() else {
            p.add(
                "outcomes",
                format!(
                    "Esiti, riga {}: il codice «{code}» può contenere solo lettere minuscole senza accenti, cifre, - e _ (al massimo 32).",
                    i + 1
                ),
            );
            continue;
        };
        if label.is_empty() {
            p.add(
                "outcomes",
                format!(
                    "Esiti, riga {}: dopo il codice scriva | e l'etichetta che vede l'operatore.",
                    i + 1
                ),
            );
            continue;
        }
        let mut texts = before
            .and_then(|b| b.outcomes.iter().find(|o| o.code == code))
            .map(|o| o.label.clone())
            .unwrap_or_default();
        texts.0.insert(REFERENCE_LANGUAGE.to_owned(), label.to_owned());
        outcomes.push(Outcome { code, label: texts });
    }
    if outcomes.is_empty() {
        p.add(
            "outcomes",
            "Indichi almeno un esito, per esempio: fatto | Pratica conclusa",
        );
    }
    let number = |p: &mut Problems, field: &str, what: &str, max: u32| -> Option<u32> {
        let text = d.get(field).trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Some(n),
            _ => {
                p.add(
                    field,
                    format!("{what}: scriva un numero intero da 1 a {max}, oppure lasci vuoto."),
                );
                None
            }
        }
    };
    let target_wait_minutes = number(&mut p, "target_wait_minutes", "Attesa obiettivo", 1440);
    let daily_cap = number(&mut p, "daily_cap", "Tetto giornaliero", 9999);
    let mut hours = WeeklyHours::default();
    for (day, day_name) in DAYS {
        let field = format!("hours.{day}");
        for part in d.get(&field).split([',', ';']).map(str::trim).filter(|s| !s.is_empty()) {
            let compact: String = part.chars().filter(|c| !c.is_whitespace()).collect();
            let compact = compact.replace(['–', '—'], "-").replace('.', ":");
            match compact.parse::<TimeRange>() {
                Ok(r) => hours_of_mut(&mut hours, day).push(r),
                Err(_) => p.add(
                    &field,
                    format!(
                        "{day_name}: «{part}» non è una fascia oraria come 08:30-12:30 (la chiusura dopo l'apertura)."
                    ),
                ),
            }
        }
    }
    let mut closed_days = Vec::new();
    for (i, line) in lines(d.get("closed_days")).into_iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let (date, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let Some(date) = parse_date(date) else {
            p.add(
                "closed_days",
                format!(
                    "Giorni di chiusura, riga {}: «{date}» non è una data come 08/12/2026.",
                    i + 1
                ),
            );
            continue;
        };
        let reason = reason.trim().trim_start_matches(['-', '–', '—', ':']).trim();
        if reason.chars().count() > 120 {
            p.add(
                "closed_days",
                format!(
                    "Giorni di chiusura, riga {}: il motivo può avere al massimo 120 caratteri.",
                    i + 1
                ),
            );
        }
        closed_days.push(ClosedDay {
            date,
            reason: (!reason.is_empty()).then(|| reason.to_owned()),
        });
    }
    match (code, prefix) {
        (Some(code), Some(prefix)) if p.is_empty() => Ok(ServiceInput {
            code,
            prefix,
            name,
            info,
            documents,
            outcomes,
            target_wait_minutes,
            daily_cap,
            hours,
            closed_days,
            active: d.checked("active"),
        }),
        _ => Err(p),
    }
}

/// A date as typed: `08/12/2026`, `8/12/2026`, `08-12-2026` or `2026-12-08`.
pub(super) fn parse_date(text: &str) -> Option<jiff::civil::Date> {
    if let Ok(d) = text.parse::<jiff::civil::Date>() {
        return Some(d);
    }
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [d, m, y] = parts[..] else { return None };
    let (d, m, y) = (d.parse::<i8>().ok()?, m.parse::<i8>().ok()?, y.parse::<i16>().ok()?);
    if y < 1000 {
        return None;
    }
    jiff::civil::Date::new(y, m, d).ok()
}

/// The Italian words for a problem the engine found with a service's field; `None` keeps its own.
fn italian(field: &str, e: &Error) -> Option<String> {
    let code = e.status_and_code().1;
    let (base, lang_code) = field.split_once('.').unwrap_or((field, ""));
    let in_lang = || lang(lang_code).italian.to_lowercase();
    Some(match base {
        "name" if lang_code == REFERENCE_LANGUAGE => {
            "Scriva il nome del servizio in italiano (fino a 80 caratteri).".into()
        }
        "name" => format!("Il nome in {} può avere da 1 a 80 caratteri.", in_lang()),
        "info" => format!(
            "La scheda informativa in {} può avere al massimo 4000 caratteri.",
            in_lang()
        ),
        "documents" => "Elenchi al massimo 30 documenti da portare, ognuno fino a 200 caratteri.".into(),
        "outcomes" if code == ErrorCode::DuplicateOutcome => {
            "Lo stesso codice di esito compare due volte: ogni esito ha un codice diverso.".into()
        }
        "outcomes" => "Indichi almeno un esito.".into(),
        "target_wait_minutes" => "L'attesa obiettivo va da 1 a 1440 minuti.".into(),
        "daily_cap" => "Il tetto giornaliero va da 1 a 9999 biglietti.".into(),
        "closed_days" if code == ErrorCode::AlreadyExists => {
            "Lo stesso giorno compare due volte tra i giorni di chiusura.".into()
        }
        "closed_days" => "Al massimo 366 giorni di chiusura, ognuno con un motivo fino a 120 caratteri.".into(),
        "code" => "Un altro servizio usa già questo codice: ne scelga un altro.".into(),
        "prefix" => "Un altro servizio usa già questa lettera: ne scelga un'altra.".into(),
        _ => return None,
    })
}

// ----- pages -----

/// What the editing page shows besides the form.
struct View<'a> {
    id: Option<i64>,
    title: String,
    draft: &'a Posted,
    problems: &'a Problems,
    preview_lang: &'a str,
    forms: &'a [Form],
    upload: Option<(&'a str, &'a Problems)>,
    ok: Option<&'a str>,
}

async fn new_page(State(state): State<AppState>, Staff(me): Staff) -> Response {
    let draft = blank_draft();
    let view = View {
        id: None,
        title: "Nuovo servizio".into(),
        draft: &draft,
        problems: &Problems::default(),
        preview_lang: REFERENCE_LANGUAGE,
        forms: &[],
        upload: None,
        ok: None,
    };
    respond(StatusCode::OK, page(&state, &me, &view))
}

/// The stored service and its forms, or the page saying why not.
async fn load(state: &AppState, id: i64) -> Result<(Service, Vec<Form>), Response> {
    let found = state
        .store
        .read(move |c| {
            let service = cfg::get_service(c, id)?.ok_or_else(|| Error::not_found(format!("service {id}")))?;
            let forms = cfg::list_forms(c)?.into_iter().filter(|f| f.service_id == id).collect();
            Ok((service, forms))
        })
        .await;
    found.map_err(error_page)
}

fn title_of(s: &ServiceInput) -> String {
    format!("Servizio {} – {}", s.prefix, s.name.get(REFERENCE_LANGUAGE))
}

async fn edit_page(
    State(state): State<AppState>,
    Staff(me): Staff,
    PageId(id): PageId,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = query_pairs(query);
    let (service, forms) = match load(&state, id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let draft = draft_of(&service.config);
    let preview_lang = query
        .iter()
        .find(|(k, _)| k == "lang")
        .map_or(REFERENCE_LANGUAGE, |(_, v)| lang(v).code);
    let view = View {
        id: Some(id),
        title: title_of(&service.config),
        draft: &draft,
        problems: &Problems::default(),
        preview_lang,
        forms: &forms,
        upload: None,
        ok: ok_of(&query),
    };
    respond(StatusCode::OK, page(&state, &me, &view))
}

/// The language a preview button asked for, if the post is a preview rather than a save.
fn preview_asked(d: &Posted) -> Option<&'static str> {
    let asked = d.get("preview");
    (!asked.is_empty()).then(|| lang(asked).code)
}

async fn create(State(state): State<AppState>, Staff(me): Staff, draft: Posted) -> Response {
    let again = |problems: &Problems, preview_lang: &str, status: StatusCode| {
        let view = View {
            id: None,
            title: "Nuovo servizio".into(),
            draft: &draft,
            problems,
            preview_lang,
            forms: &[],
            upload: None,
            ok: None,
        };
        respond(status, page(&state, &me, &view))
    };
    if let Some(l) = preview_asked(&draft) {
        return again(&Problems::default(), l, StatusCode::OK);
    }
    let input = match parse(&draft, None) {
        Ok(input) => input,
        Err(p) => return again(&p, REFERENCE_LANGUAGE, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let by = me.clone();
    save(
        &state,
        move |ctx| backoffice::create_service(ctx, Some(&by), input),
        italian,
        |p| again(p, REFERENCE_LANGUAGE, StatusCode::UNPROCESSABLE_ENTITY),
        |created| done(&format!("/backoffice/services/{}", created.id), "created"),
    )
    .await
}

async fn update(State(state): State<AppState>, Staff(me): Staff, PageId(id): PageId, draft: Posted) -> Response {
    let (service, forms) = match load(&state, id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let again = |problems: &Problems, preview_lang: &str, status: StatusCode| {
        let view = View {
            id: Some(id),
            title: title_of(&service.config),
            draft: &draft,
            problems,
            preview_lang,
            forms: &forms,
            upload: None,
            ok: None,
        };
        respond(status, page(&state, &me, &view))
    };
    if let Some(l) = preview_asked(&draft) {
        return again(&Problems::default(), l, StatusCode::OK);
    }
    let input = match parse(&draft, Some(&service.config)) {
        Ok(input) => input,
        Err(p) => return again(&p, REFERENCE_LANGUAGE, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let by = me.clone();
    save(
        &state,
        move |ctx| backoffice::update_service(ctx, Some(&by), id, input),
        italian,
        |p| again(p, REFERENCE_LANGUAGE, StatusCode::UNPROCESSABLE_ENTITY),
        |_| done(&format!("/backoffice/services/{id}"), "saved"),
    )
    .await
}

// ----- forms (PDF) -----

async fn upload_form(
    State(state): State<AppState>,
    Staff(me): Staff,
    PageId(id): PageId,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (service, forms) = match load(&state, id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let mut title = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut problems = Problems::default();
    match multipart {
        Ok(mut parts) => loop {
            match parts.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or("").to_owned();
                    let filename = field.file_name().unwrap_or("").to_owned();
                    match (name.as_str(), field.bytes().await) {
                        ("title", Ok(bytes)) => title = String::from_utf8_lossy(&bytes).into_owned(),
                        ("file", Ok(bytes)) => file = Some((filename, bytes.to_vec())),
                        (_, Ok(_)) => {}
                        (_, Err(e)) => {
                            problems.add("file", incomplete(&e));
                            break;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    problems.add("file", incomplete(&e));
                    break;
                }
            }
        },
        Err(_) => problems.add("file", "Scelga il file PDF da caricare."),
    }
    if title.trim().is_empty() {
        problems.add("title", "Scriva il titolo del modulo, come lo leggono i cittadini.");
    }
    let file = file.filter(|(_, data)| !data.is_empty());
    if file.is_none() {
        problems.add("file", "Scelga il file PDF da caricare.");
    }
    let again = |problems: &Problems| {
        let draft = draft_of(&service.config);
        let view = View {
            id: Some(id),
            title: title_of(&service.config),
            draft: &draft,
            problems: &Problems::default(),
            preview_lang: REFERENCE_LANGUAGE,
            forms: &forms,
            upload: Some((&title, problems)),
            ok: None,
        };
        respond(StatusCode::UNPROCESSABLE_ENTITY, page(&state, &me, &view))
    };
    let Some((filename, data)) = file.filter(|_| problems.is_empty()) else {
        return again(&problems);
    };
    let (by, form_title) = (me.clone(), title.clone());
    match state
        .store
        .write(move |ctx| backoffice::add_form(ctx, Some(&by), id, &form_title, &filename, &data))
        .await
    {
        Ok(_) => done(&format!("/backoffice/services/{id}#moduli"), "form-added"),
        Err(e) => {
            let italian = |field: &str, e: &Error| -> Option<String> {
                Some(match (field, e.status_and_code().0) {
                    ("title", _) => "Il titolo del modulo può avere da 1 a 120 caratteri.".into(),
                    ("file", StatusCode::PAYLOAD_TOO_LARGE) => {
                        "Il file supera i 10 MB: carichi un PDF più leggero.".into()
                    }
                    ("file", _) => "Il file non è un documento PDF: carichi il modulo in formato PDF.".into(),
                    _ => return None,
                })
            };
            match engine_problem(e, italian) {
                Ok(p) => again(&p),
                Err(r) => r,
            }
        }
    }
}

/// Why an upload did not arrive whole: too big, or cut off.
fn incomplete(e: &axum::extract::multipart::MultipartError) -> &'static str {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        "Il file supera i 10 MB: carichi un PDF più leggero."
    } else {
        "Il file non è arrivato per intero: la connessione si è interrotta. Riprovi."
    }
}

async fn delete_form(
    State(state): State<AppState>,
    Staff(me): Staff,
    Path((id, form)): Path<(String, String)>,
) -> Response {
    let (id, form) = match (parse_id(&id), parse_id(&form)) {
        (Ok(id), Ok(form)) => (id, form),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let result = state
        .store
        .write(move |ctx| {
            // Only a form of this service, so that a stale page cannot delete another's.
            match cfg::get_form(ctx.conn, form)? {
                Some(f) if f.service_id == id => backoffice::delete_form(ctx, Some(&me), form),
                _ => Err(Error::not_found(format!("form {form}"))),
            }
        })
        .await;
    match result {
        Ok(()) => done(&format!("/backoffice/services/{id}#moduli"), "form-deleted"),
        Err(e) => error_page(e),
    }
}

/// A file's size as people read it: `245 kB`, `1,2 MB`.
fn size_text(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} kB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    }
}

// ----- the page -----

fn page(state: &AppState, me: &turno_shared::api::User, v: &View<'_>) -> maud::Markup {
    let d = v.draft;
    let p = v.problems;
    let action = match v.id {
        Some(id) => format!("/backoffice/services/{id}"),
        None => "/backoffice/services/new".to_owned(),
    };
    let body = html! {
        p.bo-breadcrumb { a href="/backoffice/services" { "Servizi" } " › " (v.title) }
        h1 { (v.title) }
        (flash(v.ok))
        (summary(p))
        div.bo-split {
            div {
                form.bo-form #service-form method="post" action=(action) novalidate {
                    fieldset {
                        legend { "Il servizio" }
                        div.bo-row {
                            (Field { name: "prefix", label: "Lettera", required: true,
                                hint: Some("Da A a Z: A001, A002, …") }
                                .input("text", d.get("prefix"), p))
                            (Field { name: "code", label: "Codice", required: true,
                                hint: Some("Senza spazi, per le esportazioni: anagrafe.") }
                                .input("text", d.get("code"), p))
                        }
                        (checkbox("active", "In uso: i chioschi offrono il servizio", d.checked("active"), p))
                    }
                    (language_fields(d, p, &LANGUAGES[0]))
                    @for l in &LANGUAGES[1..] {
                        @let filled = translated_parts(d, l.code);
                        details.bo-lang open[p.any_under(&format!("name.{}", l.code))
                            || p.any_under(&format!("info.{}", l.code))
                            || p.any_under(&format!("documents.{}", l.code))] {
                            summary {
                                (l.italian) " · " span lang=(l.code) { (l.native) }
                                " — " @if filled.is_empty() { "non tradotto: si mostra l'italiano" } @else { "tradotti: " (filled) }
                            }
                            (language_fields(d, p, l))
                        }
                    }
                    fieldset {
                        legend { "Esiti e attese" }
                        (Field { name: "outcomes", label: "Esiti", required: true,
                            hint: Some("Uno per riga: codice | etichetta che l'operatore sceglie a fine visita. Per esempio: rilasciato | Documento rilasciato") }
                            .textarea(d.get("outcomes"), 5, p, None))
                        div.bo-row {
                            (Field { name: "target_wait_minutes", label: "Attesa obiettivo (minuti)", required: false,
                                hint: Some("Da 1 a 1440; vuoto se non c'è.") }
                                .input("text", d.get("target_wait_minutes"), p))
                            (Field { name: "daily_cap", label: "Tetto giornaliero (biglietti)", required: false,
                                hint: Some("Da 1 a 9999; vuoto se non c'è.") }
                                .input("text", d.get("daily_cap"), p))
                        }
                    }
                    fieldset {
                        legend { "Orari di apertura" }
                        p.bo-hint #hours-hint { "Fasce come 08:30-12:30, separate da una virgola; vuoto se chiuso quel giorno." }
                        div.bo-hours {
                            @for (day, day_name) in DAYS {
                                @let name = format!("hours.{day}");
                                (Field { name: &name, label: day_name, required: false, hint: None }
                                    .input("text", d.get(&name), p))
                            }
                        }
                    }
                    (Field { name: "closed_days", label: "Giorni di chiusura", required: false,
                        hint: Some("Uno per riga: la data e, se vuole, il motivo mostrato ai cittadini. Per esempio: 08/12/2026 Immacolata Concezione") }
                        .textarea(d.get("closed_days"), 4, p, None))
                    div.bo-actions {
                        button.bo-btn.bo-btn-primary type="submit" { "Salva" }
                        button.bo-btn type="submit" name="preview" value=(v.preview_lang) { "Aggiorna l'anteprima" }
                        a href="/backoffice/services" { "Torna ai servizi" }
                    }
                }
                @if let Some(id) = v.id {
                    (forms_section(state, id, v))
                }
            }
            (preview(&state.office.name, d, v))
        }
    };
    layout(state, &v.title, Some(me), Nav::Services, body)
}

/// Which of name, sheet and documents the form holds in `code`: "nome, scheda", or "".
fn translated_parts(d: &Posted, code: &str) -> String {
    let parts: Vec<&str> = [("name", "nome"), ("info", "scheda"), ("documents", "documenti")]
        .into_iter()
        .filter(|(base, _)| !d.get(&format!("{base}.{code}")).trim().is_empty())
        .map(|(_, word)| word)
        .collect();
    parts.join(", ")
}

/// The name, sheet and documents of one language.
fn language_fields(d: &Posted, p: &Problems, l: &Lang) -> Markup {
    let it = l.code == REFERENCE_LANGUAGE;
    let name = format!("name.{}", l.code);
    let info = format!("info.{}", l.code);
    let docs = format!("documents.{}", l.code);
    let (name_label, info_label, docs_label) = if it {
        (
            "Nome".to_owned(),
            "Scheda informativa".to_owned(),
            "Documenti da portare".to_owned(),
        )
    } else {
        let x = l.italian.to_lowercase();
        (
            format!("Nome in {x}"),
            format!("Scheda informativa in {x}"),
            format!("Documenti da portare in {x}"),
        )
    };
    html! {
        fieldset lang="it" {
            legend { (l.italian) }
            (Field { name: &name, label: &name_label, required: it, hint: None }
                .input_lang("text", d.get(&name), p, Some(l.code)))
            (Field { name: &info, label: &info_label, required: false,
                hint: Some("Fino a 4000 caratteri. Una riga vuota separa i paragrafi.") }
                .textarea(d.get(&info), 6, p, Some(l.code)))
            (Field { name: &docs, label: &docs_label, required: false,
                hint: Some(if it { "Uno per riga." } else { "Uno per riga, nello stesso ordine dell'italiano; una riga vuota mostra l'italiano." }) }
                .textarea(d.get(&docs), 4, p, Some(l.code)))
        }
    }
}

/// The forms attached to the service, and the upload.
fn forms_section(state: &AppState, id: i64, v: &View<'_>) -> Markup {
    let empty = Problems::default();
    let (title, problems) = v.upload.unwrap_or(("", &empty));
    html! {
        section.bo-panel #moduli aria-labelledby="moduli-title" {
            h2 #moduli-title { "Moduli (PDF)" }
            p.bo-hint { "I cittadini li scaricano dalla pagina del biglietto mentre attendono." }
            @if v.forms.is_empty() {
                p { "Nessun modulo." }
            } @else {
                div.bo-table-wrap {
                    table {
                        caption { "Moduli del servizio" }
                        thead { tr {
                            th scope="col" { "Titolo" }
                            th scope="col" { "File" }
                            th.num scope="col" { "Dimensione" }
                            th scope="col" { "Caricato" }
                            th scope="col" { span.bo-sr { "Azioni" } }
                        } }
                        tbody {
                            @for f in v.forms {
                                tr {
                                    td { a href=(f.path) download=(f.filename) { (f.title) } }
                                    td { (f.filename) }
                                    td.num { (size_text(f.size)) }
                                    td { (local_time(state, f.uploaded_at)) }
                                    td {
                                        form method="post" action={ "/backoffice/services/" (id) "/forms/" (f.id) "/delete" } {
                                            button.bo-btn.bo-btn-danger.bo-btn-small type="submit" {
                                                "Elimina" span.bo-sr { " " (f.title) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Carica un modulo" }
            (summary(problems))
            form.bo-form method="post" action={ "/backoffice/services/" (id) "/forms" } enctype="multipart/form-data" novalidate {
                (Field { name: "title", label: "Titolo del modulo", required: true,
                    hint: Some("Come lo leggono i cittadini: per esempio Modulo di cambio di residenza.") }
                    .input("text", title, problems))
                (Field { name: "file", label: "File PDF", required: true, hint: Some("Un documento PDF di al massimo 10 MB.") }
                    .input("file", "", problems))
                div { button.bo-btn.bo-btn-primary type="submit" { "Carica" } }
            }
        }
    }
}

/// The sheet as the kiosk's information screen and the ticket page show it, in `v.preview_lang`:
/// each text in that language, else in Italian, as `Localized::get` and the page's script pick it.
fn preview(office: &str, d: &Posted, v: &View<'_>) -> Markup {
    let l = lang(v.preview_lang);
    let name = localized(d, "name");
    let info = localized(d, "info");
    let docs = documents(d, &mut Problems::default());
    let name = name.get(l.code);
    let info_text = info.get(l.code);
    let doc_texts: Vec<&str> = docs
        .iter()
        .map(|doc| doc.get(l.code))
        .filter(|t| !t.is_empty())
        .collect();
    let paragraphs: Vec<String> = paragraphs(info_text);
    let translated = l.code == REFERENCE_LANGUAGE || info.0.contains_key(l.code) || info.0.is_empty();
    let dir = if l.code == "ar" { "rtl" } else { "ltr" };
    html! {
        aside.bo-preview-col aria-labelledby="anteprima" {
            h2 #anteprima { "Anteprima" }
            p.bo-hint { "Come il chiosco e la pagina del biglietto mostrano la scheda, con i valori del modulo. "
                "Dopo una modifica, «Aggiorna l'anteprima» la mostra senza salvare." }
            nav.bo-langs aria-label="Lingua dell'anteprima" {
                ul {
                    @for x in LANGUAGES {
                        li {
                            button.bo-btn.bo-btn-small type="submit" form="service-form" name="preview" value=(x.code)
                                lang=(x.code) aria-pressed=(if x.code == l.code { "true" } else { "false" }) { (x.native) }
                        }
                    }
                }
            }
            @if !translated {
                p.bo-alert.bo-alert-warn { "La scheda non è tradotta in " (l.italian.to_lowercase()) ": chiosco e pagina del biglietto mostrano l'italiano." }
            }
            h3 { "Chiosco" }
            div.bo-preview.bo-kiosk lang=(l.code) dir=(dir) {
                p.bo-kiosk-header { (office) }
                p.bo-kiosk-title { (name) }
                div.bo-kiosk-body {
                    p.bo-kiosk-info { (info_text) }
                    div.bo-kiosk-docs {
                        p.bo-kiosk-docs-title { (l.documents) }
                        @if doc_texts.is_empty() {
                            p { (l.no_documents) }
                        } @else {
                            ul { @for t in &doc_texts { li { (t) } } }
                        }
                    }
                }
                p.bo-kiosk-button aria-hidden="true" { (l.take_number) }
            }
            h3 { "Pagina del biglietto" }
            div.bo-preview.bo-ticketpage lang=(l.code) dir=(dir) {
                @if paragraphs.is_empty() && doc_texts.is_empty() && v.forms.is_empty() {
                    p.bo-muted lang="it" dir="ltr" { "La pagina del biglietto non mostra la scheda: è vuota." }
                } @else {
                    p.bo-ticketpage-title { (l.sheet) }
                    @for para in &paragraphs { p { (para) } }
                    @if !doc_texts.is_empty() {
                        p.bo-ticketpage-sub { (l.documents) }
                        ul { @for t in &doc_texts { li { (t) } } }
                    }
                    @if !v.forms.is_empty() {
                        p.bo-ticketpage-sub { (l.forms) }
                        ul { @for f in v.forms { li { a href=(f.path) download=(f.filename) { (f.title) } } } }
                    }
                }
            }
        }
    }
}

/// The paragraphs of a sheet as the ticket page splits them: at each blank line, each trimmed.
fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n").trim().to_owned());
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n").trim().to_owned());
    }
    out.retain(|p| !p.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn a_stored_service_reads_back_from_its_form_unchanged() {
        let input = ServiceInput {
            code: "anagrafe".parse().unwrap(),
            prefix: ServicePrefix::new('A').unwrap(),
            name: Localized::it("Anagrafe").with("en", "Registry"),
            info: Localized::it("Primo paragrafo.\n\nSecondo.").with("ar", "نص"),
            documents: vec![
                Localized::it("Carta d'identità").with("en", "Identity card"),
                Localized::it("Codice fiscale"),
            ],
            outcomes: vec![Outcome {
                code: "fatto".parse().unwrap(),
                label: Localized::it("Fatto").with("en", "Done"),
            }],
            target_wait_minutes: Some(20),
            daily_cap: None,
            hours: WeeklyHours {
                mon: vec!["08:30-12:30".parse().unwrap(), "14:30-16:30".parse().unwrap()],
                ..WeeklyHours::default()
            },
            closed_days: vec![ClosedDay {
                date: jiff::civil::date(2026, 12, 8),
                reason: Some("Immacolata".into()),
            }],
            active: true,
        };
        let back = parse(&draft_of(&input), Some(&input)).unwrap_or_else(|p| panic!("{:?}", p.0));
        assert_eq!(back, input);
    }

    #[test]
    fn each_problem_is_told_at_its_field() {
        let problems = parse(
            &posted(&[
                ("code", "Ana grafe"),
                ("prefix", "AB"),
                ("name.it", "  "),
                ("documents.en", "\nIdentity card"),
                ("outcomes", "fatto"),
                ("target_wait_minutes", "0"),
                ("hours.tue", "12:30-08:30"),
                ("closed_days", "31/02/2026 mai"),
            ]),
            None,
        )
        .expect_err("refused");
        for field in [
            "code",
            "prefix",
            "name.it",
            "documents.en",
            "outcomes",
            "target_wait_minutes",
            "hours.tue",
            "closed_days",
        ] {
            assert!(problems.get(field).is_some(), "{field}: {:?}", problems.0);
        }
        assert!(problems.get("daily_cap").is_none());
    }

    /// The words around the preview are the kiosk's (its translations) and the ticket page's (its
    /// script): a change there without one here fails this test.
    #[test]
    fn the_previews_words_are_the_kiosks_and_the_ticket_pages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let script = std::fs::read_to_string(root.join("src/pages/assets/ticket.js")).unwrap();
        for l in LANGUAGES {
            let words = format!(
                "info: '{}', documents: '{}', forms: '{}'",
                l.sheet, l.documents, l.forms
            );
            assert!(script.contains(&words), "ticket.js in {}: {words}", l.code);
            if l.code == REFERENCE_LANGUAGE {
                assert_eq!(
                    (l.documents, l.no_documents, l.take_number),
                    (
                        "Documenti da portare",
                        "Nessun documento richiesto.",
                        "Prendi il numero"
                    )
                );
                continue;
            }
            let po =
                std::fs::read_to_string(root.join(format!("../ui/translations/{}/LC_MESSAGES/turno-ui.po", l.code)))
                    .unwrap();
            let translated = |msgid: &str| -> String {
                let at = po
                    .find(&format!("msgid \"{msgid}\"\nmsgstr \""))
                    .unwrap_or_else(|| panic!("{}: no {msgid}", l.code));
                let rest = &po[at + msgid.len() + 17..];
                rest[..rest.find("\"\n").unwrap()].to_owned()
            };
            assert_eq!(translated("Documenti da portare"), l.documents, "{}", l.code);
            assert_eq!(translated("Nessun documento richiesto."), l.no_documents, "{}", l.code);
            assert_eq!(translated("Prendi il numero"), l.take_number, "{}", l.code);
        }
    }

    #[test]
    fn dates_are_read_as_italians_write_them() {
        assert_eq!(parse_date("8/12/2026"), Some(jiff::civil::date(2026, 12, 8)));
        assert_eq!(parse_date("2026-12-08"), Some(jiff::civil::date(2026, 12, 8)));
        assert_eq!(parse_date("08-12-26"), None);
        assert_eq!(parse_date("domani"), None);
    }

    #[test]
    fn paragraphs_split_at_blank_lines() {
        assert_eq!(paragraphs("a\nb\n\n  \nc\n"), vec!["a\nb".to_owned(), "c".to_owned()]);
        assert!(paragraphs(" \n").is_empty());
    }
}
