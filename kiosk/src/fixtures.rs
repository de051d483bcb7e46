//! A made-up office and the way to every screen (feature `test-support`): the screenshots and the
//! accessibility test visit each screen by feeding the controller, with no server. The benchmarks
//! and examples print [`ticket_print`], the kiosk's own ticket for [`issued`].

use turno_shared::api::{ErrorCode, IssuedTicket, Localized, OfficeView, ServiceView, TicketView, WaitRange};
use turno_shared::domain::{Priority, Rating, TicketState};

use crate::controller::{Failure, Input};
use crate::kiosk::{self, TicketSettings};
use crate::lang::Language;
use crate::printer::{PaperWidth, TicketPrint};

/// The base of the QR codes' links of [`ticket_print`].
pub const PUBLIC_URL: &str = "http://kiosk.test";

fn service(id: i64, prefix: char, it: &str, en: &str, waiting: u32, wait: Option<u32>) -> ServiceView {
    ServiceView {
        id,
        code: format!("service_{}", prefix.to_ascii_lowercase())
            .parse()
            .expect("a code"),
        prefix: turno_shared::domain::ServicePrefix::new(prefix).expect("a prefix"),
        name: Localized::it(it).with("en", en),
        info: Localized::it(
            "Rilascio della carta d'identità elettronica (CIE), certificati anagrafici, cambi di residenza e di \
             indirizzo. La CIE viene spedita a casa entro 6 giorni lavorativi. Il costo della CIE è di € 22,21, \
             pagabile con carta o bancomat allo sportello.",
        )
        .with(
            "en",
            "Electronic identity cards (CIE), registry certificates, changes of residence and address. The card \
             is posted home within 6 working days. It costs € 22.21, paid by card at the counter.",
        ),
        documents: vec![
            Localized::it("Carta d'identità scaduta o denuncia di smarrimento/furto").with(
                "en",
                "The expired identity card, or the police report of its loss or theft",
            ),
            Localized::it("Una fototessera recente, a colori, su sfondo bianco")
                .with("en", "A recent colour passport photo on a white background"),
            Localized::it("Tessera sanitaria (codice fiscale)").with("en", "Health card (tax code)"),
            Localized::it("Per i minori: presenza di entrambi i genitori")
                .with("en", "For minors: both parents must be present"),
        ],
        outcomes: Vec::new(),
        forms: Vec::new(),
        target_wait_minutes: Some(20),
        open: true,
        full: false,
        waiting,
        estimated_wait_minutes: wait,
        estimated_wait_range: None,
        hours_today: Vec::new(),
    }
}

/// An office like the demo's: six services, one full and one closed.
pub fn office() -> OfficeView {
    let mut services = vec![
        service(
            1,
            'A',
            "Anagrafe – Carta d'identità",
            "Registry office – Identity card",
            7,
            Some(20),
        ),
        service(2, 'B', "Stato civile", "Civil status", 2, Some(10)),
        service(
            3,
            'C',
            "Tributi – IMU e TARI",
            "Local taxes – IMU and TARI",
            4,
            Some(15),
        ),
        service(4, 'D', "Servizi sociali", "Social services", 0, None),
        service(5, 'E', "Protocollo", "Records office", 0, Some(0)),
        service(
            6,
            'F',
            "URP – Relazioni con il pubblico",
            "Public relations office",
            3,
            Some(8),
        ),
    ];
    // One service translated into Arabic: on an Arabic screen its name reads right to left, the others' English
    // names left to right.
    services[1].name = services[1].name.clone().with("ar", "الأحوال المدنية");
    // The waits of two services as ranges (the actual wait fell in them for about 80% of tickets); the
    // others as an estimate alone, or none.
    services[0].estimated_wait_range = Some(WAIT_RANGE);
    services[2].estimated_wait_range = Some(WaitRange {
        low_minutes: 10,
        high_minutes: 20,
    });
    services[3].full = true;
    services[4].open = false;
    OfficeView {
        name: "Comune di Valverde".into(),
        office_day: "2026-11-26".into(),
        now: "2026-11-26T09:41:00Z".parse().expect("a timestamp"),
        open: true,
        services,
        notices: Vec::new(),
    }
}

/// The range of the wait of the first service and of [`issued`]: 15 to 25 minutes.
pub const WAIT_RANGE: WaitRange = WaitRange {
    low_minutes: 15,
    high_minutes: 25,
};

/// The secret token of the ticket of [`issued`].
pub const TOKEN: &str = "3f9c2a7e51b84d06a1e9c5f27d3b8046";
/// The rating code of the ticket of [`issued`], as printed.
pub const RATING_CODE: &str = "A008-7M3KX";

/// The keypad presses that type `code` (its letters and digits, without the dash).
pub fn typed(code: &str) -> Vec<Input> {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(Input::Keypad)
        .collect()
}

/// A ticket issued for the first service.
pub fn issued() -> IssuedTicket {
    IssuedTicket {
        ticket: TicketView {
            id: 8,
            number: "A008".parse().expect("a number"),
            service_id: 1,
            priority: Priority::Normal,
            state: TicketState::Waiting,
            office_day: "2026-11-26".into(),
            issued_at: "2026-11-26T09:41:00Z".parse().expect("a timestamp"),
            called_at: None,
            started_at: None,
            language: None,
            transferred_from: None,
            counter_id: None,
            target_counter_id: None,
            outcome: None,
        },
        token: TOKEN.into(),
        status_path: format!("/t/{TOKEN}"),
        rating_code: RATING_CODE.parse().expect("a rating code"),
        people_ahead: 7,
        estimated_wait_minutes: Some(20),
        estimated_wait_range: Some(WAIT_RANGE),
    }
}

/// The ticket the kiosk prints for [`issued`] (the first service of [`office`]) in `language`, on
/// `paper`: built by the kiosk's own [`kiosk::ticket_print`] with its words read from `window` after
/// selecting `language`'s translation (which stays selected). Benchmarks and examples print this,
/// never a ticket of their own making.
pub fn ticket_print(window: &turno_ui::KioskWindow, language: Language, paper: PaperWidth) -> TicketPrint {
    if let Err(e) = slint::select_bundled_translation(language.bundle_name()) {
        tracing::warn!(%language, error = %e, "no translation for this language");
    }
    let office = office();
    let settings = TicketSettings {
        public_url: PUBLIC_URL.to_owned(),
        paper,
    };
    kiosk::ticket_print(
        window,
        &office.name,
        &settings,
        &issued(),
        &office.services[0],
        language,
    )
}

/// Every screen by name, with the inputs that lead there from a fresh kiosk with [`office`] loaded.
pub fn screens() -> Vec<(&'static str, Vec<Input>)> {
    let to_info = vec![Input::TakeNumber, Input::OpenService(1)];
    let with = |base: &[Input], more: Vec<Input>| base.iter().cloned().chain(more).collect::<Vec<_>>();
    let to_code = vec![Input::RateVisit];
    let to_faces = with(
        &to_code,
        typed(RATING_CODE).into_iter().chain([Input::SubmitCode]).collect(),
    );
    vec![
        ("welcome", vec![]),
        ("services", vec![Input::TakeNumber]),
        ("info", to_info.clone()),
        ("priority", with(&to_info, vec![Input::GetTicket])),
        (
            "ticket",
            with(
                &to_info,
                vec![
                    Input::GetTicket,
                    Input::ChoosePriority(false),
                    Input::Issued(Ok(Box::new(issued()))),
                    Input::Printed { ticket_id: 8, ok: true },
                ],
            ),
        ),
        (
            "ticket-not-printed",
            with(
                &to_info,
                vec![
                    Input::GetTicket,
                    Input::ChoosePriority(false),
                    Input::Issued(Ok(Box::new(issued()))),
                    Input::Printed {
                        ticket_id: 8,
                        ok: false,
                    },
                ],
            ),
        ),
        ("rate-code", with(&to_code, typed("A0087M"))),
        ("rate-code-complete", with(&to_code, typed(RATING_CODE))),
        ("rate-faces", to_faces.clone()),
        ("rate-reason", with(&to_faces, vec![Input::Rate(Rating::Bad)])),
        (
            "rate-thanks",
            with(&to_faces, vec![Input::Rate(Rating::Good), Input::Rated(Ok(()))]),
        ),
        (
            "rate-refused",
            with(
                &to_faces,
                vec![
                    Input::Rate(Rating::Good),
                    Input::Rated(Err(Failure::Refused(ErrorCode::NotRateable))),
                ],
            ),
        ),
        (
            "rate-too-many-attempts",
            with(
                &to_faces,
                vec![
                    Input::Rate(Rating::Good),
                    Input::Rated(Err(Failure::Refused(ErrorCode::TooManyAttempts))),
                ],
            ),
        ),
        ("service-closed", vec![Input::TakeNumber, Input::OpenService(5)]),
        ("service-full", vec![Input::TakeNumber, Input::OpenService(4)]),
        ("unreachable", vec![Input::OfficeLoaded(Err(Failure::Unreachable))]),
        (
            "not-authorised",
            with(
                &to_info,
                vec![
                    Input::GetTicket,
                    Input::ChoosePriority(false),
                    Input::Issued(Err(Failure::Refused(ErrorCode::Unauthenticated))),
                ],
            ),
        ),
    ]
}
