//! Lumped single-node thermal model (I. Martínez, *Spacecraft Thermal Modelling
//! and Testing*; as in PASEOS):
//!
//! m·c·dT/dt = Q_sun + Q_albedo + Q_earth_ir + Q_internal − ε·σ·A_rad·T⁴, with
//! - Q_sun = α·A_sun·S·f,
//! - Q_albedo = α·A_earth·ρ·S·F·f (F a view/phase factor),
//! - Q_earth_ir = α_ir·ε⊕·A_earth·σ·T⊕⁴·(R⊕/r)²,
//! - Q_internal = k·P_consumed.
//!
//! **Exact integration.** With the inputs held constant over an interval, write
//! a = ΣQ_in/(m·c), b = ε·σ·A_rad/(m·c), T_eq = (a/b)^¼ and x = T/T_eq. Then
//! F(x) = ½·ln|(1 + x)/(1 − x)| + atan x grows exactly linearly,
//! F(x(t)) = F(x₀) + 2·b·T_eq³·t, so T(t) follows by inverting F (bracketed
//! Newton). The step is exact for any length: unconditionally stable, no
//! overshoot past equilibrium. Steps much shorter than the relaxation time
//! (4·b·T³·Δt < 0.02) use classical RK4 instead, whose error there is below
//! rounding, because it is several times cheaper. The engine holds inputs constant over sub-steps
//! split at eclipse edges.
//!
//! **PASEOS-compatible** option: one explicit Euler step from the start-of-step
//! state, T₁ = T₀ + Δt·(ΣQ_in(T₀) − ε·σ·A_rad·T₀⁴)/(m·c), for reproducing PASEOS runs.

use serde::{Deserialize, Serialize};

use crate::error::{ensure_finite, ensure_non_negative, ensure_positive, Error, Result};

/// Stefan–Boltzmann constant, W m⁻² K⁻⁴.
pub const STEFAN_BOLTZMANN: f64 = 5.670_374_419e-8;

/// Integration scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ThermalIntegrator {
    /// Closed-form solution of the single-node equation (default).
    #[default]
    Exact,
    /// PASEOS's explicit Euler step on the start-of-step state.
    PaseosEuler,
}

/// Thermal node parameters (defaults: a 6U cubesat with α = 0.6, ε = 0.8).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalConfig {
    /// Mass, kg.
    pub mass_kg: f64,
    /// Specific heat capacity, J/(kg·K); default 900 (aluminium).
    #[serde(default = "default_heat_capacity")]
    pub heat_capacity_j_per_kg_k: f64,
    /// Solar absorptivity α, in [0, 1]; default 0.6.
    #[serde(default = "default_absorptivity")]
    pub absorptivity: f64,
    /// Infrared emissivity ε (also the infrared absorptivity α_ir), in (0, 1]; default 0.8.
    #[serde(default = "default_emissivity")]
    pub emissivity: f64,
    /// Area facing the Sun, m².
    pub area_sun_m2: f64,
    /// Area facing the Earth, m².
    pub area_earth_m2: f64,
    /// Radiating area, m².
    pub area_radiating_m2: f64,
    /// Earth albedo ρ; default 0.3.
    #[serde(default = "default_albedo")]
    pub albedo: f64,
    /// Albedo view/phase factor F; default 0.5 (as PASEOS).
    #[serde(default = "default_albedo_factor")]
    pub albedo_factor: f64,
    /// Earth infrared emissivity ε⊕; default 0.6.
    #[serde(default = "default_earth_emissivity")]
    pub earth_emissivity: f64,
    /// Earth black-body temperature T⊕, K; default 288.
    #[serde(default = "default_earth_temperature")]
    pub earth_temperature_k: f64,
    /// Fraction of consumed electrical power that becomes heat, k in [0, 1]; default 0.5.
    #[serde(default = "default_heat_fraction")]
    pub heat_fraction: f64,
    /// Temperature at the start, K; default 293.15.
    #[serde(default = "default_initial_temperature")]
    pub initial_temperature_k: f64,
    /// Integration scheme; default exact.
    #[serde(default)]
    pub integrator: ThermalIntegrator,
}

fn default_heat_capacity() -> f64 {
    900.0
}
fn default_absorptivity() -> f64 {
    0.6
}
fn default_emissivity() -> f64 {
    0.8
}
fn default_albedo() -> f64 {
    0.3
}
fn default_albedo_factor() -> f64 {
    0.5
}
fn default_earth_emissivity() -> f64 {
    0.6
}
fn default_earth_temperature() -> f64 {
    288.0
}
fn default_heat_fraction() -> f64 {
    0.5
}
fn default_initial_temperature() -> f64 {
    293.15
}

/// Environment and load seen by the node over an interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThermalInputs {
    /// Visible fraction of the solar disk.
    pub sunlit_fraction: f64,
    /// Solar irradiance at the spacecraft, W/m².
    pub irradiance_w_m2: f64,
    /// (R⊕/r)², the Earth's infrared dilution.
    pub earth_ratio_sq: f64,
    /// Electrical power consumed, W (a `heat_fraction` of it heats the node).
    pub consumed_power_w: f64,
    /// Heat dissipated inside the node besides that, W (e.g. an onboard computer
    /// with its own heat fraction).
    #[doc(alias = "device_heat")]
    pub extra_heat_w: f64,
}

impl ThermalConfig {
    /// Checks every parameter.
    pub fn validated(self) -> Result<Self> {
        ensure_positive("mass_kg", self.mass_kg)?;
        ensure_positive("heat_capacity_j_per_kg_k", self.heat_capacity_j_per_kg_k)?;
        for (name, value) in [
            ("absorptivity", self.absorptivity),
            ("albedo", self.albedo),
            ("albedo_factor", self.albedo_factor),
            ("earth_emissivity", self.earth_emissivity),
            ("heat_fraction", self.heat_fraction),
        ] {
            ensure_finite(name, value)?;
            if !(0.0..=1.0).contains(&value) {
                return Err(Error::parameter(name, value, "in [0, 1]"));
            }
        }
        ensure_positive("emissivity", self.emissivity)?;
        if self.emissivity > 1.0 {
            return Err(Error::parameter("emissivity", self.emissivity, "in (0, 1]"));
        }
        ensure_non_negative("area_sun_m2", self.area_sun_m2)?;
        ensure_non_negative("area_earth_m2", self.area_earth_m2)?;
        ensure_positive("area_radiating_m2", self.area_radiating_m2)?;
        ensure_non_negative("earth_temperature_k", self.earth_temperature_k)?;
        ensure_positive("initial_temperature_k", self.initial_temperature_k)?;
        Ok(self)
    }

    fn thermal_mass(&self) -> f64 {
        self.mass_kg * self.heat_capacity_j_per_kg_k
    }

    /// Absorbed heat ΣQ_in, W.
    pub fn heat_input_w(&self, inputs: &ThermalInputs) -> f64 {
        let solar = self.absorptivity * self.area_sun_m2 * inputs.irradiance_w_m2 * inputs.sunlit_fraction;
        let albedo = self.absorptivity
            * self.area_earth_m2
            * self.albedo
            * inputs.irradiance_w_m2
            * self.albedo_factor
            * inputs.sunlit_fraction;
        let earth_ir = self.emissivity
            * self.earth_emissivity
            * self.area_earth_m2
            * STEFAN_BOLTZMANN
            * self.earth_temperature_k.powi(4)
            * inputs.earth_ratio_sq;
        solar + albedo + earth_ir + self.heat_fraction * inputs.consumed_power_w + inputs.extra_heat_w
    }

    /// Radiated heat at temperature `t_k`, W.
    pub fn heat_output_w(&self, t_k: f64) -> f64 {
        self.emissivity * STEFAN_BOLTZMANN * self.area_radiating_m2 * t_k.powi(4)
    }

    /// Equilibrium temperature for constant inputs, K: (ΣQ_in/(ε·σ·A_rad))^¼.
    pub fn equilibrium_k(&self, inputs: &ThermalInputs) -> f64 {
        (self.heat_input_w(inputs) / (self.emissivity * STEFAN_BOLTZMANN * self.area_radiating_m2)).powf(0.25)
    }

    /// Temperature after `seconds` with constant inputs, by the configured scheme.
    ///
    /// ```
    /// use orbitedge::spacecraft::thermal::{ThermalConfig, ThermalInputs, ThermalIntegrator};
    /// // The PASEOS reference case: one 10 s step from 273.15 K.
    /// let node = ThermalConfig { mass_kg: 50.0, heat_capacity_j_per_kg_k: 1000.0, absorptivity: 1.0,
    ///     emissivity: 1.0, area_sun_m2: 1.0, area_earth_m2: 1.0, area_radiating_m2: 1.0, albedo: 0.3,
    ///     albedo_factor: 0.5, earth_emissivity: 0.6, earth_temperature_k: 288.0, heat_fraction: 0.5,
    ///     initial_temperature_k: 273.15, integrator: ThermalIntegrator::PaseosEuler };
    /// let inputs = ThermalInputs { sunlit_fraction: 1.0, irradiance_w_m2: 1360.0,
    ///     earth_ratio_sq: (6378.0f64 / 7000.0).powi(2), consumed_power_w: 10.0, extra_heat_w: 0.0 };
    /// assert_eq!(node.advance(273.15, &inputs, 10.0), 273.43953139624693);
    /// ```
    pub fn advance(&self, t_k: f64, inputs: &ThermalInputs, seconds: f64) -> f64 {
        match self.integrator {
            ThermalIntegrator::PaseosEuler => {
                t_k + seconds * (self.heat_input_w(inputs) - self.heat_output_w(t_k)) / self.thermal_mass()
            }
            ThermalIntegrator::Exact => self.exact(t_k, inputs, seconds),
        }
    }

    fn exact(&self, t0: f64, inputs: &ThermalInputs, seconds: f64) -> f64 {
        if seconds <= 0.0 {
            return t0;
        }
        let b = self.emissivity * STEFAN_BOLTZMANN * self.area_radiating_m2 / self.thermal_mass();
        let q_in = self.heat_input_w(inputs);
        if q_in <= 0.0 {
            // dT/dt = −b·T⁴ ⇒ T = T₀ / (1 + 3·b·T₀³·t)^⅓
            return t0 / (1.0 + 3.0 * b * t0.powi(3) * seconds).cbrt();
        }
        // Steps far shorter than the relaxation time 1/(4·b·T³): classical RK4 is
        // exact to rounding there (local error ~ (Δt/τ)⁵) and much cheaper.
        let stiffness = 4.0 * b * t0.powi(3) * seconds;
        if stiffness < 0.02 {
            let a = q_in / self.thermal_mass();
            let f = |t: f64| a - b * t * t * t * t;
            let k1 = f(t0);
            let k2 = f(t0 + 0.5 * seconds * k1);
            let k3 = f(t0 + 0.5 * seconds * k2);
            let k4 = f(t0 + seconds * k3);
            return t0 + seconds / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        }
        let t_eq = (q_in / self.thermal_mass() / b).powf(0.25);
        let x0 = t0 / t_eq;
        if (x0 - 1.0).abs() < 1e-15 {
            return t0;
        }
        let target = relaxation_potential(x0) + 2.0 * b * t_eq.powi(3) * seconds;
        // F is monotone on each side of x = 1 and the solution stays on x₀'s side.
        let (mut lo, mut hi) = if x0 < 1.0 { (x0, 1.0) } else { (1.0, x0) };
        let mut x = x0;
        for _ in 0..100 {
            let residual = relaxation_potential(x) - target;
            // Keep the bracket: F increases with x below 1, decreases above.
            if (residual < 0.0) == (x0 < 1.0) {
                lo = x;
            } else {
                hi = x;
            }
            let slope = 2.0 / (1.0 - x.powi(4));
            let newton = x - residual / slope;
            let next = if newton > lo && newton < hi && newton.is_finite() {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if (next - x).abs() < 1e-15 * x.max(1.0) {
                x = next;
                break;
            }
            x = next;
        }
        x * t_eq
    }
}

/// F(x) = ½·ln|(1 + x)/(1 − x)| + atan x, whose growth rate is constant along
/// solutions of the radiative relaxation (see the module documentation).
fn relaxation_potential(x: f64) -> f64 {
    0.5 * ((1.0 + x) / (1.0 - x)).abs().ln() + x.atan()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(integrator: ThermalIntegrator) -> ThermalConfig {
        ThermalConfig {
            mass_kg: 12.0,
            heat_capacity_j_per_kg_k: 900.0,
            absorptivity: 0.6,
            emissivity: 0.8,
            area_sun_m2: 0.06,
            area_earth_m2: 0.06,
            area_radiating_m2: 0.4,
            albedo: 0.3,
            albedo_factor: 0.5,
            earth_emissivity: 0.6,
            earth_temperature_k: 288.0,
            heat_fraction: 0.5,
            initial_temperature_k: 250.0,
            integrator,
        }
        .validated()
        .unwrap()
    }

    const SUNLIT: ThermalInputs = ThermalInputs {
        sunlit_fraction: 1.0,
        irradiance_w_m2: 1361.0,
        earth_ratio_sq: 0.85,
        consumed_power_w: 8.0,
        extra_heat_w: 0.0,
    };

    #[test]
    fn settles_at_the_closed_form_equilibrium() {
        let n = node(ThermalIntegrator::Exact);
        let equilibrium = n.equilibrium_k(&SUNLIT);
        let mut t = 200.0;
        for _ in 0..200 {
            t = n.advance(t, &SUNLIT, 3_600.0);
        }
        assert!((t - equilibrium).abs() < 1e-9, "{t} vs {equilibrium}");
        // From above as well, with one huge step.
        let hot = n.advance(450.0, &SUNLIT, 1e9);
        assert!((hot - equilibrium).abs() < 1e-9);
    }

    #[test]
    fn one_long_step_equals_many_short_ones() {
        let n = node(ThermalIntegrator::Exact);
        let long = n.advance(250.0, &SUNLIT, 5_000.0);
        let mut short = 250.0;
        for _ in 0..5_000 {
            short = n.advance(short, &SUNLIT, 1.0);
        }
        assert!((long - short).abs() < 1e-9, "{long} vs {short}");
    }

    #[test]
    fn exact_agrees_with_fine_euler() {
        let exact = node(ThermalIntegrator::Exact);
        let euler = node(ThermalIntegrator::PaseosEuler);
        let mut t = 250.0;
        for _ in 0..100_000 {
            t = euler.advance(t, &SUNLIT, 0.01);
        }
        let reference = exact.advance(250.0, &SUNLIT, 1_000.0);
        assert!((t - reference).abs() < 1e-4, "{t} vs {reference}");
    }

    #[test]
    fn cools_without_input_like_the_closed_form() {
        let mut n = node(ThermalIntegrator::Exact);
        n.area_earth_m2 = 0.0;
        let dark = ThermalInputs {
            sunlit_fraction: 0.0,
            irradiance_w_m2: 1361.0,
            earth_ratio_sq: 0.0,
            consumed_power_w: 0.0,
            extra_heat_w: 0.0,
        };
        let b =
            n.emissivity * STEFAN_BOLTZMANN * n.area_radiating_m2 / (n.mass_kg * n.heat_capacity_j_per_kg_k);
        let expected = 300.0 / (1.0 + 3.0 * b * 300f64.powi(3) * 10_000.0).cbrt();
        assert!((n.advance(300.0, &dark, 10_000.0) - expected).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_parameters() {
        let good = node(ThermalIntegrator::Exact);
        assert!(ThermalConfig {
            mass_kg: -1.0,
            ..good
        }
        .validated()
        .is_err());
        assert!(ThermalConfig {
            emissivity: 1.5,
            ..good
        }
        .validated()
        .is_err());
        assert!(ThermalConfig {
            albedo: f64::NAN,
            ..good
        }
        .validated()
        .is_err());
    }
}
