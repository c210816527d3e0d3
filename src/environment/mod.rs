//! The spacecraft's surroundings: where the Sun is, how much of it a satellite
//! sees, and who can see whom (ground stations, other satellites).

pub mod eclipse;
pub mod irradiance;
pub mod station;
pub mod sun;
pub mod visibility;

pub use eclipse::ShadowModel;
pub use station::{GroundStation, HorizonMask};
pub use visibility::LineOfSight;
