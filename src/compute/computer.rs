//! The onboard computer of a spacecraft: a device profile, the model it runs,
//! how long an inference takes, when it may run, and what is kept afterwards.

use serde::{Deserialize, Serialize};

use crate::compute::device::DeviceProfile;
use crate::compute::scheduler::{Policy, RestartPolicy};
use crate::error::{ensure_non_negative, ensure_positive, Error, Result};

/// The model the computer runs on every tile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Name (for reports), e.g. `ukis-csmask-4b-l1c`.
    pub name: String,
    /// Floating-point operations per inference (from the model report; filled in
    /// when the model is loaded from `path`).
    #[serde(default)]
    pub flops: f64,
    /// Peak memory of a run, bytes (checked against the device's RAM).
    #[serde(default)]
    pub peak_memory_bytes: f64,
    /// The ONNX file: a path, or `ukis-csmask:<variant>` for a model fetched from
    /// PyPI (`None`: the model is described by `flops` only, and detection is perfect).
    #[serde(default)]
    pub path: Option<String>,
    /// Precision the file runs in: `float32` (the default; a float16 file is
    /// widened on load) or `float16` (kept as stored: slow, and it can
    /// overflow — see [`crate::compute::FLOAT16_SLOW_NOTE`]).
    #[serde(default)]
    pub precision: crate::compute::Precision,
}

/// Where an inference's duration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    /// From the device's throughput and the model's FLOPs; the model never runs
    /// for it (see [`ComputerConfig::detector`] for what detects clouds).
    Modeled,
    /// A fixed duration per tile, s (e.g. measured on the flight computer).
    Given {
        /// Seconds per tile.
        latency_s: f64,
    },
    /// The real model runs on the host for each tile and its wall-clock time,
    /// scaled to the device, is the simulated duration:
    /// `host time × host_gflops / device throughput_gflops` — the host's
    /// sustained throughput on this model ([`crate::compute::calibration`]) over
    /// the device's, so the device's profile counts. `host_to_target`, when
    /// given, replaces that factor. Host time follows how loaded the host is, so
    /// a measured run is reproducible only through its records (replay them).
    Measured {
        /// Target seconds per host second, overriding the calibration (1: the
        /// host is the target). The same whatever the device: use it only for
        /// a device measured against this host.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host_to_target: Option<f64>,
        /// The host's sustained throughput on this model, GFLOP/s: measured
        /// once per model and host before a scenario runs (and cached) when
        /// absent; give it to pin a calibration.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host_gflops: Option<f64>,
        /// Where the calibration is kept between runs.
        #[serde(default, skip_serializing_if = "CalibrationCache::is_memory")]
        calibration: CalibrationCache,
    },
}

impl Latency {
    /// Measured latency scaled by the calibration (no override, nothing pinned).
    pub fn measured() -> Self {
        Latency::Measured {
            host_to_target: None,
            host_gflops: None,
            calibration: CalibrationCache::Memory,
        }
    }

    /// Measured latency scaled by a fixed `host_to_target`, whatever the device.
    pub fn measured_with_factor(host_to_target: f64) -> Self {
        Latency::Measured {
            host_to_target: Some(host_to_target),
            host_gflops: None,
            calibration: CalibrationCache::Memory,
        }
    }

    /// Measured latency scaled by the host's throughput on the model,
    /// `host_gflops` (e.g. [`crate::compute::calibration::HostCalibration`]'s),
    /// over the device's.
    pub fn measured_with_host_gflops(host_gflops: f64) -> Self {
        Latency::Measured {
            host_to_target: None,
            host_gflops: Some(host_gflops),
            calibration: CalibrationCache::Memory,
        }
    }

    /// The mode's name: `modeled`, `given` or `measured`.
    pub fn name(&self) -> &'static str {
        match self {
            Latency::Modeled => "modeled",
            Latency::Given { .. } => "given",
            Latency::Measured { .. } => "measured",
        }
    }
}

/// Where a host calibration is kept (see [`crate::compute::calibration`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationCache {
    /// In this process only: measured once per model, host and input shape.
    #[default]
    Memory,
    /// Also on disk, under the orbitedge cache directory, keyed by the model's
    /// SHA-256 and the host: later processes reuse it.
    Disk,
}

impl CalibrationCache {
    fn is_memory(&self) -> bool {
        *self == CalibrationCache::Memory
    }
}

/// What finds the cloud fraction of a tile — a choice of its own, separate
/// from the latency, so a run says plainly whether detection was real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorChoice {
    /// The detector attached to the spacecraft (the real ONNX model on a
    /// generated scene, in scenarios) runs on every tile.
    Model,
    /// The tile's ground-truth cloud fraction: detection is perfect, and
    /// nothing runs.
    Truth,
    /// The cloud fraction (and the host time, for measured latencies) of
    /// recorded inferences (`replay_inferences`, `computer.replay_records`);
    /// the latency follows the current device and mode.
    Replay,
}

impl DetectorChoice {
    /// `model`, `truth` or `replay`.
    pub fn name(self) -> &'static str {
        match self {
            DetectorChoice::Model => "model",
            DetectorChoice::Truth => "truth",
            DetectorChoice::Replay => "replay",
        }
    }

    /// What the choice means, for reports.
    pub fn meaning(self) -> &'static str {
        match self {
            DetectorChoice::Model => "the model runs on every tile",
            DetectorChoice::Truth => "the ground-truth cloud fraction: detection is perfect",
            DetectorChoice::Replay => "cloud fractions replayed from recorded inferences",
        }
    }
}

/// An onboard computer running a cloud detector on captured tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputerConfig {
    /// The device: in files, a shipped profile's name, a `.toml` path, or a table.
    #[serde(deserialize_with = "device_by_name_or_profile")]
    pub device: DeviceProfile,
    /// The model.
    pub model: ModelSpec,
    /// Inference duration.
    #[serde(default = "default_latency")]
    pub latency: Latency,
    /// What detects clouds (absent: `model` under measured latency, which
    /// times it; `truth` otherwise — see [`ComputerConfig::detector`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector: Option<DetectorChoice>,
    /// Recorded inferences (an `inferences.jsonl` of a report, relative to the
    /// scenario file) for `detector = "replay"` in scenarios.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_records: Option<String>,
    /// Job order and energy rule.
    #[serde(default)]
    pub policy: Policy,
    /// Lowest state of charge at which the device may run a job, in [0, 1].
    #[serde(default = "default_min_soc")]
    pub min_soc: f64,
    /// Run only in full sunlight.
    #[serde(default)]
    pub sunlit_only: bool,
    /// Under the `energy_aware` policy: outside sunlight, run only at or above this
    /// state of charge.
    #[serde(default = "default_energy_aware_min_soc")]
    pub energy_aware_min_soc: f64,
    /// What a restart does to the running job.
    #[serde(default)]
    pub on_restart: RestartPolicy,
    /// Starts a job gets before it is dropped (with `retry`).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Downlink rule: tiles whose detected cloud fraction exceeds this are deleted
    /// (`None`: keep every tile). Φ-sat-1 used 0.7.
    #[serde(default = "default_max_cloud_fraction")]
    pub max_cloud_fraction: Option<f64>,
    /// Partition that receives kept tiles.
    #[serde(default = "default_keep_partition")]
    pub keep_partition: String,
    /// Partition that receives the results (masks and cloud fractions).
    #[serde(default = "default_products_partition")]
    pub products_partition: String,
    /// Bytes of the result per tile; default: a 2-bit class mask of the tile.
    #[serde(default)]
    pub result_bytes: Option<f64>,
    /// Keep the device on (idle) with an empty queue; otherwise it is switched
    /// off until work arrives.
    #[serde(default = "default_true")]
    pub always_on: bool,
    /// Memory that holds queued and running tiles, bytes; tiles that find it
    /// full at capture are kept unprocessed for downlink. Default: half the
    /// device's `ram_bytes` (the rest for the OS and flight software, an
    /// assumption) less the model's `peak_memory_bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_memory_bytes: Option<f64>,
    /// With `detector = "model"`: the fraction of tiles, in (0, 1], the model
    /// runs on — a seeded draw per tile; the others get their ground-truth
    /// cloud fraction (perfect detection) at the device's modeled latency,
    /// and the summary counts both. `None`: every tile. What keeps a strip
    /// scenario with the real model in the loop to a minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_sample: Option<f64>,
}

/// A device given by name (or `.toml` path) or in full.
fn device_by_name_or_profile<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<DeviceProfile, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = DeviceProfile;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a device profile name, a .toml path, or a device profile table")
        }
        fn visit_str<E: serde::de::Error>(self, name: &str) -> std::result::Result<DeviceProfile, E> {
            DeviceProfile::resolve(name).map_err(E::custom)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            map: A,
        ) -> std::result::Result<DeviceProfile, A::Error> {
            DeviceProfile::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_any(Visitor)
}

fn default_latency() -> Latency {
    Latency::Modeled
}
fn default_min_soc() -> f64 {
    0.3
}
fn default_energy_aware_min_soc() -> f64 {
    0.8
}
fn default_max_attempts() -> u32 {
    3
}
fn default_max_cloud_fraction() -> Option<f64> {
    Some(0.7)
}
fn default_keep_partition() -> String {
    "images".into()
}
fn default_products_partition() -> String {
    "products".into()
}
fn default_true() -> bool {
    true
}

impl ComputerConfig {
    /// A computer with the defaults: modeled latency, FIFO, runs above 30 % state of
    /// charge, retries restarted jobs up to 3 times, drops tiles more than 70 % cloudy.
    pub fn new(device: DeviceProfile, model: ModelSpec) -> Self {
        Self {
            device,
            model,
            latency: default_latency(),
            detector: None,
            replay_records: None,
            policy: Policy::default(),
            min_soc: default_min_soc(),
            sunlit_only: false,
            energy_aware_min_soc: default_energy_aware_min_soc(),
            on_restart: RestartPolicy::default(),
            max_attempts: default_max_attempts(),
            max_cloud_fraction: default_max_cloud_fraction(),
            keep_partition: default_keep_partition(),
            products_partition: default_products_partition(),
            result_bytes: None,
            always_on: true,
            queue_memory_bytes: None,
            model_sample: None,
        }
    }

    /// Checks every parameter, and that the model fits the device's memory.
    pub fn validated(self) -> Result<Self> {
        let detector = self.detector();
        let device = self.device.validated()?;
        ensure_non_negative("model flops", self.model.flops)?;
        ensure_non_negative("model peak_memory_bytes", self.model.peak_memory_bytes)?;
        if self.model.peak_memory_bytes > device.ram_bytes.value {
            return Err(Error::Config {
                origin: format!("computer {}", device.name),
                reason: format!(
                    "model {} needs {:.0} bytes at peak but the device has {:.0}",
                    self.model.name, self.model.peak_memory_bytes, device.ram_bytes.value
                ),
            });
        }
        match self.latency {
            Latency::Modeled => {
                ensure_positive("model flops (modeled latency)", self.model.flops)?;
            }
            Latency::Given { latency_s } => {
                ensure_positive("latency_s", latency_s)?;
            }
            Latency::Measured {
                host_to_target,
                host_gflops,
                ..
            } => {
                if let Some(factor) = host_to_target {
                    ensure_positive("host_to_target", factor)?;
                }
                if let Some(gflops) = host_gflops {
                    ensure_positive("host_gflops", gflops)?;
                }
                if detector == DetectorChoice::Truth {
                    return Err(Error::Config {
                        origin: format!("computer {}", device.name),
                        reason: "measured latency times the model on every tile, so detector = \"truth\" \
                                 cannot go with it: use detector = \"model\", detector = \"replay\" \
                                 (the host times of recorded inferences), or latency mode \"modeled\""
                            .into(),
                    });
                }
            }
        }
        for (name, soc) in [
            ("computer min_soc", self.min_soc),
            ("energy_aware_min_soc", self.energy_aware_min_soc),
        ] {
            if !(0.0..=1.0).contains(&soc) {
                return Err(Error::parameter(name, soc, "in [0, 1]"));
            }
        }
        if self.max_attempts == 0 {
            return Err(Error::parameter("max_attempts", 0.0, "at least 1"));
        }
        if let Some(f) = self.max_cloud_fraction {
            if !(0.0..=1.0).contains(&f) {
                return Err(Error::parameter("max_cloud_fraction", f, "in [0, 1]"));
            }
        }
        if let Some(bytes) = self.result_bytes {
            ensure_non_negative("result_bytes", bytes)?;
        }
        if let Some(fraction) = self.model_sample {
            if !(fraction > 0.0 && fraction <= 1.0) {
                return Err(Error::parameter("model_sample", fraction, "in (0, 1]"));
            }
            if detector != DetectorChoice::Model {
                return Err(Error::Config {
                    origin: format!("computer {}", device.name),
                    reason: format!(
                        "model_sample chooses the tiles the model runs on, but the detector is \
                         \"{}\": use detector = \"model\" or remove model_sample",
                        detector.name()
                    ),
                });
            }
        }
        if let Some(bytes) = self.queue_memory_bytes {
            ensure_non_negative("queue_memory_bytes", bytes)?;
            if bytes > device.ram_bytes.value {
                return Err(Error::parameter(
                    "queue_memory_bytes",
                    bytes,
                    "at most the device's ram_bytes",
                ));
            }
        }
        Ok(Self { device, ..self })
    }

    /// Bytes the queue (with the running job) may hold: `queue_memory_bytes`,
    /// else half the device's RAM less the model's peak memory.
    pub fn queue_limit_bytes(&self) -> f64 {
        self.queue_memory_bytes
            .unwrap_or_else(|| (0.5 * self.device.ram_bytes.value - self.model.peak_memory_bytes).max(0.0))
    }

    /// The device's modeled time for one inference of the model, s (its
    /// FLOPs over the device's throughput).
    pub fn modeled_latency_s(&self) -> f64 {
        self.device.modeled_latency_s(self.model.flops)
    }

    /// Simulated duration of one inference when it does not come from a run, s.
    pub fn fixed_latency_s(&self) -> Option<f64> {
        match self.latency {
            Latency::Modeled => Some(self.modeled_latency_s()),
            Latency::Given { latency_s } => Some(latency_s),
            Latency::Measured { .. } => None,
        }
    }

    /// The detector in use: the one chosen, else `model` under measured
    /// latency (which needs a model run to time) and `truth` otherwise, so
    /// modeled and given latencies never run the model unless asked to.
    pub fn detector(&self) -> DetectorChoice {
        self.detector.unwrap_or(match self.latency {
            Latency::Measured { .. } => DetectorChoice::Model,
            Latency::Modeled | Latency::Given { .. } => DetectorChoice::Truth,
        })
    }

    /// Target seconds per host second under measured latency: `host_to_target`
    /// when given, else the host's calibrated throughput (`host_gflops`, or
    /// `recorded_host_gflops` from a replayed record) over the device's.
    /// `None` outside measured latency or without a calibration.
    pub fn host_to_target(&self, recorded_host_gflops: Option<f64>) -> Option<f64> {
        let Latency::Measured {
            host_to_target,
            host_gflops,
            ..
        } = self.latency
        else {
            return None;
        };
        host_to_target.or_else(|| {
            host_gflops
                .or(recorded_host_gflops.filter(|g| *g > 0.0))
                .map(|host| host / self.device.throughput_gflops.value)
        })
    }
}
