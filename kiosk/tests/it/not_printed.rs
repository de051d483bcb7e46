//! When the ticket did not print, the screen shows its page's QR code (the `/t/<token>` address printed on the
//! ticket), big enough to scan from 40 cm, and the rating code: the screenshot's QR code decodes to the address.

use slint::ComponentHandle;
use turno_kiosk::fixtures;
use turno_kiosk::lang::Language;

use crate::layout::{SIZES, screen};

/// 35 mm at 110 dpi, denser than any kiosk screen of these sizes (a 21.5" full-HD screen has 102 dpi, a 15"
/// 1024×768 one 85): the least a phone reads well from 40 cm.
const QR_MIN_PX: f32 = 35. / 25.4 * 110.;

fn inputs(name: &str) -> Vec<turno_kiosk::controller::Input> {
    fixtures::screens()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, inputs)| inputs)
        .unwrap()
}

/// The text of the QR code drawn at `x, y` (`side` pixels) in the window's snapshot.
fn decode(ui: &crate::support::Ui, x: f32, y: f32, side: f32) -> String {
    let shot = ui.window().window().take_snapshot().unwrap();
    let (width, pixels) = (shot.width() as usize, shot.as_slice());
    // The code with a margin of page around it, as a phone's camera sees it.
    let margin = 24.;
    let (x0, y0) = ((x - margin).max(0.) as usize, (y - margin).max(0.) as usize);
    let size = (side + 2. * margin) as usize;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(size, size, |px, py| {
        let p = pixels[(y0 + py) * width + x0 + px];
        ((p.r as u32 * 299 + p.g as u32 * 587 + p.b as u32 * 114) / 1000) as u8
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the snapshot at {x},{y}");
    grids[0].decode().expect("the QR code decodes").1
}

#[test]
fn the_not_printed_screen_shows_the_ticket_page_qr_code_and_the_rating_code() {
    crate::support::init_slint_drawing();
    let page = format!("http://kiosk.test/t/{}", fixtures::TOKEN);
    for (width, height) in SIZES {
        for language in [Language::Italian, Language::Arabic] {
            let ui = screen(width, height, language, &inputs("ticket-not-printed"));
            let label = if language == Language::Italian {
                "Codice QR del biglietto"
            } else {
                "رمز QR للتذكرة"
            };
            let qr = ui.find(label);
            assert_eq!(qr.len(), 1, "{width}×{height} {language}: the QR code on screen");
            let (at, size) = (qr[0].absolute_position(), qr[0].size());
            assert!(
                size.width >= QR_MIN_PX && size.height >= QR_MIN_PX,
                "{width}×{height}: the QR code is {}×{} px, less than {QR_MIN_PX:.0}",
                size.width,
                size.height
            );
            assert_eq!(decode(&ui, at.x, at.y, size.width), page, "{width}×{height} {language}");
            assert!(
                ui.shows(fixtures::RATING_CODE),
                "{width}×{height} {language}: the rating code on screen"
            );
            ui.window().hide().unwrap();
        }
    }
}

#[test]
fn a_printed_ticket_shows_no_qr_code() {
    crate::support::init_slint();
    let ui = screen(1080., 1920., Language::Italian, &inputs("ticket"));
    assert!(ui.find("Codice QR del biglietto").is_empty());
    assert!(!ui.shows(fixtures::RATING_CODE));
}
