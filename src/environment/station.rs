//! Ground stations: a place on the WGS84 ellipsoid, a minimum elevation, and
//! optionally a horizon mask (terrain, buildings, antenna limits) that raises
//! the minimum in some azimuths.

use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};

use crate::constants::EARTH_ROTATION_RAD_S;
use crate::error::{ensure_finite, Error, Result};
use crate::frames::{teme_to_ecef_rotation, Geodetic, Topocentric};

/// Highest altitude of a ground station, m: the Kármán line. Anything higher is
/// not on the ground, and a typo like `1e308` would put the station beyond every
/// orbit and make every search silently empty.
pub const MAX_STATION_ALTITUDE_M: f64 = 100_000.0;

/// Minimum elevation as a function of azimuth, linear between points and
/// wrapping around north.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<(f64, f64)>", into = "Vec<(f64, f64)>")]
pub struct HorizonMask {
    /// (azimuth_deg, elevation_deg) sorted by azimuth in [0, 360).
    points: Vec<(f64, f64)>,
}

impl TryFrom<Vec<(f64, f64)>> for HorizonMask {
    type Error = Error;
    fn try_from(points: Vec<(f64, f64)>) -> Result<Self> {
        HorizonMask::new(points)
    }
}

impl From<HorizonMask> for Vec<(f64, f64)> {
    fn from(mask: HorizonMask) -> Self {
        mask.points
    }
}

impl HorizonMask {
    /// A mask from (azimuth_deg, elevation_deg) points; azimuths are wrapped into
    /// [0, 360) and must be distinct, elevations within [−90, 90].
    ///
    /// ```
    /// use orbitedge::environment::HorizonMask;
    /// // A hill to the east: 20° at azimuth 90°, 5° elsewhere.
    /// let mask = HorizonMask::new(vec![(0.0, 5.0), (60.0, 5.0), (90.0, 20.0), (120.0, 5.0)])?;
    /// assert_eq!(mask.elevation_deg(90.0), 20.0);
    /// assert_eq!(mask.elevation_deg(75.0), 12.5);
    /// assert_eq!(mask.elevation_deg(300.0), 5.0);
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn new(points: Vec<(f64, f64)>) -> Result<Self> {
        if points.is_empty() {
            return Err(Error::EmptyInput { what: "horizon mask" });
        }
        let mut wrapped = Vec::with_capacity(points.len());
        for (azimuth, elevation) in points {
            ensure_finite("horizon mask azimuth_deg", azimuth)?;
            ensure_finite("horizon mask elevation_deg", elevation)?;
            if !(-90.0..=90.0).contains(&elevation) {
                return Err(Error::parameter(
                    "horizon mask elevation_deg",
                    elevation,
                    "in [-90, 90]",
                ));
            }
            wrapped.push((azimuth.rem_euclid(360.0), elevation));
        }
        wrapped.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(w) = wrapped.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::parameter(
                "horizon mask azimuth_deg",
                w[0].0,
                "distinct (given twice)",
            ));
        }
        Ok(Self { points: wrapped })
    }

    /// Mask elevation at an azimuth, degrees.
    pub fn elevation_deg(&self, azimuth_deg: f64) -> f64 {
        self.elevation_and_slope(azimuth_deg).0
    }

    /// Mask elevation (deg) and its slope with azimuth (deg/deg) at an azimuth.
    pub fn elevation_and_slope(&self, azimuth_deg: f64) -> (f64, f64) {
        let az = azimuth_deg.rem_euclid(360.0);
        let n = self.points.len();
        if n == 1 {
            return (self.points[0].1, 0.0);
        }
        let upper = self.points.partition_point(|p| p.0 <= az);
        let (lo, hi) = match upper {
            0 => (self.points[n - 1], (self.points[0].0 + 360.0, self.points[0].1)),
            k if k == n => (self.points[n - 1], (self.points[0].0 + 360.0, self.points[0].1)),
            k => (self.points[k - 1], self.points[k]),
        };
        let az = if az < lo.0 { az + 360.0 } else { az };
        let slope = (hi.1 - lo.1) / (hi.0 - lo.0);
        (lo.1 + (az - lo.0) * slope, slope)
    }

    /// The lowest elevation anywhere on the mask.
    pub fn lowest_deg(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min)
    }
}

/// A ground station.
///
/// ```
/// use orbitedge::environment::GroundStation;
/// let kiruna = GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 5.0)?;
/// assert_eq!(kiruna.name(), "Kiruna");
/// assert!(GroundStation::new("Nowhere", 123.0, 0.0, 0.0, 5.0).is_err());
/// # Ok::<(), orbitedge::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StationSpec", into = "StationSpec")]
pub struct GroundStation {
    spec: StationSpec,
    position_ecef_km: Vector3<f64>,
    enu_basis: Matrix3<f64>,
}

/// What defines a station (its serialised form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StationSpec {
    name: String,
    latitude_deg: f64,
    longitude_deg: f64,
    altitude_m: f64,
    min_elevation_deg: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    horizon_mask: Option<HorizonMask>,
    /// Antennas (spacecraft served at once); absent in what was written
    /// before stations had a number of them, and left out when 1, so the
    /// serialised form of a one-antenna station is what it always was.
    #[serde(default = "one_antenna", skip_serializing_if = "is_one_antenna")]
    antennas: u32,
}

fn one_antenna() -> u32 {
    1
}

fn is_one_antenna(antennas: &u32) -> bool {
    *antennas == 1
}

impl TryFrom<StationSpec> for GroundStation {
    type Error = Error;
    fn try_from(spec: StationSpec) -> Result<Self> {
        let station = GroundStation::new(
            spec.name,
            spec.latitude_deg,
            spec.longitude_deg,
            spec.altitude_m,
            spec.min_elevation_deg,
        )?;
        let station = match spec.horizon_mask {
            Some(mask) => station.with_horizon_mask(mask),
            None => station,
        };
        station.with_antennas(spec.antennas)
    }
}

impl From<GroundStation> for StationSpec {
    fn from(station: GroundStation) -> Self {
        station.spec
    }
}

/// Where a satellite is seen from a station, with the elevation rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// Azimuth, elevation and range.
    pub topocentric: Topocentric,
    /// Rate of change of elevation, deg/s.
    pub elevation_rate_deg_s: f64,
    /// Rate of change of azimuth, deg/s.
    pub azimuth_rate_deg_s: f64,
}

impl GroundStation {
    /// A station at WGS84 latitude/longitude (degrees) and altitude (metres),
    /// seeing satellites above `min_elevation_deg`.
    pub fn new(
        name: impl Into<String>,
        latitude_deg: f64,
        longitude_deg: f64,
        altitude_m: f64,
        min_elevation_deg: f64,
    ) -> Result<Self> {
        let location = Geodetic::new(latitude_deg, longitude_deg, altitude_m / 1_000.0)?;
        if altitude_m > MAX_STATION_ALTITUDE_M {
            return Err(Error::parameter(
                "station altitude_m",
                altitude_m,
                "at most 100 000 m (a ground station is below the Kármán line)",
            ));
        }
        ensure_finite("min_elevation_deg", min_elevation_deg)?;
        if !(-90.0..90.0).contains(&min_elevation_deg) {
            return Err(Error::parameter(
                "min_elevation_deg",
                min_elevation_deg,
                "in [-90, 90)",
            ));
        }
        Ok(Self {
            spec: StationSpec {
                name: name.into(),
                latitude_deg,
                longitude_deg,
                altitude_m,
                min_elevation_deg,
                horizon_mask: None,
                antennas: 1,
            },
            position_ecef_km: location.to_ecef(),
            enu_basis: location.enu_basis(),
        })
    }

    /// The same station with a horizon mask (the effective minimum elevation is the
    /// larger of the mask and `min_elevation_deg`).
    pub fn with_horizon_mask(mut self, mask: HorizonMask) -> Self {
        self.spec.horizon_mask = Some(mask);
        self
    }

    /// The same station with `antennas` antennas: up to that many spacecraft
    /// in contact at once (default 1). [`Error::InvalidParameter`] unless at least 1.
    ///
    /// ```
    /// use orbitedge::environment::GroundStation;
    /// let svalbard = GroundStation::new("Svalbard", 78.2298, 15.4078, 500.0, 5.0)?.with_antennas(3)?;
    /// assert_eq!(svalbard.antennas(), 3);
    /// assert!(GroundStation::new("Nowhere", 0.0, 0.0, 0.0, 5.0)?.with_antennas(0).is_err());
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn with_antennas(mut self, antennas: u32) -> Result<Self> {
        if antennas < 1 {
            return Err(Error::parameter(
                "station antennas",
                f64::from(antennas),
                "at least 1",
            ));
        }
        self.spec.antennas = antennas;
        Ok(self)
    }

    /// Antennas: how many spacecraft the station can be in contact with at once.
    pub fn antennas(&self) -> u32 {
        self.spec.antennas
    }

    /// Station name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Geodetic location.
    pub fn location(&self) -> Geodetic {
        Geodetic {
            latitude_deg: self.spec.latitude_deg,
            longitude_deg: self.spec.longitude_deg,
            altitude_km: self.spec.altitude_m / 1_000.0,
        }
    }

    /// Minimum elevation without the mask, degrees.
    pub fn min_elevation_deg(&self) -> f64 {
        self.spec.min_elevation_deg
    }

    /// The horizon mask, if any.
    pub fn horizon_mask(&self) -> Option<&HorizonMask> {
        self.spec.horizon_mask.as_ref()
    }

    /// Earth-fixed position, km.
    pub fn position_ecef_km(&self) -> &Vector3<f64> {
        &self.position_ecef_km
    }

    /// Effective minimum elevation at an azimuth, degrees.
    pub fn mask_deg(&self, azimuth_deg: f64) -> f64 {
        self.mask_and_slope(azimuth_deg).0
    }

    /// Effective minimum elevation (deg) and its slope with azimuth (deg/deg).
    pub fn mask_and_slope(&self, azimuth_deg: f64) -> (f64, f64) {
        match &self.spec.horizon_mask {
            Some(mask) => {
                let (elevation, slope) = mask.elevation_and_slope(azimuth_deg);
                if elevation > self.spec.min_elevation_deg {
                    (elevation, slope)
                } else {
                    (self.spec.min_elevation_deg, 0.0)
                }
            }
            None => (self.spec.min_elevation_deg, 0.0),
        }
    }

    /// Signed margin above the effective mask (deg) and its rate (deg/s) for a look.
    pub fn mask_margin(&self, look: &Look) -> (f64, f64) {
        let (mask, slope) = self.mask_and_slope(look.topocentric.azimuth_deg);
        (
            look.topocentric.elevation_deg - mask,
            look.elevation_rate_deg_s - slope * look.azimuth_rate_deg_s,
        )
    }

    /// The lowest effective minimum elevation in any direction, degrees.
    pub fn lowest_mask_deg(&self) -> f64 {
        match &self.spec.horizon_mask {
            Some(mask) => mask.lowest_deg().max(self.spec.min_elevation_deg),
            None => self.spec.min_elevation_deg,
        }
    }

    /// Look angles of a satellite given its TEME state and the GMST (rad).
    pub fn look(&self, position_km: &Vector3<f64>, velocity_km_s: &Vector3<f64>, gmst_rad: f64) -> Look {
        let to_ecef = teme_to_ecef_rotation(gmst_rad);
        let r = to_ecef * position_km;
        let omega = Vector3::new(0.0, 0.0, EARTH_ROTATION_RAD_S);
        let v = to_ecef * velocity_km_s - omega.cross(&r);
        let rho = self.enu_basis * (r - self.position_ecef_km);
        let rho_dot = self.enu_basis * v;
        let topocentric = Topocentric::from_enu(&rho);
        let range = topocentric.range_km;
        let horizontal = rho.x.hypot(rho.y);
        // d(el)/dt = (ż·|ρ|² − z·(ρ·ρ̇)) / (|ρ|²·|ρ_h|)
        let (elevation_rate, azimuth_rate) = if horizontal > 1e-9 {
            (
                (rho_dot.z * range * range - rho.z * rho.dot(&rho_dot)) / (range * range * horizontal),
                // az = atan2(east, north)
                (rho.y * rho_dot.x - rho.x * rho_dot.y) / (horizontal * horizontal),
            )
        } else {
            (0.0, 0.0)
        };
        Look {
            topocentric,
            elevation_rate_deg_s: elevation_rate.to_degrees(),
            azimuth_rate_deg_s: azimuth_rate.to_degrees(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::ecef_to_teme;

    #[test]
    fn elevation_rate_matches_finite_difference() {
        let station = GroundStation::new("Matera", 40.649, 16.704, 536.0, 10.0).unwrap();
        let gmst = 1.0;
        let r0 = Vector3::new(4_000.0, 3_000.0, 4_500.0);
        let v = Vector3::new(-5.0, 4.0, 2.5);
        let dt = 1e-3;
        let gmst_rate = crate::constants::EARTH_ROTATION_RAD_S;
        let look = |t: f64| station.look(&(r0 + v * t), &v, gmst + gmst_rate * t);
        let numeric = (look(dt).topocentric.elevation_deg - look(-dt).topocentric.elevation_deg) / (2.0 * dt);
        assert!(
            (look(0.0).elevation_rate_deg_s - numeric).abs() < 1e-6,
            "{numeric}"
        );
        let numeric_az = (look(dt).topocentric.azimuth_deg - look(-dt).topocentric.azimuth_deg) / (2.0 * dt);
        assert!(
            (look(0.0).azimuth_rate_deg_s - numeric_az).abs() < 1e-6,
            "{numeric_az}"
        );
    }

    #[test]
    fn satellite_overhead_is_at_zenith() {
        let station = GroundStation::new("Equator", 0.0, 0.0, 0.0, 0.0).unwrap();
        let (r, v) = ecef_to_teme(&Vector3::new(7_000.0, 0.0, 0.0), &Vector3::zeros(), 0.3);
        let look = station.look(&r, &v, 0.3);
        assert!((look.topocentric.elevation_deg - 90.0).abs() < 1e-9);
        assert!((look.topocentric.range_km - (7_000.0 - 6_378.137)).abs() < 1e-9);
    }

    #[test]
    fn mask_wraps_through_north() {
        let mask = HorizonMask::new(vec![(350.0, 10.0), (10.0, 30.0)]).unwrap();
        assert!((mask.elevation_deg(0.0) - 20.0).abs() < 1e-12);
        assert!((mask.elevation_deg(180.0) - 20.0).abs() < 1e-12);
        assert!(HorizonMask::new(vec![(0.0, 95.0)]).is_err());
        assert!(HorizonMask::new(vec![]).is_err());
        assert!(HorizonMask::new(vec![(0.0, 1.0), (360.0, 2.0)]).is_err());
    }
}
