//! The spoken mode (issue 10, point 4): what the controller chooses to say on each screen and for each touched
//! button, the words the window gives it in Italian and in English, the idle timer that waits for the voice,
//! the mode's end with the visit, and the real espeak-ng run with the language's voice.

use std::path::Path;
use std::time::{Duration, Instant};

use slint::ComponentHandle;
use turno_kiosk::controller::{Controller, Effect, Input, Screen, Timing};
use turno_kiosk::fixtures;
use turno_kiosk::kiosk::{self, NoBackend};
use turno_kiosk::lang::Language;
use turno_kiosk::speech::{Espeak, Phrase, Recorder, Speech, sentences as say};
use turno_shared::domain::Rating;
use turno_ui::{KioskAdapter, KioskWindow, SpeechTexts};

use crate::support::{DEADLINE, Ui, init_slint};

fn loaded(now: Instant) -> Controller {
    let mut c = Controller::new(Timing::with_idle_timeout(Duration::from_secs(60)), now);
    c.start(now);
    c.handle(Input::OfficeLoaded(Ok(fixtures::office())), now);
    c
}

/// What `effects` ask to say, if anything.
fn said(effects: &[Effect]) -> Option<(Language, Vec<Phrase>)> {
    effects.iter().find_map(|e| match e {
        Effect::Say { language, phrases } => Some((*language, phrases.clone())),
        _ => None,
    })
}

fn sentence(s: turno_kiosk::speech::Sentence) -> Phrase {
    Phrase::Say(s)
}

#[test]
fn with_the_mode_off_nothing_is_said_on_any_screen() {
    let t0 = Instant::now();
    for (name, inputs) in fixtures::screens() {
        let mut c = loaded(t0);
        for input in inputs.into_iter().chain([Input::Back, Input::Home]) {
            let effects = c.handle(input, t0);
            assert_eq!(said(&effects), None, "{name}: spoken with the mode off");
        }
        assert_eq!(
            said(&c.tick(t0 + Duration::from_secs(3600))),
            None,
            "{name}: spoken after the visit"
        );
    }
}

#[test]
fn each_screen_is_said_when_it_shows_and_each_touched_button() {
    let t0 = Instant::now();
    let mut c = loaded(t0);
    let (language, on) = said(&c.handle(Input::ToggleSpeech, t0)).expect("the mode says it is on");
    assert_eq!(language, Language::Italian);
    assert_eq!(on[..2], [sentence(say::SPEECH_ON), sentence(say::WELCOME)]);
    assert!(c.view(t0).spoken);

    // Services: every name, with its wait or why it takes no numbers.
    let (_, services) = said(&c.handle(Input::TakeNumber, t0)).unwrap();
    assert_eq!(
        services[..2],
        [sentence(say::TAKE_NUMBER), sentence(say::CHOOSE_SERVICE)]
    );
    for expected in [
        Phrase::Text("Anagrafe – Carta d'identità".into()),
        Phrase::Waiting(7),
        Phrase::Wait {
            minutes: Some(20),
            range: Some(fixtures::WAIT_RANGE),
        },
        Phrase::Text("Protocollo".into()),
        sentence(say::CLOSED_NOW),
        sentence(say::NO_NUMBERS_LEFT),
    ] {
        assert!(services.contains(&expected), "{expected:?} not in {services:#?}");
    }

    // The sheet: name first (the tile touched), then the documents to bring.
    let (_, sheet) = said(&c.handle(Input::OpenService(1), t0)).unwrap();
    assert_eq!(sheet[0], Phrase::Text("Anagrafe – Carta d'identità".into()));
    let documents = sheet.iter().position(|p| *p == sentence(say::DOCUMENTS)).unwrap();
    assert_eq!(
        sheet[documents + 3],
        Phrase::Text("Tessera sanitaria (codice fiscale)".into())
    );

    let (_, priority) = said(&c.handle(Input::GetTicket, t0)).unwrap();
    assert_eq!(
        priority[..2],
        [sentence(say::TAKE_NUMBER), sentence(say::PRIORITY_QUESTION)]
    );
    assert!(priority.ends_with(&[sentence(say::NO), sentence(say::YES_PRIORITY)]));
    let (_, no) = said(&c.handle(Input::ChoosePriority(false), t0)).unwrap();
    assert_eq!(no, [sentence(say::NO)]);

    // The ticket: "printing" while it prints, then all of it once the printer answered.
    let (_, printing) = said(&c.handle(Input::Issued(Ok(Box::new(fixtures::issued()))), t0)).unwrap();
    assert_eq!(printing, [sentence(say::PRINTING)]);
    let (_, ticket) = said(&c.handle(
        Input::Printed {
            ticket_id: 8,
            ok: false,
        },
        t0,
    ))
    .unwrap();
    for expected in [
        sentence(say::NOTE_NUMBER),
        Phrase::Code("A008".into()),
        Phrase::PeopleAhead(7),
        Phrase::Wait {
            minutes: Some(20),
            range: Some(fixtures::WAIT_RANGE),
        },
        sentence(say::PRINTER_DOWN),
        Phrase::Code(fixtures::RATING_CODE.into()),
    ] {
        assert!(ticket.contains(&expected), "{expected:?} not in {ticket:#?}");
    }
    // Background answers that change nothing on screen say nothing.
    assert_eq!(said(&c.handle(Input::OfficeLoaded(Ok(fixtures::office())), t0)), None);
}

#[test]
fn the_rating_screens_and_their_keys_are_said() {
    let t0 = Instant::now();
    let mut c = loaded(t0);
    c.handle(Input::ToggleSpeech, t0);
    let (_, code) = said(&c.handle(Input::RateVisit, t0)).unwrap();
    assert_eq!(code[..2], [sentence(say::RATE_SERVICE), sentence(say::RATE_TITLE)]);
    assert_eq!(
        said(&c.handle(Input::Keypad('a'), t0)).unwrap().1,
        [Phrase::Code("A".into())]
    );
    // A key that cannot come next does nothing and says nothing.
    assert_eq!(said(&c.handle(Input::Keypad('Z'), t0)), None);
    assert_eq!(
        said(&c.handle(Input::KeypadDelete, t0)).unwrap().1,
        [sentence(say::DELETE)]
    );
    for input in fixtures::typed(fixtures::RATING_CODE) {
        c.handle(input, t0);
    }
    let (_, faces) = said(&c.handle(Input::SubmitCode, t0)).unwrap();
    assert_eq!(
        faces,
        [
            sentence(say::NEXT),
            sentence(say::HOW_WAS_IT),
            Phrase::RatedTicket("A008".into()),
            sentence(say::GOOD),
            sentence(say::SO_SO),
            sentence(say::BAD)
        ]
    );
    let (_, bad) = said(&c.handle(Input::Rate(Rating::Bad), t0)).unwrap();
    assert_eq!(bad[..2], [sentence(say::BAD), sentence(say::WHAT_WENT_WRONG)]);
    assert_eq!(said(&c.handle(Input::Back, t0)).unwrap().1[0], sentence(say::BACK));
}

#[test]
fn a_language_chosen_is_said_in_itself_then_the_welcome_in_it() {
    let t0 = Instant::now();
    let mut c = loaded(t0);
    c.handle(Input::ToggleSpeech, t0);
    let effects = c.handle(Input::ChooseLanguage(Language::German), t0);
    assert!(
        matches!(effects[0], Effect::SelectLanguage(Language::German)),
        "{effects:?}"
    );
    let (language, phrases) = said(&effects).unwrap();
    assert_eq!(language, Language::German);
    assert_eq!(phrases[..2], [Phrase::Text("Deutsch".into()), sentence(say::WELCOME)]);
}

#[test]
fn spoken_mode_and_large_text_end_with_the_visit() {
    let t0 = Instant::now();
    let mut c = loaded(t0);
    c.handle(Input::ToggleSpeech, t0);
    let (_, large) = said(&c.handle(Input::ToggleLargeText, t0)).unwrap();
    assert_eq!(large, [sentence(say::LARGE_TEXT_ON)]);
    for input in fixtures::screens().into_iter().find(|(n, _)| *n == "ticket").unwrap().1 {
        c.handle(input, t0);
    }
    assert!(
        c.view(t0).spoken && c.view(t0).large_text,
        "both hold through the visit"
    );
    // "Fine" is said, and the visit is over.
    let (_, done) = said(&c.handle(Input::Home, t0)).unwrap();
    assert_eq!(done, [sentence(say::DONE)]);
    assert_eq!(c.screen(), Screen::Welcome);
    assert!(!c.view(t0).spoken && !c.view(t0).large_text);
    assert_eq!(
        said(&c.handle(Input::TakeNumber, t0)),
        None,
        "the next citizen hears nothing"
    );

    // Turned on and left on the welcome screen: the idle timeout ends it too, and silences the voice.
    c.handle(Input::Home, t0);
    c.handle(Input::ToggleSpeech, t0);
    let effects = c.tick(t0 + c.timing().spoken_idle_timeout);
    assert!(!c.view(t0).spoken);
    assert!(effects.iter().any(|e| matches!(e, Effect::StopSpeaking)), "{effects:?}");
}

#[test]
fn the_idle_timeout_waits_for_the_voice_and_is_longer_in_spoken_mode() {
    let t0 = Instant::now();
    let at = |s: u64| t0 + Duration::from_secs(s);
    let mut c = loaded(t0);
    let timing = c.timing();
    assert!(timing.spoken_idle_timeout >= timing.idle_timeout * 2);
    c.handle(Input::ToggleSpeech, t0);
    c.handle(Input::TakeNumber, t0);
    c.handle(Input::OpenService(1), t0);
    // The voice reads the sheet for a long while: nothing times out meanwhile.
    c.handle(Input::Speaking(true), t0);
    for s in (0..=400).step_by(10) {
        c.tick(at(s));
        assert_eq!(
            c.view(at(s)).idle_warning,
            None,
            "a warning at {s} s while the voice speaks"
        );
    }
    assert_eq!(c.screen(), Screen::Info);
    c.handle(Input::Speaking(false), at(400));
    // The usual timeout has passed since the voice stopped, the spoken one not yet.
    c.tick(at(400) + timing.idle_timeout);
    assert_eq!(c.screen(), Screen::Info);
    // A touch extends it.
    c.handle(
        Input::StillHere,
        at(400) + timing.spoken_idle_timeout - Duration::from_secs(5),
    );
    c.tick(at(400) + timing.spoken_idle_timeout);
    assert_eq!(c.screen(), Screen::Info);

    // The warning is said once; saying it does not hold the kiosk back.
    let since = at(400) + timing.spoken_idle_timeout - Duration::from_secs(5);
    let warn_at = since + timing.spoken_idle_timeout - timing.idle_warning;
    let (_, warning) = said(&c.tick(warn_at)).expect("the warning is said");
    assert_eq!(warning[0], sentence(say::STILL_HERE));
    c.handle(Input::Speaking(true), warn_at);
    assert_eq!(said(&c.tick(warn_at + Duration::from_secs(1))), None, "said once");
    c.tick(since + timing.spoken_idle_timeout);
    assert_eq!(
        c.screen(),
        Screen::Welcome,
        "the warning's own voice does not keep the screen"
    );
    assert!(!c.view(since).spoken);
}

#[test]
fn the_ticket_stays_until_the_voice_has_read_it() {
    let t0 = Instant::now();
    let mut c = loaded(t0);
    c.handle(Input::ToggleSpeech, t0);
    for input in fixtures::screens().into_iter().find(|(n, _)| *n == "ticket").unwrap().1 {
        c.handle(input, t0);
    }
    c.handle(Input::Speaking(true), t0);
    let shown = c.timing().ticket_shown;
    c.tick(t0 + shown * 2);
    assert_eq!(c.screen(), Screen::Ticket, "not taken away while the number is read");
    c.handle(Input::Speaking(false), t0 + shown * 2);
    c.tick(t0 + shown * 3);
    assert_eq!(c.screen(), Screen::Welcome);
}

/// A kiosk window on the testing backend with the fixtures' office, its voice a [`Recorder`].
fn speaking_kiosk(language: Language) -> (Ui, Recorder) {
    init_slint();
    let window = KioskWindow::new().unwrap();
    let (_, inbox) = kiosk::channel(|| {});
    let ui = Ui::with_backend(window, Box::new(NoBackend), inbox, fixtures::PUBLIC_URL);
    let recorder = Recorder::default();
    ui.kiosk.set_speech(Box::new(recorder.clone()));
    ui.kiosk.input(Input::OfficeLoaded(Ok(fixtures::office())));
    ui.kiosk.input(Input::ChooseLanguage(language));
    (ui, recorder)
}

/// The welcome screen's button, then a service's tile, touched as a finger would.
#[test]
fn the_welcome_button_starts_the_voice_and_touched_buttons_are_read() {
    let (ui, recorder) = speaking_kiosk(Language::Italian);
    assert!(ui.shows("Guida vocale"), "the button is on the welcome screen");
    ui.tap("Testo grande");
    assert!(recorder.said().is_empty(), "nothing is said before the mode is on");
    ui.tap("Guida vocale");
    assert!(ui.view().spoken);
    assert!(
        ui.window().global::<KioskAdapter>().get_spoken(),
        "the button shows the mode on"
    );
    assert_eq!(
        recorder.last().unwrap(),
        "Guida vocale attiva. Benvenuti. Tocchi un pulsante per iniziare. Prendi il numero. Valuta il servizio."
    );
    ui.tap("Prendi il numero");
    let services = recorder.last().unwrap();
    assert!(
        services.starts_with(
            "Prendi il numero. Scelga il servizio. Tocchi il riquadro dell'ufficio a cui deve rivolgersi. \
             Anagrafe – Carta d'identità. In attesa: 7. Attesa: tra 15 e 25 minuti."
        ),
        "{services}"
    );
    ui.tap("Anagrafe – Carta d'identità");
    let sheet = recorder.last().unwrap();
    assert!(
        sheet.starts_with("Anagrafe – Carta d'identità. Rilascio della carta"),
        "{sheet}"
    );
    assert!(
        sheet.contains("Documenti da portare. Carta d'identità scaduta"),
        "{sheet}"
    );
    assert!(recorder.said().iter().all(|(l, _)| *l == Language::Italian));
    // The voice is still reading: the kiosk knows, and the idle timer waits.
    ui.step();
    ui.tap("Indietro");
    assert!(recorder.last().unwrap().starts_with("Indietro. Scelga il servizio."));
}

/// The words of every screen in `language`: from the welcome screen's button on, each utterance on a line, and
/// under each screen only what the screens before it did not say already.
fn every_screen_said(language: Language) -> String {
    let mut out = String::new();
    let mut before = std::collections::HashSet::new();
    for (name, inputs) in fixtures::screens() {
        let (ui, recorder) = speaking_kiosk(language);
        ui.kiosk.input(Input::ToggleSpeech);
        for input in inputs {
            ui.kiosk.input(input);
        }
        out.push_str(&format!("## {name}\n"));
        let said = recorder.said();
        for (said_in, text) in &said {
            assert_eq!(*said_in, language, "{name}: {text}");
            if !before.contains(text) {
                out.push_str(text);
                out.push('\n');
            }
        }
        before.extend(said.into_iter().map(|(_, text)| text));
        ui.window().hide().unwrap();
    }
    out
}

#[test]
fn every_screen_is_said_in_italian_and_in_english() {
    expect_test::expect_file!["spoken/it.txt"].assert_eq(&every_screen_said(Language::Italian));
    expect_test::expect_file!["spoken/en.txt"].assert_eq(&every_screen_said(Language::English));
}

/// Every sentence the controller can say goes through the screens' translations (German here): a sentence
/// missing from `SpeechTexts.tr` would come back in Italian.
#[test]
fn every_sentence_said_is_translated() {
    init_slint();
    let window = KioskWindow::new().unwrap();
    let texts = window.global::<SpeechTexts>();
    slint::select_bundled_translation("").unwrap();
    for s in say::ALL {
        assert_eq!(texts.invoke_tr(s.source().into()), s.source());
    }
    slint::select_bundled_translation("de").unwrap();
    let untranslated: Vec<_> = say::ALL
        .iter()
        .filter(|s| texts.invoke_tr(s.source().into()) == s.source())
        .collect();
    slint::select_bundled_translation("").unwrap();
    assert!(
        untranslated.is_empty(),
        "not in SpeechTexts.tr or not translated: {untranslated:?}"
    );
}

#[test]
fn a_voice_that_does_not_work_is_shown_and_the_button_still_works() {
    let (ui, _) = speaking_kiosk(Language::Italian);
    let adapter = ui.window().global::<KioskAdapter>();
    assert!(adapter.get_speech_available());
    let broken = Recorder::broken("espeak-ng is not installed (Debian package espeak-ng)");
    ui.kiosk.set_speech(Box::new(broken));
    assert!(!adapter.get_speech_available());
    let button = ui.find("Guida vocale");
    assert_eq!(button[0].accessible_description().unwrap(), "Voce non disponibile");
    ui.tap("Guida vocale");
    assert!(ui.view().spoken, "the mode still turns on");
}

// The real engine.

#[test]
fn espeak_is_run_with_the_languages_voice_at_the_boards_rate() {
    let espeak = Espeak::default();
    for (language, voice) in [
        (Language::Italian, "it"),
        (Language::English, "en-gb"),
        (Language::German, "de"),
        (Language::Arabic, "ar"),
        (Language::Chinese, "cmn"),
        (Language::Ukrainian, "uk"),
    ] {
        let args = espeak.args(language, "-1 Benvenuti");
        let args: Vec<_> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(args, ["-v", voice, "-s", "140", "-b", "1", "--", "-1 Benvenuti"]);
    }
}

fn wait_silent(espeak: &Espeak) {
    let deadline = Instant::now() + DEADLINE;
    while espeak.is_speaking() {
        assert!(Instant::now() < deadline, "espeak-ng did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// espeak-ng must be installed to test it (`scripts/test` installs it): this test fails without it, never
/// skips.
fn require_espeak() {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("espeak-ng").is_file()));
    assert!(
        found,
        "the kiosk's voice test needs Debian's espeak-ng: run the tests with `scripts/test`, which installs it \
         (or `apt-get install espeak-ng`)"
    );
}

fn wav_samples(path: &Path) -> Vec<u8> {
    let wav = std::fs::read(path).unwrap();
    assert_eq!(&wav[..4], b"RIFF", "{} is a WAV", path.display());
    assert_eq!(&wav[8..12], b"WAVE");
    wav[44..].to_vec()
}

#[test]
fn espeak_says_the_words_in_the_chosen_voice() {
    require_espeak();
    let dir = tempfile::tempdir().unwrap();
    let mut clips = Vec::new();
    for language in [Language::Italian, Language::English, Language::Arabic] {
        let path = dir.path().join(format!("{}.wav", language.code()));
        let espeak = Espeak::default().writing_to(&path);
        espeak.say(language, "Il suo numero A0 0 8");
        assert!(espeak.is_speaking() || path.exists());
        wait_silent(&espeak);
        assert_eq!(espeak.problem(), None);
        let samples = wav_samples(&path);
        // 22,050 16-bit samples a second: more than a second of speech.
        assert!(samples.len() > 44_100, "{language}: {} bytes", samples.len());
        clips.push(samples);
    }
    assert_ne!(clips[0], clips[1], "the Italian and the English voices differ");
    assert_ne!(clips[0], clips[2], "the Italian and the Arabic voices differ");
}

/// A stand-in for espeak-ng: a shell script that does what `body` says.
fn fake_program(dir: &Path, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fake-espeak");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[test]
fn a_new_utterance_stops_the_one_being_said() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("pids");
    let program = fake_program(dir.path(), &format!("echo $$ >> '{}'\nexec sleep 30", log.display()));
    let espeak = Espeak::new(&program);
    let pids = || -> Vec<i32> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect()
    };
    let wait_for = |n: usize| {
        let deadline = Instant::now() + DEADLINE;
        while pids().len() < n {
            assert!(Instant::now() < deadline, "the fake voice did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    espeak.say(Language::Italian, "Benvenuti");
    wait_for(1);
    assert!(espeak.is_speaking());
    espeak.say(Language::Italian, "Prendi il numero");
    wait_for(2);
    let both = pids();
    assert!(!alive(both[0]), "the first utterance was stopped");
    assert!(alive(both[1]) && espeak.is_speaking());
    espeak.stop();
    assert!(!alive(both[1]) && !espeak.is_speaking());
    assert_eq!(espeak.problem(), None, "stopping is not a failure");
}

#[test]
fn a_missing_or_failing_voice_is_reported_not_a_panic() {
    let missing = Espeak::new("/nonexistent/espeak-ng");
    missing.say(Language::Italian, "Benvenuti");
    assert!(!missing.is_speaking());
    assert!(
        missing.problem().unwrap().contains("not installed"),
        "{:?}",
        missing.problem()
    );
    assert!(missing.check().is_err());

    // espeak-ng with no sound device ends with success and says why on standard error.
    let dir = tempfile::tempdir().unwrap();
    let program = fake_program(dir.path(), "echo 'error: No such file or directory' >&2\nexit 0");
    let no_sound = Espeak::new(&program);
    assert!(no_sound.check().is_ok());
    no_sound.say(Language::Italian, "Benvenuti");
    wait_silent(&no_sound);
    assert_eq!(
        no_sound.problem().as_deref(),
        Some("espeak-ng could not play: error: No such file or directory")
    );
}

/// A sound server the voice starts may keep its standard error open after it ends: the kiosk must not wait
/// for it (the UI thread looks at the voice four times a second).
#[test]
fn an_ended_voice_is_read_without_waiting_for_what_it_left_running() {
    let dir = tempfile::tempdir().unwrap();
    let program = fake_program(
        dir.path(),
        "sleep 90 >&2 &\necho 'error: No such file or directory' >&2\nexit 0",
    );
    let espeak = Espeak::new(&program);
    espeak.say(Language::Italian, "Benvenuti");
    let start = Instant::now();
    wait_silent(&espeak);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "waited {:?}",
        start.elapsed()
    );
    assert!(
        espeak.problem().unwrap().contains("could not play"),
        "{:?}",
        espeak.problem()
    );
}
