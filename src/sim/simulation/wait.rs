//! Advancing to the next event that matters: the in-process equivalent of a
//! rehearsal client's long poll.
//!
//! The engine cannot know in advance when an event will happen, so it runs
//! ahead in chunks; when a chunk logged a matching event, it goes back to the
//! chunk's start and runs again to exactly that event's instant. Going back is
//! exact because a run cut anywhere gives the same results as an uncut one
//! (`tests/cut_anywhere.rs`): the state at the event, and everything after
//! it, are the same as if the simulation had been run there directly.

use hifitime::Epoch;

use super::Simulation;
use crate::error::{Error, Result};
use crate::sim::events::Event;
use crate::sim::Stepping;
use crate::time::seconds_between;

/// How far one look ahead runs, s: a longer chunk means fewer copies of the
/// state, a shorter one less to redo when an event is found.
const CHUNK_S: f64 = 600.0;

impl Simulation {
    /// Runs towards `until` and stops at the first new event that `matches`
    /// accepts (at its instant: the state is the state just after it);
    /// returns its index in [`Simulation::events`], or `None` when none
    /// happened before `until` (then the simulation is at `until`).
    ///
    /// User hooks run again over the part of a chunk that is redone, with the
    /// same inputs (their results are the same). Not available while
    /// telemetry streams to a file (the rows written cannot be taken back).
    pub fn run_until_event(
        &mut self,
        until: Epoch,
        stepping: Stepping,
        matches: impl FnMut(&Event) -> bool,
    ) -> Result<Option<usize>> {
        self.run_until_event_with_progress(until, stepping, matches, &mut |_| true)
    }

    /// [`Simulation::run_until_event`], asking `progress` (with the fraction
    /// of the way to `until`) between sync points whether to go on; `None`
    /// when it said no.
    pub fn run_until_event_with_progress(
        &mut self,
        until: Epoch,
        stepping: Stepping,
        matches: impl FnMut(&Event) -> bool,
        progress: &mut dyn FnMut(f64) -> bool,
    ) -> Result<Option<usize>> {
        let end_s = seconds_between(self.start, until);
        if end_s.is_nan() || end_s <= self.elapsed_s {
            return Err(Error::InvalidInterval {
                start: self.now(),
                end: until,
            });
        }
        self.run_until_event_to_s(end_s, stepping, matches, progress)
    }

    /// [`Simulation::run_until_event_with_progress`] up to `end_s` seconds
    /// since the start, exactly (after the current time).
    pub(crate) fn run_until_event_to_s(
        &mut self,
        end_s: f64,
        stepping: Stepping,
        mut matches: impl FnMut(&Event) -> bool,
        progress: &mut dyn FnMut(f64) -> bool,
    ) -> Result<Option<usize>> {
        if self.stream.0.is_some() {
            return Err(Error::Conflict(
                "waiting for an event is not available while telemetry streams to a file".into(),
            ));
        }
        let start_s = self.elapsed_s;
        while self.elapsed_s < end_s {
            let to_s = (self.elapsed_s + CHUNK_S).min(end_s);
            let (from_s, seen) = (self.elapsed_s, self.events.len());
            let before = self.rewind_point();
            let whole = end_s - start_s;
            let finished = self.run_to_s(to_s, stepping, &mut |f| {
                progress(((from_s - start_s) + f * (to_s - from_s)) / whole)
            })?;
            if !finished {
                return Ok(None);
            }
            let Some(found) = self.events[seen..]
                .iter()
                .position(&mut matches)
                .map(|i| seen + i)
            else {
                continue;
            };
            let at_s = self.events[found].elapsed_s;
            if at_s < self.elapsed_s {
                // Events at the chunk's start itself (the first run's instant 0)
                // are logged by a run that ends just after it: 1 ns.
                let target = if at_s > from_s { at_s } else { from_s + 1e-9 };
                self.rewind(before, seen);
                self.run_to_s(target, stepping, &mut |_| true)?;
            }
            return Ok(Some(found));
        }
        Ok(None)
    }

    /// Everything a run changes but the event log and the telemetry, which
    /// only grow and are cut back instead of copied.
    fn rewind_point(&mut self) -> (Simulation, usize) {
        let events = std::mem::take(&mut self.events);
        let telemetry = std::mem::take(&mut self.telemetry);
        let copy = self.clone();
        let rows = telemetry.len();
        self.events = events;
        self.telemetry = telemetry;
        (copy, rows)
    }

    /// Back to a rewind point: its state, the log and telemetry cut back.
    fn rewind(&mut self, (mut before, rows): (Simulation, usize), events: usize) {
        self.events.truncate(events);
        self.telemetry.truncate(rows);
        before.events = std::mem::take(&mut self.events);
        before.telemetry = std::mem::take(&mut self.telemetry);
        before.hooks = std::mem::take(&mut self.hooks);
        *self = before;
    }
}
