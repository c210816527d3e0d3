//! Edge computers as data: power per state, memory, throughput, heat, limits.
//!
//! Profiles are TOML files (`devices/*.toml`; the shipped ones are compiled in)
//! in which every number carries its source and a confidence level, because a
//! rehearsal is only as good as its least certain number and the report must
//! say which ones were guessed.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::compute::Precision;
use crate::error::{Error, Result};

/// How much a number can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Measured on the hardware.
    Measured,
    /// From a datasheet, paper or mission report.
    Published,
    /// Derived from published figures by a stated calculation.
    Estimated,
    /// Unverified placeholder: replace before quoting results.
    Assumed,
}

/// A number with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced {
    /// The value, in the unit of the field's name.
    pub value: f64,
    /// How sure we are.
    pub confidence: Confidence,
    /// Where it comes from.
    pub source: String,
}

impl Sourced {
    /// A value with its provenance.
    pub fn new(value: f64, confidence: Confidence, source: impl Into<String>) -> Self {
        Self {
            value,
            confidence,
            source: source.into(),
        }
    }
}

/// An onboard computer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    /// Short identifier, e.g. `unibap-ix5`.
    pub name: String,
    /// One line describing the device.
    pub summary: String,
    /// Precisions the device computes natively.
    pub native_precisions: Vec<Precision>,
    /// Power when switched off, W.
    pub power_off_w: Sourced,
    /// Power when on and idle, W.
    pub power_idle_w: Sourced,
    /// Power while running inference, W.
    pub power_busy_w: Sourced,
    /// Memory available to models, bytes.
    pub ram_bytes: Sourced,
    /// Effective throughput on neural-network inference, GFLOP/s.
    pub throughput_gflops: Sourced,
    /// Fraction of the drawn power that heats the spacecraft, in [0, 1].
    pub heat_fraction: Sourced,
    /// Lowest operating temperature, K.
    pub min_temperature_k: Sourced,
    /// Highest operating temperature, K.
    pub max_temperature_k: Sourced,
    /// Time to come back after a restart, s.
    pub boot_s: Sourced,
}

const SHIPPED: [(&str, &str); 4] = [
    ("host", include_str!("../../devices/host.toml")),
    ("myriad-x", include_str!("../../devices/myriad-x.toml")),
    ("unibap-ix10", include_str!("../../devices/unibap-ix10.toml")),
    ("unibap-ix5", include_str!("../../devices/unibap-ix5.toml")),
];

impl DeviceProfile {
    /// Names of the profiles shipped with orbitedge.
    pub fn shipped_names() -> Vec<&'static str> {
        SHIPPED.iter().map(|(name, _)| *name).collect()
    }

    /// A shipped profile by name.
    ///
    /// ```
    /// use orbitedge::compute::DeviceProfile;
    /// let ix5 = DeviceProfile::shipped("unibap-ix5")?;
    /// assert!(ix5.power_busy_w.value > ix5.power_idle_w.value);
    /// assert!(DeviceProfile::shipped("cray-1").is_err());
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn shipped(name: &str) -> Result<Self> {
        let (_, text) = SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| Error::InvalidChoice {
                name: "device profile",
                value: name.to_string(),
                expected: "one of host, myriad-x, unibap-ix10, unibap-ix5 (or a profile file)",
            })?;
        Self::from_toml(text, name)
    }

    /// Every shipped profile, sorted by name.
    pub fn all_shipped() -> Result<Vec<Self>> {
        SHIPPED
            .iter()
            .map(|(name, text)| Self::from_toml(text, name))
            .collect()
    }

    /// A profile from TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        let profile: Self = toml::from_str(text).map_err(|e| Error::Config {
            origin: origin.to_string(),
            reason: e.message().to_string()
                + &e.span()
                    .map(|s| format!(" (at byte {})", s.start))
                    .unwrap_or_default(),
        })?;
        profile.validated().map_err(|e| Error::Config {
            origin: origin.to_string(),
            reason: e.to_string(),
        })
    }

    /// A profile from a TOML file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            origin: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// A shipped profile by name, or a profile file when `name_or_path` ends in `.toml`.
    pub fn resolve(name_or_path: &str) -> Result<Self> {
        if name_or_path.ends_with(".toml") {
            Self::from_path(name_or_path)
        } else {
            Self::shipped(name_or_path)
        }
    }

    /// Checks every number (finite, non-negative, ordered).
    pub fn validated(self) -> Result<Self> {
        if self.name.is_empty() {
            return Err(Error::EmptyInput { what: "device name" });
        }
        let check = |name: &'static str, x: &Sourced| crate::error::ensure_non_negative(name, x.value);
        check("power_off_w", &self.power_off_w)?;
        check("power_idle_w", &self.power_idle_w)?;
        check("power_busy_w", &self.power_busy_w)?;
        check("ram_bytes", &self.ram_bytes)?;
        check("boot_s", &self.boot_s)?;
        crate::error::ensure_positive("throughput_gflops", self.throughput_gflops.value)?;
        crate::error::ensure_positive("min_temperature_k", self.min_temperature_k.value)?;
        if !(0.0..=1.0).contains(&self.heat_fraction.value) {
            return Err(Error::parameter(
                "heat_fraction",
                self.heat_fraction.value,
                "in [0, 1]",
            ));
        }
        crate::error::ensure_positive("max_temperature_k", self.max_temperature_k.value)?;
        if self.max_temperature_k.value <= self.min_temperature_k.value {
            return Err(Error::parameter(
                "max_temperature_k",
                self.max_temperature_k.value,
                "greater than min_temperature_k",
            ));
        }
        if self.power_busy_w.value < self.power_idle_w.value {
            return Err(Error::parameter(
                "power_busy_w",
                self.power_busy_w.value,
                "at least power_idle_w",
            ));
        }
        Ok(self)
    }

    /// Modeled time for one inference of `flops` floating-point operations, s.
    pub fn modeled_latency_s(&self, flops: f64) -> f64 {
        flops / (self.throughput_gflops.value * 1e9)
    }

    /// The numbers that are unverified placeholders, by field name.
    pub fn assumed_fields(&self) -> Vec<&'static str> {
        [
            ("power_off_w", &self.power_off_w),
            ("power_idle_w", &self.power_idle_w),
            ("power_busy_w", &self.power_busy_w),
            ("ram_bytes", &self.ram_bytes),
            ("throughput_gflops", &self.throughput_gflops),
            ("heat_fraction", &self.heat_fraction),
            ("min_temperature_k", &self.min_temperature_k),
            ("max_temperature_k", &self.max_temperature_k),
            ("boot_s", &self.boot_s),
        ]
        .into_iter()
        .filter(|(_, s)| s.confidence == Confidence::Assumed)
        .map(|(name, _)| name)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_load_and_say_where_numbers_come_from() {
        let all = DeviceProfile::all_shipped().unwrap();
        assert_eq!(all.len(), 4);
        for profile in &all {
            assert!(DeviceProfile::shipped_names().contains(&profile.name.as_str()));
            for s in [&profile.power_busy_w, &profile.throughput_gflops, &profile.boot_s] {
                assert!(
                    !s.source.trim().is_empty(),
                    "{}: a number without a source",
                    profile.name
                );
            }
        }
        // The reference's Myriad X figure: ResNet-50 (8.2 GFLOP) at ~5 FPS.
        let vpu = DeviceProfile::shipped("myriad-x").unwrap();
        assert!((vpu.modeled_latency_s(8.2e9) - 0.2).abs() < 0.001);
        assert_eq!(vpu.native_precisions, vec![Precision::Float16]);
    }

    #[test]
    fn bad_profiles_are_typed_errors_naming_the_problem() {
        let good = include_str!("../../devices/unibap-ix5.toml");
        let negative = good.replace("value = 18.0", "value = -18.0");
        let err = DeviceProfile::from_toml(&negative, "neg.toml").unwrap_err();
        assert!(err.to_string().contains("power_busy_w"), "{err}");
        let unknown = format!("{good}\ncolour = \"red\"\n");
        let err = DeviceProfile::from_toml(&unknown, "x.toml").unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
        assert!(matches!(
            DeviceProfile::shipped("nope"),
            Err(Error::InvalidChoice { .. })
        ));
        assert!(matches!(
            DeviceProfile::from_path("no/such/file.toml"),
            Err(Error::Config { .. })
        ));
    }
}
