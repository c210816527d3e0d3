//! `orbitedge`: run scenarios, check them, and look at their windows, eclipses
//! and devices from the command line.
//!
//! Exit codes: 0 success, 2 bad input (the message says what and where), 1
//! internal error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orbitedge::compute::DeviceProfile;
use orbitedge::prelude::*;
use orbitedge::scenario::{run_scenario, RunOptions, Scenario, DEFAULT_SCENARIO_TOML};
use orbitedge::Error;

#[path = "cli/rehearse.rs"]
mod rehearse;

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
        #[arg(long)]
        seed: Option<u64>,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
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
        #[arg(long)]
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

/// A failure and its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let internal = matches!(error, Error::Propagation { .. });
        Failure {
            code: if internal { 1 } else { 2 },
            message: error.to_string(),
        }
    }
}

fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
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
        let prepared = scenario.prepare(&base)?;
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
    match execute(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn execute(command: Command) -> Result<(), Failure> {
    match command {
        Command::Run {
            scenario,
            out,
            seed,
            threads,
            quiet,
            json,
        } => {
            let (scenario, base) = load(scenario.as_deref())?;
            let run = || run_command(&scenario, &base, out, seed, quiet, json);
            match threads {
                Some(0) => Err(bad_input("--threads must be at least 1")),
                Some(n) => rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| bad_input(format!("cannot start {n} threads: {e}")))?
                    .install(run),
                None => run(),
            }
        }
        Command::Serve { scenario, options } => {
            let (scenario, base) = load(scenario.as_deref())?;
            rehearse::serve_command(&scenario, &base, options)
        }
        Command::Replay {
            log,
            scenario,
            out,
            seed,
            compare,
        } => {
            let (scenario, base) = load(scenario.as_deref())?;
            rehearse::replay_command(&scenario, &base, &log, out, seed, compare)
        }
        Command::Validate { scenario } => {
            let (parsed, base) = Scenario::from_path(&scenario)?;
            let prepared = parsed.prepare(&base)?;
            println!(
                "{}: ok ({} spacecraft, {} stations, {} h)",
                scenario.display(),
                prepared.simulation.spacecraft().len(),
                prepared.simulation.stations().len(),
                parsed.duration_h
            );
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
            if csv {
                println!("satellite,station,rise,culmination,set,duration_s,max_elevation_deg");
            } else {
                println!(
                    "{:<14} {:<10} {:<24} {:<24} {:>9} {:>8}",
                    "satellite", "station", "rise (UTC)", "set (UTC)", "length s", "max el°"
                );
            }
            for w in &windows {
                if csv {
                    println!(
                        "{},{},{},{},{},{:.3},{:.3}",
                        w.satellite,
                        w.station,
                        w.rise,
                        w.culmination,
                        w.set,
                        w.duration_s(),
                        w.max_elevation_deg
                    );
                } else {
                    println!(
                        "{:<14} {:<10} {:<24} {:<24} {:>9.1} {:>8.2}",
                        w.satellite,
                        w.station,
                        short(w.rise),
                        short(w.set),
                        w.duration_s(),
                        w.max_elevation_deg
                    );
                }
            }
            Ok(())
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
            if csv {
                println!("satellite,kind,start,end,duration_s");
            } else {
                println!(
                    "{:<14} {:<9} {:<24} {:<24} {:>9}",
                    "satellite", "kind", "start (UTC)", "end (UTC)", "length s"
                );
            }
            for e in &eclipses {
                let kind = match e.kind {
                    EclipseKind::Umbra => "umbra",
                    EclipseKind::Penumbra => "penumbra",
                };
                let length = (e.end - e.start).to_seconds();
                if csv {
                    println!("{},{kind},{},{},{length:.3}", e.satellite, e.start, e.end);
                } else {
                    println!(
                        "{:<14} {:<9} {:<24} {:<24} {:>9.1}",
                        e.satellite,
                        kind,
                        short(e.start),
                        short(e.end),
                        length
                    );
                }
            }
            Ok(())
        }
        Command::Devices { json } => {
            let profiles = DeviceProfile::all_shipped()?;
            if json {
                let text = serde_json::to_string_pretty(&profiles).map_err(|e| Failure {
                    code: 1,
                    message: e.to_string(),
                })?;
                println!("{text}");
            } else {
                println!(
                    "{:<12} {:>7} {:>7} {:>7} {:>9} {:>7}  summary",
                    "device", "idle W", "busy W", "GFLOP/s", "RAM GiB", "boot s"
                );
                for p in &profiles {
                    println!(
                        "{:<12} {:>7.1} {:>7.1} {:>7.1} {:>9.1} {:>7.0}  {}",
                        p.name,
                        p.power_idle_w.value,
                        p.power_busy_w.value,
                        p.throughput_gflops.value,
                        p.ram_bytes.value / (1u64 << 30) as f64,
                        p.boot_s.value,
                        p.summary
                    );
                }
                println!("\nEvery number carries a source and a confidence: `orbitedge devices --json`.");
            }
            Ok(())
        }
        Command::Init { path, force } => {
            if path.exists() && !force {
                return Err(bad_input(format!(
                    "{} exists; use --force to overwrite it",
                    path.display()
                )));
            }
            std::fs::write(&path, DEFAULT_SCENARIO_TOML)
                .map_err(|e| bad_input(format!("cannot write {}: {e}", path.display())))?;
            println!(
                "wrote {}; run it with `orbitedge run {}`",
                path.display(),
                path.display()
            );
            Ok(())
        }
    }
}

fn short(epoch: hifitime::Epoch) -> String {
    let text = epoch.to_string();
    text.get(..19).unwrap_or(&text).replace('T', " ")
}

fn run_command(
    scenario: &Scenario,
    base: &Path,
    out: Option<PathBuf>,
    seed: Option<u64>,
    quiet: bool,
    json: bool,
) -> Result<(), Failure> {
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
                    eprintln!("{status}: {:.0} %", done * 100.0);
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
            out_dir: out,
            seed,
            progress: &mut progress,
        },
    )?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if json {
        let text = serde_json::to_string_pretty(&outcome.report).map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        })?;
        println!("{text}");
    } else if !quiet {
        let t = &outcome.report.summary.totals;
        println!(
            "{}: {} spacecraft, {:.1} h simulated in {:.1} s",
            outcome.report.run.scenario,
            outcome.report.summary.spacecraft.len(),
            outcome.report.summary.duration_s / 3_600.0,
            outcome.report.run.wall_s
        );
        println!(
            "images: {} captured, {} inferred on board, {} dropped as cloudy, {} downlinked; {:.1} MB of downlink saved",
            t.images_captured,
            t.images_inferred,
            t.images_dropped_cloudy,
            t.images_downlinked,
            t.bytes_saved / 1e6
        );
        for file in &outcome.files {
            println!("  {}", file.display());
        }
    }
    Ok(())
}
