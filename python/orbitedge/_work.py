"""Python code standing in for onboard work, on a ``Simulation`` or a rehearsal ``Client``.

The code runs on the host; the spacecraft is busy for the host's wall time × ``time_factor``
(how much slower the flight computer is), drawing ``power_w``. The durations are recorded so
that a run replays bit for bit without timing noise (as inference records do): pass the
``OnboardWork`` of a first run's ``durations_s`` as ``replay`` to a second.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Iterable

from .errors import InputError


class OnboardWork:
    """Runs Python callables as onboard work on one link (``Simulation`` or ``Client``).

    >>> import datetime as dt, orbitedge as oe
    >>> start = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
    >>> [sat] = oe.walker_delta(1, 1, 0, 550.0, 97.6, start, propagator="kepler")
    >>> def simulation():
    ...     return oe.Simulation(start, spacecraft=[oe.Spacecraft("sat", orbit=sat)], stations=[], seed=1)
    >>> sim = simulation()
    >>> work = oe.OnboardWork(sim, time_factor=40.0)
    >>> work.run("sat", "fit", 12.0, sum, range(10))     # the callable's result
    45
    >>> replayed = simulation()                           # the same run, without timing noise:
    >>> again = oe.OnboardWork(replayed, replay=work.durations_s)
    >>> again.run("sat", "fit", 12.0, sum, range(10))
    45
    >>> again.durations_s == work.durations_s
    True
    """

    def __init__(self, link: Any, time_factor: float = 1.0, replay: Iterable[float] | None = None) -> None:
        if not (math.isfinite(time_factor) and time_factor > 0.0):
            raise InputError(f"time_factor must be a finite number > 0, got {time_factor!r}")
        self._link = link
        self._factor = time_factor
        self._replay = None if replay is None else iter(list(replay))
        #: The simulated duration of every piece of work so far, s, in order.
        self.durations_s: list[float] = []

    def run(self, spacecraft: str, activity: str, power_w: float, fn: Callable[..., Any], *args: Any,
            **kwargs: Any) -> Any:
        """Calls ``fn(*args, **kwargs)`` and books it on ``spacecraft`` as ``activity`` drawing
        ``power_w`` from now for the measured wall time × ``time_factor`` (or the next replayed
        duration); returns what ``fn`` returned. Simulated time does not advance: ``wait`` or
        ``wait_for("activity_ended")`` to let the work take its time."""
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        measured_s = (time.perf_counter() - t0) * self._factor
        duration_s = measured_s if self._replay is None else self._next_replayed()
        self._link.start(spacecraft, activity, power_w, duration_s=max(duration_s, 1e-3))
        self.durations_s.append(duration_s)
        return result

    def _next_replayed(self) -> float:
        try:
            return float(next(self._replay))  # type: ignore[arg-type]
        except StopIteration:
            raise InputError(f"replay has only {len(self.durations_s)} durations: the run asked for more") from None
