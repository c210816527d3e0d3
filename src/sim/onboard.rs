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
//! (storage full), queued, running, inferred (kept or dropped as cloudy),
//! kept after a failed inference (NaN or inf from the model), or dropped by a
//! fault — [`OnboardState::unaccounted`] is zero.

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
    /// Non-finite values in the model's output (0: the inference succeeded).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) non_finite: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
    /// Detected cloud fraction (0 when the inference failed).
    pub cloud_fraction: f64,
    /// Non-finite values in the model's output: more than 0 when the inference
    /// failed (the tile is then kept unprocessed; see
    /// [`crate::sim::EventKind::InferenceFailed`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub non_finite: u64,
    /// The host's calibrated throughput the host time was scaled with,
    /// GFLOP/s (0: not measured, or scaled by an explicit `host_to_target`):
    /// what lets `detector = "replay"` scale the host time to another device.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub host_gflops: f64,
    /// The cloud fraction is the tile's ground truth because the tile is
    /// outside the model's seeded sample (`computer.model_sample`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truth: bool,
}

fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

/// Key bytes 16..32 of a sample draw: apart from every other use of the seed.
const SAMPLE_DOMAIN: [u8; 16] = *b"oe-model-sample!";

/// Whether the model runs on tile `job` under `computer.model_sample =
/// fraction`: a draw keyed by the spacecraft's scene seed and the tile's id
/// alone (ChaCha8), so the sample does not depend on the order tiles run in,
/// the policy, or how the run is cut.
pub(crate) fn in_model_sample(scene_seed: u64, job: u64, fraction: f64) -> bool {
    use rand_core::{Rng, SeedableRng};
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&scene_seed.to_le_bytes());
    key[8..16].copy_from_slice(&job.to_le_bytes());
    key[16..].copy_from_slice(&SAMPLE_DOMAIN);
    let draw = rand_chacha::ChaCha8Rng::from_seed(key).next_u64();
    ((draw >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) < fraction
}

/// Where the cloud fractions of a spacecraft's inferences came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Detections {
    /// Inferences the detector (the model) ran for.
    pub model: u64,
    /// Inferences given the tile's ground-truth cloud fraction (perfect detection).
    pub truth: u64,
    /// Inferences replayed from records (the model did not run).
    pub replayed: u64,
}

impl Detections {
    /// The sum of two counts.
    pub fn plus(self, other: Self) -> Self {
        Self {
            model: self.model + other.model,
            truth: self.truth + other.truth,
            replayed: self.replayed + other.replayed,
        }
    }
}

impl OnboardState {
    /// Where the inferences' cloud fractions came from: a recorded job in the
    /// replay table was replayed, any other was found by `detector`.
    pub(crate) fn detections(&self, detector: crate::compute::DetectorChoice) -> Detections {
        let replayed = self
            .records
            .iter()
            .filter(|r| self.replay.contains_key(&r.job))
            .count() as u64;
        // Tiles outside the model's sample got their ground truth.
        let outside_sample = (self.records.iter())
            .filter(|r| r.truth && !self.replay.contains_key(&r.job))
            .count() as u64;
        let live = self.records.len() as u64 - replayed - outside_sample;
        let mut detections = Detections {
            replayed,
            truth: outside_sample,
            ..Detections::default()
        };
        match detector {
            crate::compute::DetectorChoice::Model => detections.model = live,
            crate::compute::DetectorChoice::Truth => detections.truth += live,
            crate::compute::DetectorChoice::Replay => detections.replayed += live,
        }
        detections
    }

    /// Mean host time of the measured inferences scaled by a calibration,
    /// over the calibration's time per tile (`flops / host_gflops`): 1 when
    /// the host ran as fast as when calibrated, 2 when it was twice as slow
    /// (loaded), which makes every measured latency twice as long. `None`
    /// without such inferences.
    pub(crate) fn host_time_vs_calibration(&self, flops: f64) -> Option<f64> {
        let ratios: Vec<f64> = self
            .records
            .iter()
            .filter(|r| r.host_gflops > 0.0 && r.host_s > 0.0 && r.non_finite == 0)
            .map(|r| r.host_s * r.host_gflops * 1e9 / flops)
            .collect();
        (!ratios.is_empty() && flops > 0.0).then(|| ratios.iter().sum::<f64>() / ratios.len() as f64)
    }
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
    /// Tiles whose inference gave NaN or infinite values: kept for downlink
    /// unprocessed (not counted as inferred, nor in `tiles_kept`).
    #[serde(default)]
    pub tiles_inference_failed: u64,
    /// Tiles that found the queue's memory full at capture: kept for
    /// downlink unprocessed (moved to the keep partition, or left in the raw
    /// one when the keep partition is full), never queued.
    #[serde(default)]
    pub tiles_overflowed: u64,
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

    /// New jobs for the `tiles` of one capture (the caller stores their bytes).
    pub(crate) fn capture(&mut self, imager: &ImagerConfig, t: f64, priority: u32, tiles: u32) -> Vec<Job> {
        (0..tiles)
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

    /// Bytes of the tiles in the device's memory: queued and running.
    pub(crate) fn buffered_bytes(&self) -> f64 {
        self.queue.bytes() + self.running.map_or(0.0, |r| r.job.bytes)
    }

    /// Age of the oldest tile waiting in the queue at `t`, s (0 when none waits).
    pub(crate) fn oldest_queued_age_s(&self, t: f64) -> f64 {
        let oldest = self
            .queue
            .iter()
            .map(|j| j.captured_s)
            .fold(f64::INFINITY, f64::min);
        if oldest.is_finite() {
            (t - oldest).max(0.0)
        } else {
            0.0
        }
    }

    /// Tiles not accounted for (should be 0): captured − not stored − unprocessed − queued −
    /// running − inferred − failed inferences − overflowed − dropped by faults.
    pub(crate) fn unaccounted(&self) -> i64 {
        let c = &self.counters;
        c.tiles_captured as i64
            - c.tiles_not_stored as i64
            - c.tiles_unprocessed as i64
            - self.queue.len() as i64
            - i64::from(self.running.is_some())
            - c.tiles_inferred as i64
            - c.tiles_inference_failed as i64
            - c.tiles_overflowed as i64
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
