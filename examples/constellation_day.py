"""Python twin of ``constellation_day.rs``: passes and eclipses of a six-satellite
sun-synchronous Walker constellation over one day.

Run: ``python examples/constellation_day.py`` (after ``./scripts/check.sh`` or
``maturin develop``).
"""

import csv
import pathlib

import orbitedge as oe

ROOT = pathlib.Path(__file__).resolve().parents[1]
START, END = "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z"

sats = oe.walker_delta(6, 3, 1, altitude_km=550.0, inclination_deg=97.6, epoch=START, prefix="SSO")
with open(ROOT / "data" / "ground-stations.csv") as f:
    stations = [
        oe.GroundStation(r["name"], lat_deg=float(r["latitude_deg"]), lon_deg=float(r["longitude_deg"]),
                         alt_m=float(r["altitude_m"]), min_elevation_deg=float(r["min_elevation_deg"]))
        for r in csv.DictReader(f)
    ]

windows = oe.access_windows(sats, stations, START, END)
eclipses = oe.eclipse_intervals(sats, START, END)
for w in windows[:10]:
    print(f"{w.satellite:<10} {w.station:<11} {w.rise:%H:%M:%S} → {w.set:%H:%M:%S}  max {w.max_elevation_deg:5.1f}°")
print(f"... {len(windows)} passes, {len(eclipses)} eclipse intervals")

# Each satellite is eclipsed once per orbit (~15/day) unless its plane faces the Sun.
for sat in sats:
    umbrae = sum(1 for e in eclipses if e.satellite == sat.name and e.kind == "umbra")
    assert umbrae == 0 or 14 <= umbrae <= 17, (sat.name, umbrae)
assert all(w.rise < w.set for w in windows)
