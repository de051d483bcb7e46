//! The clerk console's program: reads the settings, starts the tokio runtime, opens the window and runs
//! the UI until it is closed.

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;

use clap::Parser;
use slint::ComponentHandle;
use turno_console::backend::NetBackend;
use turno_console::config::{Args, Config};
use turno_console::console::{self, Console};
use turno_console::controller::Timing;
use turno_ui::ConsoleWindow;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let config = match Config::load(Args::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("turno-console: {e}");
            return ExitCode::from(2);
        }
    };
    match run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("turno-console: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let window = ConsoleWindow::new()?;
    if config.fullscreen {
        window.window().set_fullscreen(true);
    }
    let (outbox, inbox) = console::channel(console::wake_event_loop(&window));
    let backend = NetBackend::new(runtime.handle().clone(), config.ca_file.clone(), outbox);
    let settings = config.settings.clone();
    tracing::info!(path = %config.path.display(), server = %settings.server, "console started");
    let config = Rc::new(RefCell::new(config));
    let save = {
        let config = config.clone();
        Box::new(move |s: &turno_console::controller::Settings| {
            if let Err(e) = config.borrow_mut().save(s) {
                tracing::warn!(error = %e, "cannot save the settings");
            }
        })
    };
    let console = Console::new(window, Timing::default(), settings, Box::new(backend), save, inbox);
    console.start();
    console.window().run()?;
    Ok(())
}
