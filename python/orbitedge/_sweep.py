"""Parameter sweeps and Monte-Carlo studies of one scenario, on a local process
pool or on a ``dask.distributed`` cluster.

A sweep expands a grid of values (lists) and random draws (functions of a numpy
``Generator``) into independent runs, each with its own seed drawn from one
master seed, runs them anywhere, and collects one row per run::

    import orbitedge as oe

    result = oe.sweep(
        oe.Scenario.load("examples/monte_carlo.toml"),
        {"bus.power.battery.capacity_wh": [20.0, 40.0, 80.0],             # grid
         "bus.radiation.restart_per_s": lambda rng: rng.uniform(0, 2e-4)},  # drawn per run
        runs=100, seed=1,
    )
    table = result.to_columns()          # dict of numpy arrays; pandas.DataFrame(table)

Reproducible: the seeds and draws are made in the calling process from ``seed``
alone, so the table (but its ``wall_s`` column) is the same on any number of
workers, on a local pool or on Dask. A run that fails is reported with its
parameters and does not lose the others' results (:class:`SweepError`).
"""

from __future__ import annotations

import concurrent.futures
import itertools
import math
import multiprocessing
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from ._orbitedge import Scenario, Simulation
from ._progress import bar
from .errors import OrbitEdgeError

__all__ = ["RunSpec", "SweepError", "SweepResult", "sweep", "summary_metrics"]

#: Columns every row has besides the parameters and metrics.
RUN, SEED, WALL = "run", "seed", "wall_s"


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: its index, the values it sets and its seed."""

    run: int
    values: dict[str, Any]
    seed: int


@dataclass
class SweepResult:
    """The rows of the runs that completed (in run order) and the runs that failed."""

    rows: list[dict[str, Any]]
    failures: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def columns(self) -> list[str]:
        """Column names: run, seed, the parameters, the metrics, wall_s."""
        return list(self.rows[0]) if self.rows else []

    def to_columns(self, wall_time: bool = True) -> dict[str, np.ndarray]:
        """The table as a dict of numpy arrays (``pandas.DataFrame`` takes it as is).

        ``wall_time=False`` leaves out ``wall_s``, the only column that differs
        between two runs of the same sweep.
        """
        names = [c for c in self.columns() if wall_time or c != WALL]
        return {name: np.array([row.get(name, np.nan) for row in self.rows]) for name in names}

    def to_pandas(self) -> Any:
        """The table as a ``pandas.DataFrame`` (needs pandas)."""
        import pandas as pd  # type: ignore[import-untyped]

        return pd.DataFrame(self.to_columns())


class SweepError(OrbitEdgeError, RuntimeError):
    """Some runs of a sweep failed. ``result`` holds every completed row and, in
    ``result.failures``, each failed run's index, seed, values, error and traceback."""

    def __init__(self, result: SweepResult, total: int) -> None:
        self.result = result
        self.total = total
        lines = [f"{len(result.failures)} of {total} runs failed; the other {len(result.rows)} completed "
                 "(see .result):"]
        for failure in result.failures[:5]:
            lines.append(f"  run {failure[RUN]} (seed {failure[SEED]}, {failure['values']}): {failure['error']}")
        if len(result.failures) > 5:
            lines.append(f"  ... and {len(result.failures) - 5} more")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[Any, tuple[SweepResult, int]]:
        return (type(self), (self.result, self.total))


def summary_metrics(sim: Simulation) -> dict[str, float]:
    """The constellation totals of ``sim.summary()``, flattened (``energy.consumed_wh``,
    ``contact_s.Kiruna``, ...): the default metrics of a sweep."""
    out: dict[str, float] = {}

    def flatten(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                flatten(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                flatten(f"{prefix}.{index}", item)
        elif isinstance(value, bool):
            out[prefix] = float(value)
        elif isinstance(value, (int, float)):
            out[prefix] = float(value)

    totals = dict(sim.summary()["totals"])
    totals.pop("name", None)
    flatten("", totals)
    return out


def expand(parameters: Mapping[str, Any] | None, runs: int, seed: int) -> list[RunSpec]:
    """The runs of a sweep, in order: the grid's points (first key slowest), each
    repeated ``runs`` times; every run gets its own seed and draws from
    ``numpy.random.SeedSequence(seed)``."""
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive integer, got {runs!r}")
    parameters = dict(parameters or {})
    if "seed" in parameters:
        raise ValueError("'seed' is set per run by the sweep; pass sweep(..., seed=N) instead")
    grid_keys: list[str] = []
    grid_values: list[list[Any]] = []
    drawn: dict[str, Callable[[np.random.Generator], Any]] = {}
    fixed: dict[str, Any] = {}
    for key, value in parameters.items():
        if callable(value):
            drawn[key] = value
        elif isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
            fixed[key] = value
        else:
            axis = list(value)
            if not axis:
                raise ValueError(f"parameter {key!r} has no values")
            grid_keys.append(key)
            grid_values.append(axis)
    points = list(itertools.product(*grid_values))
    children = np.random.SeedSequence(seed).spawn(len(points) * runs)
    specs = []
    for index, child in enumerate(children):
        point = dict(zip(grid_keys, points[index // runs]))
        rng = np.random.default_rng(child.spawn(1)[0])
        values = {**fixed, **point, **{key: draw(rng) for key, draw in drawn.items()}}
        run_seed = int(child.generate_state(1, dtype=np.uint64)[0])
        specs.append(RunSpec(index, {k: _plain(k, v) for k, v in values.items()}, run_seed))
    return specs


def _plain(key: str, value: Any) -> Any:
    """numpy scalars as Python numbers (JSON needs them)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"parameter {key!r}: {value} is not a finite number")
    return value


Outcome = dict[str, dict[str, Any]]
Metrics = Callable[[Simulation], Mapping[str, Any]]


def execute(scenario: Scenario, spec: RunSpec, metrics: Metrics | None) -> Outcome:
    """Runs one spec (in a worker) and returns its row, or its failure: never raises,
    so one failing run cannot take the others down with it."""
    started = time.perf_counter()
    try:
        varied = scenario.with_values(spec.values) if spec.values else scenario
        sim = varied.run(seed=spec.seed, threads=1)
        measured = dict((metrics or summary_metrics)(sim))
        row = {RUN: spec.run, SEED: spec.seed, **spec.values, **measured}
        row[WALL] = time.perf_counter() - started
        return {"ok": row}
    except Exception as error:  # reported with the run's parameters, in the caller
        return _failure(spec, f"{type(error).__name__}: {error}", traceback.format_exc())


def _failure(spec: RunSpec, error: str, trace: str) -> Outcome:
    return {"failed": {RUN: spec.run, SEED: spec.seed, "values": spec.values, "error": error, "traceback": trace}}


def execute_many(scenario: Scenario, specs: list[RunSpec], metrics: Metrics | None) -> list[Outcome]:
    """Runs a chunk of specs in one task: the per-task cost of a pool or a Dask
    scheduler is paid once per chunk, not once per (possibly 10-ms) run."""
    return [execute(scenario, spec, metrics) for spec in specs]


def chunks(specs: list[RunSpec], workers: int, chunk_size: int | None) -> list[list[RunSpec]]:
    """Consecutive chunks: ``chunk_size`` runs each, or by default about eight
    tasks per worker (enough to balance uneven runs, few enough to be cheap)."""
    size = chunk_size or max(1, math.ceil(len(specs) / (8 * max(workers, 1))))
    return [specs[k : k + size] for k in range(0, len(specs), size)]


def sweep(
    scenario: Scenario | str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    runs: int = 1,
    seed: int = 0,
    *,
    metrics: Metrics | None = None,
    workers: int | None = None,
    client: Any = None,
    errors: str = "raise",
    progress: bool | Callable[[float], None] | None = None,
    chunk_size: int | None = None,
) -> SweepResult:
    """Runs ``scenario`` once per point of a parameter grid and random draw.

    Args:
        scenario: A :class:`Scenario` or the path of a scenario file.
        parameters: Key path → values. A list (tuple, array) is a grid axis; a
            function ``f(rng) -> value`` is drawn for every run from that run's
            ``numpy.random.Generator``; anything else is a fixed value. Key paths
            are those of the scenario file (``bus.power.battery.capacity_wh``,
            ``satellites.0.altitude_km``); a bus section the scenario leaves to
            its preset takes the preset's values first.
        runs: Runs per grid point (Monte-Carlo repetitions), each with its own seed.
        seed: Master seed: the runs' seeds and draws follow from it alone.
        metrics: ``f(simulation) -> dict`` of a run's results (a module-level
            function, so it pickles); default :func:`summary_metrics`.
        workers: Local processes (default: the CPU count); 0 runs in this process.
        client: A ``dask.distributed.Client``: run there instead (Dask is optional).
        errors: ``"raise"`` (default): after every run finished, raise
            :class:`SweepError` if any failed; ``"keep"``: return them in
            ``result.failures``.
        progress: A callable taking the fraction done, True for a bar on stderr,
            False for none; default: a bar when stderr is a terminal.
        chunk_size: Runs per task (default: about eight tasks per worker), so
            short runs do not pay a task's scheduling cost each.

    Returns:
        A :class:`SweepResult`: one row per completed run, in run order.
    """
    if errors not in ("raise", "keep"):
        raise ValueError(f"errors must be 'raise' or 'keep', got {errors!r}")
    if not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    specs = expand(parameters, runs, seed)
    report = _progress_callback(progress)
    outcomes: list[Outcome] = []

    def collect(chunk: list[Outcome]) -> None:
        outcomes.extend(chunk)
        if report is not None:
            report(len(outcomes) / len(specs))

    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if client is not None:
        _on_dask(client, scenario, specs, metrics, collect, chunk_size)
    elif workers == 0:
        for spec in specs:
            collect([execute(scenario, spec, metrics)])
    else:
        count = min(workers or os.cpu_count() or 1, len(specs))
        # "spawn": a forked child of a process whose threads (rayon's) hold locks can hang.
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            futures = {
                pool.submit(execute_many, scenario, chunk, metrics): chunk
                for chunk in chunks(specs, count, chunk_size)
            }
            for future in concurrent.futures.as_completed(futures):
                collect(_outcomes(future, futures[future]))

    rows = sorted((o["ok"] for o in outcomes if "ok" in o), key=lambda row: row[RUN])
    failures = sorted((o["failed"] for o in outcomes if "failed" in o), key=lambda f: f[RUN])
    result = SweepResult(rows, failures)
    if failures and errors == "raise":
        raise SweepError(result, len(specs))
    return result


def _on_dask(
    client: Any,
    scenario: Scenario,
    specs: list[RunSpec],
    metrics: Metrics | None,
    collect: Callable[[list[Outcome]], None],
    chunk_size: int | None,
) -> None:
    from distributed import as_completed  # optional: pip install "orbitedge[dask]"

    workers = sum(client.nthreads().values()) or 1
    parts = chunks(specs, workers, chunk_size)
    shared = client.scatter(scenario, broadcast=True)
    futures = client.map(execute_many, [shared] * len(parts), parts, [metrics] * len(parts), pure=False)
    chunk_of = {future.key: chunk for future, chunk in zip(futures, parts)}
    for future in as_completed(futures):  # type: ignore[no-untyped-call]
        collect(_outcomes(future, chunk_of[future.key]))


def _outcomes(future: Any, chunk: list[RunSpec]) -> list[Outcome]:
    """A finished task's outcomes; a worker that died (killed, out of memory) is
    reported as its runs' failures rather than ending the sweep."""
    try:
        return list(future.result())
    except Exception as error:
        trace = "".join(traceback.format_exception(error))
        return [_failure(spec, f"worker lost: {type(error).__name__}: {error}", trace) for spec in chunk]


def _progress_callback(progress: bool | Callable[[float], None] | None) -> Callable[[float], None] | None:
    if callable(progress):
        return progress
    if progress is None:
        progress = sys.stderr.isatty()
    return bar() if progress else None
