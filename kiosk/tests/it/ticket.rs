//! A ticket taken on the touch screen, end to end: the server issues it, the fake printer receives
//! it (number, service, QR link, rating code as text and barcode, cut) and the screen shows it.

use expect_test::expect;
use turno_kiosk::controller::{PrintState, Screen};
use turno_kiosk::printer::{Decoded, FakePrinter, Item};

use crate::support::{Office, Ui, runtime};

/// Takes a ticket for `service` as a citizen does, answering `priority`; returns its number.
pub fn take_ticket(ui: &Ui, service: &str, priority: bool) -> String {
    ui.wait("the office", |ui| !ui.view().services.is_empty());
    ui.tap("Prendi il numero");
    ui.wait_screen(Screen::Services);
    ui.tap(service);
    ui.wait_screen(Screen::Info);
    ui.tap("Prendi il numero");
    ui.wait_screen(Screen::Priority);
    ui.tap(if priority { "Sì, ho la precedenza" } else { "No" });
    ui.wait_screen(Screen::Ticket);
    ui.view().ticket.number
}

#[test]
fn a_ticket_is_issued_printed_and_shown() {
    let rt = runtime();
    let office = Office::start(&rt);
    let printer = FakePrinter::start().unwrap();
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);
    ui.wait("the office's name", |ui| ui.view().office_name == "Comune di Valverde");

    let number = take_ticket(&ui, "Anagrafe – Carta d'identità", false);
    assert_eq!(number, "A001");
    assert!(ui.shows("Il suo numero A001"), "the number is on screen");
    ui.wait("the ticket printed", |ui| ui.view().ticket.print == PrintState::Printed);
    assert!(ui.shows("Fine"));

    let printout = printer.printout();
    assert_eq!(printout.cuts(), 1, "one ticket, cut");
    let qr: Vec<_> = printout.qr_codes().map(|q| q.payload.clone()).collect();
    assert_eq!(qr.len(), 1);
    assert!(
        qr[0].starts_with(&format!("{}/t/", office.url)),
        "the QR links the ticket's status page: {}",
        qr[0]
    );
    let token = qr[0].rsplit('/').next().unwrap().to_owned();
    let rating_code = ui.view().ticket.rating_code;
    let check = rating_code
        .strip_prefix("A001-")
        .expect("the rating code starts with the number");
    assert_eq!(check.len(), 5);
    let barcodes: Vec<_> = printout.barcodes().map(|b| b.payload.clone()).collect();
    assert_eq!(
        barcodes,
        vec![format!("A001{check}")],
        "the barcode is the rating code, which the kiosk's scanner reads back for the rating"
    );

    let paper = describe(&printout)
        .replace(&office.url, "http://SERVER")
        .replace(&token, "TOKEN")
        .replace(check, "CHECK");
    expect![[r#"
        "Comune di Valverde" bold
        "DD/MM/YYYY HH:MM"
        ""
        "Anagrafe - Carta d'identità" 1×2 bold
        "A001" 8×8 bold
        "" bold
        "Persone prima di lei: 0"
        "Attesa stimata: non stimabile"
        ""
        "Documenti da portare:" bold
        "- Carta d'identità scaduta o denuncia di"
        "  smarrimento/furto"
        "- Una fototessera recente, a colori, su sfondo"
        "  bianco"
        "- Tessera sanitaria (codice fiscale)"
        "- Per i minori: presenza di entrambi i genitori"
        ""
        QR http://SERVER/t/TOKEN
        "Segua il suo turno dal telefono"
        ""
        "Dopo la visita valuti il servizio al totem"
        "Codice per la valutazione:"
        "A001-CHECK" 2×2 bold
        CODE128 A001CHECK
        ""
        "Grazie e arrivederci"
        cut"#]]
    .assert_eq(&redact_date(&paper));

    // The ticket really is in the queue.
    let status = rt.block_on(office.kiosk_client().ticket_status(&token)).unwrap();
    assert_eq!(status.number.to_string(), "A001");

    // A touch ends; the next citizen starts in Italian on the welcome screen.
    ui.tap("Fine");
    ui.wait_screen(Screen::Welcome);
}

#[test]
fn the_chosen_language_is_the_tickets_and_priority_is_printed() {
    let rt = runtime();
    let office = Office::start(&rt);
    let printer = FakePrinter::start().unwrap();
    let ui = Ui::connected(&rt, &office.url, &office.kiosk_token, &printer);
    ui.wait("the office", |ui| !ui.view().services.is_empty());
    ui.tap("English");
    assert!(ui.shows("Take a number"), "the screens speak English");
    ui.tap("Take a number");
    ui.wait_screen(Screen::Services);
    ui.tap("Civil status");
    ui.wait_screen(Screen::Info);
    ui.tap("Take a number");
    ui.wait_screen(Screen::Priority);
    ui.tap("Yes, I have priority");
    ui.wait_screen(Screen::Ticket);
    assert_eq!(ui.view().ticket.number, "B001");
    ui.wait("the ticket printed", |ui| ui.view().ticket.print == PrintState::Printed);
    let text = describe(&printer.printout());
    assert!(text.contains("Civil status"), "{text}");
    assert!(text.contains("People ahead of you"), "{text}");
    assert!(text.contains("Priority"), "{text}");
    ui.tap("Done");
    ui.wait_screen(Screen::Welcome);
    assert!(ui.shows("Prendi il numero"), "back in Italian for the next citizen");
}

/// The printed ticket as text, one element a line: text with its size and emphasis, codes, cuts.
pub fn describe(printout: &Decoded) -> String {
    let mut out = Vec::new();
    for item in &printout.items {
        match item {
            Item::Text(line) => {
                let mut style = String::new();
                if line.width > 1 || line.height > 1 {
                    style.push_str(&format!(" {}×{}", line.width, line.height));
                }
                if line.bold {
                    style.push_str(" bold");
                }
                out.push(format!("{:?}{style}", line.text));
            }
            Item::Qr(qr) => out.push(format!("QR {}", qr.payload)),
            Item::Barcode(code) => out.push(format!("{} {}", code.symbology, code.payload)),
            Item::Raster(r) => out.push(format!("image {}×{}", r.width, r.height)),
            Item::Cut { .. } => out.push("cut".to_owned()),
            _ => {}
        }
    }
    out.join("\n")
}

/// Replaces the `dd/mm/yyyy hh:mm` of the ticket with a placeholder.
fn redact_date(text: &str) -> String {
    text.lines()
        .map(|line| {
            let t = line.trim_matches('"');
            let b = t.as_bytes();
            let is_date = b.len() == 16 && b[2] == b'/' && b[5] == b'/' && b[13] == b':';
            if is_date {
                "\"DD/MM/YYYY HH:MM\"".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
