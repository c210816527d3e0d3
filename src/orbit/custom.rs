//! Custom orbits: states computed by code the crate does not know (a Python
//! function through `Satellite.from_callable`, another simulator, a flight
//! dynamics library) behind [`CustomOrbit`], and [`SampledOrbit`], the
//! propagator that makes such a source fast, thread-safe and safe to search.
//!
//! **Why a grid.** The searches and the engine ask for states at very many
//! arbitrary instants, from several threads; a source such as a Python function
//! costs microseconds per call and runs under a global lock. [`SampledOrbit`]
//! asks its source only for the states on a grid `k·step_s` anchored at the
//! epoch, one block of grid points (≈ 6 h of them, [`BLOCK_S`]) per call, so a
//! Python source takes its lock once per block; it keeps the blocks and
//! interpolates between grid points with cubic Hermite polynomials on position
//! and velocity (`orbit::hermite`).
//!
//! **Accuracy.** The interpolation error is ≈ h⁴n⁴r/384 in position and
//! at most ≈ h³n⁴r/72 in velocity (h the step, n the mean motion, r the
//! radius): for a LEO orbit at 550 km sampled every 60 s ([`Sampling::default`]),
//! 0.34 m and 0.03 m/s. Measured against the Kepler propagator over four days:
//! 0.339 m and 0.017 m/s (the tests hold it to 0.5 m and 0.1 m/s); at a 30 s
//! step it is 16 times smaller.
//!
//! **Determinism.** Block `b` holds grid points `b·B … (b+1)·B` (`B` fixed by
//! the step), whatever instant was asked first, and an instant in
//! `[k, k+1)·step_s` always interpolates the same two points of the same block;
//! so, for a source that is a function of time, every state has the same bits
//! whatever the order of the queries or the number of threads. The cache is
//! never locked while the source runs: a source that takes a global lock
//! (Python's) cannot deadlock against a thread waiting for the cache (two
//! threads may then compute one block; the first one stored is kept).
//!
//! **Motion bounds.** Event searches step by [`MotionBounds`], which must hold
//! wherever they look, or a pass can be stepped over. They are measured when
//! the orbit is built, from the grid over at least `[0, bounds_span_s]` (whole
//! blocks; one day by default): the envelope of each sample's radius, speed and
//! radial speed and of the osculating two-body orbit through it (perigee,
//! apogee, speed at perigee, largest radial speed e·sqrt(μ/p)), widened as an
//! ephemeris' are (radii ±1 %, speed +5 %, radial speed ×1.2 + 0.05 km/s).
//! Every block sampled later (after the span, or before the epoch) is checked
//! against them: a sample outside (an orbit that decays or manoeuvres beyond
//! them) is an [`Error::Propagation`] at that instant saying to measure over a
//! longer span, never a search that silently uses a wrong bound.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use hifitime::{Duration, Epoch};
use serde::{Serialize, Serializer};

use crate::constants::EARTH_MU_KM3_S2;
use crate::error::{ensure_finite, ensure_positive, Error, Result};
use crate::orbit::hermite::interpolate;
use crate::orbit::validity::check_perigee;
use crate::orbit::{MotionBounds, Propagator, StateVector};

/// How long a block of grid points lasts at most, s: one call to the source
/// per block (6 h, as the engine's planning blocks).
pub const BLOCK_S: f64 = 21_600.0;
/// Longest grid step, s: over an hour even a GEO orbit is no longer a cubic
/// (0.5 km off), and a LEO orbit not an orbit at all.
const MAX_STEP_S: f64 = 3_600.0;
/// Most grid intervals in one block (a small step makes shorter blocks rather
/// than huge calls).
const MAX_BLOCK_INTERVALS: f64 = 4_096.0;
/// Most grid points sampled when the orbit is built (≈ 240 MB of states).
const MAX_MEASURED_POINTS: f64 = 5.0e6;
/// Farthest grid index from the epoch (well inside f64's exact integers).
const MAX_GRID_INDEX: f64 = 1.0e15;

/// A source of TEME states (km, km/s) computed by code.
///
/// ```
/// use std::sync::Arc;
/// use nalgebra::Vector3;
/// use orbitedge::orbit::custom::{CustomOrbit, SampledOrbit, Sampling};
/// use orbitedge::orbit::{Propagator, StateVector};
/// use orbitedge::constants::EARTH_MU_KM3_S2;
///
/// /// An equatorial circular orbit, in closed form.
/// #[derive(Debug)]
/// struct Circular { radius_km: f64 }
///
/// impl CustomOrbit for Circular {
///     fn states(&self, t_s: &[f64]) -> orbitedge::Result<Vec<StateVector>> {
///         let r = self.radius_km;
///         let n = (EARTH_MU_KM3_S2 / (r * r * r)).sqrt();
///         Ok(t_s.iter().map(|t| {
///             let (sin, cos) = (n * t).sin_cos();
///             StateVector { position_km: Vector3::new(cos, sin, 0.0) * r,
///                           velocity_km_s: Vector3::new(-sin, cos, 0.0) * (r * n) }
///         }).collect())
///     }
/// }
///
/// let epoch = hifitime::Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
/// let source = Arc::new(Circular { radius_km: 6_928.0 });
/// let orbit = SampledOrbit::new(epoch, source.clone(), Sampling::default())?;
/// let t_s = 1_234.5; // between grid points: interpolated
/// let error_km = (orbit.state_after(t_s)?.position_km - source.states(&[t_s])?[0].position_km).norm();
/// assert!(error_km < 0.5e-3, "{error_km} km"); // ≈ 0.34 m at the default 60 s step
/// let satellite = orbitedge::Satellite::new("circular", orbit); // searched and simulated like any other
/// assert_eq!(satellite.orbit.model_name(), "custom");
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub trait CustomOrbit: Send + Sync + fmt::Debug {
    /// The states at `t_s`, seconds since the orbit's epoch (negative before
    /// it), one per time and in the same order. [`SampledOrbit`] asks for one
    /// block of increasing grid instants per call. An error fails every query
    /// that needs this block (it is not kept: a later query asks again).
    fn states(&self, t_s: &[f64]) -> Result<Vec<StateVector>>;

    /// The source as [`Any`], for code that needs its own type back (the Python
    /// bindings pickle the function they wrap); `None` unless overridden.
    fn as_any(&self) -> Option<&dyn Any> {
        None
    }
}

/// A [`CustomOrbit`] from a function of one instant (seconds since the epoch).
pub struct FnOrbit<F>(pub F);

impl<F> fmt::Debug for FnOrbit<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnOrbit")
    }
}

impl<F: Fn(f64) -> Result<StateVector> + Send + Sync> CustomOrbit for FnOrbit<F> {
    fn states(&self, t_s: &[f64]) -> Result<Vec<StateVector>> {
        t_s.iter().map(|t| (self.0)(*t)).collect()
    }
}

/// How a [`SampledOrbit`] samples its source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// Grid step, s, in (0, 3600] (see the module's accuracy note).
    pub step_s: f64,
    /// Span after the epoch over which the motion bounds are measured, s.
    pub bounds_span_s: f64,
}

impl Default for Sampling {
    /// 60 s steps, bounds measured over one day.
    fn default() -> Self {
        Self {
            step_s: 60.0,
            bounds_span_s: 86_400.0,
        }
    }
}

/// The grid: block `b` holds points `b·B … (b+1)·B`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Grid {
    step_s: f64,
    /// `B`: grid intervals per block.
    block_intervals: i64,
}

impl Grid {
    fn new(step_s: f64) -> Self {
        let block_intervals = (BLOCK_S / step_s).ceil().clamp(1.0, MAX_BLOCK_INTERVALS) as i64;
        Self {
            step_s,
            block_intervals,
        }
    }

    /// Seconds since the epoch of every point of block `b`.
    fn times(&self, b: i64) -> Vec<f64> {
        let first = b * self.block_intervals;
        (0..=self.block_intervals)
            .map(|j| (first + j) as f64 * self.step_s)
            .collect()
    }

    /// The block, the interval in it and the fraction of that interval of `t_s`
    /// (known finite and within [`MAX_GRID_INDEX`] steps).
    fn locate(&self, t_s: f64) -> (i64, usize, f64) {
        let k = (t_s / self.step_s).floor() as i64;
        let tau = ((t_s - k as f64 * self.step_s) / self.step_s).clamp(0.0, 1.0);
        let b = k.div_euclid(self.block_intervals);
        (b, k.rem_euclid(self.block_intervals) as usize, tau)
    }

    /// Whole blocks covering at least `[0, span_s]` (as a float: it may be huge).
    fn blocks_covering(&self, span_s: f64) -> f64 {
        (span_s / (self.step_s * self.block_intervals as f64))
            .ceil()
            .max(1.0)
    }
}

/// The blocks sampled so far, shared by the clones of one orbit.
#[derive(Default)]
struct BlockCache {
    blocks: RwLock<HashMap<i64, Box<[StateVector]>>>,
}

impl BlockCache {
    /// The interpolated state in interval `j` of block `b`, if it is sampled.
    fn interpolated(&self, b: i64, j: usize, tau: f64, step_s: f64) -> Option<StateVector> {
        let blocks = self.blocks.read().unwrap_or_else(PoisonError::into_inner);
        blocks
            .get(&b)
            .map(|block| interpolate(&block[j], &block[j + 1], step_s, tau))
    }

    /// Keeps `block` as block `b` unless another thread stored it first.
    fn insert(&self, b: i64, block: Box<[StateVector]>) {
        let mut blocks = self.blocks.write().unwrap_or_else(PoisonError::into_inner);
        blocks.entry(b).or_insert(block);
    }

    fn len(&self) -> usize {
        self.blocks.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// A [`CustomOrbit`] sampled on a grid and interpolated: the module's doc
/// comment says how, how accurately, and how its motion bounds are kept.
/// Clones share the samples, which are kept for the orbit's life (≈ 25 MB per
/// simulated year at a 60 s step). It cannot be serialised (its states come
/// from code): checkpoints and JSON of a satellite on one are refused.
#[derive(Clone)]
pub struct SampledOrbit {
    epoch: Epoch,
    sampling: Sampling,
    grid: Grid,
    source: Arc<dyn CustomOrbit>,
    cache: Arc<BlockCache>,
    /// Blocks `0..measured_blocks` gave the bounds (so need no check).
    measured_blocks: i64,
    bounds: MotionBounds,
    min_radius_km: f64,
}

impl SampledOrbit {
    /// Samples `source` over the bounds span (calling it there now), measures
    /// the motion bounds and checks the lowest radius as every orbit's is
    /// ([`crate::orbit::MIN_PERIGEE_ALTITUDE_KM`]). Errors: a step not in
    /// (0, 3600] s or a span that is not a finite number > 0
    /// ([`Error::InvalidParameter`]), more than 5 million points to measure
    /// ([`Error::ResourceLimit`]), the source's own errors, a non-finite state
    /// or a wrong count ([`Error::Propagation`]), a perigee too low
    /// ([`Error::InvalidOrbit`]).
    pub fn new(epoch: Epoch, source: Arc<dyn CustomOrbit>, sampling: Sampling) -> Result<Self> {
        let step_s = sampling.step_s;
        if !(step_s > 0.0 && step_s <= MAX_STEP_S) {
            return Err(Error::parameter("step_s", step_s, "a number > 0 and <= 3600 (s)"));
        }
        let span_s = ensure_positive("bounds_span_s", sampling.bounds_span_s)?;
        let grid = Grid::new(step_s);
        let blocks = grid.blocks_covering(span_s);
        let points = blocks * grid.block_intervals as f64 + 1.0;
        if points > MAX_MEASURED_POINTS {
            return Err(Error::ResourceLimit {
                what: "measuring a custom orbit's motion bounds".into(),
                estimate: format!("{points:.0} grid points (bounds_span_s / step_s)"),
                limit: format!("{MAX_MEASURED_POINTS:.0}"),
                hint: "use a larger step_s or a shorter bounds_span_s".into(),
            });
        }
        let measured_blocks = blocks as i64; // at most 5e6
        let mut orbit = Self {
            epoch,
            sampling,
            grid,
            source,
            cache: Arc::default(),
            measured_blocks,
            bounds: Envelope::default().bounds(), // measured below
            min_radius_km: f64::NAN,
        };
        let mut envelope = Envelope::default();
        for b in 0..measured_blocks {
            let block = orbit.sample(b)?;
            block.iter().for_each(|s| envelope.add(s));
            orbit.cache.insert(b, block);
        }
        check_perigee(envelope.min_sampled_radius_km)?;
        orbit.bounds = envelope.bounds();
        orbit.min_radius_km = envelope.min_sampled_radius_km;
        Ok(orbit)
    }

    /// The source of the states.
    pub fn source(&self) -> &Arc<dyn CustomOrbit> {
        &self.source
    }

    /// How the source is sampled.
    pub fn sampling(&self) -> Sampling {
        self.sampling
    }

    /// Lowest radius sampled over the bounds span, km (the orbit's perigee as
    /// far as its samples tell).
    pub fn min_radius_km(&self) -> f64 {
        self.min_radius_km
    }

    /// How many blocks of grid points have been sampled (each one call to the source).
    pub fn sampled_blocks(&self) -> usize {
        self.cache.len()
    }

    /// Block `b` from the source, checked: one state per time, all finite.
    fn sample(&self, b: i64) -> Result<Box<[StateVector]>> {
        let times = self.grid.times(b);
        let states = self.source.states(&times)?;
        if states.len() != times.len() {
            return Err(self.failure(
                times[0],
                format!(
                    "custom orbit: {} states for {} times (t_s = {} … {} s)",
                    states.len(),
                    times.len(),
                    times[0],
                    times[times.len() - 1]
                ),
            ));
        }
        let finite = |s: &StateVector| {
            s.position_km
                .iter()
                .chain(s.velocity_km_s.iter())
                .all(|x| x.is_finite())
        };
        if let Some(j) = states.iter().position(|s| !finite(s)) {
            let s = &states[j];
            return Err(self.failure(
                times[j],
                format!(
                    "custom orbit: non-finite state at t_s = {} s (position {:?} km, velocity {:?} km/s)",
                    times[j],
                    s.position_km.as_slice(),
                    s.velocity_km_s.as_slice()
                ),
            ));
        }
        Ok(states.into_boxed_slice())
    }

    /// Block `b` sampled, checked against the bounds when they did not come
    /// from it, and kept.
    fn fill(&self, b: i64) -> Result<()> {
        let block = self.sample(b)?;
        if !(0..self.measured_blocks).contains(&b) {
            let times = self.grid.times(b);
            for (t_s, state) in times.iter().zip(block.iter()) {
                self.check_bounds(*t_s, state)?;
            }
        }
        self.cache.insert(b, block);
        Ok(())
    }

    /// A sample outside the measured bounds is an error, not a wrong search.
    fn check_bounds(&self, t_s: f64, state: &StateVector) -> Result<()> {
        let b = &self.bounds;
        let r = state.position_km.norm();
        let v = state.velocity_km_s.norm();
        let radial = (state.position_km.dot(&state.velocity_km_s) / r).abs();
        if (b.min_radius_km..=b.max_radius_km).contains(&r)
            && v <= b.max_speed_km_s
            && radial <= b.max_radial_speed_km_s
        {
            return Ok(());
        }
        Err(self.failure(
            t_s,
            format!(
                "custom orbit: at t_s = {t_s} s the radius {r:.1} km, speed {v:.3} km/s and radial speed \
                 {radial:.3} km/s leave the motion bounds measured over its first {span} s (radius \
                 {:.1}-{:.1} km, speed <= {:.3} km/s, radial speed <= {:.3} km/s), by which the event \
                 searches step; measure them over the whole run (a larger bounds_span_s)",
                b.min_radius_km,
                b.max_radius_km,
                b.max_speed_km_s,
                b.max_radial_speed_km_s,
                span = self.sampling.bounds_span_s,
            ),
        ))
    }

    fn failure(&self, t_s: f64, reason: String) -> Error {
        Error::Propagation {
            epoch: self.epoch + Duration::from_seconds(t_s),
            reason,
        }
    }
}

impl Propagator for SampledOrbit {
    fn epoch(&self) -> Epoch {
        self.epoch
    }

    fn state_after(&self, seconds: f64) -> Result<StateVector> {
        ensure_finite("seconds since epoch", seconds)?;
        if (seconds / self.grid.step_s).abs() > MAX_GRID_INDEX {
            return Err(self.failure(
                0.0,
                format!("custom orbit: t_s = {seconds} s is too far from the epoch"),
            ));
        }
        let (b, j, tau) = self.grid.locate(seconds);
        if let Some(state) = self.cache.interpolated(b, j, tau, self.grid.step_s) {
            return Ok(state);
        }
        self.fill(b)?;
        self.cache
            .interpolated(b, j, tau, self.grid.step_s)
            .ok_or_else(|| self.failure(seconds, "custom orbit: a sampled block was not kept".into()))
    }

    fn motion_bounds(&self) -> MotionBounds {
        self.bounds
    }
}

/// The extremes of the samples and of the osculating orbits through them.
struct Envelope {
    min_sampled_radius_km: f64,
    min_radius_km: f64,
    max_radius_km: f64,
    max_speed_km_s: f64,
    max_radial_speed_km_s: f64,
}

impl Default for Envelope {
    fn default() -> Self {
        Self {
            min_sampled_radius_km: f64::INFINITY,
            min_radius_km: f64::INFINITY,
            max_radius_km: 0.0,
            max_speed_km_s: 0.0,
            max_radial_speed_km_s: 0.0,
        }
    }
}

impl Envelope {
    fn add(&mut self, state: &StateVector) {
        let (r, v) = (state.position_km.norm(), state.velocity_km_s.norm());
        let radial = (state.position_km.dot(&state.velocity_km_s) / r).abs();
        self.min_sampled_radius_km = self.min_sampled_radius_km.min(r);
        let (mut low, mut high, mut fastest, mut radial_max) = (r, r, v, radial);
        let energy = 0.5 * v * v - EARTH_MU_KM3_S2 / r;
        let h = state.position_km.cross(&state.velocity_km_s).norm();
        if energy < 0.0 && h > 0.0 {
            // The osculating ellipse: r_p = p/(1+e), r_a = p/(1-e), v_p = h/r_p, max ṙ = μe/h.
            let a = -EARTH_MU_KM3_S2 / (2.0 * energy);
            let p = h * h / EARTH_MU_KM3_S2;
            let e = (1.0 - p / a).max(0.0).sqrt();
            low = low.min(p / (1.0 + e));
            high = high.max(a * (1.0 + e));
            fastest = fastest.max(h * (1.0 + e) / p);
            radial_max = radial_max.max(EARTH_MU_KM3_S2 * e / h);
        }
        self.min_radius_km = self.min_radius_km.min(low);
        self.max_radius_km = self.max_radius_km.max(high);
        self.max_speed_km_s = self.max_speed_km_s.max(fastest);
        self.max_radial_speed_km_s = self.max_radial_speed_km_s.max(radial_max);
    }

    /// The envelope with the margins of the module's doc comment.
    fn bounds(&self) -> MotionBounds {
        MotionBounds {
            max_radius_km: self.max_radius_km * 1.01,
            min_radius_km: self.min_radius_km * 0.99,
            max_speed_km_s: self.max_speed_km_s * 1.05,
            max_radial_speed_km_s: self.max_radial_speed_km_s * 1.2 + 0.05,
        }
    }
}

impl fmt::Debug for SampledOrbit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SampledOrbit")
            .field("epoch", &self.epoch)
            .field("sampling", &self.sampling)
            .field("source", &self.source)
            .field("sampled_blocks", &self.cache.len())
            .finish()
    }
}

/// Same source (the same shared object), epoch and sampling.
impl PartialEq for SampledOrbit {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.source, &other.source)
            && self.epoch == other.epoch
            && self.sampling == other.sampling
    }
}

/// Refused: the states come from code, which data cannot carry.
impl Serialize for SampledOrbit {
    fn serialize<S: Serializer>(&self, _: S) -> std::result::Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(NOT_SERIALISABLE))
    }
}

/// Why a custom orbit is not written as data (checkpoints and JSON say it).
pub const NOT_SERIALISABLE: &str = "a custom orbit (states computed by code, e.g. Satellite.from_callable) \
     cannot be written as data: rebuild it from its code where it is needed";

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use nalgebra::Vector3;
    use rayon::prelude::*;

    use super::*;
    use crate::orbit::{ClassicalElements, KeplerOrbit};

    fn epoch() -> Epoch {
        Epoch::from_gregorian_utc_at_midnight(2024, 3, 1)
    }

    /// A 550 km sun-synchronous-like Kepler orbit: the independent reference.
    fn kepler() -> KeplerOrbit {
        let elements = ClassicalElements {
            semi_major_axis_km: 6_928.137,
            eccentricity: 0.001,
            inclination_deg: 97.6,
            raan_deg: 20.0,
            argument_of_perigee_deg: 30.0,
            mean_anomaly_deg: 10.0,
        };
        KeplerOrbit::new(epoch(), elements).unwrap()
    }

    /// A closure source that counts its calls.
    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
    }

    fn counted_kepler(counter: Arc<Counting>) -> Arc<dyn CustomOrbit> {
        let reference = kepler();
        #[derive(Debug)]
        struct Source(KeplerOrbit, Arc<Counting>);
        impl CustomOrbit for Source {
            fn states(&self, t_s: &[f64]) -> Result<Vec<StateVector>> {
                self.1.calls.fetch_add(1, Ordering::SeqCst);
                t_s.iter().map(|t| self.0.state_after(*t)).collect()
            }
        }
        Arc::new(Source(reference, counter))
    }

    /// Deterministic pseudo-random instants in [from, to] (a fixed LCG).
    fn instants(n: usize, from: f64, to: f64) -> Vec<f64> {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                from + (to - from) * ((x >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect()
    }

    fn kepler_closure() -> Arc<dyn CustomOrbit> {
        let reference = kepler();
        Arc::new(FnOrbit(move |t| reference.state_after(t)))
    }

    #[test]
    fn a_kepler_closure_reproduces_the_kepler_propagator_within_half_a_metre() {
        let orbit = SampledOrbit::new(epoch(), kepler_closure(), Sampling::default()).unwrap();
        let reference = kepler();
        let (mut worst_km, mut worst_km_s) = (0.0_f64, 0.0_f64);
        // Before the epoch, inside the measured day and two days past it.
        for t in instants(5_000, -86_400.0, 3.0 * 86_400.0) {
            let (a, b) = (orbit.state_after(t).unwrap(), reference.state_after(t).unwrap());
            worst_km = worst_km.max((a.position_km - b.position_km).norm());
            worst_km_s = worst_km_s.max((a.velocity_km_s - b.velocity_km_s).norm());
        }
        // h⁴n⁴r/384 = 0.34 m and h³n⁴r/72 = 0.03 m/s for h = 60 s.
        assert!(worst_km < 0.5e-3, "position error {worst_km} km");
        assert!(
            worst_km > 0.1e-3,
            "the estimate is of the right size: {worst_km} km"
        );
        assert!(worst_km_s < 1e-4, "velocity error {worst_km_s} km/s");
    }

    #[test]
    fn halving_the_step_divides_the_error_by_about_sixteen() {
        let reference = kepler();
        let worst = |step_s: f64| {
            let sampling = Sampling {
                step_s,
                ..Sampling::default()
            };
            let orbit = SampledOrbit::new(epoch(), kepler_closure(), sampling).unwrap();
            instants(2_000, 0.0, 20_000.0)
                .into_iter()
                .map(|t| {
                    (orbit.state_after(t).unwrap().position_km
                        - reference.state_after(t).unwrap().position_km)
                        .norm()
                })
                .fold(0.0, f64::max)
        };
        let ratio = worst(60.0) / worst(30.0);
        assert!((12.0..20.0).contains(&ratio), "error ratio {ratio}");
    }

    #[test]
    fn grid_points_are_the_source_states_exactly() {
        let orbit = SampledOrbit::new(epoch(), kepler_closure(), Sampling::default()).unwrap();
        for k in [-1_441_i64, -1, 0, 1, 359, 360, 361, 1_440, 5_000] {
            let t = k as f64 * 60.0;
            assert_eq!(
                orbit.state_after(t).unwrap(),
                kepler().state_after(t).unwrap(),
                "t = {t}"
            );
        }
    }

    fn bits(s: &StateVector) -> [u64; 6] {
        let v: Vec<u64> = s
            .position_km
            .iter()
            .chain(s.velocity_km_s.iter())
            .map(|x| x.to_bits())
            .collect();
        [v[0], v[1], v[2], v[3], v[4], v[5]]
    }

    #[test]
    fn states_do_not_depend_on_query_order_or_threads() {
        let times = instants(3_000, -2.0 * 86_400.0, 4.0 * 86_400.0);
        let forward = SampledOrbit::new(epoch(), kepler_closure(), Sampling::default()).unwrap();
        let expected: Vec<[u64; 6]> = times
            .iter()
            .map(|t| bits(&forward.state_after(*t).unwrap()))
            .collect();
        let reversed = SampledOrbit::new(epoch(), kepler_closure(), Sampling::default()).unwrap();
        for (t, e) in times.iter().zip(&expected).rev() {
            assert_eq!(bits(&reversed.state_after(*t).unwrap()), *e, "t = {t}");
        }
        for threads in [1, 2, 4, 7] {
            let fresh = SampledOrbit::new(epoch(), kepler_closure(), Sampling::default()).unwrap();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got: Vec<[u64; 6]> = pool.install(|| {
                times
                    .par_iter()
                    .map(|t| bits(&fresh.state_after(*t).unwrap()))
                    .collect()
            });
            assert_eq!(got, expected, "{threads} threads");
        }
    }

    #[test]
    fn the_source_is_called_once_per_block_of_six_hours() {
        let counter = Arc::new(Counting::default());
        let orbit = SampledOrbit::new(epoch(), counted_kepler(counter.clone()), Sampling::default()).unwrap();
        assert_eq!(
            counter.calls.load(Ordering::SeqCst),
            4,
            "one day measured: four blocks"
        );
        for t in instants(10_000, 0.0, 2.0 * 86_400.0) {
            orbit.state_after(t).unwrap();
        }
        assert_eq!(counter.calls.load(Ordering::SeqCst), 8);
        assert_eq!(orbit.sampled_blocks(), 8);
        let clone = orbit.clone(); // clones share the samples
        clone.state_after(1.5 * 86_400.0).unwrap();
        assert_eq!(counter.calls.load(Ordering::SeqCst), 8);
    }

    #[test]
    fn bounds_cover_the_orbit_like_the_kepler_bounds() {
        let orbit = SampledOrbit::new(epoch(), kepler_closure(), Sampling::default()).unwrap();
        let (b, k) = (orbit.motion_bounds(), kepler().motion_bounds());
        let (perigee, apogee) = (6_928.137 * 0.999, 6_928.137 * 1.001);
        assert!(
            b.min_radius_km < perigee && b.min_radius_km > perigee * 0.98,
            "{b:?}"
        );
        assert!(
            b.max_radius_km > apogee && b.max_radius_km < apogee * 1.02,
            "{b:?}"
        );
        assert!(
            b.max_speed_km_s >= k.max_speed_km_s / 1.02 && b.max_speed_km_s < 8.5,
            "{b:?} vs {k:?}"
        );
        let e_sqrt_mu_p = 0.001 * (EARTH_MU_KM3_S2 / (6_928.137 * (1.0 - 1e-6))).sqrt();
        assert!(b.max_radial_speed_km_s > e_sqrt_mu_p, "{b:?}");
        assert!(
            (orbit.min_radius_km() - perigee).abs() < 0.01,
            "{}",
            orbit.min_radius_km()
        );
    }

    #[test]
    fn bad_steps_and_spans_are_parameter_errors() {
        for step_s in [0.0, -60.0, f64::NAN, f64::INFINITY, 3_600.5] {
            let sampling = Sampling {
                step_s,
                ..Sampling::default()
            };
            let err = SampledOrbit::new(epoch(), kepler_closure(), sampling).unwrap_err();
            assert!(
                matches!(err, Error::InvalidParameter { name: "step_s", .. }),
                "{err}"
            );
        }
        let sampling = Sampling {
            step_s: 60.0,
            bounds_span_s: 0.0,
        };
        let err = SampledOrbit::new(epoch(), kepler_closure(), sampling).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "bounds_span_s",
                    ..
                }
            ),
            "{err}"
        );
        for (step_s, bounds_span_s) in [(1.0, 1e9), (1e-310, 86_400.0), (60.0, 1e300)] {
            // (a subnormal step, a span beyond any grid)
            let sampling = Sampling {
                step_s,
                bounds_span_s,
            };
            let err = SampledOrbit::new(epoch(), kepler_closure(), sampling).unwrap_err();
            assert!(matches!(err, Error::ResourceLimit { .. }), "{err}");
        }
    }

    fn circular(r: f64, t: f64) -> StateVector {
        let n = (EARTH_MU_KM3_S2 / (r * r * r)).sqrt();
        let (sin, cos) = (n * t).sin_cos();
        StateVector {
            position_km: Vector3::new(cos, sin, 0.0) * r,
            velocity_km_s: Vector3::new(-sin, cos, 0.0) * (r * n),
        }
    }

    #[test]
    fn bad_states_are_propagation_errors_at_their_instant() {
        let nan_late = Arc::new(FnOrbit(|t: f64| {
            let mut s = circular(7_000.0, t);
            if t >= 2.0 * 86_400.0 {
                s.velocity_km_s.y = f64::NAN;
            }
            Ok(s)
        }));
        let orbit = SampledOrbit::new(epoch(), nan_late, Sampling::default()).unwrap();
        let err = orbit.state_after(2.0 * 86_400.0 + 30.0).unwrap_err();
        let Error::Propagation { epoch: at, reason } = &err else {
            panic!("{err}")
        };
        assert_eq!(*at, epoch() + Duration::from_seconds(2.0 * 86_400.0), "{err}");
        assert!(reason.contains("non-finite"), "{err}");

        #[derive(Debug)]
        struct Short;
        impl CustomOrbit for Short {
            fn states(&self, t_s: &[f64]) -> Result<Vec<StateVector>> {
                Ok(t_s[1..].iter().map(|t| circular(7_000.0, *t)).collect())
            }
        }
        let err = SampledOrbit::new(epoch(), Arc::new(Short), Sampling::default()).unwrap_err();
        assert!(
            matches!(err, Error::Propagation { .. }) && err.to_string().contains("360 states for 361 times"),
            "{err}"
        );

        let failing = Arc::new(FnOrbit(|_| Err(Error::Conflict("the source's own error".into()))));
        let err = SampledOrbit::new(epoch(), failing, Sampling::default()).unwrap_err();
        assert_eq!(err, Error::Conflict("the source's own error".into()));

        let inside = Arc::new(FnOrbit(|t| Ok(circular(6_000.0, t))));
        let err = SampledOrbit::new(epoch(), inside, Sampling::default()).unwrap_err();
        assert!(matches!(err, Error::InvalidOrbit { .. }), "{err}");
    }

    #[test]
    fn leaving_the_measured_bounds_is_an_error_not_a_wrong_search() {
        // Raised by 150 km after the measured day: the bounds no longer hold.
        let raised = Arc::new(FnOrbit(|t: f64| {
            Ok(circular(if t < 2.0 * 86_400.0 { 6_928.0 } else { 7_078.0 }, t))
        }));
        let orbit = SampledOrbit::new(epoch(), raised.clone(), Sampling::default()).unwrap();
        assert!(orbit.state_after(1.7 * 86_400.0).is_ok()); // block 6 ends at 1.75 d
        let err = orbit.state_after(2.1 * 86_400.0).unwrap_err();
        assert!(matches!(err, Error::Propagation { .. }), "{err}");
        assert!(err.to_string().contains("bounds_span_s"), "{err}");
        // Measured over the whole run, it is fine.
        let sampling = Sampling {
            bounds_span_s: 3.0 * 86_400.0,
            ..Sampling::default()
        };
        let orbit = SampledOrbit::new(epoch(), raised, sampling).unwrap();
        assert!(orbit.state_after(2.1 * 86_400.0).is_ok());
    }

    #[test]
    fn a_custom_orbit_is_not_written_as_data() {
        let orbit = SampledOrbit::new(epoch(), kepler_closure(), Sampling::default()).unwrap();
        let satellite = crate::Satellite::new("custom", orbit);
        let err = serde_json::to_string(&satellite).unwrap_err();
        assert!(err.to_string().contains(NOT_SERIALISABLE), "{err}");
        assert_eq!(satellite.clone(), satellite, "clones share the source: equal");
        let other = SampledOrbit::new(epoch(), kepler_closure(), Sampling::default()).unwrap();
        assert_ne!(
            crate::Satellite::new("custom", other),
            satellite,
            "another source"
        );
    }
}
