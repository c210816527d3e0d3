//! Connections of the rehearsal server: accepting them within a bound,
//! reading requests with deadlines, answering them through [`Api`], and the
//! threads that do it.
//!
//! Each connection is served by one thread, so a slow client (a stalled body,
//! a long poll) holds only its own. Threads are kept for reuse when their
//! connection ends: a new thread is queued behind every runnable thread of a
//! busy host (the scheduler debits new threads), while an idle one that is
//! woken runs at once. On a loaded 2-core machine that is the difference
//! between a new connection's first answer in ~2 ms or ~50 ms.

use std::collections::HashMap;
use std::io::{ErrorKind, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration as WallDuration, Instant};

use super::api::Api;
use super::http::{self, Limits, ReadError};

/// Stack of a connection's thread: requests need little (bodies are at most
/// 1 MiB of flat JSON); a thousand connections then reserve ~0.5 GB of
/// address space, not of memory.
const CONNECTION_STACK_BYTES: usize = 512 * 1024;
/// Idle threads kept for new connections; more end when their connection does.
const MAX_IDLE_THREADS: usize = 64;
/// How long an idle thread waits for a new connection before it ends.
const IDLE_THREAD_S: u64 = 10;

/// The open connections: each with its socket (to close it from outside) and
/// since when it has been waiting for its client's bytes, if it is.
pub(super) struct Connections {
    max: usize,
    table: Mutex<HashMap<u64, Slot>>,
    next_id: AtomicU64,
}

struct Slot {
    stream: Arc<TcpStream>,
    waiting_since: Option<Instant>,
}

impl Connections {
    pub(super) fn new(max: usize) -> Self {
        Self {
            max,
            table: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        }
    }

    fn table(&self) -> MutexGuard<'_, HashMap<u64, Slot>> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new connection, closing the longest-waiting one when full;
    /// `None` when full of connections that are all busy.
    fn admit(&self, stream: &Arc<TcpStream>) -> Option<u64> {
        let mut table = self.table();
        if table.len() >= self.max && !Self::evict(&mut table) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Slot {
            stream: stream.clone(),
            waiting_since: Some(Instant::now()),
        };
        table.insert(id, slot);
        Some(id)
    }

    /// Closes the connection that has waited longest for its client.
    fn evict_one(&self) -> bool {
        Self::evict(&mut self.table())
    }

    fn evict(table: &mut HashMap<u64, Slot>) -> bool {
        let oldest = table
            .iter()
            .filter_map(|(id, slot)| slot.waiting_since.map(|since| (since, *id)))
            .min();
        let Some((_, id)) = oldest else { return false };
        if let Some(slot) = table.remove(&id) {
            let _ = slot.stream.shutdown(Shutdown::Both);
        }
        true
    }

    /// Marks a connection as waiting for its client (evictable) or busy.
    fn set_waiting(&self, id: u64, waiting: bool) {
        if let Some(slot) = self.table().get_mut(&id) {
            slot.waiting_since = waiting.then(Instant::now);
        }
    }

    fn remove(&self, id: u64) {
        self.table().remove(&id);
    }

    /// Closes the connections waiting for their clients, or all of them
    /// (at shutdown: their threads then end at once).
    pub(super) fn close(&self, all: bool) {
        for slot in self.table().values() {
            if all || slot.waiting_since.is_some() {
                let _ = slot.stream.shutdown(Shutdown::Both);
            }
        }
    }
}

/// One admitted connection.
struct Job {
    id: u64,
    stream: Arc<TcpStream>,
}

/// What the connection threads share.
struct Shared {
    api: Arc<Api>,
    connections: Arc<Connections>,
    timeout: WallDuration,
    /// Where idle threads wait for a job (one at a time, the others behind the lock).
    jobs: Mutex<Receiver<Job>>,
    idle: AtomicUsize,
}

/// Starts accepting on `listener`: a thread that ends once `api` is stopping
/// and a connection wakes it (see `RunningServer::shutdown`).
pub(super) fn start(
    listener: TcpListener,
    api: Arc<Api>,
    connections: Arc<Connections>,
    timeout: WallDuration,
) -> std::io::Result<JoinHandle<()>> {
    // Zero capacity: a job is handed over only to a thread waiting for one.
    let (handoff, jobs) = mpsc::sync_channel(0);
    let shared = Arc::new(Shared {
        api,
        connections,
        timeout,
        jobs: Mutex::new(jobs),
        idle: AtomicUsize::new(0),
    });
    std::thread::Builder::new()
        .name("rehearsal-accept".into())
        .spawn(move || accept_loop(&listener, &shared, &handoff))
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, handoff: &SyncSender<Job>) {
    loop {
        let accepted = listener.accept();
        if shared.api.stopping() {
            return; // dropping `handoff` ends the idle threads
        }
        match accepted {
            Ok((stream, _)) => admit(stream, shared, handoff),
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionAborted | ErrorKind::Interrupted) => {}
            Err(_) => {
                // Out of file descriptors or memory: make room, do not spin.
                shared.connections.evict_one();
                std::thread::sleep(WallDuration::from_millis(2));
            }
        }
    }
}

fn admit(stream: TcpStream, shared: &Arc<Shared>, handoff: &SyncSender<Job>) {
    let _ = stream.set_nodelay(true);
    let stream = Arc::new(stream);
    let Some(id) = shared.connections.admit(&stream) else {
        return refuse_connection(&stream, "every connection is busy; retry later");
    };
    let job = Job {
        id,
        stream: stream.clone(),
    };
    let job = match handoff.try_send(job) {
        Ok(()) => return,
        Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => job,
    };
    let spawned = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .stack_size(CONNECTION_STACK_BYTES)
            .spawn(move || work(&shared, job))
    };
    if spawned.is_err() {
        shared.connections.remove(id);
        shared.connections.evict_one();
        refuse_connection(
            &stream,
            "the server cannot take more connections now; retry later",
        );
    }
}

/// A connection thread: serves its job, then waits for another while fewer
/// than [`MAX_IDLE_THREADS`] wait.
fn work(shared: &Shared, first: Job) {
    let mut next = Some(first);
    while let Some(job) = next.take() {
        // Nothing in a request panics (the API catches its own); this keeps a
        // bug in the transport from ending the thread without cleaning up.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| serve_connection(shared, &job)));
        shared.connections.remove(job.id);
        // The client sees the end of the stream now, not when this thread is reused.
        let _ = job.stream.shutdown(Shutdown::Both);
        drop(job);
        next = wait_for_job(shared);
    }
}

/// The next connection for an idle thread; `None` when enough threads are
/// idle, after [`IDLE_THREAD_S`] without one, or once the server stops.
fn wait_for_job(shared: &Shared) -> Option<Job> {
    if shared.idle.fetch_add(1, Ordering::SeqCst) >= MAX_IDLE_THREADS {
        shared.idle.fetch_sub(1, Ordering::SeqCst);
        return None;
    }
    let job = shared
        .jobs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .recv_timeout(WallDuration::from_secs(IDLE_THREAD_S));
    shared.idle.fetch_sub(1, Ordering::SeqCst);
    job.ok()
}

/// Answers 503 on a connection the server cannot serve, without waiting.
fn refuse_connection(stream: &TcpStream, message: &str) {
    let _ = stream.set_write_timeout(Some(WallDuration::from_millis(100)));
    let body = serde_json::json!({ "error": message }).to_string();
    let _ = http::write_response(&mut &*stream, 503, body.as_bytes(), false);
    let _ = stream.shutdown(Shutdown::Both);
}

/// Reads from a socket, failing with `TimedOut` once `deadline` has passed.
struct DeadlineReader<'a> {
    stream: &'a TcpStream,
    deadline: Instant,
}

impl Read for DeadlineReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

/// Serves the requests of one connection until it closes, times out or asks
/// to close. Its head must arrive within the timeout of the connection going
/// idle, its body within the timeout again.
fn serve_connection(shared: &Shared, job: &Job) {
    let (api, connections, timeout, stream) =
        (&shared.api, &shared.connections, shared.timeout, &*job.stream);
    let _ = stream.set_write_timeout(Some(timeout));
    let limits = Limits::default();
    let mut reader = std::io::BufReader::new(DeadlineReader {
        stream,
        deadline: Instant::now() + timeout,
    });
    loop {
        connections.set_waiting(job.id, true);
        reader.get_mut().deadline = Instant::now() + timeout;
        let head = match http::read_head(&mut reader, &limits) {
            Ok(head) => head,
            Err(error) => return close_after(stream, error, timeout),
        };
        if head.expect_continue && head.content_length > 0 && http::write_continue(&mut &*stream).is_err() {
            return;
        }
        reader.get_mut().deadline = Instant::now() + timeout;
        let body = match http::read_body(&mut reader, head.content_length) {
            Ok(body) => body,
            Err(error) => return close_after(stream, error, timeout),
        };
        connections.set_waiting(job.id, false);
        let reply = api.handle(&head.method, &head.target, &head.headers, &body);
        let keep_alive = head.keep_alive && !api.stopping();
        let written = http::write_response(&mut &*stream, reply.status, &reply.body_bytes(), keep_alive);
        if written.is_err() || !keep_alive {
            return;
        }
    }
}

/// Ends a connection whose request could not be read, answering when the
/// client can still use an answer.
fn close_after(stream: &TcpStream, error: ReadError, timeout: WallDuration) {
    let (status, message) = match error {
        ReadError::Invalid { status, message } => (status, message),
        ReadError::TimedOut { started: true } => (
            408,
            format!("the request did not arrive within {} s", timeout.as_secs_f64()),
        ),
        ReadError::TimedOut { started: false } | ReadError::Closed | ReadError::Io(_) => return,
    };
    let body = serde_json::json!({ "error": message }).to_string();
    if http::write_response(&mut &*stream, status, body.as_bytes(), false).is_ok() {
        linger(stream);
    }
}

/// Lets the client read the answer before the socket closes: closing with
/// unread bytes would reset the connection and could discard it.
fn linger(stream: &TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(WallDuration::from_millis(200)));
    let mut sink = [0_u8; 4096];
    for _ in 0..16 {
        match (&*stream).read(&mut sink) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
}
