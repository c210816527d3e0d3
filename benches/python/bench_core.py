"""Benchmark orbitedge's Python API against python-sgp4 and Skyfield.

What
    Three benchmarks, each timed in the same run as its baseline:

    (a) SGP4 throughput, one thread: ``sgp4.api.SatrecArray.sgp4(jd, fr)``
        vs ``oe.propagate(sats, epochs)`` on the same 100 TLEs (92 LEO +
        8 deep-space) x 1000 epochs (1 day, 86.4 s step).  Reports
        propagations/s and the ratio (target: orbitedge >= 1.2x), plus the
        max position difference between the two as a sanity check.
    (b) Access windows, 100 LEO satellites x Kiruna (10 deg mask) x 1 day:
        a loop of Skyfield ``EarthSatellite.find_events`` vs one
        ``oe.access_windows`` call (target: orbitedge <= 20 ms); prints both
        window counts (Skyfield complete windows, and partial ones at the
        interval edges).
    (c) Eclipse intervals, 1 LEO satellite x 1 day: ``oe.eclipse_intervals``
        (target <= 1 ms), timeit-style (best and median per call).  If a DE421
        kernel is found (PyPI ``skyfield-data``, or ``--ephem PATH``) a
        Skyfield baseline is timed too: ``find_discrete`` on ``is_sunlit``.

    TLEs are synthesised deterministically (numpy seed 7) with python-sgp4
    ``Satrec.sgp4init`` + ``sgp4.exporter.export_tle``, epoch
    2024-03-01T00:00Z; every interval starts at that instant.  Satellite /
    SatrecArray / EarthSatellite construction is outside the timed region;
    epoch conversion (datetime64 -> jd/fr) is inside it for orbitedge only.
    Times are ``time.perf_counter`` medians over several repeats.

    RAYON_NUM_THREADS is set to 1 (``--threads`` to change) in os.environ
    BEFORE orbitedge is imported, so every orbitedge number is one thread,
    like python-sgp4 and Skyfield.

How
    python benches/python/bench_core.py                 # full run
    python benches/python/bench_core.py --quick         # fast smoke run
    python benches/python/bench_core.py --baseline-only # no orbitedge needed
    python benches/python/bench_core.py --json out.json # also save results
    Needs: orbitedge (unless --baseline-only), sgp4, skyfield, numpy;
    optional skyfield-data for the eclipse baseline.
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from importlib.resources import files

import numpy as np
import sgp4
import skyfield
from sgp4.api import WGS72, Satrec, SatrecArray
from sgp4.exporter import export_tle
from skyfield.api import EarthSatellite, load, load_file, wgs84

MU = 398600.8                         # WGS72 km^3/s^2
RE = 6378.135                         # WGS72 km
START = datetime(2024, 3, 1, tzinfo=timezone.utc)
EPOCH_DAYS = 2460370.5 - 2433281.5    # START in days since 1949-12-31 00:00 UT
JD0 = 2460370.5                       # Julian date of START
KIRUNA = ("Kiruna", 67.8558, 20.9644, 390.0, 10.0)


# ----------------------------------------------------------------------------- data
def make_tle(satnum, a_km, ecc, inc, raan, argp, ma, bstar):
    sat = Satrec()
    sat.sgp4init(WGS72, "i", satnum, EPOCH_DAYS, bstar, 0.0, 0.0, ecc, math.radians(argp),
                 math.radians(inc), math.radians(ma), math.sqrt(MU / a_km ** 3) * 60.0,
                 math.radians(raan))
    return export_tle(sat)


def make_tles(n_leo, n_deep, seed=7):
    """n_leo LEO TLEs (350-1400 km, spread of inclinations) + n_deep deep-space."""
    rng = np.random.default_rng(seed)
    incs = [0.0, 28.5, 45.0, 51.6, 53.0, 63.4, 70.0, 87.4, 97.6, 98.6]
    tles = []
    for k in range(n_leo):
        tles.append(make_tle(10000 + k, RE + rng.uniform(350, 1400), rng.uniform(1e-4, 0.01),
                             incs[k % len(incs)] + rng.uniform(0, 2), rng.uniform(0, 360),
                             rng.uniform(0, 360), rng.uniform(0, 360), rng.uniform(1e-5, 1e-4)))
    deep = [(42164.0, 2e-4, 0.05), (42164.0, 5e-4, 5.0), (26560.0, 0.01, 55.0),
            (29600.0, 2e-4, 56.0), (26560.0, 0.70, 63.4), (26600.0, 0.72, 64.0),
            (24396.0, 0.728, 27.0), (42164.0, 1e-3, 12.0)]
    for k in range(n_deep):
        a, e, i = deep[k % len(deep)]
        tles.append(make_tle(20000 + k, a, e, i, 45.0 * k, 270.0, 30.0 * k, 0.0))
    return tles


def time_median(fn, repeats):
    """Run fn() `repeats` times; return (median seconds, all times, last result)."""
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, out


def skyfield_windows(sat, station, t0, t1, min_el):
    """(complete windows, partial windows) from find_events: 0 rise, 1 culm, 2 set."""
    times, events = sat.find_events(station, t0, t1, altitude_degrees=min_el)
    complete = partial = 0
    open_ = False
    for ev in events:
        if ev == 0:
            partial += open_
            open_ = True
        elif ev == 2:
            complete += open_
            partial += not open_
            open_ = False
    return complete, partial + open_


def count_windows(obj):
    """Count windows in whatever container oe.access_windows returns: nested
    lists / tuples / dicts of window objects, dicts with rise/start keys, or
    flat tuples of scalars (one window each); arrays/frames count rows."""
    if isinstance(obj, dict):
        keys = " ".join(map(str, obj)).lower()
        if any(k in keys for k in ("rise", "start", "aos", "enter")):
            return 1
        return sum(count_windows(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        if isinstance(obj, tuple) and obj and all(
                isinstance(x, (int, float, str, datetime, np.generic)) for x in obj):
            return 1  # e.g. (rise, culmination, set, max_el)
        return sum(count_windows(x) for x in obj)
    if isinstance(obj, np.ndarray) or hasattr(obj, "__len__"):
        return len(obj)
    return 1


def find_de421(path):
    if path:
        return path
    try:
        p = files("skyfield_data").joinpath("data/de421.bsp")
        return str(p) if p.is_file() else None
    except ModuleNotFoundError:
        return None


# ------------------------------------------------------------------------- benches
def bench_sgp4(oe, tles, n_epochs, repeats, res):
    step_ns = 86_400_000_000_000 // n_epochs
    epochs = np.datetime64("2024-03-01T00:00:00", "ns") + np.arange(n_epochs) * step_ns
    days = np.arange(n_epochs) * (step_ns / 86_400e9)
    jd, fr = np.full(n_epochs, JD0), days
    arr = SatrecArray([Satrec.twoline2rv(l1, l2, WGS72) for l1, l2 in tles])
    n = len(tles) * n_epochs
    arr.sgp4(jd, fr)  # warm-up
    t_py, _, (e, r_py, _) = time_median(lambda: arr.sgp4(jd, fr), repeats)
    res["sgp4"] = {"n_sats": len(tles), "n_epochs": n_epochs,
                   "python_sgp4_s": t_py, "python_sgp4_prop_per_s": n / t_py,
                   "python_sgp4_errors": int((e != 0).sum())}
    if oe is None:
        return
    sats = [oe.Satellite.from_tle(l1, l2, name=f"S{i}") for i, (l1, l2) in enumerate(tles)]
    oe.propagate(sats, epochs)  # warm-up
    t_oe, _, (pos, _vel) = time_median(lambda: oe.propagate(sats, epochs), repeats)
    ok = e == 0
    diff = np.abs(np.asarray(pos)[ok] - r_py[ok])
    res["sgp4"].update({"orbitedge_s": t_oe, "orbitedge_prop_per_s": n / t_oe,
                        "speedup": t_py / t_oe, "target_speedup": 1.2,
                        "max_abs_pos_diff_km": float(np.nanmax(diff)) if diff.size else None})


def bench_access(oe, tles, repeats, res):
    ts = load.timescale(builtin=True)
    name, lat, lon, alt, min_el = KIRUNA
    station = wgs84.latlon(lat, lon, elevation_m=alt)
    t0, t1 = ts.from_datetime(START), ts.from_datetime(START + timedelta(days=1))
    esats = [EarthSatellite(l1, l2, f"S{i}", ts) for i, (l1, l2) in enumerate(tles)]

    def run_skyfield():
        return [skyfield_windows(s, station, t0, t1, min_el) for s in esats]

    t_sf, _, counts = time_median(run_skyfield, repeats)
    res["access"] = {"n_sats": len(tles), "station": name, "min_elevation_deg": min_el,
                     "skyfield_s": t_sf,
                     "skyfield_complete_windows": sum(c for c, _ in counts),
                     "skyfield_partial_windows": sum(p for _, p in counts)}
    if oe is None:
        return
    sats = [oe.Satellite.from_tle(l1, l2, name=f"S{i}") for i, (l1, l2) in enumerate(tles)]
    gs = oe.GroundStation(name, lat_deg=lat, lon_deg=lon, alt_m=alt, min_elevation_deg=min_el)
    end = START + timedelta(days=1)
    oe.access_windows(sats, [gs], START, end)  # warm-up
    t_oe, _, wins = time_median(lambda: oe.access_windows(sats, [gs], START, end),
                                max(repeats, 5))
    res["access"].update({"orbitedge_s": t_oe, "speedup": t_sf / t_oe, "target_orbitedge_s": 0.020,
                          "orbitedge_windows": count_windows(wins)})


def bench_eclipse(oe, tle, repeats, ephem, res):
    res["eclipse"] = {"n_sats": 1, "target_orbitedge_s": 0.001}
    end = START + timedelta(days=1)
    if ephem:
        from skyfield.searchlib import find_discrete
        ts = load.timescale(builtin=True)
        eph = load_file(ephem)
        sat = EarthSatellite(*tle, "E", ts)

        def sunlit(t):
            return sat.at(t).is_sunlit(eph)
        sunlit.step_days = 60.0 / 86400.0  # 1 min coarse grid, then refine to ~1 s

        def run_sf():
            t0 = ts.from_datetime(START)
            _, v = find_discrete(t0, ts.from_datetime(end), sunlit)
            entries = int((v == 0).sum())
            return entries, entries + int(not sunlit(t0))  # + interval open at start
        t_sf, _, (n_ent, n_int) = time_median(run_sf, max(1, repeats // 2))
        res["eclipse"].update({"skyfield_s": t_sf, "skyfield_eclipse_entries": n_ent,
                               "skyfield_eclipse_intervals": n_int,
                               "ephemeris": os.path.basename(ephem)})
    if oe is None:
        return
    sats = [oe.Satellite.from_tle(*tle, name="E")]
    oe.eclipse_intervals(sats, START, end)  # warm-up
    number = 20 if repeats < 5 else 100
    per_call = []
    for _ in range(max(repeats, 5)):
        t = time.perf_counter()
        for _ in range(number):
            out = oe.eclipse_intervals(sats, START, end)
        per_call.append((time.perf_counter() - t) / number)
    res["eclipse"].update({"orbitedge_s": statistics.median(per_call),
                           "orbitedge_best_s": min(per_call),
                           "orbitedge_intervals": count_windows(out)})


# -------------------------------------------------------------------------- report
def fmt_s(x):
    return "-" if x is None else (f"{x * 1e3:9.3f} ms" if x < 10 else f"{x:9.2f} s ")


def report(res):
    rows = []
    s, a, e = res.get("sgp4", {}), res.get("access", {}), res.get("eclipse", {})
    if s:
        rows.append(("(a) SGP4 %dx%d" % (s["n_sats"], s["n_epochs"]), "python-sgp4",
                     fmt_s(s["python_sgp4_s"]), "%.3g prop/s" % s["python_sgp4_prop_per_s"], ""))
        if "orbitedge_s" in s:
            rows.append(("", "orbitedge", fmt_s(s["orbitedge_s"]),
                         "%.3g prop/s" % s["orbitedge_prop_per_s"],
                         "%.2fx (target >= 1.2x)" % s["speedup"]))
    if a:
        rows.append(("(b) access %d x %s" % (a["n_sats"], a["station"]), "skyfield",
                     fmt_s(a["skyfield_s"]), "%d windows (+%d partial)" % (
                         a["skyfield_complete_windows"], a["skyfield_partial_windows"]), ""))
        if "orbitedge_s" in a:
            rows.append(("", "orbitedge", fmt_s(a["orbitedge_s"]),
                         "%d windows" % a["orbitedge_windows"],
                         "%.1fx faster (target <= 20 ms)" % a["speedup"]))
    if e:
        if "skyfield_s" in e:
            rows.append(("(c) eclipse 1 x 1 day", "skyfield", fmt_s(e["skyfield_s"]),
                         "%d intervals (%d entries)" % (
                             e["skyfield_eclipse_intervals"], e["skyfield_eclipse_entries"]), ""))
        if "orbitedge_s" in e:
            ratio = " %.0fx faster;" % (e["skyfield_s"] / e["orbitedge_s"]) if "skyfield_s" in e else ""
            rows.append(("(c) eclipse 1 x 1 day" if "skyfield_s" not in e else "", "orbitedge",
                         fmt_s(e["orbitedge_s"]), "%d intervals, best %s" % (
                             e["orbitedge_intervals"], fmt_s(e["orbitedge_best_s"]).strip()),
                         ratio + " target <= 1 ms"))
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    head = ("benchmark", "impl", "median", "throughput / result", "ratio")
    w = [max(wi, len(h)) for wi, h in zip(w, head)]
    for r in [head, tuple("-" * x for x in w)] + rows:
        print("  ".join(c.ljust(x) for c, x in zip(r, w)).rstrip())
    if "max_abs_pos_diff_km" in s:
        print(f"orbitedge vs python-sgp4 max |dr| = {s['max_abs_pos_diff_km']:.3g} km")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    ap.add_argument("--baseline-only", action="store_true", help="skip orbitedge")
    ap.add_argument("--json", metavar="PATH", help="write results as JSON")
    ap.add_argument("--threads", type=int, default=1, help="RAYON_NUM_THREADS (default 1)")
    ap.add_argument("--ephem", metavar="BSP", help="DE kernel for the eclipse baseline")
    args = ap.parse_args()

    os.environ["RAYON_NUM_THREADS"] = str(args.threads)  # must precede the import
    oe = None
    if not args.baseline_only:
        import orbitedge as oe

    n_sats, n_epochs, repeats = (20, 200, 3) if args.quick else (100, 1000, 7)
    n_deep = max(1, n_sats * 8 // 100)
    leo = make_tles(n_sats, 0)
    mixed = leo[: n_sats - n_deep] + make_tles(0, n_deep)
    res = {"python": platform.python_version(), "machine": platform.machine(),
           "cpu_count": os.cpu_count(), "rayon_num_threads": args.threads,
           "sgp4_version": sgp4.__version__, "skyfield_version": skyfield.__version__,
           "orbitedge_version": getattr(oe, "__version__", None) if oe else None,
           "quick": args.quick, "utc": datetime.now(timezone.utc).isoformat()}
    print(f"python {res['python']}, python-sgp4 {sgp4.__version__} "
          f"(accelerated={sgp4.api.accelerated}), skyfield {skyfield.__version__}, "
          f"orbitedge {res['orbitedge_version'] or '(skipped)'}; RAYON_NUM_THREADS={args.threads}")
    bench_sgp4(oe, mixed, n_epochs, repeats, res)
    bench_access(oe, leo, max(1, repeats // 3), res)
    bench_eclipse(oe, leo[0], repeats, find_de421(args.ephem), res)
    report(res)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
