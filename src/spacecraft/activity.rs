//! Activities: named work with a power draw, a duration, preconditions and data
//! effects (e.g. imaging produces raw data; processing consumes raw data and
//! produces products).
//!
//! Preconditions are checked before an activity starts and again at every
//! engine breakpoint while it runs; a violated precondition interrupts it with
//! the reason logged. Custom constraints (Rust closures, Python callables) are
//! attached per spacecraft and activity in the simulation.
//!
//! **Against chattering** (an `auto` activity restarting as soon as the charge
//! is back over its floor, then stopped again moments later), two options:
//!
//! - [`Preconditions::resume_soc`], a hysteresis on the charge: after the
//!   activity was stopped *for the charge* (its `min_soc` not met at a
//!   decision point, the battery's load shedding at its own `min_soc`, or the
//!   battery running empty), it does not start automatically until the state
//!   of charge has been seen at or above `resume_soc` at a decision point. A
//!   scheduled start is an explicit request and is not held back (it needs
//!   `min_soc` as always, and ends the hold).
//! - [`ActivityConfig::min_on_s`], a minimum on-time: for `min_on_s` after it
//!   started (automatically or scheduled), the activity is not stopped by its
//!   *soft* preconditions. Soft: its own `min_soc` while the charge is still
//!   at or above the battery's own floor, the temperature range, `sunlit`,
//!   `in_window`, `min_free_bytes`, and user constraints; they are checked
//!   again when `min_on_s` has passed (event-driven: at exactly that instant;
//!   fixed steps: at the first step from there). *Hard* stops apply at once,
//!   whatever the on-time: a permanent failure, a radiation restart, the
//!   battery at its own `min_soc` (load shedding) or empty (brown-out), the
//!   output partition full, the input partition exhausted, and the end of
//!   `duration_s`.
//!
//! `min_on_s` bounds how often soft preconditions can stop and restart an
//! activity; `resume_soc` also covers the hard charge stops, and `cooldown_s`
//! spaces automatic starts whatever stopped the activity.

use serde::{Deserialize, Serialize};

use crate::error::{ensure_non_negative, ensure_positive, Error, Result};

/// A data flow to or from a storage partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFlow {
    /// Partition name.
    pub partition: String,
    /// Rate, bytes/s.
    pub bytes_per_s: f64,
}

/// Conditions for starting and continuing an activity (all optional).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Preconditions {
    /// Lowest state of charge, in [0, 1].
    #[serde(default)]
    pub min_soc: Option<f64>,
    /// State of charge an *automatic* start needs after the activity was
    /// stopped for the charge (its `min_soc`, load shedding at the battery's
    /// floor, or a brown-out), until the charge has been seen at or above it
    /// (a hysteresis; see the [module](self) documentation). In (0, 1], above
    /// `min_soc` and the battery's `min_soc`; default none (no hysteresis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_soc: Option<f64>,
    /// Lowest temperature, K.
    #[serde(default)]
    pub min_temperature_k: Option<f64>,
    /// Highest temperature, K.
    #[serde(default)]
    pub max_temperature_k: Option<f64>,
    /// `Some(true)`: only in sunlight (sunlit fraction 1); `Some(false)`: only in shadow.
    #[serde(default)]
    pub sunlit: Option<bool>,
    /// `Some(true)`: only during a ground contact; `Some(false)`: only outside one.
    #[serde(default)]
    pub in_window: Option<bool>,
    /// Free bytes needed in the produced-data partition.
    #[serde(default)]
    pub min_free_bytes: Option<f64>,
}

/// An activity definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityConfig {
    /// Name, unique within the spacecraft.
    pub name: String,
    /// Electrical load while running, W.
    pub power_w: f64,
    /// Length, s; `None`: until stopped, interrupted or its input runs out.
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// Start/continue conditions.
    #[serde(default)]
    pub preconditions: Preconditions,
    /// Data written while running.
    #[serde(default)]
    pub produces: Option<DataFlow>,
    /// Data read (and removed) while running; the activity ends when it runs out.
    #[serde(default)]
    pub consumes: Option<DataFlow>,
    /// Start automatically whenever idle and the preconditions hold (in list
    /// order), at most once per `cooldown_s`; default false (start only when scheduled).
    #[serde(default)]
    pub auto: bool,
    /// Least time between two automatic starts, s; default 0.
    #[serde(default)]
    pub cooldown_s: f64,
    /// Minimum on-time, s: once started, the activity is not stopped by its
    /// soft preconditions before `min_on_s` have passed; hard stops still
    /// apply at once (see the [module](self) documentation). Default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_on_s: f64,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

impl ActivityConfig {
    /// Checks every parameter.
    pub fn validated(self) -> Result<Self> {
        if self.name.is_empty() {
            return Err(Error::EmptyInput {
                what: "activity name",
            });
        }
        ensure_non_negative("activity power_w", self.power_w)?;
        if let Some(d) = self.duration_s {
            ensure_positive("activity duration_s", d)?;
        }
        ensure_non_negative("cooldown_s", self.cooldown_s)?;
        ensure_non_negative("min_on_s", self.min_on_s)?;
        for flow in [&self.produces, &self.consumes].into_iter().flatten() {
            ensure_non_negative("bytes_per_s", flow.bytes_per_s)?;
        }
        let p = &self.preconditions;
        if let Some(soc) = p.min_soc {
            if !(0.0..=1.0).contains(&soc) {
                return Err(Error::parameter("min_soc", soc, "in [0, 1]"));
            }
        }
        if let Some(resume) = p.resume_soc {
            if !(resume > 0.0 && resume <= 1.0) {
                return Err(Error::parameter("resume_soc", resume, "in (0, 1]"));
            }
            if let Some(min_soc) = p.min_soc.filter(|floor| resume <= *floor) {
                return Err(Error::ParameterOrder {
                    name: "resume_soc",
                    value: resume,
                    bound_name: "min_soc",
                    bound: min_soc,
                    within: format!("activity {:?}", self.name),
                });
            }
        }
        for t in [p.min_temperature_k, p.max_temperature_k].into_iter().flatten() {
            ensure_positive("precondition temperature_k", t)?;
        }
        if let Some(bytes) = p.min_free_bytes {
            ensure_non_negative("min_free_bytes", bytes)?;
        }
        Ok(self)
    }
}
