//! Rating a visit at the kiosk: the rating code printed on the ticket, typed on the keypad or scanned
//! from its barcode (a keyboard-wedge scanner types it into the window, then Enter), or the status
//! link of its QR code; three faces, a reason after a bad one, thanks; and a clear message for each
//! code that cannot rate a visit, including a bare ticket number and a kiosk that sent too many wrong
//! codes.

use i_slint_backend_testing::AccessibleRole;
use turno_kiosk::controller::{PrintState, Refusal, Screen};
use turno_kiosk::printer::FakePrinter;
use turno_shared::api::{ErrorCode, IssueRequest, IssuedTicket, RatingRequest};
use turno_shared::domain::{BadReason, Priority, Rating};

use crate::support::{Office, Ui, runtime};
use crate::ticket::take_ticket;

/// Issues a ticket for service 5 (Protocollo) at the kiosk's API.
fn issue(rt: &tokio::runtime::Runtime, office: &Office) -> IssuedTicket {
    rt.block_on(office.kiosk_client().issue_ticket(&IssueRequest {
        service_id: 5,
        priority: Priority::Normal,
        language: None,
    }))
    .unwrap()
}

/// Calls and finishes the tickets `ids`, in order, at counter 3.
fn serve(rt: &tokio::runtime::Runtime, office: &Office, ids: &[i64]) {
    let clerk = office.user(rt, "gverdi");
    rt.block_on(clerk.open_counter(3)).unwrap();
    for &id in ids {
        let called = rt.block_on(clerk.call_next(3)).unwrap().unwrap();
        assert_eq!(called.id, id);
        rt.block_on(clerk.finish(id, "protocollato", None)).unwrap();
    }
}

/// Types `code` on the keypad as printed (the dash is not a key), checking the display as it goes.
fn type_on_keypad(ui: &Ui, code: &str) {
    for key in code.chars().filter(char::is_ascii_alphanumeric) {
        ui.tap(&key.to_string());
    }
    assert_eq!(ui.view().code, code, "the display shows the code as printed");
    ui.tap("Avanti");
}

/// From the welcome screen to the keypad.
fn open_keypad(ui: &Ui) {
    ui.tap("Inizio");
    ui.wait_screen(Screen::Welcome);
    ui.tap("Valuta il servizio");
    ui.wait_screen(Screen::RateCode);
}

#[test]
fn a_finished_visit_is_rated_once_with_its_typed_or_scanned_code() {
    let rt = runtime();
    let office = Office::start(&rt);
    let printer = FakePrinter::start().unwrap();
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);
    ui.wait("the office", |ui| !ui.view().services.is_empty());

    let typed = issue(&rt, &office);
    let linked = issue(&rt, &office);
    let waiting = issue(&rt, &office);
    serve(&rt, &office, &[typed.ticket.id, linked.ticket.id]);

    // Typed on the keypad; a bad face asks why.
    ui.tap("Valuta il servizio");
    ui.wait_screen(Screen::RateCode);
    type_on_keypad(&ui, &typed.rating_code.to_string());
    ui.wait_screen(Screen::RateFaces);
    assert!(ui.shows("Biglietto E001"), "the faces say which ticket");
    assert!(ui.shows("Soddisfatto") && ui.shows("Così così") && ui.shows("Insoddisfatto"));
    ui.tap("Insoddisfatto");
    ui.wait_screen(Screen::RateReason);
    ui.tap("Tempo di attesa");
    ui.wait_screen(Screen::RateThanks);
    assert!(ui.shows("Grazie!"));

    // The same ticket again: refused, and said so.
    open_keypad(&ui);
    type_on_keypad(&ui, &typed.rating_code.to_string());
    ui.tap("Soddisfatto");
    ui.wait_screen(Screen::RateRefused);
    assert_eq!(ui.view().refusal, Refusal::AlreadyRated);
    assert!(ui.shows("Questa visita è già stata valutata"));

    // Scanned from the welcome screen: the status link printed in the QR code works too.
    ui.tap("Inizio");
    ui.wait_screen(Screen::Welcome);
    ui.type_text(&format!("{}{}\n", office.url, linked.status_path));
    ui.wait_screen(Screen::RateFaces);
    ui.tap("Così così");
    ui.wait_screen(Screen::RateThanks);

    // A ticket still waiting cannot be rated yet.
    open_keypad(&ui);
    type_on_keypad(&ui, &waiting.rating_code.to_string());
    ui.tap("Soddisfatto");
    ui.wait_screen(Screen::RateRefused);
    assert_eq!(ui.view().refusal, Refusal::NotRateable);
    assert!(ui.shows("Non è ancora possibile valutare"));

    // The right number with a wrong check: no such code.
    ui.tap("Riprova");
    ui.wait_screen(Screen::RateCode);
    let wrong = wrong_check(&typed);
    type_on_keypad(&ui, &wrong);
    ui.tap("Soddisfatto");
    ui.wait_screen(Screen::RateRefused);
    assert_eq!(ui.view().refusal, Refusal::NotFound);
    assert!(ui.shows("Codice non trovato"));

    // What the office stored is what the citizen chose: one rating each, face, reason, service and
    // counter as the back office reads them.
    let stored = rt.block_on(office.user(&rt, "admin").ratings(None, None)).unwrap();
    let of = |t: &IssuedTicket| {
        let mine: Vec<_> = stored.iter().filter(|r| r.number == t.ticket.number).collect();
        assert_eq!(mine.len(), 1, "one rating stored for {}: {stored:?}", t.ticket.number);
        (mine[0].rating, mine[0].reason, mine[0].service_id, mine[0].counter_id)
    };
    assert_eq!(of(&typed), (Rating::Bad, Some(BadReason::WaitingTime), 5, Some(3)));
    assert_eq!(of(&linked), (Rating::Neutral, None, 5, Some(3)));
    assert!(stored.iter().all(|r| r.number != waiting.ticket.number));
}

#[test]
fn the_printed_barcode_rates_the_visit() {
    let rt = runtime();
    let office = Office::start(&rt);
    let printer = FakePrinter::start().unwrap();
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);
    assert_eq!(take_ticket(&ui, "Protocollo", false), "E001");
    ui.wait("the ticket printed", |ui| ui.view().ticket.print == PrintState::Printed);
    let barcode = printer.printout().barcodes().next().expect("a barcode").payload.clone();
    assert!(barcode.starts_with("E001") && barcode.len() == 9, "{barcode}");
    serve(&rt, &office, &[ui.view().ticket.id]);

    // What a keyboard-wedge scanner types: the barcode's characters, then Enter.
    ui.tap("Fine");
    ui.wait_screen(Screen::Welcome);
    ui.type_text(&format!("{barcode}\n"));
    ui.wait_screen(Screen::RateFaces);
    assert!(ui.shows("Biglietto E001"));
    ui.tap("Soddisfatto");
    ui.wait_screen(Screen::RateThanks);
}

#[test]
fn a_bare_ticket_number_does_not_rate_a_visit() {
    let rt = runtime();
    let office = Office::start(&rt);
    let printer = FakePrinter::start().unwrap();
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);
    ui.wait("the office", |ui| !ui.view().services.is_empty());
    let visit = issue(&rt, &office);
    serve(&rt, &office, &[visit.ticket.id]);
    let number = visit.ticket.number.to_string();

    // On the keypad, "Avanti" waits for the whole code.
    ui.tap("Valuta il servizio");
    ui.wait_screen(Screen::RateCode);
    for key in number.chars() {
        ui.tap(&key.to_string());
    }
    assert_eq!(ui.view().code, number);
    let next = ui.find("Avanti");
    let next = next
        .iter()
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .expect("the Avanti button");
    assert_eq!(next.accessible_enabled(), Some(false), "not a code yet");

    // Typed on a keyboard: refused, with what to type instead.
    ui.type_text(&format!("{number}\n"));
    ui.wait_screen(Screen::RateRefused);
    assert_eq!(ui.view().refusal, Refusal::InvalidCode);
    assert!(ui.shows("Codice non valido"));

    // The server refuses it too, whoever sends it.
    let refused = rt
        .block_on(office.kiosk_client().rate(&RatingRequest {
            code: number,
            rating: Rating::Good,
            reason: None,
        }))
        .unwrap_err();
    assert_eq!(refused.code(), Some(ErrorCode::InvalidInput));
}

#[test]
fn too_many_wrong_codes_are_refused_with_their_own_message() {
    let rt = runtime();
    let office = Office::start(&rt);
    let printer = FakePrinter::start().unwrap();
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);
    ui.wait("the office", |ui| !ui.view().services.is_empty());
    let visit = issue(&rt, &office);
    serve(&rt, &office, &[visit.ticket.id]);

    // Someone guesses codes from this kiosk until the server stops listening.
    let wrong = wrong_check(&visit);
    let client = office.kiosk_client();
    let mut guesses = 0;
    loop {
        let answer = rt.block_on(client.rate(&RatingRequest {
            code: wrong.clone(),
            rating: Rating::Good,
            reason: None,
        }));
        match answer.unwrap_err().code() {
            Some(ErrorCode::NotFound) => guesses += 1,
            Some(ErrorCode::TooManyAttempts) => break,
            other => panic!("{other:?} after {guesses} wrong codes"),
        }
        assert!(guesses <= 100, "the server never refused");
    }

    // Even the right code waits now; the kiosk says why, and offers no retry that would fail.
    ui.tap("Valuta il servizio");
    ui.wait_screen(Screen::RateCode);
    type_on_keypad(&ui, &visit.rating_code.to_string());
    ui.tap("Soddisfatto");
    ui.wait_screen(Screen::RateRefused);
    assert_eq!(ui.view().refusal, Refusal::TooManyAttempts);
    assert!(ui.shows("Troppi codici errati"));
    assert!(ui.shows("Riprovi tra qualche minuto o chieda allo sportello."));
    assert!(!ui.shows("Riprova"));
    ui.tap("Inizio");
    ui.wait_screen(Screen::Welcome);
}

/// The rating code of `visit` with its last check character changed, as printed.
fn wrong_check(visit: &IssuedTicket) -> String {
    let code = visit.rating_code.to_string();
    let (head, last) = code.split_at(code.len() - 1);
    let other = if last == "Z" { "Y" } else { "Z" };
    format!("{head}{other}")
}
