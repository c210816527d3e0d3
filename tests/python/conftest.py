import json
import os
import pathlib

import pytest

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"

S2A = (
    "1 40697U 15028A   23188.15862373  .00000171  00000+0  81941-4 0  9994",
    "2 40697  98.5695 262.3977 0001349  91.8221 268.3116 14.30817084419867",
)
ISS = (
    "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
    "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482",
)


@pytest.fixture(scope="session")
def access_reference():
    return json.loads((DATA / "access_skyfield.json").read_text())


@pytest.fixture(scope="session")
def sgp4_reference():
    return json.loads((DATA / "sgp4_vallado.json").read_text())


@pytest.fixture(scope="session")
def binary() -> str:
    """The ``orbitedge`` command the rehearsal tests serve with (``ORBITEDGE_BIN``, which
    scripts/check.sh sets, or a build under the target directory)."""
    explicit = os.environ.get("ORBITEDGE_BIN")
    if explicit:
        assert pathlib.Path(explicit).is_file(), f"ORBITEDGE_BIN={explicit} does not exist"
        return explicit
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", pathlib.Path(__file__).resolve().parents[2] / "target"))
    for profile in ("debug", "release"):
        candidate = target / profile / "orbitedge"
        if candidate.is_file():
            return str(candidate)
    pytest.skip("no orbitedge binary: run `cargo build` (scripts/check.sh sets ORBITEDGE_BIN)")
