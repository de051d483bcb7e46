//! The server cannot be reached: the kiosk shows its "one moment" screen, retries by itself and
//! comes back to the welcome screen when the server returns, ready to issue tickets.

use turno_kiosk::controller::{PrintState, Screen};
use turno_kiosk::printer::FakePrinter;

use crate::support::{Office, Ui, runtime, unused_address};
use crate::ticket::take_ticket;

#[test]
fn an_unreachable_server_shows_its_screen_and_the_kiosk_recovers_by_itself() {
    let rt = runtime();
    let office = Office::create(&rt, unused_address());
    let printer = FakePrinter::start().unwrap();
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);
    ui.wait_screen(Screen::Unreachable);
    assert!(ui.shows("Un momento, per favore"));
    assert!(ui.find("Prendi il numero").is_empty(), "no button leads nowhere");

    office.serve(&rt);
    ui.wait_screen(Screen::Welcome);
    ui.wait("the office", |ui| ui.view().office_name == "Comune di Valverde");
    let number = take_ticket(&ui, "Protocollo", false);
    assert_eq!(number, "E001");
    ui.wait("the ticket printed", |ui| ui.view().ticket.print == PrintState::Printed);
}

/// A kiosk whose token the server refuses (never registered, or revoked in the back office) says so
/// to the staff, once, instead of retrying forever as if the server were away; nothing is printed.
#[test]
fn a_refused_kiosk_token_gets_a_screen_for_the_staff() {
    let rt = runtime();
    let office = Office::start(&rt);
    let printer = FakePrinter::start().unwrap();
    let revoked = "0".repeat(64);
    let ui = Ui::connected(&rt, &office.url, &revoked, &printer);
    ui.wait("the office", |ui| !ui.view().services.is_empty());
    ui.tap("Prendi il numero");
    ui.wait_screen(Screen::Services);
    ui.tap("Anagrafe – Carta d'identità");
    ui.wait_screen(Screen::Info);
    ui.tap("Prendi il numero");
    ui.wait_screen(Screen::Priority);
    ui.tap("No");
    ui.wait_screen(Screen::NotAuthorised);
    assert!(ui.shows("Chiosco non autorizzato"));
    assert!(
        ui.find("Un momento, per favore").is_empty(),
        "not the citizen's retry screen"
    );
    assert_eq!(printer.printout().cuts(), 0, "nothing printed");
    // It stays for the staff to read, then the start button goes back to the welcome screen.
    for _ in 0..5 {
        ui.step();
    }
    assert_eq!(ui.view().screen, Screen::NotAuthorised);
    ui.tap("Inizio");
    ui.wait_screen(Screen::Welcome);
}
