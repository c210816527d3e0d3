"""Scenarios from Python: the default one (real model), results as a Simulation,
the report, and precise errors."""

import json

import pytest

import orbitedge as oe


def short_default(hours=3.0):
    text = oe.Scenario.default().to_toml().replace("duration_h = 24.0", f"duration_h = {hours}")
    return oe.Scenario.from_toml(text)


def test_scenario_runs_into_a_simulation_and_writes_the_report(tmp_path):
    scenario = short_default()
    assert scenario.name == "onboard-cloud-detection"
    sim = scenario.run()
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
