"""Client for a rehearsal: the flight application's side of ``orbitedge serve``.

``orbitedge serve SCENARIO`` paces a simulation with the wall clock and answers a
small HTTP/JSON API on loopback (default ``http://127.0.0.1:8642``). A flight
application asks it what the spacecraft can afford and tells it what it does::

    from orbitedge.rehearsal import Client

    sim = Client("http://127.0.0.1:8642")
    if sim.may_run("P1-1", "cloud_detection", power_w=12.0, duration_s=5.0):
        with sim.activity("P1-1", "cloud_detection", power_w=12.0):
            mask = model.run(tile)
        sim.write_data("P1-1", bytes=mask.nbytes)

:func:`launch` starts ``orbitedge serve`` as a child process and returns a handle
that knows its URL (useful in tests and examples). Only the standard library is
used, so the client runs on a flight computer's bare Python.

Errors the server answers with (unknown spacecraft, malformed or absurd values, an
activity already running, a wrong token) raise :class:`RehearsalError` with the HTTP
status and the server's message; nothing changed on the server when that happens.
When the rehearsal itself has failed (the engine hit an error, or the log could not be
written), every request raises :class:`RehearsalFailed` (HTTP 503) with the reason; the
server stays up until it is shut down, and writes its log and report up to the failure.

Activities are the application's to stop. The server cannot tell an application that
went away from one that is busy, so a load it started stays on (draining the simulated
battery) until ``stop`` is called, even if the client disconnects or its process dies.
Prefer :meth:`Client.activity` (stops the load when the block ends, also on an
exception), and when an application restarts, read ``state(...).activities`` and stop
what an earlier run left on.

Names are sent percent-escaped and decoded by the server, so any spacecraft or
activity name works (``ISS (ZARYA)``, ``cloud detection``, ``a/b``).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import pathlib
import select
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterator

from .errors import InputError, OrbitEdgeError

__all__ = [
    "Client",
    "Decision",
    "RehearsalError",
    "RehearsalFailed",
    "RehearsalRequestError",
    "Server",
    "SpacecraftState",
    "launch",
]

DEFAULT_URL = "http://127.0.0.1:8642"


class RehearsalError(OrbitEdgeError):
    """The rehearsal server refused a request (4xx), failed (5xx) or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message if status is None else f"HTTP {status}: {message}")
        #: HTTP status, or ``None`` when the server could not be reached.
        self.status = status
        #: The server's message.
        self.message = message

    def __reduce__(self) -> tuple[Any, tuple[str, int | None]]:
        return (type(self), (self.message, self.status))


class RehearsalRequestError(RehearsalError, InputError):
    """The server refused a request as invalid (HTTP 4xx: an unknown name, an absurd value, an
    activity already running): an :class:`~orbitedge.InputError`, as the same request made to an
    in-process :class:`~orbitedge.Simulation` raises."""


class RehearsalFailed(RehearsalError):
    """The rehearsal has failed (HTTP 503): the engine hit an error or the log could not be
    written. The message says why and when; nothing more will change until shutdown."""


@dataclass(frozen=True)
class Decision:
    """Whether an activity may run now; truthy when it may."""

    allowed: bool
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class SpacecraftState:
    """What the application can read about one spacecraft (see ``GET .../state``)."""

    spacecraft: str
    time: str
    elapsed_s: float
    state_of_charge: float | None
    battery_wh: float | None
    power_in_w: float
    power_out_w: float
    power_available_w: float
    temperature_k: float | None
    sunlit_fraction: float
    in_window: str | None
    window_ends: str | None
    next_window: tuple[str, str] | None
    storage_free_bytes: dict[str, float]
    activities: dict[str, float]
    alive: bool
    #: Stations (above their elevation mask) and spacecraft (line of sight clear of the Earth
    #: and 80 km of atmosphere) in view now, by name.
    in_view: list[str] = field(default_factory=list)

    @classmethod
    def _from_json(cls, data: dict[str, Any]) -> SpacecraftState:
        nxt = data.get("next_window")
        return cls(**{**data, "next_window": tuple(nxt) if nxt else None})


class Client:
    """A connection to a rehearsal server.

    Args:
        url: The server's base URL (``orbitedge serve`` prints it first).
        token: Bearer token, when the server was started with one
            (default: ``$ORBITEDGE_TOKEN``).
        timeout_s: Socket timeout of a request, s (long polls add their wait).

    One persistent HTTP/1.1 connection is kept and re-opened when it drops.
    A client is not thread-safe: give each thread its own.
    """

    def __init__(self, url: str = DEFAULT_URL, token: str | None = None, timeout_s: float = 10.0) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"rehearsal URL must look like http://HOST:PORT, got {url!r}")
        self.url = url.rstrip("/")
        self._host = parsed.hostname
        self._port = parsed.port or 80
        self._token = token if token is not None else os.environ.get("ORBITEDGE_TOKEN") or None
        self._timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None
        self._cursor = 0

    # -- transport ---------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, timeout_s: float | None = None) -> Any:
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        wait = self._timeout_s if timeout_s is None else timeout_s
        # One retry on a fresh connection: the server may have closed an idle one.
        for attempt in (0, 1):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=wait)
            self._conn.timeout = wait
            if self._conn.sock is not None:
                self._conn.sock.settimeout(wait)
            try:
                self._conn.request(method, path, body=payload, headers=headers)
                response = self._conn.getresponse()
                raw = response.read()
            except (ConnectionError, http.client.HTTPException, socket.timeout, OSError) as e:
                self.close()
                if attempt == 0 and not isinstance(e, (socket.timeout, ConnectionRefusedError)):
                    continue
                raise RehearsalError(f"{method} {self.url}{path}: {e}") from e
            if response.will_close:
                self.close()
            if response.status == 408 and reused and attempt == 0:
                # The server timed out the idle kept-alive connection before this request
                # arrived (it answered 408 and closed): it never saw the request, so send it again.
                self.close()
                continue
            data = json.loads(raw) if raw else None
            if response.status >= 400:
                message = data.get("error", raw.decode(errors="replace")) if isinstance(data, dict) else str(data)
                failed = isinstance(data, dict) and data.get("session_failed") is True
                if failed:
                    raise RehearsalFailed(message, response.status)
                if 400 <= response.status < 500:
                    raise RehearsalRequestError(message, response.status)
                raise RehearsalError(message, response.status)
            return data
        raise AssertionError("unreachable")

    def __getstate__(self) -> dict[str, Any]:
        # A pickled client (sent to a worker) reconnects on its first request.
        return {**self.__dict__, "_conn": None}

    def close(self) -> None:
        """Close the connection (a later request opens a new one)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _sc(spacecraft: str) -> str:
        return urllib.parse.quote(spacecraft, safe="")

    # -- the API -----------------------------------------------------------

    def health(self) -> bool:
        """True when the server answers (raises :class:`RehearsalFailed` once the rehearsal failed)."""
        return bool(self._request("GET", "/v1/health").get("ok"))

    def clock(self) -> dict[str, Any]:
        """Simulated time, wall-clock seconds, multiplier and how far the clock is behind."""
        return dict(self._request("GET", "/v1/clock"))

    def spacecraft(self) -> list[str]:
        """Names of the simulated spacecraft."""
        return list(self._request("GET", "/v1/spacecraft"))

    def state(self, spacecraft: str) -> SpacecraftState:
        """State of charge, power budget, temperature, light, windows and storage now."""
        return SpacecraftState._from_json(self._request("GET", f"/v1/spacecraft/{self._sc(spacecraft)}/state"))

    def may_run(self, spacecraft: str, activity: str, power_w: float, duration_s: float = 0.0) -> Decision:
        """Whether ``activity`` drawing ``power_w`` for ``duration_s`` may start now, and why not."""
        data = self._request(
            "POST",
            f"/v1/spacecraft/{self._sc(spacecraft)}/may-run",
            {"activity": activity, "power_w": power_w, "duration_s": duration_s},
        )
        return Decision(bool(data["allowed"]), list(data["reasons"]))

    def start(self, spacecraft: str, activity: str, power_w: float, duration_s: float | None = None) -> None:
        """Switch the application's load ``activity`` on (409 if it already runs).

        The load stays on until :meth:`stop` (whatever happens to this client, see the
        module's notes), or for ``duration_s`` simulated seconds; ``power_w`` must be
        finite, in [0, 1e5] W.
        """
        body: dict[str, Any] = {"activity": activity, "power_w": power_w}
        if duration_s is not None:
            body["duration_s"] = duration_s
        self._request("POST", f"/v1/spacecraft/{self._sc(spacecraft)}/activities", body)

    def stop(self, spacecraft: str, activity: str) -> float:
        """Switch ``activity`` off; returns the power it drew, W (409 if it was not running)."""
        path = f"/v1/spacecraft/{self._sc(spacecraft)}/activities/{self._sc(activity)}"
        return float(self._request("DELETE", path)["power_w"])

    def activity(self, spacecraft: str, activity: str, power_w: float) -> contextlib.AbstractContextManager[None]:
        """Run a block as an activity: started before, stopped after (even on an exception)."""
        return _activity(self, spacecraft, activity, power_w)

    def write_data(self, spacecraft: str, bytes: float, partition: str = "products") -> float:
        """Write produced data to a storage partition; returns the bytes that fitted."""
        data = self._request(
            "POST", f"/v1/spacecraft/{self._sc(spacecraft)}/data", {"partition": partition, "bytes": bytes}
        )
        return float(data["stored_bytes"])

    def send(
        self,
        src: str,
        dst: str,
        bytes: float,
        partition: str = "products",
        radio: str | None = None,
        timeout_s: float | None = None,
    ) -> str:
        """Send ``bytes`` of ``partition`` from ``src`` to ``dst`` (a spacecraft or a station)
        while the two are in view, as :meth:`orbitedge.Simulation.send`; returns the transfer id."""
        body: dict[str, Any] = {"to": dst, "bytes": bytes, "partition": partition}
        if radio is not None:
            body["radio"] = radio
        if timeout_s is not None:
            body["timeout_s"] = timeout_s
        data = self._request("POST", f"/v1/spacecraft/{self._sc(src)}/send", body)
        return str(data["transfer"])

    def transfers(self) -> list[dict[str, Any]]:
        """Every transfer so far with its progress, as :meth:`orbitedge.Simulation.transfers`."""
        return list(self._request("GET", "/v1/transfers")["transfers"])

    def events(self, since: int | None = None, timeout_s: float = 0.0) -> list[Any]:
        """Events (contacts, light changes, activities, restarts, pacing lag) after a cursor:
        :class:`orbitedge.Event` objects, as :meth:`orbitedge.Simulation.events` returns (they
        also read like the feed's JSON dicts: ``event["kind"]["event"]``).

        Without ``since`` the client continues where its previous call stopped. With
        ``timeout_s`` > 0 the call waits (long poll, up to the server's limit of 30 s)
        until something happens. One answer holds at most 1 000 items; call again for more.
        """
        events, self._cursor = self._events_page(self._cursor if since is None else since, timeout_s)
        return events

    def _events_page(self, since: int, timeout_s: float) -> tuple[list[Any], int]:
        """The feed's events from ``since`` (one answer) and the cursor to ask from next."""
        if not (math.isfinite(timeout_s) and timeout_s >= 0.0):
            raise InputError(f"timeout_s must be a finite number >= 0, got {timeout_s!r}")
        # The server cuts long waits to its limit (30 s by default); the socket waits a bit longer.
        wait_s = self._timeout_s + min(timeout_s, 3_600.0)
        data = self._request("GET", f"/v1/events?since={since}&timeout_s={timeout_s}", timeout_s=wait_s)
        from ._orbitedge import Event

        return [Event.from_json(json.dumps(item)) for item in data["events"]], int(data["next"])

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass (a wall-clock sleep of ``seconds`` / multiplier;
        0 returns at once)."""
        if not (math.isfinite(seconds) and seconds >= 0.0):
            raise InputError(f"seconds must be a finite number >= 0, got {seconds!r}")
        clock = self.clock()
        target = float(clock["elapsed_s"]) + seconds
        self._sleep_until(target, float(clock["multiplier"]))

    def wait_until(self, t: Any) -> None:
        """Let simulated time reach ``t`` (a datetime, naive meaning UTC, or an ISO-8601 string)."""
        clock = self.clock()
        now = _parse_time(str(clock["time"]))
        target = float(clock["elapsed_s"]) + (_parse_time(t) - now).total_seconds()
        self._sleep_until(target, float(clock["multiplier"]))

    def _sleep_until(self, elapsed_s: float, multiplier: float) -> None:
        while True:
            clock = self.clock()
            left = elapsed_s - float(clock["elapsed_s"])
            if left <= 0.0 or clock.get("finished"):
                return
            time.sleep(min(left / multiplier, 1.0))

    def wait_for(
        self, kinds: str | list[str], spacecraft: str | None = None, timeout_s: float | None = None
    ) -> list[Any]:
        """Wait (long polls) for the next event of one of ``kinds``, of ``spacecraft`` when given,
        at most ``timeout_s`` simulated seconds; returns the events fed on the way, the match
        last (empty when the timeout passed first), as :meth:`orbitedge.Simulation.wait_for`:
        from the events fed after the call, with a cursor of its own (``events()`` without
        ``since`` still continues where it stopped)."""
        wanted = {kinds} if isinstance(kinds, str) else set(kinds)
        if timeout_s is not None and not (math.isfinite(timeout_s) and timeout_s > 0.0):
            raise InputError(f"timeout_s must be a finite number > 0, got {timeout_s!r}")
        clock = self.clock()
        deadline = None if timeout_s is None else float(clock["elapsed_s"]) + timeout_s
        multiplier = float(clock["multiplier"])
        _, cursor = self._events_page(2**62, 0.0)  # the feed's end now
        seen: list[Any] = []
        while True:
            left = None if deadline is None else deadline - float(self.clock()["elapsed_s"])
            if left is not None and left <= 0.0:
                return []
            poll_s = 5.0 if left is None else min(5.0, max(left / multiplier, 0.01))
            page, cursor = self._events_page(cursor, poll_s)
            for event in page:
                seen.append(event)
                if event.kind in wanted and (spacecraft is None or event.spacecraft == spacecraft):
                    return seen
            if self.clock().get("finished"):
                return []

    def line_of_sight(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` (spacecraft or station names; one must be a spacecraft) see
        each other now (from the spacecraft's ``state().in_view``)."""
        names = set(self.spacecraft())
        if a in names:
            return b in self.state(a).in_view
        if b in names:
            return a in self.state(b).in_view
        raise RehearsalRequestError(f"neither {a!r} nor {b!r} is a spacecraft of the rehearsal", 404)

    def shutdown(self) -> None:
        """Ask the server to stop pacing, write its report and exit (also after a failure)."""
        self._request("POST", "/v1/shutdown")


def _parse_time(t: Any) -> Any:
    """A timezone-aware UTC datetime from a datetime (naive: UTC) or the server's ISO string."""
    import datetime as _dt

    if isinstance(t, _dt.datetime):
        return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)
    text = str(t).replace(" UTC", "").replace("Z", "+00:00")
    if "." in text:  # the server gives nanoseconds; datetime takes microseconds
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        rest = tail[len(digits):]
        text = f"{head}.{digits[:6]}{rest}"
    parsed = _dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.timezone.utc)


@contextlib.contextmanager
def _activity(link: Any, spacecraft: str, activity: str, power_w: float) -> Iterator[None]:
    """``link.activity(...)`` for a Client and an in-process Simulation alike."""
    link.start(spacecraft, activity, power_w)
    try:
        yield
    finally:
        link.stop(spacecraft, activity)


class Server:
    """An ``orbitedge serve`` child process (see :func:`launch`)."""

    def __init__(self, process: subprocess.Popen[str], url: str, token: str | None) -> None:
        self.process = process
        #: Base URL the server listens on.
        self.url = url
        self._token = token

    def client(self, timeout_s: float = 10.0) -> Client:
        """A new client for this server."""
        return Client(self.url, token=self._token, timeout_s=timeout_s)

    def stop(self, timeout_s: float = 60.0) -> int:
        """Ask the server to shut down (it writes its report), wait, and return its exit code."""
        if self.process.poll() is None:
            with contextlib.suppress(RehearsalError):
                self.client().shutdown()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def find_binary() -> str:
    """The ``orbitedge`` command: ``$ORBITEDGE_BIN``, else the one on ``PATH``."""
    explicit = os.environ.get("ORBITEDGE_BIN")
    if explicit:
        return explicit
    found = shutil.which("orbitedge")
    if found:
        return found
    raise RehearsalError(
        "no `orbitedge` command: build it (`cargo build --release`), then put target/release on PATH "
        "or set ORBITEDGE_BIN"
    )


def launch(
    scenario: str | os.PathLike[str] | None = None,
    *,
    multiplier: float = 1.0,
    out: str | os.PathLike[str] | None = None,
    bind: str = "127.0.0.1:0",
    token: str | None = None,
    seed: int | None = None,
    lag_policy: str = "catch-up",
    slot_ms: float = 5.0,
    binary: str | os.PathLike[str] | None = None,
    ready_timeout_s: float = 120.0,
) -> Server:
    """Start ``orbitedge serve`` in a child process and wait until it answers.

    Args:
        scenario: Scenario file (TOML); ``None`` serves the default scenario.
        multiplier: Simulated seconds per wall-clock second.
        out: Directory for the log (``rehearsal.jsonl``) and the report.
        bind: Address; the default port 0 lets the system pick a free one.
        token: Bearer token the server will require.
        seed: Seed (overrides the scenario's).
        lag_policy: ``"catch-up"`` or ``"slow"``.
        slot_ms: Wall-clock milliseconds between simulation updates.
        binary: The ``orbitedge`` executable (default: :func:`find_binary`).
        ready_timeout_s: How long to wait for the server's address.

    Returns:
        A :class:`Server`; use it as a context manager to shut it down.
    """
    command = [str(binary or find_binary()), "serve"]
    if scenario is not None:
        command.append(str(pathlib.Path(scenario)))
    command += ["--bind", bind, "--multiplier", repr(float(multiplier)), "--lag-policy", lag_policy]
    command += ["--slot-ms", repr(float(slot_ms)), "--quiet"]
    if out is not None:
        command += ["--out", str(out)]
    if seed is not None:
        command += ["--seed", str(int(seed))]
    env = dict(os.environ)
    env.pop("ORBITEDGE_TOKEN", None)
    if token:
        env["ORBITEDGE_TOKEN"] = token
    # stderr to a file, not a pipe nobody drains: a chatty server must never block.
    errors = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    assert process.stdout is not None
    # The server prints its URL as its first line once it listens.
    deadline = time.monotonic() + ready_timeout_s
    readable, _, _ = select.select([process.stdout], [], [], ready_timeout_s)
    line = process.stdout.readline().strip() if readable else ""
    if not line.startswith("http://"):
        process.kill()
        process.wait()
        errors.seek(0)
        err = errors.read()
        why = err.strip() or line or f"no address within {ready_timeout_s} s"
        raise RehearsalError(f"`{' '.join(command)}` did not start: {why}")
    server = Server(process, line, token)
    while time.monotonic() < deadline:
        try:
            if server.client(timeout_s=2.0).health():
                return server
        except RehearsalFailed:
            return server  # it answers; every request will say why the rehearsal failed
        except RehearsalError:
            time.sleep(0.05)
    server.stop()
    raise RehearsalError(f"{line} did not answer within {ready_timeout_s} s")
