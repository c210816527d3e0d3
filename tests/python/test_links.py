"""Inter-satellite links and transfers (issue 14).

Link edges are checked against ``oe.link_windows`` (an independent call of the
same root-finding search, over the whole span instead of planning blocks);
transfers against the windows and the radio's rate worked out by hand; bytes
and energy against conservation; cut-anywhere and checkpoint invariance
against one uninterrupted run.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

import orbitedge as oe

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
POWER = {"solar_array": {"area_m2": 0.1, "efficiency": 0.3},
         "battery": {"capacity_wh": 40.0, "initial_soc": 0.8}, "bus_load_w": 8.0}
RATE_BPS = 1e6
ISL = {"name": "isl", "rate": {"model": "fixed", "rate_bps": RATE_BPS}, "transmit_power_w": 5.0,
       "inter_satellite": True}
STORE = {"capacity_bytes": 1e9, "partitions": [{"name": "products"}]}
A, B = "walker-P1-S1", "walker-P2-S2"


def satellites():
    return oe.walker_delta(8, 2, 1, 550.0, 53.0, START, propagator="kepler")


def simulation(radios=(ISL,), **kwargs) -> oe.Simulation:
    fleet = [oe.Spacecraft(s.name, orbit=s, power=POWER, radios=list(radios), storage=STORE)
             for s in satellites()]
    return oe.Simulation(START, spacecraft=fleet, stations=[], seed=1, **kwargs)


def seconds(t) -> float:
    return (t - START).total_seconds()


def link_log(sim):
    return [(e.elapsed_s, e.spacecraft, e.kind, e.data()["peer"])
            for e in sim.events(since=0) if e.kind in ("link_started", "link_ended")]


def test_link_events_agree_with_link_windows_within_a_millisecond():
    hours = 14.0  # crosses two planning-block edges (6 h)
    sim = simulation()
    sim.run(START + dt.timedelta(hours=hours))
    logged = link_log(sim)
    expected = []
    for w in oe.link_windows(satellites(), START, START + dt.timedelta(hours=hours)):
        for me, peer in ((w.satellite_a, w.satellite_b), (w.satellite_b, w.satellite_a)):
            expected.append((seconds(w.start), me, "link_started", peer))
            if seconds(w.end) < hours * 3600.0 - 1e-6:  # not clipped by the span
                expected.append((seconds(w.end), me, "link_ended", peer))
    assert len(expected) > 100
    key = lambda e: (e[1], e[3], e[2], e[0])  # noqa: E731
    assert len(logged) == len(expected)
    for got, want in zip(sorted(logged, key=key), sorted(expected, key=key)):
        assert got[1:] == want[1:]
        assert got[0] == pytest.approx(want[0], abs=1e-3)


def test_no_terminal_no_link_events_and_a_terminal_on_one_side_is_enough():
    plain = dict(ISL, inter_satellite=False)
    assert link_log(_run(simulation(radios=[plain]), 3.0)) == []
    fleet = [oe.Spacecraft(s.name, orbit=s, power=POWER, storage=STORE,
                           radios=[ISL] if s.name == A else [])
             for s in satellites()]
    sim = oe.Simulation(START, spacecraft=fleet, stations=[], seed=1)
    log = link_log(_run(sim, 3.0))
    assert log and all(A in (me, peer) for _, me, _, peer in log)


def _run(sim, hours):
    sim.run(START + dt.timedelta(hours=hours))
    return sim


RELAY_JOB = [{"name": "relay_job", "power_w": 2.0, "duration_s": 120.0, "auto": True}]


def _in_view_of(windows, me, t):
    return {w.satellite_b if w.satellite_a == me else w.satellite_a for w in windows
            if me in (w.satellite_a, w.satellite_b) and seconds(w.start) <= t < seconds(w.end)}


def test_peers_in_view_in_telemetry_state_and_constraints():
    fleet = [oe.Spacecraft(s.name, orbit=s, power=POWER, radios=[ISL], storage=STORE,
                           activities=RELAY_JOB if s.name == A else [])
             for s in satellites()]
    sim = oe.Simulation(START, spacecraft=fleet, stations=[], seed=1, telemetry_interval_s=30.0)
    seen = []

    def with_a_peer(view):
        seen.append((view["elapsed_s"], set(view["peers_in_view"])))
        return bool(view["peers_in_view"])

    sim.add_constraint(A, "relay_job", with_a_peer, name="a peer in view")
    hours = 8.0
    sim.run(START + dt.timedelta(hours=hours))
    windows = oe.link_windows(satellites(), START, START + dt.timedelta(hours=hours))
    # The constraint sees exactly the peers link_windows has in view (away from the edges).
    checked = [(t, peers) for t, peers in seen
               if all(abs(t - seconds(e)) > 1e-3 for w in windows for e in (w.start, w.end))]
    assert len(checked) > 20
    for t, peers in checked:
        assert peers == _in_view_of(windows, A, t)
    # ... and so the job only runs with a peer in view.
    starts = [e.elapsed_s for e in sim.events(since=0) if e.kind == "activity_started" and e.spacecraft == A]
    assert starts and all(_in_view_of(windows, A, t + 1e-3) for t in starts)  # edges agree to the search tolerance
    # Telemetry counts the peers in view.
    tel = sim.telemetry()
    rows = np.flatnonzero(tel["spacecraft"] == A)
    elapsed_s = (tel["time"] - np.datetime64(START.replace(tzinfo=None), "ns")) / np.timedelta64(1, "s")
    assert len(rows) > 100
    for row in rows:
        t = float(elapsed_s[row])
        if all(abs(t - seconds(e)) > 1e-3 for w in windows for e in (w.start, w.end)):
            assert tel["peers_in_view"][row] == len(_in_view_of(windows, A, t))
    # A column per link end: row r of in_view:<peer> says r's spacecraft sees <peer>, as
    # link_windows has it; the columns add up to the count on every row, and the CSV has them.
    names = [s.name for s in satellites()]
    assert sorted(k for k in tel if k.startswith("in_view:")) == sorted(f"in_view:{n}" for n in names)
    assert (sum(tel[f"in_view:{n}"].astype(int) for n in names) == tel["peers_in_view"]).all()
    # Per peer column, vectorised: the rows inside one of the pair's windows (away from edges).
    checked_cells = 0
    for me in names:
        mine = tel["spacecraft"] == me
        for peer in (n for n in names if n != me):
            spans = [(seconds(w.start), seconds(w.end)) for w in windows if {w.satellite_a, w.satellite_b} == {me, peer}]
            inside = np.zeros(len(elapsed_s), dtype=bool)
            near_edge = np.zeros(len(elapsed_s), dtype=bool)
            for start, end in spans:
                inside |= (elapsed_s >= start) & (elapsed_s < end)
                near_edge |= (np.abs(elapsed_s - start) <= 1e-3) | (np.abs(elapsed_s - end) <= 1e-3)
            rows = mine & ~near_edge
            assert (tel[f"in_view:{peer}"][rows] == inside[rows]).all(), (me, peer)
            checked_cells += int(inside[rows].sum())
    assert checked_cells > 100
    header = sim.telemetry_csv().splitlines()[0].split(",")
    assert header[-len(names):] == [f"in_view:{n}" for n in names]
    # The flight state lists them with the stations.
    assert _in_view_of(windows, A, sim.elapsed_s) <= set(sim.state(A).in_view)


def test_a_transfer_moves_exactly_the_bytes_at_the_rate_through_the_windows():
    sim = simulation()
    sim.write_data(A, 2e8)
    bytes_ = 1.5e8
    tid = sim.send(A, B, bytes_)
    assert tid == "T1"
    got = sim.wait_for(["transfer_completed", "transfer_incomplete"])
    done = [e for e in got if e.kind.startswith("transfer")]
    assert [e.kind for e in done] == ["transfer_completed"]
    # By hand: the pair's windows from oe.link_windows, 125 000 bytes/s inside them.
    rate = RATE_BPS / 8.0
    left, finish = bytes_, None
    for w in oe.link_windows(satellites(), START, START + dt.timedelta(hours=6)):
        if {w.satellite_a, w.satellite_b} != {A, B}:
            continue
        span = seconds(w.end) - seconds(w.start)
        if left <= rate * span:
            finish = seconds(w.start) + left / rate
            break
        left -= rate * span
    assert done[0].elapsed_s == pytest.approx(finish, abs=1e-3)
    assert sim.elapsed_s == done[0].elapsed_s
    states = {s["spacecraft"]: s for s in sim.states()}
    assert states[A]["storage_used_bytes"] == pytest.approx(2e8 - bytes_, abs=1e-3)
    assert states[B]["storage_used_bytes"] == pytest.approx(bytes_, abs=1e-3)
    [status] = sim.transfers()
    assert status["status"] == "completed" and status["sent_bytes"] == bytes_


def test_both_radios_draw_their_power_while_the_bytes_move():
    quiet, busy = simulation(), simulation()
    for sim in (quiet, busy):
        sim.write_data(A, 1e8)
    busy.send(A, B, 1e8)
    until = START + dt.timedelta(hours=3)
    quiet.run(until)
    busy.run(until)
    moving_s = 1e8 / (RATE_BPS / 8.0)
    extra_wh = 5.0 * moving_s / 3600.0
    consumed = lambda sim, n: next(s for s in sim.states() if s["spacecraft"] == n)["energy"]["consumed_wh"]  # noqa: E731
    for name in (A, B):
        assert consumed(busy, name) - consumed(quiet, name) == pytest.approx(extra_wh, rel=1e-9)
    third = "walker-P1-S2"
    assert consumed(busy, third) == consumed(quiet, third)


def test_a_timeout_ends_a_transfer_incomplete_and_returns_what_is_left():
    sim = simulation()
    sim.write_data(A, 1e9)
    sim.send(A, B, 5e8, timeout_s=900.0)
    got = [e for e in sim.wait_for(["transfer_incomplete", "transfer_completed"]) if e.kind.startswith("transfer")]
    assert [e.kind for e in got] == ["transfer_incomplete"]
    event = got[0]
    assert event.elapsed_s == pytest.approx(900.0)
    data = event.data()
    assert data["reason"] == "timeout"
    sim.wait(120.0)  # past the next sync point: the bytes left are back
    states = {s["spacecraft"]: s for s in sim.states()}
    arrived = states[B]["storage_used_bytes"]
    assert arrived == pytest.approx(5e8 - data["bytes_left"], abs=1e-3)
    assert states[A]["storage_used_bytes"] + arrived == pytest.approx(1e9, abs=1e-3)
    [status] = sim.transfers()
    assert status["status"] == "incomplete" and status["reason"] == "timeout"


@pytest.mark.parametrize("call, message", [
    (lambda s: s.send(A, "nobody", 10.0), "nobody"),
    (lambda s: s.send(A, B, 10.0, partition="nope"), "nope"),
    (lambda s: s.send(A, B, float("nan")), "bytes"),
    (lambda s: s.send(A, B, -1.0), "bytes"),
    (lambda s: s.send(A, B, 1e30), "bytes"),
    (lambda s: s.send(A, B, 10.0, timeout_s=float("inf")), "timeout_s"),
    (lambda s: s.send(A, B, 1e9), "fewer"),
    (lambda s: s.send(A, A, 1.0), "itself"),
    (lambda s: s.send(A, B, 1.0, radio="s-band"), "inter-satellite"),
])
def test_bad_sends_are_input_errors_that_change_nothing(call, message):
    sim = simulation()
    sim.write_data(A, 100.0)
    with pytest.raises(oe.InputError, match=message):
        call(sim)
    assert sim.transfers() == []
    assert next(s for s in sim.states() if s["spacecraft"] == A)["storage_used_bytes"] == 100.0


def test_a_receiver_without_a_terminal_is_refused():
    fleet = [oe.Spacecraft(s.name, orbit=s, power=POWER, storage=STORE,
                           radios=[ISL] if s.name == A else []) for s in satellites()]
    sim = oe.Simulation(START, spacecraft=fleet, stations=[], seed=1)
    sim.write_data(A, 100.0)
    with pytest.raises(oe.InputError, match="inter-satellite radio"):
        sim.send(A, B, 10.0)


def _driven(instants_s):
    """A run with a transfer, advanced through `instants_s` (seconds since the start)."""
    sim = simulation()
    sim.write_data(A, 2e8)
    sim.send(A, B, 1.2e8)
    for t in instants_s:
        sim.wait_until(START + dt.timedelta(seconds=float(t)))
    return sim


END_S = 6 * 3600.0 + 1234.5


def test_cut_anywhere_and_checkpoints_give_the_same_transfer():
    whole = _driven([END_S])
    rng = np.random.default_rng(7)
    cuts = np.cumsum(np.round(rng.uniform(10.0, 1500.0, size=200), 3))
    pieces = _driven(list(cuts[cuts < END_S]) + [END_S])
    assert pieces.elapsed_s == whole.elapsed_s
    assert pieces.events_jsonl() == whole.events_jsonl()
    assert repr(pieces.states()) == repr(whole.states())  # repr: exact floats, NaN equal to NaN
    # A checkpoint in the middle of the transfer, restored, goes on the same way.
    half = _driven([1_000.0])
    restored = oe.Simulation.restore(half.checkpoint())
    restored.wait_until(START + dt.timedelta(seconds=END_S))
    assert restored.events_jsonl() == whole.events_jsonl()
    assert repr(restored.states()) == repr(whole.states())
    assert restored.transfers() == whole.transfers()


# -- the same transfer against `orbitedge serve` ------------------------------

LINK_SCENARIO = """
name = "links"
seed = 3
start = "2024-03-01T00:00:00Z"
duration_h = 3.0
telemetry_interval_s = 60.0

[[satellites]]
source = "walker"
prefix = "sat"
total = 8
planes = 2
phasing = 1
altitude_km = 550.0
inclination_deg = 53.0

[bus]
preset = "cubesat_6u"

[[bus.radios]]
name = "isl"
inter_satellite = true
transmit_power_w = 5.0
rate = { model = "fixed", rate_bps = 1e6 }

[outputs]
dir = "out"
plots = false
"""


def exchange(link, src: str, dst: str, bytes_: float, at_s: float | None = None):
    """A flight application: write, send, wait for the end of the transfer (from `at_s`)."""
    if at_s:
        link.wait_until(START + dt.timedelta(seconds=at_s))
    link.write_data(src, bytes_)
    tid = link.send(src, dst, bytes_)
    link.wait_for(["transfer_completed", "transfer_incomplete"], timeout_s=7_200.0)
    [status] = [t for t in link.transfers() if t["id"] == tid]
    return status["status"], status["sent_bytes"], status["sent_at_s"], status["ended_at_s"]


def test_a_transfer_goes_the_same_way_in_process_and_against_the_server(binary, tmp_path):
    from orbitedge.rehearsal import launch

    path = tmp_path / "links.toml"
    path.write_text(LINK_SCENARIO)
    src, dst = "sat-P1-S1", "sat-P2-S2"
    with launch(path, multiplier=3_000.0, out=tmp_path / "served", binary=binary) as server:
        client = server.client()
        served = exchange(client, src, dst, 5e7)
        with pytest.raises(oe.InputError, match="fewer"):
            client.send(src, dst, 1e12)
    # The rehearsal's log (with its `send`) replays to the same run.
    import subprocess

    served_out = tmp_path / "served"
    log = [json.loads(line) for line in (served_out / "rehearsal.jsonl").read_text().splitlines()]
    assert [e["to"] for e in log if e["op"] == "send"] == [dst]
    again = tmp_path / "again"
    replayed = subprocess.run([binary, "replay", str(served_out / "rehearsal.jsonl"), "--scenario", str(path),
                               "--out", str(again)], capture_output=True, text=True, timeout=300)
    assert replayed.returncode == 0, replayed.stderr
    assert (again / "events.jsonl").read_text() == (served_out / "events.jsonl").read_text()
    assert '"transfer_completed"' in (again / "events.jsonl").read_text()
    # In process, sent at the instant the server's clock showed: the same transfer.
    in_process = exchange(oe.Scenario.load(path).simulation(), src, dst, 5e7, at_s=served[2])
    assert in_process[:2] == served[:2] == ("completed", 5e7)
    assert in_process[2] == pytest.approx(served[2], abs=1e-6)
    assert in_process[3] == pytest.approx(served[3], abs=1e-3)
