//! Orbits: one [`Propagator`] abstraction, several implementations.
//!
//! | model | module | use |
//! |---|---|---|
//! | two-body | [`kepler`] | analysis, tests, short arcs |
//! | J2 secular mean elements | [`j2`] | constellation design, sun-synchronous drift |
//! | SGP4/SDP4 | [`sgp4`] | TLE and OMM from catalogues (WGS72, as they are fitted) |
//! | tabulated states | [`ephemeris`] | trajectories produced elsewhere |
//! | states from code | [`custom`] | a function (Python's `Satellite.from_callable`), sampled and interpolated |
//!
//! All states are TEME (see [`crate::frames`]), positions in km, velocities in km/s.
//! [`Orbit`] gathers the implementations in one serialisable enum, so a satellite
//! can be stored, sent to another process, and propagated without dynamic dispatch.

pub mod custom;
pub mod elements;
pub mod ephemeris;
pub(crate) mod hermite;
pub mod j2;
pub mod kepler;
pub mod omm;
pub mod sgp4;
pub mod validity;
pub mod walker;

use hifitime::Epoch;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::error::Result;

pub use self::sgp4::Sgp4Orbit;
pub use custom::{CustomOrbit, SampledOrbit};
pub use elements::ClassicalElements;
pub use ephemeris::Ephemeris;
pub use j2::J2Orbit;
pub use kepler::KeplerOrbit;

/// Lowest perigee altitude an orbit may have, km above the WGS84 equatorial
/// radius (the documented margin over the surface): an orbit whose perigee
/// lies lower passes through the dense atmosphere (or the Earth) on every
/// revolution and could not be flown, so it is refused as an input error
/// ([`crate::Error::InvalidOrbit`], see [`validity`]). Between this and
/// [`LOW_PERIGEE_WARNING_KM`] an orbit is accepted with a warning
/// ([`crate::Satellite::warnings`]).
pub const MIN_PERIGEE_ALTITUDE_KM: f64 = 50.0;

/// Perigee altitude below which an orbit is accepted but warned about, km
/// (drag would bring it down within days; none of the models here has drag).
pub const LOW_PERIGEE_WARNING_KM: f64 = 100.0;

/// Position and velocity in TEME.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StateVector {
    /// Position, km.
    pub position_km: Vector3<f64>,
    /// Velocity, km/s.
    pub velocity_km_s: Vector3<f64>,
}

/// Conservative bounds on an orbit's motion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MotionBounds {
    /// Largest orbital radius, km.
    pub max_radius_km: f64,
    /// Smallest orbital radius, km.
    pub min_radius_km: f64,
    /// Largest inertial speed, km/s.
    pub max_speed_km_s: f64,
    /// Largest rate of change of the radius, km/s.
    pub max_radial_speed_km_s: f64,
}

impl MotionBounds {
    /// Bounds of an elliptic orbit with semi-major axis `a_km` whose eccentricity stays
    /// below `e_max`, with the radii widened by `margin_km` (and speeds by 2 %).
    pub fn elliptic(a_km: f64, e_max: f64, mu_km3_s2: f64, margin_km: f64) -> Self {
        let e = e_max.clamp(0.0, 0.999);
        let max_radius_km = a_km * (1.0 + e) + margin_km;
        let min_radius_km = (a_km * (1.0 - e) - margin_km).max(100.0);
        let max_speed_km_s = (mu_km3_s2 * (2.0 / min_radius_km - 1.0 / max_radius_km)).sqrt() * 1.02;
        // dr/dt = (μ/h)·e·sin ν, at most e·sqrt(μ/p); widened for the margin.
        let p = a_km * (1.0 - e * e);
        let max_radial_speed_km_s = (e * (mu_km3_s2 / p).sqrt()) * 1.02 + margin_km * 1e-3;
        Self {
            max_radius_km,
            min_radius_km,
            max_speed_km_s,
            max_radial_speed_km_s,
        }
    }
}

/// Anything that gives a satellite's state at a time.
///
/// Implementors provide [`Propagator::epoch`] and [`Propagator::state_after`]
/// (seconds from that epoch, the form hot loops use); [`Propagator::state_at`]
/// follows from them.
pub trait Propagator: Send + Sync {
    /// Reference epoch of the orbit.
    fn epoch(&self) -> Epoch;

    /// State `seconds` after [`Propagator::epoch`] (negative goes back in time).
    fn state_after(&self, seconds: f64) -> Result<StateVector>;

    /// State at an absolute time.
    fn state_at(&self, epoch: Epoch) -> Result<StateVector> {
        self.state_after(crate::time::seconds_between(self.epoch(), epoch))
    }

    /// States at `first_s + k·step_s` for k < `count` (seconds after the
    /// epoch): a grid of states, which a model may compute faster than one
    /// by one (equal to [`Propagator::state_after`] at each to rounding).
    fn states_every(&self, first_s: f64, step_s: f64, count: usize) -> Result<Vec<StateVector>> {
        (0..count)
            .map(|k| self.state_after(first_s + k as f64 * step_s))
            .collect()
    }

    /// Bounds on the motion that event searches use to skip, safely, intervals
    /// where nothing can happen. Over-estimates cost time, never correctness.
    fn motion_bounds(&self) -> MotionBounds;
}

/// Every built-in orbit model.
///
/// Deserialisation goes through [`OrbitSpec`] and the models' constructors, so
/// an orbit read from a file or a checkpoint is checked like one built in code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", try_from = "OrbitSpec")]
#[non_exhaustive]
pub enum Orbit {
    /// Two-body motion.
    Kepler(KeplerOrbit),
    /// Secular J2 mean-element motion.
    J2(J2Orbit),
    /// SGP4/SDP4 from TLE or OMM elements.
    Sgp4(Box<Sgp4Orbit>),
    /// Interpolated tabulated states.
    Ephemeris(Ephemeris),
    /// States computed by code, sampled on a grid and interpolated. Not
    /// serialisable: writing one (a checkpoint, JSON) is an error.
    Custom(SampledOrbit),
}

impl Orbit {
    fn inner(&self) -> &dyn Propagator {
        match self {
            Orbit::Kepler(o) => o,
            Orbit::J2(o) => o,
            Orbit::Sgp4(o) => o.as_ref(),
            Orbit::Ephemeris(o) => o,
            Orbit::Custom(o) => o,
        }
    }

    /// Lowest radius of the orbit, km: a·(1 − e) from the (mean) elements, or
    /// the lowest tabulated (or, for a custom orbit, sampled) radius.
    pub fn perigee_radius_km(&self) -> f64 {
        match self {
            Orbit::Kepler(o) => o.elements().perigee_radius_km(),
            Orbit::J2(o) => o.elements().perigee_radius_km(),
            Orbit::Sgp4(o) => o.perigee_radius_km(),
            Orbit::Ephemeris(o) => o.min_radius_km(),
            Orbit::Custom(o) => o.min_radius_km(),
        }
    }

    /// Short model name: `kepler`, `j2`, `sgp4`, `ephemeris` or `custom`.
    pub fn model_name(&self) -> &'static str {
        match self {
            Orbit::Kepler(_) => "kepler",
            Orbit::J2(_) => "j2",
            Orbit::Sgp4(_) => "sgp4",
            Orbit::Ephemeris(_) => "ephemeris",
            Orbit::Custom(_) => "custom",
        }
    }
}

impl Propagator for Orbit {
    fn epoch(&self) -> Epoch {
        self.inner().epoch()
    }

    #[inline]
    fn state_after(&self, seconds: f64) -> Result<StateVector> {
        match self {
            Orbit::Kepler(o) => o.state_after(seconds),
            Orbit::J2(o) => o.state_after(seconds),
            Orbit::Sgp4(o) => o.state_after(seconds),
            Orbit::Ephemeris(o) => o.state_after(seconds),
            Orbit::Custom(o) => o.state_after(seconds),
        }
    }

    fn states_every(&self, first_s: f64, step_s: f64, count: usize) -> Result<Vec<StateVector>> {
        match self {
            Orbit::Kepler(o) => o.states_every(first_s, step_s, count),
            Orbit::J2(o) => o.states_every(first_s, step_s, count),
            Orbit::Sgp4(o) => o.states_every(first_s, step_s, count),
            Orbit::Ephemeris(o) => o.states_every(first_s, step_s, count),
            Orbit::Custom(o) => o.states_every(first_s, step_s, count),
        }
    }

    fn motion_bounds(&self) -> MotionBounds {
        self.inner().motion_bounds()
    }
}

/// What an [`Orbit`] is read from: each model's specification, not yet checked.
/// Keeping it apart lets a [`crate::Satellite`] name itself in the error of an
/// orbit it cannot fly.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub(crate) enum OrbitSpec {
    Kepler(kepler::KeplerSpec),
    J2(j2::J2Spec),
    Sgp4(Box<::sgp4::Elements>),
    Ephemeris(ephemeris::EphemerisSpec),
}

impl TryFrom<OrbitSpec> for Orbit {
    type Error = crate::Error;
    fn try_from(spec: OrbitSpec) -> Result<Self> {
        Ok(match spec {
            OrbitSpec::Kepler(s) => Orbit::Kepler(s.try_into()?),
            OrbitSpec::J2(s) => Orbit::J2(s.try_into()?),
            OrbitSpec::Sgp4(s) => Orbit::Sgp4(Box::new(Sgp4Orbit::from_elements(*s)?)),
            OrbitSpec::Ephemeris(s) => Orbit::Ephemeris(s.try_into()?),
        })
    }
}

impl From<KeplerOrbit> for Orbit {
    fn from(o: KeplerOrbit) -> Self {
        Orbit::Kepler(o)
    }
}

impl From<J2Orbit> for Orbit {
    fn from(o: J2Orbit) -> Self {
        Orbit::J2(o)
    }
}

impl From<Sgp4Orbit> for Orbit {
    fn from(o: Sgp4Orbit) -> Self {
        Orbit::Sgp4(Box::new(o))
    }
}

impl From<Ephemeris> for Orbit {
    fn from(o: Ephemeris) -> Self {
        Orbit::Ephemeris(o)
    }
}

impl From<SampledOrbit> for Orbit {
    fn from(o: SampledOrbit) -> Self {
        Orbit::Custom(o)
    }
}
