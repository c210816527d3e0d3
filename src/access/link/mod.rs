//! Inter-satellite link windows.
//!
//! Every satellite is propagated once per point of a common grid ([`grid`]);
//! each pair's visibility margin ([`LineOfSight::margin_km`]: the segment's
//! clearance above the grazing altitude, and range below the maximum) is then
//! searched on the interpolants between those points ([`search`]), parallel
//! over pairs. Closest approach within a window is found by golden-section
//! search on the range (ranges are unimodal over one window for all but
//! exotic geometries).

pub mod grid;
mod harmonic;
mod search;

use hifitime::Epoch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub(crate) use grid::ScreenGrid;
pub use grid::GRID_STEP_S;
pub(crate) use search::{all_windows, PairSearch};

use crate::access::{epoch_on, SearchConfig};
use crate::environment::LineOfSight;
use crate::error::{ensure_interval, Error, Result};
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
/// The search runs on each satellite's cubic Hermite interpolant through its
/// states every [`GRID_STEP_S`] (see [`grid`]): within centimetres of the
/// orbit in LEO, so edges are exact to far better than `tolerance_s`.
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
    let all: Vec<&Satellite> = satellites.iter().collect();
    let mut per_pair: Vec<Vec<RawWindow>> = vec![Vec::new(); pairs.len()];
    for chunk in chunks(span_s, n) {
        let grid = ScreenGrid::new(&all, &axis, chunk)?;
        let searches: Vec<PairSearch> = (pairs.iter())
            .map(|&(a, b)| PairSearch {
                grid: &grid,
                a,
                b,
                line_of_sight: &line_of_sight,
            })
            .collect();
        let edges = all_windows(&searches, &config)?;
        let found: Vec<Result<Vec<RawWindow>>> = (searches.par_iter().zip(edges))
            .map(|(search, windows)| with_closest_approach(search, windows, &config))
            .collect();
        for (windows, more) in per_pair.iter_mut().zip(found) {
            join(windows, more?, chunk.0);
        }
    }
    let mut windows: Vec<LinkWindow> = (pairs.iter().zip(per_pair))
        .flat_map(|(&(i, j), raw)| {
            let (a, b) = (&satellites[i], &satellites[j]);
            let axis = &axis;
            raw.into_iter().map(move |w| LinkWindow {
                satellite_a: a.name.clone(),
                satellite_b: b.name.clone(),
                satellite_a_index: i,
                satellite_b_index: j,
                start: epoch_on(axis, w.start_s),
                closest_approach: epoch_on(axis, w.closest_s),
                end: epoch_on(axis, w.end_s),
                min_range_km: w.min_range_km,
                clipped_start: w.start_s == 0.0,
                clipped_end: w.end_s >= span_s,
            })
        })
        .collect();
    windows.sort_by(|x, y| {
        x.start
            .cmp(&y.start)
            .then(x.satellite_a_index.cmp(&y.satellite_a_index))
            .then(x.satellite_b_index.cmp(&y.satellite_b_index))
    });
    Ok(windows)
}

/// At most this many grid states (satellites × points) are held at once: a
/// longer search goes in consecutive chunks of time, joined at their edges.
const MAX_GRID_STATES: usize = 2_000_000;

/// The consecutive spans [from, to] of [0, span_s] searched one grid at a time.
fn chunks(span_s: f64, satellites: usize) -> Vec<(f64, f64)> {
    let points = (MAX_GRID_STATES / satellites.max(1)).max(2);
    let length_s = (points - 1) as f64 * GRID_STEP_S;
    let count = (span_s / length_s).ceil().max(1.0) as usize;
    (0..count)
        .map(|k| (k as f64 * length_s, ((k + 1) as f64 * length_s).min(span_s)))
        .collect()
}

/// One window of one pair, seconds on the search's axis.
#[derive(Debug, Clone, Copy)]
struct RawWindow {
    start_s: f64,
    end_s: f64,
    closest_s: f64,
    min_range_km: f64,
}

/// A pair's windows on one grid, with their closest approach.
#[cfg(test)]
fn raw_windows(search: &PairSearch<'_>, config: &SearchConfig) -> Result<Vec<RawWindow>> {
    with_closest_approach(search, search.windows(config)?, config)
}

/// A pair's (start, end) windows with their closest approach.
fn with_closest_approach(
    search: &PairSearch<'_>,
    windows: Vec<(f64, f64)>,
    config: &SearchConfig,
) -> Result<Vec<RawWindow>> {
    let range = |t: f64| -> Result<f64> { Ok(search.range_km(t)) };
    (windows.into_iter())
        .map(|(start_s, end_s)| {
            let (closest_s, min_range_km) = golden_minimum(&range, start_s, end_s, config.tolerance_s)?;
            Ok(RawWindow {
                start_s,
                end_s,
                closest_s,
                min_range_km,
            })
        })
        .collect()
}

/// Appends a chunk's windows (the chunk starts at `boundary_s`): a window open
/// across the boundary continues the previous chunk's last one.
fn join(windows: &mut Vec<RawWindow>, more: Vec<RawWindow>, boundary_s: f64) {
    let mut more = more.into_iter().peekable();
    if let (Some(last), Some(next)) = (windows.last_mut(), more.peek()) {
        if last.end_s == boundary_s && next.start_s == boundary_s {
            if next.min_range_km < last.min_range_km {
                (last.closest_s, last.min_range_km) = (next.closest_s, next.min_range_km);
            }
            last.end_s = next.end_s;
            more.next();
        }
    }
    windows.extend(more);
}

/// (start, end) of each window of one pair, in seconds on `axis` over
/// [0, span_s].
pub(crate) fn pair_link_windows(
    a: &Satellite,
    b: &Satellite,
    axis: &TimeAxis,
    span_s: f64,
    line_of_sight: &LineOfSight,
    config: &SearchConfig,
) -> Result<Vec<(f64, f64)>> {
    let grid = ScreenGrid::new(&[a, b], axis, (0.0, span_s))?;
    let search = PairSearch {
        grid: &grid,
        a: 0,
        b: 1,
        line_of_sight,
    };
    search.windows(config)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Track;
    use crate::orbit::walker::WalkerDelta;
    use crate::orbit::ClassicalElements;
    use crate::satellite::AnalyticModel;

    /// The screened search against brute force: the margin's sign sampled
    /// every 5 s over a day agrees with the windows' membership everywhere
    /// but within the search tolerance of an edge, for every pair of a
    /// constellation with near-grazing geometry (two planes at 550 km).
    #[test]
    fn screened_windows_agree_with_the_margin_sampled_every_5_s() {
        agrees_with_the_sampled_margin(&walker_8(), &LineOfSight::default(), 50);
    }

    /// The same for a mixed fleet whose radii swing widely (eccentricities up
    /// to 0.72, a perigee 220 km up, a GEO): the horizon-angle
    /// bound is loose or absent there and the walk leans on the km bounds.
    #[test]
    fn windows_of_eccentric_orbits_agree_with_the_margin_sampled_every_5_s() {
        let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        let orbits = [
            (6_928.0, 0.0, 53.0, 0.0, 0.0, 0.0),
            (6_928.0, 0.001, 97.6, 40.0, 10.0, 200.0),
            (8_000.0, 0.15, 30.0, 80.0, 45.0, 90.0),
            (11_000.0, 0.4, 63.4, 120.0, 270.0, 10.0),
            (26_560.0, 0.72, 63.4, 200.0, 270.0, 180.0),
            (42_164.0, 0.0, 0.1, 0.0, 0.0, 77.0),
        ];
        let sats: Vec<Satellite> = (orbits.iter().enumerate())
            .map(|(k, &(a, e, i, raan, argp, m))| {
                let elements = ClassicalElements {
                    semi_major_axis_km: a,
                    eccentricity: e,
                    inclination_deg: i,
                    raan_deg: raan,
                    argument_of_perigee_deg: argp,
                    mean_anomaly_deg: m,
                };
                Satellite::from_elements(format!("E{k}"), epoch, elements, AnalyticModel::J2).unwrap()
            })
            .collect();
        agrees_with_the_sampled_margin(&sats, &LineOfSight::default(), 20);
        agrees_with_the_sampled_margin(&sats, &LineOfSight::new(80.0, Some(9_000.0)).unwrap(), 20);
    }

    fn walker_8() -> Vec<Satellite> {
        let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        let pattern = WalkerDelta {
            total: 8,
            planes: 2,
            phasing: 1,
            altitude_km: 550.0,
            inclination_deg: 53.0,
        };
        Satellite::walker("W", &pattern, epoch, AnalyticModel::J2).unwrap()
    }

    /// The same with a range limit that cuts windows short (the range part
    /// of the margin decides some edges).
    #[test]
    fn range_limited_windows_agree_with_the_margin_sampled_every_5_s() {
        agrees_with_the_sampled_margin(&walker_8(), &LineOfSight::new(80.0, Some(4_000.0)).unwrap(), 50);
    }

    fn agrees_with_the_sampled_margin(sats: &[Satellite], los: &LineOfSight, at_least: usize) {
        let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        let end = epoch + hifitime::Duration::from_hours(24.0);
        let config = SearchConfig::default();
        let windows = find_link_windows(sats, epoch, end, los, &config).unwrap();
        assert!(windows.len() > at_least, "{} windows", windows.len());
        let axis = TimeAxis::new(epoch, end);
        let mut checked = 0;
        for i in 0..sats.len() {
            for j in i + 1..sats.len() {
                let (a, b) = (Track::new(&sats[i], &axis), Track::new(&sats[j], &axis));
                let mine: Vec<(f64, f64)> = (windows.iter())
                    .filter(|w| w.satellite_a_index == i && w.satellite_b_index == j)
                    .map(|w| ((w.start - epoch).to_seconds(), (w.end - epoch).to_seconds()))
                    .collect();
                for t in (0..86_400).step_by(5).map(f64::from) {
                    if mine
                        .iter()
                        .any(|(s, e)| (t - s).abs() < 1e-3 || (t - e).abs() < 1e-3)
                    {
                        continue;
                    }
                    let seen = los
                        .margin_km(&a.state(t).unwrap().position_km, &b.state(t).unwrap().position_km)
                        > 0.0;
                    let inside = mine.iter().any(|(s, e)| *s <= t && t < *e);
                    assert_eq!(seen, inside, "pair {i}-{j} at {t} s");
                    checked += 1;
                }
            }
        }
        assert!(checked > 200_000);
        // Each edge found on the interpolants is an edge of the true margin
        // (exact propagation) to within 0.5 ms on either side.
        let margin = |i: usize, j: usize, t: f64| {
            let (a, b) = (Track::new(&sats[i], &axis), Track::new(&sats[j], &axis));
            los.margin_km(&a.state(t).unwrap().position_km, &b.state(t).unwrap().position_km)
        };
        for w in &windows {
            let (i, j) = (w.satellite_a_index, w.satellite_b_index);
            let (start, end) = ((w.start - epoch).to_seconds(), (w.end - epoch).to_seconds());
            if !w.clipped_start {
                assert!(
                    margin(i, j, start - 5e-4) <= 0.0 && margin(i, j, start + 5e-4) > 0.0,
                    "{w:?}"
                );
            }
            if !w.clipped_end {
                assert!(
                    margin(i, j, end - 5e-4) > 0.0 && margin(i, j, end + 5e-4) <= 0.0,
                    "{w:?}"
                );
            }
        }
    }

    /// A search cut into chunks of time gives the windows of one search over
    /// the whole span: windows open across a chunk boundary are joined, and
    /// edges move by no more than the search tolerance.
    #[test]
    fn chunked_searches_join_into_the_whole_span() {
        let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
        let pattern = WalkerDelta {
            total: 6,
            planes: 2,
            phasing: 1,
            altitude_km: 700.0,
            inclination_deg: 60.0,
        };
        let sats = Satellite::walker("W", &pattern, epoch, AnalyticModel::J2).unwrap();
        let all: Vec<&Satellite> = sats.iter().collect();
        let span_s = 86_400.0;
        let axis = TimeAxis::new(epoch, epoch + hifitime::Duration::from_seconds(span_s));
        let (los, config) = (LineOfSight::default(), SearchConfig::default());
        let search = |grid: &ScreenGrid, a, b| {
            let pair = PairSearch {
                grid,
                a,
                b,
                line_of_sight: &los,
            };
            raw_windows(&pair, &config).unwrap()
        };
        let whole = ScreenGrid::new(&all, &axis, (0.0, span_s)).unwrap();
        let step = 97.0 * GRID_STEP_S;
        let cuts: Vec<(f64, f64)> = (0..)
            .map(|k| (k as f64 * step, ((k + 1) as f64 * step).min(span_s)))
            .take_while(|c| c.0 < span_s)
            .collect();
        let grids: Vec<ScreenGrid> = cuts
            .iter()
            .map(|&c| ScreenGrid::new(&all, &axis, c).unwrap())
            .collect();
        let mut joins = 0;
        for a in 0..sats.len() {
            for b in a + 1..sats.len() {
                let mut joined = Vec::new();
                for (grid, cut) in grids.iter().zip(&cuts) {
                    let before = joined.len();
                    let more = search(grid, a, b);
                    let pieces = more.len();
                    join(&mut joined, more, cut.0);
                    joins += usize::from(joined.len() < before + pieces);
                }
                let one = search(&whole, a, b);
                assert_eq!(joined.len(), one.len(), "pair {a}-{b}");
                // Edges agree to the search tolerance (the walks' brackets
                // differ), closest approaches to the golden search's
                // resolution (tolerance_s × relative speed ≈ 1.5 m at a crossing).
                for (x, y) in joined.iter().zip(&one) {
                    let tolerance = 2.0 * config.tolerance_s;
                    assert!((x.start_s - y.start_s).abs() < tolerance, "{x:?} {y:?}");
                    assert!((x.end_s - y.end_s).abs() < tolerance, "{x:?} {y:?}");
                    assert!((x.min_range_km - y.min_range_km).abs() < 2e-3, "{x:?} {y:?}");
                }
            }
        }
        assert!(joins > 10, "{joins} joins");
    }
}
