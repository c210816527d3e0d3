//! One pair's line-of-sight windows on a [`ScreenGrid`], by a safe-step walk
//! whose steps come from second-order bounds.
//!
//! The margin ([`LineOfSight::margin_km`]) is the smaller of the clearance c
//! (the segment's lowest point above the grazing sphere) and, with a range
//! limit, the range margin r. On the interpolants each part is C¹ (the
//! segment's closest point to the Earth's centre is unique) and its second
//! derivative is bounded, so from a value and a rate at t the part stays of
//! one sign for a step the quadratic bound gives (`quadratic_step`):
//!
//! - c″ ≤ V²/|p| + A along the closest point p (it is a minimum over points
//!   of the segment, each with that curvature bound) — how long a blocked
//!   pair stays blocked;
//! - c″ ≥ −(A + |p|·(V_ab/|d| + V/R_g)²) while visible (the minimiser moves
//!   along the segment d at a rate bounded by the implicit-function theorem;
//!   |p| ≥ R_g while visible) — how long a visible pair stays visible;
//! - |r″| ≤ V_ab²/|d| + A_ab for the range.
//!
//! V, A bound a satellite's speed and acceleration, V_ab, A_ab the pair's
//! relative ones, over the grid. A first-order step |c|/V (c is
//! V-Lipschitz) is used where it is longer. Steps are at least
//! `min_step_s`; sign changes are refined with Brent's method — so the walk
//! is exact on the interpolants to that resolution, and never propagates.

use super::grid::{ScreenGrid, State};
use crate::access::root::brent;
use crate::access::SearchConfig;
use crate::constants::EARTH_EQUATORIAL_RADIUS_KM;
use crate::environment::LineOfSight;
use crate::error::Result;

/// The second-order bounds hold over this horizon, s (distances shrink and
/// speeds grow with it)...
const HORIZON_S: f64 = 120.0;
/// ...or this longer one, tried when a step reaches the short one.
const LONG_HORIZON_S: f64 = 600.0;

/// Two rows of a grid: the pair searched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PairSearch<'g> {
    /// The grid.
    pub(crate) grid: &'g ScreenGrid,
    /// Row of the first satellite.
    pub(crate) a: usize,
    /// Row of the second.
    pub(crate) b: usize,
    /// When the two see each other.
    pub(crate) line_of_sight: &'g LineOfSight,
}

/// The margin's parts at one instant, with their rates.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Clearance above the grazing sphere, km, and its rate, km/s.
    clearance: (f64, f64),
    /// Distance of the segment's closest point from the Earth's centre, km.
    closest_km: f64,
    /// Range, km, and its rate, km/s.
    range: (f64, f64),
    /// Relative speed, km/s.
    relative_speed: f64,
    /// Speed of the segment's closest point (at its fixed place along the
    /// segment), km/s.
    closest_speed: f64,
}

/// The pair's motion bounds over the grid.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    /// Larger speed of the two, km/s.
    speed: f64,
    /// Larger acceleration of the two, km/s².
    acceleration: f64,
    /// Bound of the relative speed, km/s.
    relative_speed: f64,
    /// Bound of the relative acceleration, km/s².
    relative_acceleration: f64,
}

impl PairSearch<'_> {
    /// The pair's motion bounds.
    fn bounds(&self) -> Bounds {
        let (a, b) = (self.grid.bound(self.a), self.grid.bound(self.b));
        Bounds {
            speed: a.speed_km_s.max(b.speed_km_s),
            acceleration: a.acceleration_km_s2.max(b.acceleration_km_s2),
            relative_speed: a.speed_km_s + b.speed_km_s,
            relative_acceleration: a.acceleration_km_s2 + b.acceleration_km_s2,
        }
    }

    /// Radius of the grazing sphere, km.
    fn grazing_radius_km(&self) -> f64 {
        EARTH_EQUATORIAL_RADIUS_KM + self.line_of_sight.grazing_altitude_km
    }

    /// Positions and velocities of both at `t` (on the interpolants).
    fn states(&self, t: f64) -> [State; 2] {
        self.grid.states([self.a, self.b], t)
    }

    /// The margin at `t`, km (exactly [`LineOfSight::margin_km`] of the
    /// interpolated positions).
    fn margin(&self, t: f64) -> f64 {
        let [(a, _), (b, _)] = self.states(t);
        self.line_of_sight.margin_km(&a, &b)
    }

    /// The range at `t` (on the interpolants), km.
    pub(crate) fn range_km(&self, t: f64) -> f64 {
        let [(a, _), (b, _)] = self.states(t);
        (a - b).norm()
    }

    /// The margin's parts and rates at `t`.
    fn sample(&self, t: f64) -> Sample {
        let [(a, va), (b, vb)] = self.states(t);
        let (d, dv) = (b - a, vb - va);
        let length_sq = d.norm_squared();
        let s = if length_sq > 0.0 {
            (-a.dot(&d) / length_sq).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (p, pv) = (a + s * d, va + s * dv);
        let closest_km = p.norm();
        let range = length_sq.sqrt();
        Sample {
            clearance: (
                closest_km - self.grazing_radius_km(),
                p.dot(&pv) / closest_km.max(1e-9),
            ),
            closest_km,
            range: (range, d.dot(&dv) / range.max(1e-9)),
            relative_speed: dv.norm(),
            closest_speed: pv.norm(),
        }
    }

    /// The sample's margin, km (as [`LineOfSight::margin_km`]).
    fn margin_of(&self, sample: &Sample) -> f64 {
        match self.line_of_sight.max_range_km {
            Some(max) => sample.clearance.0.min(max - sample.range.0),
            None => sample.clearance.0,
        }
    }

    /// How long, s, the margin surely keeps the sign it has at `sample`: the
    /// bounds over a short horizon, or a longer one when the step reaches it.
    fn safe_step(&self, sample: &Sample, bounds: &Bounds) -> f64 {
        let short = self.step_within(sample, bounds, HORIZON_S);
        if short < HORIZON_S {
            return short;
        }
        short.max(self.step_within(sample, bounds, LONG_HORIZON_S))
    }

    /// [`Self::safe_step`] with the second-order bounds taken over `h` seconds.
    fn step_within(&self, sample: &Sample, bounds: &Bounds, h: f64) -> f64 {
        let (c, c_rate) = sample.clearance;
        // The relative speed over the horizon, and the lowest |d| there.
        let relative_speed = bounds
            .relative_speed
            .min(sample.relative_speed + bounds.relative_acceleration * h);
        let chord = sample.range.0 - relative_speed * h;
        let range_curvature = if chord > 0.0 {
            relative_speed.powi(2) / chord + bounds.relative_acceleration
        } else {
            f64::INFINITY
        };
        let range_part = self.line_of_sight.max_range_km.map(|max| {
            let (r, r_rate) = (max - sample.range.0, -sample.range.1);
            let first = r.abs() / bounds.relative_speed;
            (r, first.max(quadratic_step(r, r_rate, range_curvature).min(h)))
        });
        let clearance_curvature = if c > 0.0 {
            let grazing = self.grazing_radius_km();
            let reach = sample.closest_km.max(grazing) + bounds.speed * h;
            if chord > 0.0 {
                bounds.acceleration + reach * (relative_speed / chord + bounds.speed / grazing).powi(2)
            } else {
                f64::INFINITY
            }
        } else {
            let speed = bounds.speed.min(sample.closest_speed + bounds.acceleration * h);
            let nearest = sample.closest_km - speed * h;
            if nearest > 0.0 {
                speed.powi(2) / nearest + bounds.acceleration
            } else {
                f64::INFINITY
            }
        };
        let first = c.abs() / bounds.speed;
        let clearance_step = first.max(quadratic_step(c, c_rate, clearance_curvature).min(h));
        match range_part {
            // Visible: both parts must stay positive.
            Some((r, range_step)) if c > 0.0 && r > 0.0 => clearance_step.min(range_step),
            // Blocked by one or both: it is enough that one stays negative.
            Some((r, range_step)) if r <= 0.0 && c <= 0.0 => clearance_step.max(range_step),
            Some((r, range_step)) if r <= 0.0 => range_step,
            _ => clearance_step,
        }
    }

    /// (start, end) of each window over the grid's span, in seconds on its
    /// axis; a window open at the grid's start starts there, one open at its
    /// end ends there.
    pub(crate) fn windows(&self, config: &SearchConfig) -> Result<Vec<(f64, f64)>> {
        let (from, to) = self.grid.span();
        let bounds = self.bounds();
        let margin = |t: f64| -> Result<f64> { Ok(self.margin(t)) };
        let mut edges = Vec::new();
        let mut sample = self.sample(from);
        let mut m = self.margin_of(&sample);
        if m > 0.0 {
            edges.push(from);
        }
        let mut t = from;
        while t < to {
            let next_t = (t + self.safe_step(&sample, &bounds).max(config.min_step_s)).min(to);
            let next_sample = self.sample(next_t);
            let next = self.margin_of(&next_sample);
            if (m > 0.0) != (next > 0.0) {
                edges.push(brent(margin, t, next_t, m, next, config.tolerance_s)?);
            }
            (t, sample, m) = (next_t, next_sample, next);
        }
        if edges.len() % 2 == 1 {
            edges.push(to);
        }
        Ok(edges.chunks(2).map(|w| (w[0], w[1])).collect())
    }
}

/// The longest τ for which value + rate·τ ∓ curvature·τ²/2 keeps the sign of
/// `value` (the bound bends towards zero), s; 0 when it cannot be shown.
fn quadratic_step(value: f64, rate: f64, curvature: f64) -> f64 {
    if !(curvature.is_finite() && curvature > 0.0) || value == 0.0 {
        return 0.0;
    }
    // Work with a positive value moving at `toward` away from zero.
    let (v, away) = if value > 0.0 {
        (value, rate)
    } else {
        (-value, -rate)
    };
    (away + (away * away + 2.0 * curvature * v).sqrt()) / curvature
}
