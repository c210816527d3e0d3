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

/// Station assignment over a block starting at `from_s`, given the spacecraft
/// holding each station at that instant (`holders[station]`) and each
/// spacecraft's passes (`passes[spacecraft][station]`, a list for every
/// station). Returns each spacecraft's contacts, sorted by start.
///
/// First come, first served by rise time; a spacecraft tracked at the end of
/// the previous block keeps its station (a station does not switch spacecraft
/// at a block edge that is no event); ties go to the lower spacecraft index; a
/// later spacecraft gets what is left of its pass once the station is free.
pub(crate) fn assign_stations(
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
pub(crate) fn continue_past_block_end(plan: &mut Plan, to_s: f64) {
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

    #[test]
    fn the_first_to_rise_gets_the_station_and_the_later_one_the_rest_of_its_pass() {
        // One station: spacecraft 1 rises first; spacecraft 0's pass outlasts it.
        let passes = vec![vec![vec![window(100.0, 500.0)]], vec![vec![window(50.0, 300.0)]]];
        let contacts = assign_stations(&[None], &passes, 0.0);
        assert_eq!(contacts[0], vec![contact(300.0, 500.0, 0)]);
        assert_eq!(contacts[1], vec![contact(50.0, 300.0, 0)]);
    }

    #[test]
    fn a_pass_inside_another_ones_contact_gets_nothing() {
        let passes = vec![vec![vec![window(0.0, 1000.0)]], vec![vec![window(100.0, 500.0)]]];
        let contacts = assign_stations(&[None], &passes, 0.0);
        assert_eq!(contacts[0], vec![contact(0.0, 1000.0, 0)]);
        assert!(contacts[1].is_empty());
    }

    #[test]
    fn equal_rises_go_to_the_lower_index() {
        let passes = vec![vec![vec![window(100.0, 400.0)]], vec![vec![window(100.0, 600.0)]]];
        let contacts = assign_stations(&[None], &passes, 0.0);
        assert_eq!(contacts[0], vec![contact(100.0, 400.0, 0)]);
        assert_eq!(contacts[1], vec![contact(400.0, 600.0, 0)]);
    }

    #[test]
    fn the_holder_keeps_its_station_at_a_block_start() {
        // Both passes are in progress at the block start (searches start there,
        // so both rise at 21 600 s); spacecraft 1 held the station.
        let from_s = 21_600.0;
        let passes = vec![
            vec![vec![window(from_s, 22_000.0)]],
            vec![vec![window(from_s, 21_800.0)]],
        ];
        let held = assign_stations(&[Some(1)], &passes, from_s);
        assert_eq!(held[0], vec![contact(21_800.0, 22_000.0, 0)]);
        assert_eq!(held[1], vec![contact(from_s, 21_800.0, 0)]);
        // Unheld, the tie goes to the lower index again.
        let free = assign_stations(&[None], &passes, from_s);
        assert_eq!(free[0], vec![contact(from_s, 22_000.0, 0)]);
        assert!(free[1].is_empty());
    }

    #[test]
    fn holding_a_station_gives_no_priority_on_a_later_pass() {
        let from_s = 21_600.0;
        let passes = vec![
            vec![vec![window(22_000.0, 22_400.0)]],
            vec![vec![window(22_000.0, 22_300.0)]],
        ];
        let contacts = assign_stations(&[Some(1)], &passes, from_s);
        assert_eq!(contacts[0], vec![contact(22_000.0, 22_400.0, 0)]);
        assert!(contacts[1].is_empty());
    }

    #[test]
    fn stations_are_assigned_independently_and_contacts_sorted_by_start() {
        // Two stations: spacecraft 0 sees station 1 first, then station 0;
        // spacecraft 1 takes station 0 first and keeps it.
        let passes = vec![
            vec![vec![window(300.0, 700.0)], vec![window(100.0, 250.0)]],
            vec![vec![window(200.0, 500.0)], vec![]],
        ];
        let contacts = assign_stations(&[None, None], &passes, 0.0);
        assert_eq!(
            contacts[0],
            vec![contact(100.0, 250.0, 1), contact(500.0, 700.0, 0)]
        );
        assert_eq!(contacts[1], vec![contact(200.0, 500.0, 0)]);
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
