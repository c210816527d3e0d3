//! Inter-satellite links: which pairs of spacecraft are watched, their
//! line-of-sight windows over a planning block (the search `link_windows`
//! uses, so edges agree with it), and the `link_started` / `link_ended`
//! events the run loop logs from them.
//!
//! A pair is watched when either spacecraft has a radio marked
//! `inter_satellite`: the line between them must clear the Earth and
//! [`LINK_GRAZING_ALTITUDE_KM`] of atmosphere, within the shorter of the two
//! radios' `max_range_km`. Link edges are logged by the run loop from the
//! plan (as unserved passes are); they are breakpoints only of spacecraft
//! whose constraints may read the peers in view (see `Plan::index_edges`),
//! so marking a radio changes no other spacecraft's integration.

use std::collections::HashMap;

use rayon::prelude::*;

use super::Simulation;
use crate::access::link::{all_windows, PairSearch, ScreenGrid};
use crate::environment::LineOfSight;
use crate::error::Result;
use crate::satellite::Satellite;
use crate::sim::events::{Event, EventKind};
use crate::sim::plan::{Interval, PeerEdge, Plan};
use crate::spacecraft::Spacecraft;
use crate::time::TimeAxis;

/// Lowest altitude an inter-satellite line of sight may pass at, km (the
/// default of `LineOfSight` and of `oe.link_windows`).
pub const LINK_GRAZING_ALTITUDE_KM: f64 = 80.0;

/// A telemetry column of one inter-satellite link end: for each telemetry row
/// (a spacecraft at an instant), whether it sees `peer`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkColumn {
    /// Index of the peer spacecraft.
    pub peer: usize,
    /// Per telemetry row: the row's spacecraft sees `peer` (false when the
    /// two form no link the engine follows).
    pub in_view: Vec<bool>,
}

/// Two spacecraft whose line of sight the engine follows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkPair {
    /// The lower index.
    pub(crate) a: usize,
    /// The higher index.
    pub(crate) b: usize,
    /// When they see each other.
    pub(crate) line_of_sight: LineOfSight,
}

/// The longest range an end's inter-satellite radio closes at, km (∞ without
/// a limit or without such a radio).
fn range_limit_km(sc: &Spacecraft) -> f64 {
    sc.inter_satellite_radio()
        .and_then(|(_, radio)| radio.max_range_km)
        .unwrap_or(f64::INFINITY)
}

/// The pairs of `spacecraft` the engine follows, in (a, b) order (only the
/// pairs with a terminal are looked at: a fleet without one costs nothing).
pub(crate) fn link_pairs(spacecraft: &[Spacecraft]) -> Result<Vec<LinkPair>> {
    let terminals: Vec<usize> = (0..spacecraft.len())
        .filter(|&k| spacecraft[k].inter_satellite_radio().is_some())
        .collect();
    let mut pairs = Vec::new();
    for a in 0..spacecraft.len() {
        let has_terminal = terminals.binary_search(&a).is_ok();
        let partners: Vec<usize> = if has_terminal {
            (a + 1..spacecraft.len()).collect()
        } else {
            terminals.iter().copied().filter(|&b| b > a).collect()
        };
        for b in partners {
            let range_km = range_limit_km(&spacecraft[a]).min(range_limit_km(&spacecraft[b]));
            let line_of_sight =
                LineOfSight::new(LINK_GRAZING_ALTITUDE_KM, range_km.is_finite().then_some(range_km))?;
            pairs.push(LinkPair { a, b, line_of_sight });
        }
    }
    Ok(pairs)
}

/// Per (spacecraft, peer): the [start, end) line-of-sight intervals the event
/// log's `link_started` / `link_ended` record, s (∞: still open).
fn logged_links(events: &[Event], index: &HashMap<&str, usize>) -> HashMap<(usize, usize), Vec<(f64, f64)>> {
    let mut open: HashMap<(usize, usize), f64> = HashMap::new();
    let mut intervals: HashMap<(usize, usize), Vec<(f64, f64)>> = HashMap::new();
    for e in events {
        let (peer, started) = match &e.kind {
            EventKind::LinkStarted { peer } => (peer, true),
            EventKind::LinkEnded { peer } => (peer, false),
            _ => continue,
        };
        let Some(&peer) = index.get(peer.as_str()) else {
            continue;
        };
        let key = (e.spacecraft_index, peer);
        if started {
            open.insert(key, e.elapsed_s);
        } else if let Some(start) = open.remove(&key) {
            intervals.entry(key).or_default().push((start, e.elapsed_s));
        }
    }
    for (key, start) in open {
        intervals.entry(key).or_default().push((start, f64::INFINITY));
    }
    intervals
}

impl Simulation {
    /// A telemetry column per configured link end: for every spacecraft that
    /// is the peer of some followed pair, which rows see it. Read from the
    /// event log (the windows the `peers_in_view` count and the hooks use),
    /// so the columns cost the run nothing and hold for any cut.
    pub fn link_columns(&self) -> Result<Vec<LinkColumn>> {
        let pairs = link_pairs(&self.spacecraft)?;
        let mut peers: Vec<usize> = pairs.iter().flat_map(|p| [p.a, p.b]).collect();
        peers.sort_unstable();
        peers.dedup();
        let index: HashMap<&str, usize> = (self.spacecraft.iter().enumerate())
            .map(|(k, sc)| (sc.name.as_str(), k))
            .collect();
        let intervals = logged_links(&self.events, &index);
        let telemetry = &self.telemetry;
        // Rows of each spacecraft, in time order.
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); self.spacecraft.len()];
        for (k, &sc) in telemetry.spacecraft_index.iter().enumerate() {
            rows[sc as usize].push(k);
        }
        let mut columns: Vec<LinkColumn> = (peers.iter())
            .map(|&peer| LinkColumn {
                peer,
                in_view: vec![false; telemetry.len()],
            })
            .collect();
        for ((sc, peer), spans) in &intervals {
            let Ok(column) = peers.binary_search(peer) else {
                continue;
            };
            let mine = &rows[*sc];
            for &(start, end) in spans {
                let first = mine.partition_point(|&k| telemetry.elapsed_s[k] < start);
                for &k in mine[first..]
                    .iter()
                    .take_while(|&&k| telemetry.elapsed_s[k] < end)
                {
                    columns[column].in_view[k] = true;
                }
            }
        }
        Ok(columns)
    }

    /// Per spacecraft: the windows in which each peer is in view over the
    /// block starting at `from_s`, `span` long (`local` is its time axis),
    /// sorted by start. Searched in parallel over pairs, merged in pair order
    /// (thread-count independent).
    pub(super) fn peer_windows(
        &self,
        local: &TimeAxis,
        from_s: f64,
        span: f64,
    ) -> Result<Vec<Vec<Interval<usize>>>> {
        let search = &self.config.search;
        let pairs = link_pairs(&self.spacecraft)?;
        if pairs.is_empty() {
            return Ok(vec![Vec::new(); self.spacecraft.len()]);
        }
        // Every spacecraft is on the screening grid (propagated once per point).
        let satellites: Vec<&Satellite> = self.spacecraft.iter().map(|sc| &sc.satellite).collect();
        let grid = ScreenGrid::new(&satellites, local, (0.0, span))?;
        let searches: Vec<PairSearch> = (pairs.iter())
            .map(|pair| PairSearch {
                grid: &grid,
                a: pair.a,
                b: pair.b,
                line_of_sight: &pair.line_of_sight,
            })
            .collect();
        let found = all_windows(&searches, search)?;
        let mut peers = vec![Vec::new(); self.spacecraft.len()];
        for (pair, windows) in pairs.iter().zip(found) {
            for (start, end) in windows {
                let seen = |what| Interval {
                    start_s: from_s + start,
                    end_s: from_s + end,
                    what,
                };
                peers[pair.a].push(seen(pair.b));
                peers[pair.b].push(seen(pair.a));
            }
        }
        (peers.par_iter_mut()).for_each(|list| {
            list.sort_by(|x, y| x.start_s.total_cmp(&y.start_s).then(x.what.cmp(&y.what)));
        });
        Ok(peers)
    }
}

/// One spacecraft's `link_started` / `link_ended` for the window edges of
/// its `plan` in (from_s, to_s] of the block starting at `block_from_s`
/// (each edge is logged on both ends: the peer's plan has it too). A window
/// that starts at the block's start goes on from the previous block (logged
/// there), except at the simulation's start; one that goes past the block's
/// end ends in a later block. `names` are the spacecraft's, by index.
pub(super) fn link_events(
    plan: &Plan,
    names: &[String],
    block_from_s: f64,
    (from_s, to_s): (f64, f64),
) -> Vec<(f64, EventKind)> {
    let edges: &[PeerEdge] = plan.peer_edges_in(from_s, to_s);
    let mut events = Vec::with_capacity(edges.len());
    for edge in edges {
        let peer = names[edge.peer].clone();
        let kind = if edge.starts {
            // A window open at the block's start was logged in the block before.
            if edge.at_s <= block_from_s && edge.at_s != 0.0 {
                continue;
            }
            EventKind::LinkStarted { peer }
        } else if edge.at_s > from_s {
            EventKind::LinkEnded { peer }
        } else {
            continue;
        };
        events.push((edge.at_s, kind));
    }
    events
}
