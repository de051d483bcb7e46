//! What the kiosk's tests share: a real office server on 127.0.0.1:0 with the demo office in a temp
//! directory, a fake printer, and the kiosk's window on Slint's headless testing backend, driven by
//! accessible labels the way a finger would, with waits that poll until a deadline.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::platform::{PointerEventButton, WindowEvent};
use tempfile::TempDir;
use tokio::runtime::Runtime;
use turno_kiosk::backend::NetBackend;
use turno_kiosk::controller::{Screen, Timing, View};
use turno_kiosk::kiosk::{self, Backend, Kiosk, TicketSettings};
use turno_kiosk::printer::{FakePrinter, PaperWidth};
use turno_server::config::Config;
use turno_shared::client::Client;
use turno_ui::KioskWindow;

/// How long any wait may take before the test fails: generous, since the layout tests load both cores while the
/// others run.
pub const DEADLINE: Duration = Duration::from_secs(60);

thread_local! {
    static BACKEND: Cell<bool> = const { Cell::new(false) };
}

/// The headless backend, once per test thread.
pub fn init_slint() {
    BACKEND.with(|done| {
        if !done.replace(true) {
            i_slint_backend_testing::init_no_event_loop();
        }
    });
}

/// The headless backend with Slint's software renderer, so that the window's snapshot can be taken; once per test
/// thread, instead of [`init_slint`].
pub fn init_slint_drawing() {
    BACKEND.with(|done| {
        if !done.replace(true) {
            slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
                i_slint_backend_testing::TestingBackendOptions {
                    mock_time: true,
                    threading: false,
                    renderer_name: Some("software".into()),
                },
            )))
            .expect("no platform yet on this thread");
        }
    });
}

pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The office server with the demo office.
pub struct Office {
    pub url: String,
    pub kiosk_token: String,
    address: SocketAddr,
    state: turno_server::AppState,
    _dir: TempDir,
}

impl Office {
    /// Starts the server on a free port.
    pub fn start(rt: &Runtime) -> Office {
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let office = Office::create(rt, listener.local_addr().unwrap());
        office.serve_on(rt, listener);
        office
    }

    /// Creates the office that will answer at `address`, without serving it yet.
    pub fn create(rt: &Runtime, address: SocketAddr) -> Office {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            db: dir.path().join("turno.db"),
            office_name: turno_server::demo::OFFICE_NAME.to_owned(),
            ..Config::default()
        };
        let (state, kiosk_token) = rt.block_on(async {
            let (state, stop) = turno_server::AppState::new(&config, turno_server::store::system_clock()).unwrap();
            // The server runs as long as the test's runtime; so does its stop signal.
            std::mem::forget(stop);
            let tokens = turno_server::demo::create(&state).await.unwrap();
            (state, tokens.kiosk)
        });
        Office {
            url: format!("http://{address}"),
            kiosk_token,
            address,
            state,
            _dir: dir,
        }
    }

    /// Starts answering at the office's address.
    pub fn serve(&self, rt: &Runtime) {
        let listener = rt.block_on(tokio::net::TcpListener::bind(self.address)).unwrap();
        self.serve_on(rt, listener);
    }

    fn serve_on(&self, rt: &Runtime, listener: tokio::net::TcpListener) {
        let app = turno_server::app(self.state.clone());
        rt.spawn(async move { axum::serve(listener, app).await });
    }

    pub fn kiosk_client(&self) -> Client {
        Client::new(&self.url).with_token(self.kiosk_token.clone())
    }

    /// A user's client, signed in.
    pub fn user(&self, rt: &Runtime, username: &str) -> Client {
        let (_, _, _, password) = turno_server::demo::USERS.iter().find(|(u, ..)| *u == username).unwrap();
        let client = Client::new(&self.url);
        let login = rt.block_on(client.login(username, password)).unwrap();
        client.with_token(login.token)
    }
}

/// A free local address nobody listens on (yet).
pub fn unused_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Timings for tests: retries come fast; nothing times out by itself during a test.
pub fn test_timing() -> Timing {
    Timing {
        retry_every: Duration::from_millis(100),
        ..Timing::with_idle_timeout(Duration::from_secs(600))
    }
}

/// The kiosk's window on the testing backend.
pub struct Ui {
    pub kiosk: Kiosk,
}

impl Ui {
    /// A kiosk talking to `server_url` (with `token`) and printing on `printer`.
    pub fn connected(rt: &Runtime, server_url: &str, token: &str, printer: &FakePrinter) -> Ui {
        init_slint();
        let window = KioskWindow::new().unwrap();
        let (outbox, inbox) = kiosk::channel(|| {});
        let client = Client::new(server_url).with_token(token.to_owned());
        let backend = NetBackend::start(
            rt.handle().clone(),
            client,
            printer.config(PaperWidth::Mm80),
            outbox,
            Duration::from_millis(50),
        );
        Ui::with_backend(window, Box::new(backend), inbox, server_url)
    }

    pub fn with_backend(window: KioskWindow, backend: Box<dyn Backend>, inbox: kiosk::Inbox, url: &str) -> Ui {
        init_slint();
        window.window().set_size(slint::LogicalSize::new(1080., 1920.));
        window.show().unwrap();
        let kiosk = Kiosk::new(
            window,
            test_timing(),
            backend,
            inbox,
            TicketSettings {
                public_url: url.to_owned(),
                paper: PaperWidth::Mm80,
            },
        );
        kiosk.start();
        Ui { kiosk }
    }

    pub fn window(&self) -> &KioskWindow {
        self.kiosk.window()
    }

    pub fn view(&self) -> View {
        self.kiosk.view()
    }

    /// Lets the UI thread apply background results and time pass a little.
    pub fn step(&self) {
        self.kiosk.pump();
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(16));
    }

    /// Polls until `done` holds, failing the test at the deadline.
    pub fn wait(&self, what: &str, done: impl Fn(&Ui) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            self.step();
            if done(self) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; view: {:#?}",
                self.view()
            );
            std::thread::yield_now();
        }
    }

    pub fn wait_screen(&self, screen: Screen) {
        self.wait(&format!("screen {screen:?}"), |ui| ui.view().screen == screen);
    }

    /// The visible elements labelled `label`.
    pub fn find(&self, label: &str) -> Vec<ElementHandle> {
        self.step();
        ElementHandle::find_by_accessible_label(self.window(), label)
            .filter(|e| e.size().width > 0. && e.size().height > 0.)
            .collect()
    }

    pub fn shows(&self, label: &str) -> bool {
        !self.find(label).is_empty()
    }

    /// Touches the element labelled `label`, where its centre is on the screen.
    pub fn tap(&self, label: &str) {
        let found = self.find(label);
        let element = found
            .last()
            .unwrap_or_else(|| panic!("nothing labelled {label:?} on {:?}", self.view().screen));
        assert_ne!(element.accessible_enabled(), Some(false), "{label:?} is disabled");
        element.mock_single_click(PointerEventButton::Left);
        self.step();
    }

    /// Types `text` into the window as a keyboard-wedge scanner does (`\n` is Enter).
    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            let key: slint::SharedString = if c == '\n' {
                slint::platform::Key::Return.into()
            } else {
                c.into()
            };
            self.window()
                .window()
                .dispatch_event(WindowEvent::KeyPressed { text: key.clone() });
            self.window()
                .window()
                .dispatch_event(WindowEvent::KeyReleased { text: key });
        }
        self.step();
    }
}

/// Polls an async condition on the runtime until it holds, failing at the deadline.
pub fn eventually<T, F, Fut>(rt: &Runtime, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = rt.block_on(probe()) {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        rt.block_on(tokio::task::yield_now());
        std::thread::yield_now();
    }
}
