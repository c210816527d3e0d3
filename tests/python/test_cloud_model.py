"""The real cloud model, ukis-csmask 4b-l1c, and its float32 conversion.

``scripts/prepare_cloud_model.sh`` (run by ``scripts/check.sh``) copies the float16 file out of
the ukis-csmask wheel from PyPI and converts it to float32 into the git-ignored ``models/``.
The tests on the real files skip, with the reason, only when those files are absent.

Tolerances:
* tract (orbitedge.OnnxModel) vs onnxruntime on the same float32 file: max |logit difference|
  <= 1e-4 (the issue's bound), argmax equal on >= 99.99 % of the pixels (a pixel may tie).
* float32 conversion (run by tract) vs onnxruntime on the float16 original: the original rounds
  its activations to float16, so max |logit difference| <= 0.1 (0.04 measured), max |softmax
  difference| <= 0.05 (0.011 measured), argmax agreement >= 99.5 % (99.96 % measured).
* every public variant (4/6 bands x L1C/L2A) loaded by path, widened to float32 on load, on one
  scene tile: within 1e-4 of onnxruntime on a float32 conversion; against onnxruntime on the
  float16 file, argmax agreement >= 99.5 %, 99 % of logits within 0.05 and the largest gap
  equal to onnxruntime's own float16-vs-float32 gap (0.05 at most on L1C, 0.068 on 6b-l2a).

Two synthetic scene tiles (vegetation, textured clouds, a shadow disc; reflectance normalised
with the model's per-band L1C mean/std) go through tract once, as one ``run_batch``, to keep
the test command quick.

The conversion script itself is tested on a small float16 model built here with onnx's helper
API (no model file needed).
"""

from __future__ import annotations

import collections
import importlib.util
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import orbitedge as oe

REPO = pathlib.Path(__file__).resolve().parents[2]
FP16 = REPO / "models" / "ukis-csmask-4b-l1c-fp16.onnx"
FP32 = REPO / "models" / "ukis-csmask-4b-l1c-fp32.onnx"
CONVERT = REPO / "scripts" / "convert_fp16_to_fp32.py"
SHAPE = [1, 4, 256, 256]

real_model = pytest.mark.skipif(
    not (FP16.is_file() and FP32.is_file()),
    reason="models/ukis-csmask-4b-l1c-fp16.onnx and -fp32.onnx absent: run scripts/prepare_cloud_model.sh",
)


def convert_module():
    """scripts/convert_fp16_to_fp32.py as a module (needs onnx)."""
    pytest.importorskip("onnx")
    spec = importlib.util.spec_from_file_location("convert_fp16_to_fp32", CONVERT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ort_session(path: pathlib.Path):
    import onnxruntime as ort  # a test dependency: fail, do not skip, without it

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def fp32_model():
    return oe.OnnxModel(FP32, SHAPE)


@pytest.fixture(scope="module")
def outputs(fp32_model):
    """Two normalised scene tiles, and the logits of tract (fp32), onnxruntime (fp32, fp16)."""
    import onnx  # noqa: F401  (installed with the model files: fail, do not skip, without it)

    convert = convert_module()
    pre = json.loads(FP32.with_suffix(".json").read_text())["preprocessing"]
    mean = np.asarray(pre["mean"], np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(pre["std"], np.float32).reshape(1, -1, 1, 1)
    tiles = np.concatenate([convert.scene_tile(4, seed) for seed in (7, 2024)])
    x = np.ascontiguousarray((tiles - mean) / std, dtype=np.float32)
    tract = fp32_model.run_batch(x)
    s32, s16 = ort_session(FP32), ort_session(FP16)
    ort32 = np.concatenate([s32.run(None, {"input": x[k : k + 1]})[0] for k in range(len(x))])
    ort16 = np.concatenate([s16.run(None, {"input": x[k : k + 1]})[0] for k in range(len(x))])
    return tract, ort32, ort16


@real_model
def test_reports_tell_float16_from_float32(fp32_model):
    widened = oe.OnnxModel(FP16, SHAPE).report()
    with pytest.warns(oe.errors.Float16Warning):
        r16 = oe.OnnxModel(FP16, SHAPE, precision="float16").report()
    r32 = fp32_model.report()
    assert r16["precision"] == widened["precision"] == "float16" and r32["precision"] == "float32"
    assert (r16["run_precision"], widened["run_precision"]) == ("float16", "float32")
    assert r16["parameters"] == r32["parameters"] == 19_543_611
    assert r16["flops_per_inference"] == r32["flops_per_inference"]
    assert 9e9 < r32["flops_per_inference"] < 11e9  # ≈ 9.8 GFLOP per 256×256 tile
    assert r16["weight_bytes"] < 0.55 * r32["weight_bytes"]  # 2 bytes per weight, not 4
    assert widened["weight_bytes"] == r32["weight_bytes"]  # widened on load: 4 bytes
    assert r32["peak_memory_bytes"] == r32["weight_bytes"] + r32["peak_activation_bytes"]


@real_model
def test_tract_equals_onnxruntime_on_the_float32_file(outputs):
    tract, ort32, _ = outputs
    assert tract.shape == ort32.shape == (2, 3, 256, 256)
    assert np.abs(tract - ort32).max() <= 1e-4
    assert (tract.argmax(axis=1) == ort32.argmax(axis=1)).mean() >= 0.9999
    # The scenes are not trivial: every class wins somewhere.
    assert set(np.unique(ort32.argmax(axis=1))) == {0, 1, 2}


@real_model
def test_float32_conversion_matches_the_float16_original(outputs):
    tract, _, ort16 = outputs
    assert np.abs(tract - ort16).max() <= 0.1
    assert np.abs(softmax(tract) - softmax(ort16)).max() <= 0.05
    assert (tract.argmax(axis=1) == ort16.argmax(axis=1)).mean() >= 0.995


def small_fp16_model(path: pathlib.Path) -> dict[str, np.ndarray]:
    """A float16 net shaped like ukis-csmask's file: float32 input cast to float16, a float16
    Constant, a 3×3 Conv with float16 weights, a cast back to float32. Returns its weights."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(5)
    w = (rng.standard_normal((3, 4, 3, 3)) * 0.3).astype(np.float16)
    b = (rng.standard_normal(3) * 0.1).astype(np.float16)
    scale = np.array(0.75, np.float16)
    nodes = [
        helper.make_node("Cast", ["input"], ["x16"], to=TensorProto.FLOAT16),
        helper.make_node("Constant", [], ["scale"], value=numpy_helper.from_array(scale)),
        helper.make_node("Mul", ["x16", "scale"], ["scaled"]),
        helper.make_node("Conv", ["scaled", "w", "b"], ["y16"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Cast", ["y16"], ["output"], to=TensorProto.FLOAT),
    ]
    graph = helper.make_graph(
        nodes,
        "small_fp16",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 256, 256])],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
        value_info=[helper.make_tensor_value_info("x16", TensorProto.FLOAT16, SHAPE)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return {"w": w, "b": b, "scale": scale}


def reference_conv(x: np.ndarray, weights: dict[str, np.ndarray]) -> np.ndarray:
    """The small net in float64 numpy with the float16 weights exactly as stored."""
    w = weights["w"].astype(np.float64)
    xs = np.pad(x.astype(np.float64) * float(weights["scale"]), ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((1, 3, 256, 256))
    for dy in range(3):
        for dx in range(3):
            out += np.einsum("oc,nchw->nohw", w[:, :, dy, dx], xs[:, :, dy : dy + 256, dx : dx + 256])
    return out + weights["b"].astype(np.float64)[None, :, None, None]


def test_conversion_script_on_a_small_float16_model(tmp_path):
    convert = convert_module()
    import onnx

    src, dst = tmp_path / "small-fp16.onnx", tmp_path / "small-fp32.onnx"
    weights = small_fp16_model(src)
    run = subprocess.run([sys.executable, str(CONVERT), str(src), str(dst)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    converted = onnx.load(str(dst))
    assert convert.remaining_f16(converted) == 0
    side = json.loads(dst.with_suffix(".json").read_text())
    assert side["conversion_counts"] == {
        "Cast to=FLOAT16 -> FLOAT": 1,
        "Constant value tensors": 1,
        "initializers": 2,
        "value_info entries": 1,
    }
    # onnxruntime compared the two files on two tiles; float16 activations cost little here.
    assert side["fp16_vs_fp32"]["scene"]["logits_max_abs_diff"] < 0.05

    # The float16 -> float32 cast of the weights is exact: the float32 file computes the
    # float16 weights' network in float32, i.e. the float64 reference within float32 rounding.
    x = np.random.default_rng(3).uniform(-1, 1, size=SHAPE).astype(np.float32)
    expected = reference_conv(x, weights)
    ort32 = ort_session(dst).run(None, {"input": x})[0]
    assert np.abs(ort32 - expected).max() <= 1e-4
    tract = oe.OnnxModel(dst)
    assert tract.report()["precision"] == "float32"
    assert oe.OnnxModel(src).report()["precision"] == "float16"
    assert np.abs(tract.run(x) - ort32).max() <= 1e-4

    # Rerun with --skip-if-current: nothing rewritten; a changed input forces a conversion.
    stamp = dst.stat().st_mtime_ns
    again = subprocess.run(
        [sys.executable, str(CONVERT), "--skip-if-current", "--no-verify", str(src), str(dst)],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0 and "up to date" in again.stdout and dst.stat().st_mtime_ns == stamp
    weights["w"][0, 0, 0, 0] += 1  # a different float16 file
    model = onnx.load(str(src))
    model.graph.initializer[0].CopyFrom(onnx.numpy_helper.from_array(weights["w"], "w"))
    onnx.save(model, str(src))
    redo = subprocess.run(
        [sys.executable, str(CONVERT), "--skip-if-current", "--no-verify", str(src), str(dst)],
        capture_output=True,
        text=True,
    )
    assert redo.returncode == 0 and "up to date" not in redo.stdout
    assert json.loads(dst.with_suffix(".json").read_text())["fp16_vs_fp32"] is None


# ---------------------------------------------------------------- every public variant, by path

UKIS_VARIANTS = ["4b_l1c", "4b_l2a", "6b_l1c", "6b_l2a"]


def ukis_files(variant: str) -> tuple[pathlib.Path, dict]:
    """The float16 ONNX file of a variant as the ukis-csmask wheel ships it (installed, never
    imported, by scripts/prepare_cloud_model.sh), with its normalisation statistics."""
    spec = importlib.util.find_spec("ukis_csmask")
    assert spec is not None and spec.origin is not None, (
        "ukis-csmask is not installed in this environment: run scripts/prepare_cloud_model.sh"
    )
    folder = pathlib.Path(spec.origin).parent
    meta = json.loads((folder / f"model_{variant}.json").read_text())
    return folder / f"model_{variant}.onnx", meta["data"]["dataset_statistics"]


@pytest.mark.parametrize("variant", UKIS_VARIANTS)
def test_every_ukis_variant_by_path_runs_in_float32_and_matches_onnxruntime(variant, tmp_path):
    """Each variant loaded by path (no input_shape: its symbolic batch is 1) runs in float32,
    finite, and agrees with onnxruntime: within 0.05 of its float16 run (which rounds
    activations to float16), within 1e-4 of its run of a float32 conversion of the file."""
    pytest.importorskip("onnxruntime", reason="onnxruntime is needed as the reference runtime")
    import onnx

    path, stats = ukis_files(variant)
    model = oe.OnnxModel(path)
    report = model.report()
    bands = int(variant[0])
    assert report["input_shape"] == [1, bands, 256, 256]
    assert (report["precision"], report["run_precision"]) == ("float16", "float32")

    mean = np.asarray(stats["img"][0], np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(stats["img"][1], np.float32).reshape(1, -1, 1, 1)
    x = np.ascontiguousarray((convert_module().scene_tile(bands, 11) - mean) / std, dtype=np.float32)
    tract = model.run(x)
    assert tract.shape == (1, 3, 256, 256) and np.isfinite(tract).all()

    ort16 = ort_session(path).run(None, {"input": x})[0]
    converted = onnx.load(str(path))
    convert_module().convert_graph(converted.graph, collections.Counter())
    fp32 = tmp_path / f"{variant}-fp32.onnx"
    onnx.save(converted, str(fp32))
    ort32 = ort_session(fp32).run(None, {"input": x})[0]

    assert np.abs(tract - ort32).max() <= 1e-4
    # onnxruntime computes the float16 file in float16: the whole gap to it is that rounding
    # (its own float16 and float32 runs differ as much), 0.027-0.037 on the L1C variants and
    # 0.054-0.068 on the L2A ones (larger activations) on this tile; 99 % of logits within 0.05.
    gap = np.abs(tract - ort16)
    assert abs(gap.max() - np.abs(ort16 - ort32).max()) <= 1e-3
    assert gap.max() <= (0.05 if variant.endswith("l1c") else 0.1)
    assert np.quantile(gap, 0.99) <= 0.05
    assert (tract.argmax(axis=1) == ort16.argmax(axis=1)).mean() >= 0.995
    # The scene is not trivial for the model: at least two classes win somewhere.
    assert len(np.unique(ort32.argmax(axis=1))) >= 2
