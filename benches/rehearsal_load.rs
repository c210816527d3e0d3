//! Load test of the rehearsal API (issue 6): state requests on loopback while
//! 100 spacecraft are paced at 1× the wall clock. Bounded in time (a few
//! seconds per phase) and run with `cargo bench --bench rehearsal_load`.
//!
//! Targets: ≥ 5 000 state requests/s, p99 latency ≤ 5 ms, and the paced clock
//! within 10 ms of the wall clock. The baseline, measured in the same run, is
//! `GET /v1/health` (HTTP, routing and JSON without touching the simulation).
//! Latency is measured by the clients, from writing a request to reading the
//! whole response, on persistent (keep-alive) connections. The process exits
//! with status 1 when a target is missed.
//!
//! Options (environment): `LOAD_CLIENTS` (client threads, default 4),
//! `LOAD_SECONDS` (length of the state phase, default 5), `LOAD_SLOT_MS`
//! (pacing slot, default 5, as `orbitedge serve`).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration as WallDuration, Instant};

use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;
use orbitedge::rehearsal::server::{serve, ServeConfig};
use orbitedge::rehearsal::{LagPolicy, LogEntry, Pacer, Session};
use orbitedge::sim::{Simulation, SimulationConfig};
use orbitedge::spacecraft::Spacecraft;

const SPACECRAFT: u32 = 100;

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 100 cubesats in a Walker constellation, three stations, one day.
fn session() -> Session {
    let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    let pattern = WalkerDelta {
        total: SPACECRAFT,
        planes: 10,
        phasing: 1,
        altitude_km: 550.0,
        inclination_deg: 97.6,
    };
    let fleet: Vec<Spacecraft> = Satellite::walker("sat", &pattern, epoch, AnalyticModel::J2)
        .unwrap()
        .into_iter()
        .map(|s| Spacecraft::cubesat_6u(s.name.clone(), s))
        .collect();
    let stations = vec![
        GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 5.0).unwrap(),
        GroundStation::new("Svalbard", 78.2298, 15.4078, 500.0, 5.0).unwrap(),
        GroundStation::new("Matera", 40.649, 16.704, 536.0, 5.0).unwrap(),
    ];
    let config = SimulationConfig {
        telemetry_interval_s: 60.0,
        ..Default::default()
    };
    let sim = Simulation::with_config(epoch, fleet, stations, 1, config).unwrap();
    Session::new(sim, 86_400.0).unwrap()
}

/// A keep-alive HTTP/1.1 connection that sends GETs and reads whole responses.
struct Connection {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Connection {
    fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            line: String::new(),
            body: Vec::new(),
        }
    }

    /// GET `path`; returns the status and leaves the body in `self.body`.
    fn get(&mut self, path: &str) -> u16 {
        write!(self.writer, "GET {path} HTTP/1.1\r\nHost: load\r\n\r\n").unwrap();
        self.line.clear();
        self.reader.read_line(&mut self.line).unwrap();
        let status: u16 = self.line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut length = 0;
        loop {
            self.line.clear();
            self.reader.read_line(&mut self.line).unwrap();
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body).unwrap();
        status
    }
}

struct Phase {
    name: &'static str,
    requests: usize,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
    fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies_ms, p)
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let k = ((sorted.len() - 1) as f64 * p / 100.0).round() as usize;
    sorted[k]
}

/// `clients` threads each send GETs of `path(n)` for `seconds` on their own connection.
fn hammer(
    name: &'static str,
    addr: SocketAddr,
    clients: usize,
    seconds: f64,
    path: fn(usize) -> String,
) -> Phase {
    let started = Instant::now();
    let deadline = started + WallDuration::from_secs_f64(seconds);
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            std::thread::spawn(move || {
                let mut connection = Connection::open(addr);
                let mut latencies = Vec::with_capacity(50_000);
                let mut n = c;
                while Instant::now() < deadline {
                    let path = path(n);
                    let sent = Instant::now();
                    assert_eq!(connection.get(&path), 200, "{path}");
                    latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                    n += clients;
                }
                latencies
            })
        })
        .collect();
    let mut latencies_ms: Vec<f64> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let seconds = started.elapsed().as_secs_f64();
    latencies_ms.sort_by(f64::total_cmp);
    Phase {
        name,
        requests: latencies_ms.len(),
        seconds,
        latencies_ms,
    }
}

fn main() {
    let clients = env_or("LOAD_CLIENTS", 4.0) as usize;
    let seconds = env_or("LOAD_SECONDS", 5.0);
    let slot_ms = env_or("LOAD_SLOT_MS", 5.0);

    // The update the pacing thread repeats, measured in-process: one slot of 100 spacecraft.
    let mut direct = session();
    let mut update_ms: Vec<f64> = (1..=300)
        .map(|k| {
            let started = Instant::now();
            direct.advance(0.0, k as f64 * slot_ms / 1e3).unwrap();
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    update_ms.sort_by(f64::total_cmp);

    let pacer = Pacer::new(1.0, slot_ms / 1e3, LagPolicy::CatchUp).unwrap();
    let config = ServeConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..ServeConfig::default()
    };
    let server = serve(session(), pacer, config, Some(Box::new(std::io::sink()))).unwrap();
    let addr = server.addr();

    let baseline = hammer("baseline: GET /v1/health", addr, clients, 2.0, |_| {
        "/v1/health".into()
    });

    // While the clients read states, a monitor samples the clock every 2 ms.
    let monitoring = Arc::new(AtomicBool::new(true));
    let monitor = {
        let monitoring = monitoring.clone();
        std::thread::spawn(move || {
            let mut connection = Connection::open(addr);
            let mut behind_ms = Vec::new();
            while monitoring.load(Ordering::SeqCst) {
                assert_eq!(connection.get("/v1/clock"), 200);
                let clock: serde_json::Value = serde_json::from_slice(&connection.body).unwrap();
                behind_ms.push(clock["behind_s"].as_f64().unwrap() * 1e3);
                std::thread::sleep(WallDuration::from_millis(2));
            }
            behind_ms
        })
    };
    let state = hammer("GET /v1/spacecraft/{name}/state", addr, clients, seconds, |n| {
        let k = n % SPACECRAFT as usize;
        format!("/v1/spacecraft/sat-P{}-S{}/state", k / 10 + 1, k % 10 + 1)
    });
    monitoring.store(false, Ordering::SeqCst);
    let mut behind_ms = monitor.join().unwrap();
    behind_ms.sort_by(f64::total_cmp);
    let session = server.join().unwrap();
    let lags = session
        .log()
        .iter()
        .filter(|e| matches!(e, LogEntry::Lag(_)))
        .count();

    println!(
        "rehearsal load: {SPACECRAFT} spacecraft paced at 1x, slot {slot_ms} ms, {clients} client threads, \
         {} cores, loopback, keep-alive",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "update of one slot (in-process): median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        percentile(&update_ms, 50.0),
        percentile(&update_ms, 99.0),
        update_ms.last().unwrap()
    );
    for phase in [&baseline, &state] {
        println!(
            "{:<34} {:>7} requests in {:.2} s = {:>7.0} /s; latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            phase.name,
            phase.requests,
            phase.seconds,
            phase.rate(),
            phase.percentile_ms(50.0),
            phase.percentile_ms(99.0),
            phase.latencies_ms.last().copied().unwrap_or(f64::NAN)
        );
    }
    println!(
        "state / baseline: throughput {:.2}x, p99 latency {:.2}x",
        state.rate() / baseline.rate(),
        state.percentile_ms(99.0) / baseline.percentile_ms(99.0)
    );
    let behind_max = behind_ms.last().copied().unwrap_or(f64::NAN);
    println!(
        "paced clock behind the wall clock ({} samples during the state phase): median {:.2} ms, p99 {:.2} ms, \
         max {:.2} ms; lag warnings {lags}",
        behind_ms.len(),
        percentile(&behind_ms, 50.0),
        percentile(&behind_ms, 99.0),
        behind_max
    );
    let checks = [
        ("state requests >= 5000 /s", state.rate() >= 5_000.0),
        ("state p99 latency <= 5 ms", state.percentile_ms(99.0) <= 5.0),
        ("paced clock within 10 ms of the wall clock", behind_max <= 10.0),
    ];
    let mut failed = false;
    for (what, ok) in checks {
        println!("{} {what}", if ok { "met   " } else { "MISSED" });
        failed |= !ok;
    }
    if failed {
        std::process::exit(1);
    }
}
