//! The `turno-server` command: parses configuration and serves the office until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use turno_server::config::Config;
use turno_server::{AppState, app, demo, maintain, store};

#[derive(Parser)]
#[command(
    name = "turno-server",
    version,
    about = "Turno office server: queue, counters, ratings, live events"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the office's API and web pages.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A TOML configuration file (every key optional; see README).
    #[arg(long, env = "TURNO_CONFIG")]
    config: Option<PathBuf>,
    /// The SQLite database file [default: turno.db].
    #[arg(long, env = "TURNO_DB")]
    db: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port.
    #[arg(long, env = "TURNO_LISTEN")]
    listen: Option<SocketAddr>,
    /// The office's name.
    #[arg(long, env = "TURNO_OFFICE_NAME")]
    office_name: Option<String>,
    /// Create a demo office (services, counters, clerks, devices) if the database is empty.
    #[arg(long)]
    demo: bool,
    /// Commit each operation alone (the naive baseline, for benchmarks only).
    #[arg(long, hide = true)]
    no_group_commit: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn")))
        .with_writer(std::io::stderr)
        .init();
    let Command::Serve(args) = Cli::parse().command;
    let runtime = tokio::runtime::Runtime::new().expect("tokio starts");
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("turno-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if let Some(db) = args.db {
        config.db = db;
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(name) = args.office_name {
        config.office_name = name;
    }
    if args.no_group_commit {
        config.group_commit = false;
    }
    if args.demo && args.config.is_none() && config.office_name == Config::default().office_name {
        config.office_name = demo::OFFICE_NAME.to_owned();
    }
    let (state, stop) = AppState::new(&config, store::system_clock()).map_err(|e| e.to_string())?;
    if args.demo {
        let credentials = demo::ensure(&state.store, &config.db, config.listen)
            .await
            .map_err(|e| e.to_string())?;
        println!("{credentials}");
        let kiosk = demo::kiosk_config_path(&config.db);
        if kiosk.exists() {
            println!(
                "Open the kiosk (in another terminal):\n  cargo run --release -p turno-kiosk -- --config {} --windowed\n",
                kiosk.display()
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("turno-server listening on http://{addr}");
    tracing::info!(%addr, db = %config.db.display(), group_commit = config.group_commit, "serving");
    tokio::spawn(maintain(state.clone()));
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            let _ = stop.send(true);
        })
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
