//! A sub-step's rates applied over [s0, split], subsystem by subsystem: the
//! battery and its ledger, the thermal node, the downlink, the activity's
//! data, the dose, the onboard counters and the user's properties.

use super::{Inputs, Rates};
use crate::constants::EARTH_EQUATORIAL_RADIUS_KM;
use crate::sim::hooks::Surroundings;
use crate::sim::state::SpacecraftState;
use crate::spacecraft::power::EnergyLedger;
use crate::spacecraft::thermal::ThermalInputs;
use crate::spacecraft::Spacecraft;

impl SpacecraftState {
    /// Applies `rates` from `s0` to `split`.
    #[inline(always)]
    pub(crate) fn apply(&mut self, inputs: Inputs<'_>, rates: &Rates, s0: f64, split: f64) {
        let dt = split - s0;
        self.apply_power(rates, dt);
        self.apply_thermal(inputs.sc, rates, dt);
        self.apply_downlink(inputs, rates, dt);
        self.apply_data(rates, dt);
        self.apply_arrivals(inputs, s0, dt);
        if self.radiation.alive {
            self.radiation.dose_rad += inputs.sc.radiation.dose_rate_rad_per_s * dt;
        }
        self.apply_onboard_counters(rates, dt);
        for (name, update) in inputs.hooks.properties() {
            let current = self.properties.get(name).copied().unwrap_or(f64::NAN);
            let around = Surroundings {
                sunlit_fraction: rates.fraction,
                peers_in_view: inputs.plan.peer_names_at(split, inputs.ctx.spacecraft_names),
            };
            let view = self.view(inputs.sc, split, &around);
            self.properties.insert(name.clone(), update(&view, dt, current));
        }
    }

    #[inline(always)]
    fn apply_power(&mut self, rates: &Rates, dt: f64) {
        let Some(battery) = &mut self.power.battery else {
            return;
        };
        let flow = battery.apply(rates.net_w, dt);
        let hours = dt / 3_600.0;
        let delta = EnergyLedger {
            generated_wh: rates.generation_w * hours,
            consumed_wh: rates.load_w * hours - flow.unserved_wh,
            offered_wh: flow.offered_wh,
            spilled_wh: flow.spilled_wh,
            drawn_wh: flow.drawn_wh,
            unserved_wh: flow.unserved_wh,
        };
        self.power
            .ledger
            .add_compensated(&mut self.power.ledger_carry, &delta);
    }

    #[inline(always)]
    fn apply_thermal(&mut self, sc: &Spacecraft, rates: &Rates, dt: f64) {
        let Some(thermal) = &sc.thermal else { return };
        let position = &rates.state.position_km;
        let served_w = if dt > 0.0 && self.power.battery.is_some() {
            rates.load_w - self.ledger_unserved_rate(rates.net_w, dt)
        } else {
            rates.load_w
        };
        // The computer's heat follows its own profile's fraction.
        let device_heat_fraction = sc.computer.as_ref().map_or(0.0, |c| c.device.heat_fraction.value);
        let device_served_w = rates.device_w.min(served_w);
        let inputs = ThermalInputs {
            sunlit_fraction: rates.thermal_fraction,
            irradiance_w_m2: rates.irradiance_w_m2,
            earth_ratio_sq: (EARTH_EQUATORIAL_RADIUS_KM / position.norm()).powi(2),
            consumed_power_w: served_w - device_served_w,
            extra_heat_w: device_served_w * device_heat_fraction,
        };
        self.temperature_k = thermal.advance(self.temperature_k, &inputs, dt);
    }

    #[inline(always)]
    fn apply_downlink(&mut self, inputs: Inputs<'_>, rates: &Rates, dt: f64) {
        if !rates.transmitting() {
            return;
        }
        let mut budget = rates.downlink_bytes_s * dt;
        for p in &inputs.plan.downlink_partitions {
            let taken = self.data.storage.take(*p, budget);
            budget -= taken;
            self.count_downlinked(*p, taken);
        }
    }

    /// Bytes of partition `p` sent to the ground.
    pub(crate) fn count_downlinked(&mut self, p: usize, bytes: f64) {
        self.data.contact_bytes += bytes;
        self.data.downlinked_bytes += bytes;
        if let Some(per_partition) = self.data.downlinked_partition_bytes.get_mut(p) {
            *per_partition += bytes;
        }
    }

    #[inline(always)]
    fn apply_data(&mut self, rates: &Rates, dt: f64) {
        if let Some((p, rate)) = rates.consume {
            self.data.storage.take(p, rate * dt);
        }
        if let Some((p, rate)) = rates.produce {
            self.data.storage.store(p, rate * dt);
        }
    }

    /// Bytes arriving by transfers (the legs under way are the same over the
    /// whole sub-step: their edges are breakpoints).
    #[inline(always)]
    fn apply_arrivals(&mut self, inputs: Inputs<'_>, s0: f64, dt: f64) {
        if inputs.plan.legs.is_empty() || !self.radiation.alive {
            return;
        }
        for leg in inputs.plan.legs_at(s0) {
            if let Some((p, bytes_s)) = leg.arriving {
                let stored = self.data.storage.store(p, bytes_s * dt);
                self.data.received_bytes += stored;
                self.data.arrivals_dropped_bytes += bytes_s * dt - stored;
            }
        }
    }

    #[inline(always)]
    fn apply_onboard_counters(&mut self, rates: &Rates, dt: f64) {
        let Some(onboard) = &mut self.onboard else { return };
        let c = &mut onboard.counters;
        c.device_energy_wh += rates.device_w * dt / 3_600.0;
        c.imager_energy_wh += rates.imager_w * dt / 3_600.0;
        if onboard.running.is_some() {
            c.busy_s += dt;
        }
        if let Some(reason) = onboard.blocked {
            *c.deferred_s.entry(reason).or_insert(0.0) += dt;
        }
    }
}
