"""Scenarios from Python: the default one (real model), results as a Simulation,
the report, and precise errors."""

import json

import pytest

import orbitedge as oe


def short_default(hours=3.0):
    text = oe.Scenario.default().to_toml().replace("duration_h = 24.0", f"duration_h = {hours}")
    return oe.Scenario.from_toml(text)


@pytest.fixture(scope="module")
def default_3h():
    """The default scenario's first 3 hours, run once (the real model on every tile) for the
    tests that only read it."""
    scenario = short_default()
    return scenario, scenario.run()


def test_scenario_runs_into_a_simulation_and_writes_the_report(tmp_path, default_3h):
    scenario, sim = default_3h
    assert scenario.name == "onboard-cloud-detection"
    assert isinstance(sim, oe.Simulation)
    totals = sim.summary()["totals"]
    assert totals["images_captured"] > 0
    assert totals["images_inferred"] == totals["images_kept"] + totals["images_dropped_cloudy"]
    assert totals["images_downlinked"] <= totals["images_kept"]
    files = sim.report(tmp_path)
    names = {p.split("/")[-1] for p in files}
    assert {"summary.md", "summary.json", "timeline.csv", "events.jsonl", "inferences.jsonl"} <= names
    for stem in ("ground_tracks", "power_thermal", "timeline"):
        assert (tmp_path / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
        assert "Time since" in (tmp_path / "timeline.svg").read_text()
    assert not any(n.endswith(".png") for n in map(str, sim.report(tmp_path / "text-only", plots=False)))
    report = json.loads((tmp_path / "summary.json").read_text())
    assert "float32" in report["run"]["model"] and report["run"]["scenario"] == scenario.name
    # Measured latencies were recorded: the same run replays from them.
    assert len(sim.inference_records()) == totals["jobs_started"]


def test_scenario_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(oe.Scenario.default().to_toml().replace("duration_h", "duraton_h"))
    with pytest.raises(oe.InputError, match="did you mean `duration_h`"):
        oe.Scenario.load(bad)
    with pytest.raises(oe.InputError, match="cannot read"):
        oe.Scenario.load(tmp_path / "missing.toml")


def test_measured_latency_follows_the_device_and_detection_is_stated(tmp_path, default_3h):
    """Issue 15: one host calibration scales the host time to the device, so the
    iX10 (4x the iX5's throughput) is 4x less busy on the same host times (it
    replays the iX5's records: the 5 % is on the rule, not on the host's noise);
    modeled latency runs no model, and every summary says what detected clouds."""
    base, ix5 = default_3h
    t5 = ix5.summary()["totals"]
    assert t5["detector"] == "model"
    assert t5["detections"] == {"model": t5["jobs_started"], "truth": 0, "replayed": 0}
    records = ix5.inference_records()
    assert records and all(r["host_gflops"] > 0 for r in records)
    ix10 = base.with_values({"computer.device": "unibap-ix10", "computer.detector": "replay"}).simulation()
    ix10.replay_inferences(records)
    ix10.run("2024-03-01T03:00:00Z")
    t10 = ix10.summary()["totals"]
    assert t10["detector"] == "replay" and t10["detections"]["model"] == 0
    ix5_profile, ix10_profile = oe.device_profile("unibap-ix5"), oe.device_profile("unibap-ix10")
    throughput_ratio = ix10_profile["throughput_gflops"]["value"] / ix5_profile["throughput_gflops"]["value"]
    assert t5["compute_busy_s"] / t10["compute_busy_s"] == pytest.approx(throughput_ratio, rel=0.05)
    ix5.report(tmp_path / "ix5", plots=False)
    md = (tmp_path / "ix5" / "summary.md").read_text()
    assert "detector `model`" in md and "GFLOP/s" in md and "calibrated on" in md

    modeled = base.with_values({"computer.latency": {"mode": "modeled"}}).run()
    tm = modeled.summary()["totals"]
    assert tm["detector"] == "truth"
    assert tm["detections"] == {"model": 0, "truth": tm["jobs_started"], "replayed": 0}
    assert tm["cloud_fraction_mean_abs_error"] == 0.0
    modeled.report(tmp_path / "modeled", plots=False)
    assert "detection is perfect" in (tmp_path / "modeled" / "summary.md").read_text()

    with pytest.raises(oe.InputError, match="truth"):
        base.with_values({"computer.detector": "truth"}).run()
    with pytest.raises(oe.InputError, match="detector"):
        base.with_values({"computer.detector": "oracle"})
