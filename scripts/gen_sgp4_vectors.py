"""Generate SGP4 reference vectors from Vallado's verification TLEs.

What
    Writes ``tests/data/sgp4_vallado.json``: for every TLE in Vallado's
    ``SGP4-VER.TLE`` (the "verification test cases" of Vallado et al.,
    "Revisiting Spacetrack Report #3", AIAA 2006-6753), the TEME position
    (km) and velocity (km/s) at each requested time since epoch, or the
    SGP4 error code at the first time that fails.

Why
    The Rust SGP4 layer of orbitedge is tested against an implementation
    independent of it: python-sgp4 (Brandon Rhodes' wrapper around
    Vallado's C++ code), gravity model WGS72, opsmode 'i' (improved).

How
    The TLE file ships inside the python-sgp4 wheel (``sgp4/SGP4-VER.TLE``)
    next to ``tcppver.out``, the output of Vallado's own C++ test driver.
    Line 2 of each TLE carries start/stop/step minutes after column 69.
    The time list reproduces the one tcppver.out uses:

      * first ``t = 0`` (always, even when the range does not contain 0),
      * then ``start, start+step, ...`` while ``<= stop`` (``0`` is not
        repeated when ``start == 0``),
      * then ``stop`` itself if the grid did not land on it.

    Each time is propagated with ``Satrec.twoline2rv(l1, l2, WGS72)`` and
    ``sat.sgp4_tsince(t)``.  At the first non-zero error code the case is
    recorded as ``{"tsince_min", "error", "message"}`` and that satellite's
    list stops (as the reference driver does).

    The script checks itself against ``tcppver.out`` before writing: the
    satellites, the time lists and every state must agree.  With
    python-sgp4 2.27 all times match (to the file's 8 printed decimals),
    every velocity agrees to <= 1e-9 km/s and every position to
    <= 1e-8 km (max 5.03e-9 km, i.e. the rounding of the printed file),
    except the second SL-12 R/B (20413) block propagated ~1.84e6 minutes
    (3.5 years) from epoch, where float roundoff gives up to 1.2e-7 km
    (checked with a 2e-7 km tolerance there).  One reference quirk:
    satellite 33334 fails at t = 0 (error 3), and tcppver.out prints a
    stale copy of the previous data line there; that line is not compared.

    TLE lines are stored exactly as in the file (first 69 characters);
    their mod-10 checksums are NOT repaired.  ``checksum_ok`` records
    whether each line's checksum is valid (several are not).

Rerun
    python -m venv /tmp/ref && /tmp/ref/bin/pip install sgp4 skyfield numpy
    /tmp/ref/bin/python scripts/gen_sgp4_vectors.py
"""

import json
import math
from importlib.resources import files
from pathlib import Path

import sgp4
from sgp4.api import SGP4_ERRORS, WGS72, Satrec

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "data" / "sgp4_vallado.json"
POS_TOL_KM = 1.0e-8      # tcppver.out prints positions with 8 decimals
POS_TOL_FAR_KM = 2.0e-7  # ... but at |tsince| > 1e6 min roundoff grows
VEL_TOL_KM_S = 1.0e-9    # velocities printed with 9 decimals


def checksum_ok(line):
    """Mod-10 TLE checksum: digits count their value, '-' counts 1."""
    total = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68])
    return len(line) >= 69 and line[68].isdigit() and total % 10 == int(line[68])


def read_tles():
    """Yield (comment, line1, line2_69, start, stop, step) from SGP4-VER.TLE."""
    text = files("sgp4").joinpath("SGP4-VER.TLE").read_text("ascii")
    lines = text.replace("\r", "").split("\n")
    comment = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("1 "):
            l2 = lines[i + 1]
            start, stop, step = (float(f) for f in l2[69:].split())
            yield " ".join(comment), line[:69], l2[:69], start, stop, step
            comment = []
            i += 2
            continue
        if line.startswith("#") and "----" not in line:
            comment.append(line.lstrip("#").strip())
        i += 1


def time_list(start, stop, step):
    """The tsince list (minutes) used by Vallado's test driver / tcppver.out."""
    times = [0.0]
    t = start
    while t <= stop:
        if not (t == start == 0.0):
            times.append(t)
        t += step
    if t - stop < step - 1e-6:  # grid overshot: add the stop time itself
        times.append(stop)
    return times


def read_tcppver():
    """Return [(satnum, [(t, x, y, z, vx, vy, vz), ...]), ...] from tcppver.out."""
    text = files("sgp4").joinpath("tcppver.out").read_text("ascii")
    blocks = []
    for line in text.replace("\r", "").splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1] == "xx":
            blocks.append((int(fields[0]), []))
        elif fields:
            blocks[-1][1].append(tuple(float(f) for f in fields[:7]))
    return blocks


def dump(doc):
    """JSON with one case per line (compact but diff-friendly); floats use repr."""
    out = json.dumps({k: v for k, v in doc.items() if k != "satellites"}, indent=1)
    sats = []
    for s in doc["satellites"]:
        head = json.dumps({k: v for k, v in s.items() if k != "cases"}, indent=None)
        cases = ",\n".join("    " + json.dumps(c) for c in s["cases"])
        sats.append("  " + head[:-1] + ', "cases": [\n' + cases + "\n  ]}")
    return out[:-2] + ',\n "satellites": [\n' + ",\n".join(sats) + "\n ]\n}\n"


def main():
    satellites = []
    for comment, l1, l2, start, stop, step in read_tles():
        sat = Satrec.twoline2rv(l1, l2, WGS72)
        cases = []
        for t in time_list(start, stop, step):
            err, r, v = sat.sgp4_tsince(t)
            if err != 0:
                cases.append({"tsince_min": t, "error": err, "message": SGP4_ERRORS[err]})
                break
            cases.append({"tsince_min": t, "r_km": list(r), "v_km_s": list(v)})
        satellites.append({
            "satnum": sat.satnum,
            "comment": comment,
            "line1": l1,
            "line2": l2,
            "checksum_ok": [checksum_ok(l1), checksum_ok(l2)],
            "start_min": start, "stop_min": stop, "step_min": step,
            "cases": cases,
        })

    # ---- self-check against Vallado's C++ output ---------------------------
    ref = read_tcppver()
    assert len(ref) == len(satellites), (len(ref), len(satellites))
    max_dr = max_dv = 0.0
    for s, (satnum, rows) in zip(satellites, ref):
        assert s["satnum"] == satnum, (s["satnum"], satnum)
        good = [c for c in s["cases"] if "error" not in c]
        if s["cases"][0].get("error") is not None:
            # Reference prints a stale copy of the previous line here.
            assert len(rows) == 1 and rows[0][0] == 0.0 and not good
            continue
        assert len(rows) == len(good), satnum
        assert all(abs(row[0] - c["tsince_min"]) < 1e-8 for row, c in zip(rows, good)), satnum
        for c, row in zip(good, rows):
            dr = max(abs(a - b) for a, b in zip(c["r_km"], row[1:4]))
            dv = max(abs(a - b) for a, b in zip(c["v_km_s"], row[4:7]))
            tol = POS_TOL_KM if abs(c["tsince_min"]) < 1e6 else POS_TOL_FAR_KM
            assert dr <= tol and dv <= VEL_TOL_KM_S, (satnum, c["tsince_min"], dr, dv)
            max_dr, max_dv = max(max_dr, dr), max(max_dv, dv)
            assert all(math.isfinite(x) for x in c["r_km"] + c["v_km_s"])

    doc = {
        "source": "Vallado SGP4-VER.TLE verification cases (AIAA 2006-6753), "
                  "as shipped in the python-sgp4 wheel; time lists as in tcppver.out",
        "generator": f"python-sgp4 {sgp4.__version__}, WGS72, opsmode i "
                     f"(Satrec.twoline2rv + sgp4_tsince); scripts/gen_sgp4_vectors.py",
        "checked_against_tcppver": {"max_abs_pos_diff_km": max_dr,
                                    "max_abs_vel_diff_km_s": max_dv},
        "satellites": satellites,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(dump(doc))

    n_cases = sum(len(s["cases"]) for s in satellites)
    n_err = sum(1 for s in satellites for c in s["cases"] if "error" in c)
    n_bad = sum(not ok for s in satellites for ok in s["checksum_ok"])
    print(f"wrote {OUT}: {len(satellites)} satellites, {n_cases} cases "
          f"({n_err} error cases), {n_bad} lines with invalid checksum; "
          f"max |dr| vs tcppver {max_dr:.3g} km, max |dv| {max_dv:.3g} km/s")


if __name__ == "__main__":
    main()
