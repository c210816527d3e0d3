//! How a [`SpacecraftState`] is stored in a checkpoint: flat, one field per
//! quantity, as checkpoints of version 1 laid it out before the state was
//! split into subsystem parts. Keeping the stored layout apart from the
//! in-memory one lets the engine's structure change while every checkpoint
//! written so far still loads (fields added since default when absent).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    ActivityState, Cursors, DataState, PowerState, RadiationState, Resume, Running, SpacecraftState,
};
use crate::environment::eclipse::Light;
use crate::sim::onboard::OnboardState;
use crate::spacecraft::power::{Battery, EnergyLedger};
use crate::spacecraft::radiation::EventStream;
use crate::spacecraft::storage::Storage;

/// The stored layout (field names and order are the checkpoint format).
#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    battery: Option<Battery>,
    temperature_k: f64,
    storage: Storage,
    streams: Vec<EventStream>,
    dose_rad: f64,
    alive: bool,
    browned_out: bool,
    running: Option<Running>,
    last_auto_start_s: Vec<f64>,
    ledger: EnergyLedger,
    #[serde(default)]
    ledger_carry: EnergyLedger,
    light: Light,
    contact: Option<usize>,
    contact_bytes: f64,
    downlinked_bytes: f64,
    #[serde(default)]
    downlinked_partition_bytes: Vec<f64>,
    properties: BTreeMap<String, f64>,
    #[serde(default)]
    relay_window_bytes: Vec<f64>,
    #[serde(default)]
    relayed_bytes: Vec<f64>,
    #[serde(default)]
    received_bytes: f64,
    #[serde(default)]
    arrivals_dropped_bytes: f64,
    #[serde(default)]
    onboard: Option<OnboardState>,
    #[serde(default)]
    external_loads: BTreeMap<String, f64>,
    #[serde(default)]
    external_load_ends: BTreeMap<String, f64>,
    #[serde(default)]
    scheduled_handled_s: Option<f64>,
    #[serde(default)]
    captures_handled_s: Option<f64>,
    #[serde(default)]
    last_stop_s: Vec<f64>,
    #[serde(default)]
    resume: Option<Box<Resume>>,
    /// Written only when an activity is held (so that runs without
    /// `resume_soc` write the bytes they wrote before it existed); absent:
    /// none is held.
    #[serde(default, skip_serializing_if = "none_held")]
    charge_held: Vec<bool>,
}

fn none_held(held: &[bool]) -> bool {
    !held.contains(&true)
}

impl From<SpacecraftState> for Stored {
    fn from(s: SpacecraftState) -> Self {
        let (power, data, radiation, activities) = (s.power, s.data, s.radiation, s.activities);
        Stored {
            battery: power.battery,
            temperature_k: s.temperature_k,
            storage: data.storage,
            streams: radiation.streams,
            dose_rad: radiation.dose_rad,
            alive: radiation.alive,
            browned_out: power.browned_out,
            running: activities.running,
            last_auto_start_s: activities.last_auto_start_s,
            ledger: power.ledger,
            ledger_carry: power.ledger_carry,
            light: s.light,
            contact: data.contact,
            contact_bytes: data.contact_bytes,
            downlinked_bytes: data.downlinked_bytes,
            downlinked_partition_bytes: data.downlinked_partition_bytes,
            properties: s.properties,
            relay_window_bytes: data.relay_window_bytes,
            relayed_bytes: data.relayed_bytes,
            received_bytes: data.received_bytes,
            arrivals_dropped_bytes: data.arrivals_dropped_bytes,
            onboard: s.onboard,
            external_loads: activities.external_loads,
            external_load_ends: activities.external_load_ends,
            scheduled_handled_s: activities.scheduled_handled_s,
            captures_handled_s: s.captures_handled_s,
            last_stop_s: activities.last_stop_s,
            resume: s.resume,
            charge_held: activities.charge_held,
        }
    }
}

impl From<Stored> for SpacecraftState {
    fn from(s: Stored) -> Self {
        // Absent (not held, or written before holds existed): one flag per activity.
        let charge_held = if s.charge_held.is_empty() {
            vec![false; s.last_auto_start_s.len()]
        } else {
            s.charge_held
        };
        SpacecraftState {
            power: PowerState {
                battery: s.battery,
                browned_out: s.browned_out,
                ledger: s.ledger,
                ledger_carry: s.ledger_carry,
            },
            temperature_k: s.temperature_k,
            data: DataState {
                storage: s.storage,
                contact: s.contact,
                contact_bytes: s.contact_bytes,
                downlinked_bytes: s.downlinked_bytes,
                downlinked_partition_bytes: s.downlinked_partition_bytes,
                relay_window_bytes: s.relay_window_bytes,
                relayed_bytes: s.relayed_bytes,
                received_bytes: s.received_bytes,
                arrivals_dropped_bytes: s.arrivals_dropped_bytes,
            },
            radiation: RadiationState {
                streams: s.streams,
                dose_rad: s.dose_rad,
                alive: s.alive,
            },
            activities: ActivityState {
                running: s.running,
                last_auto_start_s: s.last_auto_start_s,
                last_stop_s: s.last_stop_s,
                charge_held,
                scheduled_handled_s: s.scheduled_handled_s,
                external_loads: s.external_loads,
                external_load_ends: s.external_load_ends,
            },
            light: s.light,
            properties: s.properties,
            onboard: s.onboard,
            captures_handled_s: s.captures_handled_s,
            resume: s.resume,
            cursors: Cursors::default(),
        }
    }
}
