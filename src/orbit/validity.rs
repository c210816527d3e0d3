//! Whether an orbit can be flown: the one perigee check every orbit constructor
//! calls (Kepler and J2 from their elements, SGP4 from its mean elements, an
//! ephemeris from its lowest tabulated radius), so satellites built from
//! files, scenarios, checkpoints or Python all get it.
//!
//! None of the models has drag or a surface: an orbit through the Earth would
//! propagate, "fly" and be eclipsed as if nothing were wrong. Perigee altitudes
//! are measured from the WGS84 equatorial radius, the largest radius of the
//! surface, so a refused orbit is below the surface plus the margin everywhere.

use crate::constants::EARTH_EQUATORIAL_RADIUS_KM;
use crate::error::{Error, Result};
use crate::orbit::{LOW_PERIGEE_WARNING_KM, MIN_PERIGEE_ALTITUDE_KM};

/// Altitude of a perigee radius above the WGS84 equatorial radius, km.
pub fn perigee_altitude_km(perigee_radius_km: f64) -> f64 {
    perigee_radius_km - EARTH_EQUATORIAL_RADIUS_KM
}

/// Checks that an orbit whose lowest radius is `perigee_radius_km` stays at
/// least [`MIN_PERIGEE_ALTITUDE_KM`] above the surface, and returns that
/// perigee's altitude (km). The error has no name: callers that know the
/// satellite's name add it with [`with_name`].
///
/// ```
/// use orbitedge::orbit::validity::check_perigee;
/// assert!(check_perigee(6_378.137 + 400.0).is_ok());
/// let err = check_perigee(3_000.0).unwrap_err();
/// assert!(err.to_string().contains("perigee altitude -3378.1 km"), "{err}");
/// ```
pub fn check_perigee(perigee_radius_km: f64) -> Result<f64> {
    let altitude_km = perigee_altitude_km(perigee_radius_km);
    if altitude_km >= MIN_PERIGEE_ALTITUDE_KM {
        return Ok(altitude_km);
    }
    let reason = if altitude_km.is_nan() {
        "the perigee altitude is not a number".to_string()
    } else {
        format!(
            "perigee altitude {altitude_km:.1} km (radius {perigee_radius_km:.1} km) is below the minimum of \
             {MIN_PERIGEE_ALTITUDE_KM} km above the WGS84 equatorial radius ({EARTH_EQUATORIAL_RADIUS_KM} km): \
             the orbit would pass through the Earth or its dense atmosphere"
        )
    };
    Err(Error::InvalidOrbit { name: None, reason })
}

/// The warning for a perigee that is accepted but lower than
/// [`LOW_PERIGEE_WARNING_KM`] (drag, which no model here includes, would bring
/// the satellite down within days), or `None`.
pub fn low_perigee_warning(name: &str, perigee_altitude_km: f64) -> Option<String> {
    (perigee_altitude_km < LOW_PERIGEE_WARNING_KM).then(|| {
        format!(
            "{name:?}: perigee altitude {perigee_altitude_km:.1} km is below {LOW_PERIGEE_WARNING_KM} km; \
             drag (not modelled) would bring it down within days"
        )
    })
}

/// Names the satellite in an [`Error::InvalidOrbit`] that has no name yet;
/// other errors pass through.
pub fn with_name(error: Error, satellite: &str) -> Error {
    match error {
        Error::InvalidOrbit { name: None, reason } => Error::InvalidOrbit {
            name: Some(satellite.to_string()),
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_inclusive_and_nan_is_refused() {
        let at_margin = EARTH_EQUATORIAL_RADIUS_KM + MIN_PERIGEE_ALTITUDE_KM;
        assert_eq!(check_perigee(at_margin).unwrap(), MIN_PERIGEE_ALTITUDE_KM);
        assert!(check_perigee(at_margin - 1e-6).is_err());
        assert!(matches!(
            check_perigee(f64::NAN),
            Err(Error::InvalidOrbit { name: None, .. })
        ));
    }

    #[test]
    fn warning_only_below_its_threshold() {
        assert!(low_perigee_warning("x", LOW_PERIGEE_WARNING_KM).is_none());
        let text = low_perigee_warning("x", 80.0).unwrap();
        assert!(text.contains("80.0 km"), "{text}");
    }

    #[test]
    fn names_only_unnamed_orbit_errors() {
        let named = with_name(check_perigee(0.0).unwrap_err(), "sat-1");
        assert!(named.to_string().starts_with("orbit \"sat-1\": "), "{named}");
        let other = with_name(Error::EmptyInput { what: "x" }, "sat-1");
        assert_eq!(other, Error::EmptyInput { what: "x" });
    }
}
