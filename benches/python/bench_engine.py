"""Benchmark the simulation engine from Python (one thread).

What: 100 spacecraft (Walker 100/10/1, 550 km SSO, power + thermal), 3 ground
stations (Kiruna, Svalbard, Matera), 1 day, 10 s fixed steps and event-driven.
Baselines, measured in the same run: orbitedge itself at 1 s steps, and a live
PASEOS 0.2.1 on the same scenario (one PASEOS instance per spacecraft, its
design; ``dt`` = 10 s; 600 simulated s, its throughput is flat in time) when a
PASEOS interpreter and the reference scripts are found: ``--paseos-python``
(default ``$PASEOS_PYTHON`` or ``~/.cache/paseos-ref/venv/bin/python``, which
``../shared/paseos-ref/setup.sh`` builds) and ``--paseos-ref`` (the directory
with ``bench_paseos.py``, default ``../shared/paseos-ref`` beside the repository).
Without them the PASEOS column is left out, never filled from a stale figure.

How: ``python benches/python/bench_engine.py`` after ``maturin develop --release``.
"""

import argparse
import datetime as dt
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")

import orbitedge as oe  # noqa: E402

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
REPO = pathlib.Path(__file__).resolve().parents[2]


def scenario():
    sats = oe.walker_delta(100, 10, 1, 550.0, 97.6, START, propagator="kepler")
    power = {"solar_array": {"area_m2": 0.1, "efficiency": 0.3}, "battery": {"capacity_wh": 40.0, "initial_soc": 0.8},
             "bus_load_w": 8.0}
    thermal = {"mass_kg": 12.0, "area_sun_m2": 0.1, "area_earth_m2": 0.1, "area_radiating_m2": 0.6}
    fleet = [oe.Spacecraft(s.name, orbit=s, power=power, thermal=thermal) for s in sats]
    stations = [oe.GroundStation("Kiruna", 67.8558, 20.9644, 390.0, 5.0),
                oe.GroundStation("Svalbard", 78.2298, 15.4078, 500.0, 5.0),
                oe.GroundStation("Matera", 40.649, 16.704, 536.0, 5.0)]
    return fleet, stations


def time_run(step_s, repeats):
    fleet, stations = scenario()
    times = []
    for _ in range(repeats):
        sim = oe.Simulation(START, spacecraft=fleet, stations=stations, seed=1)
        t0 = time.perf_counter()
        sim.run(START + dt.timedelta(days=1), step_s=step_s)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def paseos_sim_s_per_wall_s(python, ref_dir):
    """PASEOS's throughput on this scenario (100 spacecraft), timed now; None without PASEOS."""
    python, ref_dir = pathlib.Path(python), pathlib.Path(ref_dir)
    if not (python.is_file() and (ref_dir / "bench_paseos.py").is_file()):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "paseos.json"
        subprocess.run([str(python), "bench_paseos.py", "--n", "100", "--duration-n100", "600", "--json", str(out)],
                       cwd=ref_dir, check=True, stdout=subprocess.DEVNULL)
        return float(json.loads(out.read_text())[0]["sim_s_per_wall_s"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    default_python = os.environ.get("PASEOS_PYTHON", str(pathlib.Path.home() / ".cache/paseos-ref/venv/bin/python"))
    parser.add_argument("--paseos-python", default=default_python)
    parser.add_argument("--paseos-ref", default=str(REPO.parent / "shared" / "paseos-ref"))
    args = parser.parse_args()
    print(f"orbitedge {oe.__version__}, RAYON_NUM_THREADS={os.environ['RAYON_NUM_THREADS']}, "
          f"load average {os.getloadavg()[0]:.2f}")
    rows = []
    for label, step in [("fixed 10 s", 10.0), ("event-driven", None), ("fixed 1 s (baseline)", 1.0)]:
        rows.append((label, time_run(step, args.repeats if step != 1.0 else 1)))
    paseos = paseos_sim_s_per_wall_s(args.paseos_python, args.paseos_ref)
    baseline = rows[-1][1]
    print(f"{'mode':<22} {'median':>10} {'sim-s/wall-s':>14} {'vs 1 s':>8} {'vs PASEOS':>11}")
    for label, seconds in rows:
        rate = 86_400.0 / seconds
        versus = f"{rate / paseos:10.0f}x" if paseos else f"{'-':>11}"
        print(f"{label:<22} {seconds * 1e3:8.1f} ms {rate:14.0f} {baseline / seconds:7.1f}x {versus}")
    if paseos:
        print(f"PASEOS 0.2.1, timed in this run: {paseos:.1f} sim-s/wall-s for 100 spacecraft "
              f"(one day would take {86_400.0 / paseos / 60:.0f} min)")
    else:
        print(f"PASEOS not found ({args.paseos_python}, {args.paseos_ref}): no PASEOS ratio "
              "(build it with ../shared/paseos-ref/setup.sh)")


if __name__ == "__main__":
    main()
