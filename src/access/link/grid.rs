//! Satellites' states on a common time grid, and between its points the cubic
//! Hermite interpolant through them: the trajectory the link search runs on.
//!
//! Each satellite is propagated once per grid point (position and velocity);
//! a pair's line of sight is then searched without propagating again. At
//! [`GRID_STEP_S`] the interpolant is within about 2 cm (h⁴ω⁴r/384 = 2.1 cm) of a 550 km circular
//! orbit (the error of a cubic Hermite is h⁴/384 · |r⁗|, and |r⁗| = ω⁴r on a
//! circle), so edges move by microseconds — far inside the search tolerance.

use nalgebra::Vector3;
use rayon::prelude::*;

use crate::access::Track;
use crate::error::Result;
use crate::satellite::Satellite;
use crate::time::TimeAxis;

/// Spacing of the grid, s.
pub const GRID_STEP_S: f64 = 30.0;

/// One satellite's cubic Hermite piece over one grid interval, as a
/// polynomial in the interval's fraction s ∈ [0, 1]: c₀ + c₁s + c₂s² + c₃s³.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece {
    c: [Vector3<f64>; 4],
    t0: f64,
    /// 1 / the interval's length, 1/s.
    rate: f64,
}

impl Piece {
    /// The piece through states (p0, v0) and (p1, v1) at t0 and t0 + dt.
    fn through((p0, v0): State, (p1, v1): State, t0: f64, dt: f64) -> Self {
        let (d0, d1) = (v0 * dt, v1 * dt);
        Self {
            c: [p0, d0, (p1 - p0) * 3.0 - d0 * 2.0 - d1, (p0 - p1) * 2.0 + d0 + d1],
            t0,
            rate: 1.0 / dt,
        }
    }

    /// Position and velocity at the fraction `s` of the interval.
    #[inline]
    fn state_at_fraction(&self, s: f64) -> State {
        let [c0, c1, c2, c3] = &self.c;
        let position = c0 + (c1 + (c2 + c3 * s) * s) * s;
        let velocity = (c1 + (c2 * 2.0 + c3 * (3.0 * s)) * s) * self.rate;
        (position, velocity)
    }

    /// The square of an upper bound of the interpolant's speed over the
    /// interval, km²/s²: its velocity is a quadratic Bézier curve, inside the
    /// convex hull of its three control points. (Squares: one square root per
    /// satellite, not per piece.)
    fn speed_squared_bound(&self) -> f64 {
        let [_, c1, c2, c3] = &self.c;
        let control = [*c1, c1 + c2, c1 + c2 * 2.0 + c3 * 3.0];
        control.iter().map(|v| v.norm_squared()).fold(0.0, f64::max) * self.rate * self.rate
    }

    /// The piece's Bézier control points (position in s ∈ [0, 1]).
    fn control_points(&self) -> [Vector3<f64>; 4] {
        let [c0, c1, c2, c3] = &self.c;
        [
            *c0,
            c0 + c1 / 3.0,
            c0 + c1 * (2.0 / 3.0) + c2 / 3.0,
            c0 + c1 + c2 + c3,
        ]
    }

    /// Bounds of the squared distance from the Earth's centre over the
    /// interval, km²: |p|² is a degree-6 polynomial whose Bernstein
    /// coefficients (products of the control points) bound it.
    fn radius_squared_range(&self) -> (f64, f64) {
        const BINOMIAL_3: [f64; 4] = [1.0, 3.0, 3.0, 1.0];
        const BINOMIAL_6: [f64; 7] = [1.0, 6.0, 15.0, 20.0, 15.0, 6.0, 1.0];
        let b = self.control_points();
        let mut coefficients = [0.0; 7];
        for i in 0..4 {
            coefficients[2 * i] += BINOMIAL_3[i] * BINOMIAL_3[i] * b[i].norm_squared();
            for j in i + 1..4 {
                coefficients[i + j] += 2.0 * BINOMIAL_3[i] * BINOMIAL_3[j] * b[i].dot(&b[j]);
            }
        }
        let (mut low, mut high) = (f64::INFINITY, 0.0f64);
        for (k, c) in coefficients.iter().enumerate() {
            let value = c / BINOMIAL_6[k];
            (low, high) = (low.min(value), high.max(value));
        }
        (low.max(0.0), high)
    }

    /// The acceleration at the fraction `s` of the interval, km/s² (linear
    /// in s: the interpolant is C¹, so it jumps a little at grid points).
    #[inline]
    fn acceleration_at_fraction(&self, s: f64) -> Vector3<f64> {
        let [_, _, c2, c3] = &self.c;
        (c2 * 2.0 + c3 * (6.0 * s)) * (self.rate * self.rate)
    }

    /// The squared jerk (constant over the interval), km²/s⁶.
    fn jerk_squared(&self) -> f64 {
        (self.c[3] * 6.0).norm_squared() * self.rate.powi(6)
    }

    /// −a·p/|p|² at the interval's start, 1/s²: ω² of the circle the
    /// satellite is on (μ/r³ on a Kepler circle).
    fn harmonic_rate_squared(&self) -> f64 {
        let position = self.c[0];
        -self.acceleration_at_fraction(0.0).dot(&position) / position.norm_squared()
    }

    /// Squares of bounds of the deviation from uniform circular motion at
    /// the rate ω (ω² = `omega_sq`) over the interval: |p″ + ω²p| (km²/s⁴)
    /// and |p‴ + ω²p′| (km²/s⁶). Both are Bézier curves in the interval's
    /// fraction (cubic and quadratic: the acceleration, linear, raised to
    /// degree 3; the jerk constant), inside the hulls of their control points.
    fn harmonic_deviation_squared(&self, omega_sq: f64) -> (f64, f64) {
        let [_, c1, c2, c3] = &self.c;
        let rate_sq = self.rate * self.rate;
        let (start, end) = (c2 * (2.0 * rate_sq), (c2 * 2.0 + c3 * 6.0) * rate_sq);
        let acceleration = [start, (start * 2.0 + end) / 3.0, (start + end * 2.0) / 3.0, end];
        let position = self.control_points();
        let deviation = (acceleration.iter().zip(&position))
            .map(|(a, p)| (a + p * omega_sq).norm_squared())
            .fold(0.0, f64::max);
        let jerk = c3 * (6.0 * rate_sq * self.rate);
        let velocity = [*c1, c1 + c2, c1 + c2 * 2.0 + c3 * 3.0];
        let deviation_rate = (velocity.iter())
            .map(|v| (jerk + v * (omega_sq * self.rate)).norm_squared())
            .fold(0.0, f64::max);
        (deviation, deviation_rate)
    }

    /// The square of an upper bound of the interpolant's acceleration over
    /// the interval, km²/s⁴: it is linear in time, largest at an end.
    fn acceleration_squared_bound(&self) -> f64 {
        let [_, _, c2, c3] = &self.c;
        let ends = (c2 * 2.0)
            .norm_squared()
            .max((c2 * 2.0 + c3 * 6.0).norm_squared());
        ends * self.rate.powi(4)
    }
}

/// A position (km) and velocity (km/s).
pub(crate) type State = (Vector3<f64>, Vector3<f64>);

/// Satellites' interpolants over [from_s, to_s] of an axis, through their
/// states at common grid points (the last point at `to_s`).
#[derive(Debug, Clone)]
pub(crate) struct ScreenGrid {
    times: Vec<f64>,
    /// Per satellite: its piece over each interval.
    pieces: Vec<Vec<Piece>>,
    /// Per satellite: bounds of its interpolant's speed and acceleration.
    bounds: Vec<MotionBound>,
}

/// Bounds of one satellite's interpolated motion over the whole grid.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MotionBound {
    /// Largest speed, km/s.
    pub(crate) speed_km_s: f64,
    /// Largest acceleration, km/s².
    pub(crate) acceleration_km_s2: f64,
    /// Smallest distance from the Earth's centre, km.
    pub(crate) min_radius_km: f64,
    /// Largest distance from the Earth's centre, km.
    pub(crate) max_radius_km: f64,
    /// Largest jerk, km/s³.
    pub(crate) jerk_km_s3: f64,
    /// Largest jump of the acceleration at a grid point, km/s².
    pub(crate) acceleration_jump_km_s2: f64,
    /// The rate of the circle the motion is closest to, ω² (1/s²): the mean
    /// of −a·p/|p|² over the grid points (μ/r³ on a Kepler circle).
    pub(crate) harmonic_rate_sq: f64,
    /// Largest |p″ + ω²p|, km/s²: how far the motion is from uniform circular
    /// motion at that rate (J2, eccentricity; 0 on a Kepler circle).
    pub(crate) harmonic_deviation_km_s2: f64,
    /// Largest |p‴ + ω²p′|, km/s³.
    pub(crate) harmonic_deviation_rate_km_s3: f64,
}

impl MotionBound {
    /// The bound of one satellite's pieces.
    fn of(pieces: &[Piece]) -> Self {
        // Squares throughout, their roots at the end.
        let mut squares = Self {
            min_radius_km: f64::INFINITY,
            ..Self::default()
        };
        for (k, piece) in pieces.iter().enumerate() {
            let (low, high) = piece.radius_squared_range();
            squares.speed_km_s = squares.speed_km_s.max(piece.speed_squared_bound());
            squares.acceleration_km_s2 = squares.acceleration_km_s2.max(piece.acceleration_squared_bound());
            squares.min_radius_km = squares.min_radius_km.min(low);
            squares.max_radius_km = squares.max_radius_km.max(high);
            squares.jerk_km_s3 = squares.jerk_km_s3.max(piece.jerk_squared());
            if let Some(next) = pieces.get(k + 1) {
                let jump = piece.acceleration_at_fraction(1.0) - next.acceleration_at_fraction(0.0);
                squares.acceleration_jump_km_s2 = squares.acceleration_jump_km_s2.max(jump.norm_squared());
            }
        }
        let omega_sq = pieces.iter().map(Piece::harmonic_rate_squared).sum::<f64>() / pieces.len() as f64;
        let (deviation, deviation_rate) = (pieces.iter())
            .map(|piece| piece.harmonic_deviation_squared(omega_sq))
            .fold((0.0f64, 0.0f64), |(d, r), (pd, pr)| (d.max(pd), r.max(pr)));
        Self {
            speed_km_s: squares.speed_km_s.sqrt(),
            acceleration_km_s2: squares.acceleration_km_s2.sqrt(),
            min_radius_km: squares.min_radius_km.sqrt(),
            max_radius_km: squares.max_radius_km.sqrt(),
            jerk_km_s3: squares.jerk_km_s3.sqrt(),
            acceleration_jump_km_s2: squares.acceleration_jump_km_s2.sqrt(),
            harmonic_rate_sq: omega_sq,
            harmonic_deviation_km_s2: deviation.sqrt(),
            harmonic_deviation_rate_km_s3: deviation_rate.sqrt(),
        }
    }
}

/// Position, velocity and acceleration at one instant (km, km/s, km/s²).
pub(crate) type Kinematics = (Vector3<f64>, Vector3<f64>, Vector3<f64>);

impl ScreenGrid {
    /// The grid of `satellites` over [from_s, to_s] on `axis` (parallel over satellites).
    pub(crate) fn new(
        satellites: &[&Satellite],
        axis: &TimeAxis,
        (from_s, to_s): (f64, f64),
    ) -> Result<Self> {
        let count = ((to_s - from_s) / GRID_STEP_S).ceil().max(1.0) as usize;
        let mut times: Vec<f64> = (0..count).map(|k| from_s + k as f64 * GRID_STEP_S).collect();
        times.push(to_s);
        let rows = (satellites.par_iter())
            .map(|sat| {
                let track = Track::new(*sat, axis);
                let mut grid = track.states_every(from_s, GRID_STEP_S, count)?;
                grid.push(track.state(to_s)?);
                let states: Vec<State> = grid.iter().map(|s| (s.position_km, s.velocity_km_s)).collect();
                let row: Vec<Piece> = (0..count)
                    .map(|k| Piece::through(states[k], states[k + 1], times[k], times[k + 1] - times[k]))
                    .collect();
                let bound = MotionBound::of(&row);
                Ok((row, bound))
            })
            .collect::<Result<Vec<(Vec<Piece>, MotionBound)>>>()?;
        let (pieces, bounds) = rows.into_iter().unzip();
        Ok(Self {
            times,
            pieces,
            bounds,
        })
    }

    /// The first and last grid times, s on the axis.
    pub(crate) fn span(&self) -> (f64, f64) {
        (self.times[0], self.times[self.times.len() - 1])
    }

    /// Bounds of satellite `row`'s interpolated motion.
    pub(crate) fn bound(&self, row: usize) -> MotionBound {
        self.bounds[row]
    }

    /// The pieces of satellites `a` and `b` over the interval holding `t`,
    /// and `t`'s fraction of it (the same for both).
    #[inline]
    fn pieces_at(&self, [a, b]: [usize; 2], t: f64) -> (&Piece, &Piece, f64) {
        let last = self.times.len() - 2;
        let k = (((t - self.times[0]) * (1.0 / GRID_STEP_S)).max(0.0) as usize).min(last);
        let (pa, pb) = (&self.pieces[a][k], &self.pieces[b][k]);
        (pa, pb, (t - pa.t0) * pa.rate)
    }

    /// Position and velocity of satellites `a` and `b` at `t` (on the
    /// interpolants).
    #[inline]
    pub(crate) fn states(&self, pair: [usize; 2], t: f64) -> [State; 2] {
        let (pa, pb, s) = self.pieces_at(pair, t);
        [pa.state_at_fraction(s), pb.state_at_fraction(s)]
    }

    /// Position, velocity and acceleration of satellites `a` and `b` at `t`
    /// (on the interpolants, the acceleration of the interval `t` starts).
    #[inline]
    pub(crate) fn kinematics(&self, pair: [usize; 2], t: f64) -> [Kinematics; 2] {
        let (pa, pb, s) = self.pieces_at(pair, t);
        let with_acceleration = |piece: &Piece| {
            let (p, v) = piece.state_at_fraction(s);
            (p, v, piece.acceleration_at_fraction(s))
        };
        [with_acceleration(pa), with_acceleration(pb)]
    }

    /// Position and velocity of satellite `row` at `t` (on the interpolant).
    #[cfg(test)]
    pub(crate) fn state(&self, row: usize, t: f64) -> State {
        self.states([row, row], t)[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orbit::walker::WalkerDelta;
    use crate::satellite::AnalyticModel;
    use hifitime::{Duration, Epoch};

    /// The interpolant against the propagator halfway between grid points
    /// (where a cubic Hermite errs most) over six hours of a 550 km orbit:
    /// the h⁴ω⁴r/384 = 2.1 cm the module promises (J2 adds a little).
    #[test]
    fn the_interpolant_stays_within_2_cm_of_the_orbit() {
        let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        let pattern = WalkerDelta {
            total: 1,
            planes: 1,
            phasing: 0,
            altitude_km: 550.0,
            inclination_deg: 97.6,
        };
        let sat = &Satellite::walker("S", &pattern, epoch, AnalyticModel::J2).unwrap()[0];
        let axis = TimeAxis::new(epoch, epoch + Duration::from_hours(6.0));
        let grid = ScreenGrid::new(&[sat], &axis, (0.0, 21_600.0)).unwrap();
        let track = Track::new(sat, &axis);
        let (mut worst_km, mut worst_km_s) = (0.0f64, 0.0f64);
        for k in 0..720 {
            let t = (k as f64 + 0.5) * GRID_STEP_S;
            let (position, velocity) = grid.state(0, t);
            let exact = track.state(t).unwrap();
            worst_km = worst_km.max((position - exact.position_km).norm());
            worst_km_s = worst_km_s.max((velocity - exact.velocity_km_s).norm());
        }
        assert!(worst_km < 2.5e-5, "{worst_km} km");
        assert!(worst_km_s < 1e-5, "{worst_km_s} km/s");
        assert!(
            worst_km > 1e-7,
            "an interpolant, not the orbit itself: {worst_km} km"
        );
    }
}
