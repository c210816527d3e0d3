//! The simulation engine: many spacecraft and ground stations advanced together.
//!
//! [`Simulation`] holds the persistent, serialisable world (configuration,
//! per-spacecraft state, event log, telemetry); each call to
//! [`Simulation::run`] plans ahead with the event finders (eclipses, passes,
//! station assignment; each spacecraft's plan and the planning rules are in
//! `plan`), then advances every spacecraft in parallel between global sync
//! points (the telemetry instants). See [`state`] for what happens inside a
//! spacecraft and the load-shedding policy.

/// The engine's tolerance on times (s) and thresholds: two instants closer than
/// this are one, a floor missed by less is met.
pub(crate) const EPS: f64 = 1e-9;

pub mod conditions;
pub mod events;
pub mod hooks;
pub mod onboard;
pub(crate) mod plan;
mod simulation;
pub mod snapshot;
pub(crate) mod state;
mod step;
pub mod telemetry;
pub mod transfer;

pub use crate::compute::{Detection, TileDetector};
pub use crate::environment::eclipse::Light;
pub use events::{Event, EventKind, FailureCause};
pub use hooks::{SpacecraftHooks, SpacecraftView};
pub use onboard::{DeferReason, Detections, InferenceRecord, OnboardCounters, OnboardState};
#[cfg(test)]
pub(crate) use simulation::application_gate;
pub use simulation::{
    Decision, LinkColumn, RunEstimate, RunLimits, Simulation, SimulationConfig, StateView, StationAssignment,
    Stepping, TransferStatus, LINK_GRAZING_ALTITUDE_KM, MAX_EXTERNAL_LOAD_W, MAX_LOAD_DURATION_S,
    MAX_WRITE_BYTES, PLAN_BLOCK_S, TELEMETRY_ROW_BYTES,
};
pub use snapshot::{OnboardSnapshot, PowerFlows, Snapshot};
pub use state::SpacecraftState;
pub use telemetry::{Sample, Telemetry};
