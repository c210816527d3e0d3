//! ONNX models loaded and run by [`tract_onnx`].
//!
//! A model is parsed once, its input fact (shape, `f32`) fixed, optimised into
//! a runnable plan and reused for every call. Before running, inputs are
//! checked against that fact, so a wrong shape is a typed error naming the
//! expected and given shapes rather than a failure deep inside tract.
//!
//! The file is inspected on load: parameter count, and its **precision** —
//! float16 weights or casts to float16 are reported. Every float16 file is
//! widened to float32 on load (see [`crate::compute::float32`]) unless the
//! caller asks for [`Precision::Float16`]: tract has no native float16 kernels
//! on most hosts (100–300× slower, see [`crate::compute::FLOAT16_SLOW_NOTE`]),
//! and float16 activations overflow to inf above 65504. Widened, a float16
//! file computes what its weights define without rounding activations to
//! float16, so it differs from onnxruntime (which computes in float16) by up to
//! ≈ 4e-2 in the logits of ukis-csmask.
//!
//! Every run checks the output: NaN or infinite values from a finite input are
//! an [`Error::NonFiniteOutput`] naming the output, how many and the likely
//! cause, never numbers passed on.
//!
//! A file whose input leaves the batch (first) dimension symbolic runs with a
//! batch of 1 unless an input shape is given; any other symbolic dimension
//! needs the input shape, and the error shows it with an example.
//!
//! The report also estimates what one run costs, so a user can check a model
//! fits a device: floating-point operations (from tract's own per-operator
//! cost model) and peak memory (weights plus the largest set of intermediate
//! tensors alive at once along the plan's execution order). See
//! [`ModelReport`] for exactly what is counted.
//!
//! Many tiles run through [`OnnxModel::run_batch`]: one plan, shared by rayon's
//! threads, one independent single-threaded run per tile, so results are
//! bit-identical whatever the thread count. [`OnnxModel::profile`] times each
//! node of the plan (`docs/inference-performance.md` uses it).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tract_onnx::pb::{self, tensor_proto::DataType};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::Cost;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::plan::SimpleState;

use crate::compute::{model_budget, onnx_check};
use crate::error::{catch_panic, Error, Result};

pub use crate::compute::model_budget::ModelLimits;
pub use crate::compute::Precision;

/// What a model is, for checking it fits a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    /// Size of the ONNX file, bytes.
    pub file_bytes: usize,
    /// SHA-256 of the ONNX file, hex (keys host calibrations).
    #[serde(default)]
    pub sha256: String,
    /// Number of weights (elements of the initializers).
    pub parameters: u64,
    /// Weight precision.
    pub precision: Precision,
    /// Precision the plan runs in (float32 when widened on load).
    pub run_precision: Precision,
    /// Input shape the plan was built for.
    pub input_shape: Vec<usize>,
    /// The input shape as the file declares it: a number, or the symbol (e.g.
    /// `batch_size`) for a dimension it leaves free, `?` for one it leaves
    /// unnamed. A symbolic batch becomes 1 in `input_shape` unless the caller
    /// gave the shape.
    #[serde(default)]
    pub declared_input_shape: Vec<String>,
    /// Output shape of the first output.
    pub output_shape: Vec<usize>,
    /// Operator types in the file, sorted, with counts.
    pub operators: Vec<(String, usize)>,
    /// Estimated floating-point operations of one run of the plan (all of
    /// `input_shape`, so a batch of k tiles counts k times): 2 × the
    /// multiply-accumulates (`Cost::FMA`) that tract's cost model
    /// (`TypedOp::cost`) gives for every node of the optimised plan.
    /// Convolutions and matrix products count `output points × kernel volume ×
    /// input channels per group`, exactly; tract also charges FMA-equivalents
    /// to some element-wise work (per element: 12 for SiLU, 11 for sigmoid,
    /// 1 for products and for summing reductions); additions, max, padding,
    /// resizing and divisions count nothing. An estimate, not a measurement.
    pub flops_per_inference: u64,
    /// Bytes of the constants (weights) of the graph tract optimises, after
    /// decluttering (batch norms folded in, shape arithmetic folded away), in
    /// their stored type: 4 bytes per float32 weight, 2 per float16. tract
    /// then repacks matrices for its kernels, to about the same size.
    pub weight_bytes: u64,
    /// Largest total size, in bytes, of the tensors alive at the same time
    /// during one run: the input, and every node output from the step that
    /// produces it until the last step that reads it (model outputs until the
    /// end), walking tract's execution order. Inputs and outputs of a step are
    /// counted as distinct buffers (tract runs some element-wise operators in
    /// place, so this errs high); activations packed for a matrix product are
    /// node outputs and count, a lazy im2col output is a view and does not;
    /// scratch space inside an operator (the panels a matrix product packs on
    /// the fly) and allocator overhead are not counted. On ukis-csmask the
    /// measured growth of resident memory during a run matches it (see
    /// `docs/inference-performance.md`).
    pub peak_activation_bytes: u64,
    /// `weight_bytes + peak_activation_bytes`: the memory one run needs
    /// (estimate). [`OnnxModel::run_batch`] keeps one run per rayon thread in
    /// flight, each with its own activations.
    pub peak_memory_bytes: u64,
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
    /// Tiles run so far, shared by clones (a detector holds a clone): how a
    /// caller checks what ran the model (modeled latency must not).
    runs: Arc<AtomicU64>,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel").field("report", &self.report).finish()
    }
}

/// Time spent in one node of the plan, from [`OnnxModel::profile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeTiming {
    /// Node name (from the ONNX graph, with tract's suffixes for the nodes it
    /// made, e.g. `.matmatmul`, `.pad`).
    pub name: String,
    /// Operator as tract runs it (e.g. `OptMatMul`, `DepthWiseConv`).
    pub op: String,
    /// Mean over the profiled runs, seconds.
    pub mean_s: f64,
    /// Fastest of the profiled runs, seconds (robust to a busy machine).
    pub min_s: f64,
    /// Estimated floating-point operations of the node (as in
    /// [`ModelReport::flops_per_inference`]).
    pub flops: u64,
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
    /// Loads a model file, run in float32 (a float16 file is widened on load).
    /// `input_shape` fixes the input: required when the file leaves dimensions
    /// other than the batch symbolic (a symbolic batch is 1 by default).
    pub fn from_path(path: impl AsRef<Path>, input_shape: Option<&[usize]>) -> Result<Self> {
        Self::from_path_with_precision(path, input_shape, Precision::Float32)
    }

    /// As [`OnnxModel::from_path`], run in `precision`: [`Precision::Float16`]
    /// keeps a float16 file's weights and casts as stored (slow and prone to
    /// overflow: see [`crate::compute::FLOAT16_SLOW_NOTE`]); the report says
    /// which precision ran.
    pub fn from_path_with_precision(
        path: impl AsRef<Path>,
        input_shape: Option<&[usize]>,
        precision: Precision,
    ) -> Result<Self> {
        Self::load_file(path.as_ref(), input_shape, precision).map(|(model, _)| model)
    }

    /// The same as [`OnnxModel::from_path`] (float32 has been the default since
    /// every float16 file is widened on load); kept for the callers that name it.
    pub fn from_path_as_float32(path: impl AsRef<Path>, input_shape: Option<&[usize]>) -> Result<Self> {
        Self::from_path(path, input_shape)
    }

    /// Loads a file to run in `precision`, returning its bytes too (the Python
    /// class keeps them to pickle the model).
    pub(crate) fn load_file(
        path: &Path,
        input_shape: Option<&[usize]>,
        precision: Precision,
    ) -> Result<(Self, Vec<u8>)> {
        let bytes = std::fs::read(path).map_err(|e| Error::ModelFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let model = Self::load_bytes(&bytes, input_shape, precision, &ModelLimits::default()).map_err(
            |e| match e {
                Error::Model { reason } => Error::ModelFile {
                    path: path.display().to_string(),
                    reason,
                },
                other => other,
            },
        )?;
        Ok((model, bytes))
    }

    /// Loads a model from the bytes of an ONNX file.
    ///
    /// Safe on arbitrary bytes (the fuzzing entry point, with [`OnnxModel::run`]):
    /// every failure is an [`Error`] — [`Error::Model`] for a file that is not a
    /// valid model, [`Error::ResourceLimit`] for one that would need more memory
    /// than [`ModelLimits::default`], and [`Error::Internal`] if tract still
    /// panics (a bug to report: the checks of [`crate::compute::onnx_check`]
    /// missed a case). Runs in float32, as [`OnnxModel::from_path`].
    pub fn from_bytes(bytes: &[u8], input_shape: Option<&[usize]>) -> Result<Self> {
        Self::load_bytes(bytes, input_shape, Precision::Float32, &ModelLimits::default())
    }

    /// The same as [`OnnxModel::from_bytes`] (float32 is the default).
    pub fn from_bytes_as_float32(bytes: &[u8], input_shape: Option<&[usize]>) -> Result<Self> {
        Self::from_bytes(bytes, input_shape)
    }

    /// As [`OnnxModel::from_bytes`], run in `precision`, with other memory
    /// limits than the defaults.
    pub fn from_bytes_with_limits(
        bytes: &[u8],
        input_shape: Option<&[usize]>,
        precision: Precision,
        limits: &ModelLimits,
    ) -> Result<Self> {
        Self::load_bytes(bytes, input_shape, precision, limits)
    }

    /// Loads, turning a panic inside tract into [`Error::Internal`].
    pub(crate) fn load_bytes(
        bytes: &[u8],
        input_shape: Option<&[usize]>,
        precision: Precision,
        limits: &ModelLimits,
    ) -> Result<Self> {
        catch_panic("loading an ONNX model", || {
            Self::load_checked(bytes, input_shape, precision, limits)
        })
    }

    /// Reads and checks the file, fixes the input, infers types within the
    /// limits, optimises and plans (see [`crate::compute::model_budget`]).
    fn load_checked(
        bytes: &[u8],
        input_shape: Option<&[usize]>,
        precision_asked: Precision,
        limits: &ModelLimits,
    ) -> Result<Self> {
        if bytes.is_empty() {
            return Err(model_error("the file is empty (0 bytes)"));
        }
        let onnx = tract_onnx::onnx();
        let mut proto = onnx
            .proto_model_for_read(&mut &*bytes)
            .map_err(|e| model_error(format!("not a readable ONNX file ({e})")))?;
        let graph = proto
            .graph
            .as_mut()
            .ok_or_else(|| model_error("not a readable ONNX file (it has no graph)"))?;
        onnx_check::check_graph(graph, limits)?;
        let (parameters, precision) = inspect_weights(graph);
        let run_precision = match precision_asked {
            Precision::Float32 => {
                crate::compute::float32::widen_graph(graph);
                Precision::Float32
            }
            Precision::Float16 => precision,
        };
        let operators = operator_counts(graph);
        let declared = declared_input(graph)?;
        let shape: Vec<usize> = match input_shape {
            Some(shape) => shape.to_vec(),
            None => declared.shape_to_run()?,
        };
        model_budget::check_input_shape(&shape, limits)?;
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
        model_budget::analyse_within(&mut model, limits)?;
        let optimise_error =
            |e: TractError| model_error(format!("cannot optimise for input {shape:?}: {}", root_cause(&e)));
        // `into_optimized` in two steps, to weigh the constants in between.
        let mut typed = model.into_typed().map_err(optimise_error)?;
        let order = typed.eval_order().map_err(optimise_error)?;
        model_budget::check_typed(&typed, &order, limits, "after type inference")?;
        typed.declutter().map_err(optimise_error)?;
        let weight_bytes = constant_bytes(&typed);
        typed.optimize().map_err(optimise_error)?;
        let output_shape = typed
            .output_fact(0)
            .ok()
            .and_then(|f| f.shape.as_concrete().map(|s| s.to_vec()))
            .unwrap_or_default();
        let plan = typed.into_runnable().map_err(model_error)?;
        model_budget::check_typed(
            plan.model(),
            plan.order_without_consts(),
            limits,
            "after optimisation",
        )?;
        let cost = plan_cost(&plan)?;
        Ok(Self {
            plan,
            runs: Arc::new(AtomicU64::new(0)),
            report: ModelReport {
                file_bytes: bytes.len(),
                sha256: crate::compute::fetch::sha256_hex(bytes),
                parameters,
                precision,
                run_precision,
                input_shape: shape,
                declared_input_shape: declared.dims.iter().map(Dim::to_string).collect(),
                output_shape,
                operators,
                flops_per_inference: cost.flops,
                weight_bytes,
                peak_activation_bytes: cost.peak_activation_bytes,
                peak_memory_bytes: weight_bytes.saturating_add(cost.peak_activation_bytes),
            },
        })
    }

    /// What the model is.
    pub fn report(&self) -> &ModelReport {
        &self.report
    }

    /// How many tiles this model and its clones have run since it was loaded
    /// (`run`, each tile of `run_batch`, each profiled run and warm-up;
    /// failed runs included).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// Runs the model on `input` laid out row-major with `shape`.
    ///
    /// tract copies `input` once into its own (aligned) tensor; the run is
    /// single-threaded.
    ///
    /// Refused before running: a shape other than the plan's
    /// ([`Error::ShapeMismatch`]), a length that does not match the shape, and
    /// NaN or infinite values ([`Error::NonFiniteInput`]: tract would turn them
    /// into a confident-looking output). An output holding NaN or infinite
    /// values is an [`Error::NonFiniteOutput`]; a panic inside tract an
    /// [`Error::Internal`].
    pub fn run(&self, input: &[f32], shape: &[usize]) -> Result<Output> {
        let tensor = self.input_tensor(input, shape)?;
        self.execute(tensor)
    }

    /// Runs the plan on a checked input tensor; checks the output is finite.
    fn execute(&self, tensor: Tensor) -> Result<Output> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        let output = catch_panic("running an ONNX model", || {
            let outputs = self.plan.run(tvec!(tensor.into_tvalue())).map_err(model_error)?;
            first_output(&outputs)
        })?;
        match first_non_finite(&output.values, &output.shape) {
            None => Ok(output),
            Some(found) => Err(Error::NonFiniteOutput {
                output: self.first_output_name(),
                count: found.count,
                total: output.values.len(),
                first_index: found.index,
                first_value: found.value,
                cause: non_finite_cause(&self.report).to_string(),
            }),
        }
    }

    /// The name of the output [`OnnxModel::run`] returns (its label in the file).
    fn first_output_name(&self) -> String {
        let model = self.plan.model();
        model
            .output_outlets()
            .ok()
            .and_then(|outlets| outlets.first().copied())
            .map(|outlet| {
                model
                    .outlet_label(outlet)
                    .map_or_else(|| model.node(outlet.node).name.clone(), str::to_string)
            })
            .unwrap_or_else(|| "0".to_string())
    }

    /// Runs the model on a stack of inputs: `shape` is the plan's input shape
    /// with its first dimension multiplied by k (e.g. `[k, 4, 256, 256]` for a
    /// plan built for `[1, 4, 256, 256]`). The k slices along the first axis
    /// run independently, in parallel on rayon's current pool (one
    /// single-threaded run of the shared plan per slice, each with its own
    /// intermediate tensors), and their outputs are stacked along the first
    /// axis in input order. Every slice computes exactly what [`run`] computes
    /// on it, so the result is bit-identical whatever the number of threads.
    ///
    /// [`run`]: OnnxModel::run
    pub fn run_batch(&self, input: &[f32], shape: &[usize]) -> Result<Output> {
        let tile_shape = self.report.input_shape.as_slice();
        let tile_batch = tile_shape.first().copied().unwrap_or(1).max(1);
        let fits = shape.len() == tile_shape.len()
            && !shape.is_empty()
            && shape[1..] == tile_shape[1..]
            && shape[0] % tile_batch == 0;
        if !fits {
            return Err(Error::ShapeMismatch {
                expected: tile_shape.to_vec(),
                given: shape.to_vec(),
            });
        }
        check_len(input, shape)?;
        check_finite(input, shape)?;
        let tiles = shape[0] / tile_batch;
        let tile_len: usize = tile_shape.iter().product();
        let outputs: Vec<Output> = (0..tiles)
            .into_par_iter()
            .map(|k| {
                let tile = &input[k * tile_len..(k + 1) * tile_len];
                self.execute(Tensor::from_shape(tile_shape, tile).map_err(model_error)?)
            })
            .collect::<Result<_>>()?;
        let mut shape = outputs
            .first()
            .map(|o| o.shape.clone())
            .unwrap_or_else(|| self.report.output_shape.clone());
        match shape.first_mut() {
            Some(first) => *first *= tiles,
            None => shape = vec![tiles],
        }
        let values = outputs.into_iter().flat_map(|o| o.values).collect();
        Ok(Output { shape, values })
    }

    /// Runs the model `runs` times (at least once, after one untimed warm-up)
    /// on `input` and times every node of the plan, in execution order.
    /// Single-threaded, like [`run`](OnnxModel::run); the clock calls add well
    /// under a microsecond per node.
    pub fn profile(&self, input: &[f32], shape: &[usize], runs: usize) -> Result<Vec<NodeTiming>> {
        let tensor = self.input_tensor(input, shape)?;
        catch_panic("profiling an ONNX model", || self.profile_tensor(tensor, runs))
    }

    fn profile_tensor(&self, tensor: Tensor, runs: usize) -> Result<Vec<NodeTiming>> {
        let model = self.plan.model();
        let order = self.plan.order_without_consts();
        let mut slot = vec![usize::MAX; model.nodes().len()];
        for (k, &id) in order.iter().enumerate() {
            slot[id] = k;
        }
        let mut state = SimpleState::new(&self.plan).map_err(model_error)?;
        state
            .run(tvec!(tensor.clone().into_tvalue()))
            .map_err(model_error)?;
        let runs = runs.max(1);
        self.runs.fetch_add(runs as u64 + 1, Ordering::Relaxed);
        let mut total = vec![0.0f64; order.len()];
        let mut fastest = vec![f64::INFINITY; order.len()];
        for _ in 0..runs {
            let mut this = vec![0.0f64; order.len()];
            state
                .run_plan_with_eval(
                    tvec!(tensor.clone().into_tvalue()),
                    |ctx, op_state, node, inputs| {
                        let start = Instant::now();
                        let result = tract_onnx::tract_core::plan::eval(ctx, op_state, node, inputs);
                        if let Some(t) = this.get_mut(slot[node.id]) {
                            *t += start.elapsed().as_secs_f64();
                        }
                        result
                    },
                )
                .map_err(model_error)?;
            for (k, t) in this.into_iter().enumerate() {
                total[k] += t;
                fastest[k] = fastest[k].min(t);
            }
        }
        order
            .iter()
            .enumerate()
            .map(|(k, &id)| {
                let node = model.node(id);
                Ok(NodeTiming {
                    name: node.name.clone(),
                    op: node.op.name().to_string(),
                    mean_s: total[k] / runs as f64,
                    min_s: fastest[k],
                    flops: node_fma(model, id)?.saturating_mul(2),
                })
            })
            .collect()
    }

    fn input_tensor(&self, input: &[f32], shape: &[usize]) -> Result<Tensor> {
        if shape != self.report.input_shape.as_slice() {
            return Err(Error::ShapeMismatch {
                expected: self.report.input_shape.clone(),
                given: shape.to_vec(),
            });
        }
        check_len(input, shape)?;
        check_finite(input, shape)?;
        Tensor::from_shape(shape, input).map_err(model_error)
    }
}

/// The fuzzing entry point: loads `bytes` as [`OnnxModel::from_bytes`] does
/// (the input shape the file declares) and runs the model once on an input of
/// that shape filled with 0.25. Never panics, whatever the bytes: a panic
/// inside tract comes back as [`Error::Internal`], which a fuzzer should count
/// as a finding (a case the checks before tract missed).
#[doc(hidden)]
pub fn load_and_run(bytes: &[u8]) -> Result<Output> {
    let model = OnnxModel::from_bytes(bytes, None)?;
    let shape = model.report().input_shape.clone();
    let input = vec![0.25f32; shape.iter().product()];
    model.run(&input, &shape)
}

/// The non-finite values of a tensor: how many, the first one and where.
struct NonFinite {
    count: usize,
    index: Vec<usize>,
    value: String,
}

/// Counts the NaN and infinite values of `values` (row-major, `shape`).
fn first_non_finite(values: &[f32], shape: &[usize]) -> Option<NonFinite> {
    let first = values.iter().position(|v| !v.is_finite())?;
    let count = values[first..].iter().filter(|v| !v.is_finite()).count();
    let mut index = vec![0; shape.len()];
    let mut rest = first;
    for (slot, &dim) in index.iter_mut().zip(shape).rev() {
        *slot = rest % dim.max(1);
        rest /= dim.max(1);
    }
    Some(NonFinite {
        count,
        index,
        value: values[first].to_string(),
    })
}

/// Refuses an input holding NaN or infinite values (see [`OnnxModel::run`]).
fn check_finite(input: &[f32], shape: &[usize]) -> Result<()> {
    match first_non_finite(input, shape) {
        None => Ok(()),
        Some(found) => Err(Error::NonFiniteInput {
            count: found.count,
            total: input.len(),
            first_index: found.index,
            first_value: found.value,
        }),
    }
}

fn check_len(input: &[f32], shape: &[usize]) -> Result<()> {
    let needed = shape.iter().product::<usize>();
    if input.len() == needed {
        Ok(())
    } else {
        Err(model_error(format!(
            "input has {} values but shape {shape:?} needs {needed}",
            input.len()
        )))
    }
}

fn first_output(outputs: &[TValue]) -> Result<Output> {
    let first = outputs
        .first()
        .ok_or_else(|| model_error("the model produced no output"))?;
    let view = first
        .to_plain_array_view::<f32>()
        .map_err(|e| model_error(format!("output is not f32: {e}")))?;
    let values = match view.as_slice() {
        Some(slice) => slice.to_vec(),
        None => view.iter().copied().collect(),
    };
    Ok(Output {
        shape: view.shape().to_vec(),
        values,
    })
}

/// What one run of a plan costs (see [`ModelReport`]).
struct PlanCost {
    flops: u64,
    peak_activation_bytes: u64,
}

/// Bytes of the constant tensors of a (decluttered) model.
fn constant_bytes(model: &TypedModel) -> u64 {
    model
        .nodes()
        .iter()
        .filter_map(|node| node.op_as::<Const>())
        .map(|k| (k.val().len() * k.val().datum_type().size_of()) as u64)
        .sum()
}

/// Multiply-accumulates tract's cost model gives for one node.
fn node_fma(model: &TypedModel, id: usize) -> Result<u64> {
    let node = model.node(id);
    let inputs = model.node_input_facts(id).map_err(model_error)?;
    let costs = node.op.cost(&inputs).map_err(model_error)?;
    let mut fma = 0u64;
    for (cost, count) in costs {
        if matches!(cost, Cost::FMA(_)) {
            let count = count
                .to_i64()
                .map_err(|_| model_error(format!("the cost of node {} is not concrete", node.name)))?;
            fma = fma.saturating_add(u64::try_from(count).unwrap_or(0));
        }
    }
    Ok(fma)
}

fn plan_cost(plan: &TypedSimplePlan) -> Result<PlanCost> {
    let model = plan.model();
    let mut flops = 0u64;
    for node in model.nodes() {
        flops = flops.saturating_add(node_fma(model, node.id)?.saturating_mul(2));
    }
    Ok(PlanCost {
        flops,
        peak_activation_bytes: model_budget::peak_live_bytes(model, plan.order_without_consts())?,
    })
}

pub(crate) fn root_cause(error: &TractError) -> String {
    error
        .chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

/// The likely reason a run gave NaN or inf, by the precision it ran in.
fn non_finite_cause(report: &ModelReport) -> &'static str {
    match (report.run_precision, report.precision) {
        (Precision::Float16, _) => {
            "the model runs in float16, whose largest value is 65504: an overflow is the likely \
             cause; load it in float32 (precision=\"float32\", the default)"
        }
        (Precision::Float32, Precision::Float16) => {
            "the model runs in float32 (widened from float16), so not a float16 overflow: the model \
             itself computes it (e.g. a log or square root of a negative, 0/0), or the input is far \
             outside what it was trained on"
        }
        (Precision::Float32, Precision::Float32) => {
            "the model runs in float32: the model itself computes it (e.g. a log or square root of \
             a negative, 0/0), or the input is far outside what it was trained on"
        }
    }
}

/// One dimension of the declared input.
#[derive(Debug, Clone, PartialEq)]
enum Dim {
    Fixed(usize),
    /// A named symbol (`batch_size`, `N`) or an unnamed unknown (`None`).
    Free(Option<String>),
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Free(Some(name)) => f.write_str(name),
            Dim::Free(None) => f.write_str("?"),
        }
    }
}

/// The file's (first non-initializer) input: its name and declared dimensions.
struct DeclaredInput {
    name: String,
    dims: Vec<Dim>,
}

impl DeclaredInput {
    /// The shape to run with when the caller gives none: the declared one, a
    /// free batch (first) dimension set to 1. Any other free dimension is an
    /// error that shows the `input_shape` argument with an example.
    fn shape_to_run(&self) -> Result<Vec<usize>> {
        let shape: Vec<Option<usize>> = self
            .dims
            .iter()
            .enumerate()
            .map(|(k, d)| match d {
                Dim::Fixed(n) => Some(*n),
                Dim::Free(_) if k == 0 => Some(1),
                Dim::Free(_) => None,
            })
            .collect();
        if shape.iter().all(Option::is_some) {
            return Ok(shape.into_iter().flatten().collect());
        }
        let free: Vec<String> = self
            .dims
            .iter()
            .skip(1)
            .filter(|d| matches!(d, Dim::Free(_)))
            .map(Dim::to_string)
            .collect();
        let example: Vec<String> = shape
            .iter()
            .map(|d| d.map_or_else(|| "256".to_string(), |n| n.to_string()))
            .collect();
        let declared: Vec<String> = self.dims.iter().map(Dim::to_string).collect();
        Err(model_error(format!(
            "input {:?} is declared [{}]: the batch (first) dimension defaults to 1, but {} \
             (dimension(s) after the batch) have no size; give the whole shape with the \
             input_shape argument, e.g. input_shape=[{}] (numbers of your choice for {})",
            self.name,
            declared.join(", "),
            free.join(", "),
            example.join(", "),
            free.join(", "),
        )))
    }
}

fn declared_input(graph: &pb::GraphProto) -> Result<DeclaredInput> {
    use pb::tensor_shape_proto::dimension::Value;
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
        .unwrap_or_default()
        .into_iter()
        .map(|d| match d.value {
            Some(Value::DimValue(v)) if v > 0 => Dim::Fixed(v as usize),
            Some(Value::DimParam(name)) if !name.is_empty() => Dim::Free(Some(name)),
            _ => Dim::Free(None),
        })
        .collect();
    Ok(DeclaredInput {
        name: input.name.clone(),
        dims,
    })
}

fn inspect_weights(graph: &pb::GraphProto) -> (u64, Precision) {
    let parameters = graph
        .initializer
        .iter()
        .map(|t| {
            t.dims
                .iter()
                .fold(1u64, |n, d| n.saturating_mul((*d).max(0) as u64))
        })
        .fold(0u64, u64::saturating_add);
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
