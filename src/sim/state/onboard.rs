//! The onboard computer driven by the spacecraft's state: the device's gate,
//! captures, job starts and completions, preemption, deferrals, inference.

use super::{Light, Log, SpacecraftState, EPS};
use crate::sim::conditions::{self, Demands, Unmet};
use crate::sim::events::EventKind;
use crate::sim::hooks::SpacecraftHooks;
use crate::sim::plan::{find_from, Mark, Plan};

use crate::compute::imager::ground_speed_km_s;
use crate::compute::scheduler::Job;
use crate::compute::{ComputerConfig, DetectorChoice, ImagerConfig, Latency};
use crate::sim::onboard::{in_model_sample, DeferReason, InferenceRecord, OnboardState, RunningJob};
use crate::spacecraft::Spacecraft;

/// Start hysteresis on the state of charge: a job preempted at `min_soc` does not
/// restart until the charge is measurably above it.
const START_MARGIN_SOC: f64 = 1e-6;

impl SpacecraftState {
    /// Unmet hard constraints of the device now (empty: it may run).
    pub(crate) fn device_gate(&self, computer: &ComputerConfig, t: f64, starting: bool) -> Vec<Unmet> {
        let demands = Demands {
            soc_margin: if starting { START_MARGIN_SOC } else { -EPS },
            ..Demands::of_computer(computer, self.power.battery.map(|b| b.config.min_soc))
        };
        let mut unmet = conditions::unmet(&self.conditions(t), &demands);
        if starting
            && !OnboardState::policy_allows(
                computer.policy,
                computer,
                self.light == Light::Sunlit,
                self.soc(),
            )
        {
            unmet.push(Unmet::DeferredToSunlight {
                soc: self.soc(),
                threshold: computer.energy_aware_min_soc,
            });
        }
        unmet
    }

    /// Why queued work cannot start now, if it waits.
    pub(crate) fn deferral(&self, sc: &Spacecraft, t: f64) -> Option<(DeferReason, String)> {
        let (Some(computer), Some(onboard)) = (&sc.computer, &self.onboard) else {
            return None;
        };
        if onboard.running.is_some() || onboard.queue.is_empty() {
            return None;
        }
        let unmet = self.device_gate(computer, t, true);
        let first = unmet.first()?.kind()?;
        Some((first, conditions::words(&unmet).join("; ")))
    }

    /// Captures due at `t`, completion of the running job, preemption when a
    /// constraint broke, and (at decision points) the start of the next job.
    pub(crate) fn onboard_updates(
        &mut self,
        sc: &Spacecraft,
        hooks: &SpacecraftHooks,
        plan: &Plan,
        t: f64,
        decide: bool,
        log: &mut Log,
    ) -> crate::Result<()> {
        let Some(imager) = &sc.imager else { return Ok(()) };
        if self.onboard.is_none() {
            return Ok(());
        }
        let imaging = find_from(&plan.imaging, t, &mut self.cursors.imaging).is_some();
        // Captures at or before `t` not yet taken (a decision point can be
        // visited twice: a sync point, a run boundary).
        let handled = self.captures_handled_s.unwrap_or(f64::NEG_INFINITY);
        while let Some(&Mark {
            at_s: at,
            what: priority,
        }) = plan.captures.get(self.cursors.capture)
        {
            if at > t + EPS {
                break;
            }
            self.cursors.capture += 1;
            if at <= handled {
                continue;
            }
            self.captures_handled_s = Some(at);
            if self.radiation.alive && !self.power.browned_out {
                self.capture(sc, imager, at, priority, log)?;
            }
        }
        if let Some(onboard) = &mut self.onboard {
            onboard.imaging = imaging;
        }
        let Some(computer) = &sc.computer else {
            return Ok(());
        };
        // Completion.
        if let Some(running) = self.onboard.as_ref().and_then(|o| o.running) {
            if running.ends_s <= t + EPS {
                self.complete(sc, computer, running, log)?;
            }
        }
        // A running job must keep meeting the constraints.
        if self.onboard.as_ref().is_some_and(|o| o.running.is_some()) {
            let unmet = self.device_gate(computer, t, false);
            if !unmet.is_empty() {
                let reason = conditions::words(&unmet).join("; ");
                self.preempt_job(computer, t, &reason, false, log);
            }
        }
        if decide && self.device_gate(computer, t, true).is_empty() {
            self.start_job(sc, computer, hooks, t, log)?;
        }
        self.note_deferral(sc, t, log);
        Ok(())
    }

    /// Records a change in why work waits.
    pub(crate) fn note_deferral(&mut self, sc: &Spacecraft, t: f64, log: &mut Log) {
        let deferral = self.deferral(sc, t);
        let Some(onboard) = &mut self.onboard else { return };
        let reason = deferral.as_ref().map(|(r, _)| *r);
        if reason != onboard.blocked {
            if let Some((reason, detail)) = deferral {
                log.push((
                    t,
                    EventKind::WorkDeferred {
                        reason,
                        detail,
                        queued: onboard.queue.len(),
                    },
                ));
            }
            onboard.blocked = reason;
        }
    }

    /// One capture: its tiles stored in the raw partition and queued up to
    /// the queue's memory limit, the rest kept unprocessed for downlink; the
    /// whole capture is lost when the raw partition has no room for it.
    fn capture(
        &mut self,
        sc: &Spacecraft,
        imager: &ImagerConfig,
        at: f64,
        priority: u32,
        log: &mut Log,
    ) -> crate::Result<()> {
        let partition = sc.storage.index(&imager.partition)?;
        let keep = match &sc.computer {
            Some(computer) => Some(sc.storage.index(&computer.keep_partition)?),
            None => None,
        };
        let Some(onboard) = &mut self.onboard else {
            return Ok(());
        };
        let ground_speed = ground_speed_km_s(&crate::orbit::Propagator::motion_bounds(&sc.satellite));
        let tiles = imager.tiles_at((at / imager.capture_interval_s).round(), ground_speed);
        let jobs = onboard.capture(imager, at, priority, tiles);
        let bytes: f64 = jobs.iter().map(|j| j.bytes).sum();
        let stored = self.data.storage.free_bytes(partition) >= bytes - 1e-6;
        onboard.counters.tiles_captured += jobs.len() as u64;
        onboard.counters.bytes_captured += bytes;
        let mut overflowed = 0u32;
        if !stored {
            onboard.counters.tiles_not_stored += jobs.len() as u64;
        } else {
            self.data.storage.store(partition, bytes);
            match (&sc.computer, keep) {
                (Some(computer), Some(keep)) => {
                    let limit = computer.queue_limit_bytes();
                    let mut buffered = onboard.buffered_bytes();
                    for job in &jobs {
                        if buffered + job.bytes <= limit {
                            buffered += job.bytes;
                            onboard.queue.push(computer.policy, *job);
                        } else {
                            // Kept for downlink; a full keep partition leaves it raw (stored, never lost).
                            if self.data.storage.free_bytes(keep) >= job.bytes {
                                let taken = self.data.storage.take(partition, job.bytes);
                                self.data.storage.store(keep, taken);
                            }
                            onboard.counters.tiles_overflowed += 1;
                            overflowed += 1;
                        }
                    }
                }
                _ => onboard.counters.tiles_unprocessed += jobs.len() as u64,
            }
        }
        log.push((
            at,
            EventKind::ImageCaptured {
                tiles,
                bytes,
                stored,
                overflowed,
            },
        ));
        Ok(())
    }

    fn start_job(
        &mut self,
        sc: &Spacecraft,
        computer: &ComputerConfig,
        hooks: &SpacecraftHooks,
        t: f64,
        log: &mut Log,
    ) -> crate::Result<()> {
        let Some(onboard) = &mut self.onboard else {
            return Ok(());
        };
        if onboard.running.is_some() {
            return Ok(());
        }
        let Some(mut job) = onboard.queue.pop() else {
            return Ok(());
        };
        job.attempts += 1;
        let replayed = onboard.replay.get(&job.id).copied();
        let record = match (computer.detector(), replayed) {
            (DetectorChoice::Replay, replayed) => replay_detection(computer, &job, replayed, &sc.name)?,
            // Replayed inferences without `detector = "replay"`: bit for bit, as recorded.
            (_, Some(record)) => record,
            (_, None) => run_inference(computer, hooks, &job, onboard.scene_seed, &sc.name)?,
        };
        onboard.records.push(record);
        onboard.counters.jobs_started += 1;
        onboard.running = Some(RunningJob {
            job,
            started_s: t,
            ends_s: t + record.latency_s,
            detected_cloud_fraction: record.cloud_fraction,
            non_finite: record.non_finite,
        });
        log.push((
            t,
            EventKind::JobStarted {
                job: job.id,
                attempt: job.attempts,
                latency_s: record.latency_s,
            },
        ));
        Ok(())
    }

    fn complete(
        &mut self,
        sc: &Spacecraft,
        computer: &ComputerConfig,
        running: RunningJob,
        log: &mut Log,
    ) -> crate::Result<()> {
        let raw = sc
            .storage
            .index(sc.imager.as_ref().map_or("", |i| i.partition.as_str()))?;
        let keep = sc.storage.index(&computer.keep_partition)?;
        let products = sc.storage.index(&computer.products_partition)?;
        let Some(onboard) = &mut self.onboard else {
            return Ok(());
        };
        onboard.running = None;
        let job = running.job;
        if running.non_finite > 0 {
            let taken = self.data.storage.take(raw, job.bytes);
            self.data.storage.store(keep, taken);
            onboard.counters.tiles_inference_failed += 1;
            log.push((
                running.ends_s,
                EventKind::InferenceFailed {
                    job: job.id,
                    non_finite: running.non_finite,
                    reason: failure_reason(computer.model.precision).to_string(),
                },
            ));
            return Ok(());
        }
        let detected = running.detected_cloud_fraction;
        let kept = computer.max_cloud_fraction.is_none_or(|max| detected <= max);
        let c = &mut onboard.counters;
        c.tiles_inferred += 1;
        c.cloud_fraction_abs_error_sum += (detected - job.cloud_cover).abs();
        let taken = self.data.storage.take(raw, job.bytes);
        if kept {
            c.tiles_kept += 1;
            c.bytes_kept += self.data.storage.store(keep, taken);
        } else {
            c.tiles_dropped_cloudy += 1;
            c.bytes_dropped_cloudy += taken;
        }
        let tile_px = sc.imager.as_ref().map_or(0.0, |i| f64::from(i.tile_px));
        let result = computer.result_bytes.unwrap_or(tile_px * tile_px * 2.0 / 8.0);
        c.product_bytes += self.data.storage.store(products, result);
        log.push((
            running.ends_s,
            EventKind::JobCompleted {
                job: job.id,
                cloud_fraction: detected,
                kept,
            },
        ));
        Ok(())
    }

    /// Stops the running job at `t` for `reason`.
    pub(crate) fn preempt_job(
        &mut self,
        computer: &ComputerConfig,
        t: f64,
        reason: &str,
        restart: bool,
        log: &mut Log,
    ) {
        let Some(onboard) = &mut self.onboard else { return };
        if let Some((job, requeued)) = onboard.preempt(computer, restart) {
            log.push((
                t,
                EventKind::JobPreempted {
                    job: job.id,
                    reason: reason.to_string(),
                    requeued,
                },
            ));
        }
    }

    /// A radiation restart: the running job is stopped and the device reboots.
    pub(crate) fn onboard_restart(&mut self, sc: &Spacecraft, at: f64, log: &mut Log) {
        let Some(computer) = &sc.computer else { return };
        self.preempt_job(computer, at, "radiation restart", true, log);
        if let Some(onboard) = &mut self.onboard {
            onboard.booting_until_s = at + computer.device.boot_s.value;
        }
    }

    /// Device and imager power now, W: (device, imager).
    pub(crate) fn onboard_power_w(&self, sc: &Spacecraft, t: f64) -> (f64, f64) {
        let Some(onboard) = &self.onboard else {
            return (0.0, 0.0);
        };
        let device = sc.computer.as_ref().map_or(0.0, |c| onboard.device_power_w(c, t));
        let imager = match &sc.imager {
            Some(imager) if onboard.imaging => imager.power_w,
            _ => 0.0,
        };
        (device, imager)
    }
}

/// Why a simulated inference gave NaN or inf, by the precision the model ran in.
fn failure_reason(precision: crate::compute::Precision) -> &'static str {
    match precision {
        crate::compute::Precision::Float16 => {
            "the model runs in float16: likely an overflow above 65504; run it in float32 \
             (computer.model.precision = \"float32\", the default)"
        }
        crate::compute::Precision::Float32 => {
            "the model runs in float32: the model itself computes it, or the tile is outside \
             what it was trained on"
        }
    }
}

/// What the detector found on a tile, or — when the model's output held NaN or
/// inf — `Ok(None)` with the count: the run goes on and the tile is kept.
fn detect(
    detector: &std::sync::Arc<dyn crate::compute::TileDetector>,
    job: &Job,
    scene_seed: u64,
) -> crate::Result<Result<crate::compute::Detection, u64>> {
    match detector.detect(job, scene_seed) {
        Ok(detection) => Ok(Ok(detection)),
        Err(crate::Error::NonFiniteOutput { count, .. }) => Ok(Err(count.max(1) as u64)),
        Err(other) => Err(other),
    }
}

/// Latency and detected cloud fraction of one job, by the computer's detector
/// ([`ComputerConfig::detector`]): the ground truth (nothing runs; modeled or
/// given latency), or the attached detector — timed under measured latency
/// and scaled to the device. A failed inference (NaN or inf out of the model)
/// takes the modeled latency under measured latencies, as the host time of a
/// failed run is not kept.
fn run_inference(
    computer: &ComputerConfig,
    hooks: &SpacecraftHooks,
    job: &Job,
    scene_seed: u64,
    spacecraft: &str,
) -> crate::Result<InferenceRecord> {
    let fixed = computer.fixed_latency_s();
    let record = |latency_s: f64, cloud_fraction: f64| InferenceRecord {
        job: job.id,
        latency_s,
        host_s: 0.0,
        cloud_fraction: cloud_fraction.clamp(0.0, 1.0),
        non_finite: 0,
        host_gflops: 0.0,
        truth: false,
    };
    let outside_sample = (computer.model_sample).is_some_and(|f| !in_model_sample(scene_seed, job.id, f));
    if computer.detector() == DetectorChoice::Model && outside_sample {
        // Outside the sample: the ground truth, at the device's modeled
        // latency (what a calibrated measurement gives on a quiet host).
        let latency_s = fixed.unwrap_or_else(|| computer.modeled_latency_s());
        return Ok(InferenceRecord {
            truth: true,
            ..record(latency_s, job.cloud_cover)
        });
    }
    let detector = match (computer.detector(), hooks.detector()) {
        (DetectorChoice::Truth, _) => {
            let latency_s = fixed.ok_or_else(|| measured_without_model(spacecraft))?;
            return Ok(record(latency_s, job.cloud_cover));
        }
        (DetectorChoice::Replay, _) => return replay_detection(computer, job, None, spacecraft),
        (DetectorChoice::Model, Some(detector)) => detector,
        (DetectorChoice::Model, None) => {
            return Err(crate::Error::MissingDependency {
                what: format!("detector \"model\" on spacecraft {spacecraft:?}"),
                needs: "a detector attached to the spacecraft (a scenario attaches its model; \
                        measured latencies time a real model run)",
            })
        }
    };
    let detection = match detect(detector, job, scene_seed)? {
        Ok(detection) => detection,
        Err(non_finite) => {
            let latency_s = fixed.unwrap_or_else(|| computer.modeled_latency_s());
            return Ok(InferenceRecord {
                non_finite,
                cloud_fraction: 0.0,
                ..record(latency_s, 0.0)
            });
        }
    };
    let latency_s = match fixed {
        Some(latency_s) => latency_s,
        None => {
            let factor = computer
                .host_to_target(None)
                .ok_or_else(|| uncalibrated(spacecraft))?;
            detection.host_s * factor
        }
    };
    Ok(InferenceRecord {
        host_s: detection.host_s,
        host_gflops: calibrated_gflops(computer),
        ..record(latency_s, detection.cloud_fraction)
    })
}

/// A recorded inference's detection under `detector = "replay"`: its cloud
/// fraction (or failure) and host time, with the latency the current device
/// and mode give — the host time scaled by the current factor under measured
/// latency, so the same records on another device follow its throughput.
fn replay_detection(
    computer: &ComputerConfig,
    job: &Job,
    recorded: Option<InferenceRecord>,
    spacecraft: &str,
) -> crate::Result<InferenceRecord> {
    let recorded = recorded.ok_or_else(|| crate::Error::MissingDependency {
        what: format!(
            "detector \"replay\" on spacecraft {spacecraft:?} at job {}",
            job.id
        ),
        needs: "a recorded inference for every job (replay_inferences, or computer.replay_records \
                in a scenario: the inferences.jsonl of a report)",
    })?;
    let latency_s = match (computer.fixed_latency_s(), recorded.non_finite) {
        (Some(latency_s), _) => latency_s,
        // Outside the model's sample when recorded: no host time, modeled.
        (None, 0) if recorded.truth => computer.modeled_latency_s(),
        (None, 0) if recorded.host_s > 0.0 => {
            let factor = computer
                .host_to_target(Some(recorded.host_gflops))
                .ok_or_else(|| uncalibrated(spacecraft))?;
            recorded.host_s * factor
        }
        (None, 0) => {
            return Err(crate::Error::MissingDependency {
                what: format!(
                    "measured latency replayed on spacecraft {spacecraft:?} at job {}",
                    job.id
                ),
                needs: "records with host times (recorded under measured latency)",
            })
        }
        (None, _) => computer.modeled_latency_s(),
    };
    Ok(InferenceRecord {
        latency_s,
        host_gflops: match computer.latency {
            Latency::Measured {
                host_to_target: None,
                host_gflops: None,
                ..
            } => recorded.host_gflops,
            _ => calibrated_gflops(computer),
        },
        ..recorded
    })
}

/// The calibrated host throughput a measured latency is scaled with (0 when
/// an explicit `host_to_target` wins, or outside measured latency).
fn calibrated_gflops(computer: &ComputerConfig) -> f64 {
    match computer.latency {
        Latency::Measured {
            host_to_target: None,
            host_gflops: Some(gflops),
            ..
        } => gflops,
        _ => 0.0,
    }
}

fn uncalibrated(spacecraft: &str) -> crate::Error {
    crate::Error::MissingDependency {
        what: format!("measured latency on spacecraft {spacecraft:?}"),
        needs: "a host calibration: latency.host_gflops (scenarios measure it before the run; \
                in Rust, compute::calibration::calibrated) or an explicit latency.host_to_target",
    }
}

fn measured_without_model(spacecraft: &str) -> crate::Error {
    crate::Error::MissingDependency {
        what: format!("measured latency with detector \"truth\" on spacecraft {spacecraft:?}"),
        needs: "a model run to time (detector \"model\") or recorded host times (detector \"replay\")",
    }
}
