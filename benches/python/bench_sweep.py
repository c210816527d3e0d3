"""Overhead of ``oe.sweep`` per run: pickling, scheduling and collection.

What: N one-day runs of the six-satellite ``examples/monte_carlo.toml`` (each run
its own seed and battery size), one thread per run.
Baseline (same process, same runs): the runs called directly in a loop --
``scenario.with_values(...).run(seed=..., threads=1)`` and the same metrics -- which
is the work a sweep must do anyway.
Measured: the sweep on a local pool of one worker process, and on a Dask
LocalCluster of one worker (started beforehand) when ``distributed`` is installed;
best of a few repeats. The pool's start (spawning a Python that imports orbitedge)
is a fixed cost per sweep, timed separately and reported apart; the per-run
overhead is (sweep time - fixed cost - baseline time) / N, as a share of one run.
Target (issue #7): <= 5 %.

How: ``python benches/python/bench_sweep.py [--runs N]`` after ``maturin develop --release``
(``make bench-python`` does both).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import pathlib
import time
from typing import Any

import orbitedge as oe
from orbitedge._sweep import expand, summary_metrics

ROOT = pathlib.Path(__file__).resolve().parents[2]


def noop() -> int:
    import orbitedge  # noqa: F401  (what a worker imports before its first run)

    return 0


def pool_start_s() -> float:
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        pool.submit(noop).result()
    return time.perf_counter() - started


def best_of(repeats: int, work: Any) -> tuple[float, Any]:
    """The shortest of ``repeats`` timings of ``work()`` and its last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def report(name: str, sweep_s: float, fixed_s: float, baseline_s: float, result: oe.SweepResult) -> None:
    n = len(result)
    per_run_s = baseline_s / n
    in_runs_s = float(sum(row["wall_s"] for row in result))  # measured inside the workers
    overhead = (sweep_s - fixed_s - baseline_s) / n
    handling = (sweep_s - fixed_s - in_runs_s) / n
    print(f"{name:<38} {sweep_s:8.3f} s  (fixed cost {fixed_s:.3f} s, once per sweep)")
    print(f"  vs the baseline: {overhead * 1e3:+7.3f} ms per run = {100 * overhead / per_run_s:+5.1f} % of a run; "
          f"whole sweep / baseline = {sweep_s / baseline_s:.3f}x")
    print(f"  pickling, scheduling and collection (sweep - fixed cost - time inside the runs): "
          f"{handling * 1e3:+7.3f} ms per run = {100 * handling / per_run_s:+5.1f} % of a run (target <= 5 %)")
    print(f"  the runs themselves took {in_runs_s / baseline_s:.3f}x the baseline's time in the worker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    scenario = oe.Scenario.load(ROOT / "examples" / "monte_carlo.toml")
    parameters = {"bus.power.battery.capacity_wh": [20.0, 40.0, 80.0, 160.0]}
    runs_per_point = max(1, args.runs // 4)
    specs = expand(parameters, runs_per_point, seed=11)
    n = len(specs)

    def direct() -> list[dict[str, float]]:
        return [summary_metrics(scenario.with_values(s.values).run(seed=s.seed, threads=1)) for s in specs]

    def pooled() -> oe.SweepResult:
        return oe.sweep(scenario, parameters, runs=runs_per_point, seed=11, workers=1, progress=False)

    direct()  # warm-up: page cache, lazy initialisation
    baseline_s, metrics = best_of(args.repeats, direct)
    print(f"{n} one-day runs of a six-satellite constellation (examples/monte_carlo.toml), one thread each, "
          f"best of {args.repeats}")
    print(f"{'baseline: a loop in this process':<38} {baseline_s:8.3f} s  ({baseline_s / n * 1e3:.2f} ms per run)")
    start_s, _ = best_of(args.repeats, pool_start_s)
    pool_s, result = best_of(args.repeats, pooled)
    assert [row["energy.consumed_wh"] for row in result] == [m["energy.consumed_wh"] for m in metrics]
    report("sweep, local pool of 1 process", pool_s, start_s, baseline_s, result)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("dask: distributed not installed, skipped")
        return
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            client.submit(noop).result()  # the worker is up and has imported orbitedge

            def on_dask() -> oe.SweepResult:
                return oe.sweep(scenario, parameters, runs=runs_per_point, seed=11, client=client, progress=False)

            dask_s, result = best_of(args.repeats, on_dask)
    assert [row["energy.consumed_wh"] for row in result] == [m["energy.consumed_wh"] for m in metrics]
    report("sweep, Dask LocalCluster of 1 worker", dask_s, 0.0, baseline_s, result)


if __name__ == "__main__":
    main()
