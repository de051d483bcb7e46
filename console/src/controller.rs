//! The console's controller: a plain state machine of what the clerk sees (sign in, counter choice, the
//! counter's work with its dialogs, banners and notices) that turns keys, clicks, server answers, live
//! events and time into a [`View`] and a list of [`Effect`]s. No window, no I/O: tested on its own.
//!
//! Which actions a ticket allows comes from the shared domain rules (`TicketState::apply`), never from a
//! copy of them. An action pressed while the server is unreachable is refused with a notice, never
//! queued; an action whose answer was lost is not repeated: the console re-reads the counter when the
//! server answers again.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use turno_shared::api::{
    Counter, CounterPanel, CounterStatus, ErrorCode, FinishRequest, LiveEvent, LoginResponse, OfficeView, PrinterAlert,
    PrinterStatus, ServiceView, TicketView, TransferRequest, User, WalkInRequest,
};
use turno_shared::domain::{PauseReason, Priority, TicketAction, TicketState};

/// How long things last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A notice (what an action did, or why it was refused) stays this long.
    pub notice_shown: Duration,
    /// After a recall, the "not arrived?" prompt shows once the ticket has waited this long more.
    pub no_show_prompt_after: Duration,
    /// While the server is unreachable, ask it again this often.
    pub retry_every: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            notice_shown: Duration::from_secs(10),
            no_show_prompt_after: Duration::from_secs(30),
            retry_every: Duration::from_secs(2),
        }
    }
}

/// What the console remembers between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub server: String,
    pub last_username: String,
    pub last_counter: Option<i64>,
    pub auto_call: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Screen {
    #[default]
    SignIn,
    Counters,
    Work,
}

/// The dialogs over the work screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogKind {
    Finish,
    Transfer,
    CallNumber,
    Pause,
    WalkIn,
    Info,
    SignOut,
}

/// What a clerk can ask for on the work screen, each with its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    CallNext,
    Recall,
    Start,
    Finish,
    NoShow,
    ReturnToQueue,
    Transfer,
    CallNumber,
    PauseResume,
    WalkIn,
    Info,
    SignOut,
    AutoCall,
}

impl Command {
    /// In the order of the action bar.
    pub const ALL: [Command; 13] = [
        Command::CallNext,
        Command::Recall,
        Command::Start,
        Command::Finish,
        Command::NoShow,
        Command::ReturnToQueue,
        Command::Transfer,
        Command::CallNumber,
        Command::PauseResume,
        Command::WalkIn,
        Command::Info,
        Command::SignOut,
        Command::AutoCall,
    ];

    /// The key that gives the command: F1–F12, and Ctrl+F1 for the auto-call toggle.
    pub fn key(self) -> (Key, bool) {
        let f = |n| (Key::F(n), false);
        match self {
            Command::CallNext => f(1),
            Command::Recall => f(2),
            Command::Start => f(3),
            Command::Finish => f(4),
            Command::NoShow => f(5),
            Command::ReturnToQueue => f(6),
            Command::Transfer => f(7),
            Command::CallNumber => f(8),
            Command::PauseResume => f(9),
            Command::WalkIn => f(10),
            Command::Info => f(11),
            Command::SignOut => f(12),
            Command::AutoCall => (Key::F(1), true),
        }
    }

    /// The key as its button shows it.
    pub fn key_label(self) -> String {
        match self.key() {
            (Key::F(n), false) => format!("F{n}"),
            (Key::F(n), true) => format!("Ctrl+F{n}"),
            _ => String::new(),
        }
    }

    fn of_key(key: Key, ctrl: bool) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.key() == (key, ctrl))
    }

    /// The ticket action behind a command, when it is one.
    pub fn ticket_action(self) -> Option<TicketAction> {
        Some(match self {
            Command::Recall => TicketAction::Recall,
            Command::Start => TicketAction::Start,
            Command::Finish => TicketAction::Finish,
            Command::NoShow => TicketAction::NoShow,
            Command::ReturnToQueue => TicketAction::ReturnToQueue,
            Command::Transfer => TicketAction::Transfer,
            _ => return None,
        })
    }
}

/// A key the console reacts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    F(u8),
    Enter,
    Escape,
    Up,
    Down,
    /// A printable character that no text field took.
    Char(char),
}

/// How a request to the server failed, as far as the clerk is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer: the server is down or the network is.
    Unreachable,
    /// An answer with this stable error code.
    Refused(ErrorCode),
}

/// A request that changes something at the counter.
#[derive(Clone, Debug)]
pub enum Act {
    CallNext,
    CallTicket(i64),
    Recall(i64),
    Start(i64),
    Finish(i64, FinishRequest),
    NoShow(i64),
    ReturnToQueue(i64),
    Transfer(i64, TransferRequest),
    Pause(PauseReason, Option<String>),
    Resume,
    WalkIn(WalkInRequest),
}

/// What an [`Act`] was answered.
#[derive(Clone, Debug)]
pub enum Acted {
    /// The ticket after the action (none: call-next found nobody waiting).
    Ticket(Option<Box<TicketView>>),
    /// The counter after a pause or a resume.
    Status(Box<CounterStatus>),
    /// A visit without ticket was recorded.
    WalkIn,
}

/// What the controller hears.
#[derive(Clone, Debug)]
pub enum Input {
    Key {
        key: Key,
        ctrl: bool,
    },
    Command(Command),
    /// Text typed into a field.
    Edited(Field, String),
    SignIn,
    /// A row of a list was clicked: the counter list, or a dialog's first or second list.
    Choose {
        list: u8,
        index: usize,
    },
    OpenCounter,
    Confirm,
    Cancel,
    /// "Keep waiting" on the not-arrived prompt.
    KeepWaiting,
    SignedIn(Result<Box<LoginResponse>, Failure>),
    CountersLoaded(Result<Vec<Counter>, Failure>),
    OfficeLoaded(Result<Box<OfficeView>, Failure>),
    AlertsLoaded(Result<Vec<PrinterAlert>, Failure>),
    CounterOpened(Result<Box<CounterStatus>, Failure>),
    StatusLoaded(Result<Box<CounterStatus>, Failure>),
    PanelLoaded(Result<Box<CounterPanel>, Failure>),
    QueueLoaded(Result<Vec<TicketView>, Failure>),
    Acted(Box<Act>, Result<Acted, Failure>),
    SignedOut(Result<(), Failure>),
    Live(Box<LiveEvent>),
    /// The live-event stream connected (`true`) or broke (`false`).
    Connected(bool),
}

/// The text fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Server,
    Username,
    Password,
    Note,
    Search,
}

/// What the controller asks the outside world to do.
#[derive(Clone, Debug)]
pub enum Effect {
    SignIn {
        server: String,
        username: String,
        password: String,
    },
    LoadCounters,
    LoadOffice,
    LoadAlerts,
    OpenCounter(i64),
    LoadStatus(i64),
    LoadPanel(i64),
    LoadQueue(i64),
    Act {
        counter: i64,
        act: Act,
    },
    /// Close the counter's session (when there is one) and sign out.
    SignOut {
        counter: Option<i64>,
    },
    Save(Settings),
}

/// A short message under the header: what an action did, or why it was refused. The window words it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    // Sign in and counter choice.
    BadCredentials,
    Locked,
    Unreachable,
    Unavailable,
    MissingFields,
    BadServer,
    NoCounters,
    CounterTaken,
    ClerkBusy,
    CounterInactive,
    SessionExpired,
    // At work.
    Called,
    NothingWaiting,
    Finished,
    NoShow,
    Returned,
    Transferred,
    WalkInRecorded,
    Paused,
    Resumed,
    Offline,
    NoAnswer,
    TicketInProgress,
    CounterPaused,
    AlreadyTaken,
    OutOfDate,
    OutcomeRequired,
    TargetRequired,
    ServiceRequired,
    ReasonRequired,
    NotNow,
    Refused,
}

impl Notice {
    /// Whether it reports a refusal or a fault (shown in red) rather than what was done.
    pub fn is_error(self) -> bool {
        !matches!(
            self,
            Notice::Called
                | Notice::Finished
                | Notice::NoShow
                | Notice::Returned
                | Notice::Transferred
                | Notice::WalkInRecorded
                | Notice::Paused
                | Notice::Resumed
                | Notice::NothingWaiting
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeView {
    pub notice: Notice,
    /// A ticket number, a service or an error code the notice names.
    pub arg: String,
}

/// A banner: a condition that lasts, shown above the work without blocking it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Banner {
    Offline,
    Printer { device: String, status: PrinterStatus },
    OverTarget { services: String },
}

/// A counter in the choice list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterRow {
    pub id: i64,
    pub name: String,
    pub services: String,
    pub selected: bool,
}

/// The ticket at the counter, as its card shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketCard {
    pub id: i64,
    pub number: String,
    pub service: String,
    pub state: Option<TicketState>,
    /// Minutes from issue to call.
    pub waited_minutes: i64,
    /// Seconds since it was called (at the counter since).
    pub at_counter_secs: i64,
    pub priority: bool,
    /// "Tributi · Sportello 3" when it was transferred here.
    pub transferred_from: String,
    /// The citizen's language code when it is not Italian.
    pub language: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PauseView {
    pub reason: PauseReason,
    pub note: String,
    /// Local time the pause started, `HH:MM`.
    pub since: String,
    pub minutes: i64,
}

/// One service's queue on the panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueRow {
    pub service: String,
    pub waiting: u32,
    pub priority_waiting: u32,
    pub longest_minutes: Option<i64>,
    pub over_target: bool,
    pub estimate_minutes: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayView {
    pub served: u32,
    pub no_shows: u32,
    pub walk_ins: u32,
    /// `m:ss`, empty when nothing was served yet.
    pub mean_service: String,
    /// `h:mm`.
    pub paused: String,
}

/// A row of a dialog's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoiceRow {
    /// The key that picks it: `1`–`9`, or a service's letter.
    pub key: String,
    pub label: String,
    /// A second line: a ticket's service and wait, a counter's services.
    pub detail: String,
    pub selected: bool,
}

/// The open dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialogView {
    pub kind: DialogKind,
    /// The ticket it is about (`A012 · Anagrafe`), or the service of the information sheet.
    pub subject: String,
    pub first: Vec<ChoiceRow>,
    pub second: Vec<ChoiceRow>,
    pub note: String,
    pub search: String,
    /// The visit's timer (walk-in), `m:ss`.
    pub timer: String,
    pub info: String,
    pub documents: Vec<String>,
    /// How many tickets match the search (the list shows the first [`CALL_LIST_SHOWN`]).
    pub total: usize,
    /// Auto-call is on: finishing calls the next ticket.
    pub then_call: bool,
}

/// Everything the window shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub screen: Screen,
    pub busy: bool,
    pub server: String,
    pub username: String,
    pub counters: Vec<CounterRow>,
    pub office_name: String,
    pub counter_name: String,
    pub clerk_name: String,
    pub offline: bool,
    pub banners: Vec<Banner>,
    pub notice: Option<NoticeView>,
    pub ticket: Option<TicketCard>,
    pub paused: Option<PauseView>,
    pub waiting: u32,
    pub commands: Vec<Command>,
    pub auto_call: bool,
    pub no_show_prompt: bool,
    pub queues: Vec<QueueRow>,
    pub transferred_here: u32,
    pub day: DayView,
    pub dialog: Option<DialogView>,
}

#[derive(Clone, Debug, PartialEq)]
enum Dialog {
    Finish {
        ticket: TicketView,
        outcome: Option<usize>,
        also: Vec<i64>,
        note: String,
    },
    Transfer {
        ticket: TicketView,
        service: Option<i64>,
        counter: Option<i64>,
    },
    CallNumber {
        search: String,
        cursor: usize,
    },
    Pause {
        reason: Option<PauseReason>,
        note: String,
    },
    WalkIn {
        service: Option<i64>,
        outcome: Option<usize>,
        note: String,
        since: Timestamp,
    },
    Info {
        service: Option<i64>,
    },
    SignOut,
}

impl Dialog {
    fn kind(&self) -> DialogKind {
        match self {
            Dialog::Finish { .. } => DialogKind::Finish,
            Dialog::Transfer { .. } => DialogKind::Transfer,
            Dialog::CallNumber { .. } => DialogKind::CallNumber,
            Dialog::Pause { .. } => DialogKind::Pause,
            Dialog::WalkIn { .. } => DialogKind::WalkIn,
            Dialog::Info { .. } => DialogKind::Info,
            Dialog::SignOut => DialogKind::SignOut,
        }
    }
}

/// What is on its way to the server and blocks further actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    SignIn,
    OpenCounter,
    Act,
    SignOut,
}

/// Loads of one kind: whether one is on its way, and whether another is wanted after it.
#[derive(Clone, Copy, Debug, Default)]
struct Load {
    running: bool,
    again: bool,
}

impl Load {
    /// Starts a load now unless one runs; then one more follows it (a burst of events makes two loads).
    fn want(&mut self) -> bool {
        if self.running {
            self.again = true;
            false
        } else {
            self.running = true;
            true
        }
    }

    /// The load came back: whether to start the one wanted meanwhile.
    fn done(&mut self) -> bool {
        self.running = false;
        if std::mem::take(&mut self.again) {
            self.running = true;
            true
        } else {
            false
        }
    }
}

/// The reasons of a pause, in the order of their keys 1–4.
pub const PAUSE_REASONS: [PauseReason; 4] = [
    PauseReason::Break,
    PauseReason::BackOffice,
    PauseReason::Technical,
    PauseReason::Other,
];

/// How many waiting tickets the call-a-number list shows; typing the number narrows it.
pub const CALL_LIST_SHOWN: usize = 8;

/// The longest note the server keeps.
pub const MAX_NOTE_CHARS: usize = 500;

/// The console's state machine.
pub struct Controller {
    timing: Timing,
    settings: Settings,
    screen: Screen,
    password: String,
    user: Option<User>,
    counters: Vec<Counter>,
    cursor: usize,
    office: Option<OfficeView>,
    /// The server's clock minus ours, as last seen.
    skew: SignedDuration,
    counter: Option<i64>,
    status: Option<CounterStatus>,
    panel: Option<CounterPanel>,
    queue: Vec<TicketView>,
    alerts: BTreeMap<i64, PrinterAlert>,
    dialog: Option<Dialog>,
    pending: Option<Pending>,
    status_load: Load,
    panel_load: Load,
    queue_load: Load,
    stream_up: bool,
    stream_seen: bool,
    request_failed: bool,
    last_probe: Timestamp,
    notice: Option<(NoticeView, Timestamp)>,
    /// The ticket last recalled and when; the prompt shows after a while unless dismissed.
    recalled: Option<(i64, Timestamp)>,
    prompt_dismissed: bool,
}

impl Controller {
    pub fn new(timing: Timing, settings: Settings, now: Timestamp) -> Self {
        Self {
            timing,
            settings,
            screen: Screen::SignIn,
            password: String::new(),
            user: None,
            counters: Vec::new(),
            cursor: 0,
            office: None,
            skew: SignedDuration::ZERO,
            counter: None,
            status: None,
            panel: None,
            queue: Vec::new(),
            alerts: BTreeMap::new(),
            dialog: None,
            pending: None,
            status_load: Load::default(),
            panel_load: Load::default(),
            queue_load: Load::default(),
            stream_up: false,
            stream_seen: false,
            request_failed: false,
            last_probe: now,
            notice: None,
            recalled: None,
            prompt_dismissed: false,
        }
    }

    pub fn screen(&self) -> Screen {
        self.screen
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn status(&self) -> Option<&CounterStatus> {
        self.status.as_ref()
    }

    pub fn panel(&self) -> Option<&CounterPanel> {
        self.panel.as_ref()
    }

    /// The ticket at the counter now.
    pub fn current(&self) -> Option<&TicketView> {
        self.status.as_ref()?.current.as_ref()
    }

    pub fn dialog(&self) -> Option<DialogKind> {
        self.dialog.as_ref().map(Dialog::kind)
    }

    pub fn offline(&self) -> bool {
        self.request_failed || (self.stream_seen && !self.stream_up)
    }

    fn say(&mut self, notice: Notice, arg: impl Into<String>, now: Timestamp) {
        self.notice = Some((
            NoticeView {
                notice,
                arg: arg.into(),
            },
            now,
        ));
    }

    fn service(&self, id: i64) -> Option<&ServiceView> {
        self.office.as_ref()?.services.iter().find(|s| s.id == id)
    }

    fn service_name(&self, id: i64) -> String {
        self.service(id)
            .map(|s| s.name.get("it").to_owned())
            .unwrap_or_default()
    }

    fn counter_name(&self, id: i64) -> String {
        self.counters
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.config.name.clone())
            .unwrap_or_default()
    }

    /// The counters a clerk may sit at: the active ones.
    fn active_counters(&self) -> Vec<&Counter> {
        self.counters.iter().filter(|c| c.config.active).collect()
    }

    /// The active services, in the office's order.
    fn services(&self) -> Vec<&ServiceView> {
        self.office.iter().flat_map(|o| &o.services).collect()
    }

    fn paused(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.paused.is_some())
    }

    /// Whether `command` can be given now (work screen, no dialog, nothing on its way).
    pub fn available(&self, command: Command) -> bool {
        if self.screen != Screen::Work {
            return false;
        }
        let current = self.current();
        match command {
            Command::CallNext | Command::CallNumber => current.is_none() && !self.paused(),
            Command::PauseResume => self.paused() || current.is_none(),
            Command::WalkIn | Command::SignOut => current.is_none(),
            Command::Info => self.office.is_some(),
            Command::AutoCall => true,
            ticket => match (current, ticket.ticket_action()) {
                (Some(t), Some(action)) => t.state.apply(action).is_ok(),
                _ => false,
            },
        }
    }

    /// The first effects: none until the clerk signs in.
    pub fn start(&mut self, _now: Timestamp) -> Vec<Effect> {
        Vec::new()
    }

    /// Handles one input at `now`.
    pub fn handle(&mut self, input: Input, now: Timestamp) -> Vec<Effect> {
        match input {
            Input::Key { key, ctrl } => self.key(key, ctrl, now).unwrap_or_default(),
            Input::Command(command) => self.command(command, now),
            Input::Edited(field, text) => {
                self.edited(field, text);
                Vec::new()
            }
            Input::SignIn => self.sign_in(now),
            Input::Choose { list, index } => self.choose(list, index, now),
            Input::OpenCounter => self.open_counter(now),
            Input::Confirm => self.confirm(now),
            Input::Cancel => self.cancel(now),
            Input::KeepWaiting => {
                self.prompt_dismissed = true;
                Vec::new()
            }
            answer => self.answer(answer, now),
        }
    }

    /// A key: `None` when the console does not use it here, so that the window handles it.
    pub fn key(&mut self, key: Key, ctrl: bool, now: Timestamp) -> Option<Vec<Effect>> {
        match self.screen {
            Screen::SignIn => match key {
                Key::Enter => Some(self.sign_in(now)),
                _ => None,
            },
            Screen::Counters => {
                let count = self.active_counters().len();
                match key {
                    Key::Up => {
                        self.cursor = self.cursor.saturating_sub(1);
                        Some(Vec::new())
                    }
                    Key::Down => {
                        self.cursor = (self.cursor + 1).min(count.saturating_sub(1));
                        Some(Vec::new())
                    }
                    Key::Char(c @ '1'..='9') => {
                        let i = c as usize - '1' as usize;
                        (i < count).then(|| self.choose(0, i, now))
                    }
                    Key::Enter => Some(self.open_counter(now)),
                    Key::Escape => Some(self.cancel(now)),
                    _ => None,
                }
            }
            Screen::Work if self.dialog.is_some() => self.dialog_key(key, ctrl, now),
            Screen::Work => match key {
                Key::F(_) => Some(Command::of_key(key, ctrl).map_or_else(Vec::new, |c| self.command(c, now))),
                Key::Escape => {
                    if self.no_show_prompt(now) {
                        self.prompt_dismissed = true;
                    } else {
                        self.notice = None;
                    }
                    Some(Vec::new())
                }
                _ => None,
            },
        }
    }

    fn dialog_key(&mut self, key: Key, _ctrl: bool, now: Timestamp) -> Option<Vec<Effect>> {
        let kind = self.dialog.as_ref().map(Dialog::kind)?;
        match key {
            Key::Enter => return Some(self.confirm(now)),
            Key::Escape => return Some(self.cancel(now)),
            Key::F(_) => return Some(Vec::new()),
            _ => {}
        }
        match (kind, key) {
            (DialogKind::CallNumber, Key::Up | Key::Down) => {
                let count = self.call_list().len().min(CALL_LIST_SHOWN);
                if let Some(Dialog::CallNumber { cursor, .. }) = &mut self.dialog {
                    *cursor = match key {
                        Key::Up => cursor.saturating_sub(1),
                        _ => (*cursor + 1).min(count.saturating_sub(1)),
                    };
                }
                Some(Vec::new())
            }
            (_, Key::Char(c)) => {
                let (list, index) = self.key_choice(kind, c)?;
                Some(self.choose(list, index, now))
            }
            _ => None,
        }
    }

    /// Which row of which list a typed character picks in the open dialog.
    fn key_choice(&self, kind: DialogKind, c: char) -> Option<(u8, usize)> {
        let digit = c.to_digit(10).filter(|d| *d >= 1).map(|d| d as usize - 1);
        let letter = c.is_ascii_alphabetic().then(|| c.to_ascii_uppercase());
        let view = self.dialog_view(Timestamp::UNIX_EPOCH)?;
        let find = |rows: &[ChoiceRow], key: String| rows.iter().position(|r| r.key == key);
        match kind {
            DialogKind::Finish | DialogKind::WalkIn | DialogKind::Transfer => {
                // Digits pick in the list keyed by digits, letters in the one keyed by letters.
                let lists = [(0u8, &view.first), (1u8, &view.second)];
                let key = digit.map(|d| (d + 1).to_string()).or(letter.map(String::from))?;
                lists
                    .into_iter()
                    .find_map(|(list, rows)| find(rows, key.clone()).map(|i| (list, i)))
            }
            DialogKind::Pause => digit.filter(|d| *d < PAUSE_REASONS.len()).map(|d| (0, d)),
            DialogKind::Info => find(&view.first, letter?.to_string()).map(|i| (0, i)),
            DialogKind::CallNumber | DialogKind::SignOut => None,
        }
    }

    fn edited(&mut self, field: Field, text: String) {
        match field {
            Field::Server => self.settings.server = text,
            Field::Username => self.settings.last_username = text,
            Field::Password => self.password = text,
            Field::Note => {
                if let Some(Dialog::Finish { note, .. } | Dialog::Pause { note, .. } | Dialog::WalkIn { note, .. }) =
                    &mut self.dialog
                {
                    *note = text.chars().take(MAX_NOTE_CHARS).collect();
                }
            }
            Field::Search => {
                if let Some(Dialog::CallNumber { search, cursor }) = &mut self.dialog {
                    *search = text;
                    *cursor = 0;
                }
            }
        }
    }

    fn sign_in(&mut self, now: Timestamp) -> Vec<Effect> {
        if self.screen != Screen::SignIn || self.pending.is_some() {
            return Vec::new();
        }
        let server = self.settings.server.trim().trim_end_matches('/').to_owned();
        let username = self.settings.last_username.trim().to_owned();
        if server.is_empty() || username.is_empty() || self.password.is_empty() {
            self.say(Notice::MissingFields, "", now);
            return Vec::new();
        }
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            self.say(Notice::BadServer, server, now);
            return Vec::new();
        }
        self.settings.server = server.clone();
        self.pending = Some(Pending::SignIn);
        self.notice = None;
        vec![Effect::SignIn {
            server,
            username,
            password: self.password.clone(),
        }]
    }

    fn open_counter(&mut self, now: Timestamp) -> Vec<Effect> {
        if self.screen != Screen::Counters || self.pending.is_some() {
            return Vec::new();
        }
        let Some(id) = self.active_counters().get(self.cursor).map(|c| c.id) else {
            self.say(Notice::NoCounters, "", now);
            return Vec::new();
        };
        self.pending = Some(Pending::OpenCounter);
        self.notice = None;
        vec![Effect::OpenCounter(id)]
    }

    fn command(&mut self, command: Command, now: Timestamp) -> Vec<Effect> {
        if self.screen != Screen::Work || self.dialog.is_some() {
            return Vec::new();
        }
        if command == Command::AutoCall {
            self.settings.auto_call = !self.settings.auto_call;
            return vec![Effect::Save(self.settings.clone())];
        }
        if command == Command::Info {
            self.notice = None;
            let service = self
                .current()
                .map(|t| t.service_id)
                .or_else(|| self.counter_services().first().copied());
            self.dialog = Some(Dialog::Info { service });
            return Vec::new();
        }
        if self.pending.is_some() {
            return Vec::new();
        }
        if !self.available(command) {
            let notice = match (self.current(), command) {
                (Some(_), Command::CallNext | Command::CallNumber | Command::PauseResume | Command::SignOut) => {
                    Notice::TicketInProgress
                }
                (None, Command::CallNext | Command::CallNumber) if self.paused() => Notice::CounterPaused,
                _ => Notice::NotNow,
            };
            let arg = self.current().map(|t| t.number.to_string()).unwrap_or_default();
            self.say(notice, arg, now);
            return Vec::new();
        }
        // Actions that reach the server at once are refused while it cannot be reached; the dialogs
        // open (the clerk may be typing a note) and refuse at confirmation.
        let ticket = self.current().cloned();
        self.notice = None;
        match command {
            Command::CallNext => self.act(Act::CallNext, now),
            Command::Recall => self.act(Act::Recall(ticket.map_or(0, |t| t.id)), now),
            Command::Start => self.act(Act::Start(ticket.map_or(0, |t| t.id)), now),
            Command::NoShow => self.act(Act::NoShow(ticket.map_or(0, |t| t.id)), now),
            Command::ReturnToQueue => self.act(Act::ReturnToQueue(ticket.map_or(0, |t| t.id)), now),
            Command::PauseResume if self.paused() => self.act(Act::Resume, now),
            Command::PauseResume => {
                self.dialog = Some(Dialog::Pause {
                    reason: None,
                    note: String::new(),
                });
                Vec::new()
            }
            Command::Finish => {
                let ticket = ticket.expect("available: a ticket is at the counter");
                let outcomes = self.service(ticket.service_id).map_or(0, |s| s.outcomes.len());
                self.dialog = Some(Dialog::Finish {
                    ticket,
                    // A service with one outcome needs no choice.
                    outcome: (outcomes == 1).then_some(0),
                    also: Vec::new(),
                    note: String::new(),
                });
                Vec::new()
            }
            Command::Transfer => {
                self.dialog = Some(Dialog::Transfer {
                    ticket: ticket.expect("available: a ticket is at the counter"),
                    service: None,
                    counter: None,
                });
                Vec::new()
            }
            Command::CallNumber => {
                self.dialog = Some(Dialog::CallNumber {
                    search: String::new(),
                    cursor: 0,
                });
                self.load_queue()
            }
            Command::WalkIn => {
                let service = self.counter_services().first().copied();
                self.dialog = Some(Dialog::WalkIn {
                    service,
                    outcome: None,
                    note: String::new(),
                    since: now,
                });
                Vec::new()
            }
            Command::SignOut => {
                self.dialog = Some(Dialog::SignOut);
                Vec::new()
            }
            Command::Info | Command::AutoCall => Vec::new(),
        }
    }

    /// Sends `act` unless the server is known to be unreachable.
    fn act(&mut self, act: Act, now: Timestamp) -> Vec<Effect> {
        let Some(counter) = self.counter else {
            return Vec::new();
        };
        if self.offline() {
            self.say(Notice::Offline, "", now);
            return Vec::new();
        }
        self.pending = Some(Pending::Act);
        self.notice = None;
        vec![Effect::Act { counter, act }]
    }

    /// The services of the counter signed in at, in its order of preference.
    fn counter_services(&self) -> Vec<i64> {
        self.status
            .as_ref()
            .map(|s| s.counter.config.services.clone())
            .unwrap_or_default()
    }

    fn choose(&mut self, list: u8, index: usize, now: Timestamp) -> Vec<Effect> {
        if self.screen == Screen::Counters {
            if index < self.active_counters().len() {
                self.cursor = index;
            }
            return Vec::new();
        }
        let Some(view) = self.dialog_view(now) else {
            return Vec::new();
        };
        let services: Vec<(i64, usize)> = self.services().iter().map(|s| (s.id, s.outcomes.len())).collect();
        let transfer_services: Vec<i64> = services.iter().map(|s| s.0).collect();
        let transfer_counters: Vec<i64> = self.transfer_counters().iter().map(|c| c.id).collect();
        let also_services = self.also_services();
        let walk_in_services = self.walk_in_services();
        let info_services: Vec<i64> = transfer_services.clone();
        let rows = if list == 0 { &view.first } else { &view.second };
        if index >= rows.len() {
            return Vec::new();
        }
        match &mut self.dialog {
            Some(Dialog::Finish { outcome, also, .. }) => {
                if list == 0 {
                    *outcome = Some(index);
                } else if let Some(&id) = also_services.get(index) {
                    toggle(also, id);
                }
            }
            Some(Dialog::Transfer { service, counter, .. }) => {
                if list == 0 {
                    let id = transfer_services.get(index).copied();
                    *service = if *service == id { None } else { id };
                } else {
                    let id = transfer_counters.get(index).copied();
                    *counter = if *counter == id { None } else { id };
                }
            }
            Some(Dialog::Pause { reason, .. }) => *reason = PAUSE_REASONS.get(index).copied(),
            Some(Dialog::WalkIn { service, outcome, .. }) => {
                if list == 0 {
                    let id = walk_in_services.get(index).copied();
                    if *service != id {
                        *outcome = None;
                    }
                    *service = id;
                } else {
                    *outcome = Some(index);
                }
            }
            Some(Dialog::Info { service }) => *service = info_services.get(index).copied(),
            Some(Dialog::CallNumber { cursor, .. }) => *cursor = index,
            Some(Dialog::SignOut) | None => {}
        }
        Vec::new()
    }

    fn confirm(&mut self, now: Timestamp) -> Vec<Effect> {
        if self.screen == Screen::SignIn {
            return self.sign_in(now);
        }
        if self.screen == Screen::Counters {
            return self.open_counter(now);
        }
        if self.no_show_prompt(now) && self.dialog.is_none() {
            return Vec::new();
        }
        if self.pending.is_some() {
            return Vec::new();
        }
        let Some(dialog) = self.dialog.clone() else {
            return Vec::new();
        };
        match dialog {
            Dialog::Finish {
                ticket,
                outcome,
                also,
                note,
            } => {
                let outcomes = self
                    .service(ticket.service_id)
                    .map(|s| s.outcomes.clone())
                    .unwrap_or_default();
                let Some(outcome) = outcome.and_then(|i| outcomes.get(i)) else {
                    self.say(Notice::OutcomeRequired, "", now);
                    return Vec::new();
                };
                let request = FinishRequest {
                    outcome: outcome.code.clone(),
                    note: Some(note.trim().to_owned()).filter(|n| !n.is_empty()),
                    also,
                };
                self.act(Act::Finish(ticket.id, request), now)
            }
            Dialog::Transfer {
                ticket,
                service,
                counter,
            } => {
                if service.is_none() && counter.is_none() {
                    self.say(Notice::TargetRequired, "", now);
                    return Vec::new();
                }
                let request = TransferRequest {
                    service_id: service,
                    counter_id: counter,
                };
                self.act(Act::Transfer(ticket.id, request), now)
            }
            Dialog::CallNumber { cursor, .. } => match self.call_list().get(cursor) {
                Some(t) => {
                    let id = t.id;
                    self.act(Act::CallTicket(id), now)
                }
                None => {
                    self.say(Notice::NothingWaiting, "", now);
                    Vec::new()
                }
            },
            Dialog::Pause { reason, note } => {
                let Some(reason) = reason else {
                    self.say(Notice::ReasonRequired, "", now);
                    return Vec::new();
                };
                let note = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
                self.act(Act::Pause(reason, note), now)
            }
            Dialog::WalkIn {
                service,
                outcome,
                note,
                since,
            } => {
                let Some(service) = service.and_then(|id| self.service(id)) else {
                    self.say(Notice::ServiceRequired, "", now);
                    return Vec::new();
                };
                let Some(outcome) = outcome.and_then(|i| service.outcomes.get(i)) else {
                    self.say(Notice::OutcomeRequired, "", now);
                    return Vec::new();
                };
                let secs = now.duration_since(since).as_secs().clamp(1, 8 * 3600) as u32;
                let request = WalkInRequest {
                    service_id: service.id,
                    outcome: outcome.code.clone(),
                    note: Some(note.trim().to_owned()).filter(|n| !n.is_empty()),
                    also: Vec::new(),
                    duration_secs: Some(secs),
                };
                self.act(Act::WalkIn(request), now)
            }
            Dialog::Info { .. } => {
                self.dialog = None;
                Vec::new()
            }
            Dialog::SignOut => {
                if self.offline() {
                    self.say(Notice::Offline, "", now);
                    return Vec::new();
                }
                self.pending = Some(Pending::SignOut);
                vec![Effect::SignOut { counter: self.counter }]
            }
        }
    }

    fn cancel(&mut self, _now: Timestamp) -> Vec<Effect> {
        match self.screen {
            Screen::SignIn => Vec::new(),
            Screen::Counters => {
                if self.pending.is_some() {
                    return Vec::new();
                }
                self.pending = Some(Pending::SignOut);
                vec![Effect::SignOut { counter: None }]
            }
            Screen::Work => {
                // A dialog whose request is on its way stays until the answer.
                if self.pending != Some(Pending::Act) || self.dialog.is_none() {
                    self.dialog = None;
                }
                Vec::new()
            }
        }
    }

    // ----- answers -----

    fn answer(&mut self, input: Input, now: Timestamp) -> Vec<Effect> {
        let mut effects = Vec::new();
        match input {
            Input::SignedIn(result) => {
                self.pending = None;
                match result {
                    Ok(login) => {
                        self.user = Some(login.user.clone());
                        self.password.clear();
                        self.screen = Screen::Counters;
                        self.notice = None;
                        effects.extend([Effect::LoadCounters, Effect::LoadOffice]);
                        effects.push(Effect::Save(self.settings.clone()));
                    }
                    Err(failure) => {
                        let notice = match failure {
                            Failure::Unreachable => Notice::Unreachable,
                            Failure::Refused(ErrorCode::BadCredentials | ErrorCode::Unauthenticated) => {
                                Notice::BadCredentials
                            }
                            Failure::Refused(ErrorCode::TooManyAttempts) => Notice::Locked,
                            Failure::Refused(ErrorCode::Unavailable | ErrorCode::Timeout) => Notice::Unavailable,
                            Failure::Refused(_) => Notice::Refused,
                        };
                        self.say(notice, code_arg(failure), now);
                    }
                }
            }
            Input::CountersLoaded(result) => match result {
                Ok(counters) => {
                    self.counters = counters;
                    let active: Vec<i64> = self.active_counters().iter().map(|c| c.id).collect();
                    self.cursor = self
                        .settings
                        .last_counter
                        .and_then(|id| active.iter().position(|c| *c == id))
                        .unwrap_or(0);
                    if active.is_empty() {
                        self.say(Notice::NoCounters, "", now);
                    }
                }
                Err(failure) => effects.extend(self.failed(failure, now)),
            },
            Input::OfficeLoaded(result) => match result {
                Ok(office) => {
                    self.skew = office.now.duration_since(now);
                    self.office = Some(*office);
                    self.online(&mut effects);
                }
                Err(failure) => effects.extend(self.failed(failure, now)),
            },
            Input::AlertsLoaded(Ok(alerts)) => {
                self.alerts = alerts.into_iter().map(|a| (a.device_id, a)).collect();
            }
            Input::CounterOpened(result) => {
                self.pending = None;
                match result {
                    Ok(status) => {
                        self.counter = Some(status.counter.id);
                        self.settings.last_counter = Some(status.counter.id);
                        self.set_status(*status);
                        self.screen = Screen::Work;
                        self.dialog = None;
                        self.notice = None;
                        effects.push(Effect::Save(self.settings.clone()));
                        effects.extend(self.resync());
                    }
                    Err(failure) => {
                        let notice = match failure {
                            Failure::Unreachable => Notice::Unreachable,
                            Failure::Refused(ErrorCode::CounterTaken) => Notice::CounterTaken,
                            Failure::Refused(ErrorCode::ClerkBusy) => Notice::ClerkBusy,
                            Failure::Refused(ErrorCode::CounterInactive) => Notice::CounterInactive,
                            Failure::Refused(ErrorCode::Unauthenticated) => Notice::SessionExpired,
                            Failure::Refused(_) => Notice::Refused,
                        };
                        self.say(notice, code_arg(failure), now);
                        if notice == Notice::SessionExpired {
                            self.signed_out();
                            self.say(notice, "", now);
                        }
                    }
                }
            }
            Input::StatusLoaded(result) => {
                let again = self.status_load.done();
                match result {
                    Ok(status) if self.screen == Screen::Work => {
                        self.set_status(*status);
                        self.online(&mut effects);
                    }
                    Ok(_) => {}
                    Err(failure) => effects.extend(self.failed(failure, now)),
                }
                if again && let Some(c) = self.counter {
                    effects.push(Effect::LoadStatus(c));
                }
            }
            Input::PanelLoaded(result) => {
                let again = self.panel_load.done();
                match result {
                    Ok(panel) => {
                        self.panel = Some(*panel);
                        self.online(&mut effects);
                    }
                    Err(failure) => effects.extend(self.failed(failure, now)),
                }
                if again && let Some(c) = self.counter {
                    effects.push(Effect::LoadPanel(c));
                }
            }
            Input::QueueLoaded(result) => {
                let again = self.queue_load.done();
                match result {
                    Ok(queue) => {
                        self.queue = queue;
                        self.online(&mut effects);
                        if let Some(Dialog::CallNumber { cursor, .. }) = &mut self.dialog {
                            let n = self.queue.len().min(CALL_LIST_SHOWN);
                            *cursor = (*cursor).min(n.saturating_sub(1));
                        }
                    }
                    Err(failure) => effects.extend(self.failed(failure, now)),
                }
                if again && let Some(c) = self.counter {
                    effects.push(Effect::LoadQueue(c));
                }
            }
            Input::Acted(act, result) => {
                self.pending = None;
                effects.extend(self.acted(*act, result, now));
            }
            Input::SignedOut(result) => {
                self.pending = None;
                match result {
                    Ok(()) | Err(Failure::Refused(ErrorCode::Unauthenticated)) => {
                        self.signed_out();
                        effects.push(Effect::Save(self.settings.clone()));
                    }
                    Err(Failure::Refused(ErrorCode::TicketInProgress)) => {
                        self.dialog = None;
                        self.say(Notice::TicketInProgress, "", now);
                        effects.extend(self.resync());
                    }
                    Err(failure) => {
                        self.dialog = None;
                        effects.extend(self.failed(failure, now));
                    }
                }
            }
            Input::Live(event) => effects.extend(self.live(*event)),
            Input::Connected(up) => {
                let was_offline = self.offline();
                self.stream_up = up;
                if up {
                    self.stream_seen = true;
                    self.request_failed = false;
                    // Back from a break (or first connected): what happened meanwhile is read again.
                    if was_offline || self.screen == Screen::Work {
                        effects.extend(self.resync());
                    }
                }
            }
            _ => {}
        }
        effects
    }

    fn set_status(&mut self, status: CounterStatus) {
        if status.current.as_ref().map(|t| t.id) != self.recalled.map(|r| r.0) {
            self.recalled = None;
        }
        self.status = Some(status);
    }

    fn signed_out(&mut self) {
        self.screen = Screen::SignIn;
        self.user = None;
        self.counter = None;
        self.status = None;
        self.panel = None;
        self.queue.clear();
        self.dialog = None;
        self.notice = None;
        self.recalled = None;
        self.stream_seen = false;
        self.stream_up = false;
        self.request_failed = false;
        self.status_load = Load::default();
        self.panel_load = Load::default();
        self.queue_load = Load::default();
    }

    /// A successful answer: if the server was unreachable, it is back; read everything again.
    fn online(&mut self, effects: &mut Vec<Effect>) {
        if self.request_failed {
            self.request_failed = false;
            effects.extend(self.resync());
        }
    }

    /// A request failed: unreachable makes the console offline at once; a lost login goes back to sign in.
    fn failed(&mut self, failure: Failure, now: Timestamp) -> Vec<Effect> {
        match failure {
            Failure::Unreachable => {
                self.request_failed = true;
                Vec::new()
            }
            Failure::Refused(ErrorCode::Unauthenticated) => {
                self.signed_out();
                self.say(Notice::SessionExpired, "", now);
                Vec::new()
            }
            Failure::Refused(_) => Vec::new(),
        }
    }

    /// Everything the work screen shows, read again: the counter, its panel, the office, the printers,
    /// and the queue when the call-a-number dialog shows it.
    fn resync(&mut self) -> Vec<Effect> {
        let Some(counter) = self.counter else {
            return Vec::new();
        };
        let mut effects = vec![Effect::LoadOffice, Effect::LoadAlerts];
        if self.status_load.want() {
            effects.push(Effect::LoadStatus(counter));
        }
        if self.panel_load.want() {
            effects.push(Effect::LoadPanel(counter));
        }
        if matches!(self.dialog, Some(Dialog::CallNumber { .. })) {
            effects.extend(self.load_queue());
        }
        effects
    }

    fn load_panel(&mut self) -> Vec<Effect> {
        match self.counter {
            Some(c) if self.panel_load.want() => vec![Effect::LoadPanel(c)],
            _ => Vec::new(),
        }
    }

    fn load_status(&mut self) -> Vec<Effect> {
        match self.counter {
            Some(c) if self.status_load.want() => vec![Effect::LoadStatus(c)],
            _ => Vec::new(),
        }
    }

    fn load_queue(&mut self) -> Vec<Effect> {
        match self.counter {
            Some(c) if self.queue_load.want() => vec![Effect::LoadQueue(c)],
            _ => Vec::new(),
        }
    }

    fn acted(&mut self, act: Act, result: Result<Acted, Failure>, now: Timestamp) -> Vec<Effect> {
        let mut effects = Vec::new();
        match result {
            Ok(acted) => {
                self.online(&mut effects);
                self.dialog = None;
                match acted {
                    Acted::Ticket(ticket) => {
                        let ticket = ticket.map(|t| *t);
                        let number = ticket.as_ref().map(|t| t.number.to_string()).unwrap_or_default();
                        if let Some(status) = &mut self.status {
                            status.current = ticket.clone().filter(|t| t.state.is_at_counter());
                        }
                        let notice = match &act {
                            Act::CallNext | Act::CallTicket(_) if ticket.is_none() => Some(Notice::NothingWaiting),
                            Act::CallNext | Act::CallTicket(_) => Some(Notice::Called),
                            Act::Recall(id) => {
                                self.recalled = Some((*id, now));
                                self.prompt_dismissed = false;
                                None
                            }
                            Act::Finish(..) => Some(Notice::Finished),
                            Act::NoShow(_) => Some(Notice::NoShow),
                            Act::ReturnToQueue(_) => Some(Notice::Returned),
                            Act::Transfer(..) => Some(Notice::Transferred),
                            _ => None,
                        };
                        if let Some(notice) = notice {
                            self.say(notice, number, now);
                        }
                        if matches!(act, Act::Finish(..)) && self.settings.auto_call && !self.paused() {
                            effects.extend(self.act(Act::CallNext, now));
                        }
                    }
                    Acted::Status(status) => {
                        self.set_status(*status);
                        let notice = if self.paused() { Notice::Paused } else { Notice::Resumed };
                        self.say(notice, "", now);
                    }
                    Acted::WalkIn => self.say(Notice::WalkInRecorded, "", now),
                }
                effects.extend(self.load_panel());
                if matches!(self.dialog, Some(Dialog::CallNumber { .. })) {
                    effects.extend(self.load_queue());
                }
            }
            Err(Failure::Unreachable) => {
                // The request may or may not have reached the server: never sent again blindly; the
                // counter is read again as soon as the server answers.
                self.request_failed = true;
                self.say(Notice::NoAnswer, "", now);
            }
            Err(Failure::Refused(code)) => {
                let arg = self.current().map(|t| t.number.to_string()).unwrap_or_default();
                let notice = match code {
                    ErrorCode::TicketInProgress => Notice::TicketInProgress,
                    ErrorCode::CounterPaused => Notice::CounterPaused,
                    ErrorCode::NotFound if matches!(act, Act::CallTicket(_)) => Notice::AlreadyTaken,
                    ErrorCode::IllegalTransition if matches!(act, Act::CallTicket(_)) => Notice::AlreadyTaken,
                    ErrorCode::IllegalTransition | ErrorCode::NotFound | ErrorCode::Forbidden => Notice::OutOfDate,
                    ErrorCode::Unauthenticated => {
                        self.signed_out();
                        self.say(Notice::SessionExpired, "", now);
                        return effects;
                    }
                    _ => Notice::Refused,
                };
                let arg = if notice == Notice::Refused {
                    code.as_str().to_owned()
                } else {
                    arg
                };
                self.say(notice, arg, now);
                // What the console showed was out of date: read it again.
                effects.extend(self.load_status());
                effects.extend(self.load_panel());
                if matches!(self.dialog, Some(Dialog::CallNumber { .. })) {
                    effects.extend(self.load_queue());
                }
            }
        }
        effects
    }

    fn live(&mut self, event: LiveEvent) -> Vec<Effect> {
        if self.screen != Screen::Work {
            return Vec::new();
        }
        let mine = |counter: Option<i64>| counter.is_some() && counter == self.counter;
        let current = self.current().map(|t| t.id);
        let mut effects = Vec::new();
        let queue_event = match &event {
            LiveEvent::TicketIssued { .. } | LiveEvent::QueueChanged { .. } => true,
            LiveEvent::TicketCalled {
                ticket_id, counter_id, ..
            }
            | LiveEvent::TicketRecalled {
                ticket_id, counter_id, ..
            } => {
                // Called to this counter from elsewhere (the back office): show it.
                if mine(Some(*counter_id)) && current != Some(*ticket_id) && self.pending.is_none() {
                    effects.extend(self.load_status());
                }
                true
            }
            LiveEvent::TicketFinished {
                ticket_id, counter_id, ..
            } => {
                if current == Some(*ticket_id) && self.pending.is_none() || mine(*counter_id) && current.is_some() {
                    effects.extend(self.load_status());
                }
                true
            }
            LiveEvent::CounterChanged { counter_id, .. } => {
                if mine(Some(*counter_id)) && self.pending.is_none() {
                    effects.extend(self.load_status());
                }
                true
            }
            LiveEvent::PrinterAlert(alert) => {
                self.alerts.insert(alert.device_id, alert.clone());
                false
            }
            // The console flags waits past target from its own panel; the office's alerts are for the
            // back office's dashboard.
            LiveEvent::AlertRaised(_) | LiveEvent::AlertCleared { .. } => false,
            LiveEvent::ConfigChanged => {
                effects.push(Effect::LoadOffice);
                effects.push(Effect::LoadCounters);
                effects.extend(self.load_status());
                true
            }
            LiveEvent::Resync => {
                effects.extend(self.resync());
                false
            }
        };
        if queue_event {
            effects.extend(self.load_panel());
            if matches!(self.dialog, Some(Dialog::CallNumber { .. })) {
                effects.extend(self.load_queue());
            }
        }
        effects
    }

    /// Time passes: notices go, the server is probed while unreachable.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Effect> {
        if let Some((_, at)) = &self.notice
            && now.duration_since(*at) >= SignedDuration::try_from(self.timing.notice_shown).unwrap_or_default()
        {
            self.notice = None;
        }
        let mut effects = Vec::new();
        let every = SignedDuration::try_from(self.timing.retry_every).unwrap_or_default();
        if self.screen == Screen::Work && self.offline() && now.duration_since(self.last_probe) >= every {
            self.last_probe = now;
            effects.extend(self.load_status());
        }
        effects
    }

    /// Whether the "not arrived?" prompt shows.
    fn no_show_prompt(&self, now: Timestamp) -> bool {
        let Some((id, at)) = self.recalled else {
            return false;
        };
        let after = SignedDuration::try_from(self.timing.no_show_prompt_after).unwrap_or_default();
        !self.prompt_dismissed
            && self.dialog.is_none()
            && self
                .current()
                .is_some_and(|t| t.id == id && t.state == TicketState::Called)
            && now.duration_since(at) >= after
    }

    /// The tickets of the call-a-number list: the counter's queue filtered by what was typed.
    fn call_list(&self) -> Vec<&TicketView> {
        let search = match &self.dialog {
            Some(Dialog::CallNumber { search, .. }) => search.trim().to_ascii_uppercase(),
            _ => String::new(),
        };
        self.queue
            .iter()
            .filter(|t| t.number.to_string().contains(&search))
            .collect()
    }

    /// Counters a ticket can be sent to: the active ones but this.
    fn transfer_counters(&self) -> Vec<&Counter> {
        self.active_counters()
            .into_iter()
            .filter(|c| Some(c.id) != self.counter)
            .take(9)
            .collect()
    }

    /// Services a visit can add: all but the ticket's own.
    fn also_services(&self) -> Vec<i64> {
        let own = match &self.dialog {
            Some(Dialog::Finish { ticket, .. }) => ticket.service_id,
            _ => 0,
        };
        self.services().iter().map(|s| s.id).filter(|id| *id != own).collect()
    }

    /// Services a visit without ticket can be for: the counter's first, then the others.
    fn walk_in_services(&self) -> Vec<i64> {
        let mut ids = self.counter_services();
        for s in self.services() {
            if !ids.contains(&s.id) {
                ids.push(s.id);
            }
        }
        ids.retain(|id| self.service(*id).is_some());
        ids
    }

    fn service_row(&self, id: i64, selected: bool) -> ChoiceRow {
        let s = self.service(id);
        ChoiceRow {
            key: s.map(|s| s.prefix.as_char().to_string()).unwrap_or_default(),
            label: self.service_name(id),
            detail: String::new(),
            selected,
        }
    }

    fn outcome_rows(&self, service: Option<i64>, chosen: Option<usize>) -> Vec<ChoiceRow> {
        service
            .and_then(|id| self.service(id))
            .map(|s| {
                s.outcomes
                    .iter()
                    .enumerate()
                    .map(|(i, o)| ChoiceRow {
                        key: if i < 9 { (i + 1).to_string() } else { String::new() },
                        label: o.label.get("it").to_owned(),
                        detail: String::new(),
                        selected: chosen == Some(i),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn subject(&self, t: &TicketView) -> String {
        format!("{} · {}", t.number, self.service_name(t.service_id))
    }

    fn dialog_view(&self, now: Timestamp) -> Option<DialogView> {
        let dialog = self.dialog.as_ref()?;
        let mut view = DialogView {
            kind: dialog.kind(),
            subject: String::new(),
            first: Vec::new(),
            second: Vec::new(),
            note: String::new(),
            search: String::new(),
            timer: String::new(),
            info: String::new(),
            documents: Vec::new(),
            total: 0,
            then_call: self.settings.auto_call,
        };
        match dialog {
            Dialog::Finish {
                ticket,
                outcome,
                also,
                note,
            } => {
                view.subject = self.subject(ticket);
                view.first = self.outcome_rows(Some(ticket.service_id), *outcome);
                view.second = self
                    .also_services()
                    .into_iter()
                    .map(|id| self.service_row(id, also.contains(&id)))
                    .collect();
                view.note = note.clone();
            }
            Dialog::Transfer {
                ticket,
                service,
                counter,
            } => {
                view.subject = self.subject(ticket);
                view.first = self
                    .services()
                    .iter()
                    .map(|s| self.service_row(s.id, *service == Some(s.id)))
                    .collect();
                view.second = self
                    .transfer_counters()
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ChoiceRow {
                        key: (i + 1).to_string(),
                        label: c.config.name.clone(),
                        detail: c
                            .config
                            .services
                            .iter()
                            .map(|id| self.service_name(*id))
                            .collect::<Vec<_>>()
                            .join(", "),
                        selected: *counter == Some(c.id),
                    })
                    .collect();
            }
            Dialog::CallNumber { search, cursor } => {
                view.search = search.clone();
                let list = self.call_list();
                view.total = list.len();
                view.first = list
                    .iter()
                    .take(CALL_LIST_SHOWN)
                    .enumerate()
                    .map(|(i, t)| ChoiceRow {
                        key: String::new(),
                        label: t.number.to_string(),
                        detail: format!(
                            "{} · {}",
                            self.service_name(t.service_id),
                            minutes_between(t.issued_at, self.server_now(now))
                        ),
                        selected: i == *cursor,
                    })
                    .collect();
            }
            Dialog::Pause { reason, note } => {
                view.first = PAUSE_REASONS
                    .iter()
                    .enumerate()
                    .map(|(i, r)| ChoiceRow {
                        key: (i + 1).to_string(),
                        label: String::new(),
                        detail: String::new(),
                        selected: *reason == Some(*r),
                    })
                    .collect();
                view.note = note.clone();
            }
            Dialog::WalkIn {
                service,
                outcome,
                note,
                since,
            } => {
                view.first = self
                    .walk_in_services()
                    .into_iter()
                    .map(|id| self.service_row(id, *service == Some(id)))
                    .collect();
                view.second = self.outcome_rows(*service, *outcome);
                view.note = note.clone();
                let secs = now.duration_since(*since).as_secs().max(0);
                view.timer = format!("{}:{:02}", secs / 60, secs % 60);
            }
            Dialog::Info { service } => {
                view.first = self
                    .services()
                    .iter()
                    .map(|s| self.service_row(s.id, *service == Some(s.id)))
                    .collect();
                if let Some(s) = service.and_then(|id| self.service(id)) {
                    view.subject = s.name.get("it").to_owned();
                    view.info = s.info.get("it").to_owned();
                    view.documents = s.documents.iter().map(|d| d.get("it").to_owned()).collect();
                }
            }
            Dialog::SignOut => {}
        }
        Some(view)
    }

    /// The server's clock, from the local one: the office view says what time it was there when read.
    fn server_now(&self, now: Timestamp) -> Timestamp {
        now.checked_add(self.skew).unwrap_or(now)
    }

    /// What the window shows at `now`.
    pub fn view(&self, now: Timestamp) -> View {
        let server_now = self.server_now(now);
        let ticket = self.current().map(|t| TicketCard {
            id: t.id,
            number: t.number.to_string(),
            service: self.service_name(t.service_id),
            state: Some(t.state),
            waited_minutes: t
                .called_at
                .map_or(0, |c| c.duration_since(t.issued_at).as_secs().max(0) / 60),
            at_counter_secs: t.called_at.map_or(0, |c| server_now.duration_since(c).as_secs().max(0)),
            priority: t.priority == Priority::Priority,
            transferred_from: t
                .transferred_from
                .as_ref()
                .map(|f| {
                    let mut from = self.service_name(f.service_id);
                    if let Some(c) = f.counter_id {
                        from.push_str(" · ");
                        from.push_str(&self.counter_name(c));
                    }
                    from
                })
                .unwrap_or_default(),
            language: t.language.clone().filter(|l| l != "it").unwrap_or_default(),
        });
        let paused = self.status.as_ref().and_then(|s| s.paused.as_ref()).map(|p| PauseView {
            reason: p.reason,
            note: p.note.clone().unwrap_or_default(),
            since: p
                .since
                .to_zoned(jiff::tz::TimeZone::system())
                .strftime("%H:%M")
                .to_string(),
            minutes: server_now.duration_since(p.since).as_secs().max(0) / 60,
        });
        let queues: Vec<QueueRow> = self
            .panel
            .iter()
            .flat_map(|p| &p.queues)
            .map(|q| QueueRow {
                service: self.service_name(q.service_id),
                waiting: q.waiting,
                priority_waiting: q.priority_waiting,
                longest_minutes: q
                    .oldest_since
                    .map(|o| server_now.duration_since(o).as_secs().max(0) / 60),
                over_target: q.over_target,
                estimate_minutes: q.estimated_wait_minutes,
            })
            .collect();
        let mut banners = Vec::new();
        if self.offline() {
            banners.push(Banner::Offline);
        }
        for alert in self.alerts.values() {
            if alert.status != PrinterStatus::Ok {
                banners.push(Banner::Printer {
                    device: alert.device_name.clone(),
                    status: alert.status,
                });
            }
        }
        let over: Vec<&str> = queues
            .iter()
            .filter(|q| q.over_target)
            .map(|q| q.service.as_str())
            .collect();
        if !over.is_empty() {
            banners.push(Banner::OverTarget {
                services: over.join(", "),
            });
        }
        let day = self
            .panel
            .as_ref()
            .map(|p| DayView {
                served: p.day.served,
                no_shows: p.day.no_shows,
                walk_ins: p.day.walk_ins,
                mean_service: p
                    .day
                    .mean_service_secs
                    .map(|s| format!("{}:{:02}", s / 60, s % 60))
                    .unwrap_or_default(),
                paused: format!("{}:{:02}", p.day.paused_secs / 3600, p.day.paused_secs / 60 % 60),
            })
            .unwrap_or_default();
        let active = self.active_counters();
        View {
            screen: self.screen,
            busy: self.pending.is_some(),
            server: self.settings.server.clone(),
            username: self.settings.last_username.clone(),
            counters: active
                .iter()
                .enumerate()
                .map(|(i, c)| CounterRow {
                    id: c.id,
                    name: c.config.name.clone(),
                    services: c
                        .config
                        .services
                        .iter()
                        .map(|id| self.service_name(*id))
                        .filter(|n| !n.is_empty())
                        .collect::<Vec<_>>()
                        .join(", "),
                    selected: i == self.cursor,
                })
                .collect(),
            office_name: self.office.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
            counter_name: self
                .status
                .as_ref()
                .map(|s| s.counter.config.name.clone())
                .unwrap_or_default(),
            clerk_name: self.user.as_ref().map(|u| u.display_name.clone()).unwrap_or_default(),
            offline: self.offline(),
            banners,
            notice: self.notice.as_ref().map(|(n, _)| n.clone()),
            ticket,
            paused,
            waiting: self.status.as_ref().map_or(0, |s| s.waiting),
            commands: Command::ALL
                .into_iter()
                .filter(|c| *c != Command::AutoCall && self.available(*c))
                .collect(),
            auto_call: self.settings.auto_call,
            no_show_prompt: self.no_show_prompt(now),
            queues,
            transferred_here: self.panel.as_ref().map_or(0, |p| p.transferred_here),
            day,
            dialog: self.dialog_view(now),
        }
    }
}

fn toggle(list: &mut Vec<i64>, id: i64) {
    if let Some(i) = list.iter().position(|x| *x == id) {
        list.remove(i);
    } else if list.len() < 10 {
        list.push(id);
    }
}

fn code_arg(failure: Failure) -> String {
    match failure {
        Failure::Refused(code) => code.as_str().to_owned(),
        Failure::Unreachable => String::new(),
    }
}

/// Whole minutes from `from` to `to`, as "12 min".
fn minutes_between(from: Timestamp, to: Timestamp) -> String {
    format!("{} min", to.duration_since(from).as_secs().max(0) / 60)
}
