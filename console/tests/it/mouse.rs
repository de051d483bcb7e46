//! The same work with the mouse: call a ticket by its number from the searchable list, read a service's
//! information sheet, turn auto-call on and finish with a click, which calls the next ticket by itself.

use turno_console::controller::{DialogKind, Key};

use crate::support::{Office, Ui, runtime};

#[test]
fn call_by_number_information_sheet_and_auto_call_with_the_mouse() {
    let rt = runtime();
    let office = Office::start();
    office.issue(&rt, 1, "it");
    office.issue(&rt, 2, "it");
    let ui = Ui::connected(&rt, &office.url);
    ui.sign_in("mrossi", '1');

    ui.click("Chiama numero");
    ui.wait("the counter's queue", |ui| {
        ui.view().dialog.is_some_and(|d| d.first.len() == 2)
    });
    assert!(ui.shows("A001") && ui.shows("B001"));
    // The search field has the keyboard: typing narrows the list.
    ui.type_text("b");
    let dialog = ui.view().dialog.unwrap();
    assert_eq!(
        dialog.first.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(),
        ["B001"]
    );
    ui.click("Chiama");
    ui.wait_ticket("B001");

    ui.click("Scheda informativa");
    assert_eq!(ui.view().dialog.unwrap().kind, DialogKind::Info);
    assert!(ui.shows("Stato civile"));
    assert!(ui.shows("• Documento di identità valido"));
    // Another service's sheet by its letter.
    ui.press(Key::Char('c'));
    assert!(ui.shows("• Visura catastale o dati dell'immobile"));
    ui.click("Chiudi");
    assert!(ui.view().dialog.is_none());

    ui.click("Chiamata automatica: no");
    assert!(ui.view().auto_call);
    assert!(ui.shows("Chiamata automatica: sì"));
    ui.click("Termina");
    ui.click("Atto redatto");
    ui.click("Termina e chiama il prossimo");
    ui.wait_ticket("A001");
    let saved = std::fs::read_to_string(&ui.config).unwrap();
    assert!(saved.contains("auto_call = true"), "{saved}");
}
