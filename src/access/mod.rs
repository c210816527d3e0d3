//! Event finding: when can a station see a satellite, when are satellites in
//! the Earth's shadow, when can two satellites talk.
//!
//! Every search follows the same plan, so nothing is missed and little is
//! computed:
//! 1. **Screen** with a conservative, cheap condition and steps that are
//!    provably safe: a function g with |dg/dt| ≤ K cannot reach zero sooner than
//!    |g|/K, so the walk jumps that far ([`crate::orbit::MotionBounds`] gives K).
//! 2. **Sample** the exact condition and its rate finely only where screening
//!    says something may happen.
//! 3. **Refine** each sign change (and each hidden maximum) with Brent's method
//!    to [`SearchConfig::tolerance_s`].
//!
//! Times come back as [`hifitime::Epoch`]; windows cut by the search interval
//! are kept and flagged.

pub mod eclipse;
pub mod ground;
pub mod link;
mod root;

use hifitime::Epoch;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::orbit::{Propagator, StateVector};
use crate::time::TimeAxis;

pub use eclipse::{find_eclipse_intervals, EclipseInterval, EclipseKind};
pub use ground::{find_access_windows, AccessWindow};
pub use link::{find_link_windows, LinkWindow};

/// Accuracy and safety settings shared by every search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// Accuracy of event times, s; default 1e-4 (0.1 ms).
    pub tolerance_s: f64,
    /// Smallest screening step, s; default 0.5. Conditions that hold for less
    /// than this may be missed; anything longer is found.
    pub min_step_s: f64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            tolerance_s: 1e-4,
            min_step_s: 0.5,
        }
    }
}

/// Finest accuracy a search may be asked for, s (a nanosecond: far below
/// what any orbit model supports, and Brent's method still ends).
pub const MIN_TOLERANCE_S: f64 = 1e-9;
/// Smallest screening step, s. Why: the search walks its interval in steps
/// of at least this; 6e-322 s (a crafted checkpoint found by fuzzing) made
/// one 60 s run walk for ever.
pub const MIN_SCREENING_STEP_S: f64 = 1e-3;
/// Largest screening step, s (an hour: larger misses whole passes and orbits).
pub const MAX_SCREENING_STEP_S: f64 = 3_600.0;

impl SearchConfig {
    /// Checks both settings are finite and within their bounds:
    /// `tolerance_s` in [1e-9, 1] s, `min_step_s` in [1e-3, 3600] s.
    pub fn validated(self) -> Result<Self> {
        let within = |name, value: f64, lo: f64, hi: f64, expected| {
            if value.is_finite() && (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(Error::parameter(name, value, expected))
            }
        };
        within(
            "tolerance_s",
            self.tolerance_s,
            MIN_TOLERANCE_S,
            1.0,
            "from 1e-9 to 1 s",
        )?;
        within(
            "min_step_s",
            self.min_step_s,
            MIN_SCREENING_STEP_S,
            MAX_SCREENING_STEP_S,
            "from 1e-3 to 3600 s",
        )?;
        Ok(self)
    }
}

/// Most work one search may take, in pairs × days searched (a pair is a
/// satellite and a station, one satellite against the Sun, or two satellites).
///
/// Why: a LEO pair has up to ~50 events a day (eclipse entries and exits with
/// their penumbrae) of ~100 bytes each, so 1e6 pair-days is ~5 GB of results
/// and hours of one core. A 10 000-year interval used to run for days and then
/// exhaust memory; it is refused before starting, with the numbers.
pub const MAX_SEARCH_PAIR_DAYS: f64 = 1e6;

/// Refuses a search of `pairs` pairs over `span_s` seconds that exceeds
/// [`MAX_SEARCH_PAIR_DAYS`]; `kind` names the search in the message.
pub(crate) fn ensure_search_fits(kind: &str, pairs: usize, span_s: f64) -> Result<()> {
    let days = span_s / 86_400.0;
    let pair_days = pairs as f64 * days;
    if pair_days <= MAX_SEARCH_PAIR_DAYS {
        return Ok(());
    }
    Err(Error::ResourceLimit {
        what: format!("a {kind} search of {pairs} pair(s) over {days:.3e} days"),
        estimate: format!("{pair_days:.3e} pair-days"),
        limit: format!("{MAX_SEARCH_PAIR_DAYS:.0e} pair-days (access::MAX_SEARCH_PAIR_DAYS)"),
        hint: "search shorter intervals, or fewer satellites at a time, and join the results".into(),
    })
}

/// A propagator read on a search's time axis (seconds since the interval start).
pub(crate) struct Track<'a, P: Propagator + ?Sized> {
    propagator: &'a P,
    offset_s: f64,
}

impl<'a, P: Propagator + ?Sized> Track<'a, P> {
    pub(crate) fn new(propagator: &'a P, axis: &TimeAxis) -> Self {
        Self {
            propagator,
            offset_s: crate::time::seconds_between(propagator.epoch(), axis.reference()),
        }
    }

    #[inline]
    pub(crate) fn state(&self, seconds: f64) -> Result<StateVector> {
        self.propagator.state_after(self.offset_s + seconds)
    }

    /// States at `first_s + k·step_s` on the axis, k < `count`
    /// ([`Propagator::states_every`]).
    pub(crate) fn states_every(&self, first_s: f64, step_s: f64, count: usize) -> Result<Vec<StateVector>> {
        self.propagator
            .states_every(self.offset_s + first_s, step_s, count)
    }
}

/// Converts a time on the axis back to an epoch, rounding to the nanosecond.
pub(crate) fn epoch_on(axis: &TimeAxis, seconds: f64) -> Epoch {
    axis.epoch(seconds)
}
