"""The flight application's verbs on an in-process Simulation (issue 14).

Each verb acts at the current simulated time and changes exactly what it says;
bad input raises the same class (an ``InputError``) as the rehearsal Client;
waiting for an event stops at its instant; a run driven through the verbs is
the same whatever the cut of its waits; and one application written against
the verbs gives the same decisions in-process and against ``orbitedge serve``.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib

import pytest

import orbitedge as oe
from orbitedge.rehearsal import Decision, RehearsalRequestError, SpacecraftState, launch

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
POWER = {"solar_array": {"area_m2": 0.1, "efficiency": 0.3},
         "battery": {"capacity_wh": 40.0, "initial_soc": 0.8}, "bus_load_w": 8.0}
RADIO = {"name": "s-band", "rate": {"model": "fixed", "rate_bps": 2e6}}
KIRUNA = oe.GroundStation("Kiruna", 67.8558, 20.9644, 390.0, 5.0)


def simulation() -> oe.Simulation:
    sats = oe.walker_delta(2, 1, 0, 550.0, 97.6, START, propagator="kepler")
    fleet = [oe.Spacecraft(s.name, orbit=s, power=POWER, radios=[RADIO]) for s in sats]
    return oe.Simulation(START, spacecraft=fleet, stations=[KIRUNA], seed=1)


SC = "walker-P1-S1"
OTHER = "walker-P1-S2"


def consumed_wh(sim: oe.Simulation) -> float:
    return next(s for s in sim.states() if s["spacecraft"] == SC)["energy"]["consumed_wh"]


def test_state_and_may_run_are_the_rehearsal_types():
    sim = simulation()
    state = sim.state(SC)
    assert isinstance(state, SpacecraftState)
    assert state.spacecraft == SC and state.elapsed_s == 0.0 and state.state_of_charge == pytest.approx(0.8)
    assert state.next_window is not None and state.next_window[0] == "Kiruna"
    assert isinstance(state.in_view, list)
    decision = sim.may_run(SC, "train", 20.0, duration_s=600.0)
    assert decision == Decision(True, []) and decision
    # 1 kW for a day would take the battery below its floor.
    refused = sim.may_run(SC, "heater", 1_000.0, duration_s=86_400.0)
    assert not refused and any("state of charge" in r for r in refused.reasons)


def test_a_load_draws_its_energy_from_now_and_a_duration_ends_it_exactly():
    quiet, busy = simulation(), simulation()
    for sim in (quiet, busy):
        sim.wait(600.0)
    busy.start(SC, "train", 20.0, duration_s=900.0)
    started = [e for e in busy.events() if e.kind == "activity_started"]
    assert started[-1].elapsed_s == 600.0 and started[-1].spacecraft == SC
    assert busy.state(SC).activities == {"train": 20.0}
    for sim in (quiet, busy):
        sim.wait(1_800.0)
    ended = [e for e in busy.events(since=0) if e.kind == "activity_ended"]
    assert [(e.elapsed_s, e.data()["reason"]) for e in ended] == [(1_500.0, "duration elapsed")]
    assert busy.state(SC).activities == {}
    # Exactly 20 W for 900 s more than the quiet run: 5 Wh.
    assert consumed_wh(busy) - consumed_wh(quiet) == pytest.approx(5.0, abs=1e-9)


def test_stop_returns_the_power_and_the_context_manager_stops_on_an_exception():
    sim = simulation()
    sim.start(SC, "x", 7.5)
    sim.wait(60.0)
    assert sim.stop(SC, "x") == 7.5
    with pytest.raises(RuntimeError):
        with sim.activity(SC, "y", 3.0):
            sim.wait(60.0)
            raise RuntimeError("application crashed")
    assert sim.state(SC).activities == {}
    ends = [(e.elapsed_s, e.data()["activity"]) for e in sim.events(since=0) if e.kind == "activity_ended"]
    assert ends == [(60.0, "x"), (120.0, "y")]


def test_write_data_stores_what_fits():
    sim = simulation()
    free = sim.state(SC).storage_free_bytes["products"]
    assert sim.write_data(SC, 1e6) == 1e6
    assert sim.state(SC).storage_free_bytes["products"] == free - 1e6
    assert sim.write_data(SC, 2 * free, partition="products") == free - 1e6
    assert any(e.kind == "storage_full" for e in sim.events())


def test_events_are_incremental_with_a_cursor():
    sim = simulation()
    sim.wait(3_600.0)
    first = sim.events()
    assert first and sim.events() == []
    sim.wait(3_600.0)
    second = sim.events()
    assert second and second[0].elapsed_s >= first[-1].elapsed_s
    assert sim.events(since=0) == first + second
    assert sim.events(since=len(first)) == second
    # The same objects read like the rehearsal feed's JSON.
    assert first[0]["kind"]["event"] == first[0].kind and first[0]["spacecraft"] == first[0].spacecraft


def test_wait_until_and_wait_for_stop_where_they_say():
    sim = simulation()
    sim.wait_until(START + dt.timedelta(minutes=10))
    assert sim.elapsed_s == 600.0
    waited = sim.wait_for("contact_started", spacecraft=SC)
    match = waited[-1]
    assert match.kind == "contact_started" and match.spacecraft == SC
    assert sim.elapsed_s == match.elapsed_s
    windows = oe.access_windows([simulation_orbit()], [KIRUNA], START, START + dt.timedelta(hours=6))
    assert min(abs((w.rise - START).total_seconds() - match.elapsed_s) for w in windows) < 1e-3
    assert sim.line_of_sight(SC, "Kiruna") and "Kiruna" in sim.state(SC).in_view
    # Nothing of that kind in 10 s: an empty answer, 10 s later.
    before = sim.elapsed_s
    assert sim.wait_for("permanent_failure", timeout_s=10.0) == []
    assert sim.elapsed_s == pytest.approx(before + 10.0, abs=1e-6)


def simulation_orbit() -> oe.Satellite:
    return oe.walker_delta(2, 1, 0, 550.0, 97.6, START, propagator="kepler")[0]


def test_line_of_sight_between_spacecraft_follows_link_windows():
    # Two planes 90 degrees apart: the pair sees each other near the plane crossings.
    sats = oe.walker_delta(2, 2, 0, 550.0, 97.6, START, propagator="kepler")
    windows = oe.link_windows(sats, START, START + dt.timedelta(hours=3))
    assert len(windows) >= 2, windows
    a, b = windows[0].satellite_a, windows[0].satellite_b
    sim = oe.Simulation(START, spacecraft=[oe.Spacecraft(s.name, orbit=s) for s in sats], seed=1)
    for w in windows[:2]:
        start_s, end_s = ((t - START).total_seconds() for t in (w.start, w.end))
        sim.wait_until(START + dt.timedelta(seconds=start_s + 1.0))
        assert sim.line_of_sight(a, b) and b in sim.state(a).in_view and a in sim.state(b).in_view
        sim.wait_until(START + dt.timedelta(seconds=end_s + 1.0))
        assert not sim.line_of_sight(a, b) and b not in sim.state(a).in_view


def test_bad_input_raises_input_errors_like_the_client():
    sim = simulation()
    for call in (
        lambda: sim.state("nobody"),
        lambda: sim.may_run("nobody", "a", 1.0),
        lambda: sim.start(SC, "a", float("nan")),
        lambda: sim.start(SC, "a", 1.0, duration_s=0.0),
        lambda: sim.start(SC, "a", 1.0, duration_s=float("inf")),
        lambda: sim.write_data(SC, -1.0),
        lambda: sim.write_data(SC, 1.0, partition="nowhere"),
        lambda: sim.stop(SC, "not-running"),
        lambda: sim.events(since=-1),
        lambda: sim.wait(-1.0),
        lambda: sim.wait(float("nan")),
        lambda: sim.wait_for("no_such_kind"),
        lambda: sim.wait_for([]),
        lambda: sim.wait_for("restart", spacecraft="nobody"),
        lambda: sim.wait_for("restart", timeout_s=-1.0),
        lambda: sim.line_of_sight(SC, "Atlantis"),
    ):
        with pytest.raises(oe.InputError):
            call()
    sim.start(SC, "a", 1.0)
    with pytest.raises(oe.InputError, match="already running"):
        sim.start(SC, "a", 1.0)
    assert issubclass(RehearsalRequestError, oe.InputError)
    assert sim.events(since=0)[-1].kind == "activity_started"  # nothing else was logged


def drive(sim: oe.Simulation, pieces: int) -> bytes:
    """The same application inputs, with the waits cut into `pieces`."""
    for k in range(4):
        sim.start(SC, "train", 15.0, duration_s=1_000.0)
        sim.write_data(SC, 5e6)
        for _ in range(pieces):
            sim.wait(1_800.0 / pieces)
    sim.wait_for("contact_ended")
    return sim.checkpoint()


def test_a_run_driven_through_the_verbs_is_the_same_however_its_waits_are_cut():
    # 1 800 s in 1, 3 or 8 waits (each a whole number of seconds: the inputs are the same).
    assert drive(simulation(), 1) == drive(simulation(), 3) == drive(simulation(), 8)


# -- one application, two links ---------------------------------------------

SCENARIO = """
name = "flight-app"
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


def app(link, spacecraft: str, slices: int) -> list[tuple[bool, tuple[str, ...]]]:
    """A payload application written once: ask, run for a while when allowed, wait."""
    decisions = []
    for _ in range(slices):
        decision = link.may_run(spacecraft, "payload", 30.0, duration_s=300.0)
        decisions.append((decision.allowed, tuple(decision.reasons)))
        if decision:
            link.start(spacecraft, "payload", 30.0, duration_s=300.0)
        link.wait(600.0)
    return decisions




def test_the_same_application_decides_alike_in_process_and_against_the_server(binary, tmp_path):
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO)
    in_process = app(oe.Scenario.load(path).simulation(), "sat-P1-S1", slices=6)
    with launch(path, multiplier=3_000.0, out=tmp_path / "served", binary=binary) as server:
        served = app(server.client(), "sat-P1-S1", slices=6)
    assert served == in_process
    assert any(allowed for allowed, _ in in_process)


def test_reading_the_state_on_a_planning_block_edge_changes_nothing():
    """At 6 h a run ends on a planning block's edge; ``state`` plans the next block there
    (as the next run would): the run that follows is the same as one never read."""
    read, unread = simulation(), simulation()
    for sim in (read, unread):
        sim.wait_until(START + dt.timedelta(hours=6))
    assert read.state(SC).next_window is not None
    for sim in (read, unread):
        sim.wait_until(START + dt.timedelta(hours=9))
    assert read.checkpoint() == unread.checkpoint()
