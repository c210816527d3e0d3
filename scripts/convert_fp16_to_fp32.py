"""Convert a float16 ONNX model (e.g. ukis-csmask) to float32 and check it against the original.

What
    Rewrites, in an otherwise identical graph (same nodes, names, order,
    opset and metadata):
      * float16 initializers                      -> float32
      * Constant nodes' float16 ``value`` tensors -> float32
      * other float16 tensor attributes (e.g. ConstantOfShape ``value``) -> float32
      * Cast nodes with ``to=FLOAT16``            -> ``to=FLOAT``
      * float16 elem types of graph inputs, outputs and value_info -> float
    (subgraphs of If/Loop/Scan are handled the same way), then runs
    ``onnx.checker.check_model`` (with ``full_check``, i.e. strict shape
    inference) and prints how many of each it changed.  Casts that become
    FLOAT -> FLOAT are kept (they are no-ops; removing them would change the
    graph).

    Then it checks numerically with onnxruntime (CPU, one thread): both models
    run on the same deterministic random reflectance tile of shape
    1 x C x 256 x 256, uniform in [0, 0.5] (numpy ``default_rng(SEED)``).  If
    ``INPUT``'s sidecar ``<input>.json`` (written by fetch_cloud_model.py)
    holds per-band mean/std, the tile is normalised with them first, as
    ukis-csmask does (``--raw`` feeds the reflectances unnormalised).  The
    model calls almost every pixel of such noise "clear", so argmax agreement
    on it says little; a second deterministic synthetic scene (textured
    vegetation, a textured bright cloud field, a darkened disc; reflectance up
    to 0.95) makes the model output all three classes.  Reported for both:
    max |fp32 - fp16| of the raw outputs (logits), of the softmax over axis 1,
    and the fraction of pixels whose argmax class agrees.  A sidecar
    ``<output>.json`` records the output's sha256/size, the conversion counts,
    the comparison and (copied from the input's sidecar) provenance, licence
    and preprocessing.

Why
    The ukis-csmask files keep float16 weights and cast their input to
    float16.  Inference engines without native float16 on x86 (tract) emulate
    it slowly and inaccurately; float32 weights run ~100x faster there and
    agree with onnxruntime.  The float16 -> float32 cast of every value is
    exact, so the float32 model computes what the float16 model's weights
    define, only without float16 rounding of activations.

How / rerun
    /work/mlenv/bin/python scripts/convert_fp16_to_fp32.py \\
        models/ukis-csmask-4b-l1c-fp16.onnx models/ukis-csmask-4b-l1c-fp32.onnx
    (``--no-verify`` skips the onnxruntime comparison; ``--seed`` changes the
    input; deterministic otherwise: same input file -> byte-identical output.)
    ``--skip-if-current`` does nothing (exit 0) when OUTPUT and its sidecar
    already exist, the sidecar's sha256 is OUTPUT's and its
    ``converted_from.sha256`` is INPUT's: fast reruns in ``scripts/check.sh``.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, numpy_helper

REPO = Path(__file__).resolve().parent.parent
SEED = 20240917
TILE = 256
F16, F32 = TensorProto.FLOAT16, TensorProto.FLOAT


def _to_f32_tensor(t: TensorProto) -> TensorProto:
    arr = numpy_helper.to_array(t).astype(np.float32)
    new = numpy_helper.from_array(arr, name=t.name)
    if t.doc_string:
        new.doc_string = t.doc_string
    return new


def _fix_value_infos(values, counts: collections.Counter, key: str) -> None:
    for vi in values:
        tt = vi.type.tensor_type if vi.type.HasField("tensor_type") else None
        if tt is not None and tt.elem_type == F16:
            tt.elem_type = F32
            counts[key] += 1


def convert_graph(graph: onnx.GraphProto, counts: collections.Counter) -> None:
    """In-place float16 -> float32 rewrite of one graph (recurses into subgraphs)."""
    for i, init in enumerate(graph.initializer):
        if init.data_type == F16:
            graph.initializer[i].CopyFrom(_to_f32_tensor(init))
            counts["initializers"] += 1
    for sp in graph.sparse_initializer:
        if sp.values.data_type == F16:
            raise SystemExit("error: float16 sparse initializers are not supported")

    for node in graph.node:
        for attr in node.attribute:
            if attr.type == AttributeProto.TENSOR and attr.t.data_type == F16:
                attr.t.CopyFrom(_to_f32_tensor(attr.t))
                counts["Constant value tensors" if node.op_type == "Constant"
                       else f"{node.op_type} tensor attributes"] += 1
            elif attr.type == AttributeProto.TENSORS:
                for j, t in enumerate(attr.tensors):
                    if t.data_type == F16:
                        attr.tensors[j].CopyFrom(_to_f32_tensor(t))
                        counts[f"{node.op_type} tensor-list attributes"] += 1
            elif attr.type == AttributeProto.SPARSE_TENSOR and attr.sparse_tensor.values.data_type == F16:
                raise SystemExit(f"error: float16 sparse tensor attribute in node {node.name!r} not supported")
            elif attr.type == AttributeProto.GRAPH:
                convert_graph(attr.g, counts)
            elif attr.type == AttributeProto.GRAPHS:
                for g in attr.graphs:
                    convert_graph(g, counts)
            elif attr.type == AttributeProto.INT and attr.i == F16 and (
                (node.op_type == "Cast" and attr.name == "to") or attr.name == "dtype"
            ):
                attr.i = F32
                counts["Cast to=FLOAT16 -> FLOAT" if node.op_type == "Cast"
                       else f"{node.op_type} dtype attributes"] += 1

    _fix_value_infos(graph.input, counts, "graph inputs")
    _fix_value_infos(graph.output, counts, "graph outputs")
    _fix_value_infos(graph.value_info, counts, "value_info entries")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def remaining_f16(model: onnx.ModelProto) -> int:
    """Count float16 types left anywhere (should be 0)."""
    n = sum(t.data_type == F16 for t in model.graph.initializer)
    for node in model.graph.node:
        for a in node.attribute:
            n += (a.type == AttributeProto.TENSOR and a.t.data_type == F16)
            n += (node.op_type == "Cast" and a.name == "to" and a.i == F16)
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        n += vi.type.tensor_type.elem_type == F16
    return n


def is_current(src: Path, dst: Path) -> bool:
    """OUTPUT exists, its sidecar records its sha256, and that it was converted from INPUT as it is now."""
    side = load_sidecar(dst) if dst.is_file() else None
    if not side or not src.is_file():
        return False
    return (side.get("sha256") == sha256_of(dst)
            and side.get("converted_from", {}).get("sha256") == sha256_of(src))


def load_sidecar(model_path: Path) -> dict | None:
    p = model_path.with_suffix(".json")
    return json.loads(p.read_text()) if p.is_file() else None


def session(path: Path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


def softmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _smooth_field(rng: np.random.Generator, sigma: int) -> np.ndarray:
    """Zero-mean, unit-std Gaussian-blurred white noise of shape TILE x TILE."""
    pad = 2 * sigma
    f = rng.standard_normal((TILE + 2 * pad, TILE + 2 * pad))
    k = np.exp(-0.5 * (np.arange(-2 * sigma, 2 * sigma + 1) / sigma) ** 2)
    k /= k.sum()
    f = np.apply_along_axis(np.convolve, 0, f, k, "same")
    f = np.apply_along_axis(np.convolve, 1, f, k, "same")
    f = f[pad:-pad, pad:-pad]
    return (f - f.mean()) / f.std()


def scene_tile(channels: int, seed: int) -> np.ndarray:
    """Deterministic synthetic scene (reflectance, 1 x C x TILE x TILE) that makes the model output
    all three classes: textured vegetation, a textured bright cloud field on the left half and a
    darkened (shadow-like) disc.  Only for exercising the classifier, not a realistic image."""
    rng = np.random.default_rng(seed)
    veg = np.array([0.04, 0.07, 0.05, 0.30, 0.15, 0.08])[:channels, None, None]
    cloud_spec = np.array([1.0, 0.98, 0.97, 1.0, 0.7, 0.5])[:channels, None, None]
    yy, xx = np.mgrid[0:TILE, 0:TILE]
    bg = veg * (1 + 0.15 * _smooth_field(rng, 3))[None]
    cloud = (xx < TILE // 2) / (1 + np.exp(-3 * (_smooth_field(rng, 20) + 0.3)))
    shadow = np.clip((110 - np.hypot(yy - 170, xx - 190)) / 20, 0, 1) * (1 - cloud)
    x = bg * (1 - 0.75 * shadow)
    x = x * (1 - cloud) + cloud * np.clip(0.55 + 0.25 * _smooth_field(rng, 4), 0.2, 0.95)[None] * cloud_spec
    return x[None].astype(np.float32)


def compare(fp16_path: Path, fp32_path: Path, seed: int, normalise: dict | None) -> dict:
    import onnxruntime as ort

    s16, s32 = session(fp16_path), session(fp32_path)
    inp = s32.get_inputs()[0]
    channels = inp.shape[1]
    if not isinstance(channels, int):
        raise SystemExit(f"error: input channel dim is not fixed: {inp.shape}")
    rng = np.random.default_rng(seed)
    tiles = {
        "uniform": (rng.uniform(0.0, 0.5, size=(1, channels, TILE, TILE)).astype(np.float32),
                    f"reflectance uniform [0, 0.5], shape [1, {channels}, {TILE}, {TILE}]"),
        "scene": (scene_tile(channels, seed),
                  "synthetic scene (vegetation + textured cloud + shadow disc), reflectance in [0, 0.95]"),
    }
    out = {"onnxruntime": ort.__version__, "threads": 1, "seed": seed,
           "normalised": normalise is not None}
    for key, (refl, desc) in tiles.items():
        x = refl
        if normalise is not None:
            mean = np.asarray(normalise["mean"], np.float32).reshape(1, -1, 1, 1)
            std = np.asarray(normalise["std"], np.float32).reshape(1, -1, 1, 1)
            x = ((refl - mean) / std).astype(np.float32)
        y16 = s16.run(None, {s16.get_inputs()[0].name: x})[0]
        y32 = s32.run(None, {inp.name: x})[0]
        if y16.shape != y32.shape:
            raise SystemExit(f"error: output shapes differ: fp16 {y16.shape} vs fp32 {y32.shape}")
        p16, p32 = softmax(y16), softmax(y32)
        a16, a32 = y16.argmax(axis=1), y32.argmax(axis=1)
        out[key] = {
            "input": desc + (", normalised with sidecar mean/std" if normalise is not None else ", unnormalised"),
            "output_shape": list(y32.shape),
            "logits_max_abs_diff": float(np.abs(y32.astype(np.float64) - y16).max()),
            "logits_range_fp32": [float(y32.min()), float(y32.max())],
            "softmax_max_abs_diff": float(np.abs(p32 - p16).max()),
            "argmax_agreement": float((a16 == a32).mean()),
            "argmax_disagreeing_pixels": int((a16 != a32).sum()),
            "fp32_class_pixel_counts": np.bincount(a32.ravel(), minlength=y32.shape[1]).tolist(),
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Convert float16 initializers/constants/casts/value types of an ONNX model to float32, "
        "check the result, and compare it with the original in onnxruntime.")
    ap.add_argument("input", type=Path, help="float16 ONNX model (e.g. models/ukis-csmask-4b-l1c-fp16.onnx)")
    ap.add_argument("output", type=Path, help="float32 ONNX model to write")
    ap.add_argument("--no-verify", action="store_true", help="skip the onnxruntime fp16-vs-fp32 comparison")
    ap.add_argument("--raw", action="store_true",
                    help="compare on unnormalised reflectances even if the input's sidecar has mean/std")
    ap.add_argument("--seed", type=int, default=SEED, help=f"seed of the random input tile (default {SEED})")
    ap.add_argument("--skip-if-current", action="store_true",
                    help="exit 0 without converting if OUTPUT and its sidecar match INPUT (sha256)")
    args = ap.parse_args()

    src, dst = args.input.resolve(), args.output.resolve()
    if src == dst:
        ap.error("INPUT and OUTPUT must differ")
    if args.skip_if_current and is_current(src, dst):
        print(f"{dst} is up to date (sha256 recorded in {dst.with_suffix('.json').name}); nothing to do")
        return 0
    model = onnx.load(str(src))
    counts: collections.Counter = collections.Counter()
    convert_graph(model.graph, counts)
    left = remaining_f16(model)
    if left:
        print(f"error: {left} float16 types remain after conversion", file=sys.stderr)
        return 1
    onnx.checker.check_model(model, full_check=True)
    dst.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(dst))
    print(f"wrote {dst} ({dst.stat().st_size:,d} bytes); onnx.checker.check_model(full_check=True) passed")
    print("changed float16 -> float32:")
    for k in sorted(counts):
        print(f"  {k:32s} {counts[k]:5d}")
    if not counts:
        print("  nothing (input had no float16)")

    src_meta = load_sidecar(src)
    result = None
    if not args.no_verify:
        norm = None
        if not args.raw and src_meta and "preprocessing" in src_meta:
            norm = src_meta["preprocessing"]
        result = compare(src, dst, args.seed, norm)
        print(f"onnxruntime {result['onnxruntime']} (CPU, 1 thread), fp16 vs fp32:")
        for key in ("uniform", "scene"):
            r = result[key]
            print(f"  [{key}] {r['input']}")
            print(f"    output shape           {r['output_shape']}")
            print(f"    max |logit diff|       {r['logits_max_abs_diff']:.3e}  "
                  f"(fp32 logits in [{r['logits_range_fp32'][0]:.2f}, {r['logits_range_fp32'][1]:.2f}])")
            print(f"    max |softmax diff|     {r['softmax_max_abs_diff']:.3e}")
            print(f"    argmax agreement       {100 * r['argmax_agreement']:.4f} % "
                  f"({r['argmax_disagreeing_pixels']} of {r['output_shape'][2] * r['output_shape'][3]} pixels differ)")
            print(f"    fp32 class counts      {r['fp32_class_pixel_counts']} (clear, cloud, shadow)")

    record = {
        "name": dst.stem,
        "file": dst.name,
        "sha256": sha256_of(dst),
        "size_bytes": dst.stat().st_size,
        "precision": "float32 throughout (converted from float16 by scripts/convert_fp16_to_fp32.py)",
        "converted_from": {"file": src.name, "sha256": sha256_of(src)},
        "conversion_counts": dict(sorted(counts.items())),
        "fp16_vs_fp32": result,
    }
    if src_meta:
        for key in ("source", "licence", "citation", "preprocessing", "postprocessing", "package_model_config"):
            if key in src_meta:
                record[key] = src_meta[key]
    side = dst.with_suffix(".json")
    side.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {side}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
