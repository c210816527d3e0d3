//! The real cloud detector inside a simulation: each captured tile becomes a
//! procedural scene with the tile's cloud cover (deterministic from the seed and
//! the tile id), the ONNX model segments it, and the detected cloud fraction
//! drives the downlink rule. The model run alone is timed, for measured latencies.

use std::time::Instant;

use crate::compute::accuracy::argmax_classes;
use crate::compute::model::OnnxModel;
use crate::compute::scene::{Class, Scene, SceneConfig};
use crate::compute::{Detection, Job, TileDetector};
use crate::error::{Error, Result};

/// A segmentation model (input 1×4×N×N reflectances normalised as ukis-csmask
/// expects, output 1×3×N×N logits: clear, cloud, shadow) run on generated scenes.
#[derive(Debug, Clone)]
pub struct SceneDetector {
    model: OnnxModel,
    scene: SceneConfig,
}

impl SceneDetector {
    /// A detector running `model` on scenes like `scene` (its `cloud_cover` is
    /// replaced by each tile's). Checks the model's input and output shapes.
    pub fn new(model: OnnxModel, scene: SceneConfig) -> Result<Self> {
        let scene = scene.validated()?;
        let n = scene.size_px;
        let expected = vec![1, 4, n, n];
        let report = model.report();
        if report.input_shape != expected {
            return Err(Error::ShapeMismatch {
                expected,
                given: report.input_shape.clone(),
            });
        }
        if report.output_shape != vec![1, 3, n, n] {
            return Err(Error::Model {
                reason: format!(
                    "a cloud detector must output 1×3×{n}×{n} logits (clear, cloud, shadow), this model outputs {:?}",
                    report.output_shape
                ),
            });
        }
        Ok(Self { model, scene })
    }

    /// The model.
    pub fn model(&self) -> &OnnxModel {
        &self.model
    }
}

impl TileDetector for SceneDetector {
    fn detect(&self, job: &Job, scene_seed: u64) -> Result<Detection> {
        let config = SceneConfig {
            cloud_cover: job.cloud_cover.clamp(0.0, 1.0),
            ..self.scene
        };
        let scene = Scene::generate(&config, scene_seed, job.id)?;
        let input = scene.normalized_ukis();
        let started = Instant::now();
        let output = self.model.run(&input, &scene.input_shape())?;
        let host_s = started.elapsed().as_secs_f64();
        let n = scene.size_px;
        let classes = argmax_classes(&output.values, 3, n, n)?;
        let cloud = classes.iter().filter(|c| **c == Class::Cloud.id()).count();
        Ok(Detection {
            cloud_fraction: cloud as f64 / classes.len() as f64,
            host_s,
        })
    }
}
