//! `orbitedge serve` (a paced rehearsal behind the local API) and
//! `orbitedge replay` (the same rehearsal, deterministically, from its log).

use std::io::{BufRead, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use orbitedge::rehearsal::compare::{self, simulate_alongside};
use orbitedge::rehearsal::server::{serve, ServeConfig};
use orbitedge::rehearsal::{replay, LagPolicy, LogEntry, Pacer, Session};
use orbitedge::report::{write_report, Summary};
use orbitedge::scenario::{build_scenario, Scenario};
use orbitedge::Error;

use super::{check_report_dir, note, Failure};

/// The fastest pace accepted: beyond it a rehearsal is a plain run
/// (`orbitedge run`), and nothing a flight application does can keep up.
const MAX_MULTIPLIER: f64 = 1e6;
/// The slowest pace accepted (one simulated second per 17 wall-clock minutes).
const MIN_MULTIPLIER: f64 = 1e-3;
/// Slot bounds, ms: below 0.1 ms updates only cost locking; above 1 s the API
/// lags by that much, and the pacing thread, which sleeps a slot at a time,
/// would answer `/v1/shutdown` only after it (a 1e300 ms slot never would).
const SLOT_MS: (f64, f64) = (0.1, 1_000.0);

/// How `orbitedge serve` runs.
#[derive(clap::Args)]
pub struct ServeOptions {
    /// Address to listen on; loopback unless you say otherwise.
    #[arg(long, default_value = "127.0.0.1:8642")]
    pub bind: SocketAddr,
    /// Simulated seconds per wall-clock second, 0.001 to 1e6.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub multiplier: f64,
    /// Wall-clock milliseconds between simulation updates, 0.1 to 1000: what
    /// the API reports is at most this (plus one update) behind the wall clock.
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true)]
    pub slot_ms: f64,
    /// When an update overruns its slot: catch-up (simulated time stays on
    /// the wall clock) or slow (simulated time gives up the overrun).
    #[arg(long, default_value = "catch-up")]
    pub lag_policy: String,
    /// Require `Authorization: Bearer <TOKEN>` (default: $ORBITEDGE_TOKEN if set).
    #[arg(long)]
    pub token: Option<String>,
    /// Serve a non-loopback `--bind` address without a token (refused
    /// otherwise: anyone who can reach it could drive the rehearsal).
    #[arg(long)]
    pub allow_remote: bool,
    /// Report and log directory (default: the scenario's outputs.dir).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed (overrides the scenario's).
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Only print the address.
    #[arg(long)]
    pub quiet: bool,
}

/// The server's settings, checked before anything is built or written.
fn serve_config(options: &ServeOptions) -> Result<ServeConfig, Failure> {
    let token = options
        .token
        .clone()
        .or_else(|| std::env::var("ORBITEDGE_TOKEN").ok().filter(|t| !t.is_empty()));
    let config = ServeConfig {
        bind: options.bind,
        token,
        allow_remote: options.allow_remote,
        ..ServeConfig::default()
    };
    config.validate()?;
    if config.token.is_none() && !config.bind.ip().is_loopback() {
        eprintln!(
            "warning: serving the rehearsal API on {} WITHOUT A TOKEN (--allow-remote): anyone who can \
             reach this address can start loads, write data and shut the rehearsal down",
            config.bind
        );
    }
    Ok(config)
}

/// A file that could not be read (input) or written (output), with its path.
fn io_failure(path: &Path, e: std::io::Error, input: bool) -> Failure {
    let message = format!("{}: {e}", path.display());
    if input {
        Failure::bad_input(message)
    } else {
        Failure::failed(message)
    }
}

/// Refuses a pace outside its documented bounds, before anything starts.
fn check_pace(options: &ServeOptions) -> Result<(), Error> {
    let m = options.multiplier;
    if !(MIN_MULTIPLIER..=MAX_MULTIPLIER).contains(&m) {
        return Err(Error::InvalidParameter {
            name: "--multiplier",
            value: m,
            expected: "from 0.001 to 1e6 simulated seconds per wall-clock second",
        });
    }
    let slot = options.slot_ms;
    if !(SLOT_MS.0..=SLOT_MS.1).contains(&slot) {
        return Err(Error::InvalidParameter {
            name: "--slot-ms",
            value: slot,
            expected: "from 0.1 to 1000 ms",
        });
    }
    Ok(())
}

pub fn serve_command(
    scenario: &Scenario,
    base: &Path,
    options: ServeOptions,
    out: &mut impl Write,
) -> Result<(), Failure> {
    check_pace(&options)?;
    let config = serve_config(&options)?;
    let policy: LagPolicy = options.lag_policy.parse()?;
    let pacer = Pacer::new(options.multiplier, options.slot_ms / 1e3, policy)?;
    let out_dir = options
        .out
        .unwrap_or_else(|| PathBuf::from(&scenario.outputs.dir));
    check_report_dir(&out_dir)?;
    let built = build_scenario(scenario, base, options.seed)?;
    let log_path = out_dir.join("rehearsal.jsonl");
    let log = std::fs::File::create(&log_path).map_err(|e| io_failure(&log_path, e, false))?;
    let end_s = (built.until - built.simulation.start()).to_seconds();
    let session = Session::new(built.simulation, end_s)?;
    let server = serve(session, pacer, config, Some(Box::new(BufWriter::new(log))))?;
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        // Without a handler Ctrl-C still ends the process; the log is already on disk.
        let _ = ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst));
    }
    // The address first, on stdout, so a launcher can read it. A launcher that
    // closed stdout (it has the address or gave up on it) does not stop the
    // rehearsal: the API, Ctrl-C and /v1/shutdown still do.
    let _ = writeln!(out, "http://{}", server.addr()).and_then(|()| out.flush());
    if !options.quiet {
        note(format_args!(
            "rehearsal of {:?}: {:.1} h at {}× the wall clock; log {}; stop with Ctrl-C or POST /v1/shutdown",
            scenario.name,
            end_s / 3_600.0,
            options.multiplier,
            log_path.display()
        ));
    }
    let mut failure_told = false;
    while !server.stopping() && !interrupted.load(Ordering::SeqCst) {
        if let (Some(failure), false) = (server.failure(), failure_told) {
            eprintln!("error: {failure}; the API answers 503 until it is shut down");
            failure_told = true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let session = server.join()?;
    write_report(session.simulation(), &built.info, &out_dir, built.plots)?;
    if let Some(failure) = session.failure() {
        // Exit 1 (as for an engine error in `orbitedge run`), after writing what there is.
        return Err(Failure::failed(format!(
            "{failure}; the report and the log (rehearsal.jsonl) up to the failure are in {}",
            out_dir.display()
        )));
    }
    if !options.quiet {
        note(format_args!(
            "stopped at {:.1} simulated s; report and log in {}",
            session.elapsed_s(),
            out_dir.display()
        ));
    }
    Ok(())
}

/// How `orbitedge replay` runs (its flags besides the log).
pub struct ReplayOptions {
    /// Report directory (default: the scenario's outputs.dir).
    pub out: Option<PathBuf>,
    /// Seed override.
    pub seed: Option<u64>,
    /// Also simulate without the application and write comparison.md.
    pub compare: bool,
}

/// The entries of a rehearsal log.
fn read_log(log_path: &Path) -> Result<Vec<LogEntry>, Failure> {
    let file = std::fs::File::open(log_path).map_err(|e| io_failure(log_path, e, true))?;
    let mut entries = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| io_failure(log_path, e, true))?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: LogEntry = serde_json::from_str(&line).map_err(|e| {
            Failure::bad_input(format!(
                "{}:{}: not a rehearsal log line: {e}",
                log_path.display(),
                n + 1
            ))
        })?;
        entries.push(entry);
    }
    Ok(entries)
}

pub fn replay_command(
    scenario: &Scenario,
    base: &Path,
    log_path: &Path,
    options: ReplayOptions,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let ReplayOptions { seed, compare, .. } = options;
    let entries = read_log(log_path)?;
    let out_dir = options
        .out
        .unwrap_or_else(|| PathBuf::from(&scenario.outputs.dir));
    check_report_dir(&out_dir)?;
    let built = build_scenario(scenario, base, seed)?;
    let sim = replay(built.simulation, &entries)?;
    write_report(&sim, &built.info, &out_dir, built.plots)?;
    let comparison = out_dir.join("comparison.md");
    if !compare {
        // One from an earlier replay would compare another run.
        match std::fs::remove_file(&comparison) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_failure(&comparison, e, false))
            }
            _ => {}
        }
    }
    writeln!(
        out,
        "replayed {} log entries to {:.1} simulated s; report in {}",
        entries.len(),
        sim.elapsed_s(),
        out_dir.display()
    )?;
    if compare {
        let pure = build_scenario(scenario, base, seed)?.simulation;
        let pure = simulate_alongside(pure, &sim)?;
        let table = compare::markdown(&Summary::of(&sim), &Summary::of(&pure));
        let text = format!(
            "# Rehearsal vs simulation\n\nThe replayed rehearsal against the same scenario simulated \
             without the application, both to {:.1} s.\n\n{table}",
            sim.elapsed_s()
        );
        std::fs::write(&comparison, text).map_err(|e| io_failure(&comparison, e, false))?;
        writeln!(out, "\n{table}\n(written to {})", comparison.display())?;
    }
    Ok(())
}
