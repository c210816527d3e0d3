"""Benchmark what inter-satellite links cost a run (issue 14's target: ≤ 2×).

What: 100 spacecraft (Walker 100/10/1, 550 km, 53°; power, thermal, a ground radio),
10 stations, one day, event-driven. Baseline, measured in the same run: the same fleet with
no radio marked ``inter_satellite``. The measured run marks a second radio on every spacecraft
for inter-satellite links, so all 4 950 pairs are searched for line of sight (the search of
``link_windows``: interpolants through 30 s states, safe steps from a cubic bound) and every link edge
is logged on both ends. Set ``OPENBLAS_NUM_THREADS=1`` (numpy's idle threads spin otherwise).

How: ``python benches/python/bench_links.py [--spacecraft 100] [--repeat 3]`` after building a
release wheel (``maturin build --release``) into the environment; ``RAYON_NUM_THREADS`` sets
the threads (default: all cores).
"""

import argparse
import datetime as dt
import statistics
import time

import orbitedge as oe

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
POWER = {"solar_array": {"area_m2": 0.1, "efficiency": 0.3}, "battery": {"capacity_wh": 40.0, "initial_soc": 0.8},
         "bus_load_w": 8.0}
THERMAL = {"mass_kg": 12.0, "area_sun_m2": 0.1, "area_earth_m2": 0.1, "area_radiating_m2": 0.6}
GROUND = {"name": "s-band", "rate": {"model": "fixed", "rate_bps": 2e6}}
ISL = {"name": "isl", "rate": {"model": "fixed", "rate_bps": 1e6}, "transmit_power_w": 5.0, "inter_satellite": True}
STATIONS = [("Kiruna", 67.86, 20.96), ("Svalbard", 78.23, 15.41), ("Matera", 40.65, 16.70),
            ("Gran Canaria", 27.76, -15.59), ("Wallops", 37.94, -75.46), ("Fairbanks", 64.86, -147.85),
            ("Santiago", -33.15, -70.67), ("Hartebeesthoek", -25.89, 27.69), ("Singapore", 1.35, 103.82),
            ("Dongara", -29.05, 114.93)]


def simulation(n: int, links: bool) -> oe.Simulation:
    planes = max(1, n // 10)
    sats = oe.walker_delta(n, planes, 1 % planes, 550.0, 53.0, START, propagator="j2")
    radios = [GROUND, ISL] if links else [GROUND]
    fleet = [oe.Spacecraft(s.name, orbit=s, power=POWER, thermal=THERMAL, radios=radios) for s in sats]
    stations = [oe.GroundStation(name, lat, lon, 0.0, 5.0) for name, lat, lon in STATIONS]
    return oe.Simulation(START, spacecraft=fleet, stations=stations, seed=1, telemetry_interval_s=600.0)


def timed(n: int, links: bool) -> tuple[float, int]:
    sim = simulation(n, links)
    t0 = time.perf_counter()
    sim.run(START + dt.timedelta(days=1), step_s=None)
    wall = time.perf_counter() - t0
    return wall, sum(1 for e in sim.events(since=0) if e.kind == "link_started")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spacecraft", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base, with_links, starts = [], [], 0
    for _ in range(args.repeat):  # interleaved, so drifts of the host hit both alike
        base.append(timed(args.spacecraft, False)[0])
        wall, starts = timed(args.spacecraft, True)
        with_links.append(wall)
    b, w = statistics.median(base), statistics.median(with_links)
    pairs = args.spacecraft * (args.spacecraft - 1) // 2
    print(f"{args.spacecraft} spacecraft, {pairs} pairs, 1 day event-driven, {args.repeat} runs each")
    print(f"  without inter-satellite radios: median {b:8.3f} s, best {min(base):8.3f} s")
    print(f"  with them (link_started: {starts}): median {w:8.3f} s, best {min(with_links):8.3f} s")
    # The best of several runs is the least disturbed by the host (timeit's rule).
    print(f"  ratio: {w / b:.2f}x of medians, {min(with_links) / min(base):.2f}x of best times (target <= 2x)")

if __name__ == "__main__":
    main()
