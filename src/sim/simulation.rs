//! [`Simulation`]: the world, its inputs and its outputs; the run loop is in
//! `run`, planning in `planning`, the cost estimate in `limits`.

use std::sync::Arc;

use hifitime::Epoch;
use serde::{Deserialize, Serialize};

use crate::access::SearchConfig;
use crate::environment::eclipse::{Light, ShadowConfig};
use crate::environment::sun::sun_position_km;
use crate::environment::GroundStation;
use crate::error::{ensure_positive, Error, Result};
use crate::orbit::Propagator;
use crate::sim::events::Event;
use crate::sim::hooks::{Constraint, PropertyUpdate, SpacecraftHooks};
use crate::sim::onboard::InferenceRecord;
use crate::sim::plan::Plan;
use crate::sim::snapshot::{PowerFlows, Snapshot};
use crate::sim::state::SpacecraftState;
use crate::sim::telemetry::{Sample, Telemetry};
use crate::spacecraft::Spacecraft;
use crate::time::{seconds_between, TimeAxis};

mod application;
mod checkpoint;
mod flight;
mod limits;
mod links;
mod planning;
mod relays;
mod run;
mod stations;
mod stream;
mod transfers;
mod wait;

pub use application::{MAX_EXTERNAL_LOAD_W, MAX_LOAD_DURATION_S, MAX_WRITE_BYTES};
#[cfg(test)]
pub(crate) use flight::application_gate;
pub use flight::{Decision, StateView};
pub use limits::{RunEstimate, RunLimits, TELEMETRY_ROW_BYTES};
pub use links::{LinkColumn, LINK_GRAZING_ALTITUDE_KM};
pub use planning::PLAN_BLOCK_S;
pub use stations::StationAssignment;
pub use transfers::TransferStatus;

/// How time advances.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Stepping {
    /// Decisions (activity starts, precondition checks) every `step_s` seconds,
    /// as in PASEOS; integration still splits at eclipse and contact edges.
    Fixed {
        /// Step, s.
        step_s: f64,
    },
    /// Jump from one event to the next; decisions at every event.
    EventDriven,
}

/// Engine settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationConfig {
    /// Telemetry cadence, s (output only: samples between sync points do not
    /// change the run). Default 60.
    pub telemetry_interval_s: f64,
    /// Longest integration sub-step, s; default 60.
    pub max_substep_s: f64,
    /// Shadow model for power and thermal.
    pub shadow: ShadowConfig,
    /// Event-search accuracy.
    pub search: SearchConfig,
    /// Reproduce PASEOS: the solar irradiance is held at `solar_constant_w_m2`
    /// whatever the Sun's distance (PASEOS's thermal model takes 1 360 W/m²),
    /// and with fixed steps a step charges only when sunlit at both of its
    /// ends and takes its thermal inputs at its start (pair with the thermal
    /// `paseos_euler` integrator). Default false.
    #[serde(default)]
    pub paseos_compatible: bool,
    /// Total solar irradiance at 1 AU, W/m² (default 1 361: Kopp & Lean
    /// 2011); it follows the Sun's distance unless `paseos_compatible`.
    #[serde(default = "default_solar_constant_w_m2")]
    pub solar_constant_w_m2: f64,
    /// Limits on a run's work and memory, checked before it starts.
    #[serde(default)]
    pub limits: RunLimits,
    /// The engine's sync interval, s: every spacecraft reaches each multiple
    /// of it (from the start) before any goes further; relays start their
    /// transfers there and decisions are taken there. A physics setting, unlike the
    /// telemetry interval. Default 60.
    #[serde(default = "default_sync_interval_s")]
    pub sync_interval_s: f64,
    /// How a station's antennas are shared when passes compete; default
    /// first come, first served (see [`StationAssignment`]).
    #[serde(default, skip_serializing_if = "StationAssignment::is_first_come")]
    pub station_assignment: StationAssignment,
}

fn default_sync_interval_s() -> f64 {
    60.0
}

fn default_solar_constant_w_m2() -> f64 {
    crate::environment::irradiance::SOLAR_IRRADIANCE_1AU_W_M2
}

impl SimulationConfig {
    /// The Sun's irradiance these settings give.
    pub fn irradiance(&self) -> crate::environment::irradiance::SolarIrradiance {
        crate::environment::irradiance::SolarIrradiance {
            solar_constant_w_m2: self.solar_constant_w_m2,
            follows_distance: !self.paseos_compatible,
        }
    }
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self {
            telemetry_interval_s: 60.0,
            max_substep_s: 60.0,
            shadow: ShadowConfig::default(),
            search: SearchConfig::default(),
            paseos_compatible: false,
            solar_constant_w_m2: default_solar_constant_w_m2(),
            limits: RunLimits::default(),
            sync_interval_s: default_sync_interval_s(),
            station_assignment: StationAssignment::default(),
        }
    }
}

/// Spacecraft and stations advanced together.
///
/// ```
/// use orbitedge::prelude::*;
/// use orbitedge::sim::{Simulation, Stepping};
/// use orbitedge::spacecraft::{Spacecraft, PowerConfig, SolarArray, BatteryConfig};
/// let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
/// let elements = ClassicalElements { semi_major_axis_km: 6_928.0, eccentricity: 0.0, inclination_deg: 97.6,
///     raan_deg: 0.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: 0.0 };
/// let mut sc = Spacecraft::new("sat-0", Satellite::from_elements("sat-0", epoch, elements, AnalyticModel::J2)?);
/// sc.power = Some(PowerConfig {
///     source: SolarArray { area_m2: 0.1, efficiency: 0.3, degradation_per_year: 0.0, age_years: 0.0, pointing: Default::default() }.into(),
///     battery: BatteryConfig { capacity_wh: 40.0, initial_soc: 0.5, charge_efficiency: 0.95, discharge_efficiency: 0.95, min_soc: 0.2 },
///     bus_load_w: 5.0 });
/// let mut sim = Simulation::new(epoch, vec![sc], vec![], 42)?;
/// sim.run(epoch + Duration::from_hours(3.0), Stepping::EventDriven)?;
/// assert!(sim.snapshot("sat-0")?.soc() > Some(0.5)); // 41 W in the Sun against a 5 W load
/// # Ok::<(), orbitedge::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Simulation {
    start: Epoch,
    elapsed_s: f64,
    seed: u64,
    config: SimulationConfig,
    spacecraft: Vec<Spacecraft>,
    stations: Vec<GroundStation>,
    states: Vec<SpacecraftState>,
    events: Vec<Event>,
    telemetry: Telemetry,
    /// (time_s, spacecraft, activity)
    schedule: Vec<(f64, usize, usize)>,
    /// The spacecraft each station tracked at the start of the current
    /// planning block (what the block's station assignment starts from).
    station_holder: Vec<stations::Holders>,
    /// Every transfer `send` started, in order.
    #[serde(default)]
    transfers: Vec<crate::sim::transfer::Transfer>,
    /// Plans of the current block (scratch: rebuilt the same after a restore).
    #[serde(skip)]
    plan_cache: PlanCache,
    /// Where telemetry and events go as the run advances, if anywhere.
    #[serde(skip)]
    stream: stream::StreamSlot,
    /// Samples at the end of the last completed run (not part of checkpoints).
    #[serde(skip)]
    latest: Vec<Sample>,
    #[serde(skip)]
    hooks: Vec<SpacecraftHooks>,
}

/// The names a simulation's parts refer to: spacecraft names are unique;
/// radios name stations of the simulation; the priority list names its
/// spacecraft; relays name another spacecraft and a partition of it.
fn check_names(
    spacecraft: &[Spacecraft],
    stations: &[GroundStation],
    assignment: &StationAssignment,
) -> Result<()> {
    for (k, sc) in spacecraft.iter().enumerate() {
        if spacecraft[..k].iter().any(|other| other.name == sc.name) {
            return Err(Error::Duplicate {
                kind: "spacecraft",
                name: sc.name.clone(),
                within: "a simulation".into(),
            });
        }
    }
    for sc in spacecraft {
        for radio in &sc.radios {
            if let Some(unknown) = radio
                .stations
                .iter()
                .find(|n| !stations.iter().any(|s| s.name() == n.as_str()))
            {
                return Err(Error::UnknownName {
                    kind: "station",
                    name: unknown.clone(),
                    expected: "the name of a ground station in the simulation",
                });
            }
        }
    }
    assignment.validate(spacecraft)?;
    for sc in spacecraft {
        for relay in &sc.relays {
            let peer = spacecraft
                .iter()
                .find(|p| p.name == relay.peer && p.name != sc.name)
                .ok_or_else(|| Error::UnknownName {
                    kind: "relay peer",
                    name: relay.peer.clone(),
                    expected: "the name of another spacecraft in the simulation",
                })?;
            peer.storage.index(&relay.peer_partition)?;
        }
    }
    Ok(())
}

/// The plans of one block: the searched geometry, and the same with the
/// scheduled starts (rebuilt when the schedule changes, without searching).
#[derive(Debug, Clone, Default)]
struct PlanCache {
    block: Option<u64>,
    geometry: Arc<Vec<Plan>>,
    with_schedule: Option<Arc<Vec<Plan>>>,
    /// The transfers' progress over the block (with `with_schedule`).
    progress: Option<Arc<Vec<crate::sim::transfer::Progress>>>,
}

impl Simulation {
    /// A simulation starting at `start`; every spacecraft is validated and names
    /// must be unique. `seed` keys every random stream.
    pub fn new(
        start: Epoch,
        spacecraft: Vec<Spacecraft>,
        stations: Vec<GroundStation>,
        seed: u64,
    ) -> Result<Self> {
        Self::with_config(start, spacecraft, stations, seed, SimulationConfig::default())
    }

    /// As [`Simulation::new`], with engine settings.
    pub fn with_config(
        start: Epoch,
        spacecraft: Vec<Spacecraft>,
        stations: Vec<GroundStation>,
        seed: u64,
        config: SimulationConfig,
    ) -> Result<Self> {
        ensure_positive("telemetry_interval_s", config.telemetry_interval_s)?;
        ensure_positive("max_substep_s", config.max_substep_s)?;
        ensure_positive("sync_interval_s", config.sync_interval_s)?;
        config.irradiance().validated()?;
        ensure_positive("limits.max_telemetry_bytes", config.limits.max_telemetry_bytes)?;
        ensure_positive("limits.max_substeps", config.limits.max_substeps)?;
        let config = SimulationConfig {
            search: config.search.validated()?,
            ..config
        };
        let spacecraft = spacecraft
            .into_iter()
            .map(Spacecraft::validated)
            .collect::<Result<Vec<_>>>()?;
        check_names(&spacecraft, &stations, &config.station_assignment)?;
        let states = spacecraft
            .iter()
            .map(|sc| SpacecraftState::new(sc, seed))
            .collect();
        Ok(Self {
            start,
            elapsed_s: 0.0,
            seed,
            config,
            hooks: vec![SpacecraftHooks::default(); spacecraft.len()],
            station_holder: vec![stations::Holders::default(); stations.len()],
            transfers: Vec::new(),
            plan_cache: PlanCache::default(),
            stream: stream::StreamSlot::default(),
            latest: Vec::new(),
            spacecraft,
            stations,
            states,
            events: Vec::new(),
            telemetry: Telemetry::default(),
            schedule: Vec::new(),
        })
    }

    /// Start of the simulation.
    pub fn start(&self) -> Epoch {
        self.start
    }

    /// Current simulation time.
    pub fn now(&self) -> Epoch {
        TimeAxis::new(self.start, self.start).epoch(self.elapsed_s)
    }

    /// Seconds simulated so far.
    pub fn elapsed_s(&self) -> f64 {
        self.elapsed_s
    }

    /// The spacecraft (configuration).
    pub fn spacecraft(&self) -> &[Spacecraft] {
        &self.spacecraft
    }

    /// The ground stations.
    pub fn stations(&self) -> &[GroundStation] {
        &self.stations
    }

    /// Per-spacecraft state, in spacecraft order: opaque values to compare
    /// or serialise (read them through [`Simulation::snapshot`]).
    pub fn states(&self) -> &[SpacecraftState] {
        &self.states
    }

    /// Spacecraft `name` now, read-only.
    pub fn snapshot(&self, name: &str) -> Result<Snapshot<'_>> {
        self.index_of(name).map(|k| self.snapshot_at(k))
    }

    /// Every spacecraft now, in spacecraft order.
    pub fn snapshots(&self) -> impl ExactSizeIterator<Item = Snapshot<'_>> + '_ {
        (0..self.spacecraft.len()).map(|k| self.snapshot_at(k))
    }

    /// Spacecraft `k` now: the power flows and the sunlit fraction of the
    /// latest sample when it was taken now (the end of the last run); before
    /// the first run and right after a restore, no flows and the fraction
    /// computed here.
    pub(crate) fn snapshot_at(&self, k: usize) -> Snapshot<'_> {
        let (sc, state) = (&self.spacecraft[k], &self.states[k]);
        let latest = self.latest.get(k).filter(|s| s.elapsed_s == self.elapsed_s);
        let (fraction, flows) = match latest {
            Some(s) => (
                s.sunlit_fraction,
                Some(PowerFlows {
                    power_in_w: s.power_in_w,
                    power_out_w: s.power_out_w,
                }),
            ),
            None => (self.sunlit_fraction_now(k, state.light), None),
        };
        Snapshot::new(sc, state, self.elapsed_s, fraction, flows)
    }

    /// The conical model's visible fraction of the Sun now (NaN if the orbit
    /// cannot be propagated to now).
    fn sunlit_fraction_now(&self, k: usize, light: Light) -> f64 {
        match light {
            Light::Sunlit => 1.0,
            Light::Umbra => 0.0,
            Light::Penumbra => {
                let axis = TimeAxis::new(self.start, self.start);
                let sun = sun_position_km(axis.julian_date_ut1(self.elapsed_s));
                self.position_now(k).map_or(f64::NAN, |s| {
                    self.config.shadow.sunlit_fraction(&s.position_km, &sun)
                })
            }
        }
    }

    /// The TEME state of spacecraft `k` now.
    pub(crate) fn position_now(&self, k: usize) -> Result<crate::orbit::StateVector> {
        let sc = &self.spacecraft[k];
        sc.satellite
            .state_after(seconds_between(sc.satellite.epoch(), self.start) + self.elapsed_s)
    }

    /// Engine settings.
    pub fn config(&self) -> &SimulationConfig {
        &self.config
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The event log, in time order (ties: spacecraft order, then occurrence).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The telemetry.
    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    pub(crate) fn index_of(&self, spacecraft: &str) -> Result<usize> {
        self.spacecraft
            .iter()
            .position(|s| s.name == spacecraft)
            .ok_or_else(|| Error::UnknownName {
                kind: "spacecraft",
                name: spacecraft.to_string(),
                expected: "the name of a spacecraft in the simulation",
            })
    }

    fn activity_of(&self, sc: usize, activity: &str) -> Result<usize> {
        self.spacecraft[sc]
            .activities
            .iter()
            .position(|a| a.name == activity)
            .ok_or_else(|| Error::UnknownName {
                kind: "activity",
                name: activity.to_string(),
                expected: "the name of one of the spacecraft's activities",
            })
    }

    /// Requests `activity` of `spacecraft` to start at `at` (checked then; a
    /// rejection is logged with its reasons).
    pub fn schedule(&mut self, spacecraft: &str, activity: &str, at: Epoch) -> Result<()> {
        let sc = self.index_of(spacecraft)?;
        let k = self.activity_of(sc, activity)?;
        let t = seconds_between(self.start, at);
        if t < self.elapsed_s {
            return Err(Error::InvalidInterval {
                start: self.now(),
                end: at,
            });
        }
        self.schedule.push((t, sc, k));
        self.schedule
            .sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.plan_cache.with_schedule = None;
        if t <= self.elapsed_s + 1e-9 {
            self.states[sc].commit(); // a decision now, even inside a cut sub-step
        }
        Ok(())
    }

    /// Adds a constraint (true = may run) named `name` to an activity of a spacecraft.
    pub fn add_constraint(
        &mut self,
        spacecraft: &str,
        activity: &str,
        name: &str,
        constraint: Constraint,
    ) -> Result<()> {
        let sc = self.index_of(spacecraft)?;
        self.activity_of(sc, activity)?;
        self.hooks[sc].add_constraint(activity, name, constraint);
        Ok(())
    }

    /// Adds a custom property to one spacecraft, with its value now and its update
    /// function (called after every integration sub-step).
    pub fn add_property(
        &mut self,
        spacecraft: &str,
        name: &str,
        initial: f64,
        update: PropertyUpdate,
    ) -> Result<()> {
        let sc = self.index_of(spacecraft)?;
        self.hooks[sc].set_property(name, update);
        self.states[sc].commit();
        self.states[sc]
            .properties
            .entry(name.to_string())
            .or_insert(initial);
        Ok(())
    }

    /// Advances every spacecraft to `until`.
    pub fn run(&mut self, until: Epoch, stepping: Stepping) -> Result<()> {
        self.run_with_progress(until, stepping, &mut |_| true).map(|_| ())
    }

    /// A sample of every spacecraft at the end of the last completed run
    /// (power, light, temperature as they are now), whatever the telemetry
    /// interval; empty before the first run.
    pub fn latest_samples(&self) -> &[Sample] {
        &self.latest
    }

    /// The whole simulation as bytes (MessagePack with a format and version
    /// header, exact for every `f64`, NaN and infinities included): resume with
    /// [`Simulation::restore`]. Hooks (code) are not included; re-attach them
    /// after restoring.
    pub fn checkpoint(&self) -> Result<Vec<u8>> {
        checkpoint::encode(self)
    }

    /// A simulation from [`Simulation::checkpoint`] bytes, every invariant
    /// checked: [`Error::Checkpoint`] says what is wrong with bytes that are
    /// corrupted, crafted or from another checkpoint version.
    pub fn restore(bytes: &[u8]) -> Result<Self> {
        checkpoint::decode(bytes)
    }

    /// The event log as JSON Lines.
    pub fn events_jsonl(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| serde_json::to_string(e).ok())
            .map(|line| line + "\n")
            .collect()
    }

    /// The telemetry as CSV.
    pub fn telemetry_csv(&self) -> String {
        let names: Vec<String> = self.spacecraft.iter().map(|s| s.name.clone()).collect();
        let activities: Vec<Vec<String>> = self
            .spacecraft
            .iter()
            .map(|s| s.activities.iter().map(|a| a.name.clone()).collect())
            .collect();
        let stations: Vec<String> = self.stations.iter().map(|s| s.name().to_string()).collect();
        let axis = TimeAxis::new(self.start, self.start);
        // The link columns exist whenever a pair is followed; a link list the
        // spacecraft themselves validated cannot fail here.
        let links: Vec<(String, Vec<bool>)> = (self.link_columns().unwrap_or_default().into_iter())
            .map(|c| (format!("in_view:{}", names[c.peer]), c.in_view))
            .collect();
        self.telemetry
            .to_csv(&names, &activities, &stations, &links, |t| {
                axis.epoch(t).to_string()
            })
    }

    /// Every inference run so far, per spacecraft name: keep them to replay a
    /// measured run bit for bit with [`Simulation::replay_inferences`].
    pub fn inference_records(&self) -> Vec<(String, InferenceRecord)> {
        self.spacecraft
            .iter()
            .zip(&self.states)
            .filter_map(|(sc, state)| state.onboard.as_ref().map(|o| (sc, o)))
            .flat_map(|(sc, o)| o.records.iter().map(move |r| (sc.name.clone(), *r)))
            .collect()
    }

    /// Makes the next runs use these recorded inferences (latency and detected
    /// cloud fraction, by spacecraft and job) instead of running the model.
    pub fn replay_inferences(&mut self, records: &[(String, InferenceRecord)]) -> Result<()> {
        for (name, record) in records {
            let k = self.index_of(name)?;
            let onboard = self.states[k]
                .onboard
                .as_mut()
                .ok_or_else(|| Error::MissingDependency {
                    what: format!("replaying inferences on spacecraft {name:?}"),
                    needs: "an imager and a computer on that spacecraft",
                })?;
            onboard.replay.insert(record.job, *record);
        }
        Ok(())
    }

    /// Attaches a hook-free clone's hooks (used by bindings); not public API.
    #[doc(hidden)]
    pub fn hooks_mut(&mut self) -> &mut Vec<SpacecraftHooks> {
        &mut self.hooks
    }
}
