//! Sun position from the low-precision solar ephemeris of the *Astronomical
//! Almanac* (as given in Vallado, *Fundamentals of Astrodynamics*, algorithm 29):
//! about 0.01° in direction for 1950–2050, no data file needed.
//!
//! With T the Julian centuries since J2000 (UT1 ≈ TT here: the 69 s difference
//! moves the Sun by 0.0008°):
//! - mean longitude λ_M = 280.460° + 36000.771°·T
//! - mean anomaly M = 357.5291092° + 35999.05034°·T
//! - ecliptic longitude λ = λ_M + 1.914666471°·sin M + 0.019994643°·sin 2M
//! - distance r = 1.000140612 − 0.016708617·cos M − 0.000139589·cos 2M (AU)
//! - obliquity ε = 23.439291° − 0.0130042°·T
//!
//! The result is equatorial of date, which orbitedge uses as TEME (they differ by
//! the equation of the equinoxes, ≤ 1.2″).

use nalgebra::Vector3;

use crate::constants::ASTRONOMICAL_UNIT_KM;

/// Geocentric Sun position (TEME, km) at a UT1 Julian date.
///
/// ```
/// // At the 2024 March equinox (2024-03-20 03:06 UTC) the Sun crosses the equator
/// // heading north, at about 0.996 AU.
/// let sun = orbitedge::environment::sun::sun_position_km(2_460_389.629_17);
/// let declination_deg = (sun.z / sun.norm()).asin().to_degrees();
/// assert!(declination_deg.abs() < 0.02);
/// assert!(sun.x > 0.0 && (sun.norm() / 149_597_870.7 - 0.996).abs() < 0.001);
/// ```
pub fn sun_position_km(julian_date: f64) -> Vector3<f64> {
    let t = (julian_date - 2_451_545.0) / 36_525.0;
    let mean_longitude = (280.460 + 36_000.771 * t).to_radians();
    let mean_anomaly = (357.529_109_2 + 35_999.050_34 * t).to_radians();
    let (sin_m, cos_m) = mean_anomaly.sin_cos();
    let (sin_2m, cos_2m) = (2.0 * sin_m * cos_m, 2.0 * cos_m * cos_m - 1.0);
    let longitude = mean_longitude + (1.914_666_471 * sin_m + 0.019_994_643 * sin_2m).to_radians();
    let distance_km = (1.000_140_612 - 0.016_708_617 * cos_m - 0.000_139_589 * cos_2m) * ASTRONOMICAL_UNIT_KM;
    let obliquity = (23.439_291 - 0.013_004_2 * t).to_radians();
    let (sin_l, cos_l) = longitude.sin_cos();
    let (sin_e, cos_e) = obliquity.sin_cos();
    distance_km * Vector3::new(cos_l, cos_e * sin_l, sin_e * sin_l)
}

/// The Sun's position tabulated over an interval and interpolated linearly:
/// the engine asks for it at every sub-step of every spacecraft. With hourly
/// nodes the interpolation error is ~1e-7 of the distance (2e-6°), far below
/// the ephemeris's own 0.01°.
#[derive(Debug, Clone)]
pub struct SunTable {
    start_s: f64,
    step_s: f64,
    nodes: Vec<Vector3<f64>>,
}

impl SunTable {
    /// Nodes every `step_s` covering [start_s, end_s] of `axis`.
    pub fn new(axis: &crate::time::TimeAxis, start_s: f64, end_s: f64, step_s: f64) -> Self {
        let count = ((end_s - start_s) / step_s).ceil().max(1.0) as usize + 1;
        let nodes = (0..=count)
            .map(|k| sun_position_km(axis.julian_date_ut1(start_s + k as f64 * step_s)))
            .collect();
        Self {
            start_s,
            step_s,
            nodes,
        }
    }

    /// Sun position (TEME, km) at `t_s` on the table's axis.
    pub fn at(&self, t_s: f64) -> Vector3<f64> {
        let x = ((t_s - self.start_s) / self.step_s).max(0.0);
        let k = (x.floor() as usize).min(self.nodes.len() - 2);
        let f = x - k as f64;
        self.nodes[k] * (1.0 - f) + self.nodes[k + 1] * f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_direct_evaluation() {
        let start = crate::time::parse_epoch("2024-03-01T00:00:00Z").unwrap();
        let axis = crate::time::TimeAxis::new(start, start + hifitime::Duration::from_days(2.0));
        let table = SunTable::new(&axis, 0.0, 172_800.0, 3_600.0);
        for k in 0..500 {
            let t = k as f64 * 345.6;
            let direct = sun_position_km(axis.julian_date_ut1(t));
            let angle = direct.angle(&table.at(t)).to_degrees();
            assert!(angle < 1e-5, "{angle}");
            assert!(((direct - table.at(t)).norm() / direct.norm()) < 1e-6);
        }
    }
}
