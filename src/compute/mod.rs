//! Onboard compute: edge devices as data, the imager, the job queue and the
//! computer that runs a model on captured tiles; real ONNX models run by tract;
//! procedural scenes with ground truth to measure cloud detectors on.

pub mod accuracy;
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

pub use computer::{ComputerConfig, Latency, ModelSpec};
pub use device::{Confidence, DeviceProfile, Sourced};
pub use imager::{ImagerConfig, Target};
pub use scheduler::{Job, JobQueue, Policy, RestartPolicy};
pub use tile_detector::{Detection, TileDetector};

/// Numeric precision of a model's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Every floating-point weight is float32.
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
}
