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
    x = np.asfortranarray(np.random.default_rng(1).uniform(0.0, 0.6, (1, 4, 32, 32)).astype(np.float32))
    np.testing.assert_array_equal(model.run(x), model.run(np.ascontiguousarray(x)))
    strided = np.random.default_rng(2).uniform(0.0, 0.6, (1, 4, 64, 32)).astype(np.float32)[:, :, ::2]
    np.testing.assert_array_equal(model.run(strided), model.run(np.ascontiguousarray(strided)))
    assert oe.OnnxModel.from_bytes(TINY.read_bytes()).report() == report


def test_report_estimates_flops_and_memory():
    report = oe.OnnxModel(TINY).report()
    # 2 x multiply-accumulates: conv 3x3 4->8 and conv 1x1 8->3 on 32x32 outputs.
    assert report["flops_per_inference"] == 2 * (32 * 32 * 8 * 4 * 9 + 32 * 32 * 3 * 8) == 638_976
    assert 323 * 4 <= report["weight_bytes"] < 323 * 4 + 16
    assert report["peak_activation_bytes"] >= (4 + 8) * 32 * 32 * 4
    assert report["peak_memory_bytes"] == report["weight_bytes"] + report["peak_activation_bytes"]
    assert oe.OnnxModel(TINY, [3, 4, 32, 32]).report()["flops_per_inference"] == 3 * 638_976


def test_run_batch_equals_run_per_tile():
    model = oe.OnnxModel(TINY)
    x = np.random.default_rng(4).uniform(0.0, 0.6, size=(5, 4, 32, 32)).astype(np.float32)
    batch = model.run_batch(x)
    assert batch.shape == (5, 3, 32, 32) and batch.dtype == np.float32
    one_by_one = np.concatenate([model.run(x[k : k + 1]) for k in range(5)])
    np.testing.assert_array_equal(batch, one_by_one)  # bit for bit
    np.testing.assert_array_equal(model.run_batch(np.asfortranarray(x)), batch)
    assert model.run_batch(np.zeros((0, 4, 32, 32), np.float32)).shape == (0, 3, 32, 32)
    with pytest.raises(oe.ShapeError):
        model.run_batch(np.zeros((2, 4, 16, 16), dtype=np.float32))


def test_bad_models_and_inputs_raise():
    with pytest.raises(oe.ModelError, match="no_such"):
        oe.OnnxModel(TINY.parent / "no_such.onnx")
    with pytest.raises(oe.ModelError, match="not a readable ONNX file"):
        oe.OnnxModel.from_bytes(b"garbage")
    model = oe.OnnxModel(TINY)
    with pytest.raises(oe.ShapeError, match=r"\[1, 4, 16, 16\]"):
        model.run(np.zeros((1, 4, 16, 16), dtype=np.float32))
    # float64 is converted (tests/python/test_precision.py); text is refused with the call to make.
    with pytest.raises(oe.InputError, match=r"arr\.astype\(np\.float32\)"):
        model.run(np.zeros((1, 4, 32, 32), dtype=np.str_))


def test_scene_tile_is_deterministic_and_carries_its_truth():
    tile = oe.scene_tile(11, index=3, cloud_cover=0.6, size_px=64)
    assert tile["reflectance"].shape == tile["normalized"].shape == (1, 4, 64, 64)
    assert tile["reflectance"].dtype == tile["normalized"].dtype == np.float32
    assert tile["truth"].shape == (64, 64) and tile["truth"].dtype == np.uint8
    assert set(np.unique(tile["truth"])) <= {0, 1, 2}
    # The generator meets the asked cover to a pixel; the fraction is the truth's.
    assert tile["cloud_fraction"] == pytest.approx((tile["truth"] == 1).mean())
    assert tile["cloud_fraction"] == pytest.approx(0.6, abs=1.0 / 64**2 + 1e-9)
    assert 0.0 <= tile["reflectance"].min() and tile["reflectance"].max() <= 1.0
    again = oe.scene_tile(11, index=3, cloud_cover=0.6, size_px=64)
    assert np.array_equal(again["reflectance"], tile["reflectance"])
    assert not np.array_equal(oe.scene_tile(11, index=4, size_px=64)["truth"], tile["truth"])
    with pytest.raises(oe.InputError, match="cloud"):
        oe.scene_tile(1, cloud=0.5)  # misspelt key
    with pytest.raises(oe.InputError, match="cloud_cover"):
        oe.scene_tile(1, cloud_cover=1.5)


def test_registry_model_names_are_checked_before_any_download():
    with pytest.raises(oe.InputError, match="variant.*4b-l1c"):
        oe.OnnxModel("ukis-csmask:9b-nope")
