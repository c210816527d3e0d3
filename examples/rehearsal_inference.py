"""A flight application rehearsed against ``orbitedge serve``.

The application is what would run on the spacecraft's iX5-class computer: it takes
image tiles (synthetic here, with known truth), runs the real ukis-csmask cloud detector on each (ONNX, run by tract
through ``orbitedge.OnnxModel``), and keeps the masks. Before each tile it asks the
simulator whether the spacecraft can afford the inference now (battery floor over the
expected duration, working spacecraft); while the model runs it reports the
computer's busy power; afterwards it writes the mask to storage. When the simulator
says no, the application waits for the next event (eclipse exit, window, ...) instead
of polling.

Two terminals::

    orbitedge serve examples/rehearsal.toml --multiplier 60
    python examples/rehearsal_inference.py --url http://127.0.0.1:8642

or one, letting the example start the server (``orbitedge`` on PATH or ``$ORBITEDGE_BIN``)::

    python examples/rehearsal_inference.py --tiles 8

The model is ``models/ukis-csmask-4b-l1c-fp32.onnx`` when present (``./scripts/check.sh``
prepares it), else fetched from PyPI on first use.
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import time

import numpy as np

import orbitedge as oe
from orbitedge.rehearsal import Client, launch

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOCAL_MODEL = ROOT / "models" / "ukis-csmask-4b-l1c-fp32.onnx"
TILE_PX = 256
CLOUD_CLASS = 1  # output classes: clear, cloud, cloud shadow
MAX_CLOUD_FRACTION = 0.7
IMAGE_BYTES = 4 * TILE_PX * TILE_PX * 12 / 8  # 4 bands, 12 bits per pixel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running `orbitedge serve` (default: start one)")
    parser.add_argument("--scenario", default=str(ROOT / "examples" / "rehearsal.toml"))
    parser.add_argument("--multiplier", type=float, default=60.0, help="when starting the server")
    parser.add_argument("--spacecraft", help="which spacecraft the application flies on (default: the first)")
    parser.add_argument("--tiles", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="orbitedge-rehearsal", help="server's log and report (when started here)")
    args = parser.parse_args()

    model_path = str(LOCAL_MODEL) if LOCAL_MODEL.is_file() else "ukis-csmask:4b-l1c"
    model = oe.OnnxModel(model_path, input_shape=[1, 4, TILE_PX, TILE_PX])
    busy_w = oe.device_profile("unibap-ix5")["power_busy_w"]["value"]
    rng = np.random.default_rng(args.seed)

    with contextlib.ExitStack() as stack:
        if args.url:
            sim = stack.enter_context(Client(args.url))
        else:
            server = stack.enter_context(launch(args.scenario, multiplier=args.multiplier, out=args.out))
            print(f"started {server.url}")
            sim = stack.enter_context(server.client())
        multiplier = sim.clock()["multiplier"]
        spacecraft = args.spacecraft or sim.spacecraft()[0]
        expected_wall_s = 0.3  # first guess; then the last measured inference
        done = 0
        while done < args.tiles:
            state = sim.state(spacecraft)
            duration_s = expected_wall_s * multiplier  # simulated seconds the inference will take
            decision = sim.may_run(spacecraft, "cloud_detection", power_w=busy_w, duration_s=duration_s)
            if not decision:
                print(f"{state.time}  waiting: {'; '.join(decision.reasons)}")
                for event in sim.events(timeout_s=10.0):
                    print(f"{event['time']}  event {event['kind']['event']}")
                continue
            # A synthetic scene tile with known truth, normalised as ukis-csmask expects.
            tile = oe.scene_tile(args.seed, index=done, cloud_cover=float(rng.uniform(0.1, 0.9)))
            with sim.activity(spacecraft, "cloud_detection", power_w=busy_w):
                started = time.perf_counter()
                logits = model.run(tile["normalized"])
                expected_wall_s = time.perf_counter() - started
            mask = logits[0].argmax(axis=0).astype(np.uint8)
            cloudy = float((mask == CLOUD_CLASS).mean())
            # Keep the mask; keep the image only when it is not mostly cloud (the Phi-sat-1 rule).
            stored = sim.write_data(spacecraft, bytes=float(mask.nbytes), partition="products")
            if cloudy <= MAX_CLOUD_FRACTION:
                stored += sim.write_data(spacecraft, bytes=IMAGE_BYTES, partition="images")
            done += 1
            soc = "n/a" if state.state_of_charge is None else f"{100 * state.state_of_charge:.1f} %"
            print(
                f"{state.time}  tile {done}: {100 * cloudy:4.1f} % cloud "
                f"(true {100 * tile['cloud_fraction']:4.1f} %), "
                f"{expected_wall_s * 1e3:.0f} ms, state of charge {soc}, "
                f"{state.sunlit_fraction:.0%} sunlit, stored {stored:.0f} B"
            )
        after = sim.state(spacecraft)
        print(f"{after.time}  done: {done} tiles; products free {after.storage_free_bytes['products']:.4g} B")


if __name__ == "__main__":
    main()
