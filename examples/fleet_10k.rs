//! Scale check: 10 000 spacecraft (power, thermal), 3 ground stations, one day
//! at 10 s fixed steps, on every core; prints wall time and peak memory.
//!
//! Run: `cargo run --release --example fleet_10k [COUNT]`

use std::time::Instant;

use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;
use orbitedge::sim::{Simulation, SimulationConfig, Stepping};
use orbitedge::spacecraft::{
    BatteryConfig, PowerConfig, SolarArray, Spacecraft, ThermalConfig, ThermalIntegrator,
};

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
        .map(|s| {
            let mut sc = Spacecraft::new(s.name.clone(), s);
            sc.power = Some(PowerConfig {
                solar_array: SolarArray {
                    area_m2: 0.1,
                    efficiency: 0.3,
                    degradation_per_year: 0.0275,
                    age_years: 0.0,
                    pointing: Default::default(),
                },
                battery: BatteryConfig {
                    capacity_wh: 40.0,
                    initial_soc: 0.8,
                    charge_efficiency: 0.95,
                    discharge_efficiency: 0.95,
                    min_soc: 0.2,
                },
                bus_load_w: 8.0,
            });
            sc.thermal = Some(ThermalConfig {
                mass_kg: 12.0,
                heat_capacity_j_per_kg_k: 900.0,
                absorptivity: 0.6,
                emissivity: 0.8,
                area_sun_m2: 0.1,
                area_earth_m2: 0.1,
                area_radiating_m2: 0.6,
                albedo: 0.3,
                albedo_factor: 0.5,
                earth_emissivity: 0.6,
                earth_temperature_k: 288.0,
                heat_fraction: 0.5,
                initial_temperature_k: 290.0,
                integrator: ThermalIntegrator::Exact,
            });
            sc
        })
        .collect();
    let stations = vec![
        GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 5.0)?,
        GroundStation::new("Svalbard", 78.2298, 15.4078, 500.0, 5.0)?,
        GroundStation::new("Matera", 40.649, 16.704, 536.0, 5.0)?,
    ];
    let config = SimulationConfig {
        telemetry_interval_s: 600.0,
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
    assert!(sim.states().iter().all(|s| (0.0..=1.0).contains(&s.soc())));
    Ok(())
}
