//! What a flight application reports to the simulation during a rehearsal:
//! loads it switches on and off, and data it writes to storage. Both apply
//! from the current simulated time, and both are logged as events.

use super::Simulation;
use crate::error::{ensure_within, Error, Result};
use crate::sim::events::{Event, EventKind};

/// The largest load an application may switch on, W (1 MW: far above any
/// spacecraft bus; a bigger number is a unit mistake, not a load).
pub const MAX_EXTERNAL_LOAD_W: f64 = 1e6;

/// The most data one write may store, bytes (1 PB).
pub const MAX_WRITE_BYTES: f64 = 1e15;

/// The longest duration an application's load may be started for, s (about
/// ten years: a longer one is a unit mistake).
pub const MAX_LOAD_DURATION_S: f64 = 3.2e8;

impl Simulation {
    fn log_now(&mut self, sc: usize, kind: EventKind) {
        self.events.push(Event {
            time: self.now(),
            elapsed_s: self.elapsed_s,
            spacecraft: self.spacecraft[sc].name.clone(),
            spacecraft_index: sc,
            kind,
        });
    }

    /// Keeps the latest sample's load current when the application switches a
    /// load, so what it reads right after includes what it just did.
    fn shift_latest_load(&mut self, sc: usize, delta_w: f64) {
        let state = &self.states[sc];
        if self.spacecraft[sc].power.is_none() || state.power.browned_out || !state.radiation.alive {
            return;
        }
        if let Some(sample) = self.latest.get_mut(sc) {
            sample.power_out_w += delta_w;
        }
    }

    /// Starts a load named `name` drawing `power_w` on `spacecraft` from now
    /// until [`Simulation::stop_external_load`]. It heats the spacecraft like
    /// any other load. Errors: unknown spacecraft, power not in
    /// [0, [`MAX_EXTERNAL_LOAD_W`]],
    /// a load of that name already on.
    ///
    /// ```
    /// # use orbitedge::prelude::*;
    /// # use orbitedge::sim::{Simulation, Stepping};
    /// # use orbitedge::spacecraft::Spacecraft;
    /// # let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    /// # let elements = ClassicalElements { semi_major_axis_km: 6_928.0, eccentricity: 0.0, inclination_deg: 97.6,
    /// #     raan_deg: 0.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: 0.0 };
    /// # let sat = Satellite::from_elements("sat-0", epoch, elements, AnalyticModel::J2)?;
    /// let mut sim = Simulation::new(epoch, vec![Spacecraft::cubesat_6u("sat-0", sat)], vec![], 1)?;
    /// sim.start_external_load("sat-0", "payload-app", 12.0)?;
    /// assert!(sim.start_external_load("sat-0", "payload-app", 12.0).is_err()); // already on
    /// sim.run(epoch + Duration::from_seconds(600.0), Stepping::EventDriven)?;
    /// assert_eq!(sim.stop_external_load("sat-0", "payload-app")?, 12.0);
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn start_external_load(&mut self, spacecraft: &str, name: &str, power_w: f64) -> Result<()> {
        self.start_load(spacecraft, name, power_w, None)
    }

    /// Starts a load as [`Simulation::start_external_load`] does, for
    /// `duration_s`: the engine ends it then (an `activity_ended` event with
    /// reason "duration elapsed"), wherever the runs are cut. Errors as
    /// there, and a duration that is not finite and positive (≤ 10 years).
    pub fn start_external_load_for(
        &mut self,
        spacecraft: &str,
        name: &str,
        power_w: f64,
        duration_s: f64,
    ) -> Result<()> {
        self.start_load(spacecraft, name, power_w, Some(duration_s))
    }

    fn start_load(
        &mut self,
        spacecraft: &str,
        name: &str,
        power_w: f64,
        duration_s: Option<f64>,
    ) -> Result<()> {
        let sc = self.index_of(spacecraft)?;
        ensure_within(
            "power_w",
            power_w,
            MAX_EXTERNAL_LOAD_W,
            "a finite number in [0, 1e6] W",
        )?;
        if let Some(d) = duration_s {
            ensure_within(
                "duration_s",
                d,
                MAX_LOAD_DURATION_S,
                "a finite number of seconds in (0, 3.2e8]",
            )?;
            if d <= 0.0 {
                return Err(Error::parameter(
                    "duration_s",
                    d,
                    "a finite number of seconds in (0, 3.2e8]",
                ));
            }
        }
        let activities = &mut self.states[sc].activities;
        if activities.external_loads.contains_key(name) {
            return Err(Error::Conflict(format!(
                "activity {name:?} of {spacecraft} is already running"
            )));
        }
        activities.external_loads.insert(name.to_string(), power_w);
        if let Some(d) = duration_s {
            activities
                .external_load_ends
                .insert(name.to_string(), self.elapsed_s + d);
        }
        self.states[sc].commit();
        self.shift_latest_load(sc, power_w);
        self.log_now(
            sc,
            EventKind::ActivityStarted {
                activity: name.to_string(),
            },
        );
        Ok(())
    }

    /// Stops the load `name` of `spacecraft`; returns the power it drew, W.
    pub fn stop_external_load(&mut self, spacecraft: &str, name: &str) -> Result<f64> {
        let sc = self.index_of(spacecraft)?;
        let activities = &mut self.states[sc].activities;
        let power_w = (activities.external_loads.remove(name))
            .ok_or_else(|| Error::Conflict(format!("activity {name:?} of {spacecraft} is not running")))?;
        activities.external_load_ends.remove(name);
        self.states[sc].commit();
        self.shift_latest_load(sc, -power_w);
        self.log_now(
            sc,
            EventKind::ActivityEnded {
                activity: name.to_string(),
                reason: "stopped by the application".into(),
            },
        );
        Ok(power_w)
    }

    /// Writes `bytes` to `partition` of `spacecraft` now; returns the bytes
    /// stored (less when the partition fills up, which is logged).
    pub fn store_data(&mut self, spacecraft: &str, partition: &str, bytes: f64) -> Result<f64> {
        let sc = self.index_of(spacecraft)?;
        ensure_within(
            "bytes",
            bytes,
            MAX_WRITE_BYTES,
            "a finite number in [0, 1e15] bytes",
        )?;
        let p = self.spacecraft[sc].storage.index(partition)?;
        self.states[sc].commit();
        let stored = self.states[sc].data.storage.store(p, bytes);
        if stored < bytes {
            self.log_now(
                sc,
                EventKind::StorageFull {
                    partition: partition.to_string(),
                },
            );
        }
        Ok(stored)
    }
}
