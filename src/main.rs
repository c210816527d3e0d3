//! `orbitedge`: run scenarios, check them, and look at their windows, eclipses
//! and devices from the command line.
//!
//! Exit codes (see `cli/exit.rs`): 0 success, also when the reader of standard
//! output closes it early (`| head`); 1 a failure while working; 2 bad input
//! (the message says what and where).
//!
//! Everything is checked before the work it would waste: thread counts and
//! other numbers, the scenario, and that the report directory can be written.
//! Standard output is written through one locked handle with `?`, never
//! `println!`, so a closed pipe ends the command instead of panicking.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orbitedge::compute::DeviceProfile;
use orbitedge::prelude::*;
use orbitedge::report::write::prepare_report_dir;
use orbitedge::scenario::{run_scenario, RunOptions, RunOutcome, Scenario, DEFAULT_SCENARIO_TOML};
use orbitedge::threads::{check_thread_count, with_threads};

#[path = "cli/exit.rs"]
mod exit;
#[path = "cli/rehearse.rs"]
mod rehearse;
#[path = "cli/tables.rs"]
mod tables;

use exit::{note, Failure};

/// Spacecraft, their resources and the machine learning they run on board.
#[derive(Parser)]
#[command(name = "orbitedge", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario (the embedded default when none is given) and write its report.
    Run {
        /// Scenario file (.toml, .json, .yaml).
        scenario: Option<PathBuf>,
        /// Report directory (default: the scenario's outputs.dir).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seed (overrides the scenario's).
        // Numeric flags take `-1` as their (refused) value: clap would call it
        // an unknown flag and suggest `-- -1`.
        #[arg(long, allow_negative_numbers = true)]
        seed: Option<u64>,
        /// Worker threads, 1 to 256 (default: one per core).
        #[arg(long, allow_negative_numbers = true)]
        threads: Option<i64>,
        /// No progress output.
        #[arg(long)]
        quiet: bool,
        /// Print the summary as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Check a scenario without running it.
    Validate {
        /// Scenario file.
        scenario: PathBuf,
    },
    /// Ground-station access windows of a scenario's satellites.
    Windows {
        /// Scenario file (default: the embedded scenario).
        scenario: Option<PathBuf>,
        /// CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
    /// Eclipse intervals (umbra and penumbra) of a scenario's satellites.
    Eclipses {
        /// Scenario file (default: the embedded scenario).
        scenario: Option<PathBuf>,
        /// CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
    /// The shipped device profiles.
    Devices {
        /// Full profiles as JSON (every number with its source and confidence).
        #[arg(long)]
        json: bool,
    },
    /// Rehearse with a flight application: pace the scenario with the wall
    /// clock and serve the local API (see the README's "Rehearsal" section).
    Serve {
        /// Scenario file (default: the embedded scenario).
        scenario: Option<PathBuf>,
        #[command(flatten)]
        options: rehearse::ServeOptions,
    },
    /// Replay a rehearsal deterministically from its log (rehearsal.jsonl).
    Replay {
        /// The rehearsal's log.
        log: PathBuf,
        /// The scenario it rehearsed (default: the embedded scenario).
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Report directory (default: the scenario's outputs.dir).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seed (overrides the scenario's; use the rehearsal's).
        #[arg(long, allow_negative_numbers = true)]
        seed: Option<u64>,
        /// Also run the scenario without the application, to the same time, and
        /// compare (energy, battery, temperature, data): comparison.md.
        #[arg(long)]
        compare: bool,
    },
    /// Write the default scenario to a file to edit.
    Init {
        /// Where to write it.
        #[arg(default_value = "scenario.toml")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

fn load(scenario: Option<&Path>) -> Result<(Scenario, PathBuf), Failure> {
    match scenario {
        Some(path) => Ok(Scenario::from_path(path)?),
        None => Ok((Scenario::default_scenario()?, PathBuf::from("."))),
    }
}

/// A scenario's satellites, stations and time span (for `windows` and `eclipses`).
struct Span {
    satellites: Vec<Satellite>,
    stations: Vec<GroundStation>,
    start: hifitime::Epoch,
    end: hifitime::Epoch,
}

impl Span {
    fn of(scenario: Option<&Path>) -> Result<Self, Failure> {
        let (scenario, base) = load(scenario)?;
        let prepared = scenario.prepare_geometry(&base)?;
        let sim = &prepared.simulation;
        Ok(Span {
            satellites: sim.spacecraft().iter().map(|s| s.satellite.clone()).collect(),
            stations: sim.stations().to_vec(),
            start: sim.start(),
            end: prepared.until,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    match execute(cli.command, &mut out).and_then(|()| Ok(out.flush()?)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

fn execute(command: Command, out: &mut impl Write) -> Result<(), Failure> {
    match command {
        Command::Run {
            scenario,
            out: out_dir,
            seed,
            threads,
            quiet,
            json,
        } => {
            // Before anything is loaded (`with_threads` checks again when it starts the pool).
            threads.map(check_thread_count).transpose()?;
            let (scenario, base) = load(scenario.as_deref())?;
            let out_dir = out_dir.unwrap_or_else(|| PathBuf::from(&scenario.outputs.dir));
            check_report_dir(&out_dir)?;
            let outcome = with_threads(threads, || run_command(&scenario, &base, out_dir, seed, quiet))??;
            print_run(out, &outcome, json, quiet)
        }
        Command::Serve { scenario, options } => {
            let (scenario, base) = load(scenario.as_deref())?;
            rehearse::serve_command(&scenario, &base, options, out)
        }
        Command::Replay {
            log,
            scenario,
            out: out_dir,
            seed,
            compare,
        } => {
            let (scenario, base) = load(scenario.as_deref())?;
            let options = rehearse::ReplayOptions {
                out: out_dir,
                seed,
                compare,
            };
            rehearse::replay_command(&scenario, &base, &log, options, out)
        }
        Command::Validate { scenario } => {
            let (parsed, base) = Scenario::from_path(&scenario)?;
            let prepared = parsed.prepare(&base)?;
            writeln!(
                out,
                "{}: ok ({} spacecraft, {} stations, {} h)",
                scenario.display(),
                prepared.simulation.spacecraft().len(),
                prepared.simulation.stations().len(),
                parsed.duration_h
            )?;
            Ok(())
        }
        Command::Windows { scenario, csv } => {
            let span = Span::of(scenario.as_deref())?;
            let windows = find_access_windows(
                &span.satellites,
                &span.stations,
                span.start,
                span.end,
                &SearchConfig::default(),
            )?;
            Ok(tables::windows(out, &windows, csv)?)
        }
        Command::Eclipses { scenario, csv } => {
            let span = Span::of(scenario.as_deref())?;
            let eclipses = find_eclipse_intervals(
                &span.satellites,
                span.start,
                span.end,
                &ShadowConfig::default(),
                &SearchConfig::default(),
            )?;
            Ok(tables::eclipses(out, &eclipses, csv)?)
        }
        Command::Devices { json } => {
            let profiles = DeviceProfile::all_shipped()?;
            if json {
                writeln!(out, "{}", to_json(&profiles)?)?;
                Ok(())
            } else {
                Ok(tables::devices(out, &profiles)?)
            }
        }
        Command::Init { path, force } => {
            if path.exists() && !force {
                return Err(Failure::bad_input(format!(
                    "{} exists; use --force to overwrite it",
                    path.display()
                )));
            }
            std::fs::write(&path, DEFAULT_SCENARIO_TOML)
                .map_err(|e| Failure::bad_input(format!("cannot write {}: {e}", path.display())))?;
            writeln!(
                out,
                "wrote {}; run it with `orbitedge run {}`",
                path.display(),
                path.display()
            )?;
            Ok(())
        }
    }
}

/// Refuses a report directory that cannot be written (a file, no permission)
/// before any work is done: bad input, exit code 2.
fn check_report_dir(dir: &Path) -> Result<(), Failure> {
    prepare_report_dir(dir).map_err(|e| Failure::bad_input(format!("report directory {e}")))
}

/// Pretty JSON of a value that always serialises (a failure is a bug).
fn to_json(value: &impl serde::Serialize) -> Result<String, Failure> {
    serde_json::to_string_pretty(value).map_err(|e| Failure::failed(format!("internal error: {e}")))
}

/// Runs the scenario with progress on standard error (a bar on a terminal,
/// plain lines otherwise, nothing with `quiet`).
fn run_command(
    scenario: &Scenario,
    base: &Path,
    out_dir: PathBuf,
    seed: Option<u64>,
    quiet: bool,
) -> orbitedge::Result<RunOutcome> {
    let terminal = std::io::stderr().is_terminal();
    let bar = (!quiet && terminal).then(|| {
        let bar = indicatif::ProgressBar::new(1_000);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg:<20} [{bar:40}] {percent:>3}% {elapsed_precise} (eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut last_line = (String::new(), -1i64);
    let mut progress = |done: f64, status: &str| {
        match &bar {
            Some(bar) => {
                bar.set_message(status.to_string());
                bar.set_position((done * 1_000.0) as u64);
            }
            None if !quiet => {
                // Plain lines off a terminal: on each new status and every 10 %.
                let decile = (done * 10.0).floor() as i64;
                if status != last_line.0 || decile != last_line.1 {
                    note(format_args!("{status}: {:.0} %", done * 100.0));
                    last_line = (status.to_string(), decile);
                }
            }
            None => {}
        }
        true
    };
    let outcome = run_scenario(
        scenario,
        base,
        RunOptions {
            out_dir: Some(out_dir),
            seed,
            progress: &mut progress,
        },
    );
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    outcome
}

/// What `run` prints: the summary as JSON, or a few lines and the files.
fn print_run(out: &mut impl Write, outcome: &RunOutcome, json: bool, quiet: bool) -> Result<(), Failure> {
    if json {
        writeln!(out, "{}", to_json(&outcome.report)?)?;
    } else if !quiet {
        let t = &outcome.report.summary.totals;
        writeln!(
            out,
            "{}: {} spacecraft, {:.1} h simulated in {:.1} s",
            outcome.report.run.scenario,
            outcome.report.summary.spacecraft.len(),
            outcome.report.summary.duration_s / 3_600.0,
            outcome.report.run.wall_s
        )?;
        writeln!(
            out,
            "images: {} captured, {} inferred on board, {} dropped as cloudy, {} downlinked; {:.1} MB of downlink saved",
            t.images_captured,
            t.images_inferred,
            t.images_dropped_cloudy,
            t.images_downlinked,
            t.bytes_saved / 1e6
        )?;
        for file in &outcome.files {
            writeln!(out, "  {}", file.display())?;
        }
    }
    Ok(())
}
