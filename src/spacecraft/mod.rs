//! Spacecraft as systems: the parameters of each subsystem model and the
//! spacecraft that gathers them. The state that evolves lives in [`crate::sim`].

pub mod activity;
pub mod link;
pub mod power;
pub mod radiation;
pub mod storage;
pub mod thermal;

use serde::{Deserialize, Serialize};

use crate::compute::{ComputerConfig, ImagerConfig};
use crate::error::{Error, Result};
use crate::satellite::Satellite;

pub use activity::{ActivityConfig, DataFlow, Preconditions};
pub use link::{RadioConfig, RateModel, RelayConfig};
pub use power::{BatteryConfig, PowerConfig, PowerSource, Rtg, SolarArray};
pub use radiation::RadiationConfig;
pub use storage::{PartitionConfig, StorageConfig};
pub use thermal::{ThermalConfig, ThermalIntegrator};

/// One spacecraft: an orbit and its subsystems. Power and thermal models are
/// optional (a spacecraft without them has no state of charge or temperature).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spacecraft {
    /// Unique name.
    pub name: String,
    /// Orbit.
    pub satellite: Satellite,
    /// Power subsystem (a solar array or an RTG, a battery, a bus load).
    pub power: Option<PowerConfig>,
    /// Thermal node.
    pub thermal: Option<ThermalConfig>,
    /// Radiation environment.
    pub radiation: RadiationConfig,
    /// Storage.
    pub storage: StorageConfig,
    /// Downlink radios (the first one is used).
    pub radios: Vec<RadioConfig>,
    /// Inter-satellite relays.
    #[serde(default)]
    pub relays: Vec<RelayConfig>,
    /// Activities.
    pub activities: Vec<ActivityConfig>,
    /// Imaging payload.
    #[serde(default)]
    pub imager: Option<ImagerConfig>,
    /// Onboard computer running a model on the imager's tiles.
    #[serde(default)]
    pub computer: Option<ComputerConfig>,
}

impl Spacecraft {
    /// A spacecraft with default storage, no power or thermal model, no radio, no activity.
    pub fn new(name: impl Into<String>, satellite: Satellite) -> Self {
        Self {
            name: name.into(),
            satellite,
            power: None,
            thermal: None,
            radiation: RadiationConfig::default(),
            storage: StorageConfig::default(),
            radios: Vec::new(),
            relays: Vec::new(),
            activities: Vec::new(),
            imager: None,
            computer: None,
        }
    }

    /// A 6U cubesat as a starting point: Sun-pointing deployable array of 0.1 m²
    /// at 30 % (≈ 41 W in full Sun), 40 Wh battery (95 %/95 %, floor 20 %), 8 W bus;
    /// a 12 kg aluminium node with 0.1 m² facing Sun and Earth, 0.6 m² radiating,
    /// α = 0.6, ε = 0.8. Typical values from the physics reference, not a real bus.
    ///
    /// ```
    /// use orbitedge::{spacecraft::Spacecraft, prelude::*};
    /// let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    /// let elements = ClassicalElements { semi_major_axis_km: 6_928.0, eccentricity: 0.0, inclination_deg: 97.6,
    ///     raan_deg: 0.0, argument_of_perigee_deg: 0.0, mean_anomaly_deg: 0.0 };
    /// let sat = Satellite::from_elements("sat", epoch, elements, AnalyticModel::J2)?;
    /// let sc = Spacecraft::cubesat_6u("sat", sat).validated()?;
    /// assert_eq!(sc.power.unwrap().battery.capacity_wh, 40.0);
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn cubesat_6u(name: impl Into<String>, satellite: Satellite) -> Self {
        let mut sc = Self::new(name, satellite);
        sc.power = Some(Self::cubesat_6u_power());
        sc.thermal = Some(Self::cubesat_6u_thermal());
        sc
    }

    /// The power subsystem of [`Spacecraft::cubesat_6u`]: 0.1 m² of 30 % cells
    /// (≈ 41 W in full Sun), a 40 Wh battery at 80 %, an 8 W bus.
    pub fn cubesat_6u_power() -> PowerConfig {
        PowerConfig {
            source: PowerSource::Solar(SolarArray {
                area_m2: 0.1,
                efficiency: 0.3,
                degradation_per_year: 0.0275,
                age_years: 0.0,
                pointing: power::Pointing::SunPointing,
            }),
            battery: BatteryConfig {
                capacity_wh: 40.0,
                initial_soc: 0.8,
                charge_efficiency: 0.95,
                discharge_efficiency: 0.95,
                min_soc: 0.2,
            },
            bus_load_w: 8.0,
        }
    }

    /// The thermal node of [`Spacecraft::cubesat_6u`]: 12 kg, 0.6 m² radiating.
    pub fn cubesat_6u_thermal() -> ThermalConfig {
        ThermalConfig {
            mass_kg: 12.0,
            heat_capacity_j_per_kg_k: 900.0,
            absorptivity: 0.6,
            emissivity: 0.8,
            area_sun_m2: 0.1,
            area_earth_m2: 0.1,
            area_radiating_m2: 0.6,
            albedo: 0.3,
            albedo_factor: 0.5,
            earth_emissivity: 0.6,
            earth_temperature_k: 288.0,
            heat_fraction: 0.5,
            initial_temperature_k: 290.0,
            integrator: ThermalIntegrator::Exact,
        }
    }

    /// The radio that downlinks to the station named `station`, if any: the
    /// first radio (the one the engine uses) when it can work with that
    /// station. A spacecraft claims a station only through such a radio.
    ///
    /// ```
    /// use orbitedge::prelude::*;
    /// use orbitedge::spacecraft::{RadioConfig, RateModel, Spacecraft};
    /// let epoch = Epoch::from_gregorian_utc_at_midnight(2024, 3, 1);
    /// let geo = Satellite::from_elements("relay", epoch, ClassicalElements { semi_major_axis_km: 42_164.0,
    ///     eccentricity: 0.0, inclination_deg: 0.0, raan_deg: 0.0, argument_of_perigee_deg: 0.0,
    ///     mean_anomaly_deg: 0.0 }, AnalyticModel::Kepler)?;
    /// let mut sc = Spacecraft::new("relay", geo);
    /// assert!(sc.downlink_radio_for("Kiruna").is_none()); // no radio: no claim
    /// sc.radios = vec![RadioConfig { name: "s".into(), rate: RateModel::Fixed { rate_bps: 1e6 },
    ///     transmit_power_w: 0.0, partitions: vec![], stations: vec!["Matera".into()],
    ///     inter_satellite: false, max_range_km: None }];
    /// assert!(sc.downlink_radio_for("Kiruna").is_none());
    /// assert!(sc.downlink_radio_for("Matera").is_some());
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn downlink_radio_for(&self, station: &str) -> Option<&RadioConfig> {
        self.ground_radio().filter(|radio| radio.works_with(station))
    }

    /// The radio that downlinks to ground stations: the first one not marked
    /// `inter_satellite`.
    pub fn ground_radio(&self) -> Option<&RadioConfig> {
        self.radios.iter().find(|radio| !radio.inter_satellite)
    }

    /// The first radio marked `inter_satellite`, with its index.
    pub fn inter_satellite_radio(&self) -> Option<(usize, &RadioConfig)> {
        self.radios
            .iter()
            .enumerate()
            .find(|(_, radio)| radio.inter_satellite)
    }

    /// Validates every subsystem and the references between them (partitions named
    /// by activities and radios exist; activity names are unique; an activity's
    /// `resume_soc` is above the battery's floor).
    pub fn validated(self) -> Result<Self> {
        if self.name.is_empty() {
            return Err(Error::EmptyInput {
                what: "spacecraft name",
            });
        }
        let storage = self.storage.validated()?;
        let radios = self
            .radios
            .into_iter()
            .map(RadioConfig::validated)
            .collect::<Result<Vec<_>>>()?;
        for radio in &radios {
            for partition in &radio.partitions {
                storage.index(partition)?;
            }
        }
        let relays = self
            .relays
            .into_iter()
            .map(RelayConfig::validated)
            .collect::<Result<Vec<_>>>()?;
        for relay in &relays {
            for partition in &relay.partitions {
                storage.index(partition)?;
            }
        }
        let activities = self
            .activities
            .into_iter()
            .map(ActivityConfig::validated)
            .collect::<Result<Vec<_>>>()?;
        for (k, activity) in activities.iter().enumerate() {
            if activities[..k].iter().any(|a| a.name == activity.name) {
                return Err(Error::Duplicate {
                    kind: "activity",
                    name: activity.name.clone(),
                    within: format!("spacecraft {:?}", self.name),
                });
            }
            for flow in [&activity.produces, &activity.consumes].into_iter().flatten() {
                storage.index(&flow.partition)?;
            }
            let resume = activity.preconditions.resume_soc;
            let battery_floor = self.power.map(|p| p.battery.min_soc);
            if let (Some(resume), Some(floor)) = (resume, battery_floor) {
                if resume <= floor {
                    return Err(Error::ParameterOrder {
                        name: "resume_soc",
                        value: resume,
                        bound_name: "the battery's min_soc",
                        bound: floor,
                        within: format!("activity {:?} of spacecraft {:?}", activity.name, self.name),
                    });
                }
            }
        }
        let imager = self.imager.map(ImagerConfig::validated).transpose()?;
        let computer = self.computer.map(ComputerConfig::validated).transpose()?;
        if let Some(imager) = &imager {
            storage.index(&imager.partition)?;
        }
        if let Some(computer) = &computer {
            if imager.is_none() {
                return Err(Error::MissingDependency {
                    what: format!(
                        "the computer ({}) of spacecraft {:?}",
                        computer.device.name, self.name
                    ),
                    needs: "an imager on the same spacecraft (the computer processes its tiles)",
                });
            }
            storage.index(&computer.keep_partition)?;
            storage.index(&computer.products_partition)?;
        }
        Ok(Self {
            imager,
            computer,
            name: self.name,
            satellite: self.satellite,
            power: self.power.map(PowerConfig::validated).transpose()?,
            thermal: self.thermal.map(ThermalConfig::validated).transpose()?,
            radiation: self.radiation.validated()?,
            storage,
            radios,
            relays,
            activities,
        })
    }
}
