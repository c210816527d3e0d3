//! Crafted and corrupted ONNX files, and bad inputs, get typed errors — never a
//! panic or an abort (issue 12, defects 5, 6 and 10). The files are built here
//! from tract's protobuf types, most by editing the tiny test model.

#![cfg(feature = "onnx")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::compute::imager::{ImagerConfig, MAX_TILE_PX};
use orbitedge::compute::model::{ModelLimits, OnnxModel, Precision};
use orbitedge::Error;
use prost::Message;
use tract_onnx::pb::{self, attribute_proto::AttributeType, tensor_proto::DataType};

const TINY: &[u8] = include_bytes!("data/tiny_cloudnet.onnx");
const TINY_SHAPE: [usize; 4] = [1, 4, 32, 32];

fn tiny() -> pb::ModelProto {
    pb::ModelProto::decode(TINY).unwrap()
}

fn graph(model: &mut pb::ModelProto) -> &mut pb::GraphProto {
    model.graph.as_mut().unwrap()
}

fn load(model: &pb::ModelProto) -> orbitedge::Result<OnnxModel> {
    OnnxModel::from_bytes(&model.encode_to_vec(), None)
}

/// The reason of an `Error::Model`, failing the test on anything else.
fn model_reason(result: orbitedge::Result<OnnxModel>) -> String {
    match result {
        Err(Error::Model { reason }) => reason,
        other => panic!("expected Error::Model, got {other:?}"),
    }
}

/// What an `Error::ResourceLimit` is about, failing the test on anything else.
fn limit_what(result: orbitedge::Result<OnnxModel>) -> String {
    match result {
        Err(Error::ResourceLimit {
            what,
            estimate,
            limit,
            hint,
        }) => {
            assert!(limit.contains("GiB") && estimate.contains("bytes") && !hint.is_empty());
            what
        }
        other => panic!("expected Error::ResourceLimit, got {other:?}"),
    }
}

fn ints(name: &str, values: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: values.to_vec(),
        ..Default::default()
    }
}

fn node(op: &str, name: &str, inputs: &[&str], output: &str) -> pb::NodeProto {
    pb::NodeProto {
        op_type: op.into(),
        name: name.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        ..Default::default()
    }
}

fn i64_tensor(name: &str, values: &[i64]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        data_type: DataType::Int64 as i32,
        dims: vec![values.len() as i64],
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

fn f32_scalar(name: &str, value: f32) -> pb::TensorProto {
    pb::TensorProto {
        name: name.into(),
        data_type: DataType::Float as i32,
        float_data: vec![value],
        ..Default::default()
    }
}

/// A float32 value declared with `dims`.
fn value_info(name: &str, dims: &[i64]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{dimension::Value, Dimension};
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(Value::DimValue(*d)),
            ..Default::default()
        })
        .collect();
    pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(pb::TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A model with input `x` of the tiny model's shape, `nodes` and `initializers`,
/// whose output is `y`.
fn model(nodes: Vec<pb::NodeProto>, initializers: Vec<pb::TensorProto>) -> pb::ModelProto {
    pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: 17,
        }],
        graph: Some(pb::GraphProto {
            name: "crafted".into(),
            node: nodes,
            initializer: initializers,
            input: vec![value_info("x", &[1, 4, 32, 32])],
            output: vec![value_info("y", &[])],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Edits the attributes of the tiny model's first convolution.
fn tiny_with_conv1(edit: impl FnOnce(&mut Vec<pb::AttributeProto>)) -> pb::ModelProto {
    let mut m = tiny();
    let conv = graph(&mut m)
        .node
        .iter_mut()
        .find(|n| n.op_type == "Conv")
        .unwrap();
    edit(&mut conv.attribute);
    m
}

fn set(attributes: &mut Vec<pb::AttributeProto>, attribute: pb::AttributeProto) {
    attributes.retain(|a| a.name != attribute.name);
    attributes.push(attribute);
}

#[test]
fn the_crafting_helpers_make_loadable_models() {
    // The base cases load, so every refusal below is due to its one edit.
    assert!(load(&tiny()).is_ok());
    let relu = model(vec![node("Relu", "relu", &["x"], "y")], vec![]);
    assert_eq!(load(&relu).unwrap().report().output_shape, TINY_SHAPE.to_vec());
}

#[test]
fn outputs_that_nothing_produces_are_refused_by_name() {
    // Used to panic inside tract-onnx's loader (a missing key in its name table).
    let mut m = tiny();
    graph(&mut m).output[0].name = "nowhere".into();
    let reason = model_reason(load(&m));
    assert!(
        reason.contains("\"nowhere\"") && reason.contains("not produced"),
        "{reason}"
    );

    let mut m = tiny();
    graph(&mut m).output.clear();
    assert!(model_reason(load(&m)).contains("declares no output"));

    let mut m = tiny();
    graph(&mut m).node[1].input[0] = "ghost".into();
    let reason = model_reason(load(&m));
    assert!(reason.contains("reads \"ghost\""), "{reason}");

    let mut m = tiny();
    let first = graph(&mut m).node[0].output[0].clone();
    graph(&mut m).node[1].output[0] = first;
    assert!(model_reason(load(&m)).contains("already has a producer"));
}

#[test]
fn huge_dimensions_are_refused_before_allocating() {
    // An initializer announcing 2^80 floats.
    let mut m = tiny();
    graph(&mut m).initializer[0].dims = vec![1 << 40, 1 << 40];
    let what = limit_what(load(&m));
    assert!(what.contains("initializer"), "{what}");

    // A declared input of 2^40 × 4 × 32 × 32 floats (the input shape comes from the file).
    let mut m = tiny();
    graph(&mut m).input[0] = value_info("input", &[1 << 40, 4, 32, 32]);
    assert!(limit_what(load(&m)).contains("input tensor"));

    // Or given: 160 GB, which used to abort in tract's optimiser (defect 5).
    let given = OnnxModel::from_bytes(TINY, Some(&[1, 4, 100_000, 100_000]));
    assert!(limit_what(given).contains("[1, 4, 100000, 100000]"));

    // Dimensions that do not match the stored data.
    let mut m = tiny();
    graph(&mut m).initializer[0].dims[0] += 1;
    assert!(model_reason(load(&m)).contains("need"));

    // Zero and negative dimensions.
    let zero = OnnxModel::from_bytes(TINY, Some(&[1, 0, 32, 32]));
    assert!(model_reason(zero).contains("zero dimension"));
    let mut m = tiny();
    graph(&mut m).initializer[0].dims[0] = -8;
    assert!(model_reason(load(&m)).contains("negative dimension"));
}

#[test]
fn shape_tensors_that_imply_huge_tensors_are_refused() {
    // Expand of the input to a million copies (16 GB).
    let expand = model(
        vec![node("Expand", "expand", &["x", "shape"], "y")],
        vec![i64_tensor("shape", &[1_000_000, 4, 32, 32])],
    );
    assert!(limit_what(load(&expand)).contains("\"expand\""));
    // An Expand that cannot broadcast is refused as such.
    let mismatch = model(
        vec![node("Expand", "expand", &["x", "shape"], "y")],
        vec![i64_tensor("shape", &[1, 4, 100_000, 100_000])],
    );
    assert!(model_reason(load(&mismatch)).contains("expand"));

    // Expand of a constant to 32 GiB: tract evaluates constant nodes while
    // inferring types, so this one is refused before type inference reaches it
    // (tract calls Expand MultiBroadcastTo).
    let constant = model(
        vec![
            node("Expand", "big", &["one", "shape"], "big"),
            node("Add", "add", &["x", "big"], "y"),
        ],
        vec![
            f32_scalar("one", 1.0),
            i64_tensor("shape", &[1, 4, 65_536, 32_768]),
        ],
    );
    let what = limit_what(load(&constant));
    assert!(
        what.contains("\"big\"") && what.contains("MultiBroadcastTo"),
        "{what}"
    );

    let fill = model(
        vec![
            node("ConstantOfShape", "fill", &["shape"], "zeros"),
            node("Add", "add", &["x", "zeros"], "y"),
        ],
        vec![i64_tensor("shape", &[1 << 20, 1 << 20])],
    );
    assert!(limit_what(load(&fill)).contains("\"fill\""));

    let tile = model(
        vec![node("Tile", "tile", &["x", "repeats"], "y")],
        vec![i64_tensor("repeats", &[1, 1, 10_000, 10_000])],
    );
    assert!(limit_what(load(&tile)).contains("\"tile\""));
}

#[test]
fn window_attributes_are_checked_before_tract_divides_by_them() {
    // A zero stride used to divide by zero in tract's padding computation.
    let cases: Vec<(pb::AttributeProto, &str)> = vec![
        (ints("strides", &[0, 0]), "strides"),
        (ints("strides", &[1]), "strides has 1 value(s) for 2 spatial axes"),
        (ints("dilations", &[0, 1]), "dilations"),
        (ints("pads", &[1, 1, 1]), "even count"),
        (ints("pads", &[-1, 0, 0, 0]), "pads"),
        (ints("pads", &[1, 1]), "pads has 2 value(s) for 2 spatial axes"),
        (ints("kernel_shape", &[3, 0]), "kernel_shape"),
        (ints("kernel_shape", &[3, 3, 3]), "kernel_shape has 3"),
        (ints("strides", &[1 << 40, 1]), "strides"),
        (
            pb::AttributeProto {
                name: "group".into(),
                r#type: AttributeType::Int as i32,
                i: 0,
                ..Default::default()
            },
            "group",
        ),
    ];
    for (attribute, expected) in cases {
        let name = attribute.name.clone();
        let reason = model_reason(load(&tiny_with_conv1(|a| set(a, attribute))));
        assert!(
            reason.contains(expected) && reason.contains("conv1"),
            "{name}: {reason}"
        );
    }
    // A kernel with a zero extent.
    let mut m = tiny();
    graph(&mut m).initializer[0].dims = vec![8, 4, 0, 3];
    graph(&mut m).initializer[0].raw_data.clear();
    graph(&mut m).initializer[0].float_data.clear();
    assert!(model_reason(load(&m)).contains("none of them 0"));
}

#[test]
fn unreadable_bytes_are_model_errors() {
    assert!(model_reason(OnnxModel::from_bytes(b"", None)).contains("empty"));
    for cut in [1, 10, TINY.len() / 2, TINY.len() - 1] {
        let reason = model_reason(OnnxModel::from_bytes(&TINY[..cut], None));
        assert!(!reason.is_empty(), "{cut}");
    }
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(model_reason(OnnxModel::from_bytes(&garbage, None)).contains("ONNX"));

    // Weights in an external file are not read (from bytes, relative to what?).
    let mut m = tiny();
    let weight = &mut graph(&mut m).initializer[0];
    weight.raw_data.clear();
    weight.data_location = Some(pb::tensor_proto::DataLocation::External as i32);
    weight.external_data = vec![pb::StringStringEntryProto {
        key: "location".into(),
        value: "weights.bin".into(),
    }];
    assert!(model_reason(load(&m)).contains("external file"));

    // An element type tract cannot load.
    let mut m = tiny();
    graph(&mut m).initializer[0].data_type = DataType::Complex64 as i32;
    assert!(model_reason(load(&m)).contains("cannot load"));
}

#[test]
fn a_panic_inside_tract_is_an_internal_error() {
    // A Range with a zero step divides by zero inside tract's type inference;
    // the panic is caught, not passed on.
    let range = model(
        vec![
            node("Range", "range", &["start", "limit", "delta"], "r"),
            node("Add", "add", &["x", "r"], "y"),
        ],
        vec![
            f32_scalar("start", 0.0),
            f32_scalar("limit", 10.0),
            f32_scalar("delta", 0.0),
        ],
    );
    match load(&range) {
        Err(Error::Internal { context, message }) => {
            assert!(context.contains("ONNX"), "{context}");
            assert!(message.contains("divide by zero"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_finite_inputs_are_refused_with_where_and_how_many() {
    let model = OnnxModel::from_bytes(TINY, None).unwrap();
    let mut input = vec![0.25f32; 4 * 32 * 32];
    input[32 + 5] = f32::NAN;
    input[3 * 1024] = f32::INFINITY;
    match model.run(&input, &TINY_SHAPE) {
        Err(Error::NonFiniteInput {
            count,
            total,
            first_index,
            first_value,
        }) => {
            assert_eq!((count, total), (2, 4096));
            assert_eq!(first_index, vec![0, 0, 1, 5]);
            assert_eq!(first_value, "NaN");
        }
        other => panic!("{other:?}"),
    }
    // An all-NaN tile used to come out as a confident mask (onnxruntime gives NaN).
    let nan = vec![f32::NAN; 4096];
    let err = model.run(&nan, &TINY_SHAPE).unwrap_err();
    assert!(err.to_string().contains("4096 non-finite"), "{err}");
    // In a batch, the index is the batch's: tile 2 here.
    let mut batch = vec![0.25f32; 3 * 4096];
    batch[2 * 4096 + 7] = f32::NEG_INFINITY;
    match model.run_batch(&batch, &[3, 4, 32, 32]) {
        Err(Error::NonFiniteInput {
            first_index,
            first_value,
            ..
        }) => {
            assert_eq!(first_index, vec![2, 0, 0, 7]);
            assert_eq!(first_value, "-inf");
        }
        other => panic!("{other:?}"),
    }
    assert!(model.profile(&nan, &TINY_SHAPE, 1).is_err());
}

#[test]
fn non_finite_outputs_are_model_errors() {
    // An infinite bias makes the softmax compute inf − inf = NaN.
    let mut m = tiny();
    let bias = graph(&mut m)
        .initializer
        .iter_mut()
        .find(|t| t.name == "conv2.bias")
        .unwrap();
    bias.raw_data.clear();
    bias.float_data = vec![f32::INFINITY; 3];
    let model = load(&m).unwrap();
    let err = model.run(&[0.25; 4096], &TINY_SHAPE).unwrap_err();
    match err {
        Error::NonFiniteOutput {
            count, total, cause, ..
        } => {
            assert_eq!((count, total), (3 * 32 * 32, 3 * 32 * 32));
            assert!(cause.contains("float32"), "{cause}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn memory_limits_are_configurable() {
    let small = ModelLimits {
        max_tensor_bytes: 8 * 1024,
        ..ModelLimits::default()
    };
    // The 16 KiB input is over an 8 KiB limit.
    let what = limit_what_any(OnnxModel::from_bytes_with_limits(
        TINY,
        None,
        Precision::Float32,
        &small,
    ));
    assert!(what.contains("input tensor"), "{what}");
    let peak = ModelLimits {
        max_peak_bytes: 20_000,
        ..ModelLimits::default()
    };
    let what = limit_what_any(OnnxModel::from_bytes_with_limits(
        TINY,
        None,
        Precision::Float32,
        &peak,
    ));
    assert!(what.contains("alive at once"), "{what}");
    let roomy =
        OnnxModel::from_bytes_with_limits(TINY, None, Precision::Float32, &ModelLimits::default()).unwrap();
    assert!(roomy.report().peak_activation_bytes <= ModelLimits::default().max_peak_bytes);
}

/// As [`limit_what`], for limits below a GiB.
fn limit_what_any(result: orbitedge::Result<OnnxModel>) -> String {
    match result {
        Err(Error::ResourceLimit { what, .. }) => what,
        other => panic!("expected Error::ResourceLimit, got {other:?}"),
    }
}

#[test]
fn tile_sizes_are_bounded_in_the_imager() {
    // tile_px = 100000 used to abort in tract's optimiser.
    for tile_px in [MAX_TILE_PX + 1, 100_000] {
        let imager = ImagerConfig {
            tile_px,
            ..Default::default()
        };
        assert!(matches!(
            imager.validated(),
            Err(Error::InvalidParameter { name: "tile_px", .. })
        ));
    }
}
