//! Planning: what the engine knows in advance (eclipses, passes, station
//! assignment, relay windows, imaging and capture instants), searched in
//! *blocks* of [`PLAN_BLOCK_S`] on a grid fixed to the simulation start.
//!
//! Why blocks: a search started at a different instant refines its roots to
//! slightly different values (tens of nanoseconds) and cuts intervals in other
//! places, so planning per `run` call made results depend on how a run was
//! cut. A block's plan depends only on the block and on the state at its start
//! (which station each spacecraft holds), so every cut — and a checkpoint
//! restored anywhere — sees the same plan as one uninterrupted run. Block ends
//! are sync points of every run.

use rayon::prelude::*;

use super::Simulation;
use crate::access::eclipse::shadow_intervals;
use crate::access::ground::pair_windows;
use crate::access::link::pair_link_windows;
use crate::access::SearchConfig;
use crate::error::Result;
use crate::orbit::Propagator;
use crate::sim::state::{Light, Plan, SpacecraftState};
use crate::spacecraft::Spacecraft;
use crate::time::{seconds_between, TimeAxis};

/// Length of a planning block, s (6 h: long enough that planning costs little
/// per block, short enough that a short run does not plan far ahead).
pub const PLAN_BLOCK_S: f64 = 21_600.0;

/// The block containing `t_s` (a block starts at its first instant).
pub(super) fn block_of(t_s: f64) -> u64 {
    (t_s / PLAN_BLOCK_S).floor().max(0.0) as u64
}

/// [start, end] of a block, s since the simulation start.
pub(super) fn block_span(block: u64) -> (f64, f64) {
    (block as f64 * PLAN_BLOCK_S, (block + 1) as f64 * PLAN_BLOCK_S)
}

/// What planning finds for one spacecraft: light intervals and, per station, passes.
type Foresight = (Vec<(f64, f64, Light)>, Vec<Vec<(f64, f64)>>);

impl Simulation {
    /// Eclipses, passes, station assignment, relay windows and imaging over
    /// one planning block, [from_s, to_s] = [`block_span`] of `block`; the
    /// scheduled starts are added by [`Simulation::with_schedule`].
    pub(super) fn plan_block(&self, block: u64) -> Result<Vec<Plan>> {
        let (from_s, to_s) = block_span(block);
        let axis = TimeAxis::new(self.start, self.start);
        let local = TimeAxis::new(axis.epoch(from_s), axis.epoch(to_s));
        let span = to_s - from_s;
        let shadow = self.config.shadow;
        let search = self.config.search;
        let stations = &self.stations;
        let per_spacecraft: Vec<Result<Foresight>> = self
            .spacecraft
            .par_iter()
            .map(|sc| {
                let light = shadow_intervals(&sc.satellite, &local, span, &shadow, &search)?
                    .into_iter()
                    .map(|e| (from_s + e.start_s, from_s + e.end_s, e.kind))
                    .collect();
                let windows = stations
                    .iter()
                    .map(|station| {
                        Ok(pair_windows(&sc.satellite, station, &local, span, &search)?
                            .into_iter()
                            .map(|w| (from_s + w.rise_s, from_s + w.set_s))
                            .collect())
                    })
                    .collect::<Result<Vec<Vec<(f64, f64)>>>>()?;
                Ok((light, windows))
            })
            .collect();
        let mut plans = Vec::with_capacity(self.spacecraft.len());
        let mut windows = Vec::with_capacity(self.spacecraft.len());
        for result in per_spacecraft {
            let (light, w) = result?;
            plans.push(Plan {
                light,
                ..Plan::default()
            });
            windows.push(w);
        }
        self.assign_stations(&mut plans, &windows, from_s);
        for (sc, plan) in self.spacecraft.iter().zip(plans.iter_mut()) {
            for relay in &sc.relays {
                let peer = &self.spacecraft[self.index_of(&relay.peer)?];
                let los =
                    crate::environment::LineOfSight::new(relay.grazing_altitude_km, relay.max_range_km)?;
                let windows = pair_link_windows(&sc.satellite, &peer.satellite, &local, span, &los, &search)?
                    .into_iter()
                    .map(|(a, b, _, _)| (from_s + a, from_s + b))
                    .collect();
                plan.relay_windows.push(windows);
            }
        }
        for (k, sc) in self.spacecraft.iter().enumerate() {
            if let Some(imager) = &sc.imager {
                let (imaging, captures) =
                    imaging_plan(sc, imager, &plans[k].light, &local, from_s, to_s, &search)?;
                plans[k].imaging = imaging;
                plans[k].captures = captures;
            }
        }
        for (plan, sc) in plans.iter_mut().zip(&self.spacecraft) {
            continue_past_block_end(plan, to_s);
            plan.orbit_offset_s = seconds_between(sc.satellite.epoch(), self.start);
            plan.downlink_partitions = SpacecraftState::downlink_partitions(sc);
        }
        Ok(plans)
    }

    /// Station assignment over a block from each spacecraft's passes
    /// (`windows[spacecraft][station]`): first come, first served by rise time;
    /// a spacecraft tracked at the end of the previous block keeps its
    /// station; ties go to the lower spacecraft index; a later spacecraft gets
    /// what is left of its pass.
    fn assign_stations(&self, plans: &mut [Plan], windows: &[Vec<Vec<(f64, f64)>>], from_s: f64) {
        for station in 0..self.stations.len() {
            let mut candidates: Vec<(f64, f64, bool, usize)> = windows
                .iter()
                .enumerate()
                .flat_map(|(i, w)| {
                    let holder = self.station_holder[station] == Some(i);
                    w[station]
                        .iter()
                        .map(move |(rise, set)| (*rise, *set, !(holder && *rise <= from_s), i))
                })
                .collect();
            candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
            let mut free_at = f64::NEG_INFINITY;
            for (rise, set, _, i) in candidates {
                let begin = rise.max(free_at);
                if begin < set {
                    plans[i].contacts.push((begin, set, station));
                    free_at = set;
                }
            }
        }
        for plan in plans.iter_mut() {
            plan.contacts.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
    }

    /// The block's plans with the scheduled starts that fall in it, edges indexed.
    pub(super) fn with_schedule(&self, block: u64, mut plans: Vec<Plan>) -> Vec<Plan> {
        let (from_s, to_s) = block_span(block);
        for &(t, sc, activity) in &self.schedule {
            if t >= from_s - 1e-9 && t <= to_s {
                plans[sc].scheduled.push((t, activity));
            }
        }
        for plan in &mut plans {
            if self.config.paseos_compatible {
                // Steps are not split at eclipse edges in PASEOS mode.
                let light = std::mem::take(&mut plan.light);
                plan.index_edges();
                plan.light = light;
            } else {
                plan.index_edges();
            }
        }
        plans
    }
}

/// Intervals cut by the end of a block go on past it: their cut end is not a
/// change of light or contact (the next block's plan picks them up), so it
/// moves beyond `to_s`.
fn continue_past_block_end(plan: &mut Plan, to_s: f64) {
    let ends = (plan.light.iter_mut().map(|i| &mut i.1))
        .chain(plan.contacts.iter_mut().map(|i| &mut i.1))
        .chain(plan.imaging.iter_mut().map(|i| &mut i.1))
        .chain(plan.relay_windows.iter_mut().flatten().map(|w| &mut w.1));
    for end in ends.filter(|end| **end >= to_s - 1e-9) {
        *end = to_s + 1.0;
    }
}

/// Imaging intervals (a target in view and full sunlight) with the highest
/// priority in view, and the capture instants on the imager's grid inside them.
type ImagingPlan = (Vec<(f64, f64, u32)>, Vec<(f64, u32)>);

fn imaging_plan(
    sc: &Spacecraft,
    imager: &crate::compute::ImagerConfig,
    light: &[(f64, f64, Light)],
    local: &TimeAxis,
    from_s: f64,
    to_s: f64,
    search: &SearchConfig,
) -> Result<ImagingPlan> {
    // Sunlit = the run minus every shadow interval (light lists only shadows).
    let mut sunlit = Vec::new();
    let mut cursor = from_s;
    for (a, b, _) in light {
        if *a > cursor {
            sunlit.push((cursor, *a));
        }
        cursor = cursor.max(*b);
    }
    if cursor < to_s {
        sunlit.push((cursor, to_s));
    }
    // In view of a target: (start, end, priority) from every target's windows.
    let mut in_view: Vec<(f64, f64, u32)> = if imager.targets.is_empty() {
        vec![(from_s, to_s, 0)]
    } else {
        let bounds = sc.satellite.motion_bounds();
        let radius = 0.5 * (bounds.min_radius_km + bounds.max_radius_km);
        let mut all = Vec::new();
        for target in &imager.targets {
            let station = target.as_station(radius)?;
            for w in pair_windows(&sc.satellite, &station, local, to_s - from_s, search)? {
                all.push((from_s + w.rise_s, from_s + w.set_s, target.priority));
            }
        }
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        all
    };
    in_view.retain(|(a, b, _)| b > a);
    // Intersect with sunlight; overlapping targets keep the highest priority by
    // splitting at every edge.
    let mut edges: Vec<f64> = in_view.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
    edges.extend(sunlit.iter().flat_map(|(a, b)| [*a, *b]));
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let mut imaging: Vec<(f64, f64, u32)> = Vec::new();
    for pair in edges.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let mid = 0.5 * (a + b);
        let lit = sunlit.iter().any(|(x, y)| *x <= mid && mid < *y);
        let priority = in_view
            .iter()
            .filter(|(x, y, _)| *x <= mid && mid < *y)
            .map(|(_, _, p)| *p)
            .max();
        if let (true, Some(priority)) = (lit, priority) {
            match imaging.last_mut() {
                Some(last) if (last.1 - a).abs() < 1e-9 && last.2 == priority => last.1 = b,
                _ => imaging.push((a, b, priority)),
            }
        }
    }
    // Each capture instant belongs to exactly one block: [from_s, to_s).
    let step = imager.capture_interval_s;
    let mut captures = Vec::new();
    for (a, b, priority) in &imaging {
        let mut k = (a / step).ceil();
        while k * step < *b {
            captures.push((k * step, *priority));
            k += 1.0;
        }
    }
    Ok((imaging, captures))
}
