//! User code attached to one spacecraft: extra activity constraints and custom
//! properties (e.g. a dose model). Each spacecraft owns its hooks and its
//! property values, so nothing is shared between spacecraft by accident.
//!
//! Hooks are code, not data: a checkpoint keeps property *values* but not the
//! functions; re-attach them after [`crate::sim::Simulation::restore`].

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::compute::TileDetector;

/// What a hook may look at.
#[derive(Debug, Clone, PartialEq)]
pub struct SpacecraftView {
    /// Seconds since the simulation start.
    pub elapsed_s: f64,
    /// State of charge (NaN without a power model).
    pub soc: f64,
    /// Temperature, K (NaN without a thermal model).
    pub temperature_k: f64,
    /// Visible fraction of the solar disk.
    pub sunlit_fraction: f64,
    /// In contact with a ground station.
    pub in_contact: bool,
    /// Bytes stored.
    pub storage_used_bytes: f64,
    /// Bytes free.
    pub storage_free_bytes: f64,
    /// Accumulated dose, rad.
    pub dose_rad: f64,
    /// Still working.
    pub alive: bool,
    /// Running activity.
    pub activity: Option<String>,
    /// Custom property values.
    pub properties: BTreeMap<String, f64>,
    /// Spacecraft in line of sight over an inter-satellite link (see
    /// `RadioConfig::inter_satellite`), by name, in spacecraft order.
    pub peers_in_view: Vec<String>,
}

/// What a hook sees around the spacecraft at an instant, beyond its own
/// state: computed by the engine only when the spacecraft has hooks.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Surroundings {
    /// The true visible fraction of the Sun (the conical fraction in penumbra).
    pub(crate) sunlit_fraction: f64,
    /// Peers in line of sight, by name.
    pub(crate) peers_in_view: Vec<String>,
}

impl Surroundings {
    /// Nothing known (a gate asked outside a run, without hooks).
    pub(crate) fn unknown() -> Self {
        Self {
            sunlit_fraction: f64::NAN,
            peers_in_view: Vec::new(),
        }
    }
}

/// A constraint: true when the activity may start or continue.
pub type Constraint = Arc<dyn Fn(&SpacecraftView) -> bool + Send + Sync>;
/// A property update: (view, seconds elapsed, current value) → new value.
pub type PropertyUpdate = Arc<dyn Fn(&SpacecraftView, f64, f64) -> f64 + Send + Sync>;

/// The hooks of one spacecraft.
#[derive(Clone, Default)]
pub struct SpacecraftHooks {
    constraints: Vec<(String, String, Constraint)>,
    properties: Vec<(String, PropertyUpdate)>,
    detector: Option<Arc<dyn TileDetector>>,
}

impl std::fmt::Debug for SpacecraftHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpacecraftHooks")
            .field(
                "constraints",
                &self.constraints.iter().map(|c| (&c.0, &c.1)).collect::<Vec<_>>(),
            )
            .field(
                "properties",
                &self.properties.iter().map(|p| &p.0).collect::<Vec<_>>(),
            )
            .field("detector", &self.detector.is_some())
            .finish()
    }
}

impl SpacecraftHooks {
    /// Adds a constraint named `name` on `activity`.
    pub fn add_constraint(&mut self, activity: &str, name: &str, constraint: Constraint) {
        self.constraints
            .push((activity.to_string(), name.to_string(), constraint));
    }

    /// Whether any activity has a user constraint.
    pub fn has_constraints(&self) -> bool {
        !self.constraints.is_empty()
    }

    /// Adds (or replaces) the update function of a property.
    pub fn set_property(&mut self, name: &str, update: PropertyUpdate) {
        self.properties.retain(|(n, _)| n != name);
        self.properties.push((name.to_string(), update));
    }

    /// Constraints on `activity`: (name, function).
    pub fn constraints_for<'a>(
        &'a self,
        activity: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Constraint)> + 'a {
        self.constraints
            .iter()
            .filter(move |(a, _, _)| a == activity)
            .map(|(_, name, f)| (name.as_str(), f))
    }

    /// Attaches the detector run on every tile (measured latencies need one).
    pub fn set_detector(&mut self, detector: Arc<dyn TileDetector>) {
        self.detector = Some(detector);
    }

    /// The attached detector.
    pub fn detector(&self) -> Option<&Arc<dyn TileDetector>> {
        self.detector.as_ref()
    }

    /// Property updates: (name, function).
    pub fn properties(&self) -> impl Iterator<Item = (&String, &PropertyUpdate)> {
        self.properties.iter().map(|(n, f)| (n, f))
    }
}
