//! Same inputs ⇒ bit-identical outputs, whatever the number of threads.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::access::{find_access_windows, find_eclipse_intervals, find_link_windows, SearchConfig};
use orbitedge::batch::propagate_batch;
use orbitedge::environment::eclipse::ShadowConfig;
use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;

fn on_threads<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(work)
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let pattern = WalkerDelta {
        total: 12,
        planes: 3,
        phasing: 1,
        altitude_km: 550.0,
        inclination_deg: 97.6,
    };
    let sats = Satellite::walker("W", &pattern, epoch, AnalyticModel::J2).unwrap();
    let stations = vec![
        GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 5.0).unwrap(),
        GroundStation::new("Matera", 40.649, 16.704, 536.0, 10.0).unwrap(),
    ];
    let end = epoch + Duration::from_hours(12.0);
    let epochs: Vec<Epoch> = (0..500)
        .map(|k| epoch + Duration::from_seconds(97.0 * k as f64))
        .collect();
    let run = || {
        let config = SearchConfig::default();
        (
            find_access_windows(&sats, &stations, epoch, end, &config).unwrap(),
            find_eclipse_intervals(&sats, epoch, end, &ShadowConfig::default(), &config).unwrap(),
            find_link_windows(&sats[..4], epoch, end, &LineOfSight::default(), &config).unwrap(),
            propagate_batch(&sats, &epochs).unwrap(),
        )
    };
    let one = on_threads(1, run);
    let two = on_threads(2, run);
    let four = on_threads(4, run);
    assert!(!one.0.is_empty() && !one.1.is_empty());
    assert_eq!(one, two);
    assert_eq!(one, four);
}

/// A fleet whose every pair is followed logs thousands of link edges per
/// group of sync points (pairs walked in parallel, events sorted by packed
/// keys): the event log is the same whatever the thread count.
#[test]
fn link_events_do_not_depend_on_thread_count() {
    use orbitedge::sim::{Simulation, Stepping};
    use orbitedge::spacecraft::{RadioConfig, RateModel, Spacecraft};
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let pattern = WalkerDelta {
        total: 100,
        planes: 10,
        phasing: 1,
        altitude_km: 550.0,
        inclination_deg: 53.0,
    };
    let sats = Satellite::walker("W", &pattern, epoch, AnalyticModel::J2).unwrap();
    let run = || {
        let fleet = (sats.iter())
            .map(|sat| {
                let mut sc = Spacecraft::new(sat.name.clone(), sat.clone());
                sc.radios = vec![RadioConfig {
                    name: "isl".into(),
                    rate: RateModel::Fixed { rate_bps: 1e6 },
                    transmit_power_w: 5.0,
                    partitions: vec!["products".into()],
                    stations: vec![],
                    inter_satellite: true,
                    max_range_km: None,
                }];
                sc
            })
            .collect();
        let mut sim = Simulation::new(epoch, fleet, vec![], 1).unwrap();
        sim.run(epoch + Duration::from_hours(1.0), Stepping::EventDriven)
            .unwrap();
        sim.events().to_vec()
    };
    let one = on_threads(1, run);
    let two = on_threads(2, run);
    let links = one.iter().filter(|e| e.kind.name() == "link_started").count();
    assert!(links > 2_000, "{links} link starts");
    assert_eq!(one, two);
}
