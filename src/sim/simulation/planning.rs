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
use crate::compute::ImagerConfig;
use crate::error::Result;
use crate::orbit::Propagator;
use crate::sim::plan::{InView, Interval, Mark, Plan, Window};
use crate::sim::state::{Light, SpacecraftState};
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

/// What the searches find for one spacecraft over a block, before station
/// assignment (which needs every spacecraft's passes at once).
struct Foresight {
    /// Shadow intervals, sorted.
    light: Vec<Interval<Light>>,
    /// Per station: the passes, sorted.
    passes: Vec<Vec<Window>>,
}

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
                    .map(|e| Interval {
                        start_s: from_s + e.start_s,
                        end_s: from_s + e.end_s,
                        what: e.kind,
                    })
                    .collect();
                let passes = stations
                    .iter()
                    .map(|station| {
                        Ok(pair_windows(&sc.satellite, station, &local, span, &search)?
                            .into_iter()
                            .map(|w| Interval {
                                start_s: from_s + w.rise_s,
                                end_s: from_s + w.set_s,
                                what: InView,
                            })
                            .collect())
                    })
                    .collect::<Result<Vec<Vec<Window>>>>()?;
                Ok(Foresight { light, passes })
            })
            .collect();
        let mut plans = Vec::with_capacity(self.spacecraft.len());
        let mut passes = Vec::with_capacity(self.spacecraft.len());
        for result in per_spacecraft {
            let foresight = result?;
            plans.push(Plan {
                light: foresight.light,
                ..Plan::default()
            });
            passes.push(foresight.passes);
        }
        let contacts = assign_stations(&self.station_holder, &passes, from_s);
        for (plan, contacts) in plans.iter_mut().zip(contacts) {
            plan.contacts = contacts;
        }
        for (sc, plan) in self.spacecraft.iter().zip(plans.iter_mut()) {
            for relay in &sc.relays {
                let peer = &self.spacecraft[self.index_of(&relay.peer)?];
                let los =
                    crate::environment::LineOfSight::new(relay.grazing_altitude_km, relay.max_range_km)?;
                let windows = pair_link_windows(&sc.satellite, &peer.satellite, &local, span, &los, &search)?
                    .into_iter()
                    .map(|(a, b, _, _)| Interval {
                        start_s: from_s + a,
                        end_s: from_s + b,
                        what: InView,
                    })
                    .collect();
                plan.relay_windows.push(windows);
            }
        }
        for (k, sc) in self.spacecraft.iter().enumerate() {
            if let Some(imager) = &sc.imager {
                let planned = imaging_plan(sc, imager, &plans[k].light, &local, (from_s, to_s), &search)?;
                plans[k].imaging = planned.imaging;
                plans[k].captures = planned.captures;
            }
        }
        for (plan, sc) in plans.iter_mut().zip(&self.spacecraft) {
            continue_past_block_end(plan, to_s);
            plan.orbit_offset_s = seconds_between(sc.satellite.epoch(), self.start);
            plan.downlink_partitions = SpacecraftState::downlink_partitions(sc);
        }
        Ok(plans)
    }

    /// The block's plans with the scheduled starts that fall in it, edges indexed.
    pub(super) fn with_schedule(&self, block: u64, mut plans: Vec<Plan>) -> Vec<Plan> {
        let (from_s, to_s) = block_span(block);
        for &(t, sc, activity) in &self.schedule {
            if t >= from_s - 1e-9 && t <= to_s {
                plans[sc].scheduled.push(Mark {
                    at_s: t,
                    what: activity,
                });
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

/// One spacecraft's pass as a claim on a station, in the order the station
/// serves claims: by rise, then the holder continuing its contact across the
/// block start, then by spacecraft index.
struct Claim {
    pass: Window,
    /// False only for the station's holder on a pass already in progress at
    /// the block start (so it sorts first among equal rises).
    newcomer: bool,
    spacecraft: usize,
}

/// Station assignment over a block starting at `from_s`, given the station
/// each one is held by at that instant (`holders[station]`) and each
/// spacecraft's passes (`passes[spacecraft][station]`, one list per holder).
/// Returns each spacecraft's contacts, sorted by start.
///
/// First come, first served by rise time; a spacecraft tracked at the end of
/// the previous block keeps its station (a station does not switch spacecraft
/// at a block edge that is no event); ties go to the lower spacecraft index; a
/// later spacecraft gets what is left of its pass once the station is free.
fn assign_stations(
    holders: &[Option<usize>],
    passes: &[Vec<Vec<Window>>],
    from_s: f64,
) -> Vec<Vec<Interval<usize>>> {
    let mut contacts = vec![Vec::new(); passes.len()];
    for (station, holder) in holders.iter().enumerate() {
        let mut claims: Vec<Claim> = passes
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                let holds = *holder == Some(i);
                p[station].iter().map(move |pass| Claim {
                    pass: *pass,
                    newcomer: !(holds && pass.start_s <= from_s),
                    spacecraft: i,
                })
            })
            .collect();
        claims.sort_by(|a, b| {
            (a.pass.start_s.total_cmp(&b.pass.start_s))
                .then(a.newcomer.cmp(&b.newcomer))
                .then(a.spacecraft.cmp(&b.spacecraft))
        });
        let mut free_at = f64::NEG_INFINITY;
        for claim in claims {
            let begin = claim.pass.start_s.max(free_at);
            if begin < claim.pass.end_s {
                contacts[claim.spacecraft].push(Interval {
                    start_s: begin,
                    end_s: claim.pass.end_s,
                    what: station,
                });
                free_at = claim.pass.end_s;
            }
        }
    }
    for list in &mut contacts {
        list.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    }
    contacts
}

/// Intervals cut by the end of a block go on past it: their cut end is not a
/// change of light or contact (the next block's plan picks them up), so it
/// moves beyond `to_s`.
fn continue_past_block_end(plan: &mut Plan, to_s: f64) {
    let ends = (plan.light.iter_mut().map(|i| &mut i.end_s))
        .chain(plan.contacts.iter_mut().map(|i| &mut i.end_s))
        .chain(plan.imaging.iter_mut().map(|i| &mut i.end_s))
        .chain(plan.relay_windows.iter_mut().flatten().map(|w| &mut w.end_s));
    for end in ends.filter(|end| **end >= to_s - 1e-9) {
        *end = to_s + 1.0;
    }
}

/// What an imager can do over a block.
#[derive(Debug, Clone, Default, PartialEq)]
struct ImagingPlan {
    /// A target in view and full sunlight, labelled with the highest priority
    /// in view, sorted.
    imaging: Vec<Interval<u32>>,
    /// The capture instants on the imager's grid inside them, with their
    /// priority, sorted.
    captures: Vec<Mark<u32>>,
}

/// Imaging intervals and capture instants over the block [from_s, to_s]
/// (`local` is its time axis), from the block's shadow intervals (`light`)
/// and a search for every target's passes.
fn imaging_plan(
    sc: &Spacecraft,
    imager: &ImagerConfig,
    light: &[Interval<Light>],
    local: &TimeAxis,
    (from_s, to_s): (f64, f64),
    search: &SearchConfig,
) -> Result<ImagingPlan> {
    let sunlit = sunlit_between(light, from_s, to_s);
    // In view of a target, labelled with its priority, from every target's windows.
    let mut in_view: Vec<Interval<u32>> = if imager.targets.is_empty() {
        vec![Interval {
            start_s: from_s,
            end_s: to_s,
            what: 0,
        }]
    } else {
        let bounds = sc.satellite.motion_bounds();
        let radius = 0.5 * (bounds.min_radius_km + bounds.max_radius_km);
        let mut all = Vec::new();
        for target in &imager.targets {
            let station = target.as_station(radius)?;
            for w in pair_windows(&sc.satellite, &station, local, to_s - from_s, search)? {
                all.push(Interval {
                    start_s: from_s + w.rise_s,
                    end_s: from_s + w.set_s,
                    what: target.priority,
                });
            }
        }
        all.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        all
    };
    in_view.retain(|i| i.end_s > i.start_s);
    let imaging = highest_priority_in_sunlight(&in_view, &sunlit);
    let captures = capture_instants(&imaging, imager.capture_interval_s);
    Ok(ImagingPlan { imaging, captures })
}

/// The sunlit intervals of [from_s, to_s]: the block minus every shadow
/// interval (the light list holds only shadows).
fn sunlit_between(light: &[Interval<Light>], from_s: f64, to_s: f64) -> Vec<Interval<Light>> {
    let sunlit = |start_s, end_s| Interval {
        start_s,
        end_s,
        what: Light::Sunlit,
    };
    let mut out = Vec::new();
    let mut cursor = from_s;
    for shadow in light {
        if shadow.start_s > cursor {
            out.push(sunlit(cursor, shadow.start_s));
        }
        cursor = cursor.max(shadow.end_s);
    }
    if cursor < to_s {
        out.push(sunlit(cursor, to_s));
    }
    out
}

/// `in_view` intersected with `sunlit`; where targets overlap, the highest
/// priority holds (split at every edge, equal neighbours merged).
fn highest_priority_in_sunlight(in_view: &[Interval<u32>], sunlit: &[Interval<Light>]) -> Vec<Interval<u32>> {
    let mut edges: Vec<f64> = in_view.iter().flat_map(Interval::ends).collect();
    edges.extend(sunlit.iter().flat_map(Interval::ends));
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let mut imaging: Vec<Interval<u32>> = Vec::new();
    for pair in edges.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let mid = 0.5 * (a + b);
        let lit = sunlit.iter().any(|s| s.contains(mid));
        let priority = in_view.iter().filter(|w| w.contains(mid)).map(|w| w.what).max();
        if let (true, Some(priority)) = (lit, priority) {
            match imaging.last_mut() {
                Some(last) if (last.end_s - a).abs() < 1e-9 && last.what == priority => last.end_s = b,
                _ => imaging.push(Interval {
                    start_s: a,
                    end_s: b,
                    what: priority,
                }),
            }
        }
    }
    imaging
}

/// The multiples of `step` inside each imaging interval, with its priority.
/// Intervals end at the block end (before [`continue_past_block_end`]), so each
/// capture instant belongs to exactly one block: [from_s, to_s).
fn capture_instants(imaging: &[Interval<u32>], step: f64) -> Vec<Mark<u32>> {
    let mut captures = Vec::new();
    for interval in imaging {
        let mut k = (interval.start_s / step).ceil();
        while k * step < interval.end_s {
            captures.push(Mark {
                at_s: k * step,
                what: interval.what,
            });
            k += 1.0;
        }
    }
    captures
}
