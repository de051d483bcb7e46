//! The citizen kiosk's program: reads the configuration, starts the tokio runtime and the printer,
//! opens the full-screen window and runs the UI until it is closed. `turno-kiosk print-test` prints
//! the printer's test page instead.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use slint::ComponentHandle;
use turno_kiosk::backend::NetBackend;
use turno_kiosk::config::{self, Args, Command, Config};
use turno_kiosk::controller::Timing;
use turno_kiosk::kiosk::{self, Kiosk, TicketSettings};
use turno_shared::client::Client;
use turno_ui::KioskWindow;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    if args.command == Some(Command::PrintTest) {
        return print_test(&args);
    }
    let config = match Config::load(args) {
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

/// Prints the test page on the configured printer and says what was sent.
fn print_test(args: &Args) -> ExitCode {
    let printer = match config::load_printer(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("turno-kiosk: {e}");
            return ExitCode::from(2);
        }
    };
    let mut transport = match turno_kiosk::printer::open_transport(&printer) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("turno-kiosk: cannot open the printer {}: {e}", printer.driver);
            return ExitCode::FAILURE;
        }
    };
    match turno_kiosk::printer::print_test_page(transport.as_mut(), &printer) {
        Ok(report) => {
            println!(
                "test page sent to {} ({} bytes): code page {}, missing characters as {:?}, {} paper",
                printer.driver,
                report.bytes_sent,
                printer.code_page(),
                printer.missing_characters,
                printer.paper
            );
            println!(
                "the line under \"text:\" must read as the one under \"raster:\"; if it does not, set the \
                 code_page and code_page_number that the printer's self-test page lists"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("turno-kiosk: test page not printed: {e}");
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
    // The spoken mode's voice: without espeak-ng the kiosk works, its button shows the voice missing, the log
    // says why.
    let voice = turno_kiosk::speech::Espeak::default();
    if voice.check().is_ok() {
        tracing::info!("spoken mode: espeak-ng found");
    }
    kiosk.set_speech(Box::new(voice));
    kiosk.start();
    tracing::info!(server = %config.server, "kiosk started");
    kiosk.window().run()?;
    Ok(())
}
