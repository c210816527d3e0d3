//! Relays as standing orders served by transfers
//! ([`crate::sim::transfer`]): the engine starts a relay's transfers, logs
//! `data_relayed` at the end of each of its windows and keeps its
//! `relayed_bytes`.
//!
//! **When a relay's transfer starts.** At a *natural* sync point only (a
//! multiple of the sync interval or a block end: fixed to the simulation
//! start, never a cut), as the step that leaves it begins: a relay with no
//! transfer in flight, whose partitions hold at least [`MIN_RELAY_BYTES`],
//! whose two ends work (alive, not browned out) and whose line of sight is
//! open then or opens before the next sync point, starts a transfer of
//! everything those partitions hold. Its legs begin when the line of sight
//! opens, so a window's first byte goes exactly at its start; after a
//! transfer completes, what was written meanwhile waits for the next sync
//! point. Every cut and checkpoint sees the same natural sync points, states
//! and plans there, so the relays start the same way whatever the cuts.
//!
//! **What the state holds.** The engine changes a spacecraft's state from
//! outside its own advance only at natural sync points (a cut's resume point
//! would otherwise carry different values): `relayed_bytes` is counted from
//! the transfers there, and `relay_window_bytes` carries, at each block end,
//! what went in the window still open into the next block, for its
//! `data_relayed` event.

use super::planning::block_span;
use super::transfers::sent_bytes;
use super::Simulation;
use crate::error::Result;
use crate::sim::events::EventKind;
use crate::sim::plan::{Plan, Window};
use crate::sim::transfer::{Endpoint, Progress, Transfer};

/// Less than this in a relay's partitions waits for more (no transfers of
/// rounding crumbs), bytes.
const MIN_RELAY_BYTES: f64 = 1.0;

impl Simulation {
    /// Whether any spacecraft has a relay.
    pub(super) fn has_relays(&self) -> bool {
        self.spacecraft.iter().any(|sc| !sc.relays.is_empty())
    }

    /// At the natural sync point `at_s` of `block`: starts the transfer of
    /// every relay that is due one (see the module documentation), in
    /// spacecraft then relay order.
    pub(super) fn start_relays(&mut self, block: u64, at_s: f64) -> Result<()> {
        let plans = self.plans(block)?;
        let next_s = self.next_natural_sync_after(at_s);
        for i in 0..self.spacecraft.len() {
            for r in 0..self.spacecraft[i].relays.len() {
                let open = |w: &Window| w.end_s > at_s && w.start_s < next_s;
                if self.relay_in_flight(i, r) || !plans[i].relay_windows[r].iter().any(open) {
                    continue;
                }
                let peer = self.index_of(&self.spacecraft[i].relays[r].peer)?;
                let works = |k: usize| self.states[k].radiation.alive && !self.states[k].power.browned_out;
                if !works(i) || !works(peer) {
                    continue;
                }
                let sources = self.relay_sources(i, r)?;
                let storage = &self.states[i].data.storage;
                let held: f64 = sources.iter().map(|&p| storage.used_bytes[p]).sum();
                if held >= MIN_RELAY_BYTES {
                    self.start_relay_transfer((i, r), peer, &sources, at_s)?;
                }
            }
        }
        Ok(())
    }

    /// The first natural sync point after the natural sync point `at_s`.
    fn next_natural_sync_after(&self, at_s: f64) -> f64 {
        let sync = self.config.sync_interval_s;
        let mut next = ((at_s / sync).floor() + 1.0) * sync;
        if next <= at_s + 1e-9 {
            next += sync;
        }
        next.min(block_span(super::planning::block_of(at_s)).1)
    }

    /// Whether relay `r` of spacecraft `i` has a transfer that has not ended
    /// (only its latest can be: it starts one only when idle).
    fn relay_in_flight(&self, i: usize, r: usize) -> bool {
        (self.transfers.iter().rev())
            .find(|t| t.from == i && t.relay == Some(r))
            .is_some_and(|t| t.outcome.is_none())
    }

    /// The partitions relay `r` of spacecraft `i` sends, in order (its list,
    /// or every partition in storage order).
    fn relay_sources(&self, i: usize, r: usize) -> Result<Vec<usize>> {
        let sc = &self.spacecraft[i];
        let relay = &sc.relays[r];
        if relay.partitions.is_empty() {
            return Ok((0..sc.storage.partitions.len()).collect());
        }
        (relay.partitions.iter()).map(|p| sc.storage.index(p)).collect()
    }

    /// Starts relay `r` of spacecraft `i`'s transfer of everything in
    /// `sources` to `peer` at `at_s` (the bytes are reserved now, as by `send`).
    fn start_relay_transfer(
        &mut self,
        (i, r): (usize, usize),
        peer: usize,
        sources: &[usize],
        at_s: f64,
    ) -> Result<()> {
        let to_partition =
            (self.spacecraft[peer].storage).index(&self.spacecraft[i].relays[r].peer_partition)?;
        self.states[i].commit();
        self.states[peer].commit();
        let storage = &mut self.states[i].data.storage;
        let taken: Vec<(usize, f64)> = (sources.iter())
            .map(|&p| (p, storage.take(p, storage.used_bytes[p])))
            .filter(|&(_, bytes)| bytes > 0.0)
            .collect();
        let Some(&(first, _)) = taken.first() else {
            return Ok(()); // nothing held after all
        };
        let started = self.transfers.iter().filter(|t| t.relay.is_some()).count();
        self.transfers.push(Transfer {
            id: format!("R{}", started + 1),
            from: i,
            to: Endpoint::Spacecraft(peer),
            partition: first,
            bytes: taken.iter().map(|&(_, bytes)| bytes).sum(),
            taken,
            to_partition: Some(to_partition),
            radio: None,
            to_radio: None,
            relay: Some(r),
            sent_at_s: at_s,
            deadline_s: f64::INFINITY,
            done_bytes: 0.0,
            as_of_s: at_s,
            outcome: None,
        });
        self.plan_cache.with_schedule = None;
        Ok(())
    }

    /// The bytes relay `r` of spacecraft `i`'s transfers move inside
    /// `window` over this block (`progress`, aligned with the transfers).
    fn relay_bytes_in(&self, (i, r): (usize, usize), progress: &[Progress], window: (f64, f64)) -> f64 {
        (self.transfers.iter().zip(progress))
            .filter(|(t, _)| t.from == i && t.relay == Some(r))
            .map(|(_, p)| p.bytes_between(window.0, window.1))
            .sum()
    }

    /// `data_relayed` for every relay window of `block` that ends in
    /// (from_s, to_s]: what the relay's transfers moved inside it (with what
    /// went before the block, for a window that was open at its start).
    pub(super) fn relay_events(
        &self,
        plans: &[Plan],
        progress: &[Progress],
        block: u64,
        (from_s, to_s): (f64, f64),
    ) -> Vec<(f64, usize, EventKind)> {
        let block_start_s = block_span(block).0;
        let mut events = Vec::new();
        for (i, plan) in plans.iter().enumerate() {
            for (r, relay) in self.spacecraft[i].relays.iter().enumerate() {
                let ending = plan.relay_windows[r]
                    .iter()
                    .filter(|w| w.end_s > from_s && w.end_s <= to_s);
                for w in ending {
                    let before = if w.start_s <= block_start_s {
                        self.states[i].data.relay_window_bytes[r]
                    } else {
                        0.0
                    };
                    let bytes = before + self.relay_bytes_in((i, r), progress, (w.start_s, w.end_s));
                    let (relay, peer) = (relay.name.clone(), relay.peer.clone());
                    events.push((w.end_s, i, EventKind::DataRelayed { relay, peer, bytes }));
                }
            }
        }
        events
    }

    /// At the end of `block`: per relay, what went in the window still open
    /// into the next block (its `data_relayed` event comes there), else 0.
    pub(super) fn carry_relay_windows(&mut self, block: u64) -> Result<()> {
        let (plans, progress) = (self.plans(block)?, self.transfer_progress(block)?);
        let (block_start_s, block_end_s) = block_span(block);
        for (i, plan) in plans.iter().enumerate() {
            for r in 0..self.spacecraft[i].relays.len() {
                let open = plan.relay_windows[r].iter().find(|w| w.end_s > block_end_s);
                let carry = open.map_or(0.0, |w| {
                    let before = if w.start_s <= block_start_s {
                        self.states[i].data.relay_window_bytes[r]
                    } else {
                        0.0
                    };
                    before + self.relay_bytes_in((i, r), &progress, (w.start_s, block_end_s))
                });
                self.states[i].data.relay_window_bytes[r] = carry;
            }
        }
        Ok(())
    }

    /// At the natural sync point `at_s` (after the transfers were settled):
    /// every relay's `relayed_bytes`, counted from its transfers.
    pub(super) fn count_relayed(&mut self, progress: &[Progress], at_s: f64) {
        for state in &mut self.states {
            state.data.relayed_bytes.iter_mut().for_each(|b| *b = 0.0);
        }
        for (t, p) in self.transfers.iter().zip(progress) {
            if let Some(r) = t.relay {
                self.states[t.from].data.relayed_bytes[r] += sent_bytes(t, p, t.outcome.as_ref(), at_s);
            }
        }
    }
}
