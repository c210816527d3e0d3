//! What the engine knows in advance about one spacecraft over one planning
//! block — light, contacts, relay windows, imaging intervals, scheduled starts
//! and capture instants — and the pure rules that build it from the searched
//! geometry: station assignment, intervals continued past the block end, and
//! imaging in sunlight by priority.
//!
//! Planning happens in *blocks* of [`PLAN_BLOCK_S`] on a grid fixed to the
//! simulation start: a block's plan depends only on the block and on which
//! station each spacecraft holds at its start, so a run cut anywhere (or a
//! checkpoint restored anywhere) sees the same plan as one uninterrupted run.
//! The searches themselves need the simulation's spacecraft, stations and
//! settings and stay in `simulation/planning.rs`, which explains the blocks
//! at length.
//!
//! [`PLAN_BLOCK_S`]: crate::sim::PLAN_BLOCK_S

use crate::access::ground::pair_windows;
use crate::access::SearchConfig;
use crate::compute::ImagerConfig;
use crate::environment::eclipse::Light;
use crate::error::Result;
use crate::orbit::Propagator;
use crate::spacecraft::Spacecraft;
use crate::time::TimeAxis;

/// Something that holds over [start_s, end_s), in seconds since the
/// simulation start. Named fields instead of a `(f64, f64, T)` tuple, so that
/// reading a plan never depends on remembering which element is which.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Interval<T> {
    /// Start, s (inside the interval).
    pub(crate) start_s: f64,
    /// End, s (outside the interval).
    pub(crate) end_s: f64,
    /// What holds in between.
    pub(crate) what: T,
}

impl<T> Interval<T> {
    /// Whether `t` is inside: at or after the start, before the end (the
    /// convention every lookup in a plan uses, so that touching intervals
    /// never both contain their common edge).
    pub(crate) fn contains(&self, t: f64) -> bool {
        self.start_s <= t && t < self.end_s
    }

    /// The two edges, start first (for edge lists).
    pub(crate) fn ends(&self) -> [f64; 2] {
        [self.start_s, self.end_s]
    }

    /// How long the interval overlaps [from_s, to_s], s (0 when it does not).
    pub(crate) fn overlap_s(&self, from_s: f64, to_s: f64) -> f64 {
        (self.end_s.min(to_s) - self.start_s.max(from_s)).max(0.0)
    }
}

/// Something that happens at one instant, in seconds since the simulation
/// start (a scheduled start, a capture): the instant counterpart of [`Interval`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Mark<T> {
    /// When, s.
    pub(crate) at_s: f64,
    /// What happens then.
    pub(crate) what: T,
}

/// What a window is when nothing varies inside it: the other end (a ground
/// station, a relay's peer) is in view. A named unit, so that a window reads as
/// one and not as an interval of nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct InView;

/// A pass over a station or a line-of-sight window to a peer.
pub(crate) type Window = Interval<InView>;

/// What the engine knows in advance about one spacecraft over a planning block.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    /// Shadow intervals (penumbra, umbra) of the block, sorted; sunlit elsewhere.
    pub(crate) light: Vec<Interval<Light>>,
    /// Assigned contacts, labelled with the station's index, sorted by start.
    pub(crate) contacts: Vec<Interval<usize>>,
    /// Passes left without an antenna for some or all of their length, marked
    /// at their end in the block, sorted (logged by the run loop; no breakpoints).
    pub(crate) unserved: Vec<Mark<Unserved>>,
    /// Scheduled starts, labelled with the activity's index, sorted.
    pub(crate) scheduled: Vec<Mark<usize>>,
    /// Seconds from the orbit's epoch to the simulation start.
    pub(crate) orbit_offset_s: f64,
    /// Every light, contact and imaging edge, scheduled start and capture
    /// instant, sorted: the breakpoints the plan sets (relay windows are not
    /// among them: a relay's transfer legs, in `legs`, are).
    pub(crate) edges: Vec<f64>,
    /// Partitions the radio empties, in order.
    pub(crate) downlink_partitions: Vec<usize>,
    /// Per relay: line-of-sight windows to its peer, sorted.
    pub(crate) relay_windows: Vec<Vec<Window>>,
    /// Imaging intervals (in view of a target and sunlit), labelled with the
    /// highest priority in view, sorted.
    pub(crate) imaging: Vec<Interval<u32>>,
    /// Capture instants, labelled with their priority, sorted.
    pub(crate) captures: Vec<Mark<u32>>,
    /// Peers in line of sight over an inter-satellite link, labelled with the
    /// peer's index, sorted by start; they may overlap (one per peer). Their
    /// edges are breakpoints only for a spacecraft with constraints, which
    /// may depend on them.
    pub(crate) peers: Vec<Interval<usize>>,
    /// The edges of `peers` in time order (`index_edges` builds it), so that
    /// the edges in a span are found by bisection, not by a scan of them all.
    pub(crate) peer_edges: Vec<PeerEdge>,
    /// How many peers are in view just after each of `peer_edges`.
    pub(crate) peers_open: Vec<u32>,
    /// The longest of `peers`, s (`index_edges` sets it; `None` before): a
    /// window in view at t starts no earlier than t minus this, so the
    /// windows in view are found by bisection, not by a scan from the
    /// block's start (a constraint reads them at every decision point).
    pub(crate) peers_longest_s: Option<f64>,
    /// The transfer legs this spacecraft takes part in, sending or
    /// receiving, sorted by start; they may overlap. Their edges are
    /// breakpoints: they change the load and the storage rates.
    pub(crate) legs: Vec<Interval<Leg>>,
}

/// One edge of a peer's line-of-sight window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PeerEdge {
    /// When, s.
    pub(crate) at_s: f64,
    /// The peer's index.
    pub(crate) peer: usize,
    /// A window starts here (else one ends).
    pub(crate) starts: bool,
}

/// A transfer's share of a window, as one of its two ends sees it: the
/// radio's power while it lasts and, at the receiving end, the bytes arriving.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Leg {
    /// The radio's draw on this end, W.
    pub(crate) power_w: f64,
    /// At the receiving end: (partition, bytes/s) arriving.
    pub(crate) arriving: Option<(usize, f64)>,
    /// This end sends to a ground station on its ground radio, which does
    /// not downlink anything else meanwhile.
    pub(crate) ground_radio_busy: bool,
}

impl Plan {
    /// Sorts the edge list once the intervals are known; `peer_edges`: the
    /// peers' windows are breakpoints too (for constraints that read them).
    pub(crate) fn index_edges(&mut self, peer_edges: bool) {
        let peers = self.peers.iter().filter(|_| peer_edges);
        self.edges = (self.light.iter().flat_map(Interval::ends))
            .chain(self.contacts.iter().flat_map(Interval::ends))
            .chain(self.scheduled.iter().map(|m| m.at_s))
            .chain(self.imaging.iter().flat_map(Interval::ends))
            .chain(self.captures.iter().map(|m| m.at_s))
            .chain(self.legs.iter().flat_map(Interval::ends))
            .chain(peers.flat_map(Interval::ends))
            .collect();
        self.edges.sort_by(f64::total_cmp);
        self.edges.dedup();
        self.peer_edges = (self.peers.iter())
            .flat_map(|w| {
                [(w.start_s, true), (w.end_s, false)].map(|(at_s, starts)| PeerEdge {
                    at_s,
                    peer: w.what,
                    starts,
                })
            })
            .collect();
        (self.peer_edges).sort_by(|x, y| x.at_s.total_cmp(&y.at_s).then(x.peer.cmp(&y.peer)));
        self.peers_longest_s = Some(self.peers.iter().map(|w| w.end_s - w.start_s).fold(0.0, f64::max));
        let mut open = 0u32;
        self.peers_open = (self.peer_edges.iter())
            .map(|e| {
                open = if e.starts {
                    open + 1
                } else {
                    open.saturating_sub(1)
                };
                open
            })
            .collect();
    }

    /// How many peers are in view at `t` (a peer's windows never overlap:
    /// the windows started by `t` less those ended by then).
    pub(crate) fn peers_in_view_at(&self, t: f64) -> usize {
        let passed = self.peer_edges.partition_point(|e| e.at_s <= t);
        passed.checked_sub(1).map_or(0, |k| self.peers_open[k] as usize)
    }

    /// The peer edges at times in (from_s, to_s] — and at 0 when `from_s` is 0.
    pub(crate) fn peer_edges_in(&self, from_s: f64, to_s: f64) -> &[PeerEdge] {
        let first = if from_s == 0.0 {
            self.peer_edges.partition_point(|e| e.at_s < 0.0)
        } else {
            self.peer_edges.partition_point(|e| e.at_s <= from_s)
        };
        let last = self.peer_edges.partition_point(|e| e.at_s <= to_s);
        &self.peer_edges[first..last.max(first)]
    }

    /// Indices of the peers in view at `t`, in spacecraft order.
    pub(crate) fn peers_at(&self, t: f64) -> Vec<usize> {
        // One second below the bound: the subtraction's rounding cannot
        // drop a window that starts right at it.
        let first = (self.peers_longest_s).map_or(0, |longest| {
            self.peers.partition_point(|w| w.start_s < t - longest - 1.0)
        });
        let mut peers: Vec<usize> = (self.peers[first..].iter())
            .take_while(|w| w.start_s <= t)
            .filter(|w| w.contains(t))
            .map(|w| w.what)
            .collect();
        peers.sort_unstable();
        peers.dedup();
        peers
    }

    /// Names of the peers in view at `t` (`names`: every spacecraft's).
    pub(crate) fn peer_names_at(&self, t: f64, names: &[String]) -> Vec<String> {
        self.peers_at(t).into_iter().map(|k| names[k].clone()).collect()
    }

    /// The legs under way at `t`.
    pub(crate) fn legs_at(&self, t: f64) -> impl Iterator<Item = &Leg> {
        (self.legs.iter())
            .take_while(move |l| l.start_s <= t)
            .filter(move |l| l.contains(t))
            .map(|l| &l.what)
    }

    /// The light at `t`: the shadow interval containing it, sunlit outside them.
    pub(crate) fn light_at(&self, t: f64) -> Light {
        find(&self.light, t).unwrap_or(Light::Sunlit)
    }
}

/// What the interval of a sorted, disjoint list containing `t` holds (a search).
pub(crate) fn find<T: Copy>(list: &[Interval<T>], t: f64) -> Option<T> {
    let k = list.partition_point(|i| i.start_s <= t);
    k.checked_sub(1)
        .map(|k| list[k])
        .filter(|i| t < i.end_s)
        .map(|i| i.what)
}

/// What the interval of a sorted, disjoint list containing `t` holds, walking
/// from `cursor`: time only moves forward within a run, so a lookup usually
/// steps past a few intervals instead of searching; asked about an earlier time
/// (a new run, a resumed sub-step) it falls back to a search.
pub(crate) fn find_from<T: Copy>(list: &[Interval<T>], t: f64, cursor: &mut usize) -> Option<T> {
    if *cursor > 0 && *cursor <= list.len() && t < list[*cursor - 1].end_s {
        *cursor = list.partition_point(|i| i.end_s <= t);
    }
    while *cursor < list.len() && list[*cursor].end_s <= t {
        *cursor += 1;
    }
    list.get(*cursor).filter(|i| i.start_s <= t).map(|i| i.what)
}

/// What a pass is labelled with for station assignment: its peak elevation
/// within the block (the culmination, or the highest point of the part of the
/// pass inside the block when the pass is cut by a block edge), degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Peak {
    /// Elevation, deg.
    pub(crate) elevation_deg: f64,
}

/// A spacecraft's pass over a station, as station assignment sees it.
pub(crate) type Pass = Interval<Peak>;

/// How competing passes rank for a station's antennas (the engine's
/// `StationAssignment` with names resolved to spacecraft indices). At every
/// instant a station's antennas serve the passes in view of the highest rank;
/// the ranks are fixed per pass, so who is served changes only at rises and
/// sets. In every rule a contact in progress at the block start (its
/// spacecraft was in contact when the previous block ended) ranks above every
/// pass it ties with on the rule's own key — for first come and highest
/// elevation, above every pass: a block edge is no event and hands over no
/// antenna.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Ranking {
    /// By rise, earlier first; then the lower spacecraft index. A later pass
    /// never preempts an earlier one: first come, first served.
    #[default]
    FirstCome,
    /// By peak elevation (see [`Peak`]), higher first; then by rise, then the
    /// lower index. A higher pass rising takes an antenna from the lowest pass
    /// holding one and gives it back when it sets.
    HighestElevation,
    /// By place in the priority list (per spacecraft: `Some(place)`, 0 first;
    /// `None` for an unlisted spacecraft, below every listed one); then by
    /// rise, then the lower index. A listed spacecraft preempts any spacecraft
    /// listed after it or unlisted; equals (the unlisted) are first come,
    /// first served among themselves.
    Priority(Vec<Option<usize>>),
}

/// What one block's station assignment starts from, besides the passes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stations<'a> {
    /// Per station: how many spacecraft it serves at once (at least 1).
    pub(crate) antennas: &'a [usize],
    /// Per station: the spacecraft in contact with it at the block start.
    pub(crate) holders: &'a [Vec<usize>],
    /// How competing passes rank.
    pub(crate) ranking: &'a Ranking,
    /// The block start, s.
    pub(crate) from_s: f64,
}

/// A pass (or, for a pass cut by a block edge, its part in the block) that
/// got no antenna for some or all of its length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Unserved {
    /// The station's index.
    pub(crate) station: usize,
    /// The pass's length, s.
    pub(crate) pass_s: f64,
    /// How much of it had no antenna, s.
    pub(crate) unserved_s: f64,
}

/// A block's station assignment: per spacecraft, its contacts (labelled with
/// the station's index, sorted by start) and its passes left unserved (marked
/// at the end of the pass in the block, sorted).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Assignment {
    pub(crate) contacts: Vec<Vec<Interval<usize>>>,
    pub(crate) unserved: Vec<Vec<Mark<Unserved>>>,
}

/// One spacecraft's pass as a claim on a station's antennas.
struct Claim {
    pass: Pass,
    /// False only for a holder's pass already in progress at the block start.
    newcomer: bool,
    spacecraft: usize,
}

impl Claim {
    /// The order in which claims take antennas: highest rank first.
    fn cmp(&self, other: &Self, ranking: &Ranking) -> std::cmp::Ordering {
        let by_rise = || {
            (self.pass.start_s.total_cmp(&other.pass.start_s))
                .then(self.newcomer.cmp(&other.newcomer))
                .then(self.spacecraft.cmp(&other.spacecraft))
        };
        match ranking {
            Ranking::FirstCome => by_rise(),
            Ranking::HighestElevation => (self.newcomer.cmp(&other.newcomer))
                .then((other.pass.what.elevation_deg).total_cmp(&self.pass.what.elevation_deg))
                .then_with(by_rise),
            Ranking::Priority(places) => {
                let place = |c: &Claim| places.get(c.spacecraft).copied().flatten().unwrap_or(usize::MAX);
                (place(self).cmp(&place(other)))
                    .then(self.newcomer.cmp(&other.newcomer))
                    .then_with(by_rise)
            }
        }
    }
}

/// Station assignment over a block (`stations` says from what), given each
/// spacecraft's passes (`passes[spacecraft][station]`, a list for every
/// station; a spacecraft that cannot use a station has none there).
///
/// Each station is assigned on its own: its claims (every pass over it) are
/// taken in rank order (see [`Ranking`]), and each gets the parts of its pass
/// where fewer than `antennas` claims ranked above it already hold the
/// station. Under first come, first served that is what is left of the pass
/// once an antenna is free (a later spacecraft gets the rest of its pass), and
/// with one antenna exactly the rule of one spacecraft per station at a time.
/// A pass with more than [`EPS`] of it unserved is reported.
///
/// [`EPS`]: crate::sim::EPS
pub(crate) fn assign_stations(stations: Stations<'_>, passes: &[Vec<Vec<Pass>>]) -> Assignment {
    let mut out = Assignment {
        contacts: vec![Vec::new(); passes.len()],
        unserved: vec![Vec::new(); passes.len()],
    };
    for (station, holders) in stations.holders.iter().enumerate() {
        let mut claims: Vec<Claim> = passes
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                let holds = holders.contains(&i);
                p[station].iter().map(move |pass| Claim {
                    pass: *pass,
                    newcomer: !(holds && pass.start_s <= stations.from_s),
                    spacecraft: i,
                })
            })
            .collect();
        claims.sort_by(|a, b| a.cmp(b, stations.ranking));
        let antennas = stations.antennas[station];
        let mut granted: Vec<Interval<usize>> = Vec::new();
        for claim in claims {
            let (start_s, end_s) = (claim.pass.start_s, claim.pass.end_s);
            let got = free_parts(&granted, antennas, start_s, end_s);
            let served_s: f64 = got.iter().map(|(a, b)| b - a).sum();
            for (a, b) in got {
                let contact = Interval {
                    start_s: a,
                    end_s: b,
                    what: station,
                };
                granted.push(contact);
                out.contacts[claim.spacecraft].push(contact);
            }
            let unserved_s = (end_s - start_s) - served_s;
            if unserved_s > crate::sim::EPS {
                out.unserved[claim.spacecraft].push(Mark {
                    at_s: end_s,
                    what: Unserved {
                        station,
                        pass_s: end_s - start_s,
                        unserved_s,
                    },
                });
            }
        }
    }
    for list in &mut out.contacts {
        list.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    }
    for list in &mut out.unserved {
        list.sort_by(|a, b| {
            a.at_s
                .total_cmp(&b.at_s)
                .then(a.what.station.cmp(&b.what.station))
        });
    }
    out
}

/// The parts of [start_s, end_s) where fewer than `antennas` of the `granted`
/// contacts are active, merged, in order. The parts begin and end exactly on
/// the pass's or a granted contact's edges (no arithmetic on the times).
fn free_parts(granted: &[Interval<usize>], antennas: usize, start_s: f64, end_s: f64) -> Vec<(f64, f64)> {
    let overlapping: Vec<&Interval<usize>> = granted
        .iter()
        .filter(|g| g.start_s < end_s && start_s < g.end_s)
        .collect();
    let mut edges = vec![start_s, end_s];
    edges.extend(
        overlapping
            .iter()
            .flat_map(|g| g.ends())
            .filter(|t| start_s < *t && *t < end_s),
    );
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let mut parts: Vec<(f64, f64)> = Vec::new();
    for pair in edges.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let busy = overlapping
            .iter()
            .filter(|g| g.start_s <= a && b <= g.end_s)
            .count();
        if busy < antennas {
            match parts.last_mut() {
                Some(last) if last.1 == a => last.1 = b,
                _ => parts.push((a, b)),
            }
        }
    }
    parts
}

/// Intervals cut by the end of a block go on past it: their cut end is not a
/// change of light or contact (the next block's plan picks them up), so it
/// moves beyond `to_s`.
pub(crate) fn continue_past_block_end(plan: &mut Plan, to_s: f64) {
    let ends = (plan.light.iter_mut().map(|i| &mut i.end_s))
        .chain(plan.contacts.iter_mut().map(|i| &mut i.end_s))
        .chain(plan.imaging.iter_mut().map(|i| &mut i.end_s))
        .chain(plan.relay_windows.iter_mut().flatten().map(|w| &mut w.end_s))
        .chain(plan.peers.iter_mut().map(|w| &mut w.end_s));
    for end in ends.filter(|end| **end >= to_s - 1e-9) {
        *end = to_s + 1.0;
    }
}

/// What an imager can do over a block.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ImagingPlan {
    /// A target in view and full sunlight, labelled with the highest priority
    /// in view, sorted.
    pub(crate) imaging: Vec<Interval<u32>>,
    /// The capture instants on the imager's grid inside them, with their
    /// priority, sorted.
    pub(crate) captures: Vec<Mark<u32>>,
}

/// Imaging intervals and capture instants over the block [from_s, to_s]
/// (`local` is its time axis), from the block's shadow intervals (`light`)
/// and a search for every target's passes.
pub(crate) fn imaging_plan(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The bisection finds exactly the windows a scan from the start finds:
    /// random overlapping windows of many peers, probed at random instants,
    /// at window edges and beyond the last window.
    #[test]
    fn peers_in_view_by_bisection_equal_a_scan() {
        let mut rng = crate::testing::Xorshift::new(0x5eed_0017);
        let mut plan = Plan::default();
        for peer in 0..40 {
            let mut t = 0.0;
            while t < 86_400.0 {
                let start_s = t + 6_000.0 * rng.uniform();
                let end_s = start_s + 1.0 + 3_000.0 * rng.uniform() * rng.uniform();
                plan.peers.push(Interval {
                    start_s,
                    end_s,
                    what: peer,
                });
                t = end_s;
            }
        }
        plan.peers.sort_by(|x, y| x.start_s.total_cmp(&y.start_s));
        let scan = |plan: &Plan, t: f64| {
            let mut peers: Vec<usize> = plan
                .peers
                .iter()
                .filter(|w| w.contains(t))
                .map(|w| w.what)
                .collect();
            peers.sort_unstable();
            peers
        };
        plan.index_edges(true);
        let edges: Vec<f64> = plan.peers.iter().flat_map(Interval::ends).collect();
        let instants = (0..2_000).map(|_| 90_000.0 * rng.uniform()).chain(edges);
        let mut seen = 0;
        for t in instants {
            let expected = scan(&plan, t);
            seen += expected.len();
            assert_eq!(plan.peers_at(t), expected, "at {t} s");
        }
        assert!(seen > 1_000, "the case should have peers in view ({seen})");
    }

    fn window(start_s: f64, end_s: f64) -> Window {
        Interval {
            start_s,
            end_s,
            what: InView,
        }
    }

    fn contact(start_s: f64, end_s: f64, station: usize) -> Interval<usize> {
        Interval {
            start_s,
            end_s,
            what: station,
        }
    }

    fn pass(start_s: f64, end_s: f64) -> Pass {
        seen(start_s, end_s, 0.0)
    }

    fn seen(start_s: f64, end_s: f64, elevation_deg: f64) -> Pass {
        Interval {
            start_s,
            end_s,
            what: Peak { elevation_deg },
        }
    }

    /// The assignment with one antenna per station, first come, first served.
    fn fcfs(holders: &[Option<usize>], passes: &[Vec<Vec<Pass>>], from_s: f64) -> Vec<Vec<Interval<usize>>> {
        let holders: Vec<Vec<usize>> = holders.iter().map(|h| h.iter().copied().collect()).collect();
        let stations = Stations {
            antennas: &vec![1; holders.len()],
            holders: &holders,
            ranking: &Ranking::FirstCome,
            from_s,
        };
        assign_stations(stations, passes).contacts
    }

    /// The assignment over one station with `antennas`, nobody holding it.
    fn one_station(ranking: Ranking, antennas: usize, passes: &[Pass]) -> Assignment {
        let passes: Vec<Vec<Vec<Pass>>> = passes.iter().map(|p| vec![vec![*p]]).collect();
        let stations = Stations {
            antennas: &[antennas],
            holders: &[vec![]],
            ranking: &ranking,
            from_s: 0.0,
        };
        assign_stations(stations, &passes)
    }

    fn unserved(at_s: f64, pass_s: f64, unserved_s: f64) -> Mark<Unserved> {
        Mark {
            at_s,
            what: Unserved {
                station: 0,
                pass_s,
                unserved_s,
            },
        }
    }

    #[test]
    fn the_first_to_rise_gets_the_station_and_the_later_one_the_rest_of_its_pass() {
        // One station: spacecraft 1 rises first; spacecraft 0's pass outlasts it.
        let passes = vec![vec![vec![pass(100.0, 500.0)]], vec![vec![pass(50.0, 300.0)]]];
        let contacts = fcfs(&[None], &passes, 0.0);
        assert_eq!(contacts[0], vec![contact(300.0, 500.0, 0)]);
        assert_eq!(contacts[1], vec![contact(50.0, 300.0, 0)]);
    }

    #[test]
    fn a_pass_inside_another_ones_contact_gets_nothing() {
        let passes = vec![vec![vec![pass(0.0, 1000.0)]], vec![vec![pass(100.0, 500.0)]]];
        let contacts = fcfs(&[None], &passes, 0.0);
        assert_eq!(contacts[0], vec![contact(0.0, 1000.0, 0)]);
        assert!(contacts[1].is_empty());
    }

    #[test]
    fn equal_rises_go_to_the_lower_index() {
        let passes = vec![vec![vec![pass(100.0, 400.0)]], vec![vec![pass(100.0, 600.0)]]];
        let contacts = fcfs(&[None], &passes, 0.0);
        assert_eq!(contacts[0], vec![contact(100.0, 400.0, 0)]);
        assert_eq!(contacts[1], vec![contact(400.0, 600.0, 0)]);
    }

    #[test]
    fn the_holder_keeps_its_station_at_a_block_start() {
        // Both passes are in progress at the block start (searches start there,
        // so both rise at 21 600 s); spacecraft 1 held the station.
        let from_s = 21_600.0;
        let passes = vec![
            vec![vec![pass(from_s, 22_000.0)]],
            vec![vec![pass(from_s, 21_800.0)]],
        ];
        let held = fcfs(&[Some(1)], &passes, from_s);
        assert_eq!(held[0], vec![contact(21_800.0, 22_000.0, 0)]);
        assert_eq!(held[1], vec![contact(from_s, 21_800.0, 0)]);
        // Unheld, the tie goes to the lower index again.
        let free = fcfs(&[None], &passes, from_s);
        assert_eq!(free[0], vec![contact(from_s, 22_000.0, 0)]);
        assert!(free[1].is_empty());
    }

    #[test]
    fn holding_a_station_gives_no_priority_on_a_later_pass() {
        let from_s = 21_600.0;
        let passes = vec![
            vec![vec![pass(22_000.0, 22_400.0)]],
            vec![vec![pass(22_000.0, 22_300.0)]],
        ];
        let contacts = fcfs(&[Some(1)], &passes, from_s);
        assert_eq!(contacts[0], vec![contact(22_000.0, 22_400.0, 0)]);
        assert!(contacts[1].is_empty());
    }

    #[test]
    fn stations_are_assigned_independently_and_contacts_sorted_by_start() {
        // Two stations: spacecraft 0 sees station 1 first, then station 0;
        // spacecraft 1 takes station 0 first and keeps it.
        let passes = vec![
            vec![vec![pass(300.0, 700.0)], vec![pass(100.0, 250.0)]],
            vec![vec![pass(200.0, 500.0)], vec![]],
        ];
        let contacts = fcfs(&[None, None], &passes, 0.0);
        assert_eq!(
            contacts[0],
            vec![contact(100.0, 250.0, 1), contact(500.0, 700.0, 0)]
        );
        assert_eq!(contacts[1], vec![contact(200.0, 500.0, 0)]);
    }

    #[test]
    fn antennas_serve_that_many_passes_at_once() {
        // Two antennas: A and B fit; C waits for B to set at 500 s.
        let out = one_station(
            Ranking::FirstCome,
            2,
            &[pass(0.0, 600.0), pass(100.0, 500.0), pass(200.0, 800.0)],
        );
        assert_eq!(out.contacts[0], vec![contact(0.0, 600.0, 0)]);
        assert_eq!(out.contacts[1], vec![contact(100.0, 500.0, 0)]);
        assert_eq!(out.contacts[2], vec![contact(500.0, 800.0, 0)]);
        assert!(out.unserved[0].is_empty() && out.unserved[1].is_empty());
        assert_eq!(out.unserved[2], vec![unserved(800.0, 600.0, 300.0)]);
        // Three antennas serve all three whole.
        let out = one_station(
            Ranking::FirstCome,
            3,
            &[pass(0.0, 600.0), pass(100.0, 500.0), pass(200.0, 800.0)],
        );
        assert_eq!(out.contacts[2], vec![contact(200.0, 800.0, 0)]);
        assert!(out.unserved.iter().all(Vec::is_empty));
    }

    #[test]
    fn a_pass_without_an_antenna_is_reported_unserved_at_its_end() {
        let out = one_station(Ranking::FirstCome, 1, &[pass(0.0, 1000.0), pass(100.0, 500.0)]);
        assert!(out.contacts[1].is_empty());
        assert_eq!(out.unserved[1], vec![unserved(500.0, 400.0, 400.0)]);
        assert!(out.unserved[0].is_empty());
    }

    #[test]
    fn the_highest_pass_preempts_a_lower_one_and_gives_the_antenna_back() {
        // A peaks at 30°, B at 70° inside A's pass: B is served whole, A around it.
        let out = one_station(
            Ranking::HighestElevation,
            1,
            &[seen(0.0, 600.0, 30.0), seen(200.0, 400.0, 70.0)],
        );
        assert_eq!(out.contacts[1], vec![contact(200.0, 400.0, 0)]);
        assert_eq!(
            out.contacts[0],
            vec![contact(0.0, 200.0, 0), contact(400.0, 600.0, 0)]
        );
        assert_eq!(out.unserved[0], vec![unserved(600.0, 600.0, 200.0)]);
        // First come, the same passes: A keeps the antenna, B gets nothing.
        let out = one_station(
            Ranking::FirstCome,
            1,
            &[seen(0.0, 600.0, 30.0), seen(200.0, 400.0, 70.0)],
        );
        assert_eq!(out.contacts[0], vec![contact(0.0, 600.0, 0)]);
        assert_eq!(out.unserved[1], vec![unserved(400.0, 200.0, 200.0)]);
    }

    #[test]
    fn highest_elevation_ranks_every_pass_by_its_peak_then_by_rise() {
        // Two antennas, peaks 30°, 50°, 70°: C and B are served whole, A only
        // where fewer than two higher passes are in view.
        let out = one_station(
            Ranking::HighestElevation,
            2,
            &[
                seen(0.0, 600.0, 30.0),
                seen(100.0, 500.0, 50.0),
                seen(200.0, 400.0, 70.0),
            ],
        );
        assert_eq!(out.contacts[2], vec![contact(200.0, 400.0, 0)]);
        assert_eq!(out.contacts[1], vec![contact(100.0, 500.0, 0)]);
        assert_eq!(
            out.contacts[0],
            vec![contact(0.0, 200.0, 0), contact(400.0, 600.0, 0)]
        );
        // Equal peaks: the earlier rise wins, as first come.
        let out = one_station(
            Ranking::HighestElevation,
            1,
            &[seen(100.0, 500.0, 40.0), seen(0.0, 600.0, 40.0)],
        );
        assert_eq!(out.contacts[1], vec![contact(0.0, 600.0, 0)]);
        assert!(out.contacts[0].is_empty());
    }

    #[test]
    fn priority_preempts_by_place_and_the_unlisted_come_last_first_come() {
        // Spacecraft 2 is listed first, 0 second, 1 not at all.
        let ranking = Ranking::Priority(vec![Some(1), None, Some(0)]);
        let out = one_station(
            ranking,
            1,
            &[pass(0.0, 600.0), pass(50.0, 700.0), pass(300.0, 400.0)],
        );
        assert_eq!(out.contacts[2], vec![contact(300.0, 400.0, 0)]);
        assert_eq!(
            out.contacts[0],
            vec![contact(0.0, 300.0, 0), contact(400.0, 600.0, 0)]
        );
        assert_eq!(out.contacts[1], vec![contact(600.0, 700.0, 0)]);
        assert_eq!(out.unserved[0], vec![unserved(600.0, 600.0, 100.0)]);
        assert_eq!(out.unserved[1], vec![unserved(700.0, 650.0, 550.0)]);
        // Nobody listed: first come, first served.
        let out = one_station(
            Ranking::Priority(vec![None, None]),
            1,
            &[pass(100.0, 500.0), pass(50.0, 300.0)],
        );
        assert_eq!(out.contacts[0], vec![contact(300.0, 500.0, 0)]);
        assert_eq!(out.contacts[1], vec![contact(50.0, 300.0, 0)]);
    }

    #[test]
    fn a_contact_in_progress_at_a_block_start_is_preempted_only_by_priority() {
        // Spacecraft 1 held the station when the block began; spacecraft 0's
        // pass, in progress too, peaks higher in this block.
        let from_s = 21_600.0;
        let passes = vec![
            vec![vec![seen(from_s, 22_200.0, 60.0)]],
            vec![vec![seen(from_s, 22_000.0, 10.0)]],
        ];
        let assign = |ranking: &Ranking| {
            assign_stations(
                Stations {
                    antennas: &[1],
                    holders: &[vec![1]],
                    ranking,
                    from_s,
                },
                &passes,
            )
        };
        let highest = assign(&Ranking::HighestElevation);
        assert_eq!(highest.contacts[1], vec![contact(from_s, 22_000.0, 0)]);
        assert_eq!(highest.contacts[0], vec![contact(22_000.0, 22_200.0, 0)]);
        // Listed first, spacecraft 0 takes the antenna at the block start.
        let priority = assign(&Ranking::Priority(vec![Some(0), Some(1)]));
        assert_eq!(priority.contacts[0], vec![contact(from_s, 22_200.0, 0)]);
        assert!(priority.contacts[1].is_empty());
        // Both unlisted: the holder keeps it.
        let unlisted = assign(&Ranking::Priority(vec![None, None]));
        assert_eq!(unlisted.contacts[1], vec![contact(from_s, 22_000.0, 0)]);
    }

    fn letters() -> Vec<Interval<char>> {
        vec![
            Interval {
                start_s: 0.0,
                end_s: 10.0,
                what: 'a',
            },
            Interval {
                start_s: 20.0,
                end_s: 30.0,
                what: 'b',
            },
            Interval {
                start_s: 30.0,
                end_s: 40.0,
                what: 'c',
            },
        ]
    }

    #[test]
    fn find_from_walks_forward() {
        let list = letters();
        let mut cursor = 0;
        let mut at = |t| (find_from(&list, t, &mut cursor), cursor);
        assert_eq!(at(-1.0), (None, 0));
        assert_eq!(at(0.0), (Some('a'), 0));
        assert_eq!(at(5.0), (Some('a'), 0));
        assert_eq!(at(10.0), (None, 1)); // an end is outside
        assert_eq!(at(15.0), (None, 1)); // in a gap
        assert_eq!(at(25.0), (Some('b'), 1));
        assert_eq!(at(30.0), (Some('c'), 2)); // a shared edge belongs to the later one
        assert_eq!(at(45.0), (None, 3)); // past the end
        assert_eq!(at(50.0), (None, 3));
    }

    #[test]
    fn find_from_backtracks_when_asked_about_an_earlier_time() {
        let list = letters();
        let mut cursor = 3;
        assert_eq!(find_from(&list, 5.0, &mut cursor), Some('a'));
        assert_eq!(cursor, 0);
        let mut cursor = 2;
        assert_eq!(find_from(&list, 25.0, &mut cursor), Some('b'));
        assert_eq!(cursor, 1);
        let mut cursor = 2;
        assert_eq!(find_from(&list, 15.0, &mut cursor), None);
        assert_eq!(cursor, 1);
    }

    #[test]
    fn find_from_and_find_agree() {
        let list = letters();
        let mut cursor = 0;
        for k in -4..90 {
            let t = f64::from(k) * 0.5;
            assert_eq!(find_from(&list, t, &mut cursor), find(&list, t), "t = {t}");
        }
    }

    #[test]
    fn the_light_outside_the_shadows_is_sunlit() {
        let plan = Plan {
            light: vec![Interval {
                start_s: 10.0,
                end_s: 20.0,
                what: Light::Umbra,
            }],
            ..Plan::default()
        };
        assert_eq!(plan.light_at(9.0), Light::Sunlit);
        assert_eq!(plan.light_at(10.0), Light::Umbra);
        assert_eq!(plan.light_at(20.0), Light::Sunlit);
    }

    #[test]
    fn intervals_cut_by_the_block_end_go_on_past_it() {
        let mut plan = Plan {
            contacts: vec![contact(100.0, 200.0, 0), contact(300.0, 400.0 - 1e-10, 1)],
            relay_windows: vec![vec![window(350.0, 400.0)]],
            ..Plan::default()
        };
        continue_past_block_end(&mut plan, 400.0);
        assert_eq!(
            plan.contacts,
            vec![contact(100.0, 200.0, 0), contact(300.0, 401.0, 1)]
        );
        assert_eq!(plan.relay_windows, vec![vec![window(350.0, 401.0)]]);
    }

    #[test]
    fn imaging_is_sunlit_by_the_highest_priority_and_captures_on_the_grid() {
        let light = [Interval {
            start_s: 40.0,
            end_s: 60.0,
            what: Light::Umbra,
        }];
        let sunlit = sunlit_between(&light, 0.0, 100.0);
        assert_eq!(
            sunlit.iter().map(Interval::ends).collect::<Vec<_>>(),
            vec![[0.0, 40.0], [60.0, 100.0]]
        );
        let seen = |start_s, end_s, what| Interval { start_s, end_s, what };
        let in_view = [seen(10.0, 70.0, 1), seen(20.0, 30.0, 5), seen(65.0, 90.0, 1)];
        let imaging = highest_priority_in_sunlight(&in_view, &sunlit);
        assert_eq!(
            imaging,
            vec![
                seen(10.0, 20.0, 1),
                seen(20.0, 30.0, 5),
                seen(30.0, 40.0, 1),
                seen(60.0, 90.0, 1),
            ]
        );
        let at = |at_s, what| Mark { at_s, what };
        assert_eq!(capture_instants(&imaging, 25.0), vec![at(25.0, 5), at(75.0, 1)]);
    }
}
