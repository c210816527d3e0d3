//! What happened, when, to whom: the engine's event log.

use hifitime::Epoch;
use serde::{Deserialize, Serialize};

/// One logged event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When (UTC).
    pub time: Epoch,
    /// Seconds since the simulation start (elapsed).
    pub elapsed_s: f64,
    /// Spacecraft name.
    pub spacecraft: String,
    /// Index of the spacecraft in the simulation.
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
        from: String,
        /// New light.
        to: String,
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
        /// `radiation` (random latch-up) or `total_dose`.
        cause: String,
    },
}

impl EventKind {
    /// Short snake_case name of the kind.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::LightChanged { .. } => "light_changed",
            EventKind::ContactStarted { .. } => "contact_started",
            EventKind::ContactEnded { .. } => "contact_ended",
            EventKind::DataRelayed { .. } => "data_relayed",
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
        }
    }

    /// Order among events at the same instant: endings before beginnings, so a
    /// station handed over at one instant reads as released, then taken.
    pub fn rank(&self) -> u8 {
        match self {
            EventKind::ContactEnded { .. }
            | EventKind::ActivityEnded { .. }
            | EventKind::ActivityInterrupted { .. }
            | EventKind::DataRelayed { .. } => 0,
            _ => 1,
        }
    }

    /// Human-readable details (empty when the name says it all).
    pub fn detail(&self) -> String {
        match self {
            EventKind::LightChanged { from, to } => format!("{from} -> {to}"),
            EventKind::ContactStarted { station } => station.clone(),
            EventKind::ContactEnded {
                station,
                bytes_downlinked,
            } => format!("{station}: {bytes_downlinked:.0} bytes"),
            EventKind::DataRelayed { relay, peer, bytes } => format!("{relay} -> {peer}: {bytes:.0} bytes"),
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
            EventKind::PermanentFailure { cause } => cause.clone(),
            EventKind::BatteryEmpty | EventKind::BatteryRecovered | EventKind::Restart => String::new(),
        }
    }
}
