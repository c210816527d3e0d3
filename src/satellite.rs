//! A named satellite and its orbit: the unit that batch calls and searches take.

use hifitime::Epoch;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::orbit::omm::parse_omm;
use crate::orbit::validity::{low_perigee_warning, perigee_altitude_km, with_name};
use crate::orbit::walker::WalkerDelta;
use crate::orbit::{
    ClassicalElements, Ephemeris, J2Orbit, KeplerOrbit, MotionBounds, Orbit, OrbitSpec, Propagator,
    Sgp4Orbit, StateVector,
};

/// Which analytic model propagates elements or a state given by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AnalyticModel {
    /// Two-body.
    Kepler,
    /// Secular J2 (default: right for most LEO design work).
    #[default]
    J2,
}

impl std::str::FromStr for AnalyticModel {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "kepler" | "two-body" | "twobody" => Ok(AnalyticModel::Kepler),
            "j2" => Ok(AnalyticModel::J2),
            other => Err(Error::InvalidChoice {
                name: "propagator",
                value: other.to_string(),
                expected: "\"kepler\" or \"j2\"",
            }),
        }
    }
}

/// A satellite: a name and an orbit.
///
/// ```
/// use orbitedge::{Satellite, orbit::Propagator};
/// let sat = Satellite::from_tle(
///     "SENTINEL-2A",
///     "1 40697U 15028A   23188.15862373  .00000171  00000+0  81941-4 0  9994",
///     "2 40697  98.5695 262.3977 0001349  91.8221 268.3116 14.30817084419867",
/// )?;
/// let state = sat.state_at(sat.epoch())?;
/// assert!((state.position_km.norm() - 7_160.0).abs() < 30.0);
/// # Ok::<(), orbitedge::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SatelliteSpec")]
pub struct Satellite {
    /// Display name (not required to be unique).
    pub name: String,
    /// How it moves.
    pub orbit: Orbit,
}

/// What a [`Satellite`] is read from: its orbit is built (and checked) only
/// once the name is known, so an orbit it cannot fly is refused by name.
#[derive(Deserialize)]
struct SatelliteSpec {
    name: String,
    orbit: OrbitSpec,
}

impl TryFrom<SatelliteSpec> for Satellite {
    type Error = Error;
    fn try_from(spec: SatelliteSpec) -> Result<Self> {
        let orbit = Orbit::try_from(spec.orbit).map_err(|e| with_name(e, &spec.name))?;
        Ok(Self::new(spec.name, orbit))
    }
}

impl Satellite {
    /// A satellite from any orbit.
    pub fn new(name: impl Into<String>, orbit: impl Into<Orbit>) -> Self {
        Self {
            name: name.into(),
            orbit: orbit.into(),
        }
    }

    /// A satellite from its JSON form (serde), with the typed error of the
    /// orbit check ([`Error::InvalidOrbit`], [`Error::Ephemeris`], …) rather
    /// than serde's text of it.
    pub fn from_json(text: &str) -> Result<Self> {
        let spec: SatelliteSpec = serde_json::from_str(text).map_err(|e| Error::Config {
            origin: "satellite JSON".into(),
            reason: e.to_string(),
        })?;
        spec.try_into()
    }

    /// What is accepted but doubtful about this satellite (a perigee lower
    /// than [`crate::orbit::LOW_PERIGEE_WARNING_KM`]), as sentences; empty when
    /// nothing is. Bindings raise them as warnings, the CLI prints them.
    pub fn warnings(&self) -> Vec<String> {
        let altitude_km = perigee_altitude_km(self.orbit.perigee_radius_km());
        low_perigee_warning(&self.name, altitude_km).into_iter().collect()
    }

    /// SGP4 satellite from a two-line element set.
    pub fn from_tle(name: impl Into<String>, line1: &str, line2: &str) -> Result<Self> {
        let name = name.into();
        let orbit = Sgp4Orbit::from_tle(Some(&name), line1, line2)?;
        Ok(Self::new(name, orbit))
    }

    /// SGP4 satellites from an OMM (JSON or KVN), one per record, named by
    /// `OBJECT_NAME` (or the catalogue number when absent).
    pub fn from_omm(text: &str) -> Result<Vec<Self>> {
        Ok(parse_omm(text)?
            .into_iter()
            .map(|orbit| {
                let name = orbit
                    .name()
                    .map(str::to_string)
                    .unwrap_or_else(|| orbit.norad_id().to_string());
                Self::new(name, orbit)
            })
            .collect())
    }

    /// A satellite through a TEME state at `epoch`, propagated by `model`.
    pub fn from_state(
        name: impl Into<String>,
        epoch: Epoch,
        state: &StateVector,
        model: AnalyticModel,
    ) -> Result<Self> {
        let name = name.into();
        let orbit: Result<Orbit> = match model {
            AnalyticModel::Kepler => KeplerOrbit::from_state(epoch, state).map(Orbit::from),
            AnalyticModel::J2 => J2Orbit::from_state(epoch, state).map(Orbit::from),
        };
        let orbit = orbit.map_err(|e| with_name(e, &name))?;
        Ok(Self::new(name, orbit))
    }

    /// A satellite from classical (mean, for J2) elements at `epoch`.
    pub fn from_elements(
        name: impl Into<String>,
        epoch: Epoch,
        elements: ClassicalElements,
        model: AnalyticModel,
    ) -> Result<Self> {
        let name = name.into();
        let orbit: Result<Orbit> = match model {
            AnalyticModel::Kepler => KeplerOrbit::new(epoch, elements).map(Orbit::from),
            AnalyticModel::J2 => J2Orbit::new(epoch, elements).map(Orbit::from),
        };
        let orbit = orbit.map_err(|e| with_name(e, &name))?;
        Ok(Self::new(name, orbit))
    }

    /// A satellite following a tabulated ephemeris.
    pub fn from_ephemeris(name: impl Into<String>, ephemeris: Ephemeris) -> Self {
        Self::new(name, ephemeris)
    }

    /// The members of a Walker-delta constellation, named `{prefix}-P{plane}-S{slot}` (1-based).
    ///
    /// ```
    /// use orbitedge::{Satellite, orbit::walker::WalkerDelta, satellite::AnalyticModel};
    /// let pattern = WalkerDelta { total: 6, planes: 3, phasing: 1, altitude_km: 550.0, inclination_deg: 97.6 };
    /// let epoch = hifitime::Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    /// let sats = Satellite::walker("SSO", &pattern, epoch, AnalyticModel::J2)?;
    /// assert_eq!(sats[3].name, "SSO-P2-S2");
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn walker(
        prefix: &str,
        pattern: &WalkerDelta,
        epoch: Epoch,
        model: AnalyticModel,
    ) -> Result<Vec<Self>> {
        pattern
            .slots()?
            .into_iter()
            .map(|slot| {
                let name = format!("{prefix}-P{}-S{}", slot.plane + 1, slot.slot + 1);
                Self::from_elements(name, epoch, slot.elements, model)
            })
            .collect()
    }
}

impl Propagator for Satellite {
    fn epoch(&self) -> Epoch {
        self.orbit.epoch()
    }

    #[inline]
    fn state_after(&self, seconds: f64) -> Result<StateVector> {
        self.orbit.state_after(seconds)
    }

    fn states_every(&self, first_s: f64, step_s: f64, count: usize) -> Result<Vec<StateVector>> {
        self.orbit.states_every(first_s, step_s, count)
    }

    fn motion_bounds(&self) -> MotionBounds {
        self.orbit.motion_bounds()
    }
}
