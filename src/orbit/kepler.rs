//! Two-body (Kepler) propagation: the mean anomaly advances at n = sqrt(μ/a³),
//! everything else is fixed. μ is WGS84's 398600.4418 km³/s².

use hifitime::Epoch;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::constants::EARTH_MU_KM3_S2;
use crate::error::Result;
use crate::orbit::elements::{eccentric_anomaly, perifocal_axes, ClassicalElements};
use crate::orbit::validity::check_perigee;
use crate::orbit::{MotionBounds, Propagator, StateVector};

/// A two-body orbit.
///
/// ```
/// use orbitedge::orbit::{ClassicalElements, KeplerOrbit, Propagator};
/// use hifitime::Epoch;
/// let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
/// let elements = ClassicalElements { semi_major_axis_km: 7_000.0, eccentricity: 0.01,
///     inclination_deg: 51.6, raan_deg: 10.0, argument_of_perigee_deg: 20.0, mean_anomaly_deg: 0.0 };
/// let orbit = KeplerOrbit::new(epoch, elements)?;
/// let period_s = elements.period_s(orbitedge::constants::EARTH_MU_KM3_S2);
/// let a = orbit.state_after(0.0)?;
/// let b = orbit.state_after(period_s)?;
/// assert!((a.position_km - b.position_km).norm() < 1e-6);
/// # Ok::<(), orbitedge::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "KeplerSpec", into = "KeplerSpec")]
pub struct KeplerOrbit {
    epoch: Epoch,
    elements: ClassicalElements,
    mean_motion_rad_s: f64,
    perigee_axis: Vector3<f64>,
    normal_axis: Vector3<f64>,
}

/// The serialised form: what a user wrote, not the cached derived quantities.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeplerSpec {
    epoch: Epoch,
    elements: ClassicalElements,
}

impl TryFrom<KeplerSpec> for KeplerOrbit {
    type Error = crate::Error;
    fn try_from(spec: KeplerSpec) -> Result<Self> {
        KeplerOrbit::new(spec.epoch, spec.elements)
    }
}

impl From<KeplerOrbit> for KeplerSpec {
    fn from(orbit: KeplerOrbit) -> Self {
        KeplerSpec {
            epoch: orbit.epoch,
            elements: orbit.elements,
        }
    }
}

impl KeplerOrbit {
    /// Orbit from classical elements at `epoch` (validated: 0 ≤ e < 1, a > 0,
    /// finite, perigee at least [`crate::orbit::MIN_PERIGEE_ALTITUDE_KM`] up).
    pub fn new(epoch: Epoch, elements: ClassicalElements) -> Result<Self> {
        let elements = elements.validated()?;
        check_perigee(elements.perigee_radius_km())?;
        let (perigee_axis, normal_axis) = perifocal_axes(
            elements.inclination_deg.to_radians(),
            elements.raan_deg.to_radians(),
            elements.argument_of_perigee_deg.to_radians(),
        );
        Ok(Self {
            epoch,
            elements,
            mean_motion_rad_s: elements.mean_motion_rad_s(EARTH_MU_KM3_S2),
            perigee_axis,
            normal_axis,
        })
    }

    /// Orbit through a Cartesian TEME state at `epoch`.
    pub fn from_state(epoch: Epoch, state: &StateVector) -> Result<Self> {
        Self::new(epoch, ClassicalElements::from_state(state, EARTH_MU_KM3_S2)?)
    }

    /// The elements at the epoch.
    pub fn elements(&self) -> &ClassicalElements {
        &self.elements
    }
}

impl Propagator for KeplerOrbit {
    fn epoch(&self) -> Epoch {
        self.epoch
    }

    fn state_after(&self, seconds: f64) -> Result<StateVector> {
        crate::error::ensure_finite("seconds since epoch", seconds)?;
        let a = self.elements.semi_major_axis_km;
        let e = self.elements.eccentricity;
        let mean = self.elements.mean_anomaly_deg.to_radians() + self.mean_motion_rad_s * seconds;
        let (sin_e, cos_e) = eccentric_anomaly(mean, e).sin_cos();
        let root = (1.0 - e * e).sqrt();
        let rate = self.mean_motion_rad_s * a / (1.0 - e * cos_e);
        Ok(StateVector {
            position_km: a * ((cos_e - e) * self.perigee_axis + root * sin_e * self.normal_axis),
            velocity_km_s: rate * (-sin_e * self.perigee_axis + root * cos_e * self.normal_axis),
        })
    }

    fn motion_bounds(&self) -> MotionBounds {
        MotionBounds::elliptic(
            self.elements.semi_major_axis_km,
            self.elements.eccentricity,
            EARTH_MU_KM3_S2,
            1e-3,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn molniya() -> KeplerOrbit {
        let elements = ClassicalElements {
            semi_major_axis_km: 26_600.0,
            eccentricity: 0.74,
            inclination_deg: 63.4,
            raan_deg: 100.0,
            argument_of_perigee_deg: 270.0,
            mean_anomaly_deg: 5.0,
        };
        KeplerOrbit::new(Epoch::from_gregorian_utc_at_midnight(2024, 1, 1), elements).unwrap()
    }

    #[test]
    fn energy_and_angular_momentum_conserved_over_1000_orbits() {
        let orbit = molniya();
        let period = orbit.elements().period_s(EARTH_MU_KM3_S2);
        let invariants = |s: &StateVector| {
            let energy = s.velocity_km_s.norm_squared() / 2.0 - EARTH_MU_KM3_S2 / s.position_km.norm();
            (energy, s.position_km.cross(&s.velocity_km_s))
        };
        let (energy0, h0) = invariants(&orbit.state_after(0.0).unwrap());
        for k in 0..1000 {
            // Sample a different phase each orbit so perigee and apogee are both visited.
            let t = k as f64 * period * 1.000_37;
            let (energy, h) = invariants(&orbit.state_after(t).unwrap());
            assert!(((energy - energy0) / energy0).abs() < 1e-10, "orbit {k}");
            assert!((h - h0).norm() / h0.norm() < 1e-10, "orbit {k}");
        }
    }

    #[test]
    fn period_matches_closed_form() {
        // Geostationary: a = 42164.17 km gives one sidereal day, 86164.09 s.
        let geo = ClassicalElements {
            semi_major_axis_km: 42_164.17,
            eccentricity: 0.0,
            inclination_deg: 0.0,
            raan_deg: 0.0,
            argument_of_perigee_deg: 0.0,
            mean_anomaly_deg: 0.0,
        };
        assert!((geo.period_s(EARTH_MU_KM3_S2) - 86_164.09).abs() < 0.1);
        let orbit = KeplerOrbit::new(Epoch::from_gregorian_utc_at_midnight(2024, 1, 1), geo).unwrap();
        let start = orbit.state_after(0.0).unwrap();
        let quarter = orbit.state_after(86_164.09 / 4.0).unwrap();
        assert!(start.position_km.dot(&quarter.position_km).abs() / 42_164.17_f64.powi(2) < 1e-5);
    }

    #[test]
    fn state_round_trip_through_from_state() {
        let orbit = molniya();
        let state = orbit.state_after(1234.5).unwrap();
        let epoch = orbit.epoch() + hifitime::Duration::from_seconds(1234.5);
        let rebuilt = KeplerOrbit::from_state(epoch, &state).unwrap();
        let later = rebuilt.state_after(5_000.0).unwrap();
        let reference = orbit.state_after(6_234.5).unwrap();
        assert!((later.position_km - reference.position_km).norm() < 1e-6);
    }

    #[test]
    fn serde_round_trip_keeps_orbit() {
        let orbit = molniya();
        let json = serde_json::to_string(&orbit).unwrap();
        let back: KeplerOrbit = serde_json::from_str(&json).unwrap();
        assert_eq!(back, orbit);
    }
}
