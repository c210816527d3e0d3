//! Walker-delta constellations (J. G. Walker, 1984): T satellites in P equally
//! spaced planes of equal inclination, S = T/P per plane, with phasing F.
//!
//! Plane p (0-based) has RAAN p·360°/P; satellite s in it has mean anomaly
//! s·360°/S + p·F·360°/T, so neighbouring planes are offset by F·360°/T.

use serde::{Deserialize, Serialize};

use crate::constants::EARTH_EQUATORIAL_RADIUS_KM;
use crate::error::{ensure_finite, ensure_positive, Error, Result};
use crate::orbit::ClassicalElements;

/// Parameters of a Walker-delta pattern T/P/F.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WalkerDelta {
    /// Total number of satellites, T.
    pub total: u32,
    /// Number of orbital planes, P (divides T).
    pub planes: u32,
    /// Phasing factor, F in [0, P).
    pub phasing: u32,
    /// Circular altitude above the equatorial radius, km.
    pub altitude_km: f64,
    /// Inclination, degrees.
    pub inclination_deg: f64,
}

/// One member of a constellation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WalkerSlot {
    /// Plane index, 0-based.
    pub plane: u32,
    /// Index within the plane, 0-based.
    pub slot: u32,
    /// Mean elements of the member.
    pub elements: ClassicalElements,
}

impl WalkerDelta {
    /// The members' elements, plane by plane.
    ///
    /// ```
    /// use orbitedge::orbit::walker::WalkerDelta;
    /// // Galileo: 24/3/1 at 23 222 km, 56°.
    /// let galileo = WalkerDelta { total: 24, planes: 3, phasing: 1, altitude_km: 23_222.0, inclination_deg: 56.0 };
    /// let slots = galileo.slots()?;
    /// assert_eq!(slots.len(), 24);
    /// assert_eq!(slots[8].elements.raan_deg, 120.0);
    /// assert_eq!(slots[8].elements.mean_anomaly_deg, 15.0); // F·360/T
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn slots(&self) -> Result<Vec<WalkerSlot>> {
        if self.total == 0 {
            return Err(Error::EmptyInput {
                what: "walker constellation (total)",
            });
        }
        if self.planes == 0 || self.total % self.planes != 0 {
            return Err(Error::parameter(
                "planes",
                f64::from(self.planes),
                "a divisor of the total number of satellites (> 0)",
            ));
        }
        if self.phasing >= self.planes {
            return Err(Error::parameter(
                "phasing",
                f64::from(self.phasing),
                "in [0, planes)",
            ));
        }
        ensure_positive("altitude_km", self.altitude_km)?;
        ensure_finite("inclination_deg", self.inclination_deg)?;
        let per_plane = self.total / self.planes;
        let mut slots = Vec::with_capacity(self.total as usize);
        for plane in 0..self.planes {
            for slot in 0..per_plane {
                let elements = ClassicalElements {
                    semi_major_axis_km: EARTH_EQUATORIAL_RADIUS_KM + self.altitude_km,
                    eccentricity: 0.0,
                    inclination_deg: self.inclination_deg,
                    raan_deg: 360.0 * f64::from(plane) / f64::from(self.planes),
                    argument_of_perigee_deg: 0.0,
                    mean_anomaly_deg: (360.0 * f64::from(slot) / f64::from(per_plane)
                        + 360.0 * f64::from(plane * self.phasing) / f64::from(self.total))
                    .rem_euclid(360.0),
                }
                .validated()?;
                slots.push(WalkerSlot {
                    plane,
                    slot,
                    elements,
                });
            }
        }
        Ok(slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_inconsistent_patterns() {
        let base = WalkerDelta {
            total: 6,
            planes: 3,
            phasing: 1,
            altitude_km: 550.0,
            inclination_deg: 97.6,
        };
        assert!(WalkerDelta { planes: 4, ..base }.slots().is_err());
        assert!(WalkerDelta { phasing: 3, ..base }.slots().is_err());
        assert!(WalkerDelta {
            altitude_km: -1.0,
            ..base
        }
        .slots()
        .is_err());
        assert!(WalkerDelta { total: 0, ..base }.slots().is_err());
        assert!(WalkerDelta {
            inclination_deg: f64::NAN,
            ..base
        }
        .slots()
        .is_err());
        assert_eq!(base.slots().unwrap().len(), 6);
    }
}
