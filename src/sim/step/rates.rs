//! The rates of a sub-step, evaluated once at its midpoint: light and
//! position, generation, downlink, loads and the running activity's data flows.

use super::Inputs;
use crate::error::Result;
use crate::orbit::StateVector;
use crate::sim::state::{Light, SpacecraftState};

/// Everything a sub-step's phases need to know about its rates.
pub(crate) struct Rates {
    /// Orbital state at the midpoint.
    pub(crate) state: StateVector,
    /// Visible fraction of the Sun (power, and the hooks' view).
    pub(crate) fraction: f64,
    /// Visible fraction for the thermal inputs.
    pub(crate) thermal_fraction: f64,
    /// The Sun's irradiance at the spacecraft, W/m².
    pub(crate) irradiance_w_m2: f64,
    /// The source's output (array or RTG), W.
    pub(crate) generation_w: f64,
    /// Every load, W.
    pub(crate) load_w: f64,
    /// The onboard computer's part of the load, W.
    pub(crate) device_w: f64,
    /// The imager's part of the load, W.
    pub(crate) imager_w: f64,
    /// Generation minus load, W.
    pub(crate) net_w: f64,
    /// Downlink, bytes/s (0 when not transmitting).
    pub(crate) downlink_bytes_s: f64,
    /// Bytes waiting in the downlinked partitions.
    pub(crate) downlink_available_bytes: f64,
    /// The running activity's output: (partition, bytes/s).
    pub(crate) produce: Option<(usize, f64)>,
    /// The running activity's input: (partition, bytes/s).
    pub(crate) consume: Option<(usize, f64)>,
}

impl Rates {
    /// Whether the radio sends data in this sub-step.
    pub(crate) fn transmitting(&self) -> bool {
        self.downlink_bytes_s > 0.0
    }
}

impl SpacecraftState {
    /// The rates at `mid` under `(light, thermal_light)`.
    pub(crate) fn rates(
        &self,
        inputs: Inputs<'_>,
        (light, thermal_light): (Light, Light),
        mid: f64,
    ) -> Result<Rates> {
        let Inputs { sc, plan, ctx, .. } = inputs;
        let (state, sun, fraction) = self.environment(sc, plan, ctx, light, mid)?;
        let thermal_fraction = if thermal_light == light {
            fraction
        } else if thermal_light == Light::Sunlit {
            1.0
        } else {
            0.0
        };
        // Once per sub-step, for the array and the thermal node alike.
        let irradiance_w_m2 = ctx.irradiance.at_spacecraft(&sun, &state.position_km);
        let generation_w = self.generation_w(sc, &state, &sun, fraction, mid, irradiance_w_m2);
        let available: f64 = plan
            .downlink_partitions
            .iter()
            .map(|p| self.data.storage.used_bytes[*p])
            .sum();
        let downlink_bytes_s = self.downlink_rate_bytes_s(inputs, &state, available, mid);
        let (load_w, device_w, imager_w) = self.load_w(sc, plan, downlink_bytes_s > 0.0, mid);
        let (produce, consume) = self.data_flows(sc)?;
        Ok(Rates {
            state,
            fraction,
            thermal_fraction,
            irradiance_w_m2,
            generation_w,
            load_w,
            device_w,
            imager_w,
            net_w: generation_w - load_w,
            downlink_bytes_s,
            downlink_available_bytes: available,
            produce,
            consume,
        })
    }

    /// Bytes/s the radio sends to the station in contact (0 without one,
    /// without data, or when the spacecraft cannot transmit).
    fn downlink_rate_bytes_s(
        &self,
        inputs: Inputs<'_>,
        state: &StateVector,
        available: f64,
        mid: f64,
    ) -> f64 {
        let Inputs { sc, ctx, plan, .. } = inputs;
        if plan.legs_at(mid).any(|leg| leg.ground_radio_busy) {
            return 0.0; // the radio sends a transfer to the station
        }
        let radio = self
            .data
            .contact
            .and_then(|station| sc.downlink_radio_for(&ctx.station_names[station]));
        match radio {
            Some(radio) if self.radiation.alive && !self.power.browned_out && available >= 1.0 => {
                let range_km = self.range_to_contact_km(ctx, state, mid);
                radio.rate_bps(range_km) / 8.0
            }
            _ => 0.0,
        }
    }

    /// The running activity's output and input: (partition, bytes/s).
    #[allow(clippy::type_complexity)]
    fn data_flows(
        &self,
        sc: &crate::spacecraft::Spacecraft,
    ) -> Result<(Option<(usize, f64)>, Option<(usize, f64)>)> {
        let Some(running) = self
            .activities
            .running
            .filter(|_| self.radiation.alive && !self.power.browned_out)
        else {
            return Ok((None, None));
        };
        let activity = &sc.activities[running.activity];
        let flow = |f: &Option<crate::spacecraft::DataFlow>| -> Result<Option<(usize, f64)>> {
            f.as_ref()
                .map(|f| Ok((sc.storage.index(&f.partition)?, f.bytes_per_s)))
                .transpose()
        };
        Ok((flow(&activity.produces)?, flow(&activity.consumes)?))
    }
}
