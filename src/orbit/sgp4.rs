//! SGP4/SDP4 through the MIT-licensed [`sgp4`](https://crates.io/crates/sgp4) crate.
//!
//! TLEs and OMMs are fitted with WGS72 constants, so propagation uses WGS72
//! (the crate's WGS84 default would be off by 15–20 m) and Vallado's "improved"
//! operation mode — the same choice as python-sgp4 and Skyfield, checked against
//! Vallado's verification set in `tests/sgp4_verification.rs`.
//!
//! Time since epoch is elapsed (TAI) time; an element set read across a leap
//! second therefore differs by one second from tools that count UTC days.

use hifitime::Epoch;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::orbit::validity::{check_perigee, with_name};
use crate::orbit::{MotionBounds, Propagator, StateVector};

/// WGS72 gravitational parameter, km³/s² (what TLE mean motions are fitted with).
const WGS72_MU_KM3_S2: f64 = 398_600.8;
/// WGS72 equatorial radius, km (the reference's decay threshold).
const WGS72_EARTH_RADIUS_KM: f64 = 6_378.135;

/// An orbit propagated by SGP4 (near-Earth) or SDP4 (deep space, period ≥ 225 min).
///
/// ```
/// use orbitedge::orbit::{Propagator, Sgp4Orbit};
/// let iss = Sgp4Orbit::from_tle(
///     Some("ISS (ZARYA)"),
///     "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
///     "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482",
/// )?;
/// let state = iss.state_after(3_600.0)?;
/// let altitude_km = state.position_km.norm() - 6_378.137;
/// assert!((400.0..440.0).contains(&altitude_km));
/// # Ok::<(), orbitedge::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "sgp4::Elements", into = "sgp4::Elements")]
pub struct Sgp4Orbit {
    elements: sgp4::Elements,
    constants: sgp4::Constants,
    epoch: Epoch,
    bounds: MotionBounds,
    perigee_radius_km: f64,
}

impl TryFrom<sgp4::Elements> for Sgp4Orbit {
    type Error = Error;
    fn try_from(elements: sgp4::Elements) -> Result<Self> {
        Sgp4Orbit::from_elements(elements)
    }
}

impl From<Sgp4Orbit> for sgp4::Elements {
    fn from(orbit: Sgp4Orbit) -> Self {
        orbit.elements
    }
}

impl Sgp4Orbit {
    /// Parses a two-line element set (classic or Alpha-5 catalogue numbers).
    ///
    /// Lines are checked for length, first character, field layout and the
    /// modulo-10 checksum; errors name the line and the columns at fault.
    pub fn from_tle(name: Option<&str>, line1: &str, line2: &str) -> Result<Self> {
        let owned_name = name.map(|n| n.trim().to_string());
        let (line1, line2) = (line1.trim_end(), line2.trim_end());
        for (number, line) in [(1u8, line1), (2u8, line2)] {
            check_line(owned_name.as_deref(), number, line)?;
        }
        let line1 = fill_blank_optional_fields(line1);
        let elements = sgp4::Elements::from_tle(owned_name.clone(), line1.as_bytes(), line2.as_bytes())
            .map_err(|e| tle_error(owned_name.as_deref(), &e))?;
        Self::from_elements(elements).map_err(|e| match e {
            Error::Omm { reason, .. } => Error::Tle {
                name: owned_name,
                line: 2,
                first_column: 1,
                last_column: 69,
                reason,
            },
            other => other,
        })
    }

    /// Builds the propagator from parsed mean elements (from a TLE or an OMM).
    pub fn from_elements(elements: sgp4::Elements) -> Result<Self> {
        let invalid = |reason: String| Error::Omm { record: 0, reason };
        // The derivatives of the mean motion do not enter SGP4, but a NaN kept
        // in them would not survive serialisation (JSON writes it as null).
        let finite = [
            elements.inclination,
            elements.right_ascension,
            elements.eccentricity,
            elements.argument_of_perigee,
            elements.mean_anomaly,
            elements.mean_motion,
            elements.drag_term,
            elements.mean_motion_dot,
            elements.mean_motion_ddot,
        ]
        .iter()
        .all(|v| v.is_finite());
        if !finite {
            return Err(invalid("elements must be finite numbers".into()));
        }
        if elements.mean_motion <= 0.0 {
            return Err(invalid(format!(
                "mean motion must be > 0 rev/day, got {}",
                elements.mean_motion
            )));
        }
        let radians = std::f64::consts::PI / 180.0;
        let orbit = sgp4::Orbit::from_kozai_elements(
            &sgp4::WGS72,
            elements.inclination * radians,
            elements.right_ascension * radians,
            elements.eccentricity,
            elements.argument_of_perigee * radians,
            elements.mean_anomaly * radians,
            elements.mean_motion * (std::f64::consts::PI / 720.0),
        )
        .map_err(|e| invalid(format!("{e}")))?;
        let perigee_radius_km = mean_perigee_radius_km(&orbit);
        let constants = sgp4::Constants::new(
            sgp4::WGS72,
            sgp4::iau_epoch_to_sidereal_time,
            elements.epoch(),
            elements.drag_term,
            orbit,
        )
        .map_err(|e| invalid(format!("eccentricity must be in [0, 1), got {}", e.0)))?;
        check_perigee(perigee_radius_km).map_err(|e| match elements.object_name.as_deref() {
            Some(name) => with_name(e, name),
            None => e,
        })?;
        // An extreme drag term (B* = 3e96 reads from a 7-digit field) makes the
        // solution NaN from the start: refused here, with the reason, rather
        // than at every later call.
        if constants
            .propagate(sgp4::MinutesSinceEpoch(0.0))
            .is_ok_and(|p| !is_finite(&p))
        {
            return Err(invalid(format!(
                "SGP4 gives no finite state at the epoch (drag term B* = {:e} per Earth radius)",
                elements.drag_term
            )));
        }
        let unix_ns = elements
            .datetime
            .and_utc()
            .timestamp_nanos_opt()
            .ok_or_else(|| invalid(format!("epoch {} is out of range", elements.datetime)))?;
        let epoch = crate::time::epoch_from_unix_nanoseconds(unix_ns);
        let bounds = search_bounds(&elements);
        Ok(Self {
            elements,
            constants,
            epoch,
            bounds,
            perigee_radius_km,
        })
    }

    /// Perigee radius of the mean elements, km: a″·(1 − e) with a″ from the
    /// un-Kozai'd (Brouwer) mean motion, as the reference SGP4 computes it.
    pub fn perigee_radius_km(&self) -> f64 {
        self.perigee_radius_km
    }

    /// The mean elements (as parsed; also the serialised form, Celestrak OMM JSON keys).
    pub fn elements(&self) -> &sgp4::Elements {
        &self.elements
    }

    /// Catalogue number (Alpha-5 numbers decoded, e.g. `A0001` → 100001).
    pub fn norad_id(&self) -> u64 {
        self.elements.norad_id
    }

    /// Satellite name from the TLE title line or the OMM `OBJECT_NAME`.
    pub fn name(&self) -> Option<&str> {
        self.elements.object_name.as_deref()
    }
}

impl Propagator for Sgp4Orbit {
    fn epoch(&self) -> Epoch {
        self.epoch
    }

    #[inline]
    fn state_after(&self, seconds: f64) -> Result<StateVector> {
        crate::error::ensure_finite("seconds since epoch", seconds)?;
        let failure = |reason: String| Error::Propagation {
            epoch: self.epoch + hifitime::Duration::from_seconds(seconds),
            reason: format!("SGP4: {reason}"),
        };
        let prediction = self
            .constants
            .propagate(sgp4::MinutesSinceEpoch(seconds / 60.0))
            .map_err(|e| failure(e.to_string()))?;
        if !is_finite(&prediction) {
            return Err(failure(
                "the solution is not finite (elements outside the model's range)".into(),
            ));
        }
        let state = StateVector {
            position_km: prediction.position.into(),
            velocity_km_s: prediction.velocity.into(),
        };
        // The reference implementation reports decay (its error 6) when the
        // radius drops below one Earth radius; the crate does not check.
        let radius_km = state.position_km.norm();
        if radius_km < WGS72_EARTH_RADIUS_KM {
            return Err(failure(format!(
                "the satellite has decayed (orbit radius {radius_km:.1} km < Earth radius {WGS72_EARTH_RADIUS_KM} km)"
            )));
        }
        Ok(state)
    }

    fn motion_bounds(&self) -> MotionBounds {
        self.bounds
    }
}

/// a″·(1 − e) in km, where a″ = (kₑ/n″)^(2/3) Earth radii (WGS72) and n″ is
/// the Brouwer mean motion the `sgp4` crate recovered from the Kozai one.
fn mean_perigee_radius_km(orbit: &sgp4::Orbit) -> f64 {
    let a_earth_radii = (sgp4::WGS72.ke / orbit.mean_motion).powf(2.0 / 3.0);
    a_earth_radii * (1.0 - orbit.eccentricity) * sgp4::WGS72.ae
}

/// Whether SGP4's position and velocity are finite (the crate returns NaN,
/// not an error, for some elements it cannot handle).
fn is_finite(prediction: &sgp4::Prediction) -> bool {
    prediction
        .position
        .iter()
        .chain(&prediction.velocity)
        .all(|v| v.is_finite())
}

/// Conservative motion bounds from the mean elements. Near-Earth: room for
/// SGP4's short-periodic terms (≈ J2·R²/a ≈ 7 km in LEO) and small changes of
/// eccentricity; decay only lowers the radius, which a 2 % speed margin covers
/// for a day even at 300 km. Deep space: lunar–solar changes of eccentricity
/// (≈ 0.1 over weeks).
fn search_bounds(elements: &sgp4::Elements) -> MotionBounds {
    let n_rad_s = elements.mean_motion * std::f64::consts::TAU / 86_400.0;
    let a = (WGS72_MU_KM3_S2 / (n_rad_s * n_rad_s)).cbrt();
    let deep_space = std::f64::consts::TAU / n_rad_s >= 225.0 * 60.0;
    if deep_space {
        MotionBounds::elliptic(a, elements.eccentricity + 0.1, WGS72_MU_KM3_S2, 0.005 * a + 50.0)
    } else {
        MotionBounds::elliptic(
            a,
            elements.eccentricity + 0.002,
            WGS72_MU_KM3_S2,
            0.002 * a + 15.0,
        )
    }
}

/// Checks the parts of a TLE line the `sgp4` crate reports least clearly.
fn check_line(name: Option<&str>, number: u8, line: &str) -> Result<()> {
    let error = |first: usize, last: usize, reason: String| Error::Tle {
        name: name.map(str::to_string),
        line: number,
        first_column: first,
        last_column: last,
        reason,
    };
    if !line.is_ascii() {
        return Err(error(
            1,
            line.chars().count(),
            "line contains non-ASCII characters".into(),
        ));
    }
    if line.len() != 69 {
        return Err(error(
            1,
            line.len().max(1),
            format!("line {number} must be 69 characters long, got {}", line.len()),
        ));
    }
    let bytes = line.as_bytes();
    if bytes[0] != b'0' + number {
        return Err(error(
            1,
            1,
            format!(
                "line {number} must start with '{number}', got {:?}",
                bytes[0] as char
            ),
        ));
    }
    let expected = tle_checksum(&line[..68]);
    let found = bytes[68];
    if !found.is_ascii_digit() || found - b'0' != expected {
        return Err(error(
            69,
            69,
            format!(
                "checksum mismatch: column 69 holds {:?}, the modulo-10 sum of columns 1-68 is {expected}",
                found as char
            ),
        ));
    }
    Ok(())
}

/// Old element sets leave the ephemeris type (column 63) and element set number
/// (columns 65-68) blank; the reference parser reads blanks as zero, and so do
/// we. Zeros add nothing to the checksum.
fn fill_blank_optional_fields(line1: &str) -> String {
    let mut bytes = line1.as_bytes().to_vec();
    if bytes.len() == 69 {
        if bytes[62] == b' ' {
            bytes[62] = b'0';
        }
        if bytes[64..68].iter().all(|b| *b == b' ') {
            bytes[67] = b'0';
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| line1.to_string())
}

/// Modulo-10 TLE checksum: digits count their value, '-' counts 1, the rest 0.
pub fn tle_checksum(text: &str) -> u8 {
    let sum: u32 = text
        .bytes()
        .map(|b| match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'-' => 1,
            _ => 0,
        })
        .sum();
    (sum % 10) as u8
}

/// Translates the crate's error (whose fields are private) into ours, reading
/// its message: "TLE parse error: WHAT on TLE line N between characters A and B".
fn tle_error(name: Option<&str>, error: &sgp4::TleError) -> Error {
    let message = error.to_string();
    let body = message.trim_start_matches("TLE parse error: ");
    let line = if body.contains("on TLE line 1") {
        1
    } else if body.contains("on TLE line 2") {
        2
    } else {
        0
    };
    let numbers: Vec<usize> = body
        .rsplit("between characters ")
        .next()
        .map(|tail| {
            tail.split(" and ")
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let (start, end) = match numbers.as_slice() {
        [start, end] => (*start, *end),
        _ => (0, 69),
    };
    let reason = body.split(" on TLE line").next().unwrap_or(body);
    let reason = reason.split(" (TLE lines mismatch)").next().unwrap_or(reason);
    Error::Tle {
        name: name.map(str::to_string),
        line,
        first_column: start + 1,
        last_column: end.max(start + 1),
        reason: reason.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS_1: &str = "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991";
    const ISS_2: &str = "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482";

    fn with_checksum(body: &str) -> String {
        format!("{body}{}", tle_checksum(body))
    }

    #[test]
    fn parses_iss_and_its_epoch() {
        let orbit = Sgp4Orbit::from_tle(Some("ISS"), ISS_1, ISS_2).unwrap();
        assert_eq!(orbit.norad_id(), 25544);
        // Day 343.69339541 of 2019 = 2019-12-09 16:38:29.363 UTC.
        let expected = crate::time::parse_epoch("2019-12-09T16:38:29.363424Z").unwrap();
        assert!((orbit.epoch() - expected).to_seconds().abs() < 1e-3);
    }

    #[test]
    fn alpha5_catalogue_number() {
        let l1 = with_checksum(&format!("1 A0001{}", &ISS_1[7..68]));
        let l2 = with_checksum(&format!("2 A0001{}", &ISS_2[7..68]));
        let orbit = Sgp4Orbit::from_tle(None, &l1, &l2).unwrap();
        assert_eq!(orbit.norad_id(), 100_001);
    }

    #[test]
    fn bad_checksum_names_column_69() {
        let bad = format!("{}0", &ISS_1[..68]);
        match Sgp4Orbit::from_tle(Some("ISS"), &bad, ISS_2) {
            Err(Error::Tle {
                line: 1,
                first_column: 69,
                reason,
                ..
            }) => {
                assert!(reason.contains("checksum"), "{reason}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn short_line_is_rejected_with_its_length() {
        let err = Sgp4Orbit::from_tle(None, &ISS_1[..60], ISS_2).unwrap_err();
        assert!(err.to_string().contains("69 characters long, got 60"), "{err}");
    }

    #[test]
    fn malformed_field_names_its_columns() {
        // Letters in the inclination field (columns 9-16 of line 2).
        let l2 = with_checksum(&format!("{}5x.6439{}", &ISS_2[..8], &ISS_2[16..68]));
        match Sgp4Orbit::from_tle(None, ISS_1, &l2) {
            Err(Error::Tle {
                line: 2,
                first_column,
                last_column,
                ..
            }) => {
                assert!(
                    first_column <= 9 && last_column >= 16,
                    "{first_column}-{last_column}"
                )
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn mismatched_catalogue_numbers_are_rejected() {
        let l2 = with_checksum(&format!("2 25545{}", &ISS_2[7..68]));
        assert!(matches!(
            Sgp4Orbit::from_tle(None, ISS_1, &l2),
            Err(Error::Tle { .. })
        ));
    }

    /// Found by fuzzing: B* = 3.5e96 (digits "3482197") propagated to NaN, returned as Ok.
    #[test]
    fn drag_term_without_a_finite_solution_is_refused() {
        let line1 = with_checksum(&ISS_1[..68].replace(" 38792-4", " 3482197"));
        match Sgp4Orbit::from_tle(Some("ISS"), &line1, ISS_2) {
            Err(Error::Tle { reason, .. }) => assert!(reason.contains("finite state"), "{reason}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn serde_round_trip() {
        let orbit = Sgp4Orbit::from_tle(Some("ISS"), ISS_1, ISS_2).unwrap();
        let json = serde_json::to_string(&orbit).unwrap();
        let back: Sgp4Orbit = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.state_after(600.0).unwrap(),
            orbit.state_after(600.0).unwrap()
        );
    }
}
