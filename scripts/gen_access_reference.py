"""Generate ground-station access windows with Skyfield's find_events.

What
    Writes ``tests/data/access_skyfield.json``: for 5 satellites x 5 ground
    stations, the complete visibility windows (rise, culmination, set, max
    elevation) above each station's elevation mask during the 24 h that
    start at the satellite's TLE epoch rounded down to the minute.

    Satellites: the three TLEs of /work/shared/data/tle-samples.txt
    (Sentinel-2A, Sentinel-2B, ISS; copied into this script so it does not
    depend on that path), plus two built with python-sgp4 ``sgp4init`` +
    ``sgp4.exporter.export_tle`` (epoch 2024-03-01T00:00Z): a 550 km 53 deg
    near-circular LEO and a Molniya-like 12 h orbit (i 63.4 deg, e 0.7,
    deep-space / SDP4 branch).  Stations: Kiruna, Svalbard, Matera,
    McMurdo and Malindi (equatorial, 0 deg mask).

Why
    Independent reference for orbitedge's access-window search.

How
    ``EarthSatellite(line1, line2)`` (python-sgp4, WGS72), stations
    ``wgs84.latlon(lat, lon, elevation_m=alt)`` (WGS84 ellipsoid),
    ``sat.find_events(station, t0, t1, altitude_degrees=min_el)``.  Events
    (0 rise, 1 culminate, 2 set) are assembled into windows; only complete
    rise..set windows inside [start, end] are kept: a pass already in
    progress at ``start_utc`` or still in progress at ``end_utc`` is
    dropped (counted per case in ``partial_windows_dropped``).  When a
    window has several culminations the highest one is kept.
    ``max_elevation_deg`` = ``(sat - station).at(t_culm).altaz()`` altitude
    (geometric: no refraction; TEME -> ITRS through GMST 1982 with Skyfield's
    built-in UT1-UTC table, no polar motion).

    Accuracy: find_events refines culminations (find_maxima) and
    rise/set crossings (_find_discrete) to an epsilon of 0.5 s, so the
    reference times are good to about +-0.5 s (culmination times are
    soft: elevation is flat there, while max_elevation_deg is accurate to
    well below 0.01 deg).  Compare with tolerances of a few seconds.

Rerun
    python -m venv /tmp/ref && /tmp/ref/bin/pip install sgp4 skyfield numpy
    /tmp/ref/bin/python scripts/gen_access_reference.py
"""

import json
import math
from datetime import timedelta
from pathlib import Path

import sgp4
import skyfield
from sgp4.api import WGS72, Satrec
from sgp4.exporter import export_tle
from skyfield.api import EarthSatellite, load, wgs84

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "data" / "access_skyfield.json"

SAMPLE_TLES = [  # /work/shared/data/tle-samples.txt
    ("SENTINEL-2A",
     "1 40697U 15028A   23188.15862373  .00000171  00000+0  81941-4 0  9994",
     "2 40697  98.5695 262.3977 0001349  91.8221 268.3116 14.30817084419867"),
    ("SENTINEL-2B",
     "1 42063U 17013A   22300.18652110  .00000099  00000+0  54271-4 0  9998",
     "2 42063  98.5693  13.0364 0001083 104.3232 255.8080 14.30819357294601"),
    ("ISS (ZARYA)",
     "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
     "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482"),
]

STATIONS = [  # name, lat_deg, lon_deg, alt_m, min_elevation_deg
    ("Kiruna", 67.8558, 20.9644, 390.0, 5.0),
    ("Svalbard", 78.2298, 15.4078, 500.0, 5.0),
    ("Matera", 40.6490, 16.7040, 536.0, 10.0),
    ("McMurdo", -77.8390, 166.6630, 10.0, 5.0),
    ("Malindi", -2.9956, 40.1945, 12.0, 0.0),
]

MU_WGS72 = 398600.8          # km^3/s^2
RE_WGS72 = 6378.135          # km
EPOCH_2024_03_01 = 2460370.5 - 2433281.5  # days since 1949-12-31 00:00 UT


def synth_tle(satnum, intldesg, a_km, ecc, incl_deg, raan_deg, argp_deg, ma_deg, bstar):
    """Build a TLE from mean elements with sgp4init + export_tle."""
    n_rad_min = math.sqrt(MU_WGS72 / a_km ** 3) * 60.0
    sat = Satrec()
    sat.sgp4init(WGS72, "i", satnum, EPOCH_2024_03_01, bstar, 0.0, 0.0, ecc,
                 math.radians(argp_deg), math.radians(incl_deg), math.radians(ma_deg),
                 n_rad_min, math.radians(raan_deg))
    sat.intldesg = intldesg
    return export_tle(sat)


def iso(t):
    """Skyfield Time -> 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (Skyfield rounds to 1 us)."""
    dt = t.utc_datetime()
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def windows_from_events(sat, station, times, events):
    """Assemble complete rise..culm..set windows; return (windows, n_partial)."""
    windows, partial = [], 0
    rise, culms = None, []
    for t, ev in zip(times, events):
        if ev == 0:
            if rise is not None:   # two rises in a row: keep the later one
                partial += 1
            rise, culms = t, []
        elif ev == 1:
            culms.append(t)        # before any rise: pass in progress at start
        else:
            if rise is None:
                partial += 1       # set without rise: pass in progress at start
            else:
                best_el, best_t = max((((sat - station).at(c).altaz()[0].degrees, c)
                                       for c in culms), key=lambda p: p[0])
                windows.append({"rise_utc": iso(rise), "culmination_utc": iso(best_t),
                                "set_utc": iso(t),
                                "max_elevation_deg": float(best_el)})
            rise, culms = None, []
    if rise is not None:
        partial += 1               # still above the mask at the end
    return windows, partial


def main():
    ts = load.timescale(builtin=True)
    sats = list(SAMPLE_TLES)
    sats.append(("LEO-550-53",) + synth_tle(90001, "24900A", RE_WGS72 + 550.0, 0.0001,
                                             53.0, 40.0, 90.0, 10.0, 1.0e-4))
    sats.append(("MOLNIYA-LIKE",) + synth_tle(90002, "24900B", 26560.0, 0.7,
                                               63.4, 120.0, 270.0, 0.0, 0.0))
    cases = []
    for name, l1, l2 in sats:
        sat = EarthSatellite(l1, l2, name, ts)
        ep = sat.epoch.utc_datetime().replace(second=0, microsecond=0)
        t0, t1 = ts.from_datetime(ep), ts.from_datetime(ep + timedelta(days=1))
        for sname, lat, lon, alt, min_el in STATIONS:
            station = wgs84.latlon(lat, lon, elevation_m=alt)
            times, events = sat.find_events(station, t0, t1, altitude_degrees=min_el)
            wins, partial = windows_from_events(sat, station, times, events)
            for w in wins:
                assert w["rise_utc"] < w["culmination_utc"] < w["set_utc"]
                assert w["max_elevation_deg"] >= min_el
            cases.append({
                "satellite": name, "line1": l1, "line2": l2,
                "station": {"name": sname, "lat_deg": lat, "lon_deg": lon,
                            "alt_m": alt, "min_elevation_deg": min_el},
                "start_utc": ep.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "end_utc": (ep + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "partial_windows_dropped": partial,
                "windows": wins,
            })
    doc = {
        "generator": f"skyfield {skyfield.__version__} EarthSatellite.find_events "
                     f"(python-sgp4 {sgp4.__version__}, WGS72 TLE / WGS84 stations); "
                     f"scripts/gen_access_reference.py",
        "note": "Only complete rise..set windows inside [start_utc, end_utc] are listed; "
                "passes in progress at start_utc or end_utc are dropped (count in "
                "partial_windows_dropped). Highest culmination kept per window. "
                "Elevations geometric (no refraction). find_events times good to ~0.5 s.",
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    n = sum(len(c["windows"]) for c in cases)
    p = sum(c["partial_windows_dropped"] for c in cases)
    print(f"wrote {OUT}: {len(cases)} cases, {n} windows, {p} partial windows dropped")
    for c in cases:
        print(f"  {c['satellite']:13s} {c['station']['name']:9s} {len(c['windows']):3d} windows"
              f" (+{c['partial_windows_dropped']} partial)")


if __name__ == "__main__":
    main()
