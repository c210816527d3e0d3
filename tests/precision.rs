//! Precision and inputs (issue 15): float16 files run in float32 unless float16
//! is asked for; NaN or inf out of a model is an error that names the output
//! and the likely cause, and in a simulation a logged `inference_failed` with
//! the tile kept; a symbolic batch dimension defaults to 1.
//!
//! The models are crafted here from tract's protobuf types: a float16 one that
//! overflows (×1e6 in float16, whose largest value is 65504) and a float32 one
//! that takes the log of a negative.

#![cfg(feature = "onnx")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use orbitedge::compute::detector::SceneDetector;
use orbitedge::compute::model::OnnxModel;
use orbitedge::compute::scene::SceneConfig;
use orbitedge::compute::{ComputerConfig, DetectorChoice, ImagerConfig, Latency, Precision};
use orbitedge::prelude::*;
use orbitedge::sim::{EventKind, Simulation, Stepping};
use orbitedge::Error;
use prost::Message;
use tract_onnx::pb::{self, tensor_proto::DataType};

mod common;
use common::{cubesats, epoch, ix5, kiruna};

const N: usize = 32;
const SHAPE: [usize; 4] = [1, 4, N, N];

fn dim(value: &str) -> pb::tensor_shape_proto::Dimension {
    use pb::tensor_shape_proto::{dimension::Value, Dimension};
    Dimension {
        value: Some(match value.parse::<i64>() {
            Ok(n) => Value::DimValue(n),
            Err(_) => Value::DimParam(value.to_string()),
        }),
        ..Default::default()
    }
}

/// A float32 value declared with `dims` (numbers, or symbols such as `N`).
fn value_info(name: &str, dims: &[&str]) -> pb::ValueInfoProto {
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(pb::TensorShapeProto {
                    dim: dims.iter().map(|d| dim(d)).collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute,
        ..Default::default()
    }
}

fn cast(input: &str, output: &str, to: DataType) -> pb::NodeProto {
    let to = pb::AttributeProto {
        name: "to".into(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i: to as i64,
        ..Default::default()
    };
    node("Cast", &[input], output, vec![to])
}

/// A float16 tensor `name` of `dims` filled with `value`.
fn f16_tensor(name: &str, dims: &[i64], value: f32) -> pb::TensorProto {
    let count = dims.iter().product::<i64>() as usize;
    pb::TensorProto {
        name: name.into(),
        data_type: DataType::Float16 as i32,
        dims: dims.to_vec(),
        raw_data: (0..count)
            .flat_map(|_| half::f16::from_f32(value).to_le_bytes())
            .collect(),
        ..Default::default()
    }
}

fn encode(nodes: Vec<pb::NodeProto>, initializer: Vec<pb::TensorProto>, input: &[&str]) -> Vec<u8> {
    pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        graph: Some(pb::GraphProto {
            name: "precision".into(),
            node: nodes,
            initializer,
            input: vec![value_info("x", input)],
            output: vec![value_info("logits", &[])],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// 1×4×N×N → 1×3×N×N "logits" computed in float16: relu(1000 × the sum of
/// the bands)², inf in float16 (largest value 65504) once the sum passes
/// 0.256, about 1e6 × its square (finite) once widened to float32. (A product
/// by a constant would not do: tract folds it into the convolution, which
/// accumulates in float32.)
fn overflowing_float16() -> Vec<u8> {
    encode(
        vec![
            cast("x", "x16", DataType::Float16),
            node("Conv", &["x16", "w"], "conv", vec![]),
            node("Relu", &["conv"], "relu", vec![]),
            node("Mul", &["relu", "relu"], "squared", vec![]),
            cast("squared", "logits", DataType::Float),
        ],
        vec![f16_tensor("w", &[3, 4, 1, 1], 1000.0)],
        &["N", "4", "32", "32"],
    )
}

/// log(−|x| − 1): NaN for every input, in float32.
fn nan_in_float32() -> Vec<u8> {
    let one = pb::TensorProto {
        name: "one".into(),
        data_type: DataType::Float as i32,
        float_data: vec![1.0],
        ..Default::default()
    };
    encode(
        vec![
            node("Abs", &["x"], "abs", vec![]),
            node("Neg", &["abs"], "neg", vec![]),
            node("Sub", &["neg", "one"], "below", vec![]),
            node("Log", &["below"], "logits", vec![]),
        ],
        vec![one],
        &["1", "4", "32", "32"],
    )
}

fn tile(value: f32) -> Vec<f32> {
    vec![value; SHAPE.iter().product()]
}

#[test]
fn a_float16_file_runs_in_float32_unless_float16_is_asked_for() {
    let bytes = overflowing_float16();
    let widened = OnnxModel::from_bytes(&bytes, None).unwrap();
    assert_eq!(widened.report().precision, Precision::Float16);
    assert_eq!(widened.report().run_precision, Precision::Float32);
    let out = widened.run(&tile(0.25), &SHAPE).unwrap();
    // (4 bands × 0.25 × 1000)², exactly: the float16 weights widen exactly.
    assert!(out.values.iter().all(|v| *v == 1.0e6), "{:?}", &out.values[..4]);

    let kept =
        OnnxModel::from_bytes_with_limits(&bytes, None, Precision::Float16, &Default::default()).unwrap();
    assert_eq!(kept.report().run_precision, Precision::Float16);
    match kept.run(&tile(0.25), &SHAPE).unwrap_err() {
        Error::NonFiniteOutput {
            output,
            count,
            total,
            first_value,
            cause,
            ..
        } => {
            assert_eq!(output, "logits");
            assert_eq!((count, total), (3 * N * N, 3 * N * N));
            assert_eq!(first_value, "inf");
            assert!(cause.contains("float16") && cause.contains("overflow"), "{cause}");
            assert!(cause.contains("precision=\"float32\""), "{cause}");
        }
        other => panic!("expected Error::NonFiniteOutput, got {other:?}"),
    }
    // A small input stays within float16's range: the float16 path itself works.
    let small = kept.run(&tile(0.01), &SHAPE).unwrap();
    assert!(
        small.values.iter().all(|v| (v - 1600.0).abs() < 4.0),
        "{:?}",
        &small.values[..4]
    );
}

#[test]
fn nan_from_a_float32_model_is_an_error_naming_the_output() {
    let model = OnnxModel::from_bytes(&nan_in_float32(), None).unwrap();
    assert_eq!(model.report().run_precision, Precision::Float32);
    let err = model.run(&tile(0.25), &SHAPE).unwrap_err();
    let message = err.to_string();
    match err {
        Error::NonFiniteOutput {
            count, first_value, ..
        } => assert_eq!((count, first_value.as_str()), (4 * N * N, "NaN")),
        other => panic!("expected Error::NonFiniteOutput, got {other:?}"),
    }
    assert!(
        message.contains("\"logits\"") && message.contains("4096 non-finite") && message.contains("float32"),
        "{message}"
    );
    // The batch path checks every tile the same way.
    assert!(matches!(
        model.run_batch(&[tile(0.25), tile(0.5)].concat(), &[2, 4, N, N]),
        Err(Error::NonFiniteOutput { .. })
    ));
}

#[test]
fn a_symbolic_batch_defaults_to_one_and_the_declared_shape_is_reported() {
    let model = OnnxModel::from_bytes(&overflowing_float16(), None).unwrap();
    assert_eq!(model.report().input_shape, SHAPE.to_vec());
    assert_eq!(model.report().declared_input_shape, ["N", "4", "32", "32"]);
    // A given shape still wins.
    let four = OnnxModel::from_bytes(&overflowing_float16(), Some(&[4, 4, N, N])).unwrap();
    assert_eq!(four.report().input_shape, vec![4, 4, N, N]);

    // Free spatial dimensions need the shape: the error shows the argument and an example.
    let free = encode(
        vec![node("Relu", &["x"], "logits", vec![])],
        vec![],
        &["batch", "4", "H", "W"],
    );
    let message = OnnxModel::from_bytes(&free, None).unwrap_err().to_string();
    assert!(
        message.contains("[batch, 4, H, W]")
            && message.contains("input_shape=[1, 4, 256, 256]")
            && message.contains("H, W"),
        "{message}"
    );
    let given = OnnxModel::from_bytes(&free, Some(&[1, 4, 8, 8])).unwrap();
    assert_eq!(given.report().output_shape, vec![1, 4, 8, 8]);
}

#[test]
fn precision_names_parse_and_anything_else_is_refused_with_the_choices() {
    assert_eq!(Precision::parse("float32").unwrap(), Precision::Float32);
    assert_eq!(Precision::parse("float16").unwrap(), Precision::Float16);
    assert_eq!(Precision::default(), Precision::Float32);
    let message = Precision::parse("fp16").unwrap_err().to_string();
    assert!(
        message.contains("\"float32\"") && message.contains("\"float16\""),
        "{message}"
    );
}

/// One spacecraft imaging every minute, its iX5 running `model` on 32×32 scenes.
fn simulation_with(model: OnnxModel, precision: Precision) -> Simulation {
    let mut fleet = cubesats("sat", 1, 1, 0, &["products", "images"]);
    let sc = &mut fleet[0];
    sc.imager = Some(ImagerConfig {
        capture_interval_s: 60.0,
        tile_px: N as u32,
        ..Default::default()
    });
    let mut computer = ComputerConfig {
        latency: Latency::Given { latency_s: 2.0 },
        // Given latency alone runs no model: ask for it as the detector.
        detector: Some(DetectorChoice::Model),
        ..ix5()
    };
    computer.model.precision = precision;
    sc.computer = Some(computer);
    let mut sim = Simulation::new(epoch(), fleet, vec![kiruna()], 3).unwrap();
    let scene = SceneConfig {
        size_px: N,
        ..Default::default()
    };
    sim.hooks_mut()[0].set_detector(Arc::new(SceneDetector::new(model, scene).unwrap()));
    sim
}

#[test]
fn a_simulation_logs_inference_failed_keeps_the_tile_and_goes_on() {
    let bytes = overflowing_float16();
    let kept =
        OnnxModel::from_bytes_with_limits(&bytes, None, Precision::Float16, &Default::default()).unwrap();
    let mut sim = simulation_with(kept, Precision::Float16);
    let until = epoch() + Duration::from_hours(3.0);
    sim.run(until, Stepping::EventDriven).unwrap();
    let failed: Vec<_> = sim
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::InferenceFailed {
                job,
                non_finite,
                reason,
            } => Some((*job, *non_finite, reason.clone())),
            _ => None,
        })
        .collect();
    let c = sim
        .snapshots()
        .next()
        .unwrap()
        .onboard()
        .unwrap()
        .counters()
        .clone();
    assert!(failed.len() > 5, "{} failures", failed.len());
    assert!(failed
        .iter()
        .all(|(_, n, reason)| *n > 0 && reason.contains("float16") && reason.contains("overflow")));
    // Failed tiles are kept (their bytes moved from "raw" to the kept partition
    // "images"), never dropped or counted as inferred, and every tile is still
    // accounted for.
    assert_eq!(c.tiles_inference_failed, failed.len() as u64);
    assert_eq!(
        (c.tiles_inferred, c.tiles_kept, c.tiles_dropped_cloudy),
        (0, 0, 0)
    );
    assert_eq!(
        c.tiles_inference_failed,
        c.jobs_started - c.jobs_preempted - running_jobs(&sim)
    );
    let now = sim.snapshots().next().unwrap();
    assert_eq!(now.onboard().unwrap().tiles_unaccounted(), 0);
    let tile_bytes = ImagerConfig {
        tile_px: N as u32,
        ..Default::default()
    }
    .tile_bytes();
    let downlinked = now
        .downlinked_partition_bytes()
        .find(|(name, _)| *name == "images")
        .map_or(0.0, |(_, bytes)| bytes);
    let images = now.partition_used_bytes("images").unwrap() + downlinked;
    assert!(
        (images - failed.len() as f64 * tile_bytes).abs() < 1e-6 * images.max(1.0),
        "{images} bytes kept for {} failed tiles of {tile_bytes} bytes",
        failed.len()
    );
    assert!(sim
        .events()
        .iter()
        .all(|e| !matches!(e.kind, EventKind::JobCompleted { .. })));
    assert!(EventKind::NAMES.contains(&"inference_failed"));

    // The same model widened to float32 processes every tile.
    let widened = OnnxModel::from_bytes(&bytes, None).unwrap();
    let mut sim = simulation_with(widened, Precision::Float32);
    sim.run(until, Stepping::EventDriven).unwrap();
    assert!(sim
        .events()
        .iter()
        .all(|e| !matches!(e.kind, EventKind::InferenceFailed { .. })));
    assert!(sim
        .events()
        .iter()
        .any(|e| matches!(e.kind, EventKind::JobCompleted { .. })));
}

/// 1 when a job is on the device at the end of the run (started, not ended).
fn running_jobs(sim: &Simulation) -> u64 {
    let mut open = false;
    for e in sim.events() {
        match e.kind {
            EventKind::JobStarted { .. } => open = true,
            EventKind::JobCompleted { .. }
            | EventKind::JobPreempted { .. }
            | EventKind::InferenceFailed { .. } => open = false,
            _ => {}
        }
    }
    u64::from(open)
}
