//! Spoken announcements of calls ("Numero A 0 1 2, sportello 3"), synthesized on the office server
//! with espeak-ng (no internet, no cloud voice) and served to the waiting-room boards as WAV files:
//! a chime, then the call in each language the board asks for. Clips are cached by language, number
//! and counter, and made as soon as a call happens, so a board's request finds them ready.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use tokio::io::AsyncReadExt;
use tokio::sync::{OnceCell, Semaphore};
use turno_shared::domain::TicketNumber;
use turno_shared::voice::WORDS_PER_MINUTE;

/// The sample rate of every clip: espeak-ng's own.
pub const SAMPLE_RATE: u32 = 22_050;

/// How many clips the cache keeps: a few seconds of audio each, about 150 kB. Boards ask for a call's
/// announcement within a second of the call, so the latest few calls are all that is worth keeping.
const CACHE_CLIPS: usize = 32;
/// How many whole announcements (chime and clips, about 400 kB for two languages) the cache keeps:
/// every board that asks for the same one shares it.
const CACHE_ANNOUNCEMENTS: usize = 12;
/// How many espeak-ng processes run at once.
const SYNTH_AT_ONCE: usize = 2;
/// The longest a synthesis may take before it is given up.
const SYNTH_TIMEOUT: Duration = Duration::from_secs(5);

/// A language the announcements are spoken in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    It,
    En,
    Fr,
    De,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::It, Lang::En, Lang::Fr, Lang::De, Lang::Es];

    /// The language code, as boards name it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Es => "es",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The espeak-ng voice.
    fn voice(self) -> &'static str {
        turno_shared::voice::espeak_voice(self.code())
    }

    /// "Numero", "Number", …
    fn number_word(self) -> &'static str {
        match self {
            Lang::It => "Numero",
            Lang::En => "Number",
            Lang::Fr => "Numéro",
            Lang::De => "Nummer",
            Lang::Es => "Número",
        }
    }

    /// "sportello", "counter", …
    fn counter_word(self) -> &'static str {
        match self {
            Lang::It => "sportello",
            Lang::En => "counter",
            Lang::Fr => "guichet",
            Lang::De => "Schalter",
            Lang::Es => "ventanilla",
        }
    }
}

/// Languages as a board asks for them: `it,en`, up to five codes (a repeated one is said once); empty
/// for the chime alone.
pub fn parse_languages(list: &str) -> Option<Vec<Lang>> {
    let mut langs = Vec::new();
    if list.is_empty() {
        return Some(langs);
    }
    let codes: Vec<&str> = list.split(',').collect();
    if codes.len() > 5 {
        return None;
    }
    for code in codes {
        let lang = Lang::from_code(code)?;
        if !langs.contains(&lang) {
            langs.push(lang);
        }
    }
    Some(langs)
}

/// Italian letter names: a lone capital is read as a word otherwise ("A" as the preposition).
fn italian_letter(c: char) -> &'static str {
    const NAMES: [&str; 26] = [
        "a",
        "bi",
        "ci",
        "di",
        "e",
        "effe",
        "gi",
        "acca",
        "i",
        "i lunga",
        "cappa",
        "elle",
        "emme",
        "enne",
        "o",
        "pi",
        "cu",
        "erre",
        "esse",
        "ti",
        "u",
        "vu",
        "doppia vu",
        "ics",
        "ipsilon",
        "zeta",
    ];
    let i = (c as u32).wrapping_sub('A' as u32) as usize;
    NAMES.get(i).copied().unwrap_or("")
}

/// The text spoken for a call: the number word, the prefix letter spelled, the digits one by one (as
/// printed, with their zeros), then the counter. A counter named "Sportello 3" is said as is in
/// Italian and as "counter 3" in the other languages; another name is said as written.
pub fn announcement_text(lang: Lang, number: TicketNumber, counter_name: &str) -> String {
    let printed = number.to_string();
    let mut chars = printed.chars();
    let letter = chars.next().unwrap_or('A');
    let digits: Vec<String> = chars.map(|d| d.to_string()).collect();
    let letter = match lang {
        Lang::It => italian_letter(letter).to_owned(),
        _ => letter.to_string(),
    };
    let name = counter_name.trim();
    let rest = name
        .strip_prefix("Sportello")
        .or_else(|| name.strip_prefix("sportello"))
        .or_else(|| name.strip_prefix("SPORTELLO"))
        .map(str::trim);
    let counter = match (rest, name.bytes().all(|b| b.is_ascii_digit())) {
        (Some(rest), _) => format!("{} {rest}", lang.counter_word()),
        (None, true) => format!("{} {name}", lang.counter_word()),
        (None, false) => name.to_owned(),
    };
    format!("{} {letter}, {}. {counter}.", lang.number_word(), digits.join(" "))
}

/// Mono 16-bit samples at [`SAMPLE_RATE`].
pub type Pcm = Arc<[i16]>;

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("espeak-ng is not installed (Debian package espeak-ng): {0}")]
    Missing(std::io::Error),
    #[error("espeak-ng failed: {0}")]
    Failed(String),
}

type ClipKey = (Lang, TicketNumber, String);
type AnnouncementKey = (TicketNumber, String, Vec<Lang>, u8);

/// The speech synthesizer with its caches. Cheap to share behind an `Arc`.
pub struct Speech {
    program: String,
    permits: Semaphore,
    clips: Mutex<Cache<ClipKey, Pcm>>,
    announcements: Mutex<Cache<AnnouncementKey, Bytes>>,
}

/// The latest few values by key, each made once however many ask for it at the same moment.
struct Cache<K, V> {
    cells: HashMap<K, Arc<OnceCell<V>>>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Clone + Eq + std::hash::Hash, V> Cache<K, V> {
    fn new(capacity: usize) -> Self {
        Cache {
            cells: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// The cell of `key`, made (and the oldest dropped) if it is not there.
    fn cell(&mut self, key: &K) -> Arc<OnceCell<V>> {
        if let Some(cell) = self.cells.get(key) {
            return cell.clone();
        }
        if self.order.len() >= self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.cells.remove(&old);
        }
        let cell = Arc::new(OnceCell::new());
        self.cells.insert(key.clone(), cell.clone());
        self.order.push_back(key.clone());
        cell
    }
}

impl Default for Speech {
    fn default() -> Self {
        Self::new("espeak-ng")
    }
}

impl Speech {
    /// A synthesizer that runs `program` (espeak-ng, found on the `PATH` when not a path).
    pub fn new(program: &str) -> Self {
        Speech {
            program: program.to_owned(),
            permits: Semaphore::new(SYNTH_AT_ONCE),
            clips: Mutex::new(Cache::new(CACHE_CLIPS)),
            announcements: Mutex::new(Cache::new(CACHE_ANNOUNCEMENTS)),
        }
    }

    /// The clip of one call in one language: from the cache, or synthesized now (once, however many
    /// boards ask at the same moment).
    pub async fn clip(&self, lang: Lang, number: TicketNumber, counter_name: &str) -> Result<Pcm, SpeechError> {
        let cell = self
            .clips
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cell(&(lang, number, counter_name.to_owned()));
        let text = announcement_text(lang, number, counter_name);
        cell.get_or_try_init(|| self.synthesize(lang, text)).await.cloned()
    }

    /// Runs espeak-ng on `text` and reads the WAV it writes.
    async fn synthesize(&self, lang: Lang, text: String) -> Result<Pcm, SpeechError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| SpeechError::Failed(e.to_string()))?;
        let mut child = tokio::process::Command::new(&self.program)
            .args(["-v", lang.voice(), "-s", WORDS_PER_MINUTE, "--stdout", "--", &text])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(SpeechError::Missing)?;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let run = async {
            let mut wav = Vec::with_capacity(128 * 1024);
            stdout.read_to_end(&mut wav).await?;
            let status = child.wait().await?;
            Ok::<_, std::io::Error>((wav, status))
        };
        let (wav, status) = tokio::time::timeout(SYNTH_TIMEOUT, run)
            .await
            .map_err(|_| SpeechError::Failed(format!("took longer than {SYNTH_TIMEOUT:?}")))?
            .map_err(|e| SpeechError::Failed(e.to_string()))?;
        if !status.success() {
            return Err(SpeechError::Failed(format!("exited with {status}")));
        }
        let wav = Wav::parse(&wav).ok_or_else(|| SpeechError::Failed("it wrote no WAV".into()))?;
        if wav.sample_rate != SAMPLE_RATE || wav.channels != 1 {
            return Err(SpeechError::Failed(format!(
                "unexpected format: {} Hz, {} channels",
                wav.sample_rate, wav.channels
            )));
        }
        Ok(wav.samples.into())
    }

    /// The whole announcement of a call as a WAV file: the chime, then the call in each language in
    /// turn, `repeat` times. With no language, or when speech fails (it is logged), the chime alone.
    /// Made once for all the boards that ask for it.
    pub async fn announcement(&self, number: TicketNumber, counter_name: &str, langs: &[Lang], repeat: u8) -> Bytes {
        let key = (number, counter_name.to_owned(), langs.to_vec(), repeat);
        let cell = self.announcements.lock().unwrap_or_else(|e| e.into_inner()).cell(&key);
        cell.get_or_init(|| self.assemble(number, counter_name, langs, repeat))
            .await
            .clone()
    }

    async fn assemble(&self, number: TicketNumber, counter_name: &str, langs: &[Lang], repeat: u8) -> Bytes {
        // The languages are synthesized side by side.
        let made =
            futures_util::future::join_all(langs.iter().map(|&lang| self.clip(lang, number, counter_name))).await;
        let clips: Vec<Pcm> = match made.into_iter().collect::<Result<_, _>>() {
            Ok(clips) => clips,
            Err(e) => {
                tracing::warn!(error = %e, "announcing with the chime alone");
                Vec::new()
            }
        };
        let mut out: Vec<i16> = chime().to_vec();
        for _ in 0..repeat.max(1) {
            for clip in &clips {
                out.extend(silence(0.35));
                out.extend_from_slice(clip);
            }
        }
        out.extend(silence(0.2));
        wav_bytes(&out).into()
    }
}

fn silence(secs: f32) -> impl Iterator<Item = i16> {
    std::iter::repeat_n(0, (secs * SAMPLE_RATE as f32) as usize)
}

/// A two-note chime (E5 then C5, bell-like with a few partials and a soft decay), made once.
pub fn chime() -> &'static [i16] {
    static CHIME: std::sync::OnceLock<Vec<i16>> = std::sync::OnceLock::new();
    CHIME.get_or_init(|| {
        let rate = SAMPLE_RATE as f32;
        let note = |freq: f32, secs: f32| -> Vec<f32> {
            (0..(secs * rate) as usize)
                .map(|i| {
                    let t = i as f32 / rate;
                    let attack = (t / 0.008).min(1.0);
                    let decay = (-t * 3.2).exp();
                    let tone = (std::f32::consts::TAU * freq * t).sin()
                        + 0.35 * (std::f32::consts::TAU * 2.0 * freq * t).sin()
                        + 0.12 * (std::f32::consts::TAU * 3.0 * freq * t).sin();
                    tone * attack * decay
                })
                .collect()
        };
        let (first, second) = (note(659.25, 0.9), note(523.25, 1.3));
        let gap = (0.45 * rate) as usize;
        let mut mix = vec![0.0f32; gap + second.len()];
        for (i, s) in first.iter().enumerate() {
            mix[i] += s;
        }
        for (i, s) in second.iter().enumerate() {
            mix[gap + i] += s;
        }
        let peak = mix.iter().fold(0.0f32, |m, s| m.max(s.abs())).max(1e-6);
        mix.iter()
            .map(|s| (s / peak * 0.6 * f32::from(i16::MAX)) as i16)
            .collect()
    })
}

/// A mono 16-bit WAV file of `samples` at [`SAMPLE_RATE`].
pub fn wav_bytes(samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// A decoded 16-bit PCM WAV file.
#[derive(Debug)]
pub struct Wav {
    pub sample_rate: u32,
    pub channels: u16,
    pub samples: Vec<i16>,
}

impl Wav {
    /// Reads a 16-bit PCM WAV file. A `data` chunk whose length runs past the end (as a program
    /// writing to a pipe leaves it) takes the rest of the file.
    pub fn parse(bytes: &[u8]) -> Option<Wav> {
        if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return None;
        }
        let u16_at = |i: usize| bytes.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
        let u32_at = |i: usize| {
            bytes
                .get(i..i + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let mut at = 12;
        let mut format = None;
        while at + 8 <= bytes.len() {
            let id = &bytes[at..at + 4];
            let len = u32_at(at + 4)? as usize;
            let body = at + 8;
            if id == b"fmt " {
                let (tag, channels, rate, bits) =
                    (u16_at(body)?, u16_at(body + 2)?, u32_at(body + 4)?, u16_at(body + 14)?);
                if tag != 1 || bits != 16 || channels == 0 {
                    return None;
                }
                format = Some((channels, rate));
            } else if id == b"data" {
                let (channels, sample_rate) = format?;
                let end = body.saturating_add(len).min(bytes.len());
                let samples = bytes[body..end]
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                return Some(Wav {
                    sample_rate,
                    channels,
                    samples,
                });
            }
            at = body.saturating_add(len + (len & 1));
        }
        None
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.channels) / f64::from(self.sample_rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(lang: Lang, number: &str, counter: &str, expected: &str) {
        assert_eq!(announcement_text(lang, number.parse().unwrap(), counter), expected);
    }

    #[test]
    fn calls_are_spelled_as_italian_displays_say_them() {
        check(Lang::It, "A012", "Sportello 3", "Numero a, 0 1 2. sportello 3.");
        check(Lang::It, "H1234", "Sportello 12", "Numero acca, 1 2 3 4. sportello 12.");
        check(Lang::En, "A012", "Sportello 3", "Number A, 0 1 2. counter 3.");
        check(Lang::En, "B007", "4", "Number B, 0 0 7. counter 4.");
        check(
            Lang::De,
            "C100",
            "Ufficio del sindaco",
            "Nummer C, 1 0 0. Ufficio del sindaco.",
        );
    }

    #[test]
    fn languages_are_read_from_a_list_without_repeats() {
        assert_eq!(parse_languages("it,en,it"), Some(vec![Lang::It, Lang::En]));
        assert_eq!(parse_languages(""), Some(vec![]));
        assert_eq!(parse_languages("it,xx"), None);
        assert_eq!(parse_languages("it,,en"), None);
        assert_eq!(parse_languages("it,en,it,en,it,en"), None);
    }

    #[test]
    fn a_wav_written_is_read_back() {
        let wav = Wav::parse(&wav_bytes(chime())).unwrap();
        assert_eq!((wav.sample_rate, wav.channels), (SAMPLE_RATE, 1));
        assert_eq!(wav.samples, chime());
        assert!(wav.duration() > Duration::from_millis(1500), "{:?}", wav.duration());
    }
}
