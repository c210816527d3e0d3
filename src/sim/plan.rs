//! What the engine knows in advance about one spacecraft over one planning
//! block — light, contacts, relay windows, imaging intervals, scheduled starts
//! and capture instants — and the lookups the advance walks it with.
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

use crate::environment::eclipse::Light;

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
    /// Scheduled starts, labelled with the activity's index, sorted.
    pub(crate) scheduled: Vec<Mark<usize>>,
    /// Seconds from the orbit's epoch to the simulation start.
    pub(crate) orbit_offset_s: f64,
    /// Every light, contact and imaging edge, scheduled start and capture
    /// instant, sorted: the breakpoints the plan sets (relay windows are not
    /// among them: relays exchange data at sync points).
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
}

impl Plan {
    /// Sorts the edge list once the intervals are known.
    pub(crate) fn index_edges(&mut self) {
        self.edges = (self.light.iter().flat_map(Interval::ends))
            .chain(self.contacts.iter().flat_map(Interval::ends))
            .chain(self.scheduled.iter().map(|m| m.at_s))
            .chain(self.imaging.iter().flat_map(Interval::ends))
            .chain(self.captures.iter().map(|m| m.at_s))
            .collect();
        self.edges.sort_by(f64::total_cmp);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
