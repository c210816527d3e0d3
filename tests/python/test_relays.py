"""Relays are transfers (issue 14): a relay is a standing order that the
engine serves with transfers over the relay's own line of sight.

Timings are checked against the windows of ``oe.link_windows`` (with the
relay's grazing altitude) and the relay's rate worked out by hand; energy
against the same run with a relay that draws nothing; bytes against
conservation at arbitrary instants; cuts and checkpoints against one
uninterrupted run.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import orbitedge as oe

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
POWER = {"solar_array": {"area_m2": 0.1, "efficiency": 0.3},
         "battery": {"capacity_wh": 40.0, "initial_soc": 0.8}, "bus_load_w": 8.0}
STORE = {"capacity_bytes": 1e9, "partitions": [{"name": "products"}, {"name": "raw"}]}
RATE_BPS = 1e6
BYTES_S = RATE_BPS / 8.0
A, B = "walker-P1-S1", "walker-P2-S2"
SYNC_S = 60.0


def satellites():
    return oe.walker_delta(8, 2, 1, 550.0, 53.0, START, propagator="kepler")


def relay(**options):
    return {"name": "isl", "peer": B, "rate_bps": RATE_BPS, "peer_partition": "products",
            "transmit_power_w": 5.0, **options}


def simulation(relays=None, peer_store=STORE, activities=None) -> oe.Simulation:
    relays = relays if relays is not None else [relay()]
    fleet = [oe.Spacecraft(s.name, orbit=s, power=POWER,
                           storage=peer_store if s.name == B else STORE,
                           relays=relays if s.name == A else [],
                           activities=activities if s.name == A and activities else [])
             for s in satellites()]
    return oe.Simulation(START, spacecraft=fleet, stations=[], seed=1)


def seconds(t) -> float:
    return (t - START).total_seconds()


def windows(hours: float = 6.0):
    """A–B line of sight above 80 km (the relay's default grazing altitude), s."""
    found = oe.link_windows(satellites(), START, START + dt.timedelta(hours=hours), grazing_altitude_km=80.0)
    return [(seconds(w.start), seconds(w.end)) for w in found if {w.satellite_a, w.satellite_b} == {A, B}]


def finish_by_hand(bytes_: float, from_s: float) -> float:
    """When `bytes_` sent from `from_s` at the relay's rate inside the windows are all gone."""
    left = bytes_
    for start, end in windows(12.0):
        start = max(start, from_s)
        if end <= start:
            continue
        if left <= BYTES_S * (end - start):
            return start + left / BYTES_S
        left -= BYTES_S * (end - start)
    raise AssertionError("not within the windows searched")


def moved_by_hand(bytes_: float, until_s: float) -> float:
    """Bytes of `bytes_` (sent from 0) gone by `until_s`."""
    return min(bytes_, sum(BYTES_S * max(0.0, min(e, until_s) - s) for s, e in windows(12.0)))


def state(sim, name):
    return next(s for s in sim.states() if s["spacecraft"] == name)


def ended(sim):
    return [e for e in sim.events(since=0) if e.kind in ("transfer_completed", "transfer_incomplete")
            and e.spacecraft == A]


def test_the_windows_are_intermittent_and_the_first_opens_between_sync_points():
    # What the tests below rely on: the pair sees each other for ~650 s an orbit.
    w = windows()
    assert len(w) >= 6 and all(600.0 < e - s < 700.0 for s, e in w)
    assert 0.0 < w[0][0] < SYNC_S


def test_a_relay_moves_its_bytes_at_its_rate_exactly_inside_its_windows():
    sim = simulation()
    bytes_ = 3e8  # 2 400 s at 125 000 bytes/s: four windows
    sim.write_data(A, bytes_)
    # Between windows the transfer pauses: the peer holds what went so far.
    w = windows()
    for t in (w[0][0] + 100.0, 0.5 * (w[0][1] + w[1][0]), w[1][0] + 10.0, 0.5 * (w[2][1] + w[3][0])):
        sim.wait_until(START + dt.timedelta(seconds=t))
        [status] = sim.transfers()
        assert status["sent_bytes"] == pytest.approx(moved_by_hand(bytes_, t), abs=BYTES_S * 1e-3)
        assert state(sim, B)["storage_used_bytes"] == pytest.approx(moved_by_hand(bytes_, t), abs=BYTES_S * 1e-3)
    sim.wait_until(START + dt.timedelta(hours=6))
    [done] = ended(sim)
    assert done.kind == "transfer_completed" and done.data()["transfer"] == "R1"
    # Started at 0 (a sync point before the first window opens), legs from the window's start.
    assert done.elapsed_s == pytest.approx(finish_by_hand(bytes_, 0.0), abs=1e-3)
    [status] = sim.transfers()
    assert (status["id"], status["relay"], status["from"], status["to"]) == ("R1", "isl", A, B)
    assert status["sent_at_s"] == 0.0 and status["status"] == "completed" and status["sent_bytes"] == bytes_
    assert state(sim, A)["storage_used_bytes"] == 0.0
    assert state(sim, B)["storage_used_bytes"] == pytest.approx(bytes_, abs=1e-3)
    # data_relayed at each window end: what went in that window.
    relayed = [e for e in sim.events(since=0) if e.kind == "data_relayed"]
    assert [e.elapsed_s for e in relayed] == pytest.approx([e for _, e in w], abs=1e-3)
    expected = [BYTES_S * (e - s) for s, e in w[:3]] + [bytes_ - BYTES_S * sum(e - s for s, e in w[:3])]
    got = [e.data()["bytes"] for e in relayed]
    assert got[:4] == pytest.approx(expected, abs=BYTES_S * 2e-3)
    assert got[4:] == [0.0] * (len(got) - 4)
    assert sum(got) == pytest.approx(bytes_, abs=1e-3)


def test_data_written_meanwhile_waits_for_the_next_sync_point_after_the_transfer():
    sim = simulation()
    sim.write_data(A, 3e8)
    sim.wait_until(START + dt.timedelta(seconds=5_000.0))  # between windows, R1 under way
    sim.write_data(A, 1e7, partition="raw")
    assert [t["id"] for t in sim.transfers()] == ["R1"]
    sim.wait_until(START + dt.timedelta(hours=6))
    r1, r2 = sim.transfers()
    first_done = r1["ended_at_s"]
    assert first_done == pytest.approx(finish_by_hand(3e8, 0.0), abs=1e-3)
    # The next sync point after R1's end, inside the same window (which lasts longer).
    next_sync = (first_done // SYNC_S + 1) * SYNC_S
    assert any(s <= next_sync < e for s, e in windows())
    assert r2["id"] == "R2" and r2["sent_at_s"] == next_sync and r2["bytes"] == 1e7
    assert r2["ended_at_s"] == pytest.approx(next_sync + 1e7 / BYTES_S, abs=1e-3)


def test_the_sender_draws_the_relay_power_exactly_while_bytes_move():
    quiet, busy = simulation([relay(transmit_power_w=0.0)]), simulation()
    for sim in (quiet, busy):
        sim.write_data(A, 1e8)
        sim.run(START + dt.timedelta(hours=3))
    moving_s = 1e8 / BYTES_S
    consumed = lambda sim, n: state(sim, n)["energy"]["consumed_wh"]  # noqa: E731
    assert consumed(busy, A) - consumed(quiet, A) == pytest.approx(5.0 * moving_s / 3600.0, rel=1e-9)
    # The receiving end's draw is not modelled; nobody else changes.
    for other in (B, "walker-P1-S2"):
        assert consumed(busy, other) == consumed(quiet, other)
    assert [e.elapsed_s for e in ended(busy)] == [e.elapsed_s for e in ended(quiet)]


def test_bytes_are_conserved_at_arbitrary_instants():
    sim = simulation()
    total = 4e8
    sim.write_data(A, 3e8)
    sim.write_data(A, 1e8, partition="raw")
    rng = np.random.default_rng(3)
    for t in np.sort(rng.uniform(1.0, 14_000.0, size=40)):
        sim.wait_until(START + dt.timedelta(seconds=float(t)))
        in_flight = sum(x["bytes"] - x["sent_bytes"] for x in sim.transfers() if x["status"] == "active")
        held = state(sim, A)["storage_used_bytes"] + state(sim, B)["storage_used_bytes"]
        assert held + in_flight == pytest.approx(total, abs=1e-3), t
    assert [x["status"] for x in sim.transfers()] == ["completed"]


def test_a_relay_sends_its_partitions_in_its_order_and_the_peer_drops_what_does_not_fit():
    peer_store = {"capacity_bytes": 1e9, "partitions": [{"name": "products", "quota_bytes": 5e7}]}
    sim = simulation([relay(partitions=["raw"])], peer_store=peer_store)
    sim.write_data(A, 1e8, partition="raw")
    sim.write_data(A, 2e7, partition="products")  # not the relay's: stays
    sim.wait_until(START + dt.timedelta(hours=3))
    [status] = sim.transfers()
    assert status["status"] == "completed" and status["bytes"] == 1e8
    # As for any transfer, arrivals into a full store are dropped.
    assert state(sim, B)["storage_used_bytes"] == pytest.approx(5e7, abs=1e-3)
    assert state(sim, A)["storage_used_bytes"] == pytest.approx(2e7, abs=1e-3)


def test_a_relay_out_of_sight_sends_nothing_and_logs_no_transfer():
    sim = simulation([relay(max_range_km=100.0)])  # never that close
    sim.write_data(A, 1e8)
    sim.run(START + dt.timedelta(hours=3))
    assert sim.transfers() == [] and ended(sim) == []
    assert state(sim, A)["storage_used_bytes"] == 1e8


@pytest.mark.parametrize("power", [-1.0, float("nan"), float("inf")])
def test_a_relay_power_must_be_finite_and_non_negative(power):
    with pytest.raises(oe.InputError, match="transmit_power_w"):
        simulation([relay(transmit_power_w=power)])


SURVEY = [{"name": "survey", "power_w": 2.0, "auto": True,
           "produces": {"partition": "raw", "bytes_per_s": 4e4}}]
END_S = 6 * 3600.0 + 1234.5


def _driven(instants_s):
    """A relay fed all run long (several transfers), advanced through `instants_s`."""
    sim = simulation(activities=SURVEY)
    sim.write_data(A, 1.2e8)
    for t in instants_s:
        sim.wait_until(START + dt.timedelta(seconds=float(t)))
    return sim


def test_cut_anywhere_and_checkpoints_give_the_same_relay_transfers():
    whole = _driven([END_S])
    relayed = whole.transfers()
    assert len(relayed) >= 3 and all(t["relay"] == "isl" for t in relayed)
    rng = np.random.default_rng(11)
    cuts = np.cumsum(np.round(rng.uniform(10.0, 1500.0, size=200), 3))
    pieces = _driven(list(cuts[cuts < END_S]) + [END_S])
    assert pieces.events_jsonl() == whole.events_jsonl()
    assert repr(pieces.states()) == repr(whole.states())  # repr: exact floats
    assert pieces.transfers() == relayed
    # A checkpoint in the middle of a relay transfer's leg, restored, goes on the same way.
    w = windows()
    half = _driven([w[0][0] + 200.0])
    assert [t["status"] for t in half.transfers()] == ["active"]
    restored = oe.Simulation.restore(half.checkpoint())
    restored.wait_until(START + dt.timedelta(seconds=END_S))
    assert restored.events_jsonl() == whole.events_jsonl()
    assert repr(restored.states()) == repr(whole.states())
    assert restored.transfers() == relayed
