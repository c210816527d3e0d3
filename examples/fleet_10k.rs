//! Scale check: 10 000 spacecraft (power, thermal), 3 ground stations, one day
//! at 10 s fixed steps, on every core; prints wall time and peak memory.
//!
//! Run: `cargo run --release --example fleet_10k [COUNT] [TELEMETRY_INTERVAL_S]`
//! (defaults 10 000 and 600 s).

use std::time::Instant;

use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;
use orbitedge::sim::{Simulation, SimulationConfig, Stepping};
use orbitedge::spacecraft::Spacecraft;

fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> Result<()> {
    let count: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let pattern = WalkerDelta {
        total: count,
        planes: 100.min(count),
        phasing: 1,
        altitude_km: 550.0,
        inclination_deg: 97.6,
    };
    let fleet: Vec<Spacecraft> = Satellite::walker("sat", &pattern, epoch, AnalyticModel::J2)?
        .into_iter()
        .map(|s| Spacecraft::cubesat_6u(s.name.clone(), s))
        .collect();
    let stations = vec![
        GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 5.0)?,
        GroundStation::new("Svalbard", 78.2298, 15.4078, 500.0, 5.0)?,
        GroundStation::new("Matera", 40.649, 16.704, 536.0, 5.0)?,
    ];
    let config = SimulationConfig {
        telemetry_interval_s: std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(600.0),
        ..Default::default()
    };
    let clock = Instant::now();
    let mut sim = Simulation::with_config(epoch, fleet, stations, 1, config)?;
    sim.run(epoch + Duration::from_days(1.0), Stepping::Fixed { step_s: 10.0 })?;
    let seconds = clock.elapsed().as_secs_f64();
    println!(
        "{count} spacecraft, 1 day, 10 s steps, {} threads: {seconds:.1} s wall, peak memory {:.0} MB, {} events, {} telemetry rows",
        rayon::current_num_threads(),
        peak_memory_mb().unwrap_or(f64::NAN),
        sim.events().len(),
        sim.telemetry().len()
    );
    assert!(sim
        .snapshots()
        .all(|now| now.soc().is_some_and(|soc| (0.0..=1.0).contains(&soc))));
    Ok(())
}
