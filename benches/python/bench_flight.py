"""Benchmark a Python decision loop over the flight verbs (issue 14), one thread.

What: 16 spacecraft (Walker 16/4/1, 550 km, 10° — PASEOS's constellation study's shape;
power, thermal, a radio), one station, one day. Baseline, measured in the same run: one
``run`` over the day. The loop advances the same day in 600 s slices with ``wait`` and, each
slice, reads ``state`` and asks ``may_run`` for every spacecraft (no load is started, so the
engine's work is the same as the baseline's): the difference per slice is the loop's overhead.

How: ``python benches/python/bench_flight.py`` after ``maturin develop --release``.
"""

import argparse
import datetime as dt
import os
import statistics
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")

import orbitedge as oe  # noqa: E402

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
SLICE_S = 600.0


def simulation():
    sats = oe.walker_delta(16, 4, 1, 550.0, 10.0, START, propagator="kepler")
    power = {"solar_array": {"area_m2": 0.1, "efficiency": 0.3}, "battery": {"capacity_wh": 40.0, "initial_soc": 0.8},
             "bus_load_w": 8.0}
    thermal = {"mass_kg": 12.0, "area_sun_m2": 0.1, "area_earth_m2": 0.1, "area_radiating_m2": 0.6}
    radio = {"name": "s-band", "rate": {"model": "fixed", "rate_bps": 2e6}}
    fleet = [oe.Spacecraft(s.name, orbit=s, power=power, thermal=thermal, radios=[radio]) for s in sats]
    station = oe.GroundStation("Gran Canaria", 27.7606, -15.5860, 205.0, 5.0)
    return oe.Simulation(START, spacecraft=fleet, stations=[station], seed=1), [s.name for s in sats]


def one_run():
    sim, _ = simulation()
    t0 = time.perf_counter()
    sim.run(START + dt.timedelta(days=1))
    return time.perf_counter() - t0


def decision_loop():
    sim, names = simulation()
    slices = int(86_400.0 / SLICE_S)
    t0 = time.perf_counter()
    for _ in range(slices):
        for name in names:
            sim.state(name)
            sim.may_run(name, "process", 100.0, duration_s=SLICE_S)
        sim.wait(SLICE_S)
    return time.perf_counter() - t0, slices


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    base = statistics.median(one_run() for _ in range(args.repeats))
    loops = [decision_loop() for _ in range(args.repeats)]
    loop = statistics.median(t for t, _ in loops)
    slices = loops[0][1]
    print(f"orbitedge {oe.__version__}, RAYON_NUM_THREADS={os.environ['RAYON_NUM_THREADS']}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"one run over the day (baseline): {base * 1e3:8.1f} ms")
    print(f"{slices} slices of {SLICE_S:.0f} s with state + may_run for 16 spacecraft: {loop * 1e3:8.1f} ms")
    print(f"overhead: {(loop - base) / slices * 1e3:.3f} ms per slice ({loop / base:.2f}x the baseline)")


if __name__ == "__main__":
    main()
