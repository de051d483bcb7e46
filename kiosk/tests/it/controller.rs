//! The controller alone, without a window: idle timeout with its warning, the language reset for the
//! next citizen, the ticket that goes away by itself, the keypad and the codes a scanner types.

use std::time::{Duration, Instant};

use turno_kiosk::controller::{Controller, Effect, Input, PrintState, Screen, Timing, rating_code};
use turno_kiosk::fixtures;
use turno_kiosk::lang::Language;

fn loaded(timing: Timing, now: Instant) -> Controller {
    let mut c = Controller::new(timing, now);
    c.start(now);
    c.handle(Input::OfficeLoaded(Ok(fixtures::office())), now);
    c
}

fn selects(effects: &[Effect]) -> Option<Language> {
    effects.iter().find_map(|e| match e {
        Effect::SelectLanguage(l) => Some(*l),
        _ => None,
    })
}

#[test]
fn an_idle_kiosk_warns_then_goes_back_to_welcome_in_italian() {
    let t0 = Instant::now();
    let timing = Timing::with_idle_timeout(Duration::from_secs(40));
    let mut c = loaded(timing, t0);
    assert_eq!(
        selects(&c.handle(Input::ChooseLanguage(Language::German), t0)),
        Some(Language::German)
    );
    c.handle(Input::TakeNumber, t0);
    c.handle(Input::OpenService(1), t0);
    assert_eq!(c.screen(), Screen::Info);

    let at = |s: u64| t0 + Duration::from_secs(s);
    c.tick(at(24));
    assert_eq!(c.view(at(24)).idle_warning, None, "no warning while the citizen reads");
    c.tick(at(26));
    assert_eq!(c.view(at(26)).idle_warning, Some(14), "the warning counts down");
    // A touch keeps the screen.
    c.handle(Input::StillHere, at(30));
    assert_eq!(c.view(at(31)).idle_warning, None);
    assert!(c.tick(at(69)).is_empty() || c.screen() == Screen::Info);
    assert_eq!(c.screen(), Screen::Info);
    let effects = c.tick(at(71));
    assert_eq!(c.screen(), Screen::Welcome);
    assert_eq!(
        selects(&effects),
        Some(Language::Italian),
        "the next citizen starts in Italian"
    );
    assert_eq!(c.language(), Language::Italian);
}

#[test]
fn the_idle_timeout_is_never_shorter_than_thirty_seconds() {
    assert_eq!(
        Timing::with_idle_timeout(Duration::from_secs(5)).idle_timeout,
        Duration::from_secs(30)
    );
}

#[test]
fn the_ticket_goes_away_by_itself_later_when_it_was_not_printed() {
    let t0 = Instant::now();
    let timing = Timing::default();
    for (ok, linger) in [(true, timing.ticket_shown), (false, timing.unprinted_ticket_shown)] {
        let mut c = loaded(timing, t0);
        for input in [
            Input::TakeNumber,
            Input::OpenService(1),
            Input::GetTicket,
            Input::ChoosePriority(false),
        ] {
            c.handle(input, t0);
        }
        let effects = c.handle(Input::Issued(Ok(fixtures::issued())), t0);
        assert!(effects.iter().any(|e| matches!(e, Effect::Print { .. })));
        c.handle(Input::Printed { ticket_id: 8, ok }, t0);
        assert_eq!(
            c.view(t0).ticket.print,
            if ok { PrintState::Printed } else { PrintState::Failed }
        );
        c.tick(t0 + linger - Duration::from_secs(1));
        assert_eq!(c.screen(), Screen::Ticket);
        c.tick(t0 + linger);
        assert_eq!(c.screen(), Screen::Welcome);
    }
    assert!(timing.unprinted_ticket_shown > timing.ticket_shown);
}

#[test]
fn a_service_full_or_closed_has_its_own_screen() {
    let t0 = Instant::now();
    let mut c = loaded(Timing::default(), t0);
    c.handle(Input::TakeNumber, t0);
    c.handle(Input::OpenService(4), t0);
    assert_eq!(c.screen(), Screen::Full);
    c.handle(Input::Back, t0);
    c.handle(Input::OpenService(5), t0);
    assert_eq!(c.screen(), Screen::Closed);
    assert_eq!(c.view(t0).service_name, "Protocollo");
}

#[test]
fn the_keypad_takes_a_letter_then_digits() {
    let t0 = Instant::now();
    let mut c = loaded(Timing::default(), t0);
    c.handle(Input::RateVisit, t0);
    for key in ['7', 'b', 'C', '0', '1', '2', '3', '4', '5'] {
        c.handle(Input::Keypad(key), t0);
    }
    assert_eq!(c.view(t0).code, "B0123", "one letter, at most four digits");
    c.handle(Input::KeypadDelete, t0);
    c.handle(Input::SubmitCode, t0);
    assert_eq!(c.screen(), Screen::RateFaces);
    assert_eq!(c.view(t0).code, "B012");
}

#[test]
fn scanned_and_typed_codes_become_rating_codes() {
    let check = |raw: &str, expected: Option<&str>| assert_eq!(rating_code(raw).as_deref(), expected, "{raw:?}");
    check("a12", Some("A012"));
    check(" B001 ", Some("B001"));
    check("k3Jx9QmR2vTz", Some("k3Jx9QmR2vTz"));
    check("http://10.0.0.2:8080/t/k3Jx9QmR2vTz", Some("k3Jx9QmR2vTz"));
    check("https://turno.example.it/t/k3Jx9QmR2vTz/?x=1", Some("k3Jx9QmR2vTz"));
    check("hello", None);
    check("", None);
}
