"""The bad-input catalogue (issue 12, "make it stay fixed"): every class of bad
input a user can give the Python API, each with the orbitedge exception it must
raise and a fragment of its message.

Each case is one callable doing one bad thing. It runs on a thread with a time
limit (a hang fails the case instead of the suite); cases that used to hang or
abort the process run in a child process, so a regression costs one case, not
the test run. Besides the expected class, every case checks that nothing else
escapes: no plain Python exception, no ``PanicException`` (a Rust panic), no
hang. Wrong Python *types* at a function's signature are Python's business
(``TypeError`` from the argument conversion) and are listed separately at the end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from typing import Any, Callable, Optional

import numpy as np
import pytest

import orbitedge as oe
from orbitedge import errors as E

HERE = pathlib.Path(__file__).resolve()
TINY = HERE.parents[1] / "data" / "tiny_cloudnet.onnx"
UTC = dt.timezone.utc
START = dt.datetime(2024, 3, 1, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)
#: A century after START (a Python time holds at most ~240 more years: Unix
#: nanoseconds in an int64 end in 2262).
CENTURY_LATER = "2124-03-01T00:00:00Z"

#: Longest a case may take (in a thread or a child process) before it counts as a hang.
CASE_TIME_LIMIT_S = 20.0
#: Address space a child process may use.
CHILD_MEMORY_BYTES = 6 * 1024**3

L1 = "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991"
L2 = "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482"
NAN = float("nan")
INF = float("inf")

# ------------------------------------------------------------------ fixtures


def tle_with(line: str, first: int, text: str) -> str:
    """``line`` with columns ``first..`` (1-based) replaced by ``text``, checksum redone."""
    body = line[: first - 1] + text + line[first - 1 + len(text) : 68]
    checksum = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in body) % 10
    return body + str(checksum)


def leo(name: str = "sat") -> oe.Satellite:
    return oe.Satellite.from_elements(START, 6928.137, 0.001, 97.6, 0.0, 0.0, 0.0, name=name)


def elements(a_km: float = 7000.0, e: float = 0.001, i_deg: float = 97.6, **kw: Any) -> oe.Satellite:
    return oe.Satellite.from_elements(START, a_km, e, i_deg, 0.0, 0.0, 0.0, **kw)


def state(position_km: list, velocity_km_s: list) -> oe.Satellite:
    return oe.Satellite.from_state(START, position_km, velocity_km_s, propagator="kepler")


def circular_state(t_s: float) -> tuple:
    """A circular equatorial orbit at 7000 km, for Satellite.from_callable."""
    n = (398600.4418 / 7000.0**3) ** 0.5
    c, s = np.cos(n * t_s), np.sin(n * t_s)
    return (7000.0 * c, 7000.0 * s, 0.0), (-7000.0 * n * s, 7000.0 * n * c, 0.0)


def raise_value_error(message: str) -> Any:
    raise ValueError(message)


def fleet(n: int) -> list:
    return [leo(f"sat-{k}") for k in range(n)]


def kiruna(**kw: Any) -> oe.GroundStation:
    args = {"name": "Kiruna", "lat_deg": 67.8558, "lon_deg": 20.9644, "alt_m": 390.0, "min_elevation_deg": 5.0}
    args.update(kw)
    return oe.GroundStation(**args)


POWER = {
    "solar_array": {"area_m2": 0.12, "efficiency": 0.3},
    "battery": {"capacity_wh": 30.0, "initial_soc": 0.7, "min_soc": 0.3},
    "bus_load_w": 6.0,
}
THERMAL = {
    "mass_kg": 12.0, "area_sun_m2": 0.1, "area_earth_m2": 0.1, "area_radiating_m2": 0.6,
    "initial_temperature_k": 290.0,
}
RADIO = {"name": "s-band", "rate": {"model": "fixed", "rate_bps": 2e6}, "transmit_power_w": 8.0}
ACTIVITY = {
    "name": "imaging", "power_w": 15.0, "duration_s": 300.0,
    "produces": {"partition": "raw", "bytes_per_s": 2e6},
}
RELAY = {"name": "isl", "peer": "b", "rate_bps": 1e7, "peer_partition": "raw"}
MODEL = {"name": "cloud-detector", "flops": 2e10}


def changed(base: Any, path: str, value: Any) -> Any:
    """A deep copy of ``base`` with the dotted ``path`` set to ``value`` (``-key`` deletes it)."""
    copy = json.loads(json.dumps(base))
    *parents, last = path.split(".")
    node = copy
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if last.startswith("-"):
        del node[last[1:]]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return copy


def spacecraft(name: str = "sat", **override: Any) -> oe.Spacecraft:
    parts = {"power": POWER, "thermal": THERMAL, "storage": {"capacity_bytes": 2e9},
             "radios": [RADIO], "activities": [ACTIVITY]}
    parts.update(override)
    return oe.Spacecraft(name, orbit=leo(name), **parts)


def with_part(part: str, path: str, value: Any) -> Callable[[], Any]:
    """A spacecraft whose ``part`` dict has ``path`` set to ``value``."""
    base = {"power": POWER, "thermal": THERMAL, "storage": {"capacity_bytes": 2e9},
            "radios": [RADIO], "activities": [ACTIVITY], "radiation": {}, "relays": [RELAY],
            "imager": {"capture_interval_s": 60.0}, "computer": {"device": "host", "model": MODEL}}[part]
    return lambda: spacecraft(**{part: changed(base, path, value)})


def simulation(**kw: Any) -> oe.Simulation:
    args: dict = {"spacecraft": [spacecraft()], "stations": [kiruna()], "seed": 1}
    args.update(kw)
    return oe.Simulation(START, **args)


def run(until: Any = START + HOUR, sim: Optional[oe.Simulation] = None, **kw: Any) -> None:
    (sim or simulation()).run(until, **kw)


def relay_pair(**relay: Any) -> oe.Simulation:
    a = spacecraft("a", relays=[{**RELAY, **relay}])
    return oe.Simulation(START, spacecraft=[a, spacecraft("b")], seed=1)


def checkpoint() -> bytes:
    sim = simulation()
    sim.run(START + dt.timedelta(minutes=30))
    return sim.checkpoint()


SCENARIO = """name = "catalogue"
start = "2024-03-01T00:00:00Z"
duration_h = 2.0
telemetry_interval_s = 60.0

[[satellites]]
source = "walker"
total = 2
planes = 1
altitude_km = 550.0

[[stations]]
name = "Kiruna"
latitude_deg = 67.8558
longitude_deg = 20.9644
"""

ELEMENTS_INSIDE_EARTH = """[[satellites]]
source = "elements"
name = "mole"
elements = { semi_major_axis_km = 3000.0, eccentricity = 0.0, inclination_deg = 50.0, raan_deg = 0.0, argument_of_perigee_deg = 0.0, mean_anomaly_deg = 0.0 }

"""


def scenario_text(*edits: tuple) -> str:
    text = SCENARIO
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


def scenario(*edits: tuple) -> oe.Scenario:
    return oe.Scenario.from_toml(scenario_text(*edits))


def run_scenario(*edits: tuple, **kw: Any) -> None:
    scenario(*edits).run(**kw)


def in_file(name: str, content: Any, use: Callable[[pathlib.Path], Any]) -> Callable[[], Any]:
    """A callable writing ``content`` to a fresh temporary ``name`` and calling ``use`` on its path."""

    def call() -> Any:
        directory = pathlib.Path(tempfile.mkdtemp(prefix="orbitedge-catalogue-"))
        try:
            path = directory / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            elif content is not None:
                path.write_text(content)
            return use(path)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    return call


def under_a_file(use: Callable[[pathlib.Path], Any]) -> Callable[[], Any]:
    """Calls ``use`` with a directory path whose parent is a regular file: it can
    never be created (unlike a read-only directory, this holds for root too)."""
    return in_file("a-file", "not a directory", lambda file: use(file / "out"))


def omm_json(**fields: Any) -> str:
    record = {"OBJECT_NAME": "ISS (ZARYA)", "EPOCH": "2019-12-09T16:38:29.363424", "MEAN_MOTION": 15.50103472,
              "ECCENTRICITY": 0.0007417, "INCLINATION": 51.6439, "RA_OF_ASC_NODE": 211.2001,
              "ARG_OF_PERICENTER": 17.6667, "MEAN_ANOMALY": 85.6398, "NORAD_CAT_ID": 25544,
              "BSTAR": 3.8792e-5, "MEAN_MOTION_DOT": 1.764e-5}
    for key, value in fields.items():
        if value is None:
            del record[key]
        else:
            record[key] = value
    return json.dumps([record])


def omm_kvn(**fields: Any) -> str:
    record = {"CCSDS_OMM_VERS": "2.0", "OBJECT_NAME": "ISS (ZARYA)", "EPOCH": "2019-12-09T16:38:29.363424",
              "MEAN_MOTION": "15.50103472 [rev/day]", "ECCENTRICITY": "0.0007417", "INCLINATION": "51.6439",
              "RA_OF_ASC_NODE": "211.2001", "ARG_OF_PERICENTER": "17.6667", "MEAN_ANOMALY": "85.6398",
              "NORAD_CAT_ID": "25544", "BSTAR": "0.38792E-4", "MEAN_MOTION_DOT": "0.00001764"}
    for key, value in fields.items():
        if value is None:
            del record[key]
        else:
            record[key] = value
    return "\n".join(f"{k} = {v}" for k, v in record.items())


def satellite_json(a_km: str) -> str:
    text = leo().to_json()
    assert "6928.137" in text
    return text.replace("6928.137", a_km)


def first_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def tiny_bytes() -> bytes:
    return TINY.read_bytes()


def run_tiny(value: float, shape: tuple = (1, 4, 32, 32), dtype: Any = np.float32) -> Any:
    return oe.OnnxModel(TINY).run(np.full(shape, value, dtype=dtype))


# ------------------------------------------------------------------ the table


@dataclasses.dataclass
class Case:
    id: str
    call: Callable[[], Any]
    error: type
    fragment: str
    #: Run in a child process: the input used to hang or abort the process.
    isolated: bool = False


def c(id: str, error: type, fragment: str, call: Callable[[], Any], isolated: bool = False) -> Case:
    return Case(id, call, error, fragment, isolated)


CASES = [
    # --- TLE
    c("tle-checksum", E.TleError, "checksum", lambda: oe.Satellite.from_tle(L1[:68] + "8", L2)),
    c("tle-checksum-line2", E.TleError, "checksum", lambda: oe.Satellite.from_tle(L1, L2[:68] + "0")),
    c("tle-short-line", E.TleError, "69 characters", lambda: oe.Satellite.from_tle(L1[:50], L2)),
    c("tle-long-line", E.TleError, "69 characters", lambda: oe.Satellite.from_tle(L1 + "0", L2)),
    c("tle-empty", E.TleError, "69 characters", lambda: oe.Satellite.from_tle("", "")),
    c("tle-swapped", E.TleError, "must start with '1'", lambda: oe.Satellite.from_tle(L2, L1)),
    c("tle-line1-twice", E.TleError, "must start with '2'", lambda: oe.Satellite.from_tle(L1, L1)),
    c("tle-non-ascii", E.TleError, "non-ASCII", lambda: oe.Satellite.from_tle(L1.replace("U", "Ü", 1), L2)),
    c("tle-nul-bytes", E.TleError, "must start with '1'", lambda: oe.Satellite.from_tle("\0" * 69, L2)),
    c("tle-spaces", E.TleError, "69 characters", lambda: oe.Satellite.from_tle(" " * 69, L2)),
    c("tle-megabyte-line", E.TleError, "69 characters", lambda: oe.Satellite.from_tle("1" * (1 << 20), L2)),
    c("tle-catalogue-mismatch", E.TleError, "", lambda: oe.Satellite.from_tle(L1, tle_with(L2, 3, "25545"))),
    c("tle-alpha5-bad-character", E.TleError, "",
      lambda: oe.Satellite.from_tle(tle_with(L1, 3, "#5544"), tle_with(L2, 3, "#5544"))),
    c("tle-epoch-letters", E.TleError, "", lambda: oe.Satellite.from_tle(tle_with(L1, 21, "abcde.6933954"), L2)),
    c("tle-epoch-day-400", E.TleError, "", lambda: oe.Satellite.from_tle(tle_with(L1, 21, "400.69339541"), L2)),
    c("tle-nan-mean-motion", E.TleError, "float field", lambda: oe.Satellite.from_tle(L1, tle_with(L2, 53, "NaN        "))),
    c("tle-inf-inclination", E.TleError, "float field", lambda: oe.Satellite.from_tle(L1, tle_with(L2, 9, "inf     "))),
    c("tle-zero-mean-motion", E.TleError, "mean motion", lambda: oe.Satellite.from_tle(L1, tle_with(L2, 53, " 0.00000000"))),
    c("tle-letters-in-eccentricity", E.TleError, "", lambda: oe.Satellite.from_tle(L1, tle_with(L2, 27, "abcdefg"))),
    c("tle-inside-earth", E.OrbitError, "perigee", lambda: oe.Satellite.from_tle(L1, tle_with(L2, 53, "20.00000000"))),
    # --- OMM, JSON and KVN
    c("omm-empty", E.OmmError, "no OMM record", lambda: oe.Satellite.from_omm("")),
    c("omm-whitespace", E.OmmError, "no OMM record", lambda: oe.Satellite.from_omm("  \n\t ")),
    c("omm-json-syntax", E.OmmError, "invalid JSON", lambda: oe.Satellite.from_omm("{not json")),
    c("omm-json-empty-list", E.OmmError, "no OMM record", lambda: oe.Satellite.from_omm("[]")),
    c("omm-json-numbers", E.OmmError, "expected a JSON object", lambda: oe.Satellite.from_omm("[1, 2]")),
    c("omm-json-missing-keys", E.OmmError, "MEAN_MOTION", lambda: oe.Satellite.from_omm('[{"OBJECT_NAME": "X"}]')),
    c("omm-json-missing-epoch", E.OmmError, "EPOCH", lambda: oe.Satellite.from_omm(omm_json(EPOCH=None))),
    c("omm-json-nan-string", E.OmmError, "finite", lambda: oe.Satellite.from_omm(omm_json(MEAN_MOTION="NaN"))),
    c("omm-json-nan-token", E.OmmError, "invalid JSON",
      lambda: oe.Satellite.from_omm(omm_json().replace("15.50103472", "NaN"))),
    c("omm-json-1e400", E.OmmError, "", lambda: oe.Satellite.from_omm(omm_json().replace("15.50103472", "1e400"))),
    c("omm-json-list-value", E.OmmError, "invalid field", lambda: oe.Satellite.from_omm(omm_json(MEAN_MOTION=[1, 2]))),
    c("omm-json-bool-value", E.OmmError, "invalid field", lambda: oe.Satellite.from_omm(omm_json(INCLINATION=True))),
    c("omm-json-bad-epoch", E.OmmError, "invalid field", lambda: oe.Satellite.from_omm(omm_json(EPOCH="yesterday"))),
    c("omm-json-hyperbolic", E.OmmError, "eccentricity", lambda: oe.Satellite.from_omm(omm_json(ECCENTRICITY=1.5))),
    c("omm-json-negative-mean-motion", E.OmmError, "mean motion", lambda: oe.Satellite.from_omm(omm_json(MEAN_MOTION=-1))),
    c("omm-json-inside-earth", E.OrbitError, "perigee", lambda: oe.Satellite.from_omm(omm_json(MEAN_MOTION=20.0))),
    c("omm-kvn-no-equals", E.OmmError, "KEY = value", lambda: oe.Satellite.from_omm("KEY WITHOUT EQUALS")),
    c("omm-kvn-csv", E.OmmError, "KEY = value",
      lambda: oe.Satellite.from_omm("OBJECT_NAME,EPOCH,MEAN_MOTION\nISS,2019-12-09T16:38:29,15.5\n")),
    c("omm-kvn-missing-keys", E.OmmError, "MEAN_MOTION", lambda: oe.Satellite.from_omm(omm_kvn(MEAN_MOTION=None))),
    c("omm-kvn-nan", E.OmmError, "finite", lambda: oe.Satellite.from_omm(omm_kvn(MEAN_MOTION="NaN"))),
    c("omm-kvn-letters", E.OmmError, "invalid field", lambda: oe.Satellite.from_omm(omm_kvn(INCLINATION="steep"))),
    c("omm-kvn-inside-earth", E.OrbitError, "perigee", lambda: oe.Satellite.from_omm(omm_kvn(MEAN_MOTION="20.0"))),
    # --- orbits inside the Earth, and impossible elements
    c("orbit-a-3000", E.OrbitError, "perigee", lambda: elements(a_km=3000.0, e=0.0)),
    c("orbit-perigee-3500", E.OrbitError, "perigee", lambda: elements(a_km=7000.0, e=0.5)),
    c("orbit-perigee-20km", E.OrbitError, "perigee", lambda: elements(a_km=6398.137, e=0.0)),
    c("orbit-kepler-a-3000", E.OrbitError, "perigee", lambda: elements(a_km=3000.0, e=0.0, propagator="kepler")),
    c("orbit-e-1", E.InputError, "eccentricity", lambda: elements(e=1.0)),
    c("orbit-e-1.5", E.InputError, "eccentricity", lambda: elements(e=1.5)),
    c("orbit-e-negative", E.InputError, "eccentricity", lambda: elements(e=-0.1)),
    c("orbit-e-nan", E.InputError, "eccentricity", lambda: elements(e=NAN)),
    c("orbit-a-nan", E.InputError, "semi_major_axis_km", lambda: elements(a_km=NAN)),
    c("orbit-a-inf", E.InputError, "semi_major_axis_km", lambda: elements(a_km=INF)),
    c("orbit-a-negative", E.InputError, "semi_major_axis_km", lambda: elements(a_km=-7000.0)),
    c("orbit-a-zero", E.InputError, "semi_major_axis_km", lambda: elements(a_km=0.0)),
    c("orbit-inclination-nan", E.InputError, "inclination", lambda: elements(i_deg=NAN)),
    c("orbit-inclination-inf", E.InputError, "inclination", lambda: elements(i_deg=-INF)),
    c("orbit-unknown-propagator", E.InputError, "kepler", lambda: elements(propagator="rk4")),
    c("orbit-empty-propagator", E.InputError, "kepler", lambda: elements(propagator="")),
    c("orbit-bad-epoch", E.InputError, "ISO 8601",
      lambda: oe.Satellite.from_elements("yesterday", 7000.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
    c("orbit-epoch-number", E.InputError, "one time",
      lambda: oe.Satellite.from_elements(42, 7000.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
    c("state-r-1000", E.OrbitError, "perigee", lambda: state([1000.0, 0.0, 0.0], [0.0, 7.5, 0.0])),
    c("state-falling", E.InputError, "angular momentum", lambda: state([7000.0, 0.0, 0.0], [0.0, 0.0, 0.0])),
    c("state-zero", E.InputError, "", lambda: state([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])),
    c("state-nan", E.InputError, "", lambda: state([7000.0, NAN, 0.0], [0.0, 7.5, 0.0])),
    c("state-inf-velocity", E.InputError, "", lambda: state([7000.0, 0.0, 0.0], [0.0, INF, 0.0])),
    c("state-escape", E.InputError, "(?i)escape|eccentricity|energy", lambda: state([7000.0, 0.0, 0.0], [0.0, 20.0, 0.0])),
    c("state-two-components", E.InputError, "3 components", lambda: state([7000.0, 0.0], [0.0, 7.5, 0.0])),
    c("state-empty", E.InputError, "3 components", lambda: state([], [])),
    c("json-inside-earth", E.OrbitError, "perigee", lambda: oe.Satellite.from_json(satellite_json("3000.0"))),
    c("json-negative-a", E.InputError, "", lambda: oe.Satellite.from_json(satellite_json("-7000.0"))),
    c("json-garbage", E.InputError, "satellite", lambda: oe.Satellite.from_json("{garbage")),
    c("json-empty", E.InputError, "satellite", lambda: oe.Satellite.from_json("")),
    c("json-wrong-shape", E.InputError, "satellite", lambda: oe.Satellite.from_json('{"name": 5}')),
    c("walker-negative-altitude", E.InputError, "altitude_km", lambda: oe.walker_delta(6, 3, 1, -550.0, 53.0, START)),
    c("walker-altitude-20km", E.OrbitError, "perigee", lambda: oe.walker_delta(6, 3, 1, 20.0, 53.0, START)),
    c("walker-nan-altitude", E.InputError, "altitude_km", lambda: oe.walker_delta(6, 3, 1, NAN, 53.0, START)),
    c("walker-planes", E.InputError, "planes", lambda: oe.walker_delta(7, 3, 1, 550.0, 53.0, START)),
    c("walker-zero-planes", E.InputError, "planes", lambda: oe.walker_delta(6, 0, 0, 550.0, 53.0, START)),
    c("walker-nan-inclination", E.InputError, "inclination", lambda: oe.walker_delta(6, 3, 1, 550.0, NAN, START)),
    c("walker-negative-total", E.InputError, "total", lambda: oe.walker_delta(-6, 3, 1, 550.0, 53.0, START)),
    c("ephemeris-empty", E.EphemerisError, "",
      lambda: oe.Satellite.from_ephemeris([], np.zeros((0, 3)), np.zeros((0, 3)))),
    c("ephemeris-length-mismatch", E.EphemerisError, "pair up",
      lambda: oe.Satellite.from_ephemeris([START, START + HOUR], np.full((3, 3), 7000.0), np.ones((3, 3)))),
    c("ephemeris-unsorted", E.EphemerisError, "",
      lambda: oe.Satellite.from_ephemeris([START + HOUR, START, START + 2 * HOUR], np.full((3, 3), 7000.0), np.ones((3, 3)))),
    c("ephemeris-nan", E.EphemerisError, "",
      lambda: oe.Satellite.from_ephemeris([START, START + HOUR, START + 2 * HOUR], np.full((3, 3), NAN), np.ones((3, 3)))),
    c("ephemeris-two-columns", E.InputError, "shape",
      lambda: oe.Satellite.from_ephemeris([START, START + HOUR], np.ones((2, 2)), np.ones((2, 2)))),
    c("ephemeris-outside-span", E.EphemerisError, "outside",
      lambda: oe.Satellite.from_ephemeris([START, START + HOUR, START + 2 * HOUR], np.full((3, 3), 7000.0),
                                          np.ones((3, 3))).propagate([START + 5 * HOUR])),
    c("callable-step-zero", E.InputError, "step_s", lambda: oe.Satellite.from_callable(circular_state, START, step_s=0.0)),
    c("callable-span-nan", E.InputError, "bounds_span_s",
      lambda: oe.Satellite.from_callable(circular_state, START, bounds_span_s=NAN)),
    c("callable-not-callable", E.InputError, "callable", lambda: oe.Satellite.from_callable(7000.0, START)),
    c("callable-raises", E.PropagationError, "ValueError: no state",
      lambda: oe.Satellite.from_callable(lambda t: raise_value_error("no state"), START)),
    c("callable-wrong-shape", E.PropagationError, "two sequences of 3 numbers",
      lambda: oe.Satellite.from_callable(lambda t: (7000.0, 0.0, 0.0), START)),
    c("callable-nan", E.PropagationError, "non-finite",
      lambda: oe.Satellite.from_callable(lambda t: ((NAN, 7000.0, 0.0), (7.5, 0.0, 0.0)), START)),
    c("callable-inside-earth", E.OrbitError, "perigee",
      lambda: oe.Satellite.from_callable(lambda t: ((3000.0, 0.0, 0.0), (0.0, 7.5, 0.0)), START)),
    c("propagate-bad-time", E.InputError, "ISO 8601", lambda: oe.propagate([leo()], ["yesterday"])),
    c("propagate-nat", E.InputError, "NaT", lambda: oe.propagate([leo()], [np.datetime64("NaT")])),
    c("propagate-2d-times", E.InputError, "1-D",
      lambda: oe.propagate([leo()], np.full((1, 2), np.datetime64("2024-03-01T00:00:00", "ns")))),
    # Unix nanoseconds in an int64 end in 2262: later times must be refused, not wrapped.
    c("time-datetime64-year-12024", E.InputError, "2262",
      lambda: oe.propagate([leo()], [np.datetime64("2024-03-01") + np.timedelta64(3_652_500, "D")])),
    c("time-datetime-year-9999", E.InputError, "2262", lambda: oe.propagate([leo()], [dt.datetime(9999, 1, 1)])),
    c("time-string-year-1000", E.InputError, "1677", lambda: oe.propagate([leo()], ["1000-01-01T00:00:00Z"])),
    c("propagate-month-13", E.InputError, "ISO 8601", lambda: oe.propagate([leo()], ["2024-13-01T00:00:00Z"])),
    c("sunlit-unknown-model", E.InputError, "conical", lambda: leo().sunlit_fraction(START, model="bogus")),
    c("sunlit-nan-atmosphere", E.InputError, "atmosphere_km", lambda: leo().sunlit_fraction(START, atmosphere_km=NAN)),
    # --- ground stations
    c("station-lat-91", E.InputError, "latitude_deg", lambda: kiruna(lat_deg=91.0)),
    c("station-lat-nan", E.InputError, "latitude_deg", lambda: kiruna(lat_deg=NAN)),
    c("station-lon-inf", E.InputError, "longitude_deg", lambda: kiruna(lon_deg=INF)),
    c("station-alt-nan", E.InputError, "alt", lambda: kiruna(alt_m=NAN)),
    c("station-alt-huge", E.InputError, "alt", lambda: kiruna(alt_m=1e308)),
    c("station-alt-below-centre", E.InputError, "alt", lambda: kiruna(alt_m=-1e7)),
    c("station-min-elevation-95", E.InputError, "min_elevation_deg", lambda: kiruna(min_elevation_deg=95.0)),
    c("station-min-elevation-nan", E.InputError, "min_elevation_deg", lambda: kiruna(min_elevation_deg=NAN)),
    c("station-mask-empty", E.InputError, "horizon mask", lambda: kiruna(horizon_mask=[])),
    c("station-mask-nan", E.InputError, "azimuth_deg", lambda: kiruna(horizon_mask=[(NAN, 5.0)])),
    c("station-mask-elevation-100", E.InputError, "elevation_deg", lambda: kiruna(horizon_mask=[(0.0, 100.0)])),
    c("station-mask-duplicate", E.InputError, "azimuth_deg", lambda: kiruna(horizon_mask=[(0.0, 5.0), (360.0, 9.0)])),
    c("station-antennas-0", E.InputError, "antennas", lambda: kiruna(antennas=0)),
    c("station-antennas-negative", E.InputError, "antennas", lambda: kiruna(antennas=-2)),
    c("station-json-lat-91", E.InputError, "latitude_deg",
      lambda: oe.GroundStation.from_json(kiruna().to_json().replace("67.8558", "91.0"))),
    c("station-json-garbage", E.InputError, "ground station", lambda: oe.GroundStation.from_json("[")),
    # --- access, eclipse and link searches
    c("access-end-before-start", E.InputError, "after its start",
      lambda: oe.access_windows([leo()], [kiruna()], START, START - HOUR)),
    c("access-empty-interval", E.InputError, "after its start", lambda: oe.access_windows([leo()], [kiruna()], START, START)),
    c("access-nan-tolerance", E.InputError, "tolerance_s",
      lambda: oe.access_windows([leo()], [kiruna()], START, START + HOUR, tolerance_s=NAN)),
    c("access-negative-tolerance", E.InputError, "tolerance_s",
      lambda: oe.access_windows([leo()], [kiruna()], START, START + HOUR, tolerance_s=-1.0)),
    c("access-inf-tolerance", E.InputError, "tolerance_s",
      lambda: oe.access_windows([leo()], [kiruna()], START, START + HOUR, tolerance_s=INF)),
    c("access-no-satellites", E.InputError, "satellites", lambda: oe.access_windows([], [kiruna()], START, START + HOUR)),
    c("access-no-stations", E.InputError, "stations", lambda: oe.access_windows([leo()], [], START, START + HOUR)),
    c("access-30-pairs-100-years", E.ResourceLimitError, "pair-days",
      lambda: oe.access_windows(fleet(10), [kiruna(), kiruna(name="K2"), kiruna(name="K3")], START, CENTURY_LATER),
      isolated=True),
    c("eclipse-end-before-start", E.InputError, "after its start", lambda: oe.eclipse_intervals([leo()], START, START - HOUR)),
    c("eclipse-unknown-model", E.InputError, "conical",
      lambda: oe.eclipse_intervals([leo()], START, START + HOUR, model="bogus")),
    c("eclipse-nan-atmosphere", E.InputError, "atmosphere_km",
      lambda: oe.eclipse_intervals([leo()], START, START + HOUR, atmosphere_km=NAN)),
    c("eclipse-nan-tolerance", E.InputError, "tolerance_s",
      lambda: oe.eclipse_intervals([leo()], START, START + HOUR, tolerance_s=NAN)),
    c("eclipse-no-satellites", E.InputError, "satellites", lambda: oe.eclipse_intervals([], START, START + HOUR)),
    c("eclipse-30-satellites-100-years", E.ResourceLimitError, "pair-days",
      lambda: oe.eclipse_intervals(fleet(30), START, CENTURY_LATER), isolated=True),
    c("link-one-satellite", E.InputError, "", lambda: oe.link_windows([leo()], START, START + HOUR)),
    c("link-nan-grazing", E.InputError, "grazing",
      lambda: oe.link_windows([leo("a"), leo("b")], START, START + HOUR, grazing_altitude_km=NAN)),
    c("link-negative-range", E.InputError, "range",
      lambda: oe.link_windows([leo("a"), leo("b")], START, START + HOUR, max_range_km=-1.0)),
    c("link-36-pairs-100-years", E.ResourceLimitError, "pair-days",
      lambda: oe.link_windows(fleet(9), START, CENTURY_LATER), isolated=True),
    # --- spacecraft dicts
    c("spacecraft-empty-name", E.InputError, "spacecraft name", lambda: spacecraft("")),
    c("power-unknown-key", E.InputError, "unknown field", with_part("power", "bus_lod_w", 3.0)),
    c("power-not-a-dict", E.InputError, "power", lambda: spacecraft(power="plenty")),
    c("power-negative-capacity", E.InputError, "capacity_wh", with_part("power", "battery.capacity_wh", -5.0)),
    c("power-zero-capacity", E.InputError, "capacity_wh", with_part("power", "battery.capacity_wh", 0.0)),
    c("power-nan-capacity", E.InputError, "capacity_wh", with_part("power", "battery.capacity_wh", NAN)),
    c("power-capacity-string", E.InputError, "power", with_part("power", "battery.capacity_wh", "big")),
    c("power-soc-above-1", E.InputError, "initial_soc", with_part("power", "battery.initial_soc", 1.5)),
    c("power-min-soc-1", E.InputError, "min_soc", with_part("power", "battery.min_soc", 1.0)),
    c("power-charge-efficiency-1.2", E.InputError, "charge_efficiency", with_part("power", "battery.charge_efficiency", 1.2)),
    c("power-nan-bus-load", E.InputError, "bus_load_w", with_part("power", "bus_load_w", NAN)),
    c("power-negative-area", E.InputError, "area_m2", with_part("power", "solar_array.area_m2", -1.0)),
    c("power-efficiency-inf", E.InputError, "efficiency", with_part("power", "solar_array.efficiency", INF)),
    c("power-missing-battery", E.InputError, "battery", with_part("power", "-battery", None)),
    c("power-rtg-negative", E.InputError, "rtg power_w", lambda: spacecraft(power={**POWER, "solar_array": None, "rtg": {"power_w": -1.0}})),
    c("power-two-sources", E.InputError, "not both", lambda: spacecraft(power={**POWER, "rtg": {"power_w": 40.0}})),
    c("power-no-source", E.InputError, "missing the power source", with_part("power", "-solar_array", None)),
    c("power-rtg-unknown-key", E.InputError, "unknown field `watts`", lambda: spacecraft(power={**POWER, "solar_array": None, "rtg": {"watts": 40.0}})),
    c("thermal-nan-mass", E.InputError, "mass_kg", with_part("thermal", "mass_kg", NAN)),
    c("thermal-zero-emissivity", E.InputError, "emissivity", with_part("thermal", "emissivity", 0.0)),
    c("thermal-negative-temperature", E.InputError, "initial_temperature_k", with_part("thermal", "initial_temperature_k", -5.0)),
    c("thermal-unknown-integrator", E.InputError, "paseos_euler", with_part("thermal", "integrator", "runge_kutta_99")),
    c("radiation-negative-rate", E.InputError, "restart_per_s", with_part("radiation", "restart_per_s", -1.0)),
    c("radiation-zero-dose-limit", E.InputError, "dose_limit_rad", with_part("radiation", "dose_limit_rad", 0.0)),
    c("radiation-huge-rate", E.InputError, "data_corruption_per_s",
      with_part("radiation", "data_corruption_per_s", 1e308)),
    c("storage-zero-capacity", E.InputError, "capacity_bytes", with_part("storage", "capacity_bytes", 0.0)),
    c("storage-no-partitions", E.InputError, "partitions", with_part("storage", "partitions", [])),
    c("storage-duplicate-partitions", E.InputError, "duplicate",
      with_part("storage", "partitions", [{"name": "raw"}, {"name": "raw"}])),
    c("storage-negative-quota", E.InputError, "quota_bytes",
      with_part("storage", "partitions", [{"name": "raw", "quota_bytes": -1.0}])),
    c("radio-zero-rate", E.InputError, "rate_bps", with_part("radios", "0.rate.rate_bps", 0.0)),
    c("radio-unknown-rate-model", E.InputError, "fixed", with_part("radios", "0.rate.model", "telepathy")),
    c("radio-empty-name", E.InputError, "radio name", with_part("radios", "0.name", "")),
    c("radio-unknown-partition", E.InputError, "nowhere", with_part("radios", "0.partitions", ["nowhere"])),
    c("radio-nan-power", E.InputError, "transmit_power_w", with_part("radios", "0.transmit_power_w", NAN)),
    c("activity-negative-power", E.InputError, "power_w", with_part("activities", "0.power_w", -15.0)),
    c("activity-nan-power", E.InputError, "power_w", with_part("activities", "0.power_w", NAN)),
    c("activity-zero-duration", E.InputError, "duration_s", with_part("activities", "0.duration_s", 0.0)),
    c("activity-empty-name", E.InputError, "activity name", with_part("activities", "0.name", "")),
    c("activity-duplicate-names", E.InputError, "duplicate", lambda: spacecraft(activities=[ACTIVITY, ACTIVITY])),
    c("activity-unknown-partition", E.InputError, "nowhere", with_part("activities", "0.produces.partition", "nowhere")),
    c("activity-min-soc-2", E.InputError, "min_soc", with_part("activities", "0.preconditions", {"min_soc": 2.0})),
    c("activity-negative-cooldown", E.InputError, "cooldown_s", with_part("activities", "0.cooldown_s", -1.0)),
    c("activity-resume-soc-at-min-soc", E.InputError, r"resume_soc must be greater than min_soc \(0\.5\)",
      with_part("activities", "0.preconditions", {"min_soc": 0.5, "resume_soc": 0.5})),
    c("activity-resume-soc-below-battery-floor", E.InputError, r"the battery's min_soc \(0\.3\)",
      with_part("activities", "0.preconditions", {"resume_soc": 0.25})),
    c("activity-negative-min-on", E.InputError, "min_on_s", with_part("activities", "0.min_on_s", -1.0)),
    c("activities-not-a-list", E.InputError, "activities", lambda: spacecraft(activities=ACTIVITY)),
    c("relay-zero-rate", E.InputError, "rate_bps", with_part("relays", "0.rate_bps", 0.0)),
    c("relay-empty-name", E.InputError, "relay name", with_part("relays", "0.name", "")),
    c("relay-negative-power", E.InputError, "transmit_power_w", with_part("relays", "0.transmit_power_w", -1.0)),
    c("relay-nan-power", E.InputError, "transmit_power_w", with_part("relays", "0.transmit_power_w", NAN)),
    c("imager-nan-interval", E.InputError, "capture_interval_s", with_part("imager", "capture_interval_s", NAN)),
    c("computer-unknown-device", E.InputError, "cray-1",
      lambda: spacecraft(imager={"capture_interval_s": 60.0}, computer={"device": "cray-1", "model": MODEL})),
    c("computer-unknown-key", E.InputError, "unknown field",
      lambda: spacecraft(imager={"capture_interval_s": 60.0}, computer={"device": "host", "model": MODEL, "colour": "red"})),
    c("computer-without-imager", E.InputError, "imager", lambda: spacecraft(computer={"device": "host", "model": MODEL})),
    c("spacecraft-json-garbage", E.InputError, "spacecraft", lambda: oe.Spacecraft.from_json("{")),
    c("device-unknown", E.InputError, "unibap-ix5", lambda: oe.device_profile("cray-1")),
    c("scene-misspelt-key", E.InputError, "cloud", lambda: oe.scene_tile(1, cloud=0.5)),
    c("scene-cloud-cover-1.5", E.InputError, "cloud_cover", lambda: oe.scene_tile(1, cloud_cover=1.5)),
    c("scene-huge-tile", E.InputError, "size_px", lambda: oe.scene_tile(1, size_px=100_000)),
    # --- Simulation
    c("sim-duplicate-names", E.InputError, "(?i)duplicate",
      lambda: oe.Simulation(START, spacecraft=[spacecraft(), spacecraft()])),
    c("sim-unknown-station", E.InputError, "Atlantis",
      lambda: simulation(spacecraft=[spacecraft(radios=[{**RADIO, "stations": ["Atlantis"]}])])),
    c("sim-assignment-unknown", E.InputError, "first_come", lambda: simulation(station_assignment="loudest")),
    c("sim-priority-unknown-spacecraft", E.InputError, "nobody",
      lambda: simulation(station_assignment={"priority": ["nobody"]})),
    c("sim-priority-repeated", E.InputError, "(?i)twice|duplicate",
      lambda: simulation(station_assignment={"priority": ["sat", "sat"]})),
    c("sim-relay-unknown-peer", E.InputError, "nobody", lambda: relay_pair(peer="nobody")),
    c("sim-relay-to-itself", E.InputError, "another spacecraft", lambda: relay_pair(peer="a")),
    c("sim-relay-unknown-peer-partition", E.InputError, "nowhere", lambda: relay_pair(peer_partition="nowhere")),
    c("sim-telemetry-zero", E.InputError, "telemetry_interval_s", lambda: simulation(telemetry_interval_s=0.0)),
    c("sim-telemetry-nan", E.InputError, "telemetry_interval_s", lambda: simulation(telemetry_interval_s=NAN)),
    c("sim-telemetry-negative", E.InputError, "telemetry_interval_s", lambda: simulation(telemetry_interval_s=-60.0)),
    c("sim-telemetry-microsecond", E.ResourceLimitError, "telemetry_interval_s",
      lambda: run(sim=simulation(telemetry_interval_s=1e-6)), isolated=True),
    c("sim-max-substep-zero", E.InputError, "max_substep_s", lambda: simulation(max_substep_s=0.0)),
    c("sim-unknown-shadow-model", E.InputError, "conical", lambda: simulation(shadow_model="umbral")),
    c("sim-bad-start", E.InputError, "ISO 8601", lambda: oe.Simulation("yesterday", spacecraft=[spacecraft()])),
    c("sim-negative-seed", E.InputError, "seed", lambda: simulation(seed=-1)),
    c("sim-run-backwards", E.InputError, "after its start", lambda: run(START - HOUR)),
    c("sim-run-to-now", E.InputError, "after its start", lambda: run(START)),
    c("sim-run-bad-time", E.InputError, "ISO 8601", lambda: run("tomorrow")),
    c("sim-step-zero", E.InputError, "step_s", lambda: run(step_s=0.0)),
    c("sim-step-nan", E.InputError, "step_s", lambda: run(step_s=NAN)),
    c("sim-step-negative", E.InputError, "step_s", lambda: run(step_s=-10.0)),
    c("sim-step-inf", E.InputError, "step_s", lambda: run(step_s=INF)),
    c("sim-step-microsecond", E.ResourceLimitError, "sub-steps",
      lambda: run(START + 24 * HOUR, step_s=1e-6), isolated=True),
    c("sim-200-years", E.ResourceLimitError, "limit", lambda: run("2224-03-01T00:00:00Z"), isolated=True),
    c("sim-radiation-huge-rate", E.InputError, "data_corruption_per_s",
      lambda: run(sim=simulation(spacecraft=[spacecraft(radiation={"data_corruption_per_s": 1e308})])), isolated=True),
    c("sim-schedule-unknown-activity", E.InputError, "dancing", lambda: simulation().schedule("sat", "dancing", START)),
    c("sim-schedule-unknown-spacecraft", E.InputError, "nobody", lambda: simulation().schedule("nobody", "imaging", START)),
    c("sim-schedule-bad-time", E.InputError, "ISO 8601", lambda: simulation().schedule("sat", "imaging", "soon")),
    c("sim-constraint-unknown-spacecraft", E.InputError, "nobody",
      lambda: simulation().add_constraint("nobody", "imaging", lambda view: True)),
    c("sim-constraint-unknown-activity", E.InputError, "dancing",
      lambda: simulation().add_constraint("sat", "dancing", lambda view: True)),
    c("sim-property-unknown-spacecraft", E.InputError, "nobody",
      lambda: simulation().add_property("nobody", "p", 0.0, lambda view, dt_s, value: value)),
    c("sim-replay-unknown-spacecraft", E.InputError, "nobody",
      lambda: simulation().replay_inferences([{"spacecraft": "nobody", "job": 0, "latency_s": 1.0,
                                               "host_s": 1.0, "cloud_fraction": 0.5}])),
    c("sim-replay-garbage", E.InputError, "records", lambda: simulation().replay_inferences([{"what": "ever"}])),
    c("sim-threads-zero", E.InputError, "threads", lambda: run(threads=0)),
    c("sim-threads-100000", E.InputError, "threads", lambda: run(threads=100_000), isolated=True),
    c("sim-threads-negative", E.InputError, "threads", lambda: run(threads=-1)),
    c("sim-threads-10-to-30", E.InputError, "threads", lambda: run(threads=10**30)),
    c("propagate-threads-10-to-30", E.InputError, "threads", lambda: oe.propagate([leo()], [START], threads=10**30)),
    c("propagate-threads-zero", E.InputError, "threads", lambda: oe.propagate([leo()], [START], threads=0)),
    c("propagate-threads-100000", E.InputError, "threads",
      lambda: oe.propagate([leo()], [START], threads=100_000), isolated=True),
    c("access-threads-100000", E.InputError, "threads",
      lambda: oe.access_windows([leo()], [kiruna()], START, START + HOUR, threads=100_000), isolated=True),
    # --- checkpoints
    c("checkpoint-empty", E.CheckpointError, "", lambda: oe.Simulation.restore(b"")),
    c("checkpoint-random", E.CheckpointError, "",
      lambda: oe.Simulation.restore(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())),
    c("checkpoint-truncated", E.CheckpointError, "", lambda: oe.Simulation.restore(first_half(checkpoint()))),
    c("checkpoint-one-byte-short", E.CheckpointError, "", lambda: oe.Simulation.restore(checkpoint()[:-1])),
    c("checkpoint-text", E.CheckpointError, "", lambda: oe.Simulation.restore(b"this is not a checkpoint")),
    c("checkpoint-unpickle-garbage", E.CheckpointError, "",
      lambda: oe.Simulation._restore(b"\x00\x01\x02", "{}", [])),
    # --- scenarios
    c("scenario-unknown-key", E.InputError, "did you mean `duration_h`", lambda: scenario(("duration_h", "duraton_h"))),
    c("scenario-unknown-nested-key", E.InputError, "did you mean `altitude_km`", lambda: scenario(("altitude_km", "altitude"))),
    c("scenario-unknown-source", E.InputError, "walker", lambda: scenario(('source = "walker"', 'source = "wlaker"'))),
    c("scenario-toml-syntax", E.InputError, "line", lambda: oe.Scenario.from_toml('name = "x"\nduration_h =\n')),
    c("scenario-empty-text", E.InputError, "name", lambda: oe.Scenario.from_toml("")),
    c("scenario-wrong-type", E.InputError, "duration_h", lambda: scenario(("duration_h = 2.0", 'duration_h = "long"'))),
    c("scenario-json-syntax", E.InputError, "", in_file("s.json", '{"name": "x",', oe.Scenario.load)),
    c("scenario-yaml-syntax", E.InputError, "", in_file("s.yaml", "name: x\n  duration_h: : [\n", oe.Scenario.load)),
    c("scenario-json-unknown-key", E.InputError, "did you mean `duration_h`",
      in_file("s.json", json.dumps({"name": "x", "start": "2024-03-01T00:00:00Z", "duraton_h": 1.0, "satellites": []}),
              oe.Scenario.load)),
    c("scenario-unknown-format", E.InputError, "unknown scenario format", in_file("s.txt", SCENARIO, oe.Scenario.load)),
    c("scenario-missing-file", E.InputError, "cannot read", in_file("missing.toml", None, oe.Scenario.load)),
    c("scenario-binary-file", E.InputError, "", in_file("s.toml", b"\xff\xfe\x00garbage", oe.Scenario.load)),
    c("scenario-duration-1e300", E.ResourceLimitError, "limit", lambda: run_scenario(("duration_h = 2.0", "duration_h = 1e300"))),
    c("scenario-duration-nan", E.InputError, "duration_h", lambda: run_scenario(("duration_h = 2.0", "duration_h = nan"))),
    c("scenario-duration-negative", E.InputError, "duration_h", lambda: run_scenario(("duration_h = 2.0", "duration_h = -1.0"))),
    c("scenario-step-microsecond", E.ResourceLimitError, "sub-steps",
      lambda: run_scenario(("duration_h = 2.0", "duration_h = 2.0\nstep_s = 1e-6"))),
    c("scenario-telemetry-microsecond", E.ResourceLimitError, "telemetry_interval_s",
      lambda: run_scenario(("telemetry_interval_s = 60.0", "telemetry_interval_s = 1e-6"))),
    c("scenario-bad-start", E.InputError, "start", lambda: run_scenario(("2024-03-01T00:00:00Z", "yesterday"))),
    c("scenario-no-satellites", E.InputError, "satellite",
      lambda: oe.Scenario.from_toml('name = "x"\nstart = "2024-03-01T00:00:00Z"\nduration_h = 1.0\nsatellites = []\n').run()),
    c("scenario-elements-inside-earth", E.InputError, "perigee",
      lambda: run_scenario(("[[stations]]", ELEMENTS_INSIDE_EARTH + "[[stations]]"))),
    c("scenario-walker-altitude-20km", E.InputError, "perigee", lambda: run_scenario(("altitude_km = 550.0", "altitude_km = 20.0"))),
    c("scenario-station-lat-91", E.InputError, "latitude_deg", lambda: run_scenario(("67.8558", "91.0"))),
    c("scenario-station-antennas-0", E.InputError, "antennas", lambda: run_scenario(("67.8558", "67.8558\nantennas = 0"))),
    c("scenario-priority-unknown", E.InputError, "nobody",
      lambda: run_scenario(("telemetry_interval_s = 60.0",
                            'telemetry_interval_s = 60.0\nstation_assignment = { priority = ["nobody"] }'))),
    c("scenario-unknown-preset", E.InputError, "preset",
      lambda: run_scenario(("[[stations]]", '[bus]\npreset = "cubesat_99u"\n\n[[stations]]'))),
    c("scenario-missing-tle-file", E.InputError, "no_such.tle",
      lambda: run_scenario(('source = "walker"\ntotal = 2\nplanes = 1\naltitude_km = 550.0',
                            'source = "tle"\nfile = "no_such.tle"'))),
    c("scenario-threads-zero", E.InputError, "threads", lambda: run_scenario(threads=0)),
    c("with-values-unknown-key", E.InputError, "did you mean `duration_h`", lambda: scenario().with_values({"duraton_h": 3.0})),
    c("with-values-wrong-type", E.InputError, "duration_h", lambda: scenario().with_values({"duration_h": "long"})),
    c("with-values-nan", E.InputError, "finite", lambda: scenario().with_values({"duration_h": NAN})),
    c("with-values-bad-index", E.InputError, "satellites", lambda: scenario().with_values({"satellites.7.total": 3})),
    # --- ONNX models
    c("onnx-missing-file", E.ModelError, "no_such", lambda: oe.OnnxModel(TINY.parent / "no_such.onnx")),
    c("onnx-directory", E.ModelError, "", lambda: oe.OnnxModel(TINY.parent)),
    c("onnx-empty-file", E.ModelError, "", in_file("empty.onnx", b"", oe.OnnxModel)),
    c("onnx-garbage-file", E.ModelError, "", in_file("garbage.onnx", b"\x08\x07garbage" * 100, oe.OnnxModel)),
    c("onnx-empty-bytes", E.ModelError, "", lambda: oe.OnnxModel.from_bytes(b"")),
    c("onnx-garbage-bytes", E.ModelError, "not a readable ONNX file", lambda: oe.OnnxModel.from_bytes(b"garbage")),
    c("onnx-truncated-half", E.ModelError, "", lambda: oe.OnnxModel.from_bytes(first_half(tiny_bytes()))),
    c("onnx-truncated-tail", E.ModelError, "", lambda: oe.OnnxModel.from_bytes(tiny_bytes()[:-8])),
    c("onnx-unknown-registry-variant", E.InputError, "4b-l1c", lambda: oe.OnnxModel("ukis-csmask:9b-nope")),
    c("onnx-shape-zeros", E.InputError, "", lambda: oe.OnnxModel(TINY, [0, 4, 32, 32])),
    c("onnx-shape-zero-pixels", E.InputError, "", lambda: oe.OnnxModel(TINY, [1, 4, 0, 0])),
    c("onnx-shape-empty", E.InputError, "", lambda: oe.OnnxModel(TINY, [])),
    c("onnx-shape-wrong-rank", E.InputError, "", lambda: oe.OnnxModel(TINY, [1, 4, 32])),
    c("onnx-shape-negative", E.InputError, "", lambda: oe.OnnxModel(TINY, [1, 4, -32, 32])),
    c("onnx-shape-huge", E.ResourceLimitError, "", lambda: oe.OnnxModel(TINY, [1, 4, 100_000, 100_000]), isolated=True),
    c("onnx-run-wrong-shape", E.ShapeError, r"\[1, 4, 16, 16\]", lambda: run_tiny(0.1, (1, 4, 16, 16))),
    c("onnx-run-wrong-rank", E.ShapeError, "", lambda: run_tiny(0.1, (4, 32, 32))),
    c("onnx-run-empty", E.ShapeError, "", lambda: run_tiny(0.1, (0,))),
    c("onnx-run-batch-wrong-shape", E.ShapeError, "",
      lambda: oe.OnnxModel(TINY).run_batch(np.zeros((2, 4, 16, 16), dtype=np.float32))),
    # Numeric dtypes and lists are converted to float32 (a list of the wrong shape is a shape
    # error); text is refused with the conversion to make.
    c("onnx-run-list-wrong-shape", E.ShapeError, "", lambda: oe.OnnxModel(TINY).run([[0.1]])),
    c("onnx-run-text", E.InputError, r"astype\(np\.float32\)",
      lambda: oe.OnnxModel(TINY).run(np.full((1, 4, 32, 32), "a"))),
    c("onnx-run-all-nan", E.NonFiniteInputError, "non-finite", lambda: run_tiny(NAN)),
    c("onnx-run-inf", E.NonFiniteInputError, "non-finite", lambda: run_tiny(INF)),
    c("onnx-run-one-nan", E.NonFiniteInputError, "1 non-finite",
      lambda: oe.OnnxModel(TINY).run(np.where(np.arange(4096).reshape(1, 4, 32, 32) == 77, np.float32(NAN),
                                              np.float32(0.1)).astype(np.float32))),
    # --- outputs
    c("report-unwritable", E.OutputError, "out", under_a_file(lambda out: simulation().report(out, plots=False))),
    c("stream-unwritable", E.OutputError, "out", under_a_file(lambda out: simulation().stream_to(out))),
    c("scenario-report-unwritable", E.OutputError, "out",
      under_a_file(lambda out: scenario().run().report(out, plots=False))),
]

# ------------------------------------------------------------------ running one case


@dataclasses.dataclass
class Outcome:
    """What a case did: ``kind`` is "raised", "returned", "hung" or "crashed"."""

    kind: str
    module: str = ""
    name: str = ""
    message: str = ""

    @classmethod
    def of(cls, error: BaseException) -> "Outcome":
        return cls("raised", type(error).__module__, type(error).__qualname__, str(error))


def in_thread(call: Callable[[], Any]) -> Outcome:
    """Runs ``call`` on a daemon thread, giving up after the time limit."""
    box: list = []

    def target() -> None:
        try:
            call()
            box.append(Outcome("returned"))
        except BaseException as error:  # PanicException derives from BaseException
            box.append(Outcome.of(error))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(CASE_TIME_LIMIT_S)
    return box[0] if box else Outcome("hung")


def in_children(case_ids: list) -> dict:
    """Runs the cases in one fresh interpreter (each on a thread with the time
    limit); after one that hangs or takes the child down (an abort, a hang
    holding the GIL) the rest run in a new child."""
    outcomes: dict = {}
    pending = list(case_ids)
    while pending:
        command = [sys.executable, str(HERE), *pending]
        try:
            done = subprocess.run(command, capture_output=True, timeout=CASE_TIME_LIMIT_S * (len(pending) + 1),
                                  cwd=HERE.parent)
            stdout = done.stdout
            failure = Outcome("crashed", message=f"exit status {done.returncode}: "
                                                 f"{done.stderr.decode(errors='replace')[-2000:]}")
        except subprocess.TimeoutExpired as expired:
            stdout, failure = expired.stdout or b"", Outcome("hung")
        reported = [json.loads(line) for line in stdout.decode(errors="replace").splitlines() if line.startswith("{")]
        for record in reported:
            case_id = record.pop("id")
            outcomes[case_id] = Outcome(**record)
        pending = [case_id for case_id in pending if case_id not in outcomes]
        stopped_after_a_hang = bool(reported) and reported[-1]["kind"] == "hung"
        if pending and not stopped_after_a_hang:
            outcomes[pending.pop(0)] = failure  # the case that took the child down
    return outcomes


def problem(case: Case, outcome: Outcome) -> Optional[str]:
    """Why ``outcome`` is not what ``case`` expects (None when it is)."""
    if outcome.kind != "raised":
        return f"{outcome.kind} {outcome.message}".strip()
    raised = f"{outcome.module}.{outcome.name}: {outcome.message}"
    if outcome.name == "PanicException":
        return f"a Rust panic reached Python: {raised}"
    if outcome.module != E.__name__:
        return f"a non-orbitedge exception: {raised}"
    cls = getattr(E, outcome.name)
    if not issubclass(cls, case.error):
        return f"expected {case.error.__name__}, got {raised}"
    if not re.search(case.fragment, outcome.message):
        return f"message lacks {case.fragment!r}: {raised}"
    return None


BY_ID = {case.id: case for case in CASES}


@pytest.fixture(scope="session")
def isolated_outcomes() -> dict:
    """The outcomes of every isolated case, from one child process."""
    return in_children([case.id for case in CASES if case.isolated])


def test_the_catalogue_is_large_and_its_ids_unique():
    assert len(BY_ID) == len(CASES), "case ids must be unique"
    assert len(CASES) >= 150, len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_raises_its_typed_error(case: Case, request: pytest.FixtureRequest):
    if case.isolated:
        outcome = request.getfixturevalue("isolated_outcomes")[case.id]
    else:
        outcome = in_thread(case.call)
    reason = problem(case, outcome)
    assert reason is None, f"{case.id}: {reason}"


# Wrong Python types at a signature: pyo3's argument conversion raises
# TypeError (Python's convention) before orbitedge sees the value. Listed so a
# panic or a hang there would show too.
WRONG_TYPES = [
    ("elements-a-string", lambda: oe.Satellite.from_elements(START, "big", 0.0, 0.0, 0.0, 0.0, 0.0)),
    ("elements-a-none", lambda: oe.Satellite.from_elements(START, None, 0.0, 0.0, 0.0, 0.0, 0.0)),
    ("tle-lines-bytes", lambda: oe.Satellite.from_tle(L1.encode(), L2.encode())),
    ("station-lat-string", lambda: oe.GroundStation("X", "north", 0.0)),
    ("station-mask-strings", lambda: oe.GroundStation("X", 0.0, 0.0, horizon_mask=["abc"])),
    ("state-position-string", lambda: oe.Satellite.from_state(START, "7000", [0.0, 7.5, 0.0])),
    ("access-satellites-strings", lambda: oe.access_windows(["ISS"], [kiruna()], START, START + HOUR)),
    ("spacecraft-orbit-string", lambda: oe.Spacecraft("x", orbit="leo")),
    ("simulation-spacecraft-ints", lambda: oe.Simulation(START, spacecraft=[1, 2])),
    ("restore-a-string", lambda: oe.Simulation.restore("checkpoint")),
    ("onnx-shape-floats", lambda: oe.OnnxModel(TINY, [1.5, 4, 32, 32])),
    ("with-values-not-a-dict", lambda: scenario().with_values([("seed", 1)])),
]


@pytest.mark.parametrize("call", [call for _, call in WRONG_TYPES], ids=[name for name, _ in WRONG_TYPES])
def test_wrong_python_types_raise_type_error(call):
    outcome = in_thread(call)
    assert outcome.kind == "raised", outcome
    assert (outcome.module, outcome.name) == ("builtins", "TypeError"), outcome


if __name__ == "__main__":
    # A child process of `in_children`: run the cases named, print each outcome as a JSON line.
    import os
    import resource

    # A regression that allocates without bound fails this child, not the machine.
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    for case_id in sys.argv[1:]:
        outcome = in_thread(BY_ID[case_id].call)
        print(json.dumps({"id": case_id, **dataclasses.asdict(outcome)}), flush=True)
        if outcome.kind == "hung":
            break  # its thread still runs (and may hold rayon's pool): the rest get a fresh child
    os._exit(0)  # a hung case's thread must not hold the exit
