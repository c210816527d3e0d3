//! Propagation throughput. Baseline in the same run: calling the `sgp4` crate
//! directly in a loop (no orbitedge layers), so the ratio shows what the
//! abstraction and batch layout cost.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use orbitedge::batch::propagate_batch;
use orbitedge::orbit::{Orbit, Propagator};
use orbitedge::prelude::*;

fn sgp4_batch(c: &mut Criterion) {
    let sats = common::leo_population(100);
    let start = sats[0].epoch();
    let epochs: Vec<Epoch> = (0..1000)
        .map(|k| start + Duration::from_seconds(60.0 * k as f64))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("sgp4_100x1000_one_thread");
    group.throughput(Throughput::Elements(100 * 1000));
    group.bench_function("orbitedge::propagate_batch", |b| {
        b.iter(|| pool.install(|| propagate_batch(&sats, &epochs).unwrap()))
    });
    let raw: Vec<sgp4::Constants> = sats
        .iter()
        .map(|s| match &s.orbit {
            Orbit::Sgp4(o) => sgp4::Constants::from_elements(o.elements()).unwrap(),
            _ => unreachable!(),
        })
        .collect();
    group.bench_function("baseline: sgp4 crate loop", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for constants in &raw {
                for k in 0..1000 {
                    let p = constants.propagate(sgp4::MinutesSinceEpoch(k as f64)).unwrap();
                    sum += p.position[0];
                }
            }
            sum
        })
    });
    group.finish();
}

fn analytic(c: &mut Criterion) {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let elements = ClassicalElements {
        semi_major_axis_km: 6_928.0,
        eccentricity: 0.001,
        inclination_deg: 97.6,
        raan_deg: 10.0,
        argument_of_perigee_deg: 0.0,
        mean_anomaly_deg: 0.0,
    };
    let mut group = c.benchmark_group("state_after");
    for model in [AnalyticModel::Kepler, AnalyticModel::J2] {
        let sat = Satellite::from_elements("X", epoch, elements, model).unwrap();
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{model:?}")),
            &sat,
            |b, sat| b.iter(|| sat.state_after(1234.5).unwrap()),
        );
    }
    group.finish();
}

criterion_group!(benches, sgp4_batch, analytic);
criterion_main!(benches);
