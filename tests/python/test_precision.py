"""Precision and inputs (issue 15): float16 files run in float32 unless ``precision="float16"``
is asked for (which warns); NaN or inf out of a model raises ``ModelError`` and, in a scenario,
logs ``inference_failed`` with the tile kept; input dtypes are converted or refused with the
call to make; a symbolic batch dimension defaults to 1.

The models are small ones built here with onnx's helper API (installed with the model files by
``scripts/prepare_cloud_model.sh``): a float16 one whose squared activations overflow float16
(largest value 65504) and a float32 one that takes the log of a negative.
"""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import pytest

import orbitedge as oe

N = 32
SHAPE = [1, 4, N, N]


def save(path: pathlib.Path, nodes, initializers, input_dims) -> pathlib.Path:
    import onnx  # installed with the model files: fail, do not skip, without it
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes,
        "precision",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_dims)],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, None)],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def overflowing_float16(path: pathlib.Path) -> pathlib.Path:
    """1x4xNxN -> 1x3xNxN: relu(1000 x the sum of the bands)^2 computed in float16, so inf once
    the sum passes 0.256; about 1e6 x its square once widened to float32. The batch is symbolic."""
    from onnx import TensorProto, helper, numpy_helper

    w = np.full((3, 4, 1, 1), 1000, np.float16)
    nodes = [
        helper.make_node("Cast", ["x"], ["x16"], to=TensorProto.FLOAT16),
        helper.make_node("Conv", ["x16", "w"], ["conv"]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("Mul", ["relu", "relu"], ["squared"]),
        helper.make_node("Cast", ["squared"], ["logits"], to=TensorProto.FLOAT),
    ]
    return save(path, nodes, [numpy_helper.from_array(w, "w")], ["batch", 4, N, N])


def nan_in_float32(path: pathlib.Path) -> pathlib.Path:
    """log(-|x| - 1): NaN for every input."""
    from onnx import helper, numpy_helper

    nodes = [
        helper.make_node("Abs", ["x"], ["abs"]),
        helper.make_node("Neg", ["abs"], ["neg"]),
        helper.make_node("Sub", ["neg", "one"], ["below"]),
        helper.make_node("Log", ["below"], ["logits"]),
    ]
    return save(path, nodes, [numpy_helper.from_array(np.array(1, np.float32), "one")], SHAPE)


@pytest.fixture(scope="module")
def overflow_path(tmp_path_factory) -> pathlib.Path:
    return overflowing_float16(tmp_path_factory.mktemp("models") / "overflow-fp16.onnx")


def test_a_float16_file_runs_in_float32_by_default(overflow_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default precision warns about nothing
        model = oe.OnnxModel(overflow_path)
    report = model.report()
    assert (report["precision"], report["run_precision"]) == ("float16", "float32")
    out = model.run(np.full(SHAPE, 0.25, np.float32))
    assert out.shape == (1, 3, N, N) and np.all(out == 1e6)  # (4 x 0.25 x 1000)^2, exactly


def test_float16_when_asked_for_warns_and_its_overflow_raises_model_error(overflow_path):
    with pytest.warns(oe.errors.Float16Warning, match="100-300x slower"):
        model = oe.OnnxModel(overflow_path, precision="float16")
    assert model.report()["run_precision"] == "float16"
    with pytest.raises(oe.ModelError) as caught:
        model.run(np.full(SHAPE, 0.25, np.float32))
    message = str(caught.value)
    assert isinstance(caught.value, oe.errors.NonFiniteOutputError)
    assert '"logits"' in message and "3072 non-finite" in message, message
    assert "float16" in message and "overflow" in message and 'precision="float32"' in message, message
    # Within float16's range the half path computes.
    small = model.run(np.full(SHAPE, 0.01, np.float32))
    assert np.allclose(small, 1600, rtol=3e-3)


def test_nan_from_a_float32_model_raises_model_error_by_default(tmp_path):
    model = oe.OnnxModel(nan_in_float32(tmp_path / "nan.onnx"))
    with pytest.raises(oe.ModelError, match=r'output "logits" has 4096 non-finite value\(s\).*float32'):
        model.run(np.full(SHAPE, 0.25, np.float32))
    with pytest.raises(oe.ModelError, match="non-finite"):
        model.run_batch(np.full([2, 4, N, N], 0.25, np.float32))


def test_an_unknown_precision_is_an_input_error_naming_the_choices(overflow_path):
    for bad in ("fp16", "float64", ""):
        with pytest.raises(oe.InputError, match=r'precision .*"float32".*"float16"'):
            oe.OnnxModel(overflow_path, precision=bad)
    with pytest.raises(ValueError, match="precision"):
        oe.OnnxModel.from_bytes(overflow_path.read_bytes(), precision="half")


def test_numeric_dtypes_are_converted_and_others_refused_with_the_call_to_make(tmp_path):
    model = oe.OnnxModel(pathlib.Path(__file__).parents[1] / "data" / "tiny_cloudnet.onnx")
    x = np.random.default_rng(4).uniform(-2, 2, SHAPE).astype(np.float32)
    expected = model.run(x)
    assert np.array_equal(model.run(x.astype(np.float64)), expected)
    assert np.array_equal(model.run_batch(x.astype(np.float64)), expected)
    # Integers, unsigned integers, float16 and nested lists: the same as their float32 values.
    for converted in (np.rint(x * 10).astype(np.int64), np.rint(np.abs(x) * 10).astype(np.uint8), x.astype(np.float16)):
        assert np.array_equal(model.run(converted), model.run(converted.astype(np.float32)))
    assert np.array_equal(model.run(x.tolist()), expected)
    for refused in (x.astype(str), x.astype(object), np.zeros(SHAPE, dtype="datetime64[s]")):
        with pytest.raises(oe.InputError, match=r"not numeric.*arr\.astype\(np\.float32\)"):
            model.run(refused)
    # The shape is still checked after a conversion.
    with pytest.raises(oe.errors.ShapeError):
        model.run(np.zeros([1, 4, 16, 16]))


def test_a_symbolic_batch_defaults_to_one_and_is_reported(overflow_path):
    model = oe.OnnxModel(overflow_path)
    assert model.report()["input_shape"] == SHAPE
    assert model.report()["declared_input_shape"] == ["batch", "4", "32", "32"]
    assert "input_shape=[1, 4, 32, 32] (declared [batch, 4, 32, 32]: batch 1 by default)" in repr(model)
    assert oe.OnnxModel(overflow_path, input_shape=[3, 4, N, N]).report()["input_shape"] == [3, 4, N, N]


def test_free_dimensions_other_than_the_batch_ask_for_input_shape_with_an_example(tmp_path):
    from onnx import helper

    path = save(tmp_path / "free.onnx", [helper.make_node("Relu", ["x"], ["logits"])], [], ["n", 4, "h", "w"])
    with pytest.raises(oe.ModelError, match=r"\[n, 4, h, w\].*input_shape=\[1, 4, 256, 256\].*h, w"):
        oe.OnnxModel(path)
    assert oe.OnnxModel(path, input_shape=[1, 4, 8, 8]).report()["output_shape"] == [1, 4, 8, 8]


def scenario_with(model: pathlib.Path, precision: str) -> oe.Scenario:
    """The default scenario for 3 hours, on 32x32 tiles, with ``model`` in ``precision``."""
    text = (
        oe.Scenario.default()
        .to_toml()
        .replace("duration_h = 24.0", "duration_h = 3.0")
        .replace("tile_px = 256", f"tile_px = {N}")
        .replace('path = "ukis-csmask:4b-l1c"', f'path = "{model}"')
        .replace('precision = "float32"', f'precision = "{precision}"')
    )
    assert f'precision = "{precision}"' in text
    return oe.Scenario.from_toml(text)


def test_a_scenario_logs_inference_failed_keeps_the_tile_and_goes_on(overflow_path):
    sim = scenario_with(overflow_path, "float16").run()
    events = sim.events(since=0)
    failed = [e for e in events if e.kind == "inference_failed"]
    assert failed, "the float16 overflow should fail some inferences"
    assert all(e.data()["non_finite"] > 0 and "overflow" in e.data()["reason"] for e in failed)
    assert "kept unprocessed" in failed[0].detail
    states = [s["onboard"] for s in sim.states()]
    assert sum(s["tiles_inference_failed"] for s in states) == len(failed)
    assert all(s["tiles_unaccounted"] == 0 for s in states)
    # Failed tiles are neither inferred nor dropped as cloudy; the run went on to its end.
    kinds = {e.kind for e in events}
    assert "job_completed" not in kinds and {"job_started", "image_captured", "light_changed"} <= kinds
    assert sum(s["tiles_inferred"] + s["tiles_dropped_cloudy"] for s in states) == 0

    # The same file in float32 (the default) runs every inference.
    sim32 = scenario_with(overflow_path, "float32").run()
    kinds32 = {e.kind for e in sim32.events(since=0)}
    assert "inference_failed" not in kinds32 and "job_completed" in kinds32
