//! Solar irradiance at a spacecraft, the input of solar arrays and of the
//! thermal model's Sun term.
//!
//! By default the solar constant at 1 AU falls off as the inverse square of
//! the Sun's distance: 1 361 W/m² at 1 AU is about 1 407 W/m² at perihelion
//! (early January) and 1 316 W/m² at aphelion. PASEOS's thermal model holds
//! a constant 1 360 W/m² whatever the date; `SolarIrradiance::fixed` does the
//! same, so its numbers can be reproduced.

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::constants::ASTRONOMICAL_UNIT_KM;
use crate::error::{ensure_positive, Error, Result};

/// Total solar irradiance at 1 AU, W/m²: 1 360.8 ± 0.5 W/m² at solar
/// minimum (Kopp & Lean 2011, *Geophys. Res. Lett.* 38, L01706), rounded.
pub const SOLAR_IRRADIANCE_1AU_W_M2: f64 = 1361.0;

/// Largest solar constant accepted, W/m²: ten times Mercury's at perihelion
/// (≈ 14 500 W/m²), beyond which the number is a typo, not a study.
const MAX_SOLAR_CONSTANT_W_M2: f64 = 1.5e5;

/// How bright the Sun is at a spacecraft.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SolarIrradiance {
    /// Irradiance at 1 AU (or everywhere, when it does not follow the distance), W/m².
    pub solar_constant_w_m2: f64,
    /// Scale by (1 AU / distance)²; false holds the constant (PASEOS).
    pub follows_distance: bool,
}

impl Default for SolarIrradiance {
    fn default() -> Self {
        Self {
            solar_constant_w_m2: SOLAR_IRRADIANCE_1AU_W_M2,
            follows_distance: true,
        }
    }
}

impl SolarIrradiance {
    /// The constant `solar_constant_w_m2` at any distance.
    pub fn fixed(solar_constant_w_m2: f64) -> Self {
        Self {
            solar_constant_w_m2,
            follows_distance: false,
        }
    }

    /// Checks the constant: positive, finite and at most 1.5 × 10⁵ W/m².
    pub fn validated(self) -> Result<Self> {
        ensure_positive("solar_constant_w_m2", self.solar_constant_w_m2)?;
        if self.solar_constant_w_m2 > MAX_SOLAR_CONSTANT_W_M2 {
            return Err(Error::parameter(
                "solar_constant_w_m2",
                self.solar_constant_w_m2,
                "at most 150000 W/m² (ten times Mercury's)",
            ));
        }
        Ok(self)
    }

    /// Irradiance at `distance_km` from the Sun, W/m².
    ///
    /// ```
    /// use orbitedge::environment::irradiance::SolarIrradiance;
    /// let au = 149_597_870.7;
    /// assert_eq!(SolarIrradiance::default().at(au), 1361.0);
    /// assert!((SolarIrradiance::default().at(0.983 * au) - 1408.5).abs() < 0.1); // perihelion
    /// assert_eq!(SolarIrradiance::fixed(1360.0).at(0.983 * au), 1360.0); // PASEOS
    /// ```
    pub fn at(&self, distance_km: f64) -> f64 {
        if self.follows_distance {
            self.solar_constant_w_m2 * (ASTRONOMICAL_UNIT_KM / distance_km).powi(2)
        } else {
            self.solar_constant_w_m2
        }
    }

    /// Irradiance at a spacecraft at `position_km` with the Sun at `sun_km`
    /// (both geocentric, same frame), W/m².
    pub fn at_spacecraft(&self, sun_km: &Vector3<f64>, position_km: &Vector3<f64>) -> f64 {
        self.at((sun_km - position_km).norm())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_constants_are_refused_by_name() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e6] {
            match SolarIrradiance::fixed(bad).validated() {
                Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "solar_constant_w_m2"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(SolarIrradiance::fixed(589.0).validated().is_ok()); // Mars' mean
    }
}
