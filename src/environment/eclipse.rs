//! How much of the solar disk a satellite sees.
//!
//! **Conical model** (Montenbruck & Gill, *Satellite Orbits*, §3.4.2; the
//! default). From the satellite, the Sun has apparent radius a = asin(R☉/|s|),
//! the Earth b = asin(R⊕/|r|), and their centres are c apart:
//! - c ≥ a + b: sunlit, fraction 1;
//! - c ≤ b − a: umbra, fraction 0;
//! - c ≤ a − b: antumbra, fraction 1 − b²/a²;
//! - otherwise the overlap area A of two disks, with x = (c² + a² − b²)/(2c),
//!   y = sqrt(a² − x²): A = a²·acos(x/a) + b²·acos((c − x)/b) − c·y, fraction 1 − A/(πa²).
//!
//! **Cylindrical model**: parallel sunlight and a point Sun (a = 0): in shadow,
//! fraction 0, when c < b; otherwise 1. Cheap, and the classic closed forms use it.
//!
//! R⊕ is the WGS84 equatorial radius plus an optional atmosphere allowance.

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

use crate::constants::{EARTH_EQUATORIAL_RADIUS_KM, SUN_RADIUS_KM};

/// How much of the Sun a spacecraft sees: the one light type of the crate
/// (eclipse searches, the engine's state and events, the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// The whole solar disk is visible.
    Sunlit,
    /// Part of the solar disk is hidden.
    Penumbra,
    /// The solar disk is hidden.
    Umbra,
}

impl Light {
    /// `"sunlit"`, `"penumbra"` or `"umbra"` (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Sunlit => "sunlit",
            Light::Penumbra => "penumbra",
            Light::Umbra => "umbra",
        }
    }

    /// In the shadow, partly or wholly.
    pub fn is_shadow(self) -> bool {
        self != Light::Sunlit
    }
}

impl std::fmt::Display for Light {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which shadow geometry to use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ShadowModel {
    /// Umbra and penumbra from the Sun's finite disk (default).
    #[default]
    Conical,
    /// Binary shadow behind the Earth, parallel rays.
    Cylindrical,
}

/// Shadow geometry parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShadowConfig {
    /// Geometry; default conical.
    pub model: ShadowModel,
    /// Height added to the Earth's equatorial radius to mimic atmospheric
    /// absorption, km; default 0 (a thin atmosphere adds ≈ 20–50 km in practice).
    pub atmosphere_km: f64,
}

impl Default for ShadowConfig {
    fn default() -> Self {
        Self {
            model: ShadowModel::Conical,
            atmosphere_km: 0.0,
        }
    }
}

/// Apparent geometry of Sun and Earth seen from the satellite, radians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShadowGeometry {
    /// Apparent solar radius a.
    pub sun_radius_rad: f64,
    /// Apparent Earth radius b.
    pub earth_radius_rad: f64,
    /// Angle c between the centres of the two disks.
    pub separation_rad: f64,
}

impl ShadowConfig {
    /// The geometry for a satellite at `satellite_km` with the Sun at `sun_km` (both geocentric TEME).
    pub fn geometry(&self, satellite_km: &Vector3<f64>, sun_km: &Vector3<f64>) -> ShadowGeometry {
        let r = satellite_km.norm();
        let earth_radius = EARTH_EQUATORIAL_RADIUS_KM + self.atmosphere_km;
        let earth_radius_rad = (earth_radius / r).min(1.0).asin();
        let (sun_radius_rad, towards_sun) = match self.model {
            ShadowModel::Conical => {
                let s = sun_km - satellite_km;
                let distance = s.norm();
                ((SUN_RADIUS_KM / distance).asin(), s / distance)
            }
            ShadowModel::Cylindrical => (0.0, sun_km.normalize()),
        };
        let towards_earth = -satellite_km / r;
        let separation_rad = towards_earth.dot(&towards_sun).clamp(-1.0, 1.0).acos();
        ShadowGeometry {
            sun_radius_rad,
            earth_radius_rad,
            separation_rad,
        }
    }

    /// Visible fraction of the solar disk: 0 in umbra, (0, 1) in penumbra, 1 sunlit.
    ///
    /// ```
    /// use orbitedge::environment::eclipse::ShadowConfig;
    /// use nalgebra::Vector3;
    /// let sun = Vector3::new(1.496e8, 0.0, 0.0);
    /// let shadow = ShadowConfig::default();
    /// assert_eq!(shadow.sunlit_fraction(&Vector3::new(7000.0, 0.0, 0.0), &sun), 1.0);
    /// assert_eq!(shadow.sunlit_fraction(&Vector3::new(-7000.0, 0.0, 0.0), &sun), 0.0);
    /// ```
    pub fn sunlit_fraction(&self, satellite_km: &Vector3<f64>, sun_km: &Vector3<f64>) -> f64 {
        self.geometry(satellite_km, sun_km).visible_fraction()
    }
}

impl ShadowGeometry {
    /// The visible fraction of the solar disk for this geometry.
    pub fn visible_fraction(&self) -> f64 {
        let (a, b, c) = (self.sun_radius_rad, self.earth_radius_rad, self.separation_rad);
        if c >= a + b {
            1.0
        } else if c <= b - a {
            0.0
        } else if c <= a - b {
            1.0 - (b * b) / (a * a)
        } else {
            let x = (c * c + a * a - b * b) / (2.0 * c);
            let y = (a * a - x * x).max(0.0).sqrt();
            let overlap = a * a * (x / a).clamp(-1.0, 1.0).acos()
                + b * b * ((c - x) / b).clamp(-1.0, 1.0).acos()
                - c * y;
            (1.0 - overlap / (PI * a * a)).clamp(0.0, 1.0)
        }
    }

    /// Signed distance (rad) from the penumbra boundary: > 0 outside any shadow.
    pub fn penumbra_margin_rad(&self) -> f64 {
        self.separation_rad - (self.sun_radius_rad + self.earth_radius_rad)
    }

    /// Signed distance (rad) from the umbra boundary: > 0 outside the umbra.
    pub fn umbra_margin_rad(&self) -> f64 {
        self.separation_rad - (self.earth_radius_rad - self.sun_radius_rad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_is_continuous_and_monotonic_across_penumbra() {
        let shadow = ShadowConfig::default();
        let sun = Vector3::new(1.496e8, 0.0, 0.0);
        let r = 6_878.0;
        let mut previous = 0.0;
        // Move the satellite from deep shadow (behind the Earth) to full sun.
        for k in 0..=20_000 {
            let angle = PI * (1.0 - 0.5 * k as f64 / 20_000.0);
            let sat = Vector3::new(r * angle.cos(), r * angle.sin(), 0.0);
            let f = shadow.sunlit_fraction(&sat, &sun);
            assert!(f >= previous - 1e-12, "not monotonic at {k}");
            assert!(f - previous < 0.02, "jump at {k}");
            previous = f;
        }
        assert_eq!(previous, 1.0);
    }

    #[test]
    fn half_covered_sun_sees_about_half() {
        // When the Earth's limb passes through the Sun's centre (c = b), about half the disk shows.
        let g = ShadowGeometry {
            sun_radius_rad: 0.00465,
            earth_radius_rad: 1.2,
            separation_rad: 1.2,
        };
        assert!((g.visible_fraction() - 0.5).abs() < 0.01);
    }

    #[test]
    fn antumbra_shows_a_ring() {
        let g = ShadowGeometry {
            sun_radius_rad: 0.01,
            earth_radius_rad: 0.005,
            separation_rad: 0.001,
        };
        assert!((g.visible_fraction() - 0.75).abs() < 1e-12);
    }
}
