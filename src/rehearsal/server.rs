//! The local HTTP/JSON server a flight application talks to during a
//! rehearsal, and the pacing thread that moves simulated time with the wall
//! clock. What each endpoint does and answers is in [`super::api`].
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/v1/health` | liveness (503 once the rehearsal has failed) |
//! | GET | `/v1/clock` | simulated and wall-clock time, lag, multiplier |
//! | GET | `/v1/spacecraft` | names |
//! | GET | `/v1/spacecraft/{name}/state` | [`StateView`](super::StateView) |
//! | POST | `/v1/spacecraft/{name}/may-run` | `{activity, power_w, duration_s?}` → [`Decision`](super::Decision) |
//! | POST | `/v1/spacecraft/{name}/activities` | `{activity, power_w}`: start (409 if running) |
//! | DELETE | `/v1/spacecraft/{name}/activities/{activity}` | stop (409 if not running) |
//! | POST | `/v1/spacecraft/{name}/data` | `{partition, bytes}`: write to storage |
//! | GET | `/v1/events?since=N&timeout_s=T` | long poll: feed items from N on (at most 1 000; continue from `next`) |
//! | POST | `/v1/shutdown` | stop pacing and serving |
//!
//! Path segments are percent-decoded (`ISS%20%28ZARYA%29` is `ISS (ZARYA)`).
//! An activity stays on until the application stops it: the server cannot
//! tell a client that went away from one that is busy.
//!
//! # Why a client cannot take it down
//!
//! Each connection has its own thread (reused after it; see `transport.rs`),
//! so a slow client (a stalled body, a long poll) holds only its own
//! connection. A request's head must arrive within
//! [`ServeConfig::read_timeout_s`] of the connection becoming idle and its
//! body within that again (else 408 and close). At most
//! [`ServeConfig::max_connections`] are open; when a new one would exceed it
//! (or the process is out of file descriptors), the connection that has
//! waited longest for its client's bytes is closed to make room, so connections
//! that only hold a socket open cannot lock others out. Long polls are limited
//! to [`ServeConfig::max_long_polls`] (beyond: 503), which keeps room for the
//! rest. A panic in a request is a 500; the connection's thread goes on.
//!
//! The transport is this crate's (std::net, [`super::http`]) rather than a
//! library's: tiny_http 0.12, used before, had no read timeouts, no bound on
//! connections, and blocked its few shared workers on slow bodies.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration as WallDuration, Instant};

use super::api::Api;
use super::pacer::Pacer;
use super::session::Session;
use super::transport::{self, Connections};
use crate::error::{catch_panic, Error, Result};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on (default 127.0.0.1:8642).
    pub bind: SocketAddr,
    /// Required bearer token, if any.
    pub token: Option<String>,
    /// Serve a non-loopback address without a token (refused otherwise:
    /// anyone who reaches it could drive the simulation).
    pub allow_remote: bool,
    /// Connections open at once (each holds a thread and a file descriptor).
    pub max_connections: usize,
    /// Long polls waiting at once; keep it well below `max_connections`.
    pub max_long_polls: usize,
    /// Seconds a request's head may take to arrive once the connection is
    /// idle, and its body after the head; also the write timeout.
    pub read_timeout_s: f64,
    /// Longest long-poll wait a client may ask for, s (longer asks are cut).
    pub max_poll_s: f64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8642)),
            token: None,
            allow_remote: false,
            max_connections: 1024,
            max_long_polls: 256,
            read_timeout_s: 10.0,
            max_poll_s: 30.0,
        }
    }
}

impl ServeConfig {
    /// Checks the limits and refuses a non-loopback address without a token
    /// (unless `allow_remote`).
    pub fn validate(&self) -> Result<()> {
        crate::error::ensure_positive("read_timeout_s", self.read_timeout_s)?;
        crate::error::ensure_non_negative("max_poll_s", self.max_poll_s)?;
        let config = |reason: String| Error::Config {
            origin: format!("serving on {}", self.bind),
            reason,
        };
        if self.max_connections == 0 || self.max_long_polls == 0 {
            return Err(config(
                "max_connections and max_long_polls must be at least 1".into(),
            ));
        }
        if self.token.as_deref() == Some("") {
            return Err(config("the token must not be empty".into()));
        }
        if !self.bind.ip().is_loopback() && self.token.is_none() && !self.allow_remote {
            return Err(config(format!(
                "{} is not a loopback address and no token is set, so anyone who can reach it could drive \
                 the rehearsal; set a token (--token or $ORBITEDGE_TOKEN), bind 127.0.0.1, or pass \
                 --allow-remote if that is really what you want",
                self.bind.ip()
            )));
        }
        Ok(())
    }
}

/// A running rehearsal server.
pub struct RunningServer {
    api: Arc<Api>,
    addr: SocketAddr,
    connections: Arc<Connections>,
    acceptor: Option<JoinHandle<()>>,
    pacing: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The address it listens on (the port is resolved when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// True once shutdown was requested (by [`RunningServer::shutdown`] or
    /// `POST /v1/shutdown`).
    pub fn stopping(&self) -> bool {
        self.api.stopping()
    }

    /// Why the rehearsal failed, once it has (the API then answers 503).
    pub fn failure(&self) -> Option<&str> {
        self.api.failure()
    }

    /// Asks every thread to stop.
    pub fn shutdown(&self) {
        self.api.request_stop();
        // The acceptor waits in accept(): a connection of our own wakes it.
        let _ = TcpStream::connect_timeout(&wake_address(self.addr), WallDuration::from_secs(1));
    }

    /// Stops, waits for the threads and returns the session (with its
    /// simulation, whatever log was not yet written to the sink, and its
    /// [`Session::failure`] if the rehearsal failed).
    pub fn join(mut self) -> Result<Session> {
        self.shutdown();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let pacing = self.pacing.take().map(JoinHandle::join);
        let mut api = self.api;
        // Requests in flight (long polls included: the stop woke them) get
        // their answers for up to a second; idle connections close at once.
        let started = Instant::now();
        let api = loop {
            let grace_over = started.elapsed() > WallDuration::from_secs(1);
            self.connections.close(grace_over);
            match Arc::try_unwrap(api) {
                Ok(api) => break api,
                Err(shared) if started.elapsed() < WallDuration::from_secs(10) => api = shared,
                Err(shared) => {
                    return Err(Error::Internal {
                        context: "stopping the rehearsal server".into(),
                        message: format!("{} connections did not end", Arc::strong_count(&shared) - 1),
                    })
                }
            }
            std::thread::sleep(WallDuration::from_millis(2));
        };
        if let Some(Err(payload)) = pacing {
            return Err(Error::from_panic("the pacing thread", payload.as_ref()));
        }
        Ok(api.into_session())
    }
}

/// Where to connect to reach a listener on `addr` from this host.
fn wake_address(addr: SocketAddr) -> SocketAddr {
    let mut wake = addr;
    if addr.ip().is_unspecified() {
        wake.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    wake
}

fn thread_error(e: std::io::Error) -> Error {
    Error::Internal {
        context: "starting the rehearsal server".into(),
        message: format!("cannot start a thread: {e}"),
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
    let api = Arc::new(Api::new(session, pacer, &config)?);
    let listener = TcpListener::bind(config.bind).map_err(|e| Error::Config {
        origin: config.bind.to_string(),
        reason: format!("cannot listen: {e}"),
    })?;
    let addr = listener.local_addr().unwrap_or(config.bind);
    let connections = Arc::new(Connections::new(config.max_connections));
    let timeout = WallDuration::from_secs_f64(config.read_timeout_s);
    let acceptor =
        transport::start(listener, api.clone(), connections.clone(), timeout).map_err(thread_error)?;
    let pacing = {
        let api = api.clone();
        std::thread::Builder::new()
            .name("rehearsal-pacing".into())
            .spawn(move || pace(&api, sink))
    };
    let server = RunningServer {
        api,
        addr,
        connections,
        acceptor: Some(acceptor),
        pacing: None,
    };
    match pacing {
        Ok(pacing) => Ok(RunningServer {
            pacing: Some(pacing),
            ..server
        }),
        Err(e) => {
            let _ = server.join();
            Err(thread_error(e))
        }
    }
}

/// The pacing loop: advance to the pacer's target every slot, report lags,
/// write new log entries to the sink. An error fails the rehearsal (the API
/// then says so) instead of ending the loop, which keeps writing the log.
fn pace(api: &Api, mut sink: Option<Box<dyn Write + Send>>) {
    let slot_s = api.pacer().slot_s();
    let mut next_wall_s = 0.0;
    while !api.stopping() {
        {
            let mut session = api.session();
            if session.failure().is_none() {
                if let Err(error) = catch_panic("the pacing thread", || update(api, &mut session)) {
                    api.fail(&mut session, error);
                }
            }
            write_log(api, &mut session, &mut sink);
        }
        api.notify();
        next_wall_s += slot_s;
        let now = api.wall_s();
        if next_wall_s < now {
            next_wall_s = now; // overran: the pacer reported it; start the next slot now
        }
        std::thread::sleep(WallDuration::from_secs_f64((next_wall_s - now).max(0.0)));
    }
    let mut session = api.session();
    write_log(api, &mut session, &mut sink);
}

/// One update. The wall time is read under the session lock, so a request
/// that waited for it is logged after this advance with a later time (the
/// log stays ordered).
fn update(api: &Api, session: &mut Session) -> Result<()> {
    let started_wall_s = api.wall_s();
    let target_s = api.pacer().target_s(started_wall_s);
    session.advance(started_wall_s, target_s)?;
    let reached_s = session.elapsed_s();
    let finished_wall_s = api.wall_s();
    let lag = api.pacer().finished(started_wall_s, finished_wall_s, reached_s);
    if let Some(lag) = lag {
        session.lagged(lag);
    }
    Ok(())
}

/// Writes the new log entries; a sink that fails fails the rehearsal (its
/// record would be incomplete) and is dropped.
fn write_log(api: &Api, session: &mut Session, sink: &mut Option<Box<dyn Write + Send>>) {
    if let Some(out) = sink.as_mut() {
        if let Err(error) = flush_log(session, out.as_mut()) {
            api.fail(session, error);
            *sink = None;
        }
    }
}

/// Writes the log entries not yet written and drops them from memory.
fn flush_log(session: &mut Session, out: &mut dyn Write) -> Result<()> {
    let entries = session.take_log();
    let io = |e: std::io::Error| Error::Io {
        path: "rehearsal log".into(),
        reason: format!("cannot write: {e}"),
    };
    for entry in &entries {
        let line = serde_json::to_string(entry).map_err(|e| Error::Internal {
            context: "writing the rehearsal log".into(),
            message: e.to_string(),
        })?;
        writeln!(out, "{line}").map_err(io)?;
    }
    out.flush().map_err(io)
}
