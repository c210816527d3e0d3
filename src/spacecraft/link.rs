//! Radios: how fast data leaves the spacecraft while a ground station is in view.
//!
//! **Fixed rate**: a constant bit rate.
//! **Link budget**: C/N₀ = EIRP + G/T − L_fs − L_other + 228.6 dB-Hz, with the
//! free-space loss L_fs = 20·log10(4πd/λ); the achievable rate R satisfies
//! 10·log10 R = C/N₀ − (Eb/N₀)_required − margin, capped at `max_rate_bps`. The
//! rate follows the range through a pass.

use serde::{Deserialize, Serialize};

use crate::error::{ensure_finite, ensure_non_negative, ensure_positive, Error, Result};

/// Speed of light, m/s.
const SPEED_OF_LIGHT_M_S: f64 = 299_792_458.0;
/// Boltzmann's constant in dBW/(K·Hz).
const BOLTZMANN_DBW_K_HZ: f64 = -228.6;

/// How the data rate is set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "model", deny_unknown_fields)]
pub enum RateModel {
    /// Constant rate.
    Fixed {
        /// Bit rate, bit/s.
        rate_bps: f64,
    },
    /// Rate from a link budget at the current range.
    LinkBudget {
        /// Transmitter EIRP, dBW.
        eirp_dbw: f64,
        /// Carrier frequency, Hz.
        frequency_hz: f64,
        /// Ground receiver figure of merit G/T, dB/K.
        g_over_t_db_k: f64,
        /// Atmospheric, pointing and polarisation losses, dB.
        losses_db: f64,
        /// Eb/N₀ the modem needs, dB.
        required_ebn0_db: f64,
        /// Design margin, dB.
        margin_db: f64,
        /// Highest rate the modem supports, bit/s.
        max_rate_bps: f64,
    },
}

/// A downlink radio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadioConfig {
    /// Name (for events).
    pub name: String,
    /// Data rate model.
    pub rate: RateModel,
    /// Extra electrical load while transmitting, W; default 0.
    #[serde(default)]
    pub transmit_power_w: f64,
    /// Partitions emptied in this order; default: every partition, in storage order.
    #[serde(default)]
    pub partitions: Vec<String>,
    /// Stations this radio can work with (names); default: all.
    #[serde(default)]
    pub stations: Vec<String>,
    /// A terminal for links with other spacecraft instead of ground stations:
    /// it never claims a station, and the spacecraft it can see become peers
    /// (`link_started` / `link_ended`, transfers with `send`). Default false.
    #[serde(default)]
    pub inter_satellite: bool,
    /// Longest range an inter-satellite link closes at, km; default unlimited
    /// (a pair's link uses the shorter of its two radios' ranges).
    #[serde(default)]
    pub max_range_km: Option<f64>,
}

impl RadioConfig {
    /// Checks every parameter.
    pub fn validated(self) -> Result<Self> {
        ensure_non_negative("transmit_power_w", self.transmit_power_w)?;
        match self.rate {
            RateModel::Fixed { rate_bps } => {
                ensure_positive("rate_bps", rate_bps)?;
            }
            RateModel::LinkBudget {
                eirp_dbw,
                frequency_hz,
                g_over_t_db_k,
                losses_db,
                required_ebn0_db,
                margin_db,
                max_rate_bps,
            } => {
                ensure_finite("eirp_dbw", eirp_dbw)?;
                ensure_positive("frequency_hz", frequency_hz)?;
                ensure_finite("g_over_t_db_k", g_over_t_db_k)?;
                ensure_non_negative("losses_db", losses_db)?;
                ensure_finite("required_ebn0_db", required_ebn0_db)?;
                ensure_non_negative("margin_db", margin_db)?;
                ensure_positive("max_rate_bps", max_rate_bps)?;
            }
        }
        if self.name.is_empty() {
            return Err(Error::EmptyInput { what: "radio name" });
        }
        if let Some(range_km) = self.max_range_km {
            ensure_positive("max_range_km", range_km)?;
        }
        Ok(self)
    }

    /// Whether this radio can work with the station named `station`: it lists
    /// it, or lists no station at all.
    pub fn works_with(&self, station: &str) -> bool {
        !self.inter_satellite && (self.stations.is_empty() || self.stations.iter().any(|s| s == station))
    }

    /// Achievable rate at `range_km`, bit/s.
    ///
    /// ```
    /// use orbitedge::spacecraft::link::{RadioConfig, RateModel};
    /// // S-band: 3 dBW EIRP at 2.2 GHz into a 10 dB/K station, 3 dB losses, 10 dB Eb/N0 + 3 dB margin.
    /// let radio = RadioConfig { name: "s".into(), transmit_power_w: 5.0, partitions: vec![], stations: vec![],
    ///     inter_satellite: false, max_range_km: None,
    ///     rate: RateModel::LinkBudget { eirp_dbw: 3.0, frequency_hz: 2.2e9, g_over_t_db_k: 10.0,
    ///     losses_db: 3.0, required_ebn0_db: 10.0, margin_db: 3.0, max_rate_bps: 1e9 } };
    /// let near = radio.rate_bps(600.0);
    /// let far = radio.rate_bps(2_400.0);
    /// assert!((near / far - 16.0).abs() < 1e-9); // 4× the range, 1/16 the rate
    /// assert!((1e6..3e7).contains(&near));
    /// ```
    pub fn rate_bps(&self, range_km: f64) -> f64 {
        match self.rate {
            RateModel::Fixed { rate_bps } => rate_bps,
            RateModel::LinkBudget {
                eirp_dbw,
                frequency_hz,
                g_over_t_db_k,
                losses_db,
                required_ebn0_db,
                margin_db,
                max_rate_bps,
            } => {
                let wavelength_m = SPEED_OF_LIGHT_M_S / frequency_hz;
                let free_space_db =
                    20.0 * (4.0 * std::f64::consts::PI * range_km * 1_000.0 / wavelength_m).log10();
                let c_over_n0 = eirp_dbw + g_over_t_db_k - free_space_db - losses_db - BOLTZMANN_DBW_K_HZ;
                let rate_db_hz = c_over_n0 - required_ebn0_db - margin_db;
                10f64.powf(rate_db_hz / 10.0).min(max_rate_bps)
            }
        }
    }
}

/// An inter-satellite link that forwards data to another spacecraft while the
/// two can see each other (line of sight above the grazing altitude, within
/// range): a standing order served by transfers
/// ([`crate::sim::transfer`]). Whenever its partitions hold data and it has
/// no transfer in flight, the engine starts one at a sync point (in view
/// then, or coming into view before the next one) of everything they hold;
/// the bytes go at `rate_bps` exactly inside the line-of-sight windows,
/// pausing outside them, while the sender draws `transmit_power_w`. A full
/// store at the peer drops what does not fit, as for any transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// Name (for events).
    pub name: String,
    /// The receiving spacecraft's name.
    pub peer: String,
    /// Bit rate, bit/s.
    pub rate_bps: f64,
    /// Partitions sent, in order; default: every partition, in storage order.
    #[serde(default)]
    pub partitions: Vec<String>,
    /// The peer's partition that receives the data.
    pub peer_partition: String,
    /// Lowest altitude the line of sight may pass at, km; default 80.
    #[serde(default = "default_grazing_km")]
    pub grazing_altitude_km: f64,
    /// Longest range, km; default unlimited.
    #[serde(default)]
    pub max_range_km: Option<f64>,
    /// The sender's extra electrical load while bytes move, W; default 0.
    #[serde(default)]
    pub transmit_power_w: f64,
}

fn default_grazing_km() -> f64 {
    80.0
}

impl RelayConfig {
    /// Checks every parameter (the peer is checked by the simulation).
    pub fn validated(self) -> Result<Self> {
        if self.name.is_empty() {
            return Err(Error::EmptyInput { what: "relay name" });
        }
        ensure_positive("relay rate_bps", self.rate_bps)?;
        ensure_non_negative("relay transmit_power_w", self.transmit_power_w)?;
        crate::environment::LineOfSight::new(self.grazing_altitude_km, self.max_range_km)?;
        Ok(self)
    }
}
