//! Signing in and choosing the counter: clear messages for a wrong password, an unreachable server and a
//! counter taken; the last counter is preselected next time.

use turno_console::controller::{Key, Notice, Screen};

use crate::support::{Office, Ui, password, runtime};

#[test]
fn wrong_password_unreachable_server_and_counter_taken_are_said_clearly() {
    let rt = runtime();
    let office = Office::start();
    let ui = Ui::connected(&rt, &office.url);
    ui.wait_screen(Screen::SignIn);
    ui.type_text("mrossi\tsbagliata");
    ui.press(Key::Enter);
    ui.wait("the refusal", |ui| ui.view().notice.is_some());
    assert_eq!(ui.view().notice.unwrap().notice, Notice::BadCredentials);
    assert!(ui.shows("Utente o password errati."));

    // Luca sits at Sportello 1 already.
    let luca = office.user(&rt, "lbianchi");
    rt.block_on(luca.open_counter(1)).unwrap();

    // The password field still has the keyboard: correct it, then click the button.
    ui.type_text(&format!("{}{}", "\u{8}".repeat("sbagliata".len()), password("mrossi")));
    ui.click("Accedi");
    ui.wait_screen(Screen::Counters);
    ui.wait("the counters", |ui| !ui.view().counters.is_empty());
    ui.press(Key::Char('1'));
    ui.press(Key::Enter);
    ui.wait("the refusal", |ui| {
        ui.view().notice.is_some_and(|n| n.notice == Notice::CounterTaken)
    });
    assert!(ui.shows("Lo sportello è già aperto da un altro operatore: ne scelga un altro."));
    ui.press(Key::Down);
    ui.press(Key::Enter);
    ui.wait_screen(Screen::Work);
    assert_eq!(ui.view().counter_name, "Sportello 2");
}

#[test]
fn an_unreachable_server_is_said_at_sign_in() {
    let rt = runtime();
    let nobody = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let ui = Ui::connected(&rt, &format!("http://{nobody}"));
    ui.wait_screen(Screen::SignIn);
    ui.type_text("mrossi\tsportello1");
    ui.press(Key::Enter);
    ui.wait("the refusal", |ui| ui.view().notice.is_some());
    assert_eq!(ui.view().notice.unwrap().notice, Notice::Unreachable);
}
