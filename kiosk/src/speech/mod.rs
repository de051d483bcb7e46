//! The kiosk's spoken mode (the European Accessibility Act's ticket machines): what is said, chosen by the
//! controller as [`Phrase`]s when a screen shows or a button is touched; how it is worded, through the screens'
//! own translated sentences ([`words`], reading the window's `SpeechTexts` global); and who says it, behind
//! the [`Speech`] trait: [`Espeak`] on the kiosk's speaker or headphone jack, `Recorder` in tests.

pub mod espeak;
#[cfg(feature = "test-support")]
pub mod recorder;
pub mod sentences;

use slint::{ComponentHandle, SharedString};
use turno_shared::api::WaitRange;
use turno_ui::{KioskWindow, SpeechTexts};

use crate::lang::Language;

pub use espeak::Espeak;
#[cfg(feature = "test-support")]
pub use recorder::Recorder;
pub use sentences::Sentence;

/// Something that reads text aloud. A new utterance interrupts the one being said.
pub trait Speech {
    /// Says `text` in `language`'s voice, after stopping what was being said.
    fn say(&self, language: Language, text: &str);
    /// Stops what is being said.
    fn stop(&self);
    /// Whether an utterance is still being said (the idle timer waits for it).
    fn is_speaking(&self) -> bool;
    /// Why the voice does not work on this kiosk, if it does not (the program is missing, or no sound
    /// device): the welcome screen's button shows it.
    fn problem(&self) -> Option<String> {
        None
    }
}

/// A kiosk with no voice (screenshots, benchmarks): the mode's button works, nothing is said.
pub struct Silent;

impl Speech for Silent {
    fn say(&self, _: Language, _: &str) {}
    fn stop(&self) {}
    fn is_speaking(&self) -> bool {
        false
    }
}

/// A piece of what is said, as the controller chooses it; worded in the citizen's language by [`words`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phrase {
    /// A sentence of the screens, translated as they show it.
    Say(Sentence),
    /// A text said as it is: a service's name, information or document (already in the citizen's
    /// language, or its fallback), the office's name, a language's own name.
    Text(String),
    /// A ticket number or a rating code, said character by character as printed.
    Code(String),
    /// "In attesa: 7".
    Waiting(u32),
    /// The wait as the screens word it: a range, about so many minutes, or not known.
    Wait {
        minutes: Option<u32>,
        range: Option<WaitRange>,
    },
    /// "Persone prima di lei: 7".
    PeopleAhead(u32),
    /// "Biglietto A012", over the faces.
    RatedTicket(String),
    /// "«Protocollo» non riceve in questo momento…".
    ServiceClosed(String),
    /// "Per «Servizi sociali» sono stati distribuiti tutti i numeri di oggi…".
    ServiceFull(String),
    /// "Tra 15 secondi torniamo alla pagina iniziale."
    IdleSeconds(u32),
}

/// The text to say for `phrases`, worded by the window's `SpeechTexts` in the translation selected now (the
/// language the screens show), one sentence after the other.
pub fn words(window: &KioskWindow, language: Language, phrases: &[Phrase]) -> String {
    let texts = window.global::<SpeechTexts>();
    let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let parts = phrases.iter().map(|phrase| -> SharedString {
        match phrase {
            Phrase::Say(sentence) => texts.invoke_tr(sentence.source().into()),
            Phrase::Text(text) => text.as_str().into(),
            Phrase::Code(code) => spelled(language, code).into(),
            Phrase::Waiting(n) => texts.invoke_waiting(int(*n)),
            Phrase::Wait { minutes, range } => match (minutes, range) {
                (None, _) => texts.invoke_tr(sentences::WAIT_UNKNOWN.source().into()),
                (Some(_), Some(r)) => texts.invoke_wait_range(int(r.low_minutes), int(r.high_minutes)),
                (Some(m), None) if *m <= 1 => texts.invoke_tr(sentences::WAIT_ONE_MINUTE.source().into()),
                (Some(m), None) => texts.invoke_wait_about(int(*m)),
            },
            Phrase::PeopleAhead(n) => texts.invoke_people_ahead(int(*n)),
            Phrase::RatedTicket(number) => texts.invoke_ticket_of(spelled(language, number).into()),
            Phrase::ServiceClosed(name) => texts.invoke_service_closed(name.as_str().into()),
            Phrase::ServiceFull(name) => texts.invoke_service_full(name.as_str().into()),
            Phrase::IdleSeconds(n) => texts.invoke_idle_seconds(int(*n)),
        }
    });
    join_sentences(parts.map(|p| p.to_string()))
}

/// Sentences one after the other, each closed by a full stop unless it ends with its own punctuation, so that
/// the voice pauses between them.
fn join_sentences(parts: impl Iterator<Item = String>) -> String {
    let mut out = String::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
        let closed = part.ends_with(['.', '!', '?', ':', '…', '。', '！', '？', '؟', '：']);
        if !closed {
            out.push('.');
        }
    }
    out
}

/// A ticket number or rating code as the voice reads it best: the letter joined to the first digit, then each
/// character apart (`A012` → `A0 1 2`: "a, zero, one, two", not "a twelve", and the letter said as a letter);
/// the dash of a rating code as a pause. Mandarin's voice reads the code best as printed.
pub fn spelled(language: Language, code: &str) -> String {
    if language == Language::Chinese {
        return code.to_owned();
    }
    code.split('-')
        .enumerate()
        .map(|(n, part)| {
            // Only the number's letter is joined to the digit after it.
            let joined = if n == 0 { 1 } else { 0 };
            let mut out = String::new();
            for (i, c) in part.chars().enumerate() {
                if i > joined {
                    out.push(' ');
                }
                out.push(c);
            }
            out
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_said_digit_by_digit_with_its_letter() {
        assert_eq!(spelled(Language::Italian, "A012"), "A0 1 2");
        assert_eq!(spelled(Language::English, "A008-7M3KX"), "A0 0 8, 7 M 3 K X");
        assert_eq!(spelled(Language::Chinese, "A012"), "A012");
    }

    #[test]
    fn sentences_are_closed_by_a_full_stop_once() {
        let parts = [
            "Benvenuti",
            "Attesa: tra 15 e 25 minuti",
            "È ancora qui?",
            "",
            "Un momento…",
        ];
        assert_eq!(
            join_sentences(parts.iter().map(|s| s.to_string())),
            "Benvenuti. Attesa: tra 15 e 25 minuti. È ancora qui? Un momento…"
        );
    }
}
