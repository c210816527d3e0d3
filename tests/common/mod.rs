//! What several integration tests build alike: 6U cubesats in a sun-synchronous
//! Walker pattern with an X-band radio, the iX5 with a ukis-sized model, Kiruna.

#![allow(dead_code)] // each test binary uses its own part

use orbitedge::compute::{ComputerConfig, DeviceProfile, ModelSpec};
use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::prelude::*;
use orbitedge::spacecraft::{RadioConfig, RateModel, Spacecraft};

pub fn epoch() -> Epoch {
    Epoch::from_gregorian_utc_at_midnight(2024, 3, 1)
}

/// `total` cubesat_6u spacecraft (J2 orbits, 550 km, sun-synchronous) in
/// `planes` planes, named `{prefix}-P{plane}-S{slot}`, each with a 20 Mbit/s
/// X-band radio (10 W) sending `partitions` (every partition when empty).
pub fn cubesats(prefix: &str, total: u32, planes: u32, phasing: u32, partitions: &[&str]) -> Vec<Spacecraft> {
    let pattern = WalkerDelta {
        total,
        planes,
        phasing,
        altitude_km: 550.0,
        inclination_deg: 97.6,
    };
    Satellite::walker(prefix, &pattern, epoch(), AnalyticModel::J2)
        .expect("a valid Walker pattern")
        .into_iter()
        .map(|s| {
            let mut sc = Spacecraft::cubesat_6u(s.name.clone(), s);
            sc.radios = vec![RadioConfig {
                name: "x-band".into(),
                rate: RateModel::Fixed { rate_bps: 20e6 },
                transmit_power_w: 10.0,
                partitions: partitions.iter().map(|p| p.to_string()).collect(),
                stations: vec![],
                inter_satellite: false,
                max_range_km: None,
            }];
            sc
        })
        .collect()
}

/// ukis-csmask-sized model: 20 GFLOP per tile (≈ 2.5 s on the iX5 profile).
pub fn model() -> ModelSpec {
    ModelSpec {
        name: "cloud-detector".into(),
        flops: 20e9,
        peak_memory_bytes: 3e8,
        path: None,
        precision: Default::default(),
    }
}

/// The iX5 running [`model`], with the computer's defaults.
pub fn ix5() -> ComputerConfig {
    ComputerConfig::new(
        DeviceProfile::shipped("unibap-ix5").expect("a shipped profile"),
        model(),
    )
}

pub fn kiruna() -> GroundStation {
    GroundStation::new("Kiruna", 67.8558, 20.9644, 390.0, 5.0).expect("a valid station")
}
