//! Scheduler and bookkeeping overhead of onboard processing, excluding
//! inference itself (modeled latency). In-run baseline: the same constellation
//! capturing the same tiles with no computer; the difference divided by the
//! number of jobs is the cost per job (target ≤ 1 µs). The queue alone is
//! measured too.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use orbitedge::compute::{
    ComputerConfig, DeviceProfile, ImagerConfig, Job, JobQueue, Latency, ModelSpec, Policy,
};
use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;
use orbitedge::sim::{Simulation, SimulationConfig, Stepping};
use orbitedge::spacecraft::Spacecraft;

const SPACECRAFT: u32 = 10;

fn fleet(with_computer: bool) -> Vec<Spacecraft> {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let pattern = WalkerDelta {
        total: SPACECRAFT,
        planes: 5,
        phasing: 1,
        altitude_km: 550.0,
        inclination_deg: 97.6,
    };
    Satellite::walker("sat", &pattern, epoch, AnalyticModel::J2)
        .unwrap()
        .into_iter()
        .map(|s| {
            let mut sc = Spacecraft::cubesat_6u(s.name.clone(), s);
            sc.storage.capacity_bytes = 1e12;
            sc.imager = Some(ImagerConfig {
                capture_interval_s: 10.0,
                ..Default::default()
            });
            if with_computer {
                let model = ModelSpec {
                    name: "detector".into(),
                    flops: 2e10,
                    peak_memory_bytes: 0.0,
                    path: None,
                    precision: Default::default(),
                };
                let mut computer = ComputerConfig::new(DeviceProfile::shipped("unibap-ix10").unwrap(), model);
                computer.latency = Latency::Given { latency_s: 2.0 };
                computer.policy = Policy::Priority;
                computer.min_soc = 0.2;
                sc.computer = Some(computer);
            }
            sc
        })
        .collect()
}

fn run(with_computer: bool) -> u64 {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let config = SimulationConfig {
        telemetry_interval_s: 600.0,
        ..Default::default()
    };
    let mut sim = Simulation::with_config(epoch, fleet(with_computer), vec![], 1, config).unwrap();
    sim.run(epoch + Duration::from_days(1.0), Stepping::EventDriven)
        .unwrap();
    sim.snapshots()
        .map(|now| now.onboard().map_or(0, |o| o.counters().jobs_started))
        .sum()
}

fn onboard(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let jobs = pool.install(|| run(true));
    println!("jobs per run: {jobs} (divide the difference of the two engine timings by it)");
    let mut group = c.benchmark_group("onboard_10_sc_1_day_capture_10_s_one_thread");
    group.sample_size(10);
    group.bench_function("baseline: imager only", |b| {
        b.iter(|| pool.install(|| run(false)))
    });
    group.bench_function("imager + computer", |b| b.iter(|| pool.install(|| run(true))));
    group.finish();

    let mut group = c.benchmark_group("job_queue_10k_push_pop");
    for policy in [Policy::Fifo, Policy::Priority] {
        group.bench_function(format!("{policy:?}"), |b| {
            b.iter(|| {
                let mut queue = JobQueue::default();
                for id in 0..10_000u64 {
                    let job = Job {
                        id,
                        captured_s: id as f64,
                        priority: (id % 7) as u32,
                        bytes: 1.0,
                        cloud_cover: 0.5,
                        attempts: 0,
                    };
                    queue.push(policy, job);
                }
                let mut n = 0;
                while queue.pop().is_some() {
                    n += 1;
                }
                n
            })
        });
    }
    group.finish();
}

criterion_group!(benches, onboard);
criterion_main!(benches);
