//! Onboard processing as the engine advances it: tiles captured, queued as
//! inference jobs, run on the computer when it may run, and kept or dropped.
//!
//! **Gating.** A job starts only at a decision point where the device may run:
//! spacecraft alive and powered, device not rebooting after a restart, state of
//! charge at or above the computer's `min_soc` (and the battery's floor),
//! temperature within the device's limits, in sunlight if `sunlit_only`, and —
//! under the `energy_aware` policy — in sunlight or above `energy_aware_min_soc`.
//! A running job is preempted as soon as a constraint is violated: exactly when
//! the state of charge reaches `min_soc` or the light changes, at the end of the
//! integration sub-step (≤ `max_substep_s`) when the temperature leaves the limits.
//!
//! **Accounting.** Every captured tile is, at any time, either not stored
//! (storage full), queued, running, inferred (kept or dropped as cloudy), or
//! dropped by a fault — [`OnboardCounters::unaccounted`] is zero.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compute::scheduler::{Job, JobQueue, Policy, RestartPolicy};
use crate::compute::{ComputerConfig, ImagerConfig};
use crate::spacecraft::radiation::EventStream;

/// Why queued work waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferReason {
    /// State of charge too low, or the battery is empty.
    Power,
    /// Temperature outside the device's limits.
    Thermal,
    /// Not in sunlight (the `sunlit_only` rule, or `energy_aware` deferring to sunlight).
    Eclipse,
    /// Rebooting after a restart, or the spacecraft has failed.
    Fault,
}

impl DeferReason {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            DeferReason::Power => "power",
            DeferReason::Thermal => "thermal",
            DeferReason::Eclipse => "eclipse",
            DeferReason::Fault => "fault",
        }
    }
}

/// The job on the device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunningJob {
    /// The job.
    pub(crate) job: Job,
    /// Start, s since the simulation start.
    pub(crate) started_s: f64,
    /// End, s.
    pub(crate) ends_s: f64,
    /// Cloud fraction the detector reports for the tile.
    pub(crate) detected_cloud_fraction: f64,
}

/// One inference as run (or replayed): enough to replay a measured run bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InferenceRecord {
    /// Job (tile) id.
    pub job: u64,
    /// Simulated duration, s.
    pub latency_s: f64,
    /// Wall-clock time of the host run, s (0 when not measured).
    pub host_s: f64,
    /// Detected cloud fraction.
    pub cloud_fraction: f64,
}

/// What happened to the data so far.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OnboardCounters {
    /// Tiles captured.
    pub tiles_captured: u64,
    /// Bytes captured.
    pub bytes_captured: f64,
    /// Tiles stored without a computer to process them.
    pub tiles_unprocessed: u64,
    /// Tiles lost at capture because the partition was full.
    pub tiles_not_stored: u64,
    /// Tiles inferred.
    pub tiles_inferred: u64,
    /// Inferred tiles kept for downlink.
    pub tiles_kept: u64,
    /// Bytes kept for downlink.
    pub bytes_kept: f64,
    /// Inferred tiles deleted by the downlink rule.
    pub tiles_dropped_cloudy: u64,
    /// Bytes deleted by the downlink rule: downlink saved.
    pub bytes_dropped_cloudy: f64,
    /// Tiles dropped after restarts (policy `drop`, or attempts exhausted).
    pub tiles_dropped_fault: u64,
    /// Jobs started (retries included).
    pub jobs_started: u64,
    /// Jobs stopped before completing.
    pub jobs_preempted: u64,
    /// Bytes of results written.
    pub product_bytes: f64,
    /// Time the device spent busy, s.
    pub busy_s: f64,
    /// Energy drawn by the device, Wh.
    pub device_energy_wh: f64,
    /// Energy drawn by the imager, Wh.
    pub imager_energy_wh: f64,
    /// Time work waited, by reason, s.
    pub deferred_s: BTreeMap<DeferReason, f64>,
    /// Sum of |detected − true| cloud fraction over inferred tiles.
    pub cloud_fraction_abs_error_sum: f64,
}

/// The evolving onboard-processing state of one spacecraft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnboardState {
    /// Waiting jobs.
    pub(crate) queue: JobQueue,
    /// The job on the device.
    pub(crate) running: Option<RunningJob>,
    /// Rebooting until then, s (−∞ when not).
    pub(crate) booting_until_s: f64,
    /// Id of the next tile.
    pub(crate) next_tile: u64,
    /// Cloud-cover draws.
    pub(crate) clouds: EventStream,
    /// Seed of this spacecraft's scenes.
    pub(crate) scene_seed: u64,
    /// Counters.
    pub(crate) counters: OnboardCounters,
    /// Inferences run so far (for replay).
    pub(crate) records: Vec<InferenceRecord>,
    /// Inferences to replay instead of running or modeling, by job id.
    #[serde(default)]
    pub(crate) replay: BTreeMap<u64, InferenceRecord>,
    /// Why queued work is waiting now (`None`: it is not).
    pub(crate) blocked: Option<DeferReason>,
    /// In an imaging interval now.
    pub(crate) imaging: bool,
}

impl OnboardState {
    /// The initial state for spacecraft `name` under `seed`.
    pub(crate) fn new(seed: u64, name: &str) -> Self {
        let clouds = EventStream::keyed(seed, name, 16, 0.0);
        let scene_seed = seed ^ crate::spacecraft::radiation::name_hash(name).rotate_left(17);
        Self {
            queue: JobQueue::default(),
            running: None,
            booting_until_s: f64::NEG_INFINITY,
            next_tile: 0,
            clouds,
            scene_seed,
            counters: OnboardCounters::default(),
            records: Vec::new(),
            replay: BTreeMap::new(),
            blocked: None,
            imaging: false,
        }
    }

    /// New jobs for the tiles of one capture (the caller stores their bytes).
    pub(crate) fn capture(&mut self, imager: &ImagerConfig, t: f64, priority: u32) -> Vec<Job> {
        (0..imager.tiles_per_capture)
            .map(|_| {
                let u = self.clouds.uniform();
                let job = Job {
                    id: self.next_tile,
                    captured_s: t,
                    priority,
                    bytes: imager.tile_bytes(),
                    cloud_cover: imager.cloud_cover(u),
                    attempts: 0,
                };
                self.next_tile += 1;
                job
            })
            .collect()
    }

    /// Device power now, W.
    pub(crate) fn device_power_w(&self, computer: &ComputerConfig, t: f64) -> f64 {
        let d = &computer.device;
        if self.running.is_some() {
            d.power_busy_w.value
        } else if computer.always_on || !self.queue.is_empty() || t < self.booting_until_s {
            d.power_idle_w.value
        } else {
            d.power_off_w.value
        }
    }

    /// Stops the running job (a constraint broke, a restart, a failure); returns it
    /// and whether it went back to the queue.
    pub(crate) fn preempt(&mut self, computer: &ComputerConfig, restart: bool) -> Option<(Job, bool)> {
        let running = self.running.take()?;
        self.counters.jobs_preempted += 1;
        let job = running.job;
        let retry =
            !restart || (computer.on_restart == RestartPolicy::Retry && job.attempts < computer.max_attempts);
        if retry {
            self.queue.push(computer.policy, job);
        } else {
            self.counters.tiles_dropped_fault += 1;
        }
        Some((job, retry))
    }

    /// Tiles not accounted for (should be 0): captured − not stored − unprocessed − queued −
    /// running − inferred − dropped by faults.
    pub(crate) fn unaccounted(&self) -> i64 {
        let c = &self.counters;
        c.tiles_captured as i64
            - c.tiles_not_stored as i64
            - c.tiles_unprocessed as i64
            - self.queue.len() as i64
            - i64::from(self.running.is_some())
            - c.tiles_inferred as i64
            - c.tiles_dropped_fault as i64
    }

    /// Whether `policy` lets the device start work now (besides the hard constraints).
    pub(crate) fn policy_allows(policy: Policy, computer: &ComputerConfig, sunlit: bool, soc: f64) -> bool {
        match policy {
            Policy::EnergyAware => sunlit || soc.is_nan() || soc >= computer.energy_aware_min_soc,
            Policy::Fifo | Policy::Priority => true,
        }
    }
}

use crate::sim::conditions::{self, Conditions, Demands, Unmet};
use crate::sim::events::EventKind;
use crate::sim::hooks::SpacecraftHooks;
use crate::sim::plan::{find_from, Mark, Plan};
use crate::sim::state::{Light, Log, SpacecraftState, EPS};
use crate::spacecraft::Spacecraft;

/// Start hysteresis on the state of charge: a job preempted at `min_soc` does not
/// restart until the charge is measurably above it.
const START_MARGIN_SOC: f64 = 1e-6;

impl SpacecraftState {
    /// Unmet hard constraints of the device now (empty: it may run).
    pub(crate) fn device_gate(&self, computer: &ComputerConfig, t: f64, starting: bool) -> Vec<Unmet> {
        let demands = Demands {
            soc_margin: if starting { START_MARGIN_SOC } else { -EPS },
            ..Demands::of_computer(computer, self.power.battery.map(|b| b.config.min_soc))
        };
        let mut unmet = conditions::unmet(&Conditions::of(self, t), &demands);
        if starting
            && !OnboardState::policy_allows(
                computer.policy,
                computer,
                self.light == Light::Sunlit,
                self.soc(),
            )
        {
            unmet.push(Unmet::DeferredToSunlight {
                soc: self.soc(),
                threshold: computer.energy_aware_min_soc,
            });
        }
        unmet
    }

    /// Why queued work cannot start now, if it waits.
    pub(crate) fn deferral(&self, sc: &Spacecraft, t: f64) -> Option<(DeferReason, String)> {
        let (Some(computer), Some(onboard)) = (&sc.computer, &self.onboard) else {
            return None;
        };
        if onboard.running.is_some() || onboard.queue.is_empty() {
            return None;
        }
        let unmet = self.device_gate(computer, t, true);
        let first = unmet.first()?.kind()?;
        Some((first, conditions::words(&unmet).join("; ")))
    }

    /// Captures due at `t`, completion of the running job, preemption when a
    /// constraint broke, and (at decision points) the start of the next job.
    pub(crate) fn onboard_updates(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        t: f64,
        decide: bool,
        log: &mut Log,
    ) -> crate::Result<()> {
        let Some(imager) = &sc.imager else { return Ok(()) };
        if self.onboard.is_none() {
            return Ok(());
        }
        let imaging = find_from(&plan.imaging, t, &mut self.cursors.imaging).is_some();
        // Captures at or before `t` not yet taken (a decision point can be
        // visited twice: a sync point, a run boundary).
        let handled = self.captures_handled_s.unwrap_or(f64::NEG_INFINITY);
        while let Some(&Mark {
            at_s: at,
            what: priority,
        }) = plan.captures.get(self.cursors.capture)
        {
            if at > t + EPS {
                break;
            }
            self.cursors.capture += 1;
            if at <= handled {
                continue;
            }
            self.captures_handled_s = Some(at);
            if self.radiation.alive && !self.power.browned_out {
                self.capture(sc, imager, at, priority, log)?;
            }
        }
        if let Some(onboard) = &mut self.onboard {
            onboard.imaging = imaging;
        }
        let Some(computer) = &sc.computer else {
            return Ok(());
        };
        // Completion.
        if let Some(running) = self.onboard.as_ref().and_then(|o| o.running) {
            if running.ends_s <= t + EPS {
                self.complete(sc, computer, running, log)?;
            }
        }
        // A running job must keep meeting the constraints.
        if self.onboard.as_ref().is_some_and(|o| o.running.is_some()) {
            let unmet = self.device_gate(computer, t, false);
            if !unmet.is_empty() {
                let reason = conditions::words(&unmet).join("; ");
                self.preempt_job(computer, t, &reason, false, log);
            }
        }
        if decide && self.device_gate(computer, t, true).is_empty() {
            self.start_job(sc, computer, hooks, t, log)?;
        }
        self.note_deferral(sc, t, log);
        Ok(())
    }

    /// Records a change in why work waits.
    pub(crate) fn note_deferral(&mut self, sc: &Spacecraft, t: f64, log: &mut Log) {
        let deferral = self.deferral(sc, t);
        let Some(onboard) = &mut self.onboard else { return };
        let reason = deferral.as_ref().map(|(r, _)| *r);
        if reason != onboard.blocked {
            if let Some((reason, detail)) = deferral {
                log.push((
                    t,
                    EventKind::WorkDeferred {
                        reason,
                        detail,
                        queued: onboard.queue.len(),
                    },
                ));
            }
            onboard.blocked = reason;
        }
    }

    fn capture(
        &mut self,
        sc: &Spacecraft,
        imager: &ImagerConfig,
        at: f64,
        priority: u32,
        log: &mut Log,
    ) -> crate::Result<()> {
        let partition = sc.storage.index(&imager.partition)?;
        let Some(onboard) = &mut self.onboard else {
            return Ok(());
        };
        let jobs = onboard.capture(imager, at, priority);
        let bytes: f64 = jobs.iter().map(|j| j.bytes).sum();
        let stored = self.data.storage.free_bytes(partition) >= bytes - 1e-6;
        let c = &mut onboard.counters;
        c.tiles_captured += jobs.len() as u64;
        c.bytes_captured += bytes;
        if stored {
            self.data.storage.store(partition, bytes);
            match &sc.computer {
                Some(computer) => {
                    for job in jobs.iter() {
                        onboard.queue.push(computer.policy, *job);
                    }
                }
                None => c.tiles_unprocessed += jobs.len() as u64,
            }
        } else {
            c.tiles_not_stored += jobs.len() as u64;
        }
        log.push((
            at,
            EventKind::ImageCaptured {
                tiles: imager.tiles_per_capture,
                bytes,
                stored,
            },
        ));
        Ok(())
    }

    fn start_job(
        &mut self,
        sc: &Spacecraft,
        computer: &ComputerConfig,
        hooks: &SpacecraftHooks,
        t: f64,
        log: &mut Log,
    ) -> crate::Result<()> {
        let Some(onboard) = &mut self.onboard else {
            return Ok(());
        };
        if onboard.running.is_some() {
            return Ok(());
        }
        let Some(mut job) = onboard.queue.pop() else {
            return Ok(());
        };
        job.attempts += 1;
        let record = match onboard.replay.get(&job.id) {
            Some(record) => *record,
            None => run_inference(computer, hooks, &job, onboard.scene_seed, &sc.name)?,
        };
        onboard.records.push(record);
        onboard.counters.jobs_started += 1;
        onboard.running = Some(RunningJob {
            job,
            started_s: t,
            ends_s: t + record.latency_s,
            detected_cloud_fraction: record.cloud_fraction,
        });
        log.push((
            t,
            EventKind::JobStarted {
                job: job.id,
                attempt: job.attempts,
                latency_s: record.latency_s,
            },
        ));
        Ok(())
    }

    fn complete(
        &mut self,
        sc: &Spacecraft,
        computer: &ComputerConfig,
        running: RunningJob,
        log: &mut Log,
    ) -> crate::Result<()> {
        let raw = sc
            .storage
            .index(sc.imager.as_ref().map_or("", |i| i.partition.as_str()))?;
        let keep = sc.storage.index(&computer.keep_partition)?;
        let products = sc.storage.index(&computer.products_partition)?;
        let Some(onboard) = &mut self.onboard else {
            return Ok(());
        };
        onboard.running = None;
        let job = running.job;
        let detected = running.detected_cloud_fraction;
        let kept = computer.max_cloud_fraction.is_none_or(|max| detected <= max);
        let c = &mut onboard.counters;
        c.tiles_inferred += 1;
        c.cloud_fraction_abs_error_sum += (detected - job.cloud_cover).abs();
        let taken = self.data.storage.take(raw, job.bytes);
        if kept {
            c.tiles_kept += 1;
            c.bytes_kept += self.data.storage.store(keep, taken);
        } else {
            c.tiles_dropped_cloudy += 1;
            c.bytes_dropped_cloudy += taken;
        }
        let tile_px = sc.imager.as_ref().map_or(0.0, |i| f64::from(i.tile_px));
        let result = computer.result_bytes.unwrap_or(tile_px * tile_px * 2.0 / 8.0);
        c.product_bytes += self.data.storage.store(products, result);
        log.push((
            running.ends_s,
            EventKind::JobCompleted {
                job: job.id,
                cloud_fraction: detected,
                kept,
            },
        ));
        Ok(())
    }

    /// Stops the running job at `t` for `reason`.
    pub(crate) fn preempt_job(
        &mut self,
        computer: &ComputerConfig,
        t: f64,
        reason: &str,
        restart: bool,
        log: &mut Log,
    ) {
        let Some(onboard) = &mut self.onboard else { return };
        if let Some((job, requeued)) = onboard.preempt(computer, restart) {
            log.push((
                t,
                EventKind::JobPreempted {
                    job: job.id,
                    reason: reason.to_string(),
                    requeued,
                },
            ));
        }
    }

    /// A radiation restart: the running job is stopped and the device reboots.
    pub(crate) fn onboard_restart(&mut self, sc: &Spacecraft, at: f64, log: &mut Log) {
        let Some(computer) = &sc.computer else { return };
        self.preempt_job(computer, at, "radiation restart", true, log);
        if let Some(onboard) = &mut self.onboard {
            onboard.booting_until_s = at + computer.device.boot_s.value;
        }
    }

    /// Device and imager power now, W: (device, imager).
    pub(crate) fn onboard_power_w(&self, sc: &Spacecraft, t: f64) -> (f64, f64) {
        let Some(onboard) = &self.onboard else {
            return (0.0, 0.0);
        };
        let device = sc.computer.as_ref().map_or(0.0, |c| onboard.device_power_w(c, t));
        let imager = match &sc.imager {
            Some(imager) if onboard.imaging => imager.power_w,
            _ => 0.0,
        };
        (device, imager)
    }
}

/// Latency and detected cloud fraction of one job.
fn run_inference(
    computer: &ComputerConfig,
    hooks: &SpacecraftHooks,
    job: &Job,
    scene_seed: u64,
    spacecraft: &str,
) -> crate::Result<InferenceRecord> {
    let detector = hooks.detector();
    let (latency_s, host_s, cloud_fraction) = match (computer.fixed_latency_s(), detector) {
        (Some(latency), Some(detector)) => {
            let detection = detector.detect(job, scene_seed)?;
            (latency, detection.host_s, detection.cloud_fraction)
        }
        (Some(latency), None) => (latency, 0.0, job.cloud_cover),
        (None, Some(detector)) => {
            let detection = detector.detect(job, scene_seed)?;
            let factor = match computer.latency {
                crate::compute::Latency::Measured { host_to_target } => host_to_target,
                _ => 1.0,
            };
            (
                detection.host_s * factor,
                detection.host_s,
                detection.cloud_fraction,
            )
        }
        (None, None) => {
            return Err(crate::Error::MissingDependency {
                what: format!("measured latency on spacecraft {spacecraft:?}"),
                needs: "a detector attached to the spacecraft (measured latencies time a real model run)",
            })
        }
    };
    Ok(InferenceRecord {
        job: job.id,
        latency_s,
        host_s,
        cloud_fraction: cloud_fraction.clamp(0.0, 1.0),
    })
}
