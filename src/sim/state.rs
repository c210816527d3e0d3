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

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::constants::EARTH_EQUATORIAL_RADIUS_KM;
use crate::environment::eclipse::ShadowConfig;
use crate::error::Result;
use crate::orbit::{Propagator, StateVector};
use crate::sim::conditions::{self, Conditions, Demands, Unmet};
use crate::sim::events::{EventKind, FailureCause};
use crate::sim::hooks::{SpacecraftHooks, SpacecraftView};
use crate::sim::onboard::{InferenceRecord, OnboardState};
use crate::sim::plan::{find_from, Mark, Plan};
use crate::sim::snapshot::{PowerFlows, Snapshot};
use crate::sim::step::Inputs;
use crate::sim::telemetry::Sample;
use crate::spacecraft::power::{Battery, EnergyLedger};
use crate::spacecraft::radiation::{EventStream, RadiationProcess};
use crate::spacecraft::storage::Storage;
use crate::spacecraft::Spacecraft;
use crate::time::TimeAxis;

pub use crate::environment::eclipse::Light;

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
    /// Bytes forwarded per relay in its current window.
    pub(crate) relay_window_bytes: Vec<f64>,
    /// Bytes forwarded per relay in total.
    pub(crate) relayed_bytes: Vec<f64>,
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
    /// The latest scheduled start already handled (a decision point can be
    /// visited twice and must not start it twice).
    pub(crate) scheduled_handled_s: Option<f64>,
    /// Loads a flight application switched on (rehearsals): name → W.
    pub(crate) external_loads: BTreeMap<String, f64>,
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
}

/// Events produced while advancing: (elapsed_s, kind).
pub(crate) type Log = Vec<(f64, EventKind)>;

pub(crate) const EPS: f64 = 1e-9;

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
                scheduled_handled_s: None,
                external_loads: BTreeMap::new(),
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

    /// State of charge (NaN without a power model).
    pub(crate) fn soc(&self) -> f64 {
        self.power.battery.map_or(f64::NAN, |b| b.soc())
    }

    /// What a user hook sees at `elapsed_s` with `sunlit_fraction` of the Sun.
    pub(crate) fn view(&self, sc: &Spacecraft, elapsed_s: f64, sunlit_fraction: f64) -> SpacecraftView {
        Snapshot::new(sc, self, elapsed_s, sunlit_fraction, None).hook_view()
    }

    /// Unmet preconditions of activity `k` now (empty: it may run); user
    /// constraints see `sunlit_fraction`, the true visible fraction of the Sun.
    pub(crate) fn unmet(
        &self,
        sc: &Spacecraft,
        k: usize,
        hooks: &SpacecraftHooks,
        elapsed_s: f64,
        sunlit_fraction: f64,
    ) -> Vec<Unmet> {
        let activity = &sc.activities[k];
        let p = &activity.preconditions;
        let demands = Demands {
            soc_floor: self
                .power
                .battery
                .filter(|_| activity.power_w > 0.0)
                .map(|b| p.min_soc.unwrap_or(0.0).max(b.config.min_soc)),
            soc_margin: -EPS,
            min_temperature_k: p.min_temperature_k,
            max_temperature_k: p.max_temperature_k,
            sunlit: p.sunlit,
            on_computer: false,
        };
        let mut reasons = conditions::unmet(&Conditions::of(self, elapsed_s), &demands);
        match p.in_window {
            Some(true) if self.data.contact.is_none() => reasons.push(Unmet::NoContact),
            Some(false) if self.data.contact.is_some() => reasons.push(Unmet::InContact),
            _ => {}
        }
        reasons.extend(self.unmet_storage(sc, activity));
        for (name, constraint) in hooks.constraints_for(&activity.name) {
            if !constraint(&self.view(sc, elapsed_s, sunlit_fraction)) {
                reasons.push(Unmet::Constraint {
                    name: name.to_string(),
                });
            }
        }
        reasons
    }

    /// Storage an activity needs: the free space it asks for, room in the
    /// partition it writes to, input in the one it reads from.
    fn unmet_storage(&self, sc: &Spacecraft, activity: &crate::spacecraft::ActivityConfig) -> Vec<Unmet> {
        let mut reasons = Vec::new();
        let index = |name: &str| sc.storage.index(name).ok();
        if let Some(flow) = &activity.produces {
            if let Some(p) = index(&flow.partition) {
                let free_bytes = self.data.storage.free_bytes(p);
                let partition = flow.partition.clone();
                match activity.preconditions.min_free_bytes {
                    Some(need_bytes) if free_bytes < need_bytes => reasons.push(Unmet::StorageLow {
                        partition: partition.clone(),
                        free_bytes,
                        need_bytes,
                    }),
                    _ => {}
                }
                if flow.bytes_per_s > 0.0 && free_bytes < 1.0 {
                    reasons.push(Unmet::PartitionFull { partition });
                }
            }
        }
        if let Some(flow) = &activity.consumes {
            if index(&flow.partition).is_some_and(|p| self.data.storage.used_bytes[p] < 1.0) {
                reasons.push(Unmet::NoInput {
                    partition: flow.partition.clone(),
                });
            }
        }
        reasons
    }

    fn start(&mut self, sc: &Spacecraft, k: usize, t: f64, log: &mut Log) {
        let ends_s = sc.activities[k].duration_s.map_or(f64::INFINITY, |d| t + d);
        self.activities.running = Some(Running {
            activity: k,
            started_s: t,
            ends_s,
        });
        log.push((
            t,
            EventKind::ActivityStarted {
                activity: sc.activities[k].name.clone(),
            },
        ));
    }

    pub(crate) fn stop(&mut self, sc: &Spacecraft, t: f64, completed: bool, reason: &str, log: &mut Log) {
        if let Some(running) = self.activities.running.take() {
            if let Some(stopped) = self.activities.last_stop_s.get_mut(running.activity) {
                *stopped = t;
            }
            let activity = sc.activities[running.activity].name.clone();
            let reason = reason.to_string();
            log.push((
                t,
                if completed {
                    EventKind::ActivityEnded { activity, reason }
                } else {
                    EventKind::ActivityInterrupted { activity, reason }
                },
            ));
        }
    }

    /// Advances over `span`. Decisions are taken at breakpoints only; a span
    /// that ends between two (a cut) leaves a [`Resume`] for the next call.
    pub(crate) fn advance(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        ctx: &Context<'_>,
        span: Span,
        log: &mut Log,
    ) -> Result<()> {
        if span.to_s - span.from_s <= EPS && span.to_s < span.sync_s {
            return Ok(()); // nothing to integrate and nothing to decide
        }
        let mut t = span.from_s;
        let mut decide = true;
        if let Some(resume) = self.resume.take() {
            // Continue the cut sub-step from its start, as an uncut run does.
            t = resume.at_s;
            self.resume(*resume);
            decide = false;
        }
        let mut stalled = 0;
        while t < span.to_s - EPS {
            if decide {
                self.discrete_updates(sc, hooks, plan, ctx, t, log)?;
            }
            decide = true;
            let next = self.next_breakpoint(plan, ctx, t, span.sync_s);
            let (reached, cut) = self.integrate(sc, hooks, plan, ctx, (t, next, span.to_s.min(next)), log)?;
            if cut {
                return Ok(());
            }
            // The restart rule (`last_stop_s`) bounds how often a step can end
            // where it began; a long run of those would be a bug, reported
            // rather than looped on.
            stalled = if reached > t + EPS { 0 } else { stalled + 1 };
            if stalled > 1_000 {
                return Err(crate::Error::Internal {
                    context: format!("the engine at {}", ctx.axis.epoch(t)),
                    message: format!("no progress for {}", sc.name),
                });
            }
            t = reached;
        }
        // Settle what happens exactly at the end (edges, ends) so the state at
        // `to_s` is the state just after it.
        self.discrete_updates(sc, hooks, plan, ctx, span.to_s, log)?;
        Ok(())
    }

    fn is_decision_point(ctx: &Context<'_>, t: f64) -> bool {
        match ctx.step_s {
            None => true,
            Some(step) => {
                let k = (t / step).round();
                (t - k * step).abs() < 1e-6
            }
        }
    }

    fn discrete_updates(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        ctx: &Context<'_>,
        t: f64,
        log: &mut Log,
    ) -> Result<()> {
        // Radiation events due now.
        self.radiation_events(sc, t, log);
        self.edges(plan, ctx, t, log);
        self.completions(sc, t, log);
        let decide = Self::is_decision_point(ctx, t);
        self.onboard_updates(sc, hooks, plan, t, decide, log)?;
        if !decide {
            return Ok(());
        }
        // User constraints see the Sun as it is (the conical fraction in
        // penumbra), as property hooks do; computed only when there are any.
        let fraction = if hooks.has_constraints() {
            self.environment(sc, plan, ctx, self.light, t)?.2
        } else {
            f64::NAN
        };
        // A running activity must keep meeting its preconditions.
        if let Some(running) = self.activities.running {
            let reasons = self.unmet(sc, running.activity, hooks, t, fraction);
            if !reasons.is_empty() {
                self.stop(sc, t, false, &conditions::words(&reasons).join("; "), log);
            }
        }
        self.scheduled_starts(sc, hooks, plan, ctx, (t, fraction), log);
        self.automatic_starts(sc, hooks, (t, fraction), log);
        Ok(())
    }

    /// Light and contact edges at `t`.
    fn edges(&mut self, plan: &Plan, ctx: &Context<'_>, t: f64, log: &mut Log) {
        let light = find_from(&plan.light, t, &mut self.cursors.light).unwrap_or(Light::Sunlit);
        if light != self.light {
            log.push((
                t,
                EventKind::LightChanged {
                    from: self.light,
                    to: light,
                },
            ));
            self.light = light;
        }
        // A contact in progress goes on while its station's interval lasts, even
        // when another station's interval overlaps (they start together when a
        // run begins mid-pass).
        let ongoing = self
            .data
            .contact
            .filter(|current| plan.contacts.iter().any(|c| c.what == *current && c.contains(t)));
        let contact = if self.radiation.alive {
            let next = find_from(&plan.contacts, t, &mut self.cursors.contact);
            ongoing.or(next)
        } else {
            None
        };
        if contact != self.data.contact {
            if let Some(old) = self.data.contact {
                log.push((
                    t,
                    EventKind::ContactEnded {
                        station: ctx.station_names[old].clone(),
                        bytes_downlinked: self.data.contact_bytes,
                    },
                ));
            }
            if let Some(new) = contact {
                log.push((
                    t,
                    EventKind::ContactStarted {
                        station: ctx.station_names[new].clone(),
                    },
                ));
            }
            self.data.contact = contact;
            self.data.contact_bytes = 0.0;
        }
    }

    /// An activity whose duration elapsed ends; a browned-out battery back at
    /// its floor recovers.
    fn completions(&mut self, sc: &Spacecraft, t: f64, log: &mut Log) {
        // Activity completion.
        if let Some(running) = self.activities.running {
            if running.ends_s <= t + EPS {
                self.stop(sc, t, true, "duration elapsed", log);
            }
        }
        // Brown-out recovery.
        if self.power.browned_out {
            if let Some(battery) = &self.power.battery {
                if battery.soc() >= battery.config.min_soc - EPS {
                    self.power.browned_out = false;
                    log.push((t, EventKind::BatteryRecovered));
                }
            }
        }
    }

    /// Scheduled starts due at `t` (at or just before it, not yet handled);
    /// `fraction` is the Sun's visible fraction the constraints see.
    fn scheduled_starts(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        ctx: &Context<'_>,
        (t, fraction): (f64, f64),
        log: &mut Log,
    ) {
        let lookback = self.window(ctx);
        let handled = self.activities.scheduled_handled_s.unwrap_or(f64::NEG_INFINITY);
        let due: Vec<Mark<usize>> = plan
            .scheduled
            .iter()
            .filter(|m| m.at_s <= t + EPS && m.at_s > t - lookback && m.at_s > handled)
            .copied()
            .collect();
        if let Some(latest) = due.iter().map(|m| m.at_s).reduce(f64::max) {
            self.activities.scheduled_handled_s = Some(latest);
        }
        for Mark { what: k, .. } in due {
            if self.activities.running.is_some() {
                log.push((
                    t,
                    EventKind::ActivityRejected {
                        activity: sc.activities[k].name.clone(),
                        reasons: vec![Unmet::Busy.to_string()],
                    },
                ));
                continue;
            }
            let reasons = self.unmet(sc, k, hooks, t, fraction);
            if reasons.is_empty() {
                self.start(sc, k, t, log);
            } else {
                log.push((
                    t,
                    EventKind::ActivityRejected {
                        activity: sc.activities[k].name.clone(),
                        reasons: conditions::words(&reasons),
                    },
                ));
            }
        }
    }

    /// The first `auto` activity that may start at `t` starts (past its
    /// cooldown, not stopped at this very instant).
    fn automatic_starts(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        (t, fraction): (f64, f64),
        log: &mut Log,
    ) {
        if self.activities.running.is_none() && self.radiation.alive {
            for k in 0..sc.activities.len() {
                let activity = &sc.activities[k];
                if !activity.auto || t - self.activities.last_auto_start_s[k] < activity.cooldown_s - EPS {
                    continue;
                }
                if self
                    .activities
                    .last_stop_s
                    .get(k)
                    .is_some_and(|stopped| (t - stopped).abs() <= EPS)
                {
                    continue; // stopped at this very instant: wait for time to pass
                }
                if self.unmet(sc, k, hooks, t, fraction).is_empty() {
                    self.activities.last_auto_start_s[k] = t;
                    self.start(sc, k, t, log);
                    break;
                }
            }
        }
    }

    /// How far back a scheduled start still counts at a decision point: one step
    /// in fixed-step mode (requests between grid points wait for the next one).
    fn window(&self, ctx: &Context<'_>) -> f64 {
        ctx.step_s.map_or(EPS * 2.0, |s| s - EPS)
    }

    fn radiation_events(&mut self, sc: &Spacecraft, t: f64, log: &mut Log) {
        loop {
            let (k, due) = self
                .radiation
                .streams
                .iter()
                .enumerate()
                .map(|(k, s)| (k, s.next_s))
                .fold((0, f64::INFINITY), |best, x| if x.1 < best.1 { x } else { best });
            if due > t + EPS {
                break;
            }
            let at = due.max(0.0);
            match RadiationProcess::ALL[k] {
                RadiationProcess::DataCorruption => {
                    let u = self.radiation.streams[k].uniform();
                    if let Some((partition, bytes)) = self
                        .data
                        .storage
                        .corrupt(sc.radiation.corruption_bytes_per_event, u)
                    {
                        log.push((
                            at,
                            EventKind::DataCorrupted {
                                partition: sc.storage.partitions[partition].name.clone(),
                                bytes,
                            },
                        ));
                    }
                }
                RadiationProcess::Restart => {
                    if self.radiation.alive {
                        log.push((at, EventKind::Restart));
                        self.stop(sc, at, false, "radiation restart", log);
                        self.onboard_restart(sc, at, log);
                    }
                }
                RadiationProcess::Failure => {
                    if self.radiation.alive {
                        self.fail(sc, at, FailureCause::Radiation, log);
                    }
                }
            }
            self.radiation.streams[k].advance();
        }
    }

    pub(crate) fn fail(&mut self, sc: &Spacecraft, t: f64, cause: FailureCause, log: &mut Log) {
        self.stop(sc, t, false, "permanent failure", log);
        if let Some(computer) = &sc.computer {
            self.preempt_job(computer, t, "permanent failure", false, log);
        }
        self.radiation.alive = false;
        log.push((t, EventKind::PermanentFailure { cause }));
    }

    fn next_breakpoint(&mut self, plan: &Plan, ctx: &Context<'_>, t: f64, to_s: f64) -> f64 {
        let cursor = &mut self.cursors.edge;
        if *cursor > 0 && *cursor <= plan.edges.len() && plan.edges[*cursor - 1] > t + EPS {
            *cursor = plan.edges.partition_point(|x| *x <= t + EPS);
        }
        while *cursor < plan.edges.len() && plan.edges[*cursor] <= t + EPS {
            *cursor += 1;
        }
        let next_edge = plan.edges.get(*cursor).copied();
        let mut next = to_s;
        let mut consider = |x: f64| {
            if x > t + EPS && x < next {
                next = x;
            }
        };
        if let Some(edge) = next_edge {
            consider(edge);
        }
        for stream in &self.radiation.streams {
            consider(stream.next_s);
        }
        if let Some(running) = self.activities.running {
            consider(running.ends_s);
        }
        if let Some(onboard) = &self.onboard {
            if let Some(job) = &onboard.running {
                consider(job.ends_s);
            }
            consider(onboard.booting_until_s);
        }
        if let Some(step) = ctx.step_s {
            consider(((t + EPS) / step).floor() * step + step);
        }
        next
    }

    /// Integrates the continuous state from `t` towards the breakpoint `end`,
    /// stopping at `stop` (≤ `end`) when the run ends first. Returns where it
    /// stopped (earlier when a threshold was reached) and whether that is a cut:
    /// a stop between breakpoints, which leaves a [`Resume`].
    fn integrate(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        ctx: &Context<'_>,
        (t, end, stop): (f64, f64, f64),
        log: &mut Log,
    ) -> Result<(f64, bool)> {
        let inputs = Inputs { sc, hooks, plan, ctx };
        if ctx.paseos {
            // One step, no split at eclipse edges: all-or-nothing charging as PASEOS.
            let sunlit = |x: f64| plan.light_at(x) == Light::Sunlit;
            let shade = |lit: bool| if lit { Light::Sunlit } else { Light::Umbra };
            let lights = (shade(sunlit(t) && sunlit(end - EPS)), shade(sunlit(t)));
            return self.cuttable_substep(inputs, lights, (t, end, stop), log);
        }
        // `discrete_updates` settled the light at `t` and no light edge lies
        // inside (t, end): it holds for the whole segment.
        let light = self.light;
        let substep = if light == Light::Penumbra {
            1.0
        } else {
            ctx.max_substep_s
        };
        // Sub-steps end on a grid fixed to the simulation start, so that runs with
        // different breakpoints (fixed steps, event-driven) integrate alike.
        let mut s0 = t;
        while s0 < end - EPS {
            let s1 = (((s0 + EPS) / substep).floor() * substep + substep).min(end);
            let (reached, cut) = self.cuttable_substep(inputs, (light, light), (s0, s1, stop), log)?;
            if cut || reached < s1 - EPS {
                return Ok((reached, cut));
            }
            s0 = s1;
            // Queued work that may now start (or must now wait) needs a decision.
            if self
                .onboard
                .as_ref()
                .is_some_and(|o| o.blocked != self.deferral(sc, s1).map(|d| d.0))
            {
                return Ok((s1, false));
            }
            if s1 >= stop - EPS && s1 < end - EPS {
                // The run ends on a sub-step boundary between breakpoints.
                self.resume = Some(Box::new(Resume {
                    at_s: s1,
                    state: self.resume_copy(),
                }));
                return Ok((s1, true));
            }
        }
        Ok((end, false))
    }

    /// A sub-step [s0, s1] that the run's end may cut at `stop`: the rates are
    /// always those of the whole sub-step, so the state up to `stop` and any
    /// threshold before it are exactly those of an uncut run.
    fn cuttable_substep(
        &mut self,
        inputs: Inputs<'_>,
        lights: (Light, Light),
        (s0, s1, stop): (f64, f64, f64),
        log: &mut Log,
    ) -> Result<(f64, bool)> {
        if stop >= s1 - EPS {
            return Ok((self.substep(inputs, lights, (s0, s1, s1), log)?.0, false));
        }
        let resume = Resume {
            at_s: s0,
            state: self.resume_copy(),
        };
        let (reached, cut) = self.substep(inputs, lights, (s0, s1, stop), log)?;
        if cut {
            self.resume = Some(Box::new(resume));
        }
        // Otherwise a threshold came first: a real breakpoint, as in an uncut run.
        Ok((reached, cut))
    }

    /// Environment at `t`: state, Sun, visible fraction.
    pub(crate) fn environment(
        &self,
        sc: &Spacecraft,
        plan: &Plan,
        ctx: &Context<'_>,
        light: Light,
        t: f64,
    ) -> Result<(StateVector, nalgebra::Vector3<f64>, f64)> {
        let state = sc.satellite.state_after(plan.orbit_offset_s + t)?;
        let sun = ctx.sun.at(t);
        let fraction = match light {
            Light::Sunlit => 1.0,
            Light::Umbra => 0.0,
            Light::Penumbra => ctx.shadow.sunlit_fraction(&state.position_km, &sun),
        };
        Ok((state, sun, fraction))
    }

    pub(crate) fn generation_w(
        &self,
        sc: &Spacecraft,
        state: &StateVector,
        sun: &nalgebra::Vector3<f64>,
        fraction: f64,
        t: f64,
    ) -> f64 {
        match &sc.power {
            Some(power) => power.solar_array.power_w(
                fraction,
                sun,
                &state.position_km,
                &state.velocity_km_s,
                t / (365.25 * 86_400.0),
            ),
            None => 0.0,
        }
    }

    /// Partitions the first radio empties, in order.
    pub(crate) fn downlink_partitions(sc: &Spacecraft) -> Vec<usize> {
        match sc.radios.first() {
            Some(radio) if !radio.partitions.is_empty() => radio
                .partitions
                .iter()
                .filter_map(|p| sc.storage.index(p).ok())
                .collect(),
            Some(_) => (0..sc.storage.partitions.len()).collect(),
            None => Vec::new(),
        }
    }

    /// Load, W, with the parts drawn by the onboard computer and the imager.
    pub(crate) fn load_w(&self, sc: &Spacecraft, transmitting: bool, t: f64) -> (f64, f64, f64) {
        let Some(power) = &sc.power else {
            return (0.0, 0.0, 0.0);
        };
        let mut load = power.bus_load_w;
        if self.power.browned_out || !self.radiation.alive {
            return (load, 0.0, 0.0);
        }
        let (device_w, imager_w) = self.onboard_power_w(sc, t);
        load += device_w + imager_w;
        if let Some(running) = self.activities.running {
            load += sc.activities[running.activity].power_w;
        }
        load += self.activities.external_loads.values().sum::<f64>();
        if transmitting {
            load += sc.radios.first().map_or(0.0, |r| r.transmit_power_w);
        }
        (load, device_w, imager_w)
    }

    /// Unserved power (W) over the last interval, from the battery's own accounting.
    pub(crate) fn ledger_unserved_rate(&self, net: f64, dt: f64) -> f64 {
        // The battery serves everything unless it ran empty; with `Threshold::Empty`
        // splitting exactly at the empty point, only a browned-out interval leaves
        // demand unserved: then the whole deficit is unserved.
        if self.power.browned_out && net < 0.0 && dt > 0.0 {
            -net
        } else {
            0.0
        }
    }

    pub(crate) fn range_to_contact_km(&self, ctx: &Context<'_>, state: &StateVector, t: f64) -> f64 {
        match self.data.contact {
            Some(station) => {
                let gmst = crate::frames::gmst_rad(ctx.axis.julian_date_ut1(t));
                let (r_ecef, _) = crate::frames::teme_to_ecef(&state.position_km, &state.velocity_km_s, gmst);
                (r_ecef - ctx.station_positions[station]).norm()
            }
            None => state.position_km.norm() - EARTH_EQUATORIAL_RADIUS_KM,
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
            && !sc.radios.is_empty()
            && plan
                .downlink_partitions
                .iter()
                .any(|p| self.data.storage.used_bytes[*p] >= 1.0);
        let flows = PowerFlows {
            power_in_w: self.generation_w(sc, &state, &sun, fraction, t),
            power_out_w: self.load_w(sc, transmitting, t).0,
        };
        let position_km = [state.position_km.x, state.position_km.y, state.position_km.z];
        Ok(Snapshot::new(sc, self, t, fraction, Some(flows)).sample(index, position_km))
    }
}
