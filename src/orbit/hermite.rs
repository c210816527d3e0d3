//! Cubic Hermite interpolation of states: between two samples, the position
//! follows the cubic that matches both positions and both velocities, and
//! the velocity is its derivative. Shared by the tabulated ephemeris and the
//! sampled custom orbit, so both interpolate alike.
//!
//! Error: ≈ h⁴/384·|r⁽⁴⁾| in position and ≈ h³/72·|r⁽⁴⁾| in velocity, with
//! |r⁽⁴⁾| ≈ n⁴·r on a near-circular orbit of mean motion n. For LEO (n ≈
//! 1.1e-3 rad/s, r ≈ 6 900 km) sampled every 60 s that is ≈ 0.3 m and ≈ 0.03 m/s.

use crate::orbit::StateVector;

/// The state at `tau` ∈ [0, 1] of the way from `s0` to `s1`, which are `h_s`
/// seconds apart. At `tau = 0` it is `s0` exactly (every other term vanishes).
#[inline]
pub(crate) fn interpolate(s0: &StateVector, s1: &StateVector, h_s: f64, tau: f64) -> StateVector {
    let (t2, t3) = (tau * tau, tau * tau * tau);
    let position_km = (2.0 * t3 - 3.0 * t2 + 1.0) * s0.position_km
        + (t3 - 2.0 * t2 + tau) * h_s * s0.velocity_km_s
        + (-2.0 * t3 + 3.0 * t2) * s1.position_km
        + (t3 - t2) * h_s * s1.velocity_km_s;
    let velocity_km_s = ((6.0 * t2 - 6.0 * tau) * s0.position_km + (-6.0 * t2 + 6.0 * tau) * s1.position_km)
        / h_s
        + (3.0 * t2 - 4.0 * tau + 1.0) * s0.velocity_km_s
        + (3.0 * t2 - 2.0 * tau) * s1.velocity_km_s;
    StateVector {
        position_km,
        velocity_km_s,
    }
}
