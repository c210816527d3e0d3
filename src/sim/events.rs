//! What happened, when, to whom: the engine's event log.

use hifitime::Epoch;
use serde::{Deserialize, Serialize};

use crate::environment::eclipse::Light;
use crate::sim::onboard::DeferReason;

/// Why a spacecraft failed permanently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCause {
    /// A random radiation latch-up (`radiation.failure_per_s`).
    Radiation,
    /// The accumulated dose reached `radiation.dose_limit_rad`.
    TotalDose,
}

impl FailureCause {
    /// `"radiation"` or `"total_dose"` (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCause::Radiation => "radiation",
            FailureCause::TotalDose => "total_dose",
        }
    }
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// A missing name: `null` in a feed item reads as the empty name.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// One logged event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When (UTC).
    pub time: Epoch,
    /// Seconds since the simulation start (elapsed).
    pub elapsed_s: f64,
    /// Spacecraft name (empty for a rehearsal feed's items about no
    /// spacecraft, which serialise it as `null`).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub spacecraft: String,
    /// Index of the spacecraft in the simulation (0 for a feed's items about
    /// no spacecraft).
    #[serde(default)]
    pub spacecraft_index: usize,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// Light changed: `from`/`to` are `sunlit`, `penumbra` or `umbra`.
    LightChanged {
        /// Previous light.
        from: Light,
        /// New light.
        to: Light,
    },
    /// A ground station started tracking the spacecraft.
    ContactStarted {
        /// Station name.
        station: String,
    },
    /// The contact ended.
    ContactEnded {
        /// Station name.
        station: String,
        /// Bytes downlinked during the contact.
        bytes_downlinked: f64,
    },
    /// A pass over a station ended (or, for a pass that goes on past the end
    /// of a 6-h planning block, its part in the block ended) with some or all
    /// of it unserved: the spacecraft's radio could use the station, but every
    /// antenna served other spacecraft (see `StationAssignment`). Logged at
    /// the end of the pass; a pass that is served whole logs nothing.
    PassUnserved {
        /// Station name.
        station: String,
        /// Length of the pass (its part in the planning block), s.
        pass_s: f64,
        /// How much of it had no antenna, s.
        unserved_s: f64,
    },
    /// A peer came into line of sight over an inter-satellite link (logged
    /// on both ends).
    LinkStarted {
        /// The other spacecraft.
        peer: String,
    },
    /// The peer went out of line of sight.
    LinkEnded {
        /// The other spacecraft.
        peer: String,
    },
    /// Every byte of a transfer arrived (logged on both ends).
    TransferCompleted {
        /// The transfer's id (what `send` returned).
        transfer: String,
        /// The receiving spacecraft or station.
        to: String,
        /// Bytes moved.
        bytes: f64,
    },
    /// A transfer ended with bytes left, returned to the sender's partition
    /// (its timeout passed, or an end failed or browned out).
    TransferIncomplete {
        /// The transfer's id.
        transfer: String,
        /// The receiving spacecraft or station.
        to: String,
        /// Bytes that did not go.
        bytes_left: f64,
        /// Why.
        reason: String,
    },
    /// A relay window closed; what went through it.
    DataRelayed {
        /// Relay name.
        relay: String,
        /// Receiving spacecraft.
        peer: String,
        /// Bytes forwarded during the window.
        bytes: f64,
    },
    /// An activity started.
    ActivityStarted {
        /// Activity name.
        activity: String,
    },
    /// An activity completed (duration elapsed, input exhausted, or stopped).
    ActivityEnded {
        /// Activity name.
        activity: String,
        /// Why it ended.
        reason: String,
    },
    /// An activity was interrupted before completing.
    ActivityInterrupted {
        /// Activity name.
        activity: String,
        /// Why.
        reason: String,
    },
    /// A scheduled activity could not start.
    ActivityRejected {
        /// Activity name.
        activity: String,
        /// Every unmet precondition.
        reasons: Vec<String>,
    },
    /// The battery reached its minimum state of charge and loads were shed.
    LoadShed {
        /// The activity that was stopped, if any.
        activity: Option<String>,
    },
    /// The battery emptied: the bus browns out (demand goes unserved).
    BatteryEmpty,
    /// The battery recovered to its minimum state of charge after a brown-out.
    BatteryRecovered,
    /// A partition filled up.
    StorageFull {
        /// Partition name.
        partition: String,
    },
    /// Radiation corrupted stored data.
    DataCorrupted {
        /// Partition name.
        partition: String,
        /// Bytes lost.
        bytes: f64,
    },
    /// Radiation restarted the onboard computer.
    Restart,
    /// The spacecraft failed permanently.
    PermanentFailure {
        /// Why (serialised `radiation` or `total_dose`).
        cause: FailureCause,
    },
    /// The imager captured tiles.
    ImageCaptured {
        /// Tiles in the capture.
        tiles: u32,
        /// Bytes of the capture.
        bytes: f64,
        /// False when the partition was full and the capture was lost.
        stored: bool,
        /// Tiles of the capture kept unprocessed (moved to the computer's
        /// keep partition, for downlink as captured) because the queue's
        /// memory (`queue_memory_bytes`) was full.
        #[serde(default, skip_serializing_if = "is_zero_u32")]
        overflowed: u32,
    },
    /// The onboard computer started an inference job.
    JobStarted {
        /// Job (tile) id.
        job: u64,
        /// 1 for the first start, more for retries.
        attempt: u32,
        /// Simulated duration, s.
        latency_s: f64,
    },
    /// An inference job completed.
    JobCompleted {
        /// Job (tile) id.
        job: u64,
        /// Detected cloud fraction.
        cloud_fraction: f64,
        /// True when the tile is kept for downlink, false when deleted as cloudy.
        kept: bool,
    },
    /// An inference job ran but its model gave NaN or infinite values (a
    /// float16 overflow, or the model itself): no cloud fraction, so the
    /// downlink rule cannot judge the tile and it is kept, unprocessed.
    InferenceFailed {
        /// Job (tile) id.
        job: u64,
        /// Non-finite values in the output.
        non_finite: u64,
        /// The likely cause and what to do.
        reason: String,
    },
    /// An inference job was stopped before completing.
    JobPreempted {
        /// Job (tile) id.
        job: u64,
        /// Why.
        reason: String,
        /// True when it went back to the queue, false when its tile was dropped.
        requeued: bool,
    },
    /// Queued work started waiting.
    WorkDeferred {
        /// Why (serialised `power`, `thermal`, `eclipse` or `fault`).
        reason: DeferReason,
        /// Every unmet condition.
        detail: String,
        /// Jobs waiting.
        queued: usize,
    },
    /// Only in a rehearsal's feed (never in a simulation's log): the host fell
    /// behind the wall clock.
    PacingLag {
        /// How far the simulated clock was behind, s.
        lag_s: f64,
        /// How much the lag policy slowed the clock, s.
        slowed_by_s: f64,
    },
}

impl EventKind {
    /// Every kind's name (see [`EventKind::name`]).
    pub const NAMES: &'static [&'static str] = &[
        "light_changed",
        "contact_started",
        "contact_ended",
        "data_relayed",
        "activity_started",
        "activity_ended",
        "activity_interrupted",
        "activity_rejected",
        "load_shed",
        "battery_empty",
        "battery_recovered",
        "storage_full",
        "data_corrupted",
        "restart",
        "permanent_failure",
        "image_captured",
        "job_started",
        "job_completed",
        "job_preempted",
        "inference_failed",
        "work_deferred",
        "pacing_lag",
        "pass_unserved",
        "link_started",
        "link_ended",
        "transfer_completed",
        "transfer_incomplete",
    ];

    /// Short snake_case name of the kind.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::LightChanged { .. } => "light_changed",
            EventKind::ContactStarted { .. } => "contact_started",
            EventKind::ContactEnded { .. } => "contact_ended",
            EventKind::PassUnserved { .. } => "pass_unserved",
            EventKind::DataRelayed { .. } => "data_relayed",
            EventKind::LinkStarted { .. } => "link_started",
            EventKind::LinkEnded { .. } => "link_ended",
            EventKind::TransferCompleted { .. } => "transfer_completed",
            EventKind::TransferIncomplete { .. } => "transfer_incomplete",
            EventKind::ActivityStarted { .. } => "activity_started",
            EventKind::ActivityEnded { .. } => "activity_ended",
            EventKind::ActivityInterrupted { .. } => "activity_interrupted",
            EventKind::ActivityRejected { .. } => "activity_rejected",
            EventKind::LoadShed { .. } => "load_shed",
            EventKind::BatteryEmpty => "battery_empty",
            EventKind::BatteryRecovered => "battery_recovered",
            EventKind::StorageFull { .. } => "storage_full",
            EventKind::DataCorrupted { .. } => "data_corrupted",
            EventKind::Restart => "restart",
            EventKind::PermanentFailure { .. } => "permanent_failure",
            EventKind::ImageCaptured { .. } => "image_captured",
            EventKind::JobStarted { .. } => "job_started",
            EventKind::JobCompleted { .. } => "job_completed",
            EventKind::JobPreempted { .. } => "job_preempted",
            EventKind::InferenceFailed { .. } => "inference_failed",
            EventKind::WorkDeferred { .. } => "work_deferred",
            EventKind::PacingLag { .. } => "pacing_lag",
        }
    }

    /// Order among events at the same instant: endings before beginnings, so a
    /// station handed over at one instant reads as released, then taken.
    pub fn rank(&self) -> u8 {
        match self {
            EventKind::ContactEnded { .. }
            | EventKind::ActivityEnded { .. }
            | EventKind::ActivityInterrupted { .. }
            | EventKind::DataRelayed { .. }
            | EventKind::LinkEnded { .. }
            | EventKind::TransferCompleted { .. }
            | EventKind::TransferIncomplete { .. }
            | EventKind::PassUnserved { .. }
            | EventKind::JobCompleted { .. }
            | EventKind::InferenceFailed { .. }
            | EventKind::JobPreempted { .. } => 0,
            _ => 1,
        }
    }

    /// Human-readable details (empty when the name says it all).
    pub fn detail(&self) -> String {
        if let Some(detail) = self.onboard_detail() {
            return detail;
        }
        match self {
            EventKind::LightChanged { from, to } => format!("{from} -> {to}"),
            EventKind::ContactStarted { station } => station.clone(),
            EventKind::ContactEnded {
                station,
                bytes_downlinked,
            } => format!("{station}: {bytes_downlinked:.0} bytes"),
            EventKind::PassUnserved {
                station,
                pass_s,
                unserved_s,
            } => format!("{station}: {unserved_s:.0} s of a {pass_s:.0} s pass without an antenna"),
            EventKind::DataRelayed { relay, peer, bytes } => format!("{relay} -> {peer}: {bytes:.0} bytes"),
            EventKind::LinkStarted { peer } | EventKind::LinkEnded { peer } => peer.clone(),
            EventKind::TransferCompleted { transfer, to, bytes } => {
                format!("{transfer} -> {to}: {bytes:.0} bytes")
            }
            EventKind::TransferIncomplete {
                transfer,
                to,
                bytes_left,
                reason,
            } => format!("{transfer} -> {to}: {bytes_left:.0} bytes left ({reason})"),
            EventKind::ActivityStarted { activity } => activity.clone(),
            EventKind::ActivityEnded { activity, reason }
            | EventKind::ActivityInterrupted { activity, reason } => {
                format!("{activity}: {reason}")
            }
            EventKind::ActivityRejected { activity, reasons } => {
                format!("{activity}: {}", reasons.join("; "))
            }
            EventKind::LoadShed { activity } => activity.clone().unwrap_or_default(),
            EventKind::StorageFull { partition } => partition.clone(),
            EventKind::DataCorrupted { partition, bytes } => format!("{partition}: {bytes:.0} bytes"),
            EventKind::PermanentFailure { cause } => cause.as_str().to_string(),
            EventKind::PacingLag { lag_s, slowed_by_s } => {
                format!("{lag_s:.3} s behind the wall clock (slowed by {slowed_by_s:.3} s)")
            }
            EventKind::BatteryEmpty | EventKind::BatteryRecovered | EventKind::Restart => String::new(),
            // Imaging and inference: detailed by onboard_detail.
            _ => String::new(),
        }
    }

    /// [`Self::detail`] of the imaging and inference kinds (`None` for the others).
    fn onboard_detail(&self) -> Option<String> {
        let detail = match self {
            EventKind::ImageCaptured {
                tiles,
                bytes,
                stored,
                overflowed,
            } => {
                let overflow = if *overflowed > 0 {
                    format!(" ({overflowed} kept unprocessed: queue memory full)")
                } else {
                    String::new()
                };
                format!(
                    "{tiles} tiles, {bytes:.0} bytes{}{overflow}",
                    if *stored { "" } else { " (storage full: lost)" }
                )
            }
            EventKind::JobStarted {
                job,
                attempt,
                latency_s,
            } => {
                format!("tile {job}, attempt {attempt}, {latency_s:.3} s")
            }
            EventKind::JobCompleted {
                job,
                cloud_fraction,
                kept,
            } => format!(
                "tile {job}: {:.0} % cloud, {}",
                cloud_fraction * 100.0,
                if *kept { "kept" } else { "dropped" }
            ),
            EventKind::InferenceFailed {
                job,
                non_finite,
                reason,
            } => format!("tile {job}: {non_finite} non-finite output value(s), kept unprocessed ({reason})"),
            EventKind::JobPreempted {
                job,
                reason,
                requeued,
            } => {
                format!(
                    "tile {job}: {reason}{}",
                    if *requeued { " (requeued)" } else { " (dropped)" }
                )
            }
            EventKind::WorkDeferred {
                reason,
                detail,
                queued,
            } => format!("{}: {detail} ({queued} queued)", reason.name()),
            _ => return None,
        };
        Some(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    /// `NAMES` lists exactly the names `EventKind::name` gives (read from
    /// this file's source, so that a new kind cannot be left out).
    #[test]
    fn every_kind_name_is_listed() {
        let source = include_str!("events.rs");
        let body = &source[source.find("pub fn name(&self)").unwrap()..];
        let body = &body[..body.find("\n    }\n").unwrap()];
        let mut named: Vec<&str> = body
            .lines()
            .filter_map(|l| l.split("=> \"").nth(1))
            .map(|rest| rest.trim_end_matches("\","))
            .collect();
        let mut listed = EventKind::NAMES.to_vec();
        named.sort_unstable();
        listed.sort_unstable();
        assert_eq!(named, listed);
    }
}
