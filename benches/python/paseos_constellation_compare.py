"""PASEOS's constellation study side by side: a live PASEOS 0.2.1 and orbitedge, same inputs.

What: ``examples/paseos_constellation.py`` (16 LEO spacecraft, Walker 16/4/0, 550 km, 10°;
a GEO relay; a station on Gran Canaria; every 600 s process at 100 W while SoC > 0.2 and
T < 330 K, else stand by at 2 W) run by orbitedge, and the same study run by PASEOS, one
instance per spacecraft as its example does: the same initial state vectors (orbitedge's
Walker states at the start, in metres), the same initial charges, battery, 50 W charging
rate, thermal node, station and decision loop (``advance_time(600, 100, constraint)``, then
``advance_time(remaining, 2)``; PASEOS's default ``dt`` of 10 s and constraint checks at
every step). Prints both tools' shares of time processing / in eclipse / in view of the
station and the relay (per step), temperature and state-of-charge percentiles
(5/50/95; PASEOS's monitor and orbitedge's telemetry, both every 10 s), and the wall time of
each loop, measured in the same run, with their ratio.

``--paseos-inputs example`` (default) gives PASEOS what its example would: the states as
they are (PASEOS reads them in its Sun ephemeris's ecliptic axes for eclipses, and as
equatorial for the station) and its default 1 360 W/m² in the thermal model. ``matched``
rotates the states into PASEOS's ecliptic axes (then PASEOS sees the Sun where orbitedge
does, but its station geometry is off; the relay's is not, rotations keep relative
geometry) and gives its thermal model orbitedge's irradiance of the day.

How (not in CI; needs the PASEOS venv that ``../shared/paseos-ref/setup.sh`` builds)::

    python benches/python/paseos_constellation_compare.py                 # 8 h, a few minutes
    python benches/python/paseos_constellation_compare.py --hours 2 --paseos-inputs matched

The PASEOS side runs in PASEOS's own interpreter (``--paseos-python``, default
``$PASEOS_PYTHON`` or ``~/.cache/paseos-ref/venv/bin/python``), started by this script with
``--paseos-side``; that part imports nothing of orbitedge. PASEOS is a measuring instrument
here (GPL-3.0): nothing of it is copied into the project.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_PASEOS = os.environ.get("PASEOS_PYTHON", str(pathlib.Path.home() / ".cache/paseos-ref/venv/bin/python"))
EPS_J2000_DEG = 23.4392911


def percentiles(values: list[float]) -> list[float]:
    """5th/50th/95th percentiles, linear interpolation (numpy's default), without numpy."""
    xs = sorted(v for v in values if v == v)
    out = []
    for q in (5, 50, 95):
        pos = (len(xs) - 1) * q / 100
        lo, hi = math.floor(pos), math.ceil(pos)
        out.append(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo))
    return out


def to_paseos_axes(vec: list[float], years_since_j2000: float) -> list[float]:
    """Equator and equinox of date (orbitedge's TEME) to ecliptic J2000 axes (PASEOS's Sun):
    the obliquity, then the precession in longitude back to J2000 (nutation ignored)."""
    e = math.radians(EPS_J2000_DEG)
    x, y, z = vec
    y, z = math.cos(e) * y + math.sin(e) * z, -math.sin(e) * y + math.cos(e) * z
    p = -math.radians(50.29 / 3600.0 * years_since_j2000)
    return [math.cos(p) * x - math.sin(p) * y, math.sin(p) * x + math.cos(p) * y, z]


# --------------------------------------------------------------------------------------- PASEOS
def paseos_side(inputs_path: str, output_path: str) -> None:
    """The study in PASEOS (runs in PASEOS's interpreter)."""
    import pykep as pk
    import paseos
    from paseos import ActorBuilder, GroundstationActor, SpacecraftActor

    paseos.set_log_level("ERROR")
    spec = json.loads(pathlib.Path(inputs_path).read_text())
    t0 = pk.epoch_from_string(spec["start_pykep"])
    earth = pk.planet.jpl_lp("earth")
    setup = time.perf_counter()
    instances = []
    for sc in spec["leo"]:
        actor = ActorBuilder.get_actor_scaffold(sc["name"], SpacecraftActor, t0)
        ActorBuilder.set_orbit(actor, sc["r_m"], sc["v_m_s"], t0, earth)
        ActorBuilder.add_comm_device(actor, "Link1", 1000)
        ActorBuilder.set_power_devices(actor, sc["battery_ws"], spec["capacity_ws"], spec["charging_w"])
        ActorBuilder.set_thermal_model(
            actor=actor, actor_mass=50.0, actor_initial_temperature_in_K=273.15, actor_sun_absorptance=1.0,
            actor_infrared_absorptance=1.0, actor_sun_facing_area=2.0, actor_central_body_facing_area=2.0,
            actor_emissive_area=4.0, actor_thermal_capacity=1000, body_solar_irradiance=spec["irradiance_w_m2"])
        instances.append(paseos.init_sim(actor))
    station = ActorBuilder.get_actor_scaffold("gran_canaria", GroundstationActor, t0)
    ActorBuilder.set_ground_station_location(station, 27.7629, -15.6338, 205.1, minimum_altitude_angle=5)
    relay = ActorBuilder.get_actor_scaffold("geo_relay", SpacecraftActor, t0)
    ActorBuilder.set_orbit(relay, spec["relay"]["r_m"], spec["relay"]["v_m_s"], t0, earth)
    ActorBuilder.add_comm_device(relay, "Link1", 1000)
    others = [paseos.init_sim(station), paseos.init_sim(relay)]
    setup = time.perf_counter() - setup

    def ok(actor):
        return actor.state_of_charge > spec["soc_min"] and actor.temperature_in_K < spec["t_max_k"]

    step_s, steps = spec["step_s"], spec["steps"]
    busy = {i.local_actor.name: 0.0 for i in instances}
    seen = {i.local_actor.name: [0, 0] for i in instances}
    wall = time.perf_counter()
    for _ in range(steps):
        for inst in instances:
            actor = inst.local_actor
            for k, other in enumerate(others):
                if actor.is_in_line_of_sight(other.local_actor, epoch=actor.local_time):
                    seen[actor.name][k] += 1
            if ok(actor):
                left = inst.advance_time(step_s, spec["processing_w"], constraint_function=lambda a=actor: ok(a))
                busy[actor.name] += step_s - left
                if left > 0:
                    inst.advance_time(left, spec["standby_w"])
            else:
                inst.advance_time(step_s, spec["standby_w"])
        for other in others:
            other.advance_time(step_s, 0.0)
    wall = time.perf_counter() - wall
    rows = []
    for inst in instances:
        m, name = inst.monitor, inst.local_actor.name
        eclipse = [bool(x) for x in m["is_in_eclipse"]]
        rows.append({"spacecraft": name, "processing": busy[name] / (steps * step_s),
                     "eclipse": sum(eclipse) / len(eclipse), "station_step": seen[name][0] / steps,
                     "relay_step": seen[name][1] / steps, "T_k": percentiles(m["temperature"]),
                     "soc": percentiles(m["state_of_charge"])})
    pykep = pk.version if isinstance(pk.version, str) else ".".join(str(x) for x in pk.version.values())
    versions = {"paseos": __import__("importlib.metadata").metadata.version("paseos"), "pykep": pykep}
    pathlib.Path(output_path).write_text(json.dumps(
        {"wall_s": wall, "setup_s": setup, "versions": versions, "spacecraft": rows}))


# ------------------------------------------------------------------------------------ orbitedge
def load_example():
    import importlib.util

    spec = importlib.util.spec_from_file_location("paseos_constellation", REPO / "examples" / "paseos_constellation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def orbitedge_side(ex, hours: float, seed: int, repeats: int, paseos_irradiance: bool = False) -> dict:
    """The example's loop, timed ``repeats`` times (the median; every run gives the same result)."""
    import statistics

    import numpy as np

    leo, geo = ex.orbits()
    names = [s.name for s in leo]
    steps = max(1, round(hours * 3600 / ex.STEP_S))
    walls = []
    for _ in range(repeats):
        sim = ex.simulation(seed, 10.0, leo, geo, paseos_irradiance)
        wall = time.perf_counter()
        log = ex.fly(sim, names, steps)
        walls.append(time.perf_counter() - wall)
    wall = statistics.median(walls)
    summary = ex.summarise(sim, log, leo, geo)
    # In eclipse as PASEOS's monitor counts it: the 10 s samples in shadow (orbitedge: umbra).
    tel = sim.telemetry()
    for row in summary["spacecraft"]:
        mine = tel["spacecraft"] == row["spacecraft"]
        row["eclipse"] = float(np.mean(tel["sunlit_fraction"][mine] == 0.0))
    return {"wall_s": wall, "summary": summary}


def paseos_inputs(ex, hours: float, seed: int, mode: str) -> dict:
    import numpy as np
    import orbitedge as oe

    leo, geo = ex.orbits()
    r, v = oe.propagate(leo + [geo], np.array([ex.START.replace(tzinfo=None)], "datetime64[ns]"))
    years = (ex.START.timestamp() - 946_728_000.0) / (365.25 * 86_400)  # since J2000 (12:00)

    def axes(x):
        x = [float(c) for c in x]
        return to_paseos_axes(x, years) if mode == "matched" else x

    states = [{"r_m": [c * 1e3 for c in axes(r[k, 0])], "v_m_s": [c * 1e3 for c in axes(v[k, 0])]}
              for k in range(len(leo) + 1)]
    socs = ex.initial_socs(seed, len(leo))
    capacity_ws = ex.CAPACITY_WH * 3600
    return {
        "start_pykep": ex.START.strftime("%Y-%b-%d %H:%M:%S"),
        "leo": [{"name": s.name, **states[k], "battery_ws": socs[k] * capacity_ws} for k, s in enumerate(leo)],
        "relay": states[-1],
        "capacity_ws": capacity_ws, "charging_w": ex.CHARGING_W,
        "irradiance_w_m2": 1361.0 / ex.sun_distance_au(ex.START) ** 2 if mode == "matched" else 1360.0,
        "soc_min": ex.SOC_MIN, "t_max_k": ex.T_MAX_K, "processing_w": ex.PROCESSING_W,
        "standby_w": ex.STANDBY_W, "step_s": ex.STEP_S, "steps": max(1, round(hours * 3600 / ex.STEP_S)),
    }


def print_side_by_side(paseos: dict, orbitedge: dict) -> None:
    ours = {r["spacecraft"]: r for r in orbitedge["summary"]["spacecraft"]}
    print(f"{'':11} {'processing':>13} {'eclipse':>13} {'station':>13} {'relay':>13}   "
          f"{'T K p5/p50/p95':>25}   {'SoC p5/p50/p95':>29}")
    print(f"{'spacecraft':11} {'PASEOS  oe':>13} {'PASEOS  oe':>13} {'PASEOS  oe':>13} {'PASEOS  oe':>13}   "
          f"{'PASEOS | orbitedge':>25}   {'PASEOS | orbitedge':>29}")
    keys = (("processing", "processing"), ("eclipse", "eclipse"), ("station_step", "station_step"),
            ("relay_step", "relay_step"))
    totals = {k: [0.0, 0.0] for k, _ in keys}
    for p in paseos["spacecraft"]:
        o = ours[p["spacecraft"]]
        cells = []
        for pk_, ok_ in keys:
            cells.append(f"{p[pk_]:6.1%} {o[ok_]:6.1%}")
            totals[pk_][0] += p[pk_] / len(paseos["spacecraft"])
            totals[pk_][1] += o[ok_] / len(paseos["spacecraft"])
        t = "/".join(f"{x:.0f}" for x in p["T_k"]) + " | " + "/".join(f"{x:.0f}" for x in o["T_k"])
        s = "/".join(f"{x:.2f}" for x in p["soc"]) + " | " + "/".join(f"{x:.2f}" for x in o["soc"])
        print(f"{p['spacecraft']:11} {' '.join(cells)}   {t:>25}   {s:>29}")
    print(f"{'mean':11} " + " ".join(f"{a:6.1%} {b:6.1%}" for a, b in totals.values()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours (default 8, PASEOS's example)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial charges")
    parser.add_argument("--paseos-inputs", choices=["example", "matched"], default="example")
    parser.add_argument("--paseos-python", default=DEFAULT_PASEOS)
    parser.add_argument("--orbitedge-irradiance", choices=["distance", "paseos"], default="distance",
                        help="orbitedge's Sun: 1 361 W/m² x (1 AU / r)^2 (default), or PASEOS's fixed 1 360 W/m² "
                             "(solar_constant_w_m2=1360, paseos_compatible=True)")
    parser.add_argument("--repeats", type=int, default=3, help="orbitedge runs to time (the median)")
    parser.add_argument("--json", help="write both results here")
    parser.add_argument("--paseos-side", nargs=2, metavar=("INPUTS", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.paseos_side:
        paseos_side(*args.paseos_side)
        return

    if not pathlib.Path(args.paseos_python).is_file():
        sys.exit(f"no PASEOS interpreter at {args.paseos_python}: run `bash ../shared/paseos-ref/setup.sh` "
                 "or pass --paseos-python")
    os.environ.setdefault("RAYON_NUM_THREADS", "1")  # one thread, as PASEOS
    import orbitedge as oe

    ex = load_example()
    with tempfile.TemporaryDirectory() as tmp:
        inputs, output = pathlib.Path(tmp, "inputs.json"), pathlib.Path(tmp, "paseos.json")
        inputs.write_text(json.dumps(paseos_inputs(ex, args.hours, args.seed, args.paseos_inputs)))
        ours = orbitedge_side(ex, args.hours, args.seed, args.repeats, args.orbitedge_irradiance == "paseos")
        subprocess.run([args.paseos_python, __file__, "--paseos-side", str(inputs), str(output)], check=True)
        theirs = json.loads(output.read_text())
    steps = max(1, round(args.hours * 3600 / ex.STEP_S))
    print(f"PASEOS constellation study, {args.hours:g} h ({steps} steps of {ex.STEP_S:.0f} s), seed {args.seed}, "
          f"PASEOS inputs: {args.paseos_inputs}, orbitedge irradiance: {args.orbitedge_irradiance}; "
          f"PASEOS {theirs['versions']['paseos']} "
          f"(pykep {theirs['versions']['pykep']}), orbitedge {oe.__version__}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print_side_by_side(theirs, ours)
    print("eclipse: share of 10 s samples in eclipse (PASEOS) or umbra (orbitedge); station, relay: share of "
          "steps with line of sight")
    ratio = theirs["wall_s"] / ours["wall_s"]
    print(f"wall time of the loop: PASEOS {theirs['wall_s']:.2f} s (setup {theirs['setup_s']:.2f} s), "
          f"orbitedge {ours['wall_s']:.3f} s (one thread, median of {args.repeats}): PASEOS takes {ratio:.0f}x as long")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"paseos": theirs, "orbitedge": ours, "ratio": ratio},
                                                      indent=1, default=str))


if __name__ == "__main__":
    main()
