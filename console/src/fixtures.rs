//! A small office as the server would describe it (services with their outcomes and sheets, counters, a
//! clerk, a ticket at the counter, the panel), for screenshots and tests that run without a server.

use jiff::{SignedDuration, Timestamp};
use turno_shared::api::{
    ClerkDay, Counter, CounterInput, CounterPanel, CounterStatus, Localized, LoginResponse, OfficeView, Outcome, Pause,
    PrinterAlert, PrinterStatus, ServiceQueue, ServiceView, TicketView, TransferredFrom, User,
};
use turno_shared::domain::{PauseReason, Priority, Role, TicketState};

use crate::controller::{Act, Acted, Input};

/// The fixed moment screenshots show: Thursday 26 November 2026, 09:41 in Rome.
pub fn now() -> Timestamp {
    "2026-11-26T08:41:00Z".parse().expect("a valid timestamp")
}

fn minutes_ago(m: i64) -> Timestamp {
    now() - SignedDuration::from_mins(m)
}

fn outcome(code: &str, it: &str) -> Outcome {
    Outcome {
        code: code.parse().expect("a valid code"),
        label: Localized::it(it),
    }
}

fn service(id: i64, prefix: char, name: &str, info: &str, documents: &[&str], outcomes: Vec<Outcome>) -> ServiceView {
    ServiceView {
        id,
        code: format!("s{id}").parse().expect("a valid code"),
        prefix: turno_shared::domain::ServicePrefix::new(prefix).expect("a letter"),
        name: Localized::it(name),
        info: Localized::it(info),
        documents: documents.iter().map(|d| Localized::it(*d)).collect(),
        outcomes,
        forms: Vec::new(),
        target_wait_minutes: Some(20),
        open: true,
        full: false,
        waiting: 3,
        estimated_wait_minutes: Some(12),
        estimated_wait_range: None,
        hours_today: Vec::new(),
    }
}

pub fn office() -> OfficeView {
    OfficeView {
        name: "Comune di Valverde".into(),
        office_day: "2026-11-26".into(),
        now: now(),
        open: true,
        services: vec![
            service(
                1,
                'A',
                "Anagrafe – Carta d'identità",
                "Rilascio della carta d'identità elettronica (CIE), certificati anagrafici, cambi di residenza \
                 e di indirizzo. La CIE viene spedita a casa entro 6 giorni lavorativi. Il costo della CIE è di \
                 € 22,21, pagabile con carta o bancomat allo sportello.",
                &[
                    "Carta d'identità scaduta o denuncia di smarrimento/furto",
                    "Una fototessera recente, a colori, su sfondo bianco",
                    "Tessera sanitaria (codice fiscale)",
                ],
                vec![
                    outcome("cie_richiesta", "CIE richiesta"),
                    outcome("certificato", "Certificato rilasciato"),
                    outcome("residenza", "Cambio di residenza avviato"),
                    outcome("incompleta", "Documentazione incompleta"),
                    outcome("informazioni", "Solo informazioni"),
                ],
            ),
            service(
                2,
                'B',
                "Stato civile",
                "Denunce di nascita, matrimoni e unioni civili, estratti e certificati di stato civile.",
                &["Documento di identità valido"],
                vec![
                    outcome("atto", "Atto redatto"),
                    outcome("certificato", "Certificato rilasciato"),
                    outcome("informazioni", "Solo informazioni"),
                ],
            ),
            service(
                3,
                'C',
                "Tributi – IMU e TARI",
                "Informazioni e calcolo di IMU e TARI, dichiarazioni, rateizzazioni e rimborsi.",
                &["Documento di identità valido", "Avviso di pagamento ricevuto"],
                vec![
                    outcome("calcolo", "Calcolo effettuato"),
                    outcome("informazioni", "Solo informazioni"),
                ],
            ),
            service(
                4,
                'F',
                "URP – Relazioni con il pubblico",
                "Informazioni su uffici e servizi del Comune, accesso agli atti, segnalazioni e reclami.",
                &[],
                vec![
                    outcome("informazioni", "Informazioni fornite"),
                    outcome("segnalazione", "Segnalazione registrata"),
                ],
            ),
        ],
        notices: Vec::new(),
    }
}

fn counter(id: i64, name: &str, services: &[i64]) -> Counter {
    Counter {
        id,
        config: CounterInput {
            name: name.into(),
            services: services.to_vec(),
            active: true,
        },
    }
}

pub fn counters() -> Vec<Counter> {
    vec![
        counter(1, "Sportello 1", &[1, 2]),
        counter(2, "Sportello 2", &[1, 4]),
        counter(3, "Sportello 3", &[3]),
        counter(4, "Sportello 4", &[4, 1]),
    ]
}

pub fn clerk() -> User {
    User {
        id: 2,
        username: "mrossi".parse().expect("a valid code"),
        display_name: "Maria Rossi".into(),
        role: Role::Clerk,
        active: true,
    }
}

pub fn login() -> LoginResponse {
    LoginResponse {
        token: "fixture".into(),
        expires_at: now() + SignedDuration::from_hours(12),
        user: clerk(),
    }
}

/// A ticket called to Sportello 1 four minutes ago, after waiting 14 minutes: transferred from Tributi,
/// with priority, in English.
pub fn ticket() -> TicketView {
    TicketView {
        id: 12,
        number: "A012".parse().expect("a valid number"),
        service_id: 1,
        priority: Priority::Priority,
        state: TicketState::Called,
        office_day: "2026-11-26".into(),
        issued_at: minutes_ago(18),
        called_at: Some(minutes_ago(4)),
        started_at: None,
        language: Some("en".into()),
        transferred_from: Some(TransferredFrom {
            service_id: 3,
            counter_id: Some(3),
        }),
        counter_id: Some(1),
        target_counter_id: None,
        outcome: None,
    }
}

pub fn status(current: Option<TicketView>, paused: bool) -> CounterStatus {
    CounterStatus {
        counter: counter(1, "Sportello 1", &[1, 2]),
        clerk: Some(clerk()),
        paused: paused.then(|| Pause {
            reason: PauseReason::Break,
            note: Some("Pranzo".into()),
            since: minutes_ago(9),
        }),
        current,
        waiting: 7,
    }
}

pub fn panel() -> CounterPanel {
    CounterPanel {
        counter_id: 1,
        queues: vec![
            ServiceQueue {
                service_id: 1,
                waiting: 5,
                priority_waiting: 1,
                oldest_since: Some(minutes_ago(26)),
                target_wait_minutes: Some(20),
                over_target: true,
                estimated_wait_minutes: Some(18),
                estimated_wait_range: None,
            },
            ServiceQueue {
                service_id: 2,
                waiting: 2,
                priority_waiting: 0,
                oldest_since: Some(minutes_ago(7)),
                target_wait_minutes: Some(30),
                over_target: false,
                estimated_wait_minutes: Some(9),
                estimated_wait_range: None,
            },
        ],
        transferred_here: 1,
        day: ClerkDay {
            served: 23,
            no_shows: 2,
            walk_ins: 3,
            mean_service_secs: Some(412),
            paused_secs: 1800,
        },
    }
}

pub fn printer_alert() -> PrinterAlert {
    PrinterAlert {
        device_id: 1,
        device_name: "Totem ingresso".into(),
        status: PrinterStatus::PaperOut,
        message: None,
        at: minutes_ago(2),
    }
}

/// The inputs that bring a new console to its work screen at Sportello 1, with the panel loaded.
pub fn signed_in() -> Vec<Input> {
    vec![
        Input::SignedIn(Ok(Box::new(login()))),
        Input::Connected(true),
        Input::CountersLoaded(Ok(counters())),
        Input::OfficeLoaded(Ok(Box::new(office()))),
        Input::CounterOpened(Ok(Box::new(status(None, false)))),
        Input::PanelLoaded(Ok(Box::new(panel()))),
        Input::StatusLoaded(Ok(Box::new(status(None, false)))),
        Input::AlertsLoaded(Ok(Vec::new())),
    ]
}

/// The answer to a call that brought [`ticket`] to the counter.
pub fn called() -> Input {
    Input::Acted(Box::new(Act::CallNext), Ok(Acted::Ticket(Some(Box::new(ticket())))))
}
