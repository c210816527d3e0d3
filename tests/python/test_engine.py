"""The simulation engine from Python: names fixed by the acceptance checks,
columns, events, checkpoints, hooks, interruption and bad input."""

import datetime as dt
import pickle

import numpy as np
import pytest

import orbitedge as oe

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)

POWER = {
    "solar_array": {"area_m2": 0.12, "efficiency": 0.3},
    "battery": {"capacity_wh": 30.0, "initial_soc": 0.7, "min_soc": 0.3},
    "bus_load_w": 6.0,
}
THERMAL = {
    "mass_kg": 12.0, "area_sun_m2": 0.1, "area_earth_m2": 0.1, "area_radiating_m2": 0.6,
    "initial_temperature_k": 290.0,
}
ACTIVITIES = [
    {"name": "imaging", "power_w": 15.0, "duration_s": 300.0, "auto": True, "cooldown_s": 1800.0,
     "preconditions": {"sunlit": True, "min_soc": 0.5},
     "produces": {"partition": "raw", "bytes_per_s": 2e6}},
]


def fleet(n=3, radiation=None):
    sats = oe.walker_delta(n, min(n, 3), 1 % min(n, 3), 550.0, 97.6, START)
    return [
        oe.Spacecraft(s.name, orbit=s, power=POWER, thermal=THERMAL, radiation=radiation or {},
                      storage={"capacity_bytes": 2e9},
                      radios=[{"name": "s-band", "rate": {"model": "fixed", "rate_bps": 2e6}, "transmit_power_w": 8.0}],
                      activities=ACTIVITIES)
        for s in sats
    ]


def stations():
    return [oe.GroundStation("Kiruna", 67.8558, 20.9644, 390.0, 5.0),
            oe.GroundStation("Svalbard", 78.2298, 15.4078, 500.0, 5.0)]


def test_simulation_api_runs_and_reports():
    sim = oe.Simulation(START, spacecraft=fleet(), stations=stations(), seed=42)
    sim.run(START + dt.timedelta(hours=6), step_s=10.0)
    assert sim.now == START + dt.timedelta(hours=6)
    tel = sim.telemetry()
    n_rows = 3 * (6 * 60 + 1)
    for key in ["time", "spacecraft", "x_km", "sunlit_fraction", "soc", "power_in_w", "power_out_w",
                "temperature_k", "storage_used_bytes", "activity", "link"]:
        assert len(tel[key]) == n_rows, key
    assert tel["time"].dtype == np.dtype("datetime64[ns]")
    assert set(tel["spacecraft"]) == {"walker-P1-S1", "walker-P2-S1", "walker-P3-S1"}
    assert ((tel["soc"] >= 0) & (tel["soc"] <= 1)).all()
    assert (tel["activity"] == "imaging").any() and (tel["link"] != "").any()
    events = sim.events()
    kinds = {e.kind for e in events}
    assert {"activity_started", "contact_started", "light_changed"} <= kinds
    cols = oe.to_columns(events)
    assert cols["time"].dtype == np.dtype("datetime64[ns]") and len(cols["kind"]) == len(events)
    state = sim.states()[0]
    assert 0 <= state["soc"] <= 1 and state["energy"]["generated_wh"] > 0


def test_the_telemetry_interval_is_output_only():
    """Telemetry every 10 s or every 600 s: the same events and final states (issue 13)."""
    runs = []
    for telemetry_interval_s in (10.0, 600.0):
        sim = oe.Simulation(START, spacecraft=fleet(), stations=stations(), seed=4,
                            telemetry_interval_s=telemetry_interval_s)
        sim.run(START + dt.timedelta(hours=6))
        runs.append(sim)
    dense, sparse = runs
    assert len(dense.telemetry()["time"]) == 3 * (6 * 360 + 1)
    assert len(sparse.telemetry()["time"]) == 3 * (6 * 6 + 1)
    assert [e.to_json() for e in dense.events()] == [e.to_json() for e in sparse.events()]
    assert dense.states() == sparse.states()


def test_the_sync_interval_is_checked():
    with pytest.raises(oe.InputError, match="sync_interval_s"):
        oe.Simulation(START, spacecraft=fleet(), sync_interval_s=0.0)


def test_event_driven_and_fixed_step_agree_without_activities():
    def quiet():
        return [oe.Spacecraft(s.name, orbit=s.orbit, power=POWER, thermal=THERMAL) for s in fleet()]
    a = oe.Simulation(START, spacecraft=quiet(), stations=stations(), seed=1)
    b = oe.Simulation(START, spacecraft=quiet(), stations=stations(), seed=1)
    a.run(START + dt.timedelta(hours=12), step_s=10.0)
    b.run(START + dt.timedelta(hours=12))
    for sa, sb in zip(a.states(), b.states()):
        assert abs(sa["battery_wh"] - sb["battery_wh"]) < 1e-6
        assert abs(sa["temperature_k"] - sb["temperature_k"]) < 1e-4


def test_checkpoint_restore_and_pickle_are_exact():
    rad = {"restart_per_s": 1 / 3600, "data_corruption_per_s": 1 / 1800}
    sim = oe.Simulation(START, spacecraft=fleet(radiation=rad), stations=stations(), seed=9)
    sim.run(START + dt.timedelta(hours=3))
    blob = sim.checkpoint()
    assert isinstance(blob, bytes)
    twin = oe.Simulation.restore(blob)
    clone = pickle.loads(pickle.dumps(sim))
    for s in (sim, twin, clone):
        s.run(START + dt.timedelta(hours=6))
    assert sim.checkpoint() == twin.checkpoint() == clone.checkpoint()
    sc = fleet()[0]
    assert pickle.loads(pickle.dumps(sc)) == sc


def test_same_seed_same_events_for_1_and_2_threads():
    rad = {"restart_per_s": 1 / 1800, "failure_per_s": 1 / 86400}
    runs = []
    for threads in (1, 2):
        sim = oe.Simulation(START, spacecraft=fleet(6, rad), stations=stations(), seed=3)
        sim.run(START + dt.timedelta(hours=8), threads=threads)
        runs.append(sim.events_jsonl())
    assert runs[0] == runs[1]


def test_custom_property_and_constraint_belong_to_one_spacecraft():
    sim = oe.Simulation(START, spacecraft=fleet(), stations=[], seed=1)
    sim.add_property("walker-P1-S1", "dose_krad", 0.0, lambda view, dt_s, value: value + 1e-3 * dt_s)
    sim.add_constraint("walker-P2-S1", "imaging", lambda view: False, name="never")
    sim.run(START + dt.timedelta(hours=2))
    states = sim.states()
    assert states[0]["properties"]["dose_krad"] == pytest.approx(7.2, rel=1e-9)
    assert states[1]["properties"] == {} and states[2]["properties"] == {}
    started = {e.spacecraft for e in sim.events() if e.kind == "activity_started"}
    assert "walker-P2-S1" not in started and "walker-P1-S1" in started


def test_hook_exceptions_surface_after_the_run():
    sim = oe.Simulation(START, spacecraft=fleet(1), stations=[], seed=1)
    sim.add_property("walker-P1-S1", "broken", 0.0, lambda view, dt_s, value: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        sim.run(START + dt.timedelta(hours=1))


def test_schedule_rejections_carry_reasons():
    sim = oe.Simulation(START, spacecraft=fleet(1), stations=[], seed=1)
    # Imaging needs sunlight; ask for it in the middle of an eclipse.
    ecl = oe.eclipse_intervals([fleet(1)[0].orbit], START, START + dt.timedelta(hours=3))
    umbra = next(e for e in ecl if e.kind == "umbra" and not e.clipped_start)
    sim.schedule("walker-P1-S1", "imaging", umbra.start + dt.timedelta(seconds=60))
    sim.run(START + dt.timedelta(hours=3))
    rejected = [e for e in sim.events() if e.kind == "activity_rejected"]
    assert rejected and "not sunlit" in rejected[0].detail


def test_progress_callback_and_interruption_keep_state():
    seen = []
    sim = oe.Simulation(START, spacecraft=fleet(1), stations=stations(), seed=1)
    sim.run(START + dt.timedelta(hours=4), progress=seen.append)
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)

    def stop_half_way(fraction):
        if fraction >= 0.5:
            raise KeyboardInterrupt

    sim2 = oe.Simulation(START, spacecraft=fleet(1), stations=stations(), seed=1)
    with pytest.raises(KeyboardInterrupt):
        sim2.run(START + dt.timedelta(hours=4), progress=stop_half_way)
    assert dt.timedelta(hours=1.9) < sim2.now - START < dt.timedelta(hours=4)
    sim2.run(START + dt.timedelta(hours=4))  # resumes from where it stopped
    assert sim2.now == START + dt.timedelta(hours=4)


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"power": {**POWER, "battery": {"capacity_wh": -5.0}}}, "capacity_wh"),
        ({"power": {**POWER, "battery": {"capacity_wh": 20.0, "charge_efficiency": 1.2}}}, "charge_efficiency"),
        ({"thermal": {**THERMAL, "mass_kg": float("nan")}}, "mass_kg"),
        ({"power": {**POWER, "bus_lod_w": 3.0}}, "unknown field"),
        ({"radios": [{"name": "x", "rate": {"model": "fixed", "rate_bps": 1e6}, "stations": ["Atlantis"]}]}, "Atlantis"),
    ],
)
def test_bad_parameters_raise_input_errors(kwargs, text):
    sat = oe.walker_delta(1, 1, 0, 550.0, 97.6, START)[0]
    with pytest.raises(oe.InputError, match=text):
        sc = oe.Spacecraft("x", orbit=sat, **kwargs)
        oe.Simulation(START, spacecraft=[sc], stations=stations())


def test_run_and_schedule_errors():
    sim = oe.Simulation(START, spacecraft=fleet(1), stations=[], seed=1)
    with pytest.raises(oe.InputError):
        sim.run(START - dt.timedelta(hours=1))
    with pytest.raises(oe.InputError, match="nobody"):
        sim.schedule("nobody", "imaging", START)
    with pytest.raises(oe.InputError, match="dancing"):
        sim.schedule("walker-P1-S1", "dancing", START)


def test_relay_moves_data_to_a_peer_in_sight():
    a, b = oe.walker_delta(2, 1, 0, 550.0, 97.6, START)  # same plane, 180° apart: never in sight
    near = oe.Satellite.from_elements(START, 6928.137, 0.0, 97.6, 0.0, 0.0, 20.0, name="near")
    relay = [{"name": "isl", "peer": "near", "rate_bps": 1e7, "partitions": ["raw"], "peer_partition": "products"}]
    sender = oe.Spacecraft("sender", orbit=a, power=POWER, activities=ACTIVITIES, relays=relay)
    blind = oe.Spacecraft("blind", orbit=b, power=POWER, activities=ACTIVITIES, relays=relay)
    peer = oe.Spacecraft("near", orbit=near, power=POWER, storage={"capacity_bytes": 1e12})
    sim = oe.Simulation(START, spacecraft=[sender, blind, peer], seed=1)
    sim.run(START + dt.timedelta(hours=4))
    # The sender stays in sight of its peer all run (its window never closes, so
    # no data_relayed event yet); the blind one never sees it.
    # The peer produces nothing itself: what it stores came over the relay.
    assert sim.states()[2]["storage_used_bytes"] > 0
    relayed = [e for e in sim.events() if e.kind == "data_relayed"]
    assert all(e.spacecraft == "sender" for e in relayed)
    with pytest.raises(oe.InputError, match="nobody"):
        bad = oe.Spacecraft("x", orbit=a, relays=[{**relay[0], "peer": "nobody"}])
        oe.Simulation(START, spacecraft=[bad])


def _hovering(**options):
    """A cubesat whose 40 W auto activity the 41 W array cannot carry (issue 14):
    the charge hovers at the activity's min_soc."""
    orbit = oe.Satellite.from_elements(START, 6928.0, 0.0, 97.6, 0.0, 0.0, 0.0, name="hover")
    power = {"solar_array": {"area_m2": 0.1, "efficiency": 0.3},
             "battery": {"capacity_wh": 40.0, "initial_soc": 0.5}, "bus_load_w": 8.0}
    activity = {"name": "survey", "power_w": 40.0, "auto": True,
                "preconditions": {"min_soc": 0.5, **options.pop("preconditions", {})}, **options}
    return oe.Spacecraft("hover", orbit=orbit, power=power, activities=[activity])


def _starts(sc, step_s):
    sim = oe.Simulation(START, spacecraft=[sc], seed=1)
    sim.run(START + dt.timedelta(hours=8), step_s=step_s)
    return [e.elapsed_s for e in sim.events() if e.kind == "activity_started"]


def test_min_on_s_and_resume_soc_stop_an_auto_activity_chattering():
    chattering = _starts(_hovering(), 1.0)
    assert len(chattering) > 2_000                    # a start every other second in sunlight
    kept_on = _starts(_hovering(min_on_s=600.0), 1.0)
    assert 10 < len(kept_on) <= 8 * 3600 / 600
    assert all(b - a >= 600.0 for a, b in zip(kept_on, kept_on[1:]))
    held = _starts(_hovering(preconditions={"resume_soc": 0.6}), 1.0)
    assert 3 < len(held) < 20
    sc = _hovering(min_on_s=600.0, preconditions={"resume_soc": 0.6})
    activity = sc.config()["activities"][0]
    assert (activity["min_on_s"], activity["preconditions"]["resume_soc"]) == (600.0, 0.6)
    assert "min_on_s" not in _hovering().config()["activities"][0]   # defaults are not written
    with pytest.raises(oe.errors.InputError, match=r"resume_soc must be greater than min_soc \(0.5\)"):
        _hovering(preconditions={"resume_soc": 0.5})
    with pytest.raises(oe.errors.InputError, match="min_on_s"):
        _hovering(min_on_s=-1.0)


def test_an_rtg_charges_in_eclipse():
    """``power={"rtg": {"power_w": ...}}``: constant generation (issue 14)."""
    power = {"rtg": {"power_w": 20.0}, "bus_load_w": 5.0,
             "battery": {"capacity_wh": 100.0, "initial_soc": 0.3, "charge_efficiency": 0.9}}
    orbit = oe.Satellite.from_elements(START, 6928.0, 0.0, 97.6, 0.0, 0.0, 0.0, name="deep")
    sc = oe.Spacecraft("deep", orbit=orbit, power=power)
    assert sc.config()["power"] == {**power, "battery": {**power["battery"], "discharge_efficiency": 0.95,
                                                         "min_soc": 0.2}}
    assert pickle.loads(pickle.dumps(sc)) == sc
    sim = oe.Simulation(START, spacecraft=[sc], seed=1)
    sim.run(START + dt.timedelta(hours=3))
    tel = sim.telemetry()
    umbra = tel["sunlit_fraction"] == 0.0
    assert umbra.sum() > 30
    t_s = (tel["time"] - np.datetime64(START.replace(tzinfo=None))) / np.timedelta64(1, "s")
    expected_wh = 30.0 + (20.0 - 5.0) * 0.9 * t_s / 3600.0
    np.testing.assert_allclose(tel["battery_wh"][umbra], expected_wh[umbra], rtol=0, atol=1e-9)
    assert (tel["power_in_w"][umbra] == 20.0).all()
    energy = sim.states()[0]["energy"]
    assert energy["generated_wh"] == pytest.approx(60.0, abs=1e-9)
    with pytest.raises(oe.errors.InputError, match="not both"):
        oe.Spacecraft("x", orbit=orbit, power={**power, "solar_array": {"area_m2": 0.1}})
