//! The rehearsal API without its transport: one request (method, target,
//! headers, body) in, one JSON reply out. The server feeds it from sockets;
//! tests and fuzzers call [`Api::handle`] and [`Api::handle_bytes`] directly.
//!
//! Every reply is a JSON object or array with a status in 2xx/4xx/5xx:
//!
//! - 400: malformed JSON, an unknown field or query parameter, a number that
//!   is not finite, negative or above its bound ([`MAX_POWER_W`],
//!   [`MAX_DURATION_S`], [`MAX_BYTES`]), a name longer than
//!   [`MAX_NAME_BYTES`] or with control characters; 401: missing or wrong
//!   token; 404: unknown endpoint, spacecraft or partition; 409: activity
//!   already running / not running. These change nothing.
//! - 503 `{"error": ..., "session_failed": true}`: the engine failed (or the
//!   log could not be written) and the rehearsal is frozen at that point;
//!   every endpoint but `POST /v1/shutdown` answers so, `/v1/health` included.
//!   Long polls beyond the server's limit also get 503 (without
//!   `session_failed`).
//! - 500: a bug (a caught panic); the server keeps serving.
//!
//! Statuses come from the [`Error`] variant, never from its message.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration as WallDuration, Instant};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::http::{self, ReadError};
use super::pacer::Pacer;
use super::server::ServeConfig;
use super::session::{SendRequest, Session};
use crate::error::{ensure_within as bounded, Error, Result};

/// Largest power an activity may draw, W. Far above any spacecraft bus
/// (a 6U cubesat makes ~20 W, the ISS ~100 kW): a larger number is a bug or an
/// attack, and numbers near `f64::MAX` would overflow the energy balance.
pub const MAX_POWER_W: f64 = 1e5;
/// Longest duration `may-run` plans for, s (about three years).
pub const MAX_DURATION_S: f64 = 1e8;
/// Most bytes one data write may offer (1 PB).
pub const MAX_BYTES: f64 = 1e15;
/// Longest activity or partition name, bytes.
pub const MAX_NAME_BYTES: usize = 200;
/// Most feed items in one `/v1/events` answer; the client asks again from
/// `next`. Keeps an answer small however long the rehearsal has run.
pub const MAX_EVENTS_PER_REPLY: usize = 1000;

/// One reply: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    /// An error reply `{"error": message}`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
        }
    }

    /// The body as bytes.
    pub fn body_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.body).unwrap_or_else(|_| b"{\"error\":\"unserialisable reply\"}".to_vec())
    }
}

/// A refused request.
#[derive(Debug)]
struct Refusal(Reply);

type Answer = std::result::Result<Reply, Refusal>;

fn refuse(status: u16, message: impl Into<String>) -> Refusal {
    Refusal(Reply::error(status, message))
}

/// The status of an engine error: input problems are the client's (4xx),
/// anything else is the server's (500).
fn status_of(error: &Error) -> u16 {
    match error {
        Error::UnknownName { .. } => 404,
        Error::Conflict(_) => 409,
        Error::InvalidParameter { .. }
        | Error::ParameterOrder { .. }
        | Error::InvalidChoice { .. }
        | Error::Duplicate { .. }
        | Error::MissingDependency { .. }
        | Error::InvalidInterval { .. }
        | Error::EmptyInput { .. }
        | Error::InvalidTime { .. }
        | Error::ResourceLimit { .. } => 400,
        _ => 500,
    }
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        refuse(status_of(&error), error.to_string())
    }
}

/// The application's activity request (`may-run` and `activities`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityRequest {
    activity: String,
    power_w: f64,
    /// For `may-run`: how long it would run (0 when absent); for a start:
    /// run that long, then end (until stopped when absent).
    #[serde(default)]
    duration_s: Option<f64>,
}

/// The application's data write.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataRequest {
    partition: String,
    bytes: f64,
}

impl ActivityRequest {
    fn validate(&self) -> std::result::Result<(), Refusal> {
        name_ok("activity", &self.activity)?;
        bounded(
            "power_w",
            self.power_w,
            MAX_POWER_W,
            "a finite number in [0, 1e5] W",
        )?;
        if let Some(duration_s) = self.duration_s {
            bounded(
                "duration_s",
                duration_s,
                MAX_DURATION_S,
                "a finite number in [0, 1e8] s",
            )?;
        }
        Ok(())
    }
}

impl DataRequest {
    fn validate(&self) -> std::result::Result<(), Refusal> {
        name_ok("partition", &self.partition)?;
        bounded(
            "bytes",
            self.bytes,
            MAX_BYTES,
            "a finite number in [0, 1e15] bytes",
        )?;
        Ok(())
    }
}

/// Names go into the log and the event feed: non-empty, bounded, printable.
fn name_ok(what: &str, name: &str) -> std::result::Result<(), Refusal> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(refuse(
            400,
            format!("{what} must be 1 to {MAX_NAME_BYTES} bytes without control characters, got {name:?}"),
        ));
    }
    Ok(())
}

fn parse_body<T: DeserializeOwned>(body: &[u8]) -> std::result::Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| refuse(400, format!("malformed JSON: {e}")))
}

/// The decoded query, refusing keys the endpoint does not take and repeats.
fn query_pairs(query: Option<&str>, allowed: &[&str]) -> std::result::Result<Vec<(String, String)>, Refusal> {
    let pairs = http::parse_query(query.unwrap_or("")).map_err(|e| refuse(400, e))?;
    for (k, (key, _)) in pairs.iter().enumerate() {
        if !allowed.contains(&key.as_str()) {
            let expected = if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            };
            return Err(refuse(
                400,
                format!("unknown query parameter {key:?} (expected: {expected})"),
            ));
        }
        if pairs[..k].iter().any(|(other, _)| other == key) {
            return Err(refuse(400, format!("query parameter {key:?} is given twice")));
        }
    }
    Ok(pairs)
}

fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// `since`: a feed cursor, a whole number >= 0.
fn since_of(text: Option<&str>) -> std::result::Result<usize, Refusal> {
    let Some(text) = text else { return Ok(0) };
    text.parse::<usize>().map_err(|_| {
        refuse(
            400,
            format!("since must be a whole number >= 0 (the `next` of a previous answer), got {text:?}"),
        )
    })
}

/// `timeout_s`: finite and >= 0; waits longer than `max_s` are cut to it.
fn timeout_of(text: Option<&str>, max_s: f64) -> std::result::Result<f64, Refusal> {
    let Some(text) = text else { return Ok(0.0) };
    match text.parse::<f64>() {
        Ok(t) if t.is_finite() && t >= 0.0 => Ok(t.min(max_s)),
        _ => Err(refuse(
            400,
            format!("timeout_s must be a finite number of seconds >= 0 (at most {max_s} s are waited), got {text:?}"),
        )),
    }
}

/// Compares without an early exit, so the time taken does not reveal how much
/// of the token was right. The loop runs over the given bytes only (their
/// length is the caller's), so it does not reveal the token's length either.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if expected.is_empty() {
        return given.is_empty();
    }
    let mut diff = u8::from(given.len() != expected.len());
    for (i, byte) in given.iter().enumerate() {
        diff = std::hint::black_box(diff | (byte ^ expected[i % expected.len()]));
    }
    diff == 0
}

/// Decrements the long-poll count when a long poll ends, however it ends.
struct LongPollSlot<'a>(&'a AtomicUsize);

impl Drop for LongPollSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The rehearsal's state as the API sees it: the session, its pacer, and
/// what the pacing thread and the requests share.
pub struct Api {
    session: Mutex<Session>,
    /// Signalled whenever the feed may have grown (or the rehearsal stops).
    fed: Condvar,
    pacer: Mutex<Pacer>,
    started: Instant,
    stop: AtomicBool,
    /// The session's failure, readable without its lock: `/v1/health` must
    /// answer at once even while an update holds the session.
    failed: OnceLock<String>,
    /// `Bearer <token>` as bytes, when a token is required.
    authorization: Option<Vec<u8>>,
    max_poll_s: f64,
    max_long_polls: usize,
    long_polls: AtomicUsize,
}

impl Api {
    /// The API over `session`, paced by `pacer`, with `config`'s token and
    /// long-poll limits (the transport settings are the server's).
    pub fn new(session: Session, pacer: Pacer, config: &ServeConfig) -> Result<Self> {
        config.validate()?;
        let failed = OnceLock::new();
        if let Some(failure) = session.failure() {
            let _ = failed.set(failure.to_string());
        }
        Ok(Self {
            session: Mutex::new(session),
            fed: Condvar::new(),
            pacer: Mutex::new(pacer),
            started: Instant::now(),
            stop: AtomicBool::new(false),
            failed,
            authorization: config.token.as_ref().map(|t| format!("Bearer {t}").into_bytes()),
            max_poll_s: config.max_poll_s,
            max_long_polls: config.max_long_polls,
            long_polls: AtomicUsize::new(0),
        })
    }

    /// Wall-clock seconds since the API was made.
    pub(super) fn wall_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The session, even after a panic while it was held (a panic that could
    /// have left it half-changed marks it failed; see [`Api::handle`]).
    pub(super) fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session and the wall time read once it is locked: what is logged
    /// under the lock then has non-decreasing wall times.
    fn session_now(&self) -> (MutexGuard<'_, Session>, f64) {
        let session = self.session();
        let wall_s = self.wall_s();
        (session, wall_s)
    }

    pub(super) fn pacer(&self) -> MutexGuard<'_, Pacer> {
        self.pacer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True once shutdown was asked for.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Why the rehearsal failed, once it has.
    pub fn failure(&self) -> Option<&str> {
        self.failed.get().map(String::as_str)
    }

    /// Asks everything to stop; waiting long polls answer at once.
    pub(super) fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.fed.notify_all();
    }

    /// Wakes the long polls (the feed may have grown).
    pub(super) fn notify(&self) {
        self.fed.notify_all();
    }

    /// Marks the rehearsal failed (the first failure is the one kept).
    pub(super) fn fail(&self, session: &mut Session, error: Error) {
        session.fail(error);
        if let Some(failure) = session.failure() {
            let _ = self.failed.set(failure.to_string());
        }
        self.fed.notify_all();
    }

    /// The session, once no request can reach it any more.
    pub fn into_session(self) -> Session {
        self.session.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers a whole request given as bytes (request line, headers, body),
    /// as they would arrive on a connection: the fuzzing entry point.
    pub fn handle_bytes(&self, raw: &[u8]) -> Reply {
        match http::parse_request(raw, &http::Limits::default()) {
            Ok((head, body)) => self.handle(&head.method, &head.target, &head.headers, &body),
            Err(ReadError::Invalid { status, message }) => Reply::error(status, message),
            Err(ReadError::Closed) => Reply::error(400, "no request"),
            Err(ReadError::TimedOut { .. } | ReadError::Io(_)) => {
                Reply::error(400, "the request could not be read")
            }
        }
    }

    /// Answers one request. Never panics: a panic inside becomes a 500 (and,
    /// if it happened while the session was held, marks the session failed,
    /// since it may be half-changed).
    pub fn handle(&self, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Reply {
        let answer = std::panic::catch_unwind(AssertUnwindSafe(|| self.route(method, target, headers, body)));
        match answer {
            Ok(Ok(reply)) => reply,
            Ok(Err(Refusal(reply))) => reply,
            Err(payload) => self.after_panic(payload.as_ref()),
        }
    }

    fn after_panic(&self, payload: &(dyn std::any::Any + Send)) -> Reply {
        let error = Error::from_panic("the rehearsal API", payload);
        let mut reply = Reply::error(500, error.to_string());
        if self.session.is_poisoned() {
            self.session.clear_poison();
            let mut session = self.session();
            self.fail(&mut session, error);
            reply.body["session_failed"] = json!(true);
        }
        reply
    }

    fn authorized(&self, headers: &[(String, String)]) -> bool {
        let Some(expected) = &self.authorization else {
            return true;
        };
        let given = http::header(headers, "Authorization").unwrap_or("");
        same_secret(given.as_bytes(), expected)
    }

    /// 503 when the rehearsal has failed.
    fn refuse_if_failed(&self) -> std::result::Result<(), Refusal> {
        match self.failed.get() {
            Some(reason) => Err(Refusal(Reply {
                status: 503,
                body: json!({ "error": reason, "session_failed": true }),
            })),
            None => Ok(()),
        }
    }

    fn route(&self, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Answer {
        if !self.authorized(headers) {
            return Err(refuse(401, "missing or wrong bearer token"));
        }
        let (segments, query) = http::split_target(target).map_err(|e| refuse(400, e))?;
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let no_query = || query_pairs(query, &[]).map(|_| ());
        match (method, segments.as_slice()) {
            ("GET", ["v1", "health"]) => {
                no_query()?;
                self.refuse_if_failed()?;
                Ok(Reply::ok(json!({ "ok": true })))
            }
            ("POST", ["v1", "shutdown"]) => {
                self.request_stop();
                let mut reply = Reply::ok(json!({ "stopping": true }));
                if let Some(reason) = self.failed.get() {
                    reply.body["session_failed"] = json!(true);
                    reply.body["error"] = json!(reason);
                }
                Ok(reply)
            }
            ("GET", ["v1", "events"]) => {
                self.refuse_if_failed()?;
                self.events(&query_pairs(query, &["since", "timeout_s"])?)
            }
            _ => {
                self.refuse_if_failed()?;
                no_query()?;
                self.route_session(method, &segments, body)
            }
        }
    }

    fn route_session(&self, method: &str, segments: &[&str], body: &[u8]) -> Answer {
        match (method, segments) {
            ("GET", ["v1", "clock"]) => Ok(self.clock()),
            ("GET", ["v1", "spacecraft"]) => {
                let session = self.session();
                let names: Vec<&str> = session
                    .simulation()
                    .spacecraft()
                    .iter()
                    .map(|sc| sc.name.as_str())
                    .collect();
                Ok(Reply::ok(json!(names)))
            }
            ("GET", ["v1", "spacecraft", name, "state"]) => {
                let (mut session, wall_s) = self.session_now();
                let view = session.state(wall_s, name)?;
                Ok(Reply::ok(to_json(&view)))
            }
            ("POST", ["v1", "spacecraft", name, "may-run"]) => self.may_run(name, body),
            ("POST", ["v1", "spacecraft", name, "activities"]) => self.start(name, body),
            ("DELETE", ["v1", "spacecraft", name, "activities", activity]) => {
                let (mut session, wall_s) = self.session_now();
                let power_w = session.stop(wall_s, name, activity)?;
                drop(session);
                self.notify();
                Ok(Reply::ok(json!({ "stopped": activity, "power_w": power_w })))
            }
            ("POST", ["v1", "spacecraft", name, "data"]) => self.store(name, body),
            ("POST", ["v1", "spacecraft", name, "send"]) => self.send(name, body),
            ("GET", ["v1", "transfers"]) => {
                let transfers = self.session().transfers()?;
                Ok(Reply::ok(json!({ "transfers": transfers })))
            }
            (_, ["v1", ..]) => Err(refuse(
                404,
                format!("no endpoint {method} /{}", segments.join("/")),
            )),
            _ => Err(refuse(
                404,
                format!(
                    "no endpoint {method} /{}; the API lives under /v1",
                    segments.join("/")
                ),
            )),
        }
    }

    fn clock(&self) -> Reply {
        let (session, wall_s) = self.session_now();
        let (multiplier, slowed_by_s) = {
            let pacer = self.pacer();
            (pacer.multiplier(), pacer.slowed_by_s())
        };
        let elapsed_s = session.elapsed_s();
        Reply::ok(json!({
            "time": session.simulation().now().to_string(),
            "elapsed_s": elapsed_s,
            "wall_s": wall_s,
            "multiplier": multiplier,
            "behind_s": (wall_s * multiplier - slowed_by_s - elapsed_s).max(0.0),
            "slowed_by_s": slowed_by_s,
            "finished": session.finished(),
        }))
    }

    fn may_run(&self, spacecraft: &str, body: &[u8]) -> Answer {
        let ask: ActivityRequest = parse_body(body)?;
        ask.validate()?;
        let (mut session, wall_s) = self.session_now();
        let decision = session.may_run(
            wall_s,
            spacecraft,
            &ask.activity,
            ask.power_w,
            ask.duration_s.unwrap_or(0.0),
        )?;
        Ok(Reply::ok(to_json(&decision)))
    }

    fn start(&self, spacecraft: &str, body: &[u8]) -> Answer {
        let ask: ActivityRequest = parse_body(body)?;
        ask.validate()?;
        let (mut session, wall_s) = self.session_now();
        session.start(wall_s, spacecraft, &ask.activity, ask.power_w, ask.duration_s)?;
        drop(session);
        self.notify();
        Ok(Reply {
            status: 201,
            body: json!({ "started": ask.activity, "power_w": ask.power_w }),
        })
    }

    fn store(&self, spacecraft: &str, body: &[u8]) -> Answer {
        let ask: DataRequest = parse_body(body)?;
        ask.validate()?;
        let (mut session, wall_s) = self.session_now();
        let stored = session.store(wall_s, spacecraft, &ask.partition, ask.bytes)?;
        Ok(Reply::ok(
            json!({ "stored_bytes": stored, "offered_bytes": ask.bytes }),
        ))
    }

    /// Starts a transfer from `spacecraft`; answers its id.
    fn send(&self, spacecraft: &str, body: &[u8]) -> Answer {
        let ask: SendRequest = parse_body(body)?;
        name_ok("to", &ask.to)?;
        name_ok("partition", &ask.partition)?;
        if let Some(radio) = &ask.radio {
            name_ok("radio", radio)?;
        }
        bounded(
            "bytes",
            ask.bytes,
            MAX_BYTES,
            "a finite number in [0, 1e15] bytes",
        )?;
        if let Some(timeout_s) = ask.timeout_s {
            bounded(
                "timeout_s",
                timeout_s,
                MAX_DURATION_S,
                "a finite number in [0, 1e8] s",
            )?;
        }
        let (mut session, wall_s) = self.session_now();
        let id = session.send(wall_s, spacecraft, ask)?;
        Ok(Reply::ok(json!({ "transfer": id })))
    }

    /// The event feed from `since` on (at most [`MAX_EVENTS_PER_REPLY`] items);
    /// with `timeout_s` > 0 a long poll that waits (up to the server's limit)
    /// until the feed grows.
    fn events(&self, query: &[(String, String)]) -> Answer {
        let since = since_of(query_value(query, "since"))?;
        let timeout_s = timeout_of(query_value(query, "timeout_s"), self.max_poll_s)?;
        let _slot = if timeout_s > 0.0 {
            Some(self.long_poll_slot()?)
        } else {
            None
        };
        let deadline = Instant::now() + WallDuration::from_secs_f64(timeout_s);
        let mut session = self.session();
        loop {
            self.refuse_if_failed()?;
            let (items, total) = session.events_since(since);
            if !items.is_empty() || Instant::now() >= deadline || self.stopping() {
                let shown = &items[..items.len().min(MAX_EVENTS_PER_REPLY)];
                let next = total - items.len() + shown.len();
                return Ok(Reply::ok(json!({ "events": shown, "next": next })));
            }
            let wait = deadline.saturating_duration_since(Instant::now());
            session = self
                .fed
                .wait_timeout(session, wait)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// A place among the waiting long polls, or 503 when they are all taken.
    fn long_poll_slot(&self) -> std::result::Result<LongPollSlot<'_>, Refusal> {
        let waiting = self.long_polls.fetch_add(1, Ordering::SeqCst);
        let slot = LongPollSlot(&self.long_polls);
        if waiting >= self.max_long_polls {
            return Err(refuse(
                503,
                format!(
                    "{} long polls are already waiting (the server's limit); retry later or poll with timeout_s=0",
                    self.max_long_polls
                ),
            ));
        }
        Ok(slot)
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"Bearer abc", b"Bearer abc"));
        for wrong in [
            &b""[..],
            b"Bearer ab",
            b"Bearer abcd",
            b"Bearer abd",
            b"Bearer abcBearer abc",
        ] {
            assert!(!same_secret(wrong, b"Bearer abc"), "{wrong:?}");
        }
        assert!(same_secret(b"", b""));
    }

    #[test]
    fn query_numbers_are_checked_and_named() {
        assert_eq!(since_of(Some("12")).unwrap(), 12);
        assert_eq!(timeout_of(Some("1e308"), 30.0).unwrap(), 30.0);
        assert_eq!(timeout_of(None, 30.0).unwrap(), 0.0);
        for bad in ["NaN", "inf", "-inf", "-1", "", "abc", "1e309"] {
            let Refusal(reply) = timeout_of(Some(bad), 30.0).unwrap_err();
            assert_eq!(reply.status, 400);
            assert!(
                reply.body["error"].as_str().unwrap().contains("timeout_s"),
                "{bad}"
            );
        }
        for bad in ["-1", "1.5", "1e3", "NaN", "99999999999999999999999", ""] {
            let Refusal(reply) = since_of(Some(bad)).unwrap_err();
            assert!(reply.body["error"].as_str().unwrap().contains("since"), "{bad}");
        }
        assert!(query_pairs(Some("since=1&since=2"), &["since"]).is_err());
        assert!(query_pairs(Some("sinse=1"), &["since"]).is_err());
    }

    #[test]
    fn engine_errors_map_by_variant() {
        let spacecraft = Error::UnknownName {
            kind: "spacecraft",
            name: "x".into(),
            expected: "a name",
        };
        assert_eq!(status_of(&spacecraft), 404);
        assert_eq!(status_of(&Error::Conflict("busy".into())), 409);
        assert_eq!(status_of(&Error::parameter("power_w", f64::NAN, "finite")), 400);
        let internal = Error::Internal {
            context: "x".into(),
            message: "y".into(),
        };
        assert_eq!(status_of(&internal), 500);
    }
}
