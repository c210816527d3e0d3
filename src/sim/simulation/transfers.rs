//! `send` and the transfers' life in the run loop: legs planned per block
//! into both ends' plans, completions and deadlines logged where they fall,
//! and the bookkeeping at sync points (an end that failed or browned out ends
//! a transfer there) and block ends. The model is in [`crate::sim::transfer`].

use std::collections::BTreeMap;
use std::sync::Arc;

use super::planning::block_span;
use super::Simulation;
use crate::error::{ensure_within, Error, Result};
use crate::frames::{gmst_rad, teme_to_ecef};
use crate::orbit::Propagator;
use crate::sim::events::EventKind;
use crate::sim::plan::{Interval, Leg, Plan};
use crate::sim::transfer::{legs, without, Endpoint, Outcome, Progress, Transfer, LEG_PIECE_S};
use crate::spacecraft::link::{RadioConfig, RateModel};
use crate::time::TimeAxis;

/// The most one transfer may move, bytes (1 PB, as a write).
const MAX_TRANSFER_BYTES: f64 = super::MAX_WRITE_BYTES;

/// What a transfer looks like to its caller.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TransferStatus {
    /// Its id.
    pub id: String,
    /// Sending spacecraft.
    pub from: String,
    /// The sender's relay whose standing order it is (none for a `send`).
    pub relay: Option<String>,
    /// Receiving spacecraft or station.
    pub to: String,
    /// Bytes asked for.
    pub bytes: f64,
    /// Bytes gone so far.
    pub sent_bytes: f64,
    /// `active`, `completed` or `incomplete`.
    pub status: &'static str,
    /// Seconds since the start when it was sent.
    pub sent_at_s: f64,
    /// When it ended, s, if it did.
    pub ended_at_s: Option<f64>,
    /// Why it ended incomplete.
    pub reason: Option<String>,
}

impl Simulation {
    /// Sends `bytes` from `partition` of spacecraft `from` to `to` (a
    /// spacecraft, over both ends' inter-satellite radios, into its partition
    /// of the same name; or a ground station, over `from`'s ground radio
    /// during its contacts with it) from now, at the link's rate while in
    /// view; `radio` names the sender's radio (default: the first that fits);
    /// `timeout_s` bounds how long it may take. Returns the transfer's id.
    /// The bytes leave the partition now (see [`crate::sim::transfer`]).
    pub fn send(
        &mut self,
        from: &str,
        to: &str,
        bytes: f64,
        partition: &str,
        radio: Option<&str>,
        timeout_s: Option<f64>,
    ) -> Result<String> {
        let src = self.index_of(from)?;
        ensure_within(
            "bytes",
            bytes,
            MAX_TRANSFER_BYTES,
            "a finite number in [0, 1e15] bytes",
        )?;
        let deadline_s = match timeout_s {
            Some(t) => {
                ensure_within(
                    "timeout_s",
                    t,
                    super::MAX_LOAD_DURATION_S,
                    "a finite number of seconds ≥ 0",
                )?;
                self.elapsed_s + t
            }
            None => f64::INFINITY,
        };
        let p = self.spacecraft[src].storage.index(partition)?;
        let (to, to_partition, radio, to_radio) = self.transfer_route(src, to, partition, radio)?;
        let stored = self.states[src].data.storage.used_bytes[p];
        if bytes > stored {
            return Err(Error::Conflict(format!(
                "{from} holds {stored:.0} bytes in {partition:?}, fewer than the {bytes:.0} to send"
            )));
        }
        self.states[src].commit();
        if let Endpoint::Spacecraft(dst) = to {
            self.states[dst].commit();
        }
        self.states[src].data.storage.take(p, bytes);
        let sends = self.transfers.iter().filter(|t| t.relay.is_none()).count();
        let id = format!("T{}", sends + 1);
        self.transfers.push(Transfer {
            id: id.clone(),
            from: src,
            to,
            partition: p,
            taken: Vec::new(),
            to_partition,
            radio: Some(radio),
            to_radio,
            relay: None,
            bytes,
            sent_at_s: self.elapsed_s,
            deadline_s,
            done_bytes: 0.0,
            as_of_s: self.elapsed_s,
            outcome: None,
        });
        self.plan_cache.with_schedule = None;
        Ok(id)
    }

    /// The receiving end, its partition and both radios of a transfer from
    /// spacecraft `src` to the actor named `to`.
    #[allow(clippy::type_complexity)]
    fn transfer_route(
        &self,
        src: usize,
        to: &str,
        partition: &str,
        radio: Option<&str>,
    ) -> Result<(Endpoint, Option<usize>, usize, Option<usize>)> {
        let sc = &self.spacecraft[src];
        let pick = |inter_satellite: bool, fits: &dyn Fn(&RadioConfig) -> bool| -> Result<usize> {
            let found = sc.radios.iter().position(|r| {
                r.inter_satellite == inter_satellite && fits(r) && radio.is_none_or(|name| r.name == name)
            });
            found.ok_or_else(|| Error::MissingDependency {
                what: format!("sending from {} to {to}", sc.name),
                needs: if inter_satellite {
                    "an inter-satellite radio (inter_satellite = true) on both spacecraft"
                } else {
                    "a ground radio on the sender that works with that station"
                },
            })
        };
        if let Some(dst) = self.spacecraft.iter().position(|s| s.name == to) {
            if dst == src {
                return Err(Error::Conflict(format!("{to} cannot send to itself")));
            }
            let radio = pick(true, &|_| true)?;
            let to_radio = (self.spacecraft[dst].inter_satellite_radio())
                .map(|(k, _)| k)
                .ok_or_else(|| Error::MissingDependency {
                    what: format!("receiving on {to}"),
                    needs: "an inter-satellite radio (inter_satellite = true) on both spacecraft",
                })?;
            let to_partition = self.spacecraft[dst].storage.index(partition)?;
            return Ok((
                Endpoint::Spacecraft(dst),
                Some(to_partition),
                radio,
                Some(to_radio),
            ));
        }
        let station =
            (self.stations.iter().position(|s| s.name() == to)).ok_or_else(|| Error::UnknownName {
                kind: "spacecraft or station",
                name: to.to_string(),
                expected: "the name of a spacecraft or a ground station in the simulation",
            })?;
        let name = self.stations[station].name();
        let radio = pick(false, &|r| r.works_with(name))?;
        Ok((Endpoint::Station(station), None, radio, None))
    }

    /// Every transfer so far, in the order sent, with its progress now.
    pub fn transfers(&mut self) -> Result<Vec<TransferStatus>> {
        let progress = self.transfer_progress(super::planning::block_of(self.elapsed_s))?;
        let now = self.elapsed_s;
        Ok((self.transfers.iter().zip(progress.iter()))
            .map(|(t, p)| self.status_of(t, p, now))
            .collect())
    }

    /// A transfer as its caller sees it at `now`: an end reached since the
    /// last sync point shows at once (the bookkeeping follows there).
    fn status_of(&self, t: &Transfer, p: &Progress, now: f64) -> TransferStatus {
        let outcome = t.outcome.clone().or_else(|| self.due(t, p, now));
        let sent_bytes = sent_bytes(t, p, outcome.as_ref(), now);
        let (status, ended_at_s, reason) = match outcome {
            None => ("active", None, None),
            Some(Outcome::Completed { at_s }) => ("completed", Some(at_s), None),
            Some(Outcome::Incomplete { at_s, reason, .. }) => ("incomplete", Some(at_s), Some(reason)),
        };
        TransferStatus {
            id: t.id.clone(),
            from: self.spacecraft[t.from].name.clone(),
            relay: (t.relay).map(|r| self.spacecraft[t.from].relays[r].name.clone()),
            to: self.endpoint_name(t.to),
            bytes: t.bytes,
            sent_bytes,
            status,
            sent_at_s: t.sent_at_s,
            ended_at_s,
            reason,
        }
    }

    fn endpoint_name(&self, to: Endpoint) -> String {
        match to {
            Endpoint::Spacecraft(k) => self.spacecraft[k].name.clone(),
            Endpoint::Station(s) => self.stations[s].name().to_string(),
        }
    }

    /// The progress of every transfer over `block` (empty for ended ones).
    pub(super) fn transfer_progress(&mut self, block: u64) -> Result<Arc<Vec<Progress>>> {
        self.plans(block)?;
        Ok(self.plan_cache.progress.clone().unwrap_or_default())
    }

    /// Plans the legs of every active transfer over `block` into `plans`
    /// (both ends), returning each transfer's progress.
    pub(super) fn plan_transfers(&self, block: u64, plans: &mut [Plan]) -> Result<Vec<Progress>> {
        let (from_s, to_s) = block_span(block);
        let mut all = Vec::with_capacity(self.transfers.len());
        // Per radio or relay: the legs earlier transfers took (one at a time).
        let mut busy: BTreeMap<Carrier, Vec<(f64, f64)>> = BTreeMap::new();
        for t in &self.transfers {
            // An ended transfer keeps the legs it had before its end (they
            // took its radios' time); one that ended before the block has none.
            let ended_s = t.outcome.as_ref().map_or(f64::INFINITY, Outcome::at_s);
            if ended_s <= from_s {
                all.push(Progress::default());
                continue;
            }
            let windows = transfer_windows(t, &plans[t.from], to_s);
            let ends = carriers(t);
            let taken: Vec<(f64, f64)> = (ends.iter())
                .flat_map(|end| busy.get(end).into_iter().flatten().copied())
                .collect();
            let windows = without(&windows, &taken);
            let piece_s = if self.follows_range(t) {
                LEG_PIECE_S
            } else {
                f64::INFINITY
            };
            let span = (t.as_of_s.max(from_s), t.deadline_s.min(to_s).min(ended_s));
            let mut rate = |a: f64, b: f64| self.transfer_rate_bytes_s(t, plans, 0.5 * (a + b));
            let progress = legs(&windows, span, t.left_bytes(), piece_s, &mut rate)?;
            self.add_legs(t, &progress, plans);
            for end in ends {
                (busy.entry(end).or_default()).extend(progress.legs.iter().map(|l| (l.start_s, l.end_s)));
            }
            all.push(progress);
        }
        for plan in plans.iter_mut() {
            plan.legs.sort_by(|x, y| x.start_s.total_cmp(&y.start_s));
        }
        Ok(all)
    }

    /// Whether a transfer's rate follows the range (a link-budget radio on either end).
    fn follows_range(&self, t: &Transfer) -> bool {
        let budget = |sc: usize, radio: usize| {
            matches!(
                self.spacecraft[sc].radios[radio].rate,
                RateModel::LinkBudget { .. }
            )
        };
        t.radio.is_some_and(|radio| budget(t.from, radio))
            || match (t.to, t.to_radio) {
                (Endpoint::Spacecraft(dst), Some(radio)) => budget(dst, radio),
                _ => false,
            }
    }

    /// The link's rate at `t`, bytes/s: the slower of the two radios at the
    /// range then (the sender's alone towards a station; a relay's own rate).
    fn transfer_rate_bytes_s(&self, t: &Transfer, plans: &[Plan], at_s: f64) -> Result<f64> {
        let sender = &self.spacecraft[t.from];
        let radio = match (t.relay, t.radio) {
            (Some(r), _) => return Ok(sender.relays[r].rate_bps / 8.0),
            (None, Some(radio)) => radio,
            (None, None) => {
                return Err(Error::Internal {
                    context: format!("transfer {}", t.id),
                    message: "neither a radio nor a relay carries it".into(),
                })
            }
        };
        let position = |k: usize| -> Result<_> {
            self.spacecraft[k]
                .satellite
                .state_after(plans[k].orbit_offset_s + at_s)
        };
        let here = position(t.from)?;
        let (range_km, receiver_bps) = match (t.to, t.to_radio) {
            (Endpoint::Spacecraft(dst), Some(k)) => {
                let range_km = (here.position_km - position(dst)?.position_km).norm();
                (range_km, self.spacecraft[dst].radios[k].rate_bps(range_km))
            }
            (Endpoint::Station(s), _) => {
                let gmst = gmst_rad(TimeAxis::new(self.start, self.start).julian_date_ut1(at_s));
                let (r_ecef, _) = teme_to_ecef(&here.position_km, &here.velocity_km_s, gmst);
                (
                    (r_ecef - self.stations[s].position_ecef_km()).norm(),
                    f64::INFINITY,
                )
            }
            (Endpoint::Spacecraft(_), None) => unreachable!("a spacecraft end has a radio"),
        };
        Ok(sender.radios[radio].rate_bps(range_km).min(receiver_bps) / 8.0)
    }

    /// Puts a transfer's legs into both ends' plans: the sender draws its
    /// radio's (or relay's) power, the receiving spacecraft its radio's (none
    /// for a relay, whose receiving end is not modelled) and stores the bytes.
    fn add_legs(&self, t: &Transfer, progress: &Progress, plans: &mut [Plan]) {
        let sender = &self.spacecraft[t.from];
        let ground_radio_busy = matches!(t.to, Endpoint::Station(_))
            && t.radio.is_some()
            && sender.radios.iter().position(|r| !r.inter_satellite) == t.radio;
        let send_power_w = match (t.relay, t.radio) {
            (Some(r), _) => sender.relays[r].transmit_power_w,
            (None, Some(radio)) => sender.radios[radio].transmit_power_w,
            (None, None) => 0.0,
        };
        for leg in &progress.legs {
            let on = |what| Interval {
                start_s: leg.start_s,
                end_s: leg.end_s,
                what,
            };
            plans[t.from].legs.push(on(Leg {
                power_w: send_power_w,
                arriving: None,
                ground_radio_busy,
            }));
            if let (Endpoint::Spacecraft(dst), Some(p)) = (t.to, t.to_partition) {
                let radios = &self.spacecraft[dst].radios;
                plans[dst].legs.push(on(Leg {
                    power_w: t.to_radio.map_or(0.0, |radio| radios[radio].transmit_power_w),
                    arriving: Some((p, leg.what)),
                    ground_radio_busy: false,
                }));
            }
        }
    }

    /// How an active transfer has ended by `at_s` by itself: its last byte
    /// went, or its deadline passed.
    fn due(&self, t: &Transfer, p: &Progress, at_s: f64) -> Option<Outcome> {
        match p.completed_at_s {
            Some(done) if done <= at_s => Some(Outcome::Completed { at_s: done }),
            _ if t.deadline_s <= at_s => Some(self.incomplete(t, p, t.deadline_s, "timeout")),
            _ => None,
        }
    }

    /// The event that logs `outcome` of `t`.
    fn ended_event(&self, t: &Transfer, outcome: &Outcome) -> EventKind {
        let (transfer, to) = (t.id.clone(), self.endpoint_name(t.to));
        match outcome {
            Outcome::Completed { .. } => EventKind::TransferCompleted {
                transfer,
                to,
                bytes: t.bytes,
            },
            Outcome::Incomplete {
                bytes_left, reason, ..
            } => EventKind::TransferIncomplete {
                transfer,
                to,
                bytes_left: *bytes_left,
                reason: reason.clone(),
            },
        }
    }

    /// Completions and deadlines in (from_s, to_s], logged on both ends.
    pub(super) fn transfer_events(
        &self,
        progress: &[Progress],
        (from_s, to_s): (f64, f64),
    ) -> Vec<(f64, usize, EventKind)> {
        let mut events = Vec::new();
        for (t, p) in self.transfers.iter().zip(progress) {
            if t.outcome.is_some() {
                continue;
            }
            if let Some(outcome) = self.due(t, p, to_s).filter(|o| o.at_s() > from_s) {
                events.extend(on_both_ends(t, outcome.at_s(), self.ended_event(t, &outcome)));
            }
        }
        events
    }

    /// At a sync point `at_s`: transfers that completed or timed out by then
    /// end; one whose end failed or browned out ends incomplete now (logged);
    /// what an incomplete one did not send goes back to its partition.
    pub(super) fn settle_transfers(
        &mut self,
        progress: &[Progress],
        at_s: f64,
    ) -> Vec<(f64, usize, EventKind)> {
        let mut events = Vec::new();
        let mut changed = false;
        for (k, p) in progress.iter().enumerate().take(self.transfers.len()) {
            let t = &self.transfers[k];
            if t.outcome.is_some() {
                continue;
            }
            let outcome = self.due(t, p, at_s).or_else(|| {
                let outcome = self.incomplete(t, p, at_s, self.broken_end(t)?);
                events.extend(on_both_ends(t, at_s, self.ended_event(t, &outcome)));
                Some(outcome)
            });
            if let Some(outcome) = outcome {
                self.end_transfer(k, outcome);
                changed = true;
            }
        }
        if changed {
            self.plan_cache.with_schedule = None;
        }
        events
    }

    fn incomplete(&self, t: &Transfer, p: &Progress, at_s: f64, reason: &str) -> Outcome {
        Outcome::Incomplete {
            at_s,
            bytes_left: (t.left_bytes() - p.bytes_until(at_s)).max(0.0),
            reason: reason.to_string(),
        }
    }

    /// Why an end of `t` can no longer take part, if it cannot.
    fn broken_end(&self, t: &Transfer) -> Option<&'static str> {
        let ends = std::iter::once(t.from).chain(match t.to {
            Endpoint::Spacecraft(dst) => Some(dst),
            Endpoint::Station(_) => None,
        });
        for k in ends {
            let state = &self.states[k];
            if !state.radiation.alive {
                return Some("an end failed");
            }
            if state.power.browned_out {
                return Some("an end's battery is empty");
            }
        }
        None
    }

    /// Ends transfer `k`: what an incomplete one did not send goes back.
    fn end_transfer(&mut self, k: usize, outcome: Outcome) {
        let t = &self.transfers[k];
        if let Outcome::Incomplete { bytes_left, .. } = &outcome {
            for (p, bytes) in t.give_back(*bytes_left) {
                self.states[t.from].data.storage.store(p, bytes);
            }
        }
        self.transfers[k].outcome = Some(outcome);
    }

    /// At a block's end: every active transfer's bytes so far are counted
    /// and the next block plans from there.
    pub(super) fn roll_transfers(&mut self, progress: &[Progress], block_end_s: f64) {
        for (t, p) in self.transfers.iter_mut().zip(progress) {
            if t.outcome.is_none() {
                t.done_bytes += p.total_bytes();
                t.as_of_s = block_end_s;
            }
        }
    }
}

/// Bytes of `t` gone by `now` (`outcome`: how it has ended by then, if it has).
pub(super) fn sent_bytes(t: &Transfer, p: &Progress, outcome: Option<&Outcome>, now: f64) -> f64 {
    match outcome {
        Some(Outcome::Completed { .. }) => t.bytes,
        Some(Outcome::Incomplete { bytes_left, .. }) => t.bytes - bytes_left,
        None => (t.done_bytes + p.bytes_until(now)).min(t.bytes),
    }
}

/// What moves a transfer's bytes, one transfer at a time: a spacecraft's
/// radio or its relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Carrier {
    Radio { spacecraft: usize, radio: usize },
    Relay { spacecraft: usize, relay: usize },
}

/// The carriers a transfer occupies: the sender's radio and the receiver's
/// (spacecraft), or the sender's relay.
fn carriers(t: &Transfer) -> Vec<Carrier> {
    if let Some(relay) = t.relay {
        return vec![Carrier::Relay {
            spacecraft: t.from,
            relay,
        }];
    }
    let sender = t.radio.map(|radio| Carrier::Radio {
        spacecraft: t.from,
        radio,
    });
    let receiver = match (t.to, t.to_radio) {
        (Endpoint::Spacecraft(dst), Some(radio)) => Some(Carrier::Radio {
            spacecraft: dst,
            radio,
        }),
        _ => None,
    };
    sender.into_iter().chain(receiver).collect()
}

/// The windows a transfer may use in the sender's `plan`, clipped to the
/// block's end `to_s`: the relay's line of sight, the pair's line of sight
/// or the sender's contacts with the station.
fn transfer_windows(t: &Transfer, plan: &Plan, to_s: f64) -> Vec<(f64, f64)> {
    let clip = |start_s: f64, end_s: f64| (start_s, end_s.min(to_s));
    match (t.relay, t.to) {
        (Some(r), _) => (plan.relay_windows[r].iter())
            .map(|w| clip(w.start_s, w.end_s))
            .collect(),
        (None, Endpoint::Spacecraft(dst)) => (plan.peers.iter().filter(|w| w.what == dst))
            .map(|w| clip(w.start_s, w.end_s))
            .collect(),
        (None, Endpoint::Station(s)) => (plan.contacts.iter().filter(|c| c.what == s))
            .map(|c| clip(c.start_s, c.end_s))
            .collect(),
    }
}

/// `kind` at `at_s` on the sender and, when it is a spacecraft, the receiver
/// (so that either can wait for it).
fn on_both_ends(t: &Transfer, at_s: f64, kind: EventKind) -> Vec<(f64, usize, EventKind)> {
    match t.to {
        Endpoint::Spacecraft(dst) => vec![(at_s, t.from, kind.clone()), (at_s, dst, kind)],
        Endpoint::Station(_) => vec![(at_s, t.from, kind)],
    }
}
