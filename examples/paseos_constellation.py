"""PASEOS's constellation study as a decision loop over orbitedge's flight verbs.

Sixteen LEO spacecraft (Walker 16/4/0, 550 km, 10°), a GEO relay and a ground station
on Gran Canaria (Maspalomas). Every 600 s each spacecraft processes (100 W) while its
state of charge is above 0.2 and its temperature below 330 K, and stands by (2 W)
otherwise. A processing spacecraft whose constraint fails stops there and stands by for
the rest of the 600 s, as PASEOS's ``advance_time(600, 100, constraint_function)``
followed by ``advance_time(remaining, 2)`` does. At each step the loop also records the
line of sight to the station and to the relay (PASEOS's known actors).

Run (after ``./scripts/check.sh`` or ``maturin develop``)::

    python examples/paseos_constellation.py                 # 2 simulated hours, seconds
    python examples/paseos_constellation.py --full          # PASEOS's 8 hours
    python examples/paseos_constellation.py --hours 24 --out study

Prints one row per spacecraft: shares of time processing, in shadow, in view of the
station and of the relay (sampled at each step, as PASEOS does; the exact shares, by
root finding, are in the last line), and the 5th/50th/95th percentiles of temperature
and state of charge. Writes ``paseos_constellation.json`` (the table) and, when
matplotlib is installed, ``paseos_constellation.png`` into ``--out``. The output is
the same on every run (the initial charges come from ``--seed``).

The parameters are those of PASEOS's Constellation example, as far as orbitedge's models
take them: a 100 000 Ws (27.8 Wh) lossless battery with no floor, charged at 50 W in
sunlight (a Sun-pointing array sized to 50 W at the day's irradiance; PASEOS charges at
a constant rate whenever it is out of eclipse), an initial charge of 10 000 Ws plus a
uniform draw up to 90 000 Ws; a 50 kg single-node thermal model (absorptance and
emissivity 1, 2 m² facing the Sun, 2 m² facing the Earth, 4 m² radiating, 1 000 J/kg/K,
starting at 273.15 K, half of the electrical load turned into heat); the station at
27.7629° N, 15.6338° W, 205.1 m, 5° minimum elevation. Differences that stay: orbitedge's
Sun irradiance follows the Sun's distance (about 1 407 W/m² in early January, PASEOS's
thermal model takes 1 360; ``--paseos-irradiance`` takes PASEOS's), its shadow has a penumbra, spacecraft see each other above
80 km of atmosphere (PASEOS: the bare Earth), and orbits start on WGS84's radius
(PASEOS's example adds the altitude to 6 371 km).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import pathlib

import numpy as np

import orbitedge as oe

START = dt.datetime(2023, 1, 4, 20, 0, tzinfo=dt.timezone.utc)  # PASEOS: "2023-Jan-04 20:00:00"
STEP_S = 600.0  # how often each spacecraft decides what to do
PROCESSING_W, STANDBY_W = 100.0, 2.0
SOC_MIN, T_MAX_K = 0.2, 330.0  # processing needs SoC > 0.2 and T < 330 K
CAPACITY_WH = 100_000 / 3600  # max_battery_level_in_Ws = 100 000
CHARGING_W = 50.0  # charging_rate_in_W
STATION, RELAY = "gran_canaria", "geo_relay"
EPS = 1e-6
PASEOS_IRRADIANCE_W_M2 = 1360.0  # PASEOS's thermal model, at any distance


def sun_distance_au(t: dt.datetime) -> float:
    """The Sun's distance (Astronomical Almanac's low-precision series), to size the array."""
    days = (t - dt.datetime(2000, 1, 1, 12, tzinfo=dt.timezone.utc)).total_seconds() / 86_400
    m = math.radians(357.5291092 + 0.98560028 * days)
    return 1.000140612 - 0.016708617 * math.cos(m) - 0.000139589 * math.cos(2 * m)


def initial_socs(seed: int, n: int = 16) -> list[float]:
    """PASEOS's ``10000 + rand() * 90000`` Ws of 100 000, from a seeded generator."""
    draws = np.random.default_rng(seed).random(n)
    return [float(x) for x in (10_000 + draws * 90_000) / 100_000]


def orbits() -> tuple[list[oe.Satellite], oe.Satellite]:
    """The 16 LEO satellites (two-body, like PASEOS's pykep orbits) and the GEO relay."""
    leo = oe.walker_delta(16, 4, 0, altitude_km=550.0, inclination_deg=10.0, epoch=START,
                          propagator="kepler", prefix="leo")
    geo = oe.Satellite.from_elements(START, a_km=6378.137 + 35_786.0, e=0.0, i_deg=0.0, raan_deg=0.0,
                                     argp_deg=0.0, mean_anomaly_deg=0.0, propagator="kepler", name=RELAY)
    return leo, geo


def station() -> oe.GroundStation:
    """Maspalomas, Gran Canaria, with PASEOS's example's 5° minimum elevation."""
    return oe.GroundStation(STATION, lat_deg=27.7629, lon_deg=-15.6338, alt_m=205.1, min_elevation_deg=5.0)


def simulation(seed: int = 0, telemetry_interval_s: float = 60.0,
               leo: list[oe.Satellite] | None = None, geo: oe.Satellite | None = None,
               paseos_irradiance: bool = False) -> oe.Simulation:
    """The study's simulation. ``paseos_irradiance``: the Sun at PASEOS's fixed 1 360 W/m²
    (``solar_constant_w_m2=1360, paseos_compatible=True``) instead of 1 361 W/m² × (1 AU / r)²."""
    if leo is None or geo is None:
        leo, geo = orbits()
    irradiance = PASEOS_IRRADIANCE_W_M2 if paseos_irradiance else 1361.0 / sun_distance_au(START) ** 2
    thermal = {"mass_kg": 50.0, "initial_temperature_k": 273.15, "absorptivity": 1.0, "emissivity": 1.0,
               "area_sun_m2": 2.0, "area_earth_m2": 2.0, "area_radiating_m2": 4.0,
               "heat_capacity_j_per_kg_k": 1000.0}
    radio = {"name": "Link1", "rate": {"model": "fixed", "rate_bps": 1e6}}  # bandwidth_in_kbps=1000
    fleet = []
    for sat, soc in zip(leo, initial_socs(seed, len(leo))):
        power = {"solar_array": {"area_m2": CHARGING_W / (irradiance * 0.3), "efficiency": 0.3,
                                 "degradation_per_year": 0.0},
                 "battery": {"capacity_wh": CAPACITY_WH, "initial_soc": soc, "charge_efficiency": 1.0,
                             "discharge_efficiency": 1.0, "min_soc": 0.0},
                 "bus_load_w": 0.0}  # the loop's loads are all there is
        fleet.append(oe.Spacecraft(sat.name, orbit=sat, power=power, thermal=thermal, radios=[radio]))
    # The relay has no power or thermal model (as in PASEOS) and no radio, so it holds no station.
    fleet.append(oe.Spacecraft(RELAY, orbit=geo))
    sun = {"solar_constant_w_m2": PASEOS_IRRADIANCE_W_M2, "paseos_compatible": True} if paseos_irradiance else {}
    return oe.Simulation(START, spacecraft=fleet, stations=[station()], seed=seed,
                         telemetry_interval_s=telemetry_interval_s, **sun)


def may_process(state) -> bool:
    """PASEOS's operational constraint (to a micro-charge: a stop is timed to reach 0.2)."""
    return state.state_of_charge > SOC_MIN + EPS and state.temperature_k < T_MAX_K


def hold_until(sim: oe.Simulation, processing: set[str], end_s: float, check_s: float) -> int:
    """Advance to ``end_s``; a processing spacecraft whose constraint fails switches to standby
    for the rest of the step. The charge is watched exactly (each wait ends where the charge
    would reach 0.2 at the current balance, or at a light change, which changes the balance);
    the temperature every ``check_s`` (PASEOS checks at each 10 s step). Returns how many
    spacecraft were switched."""
    switched = 0
    states = {sc: sim.state(sc) for sc in sorted(processing)}  # with the load just started
    while processing and sim.elapsed_s < end_s - EPS:
        now = sim.elapsed_s
        until = min(end_s, now + check_s)
        for sc in processing:
            balance_w = states[sc].power_available_w
            if balance_w < 0.0:
                to_floor_s = (states[sc].battery_wh - SOC_MIN * CAPACITY_WH) * 3600.0 / -balance_w
                until = min(until, now + to_floor_s)
        sim.wait_for("light_changed", timeout_s=max(until - now, EPS))
        for sc in sorted(processing):
            states[sc] = state = sim.state(sc)
            if not may_process(state) and "processing" in state.activities:
                sim.stop(sc, "processing")
                sim.start(sc, "standby", STANDBY_W, duration_s=end_s - sim.elapsed_s)
                processing.discard(sc)
                switched += 1
    step_end = START + dt.timedelta(seconds=end_s)
    if sim.now < step_end:  # the rest of the step (also the nanosecond a wait's rounding may leave)
        sim.wait_until(step_end)
    return switched


def fly(sim: oe.Simulation, names: list[str], steps: int, check_s: float = 10.0) -> list[dict]:
    """The study's loop: decide, record who sees the station and the relay, hold until the next step."""
    log = []
    for k in range(steps):
        processing, seen = set(), {}
        for sc in names:
            state = sim.state(sc)
            seen[sc] = (sim.line_of_sight(sc, STATION), sim.line_of_sight(sc, RELAY), state.sunlit_fraction)
            if may_process(state):
                sim.start(sc, "processing", PROCESSING_W, duration_s=STEP_S)
                processing.add(sc)
            else:
                sim.start(sc, "standby", STANDBY_W, duration_s=STEP_S)
        started = len(processing)
        switched = hold_until(sim, processing, (k + 1) * STEP_S, check_s)
        log.append({"t_s": k * STEP_S, "processing": started, "interrupted": switched, "seen": seen})
    return log


def processing_s(sim: oe.Simulation, names: list[str]) -> dict[str, float]:
    """Seconds each spacecraft processed, from the event log."""
    total, since = dict.fromkeys(names, 0.0), {}
    for e in sim.events(since=0):
        if e.kind in ("activity_started", "activity_ended") and e.data()["activity"] == "processing":
            if e.kind == "activity_started":
                since[e.spacecraft] = e.elapsed_s
            else:
                total[e.spacecraft] += e.elapsed_s - since.pop(e.spacecraft)
    for sc, t0 in since.items():  # still on at the end
        total[sc] += sim.elapsed_s - t0
    return total


def merged_s(intervals: list[tuple[float, float]]) -> float:
    """Length of a union of intervals, s."""
    length, end = 0.0, -math.inf
    for a, b in sorted(intervals):
        if b > end:
            length += b - max(a, end)
            end = b
    return length


def summarise(sim: oe.Simulation, log: list[dict], leo: list[oe.Satellite], geo: oe.Satellite) -> dict:
    names = [s.name for s in leo]
    end = sim.now
    span_s = sim.elapsed_s
    offset = lambda t: (t - START).total_seconds()  # noqa: E731
    shadow = {n: [] for n in names}
    for e in oe.eclipse_intervals(leo, START, end):  # umbra and penumbra, by root finding
        shadow[e.satellite].append((offset(e.start), offset(e.end)))
    contact = {n: [] for n in names}
    for w in oe.access_windows(leo, [station()], START, end):
        contact[w.satellite].append((offset(w.rise), offset(w.set)))
    relay = {n: [] for n in names}
    for w in oe.link_windows(leo + [geo], START, end):
        if RELAY in (w.satellite_a, w.satellite_b):
            other = w.satellite_b if w.satellite_a == RELAY else w.satellite_a
            relay[other].append((offset(w.start), offset(w.end)))
    busy = processing_s(sim, names)
    tel = sim.telemetry()
    rows = []
    for n in names:
        mine = tel["spacecraft"] == n
        t5, t50, t95 = np.percentile(tel["temperature_k"][mine], [5, 50, 95])
        s5, s50, s95 = np.percentile(tel["soc"][mine], [5, 50, 95])
        rows.append({
            "spacecraft": n,
            "processing": busy[n] / span_s,
            "shadow": merged_s(shadow[n]) / span_s,
            "station_step": float(np.mean([step["seen"][n][0] for step in log])),
            "relay_step": float(np.mean([step["seen"][n][1] for step in log])),
            "station_exact": merged_s(contact[n]) / span_s,
            "relay_exact": merged_s(relay[n]) / span_s,
            "T_k": [float(t5), float(t50), float(t95)],
            "soc": [float(s5), float(s50), float(s95)],
        })
    return {"start": START.isoformat(), "hours": span_s / 3600, "steps": len(log), "spacecraft": rows}


def print_table(summary: dict) -> None:
    rows = summary["spacecraft"]
    print(f"PASEOS constellation study in orbitedge: {len(rows)} LEO + relay + {STATION}, "
          f"{summary['hours']:g} h from {summary['start']}, {summary['steps']} steps of {STEP_S:.0f} s")
    print(f"{'shares of time:':<15} {'proc':>6} {'eclip':>6} {'gs':>6} {'relay':>6}   "
          f"{'T K p5/p50/p95':>17}   {'SoC p5/p50/p95':>14}")
    for r in rows:
        print(f"{r['spacecraft']:<15} {r['processing']:6.1%} {r['shadow']:6.1%} {r['station_step']:6.1%} "
              f"{r['relay_step']:6.1%}   {'/'.join(f'{x:.0f}' for x in r['T_k']):>17}   "
              f"{'/'.join(f'{x:.2f}' for x in r['soc']):>14}")
    mean = lambda key: float(np.mean([r[key] for r in rows]))  # noqa: E731
    print(f"{'mean':<15} {mean('processing'):6.1%} {mean('shadow'):6.1%} {mean('station_step'):6.1%} "
          f"{mean('relay_step'):6.1%}")
    print("proc: processing at 100 W; eclip: in umbra or penumbra; gs, relay: in line of sight at the steps")
    print(f"exact, by root finding: {STATION} in view {mean('station_exact'):.2%} of the time, "
          f"the relay {mean('relay_exact'):.2%}")


def plot(sim: oe.Simulation, log: list[dict], names: list[str], path: pathlib.Path) -> bool:
    try:
        import matplotlib
    except ModuleNotFoundError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tel = sim.telemetry()
    fig, (soc_ax, t_ax, count_ax) = plt.subplots(3, 1, figsize=(9, 8), sharex=True, constrained_layout=True)
    for n in names:
        mine = tel["spacecraft"] == n
        hours = (tel["time"][mine] - np.datetime64(START.replace(tzinfo=None))) / np.timedelta64(3600, "s")
        soc_ax.plot(hours, tel["soc"][mine], linewidth=0.8)
        t_ax.plot(hours, tel["temperature_k"][mine], linewidth=0.8)
    soc_ax.axhline(SOC_MIN, color="grey", linestyle="--", linewidth=1)
    t_ax.axhline(T_MAX_K, color="grey", linestyle="--", linewidth=1)
    soc_ax.set_ylabel("state of charge")
    t_ax.set_ylabel("temperature (K)")
    steps_h = [step["t_s"] / 3600 for step in log]
    count_ax.step(steps_h, [step["processing"] for step in log], where="post", label="processing", linewidth=2.5,
                  alpha=0.6)
    count_ax.step(steps_h, [sum(s[2] == 0.0 for s in step["seen"].values()) for step in log], where="post",
                  label="in umbra")
    count_ax.step(steps_h, [sum(s[1] for s in step["seen"].values()) for step in log], where="post",
                  label="relay in view")
    count_ax.step(steps_h, [sum(s[0] for s in step["seen"].values()) for step in log], where="post",
                  label="station in view")
    count_ax.set_ylabel(f"spacecraft (of {len(names)})")
    count_ax.set_xlabel("hours from start")
    count_ax.legend(fontsize=8, ncol=4)
    fig.suptitle("PASEOS constellation study, with orbitedge's flight verbs")
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return True


def study(hours: float, seed: int = 0, check_s: float = 10.0, telemetry_interval_s: float = 60.0,
          paseos_irradiance: bool = False):
    """Build, fly and summarise; returns (summary, simulation, log)."""
    leo, geo = orbits()
    sim = simulation(seed, telemetry_interval_s, leo, geo, paseos_irradiance)
    names = [s.name for s in leo]
    log = fly(sim, names, steps=max(1, round(hours * 3600 / STEP_S)), check_s=check_s)
    return summarise(sim, log, leo, geo), sim, log


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0, help="simulated hours (default 2)")
    parser.add_argument("--full", action="store_true", help="PASEOS's 8 hours")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial charges")
    parser.add_argument("--check-s", type=float, default=10.0, help="how often the temperature is checked, s")
    parser.add_argument("--out", default="paseos-constellation-out", help="output directory")
    parser.add_argument("--paseos-irradiance", action="store_true",
                        help="the Sun at PASEOS's fixed 1 360 W/m² (solar_constant_w_m2, paseos_compatible)")
    args = parser.parse_args(argv)
    summary, sim, log = study(8.0 if args.full else args.hours, args.seed, args.check_s,
                              paseos_irradiance=args.paseos_irradiance)
    print_table(summary)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "paseos_constellation.json").write_text(json.dumps(summary, indent=1) + "\n")
    wrote = ["paseos_constellation.json"]
    if plot(sim, log, [r["spacecraft"] for r in summary["spacecraft"]], out / "paseos_constellation.png"):
        wrote.append("paseos_constellation.png")
    print(f"wrote {', '.join(wrote)} to {out}")
    return summary


if __name__ == "__main__":
    main()
