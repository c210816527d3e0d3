//! One pair's line-of-sight windows on a [`ScreenGrid`], by a safe-step walk
//! whose steps come from bounds of the margin's derivatives.
//!
//! The margin ([`LineOfSight::margin_km`]) is the smaller of the clearance c
//! (the segment's lowest point above the grazing sphere) and, with a range
//! limit, the range margin r. Its sign is all the walk needs, and two forms
//! of it give steps:
//!
//! - **the horizon angle** ([`SeparationBound`]): with both satellites above
//!   the grazing sphere the pair is visible exactly when y = p_a·p_b exceeds
//!   a threshold set by the radii alone. y is smooth, and its third
//!   derivative is bounded by the satellites' jerks, accelerations and speeds
//!   (8ω³r² on circular orbits, which two counter-rotating satellites reach),
//!   so from y, ẏ, ÿ at a step's start a cubic bound keeps the sign for
//!   minutes — typically 5 min where the km bounds gave 40 s. On
//!   near-circular orbits the harmonic bound ([`HarmonicBound`]) predicts y
//!   as a sinusoid instead, and steps run to the predicted edge;
//! - **km bounds**, where the radii swing too much for the angle (eccentric
//!   orbits) or a range limit applies. From a value and a rate each part
//!   stays of one sign for a step the quadratic bound gives
//!   (`quadratic_step`): c″ ≤ V²/|p| + A along the closest point p (how long a
//!   blocked pair stays blocked); c″ ≥ −(A + |p|·(V_ab/|d| + V/R_g)²) while
//!   visible (the minimiser moves along the segment d at a rate bounded by
//!   the implicit-function theorem; |p| ≥ R_g while visible); |r″| ≤
//!   V_ab²/|d| + A_ab for the range. V, A bound a satellite's speed and
//!   acceleration, V_ab, A_ab the pair's relative ones, over the grid; a
//!   first-order step |c|/V is used where it is longer.
//!
//! Steps are at least `min_step_s` (a step the harmonic bound pins within
//! that of an edge goes past it); sign changes are refined by Newton on the
//! horizon gap (zero exactly at the edge) or Brent's method on the margin
//! itself — so the walk is exact on the interpolants to the tolerance, and
//! never propagates. [`all_windows`] walks every pair
//! through the grid one tile of time at a time, so a tile's pieces stay in
//! cache; the steps are those of one uninterrupted walk.

use super::grid::{Kinematics, MotionBound, ScreenGrid, State, GRID_STEP_S};
use super::harmonic::HarmonicBound;
use crate::access::root::brent;
use crate::access::SearchConfig;
use crate::constants::EARTH_EQUATORIAL_RADIUS_KM;
use crate::environment::LineOfSight;
use crate::error::Result;
use rayon::prelude::*;

/// The harmonic bound replaces the cubic one where its bound of y‴ + 4ω²ẏ
/// is below this fraction of the cubic's bound of |y‴| (it is a few per mille
/// on near-circular orbits, and worse than the cubic on eccentric ones).
const HARMONIC_GAIN: f64 = 0.25;
/// Below this, s, a harmonic step is compared with the cubic one.
const SHORT_HARMONIC_STEP_S: f64 = 120.0;

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

/// What [`PairSearch::probe`] finds at an instant.
#[derive(Debug, Clone, Copy)]
struct Probe {
    /// The pair sees each other.
    visible: bool,
    /// For how long that surely lasts, s (or, pinned by the harmonic bound,
    /// when it has surely ended).
    step: f64,
    /// y decided the sign (out of the band, no range limit).
    by_angle: bool,
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
    /// The horizon-angle form of the clearance, when both stay above the
    /// grazing sphere.
    separation: Option<SeparationBound>,
}

/// The clearance as an angle: two points outside the grazing sphere (radius
/// R_g) see each other exactly when the angle θ they subtend at the centre is
/// below α_a + α_b, each α = acos(R_g/|p|) the angle to its horizon — that is,
/// when y = p_a·p_b exceeds R_g² − S_a·S_b, each S = √(|p|² − R_g²) the length
/// of the tangent to the sphere. The threshold moves only with the radii (a
/// narrow band for a near-circular orbit), and y is smooth with a bounded
/// third derivative (the jerks, accelerations and speeds: 8ω³r² for circular
/// orbits, the tight value), so from y and its first two derivatives a cubic
/// bound keeps the sign for minutes at a time.
#[derive(Debug, Clone, Copy)]
struct SeparationBound {
    /// The threshold at the smallest radii: above it, surely visible, km².
    visible_above: f64,
    /// The threshold at the largest radii: below it, surely blocked, km².
    blocked_below: f64,
    /// Bound of the drop of ÿ at grid points (the acceleration jumps), km²/s².
    jump: f64,
    /// Bound of |y‴| between grid points plus the jumps spread over them, km²/s³.
    jerk: f64,
    /// Bound of the rounding error of y, km².
    rounding: f64,
    /// The harmonic bound, where it is the tighter (near-circular orbits).
    harmonic: Option<HarmonicBound>,
}

impl SeparationBound {
    /// The bound for two satellites' motion, `None` when either may dip into
    /// the grazing sphere (the angles are then undefined).
    fn new(a: &MotionBound, b: &MotionBound, grazing_km: f64) -> Option<Self> {
        if a.min_radius_km <= grazing_km || b.min_radius_km <= grazing_km {
            return None;
        }
        let tangent = |r: f64| (r * r - grazing_km * grazing_km).sqrt();
        let threshold = |ra: f64, rb: f64| grazing_km * grazing_km - tangent(ra) * tangent(rb);
        let (ra, rb) = (a.max_radius_km, b.max_radius_km);
        let third = a.jerk_km_s3 * rb
            + 3.0 * a.acceleration_km_s2 * b.speed_km_s
            + 3.0 * a.speed_km_s * b.acceleration_km_s2
            + ra * b.jerk_km_s3;
        let jump = a.acceleration_jump_km_s2 * rb + ra * b.acceleration_jump_km_s2;
        // Positive, so that the cubic's turning points exist.
        let jerk = (third + jump / GRID_STEP_S).max(1e-30);
        // A dot product of 3 terms errs by at most 3 ulps of |p_a||p_b|.
        let rounding = 4.0 * f64::EPSILON * ra * rb;
        let harmonic =
            HarmonicBound::new(a, b, jump, rounding).filter(|h| h.deviation() < HARMONIC_GAIN * jerk);
        Some(Self {
            visible_above: threshold(a.min_radius_km, b.min_radius_km),
            blocked_below: threshold(ra, rb),
            jump,
            jerk,
            rounding,
            harmonic,
        })
    }

    /// Whether y shows the pair surely visible (`Some(true)`), surely blocked
    /// (`Some(false)`), or leaves it to the margin (inside the band the radii
    /// leave open, widened by the rounding of y).
    fn sure_visibility(&self, y: f64) -> Option<bool> {
        if y > self.visible_above + self.rounding {
            Some(true)
        } else if y < self.blocked_below - self.rounding {
            Some(false)
        } else {
            None
        }
    }

    /// How long, s, the clearance surely keeps its sign (`visible` or not)
    /// from y and its derivatives; 0 inside the band the radii leave open.
    fn step(&self, (y, rate, curvature): (f64, f64, f64), visible: bool, pin_s: f64) -> f64 {
        // Turned so that the value is positive and must stay so.
        let (value, rate, curvature) = if visible {
            (y - self.visible_above, rate, curvature)
        } else {
            (self.blocked_below - y, -rate, -curvature)
        };
        if value <= 0.0 {
            return 0.0;
        }
        // The first grid point's jump of ÿ at once, later ones spread in the jerk.
        let cubic = || cubic_step(value, rate, curvature - self.jump, self.jerk);
        match &self.harmonic {
            // Just past an edge the value is small and the harmonic remainder,
            // taken whole over a horizon, allows only short steps, where the
            // cubic (its remainder growing from zero) runs on while y moves
            // away (13 % fewer steps; approaching an edge it never gained).
            Some(harmonic) => match harmonic.step(value, rate, curvature, pin_s) {
                step if step < SHORT_HARMONIC_STEP_S && rate > 0.0 => step.max(cubic()),
                step => step,
            },
            None => cubic(),
        }
    }
}

impl PairSearch<'_> {
    /// The pair's motion bounds.
    fn bounds(&self) -> Bounds {
        let (a, b) = (self.grid.bound(self.a), self.grid.bound(self.b));
        Bounds {
            separation: SeparationBound::new(&a, &b, self.grazing_radius_km()),
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

    /// The margin's parts and rates for the states `[(a, va), (b, vb)]`.
    fn sample(&self, [(a, va), (b, vb)]: &[State; 2]) -> Sample {
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

    /// Whether the pair sees each other at `t`, and how long that surely
    /// lasts, s: the horizon-angle step alone when it gives one and no range
    /// limit applies (and then the margin itself is not needed unless y is
    /// within rounding of the band), else the best of it and the km bounds.
    fn probe(&self, t: f64, bounds: &Bounds, pin_s: f64) -> Probe {
        let moving = self.grid.kinematics([self.a, self.b], t);
        let [(a, va, _), (b, vb, _)] = moving;
        let no_range_limit = self.line_of_sight.max_range_km.is_none();
        let separation = (bounds.separation).map(|bound| (bound, separation(&moving)));
        // y decides the sign alone only when the clearance is the whole margin.
        let sure = (separation.filter(|_| no_range_limit)).and_then(|(bound, y)| bound.sure_visibility(y.0));
        let visible = sure.unwrap_or_else(|| self.line_of_sight.margin_km(&a, &b) > 0.0);
        let angular = separation.map_or(0.0, |(bound, y)| bound.step(y, visible, pin_s));
        let by_angle = sure.is_some();
        if angular > 0.0 && no_range_limit {
            return Probe {
                visible,
                step: angular,
                by_angle,
            };
        }
        let sample = self.sample(&[(a, va), (b, vb)]);
        let km = self.safe_step(&sample, bounds);
        // The angle bounds the clearance only: with a range limit it holds
        // the pair's sign just while the Earth blocks it.
        let angle_decides = no_range_limit || (!visible && sample.clearance.0 <= 0.0);
        Probe {
            visible,
            step: if angle_decides { km.max(angular) } else { km },
            by_angle,
        }
    }

    /// The sign change of the margin between `(t0, m0)` and `(t1, m1)`, to
    /// `tolerance` s: by Newton on the horizon gap where it has the margin's
    /// signs at both ends (see [`Self::horizon_gap`]), else by Brent on the margin.
    fn edge(
        &self,
        (t0, m0): (f64, f64),
        (t1, m1): (f64, f64),
        bounds: &Bounds,
        tolerance: f64,
    ) -> Result<f64> {
        if bounds.separation.is_some() && self.line_of_sight.max_range_km.is_none() {
            let (g0, far) = (self.horizon_gap(t0).0, self.horizon_gap(t1));
            if (g0 > 0.0) == (m0 > 0.0) && (far.0 > 0.0) == (m1 > 0.0) {
                return Ok(self.gap_zero((t0, g0), (t1, far), tolerance));
            }
        }
        let margin = |t: f64| -> Result<f64> { Ok(self.margin(t)) };
        brent(margin, t0, t1, m0, m1, tolerance)
    }

    /// g = p_a·p_b − R_g² + S_a·S_b (S = √(|p|² − R_g²), the tangent
    /// lengths) and its rate at `t`, km² and km²/s: with both satellites above
    /// the grazing sphere g > 0 exactly when the clearance is, and g is
    /// smooth, so its zero — the edge — takes a few Newton steps where Brent
    /// on the margin took a dozen evaluations.
    fn horizon_gap(&self, t: f64) -> (f64, f64) {
        let [(a, va), (b, vb)] = self.states(t);
        let grazing_sq = self.grazing_radius_km().powi(2);
        let (sa, sb) = (
            (a.norm_squared() - grazing_sq).sqrt(),
            (b.norm_squared() - grazing_sq).sqrt(),
        );
        let gap = a.dot(&b) - grazing_sq + sa * sb;
        let rate = va.dot(&b) + a.dot(&vb) + a.dot(&va) / sa * sb + sa * b.dot(&vb) / sb;
        (gap, rate)
    }

    /// The zero of the horizon gap in [t0, t1] (g0 and g1 of opposite
    /// signs, `far` = (g1, ġ1)): Newton from t1 — the walk's steps end just
    /// past an edge, within its shortest step or the harmonic pin — kept
    /// inside a shrinking bracket (bisection where it leaves it), done when a
    /// step is below `tolerance` (the next is far smaller: convergence is
    /// quadratic).
    fn gap_zero(
        &self,
        (mut low, mut g_low): (f64, f64),
        (mut high, far): (f64, (f64, f64)),
        tolerance: f64,
    ) -> f64 {
        let (mut gap, mut rate) = far;
        let mut t = high;
        for _ in 0..60 {
            let newton = t - gap / rate;
            let next = if newton > low && newton < high {
                newton
            } else {
                0.5 * (low + high)
            };
            if (next - t).abs() < 0.5 * tolerance || high - low < tolerance {
                return next.clamp(low, high);
            }
            t = next;
            (gap, rate) = self.horizon_gap(t);
            if gap == 0.0 {
                return t;
            }
            if (gap > 0.0) == (g_low > 0.0) {
                (low, g_low) = (t, gap);
            } else {
                high = t;
            }
        }
        0.5 * (low + high)
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
        let mut walk = Walk::new(*self, config.min_step_s);
        walk.advance(self.grid.span().1, config)?;
        Ok(walk.windows())
    }
}

/// Every pair's windows on one grid (as [`PairSearch::windows`]), walked one
/// tile of [`TILE_S`] at a time across all pairs, in parallel over pairs: a
/// tile's pieces of every satellite stay in cache while all pairs cross it,
/// where a whole walk per pair would fetch them from memory at every step.
pub(crate) fn all_windows(
    searches: &[PairSearch<'_>],
    config: &SearchConfig,
) -> Result<Vec<Vec<(f64, f64)>>> {
    let Some(grid) = searches.first().map(|s| s.grid) else {
        return Ok(Vec::new());
    };
    let mut walks: Vec<Walk> = (searches.par_iter())
        .map(|&search| Walk::new(search, config.min_step_s))
        .collect();
    let (from, to) = grid.span();
    let mut tile_end = from;
    while tile_end < to {
        tile_end = (tile_end + TILE_S).min(to);
        (walks.par_iter_mut()).try_for_each(|walk| walk.advance(tile_end, config))?;
    }
    Ok(walks.into_iter().map(Walk::windows).collect())
}

/// Length of the tiles of time all pairs are walked through together, s (100
/// satellites' pieces over 30 min are 0.7 MB: a core's cache).
const TILE_S: f64 = 1_800.0;

/// One pair's walk in progress. It can stop at any instant and go on with
/// exactly the steps an uninterrupted walk takes (`all_windows` walks tiles).
struct Walk<'g> {
    search: PairSearch<'g>,
    bounds: Bounds,
    /// Where the walk is, s, whether the pair is visible there, and the safe
    /// step from it, s.
    t: f64,
    visible: bool,
    step: f64,
    /// y decided the sign at `t`.
    by_angle: bool,
    /// Window edges found so far (a start first).
    edges: Vec<f64>,
}

impl<'g> Walk<'g> {
    /// The walk at the grid's start.
    fn new(search: PairSearch<'g>, min_step_s: f64) -> Self {
        let bounds = search.bounds();
        let from = search.grid.span().0;
        let probe = search.probe(from, &bounds, min_step_s);
        Self {
            search,
            bounds,
            t: from,
            visible: probe.visible,
            step: probe.step,
            by_angle: probe.by_angle,
            edges: if probe.visible { vec![from] } else { Vec::new() },
        }
    }

    /// Walks on until `until` (or a little past it: the last step is whole),
    /// refining each sign change of the margin with Brent's method.
    fn advance(&mut self, until: f64, config: &SearchConfig) -> Result<()> {
        while self.t < until.min(self.search.grid.span().1) {
            self.step_once(config)?;
        }
        Ok(())
    }

    /// One safe step, refining a sign change of the margin across it.
    fn step_once(&mut self, config: &SearchConfig) -> Result<()> {
        let search = &self.search;
        let to = search.grid.span().1;
        let next_t = (self.t + self.step.max(config.min_step_s)).min(to);
        let mut probe = search.probe(next_t, &self.bounds, config.min_step_s);
        if probe.visible != self.visible {
            let tolerance = config.tolerance_s;
            let far = (self.by_angle && probe.by_angle).then(|| search.horizon_gap(next_t));
            match far {
                // y decided both signs, and the horizon gap agrees at the far end.
                Some(far) if (far.0 > 0.0) == probe.visible => {
                    let near = if self.visible { 1.0 } else { -1.0 };
                    self.edges
                        .push(search.gap_zero((self.t, near), (next_t, far), tolerance));
                }
                _ => {
                    let (before, after) = (search.margin(self.t), search.margin(next_t));
                    if (before > 0.0) != (after > 0.0) {
                        let edge = search.edge((self.t, before), (next_t, after), &self.bounds, tolerance)?;
                        self.edges.push(edge);
                    } else {
                        // y and the margin disagree by rounding at the edge: the
                        // margin decides, with no step taken on y's word.
                        (probe.visible, probe.step, probe.by_angle) = (self.visible, 0.0, false);
                    }
                }
            }
        }
        (self.t, self.visible, self.step, self.by_angle) =
            (next_t, probe.visible, probe.step, probe.by_angle);
        Ok(())
    }

    /// The (start, end) windows found; one still open ends at the grid's end.
    fn windows(mut self) -> Vec<(f64, f64)> {
        if self.edges.len() % 2 == 1 {
            self.edges.push(self.search.grid.span().1);
        }
        self.edges.chunks(2).map(|w| (w[0], w[1])).collect()
    }
}

/// y = p_a·p_b and its first two derivatives, km², km²/s, km²/s².
fn separation([(a, va, aa), (b, vb, ab)]: &[Kinematics; 2]) -> (f64, f64, f64) {
    (
        a.dot(b),
        va.dot(b) + a.dot(vb),
        aa.dot(b) + 2.0 * va.dot(vb) + a.dot(ab),
    )
}

/// The longest τ ≤ [`MAX_STEP_S`], s, for which the cubic
/// q(τ) = value + rate·τ + curvature·τ²/2 − jerk·τ³/6 (value > 0, jerk > 0)
/// surely stays positive, to within [`ROOT_RELATIVE_RESOLUTION`]. q′ is a
/// downward parabola, so q falls, rises between the roots τ₁ < τ₂ of q′, and
/// falls again; it is convex before its inflection curvature/jerk and concave
/// after. The first zero is before τ₁ when q(τ₁) ≤ 0 (convex there), else
/// after τ₂ (concave there); without turning points q falls throughout.
/// Newton from the left on the convex stretch and chords on the concave one
/// both approach the zero from below: every iterate is safe.
fn cubic_step(value: f64, rate: f64, curvature: f64, jerk: f64) -> f64 {
    let cubic = Cubic {
        value,
        rate,
        half_curvature: 0.5 * curvature,
        sixth_jerk: jerk * (1.0 / 6.0),
    };
    let inflection = curvature / jerk;
    let discriminant = curvature * curvature + 2.0 * jerk * rate;
    let concave_from = if discriminant <= 0.0 {
        inflection.clamp(0.0, MAX_STEP_S)
    } else {
        let root = discriminant.sqrt();
        let (first, second) = ((curvature - root) / jerk, (curvature + root) / jerk);
        if first > 0.0 && cubic.at(first.min(MAX_STEP_S)) <= 0.0 {
            return cubic.convex_zero();
        }
        second.clamp(0.0, MAX_STEP_S)
    };
    if cubic.at(MAX_STEP_S) > 0.0 {
        return MAX_STEP_S;
    }
    if concave_from > 0.0 && cubic.at(concave_from) <= 0.0 {
        return cubic.convex_zero();
    }
    cubic.concave_zero(concave_from)
}

/// value + rate·τ + half_curvature·τ² − sixth_jerk·τ³.
#[derive(Debug, Clone, Copy)]
struct Cubic {
    value: f64,
    rate: f64,
    half_curvature: f64,
    sixth_jerk: f64,
}

impl Cubic {
    #[inline]
    fn at(&self, tau: f64) -> f64 {
        self.value + tau * (self.rate + tau * (self.half_curvature - tau * self.sixth_jerk))
    }

    #[inline]
    fn slope(&self, tau: f64) -> f64 {
        self.rate + tau * (2.0 * self.half_curvature - 3.0 * tau * self.sixth_jerk)
    }

    /// Whether a bracket [low, high] is narrow enough.
    fn narrow(low: f64, high: f64) -> bool {
        high - low <= ROOT_RESOLUTION_S.max(ROOT_RELATIVE_RESOLUTION * high)
    }

    /// The zero on a falling convex stretch from τ = 0, approached by Newton
    /// from the left (the tangent lies below a convex function: it never
    /// overshoots).
    fn convex_zero(&self) -> f64 {
        let mut tau = 0.0;
        for _ in 0..50 {
            let slope = self.slope(tau);
            if slope >= 0.0 {
                break; // only at a double zero, which `tau` then is
            }
            let next = tau - self.at(tau) / slope;
            // NaN or no progress: rounding at the zero itself.
            if next.is_nan() || next <= tau || self.at(next) <= 0.0 {
                break;
            }
            let done = Self::narrow(tau, next);
            tau = next;
            if done {
                break;
            }
        }
        tau
    }

    /// The zero on a falling concave stretch [low, MAX_STEP_S] (q(low) > 0 ≥
    /// q(MAX_STEP_S)): chords lie below a concave function, so their zeros
    /// are safe; Newton from the right keeps the other end close.
    fn concave_zero(&self, mut low: f64) -> f64 {
        let (mut at_low, mut high, mut at_high) = (self.at(low), MAX_STEP_S, self.at(MAX_STEP_S));
        // Where the cubic term alone would reach the value, and twice that:
        // a bracket of a few percent, usually, where Newton from the longest
        // step would take many rounds.
        let guess = rough_cbrt(self.value / self.sixth_jerk);
        for candidate in [guess, 2.0 * guess] {
            if candidate > low && candidate < high {
                let at = self.at(candidate);
                if at <= 0.0 {
                    (high, at_high) = (candidate, at);
                    break;
                }
                (low, at_low) = (candidate, at);
            }
        }
        for _ in 0..50 {
            if Self::narrow(low, high) {
                break;
            }
            let slope = self.slope(high);
            if slope < 0.0 {
                let newton = high - at_high / slope;
                if newton > low && newton < high {
                    let at = self.at(newton);
                    if at <= 0.0 {
                        (high, at_high) = (newton, at);
                    } else {
                        (low, at_low) = (newton, at);
                    }
                }
            }
            let chord = low + (high - low) * at_low / (at_low - at_high);
            if chord.is_nan() || chord <= low || chord >= high {
                break;
            }
            let at = self.at(chord);
            if at > 0.0 {
                (low, at_low) = (chord, at);
            } else {
                (high, at_high) = (chord, at);
            }
        }
        low
    }
}

/// ∛x to about 0.1 % for x > 0 (a guess only: `f64::cbrt` costs as much as
/// a whole step of the walk): the exponent divided by three through the bits
/// (Kahan's trick), then one Newton step.
fn rough_cbrt(x: f64) -> f64 {
    let y = f64::from_bits(x.to_bits() / 3 + 0x2A9F_7893_782D_A1CE);
    y - (y * y * y - x) / (3.0 * y * y)
}

/// The longest step the cubic bound is asked for, s.
const MAX_STEP_S: f64 = 3_600.0;
/// How closely a cubic's first zero is bracketed: to this many seconds...
const ROOT_RESOLUTION_S: f64 = 0.05;
/// ...or to this fraction of the step (a step 2 % short costs 2 % more steps,
/// each refinement costs as much as a step).
const ROOT_RELATIVE_RESOLUTION: f64 = 0.02;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orbit::walker::WalkerDelta;
    use crate::satellite::{AnalyticModel, Satellite};
    use crate::time::TimeAxis;
    use hifitime::{Duration, Epoch};

    /// On a J2 constellation (20 satellites, 5 planes at 550 km, 53°) the
    /// harmonic bound is the one used for every pair, its bound of y‴ + 4ω²ẏ
    /// is under 2 % of the cubic's |y‴| bound, and its steps are safe: y keeps
    /// its side of the threshold at 100 points along every step taken from
    /// 300 instants per pair (out of the band), where most steps are long.
    #[test]
    fn harmonic_steps_keep_the_side_of_the_threshold_on_j2_orbits() {
        let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        let pattern = WalkerDelta {
            total: 20,
            planes: 5,
            phasing: 1,
            altitude_km: 550.0,
            inclination_deg: 53.0,
        };
        let sats = Satellite::walker("W", &pattern, epoch, AnalyticModel::J2).unwrap();
        let all: Vec<&Satellite> = sats.iter().collect();
        let span_s = 6.0 * 3_600.0;
        let axis = TimeAxis::new(epoch, epoch + Duration::from_seconds(span_s));
        let grid = ScreenGrid::new(&all, &axis, (0.0, span_s)).unwrap();
        let los = LineOfSight::default();
        let (mut steps, mut long) = (0, 0);
        for a in 0..sats.len() {
            for b in a + 1..sats.len() {
                let search = PairSearch {
                    grid: &grid,
                    a,
                    b,
                    line_of_sight: &los,
                };
                let bound = search.bounds().separation.unwrap();
                let harmonic = bound
                    .harmonic
                    .expect("the harmonic bound on near-circular orbits");
                assert!(
                    harmonic.deviation() < 0.02 * bound.jerk,
                    "{harmonic:?} vs {}",
                    bound.jerk
                );
                for k in 0..300 {
                    let t = span_s * 0.9 * (f64::from(k) + 0.37) / 300.0;
                    let y = separation(&grid.kinematics([a, b], t));
                    let Some(visible) = bound.sure_visibility(y.0) else {
                        continue;
                    };
                    let step = bound.step(y, visible, 0.0);
                    for i in 1..=100 {
                        let at = t + step * f64::from(i) / 100.0;
                        let y_at = separation(&grid.kinematics([a, b], at)).0;
                        let kept = if visible {
                            y_at > bound.visible_above
                        } else {
                            y_at < bound.blocked_below
                        };
                        assert!(
                            kept,
                            "pair {a}-{b}: left its side {at} s into a step of {step} s from {t} s"
                        );
                    }
                    steps += 1;
                    long += usize::from(step > 600.0);
                }
            }
        }
        assert!(
            steps > 40_000 && long * 2 > steps,
            "{long} of {steps} steps over 600 s"
        );
    }

    /// The rough cube root is within 0.5 % over the range a step's guess
    /// sees (and any positive number).
    #[test]
    fn the_rough_cube_root_is_close() {
        for k in -300..300 {
            let x = 1.7f64.powi(k);
            let relative = (rough_cbrt(x) / x.cbrt() - 1.0).abs();
            assert!(relative < 5e-3, "{x}: {relative}");
        }
    }

    /// The cubic step is safe (the cubic stays positive on it, sampled
    /// finely) and nearly the cubic's first zero (within the bracketing
    /// resolution), on cubics of every shape: falling, dipping then rising
    /// back before its zero, rising first, with zero beyond the longest step.
    #[test]
    fn the_cubic_step_stops_just_before_the_first_zero() {
        let mut random = crate::testing::Xorshift::new(0x2545_f491_4f6c_dd1du64);
        let mut uniform = || random.uniform();
        let mut shapes = [0usize; 3];
        for _ in 0..5_000 {
            let value = 10f64.powf(6.0 * uniform() - 1.0);
            let rate = (uniform() - 0.5) * value / 50.0;
            let curvature = (uniform() - 0.5) * value / 2_000.0;
            let jerk = 10f64.powf(-6.0 * uniform()) * value / 1e6;
            let q = |t: f64| value + rate * t + curvature * t * t / 2.0 - jerk * t.powi(3) / 6.0;
            let step = cubic_step(value, rate, curvature, jerk);
            let samples = 20_000;
            let first_zero = (0..=samples)
                .map(|k| MAX_STEP_S * k as f64 / samples as f64)
                .find(|&t| q(t) <= 0.0);
            for k in 0..=2_000 {
                let t = step * k as f64 / 2_000.0;
                assert!(
                    q(t) > 0.0,
                    "q({t}) ≤ 0 before the step {step}: {value} {rate} {curvature} {jerk}"
                );
            }
            match first_zero {
                Some(zero) => {
                    let grid = MAX_STEP_S / samples as f64;
                    assert!(
                        step > zero - grid - 2.0 * ROOT_RESOLUTION_S.max(ROOT_RELATIVE_RESOLUTION * zero),
                        "{step} vs {zero}"
                    );
                    shapes[usize::from(rate > 0.0)] += 1;
                }
                None => {
                    assert_eq!(step, MAX_STEP_S);
                    shapes[2] += 1;
                }
            }
        }
        assert!(shapes.iter().all(|&n| n > 100), "{shapes:?}");
    }
}
