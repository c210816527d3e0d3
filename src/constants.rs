//! Physical constants, in the units their names state.
//!
//! Sources: WGS84 (NIMA TR8350.2), IAU 2012 (astronomical unit), IAU 2015 B3
//! (nominal solar radius, rounded as in `shared/reference/physics.md`).

/// Earth gravitational parameter (WGS84/EGM96), km³/s². Used by Kepler and J2.
pub const EARTH_MU_KM3_S2: f64 = 398_600.441_8;
/// WGS84 equatorial radius, km.
pub const EARTH_EQUATORIAL_RADIUS_KM: f64 = 6_378.137;
/// WGS84 flattening.
pub const EARTH_FLATTENING: f64 = 1.0 / 298.257_223_563;
/// Second zonal harmonic J2 (EGM96, unnormalised).
pub const EARTH_J2: f64 = 1.082_626_68e-3;
/// Earth rotation rate (IERS, mean), rad/s.
pub const EARTH_ROTATION_RAD_S: f64 = 7.292_115e-5;
/// Solar radius used by the conical shadow model, km.
pub const SUN_RADIUS_KM: f64 = 696_000.0;
/// Astronomical unit, km.
pub const ASTRONOMICAL_UNIT_KM: f64 = 149_597_870.7;
/// Seconds in a day.
pub const SECONDS_PER_DAY: f64 = 86_400.0;
