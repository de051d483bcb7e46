//! The controller alone, without window or server: which actions each state offers (from the shared
//! ticket rules), keys, required choices, auto-call, the "not arrived?" prompt, offline refusal and
//! resynchronisation, and the coalescing of panel reloads.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use turno_console::controller::{
    Act, Acted, Command, Controller, DialogKind, Effect, Failure, Input, Key, Notice, Settings, Timing,
};
use turno_console::fixtures;
use turno_shared::api::{ErrorCode, LiveEvent};
use turno_shared::domain::{TicketNumber, TicketState};

fn t0() -> Timestamp {
    fixtures::now()
}

fn at(secs: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(secs)
}

/// A controller at work at Sportello 1 (no ticket), fed `more` inputs.
fn working(settings: Settings, more: Vec<Input>) -> Controller {
    let mut c = Controller::new(Timing::default(), settings, t0());
    for input in fixtures::signed_in().into_iter().chain(more) {
        c.handle(input, t0());
    }
    c
}

fn key(c: &mut Controller, k: Key, now: Timestamp) -> Vec<Effect> {
    c.handle(Input::Key { key: k, ctrl: false }, now)
}

fn with_ticket(state: TicketState) -> Input {
    let mut t = fixtures::ticket();
    t.state = state;
    Input::StatusLoaded(Ok(Box::new(fixtures::status(Some(t), false))))
}

#[test]
fn each_state_offers_the_actions_the_ticket_rules_allow() {
    use Command::*;
    let check = |setup: Option<Input>, expected: &[Command]| {
        let c = working(Settings::default(), setup.into_iter().collect());
        assert_eq!(
            c.view(t0()).commands,
            expected,
            "after {:?}",
            c.current().map(|t| t.state)
        );
    };
    check(None, &[CallNext, CallNumber, PauseResume, WalkIn, Info, SignOut]);
    check(
        Some(Input::StatusLoaded(Ok(Box::new(fixtures::status(None, true))))),
        &[PauseResume, WalkIn, Info, SignOut],
    );
    check(
        Some(with_ticket(TicketState::Called)),
        &[Recall, Start, Finish, NoShow, ReturnToQueue, Transfer, Info],
    );
    check(
        Some(with_ticket(TicketState::Serving)),
        &[Finish, ReturnToQueue, Transfer, Info],
    );
}

#[test]
fn every_command_has_its_own_key() {
    let keys: std::collections::HashSet<String> = Command::ALL.iter().map(|c| c.key_label()).collect();
    assert_eq!(keys.len(), Command::ALL.len());
    assert_eq!(Command::CallNext.key_label(), "F1");
    assert_eq!(Command::AutoCall.key_label(), "Ctrl+F1");
    let mut c = working(Settings::default(), vec![]);
    let effects = key(&mut c, Key::F(1), t0());
    assert!(
        matches!(
            effects[..],
            [Effect::Act {
                counter: 1,
                act: Act::CallNext
            }]
        ),
        "{effects:?}"
    );
    // Ctrl+F1 toggles auto-call and saves it.
    let effects = c.handle(
        Input::Key {
            key: Key::F(1),
            ctrl: true,
        },
        t0(),
    );
    assert!(matches!(&effects[..], [Effect::Save(s)] if s.auto_call), "{effects:?}");
}

#[test]
fn finishing_needs_an_outcome_and_takes_further_services_and_a_note() {
    let mut c = working(Settings::default(), vec![with_ticket(TicketState::Serving)]);
    key(&mut c, Key::F(4), t0());
    assert_eq!(c.dialog(), Some(DialogKind::Finish));
    assert!(key(&mut c, Key::Enter, t0()).is_empty());
    assert_eq!(c.view(t0()).notice.unwrap().notice, Notice::OutcomeRequired);
    // Digits pick the outcome, letters the further services (the ticket's own is not offered).
    key(&mut c, Key::Char('2'), t0());
    key(&mut c, Key::Char('b'), t0());
    key(&mut c, Key::Char('a'), t0());
    c.handle(
        Input::Edited(turno_console::controller::Field::Note, "  residenza  ".into()),
        t0(),
    );
    let effects = key(&mut c, Key::Enter, t0());
    match &effects[..] {
        [
            Effect::Act {
                act: Act::Finish(12, req),
                ..
            },
        ] => {
            assert_eq!(req.outcome.as_str(), "certificato");
            assert_eq!(req.also, [2]);
            assert_eq!(req.note.as_deref(), Some("residenza"));
        }
        other => panic!("{other:?}"),
    }
    // Esc while the request is on its way keeps the dialog (its answer decides).
    key(&mut c, Key::Escape, t0());
    assert_eq!(c.dialog(), Some(DialogKind::Finish));
}

#[test]
fn auto_call_calls_the_next_ticket_after_finishing() {
    for auto_call in [false, true] {
        let settings = Settings {
            auto_call,
            ..Settings::default()
        };
        let mut c = working(settings, vec![with_ticket(TicketState::Serving)]);
        let mut done = fixtures::ticket();
        done.state = TicketState::Done;
        let request = turno_shared::api::FinishRequest {
            outcome: "atto".parse().unwrap(),
            note: None,
            also: vec![],
        };
        let effects = c.handle(
            Input::Acted(
                Box::new(Act::Finish(12, request)),
                Ok(Acted::Ticket(Some(Box::new(done)))),
            ),
            t0(),
        );
        let calls = effects
            .iter()
            .any(|e| matches!(e, Effect::Act { act: Act::CallNext, .. }));
        assert_eq!(calls, auto_call);
        assert!(c.current().is_none());
    }
}

#[test]
fn the_not_arrived_prompt_comes_after_a_recall_and_can_be_dismissed() {
    let mut c = working(Settings::default(), vec![fixtures::called()]);
    let recalled = Input::Acted(
        Box::new(Act::Recall(12)),
        Ok(Acted::Ticket(Some(Box::new(fixtures::ticket())))),
    );
    c.handle(recalled, t0());
    let after = Timing::default().no_show_prompt_after.as_secs() as i64;
    assert!(!c.view(at(after - 1)).no_show_prompt);
    assert!(c.view(at(after)).no_show_prompt);
    key(&mut c, Key::Escape, at(after));
    assert!(!c.view(at(after + 60)).no_show_prompt, "kept waiting");
}

#[test]
fn offline_actions_are_refused_and_never_queued() {
    let mut c = working(Settings::default(), vec![]);
    c.handle(Input::Connected(false), t0());
    assert!(c.view(t0()).offline);
    assert!(key(&mut c, Key::F(1), t0()).is_empty());
    assert_eq!(c.view(t0()).notice.unwrap().notice, Notice::Offline);
    // Back: everything is read again, and nothing pressed meanwhile is sent.
    let effects = c.handle(Input::Connected(true), t0());
    assert!(
        effects.iter().any(|e| matches!(e, Effect::LoadStatus(1))),
        "{effects:?}"
    );
    assert!(!effects.iter().any(|e| matches!(e, Effect::Act { .. })));
}

#[test]
fn a_lost_answer_is_not_repeated_and_the_counter_is_read_again() {
    let mut c = working(Settings::default(), vec![]);
    key(&mut c, Key::F(1), t0());
    c.handle(Input::Acted(Box::new(Act::CallNext), Err(Failure::Unreachable)), t0());
    let view = c.view(t0());
    assert!(view.offline);
    assert_eq!(view.notice.unwrap().notice, Notice::NoAnswer);
    // Probes while offline; the first answer brings everything back.
    let probe = c.tick(at(3));
    assert!(matches!(probe[..], [Effect::LoadStatus(1)]), "{probe:?}");
    let effects = c.handle(with_ticket(TicketState::Called), at(3));
    assert!(!c.view(at(3)).offline);
    assert!(effects.iter().any(|e| matches!(e, Effect::LoadPanel(1))), "{effects:?}");
    assert_eq!(c.current().unwrap().number, "A012".parse::<TicketNumber>().unwrap());
}

#[test]
fn refusals_are_explained_by_their_code() {
    let check = |act: Act, code: ErrorCode, expected: Notice| {
        let mut c = working(Settings::default(), vec![]);
        let effects = c.handle(Input::Acted(Box::new(act.clone()), Err(Failure::Refused(code))), t0());
        assert_eq!(c.view(t0()).notice.unwrap().notice, expected, "{act:?} {code:?}");
        assert!(
            effects.iter().any(|e| matches!(e, Effect::LoadStatus(1))),
            "read again after {code:?}"
        );
    };
    check(Act::CallNext, ErrorCode::CounterPaused, Notice::CounterPaused);
    check(Act::CallNext, ErrorCode::TicketInProgress, Notice::TicketInProgress);
    check(Act::CallTicket(3), ErrorCode::IllegalTransition, Notice::AlreadyTaken);
    check(Act::Recall(3), ErrorCode::IllegalTransition, Notice::OutOfDate);
    check(Act::Start(3), ErrorCode::Internal, Notice::Refused);
}

#[test]
fn a_burst_of_live_events_makes_at_most_two_panel_loads() {
    let mut c = Controller::new(Timing::default(), Settings::default(), t0());
    for input in fixtures::signed_in().into_iter().take(5) {
        c.handle(input, t0());
    }
    // The panel load asked for at the counter's opening is on its way.
    let issued = || {
        Input::Live(Box::new(LiveEvent::TicketIssued {
            ticket_id: 1,
            number: "A001".parse().unwrap(),
            service_id: 1,
        }))
    };
    let loads = |effects: &[Effect]| effects.iter().filter(|e| matches!(e, Effect::LoadPanel(_))).count();
    assert_eq!(loads(&c.handle(issued(), t0())), 0);
    assert_eq!(loads(&c.handle(issued(), t0())), 0);
    let answered = c.handle(Input::PanelLoaded(Ok(Box::new(fixtures::panel()))), t0());
    assert_eq!(loads(&answered), 1, "one more for the burst");
    assert_eq!(
        loads(&c.handle(Input::PanelLoaded(Ok(Box::new(fixtures::panel()))), t0())),
        0
    );
    assert_eq!(loads(&c.handle(issued(), t0())), 1, "quiet again: at once");
}

#[test]
fn sign_in_refusals_and_missing_fields() {
    let check = |failure: Failure, expected: Notice| {
        let mut c = Controller::new(
            Timing::default(),
            Settings {
                server: "http://a".into(),
                ..Settings::default()
            },
            t0(),
        );
        c.handle(
            Input::Edited(turno_console::controller::Field::Username, "mrossi".into()),
            t0(),
        );
        c.handle(
            Input::Edited(turno_console::controller::Field::Password, "x".into()),
            t0(),
        );
        assert!(matches!(key(&mut c, Key::Enter, t0())[..], [Effect::SignIn { .. }]));
        c.handle(Input::SignedIn(Err(failure)), t0());
        assert_eq!(c.view(t0()).notice.unwrap().notice, expected, "{failure:?}");
    };
    check(Failure::Refused(ErrorCode::BadCredentials), Notice::BadCredentials);
    check(Failure::Refused(ErrorCode::TooManyAttempts), Notice::Locked);
    check(Failure::Refused(ErrorCode::Unavailable), Notice::Unavailable);
    check(Failure::Unreachable, Notice::Unreachable);
    let mut c = Controller::new(Timing::default(), Settings::default(), t0());
    assert!(key(&mut c, Key::Enter, t0()).is_empty());
    assert_eq!(c.view(t0()).notice.unwrap().notice, Notice::MissingFields);
    let _ = Duration::ZERO;
}
