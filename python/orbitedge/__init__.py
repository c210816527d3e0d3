"""orbitedge: fast, reproducible simulation of spacecraft in orbit.

Orbits (Kepler, J2, SGP4/SDP4 from TLE and OMM, tabulated ephemerides, Walker
constellations), the Sun and eclipses, and ground-station and inter-satellite
access windows found by root finding.

Frames: every position/velocity is TEME (the SGP4 frame), km and km/s.
Times: pass ``datetime`` (naive means UTC), ISO-8601 strings or
``numpy.datetime64``; scalars come back as timezone-aware UTC ``datetime``,
series as ``datetime64[ns]``.

>>> import orbitedge as oe
>>> sat = oe.Satellite.from_tle(
...     "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
...     "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482",
...     name="ISS")
>>> sat.model
'sgp4'
"""

from ._orbitedge import (
    AccessWindow,
    EclipseInterval,
    Event,
    GroundStation,
    LinkWindow,
    OnnxModel,
    Satellite,
    Scenario,
    Simulation,
    Spacecraft,
    __version__,
    access_windows,
    device_profile,
    device_profiles,
    eclipse_intervals,
    link_windows,
    propagate,
    scene_tile,
    walker_delta,
)
from . import rehearsal
from ._work import OnboardWork
from ._columns import to_columns
from ._sweep import SweepError, SweepResult, summary_metrics, sweep
from .errors import (
    EphemerisError,
    InputError,
    ModelError,
    OmmError,
    OrbitEdgeError,
    PropagationError,
    ShapeError,
    TleError,
)

__all__ = [
    "OnboardWork",
    "AccessWindow",
    "EclipseInterval",
    "EphemerisError",
    "Event",
    "GroundStation",
    "InputError",
    "LinkWindow",
    "ModelError",
    "OmmError",
    "OnnxModel",
    "OrbitEdgeError",
    "PropagationError",
    "Satellite",
    "Scenario",
    "ShapeError",
    "Simulation",
    "Spacecraft",
    "SweepError",
    "SweepResult",
    "TleError",
    "__version__",
    "access_windows",
    "device_profile",
    "device_profiles",
    "eclipse_intervals",
    "link_windows",
    "propagate",
    "rehearsal",
    "scene_tile",
    "summary_metrics",
    "sweep",
    "to_columns",
    "walker_delta",
]
