//! The imager: tiles captured over targets while sunlit, written to storage.
//!
//! A target is a circular area of interest on the ground. It is *in view* while
//! the sub-satellite point lies within `radius_km` of its centre — found as an
//! access window of the target seen as a ground station whose minimum elevation
//! is the one of a point `radius_km` away at the orbit's mean radius (exact for
//! circular orbits; for eccentric ones the radius varies by the altitude change).
//! With no target the imager works everywhere in sunlight.
//!
//! Captures happen on a grid of `capture_interval_s` from the simulation start,
//! inside intervals that are both in view and sunlit (penumbra counts as dark:
//! images would be under-exposed). Each capture writes `tiles_per_capture` tiles,
//! or — for a push-broom imager with a [`Strip`] — the strip imaged since the
//! capture before: the swath's tiles across × the rows the sub-satellite point
//! covered along track in `capture_interval_s`. That is hundreds to thousands of
//! tiles a minute, which is what makes onboard work queue.

use serde::{Deserialize, Serialize};

use crate::constants::{EARTH_EQUATORIAL_RADIUS_KM, EARTH_MU_KM3_S2};
use crate::environment::station::GroundStation;
use crate::error::{ensure_non_negative, ensure_positive, Error, Result};

/// A circular area of interest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Name.
    pub name: String,
    /// Centre latitude, degrees (geodetic).
    pub latitude_deg: f64,
    /// Centre longitude, degrees east.
    pub longitude_deg: f64,
    /// Radius, km (ground distance from the centre to the edge).
    pub radius_km: f64,
    /// Priority of its tiles (higher first under the `priority` policy).
    #[serde(default)]
    pub priority: u32,
}

impl Target {
    /// Checks the numbers.
    pub fn validated(self) -> Result<Self> {
        if self.name.is_empty() {
            return Err(Error::EmptyInput { what: "target name" });
        }
        if !(-90.0..=90.0).contains(&self.latitude_deg) {
            return Err(Error::parameter(
                "latitude_deg",
                self.latitude_deg,
                "in [-90, 90]",
            ));
        }
        crate::error::ensure_finite("longitude_deg", self.longitude_deg)?;
        ensure_positive("target radius_km", self.radius_km)?;
        if self.radius_km > 0.5 * std::f64::consts::PI * EARTH_EQUATORIAL_RADIUS_KM {
            return Err(Error::parameter(
                "target radius_km",
                self.radius_km,
                "at most a quarter of a great circle (10 018 km)",
            ));
        }
        Ok(self)
    }

    /// The target as a pseudo ground station: in view (elevation above the returned
    /// station's minimum) exactly when the sub-satellite point is within `radius_km`,
    /// for a spacecraft at `orbit_radius_km`.
    pub fn as_station(&self, orbit_radius_km: f64) -> Result<GroundStation> {
        let lambda = self.radius_km / EARTH_EQUATORIAL_RADIUS_KM;
        // Elevation of a satellite at radius r seen from a point at central angle λ.
        let ratio = EARTH_EQUATORIAL_RADIUS_KM / orbit_radius_km;
        let elevation = (lambda.cos() - ratio).atan2(lambda.sin()).to_degrees();
        GroundStation::new(&self.name, self.latitude_deg, self.longitude_deg, 0.0, elevation)
    }
}

/// Largest tile width and height accepted, pixels. A tile becomes a model
/// input of bands × tile_px² float32 values and the model's intermediate
/// tensors are several times that: at 8192 px one 4-band input is already
/// 1 GiB, beyond what onboard hardware handles per tile.
pub const MAX_TILE_PX: u32 = 8192;

/// Most tiles one capture may write: beyond, a strip is finer than any
/// payload downlinks or processes (and a capture's jobs would exhaust memory).
pub const MAX_TILES_PER_CAPTURE: f64 = 1e6;

/// Highest ground-track speed a strip is checked for, km/s (a circular orbit
/// at the Earth's surface: no spacecraft's sub-satellite point moves faster).
const MAX_GROUND_SPEED_KM_S: f64 = 7.91;

/// A push-broom strip: a swath `swath_km` wide imaged at ground sampling
/// distance `gsd_m`, cut into square tiles of `tile_px` pixels a side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strip {
    /// Swath width across track, km.
    pub swath_km: f64,
    /// Ground sampling distance (the ground size of a pixel), m.
    pub gsd_m: f64,
}

/// Speed of the sub-satellite point of an orbit with these bounds, km/s: the
/// circular speed at the mean radius scaled to the Earth's surface. The
/// Earth's rotation (up to 0.46 km/s at the equator, across the track of a
/// polar orbit) is left out.
pub fn ground_speed_km_s(bounds: &crate::orbit::MotionBounds) -> f64 {
    let radius = 0.5 * (bounds.min_radius_km + bounds.max_radius_km);
    (EARTH_MU_KM3_S2 / radius).sqrt() * EARTH_EQUATORIAL_RADIUS_KM / radius
}

/// An imaging payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagerConfig {
    /// Spectral bands per tile (4: blue, green, red, NIR).
    #[serde(default = "default_bands")]
    pub bands: u32,
    /// Tile width and height, pixels (1 to [`MAX_TILE_PX`]).
    #[serde(default = "default_tile_px")]
    pub tile_px: u32,
    /// Bits per pixel and band.
    #[serde(default = "default_bits")]
    pub bits_per_pixel: u32,
    /// Tiles written per capture.
    #[serde(default = "default_tiles_per_capture")]
    pub tiles_per_capture: u32,
    /// Time between captures while imaging, s.
    #[serde(default = "default_capture_interval_s")]
    pub capture_interval_s: f64,
    /// Electrical load while imaging (in view and sunlit), W.
    #[serde(default = "default_imager_power_w")]
    pub power_w: f64,
    /// Storage partition for raw tiles.
    #[serde(default = "default_raw_partition")]
    pub partition: String,
    /// Areas of interest; empty: image everywhere in sunlight.
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Mean cloud cover of a tile, in [0, 1] (Earth: about 2/3). Each tile's
    /// cover is drawn as u^(1/m − 1) (u uniform), a simple stand-in for climatology.
    #[serde(default = "default_cloud_cover")]
    pub mean_cloud_cover: f64,
    /// Push-broom strip imaging: each capture writes the strip imaged since
    /// the one before (then `tiles_per_capture` must stay 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip: Option<Strip>,
}

fn default_bands() -> u32 {
    4
}
fn default_tile_px() -> u32 {
    256
}
fn default_bits() -> u32 {
    12
}
fn default_tiles_per_capture() -> u32 {
    1
}
fn default_capture_interval_s() -> f64 {
    30.0
}
fn default_imager_power_w() -> f64 {
    5.0
}
fn default_raw_partition() -> String {
    "raw".into()
}
fn default_cloud_cover() -> f64 {
    0.67
}

impl Default for ImagerConfig {
    fn default() -> Self {
        Self {
            bands: default_bands(),
            tile_px: default_tile_px(),
            bits_per_pixel: default_bits(),
            tiles_per_capture: default_tiles_per_capture(),
            capture_interval_s: default_capture_interval_s(),
            power_w: default_imager_power_w(),
            partition: default_raw_partition(),
            targets: Vec::new(),
            mean_cloud_cover: default_cloud_cover(),
            strip: None,
        }
    }
}

impl ImagerConfig {
    /// Checks every parameter.
    pub fn validated(self) -> Result<Self> {
        for (name, value) in [
            ("imager bands", self.bands),
            ("tile_px", self.tile_px),
            ("bits_per_pixel", self.bits_per_pixel),
            ("tiles_per_capture", self.tiles_per_capture),
        ] {
            if value == 0 {
                return Err(Error::parameter(name, 0.0, "at least 1"));
            }
        }
        if self.tile_px > MAX_TILE_PX {
            return Err(Error::parameter(
                "tile_px",
                f64::from(self.tile_px),
                "at most 8192 (MAX_TILE_PX)",
            ));
        }
        ensure_positive("capture_interval_s", self.capture_interval_s)?;
        ensure_non_negative("imager power_w", self.power_w)?;
        if !(self.mean_cloud_cover > 0.0 && self.mean_cloud_cover < 1.0) {
            return Err(Error::parameter(
                "mean_cloud_cover",
                self.mean_cloud_cover,
                "in (0, 1)",
            ));
        }
        if let Some(strip) = &self.strip {
            self.check_strip(strip)?;
        }
        let targets = self
            .targets
            .into_iter()
            .map(Target::validated)
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { targets, ..self })
    }

    /// A strip's numbers, and that one capture of it stays under
    /// [`MAX_TILES_PER_CAPTURE`] at any ground speed.
    fn check_strip(&self, strip: &Strip) -> Result<()> {
        ensure_positive("strip swath_km", strip.swath_km)?;
        ensure_positive("strip gsd_m", strip.gsd_m)?;
        if strip.swath_km > 5_000.0 {
            return Err(Error::parameter("strip swath_km", strip.swath_km, "at most 5000"));
        }
        if self.tiles_per_capture != 1 {
            return Err(Error::parameter(
                "tiles_per_capture",
                f64::from(self.tiles_per_capture),
                "1 with a strip (a strip's captures write the tiles they imaged)",
            ));
        }
        let most =
            self.tiles_across(strip) * (self.rows_per_capture(strip, MAX_GROUND_SPEED_KM_S).ceil() + 1.0);
        if most > MAX_TILES_PER_CAPTURE {
            return Err(Error::parameter(
                "strip gsd_m",
                strip.gsd_m,
                "such that one capture writes at most 10^6 tiles at any ground speed: coarsen gsd_m, \
                 narrow swath_km or shorten capture_interval_s",
            ));
        }
        Ok(())
    }

    /// Tiles across a strip's swath (the last one partly covered).
    pub fn tiles_across(&self, strip: &Strip) -> f64 {
        (strip.swath_km * 1_000.0 / (f64::from(self.tile_px) * strip.gsd_m)).ceil()
    }

    /// Rows of tiles imaged along track per capture interval at `ground_speed_km_s`.
    pub fn rows_per_capture(&self, strip: &Strip, ground_speed_km_s: f64) -> f64 {
        ground_speed_km_s * self.capture_interval_s * 1_000.0 / (f64::from(self.tile_px) * strip.gsd_m)
    }

    /// Tiles the capture at grid index `k` (at `k × capture_interval_s`)
    /// writes: `tiles_per_capture`, or with a strip the tiles across × the
    /// whole rows completed by the end of interval `k` and not before it, so
    /// the fractions of rows add up over captures whatever the cut of a run.
    pub fn tiles_at(&self, k: f64, ground_speed_km_s: f64) -> u32 {
        let Some(strip) = &self.strip else {
            return self.tiles_per_capture;
        };
        let rows = self.rows_per_capture(strip, ground_speed_km_s);
        let whole = ((k + 1.0) * rows).floor() - (k * rows).floor();
        (self.tiles_across(strip) * whole) as u32
    }

    /// Bytes of one tile.
    pub fn tile_bytes(&self) -> f64 {
        f64::from(self.bands) * f64::from(self.tile_px).powi(2) * f64::from(self.bits_per_pixel) / 8.0
    }

    /// A tile's cloud cover from a uniform number `u` in [0, 1).
    pub fn cloud_cover(&self, u: f64) -> f64 {
        u.powf(1.0 / self.mean_cloud_cover - 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_bytes_and_cloud_cover_distribution() {
        let imager = ImagerConfig::default();
        assert_eq!(imager.tile_bytes(), 4.0 * 256.0 * 256.0 * 1.5);
        // Mean of u^k over a fine uniform grid equals 1/(k+1) = mean_cloud_cover.
        let n = 100_000;
        let mean = (0..n)
            .map(|i| imager.cloud_cover((i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64;
        assert!((mean - 0.67).abs() < 1e-3, "{mean}");
    }

    #[test]
    fn target_edge_is_where_elevation_reaches_the_station_minimum() {
        // Directly overhead is 90°; a point at the edge of a 500 km target sees a
        // satellite at 550 km altitude at the closed-form elevation.
        let target = Target {
            name: "t".into(),
            latitude_deg: 0.0,
            longitude_deg: 0.0,
            radius_km: 500.0,
            priority: 0,
        };
        let r = EARTH_EQUATORIAL_RADIUS_KM + 550.0;
        let station = target.as_station(r).unwrap();
        let lambda = 500.0 / EARTH_EQUATORIAL_RADIUS_KM;
        // Law of cosines: slant range, then elevation from the sine rule.
        let rho = (EARTH_EQUATORIAL_RADIUS_KM.powi(2) + r * r
            - 2.0 * EARTH_EQUATORIAL_RADIUS_KM * r * lambda.cos())
        .sqrt();
        let elevation = ((r * lambda.sin() / rho).acos()).to_degrees();
        assert!(
            (station.min_elevation_deg() - elevation).abs() < 1e-9,
            "{} vs {elevation}",
            station.min_elevation_deg()
        );
    }

    /// The ground track of a 550 km circular orbit moves at 2π R_E / T with
    /// the published period T ≈ 95.6 min (two-body): 6.98 km/s.
    #[test]
    fn ground_speed_of_a_550_km_orbit_matches_its_period() {
        let r = EARTH_EQUATORIAL_RADIUS_KM + 550.0;
        let bounds = crate::orbit::MotionBounds {
            max_radius_km: r,
            min_radius_km: r,
            max_speed_km_s: 7.6,
            max_radial_speed_km_s: 0.0,
        };
        let from_period = 2.0 * std::f64::consts::PI * EARTH_EQUATORIAL_RADIUS_KM / (95.6 * 60.0);
        let speed = ground_speed_km_s(&bounds);
        assert!(
            (speed / from_period - 1.0).abs() < 2e-3,
            "{speed} vs {from_period}"
        );
    }

    /// A strip's captures write whole rows whose sum over any run of
    /// captures is the strip's length in rows (fractions carried by the grid
    /// index, not by state): 30 km at 10 m with 256 px tiles is 12 across.
    #[test]
    fn strip_captures_add_up_to_the_strip() {
        let imager = ImagerConfig {
            strip: Some(Strip {
                swath_km: 30.0,
                gsd_m: 10.0,
            }),
            capture_interval_s: 7.0,
            ..Default::default()
        }
        .validated()
        .unwrap();
        let strip = imager.strip.unwrap();
        assert_eq!(imager.tiles_across(&strip), 12.0);
        let speed = 6.98;
        let rows = imager.rows_per_capture(&strip, speed);
        assert!((rows - 6.98 * 7.0 / 2.56).abs() < 1e-12);
        let (first, count) = (1_000.0, 5_000.0);
        let total: u64 = (0..count as u64)
            .map(|k| {
                let tiles = imager.tiles_at(first + k as f64, speed);
                assert!(
                    tiles == 12 * rows.floor() as u32 || tiles == 12 * rows.ceil() as u32,
                    "{tiles}"
                );
                u64::from(tiles)
            })
            .sum();
        let whole_rows = ((first + count) * rows).floor() - (first * rows).floor();
        assert_eq!(total, 12 * whole_rows as u64);
        // Without a strip: tiles_per_capture, whatever the speed.
        assert_eq!(ImagerConfig::default().tiles_at(3.0, speed), 1);
    }

    #[test]
    fn absurd_strips_are_refused_with_the_parameter_named() {
        let with = |swath_km: f64, gsd_m: f64, tiles_per_capture: u32| ImagerConfig {
            strip: Some(Strip { swath_km, gsd_m }),
            tiles_per_capture,
            ..Default::default()
        };
        for (imager, name) in [
            (with(f64::NAN, 10.0, 1), "strip swath_km"),
            (with(30.0, -1.0, 1), "strip gsd_m"),
            (with(30.0, 1e-6, 1), "strip gsd_m"),
            (with(1e9, 10.0, 1), "strip swath_km"),
            (with(30.0, 10.0, 4), "tiles_per_capture"),
        ] {
            match imager.validated() {
                Err(Error::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_imagers_and_targets_are_rejected() {
        let bad = ImagerConfig {
            capture_interval_s: -1.0,
            ..Default::default()
        };
        assert!(bad.validated().is_err());
        let bad = ImagerConfig {
            mean_cloud_cover: f64::NAN,
            ..Default::default()
        };
        assert!(bad.validated().is_err());
        // The tile size is bounded: 100000 px used to abort in tract's optimiser.
        let huge = ImagerConfig {
            tile_px: 100_000,
            ..Default::default()
        };
        match huge.validated() {
            Err(Error::InvalidParameter { name, value, .. }) => {
                assert_eq!((name, value), ("tile_px", 100_000.0));
            }
            other => panic!("{other:?}"),
        }
        let largest = ImagerConfig {
            tile_px: MAX_TILE_PX,
            ..Default::default()
        };
        assert!(largest.validated().is_ok());
        let target = Target {
            name: "x".into(),
            latitude_deg: 91.0,
            longitude_deg: 0.0,
            radius_km: 10.0,
            priority: 0,
        };
        assert!(target.validated().is_err());
    }
}
