"""A 1 000-run Monte-Carlo study on a Dask cluster: how likely is the constellation
to complete its daily cloud-detection quota under radiation restarts, for each
battery size?

Each run simulates one day of ``examples/monte_carlo.toml`` (six cubesats imaging
every 10 s over three regions, a 30-s-per-tile model on an iX5-class computer, a
power-limited bus). A sweep varies the battery capacity on a grid and draws the
single-event restart rate log-uniformly between 1e-4 and 1e-2 per second (quiet
Sun to a storm); every run has its own seed from one master seed. The quota is
met when at least 99 % of the day's captured tiles have been through the model.

Run (needs ``pip install "dask[distributed]" matplotlib``)::

    python examples/monte_carlo_dask.py                  # LocalCluster, 2 workers, 1 000 runs
    python examples/monte_carlo_dask.py --runs 40        # a quick look
    python examples/monte_carlo_dask.py --scheduler tcp://host:8786   # an existing cluster

Writes ``monte_carlo.csv`` (one row per run) and ``monte_carlo.png`` into ``--out``.

What it found (1 000 runs, seed 2024): the quota is met in 93-97 % of the runs at 10, 20
and 80 Wh -- misses come from restart rates above ~5e-3/s -- but in none at 40 Wh. There,
one spacecraft's battery sits for hours between the computer's 30 % floor and the
energy-aware policy's 70 % threshold, so it defers work for power (~6 h) and ends the day
with ~34 tiles still queued (none lost). Smaller batteries fill in sunlight and large ones
stay above the threshold: a policy effect worth knowing before flight.
"""

from __future__ import annotations

import argparse
import math
import pathlib

import numpy as np

import orbitedge as oe

ROOT = pathlib.Path(__file__).resolve().parents[1]
CAPACITIES_WH = [10.0, 20.0, 40.0, 80.0]
QUOTA = 0.99  # share of the day's captured tiles that must be processed


def quota_metrics(sim: oe.Simulation) -> dict[str, float]:
    """A run's results (module level, so it pickles by reference to the workers)."""
    totals = sim.summary()["totals"]
    captured = max(totals["images_captured"], 1)
    completion = totals["images_inferred"] / captured
    return {
        "tiles_captured": float(totals["images_captured"]),
        "tiles_inferred": float(totals["images_inferred"]),
        "completion": completion,
        "quota_met": float(completion >= QUOTA),
        "restarts": float(totals["restarts"]),
        "jobs_preempted": float(totals["jobs_preempted"]),
        "min_soc": totals["min_soc"],
    }


def log_uniform_restart_rate(rng: np.random.Generator) -> float:
    return float(10 ** rng.uniform(-4.0, -2.0))


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % confidence interval of a proportion (Wilson score)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def plot(table: dict[str, np.ndarray], path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    capacity = table["bus.power.battery.capacity_wh"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    probabilities, lows, highs = [], [], []
    for c in CAPACITIES_WH:
        met = table["quota_met"][capacity == c]
        low, high = wilson_interval(int(met.sum()), len(met))
        probabilities.append(met.mean() if len(met) else np.nan)
        lows.append(low)
        highs.append(high)
    p = np.array(probabilities)
    left.errorbar(CAPACITIES_WH, p, yerr=[p - np.array(lows), np.array(highs) - p], fmt="o-", capsize=4)
    left.set_xscale("log")
    left.set_xticks(CAPACITIES_WH, [f"{c:g}" for c in CAPACITIES_WH])
    left.set_xticks([], minor=True)
    left.set_ylim(-0.05, 1.05)
    left.set_xlabel("battery capacity (Wh)")
    left.set_ylabel(f"P(≥ {QUOTA:.0%} of the day's tiles processed)")
    left.set_title("Daily quota met (95 % Wilson intervals)")
    for c in CAPACITIES_WH:
        chosen = capacity == c
        right.scatter(table["bus.radiation.restart_per_s"][chosen], table["completion"][chosen], s=8, label=f"{c:g} Wh")
    right.axhline(QUOTA, color="grey", linestyle="--", linewidth=1, label="quota")
    right.set_xscale("log")
    right.set_xlabel("single-event restart rate (1/s)")
    right.set_ylabel("share of captured tiles processed")
    right.set_title("Completion per run")
    right.legend(title="battery", fontsize=8)
    fig.suptitle(f"orbitedge Monte-Carlo: {len(capacity)} one-day runs of a six-satellite constellation")
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="total runs (split over the battery sizes)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler (default: a LocalCluster)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", default="orbitedge-monte-carlo")
    args = parser.parse_args()

    from distributed import Client, LocalCluster  # optional dependency: pip install "dask[distributed]"

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scenario = oe.Scenario.load(ROOT / "examples" / "monte_carlo.toml")
    parameters = {
        "bus.power.battery.capacity_wh": CAPACITIES_WH,
        "bus.radiation.restart_per_s": log_uniform_restart_rate,
    }
    per_capacity = max(1, args.runs // len(CAPACITIES_WH))
    if args.scheduler:
        cluster = None
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        result = oe.sweep(
            scenario, parameters, runs=per_capacity, seed=args.seed, metrics=quota_metrics, client=client, progress=True
        )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    table = result.to_columns()
    with open(out / "monte_carlo.csv", "w") as f:
        f.write(",".join(table) + "\n")
        for k in range(len(result)):
            f.write(",".join(str(table[name][k]) for name in table) + "\n")
    plot(table, out / "monte_carlo.png")

    capacity = table["bus.power.battery.capacity_wh"]
    print(f"{len(result)} runs, {table['wall_s'].sum():.0f} s of simulation on {args.workers} workers")
    print("battery Wh  runs  P(quota met)  95 % interval    mean completion")
    for c in CAPACITIES_WH:
        met = table["quota_met"][capacity == c]
        low, high = wilson_interval(int(met.sum()), len(met))
        print(f"{c:10g}  {len(met):4d}  {met.mean():12.3f}  [{low:.3f}, {high:.3f}]   "
              f"{table['completion'][capacity == c].mean():.4f}")
    print(f"wrote {out / 'monte_carlo.csv'} and {out / 'monte_carlo.png'}")


if __name__ == "__main__":
    main()
