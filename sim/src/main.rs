//! `turno-sim`: plays scenario days into event logs, evaluates wait predictors on a log, runs the
//! whole study behind `docs/queue-science.md`, and times the server's estimate.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use turno_sim::{log, report, scenario::Scenario, simulate};

#[derive(Parser)]
#[command(
    name = "turno-sim",
    about = "Turno's office-day simulator and wait-predictor evaluator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Plays days of a scenario and writes their event log (CSV).
    Run {
        #[arg(long)]
        scenario: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 1)]
        days: u32,
        /// The first day's number (day 0 is 2026-03-02).
        #[arg(long, default_value_t = 0)]
        first_day: u32,
        /// Where to write the log; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replays a log and measures every predictor on it (as `turno-server eta-eval`).
    Eval {
        #[arg(long)]
        log: PathBuf,
        /// Fit every predictor's interval on this many first days; measure the others.
        #[arg(long)]
        tune_days: Option<usize>,
    },
    /// The study of docs/queue-science.md: tuning, held-out tables, the chart and the policy.
    Study {
        #[arg(long, default_value = "sim/scenarios")]
        scenarios: PathBuf,
        #[arg(long, default_value = "docs/queue-science-waits.svg")]
        chart: PathBuf,
    },
    /// Times the server's estimate at a number of waiting tickets.
    Bench {
        #[arg(long, default_value_t = 200)]
        waiting: usize,
    },
}

fn run(cli: Cli) -> turno_sim::Result<()> {
    match cli.command {
        Command::Run {
            scenario,
            seed,
            days,
            first_day,
            out,
        } => {
            let sc = Scenario::load(&scenario)?;
            let events = simulate::simulate_days(&sc, seed, first_day, days)?;
            match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .map_err(|e| turno_sim::Error::new(format!("{}: {e}", path.display())))?;
                    log::write(&events, std::io::BufWriter::new(file))?;
                }
                None => log::write(&events, std::io::stdout().lock())?,
            }
        }
        Command::Eval { log, tune_days } => print!("{}", report::eval_log(&log, tune_days)?),
        Command::Study { scenarios, chart } => print!("{}", report::study(&scenarios, &chart)?),
        Command::Bench { waiting } => {
            let us = report::bench(waiting, 500);
            println!(
                "server estimate (turno_shared::domain::eta::estimate), {waiting} waiting, 8 counters, 6 services: \
                 {us:.1} µs per estimate (best of 5 × 500)\ncommand: turno-sim bench --waiting {waiting}"
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("turno-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
