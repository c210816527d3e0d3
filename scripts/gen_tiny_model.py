"""Generate a tiny, deterministic ONNX conv net and its expected output for Rust unit tests.

What
    Writes OUTPUT (e.g. ``tests/data/tiny_cloudnet.onnx``), built with
    ``onnx.helper`` only (opset 17, IR version 8, graph name ``tiny_cloudnet``):

        input "input"  float32 [1, 4, 32, 32]   (4 bands, like B, G, R, NIR)
        Conv 3x3, 4 -> 8 channels, pads 1, stride 1, with bias   -> [1, 8, 32, 32]
        Relu
        Conv 1x1, 8 -> 3 channels, with bias                     -> [1, 3, 32, 32]
        Softmax axis=1 (over the 3 classes: clear, cloud, shadow)
        output "probabilities" float32 [1, 3, 32, 32]

    Weights are He-scaled normal draws from numpy ``default_rng(SEED)`` (SEED
    picked so that every class wins on > 150 of the 1024 pixels);
    323 parameters, ~2 kB file.  It also writes ``OUTPUT.expected.npz``
    (i.e. ``tiny_cloudnet.onnx.expected.npz``), an uncompressed .npz (zip,
    stored, fixed timestamps, so byte-identical on rerun) holding:

        input          float32 [1, 4, 32, 32]  uniform [0, 0.5], same generator
        probabilities  float32 [1, 3, 32, 32]  onnxruntime's output (CPU, 1 thread)

    The onnxruntime output is cross-checked against a float64 numpy
    implementation of the same network (max abs diff must be < 1e-5).

Why
    The real cloud model (ukis-csmask, ~40-80 MB) is not committed; Rust tests
    of the ONNX loading/running code need a small model that is in the
    repository, plus a reference output from an independent runtime to
    compare with (equality within ~1e-6).

How / rerun
    /work/mlenv/bin/python scripts/gen_tiny_model.py tests/data/tiny_cloudnet.onnx
    (needs onnx, onnxruntime and numpy; deterministic: same bytes every run
    with the same onnx/numpy versions; the .npz's ``probabilities`` may
    differ in the last bit with another onnxruntime build or CPU.)
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parent.parent
SEED = 20240939  # first seed from 20240918 up whose output has every class on > 150 pixels
N, C_IN, C_HID, C_OUT, H, W = 1, 4, 8, 3, 32, 32
OPSET = 17
IR_VERSION = 8  # oldest IR that carries opset 17; widest runtime support
MAX_BYTES = 10_000


def make_weights(rng: np.random.Generator) -> dict[str, np.ndarray]:
    w1 = rng.standard_normal((C_HID, C_IN, 3, 3)) * np.sqrt(2.0 / (C_IN * 9))
    b1 = rng.standard_normal(C_HID) * 0.1
    w2 = rng.standard_normal((C_OUT, C_HID, 1, 1)) * np.sqrt(2.0 / C_HID)
    b2 = rng.standard_normal(C_OUT) * 0.1
    return {k: v.astype(np.float32) for k, v in
            {"conv1.weight": w1, "conv1.bias": b1, "conv2.weight": w2, "conv2.bias": b2}.items()}


def build_model(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["conv1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("Conv", ["relu1", "conv2.weight", "conv2.bias"], ["logits"], name="conv2",
                         kernel_shape=[1, 1], pads=[0, 0, 0, 0], strides=[1, 1], dilations=[1, 1], group=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_cloudnet",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, [N, C_IN, H, W])],
        outputs=[helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [N, C_OUT, H, W])],
        initializer=[numpy_helper.from_array(v, name=k) for k, v in weights.items()],
        doc_string="Tiny deterministic test net: Conv3x3(4->8,pad1)-Relu-Conv1x1(8->3)-Softmax(axis=1).",
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="orbitedge scripts/gen_tiny_model.py",
        producer_version="1",
        doc_string=f"Generated with numpy default_rng({SEED}); not a trained model.",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def reference_forward(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """Same network in float64 numpy (independent of onnxruntime)."""
    x = x.astype(np.float64)
    w1, b1 = w["conv1.weight"].astype(np.float64), w["conv1.bias"].astype(np.float64)
    w2, b2 = w["conv2.weight"].astype(np.float64), w["conv2.bias"].astype(np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    h = np.zeros((N, C_HID, H, W))
    for dy in range(3):
        for dx in range(3):
            h += np.einsum("oc,nchw->nohw", w1[:, :, dy, dx], xp[:, :, dy:dy + H, dx:dx + W])
    h = np.maximum(h + b1[None, :, None, None], 0.0)
    z = np.einsum("oc,nchw->nohw", w2[:, :, 0, 0], h) + b2[None, :, None, None]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Uncompressed .npz with fixed zip timestamps (np.savez stamps the current time)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Write a tiny deterministic ONNX conv net (input [1,4,32,32] -> probabilities [1,3,32,32]) "
        "and OUTPUT.expected.npz with one input and onnxruntime's output.")
    ap.add_argument("output", type=Path, nargs="?", default=REPO / "tests" / "data" / "tiny_cloudnet.onnx",
                    help="ONNX file to write (default: <repo>/tests/data/tiny_cloudnet.onnx)")
    args = ap.parse_args()

    import onnxruntime as ort

    rng = np.random.default_rng(SEED)
    weights = make_weights(rng)
    x = rng.uniform(0.0, 0.5, size=(N, C_IN, H, W)).astype(np.float32)
    model = build_model(weights)

    out = args.output.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    data = model.SerializeToString()
    if len(data) >= MAX_BYTES:
        print(f"error: model is {len(data)} bytes, limit {MAX_BYTES}", file=sys.stderr)
        return 1
    out.write_bytes(data)

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(out), sess_options=so, providers=["CPUExecutionProvider"])
    (y,) = sess.run(["probabilities"], {"input": x})
    ref = reference_forward(x, weights)
    diff = float(np.abs(y.astype(np.float64) - ref).max())
    if y.shape != (N, C_OUT, H, W) or y.dtype != np.float32 or diff >= 1e-5:
        print(f"error: onnxruntime output {y.shape} {y.dtype} differs from numpy by {diff:.2e}", file=sys.stderr)
        return 1

    npz = out.with_name(out.name + ".expected.npz")
    write_npz(npz, {"input": x, "probabilities": y})
    cls = np.bincount(y.argmax(axis=1).ravel(), minlength=C_OUT)
    print(f"wrote {out} ({len(data)} bytes, {sum(v.size for v in weights.values())} parameters, "
          f"opset {OPSET}, IR {IR_VERSION})")
    print(f"wrote {npz} ({npz.stat().st_size} bytes): input {list(x.shape)}, probabilities {list(y.shape)}")
    print(f"  onnxruntime {ort.__version__} vs float64 numpy: max abs diff {diff:.2e}; "
          f"argmax class counts {cls.tolist()}; probability range [{y.min():.4f}, {y.max():.4f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
