//! The kiosk's controller: a plain state machine of what the citizen sees (screen, language, chosen
//! service, ticket, rating flow, idle timer) that turns touches, keys, time and server answers into a
//! [`View`] and a list of [`Effect`]s for the outside world. No window, no I/O: tested on its own.

use std::time::{Duration, Instant};

use turno_shared::api::{ErrorCode, IssueRequest, IssuedTicket, OfficeView, RatingRequest, ServiceView, WaitRange};
use turno_shared::domain::{BadReason, Priority, Rating, RatingCode, TicketNumber};

use crate::lang::{self, Language};
use crate::speech::{Phrase, sentences as say};

/// The shortest idle timeout the kiosk accepts: an elderly visitor reading a sheet needs time.
pub const MIN_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long things last on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// No touch for this long on any screen but Welcome: back to Welcome, in Italian.
    pub idle_timeout: Duration,
    /// The same in spoken mode, counted from the end of what was said: listening takes longer than reading.
    pub spoken_idle_timeout: Duration,
    /// The warning shows this long before the idle timeout.
    pub idle_warning: Duration,
    /// The printed ticket stays on screen this long.
    pub ticket_shown: Duration,
    /// A ticket whose printing failed stays longer, so that its number can be noted.
    pub unprinted_ticket_shown: Duration,
    /// The thanks after a rating.
    pub thanks_shown: Duration,
    /// While the server is unreachable, ask again this often.
    pub retry_every: Duration,
    /// While it is reachable, refresh the office (waits, opening) this often.
    pub refresh_every: Duration,
}

impl Timing {
    /// The timings of a kiosk whose idle timeout is `idle_timeout` (raised to [`MIN_IDLE_TIMEOUT`]).
    pub fn with_idle_timeout(idle_timeout: Duration) -> Self {
        let idle_timeout = idle_timeout.max(MIN_IDLE_TIMEOUT);
        Self {
            idle_timeout,
            spoken_idle_timeout: (idle_timeout * 2).max(Duration::from_secs(120)),
            idle_warning: Duration::from_secs(15),
            ticket_shown: Duration::from_secs(12),
            unprinted_ticket_shown: idle_timeout,
            thanks_shown: Duration::from_secs(8),
            retry_every: Duration::from_secs(3),
            refresh_every: Duration::from_secs(60),
        }
    }
}

impl Default for Timing {
    fn default() -> Self {
        Self::with_idle_timeout(Duration::from_secs(60))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Screen {
    #[default]
    Welcome,
    Services,
    Info,
    Priority,
    Ticket,
    RateCode,
    RateFaces,
    RateReason,
    RateThanks,
    RateRefused,
    Closed,
    Full,
    Unreachable,
    /// The server refused the kiosk's token (never registered, or revoked): a screen for the staff,
    /// not a retry loop for the citizen.
    NotAuthorised,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PrintState {
    #[default]
    Printing,
    Printed,
    Failed,
}

/// Why a visit cannot be rated, as the server says it (or the code typed is not a code at all).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Refusal {
    /// No ticket of today has this code (a wrong check character, most often).
    #[default]
    NotFound,
    NotRateable,
    AlreadyRated,
    NotToday,
    /// Not a rating code: a bare ticket number, or something else.
    InvalidCode,
    /// Too many wrong codes from this kiosk: the server refuses for a few minutes.
    TooManyAttempts,
}

/// How a request to the server failed, as far as the citizen is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer: the kiosk shows its "one moment" screen and retries.
    Unreachable,
    /// An answer with this stable error code.
    Refused(ErrorCode),
}

/// What the controller hears: the citizen's touches and keys, and the answers of background work.
#[derive(Clone, Debug)]
pub enum Input {
    TakeNumber,
    RateVisit,
    /// Large text on or off, for this visit.
    ToggleLargeText,
    /// Spoken mode on or off, for this visit.
    ToggleSpeech,
    ChooseLanguage(Language),
    OpenService(i64),
    GetTicket,
    ChoosePriority(bool),
    Back,
    Home,
    StillHere,
    /// A key of the on-screen keypad: a letter or a digit, taken only where a rating code can hold it.
    Keypad(char),
    KeypadDelete,
    SubmitCode,
    /// Text typed into the window by a keyboard or a keyboard-wedge scanner (`"\n"` for Enter).
    KeyTyped(String),
    Rate(Rating),
    Reason(BadReason),
    OfficeLoaded(Result<OfficeView, Failure>),
    Issued(Result<Box<IssuedTicket>, Failure>),
    Printed {
        ticket_id: i64,
        ok: bool,
    },
    Rated(Result<(), Failure>),
    /// The voice started or stopped saying something (the idle timer waits while it speaks).
    Speaking(bool),
}

/// What the controller asks the outside world to do.
#[derive(Clone, Debug)]
pub enum Effect {
    LoadOffice,
    Issue(IssueRequest),
    Print {
        issued: Box<IssuedTicket>,
        service: Box<ServiceView>,
        language: Language,
    },
    Rate(RatingRequest),
    /// Show the screens in this language from now on.
    SelectLanguage(Language),
    /// Say this aloud in `language`'s voice (spoken mode), interrupting what was being said.
    Say {
        language: Language,
        phrases: Vec<Phrase>,
    },
    /// Stop saying anything (the spoken mode ended).
    StopSpeaking,
}

/// A service as its tile shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileView {
    pub id: i64,
    pub name: String,
    /// The name reads right to left (an Arabic one, not an Italian or English one shown for want of it).
    pub name_rtl: bool,
    pub waiting: u32,
    pub wait_minutes: Option<u32>,
    /// The range shown instead of the minutes (see [`shown_range`]).
    pub wait_range: Option<WaitRange>,
    pub open: bool,
    pub full: bool,
}

/// A service's information sheet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SheetView {
    pub name: String,
    pub name_rtl: bool,
    pub info: String,
    pub info_rtl: bool,
    /// Each document to bring, and whether it reads right to left.
    pub documents: Vec<(String, bool)>,
    pub waiting: u32,
    pub wait_minutes: Option<u32>,
    /// The range shown instead of the minutes (see [`shown_range`]).
    pub wait_range: Option<WaitRange>,
}

/// The ticket just issued.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketView {
    pub id: i64,
    pub number: String,
    /// What the citizen types to rate the visit, `A012-7K3MX`: on screen when the ticket did not print.
    pub rating_code: String,
    /// The path of the ticket's page, `/t/<token>`: its QR code is on screen when the ticket did not print.
    pub status_path: String,
    pub service: String,
    pub people_ahead: u32,
    pub wait_minutes: Option<u32>,
    /// The range shown instead of the minutes (see [`shown_range`]).
    pub wait_range: Option<WaitRange>,
    pub priority: bool,
    pub print: PrintState,
}

/// Everything the window shows, derived from the controller's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub screen: Screen,
    pub language: Language,
    /// Large-text mode, for this visit.
    pub large_text: bool,
    /// Spoken mode, for this visit.
    pub spoken: bool,
    pub office_name: String,
    pub services: Vec<TileView>,
    pub sheet: SheetView,
    pub ticket: TicketView,
    /// The code typed on the keypad, formatted as it is printed (`A012-7K`).
    pub code: String,
    /// What is left to type, as placeholders (`___`), shown after [`View::code`].
    pub code_rest: String,
    /// The code typed is a whole rating code: it can be sent.
    pub code_complete: bool,
    /// The keypad's keys, `A`–`Z` then `0`–`9`, each enabled when it can come next in a rating code.
    pub keys: Vec<KeyView>,
    /// The number of the ticket being rated (empty when it was scanned from the QR code's link).
    pub rated_number: String,
    pub refusal: Refusal,
    /// The service a Closed or Full screen is about; empty for the whole office.
    pub service_name: String,
    pub busy: bool,
    /// Seconds left before going back to Welcome, while the warning shows.
    pub idle_warning: Option<u32>,
}

/// A key of the on-screen keypad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyView {
    pub key: char,
    pub enabled: bool,
}

/// What a citizen gave to name the visit to rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VisitCode {
    /// The rating code printed on the ticket: typed, or scanned from its barcode.
    Rating(RatingCode),
    /// The ticket's secret token: the last part of the status link scanned from its QR code.
    Token(String),
}

impl VisitCode {
    /// What the server is sent.
    pub fn wire(&self) -> String {
        match self {
            VisitCode::Rating(code) => code.to_string(),
            VisitCode::Token(token) => token.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    None,
    Issuing,
    Rating,
}

/// The kiosk's state machine.
pub struct Controller {
    timing: Timing,
    screen: Screen,
    language: Language,
    /// Where a service's text missing in the chosen language is looked for next (then Italian).
    fallbacks: Vec<Language>,
    large_text: bool,
    /// Spoken mode: each screen and each touched button is read aloud.
    spoken: bool,
    /// The voice is saying something now.
    speaking: bool,
    /// When the voice last spoke: the idle timer counts from here or from the last touch, whichever is later.
    quiet_since: Instant,
    /// The idle warning has been said (spoken mode), once each time it shows.
    warning_said: bool,
    office: Option<OfficeView>,
    loading: bool,
    last_load: Option<Instant>,
    selected: Option<i64>,
    ticket: Option<TicketView>,
    ticket_shown_at: Instant,
    keypad: String,
    scanned: String,
    rating_code: Option<VisitCode>,
    rating: Option<Rating>,
    refusal: Refusal,
    notice_service: String,
    pending: Pending,
    last_touch: Instant,
    screen_since: Instant,
}

impl Controller {
    pub fn new(timing: Timing, now: Instant) -> Self {
        Self {
            timing,
            screen: Screen::Welcome,
            language: Language::Italian,
            fallbacks: vec![Language::English],
            large_text: false,
            spoken: false,
            speaking: false,
            quiet_since: now,
            warning_said: false,
            office: None,
            loading: false,
            last_load: None,
            selected: None,
            ticket: None,
            ticket_shown_at: now,
            keypad: String::new(),
            scanned: String::new(),
            rating_code: None,
            rating: None,
            refusal: Refusal::NotFound,
            notice_service: String::new(),
            pending: Pending::None,
            last_touch: now,
            screen_since: now,
        }
    }

    /// Where a service's text missing in the chosen language is looked for before Italian (English by default).
    pub fn set_fallbacks(&mut self, fallbacks: Vec<Language>) {
        self.fallbacks = fallbacks;
    }

    /// A service's text in the chosen language, or its fallbacks.
    fn text<'a>(&self, text: &'a turno_shared::api::Localized) -> &'a str {
        lang::localized(text, self.language, &self.fallbacks)
    }

    pub fn timing(&self) -> Timing {
        self.timing
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    pub fn language(&self) -> Language {
        self.language
    }

    pub fn office(&self) -> Option<&OfficeView> {
        self.office.as_ref()
    }

    /// The first effects, when the kiosk starts: load the office.
    pub fn start(&mut self, now: Instant) -> Vec<Effect> {
        self.load(now)
    }

    fn load(&mut self, now: Instant) -> Vec<Effect> {
        if self.loading {
            return Vec::new();
        }
        self.loading = true;
        self.last_load = Some(now);
        vec![Effect::LoadOffice]
    }

    fn show(&mut self, screen: Screen, now: Instant) {
        if self.screen != screen {
            self.screen = screen;
            self.screen_since = now;
        }
    }

    fn service(&self, id: i64) -> Option<&ServiceView> {
        self.office.as_ref()?.services.iter().find(|s| s.id == id)
    }

    /// Back to Welcome. `new_visitor`: the visit is over, so the next person starts in Italian.
    fn go_home(&mut self, now: Instant, new_visitor: bool) -> Vec<Effect> {
        self.show(Screen::Welcome, now);
        self.selected = None;
        self.keypad.clear();
        self.scanned.clear();
        self.rating_code = None;
        self.rating = None;
        if new_visitor {
            self.ticket = None;
            self.large_text = false;
            self.spoken = false;
        }
        if new_visitor && self.language != Language::Italian {
            self.language = Language::Italian;
            return vec![Effect::SelectLanguage(Language::Italian)];
        }
        Vec::new()
    }

    /// Handles one input at `now`; in spoken mode, says the button touched and the screen it leads to.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Effect> {
        let before = (
            self.spoken,
            self.screen,
            self.language,
            self.ticket.as_ref().map(|t| t.print),
        );
        let touched = if self.spoken { self.touched(&input) } else { Vec::new() };
        let toggled_speech = matches!(input, Input::ToggleSpeech);
        let mut effects = self.apply(input, now);
        let (was_spoken, screen, language, print) = before;
        if toggled_speech && was_spoken != self.spoken {
            let mut phrases = Vec::new();
            if self.spoken {
                phrases.push(Phrase::Say(say::SPEECH_ON));
                phrases.extend(self.screen_phrases());
            } else {
                phrases.push(Phrase::Say(say::SPEECH_OFF));
            }
            effects.push(self.say(phrases));
        } else if self.spoken {
            let changed =
                screen != self.screen || language != self.language || print != self.ticket.as_ref().map(|t| t.print);
            let mut phrases = touched;
            if changed {
                phrases.extend(self.screen_phrases());
            }
            if !phrases.is_empty() {
                effects.push(self.say(phrases));
            }
        } else if was_spoken {
            // The visit ended with this touch ("Fine"): its button is the last thing said, in the citizen's
            // language, before the screens go back to Italian.
            effects.insert(
                0,
                if touched.is_empty() {
                    Effect::StopSpeaking
                } else {
                    Effect::Say {
                        language,
                        phrases: touched,
                    }
                },
            );
        }
        effects
    }

    fn say(&self, phrases: Vec<Phrase>) -> Effect {
        Effect::Say {
            language: self.language,
            phrases,
        }
    }

    /// What a touch says in spoken mode, looked at before it acts: the touched button's label (or the key
    /// typed). A service's tile says nothing of its own: the sheet it opens starts with its name.
    fn touched(&self, input: &Input) -> Vec<Phrase> {
        let sentence = match input {
            Input::TakeNumber | Input::GetTicket => say::TAKE_NUMBER,
            Input::RateVisit if self.screen == Screen::RateRefused => say::RETRY,
            Input::RateVisit => say::RATE_SERVICE,
            Input::ToggleLargeText if self.large_text => say::LARGE_TEXT_OFF,
            Input::ToggleLargeText => say::LARGE_TEXT_ON,
            Input::ChooseLanguage(language) => return vec![Phrase::Text(language.native_name().to_owned())],
            Input::ChoosePriority(false) => say::NO,
            Input::ChoosePriority(true) => say::YES_PRIORITY,
            Input::Back => say::BACK,
            Input::Home if self.screen == Screen::Ticket => say::DONE,
            Input::Home => say::HOME,
            Input::StillHere => say::YES_CONTINUE,
            Input::Keypad(c) => {
                let c = c.to_ascii_uppercase();
                return if self.screen == Screen::RateCode && keypad_takes(&self.keypad, c) {
                    vec![Phrase::Code(c.to_string())]
                } else {
                    Vec::new()
                };
            }
            Input::KeypadDelete => say::DELETE,
            Input::SubmitCode => say::NEXT,
            Input::Rate(Rating::Good) => say::GOOD,
            Input::Rate(Rating::Neutral) => say::SO_SO,
            Input::Rate(Rating::Bad) => say::BAD,
            Input::Reason(reason) => reason_sentence(*reason),
            Input::ToggleSpeech
            | Input::OpenService(_)
            | Input::KeyTyped(_)
            | Input::OfficeLoaded(_)
            | Input::Issued(_)
            | Input::Printed { .. }
            | Input::Rated(_)
            | Input::Speaking(_) => return Vec::new(),
        };
        vec![Phrase::Say(sentence)]
    }

    /// What the screen shown now says in spoken mode: its title and texts, and the choices it offers.
    pub fn screen_phrases(&self) -> Vec<Phrase> {
        let text = |t: &turno_shared::api::Localized| Phrase::Text(self.text(t).to_owned());
        let sentences = |list: &[crate::speech::Sentence]| list.iter().map(|s| Phrase::Say(*s)).collect::<Vec<_>>();
        let mut out = Vec::new();
        match self.screen {
            Screen::Welcome => out.extend(sentences(&[
                say::WELCOME,
                say::TOUCH_TO_START,
                say::TAKE_NUMBER,
                say::RATE_SERVICE,
            ])),
            Screen::Services => {
                out.extend(sentences(&[say::CHOOSE_SERVICE, say::TOUCH_SERVICE]));
                for service in self.office.iter().flat_map(|o| &o.services) {
                    out.push(text(&service.name));
                    if !service.open {
                        out.push(Phrase::Say(say::CLOSED_NOW));
                    } else if service.full {
                        out.push(Phrase::Say(say::NO_NUMBERS_LEFT));
                    } else {
                        out.push(Phrase::Waiting(service.waiting));
                        out.push(Phrase::Wait {
                            minutes: service.estimated_wait_minutes,
                            range: shown_range(service.estimated_wait_minutes, service.estimated_wait_range),
                        });
                    }
                }
            }
            Screen::Info => {
                if let Some(service) = self.selected.and_then(|id| self.service(id)) {
                    out.push(text(&service.name));
                    out.push(text(&service.info));
                    out.push(Phrase::Waiting(service.waiting));
                    out.push(Phrase::Wait {
                        minutes: service.estimated_wait_minutes,
                        range: shown_range(service.estimated_wait_minutes, service.estimated_wait_range),
                    });
                    out.push(Phrase::Say(say::DOCUMENTS));
                    out.extend(service.documents.iter().map(text));
                    if service.documents.is_empty() {
                        out.push(Phrase::Say(say::NO_DOCUMENTS));
                    }
                    out.push(Phrase::Say(say::TAKE_NUMBER));
                }
            }
            Screen::Priority => {
                out.push(Phrase::Say(say::PRIORITY_QUESTION));
                if let Some(service) = self.selected.and_then(|id| self.service(id)) {
                    out.push(text(&service.name));
                }
                out.extend(sentences(&[
                    say::PRIORITY_WHO,
                    say::PRIORITY_DISABLED,
                    say::PRIORITY_PREGNANT,
                    say::PRIORITY_CHILDREN,
                    say::PRIORITY_ELDERLY,
                    say::NO,
                    say::YES_PRIORITY,
                ]));
            }
            Screen::Ticket => {
                let Some(ticket) = &self.ticket else {
                    return out;
                };
                // While it prints, only that: the whole ticket is said once the printer has answered, so that
                // its answer does not cut the number short.
                let banner = match ticket.print {
                    PrintState::Printing => return vec![Phrase::Say(say::PRINTING)],
                    PrintState::Printed => say::TAKE_TICKET,
                    PrintState::Failed => say::NOTE_NUMBER,
                };
                out.push(Phrase::Say(banner));
                out.push(Phrase::Say(say::YOUR_NUMBER));
                out.push(Phrase::Code(ticket.number.clone()));
                out.push(Phrase::Text(ticket.service.clone()));
                if ticket.priority {
                    out.push(Phrase::Say(say::WITH_PRIORITY));
                }
                out.push(Phrase::PeopleAhead(ticket.people_ahead));
                out.push(Phrase::Wait {
                    minutes: ticket.wait_minutes,
                    range: ticket.wait_range,
                });
                if ticket.print == PrintState::Failed {
                    out.extend(sentences(&[say::PRINTER_DOWN, say::SCAN_QR]));
                    if !ticket.rating_code.is_empty() {
                        out.push(Phrase::Say(say::RATING_CODE));
                        out.push(Phrase::Code(ticket.rating_code.clone()));
                    }
                    out.push(Phrase::Say(say::DONE));
                } else {
                    out.push(Phrase::Say(say::TOUCH_TO_END));
                }
            }
            Screen::RateCode => out.extend(sentences(&[say::RATE_TITLE, say::SCAN_BARCODE, say::TYPE_CODE])),
            Screen::RateFaces => {
                out.push(Phrase::Say(say::HOW_WAS_IT));
                if let Some(VisitCode::Rating(code)) = &self.rating_code {
                    out.push(Phrase::RatedTicket(code.number().to_string()));
                }
                out.extend(sentences(&[say::GOOD, say::SO_SO, say::BAD]));
            }
            Screen::RateReason => out.extend(sentences(&[
                say::WHAT_WENT_WRONG,
                say::MAIN_REASON,
                say::REASON_WAIT,
                say::REASON_COURTESY,
                say::REASON_INFORMATION,
                say::REASON_UNSOLVED,
            ])),
            Screen::RateThanks => out.extend(sentences(&[say::THANKS, say::RATING_SAVED])),
            Screen::RateRefused => {
                let (title, text) = match self.refusal {
                    Refusal::AlreadyRated => (say::ALREADY_RATED, say::ALREADY_RATED_TEXT),
                    Refusal::NotRateable => (say::NOT_RATEABLE, say::NOT_RATEABLE_TEXT),
                    Refusal::NotToday => (say::NOT_TODAY, say::NOT_TODAY_TEXT),
                    Refusal::InvalidCode => (say::INVALID_CODE, say::INVALID_CODE_TEXT),
                    Refusal::TooManyAttempts => (say::TOO_MANY, say::TOO_MANY_TEXT),
                    Refusal::NotFound => (say::NOT_FOUND, say::NOT_FOUND_TEXT),
                };
                out.extend(sentences(&[title, text, say::RETRY]));
            }
            Screen::Closed if self.notice_service.is_empty() => {
                out.extend(sentences(&[say::OFFICE_CLOSED, say::OFFICE_CLOSED_TEXT]))
            }
            Screen::Closed => {
                out.push(Phrase::Say(say::SERVICE_CLOSED));
                out.push(Phrase::ServiceClosed(self.notice_service.clone()));
            }
            Screen::Full => {
                out.push(Phrase::Say(say::NO_NUMBERS_LEFT));
                out.push(Phrase::ServiceFull(self.notice_service.clone()));
            }
            Screen::Unreachable => out.extend(sentences(&[say::UNREACHABLE, say::UNREACHABLE_TEXT])),
            Screen::NotAuthorised => out.extend(sentences(&[say::NOT_AUTHORISED, say::NOT_AUTHORISED_TEXT])),
        }
        out
    }

    /// Applies one input at `now`.
    fn apply(&mut self, input: Input, now: Instant) -> Vec<Effect> {
        let by_citizen = !matches!(
            input,
            Input::OfficeLoaded(_) | Input::Issued(_) | Input::Printed { .. } | Input::Rated(_) | Input::Speaking(_)
        );
        if by_citizen {
            self.last_touch = now;
        }
        match input {
            Input::TakeNumber => {
                if self.screen != Screen::Welcome || self.pending != Pending::None {
                    return Vec::new();
                }
                match &self.office {
                    None => {
                        self.show(Screen::Unreachable, now);
                        return self.load(now);
                    }
                    Some(office) if !office.open => {
                        self.notice_service.clear();
                        self.show(Screen::Closed, now);
                    }
                    Some(_) => self.show(Screen::Services, now),
                }
                Vec::new()
            }
            Input::RateVisit => {
                self.keypad.clear();
                self.rating_code = None;
                self.rating = None;
                self.show(Screen::RateCode, now);
                Vec::new()
            }
            Input::ToggleLargeText => {
                self.large_text = !self.large_text;
                Vec::new()
            }
            Input::ToggleSpeech => {
                if self.screen == Screen::Welcome {
                    self.spoken = !self.spoken;
                }
                Vec::new()
            }
            Input::Speaking(speaking) => {
                // The idle clock restarts when the voice starts and when it stops, but not for the idle
                // warning itself, which would otherwise never let the kiosk go back to the start.
                if self.idle_warning(now).is_none() {
                    self.quiet_since = now;
                }
                self.speaking = speaking;
                Vec::new()
            }
            Input::ChooseLanguage(language) => {
                if self.language == language {
                    return Vec::new();
                }
                self.language = language;
                vec![Effect::SelectLanguage(language)]
            }
            Input::OpenService(id) => {
                let Some(service) = self.service(id) else {
                    return Vec::new();
                };
                let (open, full, name) = (service.open, service.full, self.text(&service.name).to_owned());
                self.selected = Some(id);
                self.notice_service = name;
                self.show(
                    if !open {
                        Screen::Closed
                    } else if full {
                        Screen::Full
                    } else {
                        Screen::Info
                    },
                    now,
                );
                Vec::new()
            }
            Input::GetTicket => {
                if self.screen == Screen::Info && self.selected.is_some() {
                    self.show(Screen::Priority, now);
                }
                Vec::new()
            }
            Input::ChoosePriority(priority) => {
                let Some(service_id) = self.selected else {
                    return Vec::new();
                };
                if self.screen != Screen::Priority || self.pending != Pending::None {
                    return Vec::new();
                }
                self.pending = Pending::Issuing;
                vec![Effect::Issue(IssueRequest {
                    service_id,
                    priority: if priority { Priority::Priority } else { Priority::Normal },
                    language: Some(self.language.code().to_owned()),
                })]
            }
            Input::Back => {
                let to = match self.screen {
                    Screen::Services | Screen::RateCode => Screen::Welcome,
                    Screen::Info | Screen::Full => Screen::Services,
                    Screen::Closed if !self.notice_service.is_empty() => Screen::Services,
                    Screen::Closed => Screen::Welcome,
                    Screen::Priority => Screen::Info,
                    Screen::RateFaces | Screen::RateRefused => Screen::RateCode,
                    Screen::RateReason => Screen::RateFaces,
                    other => other,
                };
                if to == Screen::Welcome {
                    return self.go_home(now, false);
                }
                self.show(to, now);
                Vec::new()
            }
            Input::Home => {
                let visit_over = matches!(self.screen, Screen::Ticket | Screen::RateThanks);
                self.go_home(now, visit_over)
            }
            Input::StillHere => Vec::new(),
            Input::Keypad(c) => {
                let c = c.to_ascii_uppercase();
                if self.screen == Screen::RateCode && keypad_takes(&self.keypad, c) {
                    self.keypad.push(c);
                }
                Vec::new()
            }
            Input::KeypadDelete => {
                self.keypad.pop();
                Vec::new()
            }
            Input::SubmitCode => {
                if self.screen != Screen::RateCode || self.pending != Pending::None {
                    return Vec::new();
                }
                let typed = std::mem::take(&mut self.keypad);
                // The keypad offers "Avanti" only for a whole code; anything else is refused here.
                self.accept(typed.parse().ok().map(VisitCode::Rating), now);
                Vec::new()
            }
            Input::KeyTyped(text) => {
                for c in text.chars() {
                    if c == '\n' || c == '\r' {
                        let scanned = std::mem::take(&mut self.scanned);
                        if !scanned.trim().is_empty() && self.accepts_scans() {
                            self.accept(visit_code(&scanned), now);
                        }
                    } else if !c.is_control() && self.scanned.len() < 256 {
                        self.scanned.push(c);
                    }
                }
                Vec::new()
            }
            Input::Rate(rating) => {
                let Some(code) = self.rating_code.clone() else {
                    return Vec::new();
                };
                if self.screen != Screen::RateFaces {
                    return Vec::new();
                }
                self.rating = Some(rating);
                if rating == Rating::Bad {
                    self.show(Screen::RateReason, now);
                    return Vec::new();
                }
                self.send_rating(code, rating, None)
            }
            Input::Reason(reason) => match (&self.rating_code, self.screen) {
                (Some(code), Screen::RateReason) => self.send_rating(code.clone(), Rating::Bad, Some(reason)),
                _ => Vec::new(),
            },
            Input::OfficeLoaded(result) => {
                self.loading = false;
                match result {
                    Ok(office) => {
                        self.office = Some(office);
                        if self.screen == Screen::Unreachable {
                            return self.go_home(now, true);
                        }
                    }
                    Err(_) => {
                        if !matches!(self.screen, Screen::Ticket | Screen::RateThanks) {
                            self.pending = Pending::None;
                            self.show(Screen::Unreachable, now);
                        }
                    }
                }
                Vec::new()
            }
            Input::Issued(result) => {
                self.pending = Pending::None;
                match result {
                    Ok(issued) => {
                        let service = self.service(issued.ticket.service_id).cloned();
                        let name = service
                            .as_ref()
                            .map(|s| self.text(&s.name).to_owned())
                            .unwrap_or_default();
                        self.ticket = Some(TicketView {
                            id: issued.ticket.id,
                            number: issued.ticket.number.to_string(),
                            rating_code: issued.rating_code.to_string(),
                            status_path: issued.status_path.clone(),
                            service: name,
                            people_ahead: issued.people_ahead,
                            wait_minutes: issued.estimated_wait_minutes,
                            wait_range: shown_range(issued.estimated_wait_minutes, issued.estimated_wait_range),
                            priority: issued.ticket.priority == Priority::Priority,
                            print: PrintState::Printing,
                        });
                        self.ticket_shown_at = now;
                        self.show(Screen::Ticket, now);
                        let mut effects = Vec::new();
                        if let Some(service) = service {
                            effects.push(Effect::Print {
                                issued,
                                service: Box::new(service),
                                language: self.language,
                            });
                        }
                        effects.extend(self.load(now));
                        effects
                    }
                    Err(Failure::Refused(ErrorCode::ServiceFull)) => {
                        self.show(Screen::Full, now);
                        self.load(now)
                    }
                    Err(Failure::Refused(ErrorCode::ServiceClosed)) => {
                        self.show(Screen::Closed, now);
                        self.load(now)
                    }
                    Err(Failure::Refused(ErrorCode::Unauthenticated | ErrorCode::Forbidden)) => {
                        self.show(Screen::NotAuthorised, now);
                        Vec::new()
                    }
                    Err(_) => {
                        self.show(Screen::Unreachable, now);
                        self.load(now)
                    }
                }
            }
            Input::Printed { ticket_id, ok } => {
                if let Some(ticket) = self.ticket.as_mut().filter(|t| t.id == ticket_id) {
                    ticket.print = if ok { PrintState::Printed } else { PrintState::Failed };
                    self.ticket_shown_at = now;
                }
                Vec::new()
            }
            Input::Rated(result) => {
                self.pending = Pending::None;
                match result {
                    Ok(()) => self.show(Screen::RateThanks, now),
                    Err(Failure::Unreachable) => self.show(Screen::Unreachable, now),
                    Err(Failure::Refused(ErrorCode::Unauthenticated | ErrorCode::Forbidden)) => {
                        self.show(Screen::NotAuthorised, now)
                    }
                    Err(Failure::Refused(code)) => {
                        self.refusal = match code {
                            ErrorCode::NotRateable => Refusal::NotRateable,
                            ErrorCode::AlreadyRated => Refusal::AlreadyRated,
                            ErrorCode::NotToday => Refusal::NotToday,
                            ErrorCode::InvalidInput => Refusal::InvalidCode,
                            ErrorCode::TooManyAttempts => Refusal::TooManyAttempts,
                            _ => Refusal::NotFound,
                        };
                        self.show(Screen::RateRefused, now);
                    }
                }
                Vec::new()
            }
        }
    }

    fn accepts_scans(&self) -> bool {
        matches!(
            self.screen,
            Screen::Welcome | Screen::RateCode | Screen::RateFaces | Screen::RateRefused | Screen::RateThanks
        ) && self.pending == Pending::None
    }

    /// Goes on to the faces with a code, or says that what was given is not one.
    fn accept(&mut self, code: Option<VisitCode>, now: Instant) {
        self.rating = None;
        self.keypad.clear();
        match code {
            Some(code) => {
                self.rating_code = Some(code);
                self.show(Screen::RateFaces, now);
            }
            None => {
                self.rating_code = None;
                self.refusal = Refusal::InvalidCode;
                self.show(Screen::RateRefused, now);
            }
        }
    }

    fn send_rating(&mut self, code: VisitCode, rating: Rating, reason: Option<BadReason>) -> Vec<Effect> {
        if self.pending != Pending::None {
            return Vec::new();
        }
        self.pending = Pending::Rating;
        vec![Effect::Rate(RatingRequest {
            code: code.wire(),
            rating,
            reason,
        })]
    }

    /// Time passes: idle timeout, screens that go away by themselves, retries and refreshes. While the voice
    /// speaks, no timer runs out: they count from the end of what was said.
    pub fn tick(&mut self, now: Instant) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.speaking && self.idle_warning(now).is_none() {
            self.quiet_since = now;
        }
        let was_spoken = self.spoken;
        let since_screen = now.saturating_duration_since(self.screen_since.max(self.quiet_since));
        match self.screen {
            Screen::Ticket => {
                let linger = match self.ticket.as_ref().map(|t| t.print) {
                    Some(PrintState::Printed) => self.timing.ticket_shown,
                    _ => self.timing.unprinted_ticket_shown,
                };
                let since = self.ticket_shown_at.max(self.last_touch).max(self.quiet_since);
                if now.saturating_duration_since(since) >= linger {
                    effects.extend(self.go_home(now, true));
                }
            }
            Screen::RateThanks if since_screen >= self.timing.thanks_shown => {
                effects.extend(self.go_home(now, true));
            }
            // The staff's screen stays until someone goes back to the start.
            Screen::Unreachable | Screen::NotAuthorised => {}
            Screen::Welcome if !self.visit_on_welcome() => {}
            _ if self.pending == Pending::None && self.idle_for(now) >= self.idle_timeout() => {
                effects.extend(self.go_home(now, true));
            }
            _ => {}
        }
        if was_spoken && !self.spoken {
            effects.push(Effect::StopSpeaking);
        }
        // In spoken mode the idle warning is said too, once each time it shows.
        match self.idle_warning(now) {
            Some(seconds) if self.spoken && !self.warning_said => {
                self.warning_said = true;
                effects.push(self.say(vec![
                    Phrase::Say(say::STILL_HERE),
                    Phrase::IdleSeconds(seconds),
                    Phrase::Say(say::YES_CONTINUE),
                ]));
            }
            Some(_) => {}
            None => self.warning_said = false,
        }
        let every = if self.screen == Screen::Unreachable || self.office.is_none() {
            self.timing.retry_every
        } else {
            self.timing.refresh_every
        };
        if self
            .last_load
            .is_none_or(|at| now.saturating_duration_since(at) >= every)
        {
            effects.extend(self.load(now));
        }
        effects
    }

    /// How long since the last touch, or since the voice last spoke.
    fn idle_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.last_touch.max(self.quiet_since))
    }

    /// The idle timeout now: longer in spoken mode.
    fn idle_timeout(&self) -> Duration {
        if self.spoken {
            self.timing.spoken_idle_timeout
        } else {
            self.timing.idle_timeout
        }
    }

    /// The welcome screen holds a visit that the idle timeout ends: another language, large text or the spoken
    /// mode chosen, so that the next citizen does not find them.
    fn visit_on_welcome(&self) -> bool {
        self.language != Language::Italian || self.large_text || self.spoken
    }

    /// Whether the idle warning shows now, and the seconds it counts down.
    fn idle_warning(&self, now: Instant) -> Option<u32> {
        let watched = !matches!(
            self.screen,
            Screen::Welcome | Screen::Ticket | Screen::RateThanks | Screen::Unreachable | Screen::NotAuthorised
        ) || self.screen == Screen::Welcome && self.visit_on_welcome();
        if !watched || self.pending != Pending::None {
            return None;
        }
        let left = self.idle_timeout().checked_sub(self.idle_for(now))?;
        (left <= self.timing.idle_warning).then(|| left.as_secs_f64().ceil() as u32)
    }

    /// What the window shows at `now`.
    pub fn view(&self, now: Instant) -> View {
        let text = |t: &turno_shared::api::Localized| self.text(t).to_owned();
        let services = self
            .office
            .iter()
            .flat_map(|o| &o.services)
            .map(|s| TileView {
                id: s.id,
                name: text(&s.name),
                name_rtl: lang::is_rtl_text(self.text(&s.name)),
                waiting: s.waiting,
                wait_minutes: s.estimated_wait_minutes,
                wait_range: shown_range(s.estimated_wait_minutes, s.estimated_wait_range),
                open: s.open,
                full: s.full,
            })
            .collect();
        let sheet = self
            .selected
            .and_then(|id| self.service(id))
            .map(|s| SheetView {
                name: text(&s.name),
                name_rtl: lang::is_rtl_text(self.text(&s.name)),
                info: text(&s.info),
                info_rtl: lang::is_rtl_text(self.text(&s.info)),
                documents: s
                    .documents
                    .iter()
                    .map(|d| (text(d), lang::is_rtl_text(self.text(d))))
                    .collect(),
                waiting: s.waiting,
                wait_minutes: s.estimated_wait_minutes,
                wait_range: shown_range(s.estimated_wait_minutes, s.estimated_wait_range),
            })
            .unwrap_or_default();
        let typed = TypedCode::of(&self.keypad);
        let rated_number = match &self.rating_code {
            Some(VisitCode::Rating(code)) => code.number().to_string(),
            _ => String::new(),
        };
        let keys = KEYS
            .chars()
            .map(|key| KeyView {
                key,
                enabled: keypad_takes(&self.keypad, key),
            })
            .collect();
        View {
            screen: self.screen,
            language: self.language,
            large_text: self.large_text,
            spoken: self.spoken,
            office_name: self.office.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
            services,
            sheet,
            ticket: self.ticket.clone().unwrap_or_default(),
            code: typed.shown,
            code_rest: typed.rest,
            code_complete: typed.complete,
            keys,
            rated_number,
            refusal: self.refusal,
            service_name: self.notice_service.clone(),
            busy: self.pending != Pending::None,
            idle_warning: self.idle_warning(now),
        }
    }
}

/// The keys of the keypad: every letter (a service's letter can be any), then the digits.
const KEYS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The most characters a rating code takes on the keypad: the letter, the longest number's digits and
/// the check characters (ten).
const MAX_TYPED: usize = 1 + (TicketNumber::MAX_SEQ.ilog10() as usize + 1) + RatingCode::CHECK_LEN;

/// The range a wait is shown as, as the ticket's status page shows it: only beside an estimate (none
/// when no counter serves the service, whatever the server sent) and only when it reaches past a
/// minute; otherwise the estimate alone is shown ("circa 1 minuto", "circa 20 minuti").
pub fn shown_range(minutes: Option<u32>, range: Option<WaitRange>) -> Option<WaitRange> {
    minutes.and(range).filter(|r| r.high_minutes > 1)
}

/// Whether `key` can follow `typed` on the keypad: the first key is the service's letter, any letter;
/// then only characters a printed code holds (digits and the letters of [`RatingCode::ALPHABET`]),
/// and only while what is typed can still become a rating code.
pub fn keypad_takes(typed: &str, key: char) -> bool {
    let printable = key.is_ascii()
        && if typed.is_empty() {
            key.is_ascii_uppercase()
        } else {
            RatingCode::ALPHABET.contains(&(key as u8))
        };
    printable && can_become_rating_code(&format!("{typed}{key}"))
}

/// Whether some characters appended to `typed` make a rating code. The shared parser decides, on
/// `typed` completed with ones: a one is a digit of a number and a check character alike.
fn can_become_rating_code(typed: &str) -> bool {
    (typed.len()..=MAX_TYPED).any(|len| {
        let completed = format!("{typed}{}", "1".repeat(len - typed.len()));
        completed.parse::<RatingCode>().is_ok()
    })
}

/// The keypad's display: the code typed so far, laid out as the ticket prints it, and placeholders
/// for what is left.
struct TypedCode {
    shown: String,
    rest: String,
    complete: bool,
}

impl TypedCode {
    fn of(typed: &str) -> Self {
        if let Ok(code) = typed.parse::<RatingCode>() {
            return Self {
                shown: code.to_string(),
                rest: String::new(),
                complete: true,
            };
        }
        // Until the code is whole, where the number ends is a guess: at its first letter after the
        // service's, or after three digits as printed (`A012`); a number of four digits shows right
        // once the code is whole.
        const PRINTED_NUMBER: usize = 1 + 3;
        let split = typed
            .char_indices()
            .skip(1)
            .find(|(_, c)| c.is_ascii_alphabetic())
            .map_or(PRINTED_NUMBER, |(i, _)| i.min(PRINTED_NUMBER));
        let placeholders = |n: usize| "_".repeat(n);
        if typed.len() <= split {
            Self {
                shown: typed.to_owned(),
                rest: format!(
                    "{}-{}",
                    placeholders(PRINTED_NUMBER.saturating_sub(typed.len())),
                    placeholders(RatingCode::CHECK_LEN)
                ),
                complete: false,
            }
        } else {
            let (number, check) = typed.split_at(split);
            Self {
                shown: format!("{number}-{check}"),
                rest: placeholders(RatingCode::CHECK_LEN.saturating_sub(check.len())),
                complete: false,
            }
        }
    }
}

/// The visit named by what a scanner (or a keyboard) typed: a rating code (`A0127K3MX`,
/// `a012-7k3mx`), or a ticket's token, alone or as the last part of its status link. A bare ticket
/// number is not enough: it is called aloud in the waiting room.
pub fn visit_code(raw: &str) -> Option<VisitCode> {
    let raw = raw.trim();
    if let Ok(code) = raw.parse::<RatingCode>() {
        return Some(VisitCode::Rating(code));
    }
    let path = raw.split(['?', '#']).next().unwrap_or(raw);
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or(path);
    let token_like = last.len() >= 8
        && last
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    token_like.then(|| VisitCode::Token(last.to_owned()))
}

/// The reason's label, as its button shows it.
fn reason_sentence(reason: BadReason) -> crate::speech::Sentence {
    match reason {
        BadReason::WaitingTime => say::REASON_WAIT,
        BadReason::StaffCourtesy => say::REASON_COURTESY,
        BadReason::UnclearInformation => say::REASON_INFORMATION,
        BadReason::ProblemNotSolved => say::REASON_UNSOLVED,
    }
}
