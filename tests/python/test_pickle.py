"""Every public object a user would send to a worker pickles to an equal object.

Round trips go through ``pickle.dumps``/``loads`` at the highest protocol (what
``multiprocessing``, ``concurrent.futures``, Dask and Ray use underneath) and, for a
simulation, through a real child process that continues the run: its result must
equal the same run continued here, bit for bit.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pathlib
import pickle

import numpy as np
import pytest

import orbitedge as oe
from conftest import ISS

REPO = pathlib.Path(__file__).resolve().parents[2]
TINY_MODEL = REPO / "tests" / "data" / "tiny_cloudnet.onnx"
START, END = "2024-03-01T00:00:00Z", "2024-03-01T06:00:00Z"


def round_trip(value):
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def battery_floor(view):  # module level: pickles by reference
    return view["soc"] > 0.4


def dose_counter(view, dt_s, value):
    return value + dt_s


@pytest.fixture(scope="module")
def fleet():
    sats = oe.walker_delta(2, 1, 0, altitude_km=550.0, inclination_deg=97.6, epoch=START, prefix="sat")
    stations = [oe.GroundStation("Kiruna", lat_deg=67.8558, lon_deg=20.9644, alt_m=390.0, min_elevation_deg=5.0)]
    spacecraft = [
        oe.Spacecraft(
            s.name,
            orbit=s,
            power={"solar_array": {"area_m2": 0.1}, "battery": {"capacity_wh": 40.0}, "bus_load_w": 6.0},
            activities=[{"name": "imaging", "power_w": 10.0, "duration_s": 300.0}],
        )
        for s in sats
    ]
    return sats, stations, spacecraft


def simulation(fleet) -> oe.Simulation:
    _, stations, spacecraft = fleet
    sim = oe.Simulation(START, spacecraft, stations, seed=3)
    sim.add_constraint(spacecraft[0].name, "imaging", battery_floor)
    sim.add_property(spacecraft[0].name, "exposure_s", 0.0, dose_counter)
    sim.schedule(spacecraft[0].name, "imaging", "2024-03-01T00:10:30Z")
    return sim


def test_value_objects_round_trip(fleet):
    sats, stations, spacecraft = fleet
    iss = oe.Satellite.from_tle(*ISS, name="ISS")
    windows = oe.access_windows(sats, stations, START, END)
    eclipses = oe.eclipse_intervals(sats, START, END)
    higher = oe.walker_delta(1, 1, 0, altitude_km=800.0, inclination_deg=53.0, epoch=START, prefix="x")
    links = oe.link_windows([*sats, *higher], START, END)
    assert windows and eclipses and links
    objects = [iss, *sats, *stations, *spacecraft, *windows, *eclipses, *links]
    for value in objects:
        back = round_trip(value)
        assert type(back) is type(value)
        assert back == value, value
    # Equality means equal values, not identity: a different object is unequal.
    assert windows[0] != windows[-1] and sats[0] != sats[1]
    # And the unpickled objects work: propagate to the same positions, bit for bit.
    r0, _ = iss.propagate([START, END])
    r1, _ = round_trip(iss).propagate([START, END])
    assert np.array_equal(r0, r1)


def test_events_and_scenarios_round_trip(tmp_path):
    scenario = oe.Scenario.load(REPO / "examples" / "monte_carlo.toml")
    back = round_trip(scenario)
    assert back == scenario and back.to_toml() == scenario.to_toml()
    varied = scenario.with_values({"bus.power.battery.capacity_wh": 60.0})
    assert varied != scenario and round_trip(varied) == varied
    sim = scenario.with_values({"duration_h": 2.0}).run(seed=5)
    events = sim.events()
    assert events
    assert [round_trip(e) for e in events] == events
    assert round_trip(sim.summary()) == sim.summary()


def test_onnx_model_pickles_with_its_bytes(tmp_path):
    copy = tmp_path / "model.onnx"
    copy.write_bytes(TINY_MODEL.read_bytes())
    model = oe.OnnxModel(copy)
    blob = pickle.dumps(model)
    copy.unlink()  # the worker has no file: the pickle carries the model
    back = pickle.loads(blob)
    assert back == model
    shape = back.report()["input_shape"]
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    assert np.array_equal(back.run(x), model.run(x))


def test_simulation_round_trips_with_its_hooks(fleet):
    sim = simulation(fleet)
    with pytest.raises(oe.OrbitEdgeError):  # not attached, so not pickled either
        sim.add_constraint("nobody", "imaging", battery_floor)
    sim.run("2024-03-01T01:00:00Z")
    back = round_trip(sim)
    assert back == sim
    # Both continue identically: the hooks came along (the property keeps counting).
    sim.run("2024-03-01T02:00:00Z")
    back.run("2024-03-01T02:00:00Z")
    assert back == sim
    assert sim.states()[0]["properties"]["exposure_s"] == pytest.approx(7_200.0)
    assert back.events_jsonl() == sim.events_jsonl()


def continue_run(blob: bytes) -> bytes:
    sim = pickle.loads(blob)
    sim.run("2024-03-01T03:00:00Z")
    return pickle.dumps(sim)


def test_a_child_process_continues_a_pickled_simulation_bit_for_bit(fleet):
    sim = simulation(fleet)
    sim.run("2024-03-01T01:00:00Z")
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        there = pickle.loads(pool.submit(continue_run, pickle.dumps(sim)).result())
    sim.run("2024-03-01T03:00:00Z")
    assert there == sim
    assert there.telemetry_csv() == sim.telemetry_csv()


def test_a_lambda_hook_fails_to_pickle_with_pickles_own_error(fleet):
    _, stations, spacecraft = fleet
    sim = oe.Simulation(START, spacecraft, stations)
    sim.add_constraint(spacecraft[0].name, "imaging", lambda view: True)
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(sim)


def test_results_errors_and_clients_round_trip():
    from orbitedge.rehearsal import Client, Decision, RehearsalError, SpacecraftState

    result = oe.SweepResult([{"run": 0, "seed": 1, "x": 2.0, "wall_s": 0.1}],
                            [{"run": 1, "seed": 2, "values": {"x": -1.0}, "error": "InputError: x", "traceback": ""}])
    assert round_trip(result) == result
    error = round_trip(oe.SweepError(result, 2))
    assert error.result == result and "1 of 2 runs failed" in str(error)
    refused = round_trip(RehearsalError("unknown spacecraft", 404))
    assert (refused.status, refused.message, str(refused)) == (404, "unknown spacecraft", "HTTP 404: unknown spacecraft")
    assert round_trip(Decision(False, ["battery"])) == Decision(False, ["battery"])
    state = SpacecraftState("a", "t", 1.0, 0.5, 20.0, 30.0, 10.0, 20.0, 290.0, 1.0, None, None, ("Kiruna", "t2"),
                            {"products": 1e9}, {}, True)
    assert round_trip(state) == state
    client = Client("http://127.0.0.1:8642", token="t")
    back = round_trip(client)
    assert (back.url, back._token, back._conn) == (client.url, "t", None)
