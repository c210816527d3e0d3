"""Overhead of ``oe.sweep`` per run: pickling, scheduling and collection.

What: N one-day runs of the six-satellite ``examples/monte_carlo.toml`` (each run
its own seed and battery size), one thread per run.
Baseline (same process, same runs): the runs called directly in a loop --
``scenario.with_values(...).run(seed=..., threads=1)`` and the same metrics -- which
is the work a sweep must do anyway.
Measured: the sweep on a local pool of one worker process, and on a Dask
LocalCluster of one worker when ``distributed`` is installed. The pool's start
(spawning a Python that imports orbitedge) is a fixed cost per sweep, timed
separately and reported apart; the per-run overhead is
(sweep time - start - baseline time) / N, reported as a share of one run's time.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    scenario = oe.Scenario.load(ROOT / "examples" / "monte_carlo.toml")
    parameters = {"bus.power.battery.capacity_wh": [20.0, 40.0, 80.0, 160.0]}
    runs_per_point = max(1, args.runs // 4)
    specs = expand(parameters, runs_per_point, seed=11)
    n = len(specs)

    # Warm-up (page cache, lazy initialisation), then the baseline.
    scenario.with_values(specs[0].values).run(seed=specs[0].seed, threads=1)
    started = time.perf_counter()
    direct = [summary_metrics(scenario.with_values(s.values).run(seed=s.seed, threads=1)) for s in specs]
    baseline_s = time.perf_counter() - started
    per_run_s = baseline_s / n

    start_s = min(pool_start_s() for _ in range(3))
    started = time.perf_counter()
    pooled = oe.sweep(scenario, parameters, runs=runs_per_point, seed=11, workers=1, progress=False)
    pool_s = time.perf_counter() - started
    assert [row["energy.consumed_wh"] for row in pooled] == [m["energy.consumed_wh"] for m in direct]

    print(f"{n} one-day runs of a six-satellite constellation, one thread each")
    print(f"baseline, direct loop in this process: {baseline_s:8.2f} s  ({per_run_s * 1e3:7.1f} ms per run)")
    overhead = (pool_s - start_s - baseline_s) / n
    print(f"sweep, local pool of 1 process:        {pool_s:8.2f} s  (pool start {start_s:.2f} s, once per sweep)")
    print(f"  overhead per run: {overhead * 1e3:+7.2f} ms = {100 * overhead / per_run_s:+5.1f} % of a run "
          f"(target <= 5 %); whole sweep / baseline = {pool_s / baseline_s:.3f}x")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("dask: distributed not installed, skipped")
        return
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            client.submit(noop).result()  # the worker is up and has imported orbitedge
            started = time.perf_counter()
            on_dask = oe.sweep(scenario, parameters, runs=runs_per_point, seed=11, client=client, progress=False)
            dask_s = time.perf_counter() - started
    assert [row["energy.consumed_wh"] for row in on_dask] == [m["energy.consumed_wh"] for m in direct]
    overhead = (dask_s - baseline_s) / n
    print(f"sweep, Dask LocalCluster of 1 worker:  {dask_s:8.2f} s  (cluster started beforehand)")
    print(f"  overhead per run: {overhead * 1e3:+7.2f} ms = {100 * overhead / per_run_s:+5.1f} % of a run "
          f"(target <= 5 %); whole sweep / baseline = {dask_s / baseline_s:.3f}x")


if __name__ == "__main__":
    main()
