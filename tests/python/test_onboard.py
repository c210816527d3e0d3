"""Onboard processing from Python: device profiles, imager and computer dicts,
counters, the downlink rule, replay of recorded inferences, and bad input."""

import datetime as dt
import pickle

import pytest

import orbitedge as oe

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
POWER = {
    "solar_array": {"area_m2": 0.12, "efficiency": 0.3},
    "battery": {"capacity_wh": 40.0, "initial_soc": 0.8, "min_soc": 0.2},
    "bus_load_w": 6.0,
}
MODEL = {"name": "cloud-detector", "flops": 2e10}


def onboard_spacecraft(computer=None, imager=None):
    sat = oe.walker_delta(1, 1, 0, 550.0, 97.6, START)[0]
    return oe.Spacecraft(
        sat.name, orbit=sat, power=POWER,
        radios=[{"name": "x", "rate": {"model": "fixed", "rate_bps": 2e7}, "transmit_power_w": 10.0,
                 "partitions": ["products", "images"]}],
        imager=imager or {"capture_interval_s": 60.0},
        computer=computer or {"device": "unibap-ix5", "model": MODEL},
    )


def test_shipped_device_profiles_carry_sources():
    profiles = oe.device_profiles()
    assert {p["name"] for p in profiles} >= {"unibap-ix5", "unibap-ix10", "myriad-x", "host"}
    ix10 = oe.device_profile("unibap-ix10")
    assert ix10["power_busy_w"]["value"] > ix10["power_idle_w"]["value"]
    assert ix10["power_busy_w"]["confidence"] in {"measured", "published", "estimated", "assumed"}
    assert ix10["power_busy_w"]["source"]
    with pytest.raises(oe.InputError, match="unibap-ix5"):
        oe.device_profile("cray-1")


def test_a_day_of_onboard_cloud_detection_accounts_for_every_tile():
    sc = onboard_spacecraft()
    sim = oe.Simulation(START, spacecraft=[sc], stations=[oe.GroundStation("Kiruna", 67.86, 20.96, 390.0, 5.0)],
                        seed=1)
    sim.run(START + dt.timedelta(days=1))
    onboard = sim.states()[0]["onboard"]
    assert onboard["tiles_unaccounted"] == 0
    assert onboard["tiles_captured"] > 300
    assert onboard["tiles_inferred"] == onboard["tiles_kept"] + onboard["tiles_dropped_cloudy"]
    # 70 % rule on cover u^(1/m - 1), m = 0.67: about half the tiles are dropped.
    share = onboard["tiles_dropped_cloudy"] / onboard["tiles_inferred"]
    assert 0.4 < share < 0.63, share
    assert onboard["bytes_dropped_cloudy"] > 0
    kinds = {e.kind for e in sim.events()}
    assert {"image_captured", "job_started", "job_completed"} <= kinds
    records = sim.inference_records()
    assert records and records[0]["latency_s"] == pytest.approx(2e10 / 8e9)
    # Pickled spacecraft keep their payload.
    assert pickle.loads(pickle.dumps(sc)) == sc


def test_recorded_inferences_replay_to_the_same_state():
    def run(replay=None):
        sim = oe.Simulation(START, spacecraft=[onboard_spacecraft()], seed=5)
        if replay:
            sim.replay_inferences(replay)
        sim.run(START + dt.timedelta(hours=4))
        return sim
    first = run()
    records = first.inference_records()
    # Replayed records with a different latency change the outcome; the same ones do not.
    assert run(records).states()[0]["onboard"] == first.states()[0]["onboard"]
    slower = [dict(r, latency_s=r["latency_s"] * 10) for r in records]
    assert run(slower).states()[0]["onboard"]["busy_s"] > first.states()[0]["onboard"]["busy_s"]


def test_bad_payloads_raise_input_errors():
    with pytest.raises(oe.InputError, match="power_busy_w"):
        profile = oe.device_profile("unibap-ix5")
        profile["power_busy_w"]["value"] = -5.0
        onboard_spacecraft(computer={"device": profile, "model": MODEL})
    with pytest.raises(oe.InputError, match="unknown field"):
        onboard_spacecraft(computer={"device": "host", "model": MODEL, "colour": "red"})
    with pytest.raises(oe.InputError, match="cray-1"):
        onboard_spacecraft(computer={"device": "cray-1", "model": MODEL})
    with pytest.raises(oe.InputError, match="capture_interval_s"):
        onboard_spacecraft(imager={"capture_interval_s": float("nan")})


def test_a_model_counts_its_runs():
    import pathlib

    import numpy as np

    model = oe.OnnxModel(pathlib.Path(__file__).resolve().parents[1] / "data" / "tiny_cloudnet.onnx")
    assert model.runs == 0
    shape = model.report()["input_shape"]
    model.run(np.zeros(shape, dtype=np.float32))
    model.run_batch(np.zeros([3, *shape[1:]], dtype=np.float32))
    assert model.runs == 4
    assert len(model.report()["sha256"]) == 64


def test_detector_choices_from_python():
    # Modeled latency: the ground truth unless asked otherwise, stated in the summary.
    sim = oe.Simulation(START, spacecraft=[onboard_spacecraft()], seed=5)
    sim.run(START + dt.timedelta(hours=4))
    totals = sim.summary()["totals"]
    assert totals["detector"] == "truth" and totals["detections"]["model"] == 0
    # The model detector needs a model attached (scenarios attach theirs).
    computer = {"device": "unibap-ix5", "model": MODEL, "detector": "model"}
    sim = oe.Simulation(START, spacecraft=[onboard_spacecraft(computer=computer)], seed=5)
    with pytest.raises(Exception, match="detector"):
        sim.run(START + dt.timedelta(hours=4))
    # Measured latency cannot take the ground truth (nothing to time).
    with pytest.raises(oe.InputError, match="truth"):
        onboard_spacecraft(computer={"device": "unibap-ix5", "model": MODEL, "latency": {"mode": "measured"},
                                     "detector": "truth"})
    with pytest.raises(oe.InputError, match="host_gflops"):
        onboard_spacecraft(computer={"device": "unibap-ix5", "model": MODEL,
                                     "latency": {"mode": "measured", "host_gflops": -1.0}})
