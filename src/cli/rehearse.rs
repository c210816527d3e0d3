//! `orbitedge serve` (a paced rehearsal behind the local API) and
//! `orbitedge replay` (the same rehearsal, deterministically, from its log).

use std::io::{BufRead, BufWriter};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use orbitedge::rehearsal::server::{serve, ServeConfig};
use orbitedge::rehearsal::{replay, LagPolicy, LogEntry, Pacer, Session};
use orbitedge::report::plots::write_plots;
use orbitedge::report::write_report;
use orbitedge::scenario::{build_scenario, Scenario};
use orbitedge::sim::Simulation;

use super::Failure;

/// How `orbitedge serve` runs.
pub struct ServeOptions {
    pub bind: SocketAddr,
    pub multiplier: f64,
    pub slot_ms: f64,
    pub lag_policy: String,
    pub token: Option<String>,
    pub out: Option<PathBuf>,
    pub seed: Option<u64>,
    pub quiet: bool,
}

fn io_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure {
        code: 2,
        message: format!("{}: {e}", path.display()),
    }
}

/// Writes the report of a finished rehearsal or replay.
fn report(
    sim: &Simulation,
    built_info: &orbitedge::report::RunInfo,
    dir: &Path,
    plots: bool,
) -> Result<(), Failure> {
    write_report(sim, built_info, dir)?;
    if plots {
        write_plots(sim, dir)?;
    }
    Ok(())
}

pub fn serve_command(scenario: &Scenario, base: &Path, options: ServeOptions) -> Result<(), Failure> {
    let policy: LagPolicy = options.lag_policy.parse()?;
    let pacer = Pacer::new(options.multiplier, options.slot_ms / 1e3, policy)?;
    let built = build_scenario(scenario, base, options.seed)?;
    let out_dir = options.out.unwrap_or(built.out_dir.clone());
    std::fs::create_dir_all(&out_dir).map_err(|e| io_failure(&out_dir, e))?;
    let log_path = out_dir.join("rehearsal.jsonl");
    let log = std::fs::File::create(&log_path).map_err(|e| io_failure(&log_path, e))?;
    let end_s = (built.until - built.simulation.start()).to_seconds();
    let session = Session::new(built.simulation, end_s)?;
    let config = ServeConfig {
        bind: options.bind,
        token: options.token,
        ..ServeConfig::default()
    };
    let server = serve(session, pacer, config, Some(Box::new(BufWriter::new(log))))?;
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        // Without a handler Ctrl-C still ends the process; the log is already on disk.
        let _ = ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst));
    }
    // The address first, on stdout, so a launcher can read it.
    println!("http://{}", server.addr());
    if !options.quiet {
        eprintln!(
            "rehearsal of {:?}: {:.1} h at {}× the wall clock; log {}; stop with Ctrl-C or POST /v1/shutdown",
            scenario.name,
            end_s / 3_600.0,
            options.multiplier,
            log_path.display()
        );
    }
    while !server.stopping() && !interrupted.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let session = server.join()?;
    report(session.simulation(), &built.info, &out_dir, built.plots)?;
    if !options.quiet {
        eprintln!(
            "stopped at {:.1} simulated s; report and log in {}",
            session.elapsed_s(),
            out_dir.display()
        );
    }
    Ok(())
}

pub fn replay_command(
    scenario: &Scenario,
    base: &Path,
    log_path: &Path,
    out: Option<PathBuf>,
    seed: Option<u64>,
) -> Result<(), Failure> {
    let file = std::fs::File::open(log_path).map_err(|e| io_failure(log_path, e))?;
    let mut entries = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| io_failure(log_path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: LogEntry = serde_json::from_str(&line).map_err(|e| Failure {
            code: 2,
            message: format!("{}:{}: not a rehearsal log line: {e}", log_path.display(), n + 1),
        })?;
        entries.push(entry);
    }
    let built = build_scenario(scenario, base, seed)?;
    let sim = replay(built.simulation, &entries)?;
    let out_dir = out.unwrap_or(built.out_dir.clone());
    report(&sim, &built.info, &out_dir, built.plots)?;
    println!(
        "replayed {} log entries to {:.1} simulated s; report in {}",
        entries.len(),
        sim.elapsed_s(),
        out_dir.display()
    );
    Ok(())
}
