//! [`Simulation`]: the world and the run loop.

use hifitime::Epoch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::eclipse::{shadow_intervals, EclipseKind};
use crate::access::ground::pair_windows;
use crate::access::link::pair_link_windows;
use crate::access::SearchConfig;
use crate::environment::eclipse::ShadowConfig;
use crate::environment::GroundStation;
use crate::error::{ensure_positive, Error, Result};
use crate::orbit::Propagator;
use crate::sim::events::{Event, EventKind};
use crate::sim::hooks::{Constraint, PropertyUpdate, SpacecraftHooks};
use crate::sim::onboard::InferenceRecord;
use crate::sim::state::{Context, Light, Log, Plan, SpacecraftState};
use crate::sim::telemetry::{Sample, Telemetry};
use crate::spacecraft::Spacecraft;
use crate::time::{seconds_between, TimeAxis};

mod application;
mod checkpoint;

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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationConfig {
    /// Telemetry cadence, s; also the engine's sync interval. Default 60.
    pub telemetry_interval_s: f64,
    /// Longest integration sub-step, s; default 60.
    pub max_substep_s: f64,
    /// Shadow model for power and thermal.
    pub shadow: ShadowConfig,
    /// Event-search accuracy.
    pub search: SearchConfig,
    /// Reproduce PASEOS: with fixed steps, charge only when sunlit at both ends of
    /// a step and take thermal inputs at its start (pair with the thermal
    /// `paseos_euler` integrator). Default false.
    #[serde(default)]
    pub paseos_compatible: bool,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self {
            telemetry_interval_s: 60.0,
            max_substep_s: 60.0,
            shadow: ShadowConfig::default(),
            search: SearchConfig::default(),
            paseos_compatible: false,
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
///     solar_array: SolarArray { area_m2: 0.1, efficiency: 0.3, degradation_per_year: 0.0, age_years: 0.0, pointing: Default::default() },
///     battery: BatteryConfig { capacity_wh: 40.0, initial_soc: 0.5, charge_efficiency: 0.95, discharge_efficiency: 0.95, min_soc: 0.2 },
///     bus_load_w: 5.0 });
/// let mut sim = Simulation::new(epoch, vec![sc], vec![], 42)?;
/// sim.run(epoch + Duration::from_hours(3.0), Stepping::EventDriven)?;
/// assert!(sim.states()[0].soc() > 0.5); // 41 W in the Sun against a 5 W load
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
    /// The spacecraft each station tracked at the end of the last run.
    station_holder: Vec<Option<usize>>,
    /// Samples at the end of the last completed run (not part of checkpoints).
    #[serde(skip)]
    latest: Vec<Sample>,
    #[serde(skip)]
    hooks: Vec<SpacecraftHooks>,
}

/// What planning finds for one spacecraft: light intervals and, per station, passes.
type Foresight = (Vec<(f64, f64, Light)>, Vec<Vec<(f64, f64)>>);

/// Chunks of sync intervals between progress reports.
const PROGRESS_CHUNKS: usize = 100;

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
        let config = SimulationConfig {
            search: config.search.validated()?,
            ..config
        };
        let spacecraft = spacecraft
            .into_iter()
            .map(Spacecraft::validated)
            .collect::<Result<Vec<_>>>()?;
        for (k, sc) in spacecraft.iter().enumerate() {
            if spacecraft[..k].iter().any(|other| other.name == sc.name) {
                return Err(Error::InvalidChoice {
                    name: "spacecraft name",
                    value: sc.name.clone(),
                    expected: "names unique within a simulation",
                });
            }
        }
        for sc in &spacecraft {
            for radio in &sc.radios {
                if let Some(unknown) = radio
                    .stations
                    .iter()
                    .find(|n| !stations.iter().any(|s| s.name() == n.as_str()))
                {
                    return Err(Error::InvalidChoice {
                        name: "station",
                        value: unknown.clone(),
                        expected: "the name of a ground station in the simulation",
                    });
                }
            }
        }
        for sc in &spacecraft {
            for relay in &sc.relays {
                let peer = spacecraft
                    .iter()
                    .find(|p| p.name == relay.peer && p.name != sc.name)
                    .ok_or_else(|| Error::InvalidChoice {
                        name: "relay peer",
                        value: relay.peer.clone(),
                        expected: "the name of another spacecraft in the simulation",
                    })?;
                peer.storage.index(&relay.peer_partition)?;
            }
        }
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
            station_holder: vec![None; stations.len()],
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

    /// Per-spacecraft state, in spacecraft order.
    pub fn states(&self) -> &[SpacecraftState] {
        &self.states
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
            .ok_or_else(|| Error::InvalidChoice {
                name: "spacecraft",
                value: spacecraft.to_string(),
                expected: "the name of a spacecraft in the simulation",
            })
    }

    fn activity_of(&self, sc: usize, activity: &str) -> Result<usize> {
        self.spacecraft[sc]
            .activities
            .iter()
            .position(|a| a.name == activity)
            .ok_or_else(|| Error::InvalidChoice {
                name: "activity",
                value: activity.to_string(),
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

    /// As [`Simulation::run`], calling `progress(fraction done)` between chunks;
    /// when it returns false the run stops there, with a consistent state.
    /// Returns whether the run reached `until`.
    pub fn run_with_progress(
        &mut self,
        until: Epoch,
        stepping: Stepping,
        progress: &mut dyn FnMut(f64) -> bool,
    ) -> Result<bool> {
        let to_s = seconds_between(self.start, until);
        if to_s.is_nan() || to_s <= self.elapsed_s {
            return Err(Error::InvalidInterval {
                start: self.now(),
                end: until,
            });
        }
        if let Stepping::Fixed { step_s } = stepping {
            ensure_positive("step_s", step_s)?;
        }
        let from_s = self.elapsed_s;
        let axis = TimeAxis::new(self.start, until);
        let plans = self.plan(&axis, from_s, to_s)?;
        let station_names: Vec<String> = self.stations.iter().map(|s| s.name().to_string()).collect();
        let station_positions: Vec<_> = self.stations.iter().map(|s| *s.position_ecef_km()).collect();
        let shadow = self.config.shadow;
        let ctx_step = match stepping {
            Stepping::Fixed { step_s } => Some(step_s),
            Stepping::EventDriven => None,
        };
        let sun = crate::environment::sun::SunTable::new(&axis, from_s, to_s, 3_600.0);
        let ctx = Context {
            sun: &sun,
            paseos: self.config.paseos_compatible && ctx_step.is_some(),
            axis: &axis,
            shadow: &shadow,
            station_names: &station_names,
            step_s: match stepping {
                Stepping::Fixed { step_s } => Some(step_s),
                Stepping::EventDriven => None,
            },
            max_substep_s: self.config.max_substep_s,
            station_positions: &station_positions,
        };

        let interval = self.config.telemetry_interval_s;
        for state in &mut self.states {
            state.cursors = Default::default();
        }
        if from_s == 0.0 && self.telemetry.is_empty() {
            for (k, state) in self.states.iter_mut().enumerate() {
                state.light = plans[k]
                    .light
                    .iter()
                    .find(|(a, b, _)| *a <= 0.0 && 0.0 < *b)
                    .map_or(Light::Sunlit, |(_, _, l)| *l);
            }
            self.record_samples(&plans, &ctx, 0.0)?;
        }
        let mut syncs: Vec<f64> = Vec::new();
        let mut k = (from_s / interval).floor() as i64 + 1;
        while (k as f64) * interval < to_s - 1e-9 {
            syncs.push(k as f64 * interval);
            k += 1;
        }
        syncs.push(to_s);
        let relays = self.spacecraft.iter().any(|sc| !sc.relays.is_empty());
        // Relays couple spacecraft: exchange data at every sync point.
        let chunk = if relays {
            1
        } else {
            syncs.len().div_ceil(PROGRESS_CHUNKS).max(1)
        };
        for (c, group) in syncs.chunks(chunk).enumerate() {
            let from = self.elapsed_s;
            let spacecraft = &self.spacecraft;
            let hooks = &self.hooks;
            let results: Vec<Result<(Log, Vec<Sample>)>> = self
                .states
                .par_iter_mut()
                .enumerate()
                .map(|(i, state)| {
                    let mut log = Log::new();
                    let mut samples = Vec::new();
                    let mut t = from;
                    for &s in group {
                        state.advance(&spacecraft[i], &hooks[i], &plans[i], &ctx, t, s, &mut log)?;
                        if is_sample_time(s, interval) {
                            samples.push(state.sample(&spacecraft[i], i, &plans[i], &ctx, s)?);
                        }
                        t = s;
                    }
                    Ok((log, samples))
                })
                .collect();
            let mut chunk_events = Vec::new();
            let mut per_spacecraft_samples = Vec::with_capacity(results.len());
            for (i, result) in results.into_iter().enumerate() {
                let (log, samples) = result?;
                chunk_events.extend(log.into_iter().map(|(t, kind)| (t, i, kind)));
                per_spacecraft_samples.push(samples);
            }
            if relays {
                let until_s = *group.last().unwrap_or(&to_s);
                chunk_events.extend(self.exchange_relays(&plans, from, until_s)?);
            }
            chunk_events.sort_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then(a.2.rank().cmp(&b.2.rank()))
                    .then(a.1.cmp(&b.1))
            });
            for (t, i, kind) in chunk_events {
                self.events.push(Event {
                    time: axis.epoch(t),
                    elapsed_s: t,
                    spacecraft: self.spacecraft[i].name.clone(),
                    spacecraft_index: i,
                    kind,
                });
            }
            // Every spacecraft sampled the same instants: interleave in (time, spacecraft) order.
            let rows = per_spacecraft_samples.first().map_or(0, Vec::len);
            for j in 0..rows {
                for samples in &per_spacecraft_samples {
                    self.telemetry.push(&samples[j]);
                }
            }
            self.elapsed_s = *group.last().unwrap_or(&to_s);
            self.schedule.retain(|(at, _, _)| *at > self.elapsed_s + 1e-9);
            let done = (self.elapsed_s - from_s) / (to_s - from_s);
            if !progress(done) && c + 1 < syncs.len().div_ceil(chunk) {
                self.update_holders(&plans);
                return Ok(false);
            }
        }
        self.update_holders(&plans);
        self.latest = self
            .states
            .iter()
            .enumerate()
            .map(|(i, state)| state.sample(&self.spacecraft[i], i, &plans[i], &ctx, to_s))
            .collect::<Result<_>>()?;
        Ok(true)
    }

    /// A sample of every spacecraft at the end of the last completed run
    /// (power, light, temperature as they are now), whatever the telemetry
    /// interval; empty before the first run.
    pub fn latest_samples(&self) -> &[Sample] {
        &self.latest
    }

    /// Forwards data over every relay for the line of sight within [from_s, to_s]
    /// (sequentially, in spacecraft then relay order); returns the window-end events.
    fn exchange_relays(
        &mut self,
        plans: &[Plan],
        from_s: f64,
        to_s: f64,
    ) -> Result<Vec<(f64, usize, EventKind)>> {
        let mut events = Vec::new();
        for (i, plan) in plans.iter().enumerate() {
            for (r, relay) in self.spacecraft[i].relays.iter().enumerate() {
                let peer = self.index_of(&relay.peer)?;
                let windows = &plan.relay_windows[r];
                let overlap: f64 = windows
                    .iter()
                    .map(|(a, b)| (b.min(to_s) - a.max(from_s)).max(0.0))
                    .sum();
                let usable = |s: &SpacecraftState| s.alive && !s.browned_out;
                if overlap > 0.0 && usable(&self.states[i]) && usable(&self.states[peer]) {
                    let target = self.spacecraft[peer].storage.index(&relay.peer_partition)?;
                    let sources: Vec<usize> = if relay.partitions.is_empty() {
                        (0..self.spacecraft[i].storage.partitions.len()).collect()
                    } else {
                        relay
                            .partitions
                            .iter()
                            .map(|p| self.spacecraft[i].storage.index(p))
                            .collect::<Result<_>>()?
                    };
                    let mut budget =
                        (relay.rate_bps / 8.0 * overlap).min(self.states[peer].storage.free_bytes(target));
                    let mut moved = 0.0;
                    for p in sources {
                        let taken = self.states[i].storage.take(p, budget);
                        budget -= taken;
                        moved += taken;
                    }
                    self.states[peer].storage.store(target, moved);
                    self.states[i].relay_window_bytes[r] += moved;
                    self.states[i].relayed_bytes[r] += moved;
                }
                for (_, end) in windows.iter().filter(|(_, b)| *b > from_s && *b <= to_s) {
                    events.push((
                        *end,
                        i,
                        EventKind::DataRelayed {
                            relay: relay.name.clone(),
                            peer: relay.peer.clone(),
                            bytes: std::mem::take(&mut self.states[i].relay_window_bytes[r]),
                        },
                    ));
                }
            }
        }
        Ok(events)
    }

    fn record_samples(&mut self, plans: &[Plan], ctx: &Context<'_>, t: f64) -> Result<()> {
        for (i, state) in self.states.iter().enumerate() {
            let sample = state.sample(&self.spacecraft[i], i, &plans[i], ctx, t)?;
            self.telemetry.push(&sample);
        }
        Ok(())
    }

    fn update_holders(&mut self, plans: &[Plan]) {
        let now = self.elapsed_s;
        for holder in self.station_holder.iter_mut() {
            *holder = None;
        }
        for (i, plan) in plans.iter().enumerate() {
            for (a, b, station) in &plan.contacts {
                if *a <= now && now < *b + 1e-9 && self.states[i].contact == Some(*station) {
                    self.station_holder[*station] = Some(i);
                }
            }
        }
    }

    /// Eclipses, passes and station assignment over [from_s, to_s].
    fn plan(&self, axis: &TimeAxis, from_s: f64, to_s: f64) -> Result<Vec<Plan>> {
        let now = axis.epoch(from_s);
        let end = axis.epoch(to_s);
        let local = TimeAxis::new(now, end);
        let span = to_s - from_s;
        let shadow = self.config.shadow;
        let search = self.config.search;
        let stations = &self.stations;
        let per_spacecraft: Vec<Result<Foresight>> = self
            .spacecraft
            .par_iter()
            .map(|sc| {
                let light = shadow_intervals(&sc.satellite, &local, span, &shadow, &search)?
                    .into_iter()
                    .map(|e| {
                        let kind = match e.kind {
                            EclipseKind::Umbra => Light::Umbra,
                            EclipseKind::Penumbra => Light::Penumbra,
                        };
                        (from_s + e.start_s, from_s + e.end_s, kind)
                    })
                    .collect();
                let windows = stations
                    .iter()
                    .map(|station| {
                        Ok(pair_windows(&sc.satellite, station, &local, span, &search)?
                            .into_iter()
                            .map(|w| (from_s + w.rise_s, from_s + w.set_s))
                            .collect())
                    })
                    .collect::<Result<Vec<Vec<(f64, f64)>>>>()?;
                Ok((light, windows))
            })
            .collect();
        let mut plans = Vec::with_capacity(self.spacecraft.len());
        let mut windows = Vec::with_capacity(self.spacecraft.len());
        for result in per_spacecraft {
            let (light, w) = result?;
            plans.push(Plan {
                light,
                ..Plan::default()
            });
            windows.push(w);
        }
        // Station assignment: first come, first served by rise time; a spacecraft
        // tracked at the end of the previous run keeps its station; ties go to the
        // lower spacecraft index. A later spacecraft gets what is left of its pass.
        for station in 0..self.stations.len() {
            let mut candidates: Vec<(f64, f64, bool, usize)> = windows
                .iter()
                .enumerate()
                .flat_map(|(i, w)| {
                    let holder = self.station_holder[station] == Some(i);
                    w[station]
                        .iter()
                        .map(move |(rise, set)| (*rise, *set, !(holder && *rise <= from_s), i))
                })
                .collect();
            candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
            let mut free_at = f64::NEG_INFINITY;
            for (rise, set, _, i) in candidates {
                let begin = rise.max(free_at);
                if begin < set {
                    plans[i].contacts.push((begin, set, station));
                    free_at = set;
                }
            }
        }
        for plan in &mut plans {
            plan.contacts.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        for &(t, sc, activity) in &self.schedule {
            if t >= from_s - 1e-9 && t <= to_s {
                plans[sc].scheduled.push((t, activity));
            }
        }
        for (sc, plan) in self.spacecraft.iter().zip(plans.iter_mut()) {
            for relay in &sc.relays {
                let peer = &self.spacecraft[self.index_of(&relay.peer)?];
                let los =
                    crate::environment::LineOfSight::new(relay.grazing_altitude_km, relay.max_range_km)?;
                let windows = pair_link_windows(&sc.satellite, &peer.satellite, &local, span, &los, &search)?
                    .into_iter()
                    .map(|(a, b, _, _)| (from_s + a, from_s + b))
                    .collect();
                plan.relay_windows.push(windows);
            }
        }
        for (k, sc) in self.spacecraft.iter().enumerate() {
            if let Some(imager) = &sc.imager {
                let (imaging, captures) =
                    imaging_plan(sc, imager, &plans[k].light, &local, from_s, to_s, &search)?;
                plans[k].imaging = imaging;
                plans[k].captures = captures;
            }
        }
        for (plan, sc) in plans.iter_mut().zip(&self.spacecraft) {
            continue_past_run_end(plan, to_s);
            plan.orbit_offset_s = seconds_between(sc.satellite.epoch(), self.start);
            plan.downlink_partitions = SpacecraftState::downlink_partitions(sc);
            if self.config.paseos_compatible {
                // Steps are not split at eclipse edges in PASEOS mode.
                let light = std::mem::take(&mut plan.light);
                plan.index_edges();
                plan.light = light;
            } else {
                plan.index_edges();
            }
        }
        Ok(plans)
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
        self.telemetry
            .to_csv(&names, &activities, &stations, |t| axis.epoch(t).to_string())
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
                .ok_or_else(|| Error::InvalidChoice {
                    name: "replayed spacecraft",
                    value: name.clone(),
                    expected: "a spacecraft with an imager and a computer",
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

/// Intervals cut by the end of a run go on past it: their cut end is not a
/// change of light or contact (the next run's plan picks them up), so it moves
/// beyond `to_s`. Without this, runs called in short slices (paced
/// rehearsals, loops in user code) logged a spurious end and restart at every
/// boundary.
fn continue_past_run_end(plan: &mut Plan, to_s: f64) {
    let ends = (plan.light.iter_mut().map(|i| &mut i.1))
        .chain(plan.contacts.iter_mut().map(|i| &mut i.1))
        .chain(plan.imaging.iter_mut().map(|i| &mut i.1))
        .chain(plan.relay_windows.iter_mut().flatten().map(|w| &mut w.1));
    for end in ends.filter(|end| **end >= to_s - 1e-9) {
        *end = to_s + 1.0;
    }
}

/// Imaging intervals (a target in view and full sunlight) with the highest
/// priority in view, and the capture instants on the imager's grid inside them.
type ImagingPlan = (Vec<(f64, f64, u32)>, Vec<(f64, u32)>);

fn imaging_plan(
    sc: &Spacecraft,
    imager: &crate::compute::ImagerConfig,
    light: &[(f64, f64, Light)],
    local: &TimeAxis,
    from_s: f64,
    to_s: f64,
    search: &SearchConfig,
) -> Result<ImagingPlan> {
    // Sunlit = the run minus every shadow interval (light lists only shadows).
    let mut sunlit = Vec::new();
    let mut cursor = from_s;
    for (a, b, _) in light {
        if *a > cursor {
            sunlit.push((cursor, *a));
        }
        cursor = cursor.max(*b);
    }
    if cursor < to_s {
        sunlit.push((cursor, to_s));
    }
    // In view of a target: (start, end, priority) from every target's windows.
    let mut in_view: Vec<(f64, f64, u32)> = if imager.targets.is_empty() {
        vec![(from_s, to_s, 0)]
    } else {
        let bounds = sc.satellite.motion_bounds();
        let radius = 0.5 * (bounds.min_radius_km + bounds.max_radius_km);
        let mut all = Vec::new();
        for target in &imager.targets {
            let station = target.as_station(radius)?;
            for w in pair_windows(&sc.satellite, &station, local, to_s - from_s, search)? {
                all.push((from_s + w.rise_s, from_s + w.set_s, target.priority));
            }
        }
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        all
    };
    in_view.retain(|(a, b, _)| b > a);
    // Intersect with sunlight; overlapping targets keep the highest priority by
    // splitting at every edge.
    let mut edges: Vec<f64> = in_view.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
    edges.extend(sunlit.iter().flat_map(|(a, b)| [*a, *b]));
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let mut imaging: Vec<(f64, f64, u32)> = Vec::new();
    for pair in edges.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let mid = 0.5 * (a + b);
        let lit = sunlit.iter().any(|(x, y)| *x <= mid && mid < *y);
        let priority = in_view
            .iter()
            .filter(|(x, y, _)| *x <= mid && mid < *y)
            .map(|(_, _, p)| *p)
            .max();
        if let (true, Some(priority)) = (lit, priority) {
            match imaging.last_mut() {
                Some(last) if (last.1 - a).abs() < 1e-9 && last.2 == priority => last.1 = b,
                _ => imaging.push((a, b, priority)),
            }
        }
    }
    let step = imager.capture_interval_s;
    let mut captures = Vec::new();
    for (a, b, priority) in &imaging {
        let mut k = (a / step).ceil();
        // Captures at run start are taken by the previous run's end, except at 0.
        if k * step <= from_s && from_s > 0.0 {
            k += 1.0;
        }
        while k * step < *b {
            captures.push((k * step, *priority));
            k += 1.0;
        }
    }
    Ok((imaging, captures))
}

fn is_sample_time(t: f64, interval: f64) -> bool {
    let k = (t / interval).round();
    (t - k * interval).abs() < 1e-6
}
