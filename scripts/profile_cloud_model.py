"""Where the time goes in ukis-csmask: tract's per-node profile next to onnxruntime's, by layer role.

What
    Runs onnxruntime (CPU, ONE thread, sequential, all graph optimisations,
    ``enable_profiling``) on MODEL for ``--warmup`` + ``--runs`` calls on a
    constant 0.1 input of shape 1x4x256x256, reads its per-node kernel times
    (mean over the timed runs), and groups both engines' nodes by the role of
    the layer they come from, using the ONNX node names both keep:

        stem, encoder expand 1x1 (+BN), encoder depthwise (+BN),
        encoder squeeze-excitation, encoder project 1x1 (+BN, residual add),
        swish activations, decoder block 0..4 (3x3 convs, upsample, concat),
        segmentation head, onnxruntime layout reorders, other

    tract's side comes from ``--tract-json``, written by
    ``cargo run --release --example model_timing -- MODEL 1,4,256,256 RUNS --profile-json PATH``
    (mean and minimum per node over RUNS runs).  Prints one table: ms per
    group for tract (mean, min) and onnxruntime (mean), and the ratio.

Why
    The issue asks where tract's time goes relative to onnxruntime on the
    float32 ukis-csmask model; docs/inference-performance.md quotes this
    table.  Run both in the same session: the machine's load moves both.

How / rerun
    cargo run --release --example model_timing -- \\
        models/ukis-csmask-4b-l1c-fp32.onnx 1,4,256,256 10 --profile-json /tmp/tract.json
    .venv/bin/python scripts/profile_cloud_model.py models/ukis-csmask-4b-l1c-fp32.onnx \\
        --tract-json /tmp/tract.json
    Needs onnxruntime and numpy.  The grouping is by name and specific to the
    segmentation_models_pytorch UNet / EfficientNet export in ukis-csmask.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

GROUPS = [
    ("swish activations", r"_swish|QuickGelu|\.silu"),
    ("segmentation head", r"segmentation_head|graph_output"),
    ("decoder block 0", r"decoder/blocks\.0/"),
    ("decoder block 1", r"decoder/blocks\.1/"),
    ("decoder block 2", r"decoder/blocks\.2/"),
    ("decoder block 3", r"decoder/blocks\.3/"),
    ("decoder block 4", r"decoder/blocks\.4/"),
    ("stem conv (+BN)", r"_conv_stem|/model/encoder/_bn0/"),
    ("encoder depthwise (+BN)", r"_depthwise_conv|_bn1/"),
    ("encoder expand 1x1 (+BN)", r"_expand_conv|_bn0/"),
    ("encoder squeeze-excitation", r"_se_|GlobalAveragePool|_blocks\.\d+/Sigmoid|_blocks\.\d+/Mul"),
    ("encoder project 1x1 (+BN, residual)", r"_project_conv|_bn2/|_blocks\.\d+/Add"),
    ("onnxruntime layout reorders", r"^Reorder"),
]


def group_of(name: str) -> str:
    for label, pattern in GROUPS:
        if re.search(pattern, name):
            return label
    return "other"


def onnxruntime_profile(model: Path, warmup: int, runs: int) -> dict[str, float]:
    """Mean seconds per node over the timed runs (warm-up calls excluded)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    so.enable_profiling = True
    so.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "ort")
    session = ort.InferenceSession(str(model), sess_options=so, providers=["CPUExecutionProvider"])
    x = np.full((1, 4, 256, 256), 0.1, np.float32)
    for _ in range(warmup + runs):
        session.run(None, {session.get_inputs()[0].name: x})
    events = json.loads(Path(session.end_profiling()).read_text())
    # A run's node events come before its own model_run event (each is written when it ends).
    per_run: list[dict[str, float]] = []
    current: dict[str, float] = collections.defaultdict(float)
    suffix = "_kernel_time"
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith(suffix):
            current[e["name"][: -len(suffix)]] += e["dur"] * 1e-6
        elif e.get("cat") == "Session" and e.get("name") == "model_run":
            per_run.append(current)
            current = collections.defaultdict(float)
    timed = per_run[warmup:]
    nodes: dict[str, float] = collections.defaultdict(float)
    for run in timed:
        for name, s in run.items():
            nodes[name] += s / len(timed)
    return dict(nodes)


def main() -> int:
    ap = argparse.ArgumentParser(description="tract vs onnxruntime time per layer role on ukis-csmask (one thread).")
    ap.add_argument("model", type=Path, help="float32 ukis-csmask ONNX file")
    ap.add_argument("--tract-json", type=Path, required=True, help="node timings from model_timing --profile-json")
    ap.add_argument("--runs", type=int, default=10, help="timed onnxruntime runs (default 10)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed onnxruntime runs (default 3)")
    args = ap.parse_args()

    tract_nodes = json.loads(args.tract_json.read_text())
    ort_nodes = onnxruntime_profile(args.model, args.warmup, args.runs)
    table: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0])
    for n in tract_nodes:
        g = table[group_of(n["name"])]
        g[0] += n["mean_s"]
        g[1] += n["min_s"]
    for name, s in ort_nodes.items():
        table[group_of(name)][2] += s
    order = [label for label, _ in GROUPS] + ["other"]
    print(f"{'layer role':38s} {'tract mean':>10s} {'tract min':>10s} {'onnxrt':>10s} {'ratio':>6s}  (ms per 256x256 tile, 1 thread)")
    totals = [0.0, 0.0, 0.0]
    for label in order:
        if label not in table:
            continue
        t_mean, t_min, o = table[label]
        totals = [a + b for a, b in zip(totals, table[label])]
        ratio = f"{t_mean / o:5.1f}x" if o > 1e-5 else "     -"
        print(f"{label:38s} {t_mean * 1e3:10.2f} {t_min * 1e3:10.2f} {o * 1e3:10.2f} {ratio}")
    print(f"{'total (sum of nodes)':38s} {totals[0] * 1e3:10.2f} {totals[1] * 1e3:10.2f} {totals[2] * 1e3:10.2f} "
          f"{totals[0] / totals[2]:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
