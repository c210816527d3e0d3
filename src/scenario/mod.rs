//! Scenarios: a whole simulation described in one file (TOML; JSON and YAML
//! read through serde too) — time span, satellites, the spacecraft bus, imager
//! and onboard computer, ground stations, seed and outputs.
//!
//! Files are checked strictly: unknown keys are errors naming the key path and,
//! when a known key is close, suggesting it; every value is validated by the
//! model it configures. [`Scenario::default_scenario`] is embedded, so the main
//! job needs no file.

mod load;
#[cfg(feature = "onnx")]
mod run;
mod satellites;
mod values;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compute::{ComputerConfig, ImagerConfig};
use crate::environment::GroundStation;
use crate::error::{ensure_positive, Error, Result};
use crate::sim::{Simulation, SimulationConfig, StationAssignment, Stepping};
use crate::spacecraft::{
    ActivityConfig, PowerConfig, RadiationConfig, RadioConfig, Spacecraft, StorageConfig, ThermalConfig,
};

pub use load::{closest, Format};
#[cfg(feature = "onnx")]
pub use run::{build_scenario, load_model, run_scenario, Built, RunOptions, RunOutcome};
pub use satellites::{satellites_from_tle_text, sun_synchronous_inclination_deg, SatelliteSource};

/// The embedded default scenario (TOML).
pub const DEFAULT_SCENARIO_TOML: &str = include_str!("default.toml");

/// A simulation described as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name (used in reports).
    pub name: String,
    /// What the scenario is for.
    #[serde(default)]
    pub description: String,
    /// Seed of every random process.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Start, ISO 8601 UTC (e.g. `2024-03-01T00:00:00Z`).
    pub start: String,
    /// Length, hours.
    pub duration_h: f64,
    /// Fixed step, s; absent: event-driven.
    #[serde(default)]
    pub step_s: Option<f64>,
    /// Telemetry cadence, s.
    #[serde(default = "default_telemetry_interval_s")]
    pub telemetry_interval_s: f64,
    /// Where the satellites come from.
    pub satellites: Vec<SatelliteSource>,
    /// The spacecraft bus every satellite gets.
    #[serde(default)]
    pub bus: Bus,
    /// Imaging payload.
    #[serde(default)]
    pub imager: Option<ImagerConfig>,
    /// Onboard computer (needs an imager).
    #[serde(default)]
    pub computer: Option<ComputerConfig>,
    /// Ground stations.
    #[serde(default)]
    pub stations: Vec<StationSpec>,
    /// A CSV of ground stations (`name,latitude_deg,longitude_deg,altitude_m,min_elevation_deg`,
    /// and optionally `antennas`), relative to the scenario file.
    #[serde(default)]
    pub stations_csv: Option<String>,
    /// How a station's antennas are shared when passes compete:
    /// `"first_come"` (default), `"highest_elevation"` or
    /// `{ priority = ["name", ...] }` (see [`StationAssignment`]).
    #[serde(default, skip_serializing_if = "StationAssignment::is_first_come")]
    pub station_assignment: StationAssignment,
    /// Total solar irradiance at 1 AU, W/m² (absent: 1 361, Kopp & Lean 2011).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solar_constant_w_m2: Option<f64>,
    /// Reproduce PASEOS's simplifications: the irradiance held at the solar
    /// constant whatever the Sun's distance; with `step_s`, charging only
    /// when sunlit at both ends of a step and thermal inputs at its start
    /// (see [`SimulationConfig::paseos_compatible`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paseos_compatible: bool,
    /// What to write.
    #[serde(default)]
    pub outputs: Outputs,
}

/// The spacecraft bus: a preset, with any subsystem replaced, and its activities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bus {
    /// `cubesat_6u` (see [`Spacecraft::cubesat_6u`]) or `none` (no power or thermal model).
    #[serde(default = "default_preset")]
    pub preset: String,
    /// Power subsystem (replaces the preset's).
    #[serde(default)]
    pub power: Option<PowerConfig>,
    /// Thermal node (replaces the preset's).
    #[serde(default)]
    pub thermal: Option<ThermalConfig>,
    /// Radiation environment.
    #[serde(default)]
    pub radiation: Option<RadiationConfig>,
    /// Storage.
    #[serde(default)]
    pub storage: Option<StorageConfig>,
    /// Downlink radios.
    #[serde(default)]
    pub radios: Vec<RadioConfig>,
    /// Declared activities (`[[bus.activities]]`, keys as in
    /// [`ActivityConfig`]): scenarios have no schedule, so they run when
    /// `auto` and their preconditions allow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<ActivityConfig>,
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            preset: default_preset(),
            power: None,
            thermal: None,
            radiation: None,
            storage: None,
            radios: Vec::new(),
            activities: Vec::new(),
        }
    }
}

/// A ground station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationSpec {
    /// Name.
    pub name: String,
    /// Geodetic latitude, degrees.
    pub latitude_deg: f64,
    /// Longitude, degrees east.
    pub longitude_deg: f64,
    /// Altitude, m.
    #[serde(default)]
    pub altitude_m: f64,
    /// Minimum elevation, degrees.
    #[serde(default = "default_min_elevation_deg")]
    pub min_elevation_deg: f64,
    /// Antennas: how many spacecraft the station serves at once (at least 1; default 1).
    #[serde(default = "default_antennas", skip_serializing_if = "is_one")]
    pub antennas: u32,
}

/// Outputs of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    /// Directory for the report (relative to the working directory).
    #[serde(default = "default_out_dir")]
    pub dir: String,
    /// Draw plots (PNG and SVG).
    #[serde(default = "default_true")]
    pub plots: bool,
}

impl Default for Outputs {
    fn default() -> Self {
        Self {
            dir: default_out_dir(),
            plots: true,
        }
    }
}

fn default_seed() -> u64 {
    42
}
fn default_telemetry_interval_s() -> f64 {
    60.0
}
fn default_preset() -> String {
    "cubesat_6u".into()
}
fn default_min_elevation_deg() -> f64 {
    5.0
}
fn default_antennas() -> u32 {
    1
}
fn is_one(antennas: &u32) -> bool {
    *antennas == 1
}
fn default_out_dir() -> String {
    "orbitedge-out".into()
}
fn default_true() -> bool {
    true
}

/// A scenario made ready to run.
#[derive(Debug)]
pub struct Prepared {
    /// The simulation, at its start.
    pub simulation: Simulation,
    /// End of the run.
    pub until: hifitime::Epoch,
    /// Stepping.
    pub stepping: Stepping,
}

impl Scenario {
    /// The embedded default: six 6U cubesats in a sun-synchronous Walker
    /// constellation, each with an iX5-class computer running the cloud detector on
    /// its imagery and downlinking to Kiruna, Svalbard and Matera, over 24 h.
    pub fn default_scenario() -> Result<Self> {
        Self::from_str(DEFAULT_SCENARIO_TOML, Format::Toml, "default scenario")
    }

    /// A scenario from text; `origin` names it in errors.
    pub fn from_str(text: &str, format: Format, origin: &str) -> Result<Self> {
        load::parse(text, format, origin)
    }

    /// A scenario from a file (format from the extension: `.toml`, `.json`, `.yaml`/`.yml`).
    pub fn from_path(path: impl AsRef<Path>) -> Result<(Self, PathBuf)> {
        let path = path.as_ref();
        let format = Format::from_path(path)?;
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            origin: path.display().to_string(),
            reason: format!("cannot read: {e}"),
        })?;
        let scenario = Self::from_str(&text, format, &path.display().to_string())?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok((scenario, base))
    }

    /// The TOML text of this scenario.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| Error::Config {
            origin: self.name.clone(),
            reason: e.to_string(),
        })
    }

    /// Start epoch.
    pub fn start_epoch(&self) -> Result<hifitime::Epoch> {
        crate::time::parse_epoch(&self.start).map_err(|e| self.error("start", e))
    }

    fn error(&self, key: &str, e: impl std::fmt::Display) -> Error {
        Error::Config {
            origin: format!("scenario {:?}", self.name),
            reason: format!("{key}: {e}"),
        }
    }

    /// Ground stations (inline ones, then the CSV's), relative paths from `base`.
    pub fn ground_stations(&self, base: &Path) -> Result<Vec<GroundStation>> {
        let mut stations = Vec::new();
        for (k, s) in self.stations.iter().enumerate() {
            stations.push(
                GroundStation::new(
                    &s.name,
                    s.latitude_deg,
                    s.longitude_deg,
                    s.altitude_m,
                    s.min_elevation_deg,
                )
                .and_then(|station| station.with_antennas(s.antennas))
                .map_err(|e| self.error(&format!("stations[{k}]"), e))?,
            );
        }
        if let Some(csv) = &self.stations_csv {
            let path = base.join(csv);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| self.error("stations_csv", format!("{}: {e}", path.display())))?;
            stations.extend(load::stations_from_csv(&text, &path.display().to_string())?);
        }
        Ok(stations)
    }

    /// Spacecraft, one per satellite, with the bus, imager and computer.
    pub fn spacecraft(&self, base: &Path) -> Result<Vec<Spacecraft>> {
        let start = self.start_epoch()?;
        let mut satellites = Vec::new();
        for (k, source) in self.satellites.iter().enumerate() {
            satellites.extend(
                source
                    .satellites(start, base)
                    .map_err(|e| self.error(&format!("satellites[{k}]"), e))?,
            );
        }
        if satellites.is_empty() {
            return Err(self.error("satellites", "no satellite"));
        }
        satellites
            .into_iter()
            .map(|sat| {
                let mut sc = match self.bus.preset.as_str() {
                    "cubesat_6u" => Spacecraft::cubesat_6u(sat.name.clone(), sat),
                    "none" => Spacecraft::new(sat.name.clone(), sat),
                    other => {
                        return Err(self.error(
                            "bus.preset",
                            format!("unknown preset {other:?}; expected cubesat_6u or none"),
                        ))
                    }
                };
                if let Some(power) = self.bus.power {
                    sc.power = Some(power);
                }
                if let Some(thermal) = self.bus.thermal {
                    sc.thermal = Some(thermal);
                }
                if let Some(radiation) = self.bus.radiation {
                    sc.radiation = radiation;
                }
                if let Some(storage) = &self.bus.storage {
                    sc.storage = storage.clone();
                }
                sc.radios = self.bus.radios.clone();
                sc.activities = self.bus.activities.clone();
                sc.imager = self.imager.clone();
                sc.computer = self.computer.clone();
                let name = sc.name.clone();
                sc.validated()
                    .map_err(|e| self.error(&format!("spacecraft {name}"), e))
            })
            .collect()
    }

    /// Checks the whole scenario and builds the simulation. `base` resolves
    /// relative paths (TLE, OMM, station CSV). Models are not loaded here.
    /// A run the limits refuse (its telemetry memory or sub-step count, see
    /// [`Simulation::check_run_to`]) is refused here, before any work.
    pub fn prepare(&self, base: &Path) -> Result<Prepared> {
        let prepared = self.prepare_geometry(base)?;
        let duration_s = self.duration_h * 3_600.0;
        prepared.simulation.check_run_to(duration_s, prepared.stepping)?;
        Ok(prepared)
    }

    /// As [`Scenario::prepare`], without the run's cost estimate: for searches
    /// over the scenario's span (`orbitedge windows`, `eclipses`), which hold
    /// no telemetry and have their own bound
    /// ([`crate::access::MAX_SEARCH_PAIR_DAYS`]).
    pub fn prepare_geometry(&self, base: &Path) -> Result<Prepared> {
        let start = self.start_epoch()?;
        ensure_positive("duration_h", self.duration_h).map_err(|e| self.error("duration_h", e))?;
        if let Some(step) = self.step_s {
            ensure_positive("step_s", step).map_err(|e| self.error("step_s", e))?;
        }
        let config = SimulationConfig {
            telemetry_interval_s: self.telemetry_interval_s,
            station_assignment: self.station_assignment.clone(),
            paseos_compatible: self.paseos_compatible,
            solar_constant_w_m2: (self.solar_constant_w_m2)
                .unwrap_or(crate::environment::irradiance::SOLAR_IRRADIANCE_1AU_W_M2),
            ..Default::default()
        };
        let simulation = Simulation::with_config(
            start,
            self.spacecraft(base)?,
            self.ground_stations(base)?,
            self.seed,
            config,
        )?;
        let stepping = self
            .step_s
            .map_or(Stepping::EventDriven, |step_s| Stepping::Fixed { step_s });
        Ok(Prepared {
            simulation,
            until: start + hifitime::Duration::from_seconds(self.duration_h * 3_600.0),
            stepping,
        })
    }
}
