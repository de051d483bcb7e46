//! The controller alone, without a window: idle timeout with its warning, the language reset for the
//! next citizen, the ticket that goes away by itself, the keypad and the codes a scanner types.

use std::time::{Duration, Instant};

use turno_kiosk::controller::{
    Controller, Effect, Failure, Input, PrintState, Refusal, Screen, Timing, VisitCode, visit_code,
};
use turno_kiosk::fixtures;
use turno_kiosk::lang::Language;
use turno_shared::api::ErrorCode;
use turno_shared::domain::Rating;

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
        let effects = c.handle(Input::Issued(Ok(Box::new(fixtures::issued()))), t0);
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

/// A controller on the rating code screen with `keys` pressed.
fn typing(keys: &str) -> (Controller, Instant) {
    let t0 = Instant::now();
    let mut c = loaded(Timing::default(), t0);
    c.handle(Input::RateVisit, t0);
    for key in keys.chars() {
        c.handle(Input::Keypad(key), t0);
    }
    (c, t0)
}

/// The keypad after pressing `keys`: the display (typed code, then placeholders), whether the code
/// can be sent, and the keys that can come next.
fn check_keypad(keys: &str, expected_display: &str, expected_complete: bool, expected_enabled: &str) {
    let (c, t0) = typing(keys);
    let view = c.view(t0);
    assert_eq!(format!("{}|{}", view.code, view.code_rest), expected_display, "{keys}");
    assert_eq!(view.code_complete, expected_complete, "{keys}: complete");
    let enabled: String = view.keys.iter().filter(|k| k.enabled).map(|k| k.key).collect();
    assert_eq!(enabled, expected_enabled, "{keys}: enabled keys");
    assert_eq!(view.keys.len(), 36, "every letter and digit has its key");
}

#[test]
fn the_keypad_takes_the_letter_the_number_then_the_check_and_shows_the_code_as_printed() {
    const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const DIGITS: &str = "0123456789";
    // The check's letters: Crockford's base 32 has no I, L, O, U.
    const CHECK: &str = "ABCDEFGHJKMNPQRSTVWXYZ0123456789";
    // Any letter first (every service's), never a digit.
    check_keypad("", "|____-_____", false, LETTERS);
    check_keypad("7", "|____-_____", false, LETTERS);
    // Then digits only: a number has at least one.
    check_keypad("i", "I|___-_____", false, DIGITS);
    check_keypad("A0", "A0|__-_____", false, DIGITS);
    // After the first digit, a check character may start (a number may be typed without its zeros).
    check_keypad("A01", "A01|_-_____", false, CHECK);
    check_keypad("A012", "A012|-_____", false, CHECK);
    check_keypad("A0127k", "A012-7K|___", false, CHECK);
    check_keypad("A12k", "A12-K|____", false, CHECK);
    // Nine characters make a code: it can be sent, and a tenth may still come (a four-digit number).
    check_keypad("A0127K3MX", "A012-7K3MX|", true, CHECK);
    // Ten make the longest code; nothing more is taken.
    check_keypad("A12347K3MX", "A1234-7K3MX|", true, "");
    check_keypad("A12347K3MXYZ", "A1234-7K3MX|", true, "");
    // Keys a code cannot hold are not taken.
    check_keypad("AB0", "A0|__-_____", false, DIGITS);
    check_keypad("A012U", "A012|-_____", false, CHECK);
    // A number is never all zeros.
    check_keypad("A000", "A000|-_____", false, "123456789");
}

#[test]
fn a_typed_code_goes_to_the_faces_and_is_sent_as_printed() {
    let (mut c, t0) = typing("a0087m3kx");
    c.handle(Input::KeypadDelete, t0);
    assert_eq!(c.view(t0).code, "A008-7M3K");
    c.handle(Input::Keypad('X'), t0);
    c.handle(Input::SubmitCode, t0);
    assert_eq!(c.screen(), Screen::RateFaces);
    assert_eq!(c.view(t0).rated_number, "A008", "the faces say which ticket");
    let effects = c.handle(Input::Rate(Rating::Good), t0);
    let [Effect::Rate(request)] = effects.as_slice() else {
        panic!("one rating sent: {effects:?}");
    };
    assert_eq!(request.code, fixtures::RATING_CODE);
}

#[test]
fn a_bare_ticket_number_is_not_a_code() {
    // On the keypad, "Avanti" waits for the whole code.
    let (mut c, t0) = typing("A008");
    assert!(!c.view(t0).code_complete);
    c.handle(Input::SubmitCode, t0);
    assert_eq!(c.screen(), Screen::RateRefused);
    assert_eq!(c.view(t0).refusal, Refusal::InvalidCode);
    // Typed on a keyboard, or scanned from an old ticket.
    let (mut c, t0) = typing("");
    c.handle(Input::KeyTyped("A008\n".into()), t0);
    assert_eq!(c.screen(), Screen::RateRefused);
    assert_eq!(c.view(t0).refusal, Refusal::InvalidCode);
}

#[test]
fn too_many_wrong_codes_have_their_own_refusal() {
    let (mut c, t0) = typing("A0087M3KX");
    c.handle(Input::SubmitCode, t0);
    c.handle(Input::Rate(Rating::Good), t0);
    c.handle(Input::Rated(Err(Failure::Refused(ErrorCode::TooManyAttempts))), t0);
    assert_eq!(c.screen(), Screen::RateRefused);
    assert_eq!(c.view(t0).refusal, Refusal::TooManyAttempts);
}

#[test]
fn scanned_codes_name_the_visit() {
    let check = |raw: &str, expected: Option<VisitCode>| assert_eq!(visit_code(raw), expected, "{raw:?}");
    let rating = |code: &str| Some(VisitCode::Rating(code.parse().unwrap()));
    let token = |token: &str| Some(VisitCode::Token(token.to_owned()));
    // The barcode, as a keyboard-wedge scanner types it; and the code typed on a keyboard.
    check("A0127K3MX", rating("A012-7K3MX"));
    check(" a12 7k3mx ", rating("A012-7K3MX"));
    check("A012-7K3MX", rating("A012-7K3MX"));
    // The QR code's status link, or the token alone.
    let t = fixtures::TOKEN;
    check(t, token(t));
    check(&format!("http://10.0.0.2:8080/t/{t}"), token(t));
    check(&format!("https://turno.example.it/t/{t}/?x=1"), token(t));
    // A ticket number alone is called aloud in the waiting room: not enough to rate a visit.
    check("A012", None);
    check("a12", None);
    check("hello", None);
    check("", None);
    assert_eq!(rating("a0127k3mx").unwrap().wire(), "A012-7K3MX");
}
