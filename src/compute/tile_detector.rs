//! The interface between the engine and whatever detects clouds on a tile:
//! the real ONNX model on a generated scene ([`crate::compute::detector`]), or
//! a user's own code. It lives in `compute` because it is about onboard work;
//! the engine (`sim`) calls it and attaches it per spacecraft, so the layers
//! depend downwards only.

use crate::compute::Job;

/// What a detector found on one tile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Detected cloud fraction, in [0, 1].
    pub cloud_fraction: f64,
    /// Wall-clock time of the model run alone on this host, s (the measured latency
    /// before scaling to the target).
    pub host_s: f64,
}

/// A cloud detector run on a tile: what it finds on job `job` (whose true cover
/// is `job.cloud_cover`) in a scene keyed by `scene_seed`.
pub trait TileDetector: Send + Sync {
    /// Runs the detector.
    fn detect(&self, job: &Job, scene_seed: u64) -> crate::Result<Detection>;
}
