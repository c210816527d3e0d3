//! Eclipse intervals: umbra and penumbra entry and exit.
//!
//! The shadow boundaries are zeros of two smooth angular margins (see
//! [`crate::environment::eclipse::ShadowGeometry`]): c − (a + b) for the
//! penumbra and c − (b − a) for the umbra. Both change no faster than
//! K = v_max/r_min + R⊕·ṙ_max/(r_min·sqrt(r_min² − R⊕²)) + the Sun's apparent
//! motion, so the walk steps min(|margins|)/K, which never jumps over an edge,
//! then refines each sign change with Brent's method.
//!
//! Intervals do not overlap: a typical eclipse is penumbra → umbra → penumbra.
//! With the cylindrical model there is no penumbra.

use hifitime::Epoch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::root::brent;
use crate::access::{epoch_on, SearchConfig, Track};
use crate::constants::{EARTH_EQUATORIAL_RADIUS_KM, SECONDS_PER_DAY};
use crate::environment::eclipse::{Light, ShadowConfig, ShadowGeometry};
use crate::environment::sun::sun_position_km;
use crate::error::{ensure_interval, Error, Result};
use crate::orbit::Propagator;
use crate::satellite::Satellite;
use crate::time::TimeAxis;

/// Part of the shadow: [`Light::Umbra`] or [`Light::Penumbra`] (an eclipse
/// interval is never [`Light::Sunlit`]). The crate has one light type.
pub type EclipseKind = Light;

/// A maximal period in one part of the shadow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EclipseInterval {
    /// Satellite name.
    pub satellite: String,
    /// Index of the satellite in the input.
    pub satellite_index: usize,
    /// Umbra or penumbra.
    pub kind: EclipseKind,
    /// Entry (the search start when `clipped_start`).
    pub start: Epoch,
    /// Exit (the search end when `clipped_end`).
    pub end: Epoch,
    /// Already in this part of the shadow at the search start.
    pub clipped_start: bool,
    /// Still in it at the search end.
    pub clipped_end: bool,
}

/// Every umbra and penumbra interval of every satellite in [start, end], sorted
/// by satellite then time. Parallel over satellites, thread-count independent.
///
/// ```
/// use orbitedge::{Satellite, access::{find_eclipse_intervals, EclipseKind, SearchConfig}};
/// use orbitedge::environment::eclipse::ShadowConfig;
/// use orbitedge::orbit::Propagator;
/// let s2a = Satellite::from_tle("S2A",
///     "1 40697U 15028A   23188.15862373  .00000171  00000+0  81941-4 0  9994",
///     "2 40697  98.5695 262.3977 0001349  91.8221 268.3116 14.30817084419867")?;
/// let start = s2a.epoch();
/// let end = start + hifitime::Duration::from_days(1.0);
/// let intervals = find_eclipse_intervals(&[s2a], start, end, &ShadowConfig::default(), &SearchConfig::default())?;
/// let umbra = intervals.iter().filter(|i| i.kind == EclipseKind::Umbra).count();
/// assert!((13..=16).contains(&umbra)); // about one per 100-minute orbit
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn find_eclipse_intervals(
    satellites: &[Satellite],
    start: Epoch,
    end: Epoch,
    shadow: &ShadowConfig,
    config: &SearchConfig,
) -> Result<Vec<EclipseInterval>> {
    ensure_interval(start, end)?;
    let config = config.validated()?;
    crate::error::ensure_non_negative("atmosphere_km", shadow.atmosphere_km)?;
    if satellites.is_empty() {
        return Err(Error::EmptyInput { what: "satellites" });
    }
    let span_s = (end - start).to_seconds();
    super::ensure_search_fits("eclipse", satellites.len(), span_s)?;
    let axis = TimeAxis::new(start, end);
    let per_satellite: Vec<Result<Vec<EclipseInterval>>> = satellites
        .par_iter()
        .enumerate()
        .map(|(satellite_index, satellite)| {
            let raw = shadow_intervals(satellite, &axis, span_s, shadow, &config)?;
            Ok(raw
                .into_iter()
                .map(|r| EclipseInterval {
                    satellite: satellite.name.clone(),
                    satellite_index,
                    kind: r.kind,
                    start: epoch_on(&axis, r.start_s),
                    end: epoch_on(&axis, r.end_s),
                    clipped_start: r.start_s == 0.0,
                    clipped_end: r.end_s >= span_s,
                })
                .collect())
        })
        .collect();
    let mut intervals = Vec::new();
    for result in per_satellite {
        intervals.extend(result?);
    }
    Ok(intervals)
}

/// An interval on the search axis, seconds from its start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawEclipse {
    /// Which part of the shadow.
    pub kind: EclipseKind,
    /// Entry, s.
    pub start_s: f64,
    /// Exit, s.
    pub end_s: f64,
}

fn light_of(penumbra_margin: f64, umbra_margin: f64) -> Light {
    if umbra_margin < 0.0 {
        Light::Umbra
    } else if penumbra_margin < 0.0 {
        Light::Penumbra
    } else {
        Light::Sunlit
    }
}

/// Shadow intervals of one propagator on `[0, span_s]` of `axis`.
pub fn shadow_intervals<P: Propagator + ?Sized>(
    propagator: &P,
    axis: &TimeAxis,
    span_s: f64,
    shadow: &ShadowConfig,
    config: &SearchConfig,
) -> Result<Vec<RawEclipse>> {
    let track = Track::new(propagator, axis);
    let geometry = |t: f64| -> Result<ShadowGeometry> {
        let state = track.state(t)?;
        let sun = sun_position_km(axis.julian_date_ut1(t));
        Ok(shadow.geometry(&state.position_km, &sun))
    };
    let margins = |t: f64| -> Result<(f64, f64)> {
        let g = geometry(t)?;
        Ok((g.penumbra_margin_rad(), g.umbra_margin_rad()))
    };
    let bounds = propagator.motion_bounds();
    let earth_radius = EARTH_EQUATORIAL_RADIUS_KM + shadow.atmosphere_km;
    let r_min = bounds.min_radius_km.max(earth_radius * 1.0001);
    let earth_disk_rate = earth_radius * bounds.max_radial_speed_km_s
        / (r_min * (r_min * r_min - earth_radius * earth_radius).sqrt());
    let sun_rate = std::f64::consts::TAU / (365.0 * SECONDS_PER_DAY) * 1.1;
    let rate = bounds.max_speed_km_s / r_min + earth_disk_rate + sun_rate;

    let mut events: Vec<f64> = Vec::new();
    let (mut t, mut previous) = (0.0, margins(0.0)?);
    let initial = light_of(previous.0, previous.1);
    while t < span_s {
        let distance = previous.0.abs().min(previous.1.abs());
        let next_t = (t + (distance / rate).max(config.min_step_s)).min(span_s);
        let next = margins(next_t)?;
        let mut crossings = Vec::new();
        if (previous.0 < 0.0) != (next.0 < 0.0) {
            crossings.push(brent(
                |x| Ok(margins(x)?.0),
                t,
                next_t,
                previous.0,
                next.0,
                config.tolerance_s,
            )?);
        }
        if (previous.1 < 0.0) != (next.1 < 0.0) {
            crossings.push(brent(
                |x| Ok(margins(x)?.1),
                t,
                next_t,
                previous.1,
                next.1,
                config.tolerance_s,
            )?);
        }
        crossings.sort_by(f64::total_cmp);
        events.extend(crossings);
        t = next_t;
        previous = next;
    }

    // Walk the boundary crossings, classifying the light just after each.
    let mut intervals = Vec::new();
    let mut state = initial;
    let mut since = 0.0;
    for &event in &events {
        let probe = (event + config.tolerance_s).min(span_s);
        let (p, u) = margins(probe)?;
        let after = light_of(p, u);
        if after != state {
            push_interval(&mut intervals, state, since, event);
            state = after;
            since = event;
        }
    }
    push_interval(&mut intervals, state, since, span_s);
    Ok(intervals)
}

fn push_interval(intervals: &mut Vec<RawEclipse>, light: Light, start_s: f64, end_s: f64) {
    if light == Light::Sunlit {
        return;
    }
    let kind = light;
    if end_s > start_s {
        intervals.push(RawEclipse { kind, start_s, end_s });
    }
}
