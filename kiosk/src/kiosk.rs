//! The glue between the [`Controller`] and the window: it forwards the window's callbacks to the
//! controller, shows the controller's [`View`] through the `KioskAdapter` global, selects the
//! bundled translation, and hands effects to a [`Backend`] and what is to be said to a [`Speech`]. Background
//! results come back through an [`Outbox`] and are applied on the UI thread by [`Kiosk::pump`].

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use slint::{ComponentHandle, Image, Model, ModelRc, Rgb8Pixel, SharedPixelBuffer, SharedString, VecModel};
use turno_shared::api::{IssueRequest, IssuedTicket, RatingRequest, ServiceView};
use turno_shared::domain::{BadReason, Rating};
use turno_ui::{
    KeypadKey, KioskAdapter, KioskWindow, LanguageChoice, ServiceSheet, ServiceTile, SheetLine, TicketCard, TicketTexts,
};

use crate::controller::{self, Controller, Effect, Input, Timing, View};
use crate::lang::Language;
use crate::printer::{PaperWidth, TicketLabels, TicketPrint};
use crate::speech::{self, Silent, Speech};

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

/// The receiving end of an [`Outbox`], read by [`Kiosk::pump`].
pub struct Inbox(mpsc::Receiver<Input>);

/// A channel from background work to the UI thread. `wake` asks the UI thread to pump (in the real
/// kiosk through `upgrade_in_event_loop`; tests pump by themselves).
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

/// A wake function that makes the window's event loop call [`Kiosk::pump`].
pub fn wake_event_loop(window: &KioskWindow) -> impl Fn() + Send + Sync + 'static {
    let weak = window.as_weak();
    move || {
        // Fails only when the event loop has ended: nobody is left to show the result to.
        let _ = weak.upgrade_in_event_loop(|w| w.global::<KioskAdapter>().invoke_pump());
    }
}

/// The outside world the controller's effects reach. Each call returns at once; the answer comes
/// back later through the [`Outbox`] as an [`Input`].
pub trait Backend {
    fn load_office(&self);
    fn issue(&self, request: IssueRequest);
    fn rate(&self, request: RatingRequest);
    fn print(&self, ticket_id: i64, ticket: TicketPrint);
}

/// A backend that does nothing: screenshots feed the controller by hand.
pub struct NoBackend;

impl Backend for NoBackend {
    fn load_office(&self) {}
    fn issue(&self, _: IssueRequest) {}
    fn rate(&self, _: RatingRequest) {}
    fn print(&self, _: i64, _: TicketPrint) {}
}

/// What the printed ticket needs beyond the issued ticket.
#[derive(Clone, Debug)]
pub struct TicketSettings {
    /// The base of the QR code's status link.
    pub public_url: String,
    pub paper: PaperWidth,
}

/// Where a service's text missing in the citizen's language is looked for before Italian, unless the kiosk is set
/// otherwise ([`Kiosk::set_fallbacks`]): English.
pub const DEFAULT_FALLBACKS: &[Language] = &[Language::English];

/// The address of a ticket's page: the kiosk's public URL and the ticket's `/t/<token>` path. The ticket's QR code
/// holds it, printed, and on screen when the ticket did not print.
pub fn status_url(public_url: &str, status_path: &str) -> String {
    format!("{public_url}{status_path}")
}

/// `text` as a QR code (error correction M), one pixel a module with a quiet zone of four: the window scales it
/// up without smoothing. `None` when the text is too long for a QR code.
pub fn qr_image(text: &str) -> Option<Image> {
    const QUIET: usize = 4;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let modules = code.width();
    let side = modules + 2 * QUIET;
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(side as u32, side as u32);
    let pixels = buffer.make_mut_slice();
    pixels.fill(Rgb8Pixel::new(255, 255, 255));
    for (i, colour) in code.to_colors().into_iter().enumerate() {
        if colour == qrcode::Color::Dark {
            pixels[(i / modules + QUIET) * side + i % modules + QUIET] = Rgb8Pixel::new(0, 0, 0);
        }
    }
    Some(Image::from_rgb8(buffer))
}

/// The ticket printed for `issued`: its words read from the window's `TicketTexts` global, which
/// speaks the language the window was last switched to (`language` chooses the service's texts and
/// the fonts of raster lines).
pub fn ticket_print(
    window: &KioskWindow,
    office_name: &str,
    settings: &TicketSettings,
    issued: &IssuedTicket,
    service: &ServiceView,
    language: Language,
) -> TicketPrint {
    ticket_print_with_fallbacks(
        window,
        office_name,
        settings,
        DEFAULT_FALLBACKS,
        issued,
        service,
        language,
    )
}

/// [`ticket_print`], with a service's texts missing in `language` looked for in `fallbacks` before Italian.
pub fn ticket_print_with_fallbacks(
    window: &KioskWindow,
    office_name: &str,
    settings: &TicketSettings,
    fallbacks: &[Language],
    issued: &IssuedTicket,
    service: &ServiceView,
    language: Language,
) -> TicketPrint {
    let texts = window.global::<TicketTexts>();
    let labels = TicketLabels {
        people_ahead: texts.get_people_ahead().into(),
        estimated_wait: texts.get_estimated_wait().into(),
        minutes: texts.get_minutes().into(),
        wait_unknown: texts.get_wait_unknown().into(),
        documents: texts.get_documents().into(),
        follow_your_turn: texts.get_follow_your_turn().into(),
        rate_your_visit: texts.get_rate_your_visit().into(),
        rating_code: texts.get_rating_code().into(),
        priority: texts.get_priority().into(),
        footer: texts.get_footer().into(),
    };
    TicketPrint::from_issued(issued, service, office_name, settings, language, fallbacks, labels)
}

/// The running kiosk on the UI thread.
#[derive(Clone)]
pub struct Kiosk(Rc<Inner>);

struct Inner {
    window: KioskWindow,
    controller: RefCell<Controller>,
    backend: Box<dyn Backend>,
    speech: RefCell<Box<dyn Speech>>,
    /// What the controller was last told of the voice: speaking or not.
    speaking: Cell<bool>,
    inbox: Inbox,
    settings: TicketSettings,
    fallbacks: RefCell<Vec<Language>>,
    shown: RefCell<Option<View>>,
    clock: RefCell<String>,
    timer: slint::Timer,
}

impl Kiosk {
    /// Wires `window` to a new controller. Call [`Kiosk::start`] to load the office.
    pub fn new(
        window: KioskWindow,
        timing: Timing,
        backend: Box<dyn Backend>,
        inbox: Inbox,
        settings: TicketSettings,
    ) -> Kiosk {
        // The source strings are Italian; whatever the system's locale, the kiosk starts in Italian.
        let _ = slint::select_bundled_translation(Language::Italian.bundle_name());
        let adapter = window.global::<KioskAdapter>();
        let languages: Vec<LanguageChoice> = Language::ALL
            .iter()
            .map(|l| LanguageChoice {
                code: l.code().into(),
                name: l.native_name().into(),
            })
            .collect();
        adapter.set_languages(ModelRc::new(VecModel::from(languages)));
        let inner = Rc::new(Inner {
            window,
            controller: RefCell::new(Controller::new(timing, Instant::now())),
            backend,
            speech: RefCell::new(Box::new(Silent)),
            speaking: Cell::new(false),
            inbox,
            settings,
            fallbacks: RefCell::new(DEFAULT_FALLBACKS.to_vec()),
            shown: RefCell::new(None),
            clock: RefCell::new(String::new()),
            timer: slint::Timer::default(),
        });
        let kiosk = Kiosk(inner);
        kiosk.wire();
        kiosk.sync();
        kiosk
    }

    /// Where a service's text missing in the citizen's language is looked for before Italian, on screen and on
    /// the ticket.
    pub fn set_fallbacks(&self, fallbacks: Vec<Language>) {
        self.0.controller.borrow_mut().set_fallbacks(fallbacks.clone());
        *self.0.fallbacks.borrow_mut() = fallbacks;
        self.sync();
    }

    /// The voice of the spoken mode (none until this is called: the mode's button works, nothing is said).
    pub fn set_speech(&self, speech: Box<dyn Speech>) {
        self.0.speech.borrow().stop();
        *self.0.speech.borrow_mut() = speech;
        self.sync();
    }

    pub fn window(&self) -> &KioskWindow {
        &self.0.window
    }

    /// Loads the office and starts the clock that drives timeouts (every quarter of a second).
    pub fn start(&self) {
        let effects = self.0.controller.borrow_mut().start(Instant::now());
        self.run(effects);
        let weak = Rc::downgrade(&self.0);
        self.0
            .timer
            .start(slint::TimerMode::Repeated, Duration::from_millis(250), move || {
                if let Some(inner) = weak.upgrade() {
                    Kiosk(inner).pump();
                }
            });
        self.sync();
    }

    /// The controller's current view.
    pub fn view(&self) -> View {
        self.0.controller.borrow().view(Instant::now())
    }

    /// Applies an input as if it came from the window or the background.
    pub fn input(&self, input: Input) {
        let effects = self.0.controller.borrow_mut().handle(input, Instant::now());
        self.run(effects);
        self.sync();
    }

    /// Applies the results of background work, then lets time pass.
    pub fn pump(&self) {
        while let Ok(input) = self.0.inbox.0.try_recv() {
            self.input(input);
        }
        let speaking = self.0.speech.borrow().is_speaking();
        if self.0.speaking.replace(speaking) != speaking {
            self.input(Input::Speaking(speaking));
        }
        let effects = self.0.controller.borrow_mut().tick(Instant::now());
        self.run(effects);
        self.sync();
    }

    fn wire(&self) {
        let adapter = self.0.window.global::<KioskAdapter>();
        let weak = Rc::downgrade(&self.0);
        let on = move |f: fn(&Kiosk)| {
            let weak: Weak<Inner> = weak.clone();
            move || {
                if let Some(inner) = weak.upgrade() {
                    f(&Kiosk(inner));
                }
            }
        };
        adapter.on_take_number(on(|k| k.input(Input::TakeNumber)));
        adapter.on_rate_visit(on(|k| k.input(Input::RateVisit)));
        adapter.on_toggle_large_text(on(|k| k.input(Input::ToggleLargeText)));
        adapter.on_toggle_speech(on(|k| k.input(Input::ToggleSpeech)));
        adapter.on_get_ticket(on(|k| k.input(Input::GetTicket)));
        adapter.on_back(on(|k| k.input(Input::Back)));
        adapter.on_home(on(|k| k.input(Input::Home)));
        adapter.on_still_here(on(|k| k.input(Input::StillHere)));
        adapter.on_keypad_delete(on(|k| k.input(Input::KeypadDelete)));
        adapter.on_submit_code(on(|k| k.input(Input::SubmitCode)));
        adapter.on_pump(on(|k| k.pump()));

        let with = |f: fn(&Kiosk, SharedString)| {
            let weak = Rc::downgrade(&self.0);
            move |s: SharedString| {
                if let Some(inner) = weak.upgrade() {
                    f(&Kiosk(inner), s);
                }
            }
        };
        adapter.on_choose_language(with(|k, code| {
            if let Ok(language) = code.parse() {
                k.input(Input::ChooseLanguage(language));
            }
        }));
        adapter.on_keypad(with(|k, key| {
            if let Some(c) = key.chars().next() {
                k.input(Input::Keypad(c));
            }
        }));
        adapter.on_key_typed(with(|k, text| k.input(Input::KeyTyped(text.into()))));
        adapter.on_rate(with(|k, mood| {
            if let Ok(rating) = mood.parse::<Rating>() {
                k.input(Input::Rate(rating));
            }
        }));
        adapter.on_reason(with(|k, reason| {
            if let Ok(reason) = reason.parse::<BadReason>() {
                k.input(Input::Reason(reason));
            }
        }));
        let weak = Rc::downgrade(&self.0);
        adapter.on_open_service(move |id| {
            if let Some(inner) = weak.upgrade() {
                Kiosk(inner).input(Input::OpenService(id.into()));
            }
        });
        let weak = Rc::downgrade(&self.0);
        adapter.on_choose_priority(move |yes| {
            if let Some(inner) = weak.upgrade() {
                Kiosk(inner).input(Input::ChoosePriority(yes));
            }
        });
    }

    fn run(&self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::LoadOffice => self.0.backend.load_office(),
                Effect::Issue(request) => self.0.backend.issue(request),
                Effect::Rate(request) => self.0.backend.rate(request),
                Effect::SelectLanguage(language) => {
                    if let Err(e) = slint::select_bundled_translation(language.bundle_name()) {
                        tracing::warn!(%language, error = %e, "no translation for this language");
                    }
                }
                Effect::Print {
                    issued,
                    service,
                    language,
                } => {
                    let ticket = self.ticket_print(&issued, &service, language);
                    self.0.backend.print(issued.ticket.id, ticket);
                }
                // Worded by the translation selected now: a language just chosen was selected by the effect
                // before this one.
                Effect::Say { language, phrases } => {
                    let text = speech::words(&self.0.window, language, &phrases);
                    self.0.speech.borrow().say(language, &text);
                }
                Effect::StopSpeaking => self.0.speech.borrow().stop(),
            }
        }
    }

    /// The ticket to print, its words read from the `TicketTexts` global in the chosen language.
    fn ticket_print(&self, issued: &IssuedTicket, service: &ServiceView, language: Language) -> TicketPrint {
        let office_name = self
            .0
            .controller
            .borrow()
            .office()
            .map(|o| o.name.clone())
            .unwrap_or_default();
        ticket_print_with_fallbacks(
            &self.0.window,
            &office_name,
            &self.0.settings,
            &self.0.fallbacks.borrow(),
            issued,
            service,
            language,
        )
    }

    /// Shows the controller's view: only what changed is set again.
    fn sync(&self) {
        let view = self.0.controller.borrow().view(Instant::now());
        let adapter = self.0.window.global::<KioskAdapter>();
        let mut shown = self.0.shown.borrow_mut();
        let old = shown.as_ref();
        let changed = |f: &dyn Fn(&View) -> bool| old.is_none_or(f);
        if changed(&|o| o.language != view.language) {
            adapter.set_language(view.language.code().into());
            adapter.set_rtl(view.language.is_rtl());
        }
        if changed(&|o| o.office_name != view.office_name) {
            adapter.set_office_name(view.office_name.as_str().into());
        }
        if changed(&|o| o.services != view.services) {
            let tiles: Vec<ServiceTile> = view
                .services
                .iter()
                .map(|s| ServiceTile {
                    id: s.id as i32,
                    name: s.name.as_str().into(),
                    name_rtl: s.name_rtl,
                    waiting: s.waiting as i32,
                    wait_minutes: s.wait_minutes.unwrap_or(0) as i32,
                    wait_known: s.wait_minutes.is_some(),
                    wait_range: s.wait_range.is_some(),
                    wait_low: s.wait_range.map_or(0, |r| r.low_minutes) as i32,
                    wait_high: s.wait_range.map_or(0, |r| r.high_minutes) as i32,
                    open: s.open,
                    full: s.full,
                })
                .collect();
            adapter.set_services(ModelRc::new(VecModel::from(tiles)));
        }
        if changed(&|o| o.sheet != view.sheet) {
            let s = &view.sheet;
            let documents: Vec<SheetLine> = s
                .documents
                .iter()
                .map(|(text, rtl)| SheetLine {
                    text: text.as_str().into(),
                    rtl: *rtl,
                })
                .collect();
            adapter.set_sheet(ServiceSheet {
                name: s.name.as_str().into(),
                name_rtl: s.name_rtl,
                info: s.info.as_str().into(),
                info_rtl: s.info_rtl,
                documents: ModelRc::new(VecModel::from(documents)),
                waiting: s.waiting as i32,
                wait_minutes: s.wait_minutes.unwrap_or(0) as i32,
                wait_known: s.wait_minutes.is_some(),
                wait_range: s.wait_range.is_some(),
                wait_low: s.wait_range.map_or(0, |r| r.low_minutes) as i32,
                wait_high: s.wait_range.map_or(0, |r| r.high_minutes) as i32,
            });
        }
        if changed(&|o| o.ticket != view.ticket) {
            let t = &view.ticket;
            let qr = (t.print == controller::PrintState::Failed && !t.status_path.is_empty())
                .then(|| qr_image(&status_url(&self.0.settings.public_url, &t.status_path)))
                .flatten();
            adapter.set_ticket_qr(qr.unwrap_or_default());
            adapter.set_ticket(TicketCard {
                number: t.number.as_str().into(),
                service: t.service.as_str().into(),
                people_ahead: t.people_ahead as i32,
                wait_minutes: t.wait_minutes.unwrap_or(0) as i32,
                wait_known: t.wait_minutes.is_some(),
                wait_range: t.wait_range.is_some(),
                wait_low: t.wait_range.map_or(0, |r| r.low_minutes) as i32,
                wait_high: t.wait_range.map_or(0, |r| r.high_minutes) as i32,
                priority: t.priority,
                rating_code: t.rating_code.as_str().into(),
                print: match t.print {
                    controller::PrintState::Printing => turno_ui::PrintState::Printing,
                    controller::PrintState::Printed => turno_ui::PrintState::Printed,
                    controller::PrintState::Failed => turno_ui::PrintState::Failed,
                },
            });
        }
        if changed(&|o| o.keys != view.keys) {
            let keys = |digits: bool| -> Vec<KeypadKey> {
                view.keys
                    .iter()
                    .filter(|k| k.key.is_ascii_digit() == digits)
                    .map(|k| KeypadKey {
                        key: k.key.to_string().into(),
                        enabled: k.enabled,
                    })
                    .collect()
            };
            let letters = adapter.get_letter_keys();
            if !update_rows(&letters, keys(false)) {
                adapter.set_letter_keys(ModelRc::new(VecModel::from(keys(false))));
            }
            let digits = adapter.get_digit_keys();
            if !update_rows(&digits, keys(true)) {
                adapter.set_digit_keys(ModelRc::new(VecModel::from(keys(true))));
            }
        }
        adapter.set_large_text(view.large_text);
        adapter.set_spoken(view.spoken);
        adapter.set_speech_available(self.0.speech.borrow().problem().is_none());
        adapter.set_screen(ui_screen(view.screen));
        adapter.set_code(view.code.as_str().into());
        adapter.set_code_rest(view.code_rest.as_str().into());
        adapter.set_code_complete(view.code_complete);
        adapter.set_rated_number(view.rated_number.as_str().into());
        adapter.set_refusal(match view.refusal {
            controller::Refusal::NotFound => turno_ui::Refusal::NotFound,
            controller::Refusal::NotRateable => turno_ui::Refusal::NotRateable,
            controller::Refusal::AlreadyRated => turno_ui::Refusal::AlreadyRated,
            controller::Refusal::NotToday => turno_ui::Refusal::NotToday,
            controller::Refusal::InvalidCode => turno_ui::Refusal::InvalidCode,
            controller::Refusal::TooManyAttempts => turno_ui::Refusal::TooManyAttempts,
        });
        adapter.set_service_name(view.service_name.as_str().into());
        adapter.set_busy(view.busy);
        adapter.set_idle_warning(view.idle_warning.is_some());
        adapter.set_idle_seconds(view.idle_warning.unwrap_or(0) as i32);
        *shown = Some(view);
        drop(shown);
        self.update_clock();
    }

    fn update_clock(&self) {
        let now = jiff::Zoned::now();
        let clock = now.strftime("%H:%M").to_string();
        if *self.0.clock.borrow() == clock || *self.0.clock.borrow() == "fixed" {
            return;
        }
        let adapter = self.0.window.global::<KioskAdapter>();
        adapter.set_clock(clock.as_str().into());
        adapter.set_weekday(now.weekday().to_monday_zero_offset().into());
        adapter.set_day(now.day().into());
        adapter.set_month(now.month().into());
        adapter.set_year(now.year().into());
        *self.0.clock.borrow_mut() = clock;
    }

    /// Sets the date and time shown, instead of the system's (screenshots).
    pub fn show_time(&self, at: &jiff::civil::DateTime) {
        let adapter = self.0.window.global::<KioskAdapter>();
        adapter.set_clock(at.strftime("%H:%M").to_string().into());
        adapter.set_weekday(at.weekday().to_monday_zero_offset().into());
        adapter.set_day(at.day().into());
        adapter.set_month(at.month().into());
        adapter.set_year(at.year().into());
        *self.0.clock.borrow_mut() = "fixed".into();
    }
}

/// Sets the rows of `model` that changed, keeping the elements the window shows for the others (a key
/// under the finger stays the same key); `false` when `rows` has another length.
fn update_rows<T: Clone + PartialEq + 'static>(model: &ModelRc<T>, rows: Vec<T>) -> bool {
    if model.row_count() != rows.len() {
        return false;
    }
    for (i, row) in rows.into_iter().enumerate() {
        if model.row_data(i).as_ref() != Some(&row) {
            model.set_row_data(i, row);
        }
    }
    true
}

fn ui_screen(screen: controller::Screen) -> turno_ui::Screen {
    use controller::Screen as S;
    use turno_ui::Screen as U;
    match screen {
        S::Welcome => U::Welcome,
        S::Services => U::Services,
        S::Info => U::Info,
        S::Priority => U::Priority,
        S::Ticket => U::Ticket,
        S::RateCode => U::RateCode,
        S::RateFaces => U::RateFaces,
        S::RateReason => U::RateReason,
        S::RateThanks => U::RateThanks,
        S::RateRefused => U::RateRefused,
        S::Closed => U::Closed,
        S::Full => U::Full,
        S::Unreachable => U::Unreachable,
        S::NotAuthorised => U::NotAuthorised,
    }
}
