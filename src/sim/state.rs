//! The evolving state of one spacecraft and how it advances between two times.
//!
//! Between *breakpoints* (eclipse and contact edges, radiation events, activity
//! ends, scheduled starts, the fixed-step grid, sync points) the discrete state
//! is constant and the continuous state (battery, temperature, storage, dose) is
//! integrated in sub-steps (≤ 60 s, ≤ 1 s in penumbra) with the environment taken
//! at each sub-step's midpoint. A threshold reached inside a sub-step (battery
//! at its minimum, storage full, input exhausted, dose limit) ends it exactly
//! there, so the consequence happens at the right time.
//!
//! **Load-shedding policy.** When the battery discharges to its minimum state
//! of charge, the running activity is stopped (`load_shed`) and no activity
//! starts below that level. If the bus alone empties the battery, its demand
//! goes unserved and the radio stops (`battery_empty`, a brown-out) until the
//! charge is back at the minimum (`battery_recovered`). Nothing is clamped
//! silently: unserved demand and spilled surplus are in the energy ledger.
//! An activity with a `resume_soc`, stopped by either, does not start
//! automatically again until the charge is back at its `resume_soc`; a
//! minimum on-time (`min_on_s`) never delays these stops (see
//! [`crate::spacecraft::activity`]).
//!
//! **Layout.** [`SpacecraftState`] is a composition of subsystem parts (power,
//! data, radiation, activities, thermal, onboard); the methods that drive it
//! live by concern in the child modules: `advance` (breakpoints, decisions,
//! integration), `activities` (may an activity run, starts and stops),
//! `onboard` (the computer's gate, jobs, inference), `flows` (environment and
//! power at an instant), and `stored` (the checkpoint layout). The sub-step's
//! phases are in `sim::step`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::environment::eclipse::ShadowConfig;
use crate::error::Result;
use crate::sim::conditions::Conditions;
use crate::sim::events::EventKind;
use crate::sim::hooks::{SpacecraftView, Surroundings};
use crate::sim::onboard::{InferenceRecord, OnboardState};
use crate::sim::plan::Plan;
use crate::sim::snapshot::{PowerFlows, Snapshot};
use crate::sim::telemetry::Sample;
use crate::spacecraft::power::{Battery, EnergyLedger};
use crate::spacecraft::radiation::{EventStream, RadiationProcess};
use crate::spacecraft::storage::Storage;
use crate::spacecraft::Spacecraft;
use crate::time::TimeAxis;

pub use crate::environment::eclipse::Light;

mod activities;
mod advance;
mod flows;
mod onboard;
mod stored;

/// A running activity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Running {
    /// Index into the spacecraft's activities.
    pub(crate) activity: usize,
    /// Start, s since simulation start.
    pub(crate) started_s: f64,
    /// Planned end, s (∞ when open-ended).
    pub(crate) ends_s: f64,
}

/// Everything about one spacecraft that changes during a run: one part per
/// subsystem, each advanced by its own phase of the sub-step (`sim::step`).
///
/// Checkpoints store it flat, in the layout of version 1 (see [`stored`]), so
/// that checkpoints written before the parts existed still load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "stored::Stored", into = "stored::Stored")]
pub struct SpacecraftState {
    /// Battery and energy accounting.
    pub(crate) power: PowerState,
    /// Temperature, K (NaN without a thermal model).
    pub(crate) temperature_k: f64,
    /// Storage, contacts, downlink and relays.
    pub(crate) data: DataState,
    /// Radiation streams, dose and survival.
    pub(crate) radiation: RadiationState,
    /// Declared activities and a flight application's loads.
    pub(crate) activities: ActivityState,
    /// Current light.
    pub(crate) light: Light,
    /// Custom properties.
    pub(crate) properties: BTreeMap<String, f64>,
    /// Onboard processing (with an imager).
    pub(crate) onboard: Option<OnboardState>,
    /// The latest capture instant already taken: a decision point can be
    /// visited twice (a sync point, a run boundary) and must not capture twice.
    pub(crate) captures_handled_s: Option<f64>,
    /// Where to continue when the last run stopped inside a sub-step (see
    /// [`Resume`]); `None` at every natural breakpoint.
    pub(crate) resume: Option<Box<Resume>>,
    /// Positions in the current plan's lists (scratch, reset every run).
    pub(crate) cursors: Cursors,
}

/// The power subsystem's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PowerState {
    /// Battery, when there is a power model.
    pub(crate) battery: Option<Battery>,
    /// True while the battery is empty and loads are unserved.
    pub(crate) browned_out: bool,
    /// Energy flows so far.
    pub(crate) ledger: EnergyLedger,
    /// What rounding left out of each `ledger` sum (see
    /// [`EnergyLedger::add_compensated`]).
    pub(crate) ledger_carry: EnergyLedger,
}

/// Storage, the radio's contacts and the relays.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DataState {
    /// Storage contents.
    pub(crate) storage: Storage,
    /// Station in contact.
    pub(crate) contact: Option<usize>,
    /// Bytes downlinked in the current contact.
    pub(crate) contact_bytes: f64,
    /// Bytes downlinked in total.
    pub(crate) downlinked_bytes: f64,
    /// Bytes downlinked per storage partition.
    pub(crate) downlinked_partition_bytes: Vec<f64>,
    /// Per relay: bytes its transfers moved, before the current planning
    /// block, in the window still open at the block's start (for that
    /// window's `data_relayed` event); 0 when none was open.
    pub(crate) relay_window_bytes: Vec<f64>,
    /// Bytes forwarded per relay in total, counted at sync points.
    pub(crate) relayed_bytes: Vec<f64>,
    /// Bytes that arrived by transfers from other spacecraft.
    pub(crate) received_bytes: f64,
    /// Bytes that arrived by transfers into a full store (lost).
    pub(crate) arrivals_dropped_bytes: f64,
}

/// Radiation: the event streams, the dose, survival.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RadiationState {
    /// Radiation streams: corruption, restart, failure.
    pub(crate) streams: Vec<EventStream>,
    /// Accumulated dose, rad.
    pub(crate) dose_rad: f64,
    /// False after a permanent failure.
    pub(crate) alive: bool,
}

/// Declared activities and the loads a flight application switched on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActivityState {
    /// The running activity.
    pub(crate) running: Option<Running>,
    /// Last automatic start per activity, s (−∞ if never).
    pub(crate) last_auto_start_s: Vec<f64>,
    /// When each activity last stopped, s (−∞ if never): an activity is not
    /// started again automatically at the instant it stopped, so a condition
    /// that only time can change (storage full, battery at its floor) cannot
    /// make the engine start and stop it forever without time passing.
    pub(crate) last_stop_s: Vec<f64>,
    /// Per activity: stopped for the charge and held back from automatic
    /// starts until the charge is back at its `resume_soc` (always false for
    /// an activity without one).
    pub(crate) charge_held: Vec<bool>,
    /// The latest scheduled start already handled (a decision point can be
    /// visited twice and must not start it twice).
    pub(crate) scheduled_handled_s: Option<f64>,
    /// Loads a flight application switched on: name → W.
    pub(crate) external_loads: BTreeMap<String, f64>,
    /// When the application's loads started for a duration end: name → s.
    pub(crate) external_load_ends: BTreeMap<String, f64>,
}

/// The state at the start of a sub-step that a run's end cut short.
///
/// An uninterrupted run integrates that sub-step whole, with the environment
/// at its midpoint, and decides nothing inside it. A run that ends inside it
/// shows the state at its end (the sub-step's rates applied up to there) but
/// keeps this copy, and the next run continues from it as if it had never
/// stopped: results do not depend on how a run is cut. Any input at the cut
/// (a load switched, data written) makes the cut a real breakpoint instead
/// ([`SpacecraftState::commit`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Resume {
    /// Start of the interrupted sub-step, s.
    pub(crate) at_s: f64,
    /// The state there (after the decisions taken at the sub-step's start).
    pub(crate) state: SpacecraftState,
}

/// The inference records and replays of one spacecraft (see
/// [`SpacecraftState::resume_copy`]).
type InferenceLogs = (Vec<InferenceRecord>, BTreeMap<u64, InferenceRecord>);

/// One call of [`SpacecraftState::advance`]: from `from_s` to `to_s`, where
/// `sync_s` (≥ `to_s`) is the next sync point. `to_s < sync_s` means the run
/// ends there (a cut that an uninterrupted run would not make).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Span {
    /// Start, s.
    pub(crate) from_s: f64,
    /// End of this call, s.
    pub(crate) to_s: f64,
    /// The sync point bounding the call, s.
    pub(crate) sync_s: f64,
}

/// Where the last lookups in a plan's sorted lists ended: time only moves
/// forward within a run, so lookups walk instead of searching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Cursors {
    light: usize,
    contact: usize,
    edge: usize,
    pub(crate) imaging: usize,
    pub(crate) capture: usize,
}

/// Shared, read-only context of a run.
pub(crate) struct Context<'a> {
    /// Time axis from the simulation start.
    pub(crate) axis: &'a TimeAxis,
    /// Shadow model.
    pub(crate) shadow: &'a ShadowConfig,
    /// Station names.
    pub(crate) station_names: &'a [String],
    /// Spacecraft names, in order.
    pub(crate) spacecraft_names: &'a [String],
    /// Fixed step, s, or `None` for event-driven.
    pub(crate) step_s: Option<f64>,
    /// Longest integration sub-step, s.
    pub(crate) max_substep_s: f64,
    /// Earth-fixed station positions, km.
    pub(crate) station_positions: &'a [nalgebra::Vector3<f64>],
    /// The Sun over the run.
    pub(crate) sun: &'a crate::environment::sun::SunTable,
    /// PASEOS-compatible power: a fixed step generates only when sunlit at both
    /// of its ends; thermal inputs are taken at the start of the step.
    pub(crate) paseos: bool,
    /// The Sun's irradiance (its constant, and whether it follows the distance).
    pub(crate) irradiance: crate::environment::irradiance::SolarIrradiance,
}

/// Events produced while advancing: (elapsed_s, kind).
pub(crate) type Log = Vec<(f64, EventKind)>;

pub(crate) use crate::sim::EPS;

impl SpacecraftState {
    /// The initial state of a (validated) spacecraft.
    pub(crate) fn new(sc: &Spacecraft, seed: u64) -> Self {
        let r = &sc.radiation;
        let rates = [r.data_corruption_per_s, r.restart_per_s, r.failure_per_s];
        Self {
            power: PowerState {
                battery: sc.power.map(|p| Battery::new(p.battery)),
                browned_out: false,
                ledger: EnergyLedger::default(),
                ledger_carry: EnergyLedger::default(),
            },
            temperature_k: sc.thermal.map_or(f64::NAN, |t| t.initial_temperature_k),
            data: DataState {
                storage: Storage::new(sc.storage.clone()),
                contact: None,
                contact_bytes: 0.0,
                downlinked_bytes: 0.0,
                downlinked_partition_bytes: vec![0.0; sc.storage.partitions.len()],
                relay_window_bytes: vec![0.0; sc.relays.len()],
                relayed_bytes: vec![0.0; sc.relays.len()],
                received_bytes: 0.0,
                arrivals_dropped_bytes: 0.0,
            },
            radiation: RadiationState {
                streams: RadiationProcess::ALL
                    .iter()
                    .zip(rates)
                    .map(|(process, rate)| EventStream::new(seed, &sc.name, *process, rate))
                    .collect(),
                dose_rad: 0.0,
                alive: true,
            },
            activities: ActivityState {
                running: None,
                last_auto_start_s: vec![f64::NEG_INFINITY; sc.activities.len()],
                last_stop_s: vec![f64::NEG_INFINITY; sc.activities.len()],
                charge_held: vec![false; sc.activities.len()],
                scheduled_handled_s: None,
                external_loads: BTreeMap::new(),
                external_load_ends: BTreeMap::new(),
            },
            light: Light::Sunlit,
            properties: BTreeMap::new(),
            onboard: sc.imager.as_ref().map(|_| OnboardState::new(seed, &sc.name)),
            captures_handled_s: None,
            resume: None,
            cursors: Cursors::default(),
        }
    }

    /// A copy for a resume point, without the inference logs (`records`,
    /// `replay`): no sub-step changes them, and the resumed state takes them
    /// back from the state it replaces ([`SpacecraftState::resume`]). A cut
    /// (a run's end, a telemetry instant between sync points) then costs the
    /// state's size, not the length of the run so far.
    fn resume_copy(&mut self) -> SpacecraftState {
        let logs = self.take_logs();
        let copy = self.clone();
        self.put_logs(logs);
        copy
    }

    /// Continues from a resume point: its state, with this state's inference
    /// logs (and replays added since, e.g. by `replay_inferences` at a cut).
    fn resume(&mut self, resume: Resume) {
        let logs = self.take_logs();
        *self = resume.state;
        self.put_logs(logs);
        self.cursors = Cursors::default();
    }

    fn take_logs(&mut self) -> Option<InferenceLogs> {
        self.onboard
            .as_mut()
            .map(|o| (std::mem::take(&mut o.records), std::mem::take(&mut o.replay)))
    }

    fn put_logs(&mut self, logs: Option<InferenceLogs>) {
        if let (Some(onboard), Some((records, replay))) = (self.onboard.as_mut(), logs) {
            onboard.records = records;
            onboard.replay = replay;
        }
    }

    /// Makes the current instant a breakpoint: an input changes the state here,
    /// so the next run continues from this state, not from a cut sub-step.
    pub(crate) fn commit(&mut self) {
        self.resume = None;
    }

    /// The facts that gate work at `t` (see [`conditions`](crate::sim::conditions)).
    pub(crate) fn conditions(&self, t: f64) -> Conditions {
        Conditions {
            alive: self.radiation.alive,
            browned_out: self.power.browned_out,
            rebooting: self.onboard.as_ref().is_some_and(|o| t < o.booting_until_s - EPS),
            soc: self.power.battery.as_ref().map(|b| b.soc()),
            temperature_k: self.temperature_k,
            light: self.light,
        }
    }

    /// State of charge (NaN without a power model).
    pub(crate) fn soc(&self) -> f64 {
        self.power.battery.map_or(f64::NAN, |b| b.soc())
    }

    /// What a user hook sees at `elapsed_s` with `sunlit_fraction` of the Sun.
    pub(crate) fn view(&self, sc: &Spacecraft, elapsed_s: f64, around: &Surroundings) -> SpacecraftView {
        SpacecraftView {
            peers_in_view: around.peers_in_view.clone(),
            ..Snapshot::new(sc, self, elapsed_s, around.sunlit_fraction, None).hook_view()
        }
    }

    /// A telemetry sample at `t`.
    pub(crate) fn sample(
        &self,
        sc: &Spacecraft,
        index: usize,
        plan: &Plan,
        ctx: &Context<'_>,
        t: f64,
    ) -> Result<Sample> {
        let light = plan.light_at(t);
        let (state, sun, fraction) = self.environment(sc, plan, ctx, light, t)?;
        let transmitting = self.data.contact.is_some()
            && sc.ground_radio().is_some()
            && plan
                .downlink_partitions
                .iter()
                .any(|p| self.data.storage.used_bytes[*p] >= 1.0);
        let flows = PowerFlows {
            power_in_w: self.generation_w(
                sc,
                &state,
                &sun,
                fraction,
                t,
                ctx.irradiance.at_spacecraft(&sun, &state.position_km),
            ),
            power_out_w: self.load_w(sc, plan, transmitting, t).0,
        };
        let position_km = [state.position_km.x, state.position_km.y, state.position_km.z];
        Ok(Sample {
            peers_in_view: plan.peers_in_view_at(t) as u32,
            ..Snapshot::new(sc, self, t, fraction, Some(flows)).sample(index, position_km)
        })
    }
}
