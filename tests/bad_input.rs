//! Bad input gets a typed error with a message that says what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::access::{find_access_windows, find_eclipse_intervals, SearchConfig};
use orbitedge::environment::eclipse::ShadowConfig;
use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::orbit::ClassicalElements;
use orbitedge::prelude::*;

const L1: &str = "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991";
const L2: &str = "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482";

fn elements(e: f64) -> ClassicalElements {
    ClassicalElements {
        semi_major_axis_km: 7_000.0,
        eccentricity: e,
        inclination_deg: 50.0,
        raan_deg: 0.0,
        argument_of_perigee_deg: 0.0,
        mean_anomaly_deg: 0.0,
    }
}

#[test]
fn malformed_tles() {
    let cases = [
        (format!("{}8", &L1[..68]), L2.to_string(), "checksum"),
        (L1[..50].to_string(), L2.to_string(), "69 characters"),
        (L1.to_string(), L1.to_string(), "must start with '2'"),
        (
            L1.replace("19343.69339541", "19343.6933954x"),
            L2.to_string(),
            "checksum",
        ),
    ];
    for (l1, l2, expected) in cases {
        let err = Satellite::from_tle("X", &l1, &l2).unwrap_err();
        assert!(matches!(err, Error::Tle { .. }), "{err:?}");
        assert!(
            err.to_string().contains(expected),
            "{err} should mention {expected}"
        );
    }
}

#[test]
fn malformed_omm() {
    for text in ["", "{", "[{\"OBJECT_NAME\": \"X\"}]", "KEY WITHOUT EQUALS"] {
        assert!(
            matches!(Satellite::from_omm(text), Err(Error::Omm { .. })),
            "{text:?}"
        );
    }
}

#[test]
fn non_finite_and_out_of_range_numbers() {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    for e in [1.0, 1.5, -0.1, f64::NAN] {
        let err = Satellite::from_elements("X", epoch, elements(e), AnalyticModel::Kepler).unwrap_err();
        assert!(err.to_string().contains("eccentricity"), "{err}");
    }
    let mut bad = elements(0.0);
    bad.semi_major_axis_km = f64::INFINITY;
    assert!(Satellite::from_elements("X", epoch, bad, AnalyticModel::J2).is_err());
    let state = StateVector {
        position_km: nalgebra::Vector3::new(7_000.0, f64::NAN, 0.0),
        velocity_km_s: nalgebra::Vector3::new(0.0, 7.5, 0.0),
    };
    assert!(Satellite::from_state("X", epoch, &state, AnalyticModel::Kepler).is_err());
    let walker = WalkerDelta {
        total: 6,
        planes: 3,
        phasing: 0,
        altitude_km: -500.0,
        inclination_deg: 53.0,
    };
    let err = Satellite::walker("W", &walker, epoch, AnalyticModel::J2).unwrap_err();
    assert!(err.to_string().contains("altitude_km"), "{err}");
    assert!(GroundStation::new("X", 0.0, 0.0, f64::NAN, 5.0).is_err());
    assert!(GroundStation::new("X", 0.0, 0.0, 0.0, 95.0).is_err());
}

#[test]
fn intervals_and_empty_inputs() {
    let sat = Satellite::from_tle("ISS", L1, L2).unwrap();
    let station = GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 5.0).unwrap();
    let start = sat.epoch();
    let earlier = start - Duration::from_hours(1.0);
    let config = SearchConfig::default();
    let err = find_access_windows(
        std::slice::from_ref(&sat),
        std::slice::from_ref(&station),
        start,
        earlier,
        &config,
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInterval { .. }), "{err}");
    assert!(matches!(
        find_access_windows(&[], std::slice::from_ref(&station), earlier, start, &config),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        find_access_windows(std::slice::from_ref(&sat), &[], earlier, start, &config),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        find_eclipse_intervals(&[], earlier, start, &ShadowConfig::default(), &config),
        Err(Error::EmptyInput { .. })
    ));
    let bad_config = SearchConfig {
        tolerance_s: -1.0,
        ..config
    };
    assert!(find_access_windows(&[sat], &[station], earlier, start, &bad_config).is_err());
}
