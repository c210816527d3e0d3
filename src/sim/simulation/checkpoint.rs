//! Checkpoints: a simulation as bytes, and back — checked before it is used.
//!
//! The bytes are two MessagePack values: a header `{format:
//! "orbitedge-checkpoint", version: 1}`, then the simulation (exact for every
//! `f64`, NaN and infinities included). The header comes first and alone, so
//! bytes from another program or another checkpoint version are refused by
//! name — before, and without, decoding a body that may not fit.
//!
//! Restoring checks every invariant the engine relies on, because the engine
//! indexes, loops and divides on the strength of them: a crafted or corrupted
//! checkpoint must give [`Error::Checkpoint`] saying what is wrong and where,
//! never a panic, a hang or a silently wrong run. The configuration is checked
//! as [`Simulation::with_config`] checks a new simulation (whose fresh states
//! also give the shape each restored state must have); then every state, the
//! schedule, the station assignment, the event log and the telemetry.

use std::fmt::Display;

use serde::{Deserialize, Serialize};

use super::Simulation;
use crate::compute::scheduler::Job;
use crate::error::{Error, Result};
use crate::orbit::Orbit;
use crate::sim::hooks::SpacecraftHooks;
use crate::sim::onboard::OnboardState;
use crate::sim::state::SpacecraftState;
use crate::spacecraft::radiation::EventStream;
use crate::spacecraft::Spacecraft;

/// What the envelope's `format` says.
pub const FORMAT: &str = "orbitedge-checkpoint";
/// The checkpoint version this build writes and reads.
pub const VERSION: u32 = 1;

/// Slack for float rounding in "within capacity" checks, relative to the
/// range: a full battery or storage is filled by `x + (capacity − x)`, which
/// can exceed the capacity by an ulp or two; an emptied battery may sit as
/// much below zero. (1e-12 of 64 GB is 0.06 bytes.)
const RELATIVE_SLACK: f64 = 1e-12;
/// Time slack, s (the engine's own tolerance for "at the same instant").
const TIME_SLACK_S: f64 = 1e-9;

/// The header: what the bytes are. Fields are optional so that a header
/// without them (or a bare simulation, as written before version 1) is
/// refused with a message that says so.
#[derive(Serialize, Deserialize)]
struct Header {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    version: Option<u32>,
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::Checkpoint {
        reason: reason.into(),
    }
}

/// The checkpoint bytes of `sim`: refused, by name, for a spacecraft on a
/// custom orbit (its states come from code, which bytes cannot carry).
pub(super) fn encode(sim: &Simulation) -> Result<Vec<u8>> {
    if let Some(sc) = (sim.spacecraft.iter()).find(|sc| matches!(sc.satellite.orbit, Orbit::Custom(_))) {
        return Err(invalid(format!(
            "spacecraft {:?} follows a custom orbit (states computed by code, e.g. \
             Satellite.from_callable), which a checkpoint cannot hold; to checkpoint it, give it a \
             tabulated ephemeris of those states instead (Satellite.from_ephemeris)",
            sc.name
        )));
    }
    let header = Header {
        format: Some(FORMAT.into()),
        version: Some(VERSION),
    };
    let fail = |e: rmp_serde::encode::Error| invalid(format!("cannot encode the simulation: {e}"));
    let mut bytes = rmp_serde::to_vec_named(&header).map_err(fail)?;
    rmp_serde::encode::write_named(&mut bytes, sim).map_err(fail)?;
    Ok(bytes)
}

/// A simulation from checkpoint bytes, checked (hooks empty: re-attach them).
pub(super) fn decode(bytes: &[u8]) -> Result<Simulation> {
    let mut reader = rmp_serde::Deserializer::new(std::io::Cursor::new(bytes));
    let header = Header::deserialize(&mut reader)
        .map_err(|e| invalid(format!("not an orbitedge checkpoint (cannot be decoded: {e})")))?;
    check_header(&header)?;
    let mut simulation = Simulation::deserialize(&mut reader)
        .map_err(|e| invalid(format!("the simulation cannot be decoded: {e}")))?;
    let trailing = bytes.len() as u64 - reader.position();
    if trailing != 0 {
        return Err(invalid(format!("{trailing} bytes follow the simulation")));
    }
    let telemetry = &mut simulation.telemetry;
    if telemetry.peers_in_view.is_empty() {
        // Written before inter-satellite links: no peer was ever in view.
        telemetry.peers_in_view = vec![0; telemetry.len()];
    }
    if telemetry.queued_tiles.is_empty() && telemetry.queue_age_s.is_empty() {
        // Written before the queue columns: filled as for no queue.
        telemetry.queued_tiles = vec![0; telemetry.len()];
        telemetry.queue_age_s = vec![0.0; telemetry.len()];
    }
    validate(&simulation)?;
    simulation.hooks = vec![SpacecraftHooks::default(); simulation.spacecraft.len()];
    simulation.latest = Vec::new();
    Ok(simulation)
}

fn check_header(header: &Header) -> Result<()> {
    match (header.format.as_deref(), header.version) {
        (Some(FORMAT), Some(VERSION)) => Ok(()),
        (Some(FORMAT), Some(version)) => Err(invalid(format!(
            "version {version} is not supported; this orbitedge reads version {VERSION}"
        ))),
        (Some(FORMAT), None) => Err(invalid("the header has no version")),
        (Some(other), _) => Err(invalid(format!("format {other:?} is not {FORMAT:?}"))),
        (None, _) => Err(invalid(format!(
            "no format and version header: not an orbitedge checkpoint, or one written before \
             checkpoint version {VERSION} (re-create it with this version)"
        ))),
    }
}

/// Transfers name spacecraft, stations, partitions and radios that exist,
/// and their byte counts and instants are consistent.
fn validate_transfers(sim: &Simulation) -> Result<()> {
    use crate::sim::transfer::Endpoint;
    for (k, t) in sim.transfers.iter().enumerate() {
        let at = format!("transfers[{k}]");
        index(format_args!("{at}.from"), t.from, sim.spacecraft.len())?;
        let sender = &sim.spacecraft[t.from];
        index(
            format_args!("{at}.partition"),
            t.partition,
            sender.storage.partitions.len(),
        )?;
        match (t.radio, t.relay) {
            (Some(radio), None) if t.taken.is_empty() => {
                index(format_args!("{at}.radio"), radio, sender.radios.len())?
            }
            (None, Some(relay)) => validate_relay_transfer(sim, t, relay, &at)?,
            _ => {
                return Err(invalid(format!(
                    "{at}: goes over exactly one of a radio and a relay (only a relay's takes from several partitions)"
                )))
            }
        }
        match (t.to, t.to_partition, t.to_radio, t.relay) {
            (Endpoint::Spacecraft(dst), Some(p), to_radio, relay)
                if to_radio.is_some() != relay.is_some() =>
            {
                index(format_args!("{at}.to"), dst, sim.spacecraft.len())?;
                index(
                    format_args!("{at}.to_partition"),
                    p,
                    sim.spacecraft[dst].storage.partitions.len(),
                )?;
                if let Some(r) = to_radio {
                    index(format_args!("{at}.to_radio"), r, sim.spacecraft[dst].radios.len())?;
                }
            }
            (Endpoint::Station(s), None, None, None) => {
                index(format_args!("{at}.to"), s, sim.stations.len())?
            }
            _ => {
                return Err(invalid(format!(
                    "{at}: the receiving end does not match its partition, radio and relay"
                )))
            }
        }
        finite_at_least(format_args!("{at}.bytes"), t.bytes, 0.0)?;
        within(format_args!("{at}.done_bytes"), t.done_bytes, 0.0, t.bytes)?;
        within(format_args!("{at}.sent_at_s"), t.sent_at_s, 0.0, sim.elapsed_s)?;
        within(
            format_args!("{at}.as_of_s"),
            t.as_of_s,
            t.sent_at_s,
            sim.elapsed_s,
        )?;
        if t.deadline_s.is_nan() || t.deadline_s < t.sent_at_s {
            return Err(invalid(format!("{at}.deadline_s is before it was sent")));
        }
    }
    Ok(())
}

/// A relay's transfer: the sender's relay, to its peer, its bytes taken
/// from the sender's partitions adding up to what it carries.
fn validate_relay_transfer(
    sim: &Simulation,
    t: &crate::sim::transfer::Transfer,
    relay: usize,
    at: &str,
) -> Result<()> {
    let sender = &sim.spacecraft[t.from];
    index(format_args!("{at}.relay"), relay, sender.relays.len())?;
    let peer = sim
        .spacecraft
        .iter()
        .position(|s| s.name == sender.relays[relay].peer);
    if t.to != crate::sim::transfer::Endpoint::Spacecraft(peer.unwrap_or(usize::MAX)) {
        return Err(invalid(format!("{at}: does not go to its relay's peer")));
    }
    if t.taken.first().map(|&(p, _)| p) != Some(t.partition) {
        return Err(invalid(format!("{at}.taken: must start with its partition")));
    }
    let mut total = 0.0;
    for (k, &(p, bytes)) in t.taken.iter().enumerate() {
        index(
            format_args!("{at}.taken[{k}]"),
            p,
            sender.storage.partitions.len(),
        )?;
        finite_at_least(format_args!("{at}.taken[{k}] bytes"), bytes, 0.0)?;
        total += bytes;
    }
    if total.to_bits() != t.bytes.to_bits() {
        return Err(invalid(format!(
            "{at}.taken: adds up to {total} bytes, not the {} it carries",
            t.bytes
        )));
    }
    Ok(())
}

/// Every invariant of a restored simulation.
fn validate(sim: &Simulation) -> Result<()> {
    finite_at_least("elapsed_s", sim.elapsed_s, 0.0)?;
    let fresh = Simulation::with_config(
        sim.start,
        sim.spacecraft.clone(),
        sim.stations.clone(),
        sim.seed,
        sim.config.clone(),
    )
    .map_err(|e| invalid(format!("configuration: {e}")))?;
    same_len("states", sim.states.len(), sim.spacecraft.len())?;
    for (i, (state, template)) in sim.states.iter().zip(&fresh.states).enumerate() {
        let place = StatePlace {
            index: i,
            name: &sim.spacecraft[i].name,
        };
        validate_state(sim, &sim.spacecraft[i], state, template, sim.elapsed_s, &place)?;
        validate_resume(sim, &sim.spacecraft[i], state, template, &place)?;
    }
    validate_schedule(sim)?;
    validate_transfers(sim)?;
    validate_holders(sim)?;
    validate_events(sim)?;
    validate_telemetry(sim)
}

/// "states[1] (sat-1)", the prefix of every state message.
struct StatePlace<'a> {
    index: usize,
    name: &'a str,
}

impl Display for StatePlace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "states[{}] ({:?})", self.index, self.name)
    }
}

fn validate_state(
    sim: &Simulation,
    sc: &Spacecraft,
    state: &SpacecraftState,
    template: &SpacecraftState,
    now: f64,
    at: &StatePlace<'_>,
) -> Result<()> {
    match (&state.power.battery, &sc.power) {
        (None, None) => {}
        (Some(battery), Some(power)) => {
            if battery.config != power.battery {
                return Err(invalid(format!(
                    "{at}.battery: parameters differ from the spacecraft's"
                )));
            }
            within(
                format_args!("{at}.battery.energy_wh"),
                battery.energy_wh,
                0.0,
                power.battery.capacity_wh,
            )?;
        }
        _ => {
            return Err(invalid(format!(
                "{at}.battery: present exactly when the spacecraft has a power model"
            )))
        }
    }
    if sc.thermal.is_some() {
        finite_at_least(format_args!("{at}.temperature_k"), state.temperature_k, 0.0)?;
    }
    validate_storage(sc, state, at)?;
    validate_streams(
        format_args!("{at}.streams"),
        &state.radiation.streams,
        &template.radiation.streams,
        now,
    )?;
    finite_at_least(format_args!("{at}.dose_rad"), state.radiation.dose_rad, 0.0)?;
    validate_activities(sc, state, now, at)?;
    validate_ledger(state, at)?;
    validate_links(sim, sc, state, at)?;
    match (&state.onboard, &template.onboard) {
        (None, None) => Ok(()),
        (Some(onboard), Some(fresh)) => validate_onboard(onboard, fresh, now, at),
        _ => Err(invalid(format!(
            "{at}.onboard: present exactly when the spacecraft has an imager"
        ))),
    }
}

/// The running activity, the start and stop times, the charge holds.
fn validate_activities(
    sc: &Spacecraft,
    state: &SpacecraftState,
    now: f64,
    at: &StatePlace<'_>,
) -> Result<()> {
    if let Some(running) = &state.activities.running {
        index(
            format_args!("{at}.running.activity"),
            running.activity,
            sc.activities.len(),
        )?;
        span(
            format_args!("{at}.running"),
            running.started_s,
            running.ends_s,
            now,
        )?;
    }
    past_times(
        format_args!("{at}.last_auto_start_s"),
        &state.activities.last_auto_start_s,
        sc.activities.len(),
        now,
    )?;
    past_times(
        format_args!("{at}.last_stop_s"),
        &state.activities.last_stop_s,
        sc.activities.len(),
        now,
    )?;
    let held = &state.activities.charge_held;
    same_len(format_args!("{at}.charge_held"), held.len(), sc.activities.len())?;
    if let Some(k) =
        (0..held.len()).find(|k| held[*k] && sc.activities[*k].preconditions.resume_soc.is_none())
    {
        return Err(invalid(format!(
            "{at}.charge_held[{k}]: activity {:?} has no resume_soc to be held for",
            sc.activities[k].name
        )));
    }
    Ok(())
}

/// The energy ledger and its rounding residuals: finite.
fn validate_ledger(state: &SpacecraftState, at: &StatePlace<'_>) -> Result<()> {
    for (name, value) in state.power.ledger.terms() {
        finite(format_args!("{at}.ledger.{name}"), value)?;
    }
    for (name, value) in state.power.ledger_carry.terms() {
        finite(format_args!("{at}.ledger_carry.{name}"), value)?;
    }
    Ok(())
}

/// Contact, downlink and relay counters, external loads and the scheduled-start marker.
fn validate_links(
    sim: &Simulation,
    sc: &Spacecraft,
    state: &SpacecraftState,
    at: &StatePlace<'_>,
) -> Result<()> {
    if let Some(station) = state.data.contact {
        index(format_args!("{at}.contact"), station, sim.stations.len())?;
    }
    finite_at_least(format_args!("{at}.contact_bytes"), state.data.contact_bytes, 0.0)?;
    finite_at_least(
        format_args!("{at}.downlinked_bytes"),
        state.data.downlinked_bytes,
        0.0,
    )?;
    byte_counts(
        format_args!("{at}.downlinked_partition_bytes"),
        &state.data.downlinked_partition_bytes,
        sc.storage.partitions.len(),
    )?;
    byte_counts(
        format_args!("{at}.relay_window_bytes"),
        &state.data.relay_window_bytes,
        sc.relays.len(),
    )?;
    byte_counts(
        format_args!("{at}.relayed_bytes"),
        &state.data.relayed_bytes,
        sc.relays.len(),
    )?;
    for (name, end_s) in &state.activities.external_load_ends {
        finite_at_least(format_args!("{at}.external_load_ends[{name:?}]"), *end_s, 0.0)?;
        if !state.activities.external_loads.contains_key(name) {
            return Err(invalid(format!(
                "{at}.external_load_ends[{name:?}] ends a load that is not on"
            )));
        }
    }
    for (name, power_w) in &state.activities.external_loads {
        finite_at_least(format_args!("{at}.external_loads[{name:?}]"), *power_w, 0.0)?;
    }
    if let Some(t) = state.activities.scheduled_handled_s {
        finite(format_args!("{at}.scheduled_handled_s"), t)?;
    }
    if let Some(t) = state.captures_handled_s {
        finite(format_args!("{at}.captures_handled_s"), t)?;
    }
    Ok(())
}

/// The start of a sub-step a run's end cut short: a time in [0, now] and a
/// state valid there, which does not itself hold a resume point (the engine
/// keeps only the latest one).
fn validate_resume(
    sim: &Simulation,
    sc: &Spacecraft,
    state: &SpacecraftState,
    template: &SpacecraftState,
    at: &StatePlace<'_>,
) -> Result<()> {
    let Some(resume) = &state.resume else {
        return Ok(());
    };
    within(format_args!("{at}.resume.at_s"), resume.at_s, 0.0, sim.elapsed_s)?;
    if resume.state.resume.is_some() {
        return Err(invalid(format!("{at}.resume.state: holds a resume point itself")));
    }
    let inner = format!("{at}.resume.state");
    let place = StatePlace {
        index: at.index,
        name: at.name,
    };
    validate_state(sim, sc, &resume.state, template, resume.at_s, &place).map_err(|e| match e {
        Error::Checkpoint { reason } => invalid(reason.replacen(&at.to_string(), &inner, 1)),
        other => other,
    })
}

fn validate_storage(sc: &Spacecraft, state: &SpacecraftState, at: &StatePlace<'_>) -> Result<()> {
    let storage = &state.data.storage;
    if storage.config != sc.storage {
        return Err(invalid(format!(
            "{at}.storage: parameters differ from the spacecraft's"
        )));
    }
    let partitions = &sc.storage.partitions;
    same_len(
        format_args!("{at}.storage.used_bytes"),
        storage.used_bytes.len(),
        partitions.len(),
    )?;
    same_len(
        format_args!("{at}.storage.corrupted_bytes"),
        storage.corrupted_bytes.len(),
        partitions.len(),
    )?;
    for (p, partition) in partitions.iter().enumerate() {
        let quota = partition.quota_bytes.unwrap_or(sc.storage.capacity_bytes);
        within(
            format_args!("{at}.storage.used_bytes[{p}] ({:?})", partition.name),
            storage.used_bytes[p],
            0.0,
            quota,
        )?;
        finite_at_least(
            format_args!("{at}.storage.corrupted_bytes[{p}]"),
            storage.corrupted_bytes[p],
            0.0,
        )?;
    }
    within(
        format_args!("{at}.storage (bytes used in all partitions)"),
        storage.total_used_bytes(),
        0.0,
        sc.storage.capacity_bytes,
    )
}

/// Random streams: as many as a new simulation has, each with the rate its
/// configuration gives and a next event not already past (the engine walks
/// from there to now, one event at a time).
fn validate_streams(
    what: impl Display,
    streams: &[EventStream],
    fresh: &[EventStream],
    now: f64,
) -> Result<()> {
    same_len(&what, streams.len(), fresh.len())?;
    for (k, (stream, template)) in streams.iter().zip(fresh).enumerate() {
        validate_stream(format_args!("{what}[{k}]"), stream, template, now)?;
    }
    Ok(())
}

fn validate_stream(what: impl Display, stream: &EventStream, fresh: &EventStream, now: f64) -> Result<()> {
    if stream.rate_per_s().to_bits() != fresh.rate_per_s().to_bits() {
        return Err(invalid(format!(
            "{what}: rate {} per s differs from the configured {} per s",
            stream.rate_per_s(),
            fresh.rate_per_s()
        )));
    }
    if stream.next_s.is_nan() || stream.next_s < now - TIME_SLACK_S {
        return Err(invalid(format!(
            "{what}.next_s = {}: the next event must not be before now ({now} s)",
            stream.next_s
        )));
    }
    Ok(())
}

fn validate_onboard(
    onboard: &OnboardState,
    fresh: &OnboardState,
    now: f64,
    at: &StatePlace<'_>,
) -> Result<()> {
    // The tile counter first: job ids are checked against it.
    if onboard.next_tile != onboard.counters.tiles_captured {
        return Err(invalid(format!(
            "{at}.onboard.next_tile = {}: every captured tile takes the next id, so it must equal \
             the tiles captured ({})",
            onboard.next_tile, onboard.counters.tiles_captured
        )));
    }
    for job in onboard.queue.iter() {
        validate_job(
            format_args!("{at}.onboard.queue (job {})", job.id),
            job,
            onboard.next_tile,
            now,
        )?;
    }
    if let Some(running) = &onboard.running {
        let what = format!("{at}.onboard.running (job {})", running.job.id);
        validate_job(&what, &running.job, onboard.next_tile, now)?;
        span(&what, running.started_s, running.ends_s, now)?;
    }
    if onboard.booting_until_s.is_nan() || onboard.booting_until_s == f64::INFINITY {
        return Err(invalid(format!(
            "{at}.onboard.booting_until_s = {}: must be a time or -inf",
            onboard.booting_until_s
        )));
    }
    validate_stream(
        format_args!("{at}.onboard.clouds"),
        &onboard.clouds,
        &fresh.clouds,
        now,
    )?;
    let c = &onboard.counters;
    for (name, value) in [
        ("bytes_captured", c.bytes_captured),
        ("bytes_kept", c.bytes_kept),
        ("bytes_dropped_cloudy", c.bytes_dropped_cloudy),
        ("product_bytes", c.product_bytes),
        ("busy_s", c.busy_s),
        ("device_energy_wh", c.device_energy_wh),
        ("imager_energy_wh", c.imager_energy_wh),
        ("cloud_fraction_abs_error_sum", c.cloud_fraction_abs_error_sum),
    ] {
        finite_at_least(format_args!("{at}.onboard.counters.{name}"), value, 0.0)?;
    }
    for (reason, seconds) in &c.deferred_s {
        finite_at_least(
            format_args!("{at}.onboard.counters.deferred_s[{}]", reason.name()),
            *seconds,
            0.0,
        )?;
    }
    if onboard.unaccounted() != 0 {
        return Err(invalid(format!(
            "{at}.onboard: {} tiles unaccounted for (captured minus stored, queued, running, inferred, failed and dropped)",
            onboard.unaccounted()
        )));
    }
    for record in onboard.records.iter().chain(onboard.replay.values()) {
        finite_at_least(
            format_args!("{at}.onboard inference record (job {}) latency_s", record.job),
            record.latency_s,
            0.0,
        )?;
    }
    Ok(())
}

fn validate_job(what: impl Display, job: &Job, next_tile: u64, now: f64) -> Result<()> {
    if job.id >= next_tile {
        return Err(invalid(format!(
            "{what}: id {} was never issued (next tile {next_tile})",
            job.id
        )));
    }
    finite(format_args!("{what}.captured_s"), job.captured_s)?;
    if job.captured_s > now + TIME_SLACK_S {
        return Err(invalid(format!(
            "{what}: captured at {} s, after now ({now} s)",
            job.captured_s
        )));
    }
    finite_at_least(format_args!("{what}.bytes"), job.bytes, 0.0)?;
    within(format_args!("{what}.cloud_cover"), job.cloud_cover, 0.0, 1.0)
}

fn validate_schedule(sim: &Simulation) -> Result<()> {
    for (k, (t, sc, activity)) in sim.schedule.iter().enumerate() {
        finite(format_args!("schedule[{k}] time"), *t)?;
        index(
            format_args!("schedule[{k}] spacecraft"),
            *sc,
            sim.spacecraft.len(),
        )?;
        index(
            format_args!("schedule[{k}] activity"),
            *activity,
            sim.spacecraft[*sc].activities.len(),
        )?;
    }
    Ok(())
}

/// The spacecraft each station served at the start of the current planning
/// block (the block's station assignment starts from them): existing
/// spacecraft, each once, no more than the station's antennas.
fn validate_holders(sim: &Simulation) -> Result<()> {
    same_len("station_holder", sim.station_holder.len(), sim.stations.len())?;
    for (k, (holders, station)) in sim.station_holder.iter().zip(&sim.stations).enumerate() {
        for (j, sc) in holders.0.iter().enumerate() {
            index(format_args!("station_holder[{k}]"), *sc, sim.spacecraft.len())?;
            if holders.0[..j].contains(sc) {
                return Err(invalid(format!(
                    "station_holder[{k}]: spacecraft {sc} is listed twice"
                )));
            }
        }
        if holders.0.len() > station.antennas() as usize {
            return Err(invalid(format!(
                "station_holder[{k}]: {} spacecraft hold a station of {} antennas",
                holders.0.len(),
                station.antennas()
            )));
        }
    }
    Ok(())
}

fn validate_events(sim: &Simulation) -> Result<()> {
    for (k, event) in sim.events.iter().enumerate() {
        let i = event.spacecraft_index;
        index(
            format_args!("events[{k}].spacecraft_index"),
            i,
            sim.spacecraft.len(),
        )?;
        if event.spacecraft != sim.spacecraft[i].name {
            return Err(invalid(format!(
                "events[{k}]: spacecraft {:?} is not spacecraft {i} ({:?})",
                event.spacecraft, sim.spacecraft[i].name
            )));
        }
        within(
            format_args!("events[{k}].elapsed_s"),
            event.elapsed_s,
            0.0,
            sim.elapsed_s,
        )?;
    }
    Ok(())
}

fn validate_telemetry(sim: &Simulation) -> Result<()> {
    let t = &sim.telemetry;
    let rows = t.len();
    for (name, len) in [
        ("spacecraft_index", t.spacecraft_index.len()),
        ("x_km", t.x_km.len()),
        ("y_km", t.y_km.len()),
        ("z_km", t.z_km.len()),
        ("sunlit_fraction", t.sunlit_fraction.len()),
        ("soc", t.soc.len()),
        ("battery_wh", t.battery_wh.len()),
        ("power_in_w", t.power_in_w.len()),
        ("power_out_w", t.power_out_w.len()),
        ("temperature_k", t.temperature_k.len()),
        ("storage_used_bytes", t.storage_used_bytes.len()),
        ("activity", t.activity.len()),
        ("link", t.link.len()),
        ("dose_rad", t.dose_rad.len()),
        ("alive", t.alive.len()),
        ("peers_in_view", t.peers_in_view.len()),
        ("queued_tiles", t.queued_tiles.len()),
        ("queue_age_s", t.queue_age_s.len()),
    ] {
        if len != rows {
            return Err(invalid(format!(
                "telemetry.{name} has {len} rows, telemetry.elapsed_s {rows}"
            )));
        }
    }
    for row in 0..rows {
        let sc = t.spacecraft_index[row] as usize;
        index(
            format_args!("telemetry.spacecraft_index[{row}]"),
            sc,
            sim.spacecraft.len(),
        )?;
        within(
            format_args!("telemetry.elapsed_s[{row}]"),
            t.elapsed_s[row],
            0.0,
            sim.elapsed_s,
        )?;
        optional_index(
            format_args!("telemetry.activity[{row}]"),
            t.activity[row],
            sim.spacecraft[sc].activities.len(),
        )?;
        optional_index(
            format_args!("telemetry.link[{row}]"),
            t.link[row],
            sim.stations.len(),
        )?;
    }
    Ok(())
}

/// One time per item, each −∞ (never) or a time not after `now`.
fn past_times(what: impl Display, times: &[f64], expected: usize, now: f64) -> Result<()> {
    same_len(&what, times.len(), expected)?;
    for (k, t) in times.iter().enumerate() {
        if !(*t == f64::NEG_INFINITY || (t.is_finite() && *t <= now + TIME_SLACK_S)) {
            return Err(invalid(format!(
                "{what}[{k}] = {t}: must be -inf or a time not after now ({now} s)"
            )));
        }
    }
    Ok(())
}

fn finite(what: impl Display, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(invalid(format!("{what} = {value}: must be finite")))
    }
}

fn finite_at_least(what: impl Display, value: f64, min: f64) -> Result<()> {
    if value.is_finite() && value >= min {
        Ok(())
    } else {
        Err(invalid(format!("{what} = {value}: must be finite and >= {min}")))
    }
}

/// `value` in [lo, hi], with [`RELATIVE_SLACK`] of the range for rounding.
fn within(what: impl Display, value: f64, lo: f64, hi: f64) -> Result<()> {
    let slack = RELATIVE_SLACK * (hi - lo).abs().max(1.0);
    if value.is_finite() && value >= lo - slack && value <= hi + slack {
        Ok(())
    } else {
        Err(invalid(format!("{what} = {value}: must be within [{lo}, {hi}]")))
    }
}

fn index(what: impl Display, value: usize, len: usize) -> Result<()> {
    if value < len {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} = {value}: out of range (there are {len})"
        )))
    }
}

/// A telemetry index where −1 means none.
fn optional_index(what: impl Display, value: i32, len: usize) -> Result<()> {
    match usize::try_from(value) {
        Ok(k) => index(what, k, len),
        Err(_) if value == -1 => Ok(()),
        Err(_) => Err(invalid(format!(
            "{what} = {value}: must be -1 (none) or an index"
        ))),
    }
}

fn same_len(what: impl Display, len: usize, expected: usize) -> Result<()> {
    if len == expected {
        Ok(())
    } else {
        Err(invalid(format!("{what} has {len} entries, expected {expected}")))
    }
}

/// Byte counters: one per item, each finite and >= 0.
fn byte_counts(what: impl Display, values: &[f64], expected: usize) -> Result<()> {
    same_len(&what, values.len(), expected)?;
    for (k, value) in values.iter().enumerate() {
        finite_at_least(format_args!("{what}[{k}]"), *value, 0.0)?;
    }
    Ok(())
}

/// A started interval: started by now, ending at or after its start (∞: open-ended).
fn span(what: impl Display, started_s: f64, ends_s: f64, now: f64) -> Result<()> {
    if !started_s.is_finite() || started_s > now + TIME_SLACK_S {
        return Err(invalid(format!(
            "{what}: started at {started_s} s, which must be a time not after now ({now} s)"
        )));
    }
    if ends_s.is_nan() || ends_s < started_s {
        return Err(invalid(format!(
            "{what}: ends at {ends_s} s, before its start ({started_s} s)"
        )));
    }
    Ok(())
}
