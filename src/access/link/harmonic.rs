//! A harmonic bound of the horizon-angle product y = p_a·p_b: on near-circular
//! orbits y is nearly a sinusoid, so it is predicted for many minutes at a
//! time, with an error bound that stays small.
//!
//! Write each satellite's acceleration as p″ = −ω²p + α, with ω the pair's
//! common rate and α the deviation from uniform circular motion at that rate
//! (J2, eccentricity, a different altitude: 0 for two Kepler circles of one
//! radius). Then
//!
//! y‴ + 4ω²ẏ = ε,  ε = α_a′·p_b + 3α_a·v_b + 3v_a·α_b + p_a·α_b′,
//!
//! exactly, so with k = 2ω, from y, ẏ, ÿ at a step's start
//!
//! y(τ) = y + ẏ·sin(kτ)/k + ÿ·(1 − cos kτ)/k² + ∫₀^τ∫₀^s ε(σ)·sin(k(s − σ))/k dσ ds,
//!
//! and the last term is at most E·τ³/6 with E a bound of |ε| (|sin x| ≤ x).
//! The interpolants' accelerations jump a little at grid points: each jump J
//! of ÿ adds at most J(τ − t_k)²/2, so over a horizon T the remainder is at
//! most J·T²/2 + (E + J/h)·T³/6 (h the grid step). Where the cubic bound
//! takes |y‴| ≤ 8ω³r² (two counter-rotating satellites), E is a few per mille
//! of that on the low orbits of a constellation, and the predictor itself
//! holds the sinusoid: steps run to the predicted edge or the horizon.
//! Integrating by parts gives a second bound, |φ|·T² + |ψ|·T³/6 in the α's
//! alone (see [`HarmonicBound::remainder`]); the smaller of the two is used.

use super::grid::{MotionBound, GRID_STEP_S};
use std::f64::consts::{PI, TAU};

/// The longest horizon, s; shorter ones halve it down to [`SHORTEST_HORIZON_S`].
const LONGEST_HORIZON_S: f64 = 3_600.0;
/// The shortest horizon tried, s.
const SHORTEST_HORIZON_S: f64 = 30.0;

/// The harmonic bound of one pair.
#[derive(Debug, Clone, Copy)]
pub(super) struct HarmonicBound {
    /// k = 2ω, 1/s.
    frequency: f64,
    /// Bound of |ε| between grid points, plus the jumps of ÿ spread over the
    /// grid step, km²/s³.
    deviation: f64,
    /// Bound of a jump of ÿ at a grid point, km²/s².
    jump: f64,
    /// The other form of the remainder (see [`Self::remainder`]): bounds of
    /// |α_a·p_b + p_a·α_b|, km²/s², and of 2|α_a·v_b + v_a·α_b|, km²/s³.
    parts: (f64, f64),
    /// Bound of the rounding of y and of the predictor, km².
    rounding: f64,
}

impl HarmonicBound {
    /// The bound for two satellites' motion, with `jump` the bound of ÿ's
    /// jumps and `rounding` that of y's rounding (km²); `None` where the
    /// motion has no rate (ω² not positive).
    pub(super) fn new(a: &MotionBound, b: &MotionBound, jump: f64, rounding: f64) -> Option<Self> {
        let omega_sq = 0.5 * (a.harmonic_rate_sq + b.harmonic_rate_sq);
        if !(omega_sq.is_finite() && omega_sq > 0.0) {
            return None;
        }
        // Each satellite's deviation at the common rate: its own, plus the
        // difference of the rates times its radius (speed, for the rate).
        let off = |m: &MotionBound| {
            let gap = (omega_sq - m.harmonic_rate_sq).abs();
            (
                m.harmonic_deviation_km_s2 + gap * m.max_radius_km,
                m.harmonic_deviation_rate_km_s3 + gap * m.speed_km_s,
            )
        };
        let ((da, da_rate), (db, db_rate)) = (off(a), off(b));
        let epsilon = da_rate * b.max_radius_km
            + 3.0 * da * b.speed_km_s
            + 3.0 * a.speed_km_s * db
            + a.max_radius_km * db_rate;
        let deviation = epsilon + jump / GRID_STEP_S;
        let parts = (
            da * b.max_radius_km + a.max_radius_km * db,
            2.0 * (da * b.speed_km_s + a.speed_km_s * db),
        );
        (deviation.is_finite() && parts.0.is_finite() && parts.1.is_finite()).then_some(Self {
            frequency: 2.0 * omega_sq.sqrt(),
            deviation,
            jump,
            parts,
            rounding,
        })
    }

    /// Bound of |ε| (with the jumps spread), km²/s³: what replaces the
    /// cubic bound's |y‴| bound.
    pub(super) fn deviation(&self) -> f64 {
        self.deviation
    }

    /// How long, s, q stays positive, where q(0) = `value` > 0, q′(0) =
    /// `rate`, q″(0) = `curvature` and q‴ + k²q′ is bounded as the module
    /// says (y or its mirror about a threshold): the best of the horizons,
    /// each the predictor's first zero after the remainder over it is taken
    /// off, or the horizon itself. Where the predictor with the remainder
    /// added falls through zero within `pin_s` after that, q has surely
    /// crossed by then and the step goes there instead: past the edge, which
    /// the walk then refines (a second crossing within `pin_s` may be
    /// missed, as with the walk's shortest step).
    pub(super) fn step(&self, value: f64, rate: f64, curvature: f64, pin_s: f64) -> f64 {
        let k = self.frequency;
        let (sine, cosine) = (rate / k, curvature / (k * k));
        // q ≥ value + cosine + sine·sin θ − cosine·cos θ − remainder, θ = kτ:
        // value + cosine − remainder + amplitude·sin(θ − phase).
        let amplitude = (sine * sine + cosine * cosine).sqrt();
        let mut phase = None; // atan2 only when a zero is to be found
        let mut best = 0.0f64;
        let mut horizon = LONGEST_HORIZON_S;
        while horizon >= SHORTEST_HORIZON_S && best < horizon {
            let remainder = self.remainder(horizon, value.abs() + 2.0 * amplitude);
            let level = value - remainder;
            if level > 0.0 {
                let step = if level + cosine >= amplitude {
                    horizon // never reaches zero
                } else {
                    let phase = *phase.get_or_insert_with(|| cosine.atan2(sine));
                    let Some(first) = first_downward_zero((level + cosine) / amplitude, phase) else {
                        horizon *= 0.5;
                        continue;
                    };
                    let first = first / k;
                    if first >= horizon {
                        horizon
                    } else {
                        // The two bounds are 2·remainder apart and fall at most at
                        // k·amplitude: their zeros are further apart than that allows.
                        let upper = value + remainder + cosine;
                        let close = 2.0 * remainder <= pin_s * k * amplitude;
                        let crossed = (close && upper < amplitude)
                            .then(|| first_downward_zero(upper / amplitude, phase))
                            .flatten()
                            .map(|theta| theta / k);
                        match crossed {
                            Some(last) if last <= horizon && last - first <= pin_s => return last,
                            _ => first,
                        }
                    }
                };
                best = best.max(step);
            }
            horizon *= 0.5;
        }
        best
    }

    /// The remainder over `horizon` s, km², with the rounding of terms of
    /// size `scale` km².
    ///
    /// Two bounds of the same integral, the smaller taken. The first bounds ε
    /// itself (and the jumps apart). The second integrates the derivative off
    /// the α's: ε = φ′ + ψ with φ = α_a·p_b + p_a·α_b (jumps included:
    /// they are φ's) and ψ = 2(α_a·v_b + v_a·α_b), so by parts the inner
    /// integral is at most 2|φ|s + |ψ|s²/2, and the remainder |φ|τ² +
    /// |ψ|τ³/6. The interpolants' jerks err by a few per cent (piecewise
    /// constant where the orbit's turns), which the first bound pays through
    /// |α′| and the second never sees: it is the smaller beyond a few minutes.
    fn remainder(&self, horizon: f64, scale: f64) -> f64 {
        let h2 = horizon * horizon;
        let h3 = h2 * horizon / 6.0;
        let direct = self.jump * 0.5 * h2 + self.deviation * h3;
        let by_parts = self.parts.0 * h2 + self.parts.1 * h3;
        direct.min(by_parts) + self.rounding + 64.0 * f64::EPSILON * scale
    }
}

/// The first θ > 0 where ratio + sin(θ − phase) falls through zero (ratio in
/// (−1, 1), phase in [−π, π]): θ − phase = π + asin(ratio), taken into
/// (0, 2π). `None` just short of a whole turn (or for NaN): that happens only
/// by rounding when the zero is at θ = 0 itself.
fn first_downward_zero(ratio: f64, phase: f64) -> Option<f64> {
    // In [−π/2, 5π/2): one turn back or forward at most.
    let mut theta = PI + ratio.max(-1.0).asin() + phase;
    if theta < 0.0 {
        theta += TAU;
    } else if theta >= TAU {
        theta -= TAU;
    }
    (theta > 0.0 && theta < TAU - 1e-6).then_some(theta)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On an exact sinusoid (ε = 0) the step is its first zero, and never
    /// beyond it, whatever the phase and the offset; with a deviation it
    /// stops short of the zero the remainder allows.
    #[test]
    fn the_step_stops_at_the_sinusoids_first_zero() {
        let k = 2.0 * 1.1e-3;
        let exact = HarmonicBound {
            frequency: k,
            deviation: 0.0,
            jump: 0.0,
            parts: (0.0, 0.0),
            rounding: 0.0,
        };
        let mut random = crate::testing::Xorshift::new(0x9e37_79b9_7f4a_7c15u64);
        let mut uniform = || random.uniform();
        let (mut stopped, mut whole) = (0, 0);
        for _ in 0..5_000 {
            let (amplitude, angle) = (1e6 * (0.1 + uniform()), TAU * uniform());
            let centre = amplitude * (2.5 * uniform() - 1.0);
            // q(τ) = centre + amplitude·cos(kτ + angle), shifted to q(0) > 0.
            let q = |t: f64| centre + amplitude * (k * t + angle).cos();
            let value = q(0.0);
            if value <= 0.0 {
                continue;
            }
            let (rate, curvature) = (-amplitude * k * angle.sin(), -amplitude * k * k * angle.cos());
            let step = exact.step(value, rate, curvature, 0.0);
            let first_zero = (1..=36_000).map(|i| f64::from(i) * 0.1).find(|&t| q(t) <= 0.0);
            for i in 0..=1_000 {
                let t = step * f64::from(i) / 1_000.0;
                assert!(q(t) > 0.0, "q({t}) ≤ 0 before the step {step}");
            }
            match first_zero {
                Some(zero) => {
                    assert!(step > zero - 0.2, "{step} short of {zero}");
                    stopped += 1;
                }
                None => {
                    assert_eq!(step, LONGEST_HORIZON_S);
                    whole += 1;
                }
            }
        }
        assert!(stopped > 500 && whole > 500, "{stopped} {whole}");
        // A deviation: the bound's remainder is taken off the value, each
        // form of it alone and both (the smaller is used).
        let (value, rate, curvature) = (2e5, -1_000.0, 0.0);
        let tight = exact.step(value, rate, curvature, 0.0);
        for parts in [(f64::INFINITY, 0.0), (0.5, 1e-3), (0.0, f64::INFINITY)] {
            let loose = HarmonicBound {
                deviation: 1e-2,
                parts,
                ..exact
            };
            let safe = loose.step(value, rate, curvature, 0.0);
            assert!(safe < tight && safe > 0.5 * tight, "{parts:?}: {safe} vs {tight}");
        }
    }
}
