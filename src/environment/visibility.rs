//! Satellite-to-satellite line of sight.
//!
//! Two satellites see each other when the segment joining them passes above the
//! Earth (a sphere of the equatorial radius) plus a grazing altitude that keeps
//! the link out of the dense atmosphere, and, optionally, when they are closer
//! than a maximum range. [`LineOfSight::margin_km`] is a continuous signed
//! distance (> 0 visible) so event searches can find its zeros.

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::constants::EARTH_EQUATORIAL_RADIUS_KM;
use crate::error::{ensure_non_negative, ensure_positive, Result};

/// Rules for an inter-satellite link.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LineOfSight {
    /// Lowest altitude the line of sight may pass at, km; default 80 (mesopause).
    pub grazing_altitude_km: f64,
    /// Maximum link range, km; `None` for unlimited (the default).
    pub max_range_km: Option<f64>,
}

impl Default for LineOfSight {
    fn default() -> Self {
        Self {
            grazing_altitude_km: 80.0,
            max_range_km: None,
        }
    }
}

impl LineOfSight {
    /// Validated rules.
    pub fn new(grazing_altitude_km: f64, max_range_km: Option<f64>) -> Result<Self> {
        ensure_non_negative("grazing_altitude_km", grazing_altitude_km)?;
        if let Some(range) = max_range_km {
            ensure_positive("max_range_km", range)?;
        }
        Ok(Self {
            grazing_altitude_km,
            max_range_km,
        })
    }

    /// Signed visibility margin, km: the smaller of (lowest altitude of the
    /// segment − grazing altitude) and (max range − range).
    ///
    /// ```
    /// use orbitedge::environment::LineOfSight;
    /// use nalgebra::Vector3;
    /// let los = LineOfSight::default();
    /// let a = Vector3::new(7_000.0, 0.0, 0.0);
    /// // 40° apart at 7000 km: the link passes ≈ 200 km up (> 80 km), visible.
    /// let b = 7_000.0 * Vector3::new(40f64.to_radians().cos(), 40f64.to_radians().sin(), 0.0);
    /// assert!(los.margin_km(&a, &b) > 0.0);
    /// assert!(los.margin_km(&a, &Vector3::new(-7_000.0, 0.0, 0.0)) < 0.0);
    /// ```
    pub fn margin_km(&self, a_km: &Vector3<f64>, b_km: &Vector3<f64>) -> f64 {
        let d = b_km - a_km;
        let length_sq = d.norm_squared();
        // Closest point of the segment to the Earth's centre.
        let t = if length_sq > 0.0 {
            (-a_km.dot(&d) / length_sq).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let closest = a_km + t * d;
        let clearance = closest.norm() - EARTH_EQUATORIAL_RADIUS_KM - self.grazing_altitude_km;
        match self.max_range_km {
            Some(max) => clearance.min(max - length_sq.sqrt()),
            None => clearance,
        }
    }
}
