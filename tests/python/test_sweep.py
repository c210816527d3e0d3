"""``oe.sweep``: grids and random draws expand into reproducible runs; the table is the
same on 1 and 2 local workers and on a Dask cluster; a failing run is reported with its
parameters without losing the others.

The scenario is ``examples/monte_carlo.toml`` shortened to 3 h (modeled inference
latency, so a run takes a fraction of a second).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import orbitedge as oe
from orbitedge._sweep import expand

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scenario() -> oe.Scenario:
    return oe.Scenario.load(REPO / "examples" / "monte_carlo.toml").with_values({"duration_h": 3.0})


PARAMETERS = {
    "bus.power.battery.capacity_wh": [20.0, 60.0],
    "bus.radiation.restart_per_s": lambda rng: float(rng.uniform(0.0, 5e-4)),
}


def without_wall_time(result: oe.SweepResult) -> dict[str, np.ndarray]:
    return result.to_columns(wall_time=False)


def assert_same_table(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert list(a) == list(b)
    for name in a:
        assert np.array_equal(a[name], b[name], equal_nan=True), name


def test_expansion_is_a_grid_times_runs_with_distinct_reproducible_seeds():
    specs = expand({"a": [1, 2, 3], "b": ["x", "y"], "c": 0.5, "d": lambda rng: rng.random()}, runs=4, seed=9)
    assert len(specs) == 3 * 2 * 4
    assert [s.run for s in specs] == list(range(24))
    # First key slowest, then repetitions of each point together.
    assert [(s.values["a"], s.values["b"]) for s in specs[:9:4]] == [(1, "x"), (1, "y"), (2, "x")]
    assert all(s.values["c"] == 0.5 for s in specs)
    assert len({s.seed for s in specs}) == 24 and len({s.values["d"] for s in specs}) == 24
    assert all(isinstance(s.values["d"], float) for s in specs)  # numpy scalars made plain
    again = expand({"a": [1, 2, 3], "b": ["x", "y"], "c": 0.5, "d": lambda rng: rng.random()}, runs=4, seed=9)
    assert again == specs
    assert expand({"a": [1]}, runs=1, seed=10)[0].seed != expand({"a": [1]}, runs=1, seed=9)[0].seed
    with pytest.raises(ValueError, match="seed"):
        expand({"seed": [1, 2]}, runs=1, seed=0)
    with pytest.raises(ValueError, match="runs"):
        expand({}, runs=0, seed=0)
    with pytest.raises(ValueError, match="no values"):
        expand({"a": []}, runs=1, seed=0)


def test_same_table_on_one_and_two_workers(scenario):
    one = oe.sweep(scenario, PARAMETERS, runs=2, seed=4, workers=1, progress=False)
    two = oe.sweep(scenario, PARAMETERS, runs=2, seed=4, workers=2, progress=False)
    assert len(one) == len(two) == 4 and not one.failures
    assert_same_table(without_wall_time(one), without_wall_time(two))
    table = one.to_columns()
    assert list(table)[:4] == ["run", "seed", "bus.power.battery.capacity_wh", "bus.radiation.restart_per_s"]
    assert list(table)[-1] == "wall_s" and (table["wall_s"] > 0).all()
    # The varied battery shows in the results: the small battery sees deeper discharge.
    small, large = table["min_soc"][:2], table["min_soc"][2:]
    assert small.mean() < large.mean()
    # A run reproduces on its own: the sweep's seed and values give the same summary.
    first = one.rows[0]
    alone = scenario.with_values(
        {"bus.power.battery.capacity_wh": first["bus.power.battery.capacity_wh"],
         "bus.radiation.restart_per_s": first["bus.radiation.restart_per_s"]}
    ).run(seed=first["seed"])
    assert oe.summary_metrics(alone)["energy.consumed_wh"] == first["energy.consumed_wh"]


def test_in_process_and_pool_agree(scenario):
    serial = oe.sweep(scenario, {"bus.power.battery.capacity_wh": [30.0]}, runs=2, seed=1, workers=0, progress=False)
    pooled = oe.sweep(scenario, {"bus.power.battery.capacity_wh": [30.0]}, runs=2, seed=1, workers=2, progress=False)
    assert_same_table(without_wall_time(serial), without_wall_time(pooled))


def test_a_failing_run_is_reported_with_its_parameters(scenario):
    # A negative battery capacity fails validation in the worker; the other runs complete.
    grid = {"bus.power.battery.capacity_wh": [40.0, -1.0, 50.0]}
    with pytest.raises(oe.SweepError) as caught:
        oe.sweep(scenario, grid, runs=1, seed=2, workers=2, progress=False)
    error = caught.value
    assert "1 of 3 runs failed" in str(error) and "capacity_wh" in str(error) and "-1.0" in str(error)
    result = error.result
    assert [row["bus.power.battery.capacity_wh"] for row in result.rows] == [40.0, 50.0]
    (failure,) = result.failures
    assert failure["run"] == 1 and failure["values"] == {"bus.power.battery.capacity_wh": -1.0}
    assert "capacity" in failure["error"] and "Traceback" in failure["traceback"]
    kept = oe.sweep(scenario, grid, runs=1, seed=2, workers=2, progress=False, errors="keep")
    assert len(kept) == 2 and len(kept.failures) == 1
    assert_same_table(kept.to_columns(wall_time=False), result.to_columns(wall_time=False))


def test_a_misspelt_key_fails_before_any_run(scenario):
    with pytest.raises(oe.InputError, match="capacity_wh"):
        scenario.with_values({"bus.power.battery.capacity_w": 1.0})
    # A section the preset fills is written out first: only the key named changes.
    lighter = oe.Scenario.default().with_values({"bus.power.bus_load_w": 5.0})
    assert "bus_load_w = 5.0" in lighter.to_toml() and "capacity_wh = 40.0" in lighter.to_toml()
    with pytest.raises(oe.InputError, match="preset has none"):
        oe.Scenario.default().with_values({"bus.preset": "none", "bus.power.bus_load_w": 1.0})


def test_custom_metrics_and_progress(scenario):
    seen: list[float] = []
    result = oe.sweep(
        scenario, {"bus.power.battery.capacity_wh": [30.0, 40.0]}, seed=3, workers=0,
        metrics=inferred_tiles, progress=seen.append,
    )
    assert seen == [0.5, 1.0]
    assert set(result.columns()) == {"run", "seed", "bus.power.battery.capacity_wh", "tiles", "wall_s"}
    assert all(row["tiles"] >= 0 for row in result)


def inferred_tiles(sim: oe.Simulation) -> dict[str, float]:
    return {"tiles": float(sim.summary()["totals"]["images_inferred"])}


def test_dask_cluster_gives_the_same_table(scenario):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            on_dask = oe.sweep(scenario, PARAMETERS, runs=1, seed=4, client=client, progress=False)
    local = oe.sweep(scenario, PARAMETERS, runs=1, seed=4, workers=2, progress=False)
    assert_same_table(without_wall_time(on_dask), without_wall_time(local))


def die_on_50_wh(sim: oe.Simulation) -> dict[str, float]:
    state = sim.states()[0]
    if abs(state["battery_wh"] / state["soc"] - 50.0) < 1e-6:
        import os

        os._exit(3)  # the worker process dies: no exception, no result
    return {"final_soc": state["soc"]}


def test_a_dead_worker_fails_its_runs_and_keeps_the_rest(scenario):
    grid = {"bus.power.battery.capacity_wh": [40.0, 50.0, 60.0, 70.0]}
    result = oe.sweep(scenario, grid, seed=5, workers=2, chunk_size=1, metrics=die_on_50_wh,
                      errors="keep", progress=False)
    done = {row["run"] for row in result}
    lost = {failure["run"]: failure for failure in result.failures}
    assert done | set(lost) == {0, 1, 2, 3} and not done & set(lost)
    assert 1 in lost and lost[1]["error"].startswith("worker lost")
    assert lost[1]["values"] == {"bus.power.battery.capacity_wh": 50.0}
