//! Classical (Keplerian) orbital elements and their conversion to and from states.
//!
//! Conversions follow Vallado, *Fundamentals of Astrodynamics*, algorithms 9
//! (RV2COE) and 10 (COE2RV). Circular and equatorial orbits have undefined node
//! or perigee: the conversion then sets the undefined angle to zero and folds it
//! into the anomaly, so state → elements → state is exact for every orbit.

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};
use std::f64::consts::TAU;

use crate::error::{ensure_finite, ensure_positive, Error, Result};
use crate::orbit::StateVector;

/// Classical elements of an elliptic orbit (angles in degrees, as users write them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassicalElements {
    /// Semi-major axis, km.
    pub semi_major_axis_km: f64,
    /// Eccentricity, 0 ≤ e < 1.
    pub eccentricity: f64,
    /// Inclination, degrees in [0, 180].
    pub inclination_deg: f64,
    /// Right ascension of the ascending node, degrees.
    pub raan_deg: f64,
    /// Argument of perigee, degrees.
    pub argument_of_perigee_deg: f64,
    /// Mean anomaly, degrees.
    pub mean_anomaly_deg: f64,
}

impl ClassicalElements {
    /// Checks that the elements describe an elliptic orbit (finite, a > 0,
    /// 0 ≤ e < 1, inclination in [0°, 180°]). Whether it clears the Earth is the
    /// orbit constructors' check ([`crate::orbit::validity`]): elements alone
    /// are also used for geometry that needs no Earth.
    ///
    /// ```
    /// use orbitedge::orbit::ClassicalElements;
    /// let hyperbolic = ClassicalElements { semi_major_axis_km: 7000.0, eccentricity: 1.2,
    ///     inclination_deg: 0.0, raan_deg: 0.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: 0.0 };
    /// let err = hyperbolic.validated().unwrap_err();
    /// assert_eq!(err.to_string(), "eccentricity must be in [0, 1) (elliptic orbits only), got 1.2");
    /// ```
    pub fn validated(self) -> Result<Self> {
        ensure_positive("semi_major_axis_km", self.semi_major_axis_km)?;
        ensure_finite("eccentricity", self.eccentricity)?;
        if !(0.0..1.0).contains(&self.eccentricity) {
            return Err(Error::parameter(
                "eccentricity",
                self.eccentricity,
                "in [0, 1) (elliptic orbits only)",
            ));
        }
        ensure_finite("inclination_deg", self.inclination_deg)?;
        if !(0.0..=180.0).contains(&self.inclination_deg) {
            return Err(Error::parameter(
                "inclination_deg",
                self.inclination_deg,
                "in [0, 180]",
            ));
        }
        ensure_finite("raan_deg", self.raan_deg)?;
        ensure_finite("argument_of_perigee_deg", self.argument_of_perigee_deg)?;
        ensure_finite("mean_anomaly_deg", self.mean_anomaly_deg)?;
        Ok(self)
    }

    /// Perigee radius a·(1 − e), km (the orbit's lowest point; for mean
    /// elements, its mean).
    pub fn perigee_radius_km(&self) -> f64 {
        self.semi_major_axis_km * (1.0 - self.eccentricity)
    }

    /// Mean motion, rad/s.
    pub fn mean_motion_rad_s(&self, mu_km3_s2: f64) -> f64 {
        (mu_km3_s2 / self.semi_major_axis_km.powi(3)).sqrt()
    }

    /// Orbital period, s: T = 2π·sqrt(a³/μ).
    pub fn period_s(&self, mu_km3_s2: f64) -> f64 {
        TAU / self.mean_motion_rad_s(mu_km3_s2)
    }

    /// Cartesian state for these elements.
    pub fn to_state(&self, mu_km3_s2: f64) -> StateVector {
        let anomaly = eccentric_anomaly(self.mean_anomaly_deg.to_radians(), self.eccentricity);
        perifocal_state(
            self.semi_major_axis_km,
            self.eccentricity,
            self.inclination_deg.to_radians(),
            self.raan_deg.to_radians(),
            self.argument_of_perigee_deg.to_radians(),
            anomaly,
            mu_km3_s2,
        )
    }

    /// Elements of a Cartesian state; errors for non-elliptic or degenerate states.
    pub fn from_state(state: &StateVector, mu_km3_s2: f64) -> Result<Self> {
        let r = state.position_km;
        let v = state.velocity_km_s;
        for component in r.iter().chain(v.iter()) {
            ensure_finite("state component", *component)?;
        }
        let r_norm = ensure_positive("position norm (km)", r.norm())?;
        let h = r.cross(&v);
        let h_norm = ensure_positive("angular momentum (km^2/s)", h.norm())?;
        let energy = v.norm_squared() / 2.0 - mu_km3_s2 / r_norm;
        if energy >= 0.0 {
            return Err(Error::parameter(
                "specific orbital energy (km^2/s^2)",
                energy,
                "negative (an elliptic orbit; this state escapes)",
            ));
        }
        let a = -mu_km3_s2 / (2.0 * energy);
        let e_vec = ((v.norm_squared() - mu_km3_s2 / r_norm) * r - r.dot(&v) * v) / mu_km3_s2;
        let e = e_vec.norm();
        let inclination = (h.z / h_norm).clamp(-1.0, 1.0).acos();
        let node = Vector3::z().cross(&h);
        let node_norm = node.norm();

        const SMALL: f64 = 1e-11;
        let equatorial = node_norm < SMALL * h_norm;
        let circular = e < SMALL;
        let raan = if equatorial { 0.0 } else { node.y.atan2(node.x) };
        // Reference direction in the orbit plane from which perigee is measured.
        let node_dir = if equatorial {
            Vector3::x()
        } else {
            node / node_norm
        };
        let h_hat = h / h_norm;
        let angle_from_node = |target: &Vector3<f64>| {
            let y = h_hat.cross(&node_dir).dot(target);
            let x = node_dir.dot(target);
            y.atan2(x)
        };
        let argp = if circular { 0.0 } else { angle_from_node(&e_vec) };
        let true_anomaly = angle_from_node(&r) - argp;
        let (sin_nu, cos_nu) = true_anomaly.sin_cos();
        let eccentric = ((1.0 - e * e).sqrt() * sin_nu).atan2(e + cos_nu);
        let mean = eccentric - e * eccentric.sin();
        ClassicalElements {
            semi_major_axis_km: a,
            eccentricity: e,
            inclination_deg: inclination.to_degrees(),
            raan_deg: raan.rem_euclid(TAU).to_degrees(),
            argument_of_perigee_deg: argp.rem_euclid(TAU).to_degrees(),
            mean_anomaly_deg: mean.rem_euclid(TAU).to_degrees(),
        }
        .validated()
    }
}

/// Solves Kepler's equation E − e·sin E = M for the eccentric anomaly (rad).
///
/// Newton's method from the starter E₀ = M + e·sin M (E₀ = π for e > 0.8, which
/// converges for every M), stopping at |ΔE| < 1e-15 rad.
///
/// ```
/// let e = orbitedge::orbit::elements::eccentric_anomaly(1.0, 0.5);
/// assert!((e - 0.5 * e.sin() - 1.0).abs() < 1e-14);
/// ```
pub fn eccentric_anomaly(mean_anomaly_rad: f64, eccentricity: f64) -> f64 {
    // Wrap into [−π, π] (cheaper than a floating-point remainder).
    let m = mean_anomaly_rad - TAU * (mean_anomaly_rad / TAU).round();
    if eccentricity == 0.0 {
        return m;
    }
    let mut anomaly = if eccentricity > 0.8 {
        std::f64::consts::PI.copysign(m)
    } else {
        m + eccentricity * m.sin()
    };
    for _ in 0..50 {
        let (sin_e, cos_e) = anomaly.sin_cos();
        let step = (anomaly - eccentricity * sin_e - m) / (1.0 - eccentricity * cos_e);
        anomaly -= step;
        if step.abs() < 1e-15 {
            break;
        }
    }
    anomaly
}

/// State from elements given the eccentric anomaly (shared by Kepler and J2).
pub(crate) fn perifocal_state(
    a_km: f64,
    e: f64,
    inclination_rad: f64,
    raan_rad: f64,
    argp_rad: f64,
    eccentric_anomaly_rad: f64,
    mu_km3_s2: f64,
) -> StateVector {
    let (p_hat, q_hat) = perifocal_axes(inclination_rad, raan_rad, argp_rad);
    let (sin_e, cos_e) = eccentric_anomaly_rad.sin_cos();
    let root = (1.0 - e * e).sqrt();
    let n = (mu_km3_s2 / (a_km * a_km * a_km)).sqrt();
    let rate = n * a_km / (1.0 - e * cos_e);
    StateVector {
        position_km: a_km * ((cos_e - e) * p_hat + root * sin_e * q_hat),
        velocity_km_s: rate * (-sin_e * p_hat + root * cos_e * q_hat),
    }
}

/// Unit vectors towards perigee (P) and 90° ahead of it in the orbit plane (Q).
pub(crate) fn perifocal_axes(
    inclination_rad: f64,
    raan_rad: f64,
    argp_rad: f64,
) -> (Vector3<f64>, Vector3<f64>) {
    perifocal_axes_of(inclination_rad.sin_cos(), raan_rad.sin_cos(), argp_rad.sin_cos())
}

/// [`perifocal_axes`] from the sines and cosines of the inclination, the
/// node and the argument of perigee.
pub(crate) fn perifocal_axes_of(
    (sin_i, cos_i): (f64, f64),
    (sin_o, cos_o): (f64, f64),
    (sin_w, cos_w): (f64, f64),
) -> (Vector3<f64>, Vector3<f64>) {
    let p = Vector3::new(
        cos_o * cos_w - sin_o * sin_w * cos_i,
        sin_o * cos_w + cos_o * sin_w * cos_i,
        sin_w * sin_i,
    );
    let q = Vector3::new(
        -cos_o * sin_w - sin_o * cos_w * cos_i,
        -sin_o * sin_w + cos_o * cos_w * cos_i,
        cos_w * sin_i,
    );
    (p, q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::EARTH_MU_KM3_S2;
    use proptest::prelude::*;

    fn angle_diff_deg(a: f64, b: f64) -> f64 {
        (a - b + 180.0).rem_euclid(360.0) - 180.0
    }

    #[test]
    fn kepler_equation_all_eccentricities() {
        for e in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999_999] {
            for k in 0..=72 {
                let m = -std::f64::consts::PI + k as f64 * TAU / 72.0;
                let anomaly = eccentric_anomaly(m, e);
                let residual = anomaly - e * anomaly.sin() - m;
                let wrapped = (residual + std::f64::consts::PI).rem_euclid(TAU) - std::f64::consts::PI;
                assert!(wrapped.abs() < 1e-12, "e={e} M={m} residual {wrapped}");
            }
        }
    }

    proptest! {
        #[test]
        fn elements_state_round_trip(
            a in 6_600.0f64..45_000.0,
            e in 0.001f64..0.95,
            i in 0.5f64..179.5,
            raan in 0.0f64..360.0,
            argp in 0.0f64..360.0,
            m in 0.0f64..360.0,
        ) {
            let elements = ClassicalElements { semi_major_axis_km: a, eccentricity: e, inclination_deg: i,
                raan_deg: raan, argument_of_perigee_deg: argp, mean_anomaly_deg: m };
            let back = ClassicalElements::from_state(&elements.to_state(EARTH_MU_KM3_S2), EARTH_MU_KM3_S2).unwrap();
            prop_assert!((back.semi_major_axis_km - a).abs() < 1e-6 * a);
            prop_assert!((back.eccentricity - e).abs() < 1e-9);
            prop_assert!((back.inclination_deg - i).abs() < 1e-8);
            prop_assert!(angle_diff_deg(back.raan_deg, raan).abs() < 1e-7);
            prop_assert!(angle_diff_deg(back.argument_of_perigee_deg, argp).abs() < 1e-5);
            prop_assert!(angle_diff_deg(back.mean_anomaly_deg, m).abs() < 1e-5);
        }

        #[test]
        fn singular_orbits_round_trip_through_state(
            a in 6_600.0f64..45_000.0,
            i in prop::sample::select(vec![0.0, 180.0, 51.6]),
            e in prop::sample::select(vec![0.0, 0.01]),
            u in 0.0f64..360.0,
        ) {
            let elements = ClassicalElements { semi_major_axis_km: a, eccentricity: e, inclination_deg: i,
                raan_deg: 40.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: u };
            let state = elements.to_state(EARTH_MU_KM3_S2);
            let again = ClassicalElements::from_state(&state, EARTH_MU_KM3_S2).unwrap().to_state(EARTH_MU_KM3_S2);
            prop_assert!((again.position_km - state.position_km).norm() < 1e-6);
            prop_assert!((again.velocity_km_s - state.velocity_km_s).norm() < 1e-9);
        }
    }

    #[test]
    fn escape_state_is_rejected() {
        let state = StateVector {
            position_km: Vector3::new(7_000.0, 0.0, 0.0),
            velocity_km_s: Vector3::new(0.0, 11.0, 0.0),
        };
        let err = ClassicalElements::from_state(&state, EARTH_MU_KM3_S2).unwrap_err();
        assert!(err.to_string().contains("escapes"), "{err}");
    }

    #[test]
    fn nan_state_is_rejected() {
        let state = StateVector {
            position_km: Vector3::new(f64::NAN, 0.0, 0.0),
            velocity_km_s: Vector3::new(0.0, 7.5, 0.0),
        };
        assert!(matches!(
            ClassicalElements::from_state(&state, EARTH_MU_KM3_S2),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
