//! One spacecraft as the world outside the engine sees it at one instant.
//!
//! A [`Snapshot`] borrows a spacecraft's configuration and state and answers
//! in named, unit-carrying quantities (`soc`, `battery_wh`, `temperature_k`,
//! `storage_free_bytes`, …). It is the one read-only view every reader builds
//! on — the hooks' [`SpacecraftView`], telemetry [`Sample`]s, the rehearsal's
//! state, Python's `Simulation.states()` and the report — so a quantity is
//! derived once, in one way, and the engine's raw state stays private.
//!
//! ```
//! use orbitedge::prelude::*;
//! use orbitedge::sim::{Simulation, Stepping};
//! use orbitedge::spacecraft::Spacecraft;
//!
//! let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
//! let elements = ClassicalElements { semi_major_axis_km: 6_928.0, eccentricity: 0.0, inclination_deg: 97.6,
//!     raan_deg: 0.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: 0.0 };
//! let orbit = Satellite::from_elements("sat", epoch, elements, AnalyticModel::J2)?;
//! let mut sim = Simulation::new(epoch, vec![Spacecraft::cubesat_6u("sat", orbit)], vec![], 1)?;
//! sim.run(epoch + Duration::from_hours(1.0), Stepping::EventDriven)?;
//! let now = sim.snapshot("sat")?;
//! assert_eq!(now.elapsed_s(), 3_600.0);
//! assert!(now.soc().is_some_and(|soc| soc > 0.5));
//! assert!(now.temperature_k().is_some_and(|t| t > 200.0));
//! assert_eq!(now.activity(), None);
//! # Ok::<(), orbitedge::Error>(())
//! ```

use std::collections::BTreeMap;

use crate::environment::eclipse::Light;
use crate::sim::hooks::SpacecraftView;
use crate::sim::onboard::{OnboardCounters, OnboardState};
use crate::sim::state::SpacecraftState;
use crate::sim::telemetry::Sample;
use crate::spacecraft::power::EnergyLedger;
use crate::spacecraft::Spacecraft;

/// One spacecraft at one instant (read-only; see the [module docs](self)).
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    spacecraft: &'a Spacecraft,
    state: &'a SpacecraftState,
    elapsed_s: f64,
    sunlit_fraction: f64,
    flows: Option<PowerFlows>,
}

/// Power generated and drawn at the snapshot's instant, W.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerFlows {
    /// Generated, W.
    pub power_in_w: f64,
    /// Drawn by every load, W.
    pub power_out_w: f64,
}

impl PowerFlows {
    /// Generation minus load, W (negative: the battery discharges).
    pub fn balance_w(&self) -> f64 {
        self.power_in_w - self.power_out_w
    }
}

/// The onboard computer's part of a snapshot.
#[derive(Debug, Clone, Copy)]
pub struct OnboardSnapshot<'a> {
    state: &'a OnboardState,
}

impl<'a> OnboardSnapshot<'a> {
    /// Tiles, jobs, busy time and deferrals so far.
    pub fn counters(&self) -> &'a OnboardCounters {
        &self.state.counters
    }

    /// Tiles waiting for the computer.
    pub fn tiles_queued(&self) -> usize {
        self.state.queue.len()
    }

    /// The id of the job on the device.
    pub fn job_running(&self) -> Option<u64> {
        self.state.running.map(|r| r.job.id)
    }

    /// When the job on the device started, s since the simulation start.
    pub fn job_started_s(&self) -> Option<f64> {
        self.state.running.map(|r| r.started_s)
    }

    /// Where the inferences' cloud fractions came from, the computer's
    /// detector being `detector`.
    pub fn detections(&self, detector: crate::compute::DetectorChoice) -> crate::sim::onboard::Detections {
        self.state.detections(detector)
    }

    /// Mean host time of calibrated measured inferences over the
    /// calibration's, for a model of `flops` per run (see
    /// [`crate::sim::onboard::OnboardState`]): above 1, the host was busier
    /// than when calibrated.
    pub fn host_time_vs_calibration(&self, flops: f64) -> Option<f64> {
        self.state.host_time_vs_calibration(flops)
    }

    /// Tiles not accounted for by any counter, the queue or the device (0 in
    /// a consistent state).
    pub fn tiles_unaccounted(&self) -> i64 {
        self.state.unaccounted()
    }
}

impl<'a> Snapshot<'a> {
    /// The snapshot of `state` at `elapsed_s` with the visible fraction of the
    /// Sun there; `flows` where the engine computed them.
    pub(crate) fn new(
        spacecraft: &'a Spacecraft,
        state: &'a SpacecraftState,
        elapsed_s: f64,
        sunlit_fraction: f64,
        flows: Option<PowerFlows>,
    ) -> Self {
        Snapshot {
            spacecraft,
            state,
            elapsed_s,
            sunlit_fraction,
            flows,
        }
    }

    /// The spacecraft's configuration.
    pub fn spacecraft(&self) -> &'a Spacecraft {
        self.spacecraft
    }

    /// The spacecraft's name.
    pub fn name(&self) -> &'a str {
        &self.spacecraft.name
    }

    /// Seconds since the simulation start.
    pub fn elapsed_s(&self) -> f64 {
        self.elapsed_s
    }

    /// State of charge, 0–1 (`None` without a power model).
    pub fn soc(&self) -> Option<f64> {
        self.state.power.battery.as_ref().map(|b| b.soc())
    }

    /// Stored energy, Wh (`None` without a power model).
    pub fn battery_wh(&self) -> Option<f64> {
        self.state.power.battery.as_ref().map(|b| b.energy_wh)
    }

    /// Power generated and drawn now (`None` where the engine has not
    /// computed them, e.g. before the first run).
    pub fn flows(&self) -> Option<PowerFlows> {
        self.flows
    }

    /// Temperature, K (`None` without a thermal model).
    pub fn temperature_k(&self) -> Option<f64> {
        Some(self.state.temperature_k).filter(|t| !t.is_nan())
    }

    /// Light: sunlit, penumbra or umbra.
    pub fn light(&self) -> Light {
        self.state.light
    }

    /// Visible fraction of the solar disk (the conical shadow model's).
    pub fn sunlit_fraction(&self) -> f64 {
        self.sunlit_fraction
    }

    /// The station in contact (its index), if any.
    pub fn contact(&self) -> Option<usize> {
        self.state.data.contact
    }

    /// Bytes stored over every partition.
    pub fn storage_used_bytes(&self) -> f64 {
        self.state.data.storage.total_used_bytes()
    }

    /// Bytes free over every partition.
    pub fn storage_free_bytes(&self) -> f64 {
        self.spacecraft.storage.capacity_bytes - self.storage_used_bytes()
    }

    /// Per partition: (name, bytes stored, bytes free).
    pub fn partitions(&self) -> impl Iterator<Item = (&'a str, f64, f64)> + 'a {
        let storage = &self.state.data.storage;
        self.spacecraft
            .storage
            .partitions
            .iter()
            .enumerate()
            .map(move |(p, part)| (part.name.as_str(), storage.used_bytes[p], storage.free_bytes(p)))
    }

    /// Bytes stored in partition `name` (`None`: no such partition).
    pub fn partition_used_bytes(&self, name: &str) -> Option<f64> {
        let p = self.spacecraft.storage.index(name).ok()?;
        Some(self.state.data.storage.used_bytes[p])
    }

    /// Bytes downlinked in the contact under way (0 out of contact).
    pub fn contact_bytes(&self) -> f64 {
        self.state.data.contact_bytes
    }

    /// Bytes downlinked so far.
    pub fn downlinked_bytes(&self) -> f64 {
        self.state.data.downlinked_bytes
    }

    /// Per partition: (name, bytes downlinked so far).
    pub fn downlinked_partition_bytes(&self) -> impl Iterator<Item = (&'a str, f64)> + 'a {
        let names = self.spacecraft.storage.partitions.iter().map(|p| p.name.as_str());
        names.zip(self.state.data.downlinked_partition_bytes.iter().copied())
    }

    /// Bytes forwarded so far, per relay (in the order of the spacecraft's
    /// `relays`).
    pub fn relayed_bytes(&self) -> &'a [f64] {
        &self.state.data.relayed_bytes
    }

    /// Accumulated dose, rad.
    pub fn dose_rad(&self) -> f64 {
        self.state.radiation.dose_rad
    }

    /// False after a permanent failure.
    pub fn alive(&self) -> bool {
        self.state.radiation.alive
    }

    /// True while the battery is empty and loads go unserved.
    pub fn browned_out(&self) -> bool {
        self.state.power.browned_out
    }

    /// The declared activity running now.
    pub fn activity(&self) -> Option<&'a str> {
        let activities = &self.spacecraft.activities;
        self.state
            .activities
            .running
            .map(|r| activities[r.activity].name.as_str())
    }

    /// Its index among the spacecraft's activities.
    pub fn activity_index(&self) -> Option<usize> {
        self.state.activities.running.map(|r| r.activity)
    }

    /// Loads a flight application switched on: name → W.
    pub fn external_loads(&self) -> &'a BTreeMap<String, f64> {
        &self.state.activities.external_loads
    }

    /// Custom property values.
    pub fn properties(&self) -> &'a BTreeMap<String, f64> {
        &self.state.properties
    }

    /// Energy flows so far, Wh.
    pub fn energy(&self) -> &'a EnergyLedger {
        &self.state.power.ledger
    }

    /// The onboard computer's state (with an imager).
    pub fn onboard(&self) -> Option<OnboardSnapshot<'a>> {
        self.state.onboard.as_ref().map(|state| OnboardSnapshot { state })
    }

    /// What a user hook sees.
    pub fn hook_view(&self) -> SpacecraftView {
        SpacecraftView {
            elapsed_s: self.elapsed_s,
            soc: self.soc().unwrap_or(f64::NAN),
            temperature_k: self.state.temperature_k,
            sunlit_fraction: self.sunlit_fraction,
            in_contact: self.contact().is_some(),
            storage_used_bytes: self.storage_used_bytes(),
            storage_free_bytes: self.storage_free_bytes(),
            dose_rad: self.dose_rad(),
            alive: self.alive(),
            activity: self.activity().map(str::to_string),
            properties: self.properties().clone(),
            peers_in_view: Vec::new(),
        }
    }

    /// The telemetry row of spacecraft `index` at TEME `position_km`, with
    /// this snapshot's flows (zero where none were computed).
    pub fn sample(&self, index: usize, position_km: [f64; 3]) -> Sample {
        let flows = self.flows.unwrap_or(PowerFlows {
            power_in_w: 0.0,
            power_out_w: 0.0,
        });
        Sample {
            spacecraft_index: index,
            elapsed_s: self.elapsed_s,
            position_km,
            sunlit_fraction: self.sunlit_fraction,
            soc: self.soc().unwrap_or(f64::NAN),
            battery_wh: self.battery_wh().unwrap_or(f64::NAN),
            power_in_w: flows.power_in_w,
            power_out_w: flows.power_out_w,
            temperature_k: self.state.temperature_k,
            storage_used_bytes: self.storage_used_bytes(),
            activity: self.activity_index().map_or(-1, |k| k as i32),
            link: self.contact().map_or(-1, |s| s as i32),
            dose_rad: self.dose_rad(),
            alive: self.alive(),
            peers_in_view: 0,
            queued_tiles: self.state.onboard.as_ref().map_or(0, |o| o.queue.len() as u32),
            queue_age_s: (self.state.onboard.as_ref()).map_or(0.0, |o| o.oldest_queued_age_s(self.elapsed_s)),
        }
    }
}
