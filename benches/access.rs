//! Event search speed. Baseline in the same run: the scanning approach (sample
//! elevation every 10 s, bisect each sign change to 0.1 ms), which is what
//! most tools do and which can miss passes shorter than its step.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use orbitedge::environment::eclipse::ShadowConfig;
use orbitedge::frames::gmst_rad;
use orbitedge::prelude::*;
use orbitedge::time::julian_date_ut1;

fn scan_windows(sat: &Satellite, station: &GroundStation, start: Epoch, span_s: f64) -> usize {
    let margin = |t: f64| {
        let epoch = start + Duration::from_seconds(t);
        let s = sat.state_at(epoch).unwrap();
        let look = station.look(&s.position_km, &s.velocity_km_s, gmst_rad(julian_date_ut1(epoch)));
        look.topocentric.elevation_deg - station.min_elevation_deg()
    };
    let (mut count, mut t, mut previous) = (0, 0.0, margin(0.0));
    while t < span_s {
        let next = margin(t + 10.0);
        if (previous > 0.0) != (next > 0.0) {
            let (mut a, mut b) = (t, t + 10.0);
            while b - a > 1e-4 {
                let m = 0.5 * (a + b);
                if (margin(m) > 0.0) == (previous > 0.0) {
                    a = m
                } else {
                    b = m
                }
            }
            count += usize::from(next > 0.0);
        }
        t += 10.0;
        previous = next;
    }
    count
}

fn access(c: &mut Criterion) {
    let sats = common::leo_population(100);
    let kiruna = GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 10.0).unwrap();
    let start = sats[0].epoch();
    let end = start + Duration::from_days(1.0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut group = c.benchmark_group("access_100_sats_1_station_1_day_one_thread");
    group.sample_size(10);
    group.bench_function("orbitedge::find_access_windows", |b| {
        b.iter(|| {
            pool.install(|| {
                find_access_windows(
                    &sats,
                    std::slice::from_ref(&kiruna),
                    start,
                    end,
                    &SearchConfig::default(),
                )
            })
            .unwrap()
        })
    });
    group.bench_function("baseline: 10 s scan + bisection", |b| {
        b.iter(|| {
            sats.iter()
                .map(|s| scan_windows(s, &kiruna, start, 86_400.0))
                .sum::<usize>()
        })
    });
    group.finish();
}

fn eclipses(c: &mut Criterion) {
    let sats = common::leo_population(1);
    let start = sats[0].epoch();
    let end = start + Duration::from_days(1.0);
    c.bench_function("eclipse_intervals_1_sat_1_day", |b| {
        b.iter(|| {
            find_eclipse_intervals(
                &sats,
                start,
                end,
                &ShadowConfig::default(),
                &SearchConfig::default(),
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, access, eclipses);
criterion_main!(benches);
