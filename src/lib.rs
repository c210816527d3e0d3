//! # orbitedge
//!
//! Fast, reproducible simulation of spacecraft in orbit: orbits (Kepler, J2,
//! SGP4/SDP4 from TLE and OMM, tabulated ephemerides, Walker constellations),
//! Earth rotation and frames, the Sun and eclipses, and the windows in which
//! ground stations and other satellites can be reached — found by root finding,
//! to 0.1 ms, without missing short passes.
//!
//! ```
//! use orbitedge::prelude::*;
//!
//! let sat = Satellite::from_tle(
//!     "SENTINEL-2A",
//!     "1 40697U 15028A   23188.15862373  .00000171  00000+0  81941-4 0  9994",
//!     "2 40697  98.5695 262.3977 0001349  91.8221 268.3116 14.30817084419867",
//! )?;
//! let kiruna = GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 5.0)?;
//! let start = sat.epoch();
//! let end = start + Duration::from_days(1.0);
//! let passes = find_access_windows(&[sat.clone()], &[kiruna], start, end, &SearchConfig::default())?;
//! let eclipses = find_eclipse_intervals(&[sat], start, end, &ShadowConfig::default(), &SearchConfig::default())?;
//! assert!(passes.len() >= 8); // a polar orbiter sees Kiruna on most orbits
//! assert!(eclipses.iter().any(|e| e.kind == EclipseKind::Umbra));
//! # Ok::<(), orbitedge::Error>(())
//! ```
//!
//! Module map (data flows downwards): [`time`] and [`frames`] → [`orbit`] →
//! [`environment`] → [`access`]; [`batch`] evaluates many orbits at once.
//! See `ARCHITECTURE.md` for the layers later capabilities add.

pub mod access;
pub mod batch;
pub mod compute;
pub mod constants;
pub mod environment;
mod error;
pub mod frames;
pub mod orbit;
pub mod rehearsal;
pub mod report;
pub mod satellite;
pub mod scenario;
pub mod sim;
pub mod spacecraft;
#[cfg(test)]
mod testing;
pub mod threads;
pub mod time;

#[cfg(feature = "python")]
mod python;

pub use error::{catch_panic, Error, Result};

/// The Rust blocks of `README.md` run as doc-tests, so the front page cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The Rust blocks of the guides in `docs/` run as doc-tests too.
#[doc = include_str!("../docs/coming-from-paseos.md")]
#[cfg(doctest)]
pub struct PaseosGuideDoctests;
pub use satellite::Satellite;

/// The names most programs need.
pub mod prelude {
    pub use crate::access::{
        find_access_windows, find_eclipse_intervals, find_link_windows, AccessWindow, EclipseInterval,
        EclipseKind, LinkWindow, SearchConfig,
    };
    pub use crate::environment::eclipse::ShadowConfig;
    pub use crate::environment::{GroundStation, HorizonMask, LineOfSight, ShadowModel};
    pub use crate::orbit::{ClassicalElements, Orbit, Propagator, StateVector};
    pub use crate::satellite::{AnalyticModel, Satellite};
    pub use crate::{Error, Result};
    pub use hifitime::{Duration, Epoch};
}
