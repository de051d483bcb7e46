//! What the console's tests share: a real office server with the demo office in a temp directory, on a
//! runtime of its own so that a test can stop it and start it again on the same port and database; and
//! the console's window on Slint's headless testing backend, driven by keys and accessible labels, with
//! waits that poll a condition until a deadline.

use std::cell::Cell;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::platform::{Key as SlintKey, PointerEventButton, WindowEvent};
use tempfile::TempDir;
use tokio::runtime::Runtime;
use turno_console::backend::NetBackend;
use turno_console::console::{self, Backend, Console, key_text};
use turno_console::controller::{Key, Screen, Settings, Timing, View};
use turno_server::config::Config;
use turno_shared::api::{IssueRequest, IssuedTicket};
use turno_shared::client::Client;
use turno_shared::domain::Priority;
use turno_ui::ConsoleWindow;

/// How long any wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

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

/// The console's runtime (the server has its own).
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
    db: PathBuf,
    server: Option<Runtime>,
    _dir: TempDir,
}

impl Office {
    /// Creates the demo office and serves it on a free port.
    pub fn start() -> Office {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("turno.db");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let mut office = Office {
            url: format!("http://{address}"),
            kiosk_token: String::new(),
            address,
            db,
            server: None,
            _dir: dir,
        };
        office.kiosk_token = office.serve(true).unwrap();
        office
    }

    /// Serves the database at the office's address (creating the demo office first when `create`).
    fn serve(&mut self, create: bool) -> Option<String> {
        let rt = runtime();
        let config = Config {
            db: self.db.clone(),
            office_name: turno_server::demo::OFFICE_NAME.to_owned(),
            ..Config::default()
        };
        let address = self.address;
        let token = rt.block_on(async {
            let (state, stop) = turno_server::AppState::new(&config, turno_server::store::system_clock()).unwrap();
            // The server runs as long as its runtime; so does its stop signal.
            std::mem::forget(stop);
            let token = if create {
                Some(turno_server::demo::create(&state).await.unwrap().kiosk)
            } else {
                None
            };
            // The port of a server just stopped may take a moment to be free again.
            let deadline = Instant::now() + DEADLINE;
            let listener = loop {
                match tokio::net::TcpListener::bind(address).await {
                    Ok(l) => break l,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::task::yield_now().await;
                    }
                    Err(e) => panic!("cannot listen on {address} again: {e}"),
                }
            };
            let app = turno_server::app(state);
            tokio::spawn(async move { axum::serve(listener, app).await });
            token
        });
        self.server = Some(rt);
        token
    }

    /// Stops the server at once: its connections and live streams break.
    pub fn stop(&mut self) {
        if let Some(rt) = self.server.take() {
            rt.shutdown_background();
        }
    }

    /// Starts the server again on the same address and database.
    pub fn restart(&mut self) {
        self.stop();
        self.serve(false);
    }

    pub fn kiosk(&self) -> Client {
        Client::new(&self.url).with_token(self.kiosk_token.clone())
    }

    /// A user's client, signed in.
    pub fn user(&self, rt: &Runtime, username: &str) -> Client {
        let client = Client::new(&self.url);
        let login = rt.block_on(client.login(username, password(username))).unwrap();
        client.with_token(login.token)
    }

    /// Issues a ticket at the kiosk.
    pub fn issue(&self, rt: &Runtime, service_id: i64, language: &str) -> IssuedTicket {
        rt.block_on(self.kiosk().issue_ticket(&IssueRequest {
            service_id,
            priority: Priority::Normal,
            language: Some(language.to_owned()),
        }))
        .unwrap()
    }
}

impl Drop for Office {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A demo user's password.
pub fn password(username: &str) -> &'static str {
    turno_server::demo::USERS
        .iter()
        .find(|(u, ..)| *u == username)
        .map(|(.., p)| *p)
        .unwrap()
}

/// Timings for tests: the "not arrived?" prompt and retries come fast.
pub fn test_timing() -> Timing {
    Timing {
        no_show_prompt_after: Duration::from_millis(300),
        retry_every: Duration::from_millis(100),
        notice_shown: Duration::from_secs(600),
    }
}

/// The console's window on the testing backend.
pub struct Ui {
    pub console: Console,
    pub config: PathBuf,
    _dir: TempDir,
}

impl Ui {
    /// A console remembering `server_url`, talking to the real server.
    pub fn connected(rt: &Runtime, server_url: &str) -> Ui {
        init_slint();
        let window = ConsoleWindow::new().unwrap();
        let (outbox, inbox) = console::channel(|| {});
        let backend = NetBackend::new(rt.handle().clone(), None, outbox);
        Ui::with_backend(window, Box::new(backend), inbox, server_url, (1366., 768.))
    }

    pub fn with_backend(
        window: ConsoleWindow,
        backend: Box<dyn Backend>,
        inbox: console::Inbox,
        url: &str,
        size: (f32, f32),
    ) -> Ui {
        init_slint();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.toml");
        window.window().set_size(slint::LogicalSize::new(size.0, size.1));
        let config = turno_console::config::Config::merge(
            path.clone(),
            Default::default(),
            turno_console::config::Args {
                server: Some(url.to_owned()),
                ..Default::default()
            },
        )
        .unwrap();
        let settings = Settings {
            ..config.settings.clone()
        };
        let config = std::cell::RefCell::new(config);
        let console = Console::new(
            window,
            test_timing(),
            settings,
            backend,
            Box::new(move |s| config.borrow_mut().save(s).unwrap()),
            inbox,
        );
        console.start();
        console.window().show().unwrap();
        Ui {
            console,
            config: path,
            _dir: dir,
        }
    }

    pub fn window(&self) -> &ConsoleWindow {
        self.console.window()
    }

    pub fn view(&self) -> View {
        self.console.view()
    }

    /// Lets the UI thread apply background results and time pass a little.
    pub fn step(&self) {
        self.console.pump();
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

    /// The number of the ticket at the counter, once the console shows it.
    pub fn wait_ticket(&self, number: &str) {
        self.wait(&format!("ticket {number} at the counter"), |ui| {
            ui.view().ticket.is_some_and(|t| t.number == number) && !ui.view().busy
        });
    }

    pub fn wait_no_ticket(&self) {
        self.wait("no ticket at the counter", |ui| {
            ui.view().ticket.is_none() && !ui.view().busy
        });
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

    /// Clicks the element labelled `label`.
    pub fn click(&self, label: &str) {
        let found = self.find(label);
        let element = found
            .last()
            .unwrap_or_else(|| panic!("nothing labelled {label:?}; view {:#?}", self.view()));
        assert_ne!(element.accessible_enabled(), Some(false), "{label:?} is disabled");
        element.mock_single_click(PointerEventButton::Left);
        self.step();
    }

    fn key_event(&self, text: slint::SharedString) {
        let w = self.window().window();
        w.dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
        w.dispatch_event(WindowEvent::KeyReleased { text });
    }

    /// Presses a key, as a clerk does.
    pub fn press(&self, key: Key) {
        self.key_event(key_text(key));
        self.step();
    }

    /// Presses a key with Ctrl held.
    pub fn press_ctrl(&self, key: Key) {
        let w = self.window().window();
        let ctrl: slint::SharedString = SlintKey::Control.into();
        w.dispatch_event(WindowEvent::KeyPressed { text: ctrl.clone() });
        self.key_event(key_text(key));
        w.dispatch_event(WindowEvent::KeyReleased { text: ctrl });
        self.step();
    }

    /// Types text into whatever has the keyboard (`\t` is Tab, `\u{8}` Backspace).
    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            let key: slint::SharedString = match c {
                '\t' => SlintKey::Tab.into(),
                '\u{8}' => SlintKey::Backspace.into(),
                c => c.into(),
            };
            self.key_event(key);
        }
        self.step();
    }

    /// Signs in with the keyboard and opens the `n`th counter of the list (1-based).
    pub fn sign_in(&self, username: &str, counter: char) {
        self.wait_screen(Screen::SignIn);
        // The username field has the keyboard; Tab reaches the password.
        self.type_text(&format!("{username}\t{}", password(username)));
        self.press(Key::Enter);
        self.wait_screen(Screen::Counters);
        self.wait("the counters", |ui| !ui.view().counters.is_empty());
        self.press(Key::Char(counter));
        self.press(Key::Enter);
        self.wait_screen(Screen::Work);
        self.wait("the queue panel", |ui| !ui.view().queues.is_empty());
    }
}
