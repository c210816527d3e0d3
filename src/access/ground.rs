//! Ground-station access windows: rise, culmination, set.
//!
//! Screening uses the Earth-central angle θ between station and satellite: on a
//! sphere, a satellite at radius r is above elevation e iff
//! θ ≤ λ(r) = acos(R_s·cos e / r) − e. With r ≤ r_max, e lowered by 1° (the
//! ellipsoid normal differs from the geocentric vertical by ≤ 0.2°) and
//! |dθ/dt| ≤ v_max/r_min + ω⊕, the walk skips safely to the next possible
//! entry into that cone. Inside it, the margin above the mask and its rate are
//! sampled every 0.05 rad of relative motion (≈ 40 s in LEO) and refined:
//! sign changes of the margin give rise and set; a maximum between two samples
//! that are both below the mask (a pass shorter than a sample step) is caught by
//! the sign change of the elevation rate.

use hifitime::Epoch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::root::brent;
use crate::access::{epoch_on, SearchConfig, Track};
use crate::constants::EARTH_ROTATION_RAD_S;
use crate::environment::station::{GroundStation, Look};
use crate::error::{ensure_interval, Error, Result};
use crate::frames::gmst_rad;
use crate::orbit::Propagator;
use crate::satellite::Satellite;
use crate::time::TimeAxis;

/// A period during which a station sees a satellite above its mask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessWindow {
    /// Satellite name.
    pub satellite: String,
    /// Station name.
    pub station: String,
    /// Index of the satellite in the input.
    pub satellite_index: usize,
    /// Index of the station in the input.
    pub station_index: usize,
    /// Start (the search start when `clipped_start`).
    pub rise: Epoch,
    /// Time of highest elevation within the window.
    pub culmination: Epoch,
    /// End (the search end when `clipped_end`).
    pub set: Epoch,
    /// Elevation at culmination, degrees.
    pub max_elevation_deg: f64,
    /// The satellite was already visible at the search start.
    pub clipped_start: bool,
    /// The satellite was still visible at the search end.
    pub clipped_end: bool,
}

impl AccessWindow {
    /// Length of the window, s (elapsed, leap seconds included).
    pub fn duration_s(&self) -> f64 {
        crate::time::seconds_between(self.rise, self.set)
    }
}

/// Every window of every satellite × station pair in [start, end], sorted by
/// rise time (then satellite, then station). Parallel over satellites; the
/// result does not depend on the number of threads.
///
/// ```
/// use orbitedge::{Satellite, environment::GroundStation, access::{find_access_windows, SearchConfig}};
/// use orbitedge::orbit::Propagator;
/// let iss = Satellite::from_tle("ISS",
///     "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991",
///     "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482")?;
/// let matera = GroundStation::new("Matera", 40.649, 16.704, 536.0, 10.0)?;
/// let start = iss.epoch();
/// let windows = find_access_windows(&[iss], &[matera], start, start + hifitime::Duration::from_days(1.0),
///     &SearchConfig::default())?;
/// assert!(!windows.is_empty());
/// assert!(windows.iter().all(|w| w.rise < w.culmination && w.culmination < w.set && w.max_elevation_deg >= 10.0));
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn find_access_windows(
    satellites: &[Satellite],
    stations: &[GroundStation],
    start: Epoch,
    end: Epoch,
    config: &SearchConfig,
) -> Result<Vec<AccessWindow>> {
    ensure_interval(start, end)?;
    let config = config.validated()?;
    if satellites.is_empty() {
        return Err(Error::EmptyInput { what: "satellites" });
    }
    if stations.is_empty() {
        return Err(Error::EmptyInput { what: "stations" });
    }
    let span_s = (end - start).to_seconds();
    super::ensure_search_fits("ground-station access", satellites.len() * stations.len(), span_s)?;
    let axis = TimeAxis::new(start, end);
    let per_satellite: Vec<Result<Vec<AccessWindow>>> = satellites
        .par_iter()
        .enumerate()
        .map(|(satellite_index, satellite)| {
            let mut windows = Vec::new();
            for (station_index, station) in stations.iter().enumerate() {
                for raw in pair_windows(satellite, station, &axis, span_s, &config)? {
                    windows.push(AccessWindow {
                        satellite: satellite.name.clone(),
                        station: station.name().to_string(),
                        satellite_index,
                        station_index,
                        rise: epoch_on(&axis, raw.rise_s),
                        culmination: epoch_on(&axis, raw.culmination_s),
                        set: epoch_on(&axis, raw.set_s),
                        max_elevation_deg: raw.max_elevation_deg,
                        clipped_start: raw.clipped_start,
                        clipped_end: raw.clipped_end,
                    });
                }
            }
            Ok(windows)
        })
        .collect();
    let mut windows = Vec::new();
    for result in per_satellite {
        windows.extend(result?);
    }
    windows.sort_by(|a, b| {
        a.rise
            .cmp(&b.rise)
            .then(a.satellite_index.cmp(&b.satellite_index))
            .then(a.station_index.cmp(&b.station_index))
    });
    Ok(windows)
}

/// A window on the search axis, in seconds from its start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawWindow {
    /// Rise, s.
    pub rise_s: f64,
    /// Culmination, s.
    pub culmination_s: f64,
    /// Set, s.
    pub set_s: f64,
    /// Elevation at culmination, degrees.
    pub max_elevation_deg: f64,
    /// Visible at the axis start.
    pub clipped_start: bool,
    /// Visible at the axis end.
    pub clipped_end: bool,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    t: f64,
    /// Elevation above the mask, degrees.
    margin: f64,
    /// Rate of the margin, deg/s.
    margin_rate: f64,
    elevation: f64,
    elevation_rate: f64,
}

struct PairSearch<'a, P: Propagator + ?Sized> {
    track: Track<'a, P>,
    station: &'a GroundStation,
    axis: &'a TimeAxis,
    span_s: f64,
    tolerance_s: f64,
}

/// What one propagation gives: the state and the Earth's rotation angle.
struct Snapshot {
    t: f64,
    state: crate::orbit::StateVector,
    gmst: f64,
}

impl<P: Propagator + ?Sized> PairSearch<'_, P> {
    fn snapshot(&self, t: f64) -> Result<Snapshot> {
        Ok(Snapshot {
            t,
            state: self.track.state(t)?,
            gmst: gmst_rad(self.axis.julian_date_ut1(t)),
        })
    }

    fn look(&self, snap: &Snapshot) -> Look {
        self.station
            .look(&snap.state.position_km, &snap.state.velocity_km_s, snap.gmst)
    }

    fn sample_of(&self, snap: &Snapshot) -> Sample {
        let look = self.look(snap);
        let (margin, margin_rate) = self.station.mask_margin(&look);
        Sample {
            t: snap.t,
            margin,
            margin_rate,
            elevation: look.topocentric.elevation_deg,
            elevation_rate: look.elevation_rate_deg_s,
        }
    }

    fn sample(&self, t: f64) -> Result<Sample> {
        Ok(self.sample_of(&self.snapshot(t)?))
    }

    /// Central-angle cone margin (rad, > 0 means certainly not visible).
    fn cone_margin(&self, snap: &Snapshot, cos_limit: f64, sin_limit: f64) -> f64 {
        let to_ecef = crate::frames::teme_to_ecef_rotation(snap.gmst);
        let r = to_ecef * snap.state.position_km;
        let g = self.station.position_ecef_km();
        let cos_theta = r.dot(g) / (r.norm() * g.norm());
        // θ − λ without an acos per call: sign and magnitude from sin/cos of the difference.
        let sin_theta = (1.0 - cos_theta * cos_theta).max(0.0).sqrt();
        let sin_diff = sin_theta * cos_limit - cos_theta * sin_limit;
        let cos_diff = cos_theta * cos_limit + sin_theta * sin_limit;
        sin_diff.atan2(cos_diff)
    }

    fn margin_root(&self, a: &Sample, b: &Sample) -> Result<f64> {
        brent(
            |t| Ok(self.sample(t)?.margin),
            a.t,
            b.t,
            a.margin,
            b.margin,
            self.tolerance_s,
        )
    }

    /// The highest elevation between two samples whose elevation rates bracket zero.
    ///
    /// Brent on the analytic elevation rate gets close; SGP4/SDP4 velocities are not
    /// exactly the derivative of their positions (by ~0.1 m/s in deep space), which
    /// can shift a flat maximum by seconds, so the result is polished with
    /// parabolic steps on elevations alone.
    fn peak(&self, a: &Sample, b: &Sample) -> Result<Sample> {
        let t = brent(
            |t| Ok(self.sample(t)?.elevation_rate),
            a.t,
            b.t,
            a.elevation_rate,
            b.elevation_rate,
            self.tolerance_s,
        )?;
        let mut best = self.sample(t)?;
        let h = 0.25;
        for _ in 0..2 {
            let before = self.sample(best.t - h)?.elevation;
            let after = self.sample(best.t + h)?.elevation;
            let curvature = before - 2.0 * best.elevation + after;
            if curvature >= 0.0 {
                break;
            }
            let shift = 0.5 * h * (before - after) / curvature;
            if shift.abs() < self.tolerance_s || shift.abs() > (b.t - a.t) {
                break;
            }
            let candidate = self.sample((best.t + shift).clamp(a.t, b.t))?;
            if candidate.elevation <= best.elevation {
                break;
            }
            best = candidate;
        }
        Ok(best)
    }
}

/// Windows of one satellite over one station on `[0, span_s]` of `axis`.
pub fn pair_windows<P: Propagator + ?Sized>(
    propagator: &P,
    station: &GroundStation,
    axis: &TimeAxis,
    span_s: f64,
    config: &SearchConfig,
) -> Result<Vec<RawWindow>> {
    let search = PairSearch {
        track: Track::new(propagator, axis),
        station,
        axis,
        span_s,
        tolerance_s: config.tolerance_s,
    };
    let bounds = propagator.motion_bounds();
    let station_radius = station.position_ecef_km().norm();
    let screen_elevation = (station.lowest_mask_deg() - 1.0).max(-89.0).to_radians();
    let cone = ((station_radius / bounds.max_radius_km) * screen_elevation.cos())
        .clamp(-1.0, 1.0)
        .acos()
        - screen_elevation;
    let (sin_limit, cos_limit) = cone.sin_cos();
    let angular_rate = bounds.max_speed_km_s / bounds.min_radius_km + EARTH_ROTATION_RAD_S;
    let fine_step = (0.05 / angular_rate).clamp(2.0, 60.0);

    let mut windows = Vec::new();
    let mut candidate: Vec<Sample> = Vec::new();
    let mut last_outside: Option<Snapshot> = None;
    let mut t = 0.0;
    loop {
        let snap = search.snapshot(t)?;
        let margin = search.cone_margin(&snap, cos_limit, sin_limit);
        let step = if margin > 0.0 {
            if !candidate.is_empty() {
                candidate.push(search.sample_of(&snap));
                windows.extend(windows_in(&search, &candidate)?);
                candidate.clear();
            }
            last_outside = Some(snap);
            (margin / angular_rate).max(config.min_step_s)
        } else {
            if candidate.is_empty() {
                if let Some(outside) = &last_outside {
                    candidate.push(search.sample_of(outside));
                }
            }
            candidate.push(search.sample_of(&snap));
            fine_step
        };
        if t >= span_s {
            break;
        }
        t = (t + step).min(span_s);
    }
    if !candidate.is_empty() {
        windows.extend(windows_in(&search, &candidate)?);
    }
    Ok(windows)
}

/// Rise/set events and windows among consecutive samples of one candidate region.
fn windows_in<P: Propagator + ?Sized>(
    search: &PairSearch<'_, P>,
    samples: &[Sample],
) -> Result<Vec<RawWindow>> {
    // (time, is_rise, clipped)
    let mut events: Vec<(f64, bool, bool)> = Vec::new();
    if let Some(first) = samples.first() {
        if first.t == 0.0 && first.margin > 0.0 {
            events.push((0.0, true, true));
        }
    }
    for pair in samples.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if (a.margin > 0.0) != (b.margin > 0.0) {
            events.push((search.margin_root(a, b)?, b.margin > 0.0, false));
        } else if a.margin <= 0.0 && a.margin_rate > 0.0 && b.margin_rate <= 0.0 {
            // Both below the mask but the margin peaks between them: a short pass?
            let t = brent(
                |t| Ok(search.sample(t)?.margin_rate),
                a.t,
                b.t,
                a.margin_rate,
                b.margin_rate,
                search.tolerance_s,
            )?;
            let top = search.sample(t)?;
            if top.margin > 0.0 {
                events.push((search.margin_root(a, &top)?, true, false));
                events.push((search.margin_root(&top, b)?, false, false));
            }
        }
    }
    if let Some(last) = samples.last() {
        if last.t >= search.span_s && last.margin > 0.0 {
            events.push((search.span_s, false, true));
        }
    }
    let mut windows = Vec::new();
    let mut open: Option<(f64, bool)> = None;
    for (t, is_rise, clipped) in events {
        match (is_rise, open) {
            (true, _) => open = Some((t, clipped)),
            (false, Some((rise, clipped_start))) => {
                windows.push(culminate(search, samples, rise, t, clipped_start, clipped)?);
                open = None;
            }
            (false, None) => {}
        }
    }
    Ok(windows)
}

/// Finds the highest elevation within [rise, set].
fn culminate<P: Propagator + ?Sized>(
    search: &PairSearch<'_, P>,
    samples: &[Sample],
    rise: f64,
    set: f64,
    clipped_start: bool,
    clipped_end: bool,
) -> Result<RawWindow> {
    let mut points = vec![search.sample(rise)?];
    points.extend(samples.iter().filter(|s| s.t > rise && s.t < set).copied());
    points.push(search.sample(set)?);
    let mut best = points[0];
    for point in &points {
        if point.elevation > best.elevation {
            best = *point;
        }
    }
    for pair in points.windows(2) {
        if pair[0].elevation_rate > 0.0 && pair[1].elevation_rate <= 0.0 {
            let top = search.peak(&pair[0], &pair[1])?;
            if top.elevation > best.elevation {
                best = top;
            }
        }
    }
    Ok(RawWindow {
        rise_s: rise,
        culmination_s: best.t,
        set_s: set,
        max_elevation_deg: best.elevation,
        clipped_start,
        clipped_end,
    })
}
