//! The rehearsal server on loopback: state transitions, error responses that
//! change nothing, a client that hangs up, and a replay of the recorded log
//! that reproduces the rehearsal exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use orbitedge::rehearsal::server::{serve, RunningServer, ServeConfig};
use orbitedge::rehearsal::{replay, LagPolicy, LogEntry, Pacer, Session};
use orbitedge::report::Summary;
use orbitedge::sim::Simulation;
use serde_json::{json, Value};

mod common;
use common::{cubesats, epoch, kiruna};

fn simulation() -> Simulation {
    Simulation::new(epoch(), cubesats("sat", 2, 2, 0, &[]), vec![kiruna()], 11).unwrap()
}

fn start(token: Option<&str>) -> RunningServer {
    let session = Session::new(simulation(), 6.0 * 3600.0).unwrap();
    let pacer = Pacer::new(200.0, 0.005, LagPolicy::CatchUp).unwrap();
    let config = ServeConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        token: token.map(str::to_string),
        ..ServeConfig::default()
    };
    serve(session, pacer, config, None).unwrap()
}

/// One HTTP/1.1 request; returns the status and the JSON body.
fn call(addr: SocketAddr, method: &str, path: &str, body: Option<&str>, token: Option<&str>) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let body = body.unwrap_or("");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status: u16 = response[9..12].parse().unwrap();
    let json = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

#[test]
fn an_application_drives_the_rehearsal_and_the_log_replays_it_exactly() {
    let server = start(None);
    let addr = server.addr();
    let get = |path: &str| call(addr, "GET", path, None, None);
    let post = |path: &str, body: Value| call(addr, "POST", path, Some(&body.to_string()), None);

    let (status, names) = get("/v1/spacecraft");
    assert_eq!(status, 200);
    assert_eq!(names, json!(["sat-P1-S1", "sat-P2-S1"]));
    let (_, before) = get("/v1/spacecraft/sat-P1-S1/state");
    assert!(before["elapsed_s"].as_f64().unwrap() >= 0.0);
    assert!(before["state_of_charge"].as_f64().unwrap() > 0.0);
    assert!(before["next_window"][0] == "Kiruna" || before["in_window"] == "Kiruna");

    // May a 15 W activity run for 10 minutes? Yes. May 400 W run for an hour? No, and why.
    let (_, yes) = post(
        "/v1/spacecraft/sat-P1-S1/may-run",
        json!({"activity": "infer", "power_w": 15.0, "duration_s": 600.0}),
    );
    assert_eq!(yes["allowed"], true, "{yes}");
    let (_, no) = post(
        "/v1/spacecraft/sat-P1-S1/may-run",
        json!({"activity": "infer", "power_w": 400.0, "duration_s": 3600.0}),
    );
    assert_eq!(no["allowed"], false);
    assert!(
        no["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("state of charge -"),
        "{no}"
    );

    // Start: the load shows in the state from the next update on.
    let (status, _) = post(
        "/v1/spacecraft/sat-P1-S1/activities",
        json!({"activity": "infer", "power_w": 15.0}),
    );
    assert_eq!(status, 201);
    std::thread::sleep(std::time::Duration::from_millis(50));
    let (_, during) = get("/v1/spacecraft/sat-P1-S1/state");
    assert_eq!(during["activities"]["infer"], 15.0);
    let (_, other) = get("/v1/spacecraft/sat-P2-S1/state");
    let load = |v: &Value| v["power_out_w"].as_f64().unwrap();
    assert!(load(&during) >= load(&other) + 15.0 - 1e-9, "{during} vs {other}");

    // Bad requests get 4xx with a JSON error and change nothing.
    let cases = [
        (
            "POST",
            "/v1/spacecraft/nope/activities",
            r#"{"activity": "x", "power_w": 1}"#,
            404,
        ),
        (
            "POST",
            "/v1/spacecraft/sat-P1-S1/activities",
            r#"{"activity": "infer", "power_w": 15}"#,
            409,
        ),
        (
            "POST",
            "/v1/spacecraft/sat-P1-S1/activities",
            r#"{"activity": "y", "power_w": -1}"#,
            400,
        ),
        (
            "POST",
            "/v1/spacecraft/sat-P1-S1/activities",
            r#"{"activity": "y", "power_w": NaN}"#,
            400,
        ),
        ("POST", "/v1/spacecraft/sat-P1-S1/activities", "{not json", 400),
        (
            "POST",
            "/v1/spacecraft/sat-P1-S1/data",
            r#"{"partition": "nowhere", "bytes": 5}"#,
            404,
        ),
        (
            "DELETE",
            "/v1/spacecraft/sat-P1-S1/activities/never-started",
            "",
            409,
        ),
        ("GET", "/v1/nothing-here", "", 404),
    ];
    for (method, path, body, expected) in cases {
        let (status, answer) = call(addr, method, path, Some(body), None);
        assert_eq!(status, expected, "{method} {path} {body}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{answer}"
        );
    }
    let (_, after_errors) = get("/v1/spacecraft/sat-P1-S1/state");
    assert_eq!(after_errors["activities"], json!({"infer": 15.0}));

    // A client that hangs up mid-request does not take the server down.
    {
        let mut half = TcpStream::connect(addr).unwrap();
        half.write_all(
            b"POST /v1/spacecraft/sat-P1-S1/activities HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"act",
        )
        .unwrap();
    }
    assert_eq!(get("/v1/health").0, 200);

    // Data and stop; the event feed shows the application's activity.
    let (status, stored) = post(
        "/v1/spacecraft/sat-P1-S1/data",
        json!({"partition": "products", "bytes": 2.5e6}),
    );
    assert_eq!(status, 200);
    assert_eq!(stored["stored_bytes"], 2.5e6);
    std::thread::sleep(std::time::Duration::from_millis(50));
    let (status, _) = call(
        addr,
        "DELETE",
        "/v1/spacecraft/sat-P1-S1/activities/infer",
        None,
        None,
    );
    assert_eq!(status, 200);
    let (_, feed) = get("/v1/events?since=0&timeout_s=1");
    let kinds: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"]["event"].as_str())
        .collect();
    assert!(
        kinds.contains(&"activity_started") && kinds.contains(&"activity_ended"),
        "{kinds:?}"
    );
    // Long poll: nothing new past the end of the feed until the timeout.
    let next = feed["next"].as_u64().unwrap();
    let (_, clock) = get("/v1/clock");
    assert!(clock["elapsed_s"].as_f64().unwrap() > 0.0);
    assert_eq!(post("/v1/shutdown", json!({})).0, 200);

    let mut session = server.join().unwrap();
    assert!(next > 0);
    let log = session.take_log();
    let count = |f: fn(&LogEntry) -> bool| log.iter().filter(|e| f(e)).count();
    assert_eq!(count(|e| matches!(e, LogEntry::Start { .. })), 1);
    assert_eq!(count(|e| matches!(e, LogEntry::Stop { .. })), 1);
    assert_eq!(count(|e| matches!(e, LogEntry::Store { .. })), 1);
    assert!(count(|e| matches!(e, LogEntry::Read { .. })) >= 5);
    assert!(count(|e| matches!(e, LogEntry::Advance { .. })) > 5);

    // Replaying the log on the same scenario gives the same run, exactly.
    let rehearsed = session.simulation();
    let replayed = replay(simulation(), &log).unwrap();
    assert_eq!(replayed.elapsed_s(), rehearsed.elapsed_s());
    assert_eq!(replayed.events_jsonl(), rehearsed.events_jsonl());
    assert_eq!(replayed.telemetry_csv(), rehearsed.telemetry_csv());
    let summary = |sim: &Simulation| serde_json::to_string(&Summary::of(sim)).unwrap(); // NaN-safe
    assert_eq!(summary(&replayed), summary(rehearsed));
    assert_eq!(replayed.states(), rehearsed.states());
}

#[test]
fn a_token_guards_every_endpoint() {
    let server = start(Some("s3cret"));
    let addr = server.addr();
    assert_eq!(call(addr, "GET", "/v1/health", None, None).0, 401);
    assert_eq!(call(addr, "GET", "/v1/health", None, Some("wrong")).0, 401);
    assert_eq!(call(addr, "GET", "/v1/health", None, Some("s3cret")).0, 200);
    assert_eq!(call(addr, "POST", "/v1/shutdown", Some("{}"), None).0, 401);
    assert!(!server.stopping());
    server.join().unwrap();
}

fn serve_with(sim: Simulation, config: ServeConfig) -> RunningServer {
    let session = Session::new(sim, 6.0 * 3600.0).unwrap();
    let pacer = Pacer::new(200.0, 0.005, LagPolicy::CatchUp).unwrap();
    let config = ServeConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..config
    };
    serve(session, pacer, config, None).unwrap()
}

/// Status and JSON of the response on `stream` (read until the server closes).
fn response_of(stream: &mut TcpStream) -> (u16, Value) {
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let json = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

#[test]
fn escaped_names_reach_their_spacecraft_and_activity() {
    let mut fleet = cubesats("sat", 2, 2, 0, &[]);
    fleet[0].name = "ISS (ZARYA)".into();
    let sim = Simulation::new(epoch(), fleet, vec![], 11).unwrap();
    let server = serve_with(sim, ServeConfig::default());
    let addr = server.addr();
    let iss = "/v1/spacecraft/ISS%20%28ZARYA%29";
    let (status, state) = call(addr, "GET", &format!("{iss}/state"), None, None);
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["spacecraft"], "ISS (ZARYA)");
    for (activity, escaped) in [
        ("cloud detection", "cloud%20detection"),
        ("a/b", "a%2Fb"),
        ("café", "caf%C3%A9"),
    ] {
        let body = json!({"activity": activity, "power_w": 2.0}).to_string();
        assert_eq!(
            call(addr, "POST", &format!("{iss}/activities"), Some(&body), None).0,
            201
        );
        let (status, stopped) = call(addr, "DELETE", &format!("{iss}/activities/{escaped}"), None, None);
        assert_eq!(
            (status, &stopped["stopped"]),
            (200, &json!(activity)),
            "{stopped}"
        );
    }
    let (status, refused) = call(addr, "GET", "/v1/spacecraft/ISS%2/state", None, None);
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        call(addr, "GET", &format!("{iss}/state"), None, None).1["activities"],
        json!({})
    );
    server.join().unwrap();
}

#[test]
fn stalled_bodies_long_polls_and_nan_do_not_block_anyone() {
    let config = ServeConfig {
        read_timeout_s: 0.5,
        max_long_polls: 6,
        ..ServeConfig::default()
    };
    let server = serve_with(simulation(), config);
    let addr = server.addr();
    // More stalled bodies and long polls than the old server had workers (4).
    let mut stalled: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"POST /v1/spacecraft/sat-P1-S1/data HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"pa")
                .unwrap();
            s
        })
        .collect();
    let polls: Vec<TcpStream> = (0..6)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /v1/events?since=999999&timeout_s=30 HTTP/1.1\r\nConnection: close\r\n\r\n")
                .unwrap();
            s
        })
        .collect();
    // NaN used to pass the clamp and panic a worker; now a 400 naming it, as often as asked.
    for _ in 0..10 {
        let (status, answer) = call(addr, "GET", "/v1/events?timeout_s=NaN", None, None);
        assert_eq!(status, 400);
        assert!(
            answer["error"].as_str().unwrap().contains("timeout_s"),
            "{answer}"
        );
    }
    assert_eq!(call(addr, "GET", "/v1/health", None, None).0, 200);
    assert_eq!(
        call(addr, "GET", "/v1/spacecraft/sat-P1-S1/state", None, None).0,
        200
    );
    // The long polls are all waiting: one more is refused, not queued.
    let (status, busy) = call(addr, "GET", "/v1/events?since=999999&timeout_s=30", None, None);
    assert_eq!(status, 503, "{busy}");
    // A stalled body is answered 408 once the read timeout passes.
    let (status, late) = response_of(&mut stalled[0]);
    assert_eq!(status, 408, "{late}");
    assert_eq!(call(addr, "POST", "/v1/shutdown", Some("{}"), None).0, 200);
    // Shutdown answers the waiting long polls at once.
    for mut poll in polls {
        assert_eq!(response_of(&mut poll).0, 200);
    }
    let session = server.join().unwrap();
    assert!(session.failure().is_none());
}

#[test]
fn connections_beyond_the_bound_make_room_by_closing_the_longest_waiting() {
    let config = ServeConfig {
        max_connections: 8,
        ..ServeConfig::default()
    };
    let server = serve_with(simulation(), config);
    let addr = server.addr();
    let mut idle: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for _ in 0..5 {
        assert_eq!(call(addr, "GET", "/v1/health", None, None).0, 200);
    }
    // The first connections were closed to make room: they read the end of the stream.
    let mut byte = [0_u8; 1];
    idle[0]
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    assert_eq!(idle[0].read(&mut byte).unwrap(), 0);
    server.join().unwrap();
}

#[test]
fn an_engine_error_fails_the_rehearsal_visibly_and_keeps_its_record() {
    // Planning is done in 6-hour blocks: the orbit fails while the second
    // block (6 h to 12 h) is planned, after six simulated hours of advances.
    let session = Session::new(decaying(), 12.0 * 3600.0).unwrap();
    let pacer = Pacer::new(3_000.0, 0.005, LagPolicy::CatchUp).unwrap();
    let config = ServeConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..ServeConfig::default()
    };
    let server = serve(session, pacer, config, None).unwrap();
    let addr = server.addr();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (status, health) = loop {
        let (status, health) = call(addr, "GET", "/v1/health", None, None);
        if status != 200 || std::time::Instant::now() > deadline {
            break (status, health);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["session_failed"], true);
    let reason = health["error"].as_str().unwrap();
    assert!(
        reason.contains("rehearsal failed") && reason.contains("SGP4"),
        "{reason}"
    );
    for (method, path, body) in [
        ("GET", "/v1/clock", None),
        ("GET", "/v1/spacecraft/low-P1-S1/state", None),
        ("GET", "/v1/events?since=0", None),
        (
            "POST",
            "/v1/spacecraft/low-P1-S1/activities",
            Some(r#"{"activity": "a", "power_w": 1}"#),
        ),
    ] {
        let (status, answer) = call(addr, method, path, body, None);
        assert_eq!(
            (status, &answer["session_failed"]),
            (503, &json!(true)),
            "{path}: {answer}"
        );
    }
    let (status, stopping) = call(addr, "POST", "/v1/shutdown", Some("{}"), None);
    assert_eq!((status, &stopping["session_failed"]), (200, &json!(true)));
    let mut session = server.join().unwrap();
    let failure = session.failure().unwrap().clone();
    assert!(failure.elapsed_s >= 6.0 * 3600.0 - 1e-6, "{failure}");
    // The log holds every advance before the failure and replays to its last one.
    let log = session.take_log();
    let last_s = log
        .iter()
        .rev()
        .find_map(|e| match e {
            LogEntry::Advance { to_s, .. } => Some(*to_s),
            _ => None,
        })
        .unwrap();
    let replayed = replay(decaying(), &log).unwrap();
    assert!(
        (replayed.elapsed_s() - last_s).abs() < 1e-6,
        "{} vs {last_s}",
        replayed.elapsed_s()
    );
    assert!(last_s <= failure.elapsed_s + 1e-6, "{last_s} vs {failure:?}");
}

#[test]
fn a_remote_address_needs_a_token_or_allow_remote() {
    let remote = ServeConfig {
        bind: SocketAddr::from(([0, 0, 0, 0], 0)),
        ..ServeConfig::default()
    };
    let refused = remote.validate().unwrap_err().to_string();
    assert!(
        refused.contains("--allow-remote") && refused.contains("token"),
        "{refused}"
    );
    let session = Session::new(simulation(), 60.0).unwrap();
    let pacer = Pacer::new(1.0, 0.005, LagPolicy::CatchUp).unwrap();
    assert!(serve(session, pacer, remote.clone(), None).is_err());
    let with_token = ServeConfig {
        token: Some("s3cret".into()),
        ..remote.clone()
    };
    assert!(with_token.validate().is_ok());
    let allowed = ServeConfig {
        allow_remote: true,
        ..remote
    };
    assert!(allowed.validate().is_ok());
}

/// A cubesat at ~220 km with an absurd drag term (B* = 10): SGP4 gives up on
/// it about two simulated minutes in, which fails the engine's next advance.
fn decaying() -> Simulation {
    let satellite = orbitedge::prelude::Satellite::from_tle(
        "low-P1-S1",
        // B* = 0.3: SGP4 gives up about 9.5 hours after the epoch.
        "1 99999U 24001A   24061.00000000  .00000000  00000-0  30000-1 0  9999",
        "2 99999  51.6439 211.2001 0007417  17.6667  85.6398 16.20000000    13",
    )
    .unwrap();
    let spacecraft = orbitedge::spacecraft::Spacecraft::cubesat_6u("low-P1-S1", satellite);
    Simulation::new(epoch(), vec![spacecraft], vec![], 11).unwrap()
}
