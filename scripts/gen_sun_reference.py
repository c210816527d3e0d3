"""Generate apparent geocentric Sun directions with Skyfield + JPL DE421.

What
    Writes ``tests/data/sun_skyfield.csv`` with 200 UTC instants drawn
    pseudo-randomly (numpy ``default_rng(20240301)``, uniform in whole
    microseconds over 1990-01-01T00:00Z .. 2046-01-01T00:00Z, then sorted).
    Columns:

      utc_iso      ISO 8601 UTC, microsecond resolution, trailing 'Z'
      x, y, z      unit vector of the *apparent* geocentric Sun
                   (light time, aberration, gravitational deflection) in
                   Skyfield's ``framelib.true_equator_and_equinox_of_date``
                   (true equator and true equinox of date; IAU 2006
                   precession + IAU 2000A nutation)
      distance_km  length of that apparent position vector (km)

Why
    Independent reference for orbitedge's analytic Sun model (used for
    eclipses and illumination); a low-precision model should be compared
    by angle (e.g. arccos(u_ref . u) < 0.01 deg) and relative distance.

How
    ``earth.at(t).observe(sun).apparent().frame_xyz(true_equator_...)``
    with the DE421 SPK kernel.  The PyPI package ``de421`` ships the
    ephemeris only as jplephem-1.x ``.npy`` arrays (no ``.bsp``), which
    Skyfield cannot load, so the kernel comes from the PyPI package
    ``skyfield-data`` (``skyfield_data/data/de421.bsp``, covers 1899-07-29
    .. 2053-10-09) loaded with ``skyfield.api.load_file``.  UTC -> TT uses
    Skyfield's built-in leap-second / Delta T tables (no download).

Rerun
    python -m venv /tmp/ref && /tmp/ref/bin/pip install sgp4 skyfield numpy skyfield-data
    /tmp/ref/bin/python scripts/gen_sun_reference.py
"""

import csv
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path

import numpy as np
import skyfield
from skyfield.api import load, load_file
from skyfield.framelib import true_equator_and_equinox_of_date

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "data" / "sun_skyfield.csv"
SEED = 20240301
N = 200
T0 = datetime(1990, 1, 1, tzinfo=timezone.utc)
T1 = datetime(2046, 1, 1, tzinfo=timezone.utc)


def de421_path():
    """Locate de421.bsp inside an installed package (no network)."""
    for pkg, rel in (("skyfield_data", "data/de421.bsp"), ("de421", "de421.bsp")):
        try:
            p = files(pkg).joinpath(rel)
        except ModuleNotFoundError:
            continue
        if p.is_file():
            return str(p)
    raise SystemExit("de421.bsp not found: pip install skyfield-data")


def main():
    rng = np.random.default_rng(SEED)
    span_us = int((T1 - T0) / timedelta(microseconds=1))
    offsets = np.sort(rng.integers(0, span_us, size=N))
    instants = [T0 + timedelta(microseconds=int(u)) for u in offsets]

    ts = load.timescale(builtin=True)
    eph = load_file(de421_path())
    earth, sun = eph["earth"], eph["sun"]
    t = ts.from_datetimes(instants)
    app = earth.at(t).observe(sun).apparent()
    xyz = app.frame_xyz(true_equator_and_equinox_of_date).km  # (3, N)
    dist = np.sqrt((xyz ** 2).sum(axis=0))
    unit = xyz / dist

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["utc_iso", "x", "y", "z", "distance_km"])
        for i, dt in enumerate(instants):
            iso = dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            w.writerow([iso] + [repr(float(v)) for v in unit[:, i]] + [repr(float(dist[i]))])
    print(f"wrote {OUT}: {N} rows, {instants[0]} .. {instants[-1]} "
          f"(skyfield {skyfield.__version__}, {eph.filename if hasattr(eph, 'filename') else 'de421'})")


if __name__ == "__main__":
    main()
