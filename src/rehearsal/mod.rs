//! Hardware-in-the-loop rehearsal: simulated time paced by the wall clock, a
//! local HTTP/JSON API for the flight application, and a log that replays the
//! rehearsal deterministically.
//!
//! The engine is the same as in deterministic runs: the pacer only decides how
//! far each `run` call goes, and the application's requests apply at the
//! simulated time they arrive. Recording both makes the rehearsal a
//! reproducible input ([`replay`]).

#[cfg(feature = "serve")]
pub mod api;
pub mod compare;
#[cfg(feature = "serve")]
pub mod http;
pub mod pacer;
#[cfg(feature = "serve")]
pub mod server;
pub mod session;
#[cfg(feature = "serve")]
mod transport;

pub use crate::sim::{Decision, StateView};
pub use pacer::{Lag, LagPolicy, Pacer};
pub use session::{replay, LogEntry, Session, SessionFailure};
