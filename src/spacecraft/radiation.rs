//! Radiation effects: three Poisson processes and total ionising dose.
//!
//! - **Data corruption** (single-event upsets in stored data): each event
//!   corrupts `corruption_bytes_per_event` of stored data, in a partition drawn
//!   with probability proportional to its content.
//! - **Restarts** (resets, latch-up clears): interrupt running activities.
//! - **Permanent failure**: the spacecraft stops working.
//! - **Total ionising dose**: accumulates at `dose_rate_rad_per_s`; reaching
//!   `dose_limit_rad` is a permanent failure.
//!
//! Event times are drawn as exponential inter-arrival times, Δt = −ln(1 − U)/λ,
//! from ChaCha8 streams keyed by (seed, spacecraft name, process). Each process
//! of each spacecraft owns its stream, so results depend neither on the number
//! of threads, nor on iteration order, nor on the step size.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::{ensure_non_negative, ensure_positive, Error, Result};

/// Radiation environment of one spacecraft (all rates default to 0: no effects).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RadiationConfig {
    /// Stored-data corruption events per second.
    #[serde(default)]
    pub data_corruption_per_s: f64,
    /// Bytes corrupted by one event; default 1 MB.
    #[serde(default = "default_corruption_bytes")]
    pub corruption_bytes_per_event: f64,
    /// Restart events per second.
    #[serde(default)]
    pub restart_per_s: f64,
    /// Permanent failure events per second.
    #[serde(default)]
    pub failure_per_s: f64,
    /// Total ionising dose rate, rad/s.
    #[serde(default)]
    pub dose_rate_rad_per_s: f64,
    /// Dose at which the spacecraft fails, rad; `None` for no limit.
    #[serde(default)]
    pub dose_limit_rad: Option<f64>,
}

fn default_corruption_bytes() -> f64 {
    1e6
}

/// Highest rate of any radiation process, events per second. Every event is a
/// breakpoint of the engine, so a typo like `1e308` would otherwise stall a run
/// on events a fraction of a nanosecond apart; real upset, restart and failure
/// rates are orders of magnitude lower (even in the South Atlantic Anomaly).
pub const MAX_EVENT_RATE_PER_S: f64 = 1.0;

impl RadiationConfig {
    /// Checks every parameter.
    pub fn validated(self) -> Result<Self> {
        for (name, rate) in [
            ("data_corruption_per_s", self.data_corruption_per_s),
            ("restart_per_s", self.restart_per_s),
            ("failure_per_s", self.failure_per_s),
        ] {
            ensure_non_negative(name, rate)?;
            if rate > MAX_EVENT_RATE_PER_S {
                return Err(Error::parameter(name, rate, "at most 1 event per second"));
            }
        }
        ensure_non_negative("corruption_bytes_per_event", self.corruption_bytes_per_event)?;
        ensure_non_negative("dose_rate_rad_per_s", self.dose_rate_rad_per_s)?;
        if let Some(limit) = self.dose_limit_rad {
            ensure_positive("dose_limit_rad", limit)?;
        }
        Ok(self)
    }
}

/// The three random processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RadiationProcess {
    /// Stored-data corruption.
    DataCorruption,
    /// Restart.
    Restart,
    /// Permanent failure.
    Failure,
}

impl RadiationProcess {
    /// All processes, in a fixed order.
    pub const ALL: [RadiationProcess; 3] = [
        RadiationProcess::DataCorruption,
        RadiationProcess::Restart,
        RadiationProcess::Failure,
    ];

    fn key(self) -> u8 {
        match self {
            RadiationProcess::DataCorruption => 1,
            RadiationProcess::Restart => 2,
            RadiationProcess::Failure => 3,
        }
    }
}

/// A reproducible random stream for one (seed, spacecraft, process).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventStream {
    rng: ChaCha8Rng,
    rate_per_s: f64,
    /// Time of the next event, seconds since the simulation start (∞ if rate is 0).
    pub next_s: f64,
}

/// FNV-1a, a fixed (platform- and version-independent) hash of a name.
pub(crate) fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl EventStream {
    /// The stream for `process` of spacecraft `name` under `seed`, first event drawn.
    ///
    /// ```
    /// use orbitedge::spacecraft::radiation::{EventStream, RadiationProcess};
    /// let a = EventStream::new(42, "sat-0", RadiationProcess::Restart, 1e-3);
    /// let b = EventStream::new(42, "sat-0", RadiationProcess::Restart, 1e-3);
    /// let c = EventStream::new(42, "sat-1", RadiationProcess::Restart, 1e-3);
    /// assert_eq!(a.next_s, b.next_s);
    /// assert_ne!(a.next_s, c.next_s);
    /// ```
    pub fn new(seed: u64, name: &str, process: RadiationProcess, rate_per_s: f64) -> Self {
        Self::keyed(seed, name, process.key(), rate_per_s)
    }

    /// A stream for another random process of spacecraft `name` (`process` ≥ 16
    /// is free for other uses than radiation).
    pub fn keyed(seed: u64, name: &str, process: u8, rate_per_s: f64) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&name_hash(name).to_le_bytes());
        key[16] = process;
        let mut stream = Self {
            rng: ChaCha8Rng::from_seed(key),
            rate_per_s,
            next_s: f64::INFINITY,
        };
        stream.next_s = stream.interarrival_s();
        stream
    }

    /// Events per second (0: none).
    pub fn rate_per_s(&self) -> f64 {
        self.rate_per_s
    }

    /// A uniform number in [0, 1) from this stream.
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn interarrival_s(&mut self) -> f64 {
        if self.rate_per_s > 0.0 {
            -(1.0 - self.uniform()).ln() / self.rate_per_s
        } else {
            f64::INFINITY
        }
    }

    /// Consumes the pending event and draws the next one.
    pub fn advance(&mut self) {
        self.next_s += self.interarrival_s();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_rate() {
        // 20 independent spacecraft, λ = 1/600 s over 10 days: expect 1440 each.
        let rate = 1.0 / 600.0;
        let horizon = 10.0 * 86_400.0;
        let mut total = 0.0;
        for k in 0..20 {
            let mut s = EventStream::new(7, &format!("sat-{k}"), RadiationProcess::Restart, rate);
            while s.next_s < horizon {
                s.advance();
                total += 1.0;
            }
        }
        let expected = 20.0 * rate * horizon;
        // Poisson: σ = sqrt(expected) ≈ 170; allow 4σ.
        assert!(
            (total - expected).abs() < 4.0 * expected.sqrt(),
            "{total} vs {expected}"
        );
    }

    #[test]
    fn processes_and_seeds_are_independent_streams() {
        let a = EventStream::new(1, "x", RadiationProcess::Restart, 1.0);
        let b = EventStream::new(1, "x", RadiationProcess::Failure, 1.0);
        let c = EventStream::new(2, "x", RadiationProcess::Restart, 1.0);
        assert_ne!(a.next_s, b.next_s);
        assert_ne!(a.next_s, c.next_s);
        assert_eq!(
            EventStream::new(1, "x", RadiationProcess::Restart, 0.0).next_s,
            f64::INFINITY
        );
    }
}
