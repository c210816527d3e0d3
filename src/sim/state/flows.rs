//! The environment and the power flows at an instant: orbit and Sun, the
//! source's output (the array's, or an RTG's whatever the light), loads,
//! unserved demand, range to the station in contact.

use super::{Context, Light, SpacecraftState};
use crate::constants::EARTH_EQUATORIAL_RADIUS_KM;
use crate::error::Result;
use crate::orbit::{Propagator, StateVector};
use crate::sim::plan::Plan;
use crate::spacecraft::Spacecraft;

impl SpacecraftState {
    /// Environment at `t`: state, Sun, visible fraction.
    pub(crate) fn environment(
        &self,
        sc: &Spacecraft,
        plan: &Plan,
        ctx: &Context<'_>,
        light: Light,
        t: f64,
    ) -> Result<(StateVector, nalgebra::Vector3<f64>, f64)> {
        let state = sc.satellite.state_after(plan.orbit_offset_s + t)?;
        let sun = ctx.sun.at(t);
        let fraction = match light {
            Light::Sunlit => 1.0,
            Light::Umbra => 0.0,
            Light::Penumbra => ctx.shadow.sunlit_fraction(&state.position_km, &sun),
        };
        Ok((state, sun, fraction))
    }

    pub(crate) fn generation_w(
        &self,
        sc: &Spacecraft,
        state: &StateVector,
        sun: &nalgebra::Vector3<f64>,
        fraction: f64,
        t: f64,
        irradiance_w_m2: f64,
    ) -> f64 {
        match &sc.power {
            Some(power) => power.source.power_at_w(
                irradiance_w_m2,
                fraction,
                sun,
                &state.position_km,
                &state.velocity_km_s,
                t / (365.25 * 86_400.0),
            ),
            None => 0.0,
        }
    }

    /// Partitions the first radio empties, in order.
    pub(crate) fn downlink_partitions(sc: &Spacecraft) -> Vec<usize> {
        match sc.ground_radio() {
            Some(radio) if !radio.partitions.is_empty() => radio
                .partitions
                .iter()
                .filter_map(|p| sc.storage.index(p).ok())
                .collect(),
            Some(_) => (0..sc.storage.partitions.len()).collect(),
            None => Vec::new(),
        }
    }

    /// Load, W, with the parts drawn by the onboard computer and the imager
    /// (the radios of transfer legs under way included).
    pub(crate) fn load_w(&self, sc: &Spacecraft, plan: &Plan, transmitting: bool, t: f64) -> (f64, f64, f64) {
        let Some(power) = &sc.power else {
            return (0.0, 0.0, 0.0);
        };
        let mut load = power.bus_load_w;
        if self.power.browned_out || !self.radiation.alive {
            return (load, 0.0, 0.0);
        }
        let (device_w, imager_w) = self.onboard_power_w(sc, t);
        load += device_w + imager_w;
        if let Some(running) = self.activities.running {
            load += sc.activities[running.activity].power_w;
        }
        load += self.activities.external_loads.values().sum::<f64>();
        load += plan.legs_at(t).map(|leg| leg.power_w).sum::<f64>();
        if transmitting {
            load += sc.ground_radio().map_or(0.0, |r| r.transmit_power_w);
        }
        (load, device_w, imager_w)
    }

    /// Unserved power (W) over the last interval, from the battery's own accounting.
    pub(crate) fn ledger_unserved_rate(&self, net: f64, dt: f64) -> f64 {
        // The battery serves everything unless it ran empty; with `Threshold::Empty`
        // splitting exactly at the empty point, only a browned-out interval leaves
        // demand unserved: then the whole deficit is unserved.
        if self.power.browned_out && net < 0.0 && dt > 0.0 {
            -net
        } else {
            0.0
        }
    }

    pub(crate) fn range_to_contact_km(&self, ctx: &Context<'_>, state: &StateVector, t: f64) -> f64 {
        match self.data.contact {
            Some(station) => {
                let gmst = crate::frames::gmst_rad(ctx.axis.julian_date_ut1(t));
                let (r_ecef, _) = crate::frames::teme_to_ecef(&state.position_km, &state.velocity_km_s, gmst);
                (r_ecef - ctx.station_positions[station]).norm()
            }
            None => state.position_km.norm() - EARTH_EQUATORIAL_RADIUS_KM,
        }
    }
}
