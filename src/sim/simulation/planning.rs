//! Planning: what the engine knows in advance (eclipses, passes, station
//! assignment, relay windows, imaging and capture instants), searched in
//! *blocks* of [`PLAN_BLOCK_S`] on a grid fixed to the simulation start.
//!
//! Why blocks: a search started at a different instant refines its roots to
//! slightly different values (tens of nanoseconds) and cuts intervals in other
//! places, so planning per `run` call made results depend on how a run was
//! cut. A block's plan depends only on the block and on the state at its start
//! (which stations each spacecraft holds), so every cut — and a checkpoint
//! restored anywhere — sees the same plan as one uninterrupted run. Block ends
//! are sync points of every run.

use rayon::prelude::*;

use super::Simulation;
use crate::access::eclipse::shadow_intervals;
use crate::access::ground::pair_windows;
use crate::access::link::pair_link_windows;
use crate::error::Result;
use crate::orbit::Propagator;
use crate::sim::plan::{
    assign_stations, continue_past_block_end, imaging_plan, Assignment, InView, Interval, Mark, Pass, Peak,
    Plan, Stations, Window,
};
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
    /// Per station: the passes, sorted (none over a station the spacecraft
    /// cannot use: it makes no claim there).
    passes: Vec<Vec<Pass>>,
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
        let claims: Vec<Vec<bool>> = (self.spacecraft.iter())
            .map(|sc| (0..stations.len()).map(|k| self.claims(sc, k)).collect())
            .collect();
        let per_spacecraft: Vec<Result<Foresight>> = (self.spacecraft.par_iter())
            .zip(&claims)
            .map(|(sc, claims)| {
                let light = shadow_intervals(&sc.satellite, &local, span, &shadow, &search)?
                    .into_iter()
                    .map(|e| Interval {
                        start_s: from_s + e.start_s,
                        end_s: from_s + e.end_s,
                        what: e.kind,
                    })
                    .collect();
                let passes = (0..stations.len())
                    .map(|k| {
                        if !claims[k] {
                            return Ok(Vec::new());
                        }
                        Ok(pair_windows(&sc.satellite, &stations[k], &local, span, &search)?
                            .into_iter()
                            .map(|w| Interval {
                                start_s: from_s + w.rise_s,
                                end_s: from_s + w.set_s,
                                what: Peak {
                                    elevation_deg: w.max_elevation_deg,
                                },
                            })
                            .collect())
                    })
                    .collect::<Result<Vec<Vec<Pass>>>>()?;
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
        let assignment = self.assign(from_s, &passes);
        for ((plan, contacts), unserved) in plans.iter_mut().zip(assignment.contacts).zip(assignment.unserved)
        {
            plan.contacts = contacts;
            plan.unserved = unserved;
        }
        for (sc, plan) in self.spacecraft.iter().zip(plans.iter_mut()) {
            plan.relay_windows = self.relay_windows(sc, &local, from_s, span)?;
        }
        for (plan, peers) in plans.iter_mut().zip(self.peer_windows(&local, from_s, span)?) {
            plan.peers = peers;
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

    /// The block's station assignment (starting at `from_s`) from every
    /// spacecraft's passes, the stations' antennas, the holders and the policy.
    fn assign(&self, from_s: f64, passes: &[Vec<Vec<Pass>>]) -> Assignment {
        let antennas: Vec<usize> = (self.stations.iter()).map(|s| s.antennas() as usize).collect();
        let holders: Vec<Vec<usize>> = self.station_holder.iter().map(|h| h.0.clone()).collect();
        let ranking = self.config.station_assignment.ranking(&self.spacecraft);
        let stations = Stations {
            antennas: &antennas,
            holders: &holders,
            ranking: &ranking,
            from_s,
        };
        assign_stations(stations, passes)
    }

    /// Per relay of `sc`: the line-of-sight windows to its peer over the block
    /// starting at `from_s`, `span` long (`local` is its time axis).
    fn relay_windows(
        &self,
        sc: &Spacecraft,
        local: &TimeAxis,
        from_s: f64,
        span: f64,
    ) -> Result<Vec<Vec<Window>>> {
        let search = &self.config.search;
        let mut all = Vec::with_capacity(sc.relays.len());
        for relay in &sc.relays {
            let peer = &self.spacecraft[self.index_of(&relay.peer)?];
            let los = crate::environment::LineOfSight::new(relay.grazing_altitude_km, relay.max_range_km)?;
            let windows = pair_link_windows(&sc.satellite, &peer.satellite, local, span, &los, search)?
                .into_iter()
                .map(|(a, b)| Interval {
                    start_s: from_s + a,
                    end_s: from_s + b,
                    what: InView,
                })
                .collect();
            all.push(windows);
        }
        Ok(all)
    }

    /// The block's plans with the scheduled starts that fall in it, edges indexed.
    pub(super) fn with_schedule(
        &self,
        block: u64,
        mut plans: Vec<Plan>,
    ) -> Result<(Vec<Plan>, Vec<crate::sim::transfer::Progress>)> {
        let (from_s, to_s) = block_span(block);
        for &(t, sc, activity) in &self.schedule {
            if t >= from_s - 1e-9 && t <= to_s {
                plans[sc].scheduled.push(Mark {
                    at_s: t,
                    what: activity,
                });
            }
        }
        let progress = self.plan_transfers(block, &mut plans)?;
        let paseos = self.config.paseos_compatible;
        (plans.par_iter_mut().zip(&self.hooks)).for_each(|(plan, hooks)| {
            let peer_edges = hooks.has_constraints();
            if paseos {
                // Steps are not split at eclipse edges in PASEOS mode.
                let light = std::mem::take(&mut plan.light);
                plan.index_edges(peer_edges);
                plan.light = light;
            } else {
                plan.index_edges(peer_edges);
            }
        });
        Ok((plans, progress))
    }
}
