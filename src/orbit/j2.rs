//! Secular J2 propagation of mean elements.
//!
//! The Earth's oblateness makes the node regress, the perigee rotate and the
//! mean anomaly run at a corrected rate (Vallado, *Fundamentals*, §9.6), with
//! p = a(1 − e²) and n = sqrt(μ/a³):
//!
//! - dΩ/dt = −(3/2)·n·J2·(R/p)²·cos i
//! - dω/dt = (3/4)·n·J2·(R/p)²·(5cos² i − 1)
//! - dM/dt = n·[1 + (3/4)·J2·(R/p)²·sqrt(1 − e²)·(3cos² i − 1)]
//!
//! Short-periodic terms are left out, so positions are good to a few km over a
//! day in LEO — the right tool for constellation design and sun-synchronous
//! drift, not for precise ephemerides.

use hifitime::Epoch;
use serde::{Deserialize, Serialize};

use crate::constants::{EARTH_EQUATORIAL_RADIUS_KM, EARTH_J2, EARTH_MU_KM3_S2};
use crate::error::Result;
use crate::orbit::elements::{eccentric_anomaly, perifocal_axes_of, ClassicalElements};
use crate::orbit::validity::check_perigee;
use crate::orbit::{MotionBounds, Propagator, StateVector};

/// Secular drift rates of the mean elements, rad/s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct J2Rates {
    /// Rate of the right ascension of the ascending node, rad/s.
    pub raan_rad_s: f64,
    /// Rate of the argument of perigee, rad/s.
    pub argument_of_perigee_rad_s: f64,
    /// Rate of the mean anomaly (perturbed mean motion), rad/s.
    pub mean_anomaly_rad_s: f64,
}

impl J2Rates {
    /// Rates for the given mean elements.
    ///
    /// ```
    /// use orbitedge::orbit::{ClassicalElements, j2::J2Rates};
    /// // A 700 km sun-synchronous orbit: the node follows the Sun, ≈ 0.9856°/day.
    /// let sso = ClassicalElements { semi_major_axis_km: 7_078.137, eccentricity: 0.0,
    ///     inclination_deg: 98.19, raan_deg: 0.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: 0.0 };
    /// let deg_per_day = J2Rates::of(&sso).raan_rad_s.to_degrees() * 86_400.0;
    /// assert!((deg_per_day - 0.9856).abs() < 0.005);
    /// ```
    pub fn of(elements: &ClassicalElements) -> Self {
        let a = elements.semi_major_axis_km;
        let e = elements.eccentricity;
        let n = elements.mean_motion_rad_s(EARTH_MU_KM3_S2);
        let p = a * (1.0 - e * e);
        let factor = EARTH_J2 * (EARTH_EQUATORIAL_RADIUS_KM / p).powi(2);
        let cos_i = elements.inclination_deg.to_radians().cos();
        Self {
            raan_rad_s: -1.5 * n * factor * cos_i,
            argument_of_perigee_rad_s: 0.75 * n * factor * (5.0 * cos_i * cos_i - 1.0),
            mean_anomaly_rad_s: n
                * (1.0 + 0.75 * factor * (1.0 - e * e).sqrt() * (3.0 * cos_i * cos_i - 1.0)),
        }
    }
}

/// An orbit whose mean elements drift secularly under J2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "J2Spec", into = "J2Spec")]
pub struct J2Orbit {
    epoch: Epoch,
    elements: ClassicalElements,
    rates: J2Rates,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct J2Spec {
    epoch: Epoch,
    elements: ClassicalElements,
}

impl TryFrom<J2Spec> for J2Orbit {
    type Error = crate::Error;
    fn try_from(spec: J2Spec) -> Result<Self> {
        J2Orbit::new(spec.epoch, spec.elements)
    }
}

impl From<J2Orbit> for J2Spec {
    fn from(orbit: J2Orbit) -> Self {
        J2Spec {
            epoch: orbit.epoch,
            elements: orbit.elements,
        }
    }
}

impl J2Orbit {
    /// Orbit from mean elements at `epoch` (validated like
    /// [`crate::orbit::KeplerOrbit::new`], the perigee from the mean elements).
    pub fn new(epoch: Epoch, elements: ClassicalElements) -> Result<Self> {
        let elements = elements.validated()?;
        check_perigee(elements.perigee_radius_km())?;
        Ok(Self {
            epoch,
            elements,
            rates: J2Rates::of(&elements),
        })
    }

    /// Orbit through a Cartesian TEME state, its osculating elements taken as mean.
    pub fn from_state(epoch: Epoch, state: &StateVector) -> Result<Self> {
        Self::new(epoch, ClassicalElements::from_state(state, EARTH_MU_KM3_S2)?)
    }

    /// The mean elements at the epoch.
    pub fn elements(&self) -> &ClassicalElements {
        &self.elements
    }

    /// The secular rates.
    pub fn rates(&self) -> &J2Rates {
        &self.rates
    }
}

impl J2Orbit {
    /// The state from the sines and cosines of the inclination, the node,
    /// the argument of perigee and the eccentric anomaly.
    fn state_of(
        &self,
        inclination: (f64, f64),
        node: (f64, f64),
        perigee: (f64, f64),
        (sin_e, cos_e): (f64, f64),
    ) -> StateVector {
        let (a, e) = (self.elements.semi_major_axis_km, self.elements.eccentricity);
        let rates = &self.rates;
        let (perigee_axis, normal_axis) = perifocal_axes_of(inclination, node, perigee);
        let root = (1.0 - e * e).sqrt();
        let (x, y) = (a * (cos_e - e), a * root * sin_e);
        let position_km = x * perigee_axis + y * normal_axis;
        // The velocity is the exact time derivative of that position: motion along
        // the ellipse at the perturbed rate dM/dt, plus the turning of the perigee
        // within the plane (dω/dt) and of the plane about the pole (dΩ/dt).
        let anomaly_rate = rates.mean_anomaly_rad_s / (1.0 - e * cos_e);
        let along_ellipse = anomaly_rate * a * (-sin_e * perigee_axis + root * cos_e * normal_axis);
        let perigee_turn = rates.argument_of_perigee_rad_s * (x * normal_axis - y * perigee_axis);
        let node_turn = rates.raan_rad_s * nalgebra::Vector3::z().cross(&position_km);
        StateVector {
            position_km,
            velocity_km_s: along_ellipse + perigee_turn + node_turn,
        }
    }
}

/// Points between fresh sines and cosines in [`J2Orbit::states_every`]: each
/// rotation adds an ulp or so, so 16 keep them within ~16 ulps.
const ROTATION_ANCHOR: usize = 16;

/// The sine and cosine of an angle growing linearly over equal steps.
struct Rotation {
    /// The angle at the first point, and its growth per point, rad.
    start: f64,
    per_step: f64,
    /// sin/cos of `per_step`, and of the angle at the next point.
    turn: (f64, f64),
    current: (f64, f64),
    index: usize,
}

impl Rotation {
    /// The angle `angle + rate·(first_s + k·step_s)` at points k = 0, 1, …
    fn new(angle: f64, rate: f64, first_s: f64, step_s: f64) -> Self {
        let start = angle + rate * first_s;
        let per_step = rate * step_s;
        Self {
            start,
            per_step,
            turn: per_step.sin_cos(),
            current: start.sin_cos(),
            index: 0,
        }
    }

    /// The next point's sine and cosine.
    fn next(&mut self) -> (f64, f64) {
        let value = if self.index % ROTATION_ANCHOR == 0 {
            (self.start + self.index as f64 * self.per_step).sin_cos()
        } else {
            let ((s, c), (ts, tc)) = (self.current, self.turn);
            (s * tc + c * ts, c * tc - s * ts)
        };
        self.current = value;
        self.index += 1;
        value
    }
}

impl Propagator for J2Orbit {
    fn epoch(&self) -> Epoch {
        self.epoch
    }

    fn state_after(&self, seconds: f64) -> Result<StateVector> {
        crate::error::ensure_finite("seconds since epoch", seconds)?;
        let el = &self.elements;
        let rates = &self.rates;
        let mean = el.mean_anomaly_deg.to_radians() + rates.mean_anomaly_rad_s * seconds;
        let node = el.raan_deg.to_radians() + rates.raan_rad_s * seconds;
        let perigee = el.argument_of_perigee_deg.to_radians() + rates.argument_of_perigee_rad_s * seconds;
        let anomaly = eccentric_anomaly(mean, el.eccentricity).sin_cos();
        Ok(self.state_of(
            el.inclination_deg.to_radians().sin_cos(),
            node.sin_cos(),
            perigee.sin_cos(),
            anomaly,
        ))
    }

    /// States every `step_s` from `first_s` (as [`Self::state_after`] at each,
    /// to rounding): the node's, the perigee's and, on a circle, the
    /// anomaly's sines and cosines advance by rotation, taken afresh every
    /// [`ROTATION_ANCHOR`] points, so a grid of states costs a fraction of
    /// the trigonometry.
    fn states_every(&self, first_s: f64, step_s: f64, count: usize) -> Result<Vec<StateVector>> {
        crate::error::ensure_finite("seconds since epoch", first_s)?;
        crate::error::ensure_finite("step, s", step_s)?;
        let el = &self.elements;
        let rates = &self.rates;
        let inclination = el.inclination_deg.to_radians().sin_cos();
        let mut node = Rotation::new(el.raan_deg.to_radians(), rates.raan_rad_s, first_s, step_s);
        let mut perigee = Rotation::new(
            el.argument_of_perigee_deg.to_radians(),
            rates.argument_of_perigee_rad_s,
            first_s,
            step_s,
        );
        let mean_at = |k: usize| {
            el.mean_anomaly_deg.to_radians() + rates.mean_anomaly_rad_s * (first_s + k as f64 * step_s)
        };
        let mut circle = Rotation::new(
            el.mean_anomaly_deg.to_radians(),
            rates.mean_anomaly_rad_s,
            first_s,
            step_s,
        );
        let mut states = Vec::with_capacity(count);
        for k in 0..count {
            let anomaly = if el.eccentricity == 0.0 {
                circle.next()
            } else {
                eccentric_anomaly(mean_at(k), el.eccentricity).sin_cos()
            };
            states.push(self.state_of(inclination, node.next(), perigee.next(), anomaly));
        }
        Ok(states)
    }

    fn motion_bounds(&self) -> MotionBounds {
        // The perturbed mean motion makes speeds slightly differ from two-body ones.
        MotionBounds::elliptic(
            self.elements.semi_major_axis_km,
            self.elements.eccentricity,
            EARTH_MU_KM3_S2 * 1.01,
            1.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grid of states by rotation equals the states one by one to
    /// rounding (1e-8 km, 1e-11 km/s over a day of 30 s points), on a circle
    /// (the anomaly rotates too) and on an ellipse (Kepler's equation solved
    /// at each point).
    #[test]
    fn states_every_equals_state_after_at_each_point() {
        let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        for eccentricity in [0.0, 0.05] {
            let elements = ClassicalElements {
                semi_major_axis_km: 6_928.0,
                eccentricity,
                inclination_deg: 53.0,
                raan_deg: 40.0,
                argument_of_perigee_deg: 10.0,
                mean_anomaly_deg: 200.0,
            };
            let orbit = J2Orbit::new(epoch, elements).unwrap();
            let (first, step) = (1_234.5, 30.0);
            let grid = orbit.states_every(first, step, 2_880).unwrap();
            assert_eq!(grid.len(), 2_880);
            for (k, state) in grid.iter().enumerate() {
                let one = orbit.state_after(first + k as f64 * step).unwrap();
                assert!(
                    (state.position_km - one.position_km).norm() < 1e-8,
                    "{eccentricity} {k}"
                );
                assert!(
                    (state.velocity_km_s - one.velocity_km_s).norm() < 1e-11,
                    "{eccentricity} {k}"
                );
            }
        }
        assert!(J2Orbit::new(
            epoch,
            ClassicalElements {
                semi_major_axis_km: 7_000.0,
                eccentricity: 0.0,
                inclination_deg: 0.0,
                raan_deg: 0.0,
                argument_of_perigee_deg: 0.0,
                mean_anomaly_deg: 0.0,
            }
        )
        .unwrap()
        .states_every(f64::NAN, 30.0, 3)
        .is_err());
    }

    #[test]
    fn sun_synchronous_node_drifts_one_turn_per_year() {
        // Inclination for sun-synchronism at 700 km from the closed form
        // cos i = −(2/3)·(dΩ/dt)·p²/(n·J2·R²) with dΩ/dt = 360°/365.2422 d.
        let a = EARTH_EQUATORIAL_RADIUS_KM + 700.0;
        let n = (EARTH_MU_KM3_S2 / a.powi(3)).sqrt();
        let target = std::f64::consts::TAU / (365.242_2 * 86_400.0);
        let cos_i = -(2.0 / 3.0) * target * a * a / (n * EARTH_J2 * EARTH_EQUATORIAL_RADIUS_KM.powi(2));
        let elements = ClassicalElements {
            semi_major_axis_km: a,
            eccentricity: 0.0,
            inclination_deg: cos_i.acos().to_degrees(),
            raan_deg: 30.0,
            argument_of_perigee_deg: 0.0,
            mean_anomaly_deg: 0.0,
        };
        assert!(
            (elements.inclination_deg - 98.19).abs() < 0.01,
            "{}",
            elements.inclination_deg
        );
        let orbit = J2Orbit::new(Epoch::from_gregorian_utc_at_midnight(2024, 1, 1), elements).unwrap();
        let per_day = orbit.rates().raan_rad_s.to_degrees() * 86_400.0;
        assert!((per_day - 0.985_6).abs() < 1e-4, "{per_day}");

        // Propagated node after 10 days: where the satellite crosses the equator northwards.
        let z = |t: f64| orbit.state_after(t).unwrap().position_km.z;
        let (mut lo, mut hi) = (10.0 * 86_400.0 - 3_000.0, 10.0 * 86_400.0 + 3_000.0);
        while !(z(lo) < 0.0 && z(hi) > 0.0) || hi - lo > 1e-7 {
            let mid = 0.5 * (lo + hi);
            if z(lo) >= 0.0 {
                lo -= 1_000.0;
            } else if z(hi) <= 0.0 {
                hi += 1_000.0;
            } else if z(mid) < 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let node = orbit.state_after(lo).unwrap().position_km;
        let raan = node.y.atan2(node.x).to_degrees();
        let t = lo;
        let per_day_expected = 30.0 + per_day * t / 86_400.0;
        assert!(
            (raan - per_day_expected).abs() < 1e-6,
            "{raan} vs {per_day_expected}"
        );
    }

    #[test]
    fn velocity_is_the_derivative_of_position() {
        let elements = ClassicalElements {
            semi_major_axis_km: 7_000.0,
            eccentricity: 0.05,
            inclination_deg: 63.0,
            raan_deg: 10.0,
            argument_of_perigee_deg: 30.0,
            mean_anomaly_deg: 0.0,
        };
        let orbit = J2Orbit::new(Epoch::from_gregorian_utc_at_midnight(2024, 1, 1), elements).unwrap();
        for t in [0.0, 1_000.0, 50_000.0] {
            let h = 0.01;
            let numeric = (orbit.state_after(t + h).unwrap().position_km
                - orbit.state_after(t - h).unwrap().position_km)
                / (2.0 * h);
            let analytic = orbit.state_after(t).unwrap().velocity_km_s;
            assert!(
                (numeric - analytic).norm() < 1e-7,
                "t={t}: {}",
                (numeric - analytic).norm()
            );
        }
    }

    #[test]
    fn critical_inclination_freezes_perigee() {
        let elements = ClassicalElements {
            semi_major_axis_km: 26_600.0,
            eccentricity: 0.74,
            inclination_deg: (1.0f64 / 5.0).sqrt().acos().to_degrees(),
            raan_deg: 0.0,
            argument_of_perigee_deg: 270.0,
            mean_anomaly_deg: 0.0,
        };
        assert!(J2Rates::of(&elements).argument_of_perigee_rad_s.abs() < 1e-20);
    }
}
