//! Banners report what lasts without stopping the work: a kiosk's printer out of paper, live from the
//! kiosk's alert, gone when the printer works again; work goes on meanwhile.

use turno_console::controller::Key;
use turno_shared::api::{PrinterAlertRequest, PrinterStatus};

use crate::support::{Office, Ui, runtime};

#[test]
fn a_kiosk_printer_out_of_paper_shows_as_a_banner_until_it_works_again() {
    let rt = runtime();
    let office = Office::start();
    office.issue(&rt, 1, "it");
    let ui = Ui::connected(&rt, &office.url);
    ui.sign_in("mrossi", '1');
    ui.wait("the live stream", |ui| !ui.view().offline);
    let banner = "Totem ingresso: stampante senza carta, i biglietti non vengono stampati";
    assert!(!ui.shows(banner));
    let report = |status| {
        rt.block_on(
            office
                .kiosk()
                .printer_alert(&PrinterAlertRequest { status, message: None }),
        )
        .unwrap()
    };
    report(PrinterStatus::PaperOut);
    ui.wait("the banner", |ui| ui.shows(banner));
    // The banner blocks nothing.
    ui.press(Key::F(1));
    ui.wait_ticket("A001");
    report(PrinterStatus::Ok);
    ui.wait("the banner gone", |ui| !ui.shows(banner));
}
