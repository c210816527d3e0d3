//! Where a scenario's satellites come from: a Walker pattern (sun-synchronous
//! when no inclination is given), a TLE or OMM file, or explicit elements.

use std::path::Path;

use hifitime::Epoch;
use serde::{Deserialize, Serialize};

use crate::constants::{EARTH_EQUATORIAL_RADIUS_KM, EARTH_J2, EARTH_MU_KM3_S2};
use crate::error::{Error, Result};
use crate::orbit::walker::WalkerDelta;
use crate::orbit::ClassicalElements;
use crate::satellite::{AnalyticModel, Satellite};

/// One source of satellites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum SatelliteSource {
    /// A Walker-delta constellation i:T/P/F.
    Walker {
        /// Name prefix (members are `{prefix}-P{plane}-S{slot}`).
        #[serde(default = "default_prefix")]
        prefix: String,
        /// Total satellites T.
        total: u32,
        /// Planes P.
        planes: u32,
        /// Phasing F.
        #[serde(default)]
        phasing: u32,
        /// Circular altitude, km.
        altitude_km: f64,
        /// Inclination, degrees; absent: sun-synchronous for the altitude.
        #[serde(default)]
        inclination_deg: Option<f64>,
        /// Propagation model.
        #[serde(default)]
        model: AnalyticModel,
    },
    /// A file of two- or three-line element sets (SGP4).
    Tle {
        /// Path, relative to the scenario file.
        file: String,
    },
    /// An OMM file, JSON or KVN (SGP4).
    Omm {
        /// Path, relative to the scenario file.
        file: String,
    },
    /// One satellite from classical elements.
    Elements {
        /// Name.
        name: String,
        /// Epoch of the elements (ISO 8601 UTC); default: the scenario start.
        #[serde(default)]
        epoch: Option<String>,
        /// The elements (degrees, km).
        elements: ClassicalElements,
        /// Propagation model.
        #[serde(default)]
        model: AnalyticModel,
    },
}

fn default_prefix() -> String {
    "sat".into()
}

/// Inclination of a circular sun-synchronous orbit at `altitude_km`, degrees:
/// cos i = −(2/3)·Ω̇·a²/(n·J2·R²) with Ω̇ = 360° per 365.2422 days.
///
/// ```
/// let i = orbitedge::scenario::sun_synchronous_inclination_deg(700.0)?;
/// assert!((i - 98.19).abs() < 0.01);
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn sun_synchronous_inclination_deg(altitude_km: f64) -> Result<f64> {
    let a = EARTH_EQUATORIAL_RADIUS_KM + altitude_km;
    let n = (EARTH_MU_KM3_S2 / a.powi(3)).sqrt();
    let rate = std::f64::consts::TAU / (365.242_2 * 86_400.0);
    let cos_i = -(2.0 / 3.0) * rate * a * a / (n * EARTH_J2 * EARTH_EQUATORIAL_RADIUS_KM.powi(2));
    if !(-1.0..=1.0).contains(&cos_i) || altitude_km <= 0.0 {
        return Err(Error::parameter(
            "altitude_km (sun-synchronous)",
            altitude_km,
            "an altitude with a sun-synchronous inclination (0 to ~5 900 km)",
        ));
    }
    Ok(cos_i.acos().to_degrees())
}

/// Satellites from the text of a TLE file (as a scenario's `tle` source reads
/// it): two-line sets, each optionally preceded by a name line (a leading `0 `
/// is dropped); blank lines are skipped. Unnamed sets take their catalogue
/// number as name.
///
/// ```
/// let text = "ISS (ZARYA)
/// 1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991
/// 2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482
/// ";
/// let satellites = orbitedge::scenario::satellites_from_tle_text(text)?;
/// assert_eq!(satellites[0].name, "ISS (ZARYA)");
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn satellites_from_tle_text(text: &str) -> Result<Vec<Satellite>> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let mut satellites = Vec::new();
    let mut k = 0;
    while k < lines.len() {
        let (name, first) = if lines[k].starts_with("1 ") {
            (None, k)
        } else {
            (Some(lines[k].trim().trim_start_matches("0 ").to_string()), k + 1)
        };
        let (Some(line1), Some(line2)) = (lines.get(first), lines.get(first + 1)) else {
            return Err(Error::Tle {
                name,
                line: 0,
                first_column: 1,
                last_column: 69,
                reason: format!("incomplete element set at line {} of the file", k + 1),
            });
        };
        let name = name.unwrap_or_else(|| line1.get(2..7).unwrap_or("").trim().to_string());
        satellites.push(Satellite::from_tle(name, line1, line2)?);
        k = first + 2;
    }
    Ok(satellites)
}

impl SatelliteSource {
    /// The satellites, with files relative to `base`.
    pub fn satellites(&self, start: Epoch, base: &Path) -> Result<Vec<Satellite>> {
        let read = |file: &str| {
            let path = base.join(file);
            std::fs::read_to_string(&path).map_err(|e| Error::Config {
                origin: path.display().to_string(),
                reason: format!("cannot read: {e}"),
            })
        };
        match self {
            SatelliteSource::Walker {
                prefix,
                total,
                planes,
                phasing,
                altitude_km,
                inclination_deg,
                model,
            } => {
                let inclination_deg = match inclination_deg {
                    Some(i) => *i,
                    None => sun_synchronous_inclination_deg(*altitude_km)?,
                };
                let pattern = WalkerDelta {
                    total: *total,
                    planes: *planes,
                    phasing: *phasing,
                    altitude_km: *altitude_km,
                    inclination_deg,
                };
                Satellite::walker(prefix, &pattern, start, *model)
            }
            SatelliteSource::Tle { file } => satellites_from_tle_text(&read(file)?),
            SatelliteSource::Omm { file } => Satellite::from_omm(&read(file)?),
            SatelliteSource::Elements {
                name,
                epoch,
                elements,
                model,
            } => {
                let epoch = match epoch {
                    Some(text) => crate::time::parse_epoch(text)?,
                    None => start,
                };
                Ok(vec![Satellite::from_elements(name, epoch, *elements, *model)?])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tle_files_with_and_without_names() {
        let text = "SENTINEL-2A\n1 40697U 15028A   23188.15862373  .00000171  00000+0  81941-4 0  9994\n\
                    2 40697  98.5695 262.3977 0001349  91.8221 268.3116 14.30817084419867\n\
                    1 40697U 15028A   23188.15862373  .00000171  00000+0  81941-4 0  9994\n\
                    2 40697  98.5695 262.3977 0001349  91.8221 268.3116 14.30817084419867\n";
        let sats = satellites_from_tle_text(text).unwrap();
        assert_eq!(sats.len(), 2);
        assert_eq!(sats[0].name, "SENTINEL-2A");
        assert_eq!(sats[1].name, "40697");
        assert!(satellites_from_tle_text("NAME\n1 40697U").is_err());
    }
}
