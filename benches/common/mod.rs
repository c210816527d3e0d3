//! Inputs shared by the benches: a deterministic population of LEO satellites
//! as SGP4 element sets (OMM), spread over altitude, inclination and phase.

use orbitedge::Satellite;

/// `count` LEO satellites (SGP4), epoch 2024-03-01.
pub fn leo_population(count: usize) -> Vec<Satellite> {
    let records: Vec<String> = (0..count)
        .map(|k| {
            let altitude_km = 450.0 + 400.0 * ((k * 37) % 100) as f64 / 100.0;
            let a = 6_378.137 + altitude_km;
            let mean_motion = 86_400.0 / (std::f64::consts::TAU * (a.powi(3) / 398_600.8).sqrt());
            let inclination = [53.0, 97.6, 70.0, 87.9, 45.0][k % 5];
            format!(
                r#"{{"OBJECT_NAME":"LEO-{k}","EPOCH":"2024-03-01T00:00:00","MEAN_MOTION":{mean_motion},
                "ECCENTRICITY":0.0012,"INCLINATION":{inclination},"RA_OF_ASC_NODE":{raan},
                "ARG_OF_PERICENTER":90.0,"MEAN_ANOMALY":{anomaly},"NORAD_CAT_ID":{id},"BSTAR":0.0001}}"#,
                raan = (k * 47 % 360) as f64,
                anomaly = (k * 83 % 360) as f64,
                id = 90_000 + k,
            )
        })
        .collect();
    Satellite::from_omm(&format!("[{}]", records.join(","))).expect("valid bench population")
}
