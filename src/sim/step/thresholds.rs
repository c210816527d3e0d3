//! Where a sub-step must stop early: the first instant its rates reach a
//! threshold (a battery floor, a full partition, the end of the data to send
//! or to read, the dose limit).

use super::Rates;
use crate::sim::state::{SpacecraftState, EPS};
use crate::spacecraft::Spacecraft;

/// What a sub-step reached before its end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Threshold {
    /// The battery at its minimum state of charge with an activity running.
    MinSoc,
    /// The battery empty.
    Empty,
    /// A browned-out battery back at its minimum state of charge.
    Recovered,
    /// Everything downlinkable sent.
    DownlinkDone,
    /// The running activity's output partition full.
    StorageFull,
    /// The running activity's input partition empty.
    InputExhausted,
    /// The accumulated dose at its limit.
    DoseLimit,
    /// The battery at the computer's minimum state of charge with a job running.
    DeviceMinSoc,
}

impl SpacecraftState {
    /// The earliest threshold in [s0, s1] and where it is (`s1` and `None`
    /// when none is reached).
    pub(crate) fn first_threshold(
        &self,
        sc: &Spacecraft,
        rates: &Rates,
        s0: f64,
        s1: f64,
    ) -> (f64, Option<Threshold>) {
        let mut split = s1;
        let mut cause: Option<Threshold> = None;
        let mut consider = |time: f64, what: Threshold| {
            if time < split - EPS {
                split = time.max(s0);
                cause = Some(what);
            }
        };
        self.power_thresholds(sc, rates, s0, &mut consider);
        if rates.transmitting() {
            consider(
                s0 + rates.downlink_available_bytes / rates.downlink_bytes_s,
                Threshold::DownlinkDone,
            );
        }
        if let Some((p, bytes_per_s)) = rates.produce.filter(|(_, r)| *r > 0.0) {
            consider(
                s0 + self.data.storage.free_bytes(p) / bytes_per_s,
                Threshold::StorageFull,
            );
        }
        if let Some((p, bytes_per_s)) = rates.consume.filter(|(_, r)| *r > 0.0) {
            consider(
                s0 + self.data.storage.used_bytes[p] / bytes_per_s,
                Threshold::InputExhausted,
            );
        }
        if let (Some(limit), rate) = (sc.radiation.dose_limit_rad, sc.radiation.dose_rate_rad_per_s) {
            if self.radiation.alive && rate > 0.0 {
                consider(
                    s0 + (limit - self.radiation.dose_rad) / rate,
                    Threshold::DoseLimit,
                );
            }
        }
        (split, cause)
    }

    /// The battery's floors under the sub-step's net power.
    fn power_thresholds(
        &self,
        sc: &Spacecraft,
        rates: &Rates,
        s0: f64,
        consider: &mut impl FnMut(f64, Threshold),
    ) {
        let Some(battery) = &self.power.battery else {
            return;
        };
        let net = rates.net_w;
        if net < 0.0 {
            let floor = battery.config.min_soc * battery.config.capacity_wh;
            if self.activities.running.is_some() && battery.energy_wh > floor + EPS {
                consider(s0 + battery.seconds_to(floor, net), Threshold::MinSoc);
            }
            if !self.power.browned_out && battery.energy_wh > EPS {
                consider(s0 + battery.seconds_to(0.0, net), Threshold::Empty);
            }
        } else if self.power.browned_out {
            let floor = battery.config.min_soc * battery.config.capacity_wh;
            consider(s0 + battery.seconds_to(floor, net), Threshold::Recovered);
        }
        let job_running = self.onboard.as_ref().is_some_and(|o| o.running.is_some());
        if let (Some(computer), true) = (&sc.computer, job_running && net < 0.0) {
            let floor = computer.min_soc.max(battery.config.min_soc) * battery.config.capacity_wh;
            if battery.energy_wh > floor + EPS {
                consider(s0 + battery.seconds_to(floor, net), Threshold::DeviceMinSoc);
            }
        }
    }
}
