//! The `turno-server` command: serves the office until SIGTERM or Ctrl-C, and the administrator's
//! commands (users and passwords, backups, exports, the wait predictors' evaluation).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use turno_server::config::Config;
use turno_server::{AppState, app, demo, maintain, serve, setup, store};
use turno_shared::domain::Role;

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
    /// Serve the office's API and web pages. On a new database, creates the administrator `admin`
    /// and prints their password once (or, with --demo, a whole demo office).
    Serve(ServeArgs),
    /// Manage back-office and clerk accounts, on the server's database (also while it serves).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The city's centre: every office's statistics in one PostgreSQL (see `[central]` in an office's
    /// settings).
    Central {
        #[command(subcommand)]
        command: CentralCommand,
    },
    /// Export the visits of a range of office days (CSV, XLSX, JSON, or the weekly "Mettiamoci la
    /// faccia" report), also while the server is serving. Columns: docs/data-dictionary.md.
    Export(ExportArgs),
    /// Measure the wait predictors on an event log (its CSV shape: docs/queue-science.md): replays
    /// it, asks each predictor at every issue when the ticket will be called, and prints their errors
    /// and how often the actual wait fell in the interval shown. With --scenario, plays simulated
    /// days first (and writes their log with --write-log).
    EtaEval(EtaEvalArgs),
    /// Copy the database to a new file, safely while the server is serving: one consistent snapshot.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The backup file to create (it must not exist).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user with a random password, printed once.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// The username (lower-case letters, digits, `_` and `-`).
        username: String,
        /// The name shown on screens [default: the username].
        #[arg(long)]
        name: Option<String>,
        /// A clerk instead of a back-office administrator.
        #[arg(long)]
        clerk: bool,
    },
    /// Give a user a new random password (printed once), reactivate them and sign them out everywhere.
    ResetPassword {
        #[command(flatten)]
        db: DbArgs,
        username: String,
    },
}

#[derive(clap::Args)]
struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The first office day, YYYY-MM-DD.
    #[arg(long)]
    from: jiff::civil::Date,
    /// The last office day, YYYY-MM-DD [default: --from].
    #[arg(long)]
    to: Option<jiff::civil::Date>,
    /// csv (Italian Excel), csv-rfc (RFC 4180), xlsx, json, or mlf (weekly satisfaction report).
    #[arg(long, default_value = "csv")]
    format: turno_server::exports::Format,
    /// For CSV: tickets, events, ratings or daily.
    #[arg(long, default_value = "tickets")]
    table: turno_server::exports::Table,
    /// Only this service's, counter's or clerk's visits (their ids).
    #[arg(long)]
    service: Option<i64>,
    #[arg(long)]
    counter: Option<i64>,
    #[arg(long)]
    clerk: Option<i64>,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Subcommand)]
enum CentralCommand {
    /// Migrate the centre's schema, then serve the city's back office and its API.
    Serve {
        /// The centre's PostgreSQL, `postgres://user:password@host:port/database`.
        #[arg(long, env = "TURNO_CENTRAL_PG")]
        pg: String,
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, env = "TURNO_CENTRAL_LISTEN", default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
        /// The city's name, shown on every page.
        #[arg(long, env = "TURNO_CENTRAL_CITY", default_value = "Comune")]
        city: String,
        /// A reverse proxy in front of the centre (repeat for several): sign-ins from it are throttled by
        /// the client address it names in X-Forwarded-For, not by its own.
        #[arg(long = "trusted-proxy", value_name = "IP")]
        trusted_proxies: Vec<std::net::IpAddr>,
    },
    /// Migrate the centre's schema (to the latest version, or to --to) and stop.
    Migrate {
        #[arg(long, env = "TURNO_CENTRAL_PG")]
        pg: String,
        #[arg(long)]
        to: Option<i32>,
    },
    /// Create a central account (or give it a new password): prints its random password once.
    Account {
        #[arg(long, env = "TURNO_CENTRAL_PG")]
        pg: String,
        username: String,
        /// The name shown when signed in [default: the username].
        #[arg(long)]
        display_name: Option<String>,
        /// The one office the account sees (its code); the whole city without it.
        #[arg(long)]
        office: Option<String>,
    },
}

#[derive(clap::Args)]
struct DbArgs {
    /// A TOML configuration file, for its `db`.
    #[arg(long, env = "TURNO_CONFIG")]
    config: Option<PathBuf>,
    /// The SQLite database file [default: turno.db].
    #[arg(long, env = "TURNO_DB")]
    db: Option<PathBuf>,
}

impl DbArgs {
    fn config(&self) -> Result<Config, String> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(db) = &self.db {
            config.db = db.clone();
        }
        Ok(config)
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port.
    #[arg(long, env = "TURNO_LISTEN")]
    listen: Option<SocketAddr>,
    /// The office's name.
    #[arg(long, env = "TURNO_OFFICE_NAME")]
    office_name: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "TURNO_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "TURNO_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Create a demo office (services, counters, clerks, devices) if the database is empty. Its
    /// passwords are published: it serves only on the loopback address until they are changed.
    #[arg(long)]
    demo: bool,
    /// With --demo: past office days of generated history for the statistics (0 for none).
    #[arg(long, default_value_t = 90, requires = "demo")]
    history_days: u32,
    /// Commit each operation alone (the naive baseline, for benchmarks only).
    #[arg(long, hide = true)]
    no_group_commit: bool,
    /// Weaker durability (`normal` or `off`): only for the power-cut test to show it catches the loss.
    #[arg(long, hide = true, value_parser = ["normal", "off"])]
    unsafe_synchronous: Option<String>,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["log", "scenario", "from"])))]
struct EtaEvalArgs {
    /// The event log to replay (CSV).
    #[arg(long)]
    log: Option<PathBuf>,
    /// Or the office days of the database from this one, YYYY-MM-DD (write their log with
    /// --write-log).
    #[arg(long)]
    from: Option<jiff::civil::Date>,
    /// With --from: the last office day [default: --from].
    #[arg(long, requires = "from")]
    to: Option<jiff::civil::Date>,
    #[command(flatten)]
    db: DbArgs,
    /// Or a scenario file (TOML, as in sim/scenarios/) to simulate.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// With --scenario: how many office days, and the seed of the first.
    #[arg(long, default_value_t = 10, requires = "scenario")]
    days: u32,
    #[arg(long, default_value_t = 1, requires = "scenario")]
    seed: u64,
    /// With --scenario or --from: also write the log here.
    #[arg(long)]
    write_log: Option<PathBuf>,
    /// Fit every predictor's interval on this many first days of the log and measure the others
    /// (without it, every day is measured and only the server's estimate shows an interval).
    #[arg(long)]
    tune_days: Option<usize>,
}

fn main() -> ExitCode {
    keep_large_buffers_off_the_heap();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn")))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio starts");
    let done = match Cli::parse().command {
        Command::Serve(args) => runtime.block_on(serve(args)),
        Command::Admin { command } => runtime.block_on(admin(command)),
        Command::Backup { db, out } => backup(&db, &out),
        Command::Export(args) => export(args),
        Command::EtaEval(args) => eta_eval(args),
        Command::Central { command } => runtime.block_on(central(command)),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("turno-server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Spoken announcements and export chunks pass through buffers of a few hundred kilobytes. glibc
/// serves such sizes from its heaps once a freed one has raised its mmap threshold, and with one heap
/// per thread the freed space stays in the process: fifty boards fetching announcements grew the
/// server from 20 to 60 MiB. A fixed threshold of 128 KiB (glibc's initial one) keeps them in their
/// own mappings, given back to the system when freed (the same run stays under 40 MiB).
fn keep_large_buffers_off_the_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a setting of the allocator, here before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let mut config = args.db.config()?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(name) = args.office_name {
        config.office_name = name;
    }
    if args.tls_cert.is_some() {
        config.tls_cert = args.tls_cert;
        config.tls_key = args.tls_key;
    }
    if args.no_group_commit {
        config.group_commit = false;
    }
    match args.unsafe_synchronous.as_deref() {
        Some("normal") => config.synchronous = store::Synchronous::Normal,
        Some("off") => config.synchronous = store::Synchronous::Off,
        _ => {}
    }
    if args.demo && args.db.config.is_none() && config.office_name == Config::default().office_name {
        config.office_name = demo::OFFICE_NAME.to_owned();
    }
    config.check()?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(serve::Tls::from_pem_files(cert, key)?),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let (state, stop) = AppState::new(&config, store::system_clock()).map_err(|e| e.to_string())?;
    if args.demo {
        let credentials = demo::ensure(&state, &config.db, config.listen, scheme, args.history_days)
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
        println!(
            "Open a clerk's console (sign in as mrossi, choose Sportello 1):\n  \
             cargo run --release -p turno-console -- --server {scheme}://{} --windowed\n",
            config.listen
        );
    } else if let Some(password) = setup::first_run(&state).await.map_err(|e| e.to_string())? {
        println!(
            "New office: created the back-office administrator \"{}\" with the password\n\n    {password}\n\n\
             It is shown only this once. Sign in with it and give yourself a password of your own;\n\
             to set a new one later: turno-server admin reset-password --db {} {}\n",
            setup::FIRST_ADMIN,
            config.db.display(),
            setup::FIRST_ADMIN,
        );
    }
    setup::check_exposure(&state, config.listen, &config.db).await?;
    if let Some(limit) = serve::raise_open_files_limit() {
        tracing::debug!(limit, "open files limit");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("turno-server listening on {scheme}://{addr}");
    tracing::info!(%addr, db = %config.db.display(), tls = tls.is_some(), group_commit = config.group_commit, "serving");
    tokio::spawn(maintain(state.clone(), Duration::from_secs(30)));
    let shipping = config.central.is_some();
    let now_ms = state.store.now().as_millisecond();
    let switched = state
        .store
        .write(move |ctx| turno_server::store::central::set_shipping(ctx.conn, shipping, now_ms))
        .await
        .map_err(|e| {
            format!(
                "turning shipping to the centre {}: {e}",
                if shipping { "on" } else { "off" }
            )
        })?;
    match switched {
        turno_server::store::central::Switched::Unchanged => {}
        turno_server::store::central::Switched::Off { kept } => {
            tracing::info!(kept, "shipping to the centre is off: nothing is journaled for it")
        }
        turno_server::store::central::Switched::On { journaled } => {
            tracing::info!(
                journaled,
                "shipping to the centre is on: journaled what the centre lacks"
            )
        }
    }
    if let Some(central) = config.central.clone() {
        // In the background: the office never waits for the centre.
        tokio::spawn(turno_server::central::ship::run(state.clone(), central));
    }
    tokio::spawn(turno_server::alerts::watch(state.clone(), Duration::from_secs(10)));
    let shutdown = state.shutdown.clone();
    let trusted: std::sync::Arc<[std::net::IpAddr]> = config.trusted_proxies.clone().into();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    });
    serve::serve(listener, app(state), tls, config.serve_limits(), trusted, shutdown).await;
    Ok(())
}

async fn central(command: CentralCommand) -> Result<(), String> {
    use turno_server::central::{self, db};
    match command {
        CentralCommand::Serve {
            pg,
            listen,
            city,
            trusted_proxies,
        } => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let (stop, shutdown) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                shutdown_signal().await;
                let _ = stop.send(true);
            });
            // Printed once the schema is migrated: whoever waits for this line can use the centre.
            let ready = central::serve_ready(&pg, city, trusted_proxies, listener, shutdown, move || {
                println!("turno-server central listening on http://{addr}");
            });
            ready.await.map_err(|e| e.to_string())
        }
        CentralCommand::Migrate { pg, to } => {
            let pool = db::pool(&pg, 1).map_err(|e| e.to_string())?;
            let v = db::migrate(&pool, to).await.map_err(|e| e.to_string())?;
            println!("central schema at version {v}");
            Ok(())
        }
        CentralCommand::Account {
            pg,
            username,
            display_name,
            office,
        } => {
            // Signing in finds the username trimmed and in lower case.
            let username = username.trim().to_lowercase();
            if username.is_empty() {
                return Err("give the account a username".into());
            }
            let pool = db::pool(&pg, 1).map_err(|e| e.to_string())?;
            db::migrate(&pool, None).await.map_err(|e| e.to_string())?;
            let password = turno_server::auth::new_token();
            let hash = turno_server::auth::hash_password(&password).map_err(|e| e.to_string())?;
            let account = db::Account {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                office,
            };
            db::put_account(&pool, &account, &hash)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "central account \"{}\" with the password\n\n    {password}\n",
                account.username
            );
            Ok(())
        }
    }
}

/// Opens the database for a command of its own, without serving.
fn open(db: &DbArgs) -> Result<(Config, AppState), String> {
    let config = db.config()?;
    if !config.db.exists() {
        return Err(format!("there is no database {}", config.db.display()));
    }
    let (state, _stop) = AppState::new(&config, store::system_clock()).map_err(|e| e.to_string())?;
    Ok((config, state))
}

async fn admin(command: AdminCommand) -> Result<(), String> {
    match command {
        AdminCommand::Create {
            db,
            username,
            name,
            clerk,
        } => {
            let (config, state) = open(&db)?;
            let role = if clerk { Role::Clerk } else { Role::Admin };
            let name = name.unwrap_or_else(|| username.clone());
            let password = setup::create_user(&state, &username, &name, role)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "Created the {role} \"{username}\" in {} with the password\n\n    {password}\n\nIt is shown only this once.",
                config.db.display()
            );
        }
        AdminCommand::ResetPassword { db, username } => {
            let (config, state) = open(&db)?;
            let password = setup::reset_password(&state, &username)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "New password of \"{username}\" in {}:\n\n    {password}\n\nIt is shown only this once; \
                 \"{username}\" was signed out everywhere.",
                config.db.display()
            );
        }
    }
    Ok(())
}

fn export(args: ExportArgs) -> Result<(), String> {
    use turno_server::exports::{self, Export, Format};
    let (_, state) = open(&args.db)?;
    let export = Export {
        query: turno_server::stats::Query {
            from: args.from,
            to: args.to.unwrap_or(args.from),
            service_id: args.service,
            counter_id: args.counter,
            user_id: args.clerk,
        },
        format: args.format,
        table: args.table,
    };
    let office = state.office.clone();
    // Run beside a live office server, the export gives way to it.
    exports::yield_to_live_office();
    state
        .store
        .read_blocking(|c| match export.format {
            Format::Xlsx => exports::write_xlsx(c, &office, &export, &args.out),
            _ => {
                let file = std::fs::File::create(&args.out)
                    .map_err(|e| turno_server::error::Error::invalid(format!("{}: {e}", args.out.display())))?;
                exports::write(c, &office, &export, std::io::BufWriter::new(file))
            }
        })
        .map_err(|e| e.to_string())?;
    println!("Exported to {}.", args.out.display());
    Ok(())
}

fn eta_eval(args: EtaEvalArgs) -> Result<(), String> {
    use turno_sim::{log, report, scenario::Scenario, simulate};
    let events = match (&args.log, &args.scenario, args.from) {
        (Some(path), _, _) => {
            print!("{}", report::eval_log(path, args.tune_days).map_err(|e| e.to_string())?);
            return Ok(());
        }
        (None, Some(scenario), _) => {
            let sc = Scenario::load(scenario).map_err(|e| e.to_string())?;
            simulate::simulate_days(&sc, args.seed, 0, args.days).map_err(|e| e.to_string())?
        }
        (None, None, Some(from)) => {
            let (_, state) = open(&args.db)?;
            let office = state.office.clone();
            let to = args.to.unwrap_or(from);
            state
                .store
                .read_blocking(move |c| turno_server::eta_log::office_log(c, &office, from, to))
                .map_err(|e| e.to_string())?
        }
        (None, None, None) => return Err("give --log, --scenario or --from".into()),
    };
    let path = match &args.write_log {
        Some(path) => path.clone(),
        None => std::env::temp_dir().join(format!("turno-eta-{}.csv", std::process::id())),
    };
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    log::write(&events, std::io::BufWriter::new(file)).map_err(|e| e.to_string())?;
    let report = report::eval_log(&path, args.tune_days).map_err(|e| e.to_string());
    if args.write_log.is_none() {
        let _ = std::fs::remove_file(&path);
    }
    print!("{}", report?);
    Ok(())
}

fn backup(db: &DbArgs, out: &Path) -> Result<(), String> {
    let config = db.config()?;
    let version = store::backup(&config.db, out).map_err(|e| e.to_string())?;
    println!(
        "Backed up {} to {} (schema version {version}, integrity check ok).",
        config.db.display(),
        out.display()
    );
    Ok(())
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
