//! Inter-satellite link windows.
//!
//! The visibility margin of [`LineOfSight::margin_km`] (segment clearance above
//! the grazing altitude, and range below the maximum) changes no faster than
//! the sum of the two satellites' speeds, so the walk steps |margin|/(v₁ + v₂)
//! and refines sign changes with Brent's method. Closest approach within a
//! window is found by golden-section search on the range (ranges are unimodal
//! over one window for all but exotic geometries).

use hifitime::Epoch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::root::brent;
use crate::access::{epoch_on, SearchConfig, Track};
use crate::environment::LineOfSight;
use crate::error::{ensure_interval, Error, Result};
use crate::orbit::Propagator;
use crate::satellite::Satellite;
use crate::time::TimeAxis;

/// A period during which two satellites see each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkWindow {
    /// First satellite's name.
    pub satellite_a: String,
    /// Second satellite's name.
    pub satellite_b: String,
    /// Index of the first satellite (always the smaller index).
    pub satellite_a_index: usize,
    /// Index of the second satellite.
    pub satellite_b_index: usize,
    /// Start (the search start when `clipped_start`).
    pub start: Epoch,
    /// Time of smallest range within the window.
    pub closest_approach: Epoch,
    /// End (the search end when `clipped_end`).
    pub end: Epoch,
    /// Smallest range, km.
    pub min_range_km: f64,
    /// Visible at the search start.
    pub clipped_start: bool,
    /// Visible at the search end.
    pub clipped_end: bool,
}

/// Every link window among all pairs of `satellites` in [start, end], sorted by
/// start then pair. Parallel over pairs, thread-count independent.
///
/// ```
/// use orbitedge::{Satellite, access::{find_link_windows, SearchConfig}, environment::LineOfSight};
/// use orbitedge::orbit::walker::WalkerDelta;
/// use orbitedge::satellite::AnalyticModel;
/// let epoch = hifitime::Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
/// let pattern = WalkerDelta { total: 4, planes: 2, phasing: 1, altitude_km: 550.0, inclination_deg: 53.0 };
/// let sats = Satellite::walker("W", &pattern, epoch, AnalyticModel::J2)?;
/// let windows = find_link_windows(&sats, epoch, epoch + hifitime::Duration::from_hours(6.0),
///     &LineOfSight::default(), &SearchConfig::default())?;
/// // Opposite members of one plane never see each other through the Earth.
/// assert!(windows.iter().all(|w| !(w.satellite_a == "W-P1-S1" && w.satellite_b == "W-P1-S2")));
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn find_link_windows(
    satellites: &[Satellite],
    start: Epoch,
    end: Epoch,
    line_of_sight: &LineOfSight,
    config: &SearchConfig,
) -> Result<Vec<LinkWindow>> {
    ensure_interval(start, end)?;
    let config = config.validated()?;
    let line_of_sight = LineOfSight::new(line_of_sight.grazing_altitude_km, line_of_sight.max_range_km)?;
    if satellites.len() < 2 {
        return Err(Error::EmptyInput {
            what: "satellite pairs (give at least two satellites)",
        });
    }
    let span_s = (end - start).to_seconds();
    let n = satellites.len();
    super::ensure_search_fits("inter-satellite link", n * (n - 1) / 2, span_s)?;
    let axis = TimeAxis::new(start, end);
    let pairs: Vec<(usize, usize)> = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect();
    let per_pair: Vec<Result<Vec<LinkWindow>>> = pairs
        .par_iter()
        .map(|&(i, j)| {
            let (a, b) = (&satellites[i], &satellites[j]);
            pair_link_windows(a, b, &axis, span_s, &line_of_sight, &config).map(|raw| {
                raw.into_iter()
                    .map(|w| LinkWindow {
                        satellite_a: a.name.clone(),
                        satellite_b: b.name.clone(),
                        satellite_a_index: i,
                        satellite_b_index: j,
                        start: epoch_on(&axis, w.0),
                        closest_approach: epoch_on(&axis, w.2),
                        end: epoch_on(&axis, w.1),
                        min_range_km: w.3,
                        clipped_start: w.0 == 0.0,
                        clipped_end: w.1 >= span_s,
                    })
                    .collect()
            })
        })
        .collect();
    let mut windows = Vec::new();
    for result in per_pair {
        windows.extend(result?);
    }
    windows.sort_by(|x, y| {
        x.start
            .cmp(&y.start)
            .then(x.satellite_a_index.cmp(&y.satellite_a_index))
            .then(x.satellite_b_index.cmp(&y.satellite_b_index))
    });
    Ok(windows)
}

/// (start, end, closest approach, min range) of each window of one pair, in
/// seconds on `axis` over [0, span_s].
pub fn pair_link_windows(
    a: &Satellite,
    b: &Satellite,
    axis: &TimeAxis,
    span_s: f64,
    line_of_sight: &LineOfSight,
    config: &SearchConfig,
) -> Result<Vec<(f64, f64, f64, f64)>> {
    let (track_a, track_b) = (Track::new(a, axis), Track::new(b, axis));
    let margin = |t: f64| -> Result<f64> {
        Ok(line_of_sight.margin_km(&track_a.state(t)?.position_km, &track_b.state(t)?.position_km))
    };
    let range = |t: f64| -> Result<f64> {
        Ok((track_a.state(t)?.position_km - track_b.state(t)?.position_km).norm())
    };
    let rate = a.motion_bounds().max_speed_km_s + b.motion_bounds().max_speed_km_s;

    let mut edges: Vec<f64> = Vec::new();
    let mut t = 0.0;
    let mut previous = margin(0.0)?;
    let visible_at_start = previous > 0.0;
    while t < span_s {
        let next_t = (t + (previous.abs() / rate).max(config.min_step_s)).min(span_s);
        let next = margin(next_t)?;
        if (previous > 0.0) != (next > 0.0) {
            edges.push(brent(margin, t, next_t, previous, next, config.tolerance_s)?);
        }
        t = next_t;
        previous = next;
    }
    let mut bounds = Vec::new();
    if visible_at_start {
        bounds.push(0.0);
    }
    bounds.extend(edges);
    if bounds.len() % 2 == 1 {
        bounds.push(span_s);
    }
    bounds
        .chunks(2)
        .map(|w| {
            let (closest, min_range) = golden_minimum(&range, w[0], w[1], config.tolerance_s)?;
            Ok((w[0], w[1], closest, min_range))
        })
        .collect()
}

/// Golden-section search for the minimum of `f` on [a, b].
fn golden_minimum(
    f: &dyn Fn(f64) -> Result<f64>,
    mut a: f64,
    mut b: f64,
    tolerance: f64,
) -> Result<(f64, f64)> {
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - ratio * (b - a);
    let mut d = a + ratio * (b - a);
    let (mut fc, mut fd) = (f(c)?, f(d)?);
    while (b - a).abs() > tolerance {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - ratio * (b - a);
            fc = f(c)?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + ratio * (b - a);
            fd = f(d)?;
        }
    }
    let t = 0.5 * (a + b);
    Ok((t, f(t)?))
}
