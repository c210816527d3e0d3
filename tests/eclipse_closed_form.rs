//! Eclipses against closed forms.
//!
//! A circular orbit in the ecliptic plane (inclination = obliquity of date,
//! node at the equinox) passes straight through the Earth's shadow. With the
//! cylindrical model, the shadow spans 2·asin(R/r) of orbital angle, crossed
//! at the synodic rate n − ω☉, so each eclipse lasts 2·asin(R/r)/(n − ω☉).
//! Tolerance 0.05 s. The conical umbra must be shorter and umbra + penumbra
//! longer than that; LEO penumbra lasts seconds to tens of seconds.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::access::{find_eclipse_intervals, EclipseKind, SearchConfig};
use orbitedge::constants::{EARTH_EQUATORIAL_RADIUS_KM, EARTH_MU_KM3_S2};
use orbitedge::environment::eclipse::ShadowConfig;
use orbitedge::environment::sun::sun_position_km;
use orbitedge::environment::ShadowModel;
use orbitedge::orbit::ClassicalElements;
use orbitedge::prelude::*;
use orbitedge::time::{julian_date_ut1, seconds_between};

fn ecliptic_orbit(epoch: Epoch, radius_km: f64) -> Satellite {
    let t = (julian_date_ut1(epoch) - 2_451_545.0) / 36_525.0;
    let obliquity_deg = 23.439_291 - 0.013_004_2 * t;
    let elements = ClassicalElements {
        semi_major_axis_km: radius_km,
        eccentricity: 0.0,
        inclination_deg: obliquity_deg,
        raan_deg: 0.0,
        argument_of_perigee_deg: 0.0,
        mean_anomaly_deg: 0.0,
    };
    Satellite::from_elements("ECLIPTIC", epoch, elements, AnalyticModel::Kepler).unwrap()
}

#[test]
fn cylindrical_eclipse_matches_closed_form() {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 5, 1);
    let radius_km = 7_000.0;
    let sat = ecliptic_orbit(epoch, radius_km);
    let end = epoch + Duration::from_days(1.0);
    let shadow = ShadowConfig {
        model: ShadowModel::Cylindrical,
        atmosphere_km: 0.0,
    };
    let intervals = find_eclipse_intervals(&[sat], epoch, end, &shadow, &SearchConfig::default()).unwrap();

    let n = (EARTH_MU_KM3_S2 / radius_km.powi(3)).sqrt();
    let jd = julian_date_ut1(epoch);
    let sun_rate = sun_position_km(jd).angle(&sun_position_km(jd + 1.0)) / 86_400.0;
    let expected_s = 2.0 * (EARTH_EQUATORIAL_RADIUS_KM / radius_km).asin() / (n - sun_rate);

    let complete: Vec<_> = intervals
        .iter()
        .filter(|i| !i.clipped_start && !i.clipped_end)
        .collect();
    assert!(complete.len() >= 14, "{} eclipses", complete.len());
    for interval in &complete {
        assert_eq!(
            interval.kind,
            EclipseKind::Umbra,
            "cylindrical shadow has no penumbra"
        );
        let duration = seconds_between(interval.start, interval.end);
        assert!(
            (duration - expected_s).abs() < 0.05,
            "{duration} s vs {expected_s} s"
        );
    }
}

#[test]
fn conical_umbra_and_penumbra_bracket_the_cylinder() {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 5, 1);
    let radius_km = 7_000.0;
    let sat = ecliptic_orbit(epoch, radius_km);
    let end = epoch + Duration::from_days(1.0);
    let intervals = find_eclipse_intervals(
        std::slice::from_ref(&sat),
        epoch,
        end,
        &ShadowConfig::default(),
        &SearchConfig::default(),
    )
    .unwrap();
    let n = (EARTH_MU_KM3_S2 / radius_km.powi(3)).sqrt();
    let cylinder_s = 2.0 * (EARTH_EQUATORIAL_RADIUS_KM / radius_km).asin() / n;
    let shadow = ShadowConfig::default();
    let mut checked = 0;
    for (k, umbra) in intervals.iter().enumerate() {
        if umbra.kind != EclipseKind::Umbra || umbra.clipped_start || umbra.clipped_end {
            continue;
        }
        checked += 1;
        let (before, after) = (&intervals[k - 1], &intervals[k + 1]);
        assert_eq!(before.kind, EclipseKind::Penumbra);
        assert_eq!(after.kind, EclipseKind::Penumbra);
        assert_eq!(before.end, umbra.start);
        assert_eq!(after.start, umbra.end);
        let umbra_s = seconds_between(umbra.start, umbra.end);
        let total_s = seconds_between(before.start, after.end);
        assert!(
            umbra_s < cylinder_s && cylinder_s < total_s,
            "{umbra_s} < {cylinder_s} < {total_s}"
        );
        for penumbra in [before, after] {
            let length = seconds_between(penumbra.start, penumbra.end);
            assert!((1.0..60.0).contains(&length), "penumbra lasts {length} s");
            // Inside the penumbra, part of the Sun shows.
            let middle = penumbra.start + Duration::from_seconds(length / 2.0);
            let state = sat.state_at(middle).unwrap();
            let fraction =
                shadow.sunlit_fraction(&state.position_km, &sun_position_km(julian_date_ut1(middle)));
            assert!(fraction > 0.0 && fraction < 1.0, "{fraction}");
        }
    }
    assert!(checked >= 14, "only {checked} complete eclipses");
}
