//! The local HTTP/JSON API a flight application talks to during a rehearsal,
//! and the pacing thread that moves simulated time with the wall clock.
//!
//! Endpoints (JSON in and out; errors are `{"error": "..."}` with a 4xx code
//! and change nothing):
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/v1/health` | liveness |
//! | GET | `/v1/clock` | simulated and wall-clock time, lag, multiplier |
//! | GET | `/v1/spacecraft` | names |
//! | GET | `/v1/spacecraft/{name}/state` | [`StateView`](super::StateView) |
//! | POST | `/v1/spacecraft/{name}/may-run` | `{activity, power_w, duration_s?}` → [`Decision`](super::Decision) |
//! | POST | `/v1/spacecraft/{name}/activities` | `{activity, power_w}`: start (409 if running) |
//! | DELETE | `/v1/spacecraft/{name}/activities/{activity}` | stop (409 if not running) |
//! | POST | `/v1/spacecraft/{name}/data` | `{partition, bytes}`: write to storage |
//! | GET | `/v1/events?since=N&timeout_s=T` | long poll: feed items from N on |
//! | POST | `/v1/shutdown` | stop pacing and serving |
//!
//! The server binds loopback unless told otherwise; with a token, every
//! request must carry `Authorization: Bearer <token>`.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration as WallDuration, Instant};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use tiny_http::{Header, Method, Request, Response, Server as HttpServer};

use super::pacer::Pacer;
use super::session::Session;
use crate::error::{Error, Result};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (default 127.0.0.1:8642).
    pub bind: SocketAddr,
    /// Required bearer token, if any.
    pub token: Option<String>,
    /// Threads answering requests.
    pub workers: usize,
    /// Longest long-poll wait a client may ask for, s.
    pub max_poll_s: f64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8642)),
            token: None,
            workers: 4,
            max_poll_s: 30.0,
        }
    }
}

/// State shared by the pacing thread and the request workers.
struct Shared {
    session: Mutex<Session>,
    /// Signalled whenever the feed may have grown.
    fed: Condvar,
    pacer: Mutex<Pacer>,
    started: Instant,
    stop: AtomicBool,
    token: Option<String>,
    max_poll_s: f64,
}

impl Shared {
    fn wall_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The session, even if a worker panicked while holding it (the session
    /// is only changed through methods that leave it consistent on error).
    fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session and the wall time read once it is locked: what is logged
    /// under the lock then has non-decreasing wall times.
    fn session_now(&self) -> (MutexGuard<'_, Session>, f64) {
        let session = self.session();
        let wall_s = self.wall_s();
        (session, wall_s)
    }
}

/// A running rehearsal server.
pub struct RunningServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    http: Arc<HttpServer>,
    threads: Vec<JoinHandle<()>>,
    pacing: Option<JoinHandle<Result<()>>>,
}

impl RunningServer {
    /// The address it listens on (the port is resolved when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// True once shutdown was requested (by [`RunningServer::shutdown`] or
    /// `POST /v1/shutdown`).
    pub fn stopping(&self) -> bool {
        self.shared.stop.load(Ordering::SeqCst)
    }

    /// Asks every thread to stop.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.fed.notify_all();
        self.http.unblock();
    }

    /// Stops, waits for the threads and returns the session (with its
    /// simulation and whatever log was not yet written to the sink).
    pub fn join(mut self) -> Result<Session> {
        self.shutdown();
        let pacing = self.pacing.take().map(|t| t.join());
        // Each unblock wakes one waiting worker (they also poll the stop flag).
        for _ in &self.threads {
            self.http.unblock();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if let Some(Err(_)) = pacing {
            return Err(Error::Config {
                origin: "rehearsal".into(),
                reason: "the pacing thread panicked".into(),
            });
        }
        if let Some(Ok(Err(e))) = pacing {
            return Err(e);
        }
        let shared = Arc::try_unwrap(self.shared).map_err(|_| Error::Config {
            origin: "rehearsal".into(),
            reason: "the session is still in use".into(),
        })?;
        Ok(shared.session.into_inner().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Starts pacing `session` with `pacer` and serving the API. Log entries are
/// written to `sink` (JSON Lines) as they happen, so a crash loses nothing
/// recorded; without a sink they stay in the session.
pub fn serve(
    session: Session,
    pacer: Pacer,
    config: ServeConfig,
    sink: Option<Box<dyn Write + Send>>,
) -> Result<RunningServer> {
    let http = HttpServer::http(config.bind).map_err(|e| Error::Config {
        origin: config.bind.to_string(),
        reason: format!("cannot listen: {e}"),
    })?;
    let addr = http.server_addr().to_ip().unwrap_or(config.bind);
    let http = Arc::new(http);
    let shared = Arc::new(Shared {
        session: Mutex::new(session),
        fed: Condvar::new(),
        pacer: Mutex::new(pacer),
        started: Instant::now(),
        stop: AtomicBool::new(false),
        token: config.token.clone(),
        max_poll_s: config.max_poll_s,
    });
    let threads = (0..config.workers.max(1))
        .map(|_| {
            let (shared, http) = (shared.clone(), http.clone());
            std::thread::spawn(move || worker(&shared, &http))
        })
        .collect();
    let pacing = {
        let shared = shared.clone();
        std::thread::spawn(move || pace(&shared, sink))
    };
    Ok(RunningServer {
        shared,
        addr,
        http,
        threads,
        pacing: Some(pacing),
    })
}

/// The pacing loop: advance to the pacer's target every slot, report lags,
/// write new log entries to the sink.
fn pace(shared: &Shared, mut sink: Option<Box<dyn Write + Send>>) -> Result<()> {
    let slot = shared.pacer.lock().map(|p| p.slot_s()).unwrap_or(0.01);
    let mut next_wall_s = 0.0;
    while !shared.stop.load(Ordering::SeqCst) {
        {
            // The wall time is read under the session lock, so a request that waited
            // for it is logged after this advance with a later time (the log stays ordered).
            let mut session = shared.session();
            let started_wall_s = shared.wall_s();
            let target_s = shared
                .pacer
                .lock()
                .map(|p| p.target_s(started_wall_s))
                .unwrap_or(0.0);
            session.advance(started_wall_s, target_s)?;
            let reached_s = session.elapsed_s();
            let finished_wall_s = shared.wall_s();
            if let Ok(mut pacer) = shared.pacer.lock() {
                if let Some(lag) = pacer.finished(started_wall_s, finished_wall_s, reached_s) {
                    session.lagged(lag);
                }
            }
            if let Some(out) = sink.as_mut() {
                flush_log(&mut session, out.as_mut())?;
            }
        }
        shared.fed.notify_all();
        next_wall_s += slot;
        let now = shared.wall_s();
        if next_wall_s < now {
            next_wall_s = now; // overran: the pacer reported it; start the next slot now
        }
        std::thread::sleep(WallDuration::from_secs_f64((next_wall_s - now).max(0.0)));
    }
    if let Some(out) = sink.as_mut() {
        let mut session = shared.session();
        flush_log(&mut session, out.as_mut())?;
    }
    Ok(())
}

/// Writes the log entries not yet written and drops them from memory.
fn flush_log(session: &mut Session, out: &mut dyn Write) -> Result<()> {
    let entries = session.take_log();
    let io = |e: std::io::Error| Error::Config {
        origin: "rehearsal log".into(),
        reason: format!("cannot write: {e}"),
    };
    for entry in &entries {
        let line = serde_json::to_string(entry).map_err(|e| Error::Config {
            origin: "rehearsal log".into(),
            reason: e.to_string(),
        })?;
        writeln!(out, "{line}").map_err(io)?;
    }
    out.flush().map_err(io)
}

fn worker(shared: &Shared, http: &HttpServer) {
    while !shared.stop.load(Ordering::SeqCst) {
        match http.recv_timeout(WallDuration::from_millis(200)) {
            Ok(Some(request)) => answer(shared, request),
            Ok(None) => {}
            Err(_) => break,
        }
    }
}

/// An API error: HTTP status and message.
struct ApiError(u16, String);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::InvalidChoice {
                name: "spacecraft", ..
            } => 404,
            Error::Conflict(_) => 409,
            Error::InvalidChoice {
                name: "partition", ..
            } => 404,
            _ => 400,
        };
        ApiError(status, e.to_string())
    }
}

fn answer(shared: &Shared, mut request: Request) {
    let result = route(shared, &mut request);
    let (status, body) = match result {
        Ok((status, body)) => (status, body),
        Err(ApiError(status, message)) => (status, json!({ "error": message })),
    };
    let mut response = Response::from_string(body.to_string()).with_status_code(status);
    if let Ok(header) = Header::from_bytes("Content-Type", "application/json") {
        response = response.with_header(header);
    }
    // A client that went away mid-request is not an error of the server.
    let _ = request.respond(response);
}

fn body<T: DeserializeOwned>(request: &mut Request) -> std::result::Result<T, ApiError> {
    let mut text = String::new();
    request
        .as_reader()
        .take(1 << 20)
        .read_to_string(&mut text)
        .map_err(|e| ApiError(400, format!("cannot read the body: {e}")))?;
    serde_json::from_str(&text).map_err(|e| ApiError(400, format!("malformed JSON: {e}")))
}

fn query(url: &str, key: &str) -> Option<String> {
    let (_, q) = url.split_once('?')?;
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityRequest {
    activity: String,
    power_w: f64,
    #[serde(default)]
    duration_s: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataRequest {
    partition: String,
    bytes: f64,
}

type Answer = std::result::Result<(u16, Value), ApiError>;

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn route(shared: &Shared, request: &mut Request) -> Answer {
    if let Some(token) = &shared.token {
        let expected = format!("Bearer {token}");
        let given = request
            .headers()
            .iter()
            .find(|h| h.field.equiv("Authorization"))
            .map(|h| h.value.as_str().to_string());
        if given.as_deref() != Some(expected.as_str()) {
            return Err(ApiError(401, "missing or wrong bearer token".into()));
        }
    }
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = request.method().clone();
    match (&method, parts.as_slice()) {
        (Method::Get, ["v1", "health"]) => Ok((200, json!({ "ok": true }))),
        (Method::Get, ["v1", "clock"]) => {
            let (session, wall_s) = shared.session_now();
            let (multiplier, slowed_by_s) = shared
                .pacer
                .lock()
                .map(|p| (p.multiplier(), p.slowed_by_s()))
                .unwrap_or((1.0, 0.0));
            let elapsed_s = session.elapsed_s();
            Ok((
                200,
                json!({
                    "time": session.simulation().now().to_string(),
                    "elapsed_s": elapsed_s,
                    "wall_s": wall_s,
                    "multiplier": multiplier,
                    "behind_s": (wall_s * multiplier - slowed_by_s - elapsed_s).max(0.0),
                    "slowed_by_s": slowed_by_s,
                    "finished": session.finished(),
                }),
            ))
        }
        (Method::Get, ["v1", "spacecraft"]) => {
            let session = shared.session();
            let names: Vec<&str> = session
                .simulation()
                .spacecraft()
                .iter()
                .map(|sc| sc.name.as_str())
                .collect();
            Ok((200, json!(names)))
        }
        (Method::Get, ["v1", "spacecraft", name, "state"]) => {
            let (mut session, wall_s) = shared.session_now();
            let view = session.state(wall_s, name)?;
            Ok((200, to_json(&view)))
        }
        (Method::Post, ["v1", "spacecraft", name, "may-run"]) => {
            let ask: ActivityRequest = body(request)?;
            let (mut session, wall_s) = shared.session_now();
            let decision = session.may_run(wall_s, name, &ask.activity, ask.power_w, ask.duration_s)?;
            Ok((200, to_json(&decision)))
        }
        (Method::Post, ["v1", "spacecraft", name, "activities"]) => {
            let ask: ActivityRequest = body(request)?;
            let (mut session, wall_s) = shared.session_now();
            session.start(wall_s, name, &ask.activity, ask.power_w)?;
            drop(session);
            shared.fed.notify_all();
            Ok((201, json!({ "started": ask.activity, "power_w": ask.power_w })))
        }
        (Method::Delete, ["v1", "spacecraft", name, "activities", activity]) => {
            let (mut session, wall_s) = shared.session_now();
            let power_w = session.stop(wall_s, name, activity)?;
            drop(session);
            shared.fed.notify_all();
            Ok((200, json!({ "stopped": activity, "power_w": power_w })))
        }
        (Method::Post, ["v1", "spacecraft", name, "data"]) => {
            let ask: DataRequest = body(request)?;
            let (mut session, wall_s) = shared.session_now();
            let stored = session.store(wall_s, name, &ask.partition, ask.bytes)?;
            Ok((200, json!({ "stored_bytes": stored, "offered_bytes": ask.bytes })))
        }
        (Method::Get, ["v1", "events"]) => {
            let since: usize = query(&url, "since").and_then(|v| v.parse().ok()).unwrap_or(0);
            let timeout_s: f64 = query(&url, "timeout_s")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0_f64)
                .clamp(0.0, shared.max_poll_s);
            let deadline = Instant::now() + WallDuration::from_secs_f64(timeout_s);
            let mut session = shared.session();
            loop {
                let (items, next) = session.events_since(since);
                if !items.is_empty() || Instant::now() >= deadline || shared.stop.load(Ordering::SeqCst) {
                    return Ok((200, json!({ "events": items, "next": next })));
                }
                let wait = deadline.saturating_duration_since(Instant::now());
                session = shared
                    .fed
                    .wait_timeout(session, wait)
                    .map(|(guard, _)| guard)
                    .unwrap_or_else(|e| e.into_inner().0);
            }
        }
        (Method::Post, ["v1", "shutdown"]) => {
            shared.stop.store(true, Ordering::SeqCst);
            shared.fed.notify_all();
            Ok((200, json!({ "stopping": true })))
        }
        (_, ["v1", ..]) => Err(ApiError(404, format!("no endpoint {method} {path}"))),
        _ => Err(ApiError(
            404,
            format!("no endpoint {method} {path}; the API lives under /v1"),
        )),
    }
}
