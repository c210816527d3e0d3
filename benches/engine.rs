//! Engine speed. The PASEOS baseline (≈ 19 simulated s per wall s for this
//! scenario on this machine, from the issue) cannot run here; the in-run
//! baseline is the same engine at 1 s fixed steps, against which event-driven
//! mode is compared.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;
use orbitedge::sim::{Simulation, SimulationConfig, Stepping};
use orbitedge::spacecraft::{RadioConfig, RateModel, Spacecraft};

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
            let mut sc = Spacecraft::cubesat_6u(s.name.clone(), s);
            // A radio, so that spacecraft claim stations and have contacts
            // (a spacecraft without one claims none since issue 14).
            sc.radios = vec![RadioConfig {
                name: "s-band".into(),
                rate: RateModel::Fixed { rate_bps: 2e6 },
                transmit_power_w: 4.0,
                partitions: Vec::new(),
                stations: Vec::new(),
                inter_satellite: false,
                max_range_km: None,
            }];
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

/// One day of `count` spacecraft; the sync interval equals the telemetry
/// interval unless `sync_interval_s` says otherwise (as before issue 13, when
/// telemetry instants were the sync points: the figures stay comparable).
fn run(count: u32, stepping: Stepping, telemetry_interval_s: f64, sync_interval_s: Option<f64>) {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let config = SimulationConfig {
        telemetry_interval_s,
        sync_interval_s: sync_interval_s.unwrap_or(telemetry_interval_s),
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
        b.iter(|| pool.install(|| run(100, Stepping::Fixed { step_s: 10.0 }, 60.0, None)))
    });
    group.bench_function("event-driven", |b| {
        b.iter(|| pool.install(|| run(100, Stepping::EventDriven, 600.0, None)))
    });
    // The default sync grid (60 s) under 600 s telemetry: what the default costs.
    group.bench_function("event-driven, sync every 60 s", |b| {
        b.iter(|| pool.install(|| run(100, Stepping::EventDriven, 600.0, Some(60.0))))
    });
    group.bench_function("baseline: fixed 1 s", |b| {
        b.iter(|| pool.install(|| run(100, Stepping::Fixed { step_s: 1.0 }, 600.0, None)))
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
