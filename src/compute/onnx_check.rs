//! Checks of an ONNX graph before tract sees it.
//!
//! tract trusts the file it translates: a graph output that no node produces
//! is a missing key in its name table (a panic), a convolution with a zero
//! stride divides by zero while computing its padding, a `strides` list shorter
//! than the kernel indexes out of bounds, and a tensor of absurd dimensions is
//! allocated (an abort). Crafted and corrupted files are user input, so the
//! graph is checked first and refused with [`Error::Model`] naming the node,
//! tensor or attribute, or with [`Error::ResourceLimit`] for sizes:
//!
//! - structure: at least one output; every name a node reads or the graph
//!   outputs is a graph input, an initializer or a node output (of this graph
//!   or, in a subgraph, of an enclosing one); each name is produced once;
//!   subgraphs nest at most [`MAX_NESTING`] deep;
//! - tensors (initializers and attribute tensors): an element type tract
//!   loads, non-negative dimensions, at most [`ModelLimits::max_tensor_bytes`],
//!   data inside the file, a raw payload of exactly the announced size;
//! - window attributes of convolutions and pools: kernel, strides and
//!   dilations ≥ 1, pads ≥ 0, each at most [`MAX_WINDOW_EXTENT`], their lengths
//!   consistent with each other and with the kernel's spatial rank, `group ≥ 1`.
//!
//! What a shape tensor computed inside the graph implies is checked later, on
//! tract's own type inference (see [`crate::compute::model_budget`]).

use std::collections::HashSet;

use tract_onnx::pb::{self, tensor_proto::DataType};

use crate::compute::model_budget::{bytes_text, ModelLimits};
use crate::error::{Error, Result};

/// Deepest nesting of subgraphs (`If`, `Loop`, `Scan` bodies) accepted.
pub const MAX_NESTING: usize = 16;

/// Largest kernel size, stride, dilation or padding accepted in a window
/// attribute (per axis): far beyond any real model, far below overflow.
pub const MAX_WINDOW_EXTENT: i64 = 1 << 20;

/// Operators whose `kernel_shape`, `strides`, `dilations` and `pads` describe a
/// sliding window, with the input index of their weight (kernel), if any.
const WINDOW_OPS: &[(&str, Option<usize>)] = &[
    ("Conv", Some(1)),
    ("ConvInteger", Some(1)),
    ("ConvTranspose", Some(1)),
    ("QLinearConv", Some(3)),
    ("MaxPool", None),
    ("AveragePool", None),
    ("LpPool", None),
];

fn model_error(reason: impl std::fmt::Display) -> Error {
    Error::Model {
        reason: reason.to_string(),
    }
}

/// Checks a model's graph (see the module doc).
pub fn check_graph(graph: &pb::GraphProto, limits: &ModelLimits) -> Result<()> {
    check_scope(graph, &HashSet::new(), limits, 0)
}

/// How a node is named in messages: its name, else its first output, with its operator.
fn node_label(node: &pb::NodeProto) -> String {
    let name = if node.name.is_empty() {
        node.output.first().map_or("", String::as_str)
    } else {
        node.name.as_str()
    };
    format!("node {name:?} ({})", node.op_type)
}

/// Checks one graph, in which the names of `outer` (enclosing graphs) are visible.
fn check_scope(
    graph: &pb::GraphProto,
    outer: &HashSet<String>,
    limits: &ModelLimits,
    depth: usize,
) -> Result<()> {
    if depth > MAX_NESTING {
        return Err(model_error(format!(
            "subgraphs nest more than {MAX_NESTING} deep"
        )));
    }
    for tensor in &graph.initializer {
        check_tensor(tensor, &format!("initializer {:?}", tensor.name), limits)?;
    }
    // Names of this graph (a subgraph may shadow enclosing names).
    let mut local: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    local.extend(graph.input.iter().map(|i| i.name.as_str()));
    for node in &graph.node {
        for output in node.output.iter().filter(|o| !o.is_empty()) {
            if !local.insert(output.as_str()) {
                return Err(model_error(format!(
                    "{} produces {output:?}, which already has a producer (ONNX names are assigned once)",
                    node_label(node)
                )));
            }
        }
    }
    let mut known = outer.clone();
    known.extend(local.into_iter().map(str::to_string));
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    for node in &graph.node {
        for input in node.input.iter().filter(|i| !i.is_empty()) {
            if !known.contains(input) {
                return Err(model_error(format!(
                    "{} reads {input:?}, which is neither a graph input, an initializer nor the output of a node",
                    node_label(node)
                )));
            }
        }
        check_attributes(node, graph, &initializers, limits)?;
        for attribute in &node.attribute {
            for subgraph in attribute.g.iter().chain(&attribute.graphs) {
                check_scope(subgraph, &known, limits, depth + 1)?;
            }
        }
    }
    if graph.output.is_empty() {
        return Err(model_error("the graph declares no output"));
    }
    for output in &graph.output {
        if !known.contains(&output.name) {
            return Err(model_error(format!(
                "graph output {:?} is not produced by any node, input or initializer",
                output.name
            )));
        }
    }
    Ok(())
}

/// Bytes per element of the types tract loads (`None`: not loadable; strings
/// count one byte each, their payload being checked separately).
fn element_bytes(data_type: i32) -> Option<usize> {
    use DataType::*;
    let size = match DataType::try_from(data_type).ok()? {
        Bool | Uint8 | Int8 | String => 1,
        Uint16 | Int16 | Float16 => 2,
        Uint32 | Int32 | Float => 4,
        Uint64 | Int64 | Double => 8,
        _ => return None,
    };
    Some(size)
}

/// Values stored outside `raw_data`, in the field tract reads for the type
/// (`None` when tract's choice differs from the ONNX specification: not checked).
fn typed_values(tensor: &pb::TensorProto) -> Option<usize> {
    use DataType::*;
    Some(match DataType::try_from(tensor.data_type).ok()? {
        Float => tensor.float_data.len(),
        Double => tensor.double_data.len(),
        Int64 => tensor.int64_data.len(),
        String => tensor.string_data.len(),
        Bool | Uint8 | Int8 | Uint16 | Int16 | Int32 | Float16 => tensor.int32_data.len(),
        _ => return None,
    })
}

/// Checks a tensor stored in the file (see the module doc); `what` names it.
fn check_tensor(tensor: &pb::TensorProto, what: &str, limits: &ModelLimits) -> Result<()> {
    let Some(element) = element_bytes(tensor.data_type) else {
        return Err(model_error(format!(
            "{what} has element type {} ({:?}), which tract cannot load",
            tensor.data_type,
            DataType::try_from(tensor.data_type).map_or("unknown", |t| t.as_str_name())
        )));
    };
    if let Some(d) = tensor.dims.iter().find(|d| **d < 0) {
        return Err(model_error(format!(
            "{what} has a negative dimension ({d}) in {:?}",
            tensor.dims
        )));
    }
    let volume = tensor
        .dims
        .iter()
        .fold(1u128, |v, d| v.saturating_mul(*d as u128));
    let bytes = volume.saturating_mul(element as u128);
    if bytes > u128::from(limits.max_tensor_bytes) {
        return Err(Error::ResourceLimit {
            what: format!("{what} of dimensions {:?}", tensor.dims),
            estimate: bytes_text(bytes),
            limit: bytes_text(u128::from(limits.max_tensor_bytes)),
            hint: "the file is probably corrupted; the limit is ModelLimits::max_tensor_bytes".into(),
        });
    }
    let external = tensor.data_location == Some(pb::tensor_proto::DataLocation::External as i32)
        || !tensor.external_data.is_empty();
    if external {
        return Err(model_error(format!(
            "{what} keeps its data in an external file, which orbitedge does not load: save the model with its weights inside the .onnx file"
        )));
    }
    if !tensor.raw_data.is_empty() {
        if tensor.data_type == DataType::String as i32 {
            return Err(model_error(format!(
                "{what} stores strings as raw bytes, which tract cannot load"
            )));
        }
        if tensor.raw_data.len() as u128 != bytes {
            return Err(model_error(format!(
                "{what} holds {} bytes of data but its dimensions {:?} need {bytes}",
                tensor.raw_data.len(),
                tensor.dims
            )));
        }
    } else if let Some(count) = typed_values(tensor) {
        if count as u128 != volume {
            return Err(model_error(format!(
                "{what} holds {count} values but its dimensions {:?} need {volume}",
                tensor.dims
            )));
        }
    }
    Ok(())
}

/// An attribute's integers, by name.
fn ints<'a>(node: &'a pb::NodeProto, name: &str) -> Option<&'a [i64]> {
    node.attribute
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.ints.as_slice())
}

/// Checks the attribute tensors of `node` and, for window operators, their geometry.
fn check_attributes(
    node: &pb::NodeProto,
    graph: &pb::GraphProto,
    initializers: &HashSet<&str>,
    limits: &ModelLimits,
) -> Result<()> {
    for attribute in &node.attribute {
        let what = format!("attribute {:?} of {}", attribute.name, node_label(node));
        for tensor in attribute.t.iter().chain(&attribute.tensors) {
            check_tensor(tensor, &what, limits)?;
        }
    }
    let Some((_, weight_input)) = WINDOW_OPS.iter().find(|(op, _)| *op == node.op_type) else {
        return Ok(());
    };
    // The spatial rank, from the weight when it is stored in the file.
    let weight = weight_input
        .and_then(|ix| node.input.get(ix))
        .filter(|name| initializers.contains(name.as_str()))
        .and_then(|name| graph.initializer.iter().find(|t| &t.name == name));
    if let Some(weight) = weight {
        if weight.dims.len() < 3 || weight.dims.contains(&0) {
            return Err(model_error(format!(
                "{}: its weight {:?} must have at least 3 dimensions, none of them 0, got {:?}",
                node_label(node),
                weight.name,
                weight.dims
            )));
        }
    }
    check_window(node, weight.map(|w| w.dims.len() - 2))
}

/// Kernel, strides, dilations and pads of a window operator: ranges and lengths.
fn check_window(node: &pb::NodeProto, weight_rank: Option<usize>) -> Result<()> {
    let label = node_label(node);
    for (name, least) in [
        ("kernel_shape", 1),
        ("strides", 1),
        ("dilations", 1),
        ("pads", 0),
        ("output_padding", 0),
        ("output_shape", 0),
    ] {
        let values = ints(node, name).unwrap_or_default();
        if let Some(v) = values.iter().find(|v| !(least..=MAX_WINDOW_EXTENT).contains(*v)) {
            return Err(model_error(format!(
                "{label}: {name} {values:?} has {v}; each must be in [{least}, {MAX_WINDOW_EXTENT}]"
            )));
        }
    }
    if let Some(group) = node.attribute.iter().find(|a| a.name == "group") {
        if !(1..=MAX_WINDOW_EXTENT).contains(&group.i) {
            return Err(model_error(format!(
                "{label}: group must be at least 1, got {}",
                group.i
            )));
        }
    }
    let rank = weight_rank.or_else(|| ints(node, "kernel_shape").map(<[i64]>::len));
    let pads = ints(node, "pads").map(<[i64]>::len);
    if pads.is_some_and(|p| p % 2 != 0) {
        return Err(model_error(format!(
            "{label}: pads must hold a begin and an end per spatial axis (an even count), got {:?}",
            ints(node, "pads").unwrap_or_default()
        )));
    }
    // Every per-axis list has one value per spatial axis (pads two).
    let lengths = [
        ("kernel_shape", ints(node, "kernel_shape").map(<[i64]>::len)),
        ("strides", ints(node, "strides").map(<[i64]>::len)),
        ("dilations", ints(node, "dilations").map(<[i64]>::len)),
        ("pads", pads.map(|p| p / 2)),
        ("output_padding", ints(node, "output_padding").map(<[i64]>::len)),
    ];
    let axes = rank.or_else(|| lengths.iter().find_map(|(_, n)| *n));
    if let Some(axes) = axes {
        if axes == 0 {
            return Err(model_error(format!(
                "{label}: a window needs at least one spatial axis"
            )));
        }
        if let Some((name, n)) = lengths.iter().find(|(_, n)| n.is_some_and(|n| n != axes)) {
            return Err(model_error(format!(
                "{label}: {name} has {} value(s) for {axes} spatial axes{}",
                n.unwrap_or(0) * if *name == "pads" { 2 } else { 1 },
                if *name == "pads" {
                    " (pads needs two per axis)"
                } else {
                    ""
                }
            )));
        }
    }
    if node.op_type.ends_with("Pool") && ints(node, "kernel_shape").is_none() {
        return Err(model_error(format!("{label}: kernel_shape is required")));
    }
    Ok(())
}
