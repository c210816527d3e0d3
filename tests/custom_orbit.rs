//! A custom orbit (states from code, sampled every 60 s and interpolated) in
//! every search and in the engine: wrapping a satellite's own propagation, it
//! must find the windows the satellite's analytic model finds, to the search
//! tolerance. The interpolation moves a LEO position by ≤ 0.34 m, i.e. an edge
//! by ≈ 0.34 m / 7.6 km/s ≈ 0.05 ms at the shadow boundary and less at a rise
//! or set, so edges agree to about the searches' 0.1 ms refinement. Measured
//! worst differences: eclipses 0.16 ms, passes 0.31 ms (peak elevation 2e-5°),
//! links 0.18 ms (closest range 0.2 m), engine events 0.19 ms; asserted within
//! 1 ms (`EDGE_S`), with the same number of windows and events.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use orbitedge::orbit::custom::{FnOrbit, SampledOrbit, Sampling};
use orbitedge::prelude::*;
use orbitedge::sim::{Simulation, Stepping};
use orbitedge::time::seconds_between;

use common::{cubesats, epoch, kiruna};

/// Largest difference allowed between an edge on the custom orbit and on the analytic one, s.
const EDGE_S: f64 = 1e-3;

/// The same satellite, its states asked of its own propagator through a closure.
fn as_custom(satellite: &Satellite) -> Satellite {
    let reference = satellite.clone();
    let source = Arc::new(FnOrbit(move |t_s| reference.state_after(t_s)));
    let orbit = SampledOrbit::new(satellite.epoch(), source, Sampling::default()).unwrap();
    Satellite::new(satellite.name.clone(), orbit)
}

fn fleet() -> Vec<Satellite> {
    cubesats("sat", 3, 3, 1, &[])
        .into_iter()
        .map(|sc| sc.satellite)
        .collect()
}

fn gap(a: Epoch, b: Epoch) -> f64 {
    seconds_between(a, b).abs()
}

#[test]
fn eclipses_on_a_custom_orbit_are_the_analytic_eclipses() {
    let analytic = fleet();
    let custom: Vec<Satellite> = analytic.iter().map(as_custom).collect();
    let (start, end) = (epoch(), epoch() + Duration::from_days(2.0));
    let shadow = ShadowConfig::default();
    let a = find_eclipse_intervals(&analytic, start, end, &shadow, &SearchConfig::default()).unwrap();
    let c = find_eclipse_intervals(&custom, start, end, &shadow, &SearchConfig::default()).unwrap();
    assert_eq!(a.len(), c.len());
    assert!(a.len() > 150, "{} intervals", a.len()); // 3 satellites, 2 days, umbra and penumbra
    let worst = a
        .iter()
        .zip(&c)
        .map(|(x, y)| {
            assert_eq!((x.kind, x.satellite_index), (y.kind, y.satellite_index));
            gap(x.start, y.start).max(gap(x.end, y.end))
        })
        .fold(0.0, f64::max);
    assert!(worst < EDGE_S, "worst edge difference {worst} s");
}

#[test]
fn passes_on_a_custom_orbit_are_the_analytic_passes() {
    let analytic = fleet();
    let custom: Vec<Satellite> = analytic.iter().map(as_custom).collect();
    let stations = vec![
        kiruna(),
        GroundStation::new("Matera", 40.6486, 16.7046, 536.9, 10.0).unwrap(),
        GroundStation::new("Equator", 0.0, -60.0, 0.0, 0.0).unwrap(),
    ];
    let (start, end) = (epoch(), epoch() + Duration::from_days(2.0));
    let a = find_access_windows(&analytic, &stations, start, end, &SearchConfig::default()).unwrap();
    let c = find_access_windows(&custom, &stations, start, end, &SearchConfig::default()).unwrap();
    assert_eq!(a.len(), c.len());
    assert!(a.len() > 50, "{} passes", a.len());
    for (x, y) in a.iter().zip(&c) {
        assert_eq!(
            (x.satellite_index, x.station_index),
            (y.satellite_index, y.station_index)
        );
        let worst = gap(x.rise, y.rise).max(gap(x.set, y.set));
        assert!(worst < EDGE_S, "{x:?} vs {y:?}: {worst} s");
        assert!(
            (x.max_elevation_deg - y.max_elevation_deg).abs() < 1e-4,
            "{x:?} vs {y:?}"
        );
    }
}

/// Three J2 satellites at 550, 1 200 and 800 km that drift in and out of sight.
fn drifting() -> Vec<Satellite> {
    [(550.0, 97.6, 0.0), (1_200.0, 97.6, 0.0), (800.0, 53.0, 40.0)]
        .iter()
        .enumerate()
        .map(|(k, (altitude_km, inclination_deg, raan_deg))| {
            let elements = ClassicalElements {
                semi_major_axis_km: 6_378.137 + altitude_km,
                eccentricity: 0.001,
                inclination_deg: *inclination_deg,
                raan_deg: *raan_deg,
                argument_of_perigee_deg: 0.0,
                mean_anomaly_deg: 0.0,
            };
            Satellite::from_elements(format!("drift-{k}"), epoch(), elements, AnalyticModel::J2).unwrap()
        })
        .collect()
}

#[test]
fn links_between_custom_orbits_are_the_analytic_links() {
    let analytic = drifting();
    let custom: Vec<Satellite> = analytic.iter().map(as_custom).collect();
    let sight = LineOfSight::new(80.0, Some(5_000.0)).unwrap();
    let (start, end) = (epoch(), epoch() + Duration::from_days(2.0));
    let a = find_link_windows(&analytic, start, end, &sight, &SearchConfig::default()).unwrap();
    let c = find_link_windows(&custom, start, end, &sight, &SearchConfig::default()).unwrap();
    assert_eq!(a.len(), c.len());
    assert!(a.len() > 10, "{} links", a.len());
    for (x, y) in a.iter().zip(&c) {
        let worst = gap(x.start, y.start).max(gap(x.end, y.end));
        assert!(worst < EDGE_S, "{x:?} vs {y:?}: {worst} s");
        assert!((x.min_range_km - y.min_range_km).abs() < 1e-3, "{x:?} vs {y:?}");
    }
}

fn simulation(custom: bool) -> Simulation {
    let mut fleet = cubesats("sat", 3, 3, 1, &[]);
    if custom {
        for sc in &mut fleet {
            sc.satellite = as_custom(&sc.satellite);
        }
    }
    Simulation::new(epoch(), fleet, vec![kiruna()], 7).unwrap()
}

#[test]
fn a_day_in_the_engine_on_custom_orbits_is_the_analytic_day() {
    let (mut a, mut c) = (simulation(false), simulation(true));
    let end = epoch() + Duration::from_days(1.0);
    a.run(end, Stepping::EventDriven).unwrap();
    c.run(end, Stepping::EventDriven).unwrap();
    assert_eq!(a.events().len(), c.events().len());
    let contacts = a
        .events()
        .iter()
        .filter(|e| e.kind.name() == "contact_started")
        .count();
    assert!(contacts > 3, "{contacts} contacts");
    for (x, y) in a.events().iter().zip(c.events()) {
        assert_eq!(
            (&x.spacecraft, std::mem::discriminant(&x.kind)),
            (&y.spacecraft, std::mem::discriminant(&y.kind))
        );
        assert!((x.elapsed_s - y.elapsed_s).abs() < EDGE_S, "{x:?} vs {y:?}");
    }
    for (x, y) in a.snapshots().zip(c.snapshots()) {
        assert!((x.soc().unwrap() - y.soc().unwrap()).abs() < 1e-6, "{}", x.name());
        let bytes = x.downlinked_bytes();
        assert!(
            (bytes - y.downlinked_bytes()).abs() <= 1e-6 * bytes,
            "{}",
            x.name()
        );
    }
}

#[test]
fn a_checkpoint_of_a_simulation_on_a_custom_orbit_is_refused_by_name() {
    let err = simulation(true).checkpoint().unwrap_err();
    assert!(matches!(err, Error::Checkpoint { .. }), "{err}");
    assert!(
        err.to_string().contains("\"sat-P1-S1\" follows a custom orbit"),
        "{err}"
    );
}
