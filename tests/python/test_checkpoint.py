"""Crafted and corrupted checkpoints raise CheckpointError (a ValueError), never a
panic; bytes are edited in place where a MessagePack key is followed by its value."""

from __future__ import annotations

import pickle
import random
import struct

import pytest

import orbitedge as oe
from orbitedge.errors import CheckpointError

START = "2024-03-01T00:00:00Z"


@pytest.fixture(scope="module")
def blob() -> bytes:
    sats = oe.walker_delta(2, 1, 0, altitude_km=550.0, inclination_deg=97.6, epoch=START, prefix="sat")
    spacecraft = [
        oe.Spacecraft(
            s.name,
            orbit=s,
            power={"solar_array": {"area_m2": 0.1}, "battery": {"capacity_wh": 40.0}, "bus_load_w": 6.0},
        )
        for s in sats
    ]
    sim = oe.Simulation(START, spacecraft, seed=1)
    sim.run("2024-03-01T03:00:00Z")
    return sim.checkpoint()


def key(name: str) -> bytes:
    """A short MessagePack string (fixstr), as field names are written."""
    return bytes([0xA0 | len(name)]) + name.encode()


def replace_after(blob: bytes, name: str, old: bytes, new: bytes) -> bytes:
    at = blob.index(key(name) + old)
    start = at + len(key(name))
    return blob[:start] + new + blob[start + len(old):]


def float64(blob: bytes, name: str) -> bytes:
    """The 9 bytes (0xcb marker and big-endian double) after the first `name` holding a float."""
    at = blob.index(key(name) + b"\xcb") + len(key(name))
    return blob[at:at + 9]


def test_a_valid_checkpoint_restores(blob):
    assert oe.Simulation.restore(blob).checkpoint() == blob


@pytest.mark.parametrize("cut", [0, 1, 10, 100, 1000, -1])
def test_truncated_bytes(blob, cut):
    with pytest.raises(CheckpointError, match="decoded"):
        oe.Simulation.restore(blob[:cut])


def test_random_bytes():
    rng = random.Random(7)
    for length in (1, 16, 4096):
        with pytest.raises(CheckpointError):
            oe.Simulation.restore(bytes(rng.randrange(256) for _ in range(length)))


def test_another_version_is_refused_by_version(blob):
    newer = replace_after(blob, "version", b"\x01", b"\x02")
    with pytest.raises(CheckpointError, match="version 2 is not supported"):
        oe.Simulation.restore(newer)


@pytest.mark.parametrize("value, text", [(-1.0, "energy_wh = -1"), (1e6, "energy_wh = 1000000"), (float("nan"), "energy_wh = NaN")])
def test_battery_outside_its_capacity(blob, value, text):
    bad = replace_after(blob, "energy_wh", float64(blob, "energy_wh"), b"\xcb" + struct.pack(">d", value))
    with pytest.raises(CheckpointError, match=text):
        oe.Simulation.restore(bad)


def test_event_of_a_spacecraft_that_does_not_exist(blob):
    bad = replace_after(blob, "spacecraft_index", b"\x00", b"\x7f")
    with pytest.raises(CheckpointError, match=r"events\[\d+\]\.spacecraft_index = 127: out of range"):
        oe.Simulation.restore(bad)


def test_unpickling_corrupted_bytes_raises_checkpoint_error(blob):
    sim = oe.Simulation.restore(blob)
    data = pickle.dumps(sim)
    good = pickle.loads(data)
    assert good == sim
    with pytest.raises(CheckpointError):
        pickle.loads(data.replace(key("energy_wh") + float64(blob, "energy_wh"), key("energy_wh") + b"\xcb" + struct.pack(">d", -5.0)))


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)
