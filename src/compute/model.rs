//! ONNX models loaded and run by [`tract_onnx`].
//!
//! A model is parsed once, its input fact (shape, `f32`) fixed, optimised into
//! a runnable plan and reused for every call. Before running, inputs are
//! checked against that fact, so a wrong shape is a typed error naming the
//! expected and given shapes rather than a failure deep inside tract.
//!
//! The file is inspected on load: parameter count, and its **precision** —
//! float16 weights or casts to float16 are reported, because tract has no
//! native float16 kernels on x86 (≈ 100× slower, and less accurate, than the
//! float32 conversion made by `scripts/convert_fp16_to_fp32.py`).

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tract_onnx::pb::{self, tensor_proto::DataType};
use tract_onnx::prelude::*;

use crate::error::{Error, Result};

pub use crate::compute::Precision;

/// What a model is, for checking it fits a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    /// Size of the ONNX file, bytes.
    pub file_bytes: usize,
    /// Number of weights (elements of the initializers).
    pub parameters: u64,
    /// Weight precision.
    pub precision: Precision,
    /// Input shape the plan was built for.
    pub input_shape: Vec<usize>,
    /// Output shape of the first output.
    pub output_shape: Vec<usize>,
    /// Operator types in the file, sorted, with counts.
    pub operators: Vec<(String, usize)>,
}

/// An optimised, runnable ONNX model with one `f32` input.
///
/// ```
/// use orbitedge::compute::model::OnnxModel;
/// let model = OnnxModel::from_path("tests/data/tiny_cloudnet.onnx", None)?;
/// assert_eq!(model.report().input_shape, vec![1, 4, 32, 32]);
/// let output = model.run(&vec![0.1f32; 4 * 32 * 32], &[1, 4, 32, 32])?;
/// assert_eq!(output.shape, vec![1, 3, 32, 32]);
/// assert!(model.run(&[0.0; 10], &[1, 10]).is_err()); // shape checked up front
/// # Ok::<(), orbitedge::Error>(())
/// ```
#[derive(Clone)]
pub struct OnnxModel {
    plan: Arc<TypedRunnableModel>,
    report: ModelReport,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel").field("report", &self.report).finish()
    }
}

/// A model output.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Shape.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub values: Vec<f32>,
}

fn model_error(reason: impl std::fmt::Display) -> Error {
    Error::Model {
        reason: reason.to_string(),
    }
}

impl OnnxModel {
    /// Loads a model file. `input_shape` fixes the input (required when the file
    /// leaves dimensions symbolic, e.g. a free batch size).
    pub fn from_path(path: impl AsRef<Path>, input_shape: Option<&[usize]>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::ModelFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_bytes(&bytes, input_shape).map_err(|e| match e {
            Error::Model { reason } => Error::ModelFile {
                path: path.display().to_string(),
                reason,
            },
            other => other,
        })
    }

    /// Loads a model from the bytes of an ONNX file.
    pub fn from_bytes(bytes: &[u8], input_shape: Option<&[usize]>) -> Result<Self> {
        let onnx = tract_onnx::onnx();
        let mut proto = onnx
            .proto_model_for_read(&mut &*bytes)
            .map_err(|e| model_error(format!("not a readable ONNX file ({e})")))?;
        let graph = proto
            .graph
            .as_mut()
            .ok_or_else(|| model_error("the file has no graph"))?;
        let (parameters, precision) = inspect_weights(graph);
        let operators = operator_counts(graph);
        let shape: Vec<usize> = match input_shape {
            Some(shape) => shape.to_vec(),
            None => declared_input_shape(graph)?,
        };
        // Intermediate shape hints may carry symbols (a free batch size) that clash with
        // the concrete input fixed here: they are optional, so tract infers them instead.
        graph.value_info.clear();
        let mut model = onnx
            .model_for_proto_model(&proto)
            .map_err(|e| model_error(format!("cannot translate the graph: {}", root_cause(&e))))?;
        if model.input_outlets().map_err(model_error)?.len() != 1 {
            return Err(model_error("only models with exactly one input are supported"));
        }
        model = model
            .with_input_fact(0, f32::fact(&shape).into())
            .map_err(|e| model_error(format!("input shape {shape:?} rejected: {}", root_cause(&e))))?;
        // Declared output facts may be wrong (ukis-csmask declares the batch symbol
        // as the height): let tract infer outputs from the input instead.
        for k in 0..model.output_outlets().map_err(model_error)?.len() {
            model
                .set_output_fact(k, InferenceFact::default())
                .map_err(model_error)?;
        }
        let typed = model
            .into_optimized()
            .map_err(|e| model_error(format!("cannot optimise for input {shape:?}: {}", root_cause(&e))))?;
        let output_shape = typed
            .output_fact(0)
            .ok()
            .and_then(|f| f.shape.as_concrete().map(|s| s.to_vec()))
            .unwrap_or_default();
        let plan = typed.into_runnable().map_err(model_error)?;
        Ok(Self {
            plan,
            report: ModelReport {
                file_bytes: bytes.len(),
                parameters,
                precision,
                input_shape: shape,
                output_shape,
                operators,
            },
        })
    }

    /// What the model is.
    pub fn report(&self) -> &ModelReport {
        &self.report
    }

    /// Runs the model on `input` laid out row-major with `shape`.
    pub fn run(&self, input: &[f32], shape: &[usize]) -> Result<Output> {
        if shape != self.report.input_shape.as_slice() {
            return Err(Error::ShapeMismatch {
                expected: self.report.input_shape.clone(),
                given: shape.to_vec(),
            });
        }
        if input.len() != shape.iter().product::<usize>() {
            return Err(model_error(format!(
                "input has {} values but shape {shape:?} needs {}",
                input.len(),
                shape.iter().product::<usize>()
            )));
        }
        let tensor = Tensor::from_shape(shape, input).map_err(model_error)?;
        let outputs = self.plan.run(tvec!(tensor.into_tvalue())).map_err(model_error)?;
        let first = outputs
            .first()
            .ok_or_else(|| model_error("the model produced no output"))?;
        let view = first
            .to_plain_array_view::<f32>()
            .map_err(|e| model_error(format!("output is not f32: {e}")))?;
        Ok(Output {
            shape: view.shape().to_vec(),
            values: view.iter().copied().collect(),
        })
    }
}

fn root_cause(error: &TractError) -> String {
    error
        .chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

fn declared_input_shape(graph: &pb::GraphProto) -> Result<Vec<usize>> {
    let initializers: std::collections::HashSet<&str> =
        graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let input = graph
        .input
        .iter()
        .find(|i| !initializers.contains(i.name.as_str()))
        .ok_or_else(|| model_error("the graph declares no input"))?;
    let dims = input
        .r#type
        .as_ref()
        .and_then(|t| t.value.as_ref())
        .and_then(|pb::type_proto::Value::TensorType(tensor)| tensor.shape.as_ref())
        .map(|shape| shape.dim.clone())
        .unwrap_or_default();
    dims.iter()
        .map(|d| match &d.value {
            Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) if *v > 0 => Ok(*v as usize),
            _ => Err(model_error(format!(
                "input {:?} has a symbolic or unknown dimension: give the input shape",
                input.name
            ))),
        })
        .collect()
}

fn inspect_weights(graph: &pb::GraphProto) -> (u64, Precision) {
    let parameters = graph
        .initializer
        .iter()
        .map(|t| t.dims.iter().map(|d| (*d).max(0) as u64).product::<u64>())
        .sum();
    let float16 = graph
        .initializer
        .iter()
        .any(|t| t.data_type == DataType::Float16 as i32)
        || graph.node.iter().any(|n| {
            n.op_type == "Cast"
                && n.attribute
                    .iter()
                    .any(|a| a.name == "to" && a.i == DataType::Float16 as i64)
        });
    (
        parameters,
        if float16 {
            Precision::Float16
        } else {
            Precision::Float32
        },
    )
}

fn operator_counts(graph: &pb::GraphProto) -> Vec<(String, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for node in &graph.node {
        *counts.entry(node.op_type.clone()).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}
