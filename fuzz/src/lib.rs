//! The entry points every fuzz target calls, one per parser or loader a user
//! reaches. The same file is the stable fallback's module (`tests/fuzz_stable.rs`
//! includes it with `#[path]`), so libFuzzer and proptest test the same code.
//!
//! An entry takes arbitrary bytes and must return normally: any input gives a
//! value or a typed error. A panic here is a finding, whether it comes from
//! orbitedge, from a dependency, or from a property checked below (a parsed
//! element set that does not survive its own serialisation, a state that is
//! `Ok` but not finite). Each entry bounds the work it asks for, so a slow input
//! is a real hang and not a request for a billion satellites.

#![allow(clippy::expect_used, clippy::panic)] // a broken property must fail loudly

use std::path::Path;
use std::sync::OnceLock;

use orbitedge::orbit::omm::parse_omm;
use orbitedge::orbit::{Orbit, Propagator, Sgp4Orbit};
use orbitedge::prelude::Duration;
use orbitedge::report::intervals::intervals;
use orbitedge::report::Summary;
use orbitedge::scenario::{satellites_from_tle_text, Format, SatelliteSource, Scenario};
use orbitedge::sim::{Simulation, Stepping};
use orbitedge::Satellite;

/// Seconds after epoch at which every parsed orbit is propagated.
const PROPAGATION_TIMES_S: [f64; 4] = [0.0, 5_400.0, -86_400.0, 864_000.0];

/// Largest Walker constellation a scenario input may ask to be prepared: sizes
/// are the resource limits' concern, the fuzzer looks for wrong answers.
const MAX_PREPARED_SATELLITES: u32 = 64;

/// Largest checkpoint (spacecraft plus stations) that is advanced after restoring.
const MAX_ADVANCED_OBJECTS: usize = 8;

/// TLE text: the multi-set loader of scenario TLE files, then
/// `Satellite::from_tle` on the first two lines (or three, with a name).
pub fn tle(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(satellites) = satellites_from_tle_text(&text) {
        satellites.iter().for_each(check_sgp4_satellite);
    }
    let lines: Vec<&str> = text.lines().collect();
    let (name, line1, line2) = match lines.as_slice() {
        [line1, line2] => ("", *line1, *line2),
        [name, line1, line2, ..] => (*name, *line1, *line2),
        _ => return,
    };
    if let Ok(satellite) = Satellite::from_tle(name, line1, line2) {
        check_sgp4_satellite(&satellite);
    }
}

/// OMM text, JSON or KVN (`Satellite::from_omm` and `parse_omm`).
pub fn omm(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(orbits) = parse_omm(&text) {
        orbits.iter().for_each(check_sgp4);
        let satellites = Satellite::from_omm(&text).expect("parse_omm accepted the text");
        assert_eq!(satellites.len(), orbits.len());
    }
}

/// A scenario: the first byte picks TOML, JSON or YAML, the rest is the text.
/// A parsed scenario must survive its TOML (and, without NaN or infinities,
/// JSON) form; small ones without files are also prepared (validated and built).
pub fn scenario(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let format = [Format::Toml, Format::Json, Format::Yaml][usize::from(selector % 3)];
    let text = String::from_utf8_lossy(rest);
    let Ok(scenario) = Scenario::from_str(&text, format, "fuzz") else {
        return;
    };
    check_scenario_round_trips(&scenario);
    let _ = scenario.start_epoch();
    if is_small_without_files(&scenario) {
        let _ = scenario.prepare(Path::new("/nonexistent-orbitedge-fuzz"));
    }
}

/// Sweep values (`Scenario::with_values`) on the default scenario: each line is
/// `dotted.key.path=JSON`; a line whose value is not JSON is taken as a string.
pub fn scenario_values(data: &[u8]) {
    static DEFAULT: OnceLock<Scenario> = OnceLock::new();
    let base = DEFAULT.get_or_init(|| Scenario::default_scenario().expect("the embedded default parses"));
    let text = String::from_utf8_lossy(data);
    let values: Vec<(&str, serde_json::Value)> = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(path, value)| {
            let json = serde_json::from_str(value).unwrap_or_else(|_| value.into());
            (path, json)
        })
        .collect();
    if let Ok(varied) = base.with_values(values) {
        check_scenario_round_trips(&varied);
    }
}

/// Checkpoint bytes (`Simulation::restore`): a restored simulation checkpoints
/// to bytes that restore to the same bytes, advances a minute, and is summarised.
pub fn checkpoint(data: &[u8]) {
    let Ok(mut sim) = Simulation::restore(data) else {
        return;
    };
    let bytes = sim.checkpoint().expect("a restored simulation checkpoints");
    let again = Simulation::restore(&bytes).expect("a fresh checkpoint restores");
    assert!(
        again.checkpoint().ok() == Some(bytes),
        "checkpoint → restore → checkpoint changed the bytes"
    );
    let _ = Summary::of(&sim);
    let _ = intervals(&sim);
    if sim.spacecraft().len() + sim.stations().len() > MAX_ADVANCED_OBJECTS {
        return;
    }
    let until = sim.now() + Duration::from_seconds(60.0);
    if sim.run(until, Stepping::Fixed { step_s: 10.0 }).is_ok() {
        let _ = Summary::of(&sim);
        let _ = intervals(&sim);
    }
}

/// ONNX bytes (`OnnxModel::from_bytes`, as stored and widened to float32); a
/// model that loads with a small input runs once on zeros.
#[cfg(feature = "onnx")]
pub fn onnx_model(data: &[u8]) {
    use orbitedge::compute::model::OnnxModel;
    /// Largest input (elements) a loaded model is run on.
    const MAX_RUN_ELEMENTS: usize = 1 << 16;
    for model in [
        OnnxModel::from_bytes(data, None),
        OnnxModel::from_bytes_as_float32(data, None),
    ]
    .into_iter()
    .flatten()
    {
        let shape = model.report().input_shape.clone();
        let elements = shape.iter().try_fold(1usize, |n, d| n.checked_mul(*d));
        if let Some(n) = elements.filter(|n| *n <= MAX_RUN_ELEMENTS) {
            let _ = model.run(&vec![0.0; n], &shape);
        }
    }
}

fn check_sgp4_satellite(satellite: &Satellite) {
    match &satellite.orbit {
        Orbit::Sgp4(orbit) => check_sgp4(orbit),
        other => panic!("a TLE gave a {} orbit", other.model_name()),
    }
}

/// A parsed element set survives its serialised form (Celestrak OMM JSON keys),
/// read back both by serde and by the OMM parser, and propagates to finite
/// states or a typed error.
fn check_sgp4(orbit: &Sgp4Orbit) {
    let json = serde_json::to_string(orbit).expect("elements serialise");
    let back: Sgp4Orbit = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("serialised elements do not read back ({e}): {json}"));
    assert_eq!(back.elements(), orbit.elements(), "serde round trip of {json}");
    let from_omm =
        parse_omm(&json).unwrap_or_else(|e| panic!("OMM JSON of parsed elements rejected ({e}): {json}"));
    assert_eq!(from_omm.len(), 1);
    assert_eq!(
        from_omm[0].elements(),
        orbit.elements(),
        "OMM round trip of {json}"
    );
    for t in PROPAGATION_TIMES_S {
        if let Ok(state) = orbit.state_after(t) {
            let finite = state
                .position_km
                .iter()
                .chain(state.velocity_km_s.iter())
                .all(|v| v.is_finite());
            assert!(
                finite,
                "SGP4 gave a non-finite state {state:?} at {t} s for {json}"
            );
        }
    }
}

/// `to_toml` reads back to the same text; so do JSON and `with_values([])`
/// when the scenario has no NaN or infinity (which JSON cannot hold), and
/// `with_values` refuses it when it has.
fn check_scenario_round_trips(scenario: &Scenario) {
    let Ok(toml) = scenario.to_toml() else {
        return;
    };
    let again = Scenario::from_str(&toml, Format::Toml, "round trip")
        .unwrap_or_else(|e| panic!("to_toml wrote a scenario that does not read back ({e}):\n{toml}"));
    let toml_again = again.to_toml().expect("a re-read scenario serialises");
    assert_eq!(toml_again, toml, "TOML round trip changed the scenario");
    // Sweeps carry a scenario as JSON: unchanged, or refused when JSON cannot hold it.
    let non_finite = toml.contains("nan") || toml.contains("inf");
    match scenario.with_values([]) {
        Ok(same) => {
            let same_toml = same.to_toml().expect("a re-read scenario serialises");
            assert_eq!(same_toml, toml, "with_values([]) changed the scenario");
        }
        Err(e) => assert!(non_finite, "with_values([]) refused a finite scenario ({e})"),
    }
    if !non_finite {
        let json = serde_json::to_string(scenario).expect("a scenario serialises to JSON");
        let from_json = Scenario::from_str(&json, Format::Json, "round trip")
            .unwrap_or_else(|e| panic!("JSON of a scenario does not read back ({e}): {json}"));
        let from_json_toml = from_json.to_toml().expect("a re-read scenario serialises");
        assert_eq!(from_json_toml, toml, "JSON round trip changed the scenario");
    }
}

/// No TLE, OMM or station file to read, and at most
/// [`MAX_PREPARED_SATELLITES`] Walker satellites.
fn is_small_without_files(scenario: &Scenario) -> bool {
    let mut walker_total = 0u32;
    for source in &scenario.satellites {
        match source {
            SatelliteSource::Tle { .. } | SatelliteSource::Omm { .. } => return false,
            SatelliteSource::Walker { total, .. } => walker_total = walker_total.saturating_add(*total),
            SatelliteSource::Elements { .. } => {}
        }
    }
    scenario.stations_csv.is_none() && walker_total <= MAX_PREPARED_SATELLITES
}
