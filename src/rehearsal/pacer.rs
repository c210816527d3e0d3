//! Real-time pacing: which simulated time the engine should reach for a given
//! wall-clock time, and what to do when the host falls behind.
//!
//! The pacer is pure arithmetic on durations (no clock inside), so its policy
//! is tested without sleeping.

use serde::{Deserialize, Serialize};

use crate::error::{ensure_positive, Error, Result};

/// What to do when an update takes longer than its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LagPolicy {
    /// Keep simulated time tied to the wall clock: the next update covers the
    /// missed slots in one (exact) engine step. Nothing is skipped; the
    /// simulation only reports the lag.
    #[default]
    CatchUp,
    /// Slow simulated time down: the lag is added to an offset so simulated
    /// time resumes from where it was, never jumping.
    Slow,
}

impl std::str::FromStr for LagPolicy {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "catch-up" | "catch_up" => Ok(Self::CatchUp),
            "slow" => Ok(Self::Slow),
            _ => Err(Error::InvalidChoice {
                name: "lag_policy",
                value: text.to_string(),
                expected: "catch-up or slow",
            }),
        }
    }
}

/// A lag the host could not absorb: reported as a warning event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lag {
    /// Wall-clock time of the update, s since the start.
    pub wall_s: f64,
    /// How late the update was, wall-clock s.
    pub lag_s: f64,
    /// Simulated seconds the slow policy gave up so far.
    pub slowed_by_s: f64,
}

/// Maps wall-clock seconds since the start to simulated seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacer {
    multiplier: f64,
    slot_s: f64,
    policy: LagPolicy,
    /// Wall-clock seconds not counted as simulated time (slow policy).
    paused_wall_s: f64,
    /// Simulated time reached by the last update.
    reached_s: f64,
}

impl Pacer {
    /// Simulated time runs `multiplier` times faster than the wall clock, in
    /// updates every `slot_s` wall-clock seconds.
    ///
    /// ```
    /// use orbitedge::rehearsal::{LagPolicy, Pacer};
    /// let mut pacer = Pacer::new(10.0, 0.01, LagPolicy::CatchUp)?;
    /// assert_eq!(pacer.target_s(1.0), 10.0); // one wall second = ten simulated
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn new(multiplier: f64, slot_s: f64, policy: LagPolicy) -> Result<Self> {
        ensure_positive("multiplier", multiplier)?;
        ensure_positive("slot_s", slot_s)?;
        Ok(Self {
            multiplier,
            slot_s,
            policy,
            paused_wall_s: 0.0,
            reached_s: 0.0,
        })
    }

    /// The multiplier.
    pub fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// Wall-clock seconds between updates.
    pub fn slot_s(&self) -> f64 {
        self.slot_s
    }

    /// The policy.
    pub fn policy(&self) -> LagPolicy {
        self.policy
    }

    /// Simulated seconds the slow policy has given up.
    pub fn slowed_by_s(&self) -> f64 {
        self.paused_wall_s * self.multiplier
    }

    /// Simulated time for wall-clock time `wall_s` (since the start).
    pub fn target_s(&self, wall_s: f64) -> f64 {
        ((wall_s - self.paused_wall_s) * self.multiplier).max(self.reached_s)
    }

    /// Records that an update started at `started_wall_s` reached `reached_s`
    /// and finished at `finished_wall_s`. Returns the lag when the update
    /// overran its slot; under the slow policy the overrun is not simulated.
    pub fn finished(&mut self, started_wall_s: f64, finished_wall_s: f64, reached_s: f64) -> Option<Lag> {
        self.reached_s = self.reached_s.max(reached_s);
        let overrun_s = finished_wall_s - started_wall_s - self.slot_s;
        if overrun_s <= 0.0 {
            return None;
        }
        if self.policy == LagPolicy::Slow {
            self.paused_wall_s += overrun_s;
        }
        Some(Lag {
            wall_s: finished_wall_s,
            lag_s: overrun_s,
            slowed_by_s: self.slowed_by_s(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catch_up_keeps_simulated_time_on_the_wall_clock() {
        let mut pacer = Pacer::new(2.0, 0.01, LagPolicy::CatchUp).unwrap();
        // An update that took 0.5 s instead of 0.01 s: reported, not absorbed.
        let lag = pacer.finished(1.0, 1.5, 2.0).unwrap();
        assert!((lag.lag_s - 0.49).abs() < 1e-12);
        assert_eq!(pacer.target_s(1.5), 3.0);
    }

    #[test]
    fn slow_policy_gives_up_the_overrun_and_never_jumps() {
        let mut pacer = Pacer::new(2.0, 0.01, LagPolicy::Slow).unwrap();
        pacer.finished(1.0, 1.5, 2.0).unwrap();
        // Simulated time resumes from 2.0 + one slot, not from 3.0.
        assert!((pacer.target_s(1.51) - 2.04).abs() < 1e-12);
        assert!((pacer.slowed_by_s() - 0.98).abs() < 1e-12);
    }

    #[test]
    fn simulated_time_never_goes_back() {
        let mut pacer = Pacer::new(1.0, 0.01, LagPolicy::Slow).unwrap();
        pacer.finished(0.0, 0.001, 5.0);
        assert_eq!(pacer.target_s(1.0), 5.0);
        assert!(Pacer::new(0.0, 0.01, LagPolicy::Slow).is_err());
        assert!(Pacer::new(1.0, f64::NAN, LagPolicy::Slow).is_err());
        assert_eq!("slow".parse::<LagPolicy>().unwrap(), LagPolicy::Slow);
        assert!("fast".parse::<LagPolicy>().is_err());
    }
}
