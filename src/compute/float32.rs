//! Float16 → float32 conversion of an ONNX graph, in memory.
//!
//! tract has no native float16 kernels on x86: a float16 model runs 100–300× slower
//! and less accurately than the same weights in float32. Every float16 value is
//! exactly representable in float32, so widening the initializers, constant
//! tensors, casts and declared types gives a graph that computes what the float16
//! weights define, without float16 rounding of activations. This is what
//! `scripts/convert_fp16_to_fp32.py` does to files; here it is done on load.

use tract_onnx::pb::{self, tensor_proto::DataType, type_proto};

/// What a conversion changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conversion {
    /// Float16 tensors (initializers and attribute tensors) widened.
    pub tensors: usize,
    /// `Cast(to=FLOAT16)` nodes turned into `Cast(to=FLOAT)`.
    pub casts: usize,
    /// Declared float16 types (inputs, outputs, value_info) widened.
    pub types: usize,
}

impl Conversion {
    /// True when nothing was float16.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn widen_tensor(tensor: &mut pb::TensorProto) -> bool {
    if tensor.data_type != DataType::Float16 as i32 {
        return false;
    }
    let halves: Vec<half::f16> = if tensor.raw_data.is_empty() {
        // Packed one value per int32 (the low 16 bits).
        tensor
            .int32_data
            .iter()
            .map(|v| half::f16::from_bits(*v as u16))
            .collect()
    } else {
        tensor
            .raw_data
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]))
            .collect()
    };
    tensor.raw_data = halves.iter().flat_map(|h| h.to_f32().to_le_bytes()).collect();
    tensor.int32_data.clear();
    tensor.data_type = DataType::Float as i32;
    true
}

fn widen_value_info(info: &mut pb::ValueInfoProto) -> bool {
    match info.r#type.as_mut().and_then(|t| t.value.as_mut()) {
        Some(type_proto::Value::TensorType(tensor)) if tensor.elem_type == DataType::Float16 as i32 => {
            tensor.elem_type = DataType::Float as i32;
            true
        }
        _ => false,
    }
}

/// Widens every float16 value of `graph` (and its subgraphs) to float32.
pub fn widen_graph(graph: &mut pb::GraphProto) -> Conversion {
    let mut done = Conversion::default();
    for tensor in &mut graph.initializer {
        done.tensors += usize::from(widen_tensor(tensor));
    }
    for info in graph
        .input
        .iter_mut()
        .chain(&mut graph.output)
        .chain(&mut graph.value_info)
    {
        done.types += usize::from(widen_value_info(info));
    }
    for node in &mut graph.node {
        let is_cast = node.op_type == "Cast";
        for attribute in &mut node.attribute {
            if is_cast && attribute.name == "to" && attribute.i == DataType::Float16 as i64 {
                attribute.i = DataType::Float as i64;
                done.casts += 1;
            }
            if let Some(t) = attribute.t.as_mut() {
                done.tensors += usize::from(widen_tensor(t));
            }
            for t in &mut attribute.tensors {
                done.tensors += usize::from(widen_tensor(t));
            }
            for g in attribute.g.iter_mut().chain(&mut attribute.graphs) {
                let inner = widen_graph(g);
                done.tensors += inner.tensors;
                done.casts += inner.casts;
                done.types += inner.types;
            }
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widens_raw_and_packed_halves_exactly() {
        let values = [0.5f32, -2.0, 65504.0, 1.0e-4];
        let raw: Vec<u8> = values
            .iter()
            .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
            .collect();
        let mut a = pb::TensorProto {
            data_type: DataType::Float16 as i32,
            raw_data: raw,
            ..Default::default()
        };
        let mut b = pb::TensorProto {
            data_type: DataType::Float16 as i32,
            int32_data: values
                .iter()
                .map(|v| i32::from(half::f16::from_f32(*v).to_bits()))
                .collect(),
            ..Default::default()
        };
        for t in [&mut a, &mut b] {
            assert!(widen_tensor(t));
            let got: Vec<f32> = t
                .raw_data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let expected: Vec<f32> = values.iter().map(|v| half::f16::from_f32(*v).to_f32()).collect();
            assert_eq!(got, expected);
            assert_eq!(t.data_type, DataType::Float as i32);
        }
        let mut float = pb::TensorProto {
            data_type: DataType::Float as i32,
            ..Default::default()
        };
        assert!(!widen_tensor(&mut float));
    }
}
