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
