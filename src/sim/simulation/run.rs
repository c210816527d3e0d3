//! The run loop: planning blocks → sync points → every spacecraft advanced in
//! parallel between two sync points → events merged in (time, spacecraft) order.
//!
//! A run may end anywhere. Sync points (the sync grid and block ends) are
//! fixed to the simulation start, so they are the same however a run is cut;
//! the run's end, when it is not one of them, is a *cut*: the spacecraft states
//! show that instant but decide nothing there (see `state::Resume`) and relays
//! start transfers only at sync points. Results therefore do not depend on how a run
//! is cut into calls, nor on a checkpoint in between. Telemetry instants that
//! are not sync points are cuts too, sampled: the telemetry interval is an
//! output setting and never changes the events or the states.

use std::sync::Arc;

use hifitime::Epoch;
use rayon::prelude::*;

use super::links::link_events;
use super::planning::{block_of, block_span};
use super::{Simulation, Stepping};
use crate::environment::sun::SunTable;
use crate::error::{ensure_positive, Error, Result};
use crate::sim::events::{Event, EventKind};
use crate::sim::plan::Plan;
use crate::sim::state::{Context, Light, Log, SpacecraftState, Span};
use crate::sim::step::Inputs;
use crate::sim::telemetry::Sample;
use crate::time::{seconds_between, TimeAxis};

/// Chunks of sync intervals between progress reports.
const PROGRESS_CHUNKS: usize = 100;

/// Where one step of the loop ends.
#[derive(Debug, Clone, Copy)]
struct Sync {
    /// Where the step ends, s.
    at_s: f64,
    /// The sync point at or after `at_s` (equal unless the run ends at a cut).
    bound_s: f64,
    /// A telemetry instant.
    sample: bool,
}

impl Sync {
    fn natural(&self) -> bool {
        self.at_s == self.bound_s
    }
}

impl Simulation {
    /// As [`Simulation::run`], calling `progress(fraction done)` between chunks;
    /// when it returns false the run stops there, with a consistent state.
    /// Returns whether the run reached `until`.
    pub fn run_with_progress(
        &mut self,
        until: Epoch,
        stepping: Stepping,
        progress: &mut dyn FnMut(f64) -> bool,
    ) -> Result<bool> {
        self.run_to_s(seconds_between(self.start, until), stepping, progress)
    }

    /// [`Simulation::run_with_progress`] to `to_s` seconds since the start,
    /// exactly (an `Epoch` holds nanoseconds: an instant the engine found,
    /// such as an event's, may lie between two).
    pub(crate) fn run_to_s(
        &mut self,
        to_s: f64,
        stepping: Stepping,
        progress: &mut dyn FnMut(f64) -> bool,
    ) -> Result<bool> {
        if to_s.is_nan() || to_s <= self.elapsed_s {
            return Err(Error::InvalidInterval {
                start: self.now(),
                end: self.start + hifitime::Duration::from_seconds(to_s),
            });
        }
        if let Stepping::Fixed { step_s } = stepping {
            ensure_positive("step_s", step_s)?;
        }
        self.check_run_to(to_s, stepping)?;
        let from_s = self.elapsed_s;
        if from_s == 0.0 && self.telemetry.is_empty() {
            self.initial_samples(stepping)?;
        }
        let syncs = self.sync_points(from_s, to_s);
        // Relays may start a transfer at every sync point: visit each.
        let chunk = if self.has_relays() {
            1
        } else {
            syncs.len().div_ceil(PROGRESS_CHUNKS).max(1)
        };
        let mut next = 0;
        let mut block = block_of(from_s);
        while next < syncs.len() {
            block = block_of(self.elapsed_s);
            let block_end = block_span(block).1;
            let count = syncs[next..]
                .iter()
                .take(chunk)
                .take_while(|s| s.at_s <= block_end)
                .count()
                .max(1);
            let group = &syncs[next..next + count];
            self.advance_group(block, group, stepping)?;
            next += count;
            if self.elapsed_s == block_end {
                if self.has_relays() {
                    self.carry_relay_windows(block)?;
                }
                self.update_holders(block)?;
                let progress = self.transfer_progress(block)?;
                self.roll_transfers(&progress, block_end);
            }
            self.flush_stream()?;
            let done = (self.elapsed_s - from_s) / (to_s - from_s);
            if !progress(done) && next < syncs.len() {
                return Ok(false);
            }
        }
        self.latest = self.samples_at(block, stepping, to_s)?;
        Ok(true)
    }

    /// Where the steps of a run over (from_s, to_s] end: the sync points (the
    /// sync grid and block ends), the telemetry instants (sampled; a cut when
    /// not also a sync point, so telemetry never changes the run), and `to_s`.
    fn sync_points(&self, from_s: f64, to_s: f64) -> Vec<Sync> {
        let sync = self.config.sync_interval_s;
        let telemetry = self.config.telemetry_interval_s;
        let mut points: Vec<f64> = grid(sync, from_s, to_s);
        let mut block = block_of(from_s);
        while block_span(block).1 < to_s - 1e-9 {
            points.push(block_span(block).1);
            block += 1;
        }
        let samples = grid(telemetry, from_s, to_s);
        points.extend(&samples);
        points.sort_by(f64::total_cmp);
        points.dedup();
        let mut syncs: Vec<Sync> = points
            .into_iter()
            .filter(|t| *t > from_s)
            .map(|at_s| Sync {
                at_s,
                bound_s: self.next_sync_point(at_s),
                sample: samples.binary_search_by(|x| x.total_cmp(&at_s)).is_ok(),
            })
            .collect();
        syncs.push(Sync {
            at_s: to_s,
            bound_s: self.next_sync_point(to_s),
            sample: is_sample_time(to_s, telemetry),
        });
        syncs
    }

    /// The first sync point at or after `t`: a multiple of the sync interval
    /// or a block end, whichever comes first.
    fn next_sync_point(&self, t: f64) -> f64 {
        let sync = self.config.sync_interval_s;
        let block_end = block_span(block_of(t)).1;
        let on_block_end = (t - (t / super::PLAN_BLOCK_S).round() * super::PLAN_BLOCK_S).abs() < 1e-9;
        if is_sample_time(t, sync) || on_block_end {
            t
        } else {
            (((t / sync).floor() + 1.0) * sync).min(block_end)
        }
    }

    /// The plans of `block` with the current schedule (searched once per block).
    pub(super) fn plans(&mut self, block: u64) -> Result<Arc<Vec<Plan>>> {
        if self.plan_cache.block != Some(block) {
            let geometry = self.plan_block(block)?;
            self.plan_cache = super::PlanCache {
                block: Some(block),
                geometry: Arc::new(geometry),
                with_schedule: None,
                progress: None,
            };
        }
        if let Some(plans) = &self.plan_cache.with_schedule {
            return Ok(Arc::clone(plans));
        }
        let (plans, progress) = self.with_schedule(block, (*self.plan_cache.geometry).clone())?;
        let plans = Arc::new(plans);
        self.plan_cache.with_schedule = Some(Arc::clone(&plans));
        self.plan_cache.progress = Some(Arc::new(progress));
        Ok(plans)
    }

    /// The light at the start and the first telemetry row.
    fn initial_samples(&mut self, stepping: Stepping) -> Result<()> {
        let plans = self.plans(0)?;
        for (state, plan) in self.states.iter_mut().zip(plans.iter()) {
            state.light = plan
                .light
                .iter()
                .find(|i| i.contains(0.0))
                .map_or(Light::Sunlit, |i| i.what);
        }
        for sample in self.samples_at(0, stepping, 0.0)? {
            self.telemetry.push(&sample);
        }
        Ok(())
    }

    /// A sample of every spacecraft at `t` (in `block`).
    pub(super) fn samples_at(&mut self, block: u64, stepping: Stepping, t: f64) -> Result<Vec<Sample>> {
        let plans = self.plans(block)?;
        let env = self.block_environment(block);
        let ctx = env.context(&self.config, stepping);
        self.states
            .iter()
            .enumerate()
            .map(|(i, state)| state.sample(&self.spacecraft[i], i, &plans[i], &ctx, t))
            .collect()
    }

    /// The Sun table, time axis and stations of a block, fixed by the block alone.
    fn block_environment(&self, block: u64) -> BlockEnvironment {
        let (from_s, to_s) = block_span(block);
        let start = TimeAxis::new(self.start, self.start);
        let axis = TimeAxis::new(self.start, start.epoch(to_s));
        BlockEnvironment {
            sun: SunTable::new(&axis, from_s, to_s, 3_600.0),
            axis,
            station_names: self.stations.iter().map(|s| s.name().to_string()).collect(),
            spacecraft_names: self.spacecraft.iter().map(|s| s.name.clone()).collect(),
            station_positions: self.stations.iter().map(|s| *s.position_ecef_km()).collect(),
        }
    }

    /// Advances every spacecraft through `group` (sync points of one block).
    fn advance_group(&mut self, block: u64, group: &[Sync], stepping: Stepping) -> Result<()> {
        let from = self.elapsed_s;
        if self.has_relays() && self.next_sync_point(from) == from {
            self.start_relays(block, from)?;
        }
        let plans = self.plans(block)?;
        for state in &mut self.states {
            state.cursors = Default::default(); // positions in another block's lists
        }
        let env = self.block_environment(block);
        let ctx = env.context(&self.config, stepping);
        let (spacecraft, hooks) = (&self.spacecraft, &self.hooks);
        let last = group[group.len() - 1];
        let link_span = (block_span(block).0, (from, last.at_s));
        // Link edges are read from each plan alongside the advance (thousands
        // per block in a constellation), logged after the unserved passes.
        let results: Vec<Result<(Log, Vec<Sample>, Log)>> = self
            .states
            .par_iter_mut()
            .enumerate()
            .map(|(i, state)| {
                let inputs = Inputs {
                    sc: &spacecraft[i],
                    hooks: &hooks[i],
                    plan: &plans[i],
                    ctx: &ctx,
                };
                let (log, rows) = advance_one(state, i, inputs, from, group)?;
                let links = link_events(&plans[i], &env.spacecraft_names, link_span.0, link_span.1);
                Ok((log, rows, links))
            })
            .collect();
        let mut events = Vec::new();
        let mut samples = Vec::with_capacity(results.len());
        let mut links = Vec::with_capacity(results.len());
        for (i, result) in results.into_iter().enumerate() {
            let (log, rows, link_log) = result?;
            events.extend(log.into_iter().map(|(t, kind)| (t, i, kind)));
            samples.push(rows);
            links.push(link_log);
        }
        events.extend(self.unserved_events(&plans, from, last.at_s));
        for (i, link_log) in links.into_iter().enumerate() {
            events.extend(link_log.into_iter().map(|(t, kind)| (t, i, kind)));
        }
        let progress = self.transfer_progress(block)?;
        events.extend(self.transfer_events(&progress, (from, last.at_s)));
        events.extend(self.relay_events(&plans, &progress, block, (from, last.at_s)));
        if last.natural() && !self.transfers.is_empty() {
            events.extend(self.settle_transfers(&progress, last.at_s));
            self.count_relayed(&progress, last.at_s);
        }
        self.push_events(events, &env.axis);
        // Every spacecraft sampled the same instants: interleave in (time, spacecraft) order.
        let rows = samples.first().map_or(0, Vec::len);
        for j in 0..rows {
            for per_spacecraft in &samples {
                self.telemetry.push(&per_spacecraft[j]);
            }
        }
        self.elapsed_s = last.at_s;
        let before = self.schedule.len();
        self.schedule.retain(|(at, _, _)| *at > last.at_s + 1e-9);
        if self.schedule.len() != before {
            self.plan_cache.with_schedule = None;
        }
        Ok(())
    }

    /// Logs a group's events in (time, rank, spacecraft) order, ties in the
    /// order they came. Small keys are sorted, not the events (an
    /// `EventKind` is large, and a merge sort moves every element per pass:
    /// that was most of the cost with thousands of link edges per block);
    /// each distinct instant is converted to an epoch once (the two ends of
    /// a link edge share one).
    fn push_events(&mut self, events: Vec<(f64, usize, EventKind)>, axis: &TimeAxis) {
        let mut order: Vec<(f64, u8, usize, usize)> = (events.iter().enumerate())
            .map(|(k, (t, i, kind))| (*t, kind.rank(), *i, k))
            .collect();
        sort_event_keys(&mut order);
        let mut kinds: Vec<Option<EventKind>> = events.into_iter().map(|(_, _, kind)| Some(kind)).collect();
        self.events.reserve(order.len());
        let mut instant: Option<(f64, Epoch)> = None;
        for (t, _, i, k) in order {
            let time = match instant {
                Some((at, epoch)) if at.to_bits() == t.to_bits() => epoch,
                _ => axis.epoch(t),
            };
            instant = Some((t, time));
            let Some(kind) = kinds[k].take() else {
                continue; // each index is in `order` once
            };
            self.events.push(Event {
                time,
                elapsed_s: t,
                spacecraft: self.spacecraft[i].name.clone(),
                spacecraft_index: i,
                kind,
            });
        }
    }
}

/// Sorts (time, rank, spacecraft, index) keys — unique by index — in that
/// order: packed into one `u128` each (the time's bits in `f64::total_cmp`
/// order above, 8 bits of rank, 28 of spacecraft and of index), which sorts
/// several times faster than comparing the four fields; the same order
/// either way.
fn sort_event_keys(order: &mut [(f64, u8, usize, usize)]) {
    const FIELD: usize = 1 << 28;
    if order.len() >= FIELD || order.iter().any(|o| o.2 >= FIELD) {
        order.sort_unstable_by(|a, b| {
            (a.0.total_cmp(&b.0))
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        return;
    }
    let ordered_bits = |t: f64| {
        let bits = t.to_bits() as i64;
        ((bits ^ ((((bits >> 63) as u64) >> 1) as i64)) as u64) ^ (1 << 63)
    };
    let mut packed: Vec<u128> = (order.iter())
        .map(|&(t, rank, i, k)| {
            (u128::from(ordered_bits(t)) << 64) | (u128::from(rank) << 56) | ((i as u128) << 28) | k as u128
        })
        .collect();
    packed.sort_unstable();
    let unsorted = order.to_vec();
    for (slot, key) in order.iter_mut().zip(packed) {
        *slot = unsorted[(key as usize) & (FIELD - 1)];
    }
}

/// What a block's spacecraft share: the Sun, the time axis, the stations.
struct BlockEnvironment {
    sun: SunTable,
    axis: TimeAxis,
    station_names: Vec<String>,
    spacecraft_names: Vec<String>,
    station_positions: Vec<nalgebra::Vector3<f64>>,
}

impl BlockEnvironment {
    fn context<'a>(&'a self, config: &'a super::SimulationConfig, stepping: Stepping) -> Context<'a> {
        let step_s = match stepping {
            Stepping::Fixed { step_s } => Some(step_s),
            Stepping::EventDriven => None,
        };
        Context {
            sun: &self.sun,
            paseos: config.paseos_compatible && step_s.is_some(),
            irradiance: config.irradiance(),
            axis: &self.axis,
            shadow: &config.shadow,
            station_names: &self.station_names,
            spacecraft_names: &self.spacecraft_names,
            step_s,
            max_substep_s: config.max_substep_s,
            station_positions: &self.station_positions,
        }
    }
}

/// One spacecraft (`index`) through the sync points of a group from `from_s`;
/// its events and samples.
fn advance_one(
    state: &mut SpacecraftState,
    index: usize,
    inputs: Inputs<'_>,
    from_s: f64,
    group: &[Sync],
) -> Result<(Log, Vec<Sample>)> {
    let Inputs { sc, hooks, plan, ctx } = inputs;
    let mut log = Log::new();
    let mut samples = Vec::new();
    let mut t = from_s;
    for sync in group {
        let span = Span {
            from_s: t,
            to_s: sync.at_s,
            sync_s: sync.bound_s,
        };
        state.advance(sc, hooks, plan, ctx, span, &mut log)?;
        if sync.sample {
            samples.push(state.sample(sc, index, plan, ctx, sync.at_s)?);
        }
        t = sync.at_s;
    }
    Ok((log, samples))
}

/// Multiples of `interval` in (from_s, to_s), 1 ns short of `to_s`.
fn grid(interval: f64, from_s: f64, to_s: f64) -> Vec<f64> {
    let mut points = Vec::new();
    let mut k = (from_s / interval).floor() + 1.0;
    while k * interval < to_s - 1e-9 {
        points.push(k * interval);
        k += 1.0;
    }
    points
}

pub(super) fn is_sample_time(t: f64, interval: f64) -> bool {
    let k = (t / interval).round();
    (t - k * interval).abs() < 1e-6
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The packed sort gives the order of the four-field comparison, on
    /// keys with equal times, ranks and spacecraft, negative and zero times.
    #[test]
    fn packed_event_keys_sort_as_the_fields_do() {
        let mut random = crate::testing::Xorshift::new(0x1234_5678_9abc_def1u64);
        let mut next = || random.next_u64();
        let times = [-1.5, -0.0, 0.0, 1e-9, 60.0, 60.000_000_1, 3_600.0, 1e9];
        let keys: Vec<(f64, u8, usize, usize)> = (0..5_000)
            .map(|k| {
                (
                    times[(next() % 8) as usize],
                    (next() % 2) as u8,
                    (next() % 7) as usize,
                    k,
                )
            })
            .collect();
        let mut packed = keys.clone();
        sort_event_keys(&mut packed);
        let mut fields = keys;
        fields.sort_by(|a, b| {
            (a.0.total_cmp(&b.0))
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        assert!(packed
            .iter()
            .zip(&fields)
            .all(|(a, b)| a.0.to_bits() == b.0.to_bits() && a.1 == b.1 && a.2 == b.2 && a.3 == b.3));
    }
}
