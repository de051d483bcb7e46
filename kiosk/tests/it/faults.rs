//! Printer faults: the ticket stays issued, the screen shows the number with "please note your
//! number" and the rating code the ticket would have carried, the server hears a printer alert, and
//! the kiosk prints again once the printer recovers.

use turno_kiosk::controller::{PrintState, Screen};
use turno_kiosk::printer::{FakePrinter, FakeState};
use turno_shared::api::PrinterStatus;
use turno_shared::client::Client;

use crate::support::{Office, Ui, eventually, runtime};
use crate::ticket::take_ticket;

/// Waits until the latest printer alert the back office sees is `status`.
/// How many alerts of one of `statuses` the office holds.
fn alerts_of(rt: &tokio::runtime::Runtime, admin: &Client, statuses: &[PrinterStatus]) -> usize {
    let alerts = rt.block_on(admin.printer_alerts()).unwrap();
    alerts.iter().filter(|a| statuses.contains(&a.status)).count()
}

/// Waits for a new alert of one of `statuses` (more than `before` of them). Not "the latest is it": a
/// printer that answers its status queries but fails its writes is reported by the failed print and
/// then `Ok` by the next health poll, which may come first.
fn wait_new_alert(rt: &tokio::runtime::Runtime, admin: &Client, statuses: &[PrinterStatus], before: usize) {
    eventually(rt, &format!("a new printer alert {statuses:?}"), || async {
        let alerts = admin.printer_alerts().await.ok()?;
        (alerts.iter().filter(|a| statuses.contains(&a.status)).count() > before).then_some(())
    });
}

fn wait_alert(rt: &tokio::runtime::Runtime, admin: &Client, status: PrinterStatus) {
    eventually(rt, &format!("a printer alert {status:?}"), || async {
        let alerts = admin.printer_alerts().await.ok()?;
        let latest = alerts.iter().max_by_key(|a| a.at)?;
        (latest.status == status).then_some(())
    });
}

#[test]
fn every_printer_fault_shows_the_number_alerts_the_office_and_recovers() {
    let rt = runtime();
    let office = Office::start(&rt);
    let admin = office.user(&rt, "admin");
    let printer = FakePrinter::start().unwrap();
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);

    // A printer that drops the connection on a write is an `Error` when the write fails, or
    // `Offline` when the drop is seen first, by the status query before the ticket (which one depends
    // on timing, and the machine's load): the office is alerted either way.
    let faults: [(FakeState, &[PrinterStatus]); 5] = [
        (FakeState::PaperOut, &[PrinterStatus::PaperOut]),
        (FakeState::CoverOpen, &[PrinterStatus::CoverOpen]),
        (FakeState::Offline, &[PrinterStatus::Offline]),
        (FakeState::FailWrites, &[PrinterStatus::Error, PrinterStatus::Offline]),
        (FakeState::Unreachable, &[PrinterStatus::Offline]),
    ];
    let mut issued = Vec::new();
    for (state, status) in faults {
        let before = alerts_of(&rt, &admin, status);
        printer.set_state(state);
        let number = take_ticket(&ui, "Protocollo", false);
        ui.wait("the print to fail", |ui| ui.view().ticket.print == PrintState::Failed);
        assert!(
            ui.shows(&format!("Il suo numero {number}")),
            "{state:?}: the number stays on screen"
        );
        assert!(
            ui.shows("Prenda nota del suo numero"),
            "{state:?}: the citizen is told to note it"
        );
        let rating_code = ui.view().ticket.rating_code;
        assert!(rating_code.starts_with(&format!("{number}-")), "{rating_code}");
        assert!(
            ui.shows(&rating_code),
            "{state:?}: and the rating code, printed nowhere else"
        );
        wait_new_alert(&rt, &admin, status, before);
        issued.push(number);

        // The printer is fixed: the kiosk notices by itself and tells the office.
        printer.set_state(FakeState::Ready);
        wait_alert(&rt, &admin, PrinterStatus::Ok);
        ui.tap("Fine");
        ui.wait_screen(Screen::Welcome);
    }

    // And prints again.
    printer.clear();
    let number = take_ticket(&ui, "Protocollo", false);
    ui.wait("the ticket printed", |ui| ui.view().ticket.print == PrintState::Printed);
    assert!(crate::ticket::describe(&printer.printout()).contains(&number));
    issued.push(number);

    // No ticket was lost: every number is in the queue, one after the other.
    assert_eq!(issued, ["E001", "E002", "E003", "E004", "E005", "E006"]);
    let clerk = office.user(&rt, "lbianchi");
    rt.block_on(clerk.open_counter(3)).unwrap();
    let waiting = rt.block_on(clerk.waiting_tickets()).unwrap();
    let mut numbers: Vec<String> = waiting.iter().map(|t| t.number.to_string()).collect();
    numbers.sort();
    assert_eq!(numbers, issued);
}

#[test]
fn paper_near_its_end_prints_and_warns_the_office() {
    let rt = runtime();
    let office = Office::start(&rt);
    let admin = office.user(&rt, "admin");
    let printer = FakePrinter::start().unwrap();
    printer.set_state(FakeState::PaperNearEnd);
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);
    take_ticket(&ui, "Stato civile", false);
    ui.wait("the ticket printed", |ui| ui.view().ticket.print == PrintState::Printed);
    assert!(ui.shows("Ritiri il biglietto qui sotto"));
    wait_alert(&rt, &admin, PrinterStatus::PaperNearEnd);
}
