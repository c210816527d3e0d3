"""The Python API of the Core: names fixed by the acceptance checks, time
handling, numpy shapes, errors, and agreement with the stored references."""

import datetime as dt
import pickle
import warnings

import numpy as np
import pytest

import orbitedge as oe
from conftest import ISS, S2A

UTC = dt.timezone.utc


def test_public_names_exist():
    for name in [
        "Satellite", "GroundStation", "AccessWindow", "EclipseInterval", "propagate",
        "access_windows", "eclipse_intervals", "walker_delta", "to_columns", "TleError",
    ]:
        assert hasattr(oe, name), name
    assert issubclass(oe.TleError, ValueError)
    assert issubclass(oe.OmmError, ValueError)
    assert issubclass(oe.PropagationError, RuntimeError)


def test_from_tle_epoch_is_aware_utc():
    sat = oe.Satellite.from_tle(*S2A, name="S2A")
    assert sat.name == "S2A" and sat.model == "sgp4" and sat.norad_id == 40697
    assert sat.epoch.tzinfo is not None and sat.epoch.utcoffset() == dt.timedelta(0)
    assert sat.epoch.date() == dt.date(2023, 7, 7)


@pytest.mark.parametrize(
    "epoch",
    [
        dt.datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
        dt.datetime(2024, 3, 1, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        dt.datetime(2024, 3, 1, 12, 0),  # naive = UTC
        "2024-03-01T12:00:00Z",
        "2024-03-01T12:00:00",
        "2024-03-01T14:00:00+02:00",
        np.datetime64("2024-03-01T12:00:00"),
    ],
)
def test_every_time_form_means_the_same_instant(epoch):
    sat = oe.Satellite.from_tle(*S2A)
    reference = dt.datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    p_ref, _ = sat.propagate([reference])
    p, _ = sat.propagate(epoch)
    np.testing.assert_array_equal(p, p_ref)


def test_propagate_shapes_and_frame_radius():
    sats = oe.walker_delta(6, 3, 1, 550.0, 97.6, "2024-03-01T00:00:00Z")
    epochs = np.arange(
        np.datetime64("2024-03-01T00:00"), np.datetime64("2024-03-01T02:00"), np.timedelta64(30, "s")
    )
    pos, vel = oe.propagate(sats, epochs)
    assert pos.shape == (6, len(epochs), 3) and vel.shape == pos.shape
    radius = np.linalg.norm(pos, axis=2)
    np.testing.assert_allclose(radius, 6378.137 + 550.0, rtol=0, atol=1e-6)  # circular, J2 secular
    speed = np.linalg.norm(vel, axis=2)
    # Circular speed, changed by ~0.1 % by the J2 secular rates of the mean elements.
    np.testing.assert_allclose(speed, np.sqrt(398600.4418 / (6378.137 + 550.0)), rtol=3e-3)


def test_propagate_is_thread_count_independent():
    sats = [oe.Satellite.from_tle(*S2A), oe.Satellite.from_tle(*ISS)] * 10
    epochs = [dt.datetime(2023, 7, 7, tzinfo=UTC) + dt.timedelta(minutes=k) for k in range(200)]
    one = oe.propagate(sats, epochs, threads=1)
    two = oe.propagate(sats, epochs, threads=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])


def test_matches_vallado_reference_through_python(sgp4_reference):
    checked = 0
    for case in sgp4_reference["satellites"][:5]:
        sat = oe.Satellite.from_tle(case["line1"], case["line2"])
        for expected in case["cases"]:
            if "r_km" not in expected:
                continue
            when = np.datetime64(sat.epoch.replace(tzinfo=None)) + np.timedelta64(
                int(round(expected["tsince_min"] * 60e6)), "us"
            )
            pos, _ = sat.propagate([when])
            # The datetime epoch carries microseconds; allow the resulting < 1 µs timing slack.
            assert np.linalg.norm(pos[0] - expected["r_km"]) < 1e-5
            checked += 1
    assert checked > 20


def test_access_windows_match_skyfield(access_reference):
    compared = 0
    for case in access_reference["cases"][:10]:
        sat = oe.Satellite.from_tle(case["line1"], case["line2"], name=case["satellite"])
        s = case["station"]
        gs = oe.GroundStation(s["name"], lat_deg=s["lat_deg"], lon_deg=s["lon_deg"], alt_m=s["alt_m"],
                              min_elevation_deg=s["min_elevation_deg"])
        wins = [w for w in oe.access_windows([sat], [gs], case["start_utc"], case["end_utc"])
                if not (w.clipped_start or w.clipped_end)]
        assert len(wins) == len(case["windows"])
        for ours, theirs in zip(wins, case["windows"]):
            rise = dt.datetime.fromisoformat(theirs["rise_utc"].replace("Z", "+00:00"))
            assert abs((ours.rise - rise).total_seconds()) < 1.0
            assert abs(ours.max_elevation_deg - theirs["max_elevation_deg"]) < 0.05
            assert ours.satellite == case["satellite"] and ours.station == s["name"]
            assert ours.rise < ours.culmination < ours.set
            compared += 1
    assert compared > 20


def test_elevation_deg_agrees_with_windows():
    sat = oe.Satellite.from_tle(*S2A, name="S2A")
    gs = oe.GroundStation("Kiruna", lat_deg=67.8558, lon_deg=20.9644, alt_m=390.0, min_elevation_deg=10.0)
    wins = oe.access_windows([sat], [gs], sat.epoch, sat.epoch + dt.timedelta(days=1))
    assert wins
    w = wins[0]
    el = gs.elevation_deg(sat, [w.rise, w.culmination, w.set])
    assert el.shape == (3,)
    np.testing.assert_allclose(el[[0, 2]], 10.0, atol=1e-3)
    assert abs(el[1] - w.max_elevation_deg) < 1e-3


def test_eclipse_intervals_and_sunlit_fraction():
    sat = oe.Satellite.from_tle(*ISS, name="ISS")
    start = sat.epoch
    ecl = oe.eclipse_intervals([sat], start, start + dt.timedelta(days=1))
    kinds = {e.kind for e in ecl}
    assert kinds == {"umbra", "penumbra"}
    umbra = [e for e in ecl if e.kind == "umbra" and not (e.clipped_start or e.clipped_end)]
    assert 14 <= len(umbra) <= 17
    mid = umbra[0].start + (umbra[0].end - umbra[0].start) / 2
    assert sat.sunlit_fraction(mid) == 0.0
    penumbra = next(e for e in ecl if e.kind == "penumbra" and not e.clipped_start)
    assert 0.0 < sat.sunlit_fraction(penumbra.start + (penumbra.end - penumbra.start) / 2) < 1.0
    assert 1.0 < penumbra.duration_s < 60.0
    cylindrical = oe.eclipse_intervals([sat], start, start + dt.timedelta(days=1), model="cylindrical")
    assert {e.kind for e in cylindrical} == {"umbra"}


def test_to_columns_feeds_a_dataframe_without_pandas():
    sats = oe.walker_delta(4, 2, 1, 550.0, 53.0, "2024-03-01T00:00:00Z")
    gs = oe.GroundStation("Matera", lat_deg=40.649, lon_deg=16.704, alt_m=536.0, min_elevation_deg=5.0)
    wins = oe.access_windows(sats, [gs], "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z")
    cols = oe.to_columns(wins)
    assert cols["rise"].dtype == np.dtype("datetime64[ns]")
    assert len(cols["satellite"]) == len(wins) > 0
    assert (cols["set"] > cols["rise"]).all()
    assert oe.to_columns([]) == {}


def test_omm_json_and_kvn():
    json_text = """[{"OBJECT_NAME":"ISS (ZARYA)","EPOCH":"2019-12-09T16:38:29.363424","MEAN_MOTION":15.50103472,
      "ECCENTRICITY":0.0007417,"INCLINATION":51.6439,"RA_OF_ASC_NODE":211.2001,"ARG_OF_PERICENTER":17.6667,
      "MEAN_ANOMALY":85.6398,"NORAD_CAT_ID":25544,"BSTAR":3.8792e-5,"MEAN_MOTION_DOT":1.764e-5}]"""
    [from_json] = oe.Satellite.from_omm(json_text)
    kvn = "\n".join(f"{k} = {v}" for k, v in [
        ("CCSDS_OMM_VERS", "2.0"), ("OBJECT_NAME", "ISS (ZARYA)"), ("EPOCH", "2019-12-09T16:38:29.363424"),
        ("MEAN_MOTION", "15.50103472 [rev/day]"), ("ECCENTRICITY", "0.0007417"), ("INCLINATION", "51.6439"),
        ("RA_OF_ASC_NODE", "211.2001"), ("ARG_OF_PERICENTER", "17.6667"), ("MEAN_ANOMALY", "85.6398"),
        ("NORAD_CAT_ID", "25544"), ("BSTAR", "0.38792E-4"), ("MEAN_MOTION_DOT", "0.00001764")])
    [from_kvn] = oe.Satellite.from_omm(kvn)
    tle = oe.Satellite.from_tle(*ISS)
    when = ["2019-12-10T00:00:00Z"]
    for sat in (from_json, from_kvn):
        assert sat.name == "ISS (ZARYA)"
        np.testing.assert_allclose(sat.propagate(when)[0], tle.propagate(when)[0], atol=1e-6)


def test_state_elements_and_ephemeris_constructors():
    epoch = "2024-03-01T00:00:00Z"
    kep = oe.Satellite.from_state(epoch, [7000.0, 0.0, 0.0], [0.0, 7.546, 0.0], propagator="kepler")
    assert kep.model == "kepler"
    j2 = oe.Satellite.from_elements(epoch, 7000.0, 0.001, 97.8, 10.0, 0.0, 0.0, propagator="j2")
    epochs = np.arange(np.datetime64("2024-03-01T00:00"), np.datetime64("2024-03-01T02:00"), np.timedelta64(60, "s"))
    pos, vel = j2.propagate(epochs)
    eph = oe.Satellite.from_ephemeris(epochs, pos, vel, name="tabulated")
    mid = epochs[:-1] + np.timedelta64(30, "s")
    np.testing.assert_allclose(eph.propagate(mid)[0], j2.propagate(mid)[0], atol=1e-3)
    with pytest.raises(oe.EphemerisError, match="outside the tabulated span"):
        eph.propagate([np.datetime64("2024-03-02T00:00")])


def test_pickle_round_trips():
    sat = oe.Satellite.from_tle(*S2A, name="S2A")
    gs = oe.GroundStation("Svalbard", lat_deg=78.2298, lon_deg=15.4078, alt_m=500.0, min_elevation_deg=5.0,
                          horizon_mask=[(0.0, 5.0), (180.0, 12.0)])
    assert pickle.loads(pickle.dumps(sat)) == sat
    assert pickle.loads(pickle.dumps(gs)) == gs


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda: oe.Satellite.from_tle(S2A[0][:-1] + "0", S2A[1]), oe.TleError, "checksum"),
        (lambda: oe.Satellite.from_tle(S2A[0][:40], S2A[1]), oe.TleError, "69 characters"),
        (lambda: oe.Satellite.from_omm("{not json"), oe.OmmError, "invalid JSON"),
        (lambda: oe.Satellite.from_omm('[{"OBJECT_NAME": "X"}]'), oe.OmmError, "MEAN_MOTION"),
        (lambda: oe.Satellite.from_elements("2024-03-01", 7000.0, 1.0, 0, 0, 0, 0), oe.InputError, "eccentricity"),
        (lambda: oe.Satellite.from_elements("2024-03-01", float("nan"), 0.0, 0, 0, 0, 0), oe.InputError, "semi_major_axis_km"),
        (lambda: oe.Satellite.from_state("2024-03-01", [7000.0, 0.0], [0.0, 7.5, 0.0]), oe.InputError, "3 components"),
        (lambda: oe.Satellite.from_state("2024-03-01", [7000.0, 0, 0], [0, 7.5, 0], propagator="rk4"), oe.InputError, "kepler"),
        (lambda: oe.walker_delta(6, 3, 1, -550.0, 53.0, "2024-03-01"), oe.InputError, "altitude_km"),
        (lambda: oe.walker_delta(7, 3, 1, 550.0, 53.0, "2024-03-01"), oe.InputError, "planes"),
        (lambda: oe.GroundStation("X", lat_deg=91.0, lon_deg=0.0), oe.InputError, "latitude_deg"),
        (lambda: oe.access_windows([], [oe.GroundStation("X", 0.0, 0.0)], "2024-03-01", "2024-03-02"), oe.InputError, "satellites"),
        (lambda: oe.eclipse_intervals([oe.Satellite.from_tle(*S2A)], "2024-03-02", "2024-03-01"), oe.InputError, "after its start"),
        (lambda: oe.propagate([oe.Satellite.from_tle(*S2A)], ["yesterday"]), oe.InputError, "ISO 8601"),
        (lambda: oe.propagate([oe.Satellite.from_tle(*S2A)], [np.datetime64("NaT")]), oe.InputError, "NaT"),
        (lambda: oe.propagate([oe.Satellite.from_tle(*S2A)], ["2024-03-01"], threads=0), oe.InputError, "threads"),
    ],
)
def test_bad_input_raises_typed_errors(call, error, text):
    with pytest.raises(error, match=text):
        call()


def test_decayed_orbit_is_a_propagation_error():
    # Vallado's case 29141 (perigee 276 km, huge drag) decays 7 hours after epoch.
    line1 = "1 29141U 85108AA  06170.26783845  .99999999  00000-0  13519-0 0   718"
    line2 = "2 29141  82.4288 273.4882 0015848 277.2124  83.9133 15.93343074  6828"
    sat = oe.Satellite.from_tle(line1, line2)
    with pytest.raises(oe.PropagationError, match="decayed"):
        oe.propagate([sat], [sat.epoch + dt.timedelta(minutes=440)])


R_EARTH_KM = 6378.137


@pytest.mark.parametrize(
    "build, altitude",
    [
        (lambda: oe.Satellite.from_elements("2024-03-01", 3000.0, 0.0, 50, 0, 0, 0, name="deep"), "-3378.1"),
        (lambda: oe.Satellite.from_elements("2024-03-01", 7000.0, 0.5, 50, 0, 0, 0, propagator="kepler", name="deep"), "-2878.1"),
        (lambda: oe.Satellite.from_state("2024-03-01", [1000.0, 0, 0], [0, 19.96, 0], name="deep"), "-537"),
        (lambda: oe.walker_delta(2, 1, 0, 20.0, 53.0, "2024-03-01", prefix="deep"), "20.0"),
        (
            # Vallado's sub-orbital case 28872: mean perigee 55 km below the surface.
            lambda: oe.Satellite.from_tle(
                "1 28872U 05037B   05333.02012661  .25992681  00000-0  24476-3 0  1534",
                "2 28872  96.4736 157.9986 0303955 244.0492 110.6523 16.46015938 10708",
                name="deep",
            ),
            "-5",
        ),
        (
            lambda: oe.Satellite.from_ephemeris(
                ["2024-03-01T00:00:00", "2024-03-01T00:01:00"],
                np.array([[7000.0, 0, 0], [6000.0, 0, 0]]),
                np.array([[0, 7.5, 0], [0, 7.5, 0]]),
                name="deep",
            ),
            "-378.1",
        ),
    ],
)
def test_orbits_inside_the_earth_raise_orbit_error(build, altitude):
    with pytest.raises(oe.errors.OrbitError, match=r'"deep.*": perigee altitude ' + altitude) as raised:
        build()
    assert isinstance(raised.value, ValueError)


def test_satellite_json_inside_the_earth_raises_orbit_error():
    sat = oe.Satellite.from_elements("2024-03-01", 7000.0, 0.0, 50, 0, 0, 0, name="sat")
    text = sat.to_json()
    assert oe.Satellite.from_json(text) == sat
    with pytest.raises(oe.errors.OrbitError, match='"sat": perigee altitude -3378.1 km'):
        oe.Satellite.from_json(text.replace("7000.0", "3000.0"))
    with pytest.raises(oe.InputError, match="satellite JSON"):
        oe.Satellite.from_json("{not json")


def test_low_perigee_is_accepted_with_a_warning():
    with pytest.warns(oe.errors.LowPerigeeWarning, match='"skimmer": perigee altitude 80.0 km') as caught:
        sat = oe.Satellite.from_elements("2024-03-01", R_EARTH_KM + 80.0, 0.0, 50, 0, 0, 0, name="skimmer")
    assert caught[0].filename == __file__  # points at the caller's line
    assert sat.model == "j2"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        oe.Satellite.from_elements("2024-03-01", R_EARTH_KM + 400.0, 0.0, 50, 0, 0, 0)


def test_a_panic_inside_orbitedge_is_an_internal_error():
    from orbitedge import _orbitedge

    assert issubclass(oe.errors.InternalError, Exception)  # not a BaseException only: `except Exception` works
    assert issubclass(oe.errors.InternalError, RuntimeError)
    with pytest.raises(oe.errors.InternalError, match="deliberate panic") as raised:
        _orbitedge._debug_panic()
    assert "internal error in _debug_panic" in str(raised.value)
