//! Station sharing: who may claim a station, the assignment policy, the
//! holders carried from one planning block to the next, and the passes left
//! unserved.
//!
//! A spacecraft claims a station only when its radio can use it (it has a
//! radio, and the radio lists the station or lists none: see
//! [`Spacecraft::downlink_radio_for`]); a spacecraft without one never takes
//! an antenna from one that has. A station serves up to
//! [`GroundStation::antennas`] spacecraft at once; when more passes compete,
//! [`StationAssignment`] decides, per planning block, from the searched passes
//! and the holders at the block start alone — so the assignment, like the
//! rest of the plan, does not depend on where a run is cut, nor on the thread
//! count (it runs in one thread, in spacecraft and station order).
//!
//! [`GroundStation::antennas`]: crate::environment::GroundStation::antennas
//! [`Spacecraft::downlink_radio_for`]: crate::spacecraft::Spacecraft::downlink_radio_for

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use super::Simulation;
use crate::error::{Error, Result};
use crate::sim::events::EventKind;
use crate::sim::plan::{Plan, Ranking};
use crate::spacecraft::Spacecraft;

/// How a station's antennas are shared when more passes compete for them than
/// it has antennas (`SimulationConfig.station_assignment`).
///
/// At every instant a station's antennas serve the passes in view that rank
/// highest; each pass has one rank, so who is served changes only at rises and
/// sets, and a pass may be served in parts (preempted, then resumed). The
/// ranks are computed per planning block of 6 h from that block's passes, so
/// results are the same however a run is cut. A contact in progress when a
/// block begins (its spacecraft was in contact at the previous block's end)
/// ranks first among passes the rule itself cannot tell apart, and under
/// `first_come` and `highest_elevation` above every pass: a block edge is no
/// event, so it hands over no antenna. Every remaining tie goes to the earlier
/// rise, then to the spacecraft listed first in the simulation.
///
/// Serialised (scenario files, Python) as `"first_come"`,
/// `"highest_elevation"` or `{"priority": ["name", ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationAssignment {
    /// First come, first served (the default): passes rank by rise, so a pass
    /// is never preempted and a later one gets what is left of it once an
    /// antenna is free.
    #[default]
    FirstCome,
    /// Passes rank by their peak elevation, higher first: a higher pass that
    /// rises takes the antenna of the lowest pass holding one, which gets it
    /// back when the higher pass sets. The peak is the highest elevation of
    /// the pass inside the planning block (its culmination, unless a block
    /// edge cuts the pass): a number known when the block is planned and
    /// fixed for it, where the elevation at each instant would make every
    /// crossing of two tracks a handover and depend on sampling.
    HighestElevation,
    /// Spacecraft rank in the order listed, first highest: a listed spacecraft
    /// preempts any listed after it and any unlisted one; unlisted spacecraft
    /// rank below every listed one and are first come, first served among
    /// themselves. Every name must be a spacecraft of the simulation, once.
    Priority(Vec<String>),
}

impl StationAssignment {
    /// Whether this is the default, `first_come` (left out when serialised, so
    /// configurations and checkpoints read the same as before the setting).
    pub fn is_first_come(&self) -> bool {
        *self == StationAssignment::FirstCome
    }

    /// Checks the priority list against the spacecraft: [`Error::UnknownName`]
    /// for a name that is none of them, [`Error::Duplicate`] for one listed twice.
    pub(crate) fn validate(&self, spacecraft: &[Spacecraft]) -> Result<()> {
        let StationAssignment::Priority(names) = self else {
            return Ok(());
        };
        for (k, name) in names.iter().enumerate() {
            if !spacecraft.iter().any(|sc| sc.name == *name) {
                return Err(Error::UnknownName {
                    kind: "spacecraft",
                    name: name.clone(),
                    expected: "the name of a spacecraft in the simulation (station_assignment priority)",
                });
            }
            if names[..k].contains(name) {
                return Err(Error::Duplicate {
                    kind: "spacecraft",
                    name: name.clone(),
                    within: "the station_assignment priority list".into(),
                });
            }
        }
        Ok(())
    }

    /// The rule as the assignment applies it, names resolved to indices.
    pub(crate) fn ranking(&self, spacecraft: &[Spacecraft]) -> Ranking {
        match self {
            StationAssignment::FirstCome => Ranking::FirstCome,
            StationAssignment::HighestElevation => Ranking::HighestElevation,
            StationAssignment::Priority(names) => Ranking::Priority(
                spacecraft
                    .iter()
                    .map(|sc| names.iter().position(|n| *n == sc.name))
                    .collect(),
            ),
        }
    }
}

/// The spacecraft in contact with one station at the start of the current
/// planning block, in spacecraft order (at most its antennas).
///
/// Serialised as it was when a station had one antenna — nothing or the one
/// index — while it holds at most one, and as a list beyond: checkpoints of
/// one-antenna stations keep their bytes, and old checkpoints load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Holders(pub(crate) Vec<usize>);

impl Serialize for Holders {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [] => s.serialize_none(),
            [one] => s.serialize_some(one),
            many => {
                let mut seq = s.serialize_seq(Some(many.len()))?;
                for k in many {
                    seq.serialize_element(k)?;
                }
                seq.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Holders {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(HoldersVisitor)
    }
}

struct HoldersVisitor;

impl<'de> Visitor<'de> for HoldersVisitor {
    type Value = Holders;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nothing, a spacecraft index or a list of them")
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Holders, E> {
        Ok(Holders::default())
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Holders, E> {
        Ok(Holders::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Holders, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_u64<E: de::Error>(self, k: u64) -> std::result::Result<Holders, E> {
        usize::try_from(k)
            .map(|k| Holders(vec![k]))
            .map_err(|_| E::custom(format!("spacecraft index {k} is too large")))
    }
    fn visit_i64<E: de::Error>(self, k: i64) -> std::result::Result<Holders, E> {
        u64::try_from(k)
            .map_err(|_| E::custom(format!("spacecraft index {k} is negative")))
            .and_then(|k| self.visit_u64(k))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Holders, A::Error> {
        let mut all = Vec::new();
        while let Some(k) = seq.next_element::<usize>()? {
            all.push(k);
        }
        Ok(Holders(all))
    }
}

impl Simulation {
    /// Whether spacecraft `sc` may claim station `station`: its radio can use it.
    pub(super) fn claims(&self, sc: &Spacecraft, station: usize) -> bool {
        sc.downlink_radio_for(self.stations[station].name()).is_some()
    }

    /// The stations each spacecraft holds at the end of `block`: where the next
    /// block's assignment starts. At most a station's antennas hold it (two
    /// contacts that touch within the engine's tolerance of the block end
    /// could both seem current; the lower spacecraft index is kept first).
    pub(super) fn update_holders(&mut self, block: u64) -> Result<()> {
        let plans = self.plans(block)?;
        let now = self.elapsed_s;
        for holders in &mut self.station_holder {
            holders.0.clear();
        }
        for (i, plan) in plans.iter().enumerate() {
            for c in &plan.contacts {
                let antennas = self.stations[c.what].antennas() as usize;
                let holders = &mut self.station_holder[c.what].0;
                if holders.len() < antennas
                    && c.start_s <= now
                    && now < c.end_s + 1e-9
                    && self.states[i].data.contact == Some(c.what)
                    && !holders.contains(&i)
                {
                    holders.push(i);
                }
            }
        }
        Ok(())
    }

    /// The passes of `plans` left unserved that end in (from_s, to_s], as
    /// events at their end (pure plan data: the same however a run is cut).
    pub(super) fn unserved_events(
        &self,
        plans: &[Plan],
        from_s: f64,
        to_s: f64,
    ) -> Vec<(f64, usize, EventKind)> {
        let mut events = Vec::new();
        for (i, plan) in plans.iter().enumerate() {
            for mark in plan.unserved.iter().filter(|m| m.at_s > from_s && m.at_s <= to_s) {
                events.push((
                    mark.at_s,
                    i,
                    EventKind::PassUnserved {
                        station: self.stations[mark.what.station].name().to_string(),
                        pass_s: mark.what.pass_s,
                        unserved_s: mark.what.unserved_s,
                    },
                ));
            }
        }
        events
    }
}
