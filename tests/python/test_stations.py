"""Station sharing from Python (issue 14): only a spacecraft whose radio can use a
station claims it, stations have antennas, ``station_assignment`` picks who is
served when passes compete, and passes left unserved are ``pass_unserved`` events."""

import datetime as dt
import pickle

import pytest

import orbitedge as oe

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
RADIO = {"name": "s-band", "rate": {"model": "fixed", "rate_bps": 2e6}}


def kiruna(**kwargs):
    return oe.GroundStation("Kiruna", 67.8558, 20.9644, 390.0, 5.0, **kwargs)


def geo(name, longitude_deg):
    """A geostationary satellite over ``longitude_deg`` at START (GMST, IAU 1982)."""
    days = 2460370.5 - 2451545.0  # Julian date of START since J2000
    gmst_deg = (280.46061837 + 360.98564736629 * days) % 360.0
    anomaly = (longitude_deg + gmst_deg) % 360.0
    return oe.Satellite.from_elements(START, 42164.17, 0.0, 0.0, 0.0, 0.0, anomaly, name=name)


def leo_fleet(n=3):
    sats = oe.walker_delta(n, 3, 1, 550.0, 97.6, START)
    return [oe.Spacecraft(s.name, orbit=s, radios=[RADIO]) for s in sats]


def log(sim, skip=""):
    return [(e.elapsed_s, e.spacecraft, e.kind, e.detail) for e in sim.events(since=0) if e.spacecraft != skip]


def test_a_spacecraft_without_a_radio_claims_no_station():
    """The issue's reproduction: a bare geostationary relay, in view of Kiruna all
    day and listed first, used to hold the station and block every contact."""
    end = START + dt.timedelta(hours=12)
    relay = geo("relay", 21.0)
    windows = oe.access_windows([relay], [kiruna()], START, end)
    assert len(windows) == 1 and windows[0].clipped_start and windows[0].clipped_end
    with_relay = oe.Simulation(START, spacecraft=[oe.Spacecraft("relay", orbit=relay)] + leo_fleet(),
                               stations=[kiruna()], seed=1)
    with_relay.run(end)
    alone = oe.Simulation(START, spacecraft=leo_fleet(), stations=[kiruna()], seed=1)
    alone.run(end)
    assert not [e for e in with_relay.events(since=0) if e.spacecraft == "relay"
                and e.kind in ("contact_started", "pass_unserved")]
    assert sum(e.kind == "contact_started" for e in with_relay.events(since=0)) >= 10
    assert log(with_relay, skip="relay") == log(alone)


def test_stations_have_antennas():
    assert kiruna().antennas == 1
    station = kiruna(antennas=3)
    assert station.antennas == 3
    assert "antennas=3" in repr(station) and "antennas" not in repr(kiruna())
    assert pickle.loads(pickle.dumps(station)) == station
    assert oe.GroundStation.from_json(station.to_json()).antennas == 3
    for bad in (0, -1, 2**40):
        with pytest.raises(oe.InputError, match="antennas"):
            kiruna(antennas=bad)


def close_pair():
    """``late`` trails ``early`` by 4° in one orbit: their passes overlap by all
    but a minute."""
    return [
        oe.Spacecraft(name, orbit=oe.Satellite.from_elements(START, 6928.0, 0.0, 97.6, 10.0, 0.0, anomaly,
                                                             name=name), radios=[RADIO])
        for name, anomaly in (("late", 0.0), ("early", 4.0))
    ]


def unserved(sim):
    """Per spacecraft: the pass_unserved events' data."""
    out = {"late": [], "early": []}
    for e in sim.events(since=0):
        if e.kind == "pass_unserved":
            out[e.spacecraft].append(e.data())
    return out


def run_pair(**kwargs):
    sim = oe.Simulation(START, spacecraft=close_pair(), stations=[kiruna(antennas=kwargs.pop("antennas", 1))],
                        seed=1, **kwargs)
    sim.run(START + dt.timedelta(hours=6))
    return sim


def test_first_come_is_the_default_and_logs_the_later_pass_unserved():
    default = run_pair()
    explicit = run_pair(station_assignment="first_come")
    assert log(default) == log(explicit)
    lost = unserved(default)
    assert lost["early"] == [] and len(lost["late"]) >= 3
    for data in lost["late"]:
        assert data["event"] == "pass_unserved" and data["station"] == "Kiruna"
        assert 0.0 < data["unserved_s"] < data["pass_s"]
    assert "without an antenna" in next(e.detail for e in default.events(since=0) if e.kind == "pass_unserved")


def test_priority_serves_the_listed_spacecraft_and_highest_elevation_the_higher_pass():
    listed = unserved(run_pair(station_assignment={"priority": ["late"]}))
    assert listed["late"] == [] and len(listed["early"]) >= 3
    highest = unserved(run_pair(station_assignment="highest_elevation"))
    # Either may peak higher: each loses some overlaps.
    assert highest["late"] and highest["early"]
    # Two antennas serve both.
    assert unserved(run_pair(antennas=2)) == {"late": [], "early": []}


def test_the_assignment_survives_a_checkpoint():
    sim = oe.Simulation(START, spacecraft=close_pair(), stations=[kiruna(antennas=2)], seed=1,
                        station_assignment={"priority": ["late"]})
    sim.run(START + dt.timedelta(hours=3))
    again = pickle.loads(pickle.dumps(sim))
    for s in (sim, again):
        s.run(START + dt.timedelta(hours=8))
    assert log(sim) == log(again)


@pytest.mark.parametrize(
    "assignment, text",
    [
        ("loudest", "first_come"),
        ({"priority": ["nobody"]}, "nobody"),
        ({"priority": ["late", "late"]}, "late"),
        ({"priority": "late"}, "station_assignment"),
        (3, "station_assignment"),
    ],
)
def test_bad_assignments_raise_input_errors(assignment, text):
    with pytest.raises(oe.InputError, match=text):
        oe.Simulation(START, spacecraft=close_pair(), stations=[kiruna()], station_assignment=assignment)
