//! The server stops mid-session: the console says so at once, refuses actions with a message (nothing
//! is queued or lost), reconnects by itself when the server is back, and shows the current ticket as the
//! server holds it; a change made meanwhile elsewhere shows too.

use turno_console::controller::{Key, Notice};
use turno_shared::domain::TicketState;

use crate::support::{Office, Ui, runtime};

#[test]
fn a_server_restart_is_recovered_with_the_current_ticket_intact() {
    let rt = runtime();
    let mut office = Office::start();
    office.issue(&rt, 1, "it");
    office.issue(&rt, 1, "it");
    let ui = Ui::connected(&rt, &office.url);
    ui.sign_in("mrossi", '1');
    ui.wait("the live stream", |ui| !ui.view().offline);
    ui.press(Key::F(1));
    ui.wait_ticket("A001");
    ui.press(Key::F(3));
    ui.wait("serving", |ui| {
        ui.view().ticket.and_then(|t| t.state) == Some(TicketState::Serving)
    });

    office.stop();
    ui.wait("the offline banner", |ui| ui.view().offline);
    assert!(ui.shows("Non in linea"));
    assert!(ui.shows("Connessione al server persa: riconnessione in corso… Le azioni sono sospese finché non torna."));
    // An action pressed now is refused with a message, not sent later.
    ui.press(Key::F(6));
    assert_eq!(ui.view().notice.unwrap().notice, Notice::Offline);
    assert_eq!(ui.view().ticket.unwrap().number, "A001", "the ticket stays shown");
    // Finishing: the dialog opens (the clerk may type), the confirmation is refused.
    ui.press(Key::F(4));
    ui.press(Key::Char('1'));
    ui.press(Key::Enter);
    assert_eq!(ui.view().notice.unwrap().notice, Notice::Offline);
    ui.press(Key::Escape);

    office.restart();
    ui.wait("back online", |ui| !ui.view().offline && !ui.view().busy);
    let shown = ui.view().ticket.unwrap();
    assert_eq!(
        (shown.number.as_str(), shown.state),
        ("A001", Some(TicketState::Serving)),
        "the current ticket as the server holds it"
    );
    let admin = office.user(&rt, "admin");
    let status = rt.block_on(admin.counter_status(1)).unwrap();
    assert_eq!(
        status.current.unwrap().state,
        TicketState::Serving,
        "nothing was sent while offline"
    );

    // Live again: a ticket issued now reaches the panel without a refresh.
    let before = ui.view().queues[0].waiting;
    office.issue(&rt, 1, "it");
    ui.wait("the panel updated by the live stream", |ui| {
        ui.view().queues[0].waiting == before + 1
    });
    // And work goes on.
    ui.press(Key::F(4));
    ui.press(Key::Char('1'));
    ui.press(Key::Enter);
    ui.wait_no_ticket();
}

#[test]
fn a_ticket_closed_elsewhere_while_offline_is_not_shown_after_reconnection() {
    let rt = runtime();
    let mut office = Office::start();
    office.issue(&rt, 1, "it");
    let ui = Ui::connected(&rt, &office.url);
    ui.sign_in("mrossi", '1');
    ui.press(Key::F(1));
    ui.wait_ticket("A001");

    office.stop();
    ui.wait("the offline banner", |ui| ui.view().offline);
    office.restart();
    // The back office closes the office day, tickets at counters included, while the console reconnects.
    let admin = office.user(&rt, "admin");
    assert_eq!(rt.block_on(admin.end_of_day(true)).unwrap().expired, 1);
    ui.wait("no stale ticket", |ui| !ui.view().offline && ui.view().ticket.is_none());
}
