//! What a run will cost, estimated before it starts, and the limits that
//! refuse what cannot finish or fit: a typo (`step_s = 1e-6`, a 1e300-hour
//! run, a telemetry interval of a microsecond) must be an error now, not an
//! abort on a failed allocation or a run that never ends.

use serde::{Deserialize, Serialize};

use super::{Simulation, Stepping};
use crate::error::{Error, Result};

/// Bytes one telemetry row takes in memory (13 numbers, two indices and a flag).
pub const TELEMETRY_ROW_BYTES: f64 = 112.0;

/// Limits on one run; the defaults suit a workstation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunLimits {
    /// Most telemetry a simulation may hold in memory, bytes (default 4 GiB).
    pub max_telemetry_bytes: f64,
    /// Most integration sub-steps one run may take, summed over spacecraft
    /// (default 1e10: a few hours of one core).
    pub max_substeps: f64,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self {
            max_telemetry_bytes: 4.0 * 1024.0 * 1024.0 * 1024.0,
            max_substeps: 1e10,
        }
    }
}

/// The estimated cost of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunEstimate {
    /// Telemetry rows the run adds.
    pub telemetry_rows: f64,
    /// Telemetry held in memory after the run, bytes.
    pub telemetry_bytes: f64,
    /// Integration sub-steps, summed over spacecraft (a lower bound: eclipse
    /// edges and penumbra add a few).
    pub substeps: f64,
}

impl Simulation {
    /// What advancing to `to_s` (s since the start) with `stepping` will cost.
    pub fn estimate_run(&self, to_s: f64, stepping: Stepping) -> RunEstimate {
        let span_s = (to_s - self.elapsed_s).max(0.0);
        let n = self.spacecraft.len() as f64;
        let interval = self.config.telemetry_interval_s;
        let telemetry_rows = n * (span_s / interval).floor();
        let held_rows = self.telemetry.len() as f64 + telemetry_rows;
        // Telemetry instants between sync points cut sub-steps (and resume them).
        let mut finest_s = self
            .config
            .max_substep_s
            .min(interval)
            .min(self.config.sync_interval_s);
        if let Stepping::Fixed { step_s } = stepping {
            finest_s = finest_s.min(step_s);
        }
        RunEstimate {
            telemetry_rows,
            telemetry_bytes: held_rows * TELEMETRY_ROW_BYTES,
            substeps: n * span_s / finest_s,
        }
    }

    /// Refuses a run to `to_s` (s since the start) whose estimate exceeds the
    /// limits, naming both and what to change; [`Simulation::run`] calls it,
    /// and `orbitedge validate` too, so a scenario that cannot run is not "ok".
    pub fn check_run_to(&self, to_s: f64, stepping: Stepping) -> Result<RunEstimate> {
        let limits = self.config.limits;
        let estimate = self.estimate_run(to_s, stepping);
        if !self.is_streaming() && estimate.telemetry_bytes.is_nan()
            || estimate.telemetry_bytes > limits.max_telemetry_bytes
        {
            return Err(Error::ResourceLimit {
                what: format!(
                    "telemetry of {} spacecraft over {:.3e} s every {} s",
                    self.spacecraft.len(),
                    to_s - self.elapsed_s,
                    self.config.telemetry_interval_s
                ),
                estimate: format!("{:.3e} bytes of memory", estimate.telemetry_bytes),
                limit: format!(
                    "{:.3e} bytes (limits.max_telemetry_bytes)",
                    limits.max_telemetry_bytes
                ),
                hint: "use a longer telemetry_interval_s, or stream the outputs to disk \
                       (Simulation::stream_to)"
                    .into(),
            });
        }
        if estimate.substeps.is_nan() || estimate.substeps > limits.max_substeps {
            return Err(Error::ResourceLimit {
                what: format!(
                    "a run of {} spacecraft over {:.3e} s",
                    self.spacecraft.len(),
                    to_s - self.elapsed_s
                ),
                estimate: format!("{:.3e} integration sub-steps", estimate.substeps),
                limit: format!("{:.3e} sub-steps (limits.max_substeps)", limits.max_substeps),
                hint: "shorten the run, or use a longer step_s, telemetry_interval_s, sync_interval_s or max_substep_s"
                    .into(),
            });
        }
        Ok(estimate)
    }
}
