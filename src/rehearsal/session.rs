//! A rehearsal: one simulation driven by a pacer and by a flight application's
//! requests, with everything recorded so it can be replayed deterministically.

use hifitime::{Duration, Epoch};
use serde::{Deserialize, Serialize};

use crate::access::{find_access_windows, SearchConfig};
use crate::error::{ensure_non_negative, Error, Result};
use crate::rehearsal::pacer::Lag;
use crate::sim::plan::Interval;
use crate::sim::{Decision, InferenceRecord, Simulation, StateView, Stepping};

/// A transfer the application asks for (the body of `POST .../send`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The receiving spacecraft or station.
    pub to: String,
    /// Bytes to send.
    pub bytes: f64,
    /// The sender's partition.
    #[serde(default = "default_partition")]
    pub partition: String,
    /// The sender's radio (default: the first that fits).
    #[serde(default)]
    pub radio: Option<String>,
    /// How long it may take, s.
    #[serde(default)]
    pub timeout_s: Option<f64>,
}

fn default_partition() -> String {
    "products".into()
}

/// One line of the rehearsal log. Replaying the lines in order on the same
/// scenario reproduces the rehearsal's state bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LogEntry {
    /// The pacer advanced the simulation to `to_s`.
    Advance {
        /// Wall-clock seconds since the rehearsal started.
        wall_s: f64,
        /// Simulated seconds reached.
        to_s: f64,
    },
    /// The application switched a load on.
    Start {
        /// Wall-clock seconds since the rehearsal started.
        wall_s: f64,
        /// Simulated seconds at the request.
        sim_s: f64,
        /// Spacecraft.
        spacecraft: String,
        /// Activity name.
        activity: String,
        /// Power drawn, W.
        power_w: f64,
        /// How long, s (until stopped when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_s: Option<f64>,
    },
    /// The application switched a load off.
    Stop {
        /// Wall-clock seconds since the rehearsal started.
        wall_s: f64,
        /// Simulated seconds at the request.
        sim_s: f64,
        /// Spacecraft.
        spacecraft: String,
        /// Activity name.
        activity: String,
    },
    /// The application wrote data to storage.
    Store {
        /// Wall-clock seconds since the rehearsal started.
        wall_s: f64,
        /// Simulated seconds at the request.
        sim_s: f64,
        /// Spacecraft.
        spacecraft: String,
        /// Partition.
        partition: String,
        /// Bytes offered.
        bytes: f64,
    },
    /// The application started a transfer.
    Send {
        /// Wall-clock seconds since the rehearsal started.
        wall_s: f64,
        /// Simulated seconds at the request.
        sim_s: f64,
        /// The sending spacecraft.
        spacecraft: String,
        /// The receiving spacecraft or station.
        to: String,
        /// Bytes to send.
        bytes: f64,
        /// The sender's partition.
        partition: String,
        /// The sender's radio, when named.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        radio: Option<String>,
        /// How long it may take, s.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_s: Option<f64>,
    },
    /// A read-only request (state, may-run, events): recorded, not replayed.
    Read {
        /// Wall-clock seconds since the rehearsal started.
        wall_s: f64,
        /// Simulated seconds at the request.
        sim_s: f64,
        /// What was asked, e.g. `state sat-1`.
        request: String,
    },
    /// The host fell behind the wall clock.
    Lag(Lag),
    /// A measured inference (replayed instead of running the model).
    Inference {
        /// Spacecraft.
        spacecraft: String,
        /// The record.
        record: InferenceRecord,
    },
}

/// Why a rehearsal stopped early: an engine error during an update, a log
/// that could not be written, or a bug. The session keeps its state as the
/// engine left it, refuses further changes, and still reports.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFailure {
    /// Simulated seconds reached when it failed.
    pub elapsed_s: f64,
    /// What failed.
    pub error: Error,
}

impl std::fmt::Display for SessionFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the rehearsal failed at {:.3} simulated s: {}",
            self.elapsed_s, self.error
        )
    }
}

/// A simulation, its access windows, its event feed and its log.
pub struct Session {
    sim: Simulation,
    end_s: f64,
    /// Per spacecraft: its access windows, labelled with the station's name, sorted.
    windows: Vec<Vec<Interval<String>>>,
    feed: Vec<serde_json::Value>,
    engine_events_fed: usize,
    records_logged: usize,
    log: Vec<LogEntry>,
    record_reads: bool,
    failure: Option<SessionFailure>,
}

impl Session {
    /// A rehearsal of `sim` (at its start) until `end_s` simulated seconds.
    /// Access windows for the whole span are found up front.
    pub fn new(sim: Simulation, end_s: f64) -> Result<Self> {
        ensure_non_negative("end_s", end_s)?;
        let start = sim.start();
        let satellites: Vec<_> = sim.spacecraft().iter().map(|sc| sc.satellite.clone()).collect();
        let mut windows = vec![Vec::new(); satellites.len()];
        if !sim.stations().is_empty() && end_s > 0.0 {
            let found = find_access_windows(
                &satellites,
                sim.stations(),
                start,
                start + Duration::from_seconds(end_s),
                &SearchConfig::default(),
            )?;
            for w in found {
                windows[w.satellite_index].push(Interval {
                    start_s: (w.rise - start).to_seconds(),
                    end_s: (w.set - start).to_seconds(),
                    what: w.station,
                });
            }
        }
        for list in &mut windows {
            list.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        }
        Ok(Self {
            sim,
            end_s,
            windows,
            feed: Vec::new(),
            engine_events_fed: 0,
            records_logged: 0,
            log: Vec::new(),
            record_reads: true,
            failure: None,
        })
    }

    /// Whether read-only requests are logged (on by default).
    pub fn set_record_reads(&mut self, on: bool) {
        self.record_reads = on;
    }

    /// The simulation.
    pub fn simulation(&self) -> &Simulation {
        &self.sim
    }

    /// Simulated seconds reached.
    pub fn elapsed_s(&self) -> f64 {
        self.sim.elapsed_s()
    }

    /// Simulated seconds at which the rehearsal ends.
    pub fn end_s(&self) -> f64 {
        self.end_s
    }

    /// True once the end is reached.
    pub fn finished(&self) -> bool {
        self.sim.elapsed_s() >= self.end_s
    }

    /// The log entries not yet taken.
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    /// Takes the log entries so far (a writer streams them to a file).
    pub fn take_log(&mut self) -> Vec<LogEntry> {
        std::mem::take(&mut self.log)
    }

    /// Why the rehearsal failed, once it has.
    pub fn failure(&self) -> Option<&SessionFailure> {
        self.failure.as_ref()
    }

    /// Marks the rehearsal failed with `error` (the first failure is kept):
    /// from now on it refuses to advance or change.
    pub fn fail(&mut self, error: Error) {
        if self.failure.is_none() {
            self.failure = Some(SessionFailure {
                elapsed_s: self.sim.elapsed_s(),
                error,
            });
        }
    }

    /// The failure's error, if the rehearsal has failed.
    fn ensure_running(&self) -> Result<()> {
        match &self.failure {
            Some(failure) => Err(failure.error.clone()),
            None => Ok(()),
        }
    }

    /// Advances to `to_s` (clamped to the end); new engine events join the feed.
    /// An engine error fails the rehearsal (see [`Session::failure`]): the
    /// log keeps every entry before it, and the state is what the engine reached.
    pub fn advance(&mut self, wall_s: f64, to_s: f64) -> Result<()> {
        self.ensure_running()?;
        let to_s = to_s.min(self.end_s);
        if to_s <= self.sim.elapsed_s() {
            return Ok(());
        }
        let until = self.sim.start() + Duration::from_seconds(to_s);
        if let Err(error) = self.sim.run(until, Stepping::EventDriven) {
            self.fail(error.clone());
            self.feed_new_events();
            return Err(error);
        }
        self.log.push(LogEntry::Advance { wall_s, to_s });
        self.feed_new_events();
        let records = self.sim.inference_records();
        for (spacecraft, record) in records.into_iter().skip(self.records_logged) {
            self.records_logged += 1;
            self.log.push(LogEntry::Inference { spacecraft, record });
        }
        Ok(())
    }

    /// Reports that the host fell behind: a warning in the feed and the log.
    pub fn lagged(&mut self, lag: Lag) {
        self.feed.push(serde_json::json!({
            "time": self.now().to_string(),
            "elapsed_s": self.sim.elapsed_s(),
            "spacecraft": null,
            "kind": {"event": "pacing_lag", "lag_s": lag.lag_s, "slowed_by_s": lag.slowed_by_s},
        }));
        self.log.push(LogEntry::Lag(lag));
    }

    fn now(&self) -> Epoch {
        self.sim.now()
    }

    fn read(&mut self, wall_s: f64, request: String) {
        if self.record_reads {
            let sim_s = self.sim.elapsed_s();
            self.log.push(LogEntry::Read {
                wall_s,
                sim_s,
                request,
            });
        }
    }

    fn index_of(&self, spacecraft: &str) -> Result<usize> {
        self.sim.index_of(spacecraft)
    }

    /// The state of `spacecraft` now.
    pub fn state(&mut self, wall_s: f64, spacecraft: &str) -> Result<StateView> {
        let k = self.index_of(spacecraft)?;
        self.read(wall_s, format!("state {spacecraft}"));
        self.sim.state_view(k, &self.windows[k])
    }

    /// Whether an activity drawing `power_w` for `duration_s` may start now:
    /// the engine's gate for the onboard computer ([`conditions::unmet`]: the
    /// spacecraft works, the computer is not rebooting, the charge this load
    /// leaves after the duration at today's balance is above the computer's
    /// floor and the battery's, the temperature within the device's limits,
    /// sunlight when the computer runs only in sunlight; the battery's floor
    /// alone without a computer), and the activity is not already running.
    /// The reasons are the engine's words.
    pub fn may_run(
        &mut self,
        wall_s: f64,
        spacecraft: &str,
        activity: &str,
        power_w: f64,
        duration_s: f64,
    ) -> Result<Decision> {
        let decision = self.sim.may_run(spacecraft, activity, power_w, duration_s)?;
        self.read(wall_s, format!("may-run {spacecraft} {activity}"));
        Ok(decision)
    }

    /// Starts the application's activity `activity` drawing `power_w`.
    pub fn start(
        &mut self,
        wall_s: f64,
        spacecraft: &str,
        activity: &str,
        power_w: f64,
        duration_s: Option<f64>,
    ) -> Result<()> {
        self.ensure_running()?;
        match duration_s {
            None => self.sim.start_external_load(spacecraft, activity, power_w)?,
            Some(d) => self
                .sim
                .start_external_load_for(spacecraft, activity, power_w, d)?,
        }
        self.feed_new_events();
        self.log.push(LogEntry::Start {
            wall_s,
            sim_s: self.sim.elapsed_s(),
            spacecraft: spacecraft.to_string(),
            activity: activity.to_string(),
            power_w,
            duration_s,
        });
        Ok(())
    }

    /// Stops the application's activity `activity`; returns the power it drew.
    pub fn stop(&mut self, wall_s: f64, spacecraft: &str, activity: &str) -> Result<f64> {
        self.ensure_running()?;
        let power_w = self.sim.stop_external_load(spacecraft, activity)?;
        self.feed_new_events();
        self.log.push(LogEntry::Stop {
            wall_s,
            sim_s: self.sim.elapsed_s(),
            spacecraft: spacecraft.to_string(),
            activity: activity.to_string(),
        });
        Ok(power_w)
    }

    /// Writes `bytes` to `partition`; returns the bytes stored.
    pub fn store(&mut self, wall_s: f64, spacecraft: &str, partition: &str, bytes: f64) -> Result<f64> {
        self.ensure_running()?;
        let stored = self.sim.store_data(spacecraft, partition, bytes)?;
        self.feed_new_events();
        self.log.push(LogEntry::Store {
            wall_s,
            sim_s: self.sim.elapsed_s(),
            spacecraft: spacecraft.to_string(),
            partition: partition.to_string(),
            bytes,
        });
        Ok(stored)
    }

    /// Starts a transfer (see [`Simulation::send`]); returns its id.
    pub fn send(&mut self, wall_s: f64, spacecraft: &str, request: SendRequest) -> Result<String> {
        self.ensure_running()?;
        let SendRequest {
            to,
            bytes,
            partition,
            radio,
            timeout_s,
        } = request;
        let id = (self.sim).send(spacecraft, &to, bytes, &partition, radio.as_deref(), timeout_s)?;
        self.feed_new_events();
        self.log.push(LogEntry::Send {
            wall_s,
            sim_s: self.sim.elapsed_s(),
            spacecraft: spacecraft.to_string(),
            to,
            bytes,
            partition,
            radio,
            timeout_s,
        });
        Ok(id)
    }

    /// Every transfer so far, with its progress now.
    pub fn transfers(&mut self) -> Result<Vec<crate::sim::TransferStatus>> {
        self.sim.transfers()
    }

    fn feed_new_events(&mut self) {
        let events = &self.sim.events()[self.engine_events_fed..];
        self.feed
            .extend(events.iter().filter_map(|e| serde_json::to_value(e).ok()));
        self.engine_events_fed = self.sim.events().len();
    }

    /// Feed items from `cursor` on, and the cursor to ask from next.
    pub fn events_since(&self, cursor: usize) -> (&[serde_json::Value], usize) {
        let from = cursor.min(self.feed.len());
        (&self.feed[from..], self.feed.len())
    }
}

/// Replays a rehearsal log on `sim` (the same scenario, at its start):
/// advances and application requests in their order, measured inferences
/// from their records. The result equals the rehearsal's state bit for bit.
pub fn replay(mut sim: Simulation, log: &[LogEntry]) -> Result<Simulation> {
    let records: Vec<(String, InferenceRecord)> = log
        .iter()
        .filter_map(|entry| match entry {
            LogEntry::Inference { spacecraft, record } => Some((spacecraft.clone(), *record)),
            _ => None,
        })
        .collect();
    sim.replay_inferences(&records)?;
    for entry in log {
        match entry {
            LogEntry::Advance { to_s, .. } => {
                sim.run(sim.start() + Duration::from_seconds(*to_s), Stepping::EventDriven)?
            }
            LogEntry::Start {
                spacecraft,
                activity,
                power_w,
                duration_s: None,
                ..
            } => sim.start_external_load(spacecraft, activity, *power_w)?,
            LogEntry::Start {
                spacecraft,
                activity,
                power_w,
                duration_s: Some(d),
                ..
            } => sim.start_external_load_for(spacecraft, activity, *power_w, *d)?,
            LogEntry::Stop {
                spacecraft, activity, ..
            } => {
                sim.stop_external_load(spacecraft, activity)?;
            }
            LogEntry::Store {
                spacecraft,
                partition,
                bytes,
                ..
            } => {
                sim.store_data(spacecraft, partition, *bytes)?;
            }
            LogEntry::Send {
                spacecraft,
                to,
                bytes,
                partition,
                radio,
                timeout_s,
                ..
            } => {
                sim.send(spacecraft, to, *bytes, partition, radio.as_deref(), *timeout_s)?;
            }
            LogEntry::Read { .. } | LogEntry::Lag(_) | LogEntry::Inference { .. } => {}
        }
    }
    Ok(sim)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::compute::{ComputerConfig, DeviceProfile, ImagerConfig, ModelSpec};
    use crate::environment::eclipse::Light;
    use crate::orbit::walker::WalkerDelta;
    use crate::prelude::*;
    use crate::sim::application_gate;
    use crate::sim::hooks::{SpacecraftHooks, Surroundings};
    use crate::sim::state::SpacecraftState;
    use crate::spacecraft::{ActivityConfig, Preconditions, Spacecraft};

    /// A cubesat with an iX5 that runs only in sunlight, and one activity
    /// whose preconditions are the computer's own limits.
    fn spacecraft() -> Spacecraft {
        let pattern = WalkerDelta {
            total: 1,
            planes: 1,
            phasing: 0,
            altitude_km: 550.0,
            inclination_deg: 97.6,
        };
        let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        let satellite = Satellite::walker("s", &pattern, epoch, AnalyticModel::J2)
            .unwrap()
            .remove(0);
        let mut sc = Spacecraft::cubesat_6u("s", satellite);
        let model = ModelSpec {
            name: "detector".into(),
            flops: 1e9,
            peak_memory_bytes: 1e8,
            path: None,
            precision: Default::default(),
        };
        let mut computer = ComputerConfig::new(DeviceProfile::shipped("unibap-ix5").unwrap(), model);
        computer.sunlit_only = true;
        let d = &computer.device;
        sc.activities = vec![ActivityConfig {
            name: "payload".into(),
            power_w: 5.0,
            duration_s: None,
            preconditions: Preconditions {
                min_soc: Some(computer.min_soc),
                min_temperature_k: Some(d.min_temperature_k.value),
                max_temperature_k: Some(d.max_temperature_k.value),
                sunlit: Some(true),
                ..Default::default()
            },
            produces: None,
            consumes: None,
            auto: false,
            cooldown_s: 0.0,
            min_on_s: 0.0,
        }];
        sc.imager = Some(ImagerConfig::default());
        sc.computer = Some(computer);
        sc
    }

    proptest! {
        /// The three gates (an activity with the computer's limits, the
        /// computer, a rehearsal's application) give the same answer in the
        /// same words for any state (issue 13). An activity does not run on
        /// the computer, so a reboot gates only the other two.
        #[test]
        fn the_three_gates_agree(
            soc in 0.0..1.0_f64,
            temperature_k in 200.0..380.0_f64,
            light in prop::sample::select(vec![Light::Sunlit, Light::Penumbra, Light::Umbra]),
            alive: bool,
            browned_out: bool,
            rebooting: bool,
        ) {
            let sc = spacecraft();
            let mut state = SpacecraftState::new(&sc, 1);
            let battery = state.power.battery.as_mut().unwrap();
            battery.energy_wh = soc * battery.config.capacity_wh;
            state.temperature_k = temperature_k;
            state.light = light;
            state.radiation.alive = alive;
            state.power.browned_out = browned_out;
            let t = 100.0;
            state.onboard.as_mut().unwrap().booting_until_s = if rebooting { 1e9 } else { f64::NEG_INFINITY };
            let computer = sc.computer.as_ref().unwrap();
            let by_computer = state.device_gate(computer, t, false);
            let by_application = application_gate(&sc, &state, Some(state.soc()), t);
            prop_assert_eq!(&by_computer, &by_application);
            if !rebooting {
                let by_activity = state.unmet(&sc, 0, &SpacecraftHooks::default(), t, &Surroundings::unknown());
                prop_assert_eq!(&by_activity, &by_computer);
            }
        }
    }
}
