//! A clerk's day at Sportello 1 with the keyboard alone: sign in, choose the counter, call, start, finish
//! with an outcome, a note and a further service, transfer, recall and no-show, a visit without ticket,
//! pause and resume, sign out; what the screen shows and what the server recorded.

use turno_console::controller::{Key, Notice, Screen};
use turno_shared::api::TicketView;
use turno_shared::domain::{PauseReason, TicketState};

use crate::support::{Office, Ui, runtime};

#[test]
fn a_day_at_the_counter_with_the_keyboard_alone() {
    let rt = runtime();
    let office = Office::start();
    // Sportello 1 serves Anagrafe (A) then Stato civile (B).
    let a1 = office.issue(&rt, 1, "en");
    let a2 = office.issue(&rt, 1, "it");
    let b1 = office.issue(&rt, 2, "it");
    let admin = office.user(&rt, "admin");
    let ticket = |id: i64| -> TicketView { rt.block_on(admin.ticket(id)).unwrap() };

    let ui = Ui::connected(&rt, &office.url);
    ui.sign_in("mrossi", '1');
    assert!(ui.shows("Sportello 1"));
    assert!(ui.shows("Maria Rossi"));
    assert!(ui.shows("Chiama prossimo"), "the action bar shows Call next");
    assert!(ui.find("Termina").is_empty(), "no Finish without a ticket");
    assert!(ui.shows("Nessun biglietto allo sportello"));

    // F1 calls A001: large number, service, the citizen's language.
    ui.press(Key::F(1));
    ui.wait_ticket("A001");
    assert!(ui.shows("Biglietto A001"));
    assert!(ui.shows("Anagrafe – Carta d'identità"));
    assert!(ui.shows("Lingua: inglese"));
    assert!(ui.shows("Chiamato"));
    assert!(
        ui.find("Chiama prossimo").is_empty(),
        "no Call next while a ticket is at the counter"
    );
    assert_eq!(ticket(a1.ticket.id).state, TicketState::Called);

    // F3 starts the service.
    ui.press(Key::F(3));
    ui.wait("serving", |ui| {
        ui.view().ticket.and_then(|t| t.state) == Some(TicketState::Serving)
    });
    assert!(ui.shows("In servizio"));
    assert!(ui.find("Richiama").is_empty(), "no Recall once serving");

    // F4: outcome 2 (certificate), letter B adds Stato civile, Tab to the note, Enter.
    ui.press(Key::F(4));
    assert!(ui.shows("Certificato rilasciato"));
    ui.press(Key::Enter);
    assert_eq!(
        ui.view().notice.unwrap().notice,
        Notice::OutcomeRequired,
        "an outcome is required"
    );
    ui.press(Key::Char('2'));
    ui.press(Key::Char('b'));
    let dialog = ui.view().dialog.unwrap();
    assert!(dialog.first[1].selected && dialog.second.iter().any(|s| s.key == "B" && s.selected));
    ui.type_text("\tcertificato di residenza");
    assert_eq!(ui.view().dialog.unwrap().note, "certificato di residenza");
    ui.press(Key::Enter);
    ui.wait_no_ticket();
    assert!(ui.view().dialog.is_none());
    let done = ticket(a1.ticket.id);
    assert_eq!(done.state, TicketState::Done);
    assert_eq!(done.outcome.unwrap().as_str(), "certificato");
    ui.wait("one served on the panel", |ui| ui.view().day.served == 1);

    // F1 calls A002; F7, letter C (Tributi), Enter transfers it.
    ui.press(Key::F(1));
    ui.wait_ticket("A002");
    ui.press(Key::F(7));
    ui.press(Key::Char('c'));
    ui.press(Key::Enter);
    ui.wait_no_ticket();
    let moved = ticket(a2.ticket.id);
    assert_eq!((moved.state, moved.service_id), (TicketState::Waiting, 3));
    let from = moved.transferred_from.unwrap();
    assert_eq!((from.service_id, from.counter_id), (1, Some(1)));

    // F1 calls B001; F2 recalls it; the "not arrived?" prompt comes; F5 marks the no-show.
    ui.press(Key::F(1));
    ui.wait_ticket("B001");
    ui.press(Key::F(2));
    ui.wait("the not-arrived prompt", |ui| ui.view().no_show_prompt);
    assert!(ui.shows("B001 non si è presentato?"));
    ui.press(Key::F(5));
    ui.wait_no_ticket();
    assert_eq!(ticket(b1.ticket.id).state, TicketState::NoShow);
    let steps: Vec<String> = rt
        .block_on(admin.ticket_events(b1.ticket.id))
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(steps, ["issue", "call", "recall", "no_show"]);

    // Nothing left for this counter: F1 says so.
    ui.press(Key::F(1));
    ui.wait("the answer", |ui| {
        ui.view().notice.is_some_and(|n| n.notice == Notice::NothingWaiting)
    });

    // F10: a visit without ticket, for the counter's first service, outcome 5 (information only).
    ui.press(Key::F(10));
    assert!(ui.shows("Visita senza biglietto"));
    ui.press(Key::Char('5'));
    ui.press(Key::Enter);
    ui.wait("the visit recorded", |ui| {
        ui.view().notice.is_some_and(|n| n.notice == Notice::WalkInRecorded)
    });
    ui.wait("the day's counts", |ui| {
        let d = ui.view().day;
        (d.served, d.no_shows, d.walk_ins) == (1, 1, 1)
    });

    // F9, reason 2 (back-office work), Enter: paused; Call next is refused; F9 resumes.
    ui.press(Key::F(9));
    ui.press(Key::Char('2'));
    ui.press(Key::Enter);
    ui.wait("paused", |ui| ui.view().paused.is_some());
    assert!(ui.shows("Sportello in pausa"));
    assert!(ui.shows("Riprendi"));
    let status = rt.block_on(admin.counter_status(1)).unwrap();
    assert_eq!(status.paused.unwrap().reason, PauseReason::BackOffice);
    ui.press(Key::F(1));
    assert_eq!(ui.view().notice.unwrap().notice, Notice::CounterPaused);
    ui.press(Key::F(9));
    ui.wait("resumed", |ui| ui.view().paused.is_none() && !ui.view().busy);
    assert!(rt.block_on(admin.counter_status(1)).unwrap().paused.is_none());

    // What the server counted for the clerk's day.
    let maria = office.user(&rt, "mrossi");
    let day = rt.block_on(maria.counter_panel(1)).unwrap().day;
    assert_eq!((day.served, day.no_shows, day.walk_ins), (1, 1, 1));
    assert!(day.paused_secs < 60);

    // Ctrl+F1 turns auto-call on, remembered with the rest.
    ui.press_ctrl(Key::F(1));
    assert!(ui.view().auto_call);
    assert!(ui.shows("Chiamata automatica: sì"));

    // F12, Enter: the counter closes and the console is back at sign in.
    ui.press(Key::F(12));
    assert!(ui.shows("Chiudi lo sportello ed esci"));
    ui.press(Key::Enter);
    ui.wait_screen(Screen::SignIn);
    assert!(rt.block_on(admin.counter_status(1)).unwrap().clerk.is_none());
    let saved = std::fs::read_to_string(&ui.config).unwrap();
    assert!(
        saved.contains("last_counter = 1") && saved.contains("last_username = \"mrossi\""),
        "{saved}"
    );
}
