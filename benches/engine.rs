//! Engine speed. The PASEOS baseline (≈ 19 simulated s per wall s for this
//! scenario on this machine, from the issue) cannot run here; the in-run
//! baseline is the same engine at 1 s fixed steps, against which event-driven
//! mode is compared.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;
use orbitedge::sim::{Simulation, SimulationConfig, Stepping};
use orbitedge::spacecraft::{
    BatteryConfig, PowerConfig, SolarArray, Spacecraft, ThermalConfig, ThermalIntegrator,
};

fn fleet(count: u32) -> Vec<Spacecraft> {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let pattern = WalkerDelta {
        total: count,
        planes: 10.min(count),
        phasing: 1,
        altitude_km: 550.0,
        inclination_deg: 97.6,
    };
    Satellite::walker("sat", &pattern, epoch, AnalyticModel::Kepler)
        .unwrap()
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
        .collect()
}

fn stations() -> Vec<GroundStation> {
    vec![
        GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 5.0).unwrap(),
        GroundStation::new("Svalbard", 78.2298, 15.4078, 500.0, 5.0).unwrap(),
        GroundStation::new("Matera", 40.649, 16.704, 536.0, 5.0).unwrap(),
    ]
}

fn run(count: u32, stepping: Stepping, telemetry_interval_s: f64) {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let config = SimulationConfig {
        telemetry_interval_s,
        ..Default::default()
    };
    let mut sim = Simulation::with_config(epoch, fleet(count), stations(), 1, config).unwrap();
    sim.run(epoch + Duration::from_days(1.0), stepping).unwrap();
}

fn engine(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("engine_100_sc_1_day_3_stations_one_thread");
    group.sample_size(10);
    group.bench_function("fixed 10 s", |b| {
        b.iter(|| pool.install(|| run(100, Stepping::Fixed { step_s: 10.0 }, 60.0)))
    });
    group.bench_function("event-driven", |b| {
        b.iter(|| pool.install(|| run(100, Stepping::EventDriven, 600.0)))
    });
    group.bench_function("baseline: fixed 1 s", |b| {
        b.iter(|| pool.install(|| run(100, Stepping::Fixed { step_s: 1.0 }, 600.0)))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
