"""Time onnxruntime on one CPU thread per image tile (baseline for orbitedge's own inference).

What
    Loads MODEL in onnxruntime (CPU execution provider, all graph
    optimisations, ``intra_op_num_threads=1``, ``inter_op_num_threads=1``,
    sequential execution), feeds one deterministic float32 tile (numpy
    ``default_rng(SEED)``, uniform in [0, 0.5]) of the model's input shape --
    dynamic dims become batch 1 and ``--tile`` x ``--tile`` pixels (default
    256) -- runs ``--warmup`` untimed calls and then ``--runs`` timed calls
    (``time.perf_counter``) and prints the median (and min/mean/max)
    milliseconds per tile.  ``--json`` prints one JSON object instead, for
    scripts and docs.

Why
    A single thread is the comparable unit for a small onboard computer and
    for tract (orbitedge's Rust runtime); the per-tile latency feeds the
    simulated power/thermal budget of an inference activity.

How / rerun
    /work/mlenv/bin/python scripts/bench_onnxruntime.py models/ukis-csmask-4b-l1c-fp32.onnx
    /work/mlenv/bin/python scripts/bench_onnxruntime.py models/ukis-csmask-4b-l1c-fp16.onnx --json
    The input and the run order are deterministic; the timings are not: run
    on an otherwise idle machine (the load average before and after is
    reported) and compare medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SEED = 20240919


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def loadavg() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Median onnxruntime latency per tile on ONE CPU thread (intra_op=1, inter_op=1).")
    ap.add_argument("model", type=Path, help="ONNX model file")
    ap.add_argument("--runs", type=int, default=30, help="timed runs (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed warm-up runs (default 3)")
    ap.add_argument("--tile", type=int, default=256, help="height/width used for dynamic spatial dims (default 256)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args()
    if args.runs < 1 or args.warmup < 0:
        ap.error("--runs must be >= 1 and --warmup >= 0")

    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    t0 = time.perf_counter()
    sess = ort.InferenceSession(str(args.model), sess_options=so, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - t0) * 1e3

    inp = sess.get_inputs()[0]
    shape = []
    for i, d in enumerate(inp.shape):
        if isinstance(d, int) and d > 0:
            shape.append(d)
        else:
            shape.append(1 if i == 0 else (args.tile if i >= 2 else 1))
    if inp.type != "tensor(float)":
        print(f"error: only float32 inputs are supported, model wants {inp.type}", file=sys.stderr)
        return 1
    x = np.random.default_rng(SEED).uniform(0.0, 0.5, size=shape).astype(np.float32)
    feed = {inp.name: x}

    load_before = loadavg()
    for _ in range(args.warmup):
        sess.run(None, feed)
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - t) * 1e3)
    load_after = loadavg()

    tiles = shape[0]
    res = {
        "model": args.model.name,
        "model_bytes": args.model.stat().st_size,
        "input_name": inp.name,
        "input_shape": shape,
        "onnxruntime": ort.__version__,
        "provider": sess.get_providers()[0],
        "threads": {"intra_op": 1, "inter_op": 1},
        "cpu": cpu_name(),
        "session_load_ms": round(load_ms, 1),
        "runs": args.runs,
        "warmup": args.warmup,
        "ms_per_tile_median": statistics.median(times) / tiles,
        "ms_per_tile_min": min(times) / tiles,
        "ms_per_tile_mean": statistics.fmean(times) / tiles,
        "ms_per_tile_max": max(times) / tiles,
        "loadavg_1min_before": load_before,
        "loadavg_1min_after": load_after,
    }
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"{res['model']}: input {inp.name} {shape}, onnxruntime {res['onnxruntime']} "
              f"{res['provider']}, 1 thread, {res['cpu']}")
        print(f"  {res['ms_per_tile_median']:.2f} ms/tile median of {args.runs} "
              f"(min {res['ms_per_tile_min']:.2f}, mean {res['ms_per_tile_mean']:.2f}, "
              f"max {res['ms_per_tile_max']:.2f}); session load {load_ms:.0f} ms; "
              f"load average {load_before:.2f} -> {load_after:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
