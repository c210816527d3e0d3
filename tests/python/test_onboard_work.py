"""Python code standing in for onboard work (issue 14): the wall time × factor books the
spacecraft, the durations are recorded, and a replay with them is the same run bit for bit."""

from __future__ import annotations

import datetime as dt
import doctest
import time

import pytest

import orbitedge as oe

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
POWER = {"solar_array": {"area_m2": 0.1, "efficiency": 0.3},
         "battery": {"capacity_wh": 40.0, "initial_soc": 0.8}, "bus_load_w": 8.0}


def simulation() -> oe.Simulation:
    [sat] = oe.walker_delta(1, 1, 0, 550.0, 97.6, START, propagator="kepler")
    return oe.Simulation(START, spacecraft=[oe.Spacecraft("sat", orbit=sat, power=POWER)], stations=[], seed=1)


def nap(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def test_the_wall_time_times_the_factor_books_the_spacecraft():
    sim = simulation()
    work = oe.OnboardWork(sim, time_factor=1_000.0)
    assert work.run("sat", "fit", 12.0, nap, 0.05) == "done"
    [duration] = work.durations_s
    assert 50.0 <= duration < 500.0  # 0.05 s of host time, 1 000× slower on board
    ended = sim.wait_for("activity_ended")[-1]
    assert ended.data()["activity"] == "fit"
    assert ended.elapsed_s == pytest.approx(duration, abs=1e-6)


def test_a_replay_uses_the_recorded_durations_and_gives_the_same_run():
    first = simulation()
    work = oe.OnboardWork(first, time_factor=500.0)
    for _ in range(3):
        work.run("sat", "fit", 12.0, nap, 0.01)
        first.wait(600.0)
    again = simulation()
    replay = oe.OnboardWork(again, replay=work.durations_s)
    for _ in range(3):
        replay.run("sat", "fit", 12.0, nap, 0.0)  # the host's time no longer matters
        again.wait(600.0)
    assert replay.durations_s == work.durations_s
    assert again.events_jsonl() == first.events_jsonl()
    with pytest.raises(oe.InputError, match="only 3 durations"):
        replay.run("sat", "fit", 12.0, nap, 0.0)


def test_bad_factors_are_input_errors_and_the_docstring_runs():
    for factor in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(oe.InputError):
            oe.OnboardWork(simulation(), time_factor=factor)
    examples = doctest.DocTestParser().get_doctest(oe.OnboardWork.__doc__, {}, "OnboardWork", None, 0)
    runner = doctest.DocTestRunner()
    runner.run(examples)
    assert runner.failures == 0 and runner.tries >= 5
