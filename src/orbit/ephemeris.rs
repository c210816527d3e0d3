//! Tabulated ephemerides: states produced elsewhere (a precise orbit
//! determination, another simulator, a flight dynamics team), interpolated.
//!
//! Between two samples, position follows the cubic Hermite polynomial that
//! matches both positions and both velocities; velocity is its derivative
//! (`orbit::hermite`). With 60 s sampling of a LEO orbit the
//! interpolation error is below a metre (error ≈ h⁴/384·|r⁽⁴⁾| ≈ h⁴n⁴r/384).
//! Outside the tabulated span it is an error, never an extrapolation.

use hifitime::Epoch;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::orbit::hermite::interpolate;
use crate::orbit::validity::check_perigee;
use crate::orbit::{MotionBounds, Propagator, StateVector};
use crate::time::seconds_between;

/// Interpolated TEME states.
///
/// ```
/// use orbitedge::orbit::{Ephemeris, Propagator, StateVector};
/// use hifitime::{Duration, Epoch};
/// use nalgebra::Vector3;
/// let t0 = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
/// let state = |x: f64| StateVector { position_km: Vector3::new(x, 7000.0, 0.0),
///     velocity_km_s: Vector3::new(1.0, 0.0, 0.0) };
/// let eph = Ephemeris::new(vec![t0, t0 + Duration::from_seconds(10.0)], vec![state(0.0), state(10.0)])?;
/// let mid = eph.state_at(t0 + Duration::from_seconds(2.5))?;
/// assert!((mid.position_km.x - 2.5).abs() < 1e-12);
/// assert!(eph.state_at(t0 + Duration::from_seconds(11.0)).is_err());
/// # Ok::<(), orbitedge::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EphemerisSpec", into = "EphemerisSpec")]
pub struct Ephemeris {
    epochs: Vec<Epoch>,
    states: Vec<StateVector>,
    offsets_s: Vec<f64>,
    bounds: MotionBounds,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EphemerisSpec {
    epochs: Vec<Epoch>,
    states: Vec<StateVector>,
}

impl TryFrom<EphemerisSpec> for Ephemeris {
    type Error = Error;
    fn try_from(spec: EphemerisSpec) -> Result<Self> {
        Ephemeris::new(spec.epochs, spec.states)
    }
}

impl From<Ephemeris> for EphemerisSpec {
    fn from(eph: Ephemeris) -> Self {
        EphemerisSpec {
            epochs: eph.epochs,
            states: eph.states,
        }
    }
}

impl Ephemeris {
    /// An ephemeris from strictly increasing epochs and their finite states (at
    /// least two), none lower than [`crate::orbit::MIN_PERIGEE_ALTITUDE_KM`].
    pub fn new(epochs: Vec<Epoch>, states: Vec<StateVector>) -> Result<Self> {
        let invalid = |reason: String| Error::Ephemeris { reason };
        if epochs.len() != states.len() {
            return Err(invalid(format!(
                "{} epochs but {} states; they must pair up",
                epochs.len(),
                states.len()
            )));
        }
        if epochs.len() < 2 {
            return Err(invalid(format!(
                "at least 2 samples are needed to interpolate, got {}",
                epochs.len()
            )));
        }
        let first = epochs[0];
        let offsets_s: Vec<f64> = epochs.iter().map(|e| seconds_between(first, *e)).collect();
        if let Some(k) = offsets_s.windows(2).position(|w| w[1] <= w[0]) {
            return Err(invalid(format!(
                "epochs must be strictly increasing; sample {} ({}) is not after sample {k} ({})",
                k + 1,
                epochs[k + 1],
                epochs[k]
            )));
        }
        if let Some(k) = states.iter().position(|s| {
            !(s.position_km.iter().all(|v| v.is_finite()) && s.velocity_km_s.iter().all(|v| v.is_finite()))
        }) {
            return Err(invalid(format!("sample {k} has a non-finite component")));
        }
        let radii = states.iter().map(|s| s.position_km.norm());
        let min_radius_km = radii.clone().fold(f64::INFINITY, f64::min);
        check_perigee(min_radius_km)?;
        let radial_speeds = states
            .iter()
            .map(|s| (s.position_km.dot(&s.velocity_km_s) / s.position_km.norm()).abs());
        // Samples bound the motion between them only approximately: widen generously.
        let bounds = MotionBounds {
            max_radius_km: radii.fold(0.0, f64::max) * 1.01,
            min_radius_km: min_radius_km * 0.99,
            max_speed_km_s: states.iter().map(|s| s.velocity_km_s.norm()).fold(0.0, f64::max) * 1.05,
            max_radial_speed_km_s: radial_speeds.fold(0.0, f64::max) * 1.2 + 0.05,
        };
        Ok(Self {
            epochs,
            states,
            offsets_s,
            bounds,
        })
    }

    /// Lowest tabulated radius, km (the ephemeris' perigee as far as its samples tell).
    pub fn min_radius_km(&self) -> f64 {
        self.states
            .iter()
            .map(|s| s.position_km.norm())
            .fold(f64::INFINITY, f64::min)
    }

    /// First and last tabulated epochs.
    pub fn span(&self) -> (Epoch, Epoch) {
        (self.epochs[0], self.epochs[self.epochs.len() - 1])
    }
}

impl Propagator for Ephemeris {
    fn epoch(&self) -> Epoch {
        self.epochs[0]
    }

    fn state_after(&self, seconds: f64) -> Result<StateVector> {
        crate::error::ensure_finite("seconds since epoch", seconds)?;
        let last = self.offsets_s[self.offsets_s.len() - 1];
        if !(0.0..=last).contains(&seconds) {
            let (start, end) = self.span();
            return Err(Error::Ephemeris {
                reason: format!(
                    "{} is outside the tabulated span [{start}, {end}]",
                    self.epoch() + hifitime::Duration::from_seconds(seconds)
                ),
            });
        }
        let upper = self
            .offsets_s
            .partition_point(|t| *t <= seconds)
            .min(self.offsets_s.len() - 1);
        let k = upper.max(1) - 1;
        let h = self.offsets_s[k + 1] - self.offsets_s[k];
        let tau = (seconds - self.offsets_s[k]) / h;
        Ok(interpolate(&self.states[k], &self.states[k + 1], h, tau))
    }

    fn motion_bounds(&self) -> MotionBounds {
        self.bounds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orbit::{ClassicalElements, KeplerOrbit};
    use hifitime::Duration;

    #[test]
    fn reproduces_a_kepler_orbit_sampled_every_minute() {
        let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        let elements = ClassicalElements {
            semi_major_axis_km: 6_928.137,
            eccentricity: 0.001,
            inclination_deg: 97.5,
            raan_deg: 20.0,
            argument_of_perigee_deg: 0.0,
            mean_anomaly_deg: 0.0,
        };
        let orbit = KeplerOrbit::new(epoch, elements).unwrap();
        let epochs: Vec<Epoch> = (0..=180)
            .map(|k| epoch + Duration::from_seconds(60.0 * k as f64))
            .collect();
        let states = epochs.iter().map(|e| orbit.state_at(*e).unwrap()).collect();
        let eph = Ephemeris::new(epochs, states).unwrap();
        for k in 0..1000 {
            let t = 10_799.0 * k as f64 / 999.0;
            let a = eph.state_after(t).unwrap();
            let b = orbit.state_after(t).unwrap();
            // h⁴·n⁴·r/384 ≈ 0.3 m for h = 60 s; velocity error ≈ h³·n⁴·r/72 ≈ 0.03 m/s.
            assert!(
                (a.position_km - b.position_km).norm() < 1e-3,
                "t={t}: {}",
                (a.position_km - b.position_km).norm()
            );
            assert!(
                (a.velocity_km_s - b.velocity_km_s).norm() < 1e-4,
                "t={t}: {}",
                (a.velocity_km_s - b.velocity_km_s).norm()
            );
        }
    }

    #[test]
    fn rejects_bad_tables() {
        let t0 = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        let s = StateVector {
            position_km: nalgebra::Vector3::new(7000.0, 0.0, 0.0),
            velocity_km_s: nalgebra::Vector3::new(0.0, 7.5, 0.0),
        };
        assert!(Ephemeris::new(vec![t0], vec![s]).is_err());
        assert!(Ephemeris::new(vec![t0, t0], vec![s, s]).is_err());
        assert!(Ephemeris::new(vec![t0, t0 + Duration::from_seconds(1.0)], vec![s]).is_err());
        let mut bad = s;
        bad.position_km.x = f64::NAN;
        let err = Ephemeris::new(vec![t0, t0 + Duration::from_seconds(1.0)], vec![s, bad]).unwrap_err();
        assert!(err.to_string().contains("sample 1"), "{err}");
    }
}
