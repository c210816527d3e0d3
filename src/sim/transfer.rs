//! Transfers: a number of bytes moved from one spacecraft's partition to
//! another spacecraft or a ground station, at the link's rate while the two
//! are in view, pausing outside windows.
//!
//! **Bytes are conserved.** `send` reserves the bytes at once (they leave the
//! partition and are held by the transfer, so no downlink takes them
//! meanwhile); they arrive at the other end as the legs go (a full store at
//! the other end drops what does not fit, counted there); what is left when a
//! transfer ends incomplete goes back to the partition it came from.
//!
//! **Legs.** Within a planning block a transfer's progress is known in
//! advance: its windows (the pair's line of sight, or the sender's assigned
//! contacts with the station) cut into *legs* at the link's rate (constant
//! for fixed-rate radios; taken at the middle of pieces of at most
//! [`LEG_PIECE_S`] for link-budget radios, whose rate follows the range).
//! The legs are breakpoints of both ends, which draw their radio's power
//! during them; the receiving end's storage fills at the leg's rate. A
//! transfer ends *completed* inside its last leg, or *incomplete* at its
//! deadline or at a sync point where either end has failed or browned out.
//!
//! **Relays** are standing orders served the same way: a relay's transfer
//! (id `R1`, `R2`, … apart from the `T…` of `send`) goes over the relay's own
//! line of sight at its rate, drawing its power on the sender only, and may
//! take its bytes from several partitions (sent in the relay's order; what is
//! left goes back to the last ones first). See [`crate::sim::simulation`]'s
//! `relays` for when the engine starts one.

use serde::{Deserialize, Serialize};

use crate::sim::plan::Interval;

/// Longest piece of a window taken at one rate when the rate follows the
/// range (link-budget radios), s.
pub const LEG_PIECE_S: f64 = 60.0;

/// Where a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Endpoint {
    /// Another spacecraft (index), over inter-satellite radios.
    Spacecraft(usize),
    /// A ground station (index), over the sender's ground radio.
    Station(usize),
}

/// Why a transfer ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub(crate) enum Outcome {
    /// Every byte arrived.
    Completed {
        /// When, s since the start.
        at_s: f64,
    },
    /// It stopped with bytes left (returned to the sender's partition).
    Incomplete {
        /// When, s since the start.
        at_s: f64,
        /// Bytes that did not go.
        bytes_left: f64,
        /// Why.
        reason: String,
    },
}

impl Outcome {
    /// When it ended, s.
    pub(crate) fn at_s(&self) -> f64 {
        match self {
            Outcome::Completed { at_s } | Outcome::Incomplete { at_s, .. } => *at_s,
        }
    }
}

/// One transfer: the request and how far it has got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Transfer {
    /// Its id (`T1`, `T2`, … in the order of `send`; `R1`, `R2`, … in the
    /// order relays started theirs).
    pub(crate) id: String,
    /// The sending spacecraft.
    pub(crate) from: usize,
    /// The receiving end.
    pub(crate) to: Endpoint,
    /// The sender's partition the bytes come from (the first of `taken`, for
    /// a relay's transfer).
    pub(crate) partition: usize,
    /// A relay's transfer: the bytes taken from each source partition, in the
    /// order they go (empty for a send: all from `partition`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) taken: Vec<(usize, f64)>,
    /// The receiver's partition (spacecraft only).
    pub(crate) to_partition: Option<usize>,
    /// The sender's radio (none for a relay's transfer).
    pub(crate) radio: Option<usize>,
    /// The receiver's radio (spacecraft only; none for a relay's transfer).
    pub(crate) to_radio: Option<usize>,
    /// The sender's relay whose standing order this is (its line of sight,
    /// rate and power instead of radios').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) relay: Option<usize>,
    /// Bytes asked for.
    pub(crate) bytes: f64,
    /// When `send` was called, s.
    pub(crate) sent_at_s: f64,
    /// No byte moves after this instant, s (∞ without a timeout).
    pub(crate) deadline_s: f64,
    /// Bytes that had gone by `as_of_s`.
    pub(crate) done_bytes: f64,
    /// Where `done_bytes` was counted, s: the send time or a later block start.
    pub(crate) as_of_s: f64,
    /// Set once it ended.
    pub(crate) outcome: Option<Outcome>,
}

impl Transfer {
    /// Bytes still to go at `as_of_s`.
    pub(crate) fn left_bytes(&self) -> f64 {
        (self.bytes - self.done_bytes).max(0.0)
    }

    /// Where `bytes_left` (what did not go) returns: (partition, bytes). The
    /// bytes go in the order they were taken, so what is left is the tail.
    pub(crate) fn give_back(&self, bytes_left: f64) -> Vec<(usize, f64)> {
        if self.taken.is_empty() {
            return vec![(self.partition, bytes_left)];
        }
        let mut left = bytes_left;
        let mut back = Vec::new();
        for &(p, bytes) in self.taken.iter().rev() {
            if left <= 0.0 {
                break;
            }
            let share = left.min(bytes);
            back.push((p, share));
            left -= share;
        }
        back
    }
}

/// A transfer's legs over one planning block and where they leave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Progress {
    /// The legs, labelled with their rate (bytes/s), sorted.
    pub(crate) legs: Vec<Interval<f64>>,
    /// When the last byte goes, if within the block.
    pub(crate) completed_at_s: Option<f64>,
}

impl Progress {
    /// Bytes moved by the legs up to `t`.
    pub(crate) fn bytes_until(&self, t: f64) -> f64 {
        self.legs.iter().map(|l| l.what * l.overlap_s(l.start_s, t)).sum()
    }

    /// Bytes moved by every leg.
    pub(crate) fn total_bytes(&self) -> f64 {
        self.bytes_until(f64::INFINITY)
    }

    /// Bytes moved by the legs within [from_s, to_s].
    pub(crate) fn bytes_between(&self, from_s: f64, to_s: f64) -> f64 {
        self.legs.iter().map(|l| l.what * l.overlap_s(from_s, to_s)).sum()
    }
}

/// Cuts `windows` (sorted, disjoint, clipped to the block) into legs from
/// `from_s` until `left_bytes` have gone or `until_s`, at `rate(piece start,
/// piece end)` bytes/s per piece; `piece_s` bounds a piece (∞: one per window).
pub(crate) fn legs(
    windows: &[(f64, f64)],
    (from_s, until_s): (f64, f64),
    mut left_bytes: f64,
    piece_s: f64,
    rate: &mut dyn FnMut(f64, f64) -> crate::error::Result<f64>,
) -> crate::error::Result<Progress> {
    let mut progress = Progress::default();
    for &(start, end) in windows {
        let (mut t, end) = (start.max(from_s), end.min(until_s));
        while t < end && left_bytes > 0.0 {
            let piece_end = (t + piece_s).min(end);
            let bytes_s = rate(t, piece_end)?;
            if bytes_s <= 0.0 {
                t = piece_end;
                continue;
            }
            let finish = t + left_bytes / bytes_s;
            let leg_end = finish.min(piece_end);
            progress.legs.push(Interval {
                start_s: t,
                end_s: leg_end,
                what: bytes_s,
            });
            if finish <= piece_end {
                progress.completed_at_s = Some(finish);
                return Ok(progress);
            }
            left_bytes -= bytes_s * (piece_end - t);
            t = piece_end;
        }
    }
    Ok(progress)
}

/// `windows` (sorted, disjoint) without the `busy` spans (any order): a
/// radio moves one transfer at a time, so a later transfer only gets the
/// time earlier ones leave.
pub(crate) fn without(windows: &[(f64, f64)], busy: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut busy = busy.to_vec();
    busy.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut free = Vec::new();
    for &(start, end) in windows {
        let mut t = start;
        for &(b0, b1) in busy.iter().filter(|b| b.1 > start && b.0 < end) {
            if b0 > t {
                free.push((t, b0));
            }
            t = t.max(b1);
        }
        if t < end {
            free.push((t, end));
        }
    }
    free
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay_transfer(taken: Vec<(usize, f64)>) -> Transfer {
        Transfer {
            id: "R1".into(),
            from: 0,
            to: Endpoint::Spacecraft(1),
            partition: taken.first().map_or(0, |t| t.0),
            taken,
            to_partition: Some(0),
            radio: None,
            to_radio: None,
            relay: Some(0),
            bytes: 0.0,
            sent_at_s: 0.0,
            deadline_s: f64::INFINITY,
            done_bytes: 0.0,
            as_of_s: 0.0,
            outcome: None,
        }
    }

    #[test]
    fn what_a_relay_did_not_send_goes_back_to_the_last_partitions_first() {
        let t = relay_transfer(vec![(2, 100.0), (0, 50.0), (1, 30.0)]);
        // 60 left: the last 30 of partition 1, then 30 of partition 0's 50.
        assert_eq!(t.give_back(60.0), vec![(1, 30.0), (0, 30.0)]);
        assert_eq!(t.give_back(0.0), Vec::<(usize, f64)>::new());
        assert_eq!(t.give_back(180.0), vec![(1, 30.0), (0, 50.0), (2, 100.0)]);
        let send = Transfer {
            partition: 3,
            ..relay_transfer(vec![])
        };
        assert_eq!(send.give_back(7.0), vec![(3, 7.0)]);
    }

    #[test]
    fn bytes_between_counts_only_the_legs_inside() {
        let p = legs(
            &[(0.0, 10.0), (20.0, 30.0)],
            (0.0, f64::INFINITY),
            1e9,
            f64::INFINITY,
            &mut fixed(2.0),
        )
        .unwrap();
        assert_eq!(p.bytes_between(5.0, 25.0), 2.0 * (5.0 + 5.0));
        assert_eq!(p.bytes_between(10.0, 20.0), 0.0);
    }

    #[test]
    fn busy_spans_are_cut_out_of_the_windows() {
        let windows = [(0.0, 100.0), (200.0, 300.0)];
        let busy = [(250.0, 260.0), (-5.0, 10.0), (50.0, 220.0)];
        assert_eq!(
            without(&windows, &busy),
            vec![(10.0, 50.0), (220.0, 250.0), (260.0, 300.0)]
        );
        assert_eq!(without(&windows, &[]), windows.to_vec());
    }

    fn fixed(bytes_s: f64) -> impl FnMut(f64, f64) -> crate::error::Result<f64> {
        move |_, _| Ok(bytes_s)
    }

    #[test]
    fn a_transfer_pauses_between_windows_and_completes_inside_one() {
        let windows = [(100.0, 200.0), (500.0, 600.0)];
        // 150 bytes at 1 B/s from t = 120: 80 s in the first window, 70 in the second.
        let p = legs(
            &windows,
            (120.0, f64::INFINITY),
            150.0,
            f64::INFINITY,
            &mut fixed(1.0),
        )
        .unwrap();
        assert_eq!(p.legs.len(), 2);
        assert_eq!((p.legs[0].start_s, p.legs[0].end_s), (120.0, 200.0));
        assert_eq!((p.legs[1].start_s, p.legs[1].end_s), (500.0, 570.0));
        assert_eq!(p.completed_at_s, Some(570.0));
        assert_eq!(p.total_bytes(), 150.0);
        assert_eq!(p.bytes_until(550.0), 130.0);
    }

    #[test]
    fn a_deadline_stops_the_legs_without_completing() {
        let windows = [(0.0, 100.0)];
        let p = legs(&windows, (0.0, 40.0), 1_000.0, f64::INFINITY, &mut fixed(2.0)).unwrap();
        assert_eq!(p.legs.len(), 1);
        assert_eq!(p.legs[0].end_s, 40.0);
        assert_eq!(p.completed_at_s, None);
        assert_eq!(p.total_bytes(), 80.0);
    }

    #[test]
    fn pieces_take_the_rate_of_their_own_span() {
        let windows = [(0.0, 150.0)];
        let mut rate = |a: f64, _b: f64| Ok(if a < 60.0 { 1.0 } else { 2.0 });
        let p = legs(&windows, (0.0, f64::INFINITY), 1e9, 60.0, &mut rate).unwrap();
        let spans: Vec<(f64, f64, f64)> = p.legs.iter().map(|l| (l.start_s, l.end_s, l.what)).collect();
        assert_eq!(
            spans,
            vec![(0.0, 60.0, 1.0), (60.0, 120.0, 2.0), (120.0, 150.0, 2.0)]
        );
        assert_eq!(p.total_bytes(), 60.0 + 180.0);
    }
}
