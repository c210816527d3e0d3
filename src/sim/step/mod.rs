//! One integration sub-step of one spacecraft, in phases: the rates at the
//! sub-step's midpoint ([`rates`]), the earliest threshold they reach
//! ([`thresholds`]), the interval applied subsystem by subsystem ([`apply`]),
//! and what the threshold sets off ([`consequences`]). The phases share the
//! sub-step's [`Rates`]; each changes only its own subsystem's state.
//!
//! A run that ends inside the sub-step (a cut) applies the rates up to its
//! end and leaves the threshold and its consequences to the next run, which
//! resumes the sub-step from its start (see [`crate::sim::state::Resume`]).

mod apply;
mod consequences;
mod rates;
mod thresholds;

use crate::error::Result;
use crate::sim::hooks::SpacecraftHooks;
use crate::sim::plan::Plan;
use crate::sim::state::{Context, Light, Log, SpacecraftState};
use crate::spacecraft::Spacecraft;

pub(crate) use rates::Rates;
pub(crate) use thresholds::Threshold;

/// What one spacecraft's sub-step reads besides its own state: its
/// parameters, its hooks, its plan and the context every spacecraft shares.
#[derive(Clone, Copy)]
pub(crate) struct Inputs<'a> {
    pub(crate) sc: &'a Spacecraft,
    pub(crate) hooks: &'a SpacecraftHooks,
    pub(crate) plan: &'a Plan,
    pub(crate) ctx: &'a Context<'a>,
}

impl SpacecraftState {
    /// Integrates [s0, s1] with the rates at its midpoint, stopping at the
    /// first threshold, or at `stop` when the run ends first (a cut). `lights`
    /// are the light for power and for thermal inputs (they differ in PASEOS
    /// mode). Returns where it stopped and whether that is a cut.
    pub(crate) fn substep(
        &mut self,
        inputs: Inputs<'_>,
        lights: (Light, Light),
        (s0, s1, stop): (f64, f64, f64),
        log: &mut Log,
    ) -> Result<(f64, bool)> {
        let rates = self.rates(inputs, lights, 0.5 * (s0 + s1))?;
        let (mut split, cause) = self.first_threshold(inputs.sc, &rates, s0, s1);
        // A run that ends before the first threshold (`stop` < `s1`) applies the
        // sub-step's rates up to its end; the threshold is for the next run.
        let preview = split > stop;
        if preview {
            split = stop;
        }
        self.apply(inputs, &rates, s0, split);
        if preview {
            return Ok((split, true)); // consequences and limit checks: the next run's
        }
        self.consequences(inputs, &rates, cause, split, log);
        self.check_device_limits(inputs.sc, split, log);
        Ok((split, false))
    }
}
