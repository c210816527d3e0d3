//! Worker threads: how many a caller may ask for, and running work on them.
//!
//! The CLI's `--threads` and the Python API's `threads=` both come here, so
//! they accept and refuse the same counts with the same message.

use crate::error::{Error, Result};

/// The largest thread count accepted.
///
/// Why a fixed bound: rayon starts every thread of a pool up front, and a
/// count like 100 000 does not fail, it spends minutes creating threads (each
/// with its own stack) — a hang from the user's side. Results never depend on
/// the number of threads (see [`crate::batch`]), so more threads than cores
/// only adds switching; 256 leaves room for the largest machines in use
/// without letting a typo stall the process. A fixed number, not one derived
/// from the cores, so a script valid on one machine is valid on every one.
pub const MAX_THREADS: usize = 256;

/// Checks a requested thread count: `1..=`[`MAX_THREADS`]. Signed, so that
/// `--threads -1` and `threads=-1` get this message too (not a parser's or
/// Python's `OverflowError`, which is no `ValueError`).
///
/// ```
/// use orbitedge::threads::{check_thread_count, MAX_THREADS};
/// assert_eq!(check_thread_count(4)?, 4);
/// assert!(check_thread_count(0).is_err());
/// assert!(check_thread_count(MAX_THREADS as i64 + 1).is_err());
/// assert!(check_thread_count(-1).is_err());
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn check_thread_count(threads: i64) -> Result<usize> {
    match usize::try_from(threads) {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(Error::parameter(
            "threads",
            threads as f64,
            "an integer from 1 to 256",
        )),
    }
}

/// Runs `work` on a pool of `threads` rayon threads, or on rayon's global pool
/// (one thread per core) when `None`; the count is checked first.
pub fn with_threads<T: Send>(threads: Option<i64>, work: impl FnOnce() -> T + Send) -> Result<T> {
    let Some(threads) = threads else {
        // On a worker of rayon's global pool: the parallel loops inside then
        // start without a hand-off from this thread each (a wake-up and a
        // sleep, which made most of a short `run` call's cost: a Python loop
        // of 600 s slices paid ≈ 1.4 ms per slice at one thread).
        return Ok(rayon::scope(|_| work()));
    };
    let threads = check_thread_count(threads)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::ResourceLimit {
            what: format!("a pool of {threads} worker threads"),
            estimate: format!("{threads} threads"),
            limit: format!("what the operating system allows ({e})"),
            hint: "ask for fewer threads".into(),
        })?;
    Ok(pool.install(work))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_to_the_maximum_are_accepted() {
        for n in [1, 2, 7, MAX_THREADS] {
            assert_eq!(check_thread_count(n as i64), Ok(n));
        }
    }

    #[test]
    fn zero_and_absurd_counts_are_refused_with_a_typed_error() {
        for n in [0, MAX_THREADS as i64 + 1, 100_000, i64::MAX, -1, i64::MIN] {
            let error = check_thread_count(n).unwrap_err();
            assert!(
                matches!(error, Error::InvalidParameter { name: "threads", .. }),
                "{n}: {error:?}"
            );
            // The message's range is the constant's.
            let range = format!("from 1 to {MAX_THREADS}");
            assert!(error.to_string().contains(&range), "{error}");
        }
    }

    #[test]
    fn work_runs_on_exactly_the_threads_asked_for() {
        assert_eq!(with_threads(Some(3), rayon::current_num_threads), Ok(3));
        assert_eq!(
            with_threads(None, rayon::current_num_threads),
            Ok(rayon::current_num_threads())
        );
        // Refused before any thread is started.
        assert!(with_threads(Some(100_000), || unreachable!("must not run")).is_err());
    }
}
