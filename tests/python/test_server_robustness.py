"""The rehearsal server under hostile and heavy load: the real ``orbitedge serve`` binary.

While a separate probe process asks ``GET /v1/health`` every 5 ms on a fresh connection
and records each call's latency, this test opens 1 000 half-open connections (connected
and silent, or stopped in the middle of the request head), 50 connections that announce a
body and stall, 50 long polls at the 30 s limit and one asking for 1e308 s, sends NaN,
infinities and huge numbers in every numeric parameter, and runs 200 concurrent clients in
another process (state, clock, may-run, events, data, and activities with names that need
escaping). Asserted: every health call answered 200 within 50 ms, every bad number a 400
naming its parameter, every client request served, and afterwards ``orbitedge replay`` of the
recorded log reproduces the served run's events and timeline byte for byte.

"Within 50 ms" is measured against the machine: the probe also asks a second, idle
``orbitedge serve`` (same scenario, same binary) in turn with the attacked one, and the bound
is 50 ms plus the worst latency of that idle control. On a quiet machine the control's worst
is a few ms; on a shared CI host (2 cores, several builds) the scheduler alone can delay any
process by tens of ms, which is not the server's doing and would make a bare 50 ms flaky.

The probe, the hostile connections and the 200 clients run in their own processes, so that
Python's GIL does not count as server latency, and the two kinds of clients at a lower CPU
priority (nice 10): on a small, shared CI machine they would otherwise take the server's CPU,
and what is measured here is the server's behaviour, not the scheduler's (on a flight
computer the application is another process too; the server's own work is what must not
make health wait). The server needs a file descriptor per connection (it keeps at most
1 024 open and closes the one waiting longest for its client to make room), and so do the
clients: the soft ``RLIMIT_NOFILE`` is raised to 4 096 (or the hard limit) when it is lower,
and the child processes inherit it.
"""

from __future__ import annotations

import json
import os
import pathlib
import resource
import subprocess
import sys

import pytest

from orbitedge.rehearsal import Client, RehearsalError, launch

REPO = pathlib.Path(__file__).resolve().parents[2]

SCENARIO = """
name = "robustness"
seed = 3
start = "2024-03-01T00:00:00Z"
duration_h = 6.0
telemetry_interval_s = 60.0

[[satellites]]
source = "walker"
prefix = "sat"
total = 2
planes = 1
altitude_km = 550.0

[[satellites]]
source = "elements"
name = "ISS (ZARYA)"
elements = { semi_major_axis_km = 6790.0, eccentricity = 0.0005, inclination_deg = 51.6, raan_deg = 10.0, argument_of_perigee_deg = 0.0, mean_anomaly_deg = 0.0 }

[bus]
preset = "cubesat_6u"

[[stations]]
name = "Kiruna"
latitude_deg = 67.8558
longitude_deg = 20.9644
altitude_m = 390.0
min_elevation_deg = 5.0

[outputs]
dir = "out"
plots = false
"""

MAX_HEALTH_S = 0.050


def stats_ms(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    return f"n={len(ordered)} p50={ordered[len(ordered) // 2] * 1e3:.1f} ms max={ordered[-1] * 1e3:.1f} ms"

# Asks each server (ports in argv) for health on a fresh connection in turn, every 5 ms,
# until its stdin closes; then prints each server's latencies and any failure as JSON.
PROBE = r"""
import json, socket, sys, threading, time
host, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
latencies, failures = {p: [] for p in ports}, []
request = b"GET /v1/health HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"
print("ready", flush=True)
while not done.is_set():
    for port in ports:
        started = time.perf_counter()
        try:
            with socket.create_connection((host, port), timeout=5.0) as s:
                s.sendall(request)
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            latencies[port].append(time.perf_counter() - started)
            if not data.startswith(b"HTTP/1.1 200"):
                failures.append(data[:300].decode(errors="replace"))
        except OSError as e:
            failures.append(f"{port}: {e!r}")
    time.sleep(0.005)
print(json.dumps({"latencies_s": [latencies[p] for p in ports], "failures": failures}), flush=True)
"""

# Opens 1 000 half-open connections (silent, or stopped in the middle of the head), 50
# stalled bodies and 51 long polls, says "holding", and keeps them until its stdin closes;
# then prints the status each long poll was answered with (0: none).
ATTACK = r"""
import json, os, socket, sys, time
os.nice(10)
host, port = sys.argv[1], int(sys.argv[2])

def connect(first=b""):
    s = socket.create_connection((host, port), timeout=10.0)
    if first:
        s.sendall(first)
    return s

held = []
for k in range(1000):
    held.append(connect(b"" if k % 2 else b"GET /v1/health HTTP/1.1\r\nHost: half"))
    if k % 50 == 49:
        time.sleep(0.01)
stalled = b"POST /v1/spacecraft/sat-P1-S1/data HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"pa"
held += [connect(stalled) for _ in range(50)]
polls = [
    connect(f"GET /v1/events?since={10**9}&timeout_s={t} HTTP/1.1\r\n\r\n".encode())
    for t in [30] * 50 + ["1e308"]
]
print("holding", flush=True)
sys.stdin.read()

def status(s):
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        return 0
    return int(data[9:12]) if data.startswith(b"HTTP/1.1 ") else 0

print(json.dumps([status(p) for p in polls]), flush=True)
"""

# 200 clients, each on its own thread and connection, all connected before any starts;
# prints the number of requests served, exits 1 with the first failures otherwise.
LOAD = r"""
import os, sys, threading, time
from orbitedge.rehearsal import Client
os.nice(10)
url, clients, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names = ["sat-P1-S1", "sat-P1-S2", "ISS (ZARYA)"]
barrier = threading.Barrier(clients)
served, failures = [0] * clients, []

def run(k):
    sim = Client(url, timeout_s=30.0)
    try:
        sim.health()
        barrier.wait(timeout=60)
        sc = names[k % len(names)]
        activity = f"job {k} (a/b)"
        for r in range(rounds):
            sim.state(sc)
            sim.clock()
            sim.may_run(sc, activity, power_w=1.0, duration_s=10.0)
            sim.events(timeout_s=0.0)
            if r == 0:
                sim.start(sc, activity, power_w=0.5)
                sim.write_data(sc, bytes=1000.0, partition="products")
                assert sim.state(sc).activities[activity] == 0.5
                sim.stop(sc, activity)
            served[k] += 5
            time.sleep(0.02)
    except Exception as e:  # reported below
        failures.append(f"client {k}: {e!r}")
    finally:
        sim.close()

threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sum(served))
if failures:
    print("\n".join(failures[:10]), file=sys.stderr)
    sys.exit(1)
"""




def raise_open_files_limit(needed: int = 4096) -> None:
    """Raise the soft RLIMIT_NOFILE to ``needed`` (or the hard limit); children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 1_400:
        pytest.skip(f"open-files limit {soft} < 1 400: cannot hold 1 000 connections here")


def bad_numbers_are_refused(sim: Client, sc: str) -> None:
    """Every numeric parameter, in the query or the body, refuses what is not a sane number."""
    for name in ("since", "timeout_s"):
        for value in ("NaN", "nan", "inf", "-inf", "-1", "1e309", "abc", "", "0x10"):
            with pytest.raises(RehearsalError) as caught:
                sim._request("GET", f"/v1/events?{name}={value}")
            assert caught.value.status == 400 and name in caught.value.message, (name, value, caught.value)
    with pytest.raises(RehearsalError) as caught:
        sim._request("GET", "/v1/events?since=99999999999999999999999")
    assert caught.value.status == 400 and "since" in caught.value.message
    path = f"/v1/spacecraft/{Client._sc(sc)}"
    bodies = {
        "power_w": (f"{path}/activities", {"activity": "x", "power_w": None}),
        "duration_s": (f"{path}/may-run", {"activity": "x", "power_w": 1.0, "duration_s": None}),
        "bytes": (f"{path}/data", {"partition": "products", "bytes": None}),
    }
    for name, (endpoint, template) in bodies.items():
        for value in (1e308, -1.0, 1e20, 10**400, float("nan"), float("inf"), float("-inf")):
            body = {**template, name: value}
            with pytest.raises(RehearsalError) as caught:
                sim._request("POST", endpoint, body)
            assert caught.value.status == 400, (name, value, caught.value)
            if value in (1e308, -1.0, 1e20):  # valid JSON: refused by name (the others are not JSON)
                assert name in caught.value.message, (name, value, caught.value.message)
    with pytest.raises(RehearsalError, match="power_w"):
        sim._request("POST", f"{path}/may-run", {"activity": "x", "power_w": 1e308, "duration_s": 1.0})


def child(script: str, *args: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], text=True, **popen)  # type: ignore[call-overload]


def test_health_answers_within_50_ms_whatever_the_other_clients_do(binary, tmp_path):
    raise_open_files_limit()
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "served"
    with launch(scenario, multiplier=60.0, out=out, binary=binary) as server, launch(
        scenario, multiplier=60.0, out=tmp_path / "control", binary=binary
    ) as control:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        control_port = control.url.rsplit(":", 1)[1]
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
        probe = child(PROBE, host, port, control_port, **pipes)
        attack = load = None
        try:
            assert probe.stdout is not None and probe.stdout.readline().strip() == "ready"
            sim = server.client()
            sc = "ISS (ZARYA)"
            before = sim.state(sc)

            attack = child(ATTACK, host, port, **pipes)
            assert attack.stdout is not None and attack.stdout.readline().strip() == "holding"
            assert sim.health()

            bad_numbers_are_refused(sim, sc)
            assert sim.state(sc).activities == before.activities == {}

            load = child(LOAD, server.url, "200", "3", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            load_out, load_err = load.communicate(timeout=120)
            assert load.returncode == 0, load_err
            assert int(load_out.strip()) == 200 * 3 * 5

            assert sim.health()
            clock = sim.clock()
            assert clock["elapsed_s"] > 0.0 and not clock["finished"]
        except BaseException:
            for process in (attack, load):
                if process is not None:
                    process.kill()
            raise
        finally:
            probe.stdin.close()  # type: ignore[union-attr]
            report = json.loads(probe.stdout.read())  # type: ignore[union-attr]
            probe.wait(timeout=30)
        attacked, quiet = report["latencies_s"]
        assert not report["failures"], report["failures"][:5]
        assert len(attacked) >= 100, len(attacked)
        # 50 ms beyond what this machine makes any server wait (the idle control's worst).
        allowed_s = MAX_HEALTH_S + max(quiet)
        print(f"health: attacked {stats_ms(attacked)}; idle control {stats_ms(quiet)}")  # shown with -s
        assert max(attacked) <= allowed_s, f"attacked: {stats_ms(attacked)}; idle control: {stats_ms(quiet)}"

        assert server.stop() == 0
    # Shutdown answered the waiting long polls.
    attack.stdin.close()  # type: ignore[union-attr]
    statuses = json.loads(attack.stdout.read())  # type: ignore[union-attr]
    attack.wait(timeout=30)
    assert statuses == [200] * 51, statuses

    log = [json.loads(line) for line in (out / "rehearsal.jsonl").read_text().splitlines()]
    starts = [e for e in log if e["op"] == "start"]
    assert len(starts) == 200 and {e["activity"] for e in starts} == {f"job {k} (a/b)" for k in range(200)}
    again = tmp_path / "replayed"
    run = subprocess.run(
        [binary, "replay", str(out / "rehearsal.jsonl"), "--scenario", str(scenario), "--out", str(again)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert (again / "events.jsonl").read_bytes() == (out / "events.jsonl").read_bytes()
    assert (again / "timeline.csv").read_bytes() == (out / "timeline.csv").read_bytes()
