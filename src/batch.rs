//! Many satellites × many epochs in one call.
//!
//! Work is split by satellite across rayon's pool; each satellite fills its own
//! rows of preallocated buffers, so results are bit-identical whatever the
//! number of threads.

use hifitime::Epoch;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::orbit::Propagator;
use crate::time::seconds_between;

/// Positions and velocities of N satellites at T epochs, row-major (N, T, 3).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStates {
    /// Number of satellites, N.
    pub satellites: usize,
    /// Number of epochs, T.
    pub epochs: usize,
    /// TEME positions, km, laid out as [sat][epoch][xyz].
    pub positions_km: Vec<f64>,
    /// TEME velocities, km/s, same layout.
    pub velocities_km_s: Vec<f64>,
}

/// Propagates every satellite to every epoch.
///
/// Fails on the first satellite (in input order) that cannot be propagated,
/// naming it and the epoch.
///
/// ```
/// use orbitedge::{Satellite, batch::propagate_batch, orbit::Propagator};
/// let sat = Satellite::from_tle("ISS",
///     "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
///     "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482")?;
/// let epochs: Vec<_> = (0..10).map(|k| sat.epoch() + hifitime::Duration::from_seconds(60.0 * k as f64)).collect();
/// let states = propagate_batch(&[sat], &epochs)?;
/// assert_eq!(states.positions_km.len(), 10 * 3);
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn propagate_batch<P: Propagator>(satellites: &[P], epochs: &[Epoch]) -> Result<BatchStates> {
    let (n, t) = (satellites.len(), epochs.len());
    let mut positions_km = vec![0.0; n * t * 3];
    let mut velocities_km_s = vec![0.0; n * t * 3];
    if n > 0 && t > 0 {
        let reference = epochs[0];
        let offsets_s: Vec<f64> = epochs.iter().map(|e| seconds_between(reference, *e)).collect();
        let failures: Vec<Option<(usize, Error)>> = positions_km
            .par_chunks_mut(t * 3)
            .zip(velocities_km_s.par_chunks_mut(t * 3))
            .zip(satellites.par_iter())
            .enumerate()
            .map(|(index, ((positions, velocities), satellite))| {
                let since_epoch = seconds_between(satellite.epoch(), reference);
                for (k, offset) in offsets_s.iter().enumerate() {
                    match satellite.state_after(since_epoch + offset) {
                        Ok(state) => {
                            positions[3 * k..3 * k + 3].copy_from_slice(state.position_km.as_slice());
                            velocities[3 * k..3 * k + 3].copy_from_slice(state.velocity_km_s.as_slice());
                        }
                        Err(error) => return Some((index, error)),
                    }
                }
                None
            })
            .collect();
        if let Some((index, error)) = failures.into_iter().flatten().next() {
            return Err(match error {
                Error::Propagation { epoch, reason } => Error::Propagation {
                    epoch,
                    reason: format!("satellite #{index}: {reason}"),
                },
                other => other,
            });
        }
    }
    Ok(BatchStates {
        satellites: n,
        epochs: t,
        positions_km,
        velocities_km_s,
    })
}
