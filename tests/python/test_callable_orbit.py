"""``Satellite.from_callable`` (issue 14, PASEOS's ``set_custom_orbit``): a Python
function ``fn(t_s) -> (r_km, v_km_s)`` as an orbit, sampled every ``step_s`` and
interpolated (cubic Hermite).

References and tolerances:

* a circular orbit in closed form (numpy, written here) against the crate's
  Kepler satellite on the same elements: the interpolation error at the default
  60 s step is h⁴n⁴r/384 ≈ 0.34 m (asserted < 0.5 m, velocity < 0.1 m/s);
* a J2 satellite's own propagation wrapped by ``from_callable``: its eclipses,
  station passes, links and one-day ``Simulation`` against the satellite's own.
  0.34 m moves an edge by ≈ 0.05 ms, about the searches' 0.1 ms refinement;
  edges are asserted within ``EDGE_S`` = 1 ms (measured: ≤ 0.31 ms in
  tests/custom_orbit.rs, the Rust twin of this file).
"""

import datetime as dt
import math
import pickle

import numpy as np
import pytest

import orbitedge as oe
from orbitedge.errors import CheckpointError, InputError, PropagationError

UTC = dt.timezone.utc
START = dt.datetime(2024, 3, 1, tzinfo=UTC)
START_NS = np.datetime64("2024-03-01T00:00:00", "ns")
DAY = dt.timedelta(days=1)
MU_KM3_S2 = 398600.4418
EDGE_S = 1e-3

R_KM = 6928.137
INCLINATION_RAD = math.radians(97.6)
N_RAD_S = math.sqrt(MU_KM3_S2 / R_KM**3)


def circular(t_s):
    """A circular orbit at 550 km, 97.6°, node on the x axis at the epoch: module level, so it pickles."""
    cu, su = math.cos(N_RAD_S * t_s), math.sin(N_RAD_S * t_s)
    ci, si = math.cos(INCLINATION_RAD), math.sin(INCLINATION_RAD)
    speed = R_KM * N_RAD_S
    return (R_KM * cu, R_KM * su * ci, R_KM * su * si), (-speed * su, speed * cu * ci, speed * cu * si)


def kepler_twin():
    """The crate's Kepler satellite on the elements of ``circular``."""
    return oe.Satellite.from_elements(START, R_KM, 0.0, 97.6, 0.0, 0.0, 0.0, propagator="kepler", name="kepler")


def wrapped(satellite, **kw):
    """``satellite``'s own propagation as a Python function (its states on the
    60 s grid of the next days computed in one call up front, to keep the test
    fast; any other instant propagated when asked)."""
    grid_s = np.arange(-1440, 4 * 1440 + 1) * 60
    r_grid, v_grid = satellite.propagate(START_NS + (grid_s * 10**9).astype("timedelta64[ns]"))
    table = {int(t): (r, v) for t, r, v in zip(grid_s, r_grid, v_grid)}

    def fn(t_s):
        if t_s == int(t_s) and int(t_s) in table:
            return table[int(t_s)]
        r, v = satellite.propagate([START_NS + np.timedelta64(round(t_s * 1e9), "ns")])
        return r[0], v[0]

    return oe.Satellite.from_callable(fn, satellite.epoch, name=satellite.name, **kw)


def fleet():
    return oe.walker_delta(3, 3, 1, 550.0, 97.6, START)


def edge_gap(a, b):
    return abs((a - b).total_seconds())


# ------------------------------------------------------------------ accuracy


def test_a_closed_form_circular_orbit_is_interpolated_within_half_a_metre():
    sat = oe.Satellite.from_callable(circular, START, name="circular")
    assert sat.model == "custom" and sat.name == "circular" and sat.epoch == START
    rng = np.random.default_rng(14)
    offsets_ns = np.sort(rng.integers(-86_400 * 10**9, 3 * 86_400 * 10**9, 3000))
    epochs = START_NS + offsets_ns.astype("timedelta64[ns]")
    r, v = sat.propagate(epochs)
    reference = [circular(t) for t in offsets_ns / 1e9]
    r_ref, v_ref = np.array([p for p, _ in reference]), np.array([w for _, w in reference])
    position_error_km = np.linalg.norm(r - r_ref, axis=1).max()
    velocity_error_km_s = np.linalg.norm(v - v_ref, axis=1).max()
    assert 0.1e-3 < position_error_km < 0.5e-3, position_error_km  # h⁴n⁴r/384 = 0.34 m
    assert velocity_error_km_s < 1e-4, velocity_error_km_s
    # The closed form is the crate's Kepler orbit: independent agreement on the grid.
    grid = START_NS + (np.arange(0, 2 * 1440) * 60 * 10**9).astype("timedelta64[ns]")
    r_custom, _ = sat.propagate(grid)
    r_kepler, _ = kepler_twin().propagate(grid)
    assert np.abs(r_custom - r_kepler).max() < 1e-6


def test_states_do_not_depend_on_threads_or_query_order():
    epochs = START_NS + (np.arange(-500, 2000) * 97_310_000_000).astype("timedelta64[ns]")
    results = []
    for threads in (1, 2):
        sats = [oe.Satellite.from_callable(circular, START, name=f"c{k}") for k in range(2)]
        results.append(oe.propagate(sats, epochs, threads=threads))
    for k in range(2):
        assert np.array_equal(results[0][0][k], results[1][0][k])
        assert np.array_equal(results[0][1][k], results[1][1][k])
    # Satellite.propagate times each epoch from the satellite's epoch (oe.propagate from
    # the first one given: another rounding), so order is compared on one path.
    forward, backward = (oe.Satellite.from_callable(circular, START) for _ in range(2))
    r_forward, v_forward = forward.propagate(epochs)
    r_backward, v_backward = backward.propagate(epochs[::-1])
    assert np.array_equal(r_forward, r_backward[::-1]) and np.array_equal(v_forward, v_backward[::-1])


# ------------------------------------------------------------------ searches and engine


def test_eclipses_match_the_satellites_own():
    analytic = fleet()
    custom = [wrapped(s) for s in analytic]
    a = oe.eclipse_intervals(analytic, START, START + 2 * DAY)
    c = oe.eclipse_intervals(custom, START, START + 2 * DAY)
    assert len(a) == len(c) > 150
    for x, y in zip(a, c):
        assert (x.satellite, x.kind) == (y.satellite, y.kind)
        assert edge_gap(x.start, y.start) < EDGE_S and edge_gap(x.end, y.end) < EDGE_S, (x, y)


def test_station_passes_match_the_satellites_own():
    analytic = fleet()
    custom = [wrapped(s) for s in analytic]
    stations = [oe.GroundStation("Kiruna", 67.8558, 20.9644, 390.0, 5.0),
                oe.GroundStation("Matera", 40.6486, 16.7046, 536.9, 10.0)]
    a = oe.access_windows(analytic, stations, START, START + 2 * DAY)
    c = oe.access_windows(custom, stations, START, START + 2 * DAY)
    assert len(a) == len(c) > 40
    for x, y in zip(a, c):
        assert (x.satellite, x.station) == (y.satellite, y.station)
        assert edge_gap(x.rise, y.rise) < EDGE_S and edge_gap(x.set, y.set) < EDGE_S, (x, y)
        assert abs(x.max_elevation_deg - y.max_elevation_deg) < 1e-4


def test_links_match_the_satellites_own():
    analytic = [oe.Satellite.from_elements(START, 6378.137 + h, 0.001, i, raan, 0.0, 0.0, name=f"s{h:.0f}")
                for h, i, raan in [(550.0, 97.6, 0.0), (1200.0, 97.6, 0.0), (800.0, 53.0, 40.0)]]
    custom = [wrapped(s) for s in analytic]
    a = oe.link_windows(analytic, START, START + 2 * DAY, max_range_km=5000.0)
    c = oe.link_windows(custom, START, START + 2 * DAY, max_range_km=5000.0)
    assert len(a) == len(c) > 10
    for x, y in zip(a, c):
        assert edge_gap(x.start, y.start) < EDGE_S and edge_gap(x.end, y.end) < EDGE_S, (x, y)


POWER = {"solar_array": {"area_m2": 0.12, "efficiency": 0.3},
         "battery": {"capacity_wh": 30.0, "initial_soc": 0.6, "min_soc": 0.3}, "bus_load_w": 9.0}
RADIO = [{"name": "s-band", "rate": {"model": "fixed", "rate_bps": 2e6}, "transmit_power_w": 8.0}]
IMAGING = [{"name": "imaging", "power_w": 15.0, "duration_s": 300.0, "auto": True, "cooldown_s": 1800.0,
            "preconditions": {"sunlit": True, "min_soc": 0.5},
            "produces": {"partition": "raw", "bytes_per_s": 2e5}}]


def one_day(satellites):
    spacecraft = [oe.Spacecraft(s.name, orbit=s, power=POWER, radios=RADIO, activities=IMAGING,
                                storage={"capacity_bytes": 2e9}) for s in satellites]
    sim = oe.Simulation(START, spacecraft, stations=[oe.GroundStation("Kiruna", 67.8558, 20.9644, 390.0, 5.0)],
                        seed=3)
    sim.run(START + DAY)
    return sim


def test_a_one_day_simulation_matches_the_satellites_own():
    analytic = fleet()
    a, c = one_day(analytic), one_day([wrapped(s) for s in analytic])
    ea, ec = a.events(), c.events()
    assert len(ea) == len(ec)
    assert {"contact_started", "light_changed", "activity_started"} <= {e.kind for e in ea}
    for x, y in zip(ea, ec):
        assert (x.spacecraft, x.kind) == (y.spacecraft, y.kind)
        assert abs(x.elapsed_s - y.elapsed_s) < EDGE_S, (x, y)
    sa, sc = a.summary(), c.summary()
    for x, y in zip(sa["spacecraft"], sc["spacecraft"]):
        assert x["downlinked_bytes"] > 0
        # 1 ms of a 2 Mbit/s contact is 250 bytes; of a 15 W activity, 4e-6 Wh.
        assert abs(x["downlinked_bytes"] - y["downlinked_bytes"]) <= 2 * 250.0
        assert abs(x["eclipse_s"] - y["eclipse_s"]) < 2 * EDGE_S * 30
        assert abs(x["final_soc"] - y["final_soc"]) < 1e-6
        assert abs(x["energy"]["consumed_wh"] - y["energy"]["consumed_wh"]) < 1e-4


def test_the_flight_state_plans_a_block_without_deadlocking():
    """``Simulation.state`` on a block edge plans the next block on rayon threads, where
    the function needs the GIL: it must not hold it meanwhile."""
    sim = oe.Simulation(START, [oe.Spacecraft("c", orbit=oe.Satellite.from_callable(circular, START), radios=RADIO)],
                        stations=[oe.GroundStation("Kiruna", 67.8558, 20.9644, 390.0, 5.0)])
    sim.run(START + dt.timedelta(hours=6))
    assert sim.state("c").spacecraft == "c"


# ------------------------------------------------------------------ errors


def fails_after_two_days(t_s):
    if t_s > 2 * 86_400:
        raise ValueError("no ephemeris after day 2")
    return circular(t_s)


def test_an_exception_in_fn_is_a_propagation_error_with_its_message_and_time():
    sat = oe.Satellite.from_callable(fails_after_two_days, START, name="short")
    sat.propagate([START + DAY])
    with pytest.raises(PropagationError) as info:
        sat.propagate([START + 2.1 * DAY])
    text = str(info.value)
    assert "no ephemeris after day 2" in text and "ValueError" in text, text
    # The first failing instant of the block asked for: the grid point after day 2.
    assert '"short"' in text and "fails_after_two_days(t_s=172860)" in text, text
    assert "2024-03-03T00:01:00" in text, text
    with pytest.raises(PropagationError, match="no ephemeris after day 2"):  # from rayon threads
        oe.eclipse_intervals([sat], START, START + 4 * DAY)
    sim = oe.Simulation(START, [oe.Spacecraft("short", orbit=sat)])
    with pytest.raises(PropagationError, match="no ephemeris after day 2"):  # from the engine
        sim.run(START + 4 * DAY)
    with pytest.raises(PropagationError, match="at once"):  # already when sampling the bounds
        oe.Satellite.from_callable(lambda t: (_ for _ in ()).throw(RuntimeError("at once")), START)


@pytest.mark.parametrize("returned, fragment", [
    (((7000.0, 0.0), (0.0, 7.5, 0.0)), "two sequences of 3 numbers"),
    ((7000.0, 0.0, 0.0), "two sequences of 3 numbers"),
    (np.zeros((3, 2)), "two sequences of 3 numbers"),
    (None, "returned None"),
    ("abc", "two sequences of 3 numbers"),
    ((("a", "b", "c"), (0.0, 7.5, 0.0)), "two sequences of 3 numbers"),
    (((7000.0, float("nan"), 0.0), (0.0, 7.5, 0.0)), "non-finite"),
    (((7000.0, 0.0, 0.0), (0.0, float("inf"), 0.0)), "non-finite"),
])
def test_a_wrong_shape_or_a_non_finite_number_is_a_propagation_error(returned, fragment):
    with pytest.raises(PropagationError, match=fragment):
        oe.Satellite.from_callable(lambda t: returned, START)


def test_arrays_lists_and_tuples_are_all_accepted():
    for convert in (np.array, list, tuple):
        def fn(t_s, convert=convert):
            r, v = circular(t_s)
            return convert(r), convert(v)
        assert oe.Satellite.from_callable(fn, START).model == "custom"
    assert oe.Satellite.from_callable(lambda t: np.array(circular(t)), START).model == "custom"  # (2, 3)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"step_s": 0.0}, "step_s"),
    ({"step_s": -60.0}, "step_s"),
    ({"step_s": float("nan")}, "step_s"),
    ({"step_s": 7200.0}, "3600"),
    ({"bounds_span_s": 0.0}, "bounds_span_s"),
    ({"step_s": 0.001}, "grid points"),
])
def test_bad_sampling_is_an_input_error(kwargs, fragment):
    with pytest.raises(InputError, match=fragment):
        oe.Satellite.from_callable(circular, START, **kwargs)
    assert issubclass(InputError, ValueError)


def test_bad_arguments_are_input_errors():
    with pytest.raises(InputError, match="callable"):
        oe.Satellite.from_callable(42, START)
    with pytest.raises(InputError, match="ISO 8601"):
        oe.Satellite.from_callable(circular, "yesterday")
    with pytest.raises(oe.errors.OrbitError, match="perigee"):
        oe.Satellite.from_callable(lambda t: ((6000.0, 0.0, 0.0), (0.0, 8.0, 0.0)), START)


def test_leaving_the_measured_bounds_is_a_propagation_error():
    def raised(t_s):
        r, v = circular(t_s)
        return (r, v) if t_s < 2 * 86_400 else ([1.05 * x for x in r], v)

    with pytest.raises(PropagationError, match="bounds_span_s"):
        oe.Satellite.from_callable(raised, START).propagate([START + 2.5 * DAY])
    longer = oe.Satellite.from_callable(raised, START, bounds_span_s=3 * 86_400.0)
    longer.propagate([START + 2.5 * DAY])


# ------------------------------------------------------------------ pickles and checkpoints


def test_a_satellite_on_a_module_level_function_pickles():
    sat = oe.Satellite.from_callable(circular, START + dt.timedelta(microseconds=1), name="p", step_s=30.0)
    back = pickle.loads(pickle.dumps(sat))
    assert back == sat and back.name == "p" and back.epoch == sat.epoch
    epochs = [START + dt.timedelta(seconds=s) for s in (0.0, 1234.5, 90_000.0)]
    assert all(np.array_equal(x, y) for x, y in zip(sat.propagate(epochs), back.propagate(epochs)))
    assert sat != oe.Satellite.from_callable(circular, START + dt.timedelta(microseconds=1), name="p")  # 60 s
    assert sat != kepler_twin()
    spacecraft = oe.Spacecraft("p", orbit=sat)
    assert pickle.loads(pickle.dumps(spacecraft.orbit)) == sat


def test_a_lambda_does_not_pickle_and_says_so():
    sat = oe.Satellite.from_callable(lambda t: circular(t), START)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError), match="lambda"):
        pickle.dumps(sat)
    with pytest.raises(InputError, match="custom orbit"):
        sat.to_json()
    with pytest.raises(InputError, match="custom orbit"):  # a Spacecraft travels as JSON
        pickle.dumps(oe.Spacecraft("fn-sat", orbit=oe.Satellite.from_callable(circular, START)))


def test_a_simulation_on_a_function_refuses_checkpoints_by_name():
    sim = oe.Simulation(START, [oe.Spacecraft("fn-sat", orbit=oe.Satellite.from_callable(circular, START))])
    sim.run(START + dt.timedelta(hours=1))
    with pytest.raises(CheckpointError, match='"fn-sat" follows a custom orbit'):
        sim.checkpoint()
    with pytest.raises(CheckpointError, match="from_ephemeris"):
        pickle.dumps(sim)


def test_the_docstring_example_runs():
    import doctest

    doc = oe.Satellite.from_callable.__doc__
    assert doc and ">>>" in doc
    examples = doctest.DocTestParser().get_doctest(doc, {}, "from_callable", None, 0)
    runner = doctest.DocTestRunner()
    runner.run(examples)
    assert runner.failures == 0 and runner.tries >= 4, (runner.failures, runner.tries)
