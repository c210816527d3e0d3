//! Reference frames and the transformations between them.
//!
//! - **TEME** (true equator, mean equinox): the output frame of SGP4 and, by
//!   choice, the inertial frame of every orbit in orbitedge (Kepler, J2, user
//!   ephemerides). One inertial frame means one Earth-rotation model for all.
//!   TEME differs from GCRF/J2000 by precession–nutation (≈ 0.3° in 2024): convert
//!   states produced in GCRF before handing them in.
//! - **Earth-fixed** (ECEF, strictly the pseudo-Earth-fixed frame): TEME rotated by
//!   the Greenwich mean sidereal time (IAU-82), polar motion neglected (≤ 15 m),
//!   as in Vallado et al., *Revisiting Spacetrack Report #3* (2006).
//! - **Geodetic**: WGS84 latitude, longitude, height above the ellipsoid.
//! - **Topocentric**: azimuth (from north, clockwise), elevation above the plane
//!   normal to the ellipsoid, range.

use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};

use crate::constants::{EARTH_EQUATORIAL_RADIUS_KM, EARTH_FLATTENING, EARTH_ROTATION_RAD_S};
use crate::error::{ensure_finite, Error, Result};

/// Greenwich mean sidereal time (IAU-82), radians in [0, 2π).
///
/// θ = 67310.54841 s + (876600 h + 8640184.812866 s)·T + 0.093104 s·T² − 6.2e−6 s·T³,
/// T = Julian centuries of UT1 since J2000 (Vallado, *Fundamentals*, eq. 3-47).
///
/// ```
/// // Vallado, Fundamentals of Astrodynamics, Example 3-5: 1992-08-20 12:14 UT1.
/// let julian_date = 2_448_854.5 + (12.0 + 14.0 / 60.0) / 24.0;
/// let gmst_deg = orbitedge::frames::gmst_rad(julian_date).to_degrees();
/// assert!((gmst_deg - 152.578_787_886).abs() < 1e-6);
/// ```
pub fn gmst_rad(julian_date_ut1: f64) -> f64 {
    let t = (julian_date_ut1 - 2_451_545.0) / 36_525.0;
    let seconds = 67_310.548_41 + (876_600.0 * 3_600.0 + 8_640_184.812_866) * t + 0.093_104 * t * t
        - 6.2e-6 * t * t * t;
    // 240 s of sidereal time per degree.
    (seconds / 240.0).to_radians().rem_euclid(std::f64::consts::TAU)
}

/// Rotation from TEME to Earth-fixed for a given GMST.
pub fn teme_to_ecef_rotation(gmst_rad: f64) -> Matrix3<f64> {
    let (s, c) = gmst_rad.sin_cos();
    Matrix3::new(c, s, 0.0, -s, c, 0.0, 0.0, 0.0, 1.0)
}

/// Position and velocity from TEME to Earth-fixed.
///
/// The velocity is relative to the rotating Earth: v_ecef = R·v_teme − ω × r_ecef.
pub fn teme_to_ecef(
    position_km: &Vector3<f64>,
    velocity_km_s: &Vector3<f64>,
    gmst_rad: f64,
) -> (Vector3<f64>, Vector3<f64>) {
    let rotation = teme_to_ecef_rotation(gmst_rad);
    let r = rotation * position_km;
    let omega = Vector3::new(0.0, 0.0, EARTH_ROTATION_RAD_S);
    let v = rotation * velocity_km_s - omega.cross(&r);
    (r, v)
}

/// Position and velocity from Earth-fixed to TEME (inverse of [`teme_to_ecef`]).
pub fn ecef_to_teme(
    position_km: &Vector3<f64>,
    velocity_km_s: &Vector3<f64>,
    gmst_rad: f64,
) -> (Vector3<f64>, Vector3<f64>) {
    let rotation = teme_to_ecef_rotation(gmst_rad).transpose();
    let omega = Vector3::new(0.0, 0.0, EARTH_ROTATION_RAD_S);
    let v_inertial_in_ecef = velocity_km_s + omega.cross(position_km);
    (rotation * position_km, rotation * v_inertial_in_ecef)
}

/// A point on or above the WGS84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geodetic {
    /// Geodetic latitude, degrees in [−90, 90].
    pub latitude_deg: f64,
    /// Longitude, degrees east.
    pub longitude_deg: f64,
    /// Height above the ellipsoid, km.
    pub altitude_km: f64,
}

impl Geodetic {
    /// Validated geodetic coordinates.
    ///
    /// ```
    /// use orbitedge::frames::Geodetic;
    /// assert!(Geodetic::new(95.0, 0.0, 0.0).is_err());
    /// ```
    pub fn new(latitude_deg: f64, longitude_deg: f64, altitude_km: f64) -> Result<Self> {
        ensure_finite("latitude_deg", latitude_deg)?;
        ensure_finite("longitude_deg", longitude_deg)?;
        ensure_finite("altitude_km", altitude_km)?;
        if !(-90.0..=90.0).contains(&latitude_deg) {
            return Err(Error::parameter("latitude_deg", latitude_deg, "in [-90, 90]"));
        }
        if altitude_km <= -EARTH_EQUATORIAL_RADIUS_KM / 2.0 {
            return Err(Error::parameter(
                "altitude_km",
                altitude_km,
                "above the Earth's centre region (> -3189 km)",
            ));
        }
        Ok(Self {
            latitude_deg,
            longitude_deg,
            altitude_km,
        })
    }

    /// Earth-fixed Cartesian position, km.
    pub fn to_ecef(&self) -> Vector3<f64> {
        let e2 = EARTH_FLATTENING * (2.0 - EARTH_FLATTENING);
        let (sin_lat, cos_lat) = self.latitude_deg.to_radians().sin_cos();
        let (sin_lon, cos_lon) = self.longitude_deg.to_radians().sin_cos();
        let prime_vertical = EARTH_EQUATORIAL_RADIUS_KM / (1.0 - e2 * sin_lat * sin_lat).sqrt();
        let horizontal = (prime_vertical + self.altitude_km) * cos_lat;
        Vector3::new(
            horizontal * cos_lon,
            horizontal * sin_lon,
            (prime_vertical * (1.0 - e2) + self.altitude_km) * sin_lat,
        )
    }

    /// Geodetic coordinates of an Earth-fixed position (iterative, converged to
    /// < 1e-12 rad; exact at the poles).
    ///
    /// ```
    /// use orbitedge::frames::Geodetic;
    /// let kiruna = Geodetic::new(67.8558, 20.9644, 0.390)?;
    /// let back = Geodetic::from_ecef(&kiruna.to_ecef());
    /// assert!((back.latitude_deg - 67.8558).abs() < 1e-9);
    /// assert!((back.altitude_km - 0.390).abs() < 1e-9);
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn from_ecef(position_km: &Vector3<f64>) -> Self {
        let e2 = EARTH_FLATTENING * (2.0 - EARTH_FLATTENING);
        let p = position_km.x.hypot(position_km.y);
        let longitude = position_km.y.atan2(position_km.x);
        let mut latitude = position_km.z.atan2(p * (1.0 - e2));
        let mut altitude = 0.0;
        for _ in 0..10 {
            let sin_lat = latitude.sin();
            let n = EARTH_EQUATORIAL_RADIUS_KM / (1.0 - e2 * sin_lat * sin_lat).sqrt();
            // Well conditioned at every latitude, poles included.
            altitude = p * latitude.cos() + (position_km.z + e2 * n * sin_lat) * sin_lat - n;
            let next = position_km.z.atan2(p * (1.0 - e2 * n / (n + altitude)));
            let converged = (next - latitude).abs() < 1e-12;
            latitude = next;
            if converged {
                break;
            }
        }
        Self {
            latitude_deg: latitude.to_degrees(),
            longitude_deg: longitude.to_degrees(),
            altitude_km: altitude,
        }
    }

    /// Rotation whose rows are the local east, north and up unit vectors (Earth-fixed).
    pub fn enu_basis(&self) -> Matrix3<f64> {
        let (sin_lat, cos_lat) = self.latitude_deg.to_radians().sin_cos();
        let (sin_lon, cos_lon) = self.longitude_deg.to_radians().sin_cos();
        Matrix3::new(
            -sin_lon,
            cos_lon,
            0.0,
            -sin_lat * cos_lon,
            -sin_lat * sin_lon,
            cos_lat,
            cos_lat * cos_lon,
            cos_lat * sin_lon,
            sin_lat,
        )
    }
}

/// Direction and distance of a target seen from a point on Earth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Topocentric {
    /// Azimuth, degrees from north towards east, in [0, 360).
    pub azimuth_deg: f64,
    /// Elevation above the local horizon plane (ellipsoid normal), degrees.
    pub elevation_deg: f64,
    /// Distance, km.
    pub range_km: f64,
}

impl Topocentric {
    /// Topocentric coordinates of a line-of-sight vector expressed in east/north/up.
    pub fn from_enu(enu_km: &Vector3<f64>) -> Self {
        let range_km = enu_km.norm();
        let elevation_deg = (enu_km.z / range_km).clamp(-1.0, 1.0).asin().to_degrees();
        let azimuth_deg = enu_km.x.atan2(enu_km.y).to_degrees().rem_euclid(360.0);
        Self {
            azimuth_deg,
            elevation_deg,
            range_km,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teme_ecef_round_trip() {
        let r = Vector3::new(6_800.0, -1_200.0, 300.0);
        let v = Vector3::new(1.0, 7.3, 0.5);
        let (re, ve) = teme_to_ecef(&r, &v, 1.234);
        let (rb, vb) = ecef_to_teme(&re, &ve, 1.234);
        assert!((rb - r).norm() < 1e-9);
        assert!((vb - v).norm() < 1e-12);
    }

    #[test]
    fn geodetic_round_trip_over_the_globe() {
        for lat in [-90.0, -67.3, -1.0, 0.0, 33.3, 89.999, 90.0] {
            for lon in [-179.0, 0.0, 20.9, 135.0] {
                for alt in [-0.4, 0.0, 0.5, 550.0, 35_786.0] {
                    let g = Geodetic::new(lat, lon, alt).unwrap();
                    let back = Geodetic::from_ecef(&g.to_ecef());
                    assert!((back.latitude_deg - lat).abs() < 1e-9, "{lat} {lon} {alt}");
                    if lat.abs() < 90.0 {
                        assert!((back.longitude_deg - lon).abs() < 1e-9);
                    }
                    assert!(
                        (back.altitude_km - alt).abs() < 1e-8,
                        "{lat} {lon} {alt}: {back:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn ecef_of_equator_and_pole_match_wgs84_axes() {
        let equator = Geodetic::new(0.0, 0.0, 0.0).unwrap().to_ecef();
        assert!((equator.x - 6_378.137).abs() < 1e-9);
        let pole = Geodetic::new(90.0, 0.0, 0.0).unwrap().to_ecef();
        // WGS84 semi-minor axis b = 6356.752314245 km.
        assert!((pole.z - 6_356.752_314_245).abs() < 1e-6);
    }

    #[test]
    fn zenith_has_ninety_degrees_elevation() {
        let topo = Topocentric::from_enu(&Vector3::new(0.0, 0.0, 500.0));
        assert!((topo.elevation_deg - 90.0).abs() < 1e-12);
        let east = Topocentric::from_enu(&Vector3::new(10.0, 0.0, 0.0));
        assert!((east.azimuth_deg - 90.0).abs() < 1e-12);
    }
}
