//! Rating a visit at the kiosk: the number typed on the keypad or the ticket's code scanned (typed
//! into the window, then Enter), three faces, a reason after a bad one, thanks; and a clear message
//! for each ticket that cannot be rated.

use turno_kiosk::controller::{Refusal, Screen};
use turno_kiosk::printer::FakePrinter;
use turno_shared::api::IssueRequest;
use turno_shared::domain::Priority;

use crate::support::{Office, Ui, runtime};

/// Issues a ticket for service 5 (Protocollo) at the kiosk's API; returns its id, number and token.
fn issue(rt: &tokio::runtime::Runtime, office: &Office) -> (i64, String, String) {
    let issued = rt
        .block_on(office.kiosk_client().issue_ticket(&IssueRequest {
            service_id: 5,
            priority: Priority::Normal,
            language: None,
        }))
        .unwrap();
    (issued.ticket.id, issued.ticket.number.to_string(), issued.token)
}

fn type_on_keypad(ui: &Ui, code: &str) {
    for key in code.chars() {
        ui.tap(&key.to_string());
    }
    ui.tap("Avanti");
}

#[test]
fn a_finished_visit_is_rated_once_with_a_typed_or_scanned_code() {
    let rt = runtime();
    let office = Office::start(&rt);
    let printer = FakePrinter::start().unwrap();
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);
    ui.wait("the office", |ui| !ui.view().services.is_empty());

    let (first, first_number, _) = issue(&rt, &office);
    let (second, _, second_token) = issue(&rt, &office);
    let (_, waiting_number, _) = issue(&rt, &office);
    let clerk = office.user(&rt, "gverdi");
    rt.block_on(clerk.open_counter(3)).unwrap();
    for id in [first, second] {
        let called = rt.block_on(clerk.call_next(3)).unwrap().unwrap();
        assert_eq!(called.id, id);
        rt.block_on(clerk.finish(id, "protocollato", None)).unwrap();
    }

    // Typed on the keypad; a bad face asks why.
    ui.tap("Valuta il servizio");
    ui.wait_screen(Screen::RateCode);
    type_on_keypad(&ui, &first_number);
    ui.wait_screen(Screen::RateFaces);
    assert!(ui.shows("Soddisfatto") && ui.shows("Così così") && ui.shows("Insoddisfatto"));
    ui.tap("Insoddisfatto");
    ui.wait_screen(Screen::RateReason);
    ui.tap("Tempo di attesa");
    ui.wait_screen(Screen::RateThanks);
    assert!(ui.shows("Grazie!"));

    // The same ticket again: refused, and said so.
    ui.tap("Inizio");
    ui.wait_screen(Screen::Welcome);
    ui.tap("Valuta il servizio");
    type_on_keypad(&ui, &first_number);
    ui.tap("Soddisfatto");
    ui.wait_screen(Screen::RateRefused);
    assert_eq!(ui.view().refusal, Refusal::AlreadyRated);
    assert!(ui.shows("Questa visita è già stata valutata"));

    // Scanned from the welcome screen: the status link printed in the QR code works too.
    ui.tap("Inizio");
    ui.wait_screen(Screen::Welcome);
    ui.type_text(&format!("{}/t/{second_token}\n", office.url));
    ui.wait_screen(Screen::RateFaces);
    ui.tap("Così così");
    ui.wait_screen(Screen::RateThanks);

    // A ticket still waiting cannot be rated yet.
    ui.tap("Inizio");
    ui.wait_screen(Screen::Welcome);
    ui.type_text(&format!("{waiting_number}\n"));
    ui.wait_screen(Screen::RateFaces);
    ui.tap("Soddisfatto");
    ui.wait_screen(Screen::RateRefused);
    assert_eq!(ui.view().refusal, Refusal::NotRateable);
    assert!(ui.shows("Non è ancora possibile valutare"));

    // A number nobody had today.
    ui.tap("Riprova");
    ui.wait_screen(Screen::RateCode);
    type_on_keypad(&ui, "Z99");
    ui.tap("Soddisfatto");
    ui.wait_screen(Screen::RateRefused);
    assert_eq!(ui.view().refusal, Refusal::NotFound);
    assert!(ui.shows("Biglietto non trovato"));
}
