//! The numbers a team wants after a run, per spacecraft and for the
//! constellation, computed from the simulation's state, telemetry and event log.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compute::DetectorChoice;
use crate::sim::{Detections, EventKind, Simulation};
use crate::spacecraft::power::EnergyLedger;

/// One spacecraft's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpacecraftSummary {
    /// Name.
    pub name: String,
    /// Energy flows, Wh.
    pub energy: EnergyLedger,
    /// Lowest sampled state of charge (NaN without a battery).
    pub min_soc: f64,
    /// When it was lowest, s since the start.
    pub min_soc_elapsed_s: f64,
    /// Final state of charge.
    pub final_soc: f64,
    /// Lowest and highest sampled temperature, K.
    pub temperature_range_k: (f64, f64),
    /// Time in umbra or penumbra, s.
    pub eclipse_s: f64,
    /// Contact time per station, s.
    pub contact_s: BTreeMap<String, f64>,
    /// Bytes downlinked.
    pub downlinked_bytes: f64,
    /// Tiles captured.
    pub images_captured: u64,
    /// Tiles inferred on board.
    pub images_inferred: u64,
    /// Tiles deleted as too cloudy.
    pub images_dropped_cloudy: u64,
    /// Tiles kept for downlink.
    pub images_kept: u64,
    /// Tiles downlinked (whole tiles' worth of kept-image bytes sent).
    pub images_downlinked: u64,
    /// Tiles lost: storage full at capture, or dropped after faults.
    pub images_lost: u64,
    /// Downlink saved by onboard filtering, bytes.
    pub bytes_saved: f64,
    /// Mean |detected − true| cloud fraction of inferred tiles.
    pub cloud_fraction_mean_abs_error: f64,
    /// What detects clouds (`model`, `truth`: perfect detection, `replay`);
    /// `None` without a computer, or in the totals when spacecraft differ.
    #[serde(default)]
    pub detector: Option<DetectorChoice>,
    /// Where the inferences' cloud fractions came from, counted.
    #[serde(default)]
    pub detections: Detections,
    /// Under measured latency scaled by a host calibration: the inferences'
    /// mean host time over the calibration's (above 1: the host was busier
    /// than when calibrated, and the latencies are that much longer). NaN
    /// otherwise.
    #[serde(default = "nan")]
    pub host_time_vs_calibration: f64,
    /// Time queued work waited, by reason (power, thermal, eclipse, fault), s.
    pub deferred_s: BTreeMap<String, f64>,
    /// Jobs started, and stopped before completing.
    pub jobs_started: u64,
    /// Jobs preempted.
    pub jobs_preempted: u64,
    /// Computer busy time, s.
    pub compute_busy_s: f64,
    /// Radiation restarts.
    pub restarts: u64,
    /// Data corruption events.
    pub corruptions: u64,
    /// Still working at the end.
    pub alive: bool,
}

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Start (UTC, ISO 8601).
    pub start: String,
    /// Simulated time, s.
    pub duration_s: f64,
    /// Seed.
    pub seed: u64,
    /// Per spacecraft.
    pub spacecraft: Vec<SpacecraftSummary>,
    /// Totals over the constellation.
    pub totals: SpacecraftSummary,
}

impl Summary {
    /// Summarises a simulation.
    pub fn of(sim: &Simulation) -> Self {
        let mut per: Vec<SpacecraftSummary> = sim
            .snapshots()
            .map(|now| {
                let sc = now.spacecraft();
                let c = now.onboard().map(|o| o.counters().clone()).unwrap_or_default();
                let tile_bytes = sc.imager.as_ref().map_or(f64::INFINITY, |i| i.tile_bytes());
                let keep = sc
                    .computer
                    .as_ref()
                    .and_then(|c| sc.storage.index(&c.keep_partition).ok())
                    .or_else(|| {
                        sc.imager
                            .as_ref()
                            .and_then(|i| sc.storage.index(&i.partition).ok())
                    });
                let detector = sc.computer.as_ref().map(|c| c.detector());
                let detections = match (now.onboard(), detector) {
                    (Some(o), Some(d)) => o.detections(d),
                    _ => Detections::default(),
                };
                let host_time_vs_calibration = match (now.onboard(), &sc.computer) {
                    (Some(o), Some(c)) => o.host_time_vs_calibration(c.model.flops),
                    _ => None,
                };
                let sent_images = keep
                    .and_then(|k| now.downlinked_partition_bytes().nth(k))
                    .map_or(0.0, |(_, bytes)| bytes);
                SpacecraftSummary {
                    name: sc.name.clone(),
                    energy: *now.energy(),
                    min_soc: f64::NAN,
                    min_soc_elapsed_s: f64::NAN,
                    final_soc: now.soc().unwrap_or(f64::NAN),
                    temperature_range_k: (f64::INFINITY, f64::NEG_INFINITY),
                    eclipse_s: 0.0,
                    contact_s: BTreeMap::new(),
                    downlinked_bytes: now.downlinked_bytes(),
                    images_captured: c.tiles_captured,
                    images_inferred: c.tiles_inferred,
                    images_dropped_cloudy: c.tiles_dropped_cloudy,
                    images_kept: c.tiles_kept,
                    images_downlinked: (sent_images / tile_bytes + 1e-9).floor() as u64,
                    images_lost: c.tiles_not_stored + c.tiles_dropped_fault,
                    bytes_saved: c.bytes_dropped_cloudy,
                    cloud_fraction_mean_abs_error: if c.tiles_inferred > 0 {
                        c.cloud_fraction_abs_error_sum / c.tiles_inferred as f64
                    } else {
                        f64::NAN
                    },
                    detector,
                    detections,
                    host_time_vs_calibration: host_time_vs_calibration.unwrap_or(f64::NAN),
                    deferred_s: c
                        .deferred_s
                        .iter()
                        .map(|(k, v)| (k.name().to_string(), *v))
                        .collect(),
                    jobs_started: c.jobs_started,
                    jobs_preempted: c.jobs_preempted,
                    compute_busy_s: c.busy_s,
                    restarts: 0,
                    corruptions: 0,
                    alive: now.alive(),
                }
            })
            .collect();
        // Telemetry: minimum state of charge and temperature range.
        let t = sim.telemetry();
        for k in 0..t.len() {
            let s = &mut per[t.spacecraft_index[k] as usize];
            if !t.soc[k].is_nan() && (s.min_soc.is_nan() || t.soc[k] < s.min_soc) {
                s.min_soc = t.soc[k];
                s.min_soc_elapsed_s = t.elapsed_s[k];
            }
            if t.temperature_k[k].is_finite() {
                s.temperature_range_k.0 = s.temperature_range_k.0.min(t.temperature_k[k]);
                s.temperature_range_k.1 = s.temperature_range_k.1.max(t.temperature_k[k]);
            }
        }
        // Shadow and contacts from the event log's intervals; faults counted.
        let end = sim.elapsed_s();
        for (i, spans) in crate::report::intervals::intervals(sim).into_iter().enumerate() {
            per[i].eclipse_s = spans.shadow.iter().fold(0.0, |sum, s| sum + s.duration_s());
            for contact in spans.contacts {
                *per[i].contact_s.entry(contact.what.clone()).or_insert(0.0) += contact.duration_s();
            }
        }
        for e in sim.events() {
            match &e.kind {
                EventKind::Restart => per[e.spacecraft_index].restarts += 1,
                EventKind::DataCorrupted { .. } => per[e.spacecraft_index].corruptions += 1,
                _ => {}
            }
        }
        let totals = total(&per);
        Summary {
            start: sim.start().to_string(),
            duration_s: end,
            seed: sim.seed(),
            spacecraft: per,
            totals,
        }
    }
}

fn total(per: &[SpacecraftSummary]) -> SpacecraftSummary {
    let mut t = SpacecraftSummary {
        name: "constellation".into(),
        energy: EnergyLedger::default(),
        min_soc: f64::NAN,
        min_soc_elapsed_s: f64::NAN,
        final_soc: f64::NAN,
        temperature_range_k: (f64::INFINITY, f64::NEG_INFINITY),
        eclipse_s: 0.0,
        contact_s: BTreeMap::new(),
        downlinked_bytes: 0.0,
        images_captured: 0,
        images_inferred: 0,
        images_dropped_cloudy: 0,
        images_kept: 0,
        images_downlinked: 0,
        images_lost: 0,
        bytes_saved: 0.0,
        cloud_fraction_mean_abs_error: f64::NAN,
        detector: per.first().and_then(|s| s.detector),
        detections: Detections::default(),
        host_time_vs_calibration: f64::NAN,
        deferred_s: BTreeMap::new(),
        jobs_started: 0,
        jobs_preempted: 0,
        compute_busy_s: 0.0,
        restarts: 0,
        corruptions: 0,
        alive: true,
    };
    let mut error_sum = 0.0;
    let (mut host_ratio_sum, mut host_ratio_weight) = (0.0, 0.0);
    for s in per {
        if s.detector != t.detector {
            t.detector = None;
        }
        t.detections = t.detections.plus(s.detections);
        if s.host_time_vs_calibration.is_finite() {
            host_ratio_sum += s.host_time_vs_calibration * s.jobs_started as f64;
            host_ratio_weight += s.jobs_started as f64;
        }
        let e = &mut t.energy;
        e.generated_wh += s.energy.generated_wh;
        e.consumed_wh += s.energy.consumed_wh;
        e.offered_wh += s.energy.offered_wh;
        e.spilled_wh += s.energy.spilled_wh;
        e.drawn_wh += s.energy.drawn_wh;
        e.unserved_wh += s.energy.unserved_wh;
        if !s.min_soc.is_nan() && (t.min_soc.is_nan() || s.min_soc < t.min_soc) {
            t.min_soc = s.min_soc;
            t.min_soc_elapsed_s = s.min_soc_elapsed_s;
        }
        t.temperature_range_k.0 = t.temperature_range_k.0.min(s.temperature_range_k.0);
        t.temperature_range_k.1 = t.temperature_range_k.1.max(s.temperature_range_k.1);
        t.eclipse_s += s.eclipse_s;
        for (station, seconds) in &s.contact_s {
            *t.contact_s.entry(station.clone()).or_insert(0.0) += seconds;
        }
        for (reason, seconds) in &s.deferred_s {
            *t.deferred_s.entry(reason.clone()).or_insert(0.0) += seconds;
        }
        t.downlinked_bytes += s.downlinked_bytes;
        t.images_captured += s.images_captured;
        t.images_inferred += s.images_inferred;
        t.images_dropped_cloudy += s.images_dropped_cloudy;
        t.images_kept += s.images_kept;
        t.images_downlinked += s.images_downlinked;
        t.images_lost += s.images_lost;
        t.bytes_saved += s.bytes_saved;
        t.jobs_started += s.jobs_started;
        t.jobs_preempted += s.jobs_preempted;
        t.compute_busy_s += s.compute_busy_s;
        t.restarts += s.restarts;
        t.corruptions += s.corruptions;
        t.alive &= s.alive;
        if s.images_inferred > 0 {
            error_sum += s.cloud_fraction_mean_abs_error * s.images_inferred as f64;
        }
    }
    if t.images_inferred > 0 {
        t.cloud_fraction_mean_abs_error = error_sum / t.images_inferred as f64;
    }
    if host_ratio_weight > 0.0 {
        t.host_time_vs_calibration = host_ratio_sum / host_ratio_weight;
    }
    t
}

fn nan() -> f64 {
    f64::NAN
}
