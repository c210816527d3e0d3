"""Real inference: tract (through orbitedge) against onnxruntime on the same
inputs, max |difference| ≤ 1e-4; typed errors for bad models and inputs."""

import pathlib

import numpy as np
import pytest

import orbitedge as oe

TINY = pathlib.Path(__file__).resolve().parents[1] / "data" / "tiny_cloudnet.onnx"


def test_tract_equals_onnxruntime_on_random_inputs():
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(TINY), providers=["CPUExecutionProvider"])
    model = oe.OnnxModel(TINY)
    rng = np.random.default_rng(11)
    for _ in range(5):
        x = rng.uniform(0.0, 0.6, size=(1, 4, 32, 32)).astype(np.float32)
        ours = model.run(x)
        theirs = session.run(None, {"input": x})[0]
        assert ours.shape == theirs.shape == (1, 3, 32, 32)
        assert np.abs(ours - theirs).max() <= 1e-4


def test_report_and_non_contiguous_input():
    model = oe.OnnxModel(TINY)
    report = model.report()
    assert report["precision"] == "float32" and report["parameters"] == 323
    assert report["input_shape"] == [1, 4, 32, 32] and report["output_shape"] == [1, 3, 32, 32]
    x = np.asfortranarray(np.full((1, 4, 32, 32), 0.2, dtype=np.float32))
    np.testing.assert_array_equal(model.run(x), model.run(np.ascontiguousarray(x)))
    assert oe.OnnxModel.from_bytes(TINY.read_bytes()).report() == report


def test_bad_models_and_inputs_raise():
    with pytest.raises(oe.ModelError, match="no_such"):
        oe.OnnxModel(TINY.parent / "no_such.onnx")
    with pytest.raises(oe.ModelError, match="not a readable ONNX file"):
        oe.OnnxModel.from_bytes(b"garbage")
    model = oe.OnnxModel(TINY)
    with pytest.raises(oe.ShapeError, match=r"\[1, 4, 16, 16\]"):
        model.run(np.zeros((1, 4, 16, 16), dtype=np.float32))
    with pytest.raises(TypeError):
        model.run(np.zeros((1, 4, 32, 32), dtype=np.float64))
