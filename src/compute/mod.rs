//! Onboard compute: edge devices as data, the imager, the job queue and the
//! computer that runs a model on captured tiles; real ONNX models run by tract;
//! procedural scenes with ground truth to measure cloud detectors on.

pub mod accuracy;
#[cfg(feature = "onnx")]
pub mod calibration;
pub mod computer;
#[cfg(feature = "onnx")]
pub mod detector;
pub mod device;
#[cfg(feature = "onnx")]
pub mod fetch;
#[cfg(feature = "onnx")]
pub mod float32;
pub mod imager;
#[cfg(feature = "onnx")]
pub mod model;
#[cfg(feature = "onnx")]
pub mod model_budget;
#[cfg(feature = "onnx")]
pub mod onnx_check;
pub mod scene;
pub mod scheduler;
pub mod tile_detector;

use serde::{Deserialize, Serialize};

pub use computer::{CalibrationCache, ComputerConfig, DetectorChoice, Latency, ModelSpec};
pub use device::{Confidence, DeviceProfile, Sourced};
pub use imager::{ImagerConfig, Strip, Target};
pub use scheduler::{Job, JobQueue, Policy, RestartPolicy};
pub use tile_detector::{Detection, TileDetector};

/// Numeric precision of a model's weights, and the precision a model runs in.
///
/// As the precision to run in (`OnnxModel::from_path_with_precision`, a
/// scenario's `computer.model.precision`), `Float32` — the default — widens
/// every float16 weight, constant and cast to float32 on load; `Float16` keeps
/// a float16 file as it is, which is slow (see [`FLOAT16_SLOW_NOTE`]) and can
/// overflow (float16 ends at 65504).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Every floating-point weight is float32.
    #[default]
    Float32,
    /// Float16 weights or casts to float16: slow and approximate in tract on hosts
    /// without float16 hardware; convert to float32 for rehearsals.
    Float16,
}

impl Precision {
    /// `float32` or `float16`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Float32 => "float32",
            Precision::Float16 => "float16",
        }
    }

    /// The precision named `name` (`float32` or `float16`), for bindings that
    /// take it as text; anything else is an [`crate::Error::InvalidChoice`].
    pub fn parse(name: &str) -> crate::Result<Self> {
        match name {
            "float32" => Ok(Precision::Float32),
            "float16" => Ok(Precision::Float16),
            other => Err(crate::Error::InvalidChoice {
                name: "precision",
                value: other.to_string(),
                expected:
                    "\"float32\" (the default: float16 files widened on load) or \"float16\" (kept as stored)",
            }),
        }
    }
}

/// Why running in float16 is opt-in: what the Python binding warns when a
/// caller asks for it, and what Rust callers of `Precision::Float16` should know.
pub const FLOAT16_SLOW_NOTE: &str = "tract runs float16 without native half-precision kernels on \
     most hosts: 100-300x slower than the same weights widened to float32 (29 s instead of \
     0.2 s per ukis-csmask tile, docs/inference-performance.md), and activations above 65504 \
     overflow to inf; use precision \"float32\" \
     (the default) unless you are studying float16 arithmetic itself";
