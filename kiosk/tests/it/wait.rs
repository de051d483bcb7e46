//! The estimated wait on the kiosk's screens and printed ticket: the range the wait falls in for
//! about 80% of tickets where the server sends one ("tra 15 e 25 minuti", "15–25 min"), the estimate
//! alone otherwise, and no number at all when no counter serves the service.

use turno_kiosk::controller::{Input, Screen};
use turno_kiosk::fixtures;
use turno_kiosk::kiosk::{self, TicketSettings};
use turno_kiosk::lang::Language;
use turno_kiosk::printer::{PaperWidth, decode, encode_ticket};
use turno_shared::api::{IssuedTicket, OfficeView, WaitRange};
use turno_ui::KioskWindow;

use crate::layout::screen;
use crate::support::Ui;

const RANGE: WaitRange = WaitRange {
    low_minutes: 15,
    high_minutes: 25,
};

/// The fixtures' office with the first service's wait set to `minutes` and `range`.
fn office_with(minutes: Option<u32>, range: Option<WaitRange>) -> OfficeView {
    let mut office = fixtures::office();
    office.services[0].estimated_wait_minutes = minutes;
    office.services[0].estimated_wait_range = range;
    office
}

/// The fixtures' issued ticket with its wait set to `minutes` and `range`.
fn issued_with(minutes: Option<u32>, range: Option<WaitRange>) -> IssuedTicket {
    IssuedTicket {
        estimated_wait_minutes: minutes,
        estimated_wait_range: range,
        ..fixtures::issued()
    }
}

/// The Italian screens of a kiosk showing `office`: the service tiles, the first service's sheet and
/// the ticket screen for `issued`.
fn screens(office: OfficeView, issued: IssuedTicket) -> [Ui; 3] {
    let loaded = Input::OfficeLoaded(Ok(office));
    let to_info = [loaded.clone(), Input::TakeNumber, Input::OpenService(1)];
    let tiles = screen(1080., 1920., Language::Italian, &[loaded, Input::TakeNumber]);
    assert_eq!(tiles.view().screen, Screen::Services);
    let sheet = screen(1080., 1920., Language::Italian, &to_info);
    assert_eq!(sheet.view().screen, Screen::Info);
    let mut to_ticket = to_info.to_vec();
    to_ticket.extend([
        Input::GetTicket,
        Input::ChoosePriority(false),
        Input::Issued(Ok(Box::new(issued))),
        Input::Printed { ticket_id: 8, ok: true },
    ]);
    let ticket = screen(1080., 1920., Language::Italian, &to_ticket);
    assert_eq!(ticket.view().screen, Screen::Ticket);
    [tiles, sheet, ticket]
}

#[test]
fn the_screens_show_the_range_where_there_is_one() {
    crate::support::init_slint();
    let [tiles, sheet, ticket] = screens(office_with(Some(20), Some(RANGE)), issued_with(Some(20), Some(RANGE)));
    assert!(tiles.shows("Attesa: 15–25 min"), "the tile of the first service");
    assert!(tiles.shows("Attesa: 10–20 min"), "the tile of the third service");
    assert!(
        tiles.shows("Attesa: circa 10 min"),
        "a service without a range: its estimate"
    );
    assert!(!tiles.shows("Attesa: circa 20 min"), "the range, not the estimate");
    assert!(sheet.shows("Attesa: tra 15 e 25 minuti"));
    assert!(ticket.shows("Attesa: tra 15 e 25 minuti"));
}

#[test]
fn without_a_range_the_screens_show_the_estimate() {
    crate::support::init_slint();
    let [tiles, sheet, ticket] = screens(office_with(Some(20), None), issued_with(Some(20), None));
    assert!(tiles.shows("Attesa: circa 20 min"));
    assert!(sheet.shows("Attesa: circa 20 minuti"));
    assert!(ticket.shows("Attesa: circa 20 minuti"));

    // A range within a minute reads as "about a minute", as on the ticket's page.
    let short = WaitRange {
        low_minutes: 0,
        high_minutes: 1,
    };
    let [tiles, sheet, ticket] = screens(office_with(Some(0), Some(short)), issued_with(Some(1), Some(short)));
    assert!(tiles.shows("Attesa: circa 0 min"));
    assert!(sheet.shows("Attesa: circa 1 minuto"));
    assert!(ticket.shows("Attesa: circa 1 minuto"));
}

#[test]
fn with_no_counter_the_screens_show_no_number() {
    crate::support::init_slint();
    // A range without an estimate (no counter serves the service) is not shown.
    let [tiles, sheet, ticket] = screens(office_with(None, Some(RANGE)), issued_with(None, Some(RANGE)));
    assert!(tiles.shows("Attesa: non stimabile"));
    assert!(!tiles.shows("Attesa: 15–25 min"));
    assert!(sheet.shows("Attesa: al momento non stimabile"));
    assert!(ticket.shows("Attesa: al momento non stimabile"));
}

/// The wait line of the ticket the kiosk prints for `issued` in `language`, decoded from its bytes.
fn printed_wait(window: &KioskWindow, language: Language, issued: &IssuedTicket) -> String {
    slint::select_bundled_translation(language.bundle_name()).unwrap();
    let office = fixtures::office();
    let settings = TicketSettings {
        public_url: fixtures::PUBLIC_URL.to_owned(),
        paper: PaperWidth::Mm80,
    };
    let print = kiosk::ticket_print(window, &office.name, &settings, issued, &office.services[0], language);
    let printout = decode(&encode_ticket(&print));
    let lines: Vec<String> = printout
        .lines()
        .map(|line| line.text.clone())
        .filter(|text| text.starts_with(&print.labels.estimated_wait))
        .collect();
    assert_eq!(lines.len(), 1, "one wait line: {printout}");
    lines[0].clone()
}

#[test]
fn the_printed_ticket_says_the_range_or_the_estimate() {
    crate::support::init_slint();
    let window = KioskWindow::new().unwrap();
    let italian = |issued: &IssuedTicket| printed_wait(&window, Language::Italian, issued);
    // The en dash prints as "-": PC858 has none.
    assert_eq!(italian(&fixtures::issued()), "Attesa stimata: 15-25 min");
    assert_eq!(italian(&issued_with(Some(20), None)), "Attesa stimata: 20 min");
    assert_eq!(
        italian(&issued_with(None, Some(RANGE))),
        "Attesa stimata: non stimabile"
    );
    let short = WaitRange {
        low_minutes: 0,
        high_minutes: 1,
    };
    assert_eq!(italian(&issued_with(Some(1), Some(short))), "Attesa stimata: 1 min");
    assert_eq!(
        printed_wait(&window, Language::English, &fixtures::issued()),
        "Estimated wait: 15-25 min"
    );
    slint::select_bundled_translation(Language::Italian.bundle_name()).unwrap();
}
