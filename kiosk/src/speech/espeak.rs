//! The kiosk's voice: espeak-ng, offline, the engine the office server announces calls with (same voices, same
//! rate), playing on the kiosk's default audio device (its speaker or headphone jack) by itself. One utterance
//! at a time: a new one kills the process saying the previous one. A missing program or a failing sound device
//! is logged once and reported by [`Speech::problem`]; the kiosk never waits for the voice.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use turno_shared::voice::WORDS_PER_MINUTE;

use super::Speech;
use crate::lang::Language;

/// The espeak-ng voice of `language`, the one the office server's announcements use.
pub fn voice(language: Language) -> &'static str {
    turno_shared::voice::espeak_voice(language.code())
}

/// espeak-ng, saying one utterance at a time.
pub struct Espeak {
    program: OsString,
    /// Writes each utterance to this WAV file instead of playing it (to hear a voice without a speaker, and
    /// to test the real engine).
    wav: Option<PathBuf>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    child: Option<Child>,
    problem: Option<String>,
}

impl Default for Espeak {
    fn default() -> Self {
        Self::new("espeak-ng")
    }
}

impl Espeak {
    /// Runs `program` (espeak-ng, looked for on the `PATH` when not a path).
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Espeak {
            program: program.as_ref().to_owned(),
            wav: None,
            state: Mutex::new(State::default()),
        }
    }

    /// Writes each utterance to `wav` instead of playing it.
    pub fn writing_to(mut self, wav: impl Into<PathBuf>) -> Self {
        self.wav = Some(wav.into());
        self
    }

    /// The arguments espeak-ng is run with to say `text` in `language`: voice, rate, UTF-8 input, the output
    /// file if any, then the text (after `--`, so that a text starting with a dash is not an option).
    pub fn args(&self, language: Language, text: &str) -> Vec<OsString> {
        let mut args: Vec<OsString> = ["-v", voice(language), "-s", WORDS_PER_MINUTE, "-b", "1"]
            .iter()
            .map(OsString::from)
            .collect();
        if let Some(wav) = &self.wav {
            args.push("-w".into());
            args.push(wav.into());
        }
        args.push("--".into());
        args.push(text.into());
        args
    }

    /// Checks that the program runs (`--version`), so that the welcome screen can show a missing voice before
    /// anyone touches the button.
    pub fn check(&self) -> Result<(), String> {
        let result = match Command::new(&self.program)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(format!("espeak-ng --version exited with {status}")),
            Err(e) => Err(not_started(&e)),
        };
        let mut state = self.lock();
        match &result {
            Ok(()) => self.recovered(&mut state),
            Err(why) => self.failed(&mut state, why.clone()),
        }
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Kills the utterance being said, if any, and reaps its process.
    fn end(state: &mut State) {
        if let Some(mut child) = state.child.take() {
            // It may have ended already: then kill fails, and wait reaps it.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Notes a failure: logged when it is new, shown until the voice works again.
    fn failed(&self, state: &mut State, why: String) {
        if state.problem.as_deref() != Some(why.as_str()) {
            tracing::warn!(program = ?self.program, problem = %why, "the kiosk's voice does not work");
        }
        state.problem = Some(why);
    }

    fn recovered(&self, state: &mut State) {
        if state.problem.take().is_some() {
            tracing::info!(program = ?self.program, "the kiosk's voice works again");
        }
    }

    /// Looks at the utterance being said: `true` while it goes on; once it has ended, what it left on
    /// standard error says whether it could play.
    fn poll(&self, state: &mut State) -> bool {
        let Some(child) = state.child.as_mut() else {
            return false;
        };
        let status = match child.try_wait() {
            Ok(None) => return true,
            Ok(Some(status)) => status,
            Err(e) => {
                let why = format!("espeak-ng could not be watched: {e}");
                Self::end(state);
                self.failed(state, why);
                return false;
            }
        };
        let errors = child.stderr.take().map(read_ended).unwrap_or_default();
        state.child = None;
        // espeak-ng ends with success even when no sound device opened; it says so on standard error.
        let last = errors.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        if !status.success() {
            self.failed(state, format!("espeak-ng exited with {status}: {last}"));
        } else if errors.to_lowercase().contains("error") {
            self.failed(state, format!("espeak-ng could not play: {last}"));
        } else {
            self.recovered(state);
        }
        false
    }
}

/// What an ended process left on its standard error. Read without blocking: a sound server the voice started
/// may still hold the pipe open, and the UI thread must never wait for it.
fn read_ended(mut stderr: std::process::ChildStderr) -> String {
    use std::os::fd::AsRawFd;
    let fd = stderr.as_raw_fd();
    // SAFETY: fcntl on a descriptor this process owns, only adding O_NONBLOCK to its flags.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return String::new();
        }
    }
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    // Everything the ended process wrote is in the pipe already; stop at its end or when it is empty.
    while bytes.len() < 64 * 1024 {
        match stderr.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn not_started(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        "espeak-ng is not installed (Debian package espeak-ng)".to_owned()
    } else {
        format!("espeak-ng could not start: {e}")
    }
}

impl Speech for Espeak {
    fn say(&self, language: Language, text: &str) {
        let mut state = self.lock();
        // What the previous utterance left is looked at before it is cut short.
        self.poll(&mut state);
        Self::end(&mut state);
        if text.trim().is_empty() {
            return;
        }
        match Command::new(&self.program)
            .args(self.args(language, text))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => state.child = Some(child),
            Err(e) => self.failed(&mut state, not_started(&e)),
        }
    }

    fn stop(&self) {
        Self::end(&mut self.lock());
    }

    fn is_speaking(&self) -> bool {
        let mut state = self.lock();
        self.poll(&mut state)
    }

    fn problem(&self) -> Option<String> {
        self.lock().problem.clone()
    }
}

impl Drop for Espeak {
    fn drop(&mut self) {
        Self::end(&mut self.lock());
    }
}
