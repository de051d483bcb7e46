//! A voice for tests (feature `test-support`): it notes what it is asked to say, in which language, and stays
//! "speaking" until the test says the utterance is over.

use std::cell::RefCell;
use std::rc::Rc;

use super::Speech;
use crate::lang::Language;

/// Notes every utterance. Clones share what they noted: hand one to the kiosk, keep one to look.
#[derive(Clone, Default)]
pub struct Recorder(Rc<RefCell<Notes>>);

#[derive(Default)]
struct Notes {
    said: Vec<(Language, String)>,
    speaking: bool,
    stops: usize,
    problem: Option<String>,
}

impl Recorder {
    /// A voice that reports `problem`, as espeak-ng missing would.
    pub fn broken(problem: &str) -> Self {
        let recorder = Self::default();
        recorder.0.borrow_mut().problem = Some(problem.to_owned());
        recorder
    }

    /// Everything said so far, oldest first.
    pub fn said(&self) -> Vec<(Language, String)> {
        self.0.borrow().said.clone()
    }

    /// The text of the last utterance, if any.
    pub fn last(&self) -> Option<String> {
        self.0.borrow().said.last().map(|(_, text)| text.clone())
    }

    /// Forgets what was said so far.
    pub fn clear(&self) {
        self.0.borrow_mut().said.clear();
    }

    /// The utterance being said is over.
    pub fn finish(&self) {
        self.0.borrow_mut().speaking = false;
    }

    /// How many times the kiosk asked to stop.
    pub fn stops(&self) -> usize {
        self.0.borrow().stops
    }
}

impl Speech for Recorder {
    fn say(&self, language: Language, text: &str) {
        let mut notes = self.0.borrow_mut();
        notes.said.push((language, text.to_owned()));
        notes.speaking = true;
    }

    fn stop(&self) {
        let mut notes = self.0.borrow_mut();
        notes.speaking = false;
        notes.stops += 1;
    }

    fn is_speaking(&self) -> bool {
        self.0.borrow().speaking
    }

    fn problem(&self) -> Option<String> {
        self.0.borrow().problem.clone()
    }
}
