"""Benchmark the simulation engine from Python (one thread).

What: 100 spacecraft (Walker 100/10/1, 550 km SSO, power + thermal), 3 ground
stations (Kiruna, Svalbard, Matera), 1 day, 10 s fixed steps and event-driven.
Baseline: PASEOS 0.2.1 on this machine runs this scenario at ≈ 19 simulated
seconds per wall second (figure from issue #3). PASEOS needs pykep 2.x, which
has no wheel for Python 3.11 on PyPI (``pip install paseos`` fails here), so it
is not re-timed; the in-run baseline is orbitedge itself at 1 s steps.

How: ``python benches/python/bench_engine.py`` after ``maturin develop --release``.
"""

import argparse
import datetime as dt
import os
import statistics
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")

import orbitedge as oe  # noqa: E402

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
PASEOS_SIM_S_PER_WALL_S = 19.0


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    paseos_wall_s = 86_400.0 / PASEOS_SIM_S_PER_WALL_S
    print(f"orbitedge {oe.__version__}, RAYON_NUM_THREADS={os.environ['RAYON_NUM_THREADS']}")
    print(f"{'mode':<22} {'median':>10} {'sim-s/wall-s':>14} {'vs PASEOS':>12}")
    for label, step in [("fixed 10 s", 10.0), ("event-driven", None), ("fixed 1 s", 1.0)]:
        seconds = time_run(step, args.repeats if step != 1.0 else 1)
        print(f"{label:<22} {seconds * 1e3:8.1f} ms {86_400.0 / seconds:14.0f} {paseos_wall_s / seconds:11.0f}x")
    print(f"PASEOS baseline: {PASEOS_SIM_S_PER_WALL_S} sim-s/wall-s (≈ {paseos_wall_s / 60:.0f} min for this day)")


if __name__ == "__main__":
    main()
