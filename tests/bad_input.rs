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

/// The satellite's name and the perigee altitude found, from an orbit refused
/// for passing through the Earth.
fn refused_orbit(result: Result<Satellite>) -> (Option<String>, String) {
    match result {
        Err(Error::InvalidOrbit { name, reason }) => (name, reason),
        other => panic!("expected an orbit error, got {other:?}"),
    }
}

#[test]
fn orbits_inside_the_earth_are_refused_everywhere() {
    use orbitedge::orbit::MIN_PERIGEE_ALTITUDE_KM;
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let at = |a_km: f64, e: f64| ClassicalElements {
        semi_major_axis_km: a_km,
        ..elements(e)
    };
    for model in [AnalyticModel::Kepler, AnalyticModel::J2] {
        // a = 3000 km; and a = 7000 km, e = 0.5: perigee 3500 km.
        let (name, reason) = refused_orbit(Satellite::from_elements("deep", epoch, at(3_000.0, 0.0), model));
        assert_eq!(name.as_deref(), Some("deep"));
        assert!(reason.contains("perigee altitude -3378.1 km"), "{reason}");
        let (_, reason) = refused_orbit(Satellite::from_elements("low", epoch, at(7_000.0, 0.5), model));
        assert!(reason.contains("perigee altitude -2878.1 km"), "{reason}");
        // Circular at r = 1000 km.
        let state = StateVector {
            position_km: nalgebra::Vector3::new(1_000.0, 0.0, 0.0),
            velocity_km_s: nalgebra::Vector3::new(0.0, (398_600.441_8f64 / 1_000.0).sqrt(), 0.0),
        };
        refused_orbit(Satellite::from_state("core", epoch, &state, model));
    }
    // The margin: 50 km is the lowest perigee accepted.
    let floor = 6_378.137 + MIN_PERIGEE_ALTITUDE_KM;
    assert!(Satellite::from_elements("ok", epoch, at(floor + 0.001, 0.0), AnalyticModel::J2).is_ok());
    refused_orbit(Satellite::from_elements(
        "x",
        epoch,
        at(floor - 0.001, 0.0),
        AnalyticModel::J2,
    ));
    // Hyperbolic and parabolic stay refused (as parameters, before any perigee).
    for e in [1.0, 1.2] {
        assert!(matches!(
            Satellite::from_elements("x", epoch, at(7_000.0, e), AnalyticModel::Kepler),
            Err(Error::InvalidParameter { .. })
        ));
    }
    let walker = WalkerDelta {
        total: 2,
        planes: 1,
        phasing: 0,
        altitude_km: 20.0,
        inclination_deg: 53.0,
    };
    let err = Satellite::walker("W", &walker, epoch, AnalyticModel::J2).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidOrbit { name: Some(n), .. } if n == "W-P1-S1"),
        "{err:?}"
    );
}

#[test]
fn tle_omm_and_ephemeris_inside_the_earth_are_refused() {
    use orbitedge::orbit::{Ephemeris, Sgp4Orbit};
    // Vallado's sub-orbital case 28872 (decays within the hour): mean perigee ≈ −55 km.
    let l1 = "1 28872U 05037B   05333.02012661  .25992681  00000-0  24476-3 0  1534";
    let l2 = "2 28872  96.4736 157.9986 0303955 244.0492 110.6523 16.46015938 10708";
    let (name, reason) = refused_orbit(Satellite::from_tle("MINOTAUR R/B", l1, l2));
    assert_eq!(name.as_deref(), Some("MINOTAUR R/B"));
    assert!(reason.contains("perigee altitude -5"), "{reason}");
    // An OMM at 17.5 rev/day: a ≈ 6 230 km.
    let omm = r#"[{"OBJECT_NAME":"SINKER","EPOCH":"2024-03-01T00:00:00","MEAN_MOTION":17.5,
        "ECCENTRICITY":0.001,"INCLINATION":51.6,"RA_OF_ASC_NODE":0,"ARG_OF_PERICENTER":0,
        "MEAN_ANOMALY":0,"NORAD_CAT_ID":99999,"BSTAR":0}]"#;
    let err = Satellite::from_omm(omm).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidOrbit { name: Some(n), .. } if n == "SINKER"),
        "{err:?}"
    );
    assert!(Sgp4Orbit::from_tle(None, L1, L2).unwrap().perigee_radius_km() > 6_700.0);
    // A table that dips to r = 6000 km.
    let t0 = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let state = |r: f64| StateVector {
        position_km: nalgebra::Vector3::new(r, 0.0, 0.0),
        velocity_km_s: nalgebra::Vector3::new(0.0, 7.5, 0.0),
    };
    let err = Ephemeris::new(
        vec![t0, t0 + Duration::from_seconds(60.0)],
        vec![state(7_000.0), state(6_000.0)],
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidOrbit { .. }), "{err:?}");
}

#[test]
fn deserialised_and_scenario_orbits_are_checked_too() {
    use orbitedge::scenario::{Format, Scenario};
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let good = Satellite::from_elements("sat", epoch, elements(0.0), AnalyticModel::Kepler).unwrap();
    let json = serde_json::to_string(&good).unwrap();
    assert_eq!(Satellite::from_json(&json).unwrap(), good);
    let inside = json.replace("7000.0", "3000.0");
    assert_ne!(inside, json);
    let (name, _) = refused_orbit(Satellite::from_json(&inside));
    assert_eq!(name.as_deref(), Some("sat"));
    // serde alone (checkpoints, scenario values) refuses it as well, with the reason.
    let err = serde_json::from_str::<Satellite>(&inside).unwrap_err();
    assert!(err.to_string().contains("perigee altitude"), "{err}");

    let scenario = Scenario::default_scenario().unwrap();
    let toml = scenario.to_toml().unwrap();
    let start = toml.find("[[satellites]]").unwrap();
    let end = start + toml[start..].find("\n[").unwrap();
    let elements_source = "[[satellites]]\nsource = \"elements\"\nname = \"mole\"\n\
        elements = { semi_major_axis_km = 3000.0, eccentricity = 0.0, inclination_deg = 50.0, \
        raan_deg = 0.0, argument_of_perigee_deg = 0.0, mean_anomaly_deg = 0.0 }\n";
    let edited = format!("{}{elements_source}{}", &toml[..start], &toml[end..]);
    let scenario = Scenario::from_str(&edited, Format::Toml, "inside.toml").unwrap();
    let err = scenario.spacecraft(std::path::Path::new(".")).unwrap_err();
    assert!(
        err.to_string()
            .contains("orbit \"mole\": perigee altitude -3378.1 km"),
        "{err}"
    );
}

#[test]
fn low_perigees_are_accepted_with_a_warning() {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let low = ClassicalElements {
        semi_major_axis_km: 6_378.137 + 80.0,
        ..elements(0.0)
    };
    let sat = Satellite::from_elements("skimmer", epoch, low, AnalyticModel::J2).unwrap();
    let warnings = sat.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("\"skimmer\": perigee altitude 80.0 km"),
        "{}",
        warnings[0]
    );
    let iss = Satellite::from_tle("ISS", L1, L2).unwrap();
    assert!(iss.warnings().is_empty());
}
