//! Memory bounds an ONNX model must fit before tract optimises or runs it.
//!
//! tract allocates every tensor it folds or runs without asking: an input
//! shape of `[1, 4, 100000, 100000]` (160 GB), or a `ConstantOfShape` /
//! `Expand` whose shape tensor asks for 32 GB, makes the allocator fail, and a
//! failed allocation aborts the process (it is not a panic that could be
//! caught). So sizes are estimated from shapes alone, before anything of that
//! size exists, and refused beyond [`ModelLimits`] with
//! [`Error::ResourceLimit`]:
//!
//! 1. the input tensor, from the input shape ([`check_input_shape`]);
//! 2. every tensor tract would evaluate while inferring types: tract folds a
//!    node whose inputs are all known constants by evaluating it, so
//!    [`analyse_within`] drives tract's type inference node by node and, before
//!    each node is inferred, asks the node's rules alone (no evaluation) what
//!    its outputs will be;
//! 3. every tensor of the typed graph and the peak of the tensors alive at once
//!    along its execution order ([`check_typed`]), before decluttering and
//!    again after optimisation.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_hir::infer::Factoid;

use crate::error::{Error, Result};

/// One gibibyte, bytes.
const GIB: u64 = 1 << 30;

/// Passes of node-by-node type inference before handing over to tract's own
/// analysis (which then only confirms): forward passes converge in two or
/// three on real models; the bound keeps a pathological graph from looping.
const MAX_INFERENCE_PASSES: usize = 32;

/// Largest rank accepted for an input shape (ONNX models use up to 6).
pub const MAX_INPUT_RANK: usize = 8;

/// The memory a model may need, checked on load (see the module doc).
///
/// The defaults fit the machines orbitedge targets (a laptop or a CI runner
/// with ≥ 16 GB) with room to spare: the ukis-csmask cloud model needs
/// ≈ 100 MB on a 256 px tile and ≈ 1.5 GB on a 2048 px tile (measured peak
/// resident memory 1.7 GB); at 4096 px one of its activations alone exceeds
/// 2 GiB and the model is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelLimits {
    /// Largest single tensor (input, weight, intermediate or output), bytes.
    /// Default 2 GiB.
    pub max_tensor_bytes: u64,
    /// Largest estimated total of the tensors alive at once during one run
    /// (as [`crate::compute::model::ModelReport::peak_activation_bytes`]),
    /// bytes. Default 8 GiB.
    pub max_peak_bytes: u64,
}

impl Default for ModelLimits {
    fn default() -> Self {
        Self {
            max_tensor_bytes: 2 * GIB,
            max_peak_bytes: 8 * GIB,
        }
    }
}

/// Bytes in words, for messages: `"32.00 GiB (34359738368 bytes)"`.
pub(crate) fn bytes_text(bytes: u128) -> String {
    format!("{:.2} GiB ({bytes} bytes)", bytes as f64 / GIB as f64)
}

fn model_error(reason: impl std::fmt::Display) -> Error {
    Error::Model {
        reason: reason.to_string(),
    }
}

/// Bytes of a tensor of `dims` with `element_bytes` per element; `None` when a
/// dimension is unknown. Computed in `u128`, saturating, so absurd dimensions
/// give an absurd size rather than wrapping to a small one.
fn tensor_bytes(dims: impl IntoIterator<Item = Option<i64>>, element_bytes: usize) -> Result<Option<u128>> {
    let mut volume: u128 = 1;
    for dim in dims {
        match dim {
            None => return Ok(None),
            Some(d) if d < 0 => {
                return Err(model_error(format!(
                    "a tensor would have a negative dimension ({d})"
                )))
            }
            Some(d) => volume = volume.saturating_mul(d as u128),
        }
    }
    Ok(Some(volume.saturating_mul(element_bytes as u128)))
}

/// Refuses a tensor of `bytes` beyond the limit, naming `what` it is.
fn check_tensor_bytes(what: impl FnOnce() -> String, bytes: u128, limits: &ModelLimits) -> Result<()> {
    if bytes <= u128::from(limits.max_tensor_bytes) {
        return Ok(());
    }
    Err(Error::ResourceLimit {
        what: what(),
        estimate: bytes_text(bytes),
        limit: bytes_text(u128::from(limits.max_tensor_bytes)),
        hint: "use a smaller input shape (tile size) or a smaller model; the limit is ModelLimits::max_tensor_bytes"
            .into(),
    })
}

/// Checks an input shape: rank 1 to [`MAX_INPUT_RANK`], every dimension ≥ 1,
/// and its `f32` tensor within the limit.
pub(crate) fn check_input_shape(shape: &[usize], limits: &ModelLimits) -> Result<()> {
    if shape.is_empty() || shape.len() > MAX_INPUT_RANK {
        return Err(model_error(format!(
            "input shape {shape:?} must have 1 to {MAX_INPUT_RANK} dimensions"
        )));
    }
    if shape.contains(&0) {
        return Err(model_error(format!(
            "input shape {shape:?} has a zero dimension: every dimension must be at least 1"
        )));
    }
    let dims = shape.iter().map(|&d| Some(i64::try_from(d).unwrap_or(i64::MAX)));
    let bytes = tensor_bytes(dims, std::mem::size_of::<f32>())?.unwrap_or(u128::MAX);
    check_tensor_bytes(
        || format!("the input tensor of shape {shape:?} (float32)"),
        bytes,
        limits,
    )
}

/// Bytes an inference fact announces, when its shape and every dimension are known.
fn inference_fact_bytes(fact: &InferenceFact) -> Result<Option<u128>> {
    if fact.shape.is_open() {
        return Ok(None);
    }
    let element = fact.datum_type.concretize().map_or(4, |dt| dt.size_of());
    tensor_bytes(
        fact.shape
            .dims()
            .map(|d| d.concretize().and_then(|d| d.to_i64().ok())),
        element,
    )
}

/// Runs tract's type inference over `model` node by node, refusing any node
/// whose outputs would exceed the limits *before* tract evaluates it (see the
/// module doc). Leaves the facts tract's own analysis would find.
pub(crate) fn analyse_within(model: &mut InferenceModel, limits: &ModelLimits) -> Result<()> {
    let order = model
        .eval_order()
        .map_err(|e| model_error(format!("cannot order the graph: {e}")))?;
    for _ in 0..MAX_INFERENCE_PASSES {
        let mut changed = false;
        for &id in &order {
            changed |= infer_node(model, id, limits)?;
        }
        if !changed {
            break;
        }
    }
    Ok(())
}

/// One step of type inference on node `id` (what tract's analyser does), after
/// checking what the node's rules predict. Returns whether a fact changed.
fn infer_node(model: &mut InferenceModel, id: usize, limits: &ModelLimits) -> Result<bool> {
    let name = model.node(id).name.clone();
    let fail = |e: TractError| {
        model_error(format!(
            "type inference failed at node {name:?}: {}",
            crate::compute::model::root_cause(&e)
        ))
    };
    let node = model.node(id);
    let observed_outlets = node.op.observe_outlets(model, node).map_err(fail)?;
    let (inputs, outputs) = model.node_facts(id).map_err(fail)?;
    let inputs: TVec<InferenceFact> = inputs.into_iter().cloned().collect();
    let outputs: TVec<InferenceFact> = outputs.into_iter().cloned().collect();
    let observed = observed_outlets
        .iter()
        .map(|o| model.outlet_fact(*o).cloned())
        .collect::<TractResult<TVec<InferenceFact>>>()
        .map_err(fail)?;
    let mut probe = node.op.clone();
    // The rules alone: what the node will produce, computed from shapes and
    // known values without evaluating it. A rule that fails here fails below too.
    if let Ok((_, predicted, _)) = probe.infer_facts(refs(&inputs), refs(&outputs), refs(&observed)) {
        for (slot, fact) in predicted.iter().enumerate() {
            let what = || format!("output {slot} of node {:?} ({})", node.name, node.op.name());
            let bytes = inference_fact_bytes(fact).map_err(|e| model_error(format!("{}: {e}", what())))?;
            if let Some(bytes) = bytes {
                check_tensor_bytes(what, bytes, limits)?;
            }
        }
    }
    let (new_inputs, new_outputs, new_observed) = model
        .node_mut(id)
        .op
        .infer(refs(&inputs), refs(&outputs), refs(&observed))
        .map_err(fail)?;
    let node = model.node(id);
    let mut changes = vec![];
    let outlets = node
        .inputs
        .iter()
        .copied()
        .zip(new_inputs)
        .chain(
            (0..node.outputs.len())
                .map(|ix| OutletId::new(id, ix))
                .zip(new_outputs),
        )
        .chain(observed_outlets.iter().copied().zip(new_observed));
    for (outlet, fact) in outlets {
        let old = model.outlet_fact(outlet).map_err(fail)?;
        let unified = old.unify(&fact).map_err(fail)?;
        if &unified != old {
            changes.push((outlet, unified));
        }
    }
    let changed = !changes.is_empty();
    for (outlet, fact) in changes {
        model.set_outlet_fact(outlet, fact).map_err(fail)?;
    }
    Ok(changed)
}

fn refs(facts: &[InferenceFact]) -> TVec<&InferenceFact> {
    facts.iter().collect()
}

/// Bytes of one output of a typed node (its fact), when its shape is concrete:
/// its elements, or tract's own size when larger (packed matrices carry
/// buffers of their own).
fn typed_fact_bytes(fact: &TypedFact) -> Result<Option<u128>> {
    let elements = tensor_bytes(
        fact.shape.iter().map(|d| d.to_i64().ok()),
        fact.datum_type.size_of(),
    )?;
    let tract = fact.mem_size().to_i64().ok().and_then(|b| u128::try_from(b).ok());
    Ok(elements.map(|e| e.max(tract.unwrap_or(0))))
}

/// Checks every tensor of a typed model, and the peak of the tensors alive at
/// once along `order`, against the limits; `stage` says when, for messages.
pub(crate) fn check_typed(
    model: &TypedModel,
    order: &[usize],
    limits: &ModelLimits,
    stage: &str,
) -> Result<()> {
    for node in model.nodes().iter().filter(|n| !is_view(n)) {
        for (slot, output) in node.outputs.iter().enumerate() {
            let what = || {
                format!(
                    "output {slot} of node {:?} ({}) {stage}",
                    node.name,
                    node.op.name()
                )
            };
            let bytes =
                typed_fact_bytes(&output.fact).map_err(|e| model_error(format!("{}: {e}", what())))?;
            if let Some(bytes) = bytes {
                check_tensor_bytes(what, bytes, limits)?;
            }
        }
    }
    let order: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&id| !model.node(id).op_is::<Const>())
        .collect();
    let peak = peak_live_bytes(model, &order)?;
    check_peak(peak, limits, stage)
}

/// Refuses an estimated peak of tensors alive at once beyond the limit.
pub(crate) fn check_peak(peak: u64, limits: &ModelLimits, stage: &str) -> Result<()> {
    if peak <= limits.max_peak_bytes {
        return Ok(());
    }
    Err(Error::ResourceLimit {
        what: format!("one run of the model ({stage}: tensors alive at once)"),
        estimate: bytes_text(u128::from(peak)),
        limit: bytes_text(u128::from(limits.max_peak_bytes)),
        hint: "use a smaller input shape (tile size) or a smaller model; the limit is ModelLimits::max_peak_bytes"
            .into(),
    })
}

/// Whether a node's output is a view that is never materialised: a lazy
/// im2col output is its input plus offset tables made at plan time, while its
/// fact announces the whole unfolded matrix.
fn is_view(node: &TypedNode) -> bool {
    node.op.name() == "LazyIm2col"
}

/// Bytes a node's outputs hold while alive (views count nothing).
fn node_output_bytes(model: &TypedModel, id: usize) -> u64 {
    let node = model.node(id);
    if is_view(node) {
        return 0;
    }
    node.outputs
        .iter()
        .map(|o| {
            typed_fact_bytes(&o.fact)
                .ok()
                .flatten()
                .map_or(0, |b| u64::try_from(b).unwrap_or(u64::MAX))
        })
        .fold(0u64, u64::saturating_add)
}

/// Largest total of node outputs alive at once along `order`: a node's outputs
/// live from its step to the last step that reads them, model outputs until
/// the end; an output nobody reads still exists during its own step.
pub(crate) fn peak_live_bytes(model: &TypedModel, order: &[usize]) -> Result<u64> {
    let mut last_use = vec![None::<usize>; model.nodes().len()];
    for (step, &id) in order.iter().enumerate() {
        for input in &model.node(id).inputs {
            last_use[input.node] = Some(step);
        }
    }
    for output in model.output_outlets().map_err(model_error)? {
        last_use[output.node] = Some(order.len());
    }
    let mut dying: Vec<Vec<usize>> = vec![vec![]; order.len() + 1];
    for (step, &id) in order.iter().enumerate() {
        dying[last_use[id].unwrap_or(step).min(order.len())].push(id);
    }
    let (mut live, mut peak) = (0u64, 0u64);
    for (step, &id) in order.iter().enumerate() {
        live = live.saturating_add(node_output_bytes(model, id));
        peak = peak.max(live);
        for &gone in &dying[step] {
            live = live.saturating_sub(node_output_bytes(model, gone));
        }
    }
    Ok(peak)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_shapes_are_bounded_before_anything_is_allocated() {
        let limits = ModelLimits::default();
        assert!(check_input_shape(&[1, 4, 256, 256], &limits).is_ok());
        // 4 × 100000² float32 = 160 GB.
        match check_input_shape(&[1, 4, 100_000, 100_000], &limits) {
            Err(Error::ResourceLimit { estimate, limit, .. }) => {
                assert!(estimate.contains("160000000000 bytes"), "{estimate}");
                assert!(limit.contains("2.00 GiB"), "{limit}");
            }
            other => panic!("{other:?}"),
        }
        // Dimensions whose product overflows 64 bits are still refused, not wrapped.
        assert!(matches!(
            check_input_shape(&[usize::MAX, usize::MAX], &limits),
            Err(Error::ResourceLimit { .. })
        ));
        for bad in [&[][..], &[1, 0, 4], &[1; 9]] {
            assert!(
                matches!(check_input_shape(bad, &limits), Err(Error::Model { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn tensor_bytes_saturate_and_refuse_negative_dimensions() {
        assert_eq!(tensor_bytes([Some(2), Some(3)], 4).unwrap(), Some(24));
        assert_eq!(tensor_bytes([Some(2), None], 4).unwrap(), None);
        assert_eq!(
            tensor_bytes([Some(i64::MAX), Some(i64::MAX), Some(i64::MAX)], 8).unwrap(),
            Some(u128::MAX)
        );
        assert!(tensor_bytes([Some(-1)], 4).is_err());
    }
}
