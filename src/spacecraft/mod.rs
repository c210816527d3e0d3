//! Spacecraft as systems: the parameters of each subsystem model and the
//! spacecraft that gathers them. The state that evolves lives in [`crate::sim`].

pub mod activity;
pub mod link;
pub mod power;
pub mod radiation;
pub mod storage;
pub mod thermal;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::satellite::Satellite;

pub use activity::{ActivityConfig, DataFlow, Preconditions};
pub use link::{RadioConfig, RateModel, RelayConfig};
pub use power::{BatteryConfig, PowerConfig, SolarArray};
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
    /// Power subsystem.
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
        }
    }

    /// Validates every subsystem and the references between them (partitions named
    /// by activities and radios exist; activity names are unique).
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
                return Err(Error::InvalidChoice {
                    name: "activity name",
                    value: activity.name.clone(),
                    expected: "names unique within a spacecraft",
                });
            }
            for flow in [&activity.produces, &activity.consumes].into_iter().flatten() {
                storage.index(&flow.partition)?;
            }
        }
        Ok(Self {
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
