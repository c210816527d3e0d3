//! Electrical power: a source (a solar array or an RTG), a battery, loads.
//!
//! **Source**: [`PowerSource`], written in files and dicts as one of two keys of
//! the power section, `solar_array = {...}` or `rtg = {...}` (exactly one).
//!
//! **RTG** (radioisotope thermoelectric generator, PASEOS's
//! `PowerDeviceType.RTG`, for deep-space cases): P = `power_w`, constant
//! whatever the light. Its generation enters the energy ledger as the
//! array's does (`generated_wh`); its waste heat is not modelled (the thermal
//! node sees the loads' heat only).
//!
//! **Solar array** (physics reference): P = S(d)·f·η·A·max(0, cos θ)·(1 − δ)^years,
//! with S(d) = 1361 W/m²·(1 AU/d)², f the visible fraction of the solar disk
//! (eclipse), η the cell efficiency, A the area, θ the angle between the panel
//! normal and the Sun, δ the degradation per year since `reference_epoch`.
//! Pointing: Sun-pointing (cos θ = 1) or a body-fixed normal on a nadir-pointing
//! bus (body axes: +X along velocity, +Z towards nadir, +Y completing).
//!
//! **Battery**: stored energy E in [0, capacity]. Charging stores η_c of what is
//! offered, discharging draws 1/η_d of what loads use; an energy surplus when
//! full is *spilled* (reported), a deficit below the minimum state of charge is
//! handled by the engine's load-shedding policy (reported). Bookkeeping identity,
//! exact per step: ΔE = η_c·(offered − spilled) − served_from_battery/η_d.

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::error::{ensure_finite, ensure_non_negative, ensure_positive, Error, Result};

use crate::environment::irradiance::SolarIrradiance;
pub use crate::environment::irradiance::SOLAR_IRRADIANCE_1AU_W_M2;

/// How the array faces the Sun.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Pointing {
    /// The array tracks the Sun (cos θ = 1).
    #[default]
    SunPointing,
    /// Fixed panel normal in body axes (+X velocity, +Z nadir) on a nadir-pointing bus.
    BodyFixed {
        /// Panel normal in body axes (normalised on use).
        normal: [f64; 3],
    },
}

/// Solar array parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolarArray {
    /// Active cell area, m².
    pub area_m2: f64,
    /// Cell efficiency at beginning of life, in (0, 1]; default 0.28.
    #[serde(default = "default_efficiency")]
    pub efficiency: f64,
    /// Fractional power loss per year, in [0, 1); default 0.0275.
    #[serde(default = "default_degradation")]
    pub degradation_per_year: f64,
    /// Years in orbit at the simulation start (for degradation); default 0.
    #[serde(default)]
    pub age_years: f64,
    /// Pointing; default Sun-pointing.
    #[serde(default)]
    pub pointing: Pointing,
}

fn default_efficiency() -> f64 {
    0.28
}
fn default_degradation() -> f64 {
    0.0275
}

impl SolarArray {
    /// Checks every parameter.
    pub fn validated(self) -> Result<Self> {
        ensure_non_negative("solar array area_m2", self.area_m2)?;
        ensure_positive("solar array efficiency", self.efficiency)?;
        if self.efficiency > 1.0 {
            return Err(Error::parameter(
                "solar array efficiency",
                self.efficiency,
                "in (0, 1]",
            ));
        }
        ensure_finite("degradation_per_year", self.degradation_per_year)?;
        if !(0.0..1.0).contains(&self.degradation_per_year) {
            return Err(Error::parameter(
                "degradation_per_year",
                self.degradation_per_year,
                "in [0, 1)",
            ));
        }
        ensure_non_negative("age_years", self.age_years)?;
        if let Pointing::BodyFixed { normal } = self.pointing {
            let n = Vector3::from(normal);
            if !n.iter().all(|v| v.is_finite()) || n.norm() == 0.0 {
                return Err(Error::parameter(
                    "panel normal norm",
                    n.norm(),
                    "a finite, non-zero vector",
                ));
            }
        }
        Ok(self)
    }

    /// Generated power, W.
    ///
    /// `sunlit_fraction` from the eclipse model; `sun_km` and the satellite state are
    /// geocentric TEME; `elapsed_years` since the simulation start.
    ///
    /// ```
    /// use orbitedge::spacecraft::power::SolarArray;
    /// use nalgebra::Vector3;
    /// let array = SolarArray { area_m2: 0.06, efficiency: 0.3, degradation_per_year: 0.0,
    ///     age_years: 0.0, pointing: Default::default() };
    /// let sun = Vector3::new(149_597_870.7, 0.0, 0.0);
    /// let p = array.power_w(1.0, &sun, &Vector3::new(7000.0, 0.0, 0.0), &Vector3::new(0.0, 7.5, 0.0), 0.0);
    /// assert!((p - 1361.0 * 0.3 * 0.06).abs() < 0.02); // ≈ 24.5 W
    /// ```
    pub fn power_w(
        &self,
        sunlit_fraction: f64,
        sun_km: &Vector3<f64>,
        position_km: &Vector3<f64>,
        velocity_km_s: &Vector3<f64>,
        elapsed_years: f64,
    ) -> f64 {
        let irradiance_w_m2 = SolarIrradiance::default().at_spacecraft(sun_km, position_km);
        self.power_at_w(
            irradiance_w_m2,
            sunlit_fraction,
            sun_km,
            position_km,
            velocity_km_s,
            elapsed_years,
        )
    }

    /// [`Self::power_w`] under an irradiance of `irradiance_w_m2` (the
    /// engine's: another solar constant, or PASEOS's fixed one).
    pub fn power_at_w(
        &self,
        irradiance_w_m2: f64,
        sunlit_fraction: f64,
        sun_km: &Vector3<f64>,
        position_km: &Vector3<f64>,
        velocity_km_s: &Vector3<f64>,
        elapsed_years: f64,
    ) -> f64 {
        if sunlit_fraction <= 0.0 || self.area_m2 == 0.0 {
            return 0.0;
        }
        let to_sun = sun_km - position_km;
        let distance_km = to_sun.norm();
        let cos_theta = match self.pointing {
            Pointing::SunPointing => 1.0,
            Pointing::BodyFixed { normal } => {
                let normal_inertial =
                    body_to_inertial(position_km, velocity_km_s) * Vector3::from(normal).normalize();
                normal_inertial.dot(&(to_sun / distance_km)).max(0.0)
            }
        };
        let degradation = if self.degradation_per_year == 0.0 {
            1.0
        } else {
            (1.0 - self.degradation_per_year).powf(self.age_years + elapsed_years)
        };
        irradiance_w_m2 * sunlit_fraction * self.efficiency * self.area_m2 * cos_theta * degradation
    }
}

/// Rotation from nadir-pointing body axes (+X along-track, +Y orbit anti-normal, +Z nadir) to TEME.
pub fn body_to_inertial(position_km: &Vector3<f64>, velocity_km_s: &Vector3<f64>) -> nalgebra::Matrix3<f64> {
    let z = -position_km.normalize();
    let y = z.cross(velocity_km_s).normalize();
    let x = y.cross(&z);
    nalgebra::Matrix3::from_columns(&[x, y, z])
}

/// Battery parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatteryConfig {
    /// Usable capacity, Wh (> 0).
    pub capacity_wh: f64,
    /// State of charge at the start, in [0, 1]; default 1.
    #[serde(default = "one")]
    pub initial_soc: f64,
    /// Fraction of offered energy stored when charging, in (0, 1]; default 0.95.
    #[serde(default = "default_battery_efficiency")]
    pub charge_efficiency: f64,
    /// Fraction of drawn energy delivered when discharging, in (0, 1]; default 0.95.
    #[serde(default = "default_battery_efficiency")]
    pub discharge_efficiency: f64,
    /// Operational floor: below it, loads are shed; in [0, 1); default 0.2.
    #[serde(default = "default_min_soc")]
    pub min_soc: f64,
}

fn one() -> f64 {
    1.0
}
fn default_battery_efficiency() -> f64 {
    0.95
}
fn default_min_soc() -> f64 {
    0.2
}

impl BatteryConfig {
    /// Checks every parameter.
    ///
    /// ```
    /// use orbitedge::spacecraft::power::BatteryConfig;
    /// let bad = BatteryConfig { capacity_wh: -5.0, initial_soc: 1.0, charge_efficiency: 0.95,
    ///     discharge_efficiency: 0.95, min_soc: 0.2 };
    /// assert_eq!(bad.validated().unwrap_err().to_string(),
    ///     "battery capacity_wh must be a finite number > 0, got -5");
    /// ```
    pub fn validated(self) -> Result<Self> {
        ensure_positive("battery capacity_wh", self.capacity_wh)?;
        fraction("initial_soc", self.initial_soc, true)?;
        fraction("min_soc", self.min_soc, false)?;
        for (name, value) in [
            ("charge_efficiency", self.charge_efficiency),
            ("discharge_efficiency", self.discharge_efficiency),
        ] {
            ensure_positive(name, value)?;
            if value > 1.0 {
                return Err(Error::parameter(name, value, "in (0, 1]"));
            }
        }
        Ok(self)
    }
}

fn fraction(name: &'static str, value: f64, inclusive: bool) -> Result<f64> {
    ensure_finite(name, value)?;
    let ok = if inclusive {
        (0.0..=1.0).contains(&value)
    } else {
        (0.0..1.0).contains(&value)
    };
    if ok {
        Ok(value)
    } else {
        Err(Error::parameter(
            name,
            value,
            if inclusive { "in [0, 1]" } else { "in [0, 1)" },
        ))
    }
}

/// A radioisotope thermoelectric generator: constant electrical output.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rtg {
    /// Electrical output, W (finite, ≥ 0), whatever the light.
    pub power_w: f64,
}

impl Rtg {
    /// Checks every parameter.
    pub fn validated(self) -> Result<Self> {
        ensure_non_negative("rtg power_w", self.power_w)?;
        Ok(self)
    }
}

/// Where the electrical power comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PowerSource {
    /// A solar array: generation follows the light, the distance to the Sun,
    /// the pointing and the degradation.
    Solar(SolarArray),
    /// An RTG: constant generation, in sunlight and in shadow.
    Rtg(Rtg),
}

impl From<SolarArray> for PowerSource {
    fn from(array: SolarArray) -> Self {
        PowerSource::Solar(array)
    }
}

impl From<Rtg> for PowerSource {
    fn from(rtg: Rtg) -> Self {
        PowerSource::Rtg(rtg)
    }
}

impl PowerSource {
    /// Checks every parameter.
    pub fn validated(self) -> Result<Self> {
        Ok(match self {
            PowerSource::Solar(array) => PowerSource::Solar(array.validated()?),
            PowerSource::Rtg(rtg) => PowerSource::Rtg(rtg.validated()?),
        })
    }

    /// Generated power, W (arguments as for [`SolarArray::power_w`]; an RTG
    /// ignores them).
    ///
    /// ```
    /// use orbitedge::spacecraft::power::{PowerSource, Rtg};
    /// use nalgebra::Vector3;
    /// let rtg = PowerSource::from(Rtg { power_w: 110.0 });
    /// let (sun, r, v) = (Vector3::new(1.5e8, 0.0, 0.0), Vector3::new(7000.0, 0.0, 0.0), Vector3::new(0.0, 7.5, 0.0));
    /// assert_eq!(rtg.power_w(0.0, &sun, &r, &v, 3.0), 110.0); // in umbra too
    /// ```
    pub fn power_w(
        &self,
        sunlit_fraction: f64,
        sun_km: &Vector3<f64>,
        position_km: &Vector3<f64>,
        velocity_km_s: &Vector3<f64>,
        elapsed_years: f64,
    ) -> f64 {
        let irradiance_w_m2 = SolarIrradiance::default().at_spacecraft(sun_km, position_km);
        self.power_at_w(
            irradiance_w_m2,
            sunlit_fraction,
            sun_km,
            position_km,
            velocity_km_s,
            elapsed_years,
        )
    }

    /// [`Self::power_w`] under an irradiance of `irradiance_w_m2`.
    pub fn power_at_w(
        &self,
        irradiance_w_m2: f64,
        sunlit_fraction: f64,
        sun_km: &Vector3<f64>,
        position_km: &Vector3<f64>,
        velocity_km_s: &Vector3<f64>,
        elapsed_years: f64,
    ) -> f64 {
        match self {
            PowerSource::Solar(array) => array.power_at_w(
                irradiance_w_m2,
                sunlit_fraction,
                sun_km,
                position_km,
                velocity_km_s,
                elapsed_years,
            ),
            PowerSource::Rtg(rtg) => rtg.power_w,
        }
    }

    /// The solar array, if that is the source.
    pub fn solar_array(&self) -> Option<&SolarArray> {
        match self {
            PowerSource::Solar(array) => Some(array),
            PowerSource::Rtg(_) => None,
        }
    }

    /// The solar array to change, if that is the source.
    pub fn solar_array_mut(&mut self) -> Option<&mut SolarArray> {
        match self {
            PowerSource::Solar(array) => Some(array),
            PowerSource::Rtg(_) => None,
        }
    }
}

/// Power subsystem parameters.
///
/// Written (TOML, JSON, Python dicts, checkpoints) with the source as one of
/// two keys, `solar_array` or `rtg`, beside `battery` and `bus_load_w`:
///
/// ```
/// use orbitedge::spacecraft::power::{PowerConfig, PowerSource, Rtg};
/// let solar: PowerConfig = toml::from_str(
///     "bus_load_w = 8.0\nsolar_array = { area_m2 = 0.1 }\nbattery = { capacity_wh = 40.0 }")?;
/// assert!(solar.source.solar_array().is_some());
/// let rtg: PowerConfig = serde_json::from_str(
///     r#"{"rtg": {"power_w": 110.0}, "battery": {"capacity_wh": 40.0}}"#)?;
/// assert_eq!(rtg.source, PowerSource::Rtg(Rtg { power_w: 110.0 }));
/// let both = r#"{"rtg": {"power_w": 1.0}, "solar_array": {"area_m2": 0.1}, "battery": {"capacity_wh": 40.0}}"#;
/// assert!(serde_json::from_str::<PowerConfig>(both).unwrap_err().to_string().contains("not both"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PowerFields", into = "PowerFields")]
pub struct PowerConfig {
    /// The source: a solar array or an RTG.
    pub source: PowerSource,
    /// The battery.
    pub battery: BatteryConfig,
    /// Bus baseline load (avionics, heaters, radios idle), W; default 2.
    pub bus_load_w: f64,
}

/// [`PowerConfig`] as it is written: the source as one of two optional keys
/// (a solar array is written as it was before RTGs existed).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PowerFields {
    /// The solar array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    solar_array: Option<SolarArray>,
    /// The RTG.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rtg: Option<Rtg>,
    /// The battery.
    battery: BatteryConfig,
    /// Bus baseline load, W; default 2.
    #[serde(default = "default_bus_w")]
    bus_load_w: f64,
}

impl TryFrom<PowerFields> for PowerConfig {
    type Error = String;

    fn try_from(fields: PowerFields) -> std::result::Result<Self, String> {
        let source = match (fields.solar_array, fields.rtg) {
            (Some(array), None) => PowerSource::Solar(array),
            (None, Some(rtg)) => PowerSource::Rtg(rtg),
            (Some(_), Some(_)) => {
                return Err("give one power source, `solar_array` or `rtg`, not both".into());
            }
            (None, None) => {
                return Err(
                    "missing the power source: `solar_array` (a solar array) or `rtg` (an RTG)".into(),
                );
            }
        };
        Ok(PowerConfig {
            source,
            battery: fields.battery,
            bus_load_w: fields.bus_load_w,
        })
    }
}

impl From<PowerConfig> for PowerFields {
    fn from(config: PowerConfig) -> Self {
        let (solar_array, rtg) = match config.source {
            PowerSource::Solar(array) => (Some(array), None),
            PowerSource::Rtg(rtg) => (None, Some(rtg)),
        };
        PowerFields {
            solar_array,
            rtg,
            battery: config.battery,
            bus_load_w: config.bus_load_w,
        }
    }
}

fn default_bus_w() -> f64 {
    2.0
}

impl PowerConfig {
    /// Checks every parameter.
    pub fn validated(self) -> Result<Self> {
        ensure_non_negative("bus_load_w", self.bus_load_w)?;
        Ok(Self {
            source: self.source.validated()?,
            battery: self.battery.validated()?,
            bus_load_w: self.bus_load_w,
        })
    }
}

/// Energy flows accumulated over a run, Wh (the terms of the bookkeeping identity).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct EnergyLedger {
    /// Generated by the source (the array or the RTG).
    pub generated_wh: f64,
    /// Used by loads (served from the array directly or from the battery).
    pub consumed_wh: f64,
    /// Offered to the battery (the source's surplus).
    pub offered_wh: f64,
    /// Part of the offer the full battery could not take.
    pub spilled_wh: f64,
    /// Delivered by the battery to loads.
    pub drawn_wh: f64,
    /// Demand that was not served (loads shed or browned out).
    pub unserved_wh: f64,
}

impl EnergyLedger {
    /// Every term by name, in declaration order.
    pub fn terms(&self) -> [(&'static str, f64); 6] {
        [
            ("generated_wh", self.generated_wh),
            ("consumed_wh", self.consumed_wh),
            ("offered_wh", self.offered_wh),
            ("spilled_wh", self.spilled_wh),
            ("drawn_wh", self.drawn_wh),
            ("unserved_wh", self.unserved_wh),
        ]
    }

    /// Adds `delta` to every sum, keeping each sum's rounding error in
    /// `carry` (Neumaier's compensated summation) so that the sums stay the
    /// correctly rounded totals however many sub-steps they add up: a year of
    /// one-minute sub-steps would otherwise drift by ~1e-8 of the battery's
    /// capacity, and the energy identity (battery = initial + charged −
    /// discharged) with it.
    #[inline]
    pub fn add_compensated(&mut self, carry: &mut EnergyLedger, delta: &EnergyLedger) {
        // Straight-line over arrays: no call, no branch, and the six lanes
        // vectorize (two per SSE2 register).
        let (mut sum, mut residual, x) = (self.lanes(), carry.lanes(), delta.lanes());
        for i in 0..6 {
            two_sum_add(&mut sum[i], &mut residual[i], x[i]);
        }
        *self = Self::from_lanes(sum);
        *carry = Self::from_lanes(residual);
    }

    #[inline(always)]
    fn lanes(&self) -> [f64; 6] {
        [
            self.generated_wh,
            self.consumed_wh,
            self.offered_wh,
            self.spilled_wh,
            self.drawn_wh,
            self.unserved_wh,
        ]
    }

    #[inline(always)]
    fn from_lanes(
        [generated_wh, consumed_wh, offered_wh, spilled_wh, drawn_wh, unserved_wh]: [f64; 6],
    ) -> Self {
        Self {
            generated_wh,
            consumed_wh,
            offered_wh,
            spilled_wh,
            drawn_wh,
            unserved_wh,
        }
    }
}

/// `sum += x` with the rounding error kept in `residual`: `sum` stays the
/// nearest `f64` to the exact total, `residual` what it leaves out. The error
/// of `sum + y` is Knuth's branch-free TwoSum, which is exact, so it equals the
/// magnitude-ordered (Fast2Sum) form bit for bit.
#[inline(always)]
fn two_sum_add(sum: &mut f64, residual: &mut f64, x: f64) {
    let y = x + *residual;
    let t = *sum + y;
    let y_part = t - *sum;
    let sum_part = t - y_part;
    *residual = (*sum - sum_part) + (y - y_part);
    *sum = t;
}

/// The battery's state and the one operation the engine needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Battery {
    /// Parameters.
    pub config: BatteryConfig,
    /// Stored energy, Wh.
    pub energy_wh: f64,
}

/// What happened to the battery over an interval of constant net power.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flow {
    /// Energy offered to the battery, Wh.
    pub offered_wh: f64,
    /// Part of it not stored because the battery was full, Wh.
    pub spilled_wh: f64,
    /// Energy delivered to loads by the battery, Wh.
    pub drawn_wh: f64,
    /// Demand not served because the battery emptied, Wh.
    pub unserved_wh: f64,
}

impl Battery {
    /// A battery at its initial state of charge.
    pub fn new(config: BatteryConfig) -> Self {
        Self {
            config,
            energy_wh: config.initial_soc * config.capacity_wh,
        }
    }

    /// State of charge in [0, 1].
    pub fn soc(&self) -> f64 {
        self.energy_wh / self.config.capacity_wh
    }

    /// Applies `net_w` (generation minus load) for `seconds`; never leaves [0, capacity],
    /// and reports what did not fit (spilled) and what could not be served.
    pub fn apply(&mut self, net_w: f64, seconds: f64) -> Flow {
        let hours = seconds / 3_600.0;
        let c = &self.config;
        if net_w >= 0.0 {
            let offered = net_w * hours;
            let room = c.capacity_wh - self.energy_wh;
            let stored = (c.charge_efficiency * offered).min(room);
            self.energy_wh += stored;
            Flow {
                offered_wh: offered,
                spilled_wh: offered - stored / c.charge_efficiency,
                drawn_wh: 0.0,
                unserved_wh: 0.0,
            }
        } else {
            let demand = -net_w * hours;
            let available = self.energy_wh * c.discharge_efficiency;
            let delivered = demand.min(available);
            self.energy_wh -= delivered / c.discharge_efficiency;
            if delivered == available {
                self.energy_wh = 0.0;
            }
            Flow {
                offered_wh: 0.0,
                spilled_wh: 0.0,
                drawn_wh: delivered,
                unserved_wh: demand - delivered,
            }
        }
    }

    /// Seconds until the stored energy reaches `target_wh` at constant `net_w`
    /// (infinite if it never does).
    pub fn seconds_to(&self, target_wh: f64, net_w: f64) -> f64 {
        let c = &self.config;
        let rate_wh_s = if net_w >= 0.0 {
            net_w * c.charge_efficiency / 3_600.0
        } else {
            net_w / c.discharge_efficiency / 3_600.0
        };
        let needed = target_wh - self.energy_wh;
        if rate_wh_s == 0.0 || needed.signum() != rate_wh_s.signum() {
            if needed == 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            needed / rate_wh_s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::ASTRONOMICAL_UNIT_KM;

    #[test]
    fn compensated_sums_stay_the_nearest_double_of_the_exact_total() {
        // A million sub-steps of 0.1 Wh: the exact total of the doubles added is
        // n × fl(0.1), whose nearest double is what n * 0.1 rounds to.
        let n = 1_000_000;
        let step = EnergyLedger {
            offered_wh: 0.1,
            ..Default::default()
        };
        let (mut ledger, mut carry, mut naive) = (EnergyLedger::default(), EnergyLedger::default(), 0.0);
        for _ in 0..n {
            ledger.add_compensated(&mut carry, &step);
            naive += 0.1;
        }
        let exact = f64::from(n) * 0.1;
        let ulp = exact * f64::EPSILON;
        assert!(
            (ledger.offered_wh - exact).abs() <= ulp,
            "{} vs {exact}",
            ledger.offered_wh
        );
        assert!(
            (naive - exact).abs() > 100.0 * ulp,
            "plain summation drifts: {naive}"
        );
    }

    fn battery() -> Battery {
        Battery::new(
            BatteryConfig {
                capacity_wh: 40.0,
                initial_soc: 0.5,
                charge_efficiency: 0.9,
                discharge_efficiency: 0.8,
                min_soc: 0.2,
            }
            .validated()
            .unwrap(),
        )
    }

    #[test]
    fn bookkeeping_identity_holds_through_full_and_empty() {
        let mut b = battery();
        let start = b.energy_wh;
        let mut ledger = (0.0, 0.0, 0.0);
        for (net, seconds) in [(30.0, 7_200.0), (-10.0, 3_600.0), (-50.0, 36_000.0), (5.0, 600.0)] {
            let flow = b.apply(net, seconds);
            ledger.0 += flow.offered_wh - flow.spilled_wh;
            ledger.1 += flow.drawn_wh;
            ledger.2 += flow.unserved_wh;
            assert!((0.0..=40.0).contains(&b.energy_wh));
        }
        let expected = start + 0.9 * ledger.0 - ledger.1 / 0.8;
        assert!(
            (b.energy_wh - expected).abs() < 1e-9 * 40.0,
            "{} vs {expected}",
            b.energy_wh
        );
        assert!(ledger.2 > 0.0, "the long discharge must leave demand unserved");
    }

    #[test]
    fn time_to_threshold_matches_apply() {
        let mut b = battery();
        let seconds = b.seconds_to(0.2 * 40.0, -12.0);
        b.apply(-12.0, seconds);
        assert!((b.soc() - 0.2).abs() < 1e-12);
        assert_eq!(b.seconds_to(100.0, -1.0), f64::INFINITY);
    }

    #[test]
    fn body_fixed_zenith_panel_sees_the_sun_overhead() {
        let array = SolarArray {
            area_m2: 1.0,
            efficiency: 0.3,
            degradation_per_year: 0.0,
            age_years: 0.0,
            pointing: Pointing::BodyFixed {
                normal: [0.0, 0.0, -1.0],
            }, // -Z = zenith
        };
        let sun = Vector3::new(ASTRONOMICAL_UNIT_KM, 0.0, 0.0);
        let v = Vector3::new(0.0, 7.5, 0.0);
        let noon = array.power_w(1.0, &sun, &Vector3::new(7_000.0, 0.0, 0.0), &v, 0.0);
        let terminator = array.power_w(
            1.0,
            &sun,
            &Vector3::new(0.0, 7_000.0, 0.0),
            &Vector3::new(-7.5, 0.0, 0.0),
            0.0,
        );
        assert!((noon - 1361.0 * 0.3).abs() < 0.1, "{noon}");
        assert!(terminator.abs() < 0.1, "{terminator}");
    }

    #[test]
    fn rejects_bad_parameters() {
        let good = battery().config;
        assert!(BatteryConfig {
            charge_efficiency: 1.2,
            ..good
        }
        .validated()
        .is_err());
        assert!(BatteryConfig {
            capacity_wh: f64::NAN,
            ..good
        }
        .validated()
        .is_err());
        assert!(BatteryConfig { min_soc: 1.0, ..good }.validated().is_err());
    }
}
