"""A rehearsal driven from this process through ``orbitedge.rehearsal.Client``.

The server is the real ``orbitedge serve`` command in its own process (the binary that
``cargo test`` builds, or ``$ORBITEDGE_BIN``). The scenario is two cubesats and one
station, paced at 100-600 x so an eclipse entry happens within seconds of wall time.
Checked: state transitions the application causes, every kind of refused request (4xx,
JSON message, nothing changed), the token, the long-poll event feed, the recorded log,
and that ``orbitedge replay`` of that log reproduces the served run's events and
timeline exactly.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import time

import pytest

import orbitedge as oe
from orbitedge.rehearsal import Client, Decision, RehearsalError, RehearsalFailed, SpacecraftState, launch

REPO = pathlib.Path(__file__).resolve().parents[2]

SCENARIO = """
name = "rehearsal-test"
seed = 7
start = "2024-03-01T00:00:00Z"
duration_h = 6.0
telemetry_interval_s = 60.0

[[satellites]]
source = "walker"
prefix = "sat"
total = 2
planes = 1
phasing = 0
altitude_km = 550.0

[bus]
preset = "cubesat_6u"

[[bus.radios]]
name = "x-band"
rate = { model = "fixed", rate_bps = 20e6 }
transmit_power_w = 12.0
partitions = ["products"]

[[stations]]
name = "Kiruna"
latitude_deg = 67.8558
longitude_deg = 20.9644
altitude_m = 390.0
min_elevation_deg = 5.0

[outputs]
dir = "out"
plots = false
"""




@pytest.fixture()
def scenario(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO)
    return path


def test_the_application_changes_the_state_it_reads(binary, scenario, tmp_path):
    out = tmp_path / "served"
    with launch(scenario, multiplier=100.0, out=out, binary=binary) as server:
        sim = server.client()
        assert sim.health()
        names = sim.spacecraft()
        assert names == ["sat-P1-S1", "sat-P1-S2"]
        sc = names[0]

        before = sim.state(sc)
        assert isinstance(before, SpacecraftState)
        assert 0.0 < before.state_of_charge <= 1.0
        assert before.activities == {}
        assert before.next_window is not None and before.next_window[0] == "Kiruna"
        free = before.storage_free_bytes["products"]

        decision = sim.may_run(sc, "detector", power_w=12.0, duration_s=60.0)
        assert decision == Decision(True, []) and decision
        sim.start(sc, "detector", power_w=12.0)
        running = sim.state(sc)
        assert running.activities == {"detector": 12.0}
        assert running.power_out_w == pytest.approx(before.power_out_w + 12.0, abs=1e-9)
        assert not sim.may_run(sc, "detector", power_w=12.0).allowed  # already running
        assert sim.stop(sc, "detector") == 12.0
        assert sim.state(sc).activities == {}

        with sim.activity(sc, "downlink-prep", power_w=3.0):
            assert sim.state(sc).activities == {"downlink-prep": 3.0}
        assert sim.state(sc).activities == {}

        assert sim.write_data(sc, bytes=2.5e6, partition="products") == 2.5e6
        assert sim.state(sc).storage_free_bytes["products"] == pytest.approx(free - 2.5e6)

        # A battery-emptying request is refused, with the reason.
        greedy = sim.may_run(sc, "heater", power_w=500.0, duration_s=3_600.0)
        assert not greedy and any("charge" in r for r in greedy.reasons), greedy.reasons

        # Time moves with the wall clock, 100 simulated seconds per second (a camera on
        # meanwhile), within 10 % over 1 s: slots and scheduling jitter on a loaded host.
        sim.start(sc, "camera", power_w=20.0)
        t0 = sim.clock()
        time.sleep(1.0)
        t1 = sim.clock()
        sim.stop(sc, "camera")
        assert (t1["elapsed_s"] - t0["elapsed_s"]) == pytest.approx(100.0 * (t1["wall_s"] - t0["wall_s"]), rel=0.1)
        assert server.stop() == 0

    log = [json.loads(line) for line in (out / "rehearsal.jsonl").read_text().splitlines()]
    ops = [entry["op"] for entry in log]
    assert {"advance", "read", "start", "stop", "store"} <= set(ops)
    starts = [e for e in log if e["op"] == "start"]
    assert [(e["spacecraft"], e["activity"], e["power_w"]) for e in starts] == [
        ("sat-P1-S1", "detector", 12.0),
        ("sat-P1-S1", "downlink-prep", 3.0),
        ("sat-P1-S1", "camera", 20.0),
    ]
    assert all(e["wall_s"] >= 0.0 and e["sim_s"] >= 0.0 for e in starts)
    walls = [e["wall_s"] for e in log if "wall_s" in e]
    assert walls == sorted(walls)
    assert (out / "summary.json").is_file() and (out / "events.jsonl").is_file()

    # The log replayed deterministically gives the same run.
    again = tmp_path / "replayed"
    run = subprocess.run(
        [binary, "replay", str(out / "rehearsal.jsonl"), "--scenario", str(scenario), "--out", str(again), "--compare"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert (again / "events.jsonl").read_text() == (out / "events.jsonl").read_text()
    assert (again / "timeline.csv").read_text() == (out / "timeline.csv").read_text()
    # Set against the scenario simulated without the application: only sat-P1-S1 drew more.
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in (again / "comparison.md").read_text().splitlines()
            if line.startswith("| sat-")}
    extra_wh = {name: float(cell.split("/")[2]) for name, cell in rows.items()}
    camera = [e for e in log if e["op"] in ("start", "stop") and e["activity"] == "camera"]
    camera_wh = 20.0 * (camera[1]["sim_s"] - camera[0]["sim_s"]) / 3_600.0  # ~0.56 Wh: dominates
    assert extra_wh["sat-P1-S1"] == pytest.approx(camera_wh, abs=0.01), (rows, camera_wh)
    assert extra_wh["sat-P1-S2"] == 0.0, rows
    events = [json.loads(line) for line in (again / "events.jsonl").read_text().splitlines()]
    assert any(e["kind"]["event"] == "activity_started" and e["kind"]["activity"] == "detector" for e in events)


def test_refused_requests_change_nothing(binary, scenario, tmp_path):
    with launch(scenario, multiplier=1.0, out=tmp_path / "out", binary=binary) as server:
        sim = server.client()
        sc = sim.spacecraft()[1]
        sim.start(sc, "camera", power_w=4.0)
        before = sim.state(sc)
        refused = [
            (lambda: sim.state("nope"), 404, "unknown spacecraft"),
            (lambda: sim.start(sc, "camera", power_w=4.0), 409, "already running"),
            (lambda: sim.start(sc, "heater", power_w=-1.0), 400, "power_w"),
            (lambda: sim.start(sc, "heater", power_w=float("nan")), 400, ""),
            (lambda: sim.stop(sc, "heater"), 409, "not running"),
            (lambda: sim.write_data(sc, bytes=1e6, partition="nope"), 404, "partition"),
            (lambda: sim.write_data(sc, bytes=-5.0), 400, "bytes"),
            (lambda: sim._request("POST", f"/v1/spacecraft/{sc}/activities", {"activity": "x"}), 400, "power_w"),
            (lambda: sim._request("GET", "/v2/everything"), 404, "/v1"),
        ]
        for call, status, words in refused:
            with pytest.raises(RehearsalError) as caught:
                call()
            assert caught.value.status == status, (caught.value, status)
            assert words in caught.value.message, (caught.value.message, words)
            assert isinstance(caught.value, oe.OrbitEdgeError)
        after = sim.state(sc)
        assert after.activities == before.activities == {"camera": 4.0}
        assert after.storage_free_bytes == before.storage_free_bytes


def test_token_guards_every_endpoint(binary, scenario, tmp_path):
    with launch(scenario, out=tmp_path / "out", token="s3cret", binary=binary) as server:
        assert server.client().spacecraft()
        stranger = Client(server.url, token="wrong")
        for call in (stranger.health, stranger.clock, stranger.spacecraft, lambda: stranger.state("sat-P1-S1")):
            with pytest.raises(RehearsalError) as caught:
                call()
            assert caught.value.status == 401
        # With the token only in the environment, as `orbitedge serve` reads it too.
        os.environ["ORBITEDGE_TOKEN"] = "s3cret"
        try:
            assert Client(server.url).health()
        finally:
            del os.environ["ORBITEDGE_TOKEN"]


def test_long_poll_delivers_eclipse_entry(binary, scenario, tmp_path):
    # At 600 x the first umbra entry (~36 min simulated into this orbit) comes within a few seconds.
    with launch(scenario, multiplier=600.0, out=tmp_path / "out", binary=binary) as server:
        sim = server.client()
        deadline = time.monotonic() + 30.0
        seen: list[dict] = []
        while time.monotonic() < deadline:
            seen += sim.events(timeout_s=5.0)
            if any(e["kind"]["event"] == "light_changed" for e in seen):
                break
        light = [e for e in seen if e["kind"]["event"] == "light_changed"]
        assert light, [e["kind"] for e in seen]
        assert light[0]["spacecraft"] in ("sat-P1-S1", "sat-P1-S2")
        # The cursor moves on: asking again from the end returns only newer items.
        assert all(e not in seen for e in sim.events(timeout_s=0.0))
        # Everything the feed said is also from the start (cursor 0).
        assert sim.events(since=0)[: len(seen)] == seen


def test_client_rejects_bad_urls_and_dead_servers():
    assert oe.rehearsal.Client is Client  # reachable after a plain `import orbitedge as oe`
    with pytest.raises(ValueError, match="http://HOST:PORT"):
        Client("ftp://example")
    with pytest.raises(RehearsalError) as caught:
        Client("http://127.0.0.1:9", timeout_s=1.0).health()  # discard port: nothing listens
    assert caught.value.status is None


def test_launch_reports_a_server_that_does_not_start(binary, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO.replace("duration_h = 6.0", "duration_hours = 6.0"))
    with pytest.raises(RehearsalError, match="duration_h"):
        launch(bad, binary=binary, out=tmp_path / "out")


def test_launch_gives_up_on_a_silent_server(tmp_path):
    silent = tmp_path / "silent-orbitedge"
    silent.write_text("#!/bin/sh\nsleep 30\n")
    silent.chmod(0o755)
    started = time.monotonic()
    with pytest.raises(RehearsalError, match="no address within 0.5 s"):
        launch(binary=silent, ready_timeout_s=0.5)
    assert time.monotonic() - started < 10.0  # killed, not waited for


ESCAPED = SCENARIO.replace(
    "[bus]",
    """[[satellites]]
source = "elements"
name = "ISS (ZARYA)"
elements = { semi_major_axis_km = 6790.0, eccentricity = 0.0005, inclination_deg = 51.6, raan_deg = 10.0, argument_of_perigee_deg = 0.0, mean_anomaly_deg = 0.0 }

[bus]""",
)


def test_names_that_need_escaping_work_end_to_end(binary, tmp_path):
    path = tmp_path / "escaped.toml"
    path.write_text(ESCAPED)
    with launch(path, multiplier=10.0, out=tmp_path / "out", binary=binary) as server:
        sim = server.client()
        assert "ISS (ZARYA)" in sim.spacecraft()
        assert sim.state("ISS (ZARYA)").spacecraft == "ISS (ZARYA)"  # was 404
        for activity in ("cloud detection", "a/b", "50% duty", "café"):
            sim.start("ISS (ZARYA)", activity, power_w=2.0)
            assert sim.state("ISS (ZARYA)").activities == {activity: 2.0}
            assert sim.stop("ISS (ZARYA)", activity) == 2.0  # could be started, never stopped
        with sim.activity("ISS (ZARYA)", "cloud detection", power_w=3.0):
            assert sim.may_run("ISS (ZARYA)", "other job", power_w=1.0).allowed
        assert sim.state("ISS (ZARYA)").activities == {}
        assert server.stop() == 0


def test_absurd_numbers_are_refused_and_the_rehearsal_goes_on(binary, scenario, tmp_path):
    with launch(scenario, multiplier=100.0, out=tmp_path / "out", binary=binary) as server:
        sim = server.client()
        sc = sim.spacecraft()[0]
        for call, name in [
            (lambda: sim.start(sc, "heater", power_w=1e308), "power_w"),  # used to freeze the rehearsal
            (lambda: sim.start(sc, "heater", power_w=100_001.0), "power_w"),
            (lambda: sim.may_run(sc, "heater", power_w=1.0, duration_s=1e300), "duration_s"),
            (lambda: sim.write_data(sc, bytes=1e300), "bytes"),
            (lambda: sim._request("GET", "/v1/events?timeout_s=NaN"), "timeout_s"),  # used to kill a worker
            (lambda: sim.events(since=-1), "since"),
        ]:
            with pytest.raises(RehearsalError) as caught:
                call()
            assert caught.value.status == 400 and name in caught.value.message, caught.value
        with pytest.raises(ValueError, match="timeout_s"):
            sim.events(timeout_s=float("nan"))  # the client refuses it before sending
        first = sim.clock()["elapsed_s"]
        time.sleep(0.3)
        assert sim.health() and sim.clock()["elapsed_s"] > first  # still advancing
        assert sim.state(sc).activities == {}
        assert server.stop() == 0


# B* = 0.3: SGP4 gives up about 9.5 hours after the epoch, while the engine plans
# its second 6-hour block, so the log holds six simulated hours of advances first.
DECAYING_TLE = """LOW-1
1 99999U 24001A   24061.00000000  .00000000  00000-0  30000-1 0  9999
2 99999  51.6439 211.2001 0007417  17.6667  85.6398 16.20000000    13
"""


def test_an_engine_failure_reaches_the_application_and_keeps_the_record(binary, tmp_path):
    (tmp_path / "low.tle").write_text(DECAYING_TLE)
    path = tmp_path / "decaying.toml"
    path.write_text(
        SCENARIO.split("[[satellites]]")[0].replace("duration_h = 6.0", "duration_h = 12.0")
        + '[[satellites]]\nsource = "tle"\nfile = "low.tle"\n\n[bus]\npreset = "cubesat_6u"\n\n[outputs]\ndir = "out"\nplots = false\n'
    )
    out = tmp_path / "out"
    with launch(path, multiplier=3000.0, out=out, binary=binary) as server:
        sim = server.client()
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline:
            try:
                sim.health()
            except RehearsalFailed as failed:
                assert failed.status == 503 and "SGP4" in failed.message, failed
                break
            time.sleep(0.05)
        else:
            pytest.fail("the rehearsal never reported its failure")
        for call in (sim.clock, lambda: sim.state("LOW-1"), lambda: sim.start("LOW-1", "x", power_w=1.0), sim.events):
            with pytest.raises(RehearsalFailed):
                call()
        assert server.stop() == 1  # the failure is the exit status ...
    assert (out / "summary.json").is_file() and (out / "events.jsonl").is_file()  # ... after the report
    log = [json.loads(line) for line in (out / "rehearsal.jsonl").read_text().splitlines()]
    advanced_s = max(entry["to_s"] for entry in log if entry["op"] == "advance")
    assert 5 * 3600 < advanced_s <= 6 * 3600, advanced_s  # the advance across 6 h failed
    replayed = subprocess.run(
        [binary, "replay", str(out / "rehearsal.jsonl"), "--scenario", str(path), "--out", str(tmp_path / "again")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert replayed.returncode == 0, replayed.stderr
