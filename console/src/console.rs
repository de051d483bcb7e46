//! The glue between the [`Controller`] and the window: it forwards the window's keys and callbacks to the
//! controller, shows the controller's [`View`] through the `ConsoleAdapter` global, gives the keyboard
//! back to the window when a dialog or a screen with fields goes, and hands effects to a [`Backend`].
//! Background results come back through an [`Outbox`] and are applied on the UI thread by
//! [`Console::pump`].

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use jiff::Timestamp;
use slint::platform::Key as SlintKey;
use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};
use turno_shared::api::PrinterStatus;
use turno_shared::domain::{PauseReason, TicketState};
use turno_ui::{
    ConsoleAction, ConsoleAdapter, ConsoleBanner, ConsoleBannerKind, ConsoleChoice, ConsoleCommand, ConsoleCounterRow,
    ConsoleDay, ConsoleDialog, ConsoleNotice, ConsolePrinterStatus, ConsoleQueueRow, ConsoleScreen, ConsoleTicket,
    ConsoleTicketState, ConsoleWindow,
};

use crate::controller::{
    Act, Banner, ChoiceRow, Command, Controller, DialogKind, Effect, Field, Input, Key, Notice, Screen, Settings,
    Timing, View,
};

/// Where background work sends its results: a channel, and a nudge to the UI thread to read it.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Input>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl Outbox {
    pub fn send(&self, input: Input) {
        if self.tx.send(input).is_ok() {
            (self.wake)();
        }
    }
}

/// The receiving end of an [`Outbox`], read by [`Console::pump`].
pub struct Inbox(mpsc::Receiver<Input>);

/// A channel from background work to the UI thread; `wake` asks the UI thread to pump (in the real
/// console through `upgrade_in_event_loop`; tests pump by themselves).
pub fn channel(wake: impl Fn() + Send + Sync + 'static) -> (Outbox, Inbox) {
    let (tx, rx) = mpsc::channel();
    (
        Outbox {
            tx,
            wake: Arc::new(wake),
        },
        Inbox(rx),
    )
}

/// A wake function that makes the window's event loop call [`Console::pump`].
pub fn wake_event_loop(window: &ConsoleWindow) -> impl Fn() + Send + Sync + 'static {
    let weak = window.as_weak();
    move || {
        // Fails only when the event loop has ended: nobody is left to show the result to.
        let _ = weak.upgrade_in_event_loop(|w| w.global::<ConsoleAdapter>().invoke_pump());
    }
}

/// The outside world the controller's effects reach. Each call returns at once; the answer comes back
/// later through the [`Outbox`].
pub trait Backend {
    fn sign_in(&self, server: String, username: String, password: String);
    fn load_counters(&self);
    fn load_office(&self);
    fn load_alerts(&self);
    fn open_counter(&self, counter: i64);
    fn load_status(&self, counter: i64);
    fn load_panel(&self, counter: i64);
    fn load_queue(&self, counter: i64);
    fn act(&self, counter: i64, act: Act);
    fn sign_out(&self, counter: Option<i64>);
}

/// A backend that does nothing: screenshots feed the controller by hand.
pub struct NoBackend;

impl Backend for NoBackend {
    fn sign_in(&self, _: String, _: String, _: String) {}
    fn load_counters(&self) {}
    fn load_office(&self) {}
    fn load_alerts(&self) {}
    fn open_counter(&self, _: i64) {}
    fn load_status(&self, _: i64) {}
    fn load_panel(&self, _: i64) {}
    fn load_queue(&self, _: i64) {}
    fn act(&self, _: i64, _: Act) {}
    fn sign_out(&self, _: Option<i64>) {}
}

/// Where the settings the controller asks to remember go.
pub type SaveSettings = Box<dyn Fn(&Settings)>;

/// The running console on the UI thread.
#[derive(Clone)]
pub struct Console(Rc<Inner>);

struct Inner {
    window: ConsoleWindow,
    controller: RefCell<Controller>,
    backend: Box<dyn Backend>,
    save: SaveSettings,
    inbox: Inbox,
    shown: RefCell<Option<View>>,
    /// A fixed time for screenshots instead of the clock.
    fixed_now: RefCell<Option<Timestamp>>,
    timer: slint::Timer,
}

impl Console {
    /// Wires `window` to a new controller remembering `settings`. Call [`Console::start`] to run.
    pub fn new(
        window: ConsoleWindow,
        timing: Timing,
        settings: Settings,
        backend: Box<dyn Backend>,
        save: SaveSettings,
        inbox: Inbox,
    ) -> Console {
        // The source strings are Italian; whatever the system's locale, the console starts in Italian.
        let _ = slint::select_bundled_translation("");
        let inner = Rc::new(Inner {
            window,
            controller: RefCell::new(Controller::new(timing, settings, Timestamp::now())),
            backend,
            save,
            inbox,
            shown: RefCell::new(None),
            fixed_now: RefCell::new(None),
            timer: slint::Timer::default(),
        });
        let console = Console(inner);
        console.wire();
        console.sync();
        console
    }

    pub fn window(&self) -> &ConsoleWindow {
        &self.0.window
    }

    fn now(&self) -> Timestamp {
        self.0.fixed_now.borrow().unwrap_or_else(Timestamp::now)
    }

    /// Shows `at` as the time, instead of the clock (screenshots).
    pub fn fix_time(&self, at: Timestamp) {
        *self.0.fixed_now.borrow_mut() = Some(at);
        *self.0.shown.borrow_mut() = None;
        self.sync();
    }

    /// Starts the clock that drives timers, notices and the "not arrived?" prompt.
    pub fn start(&self) {
        let now = self.now();
        let effects = self.0.controller.borrow_mut().start(now);
        self.run(effects);
        let weak = Rc::downgrade(&self.0);
        self.0
            .timer
            .start(slint::TimerMode::Repeated, Duration::from_millis(250), move || {
                if let Some(inner) = weak.upgrade() {
                    Console(inner).pump();
                }
            });
        self.sync();
    }

    /// The controller's view now.
    pub fn view(&self) -> View {
        self.0.controller.borrow().view(self.now())
    }

    /// Reads the controller (tests: the ticket at the counter, the panel).
    pub fn with_controller<T>(&self, f: impl FnOnce(&Controller) -> T) -> T {
        f(&self.0.controller.borrow())
    }

    /// Applies an input as if it came from the window or the background.
    pub fn input(&self, input: Input) {
        let now = self.now();
        let effects = self.0.controller.borrow_mut().handle(input, now);
        self.run(effects);
        self.sync();
    }

    /// Applies the results of background work, then lets time pass.
    pub fn pump(&self) {
        while let Ok(input) = self.0.inbox.0.try_recv() {
            self.input(input);
        }
        let now = self.now();
        let effects = self.0.controller.borrow_mut().tick(now);
        self.run(effects);
        self.sync();
    }

    fn key(&self, text: &str, ctrl: bool) -> bool {
        let Some(key) = parse_key(text) else {
            return false;
        };
        let now = self.now();
        let result = self.0.controller.borrow_mut().key(key, ctrl, now);
        match result {
            Some(effects) => {
                self.run(effects);
                self.sync();
                true
            }
            None => false,
        }
    }

    fn wire(&self) {
        let adapter = self.0.window.global::<ConsoleAdapter>();
        let on = |f: fn(&Console)| {
            let weak: Weak<Inner> = Rc::downgrade(&self.0);
            move || {
                if let Some(inner) = weak.upgrade() {
                    f(&Console(inner));
                }
            }
        };
        adapter.on_sign_in(on(|c| c.input(Input::SignIn)));
        adapter.on_open_counter(on(|c| c.input(Input::OpenCounter)));
        adapter.on_confirm(on(|c| c.input(Input::Confirm)));
        adapter.on_cancel(on(|c| c.input(Input::Cancel)));
        adapter.on_keep_waiting(on(|c| c.input(Input::KeepWaiting)));
        adapter.on_pump(on(|c| c.pump()));

        let weak = Rc::downgrade(&self.0);
        adapter.on_key(move |text, ctrl| weak.upgrade().is_some_and(|inner| Console(inner).key(&text, ctrl)));
        let weak = Rc::downgrade(&self.0);
        adapter.on_command(move |command| {
            if let Some(inner) = weak.upgrade() {
                Console(inner).input(Input::Command(from_ui_command(command)));
            }
        });
        let weak = Rc::downgrade(&self.0);
        adapter.on_edited(move |field, text| {
            let field = match field.as_str() {
                "server" => Field::Server,
                "username" => Field::Username,
                "password" => Field::Password,
                "note" => Field::Note,
                "search" => Field::Search,
                _ => return,
            };
            if let Some(inner) = weak.upgrade() {
                Console(inner).input(Input::Edited(field, text.into()));
            }
        });
        let weak = Rc::downgrade(&self.0);
        adapter.on_choose(move |list, index| {
            if let (Some(inner), Ok(index)) = (weak.upgrade(), usize::try_from(index)) {
                Console(inner).input(Input::Choose {
                    list: list.clamp(0, 1) as u8,
                    index,
                });
            }
        });
    }

    fn run(&self, effects: Vec<Effect>) {
        let b = &self.0.backend;
        for effect in effects {
            match effect {
                Effect::SignIn {
                    server,
                    username,
                    password,
                } => b.sign_in(server, username, password),
                Effect::LoadCounters => b.load_counters(),
                Effect::LoadOffice => b.load_office(),
                Effect::LoadAlerts => b.load_alerts(),
                Effect::OpenCounter(id) => b.open_counter(id),
                Effect::LoadStatus(id) => b.load_status(id),
                Effect::LoadPanel(id) => b.load_panel(id),
                Effect::LoadQueue(id) => b.load_queue(id),
                Effect::Act { counter, act } => b.act(counter, act),
                Effect::SignOut { counter } => b.sign_out(counter),
                Effect::Save(settings) => (self.0.save)(&settings),
            }
        }
    }

    /// Shows the controller's view: only what changed is set again.
    fn sync(&self) {
        let now = self.now();
        let view = self.0.controller.borrow().view(now);
        let adapter = self.0.window.global::<ConsoleAdapter>();
        let mut shown = self.0.shown.borrow_mut();
        let old = shown.take();
        let changed = |f: &dyn Fn(&View) -> bool| old.as_ref().is_none_or(f);
        // The sign-in screen gives its fields the keyboard itself.
        let screen_changed = old.as_ref().is_some_and(|o| o.screen != view.screen) && view.screen != Screen::SignIn;
        let dialog_closed = old
            .as_ref()
            .is_some_and(|o| o.dialog.as_ref().map(|d| d.kind) != view.dialog.as_ref().map(|d| d.kind))
            && view.dialog.as_ref().is_none_or(|d| d.kind != DialogKind::CallNumber);
        if changed(&|o| o.server != view.server || o.username != view.username) {
            adapter.set_server(view.server.as_str().into());
            adapter.set_username(view.username.as_str().into());
        }
        if changed(&|o| o.counters != view.counters) {
            let rows: Vec<ConsoleCounterRow> = view
                .counters
                .iter()
                .map(|c| ConsoleCounterRow {
                    name: c.name.as_str().into(),
                    services: c.services.as_str().into(),
                    selected: c.selected,
                })
                .collect();
            set_rows(&adapter.get_counters(), rows, |m| adapter.set_counters(m));
        }
        adapter.set_busy(view.busy);
        adapter.set_office_name(view.office_name.as_str().into());
        adapter.set_counter_name(view.counter_name.as_str().into());
        adapter.set_clerk_name(view.clerk_name.as_str().into());
        adapter.set_offline(view.offline);
        if changed(&|o| o.banners != view.banners) {
            let banners: Vec<ConsoleBanner> = view.banners.iter().map(ui_banner).collect();
            adapter.set_banners(ModelRc::new(VecModel::from(banners)));
        }
        match &view.notice {
            Some(n) => {
                adapter.set_notice(ui_notice(n.notice));
                adapter.set_notice_arg(n.arg.as_str().into());
                adapter.set_notice_error(n.notice.is_error());
            }
            None => adapter.set_notice(ConsoleNotice::None),
        }
        adapter.set_has_ticket(view.ticket.is_some());
        if let Some(t) = &view.ticket {
            adapter.set_ticket(ConsoleTicket {
                number: t.number.as_str().into(),
                service: t.service.as_str().into(),
                state: ui_state(t.state.unwrap_or(TicketState::Called)),
                waited_minutes: t.waited_minutes as i32,
                at_counter: format!("{}:{:02}", t.at_counter_secs / 60, t.at_counter_secs % 60).into(),
                priority: t.priority,
                transferred_from: t.transferred_from.as_str().into(),
                language: t.language.as_str().into(),
            });
        }
        adapter.set_paused(view.paused.is_some());
        if let Some(p) = &view.paused {
            adapter.set_pause_reason(match p.reason {
                PauseReason::Break => 0,
                PauseReason::BackOffice => 1,
                PauseReason::Technical => 2,
                PauseReason::Other => 3,
            });
            adapter.set_pause_note(p.note.as_str().into());
            adapter.set_pause_since(p.since.as_str().into());
            adapter.set_pause_minutes(p.minutes as i32);
        }
        adapter.set_waiting(view.waiting as i32);
        if changed(&|o| o.commands != view.commands || o.paused.is_some() != view.paused.is_some()) {
            let actions: Vec<ConsoleAction> = view
                .commands
                .iter()
                .map(|c| ConsoleAction {
                    command: ui_command(*c, view.paused.is_some()),
                    key: c.key_label().into(),
                })
                .collect();
            adapter.set_actions(ModelRc::new(VecModel::from(actions)));
        }
        adapter.set_auto_call(view.auto_call);
        adapter.set_no_show_prompt(view.no_show_prompt);
        if changed(&|o| o.queues != view.queues) {
            let rows: Vec<ConsoleQueueRow> = view
                .queues
                .iter()
                .map(|q| ConsoleQueueRow {
                    service: q.service.as_str().into(),
                    waiting: q.waiting as i32,
                    priority_waiting: q.priority_waiting as i32,
                    longest_minutes: q.longest_minutes.unwrap_or(0) as i32,
                    longest_known: q.longest_minutes.is_some(),
                    over_target: q.over_target,
                    estimate_minutes: q.estimate_minutes.unwrap_or(0) as i32,
                    estimate_known: q.estimate_minutes.is_some(),
                })
                .collect();
            set_rows(&adapter.get_queues(), rows, |m| adapter.set_queues(m));
        }
        adapter.set_panel_known(!view.queues.is_empty());
        adapter.set_transferred_here(view.transferred_here as i32);
        adapter.set_day(ConsoleDay {
            served: view.day.served as i32,
            no_shows: view.day.no_shows as i32,
            walk_ins: view.day.walk_ins as i32,
            mean_service: view.day.mean_service.as_str().into(),
            paused: view.day.paused.as_str().into(),
        });
        match &view.dialog {
            None => adapter.set_dialog(ConsoleDialog::None),
            Some(d) => {
                adapter.set_dialog(ui_dialog(d.kind));
                adapter.set_dialog_subject(d.subject.as_str().into());
                if changed(&|o| o.dialog.as_ref().is_none_or(|od| od.first != d.first)) {
                    set_rows(&adapter.get_dialog_first(), choices(&d.first), |m| {
                        adapter.set_dialog_first(m)
                    });
                }
                if changed(&|o| o.dialog.as_ref().is_none_or(|od| od.second != d.second)) {
                    set_rows(&adapter.get_dialog_second(), choices(&d.second), |m| {
                        adapter.set_dialog_second(m)
                    });
                }
                adapter.set_dialog_note(d.note.as_str().into());
                adapter.set_dialog_search(d.search.as_str().into());
                adapter.set_dialog_timer(d.timer.as_str().into());
                adapter.set_dialog_info(d.info.as_str().into());
                adapter.set_dialog_total(d.total as i32);
                if changed(&|o| o.dialog.as_ref().is_none_or(|od| od.documents != d.documents)) {
                    let docs: Vec<SharedString> = d.documents.iter().map(|s| s.as_str().into()).collect();
                    adapter.set_dialog_documents(ModelRc::new(VecModel::from(docs)));
                }
                adapter.set_dialog_then_call(d.then_call);
            }
        }
        adapter.set_screen(match view.screen {
            Screen::SignIn => ConsoleScreen::SignIn,
            Screen::Counters => ConsoleScreen::Counters,
            Screen::Work => ConsoleScreen::Work,
        });
        let clock = jiff::tz::TimeZone::system();
        adapter.set_clock(now.to_zoned(clock).strftime("%H:%M").to_string().into());
        *shown = Some(view);
        drop(shown);
        // A field that had the keyboard may be gone: the window takes it back, so that keys keep working.
        if screen_changed || dialog_closed {
            self.0.window.invoke_focus_main();
        }
    }
}

/// Sets the rows of `model` that changed, keeping the others (no flicker, no lost hover); replaces the
/// model when the length differs.
fn set_rows<T: Clone + PartialEq + 'static>(model: &ModelRc<T>, rows: Vec<T>, replace: impl FnOnce(ModelRc<T>)) {
    if model.row_count() != rows.len() {
        replace(ModelRc::new(VecModel::from(rows)));
        return;
    }
    for (i, row) in rows.into_iter().enumerate() {
        if model.row_data(i).as_ref() != Some(&row) {
            model.set_row_data(i, row);
        }
    }
}

fn choices(rows: &[ChoiceRow]) -> Vec<ConsoleChoice> {
    rows.iter()
        .map(|r| ConsoleChoice {
            key: r.key.as_str().into(),
            label: r.label.as_str().into(),
            detail: r.detail.as_str().into(),
            selected: r.selected,
        })
        .collect()
}

/// The console's key for Slint's key text.
pub fn parse_key(text: &str) -> Option<Key> {
    let mut chars = text.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    const F: [SlintKey; 12] = [
        SlintKey::F1,
        SlintKey::F2,
        SlintKey::F3,
        SlintKey::F4,
        SlintKey::F5,
        SlintKey::F6,
        SlintKey::F7,
        SlintKey::F8,
        SlintKey::F9,
        SlintKey::F10,
        SlintKey::F11,
        SlintKey::F12,
    ];
    if let Some(i) = F.iter().position(|k| char::from(*k) == c) {
        return Some(Key::F(i as u8 + 1));
    }
    Some(match c {
        c if c == char::from(SlintKey::Return) || c == '\n' => Key::Enter,
        c if c == char::from(SlintKey::Escape) => Key::Escape,
        c if c == char::from(SlintKey::UpArrow) => Key::Up,
        c if c == char::from(SlintKey::DownArrow) => Key::Down,
        c if c.is_alphanumeric() => Key::Char(c),
        _ => return None,
    })
}

/// Slint's key text for a console key (tests and benchmarks type with it).
pub fn key_text(key: Key) -> SharedString {
    let k = match key {
        Key::F(n) => [
            SlintKey::F1,
            SlintKey::F2,
            SlintKey::F3,
            SlintKey::F4,
            SlintKey::F5,
            SlintKey::F6,
            SlintKey::F7,
            SlintKey::F8,
            SlintKey::F9,
            SlintKey::F10,
            SlintKey::F11,
            SlintKey::F12,
        ][usize::from(n.clamp(1, 12)) - 1],
        Key::Enter => SlintKey::Return,
        Key::Escape => SlintKey::Escape,
        Key::Up => SlintKey::UpArrow,
        Key::Down => SlintKey::DownArrow,
        Key::Char(c) => return c.into(),
    };
    k.into()
}

fn from_ui_command(c: ConsoleCommand) -> Command {
    match c {
        ConsoleCommand::CallNext => Command::CallNext,
        ConsoleCommand::Recall => Command::Recall,
        ConsoleCommand::Start => Command::Start,
        ConsoleCommand::Finish => Command::Finish,
        ConsoleCommand::NoShow => Command::NoShow,
        ConsoleCommand::ReturnToQueue => Command::ReturnToQueue,
        ConsoleCommand::Transfer => Command::Transfer,
        ConsoleCommand::CallNumber => Command::CallNumber,
        ConsoleCommand::Pause | ConsoleCommand::Resume => Command::PauseResume,
        ConsoleCommand::WalkIn => Command::WalkIn,
        ConsoleCommand::Info => Command::Info,
        ConsoleCommand::SignOut => Command::SignOut,
        ConsoleCommand::AutoCall => Command::AutoCall,
    }
}

fn ui_command(c: Command, paused: bool) -> ConsoleCommand {
    match c {
        Command::CallNext => ConsoleCommand::CallNext,
        Command::Recall => ConsoleCommand::Recall,
        Command::Start => ConsoleCommand::Start,
        Command::Finish => ConsoleCommand::Finish,
        Command::NoShow => ConsoleCommand::NoShow,
        Command::ReturnToQueue => ConsoleCommand::ReturnToQueue,
        Command::Transfer => ConsoleCommand::Transfer,
        Command::CallNumber => ConsoleCommand::CallNumber,
        Command::PauseResume if paused => ConsoleCommand::Resume,
        Command::PauseResume => ConsoleCommand::Pause,
        Command::WalkIn => ConsoleCommand::WalkIn,
        Command::Info => ConsoleCommand::Info,
        Command::SignOut => ConsoleCommand::SignOut,
        Command::AutoCall => ConsoleCommand::AutoCall,
    }
}

fn ui_dialog(d: DialogKind) -> ConsoleDialog {
    match d {
        DialogKind::Finish => ConsoleDialog::Finish,
        DialogKind::Transfer => ConsoleDialog::Transfer,
        DialogKind::CallNumber => ConsoleDialog::CallNumber,
        DialogKind::Pause => ConsoleDialog::Pause,
        DialogKind::WalkIn => ConsoleDialog::WalkIn,
        DialogKind::Info => ConsoleDialog::Info,
        DialogKind::SignOut => ConsoleDialog::SignOut,
    }
}

fn ui_state(s: TicketState) -> ConsoleTicketState {
    match s {
        TicketState::Waiting => ConsoleTicketState::Waiting,
        TicketState::Called => ConsoleTicketState::Called,
        TicketState::Serving => ConsoleTicketState::Serving,
        TicketState::Done => ConsoleTicketState::Done,
        TicketState::NoShow => ConsoleTicketState::NoShow,
        TicketState::Cancelled => ConsoleTicketState::Cancelled,
        TicketState::Expired => ConsoleTicketState::Expired,
    }
}

fn ui_banner(b: &Banner) -> ConsoleBanner {
    let (kind, printer, text) = match b {
        Banner::Offline => (ConsoleBannerKind::Offline, ConsolePrinterStatus::Ok, String::new()),
        Banner::Printer { device, status } => (
            ConsoleBannerKind::Printer,
            match status {
                PrinterStatus::Ok => ConsolePrinterStatus::Ok,
                PrinterStatus::PaperNearEnd => ConsolePrinterStatus::PaperNearEnd,
                PrinterStatus::PaperOut => ConsolePrinterStatus::PaperOut,
                PrinterStatus::CoverOpen => ConsolePrinterStatus::CoverOpen,
                PrinterStatus::Offline => ConsolePrinterStatus::Offline,
                PrinterStatus::Error => ConsolePrinterStatus::Error,
            },
            device.clone(),
        ),
        Banner::OverTarget { services } => (
            ConsoleBannerKind::OverTarget,
            ConsolePrinterStatus::Ok,
            services.clone(),
        ),
    };
    ConsoleBanner {
        kind,
        printer,
        text: text.into(),
    }
}

fn ui_notice(n: Notice) -> ConsoleNotice {
    match n {
        Notice::BadCredentials => ConsoleNotice::BadCredentials,
        Notice::Locked => ConsoleNotice::Locked,
        Notice::Unreachable => ConsoleNotice::Unreachable,
        Notice::Unavailable => ConsoleNotice::Unavailable,
        Notice::MissingFields => ConsoleNotice::MissingFields,
        Notice::BadServer => ConsoleNotice::BadServer,
        Notice::NoCounters => ConsoleNotice::NoCounters,
        Notice::CounterTaken => ConsoleNotice::CounterTaken,
        Notice::ClerkBusy => ConsoleNotice::ClerkBusy,
        Notice::CounterInactive => ConsoleNotice::CounterInactive,
        Notice::SessionExpired => ConsoleNotice::SessionExpired,
        Notice::Called => ConsoleNotice::Called,
        Notice::NothingWaiting => ConsoleNotice::NothingWaiting,
        Notice::Finished => ConsoleNotice::Finished,
        Notice::NoShow => ConsoleNotice::NoShow,
        Notice::Returned => ConsoleNotice::Returned,
        Notice::Transferred => ConsoleNotice::Transferred,
        Notice::WalkInRecorded => ConsoleNotice::WalkInRecorded,
        Notice::Paused => ConsoleNotice::Paused,
        Notice::Resumed => ConsoleNotice::Resumed,
        Notice::Offline => ConsoleNotice::Offline,
        Notice::NoAnswer => ConsoleNotice::NoAnswer,
        Notice::TicketInProgress => ConsoleNotice::TicketInProgress,
        Notice::CounterPaused => ConsoleNotice::CounterPaused,
        Notice::AlreadyTaken => ConsoleNotice::AlreadyTaken,
        Notice::OutOfDate => ConsoleNotice::OutOfDate,
        Notice::OutcomeRequired => ConsoleNotice::OutcomeRequired,
        Notice::TargetRequired => ConsoleNotice::TargetRequired,
        Notice::ServiceRequired => ConsoleNotice::ServiceRequired,
        Notice::ReasonRequired => ConsoleNotice::ReasonRequired,
        Notice::NotNow => ConsoleNotice::NotNow,
        Notice::Refused => ConsoleNotice::Refused,
    }
}
