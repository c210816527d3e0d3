//! What a threshold reached at the end of a sub-step sets off: load shedding,
//! brown-out and recovery, a full or exhausted partition, the end of a
//! downlink, a failure from the total dose, a job preempted; and the device's
//! temperature limits, checked after every sub-step.

use super::{Inputs, Rates, Threshold};
use crate::sim::events::{EventKind, FailureCause};
use crate::sim::state::{Log, SpacecraftState};
use crate::spacecraft::Spacecraft;

impl SpacecraftState {
    /// The consequences of `cause` at `split`.
    pub(crate) fn consequences(
        &mut self,
        inputs: Inputs<'_>,
        rates: &Rates,
        cause: Option<Threshold>,
        split: f64,
        log: &mut Log,
    ) {
        let sc = inputs.sc;
        match cause {
            None => {}
            Some(Threshold::DownlinkDone) => self.send_crumbs(&inputs.plan.downlink_partitions),
            Some(Threshold::MinSoc) => {
                let activity = self
                    .activities
                    .running
                    .map(|r| sc.activities[r.activity].name.clone());
                self.stop_for_charge(sc, split, "load shed: battery at minimum state of charge", log);
                log.push((split, EventKind::LoadShed { activity }));
            }
            Some(Threshold::Empty) => {
                self.stop_for_charge(sc, split, "battery empty", log);
                self.power.browned_out = true;
                log.push((split, EventKind::BatteryEmpty));
            }
            Some(Threshold::Recovered) => {
                self.power.browned_out = false;
                log.push((split, EventKind::BatteryRecovered));
            }
            Some(Threshold::StorageFull) => {
                if let Some((p, _)) = rates.produce {
                    let partition = sc.storage.partitions[p].name.clone();
                    log.push((split, EventKind::StorageFull { partition }));
                }
                self.stop(sc, split, false, "storage full", log);
            }
            Some(Threshold::InputExhausted) => {
                if let Some((p, _)) = rates.consume {
                    self.data.storage.take(p, f64::INFINITY); // rounding crumbs
                }
                self.stop(sc, split, true, "input data exhausted", log)
            }
            Some(Threshold::DoseLimit) => self.fail(sc, split, FailureCause::TotalDose, log),
            Some(Threshold::DeviceMinSoc) => {
                if let Some(computer) = &sc.computer {
                    let reason = "state of charge at the computer's minimum";
                    self.preempt_job(computer, split, reason, false, log);
                }
            }
        }
    }

    /// Sub-byte rounding leftovers leave with the last byte of a downlink.
    fn send_crumbs(&mut self, partitions: &[usize]) {
        for &p in partitions {
            if self.data.storage.used_bytes[p] < 1.0 {
                let crumb = self.data.storage.take(p, f64::INFINITY);
                self.count_downlinked(p, crumb);
            }
        }
    }

    /// The device's temperature limits, checked at the end of every sub-step:
    /// a job running outside them is preempted.
    pub(crate) fn check_device_limits(&mut self, sc: &Spacecraft, split: f64, log: &mut Log) {
        let (Some(computer), Some(onboard)) = (&sc.computer, &self.onboard) else {
            return;
        };
        let d = &computer.device;
        let outside =
            self.temperature_k < d.min_temperature_k.value || self.temperature_k > d.max_temperature_k.value;
        if onboard.running.is_some() && outside {
            let reason = format!(
                "temperature {:.2} K outside the device's limits",
                self.temperature_k
            );
            self.preempt_job(computer, split, &reason, false, log);
        }
    }
}
