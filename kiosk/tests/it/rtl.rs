//! Right to left, in Arabic: the header mirrored, the Latin keypad still A to Z from the left, list bullets at the
//! start of their lines, and a service's text with no Arabic version shown in English, left to right.

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use i_slint_core::items::TextHorizontalAlignment;
use turno_kiosk::controller::Input;
use turno_kiosk::fixtures;
use turno_kiosk::lang::Language;

use crate::layout::{alignment_of, screen};
use crate::support::Ui;

fn inputs(name: &str) -> Vec<Input> {
    fixtures::screens()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, inputs)| inputs)
        .unwrap()
}

fn one(ui: &Ui, label: &str) -> ElementHandle {
    let found = ui.find(label);
    assert!(!found.is_empty(), "nothing labelled {label:?}");
    found.into_iter().next().unwrap()
}

fn left(e: &ElementHandle) -> f32 {
    e.absolute_position().x
}

fn right(e: &ElementHandle) -> f32 {
    e.absolute_position().x + e.size().width
}

#[test]
fn the_header_puts_the_office_at_the_reading_side_and_the_clock_at_the_other() {
    crate::support::init_slint();
    for (width, height) in [(1080., 1920.), (1920., 1080.)] {
        for language in [Language::Italian, Language::Arabic] {
            let ui = screen(width, height, language, &inputs("services"));
            ui.kiosk.show_time(&"2026-11-26T09:41".parse().unwrap());
            let (office, clock) = (one(&ui, "Comune di Valverde"), one(&ui, "09:41"));
            if language == Language::Arabic {
                assert!(
                    right(&clock) < left(&office),
                    "{width}×{height}: clock left of the office's name"
                );
                assert!(
                    right(&office) > width * 0.9,
                    "{width}×{height}: the office's name at the right edge"
                );
            } else {
                assert!(
                    right(&office) < left(&clock),
                    "{width}×{height}: the office's name left of the clock"
                );
                assert!(
                    left(&office) < width * 0.1,
                    "{width}×{height}: the office's name at the left edge"
                );
            }
        }
    }
}

#[test]
fn the_latin_letter_keys_run_a_to_z_from_the_left_in_arabic() {
    crate::support::init_slint();
    for (width, height) in [(1080., 1920.), (1920., 1080.), (1024., 768.)] {
        let ui = screen(width, height, Language::Arabic, &inputs("rate-code"));
        let key = |k: &str| {
            ui.find(k)
                .into_iter()
                .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
                .unwrap_or_else(|| panic!("no key {k}"))
        };
        let (a, b, c) = (key("A"), key("B"), key("C"));
        assert!(
            left(&a) < left(&b) && left(&b) < left(&c),
            "{width}×{height}: A, B, C from the left"
        );
    }
}

#[test]
fn list_bullets_start_their_lines_on_the_reading_side_of_each_text() {
    crate::support::init_slint();
    // The priority card's list is Arabic: bullets on the right.
    let ui = screen(1080., 1920., Language::Arabic, &inputs("priority"));
    let bullets = ui.find("•");
    assert_eq!(bullets.len(), 4, "the priority card's four bullets");
    for b in &bullets {
        assert!(
            left(b) > 1080. / 2.,
            "an Arabic line's bullet on the right, at {}",
            left(b)
        );
    }
    // The documents have no Arabic version: shown in English, left to right, bullets on the left.
    let ui = screen(1080., 1920., Language::Arabic, &inputs("info"));
    let document = one(&ui, "For minors: both parents must be present");
    let bullets = ui.find("•");
    assert_eq!(bullets.len(), 4, "the four documents' bullets");
    for b in &bullets {
        assert!(
            right(b) <= left(&document) + 1.,
            "an English line's bullet on the left, at {}",
            left(b)
        );
    }
    assert_eq!(
        alignment_of(ui.window(), "For minors: both parents must be present"),
        Some(TextHorizontalAlignment::Left)
    );
    assert_eq!(
        alignment_of(ui.window(), "Registry office – Identity card"),
        Some(TextHorizontalAlignment::Left),
        "the English title of a service with no Arabic name"
    );
}

#[test]
fn a_service_text_missing_in_arabic_falls_back_to_english_then_italian() {
    crate::support::init_slint();
    let ui = screen(1920., 1080., Language::Arabic, &inputs("services"));
    // English where there is no Arabic name, the Arabic one where there is, aligned as each reads.
    assert!(ui.shows("Registry office – Identity card"));
    assert!(ui.shows("الأحوال المدنية"));
    assert!(!ui.shows("Stato civile"));
    assert_eq!(
        alignment_of(ui.window(), "الأحوال المدنية"),
        Some(TextHorizontalAlignment::Right)
    );
    assert_eq!(
        alignment_of(ui.window(), "Registry office – Identity card"),
        Some(TextHorizontalAlignment::Left)
    );
    // Set to Italian at once, the kiosk shows the Italian name.
    ui.kiosk.set_fallbacks(Vec::new());
    assert!(ui.shows("Anagrafe – Carta d'identità"));
}
