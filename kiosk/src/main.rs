//! The citizen kiosk's program: reads the configuration, starts the tokio runtime and the printer,
//! opens the full-screen window and runs the UI until it is closed.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use slint::ComponentHandle;
use turno_kiosk::backend::NetBackend;
use turno_kiosk::config::{Args, Config};
use turno_kiosk::controller::Timing;
use turno_kiosk::kiosk::{self, Kiosk, TicketSettings};
use turno_shared::client::Client;
use turno_ui::KioskWindow;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let config = match Config::load(Args::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("turno-kiosk: {e}");
            return ExitCode::from(2);
        }
    };
    match run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("turno-kiosk: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // Raster fonts for Arabic, Chinese and Ukrainian tickets load now, not at the first ticket.
    std::thread::spawn(turno_kiosk::printer::preload_fonts);

    let window = KioskWindow::new()?;
    if config.fullscreen {
        window.window().set_fullscreen(true);
    } else {
        // As large as the screen's work area it opens on, never taller: the layouts fit any size from 1024×600.
        window.window().set_maximized(true);
    }
    let (outbox, inbox) = kiosk::channel(kiosk::wake_event_loop(&window));
    let client = match &config.ca_file {
        Some(ca) => Client::with_ca_file(&config.server, ca)?,
        None => Client::new(&config.server),
    }
    .with_token(config.token.clone());
    let backend = NetBackend::start(
        runtime.handle().clone(),
        client,
        config.printer.clone(),
        outbox,
        Duration::from_secs(5),
    );
    let kiosk = Kiosk::new(
        window,
        Timing::with_idle_timeout(config.idle_timeout),
        Box::new(backend),
        inbox,
        TicketSettings {
            public_url: config.public_url.clone(),
            paper: config.printer.paper,
        },
    );
    kiosk.set_fallbacks(config.text_fallback.clone());
    kiosk.start();
    tracing::info!(server = %config.server, "kiosk started");
    kiosk.window().run()?;
    Ok(())
}
