"""Decentralised learning over inter-satellite links, written against the flight verbs.

PASEOS's learning examples, the orbitedge way. Four 6U-class spacecraft (Walker 4/2/0,
550 km, 97.6°: two counter-rotating planes whose members meet near the poles) each hold
a small numpy MLP (48 → 192 → 10, 11 338 float32 weights, 45 kB) and their own non-IID
share of a synthetic ten-class data set (two Gaussian clusters per class): 90 % of
spacecraft k's 600 samples are of the classes c with c mod 4 = k.

The flight application, :func:`app`, uses only the verbs (``state``, ``may_run``,
``start``, ``wait_for``, ``events``, ``write_data``, ``send``), so the same function
runs on an in-process :class:`orbitedge.Simulation` and on a rehearsal
:class:`orbitedge.rehearsal.Client` of ``orbitedge serve``. For each spacecraft:

- **Train while the battery allows.** A round is ``start(sc, "train", P, duration_s=300)``
  with P the Unibap iX5's busy power from its device profile (18 W), started only when
  ``may_run`` says the battery stays above its floor for the round. The engine ends the
  load after 300 s; the weights change when the round has ended (one epoch of minibatch
  SGD over the spacecraft's own data). When a round is refused the spacecraft retries
  every 120 s, or at once when a peer comes into view.
- **Exchange after each round (gossip).** When a peer is in view (``state().in_view``)
  and the link window (planned up front with :func:`orbitedge.link_windows`) has time
  left for the weights' bytes at the link rate, plus 20 % and 30 s, the spacecraft writes
  its weights to its ``models`` partition and ``send``\\ s them (at most once per peer
  and window; the transfer times out where the window ends). A radio moves one transfer
  at a time, the others waiting their turn, so the spacecraft does not send while its
  own radio or the peer's is moving one (the app makes every send, so it knows): a send
  queued behind another could not count on the window's time left. When
  ``transfer_completed`` arrives (it is logged on both ends; the first ends the
  transfer) the receiver averages the sender's weights (as they were when sent) with
  its own: decentralised federated averaging, no server and no synchronisation.

The link is a low-rate UHF crosslink (1 200 bit/s, as AX.25 amateur radios), 4 W on each
end while it carries data, so the model's 45 kB take 302 s of the 630-680 s windows: a
window carries one transfer (when both ends of the pair finish a round in it, the first
to send takes it and the other lets it pass: ``busy``), and a spacecraft that finishes
its round late in a window (or in the 341 s window already open at the start) lets it
pass (``short``). The battery (30 Wh, half charged, floor 20 %) rations training in
eclipse.

Run (after ``./scripts/check.sh`` or ``maturin develop``)::

    python examples/decentralised_learning.py                   # 3 simulated hours, ~10 s
    python examples/decentralised_learning.py --hours 12 --out dl
    python examples/decentralised_learning.py --serve           # the same app against `orbitedge serve`

Each run also trains without exchanges (same spacecraft, same data, same battery
rules) for comparison. Prints one row per spacecraft (rounds trained, energy spent
training, exchanges received, transfers and bytes sent, windows let pass, final accuracy
on a balanced held-out set, with and without exchanges) and the exchanges; writes
``decentralised_learning.json`` (the table), ``exchanges.csv`` and, when matplotlib is
installed, ``learning_curve.png`` into ``--out``. The in-process run is the same on
every run, bit for bit (seeded numpy, event-driven engine).

``--serve`` writes the same spacecraft as a scenario (``decentralised_learning.toml``
in ``--out``), starts ``orbitedge serve`` on it (``orbitedge`` on PATH or
``$ORBITEDGE_BIN``) paced at ``--multiplier`` and runs :func:`app` on its ``Client``.
Against the wall clock the application's own computing takes simulated time too, so its
decisions are not those of the in-process run.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime as dt
import json
import math
import os
import pathlib
from typing import Any, Iterable

if __name__ == "__main__":
    # The matrices are tiny: BLAS threads only contend (twice as slow on a busy 2-core machine).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import orbitedge as oe  # noqa: E402

START = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
WALKER = {"total": 4, "planes": 2, "phasing": 0, "altitude_km": 550.0, "inclination_deg": 97.6}
PREFIX = "sat"
PARTITION = "models"
# A small battery (a 3U-class pack on a 6U bus) so that training is rationed in eclipse.
POWER = {
    "solar_array": {"area_m2": 0.1, "efficiency": 0.3},
    "battery": {"capacity_wh": 30.0, "initial_soc": 0.5, "min_soc": 0.2},
    "bus_load_w": 8.0,
}
RATE_BPS = 1_200.0
ISL = {
    "name": "isl",
    "rate": {"model": "fixed", "rate_bps": RATE_BPS},
    "transmit_power_w": 4.0,
    "inter_satellite": True,
    "max_range_km": None,
}
STORAGE = {"capacity_bytes": 1e9, "partitions": [{"name": PARTITION}]}
DEVICE = "unibap-ix5"

# The learning problem.
CLASSES, FEATURES, HIDDEN = 10, 48, 192
SAMPLES_PER_SPACECRAFT, TEST_PER_CLASS = 600, 50
HOME_SHARE = 0.9  # share of a spacecraft's samples from its own classes
LEARNING_RATE, BATCH = 0.1, 32

# The application's rules.
ROUND_S = 300.0  # one training round
RETRY_S = 120.0  # after a refused round
WINDOW_MARGIN, WINDOW_GUARD_S = 1.2, 30.0  # a window must hold 1.2 x the transfer + 30 s
WAKE_KINDS = ["activity_ended", "transfer_completed", "transfer_incomplete", "link_started"]
PAGE = 1_000  # the rehearsal feed's largest answer


# -- the spacecraft ------------------------------------------------------------


def satellites() -> list[oe.Satellite]:
    """The four orbits (two-body, so that the planned windows are the engine's)."""
    w = WALKER
    return oe.walker_delta(w["total"], w["planes"], w["phasing"], w["altitude_km"], w["inclination_deg"],
                           START, propagator="kepler", prefix=PREFIX)


def simulation(seed: int = 1, sats: list[oe.Satellite] | None = None) -> oe.Simulation:
    """The in-process simulation: the spacecraft with an inter-satellite radio each."""
    fleet = [oe.Spacecraft(s.name, orbit=s, power=POWER, radios=[ISL], storage=STORAGE)
             for s in (sats or satellites())]
    return oe.Simulation(START, spacecraft=fleet, stations=[], seed=seed)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items() if v is not None) + " }"
    raise TypeError(f"no TOML for {value!r}")


def scenario_toml(hours: float, seed: int = 1) -> str:
    """The same spacecraft as a scenario file, for ``orbitedge serve``."""
    walker = "\n".join(f"{k} = {_toml(v)}" for k, v in WALKER.items())
    return f"""# Written by examples/decentralised_learning.py: the spacecraft of its in-process run.
name = "decentralised-learning"
seed = {int(seed)}
start = "{START.strftime('%Y-%m-%dT%H:%M:%SZ')}"
duration_h = {_toml(hours)}
telemetry_interval_s = 60.0

[[satellites]]
source = "walker"
prefix = "{PREFIX}"
{walker}
model = "kepler"

[bus]
preset = "none"
power = {_toml(POWER)}
storage = {_toml(STORAGE)}
radios = [{_toml(ISL)}]

[outputs]
dir = "decentralised-learning-rehearsal"
plots = false
"""


@dataclasses.dataclass(frozen=True)
class Window:
    """A planned inter-satellite window, in seconds from the start."""

    a: str
    b: str
    start_s: float
    end_s: float


def plan_windows(sats: list[oe.Satellite], hours: float) -> list[Window]:
    """Every pair's line-of-sight windows (80 km grazing altitude, as the engine) up to the end."""
    end = START + dt.timedelta(hours=hours)
    return [Window(w.satellite_a, w.satellite_b, (w.start - START).total_seconds(), (w.end - START).total_seconds())
            for w in oe.link_windows(sats, START, end, max_range_km=ISL["max_range_km"])]


# -- the learning problem --------------------------------------------------------


@dataclasses.dataclass
class Data:
    train: dict[str, tuple[np.ndarray, np.ndarray]]
    test_x: np.ndarray
    test_y: np.ndarray


def make_data(names: list[str], seed: int = 0) -> Data:
    """Ten classes, each two Gaussian clusters in 96 dimensions (not linearly separable);
    spacecraft k draws 90 % of its samples from the classes c with c mod n = k."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 1.0, (CLASSES, 2, FEATURES)).astype(np.float32) * 0.6

    def draw(labels: np.ndarray) -> np.ndarray:
        cluster = rng.integers(0, 2, labels.size)
        noise = rng.normal(0.0, 1.0, (labels.size, FEATURES)).astype(np.float32)
        return centres[labels, cluster] + noise

    train = {}
    n = len(names)
    for k, name in enumerate(names):
        home = np.array([c for c in range(CLASSES) if c % n == k])
        away = np.array([c for c in range(CLASSES) if c % n != k])
        n_home = int(round(HOME_SHARE * SAMPLES_PER_SPACECRAFT))
        labels = np.concatenate([rng.choice(home, n_home), rng.choice(away, SAMPLES_PER_SPACECRAFT - n_home)])
        train[name] = (draw(labels), labels)
    test_y = np.repeat(np.arange(CLASSES), TEST_PER_CLASS)
    return Data(train, draw(test_y), test_y)


SHAPES = [(FEATURES, HIDDEN), (HIDDEN,), (HIDDEN, CLASSES), (CLASSES,)]
SIZES = [math.prod(s) for s in SHAPES]


def initial_weights(seed: int = 0) -> np.ndarray:
    """One flat float32 vector (the bytes sent); every spacecraft starts from the same."""
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0.0, math.sqrt(2.0 / FEATURES), SHAPES[0])
    w2 = rng.normal(0.0, math.sqrt(1.0 / HIDDEN), SHAPES[2])
    return np.concatenate([w1.ravel(), np.zeros(HIDDEN), w2.ravel(), np.zeros(CLASSES)]).astype(np.float32)


def _unpack(w: np.ndarray) -> list[np.ndarray]:
    parts, at = [], 0
    for shape, size in zip(SHAPES, SIZES):
        parts.append(w[at:at + size].reshape(shape))
        at += size
    return parts


MODEL_BYTES = float(initial_weights().nbytes)


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    w1, b1, w2, b2 = _unpack(w)
    return (np.maximum(x @ w1 + b1, 0.0) @ w2 + b2).argmax(axis=1)


def accuracy(w: np.ndarray, data: Data) -> float:
    return float((predict(w, data.test_x) == data.test_y).mean())


def train_epoch(w: np.ndarray, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One epoch of minibatch SGD (softmax cross-entropy); returns new weights."""
    w = w.copy()
    w1, b1, w2, b2 = _unpack(w)  # views into w
    order = rng.permutation(len(y))
    for at in range(0, len(y), BATCH):
        idx = order[at:at + BATCH]
        xb, yb = x[idx], y[idx]
        h = np.maximum(xb @ w1 + b1, 0.0)
        logits = h @ w2 + b2
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(yb)), yb] -= 1.0
        g = p / len(yb)
        gh = (g @ w2.T) * (h > 0)
        w2 -= LEARNING_RATE * (h.T @ g)
        b2 -= LEARNING_RATE * g.sum(axis=0)
        w1 -= LEARNING_RATE * (xb.T @ gh)
        b1 -= LEARNING_RATE * gh.sum(axis=0)
    return w


# -- the flight application --------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """What the application did, per spacecraft, and its learning curves."""

    names: list[str]
    weights: dict[str, np.ndarray]
    rounds: dict[str, int]
    refused: dict[str, int]
    training_wh: dict[str, float]
    received: dict[str, int]  # exchanges: peers' weights averaged in
    sent: dict[str, int]  # transfers completed
    bytes_sent: dict[str, float]
    written: dict[str, float]  # bytes of weights written to storage (for sending)
    skipped_short: dict[str, int]  # windows let pass: too little time left
    skipped_busy: dict[str, int]  # sends put off: this spacecraft's or the peer's radio was moving a transfer
    curves: dict[str, list[tuple[float, float]]]  # (elapsed_s, accuracy)
    exchanges: list[dict[str, Any]]  # every send, with its outcome
    accuracy: dict[str, float]


def _drain(link: Any, cursor: int) -> tuple[list[Any], int]:
    """Everything logged after ``cursor`` (pages of the rehearsal feed included)."""
    events: list[Any] = []
    while True:
        page = link.events(since=cursor)
        events += page
        cursor += len(page)
        if len(page) < PAGE:
            return events, cursor


def app(
    link: Any,
    names: list[str],
    windows: Iterable[Window],
    data: Data,
    *,
    hours: float,
    exchange: bool = True,
    seed: int = 0,
    busy_w: float | None = None,
    isl_power_w: float = ISL["transmit_power_w"],
    rate_bps: float = RATE_BPS,
    round_s: float = ROUND_S,
    retry_s: float = RETRY_S,
) -> Outcome:
    """Train, exchange and average on every spacecraft of ``names`` until ``hours`` after the
    start. ``link`` is an in-process :class:`orbitedge.Simulation` or a rehearsal ``Client``;
    only the flight verbs are used. ``exchange=False`` trains alone (no ``send``)."""
    if busy_w is None:
        busy_w = float(oe.device_profile(DEVICE)["power_busy_w"]["value"])
    plan: dict[frozenset[str], list[Window]] = {}
    for w in windows:
        plan.setdefault(frozenset((w.a, w.b)), []).append(w)
    need_s = MODEL_BYTES * 8.0 / rate_bps  # both ends' radios have this rate
    end_s = hours * 3_600.0

    def zero(v: Any = 0) -> dict[str, Any]:
        return {n: v for n in names}

    weights = {n: initial_weights(seed) for n in names}
    rngs = {n: np.random.default_rng([seed, k]) for k, n in enumerate(names)}
    start_acc = accuracy(weights[names[0]], data)
    out = Outcome(list(names), weights, zero(), zero(), zero(0.0), zero(), zero(), zero(0.0), zero(0.0), zero(),
                  zero(), {n: [(0.0, start_acc)] for n in names}, [], {})
    training: dict[str, float] = {}  # spacecraft -> when its round started
    next_try = {n: 0.0 for n in names}
    # transfer id -> (from, to, weights sent) until its end is seen: the app makes every send, so
    # these are all the transfers under way (and, on a Client, perhaps some that just ended).
    in_flight: dict[str, tuple[str, str, np.ndarray]] = {}
    offered: set[tuple[str, str, float]] = set()  # (from, to, window start): once per window
    _, cursor = _drain(link, 0)

    def offer(sc: str, in_view: list[str], now: float) -> None:
        """Send the weights to a peer in view whose window still holds the transfer, when neither
        radio is moving one: a radio serves its transfers one after the other, so a send queued
        behind another could not count on the window's time left."""
        for peer in sorted(p for p in in_view if p in weights and p != sc):
            window = next((w for w in plan.get(frozenset((sc, peer)), []) if w.start_s - 1.0 <= now < w.end_s), None)
            if window is None or (sc, peer, window.start_s) in offered:
                continue
            busy = {who for src, dst, _ in in_flight.values() for who in (src, dst)}
            if sc in busy or peer in busy:
                out.skipped_busy[sc] += 1  # asked again at the next decision, while the window lasts
                continue
            left_s = window.end_s - now
            if left_s < WINDOW_MARGIN * need_s + WINDOW_GUARD_S:
                offered.add((sc, peer, window.start_s))  # it only gets shorter
                out.skipped_short[sc] += 1
                continue
            if not link.may_run(sc, "isl", isl_power_w, duration_s=need_s):
                continue  # the battery says no: ask again at the next decision
            offered.add((sc, peer, window.start_s))
            stored = link.write_data(sc, MODEL_BYTES, partition=PARTITION)
            out.written[sc] += stored
            if stored < MODEL_BYTES:
                continue  # storage full: what was written stays there
            tid = link.send(sc, peer, MODEL_BYTES, partition=PARTITION, timeout_s=left_s)
            in_flight[tid] = (sc, peer, weights[sc].copy())
            out.exchanges.append({"transfer": tid, "from": sc, "to": peer, "bytes": MODEL_BYTES,
                                  "sent_at_s": now, "window_end_s": window.end_s, "status": "active"})

    while True:
        now = link.state(names[0]).elapsed_s
        if now >= end_s:
            break
        for sc in names:
            if sc in training or next_try[sc] > now:
                continue
            state = link.state(sc)
            if not state.alive:
                next_try[sc] = math.inf
                continue
            if exchange and out.rounds[sc] > 0:  # after its first round: nothing to share before
                offer(sc, state.in_view, now)
            if now + round_s <= end_s and link.may_run(sc, "train", busy_w, duration_s=round_s):
                link.start(sc, "train", busy_w, duration_s=round_s)
                training[sc] = now
            else:
                if now + round_s <= end_s:
                    out.refused[sc] += 1
                next_try[sc] = now + retry_s
        # A round ends with an activity_ended, one of WAKE_KINDS. The rounds' ends bound the wait
        # too (plus 1 s to be fed) because a Client's wait_for only sees events fed after the call:
        # one logged while the app was deciding would otherwise wait for the next.
        wake = min([next_try[n] for n in names if n not in training]
                   + [began + round_s + 1.0 for began in training.values()] + [end_s])
        if wake > now:
            link.wait_for(WAKE_KINDS, timeout_s=wake - now)
        events, cursor = _drain(link, cursor)
        for event in events:
            kind, sc, t = event.kind, event.spacecraft, event.elapsed_s
            info = event.data()
            if kind == "activity_started" and info.get("activity") == "train" and sc in training:
                training[sc] = t  # the engine's instant (a Client's `now` was read a little earlier)
            elif kind == "activity_ended" and info.get("activity") == "train" and sc in training:
                began = training.pop(sc)
                out.training_wh[sc] += busy_w * (t - began) / 3_600.0
                if info.get("reason") == "duration elapsed":
                    x, y = data.train[sc]
                    weights[sc] = train_epoch(weights[sc], x, y, rngs[sc])
                    out.rounds[sc] += 1
                    out.curves[sc].append((t, accuracy(weights[sc], data)))
                next_try[sc] = t
            elif kind in ("transfer_completed", "transfer_incomplete") and info.get("transfer") in in_flight:
                # Logged on both ends: the first seen ends the transfer (the other is not counted).
                tid = info["transfer"]
                src, dst, sent = in_flight.pop(tid)
                record = next(r for r in out.exchanges if r["transfer"] == tid)
                record.update(status="completed" if kind == "transfer_completed" else "incomplete", ended_at_s=t)
                if kind == "transfer_completed":
                    out.sent[src] += 1
                    out.bytes_sent[src] += float(info["bytes"])
                    out.received[dst] += 1
                    weights[dst] = ((weights[dst] + sent) * np.float32(0.5)).astype(np.float32)
                    out.curves[dst].append((t, accuracy(weights[dst], data)))
                else:
                    record.update(bytes_left=info.get("bytes_left"), reason=info.get("reason"))
            elif kind == "link_started":
                for who in (sc, info.get("peer")):
                    if who in next_try and who not in training:
                        next_try[who] = min(next_try[who], t)
    out.accuracy = {n: accuracy(weights[n], data) for n in names}
    return out


# -- the report --------------------------------------------------------------------


def table(gossip: Outcome, alone: Outcome) -> list[dict[str, Any]]:
    return [
        {
            "spacecraft": n,
            "rounds": gossip.rounds[n],
            "refused": gossip.refused[n],
            "training_wh": round(gossip.training_wh[n], 3),
            "exchanges": gossip.received[n],
            "transfers_sent": gossip.sent[n],
            "bytes_sent": gossip.bytes_sent[n],
            "windows_too_short": gossip.skipped_short[n],
            "radio_busy": gossip.skipped_busy[n],
            "accuracy": gossip.accuracy[n],
            "rounds_alone": alone.rounds[n],
            "accuracy_alone": alone.accuracy[n],
        }
        for n in gossip.names
    ]


def print_table(rows: list[dict[str, Any]], gossip: Outcome, hours: float) -> None:
    head = (f"{'spacecraft':<11} {'rounds':>6} {'refused':>7} {'train Wh':>8} {'exch.':>5} {'sent':>4} "
            f"{'bytes sent':>10} {'short':>5} {'busy':>4} {'accuracy':>8} {'alone':>6}")
    print(f"decentralised learning, {hours:g} h, model {MODEL_BYTES / 1e3:.0f} kB, link {RATE_BPS:g} bit/s "
          f"({MODEL_BYTES * 8 / RATE_BPS:.0f} s per transfer)")
    print(head)
    for r in rows:
        print(f"{r['spacecraft']:<11} {r['rounds']:>6} {r['refused']:>7} {r['training_wh']:>8.2f} {r['exchanges']:>5} "
              f"{r['transfers_sent']:>4} {r['bytes_sent']:>10.0f} {r['windows_too_short']:>5} {r['radio_busy']:>4} "
              f"{100 * r['accuracy']:>7.1f}% {100 * r['accuracy_alone']:>5.1f}%")
    print("(exch.: peers' weights averaged in; short: windows let pass, too little time left; busy: sends put "
          "off, a radio of the pair was moving a transfer; alone: accuracy when training without exchanges)")
    print(f"\n{'transfer':<8} {'from':<10} {'to':<10} {'sent h':>7} {'ended h':>7} {'status':<10}")
    for e in gossip.exchanges:
        ended = e.get("ended_at_s")
        print(f"{e['transfer']:<8} {e['from']:<10} {e['to']:<10} {e['sent_at_s'] / 3600:>7.3f} "
              f"{'' if ended is None else f'{ended / 3600:.3f}':>7} {e['status']:<10}")


def plot(gossip: Outcome, alone: Outcome, path: pathlib.Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for k, n in enumerate(gossip.names):
        colour = f"C{k}"
        t, a = zip(*gossip.curves[n])
        ax.step(np.array(t) / 3600, a, where="post", color=colour, label=f"{n} (exchanging)")
        t, a = zip(*alone.curves[n])
        ax.step(np.array(t) / 3600, a, where="post", color=colour, ls="--", alpha=0.6, label=f"{n} (alone)")
    for e in gossip.exchanges:
        if e["status"] == "completed":
            ax.axvline(e["ended_at_s"] / 3600, color="0.85", lw=0.8, zorder=0)
    ax.set(xlabel="hours since start", ylabel="held-out accuracy", ylim=(0, 1),
           title="Decentralised learning: gossip averaging over inter-satellite links")
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def write_outputs(out_dir: pathlib.Path, rows: list[dict[str, Any]], gossip: Outcome, alone: Outcome) -> list[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    (out_dir / "decentralised_learning.json").write_text(json.dumps({"spacecraft": rows}, indent=2) + "\n")
    written.append("decentralised_learning.json")
    with open(out_dir / "exchanges.csv", "w", newline="") as f:
        fields = ["transfer", "from", "to", "bytes", "sent_at_s", "ended_at_s", "window_end_s", "status",
                  "bytes_left", "reason"]
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(gossip.exchanges)
    written.append("exchanges.csv")
    if plot(gossip, alone, out_dir / "learning_curve.png"):
        written.append("learning_curve.png")
    return written


def run_in_process(hours: float, seed: int, exchange: bool = True) -> tuple[Outcome, oe.Simulation]:
    """The application on an in-process simulation; returns what it did and the simulation."""
    sats = satellites()
    names = [s.name for s in sats]
    sim = simulation(seed, sats)
    outcome = app(sim, names, plan_windows(sats, hours), make_data(names, seed), hours=hours,
                  exchange=exchange, seed=seed)
    return outcome, sim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0, help="simulated hours (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="decentralised-learning-out")
    parser.add_argument("--serve", action="store_true", help="run the app against `orbitedge serve`")
    parser.add_argument("--multiplier", type=float, default=600.0, help="with --serve: simulated s per wall s")
    args = parser.parse_args()
    out_dir = pathlib.Path(args.out)
    sats = satellites()
    names = [s.name for s in sats]
    windows = plan_windows(sats, args.hours)
    data = make_data(names, args.seed)
    if args.serve:
        from orbitedge.rehearsal import launch

        out_dir.mkdir(parents=True, exist_ok=True)
        scenario = out_dir / "decentralised_learning.toml"
        scenario.write_text(scenario_toml(args.hours, args.seed))
        results = []
        for exchange in (True, False):
            with contextlib.ExitStack() as stack:
                server = stack.enter_context(launch(scenario, multiplier=args.multiplier,
                                                    out=out_dir / ("served" if exchange else "served-alone")))
                client = stack.enter_context(server.client())
                results.append(app(client, names, windows, data, hours=args.hours, exchange=exchange,
                                   seed=args.seed))
        gossip, alone = results
    else:
        gossip, _ = run_in_process(args.hours, args.seed, exchange=True)
        alone, _ = run_in_process(args.hours, args.seed, exchange=False)
    rows = table(gossip, alone)
    print_table(rows, gossip, args.hours)
    files = write_outputs(out_dir, rows, gossip, alone)
    print(f"\nwrote {', '.join(files)} to {out_dir}/")


if __name__ == "__main__":
    main()
