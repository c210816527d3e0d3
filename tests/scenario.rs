//! Scenario files: the embedded default, the three formats, precise errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use orbitedge::scenario::{Format, SatelliteSource, Scenario};
use orbitedge::sim::Stepping;
use orbitedge::spacecraft::{PowerSource, Rtg};

#[test]
fn the_default_scenario_prepares_six_spacecraft_with_payloads() {
    let scenario = Scenario::default_scenario().unwrap();
    let prepared = scenario.prepare(Path::new(".")).unwrap();
    let sim = &prepared.simulation;
    assert_eq!(sim.spacecraft().len(), 6);
    assert_eq!(sim.stations().len(), 3);
    assert!(sim
        .spacecraft()
        .iter()
        .all(|sc| sc.imager.is_some() && sc.computer.is_some()));
    // Sun-synchronous inclination filled in for 550 km.
    let i = orbitedge::scenario::sun_synchronous_inclination_deg(550.0).unwrap();
    assert!((i - 97.59).abs() < 0.02, "{i}");
    assert_eq!(prepared.stepping, Stepping::EventDriven);
    assert_eq!((prepared.until - sim.start()).to_seconds(), 86_400.0);
    // TOML round trip.
    let again = Scenario::from_str(&scenario.to_toml().unwrap(), Format::Toml, "round trip").unwrap();
    assert_eq!(again, scenario);
}

#[test]
fn json_and_yaml_read_the_same_scenario() {
    let toml = Scenario::default_scenario().unwrap();
    let json = serde_json::to_string(&toml).unwrap();
    assert_eq!(Scenario::from_str(&json, Format::Json, "x.json").unwrap(), toml);
    let yaml = r#"
name: tiny
start: "2024-03-01T00:00:00Z"
duration_h: 2
step_s: 10
satellites:
  - source: elements
    name: one
    elements: {semi_major_axis_km: 6928, eccentricity: 0.001, inclination_deg: 97.6,
               raan_deg: 0, argument_of_perigee_deg: 0, mean_anomaly_deg: 0}
stations:
  - {name: Kiruna, latitude_deg: 67.86, longitude_deg: 20.96}
"#;
    let scenario = Scenario::from_str(yaml, Format::Yaml, "x.yaml").unwrap();
    assert!(matches!(scenario.satellites[0], SatelliteSource::Elements { .. }));
    let prepared = scenario.prepare(Path::new(".")).unwrap();
    assert_eq!(prepared.stepping, Stepping::Fixed { step_s: 10.0 });
}

#[test]
fn errors_name_the_key_path_and_suggest_the_right_key() {
    let text = orbitedge::scenario::DEFAULT_SCENARIO_TOML.to_string();
    let typo = text.replace("capture_interval_s", "capture_intervl_s");
    let err = Scenario::from_str(&typo, Format::Toml, "s.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("s.toml") && err.contains("imager"), "{err}");
    assert!(err.contains("did you mean `capture_interval_s`?"), "{err}");

    let bad_value = text.replace("duration_h = 24.0", "duration_h = \"long\"");
    let err = Scenario::from_str(&bad_value, Format::Toml, "s.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("duration_h"), "{err}");

    let bad_device = text.replace("device = \"unibap-ix5\"", "device = \"unibap-ix7\"");
    let err = Scenario::from_str(&bad_device, Format::Toml, "s.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("computer.device") && err.contains("unibap-ix7"),
        "{err}"
    );

    let negative = Scenario::from_str(
        &text.replace("duration_h = 24.0", "duration_h = -1.0"),
        Format::Toml,
        "s",
    )
    .unwrap()
    .prepare(Path::new("."))
    .unwrap_err()
    .to_string();
    assert!(negative.contains("duration_h"), "{negative}");

    let err = Scenario::from_path("no/such/scenario.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot read"), "{err}");
    let err = Scenario::from_path("scenario.ini").unwrap_err().to_string();
    assert!(err.contains(".toml"), "{err}");
}

#[test]
fn tle_files_and_station_csvs_resolve_relative_to_the_scenario() {
    let dir = std::env::temp_dir().join(format!("orbitedge-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("sats.tle"),
        "SENTINEL-2A\n1 40697U 15028A   23188.15862373  .00000171  00000+0  81941-4 0  9994\n\
         2 40697  98.5695 262.3977 0001349  91.8221 268.3116 14.30817084419867\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("gs.csv"),
        "name,latitude_deg,longitude_deg\nKiruna,67.86,20.96\n",
    )
    .unwrap();
    let text = r#"
name = "files"
start = "2023-07-07T00:00:00Z"
duration_h = 1.0
stations_csv = "gs.csv"
[[satellites]]
source = "tle"
file = "sats.tle"
"#;
    std::fs::write(dir.join("s.toml"), text).unwrap();
    let (scenario, base) = Scenario::from_path(dir.join("s.toml")).unwrap();
    let prepared = scenario.prepare(&base).unwrap();
    assert_eq!(prepared.simulation.spacecraft()[0].name, "SENTINEL-2A");
    assert_eq!(prepared.simulation.stations()[0].name(), "Kiruna");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 14: a station's antennas and the assignment policy are scenario keys
/// (and a station CSV may have an `antennas` column); the defaults are one
/// antenna and first come, first served, left out when written back.
#[test]
fn antennas_and_the_station_assignment_are_scenario_keys() {
    use orbitedge::sim::StationAssignment;
    let text = r#"
name = "sharing"
start = "2024-03-01T00:00:00Z"
duration_h = 1.0
station_assignment = { priority = ["eo-P1-S2", "eo-P1-S1"] }
[[satellites]]
source = "walker"
prefix = "eo"
total = 2
planes = 1
altitude_km = 550.0
[[stations]]
name = "Kiruna"
latitude_deg = 67.8558
longitude_deg = 20.9644
antennas = 2
[[stations]]
name = "Matera"
latitude_deg = 40.649
longitude_deg = 16.704
"#;
    let scenario = Scenario::from_str(text, Format::Toml, "s.toml").unwrap();
    let prepared = scenario.prepare(Path::new(".")).unwrap();
    let sim = &prepared.simulation;
    assert_eq!(
        sim.config().station_assignment,
        StationAssignment::Priority(vec!["eo-P1-S2".into(), "eo-P1-S1".into()])
    );
    let antennas: Vec<u32> = sim.stations().iter().map(|s| s.antennas()).collect();
    assert_eq!(antennas, vec![2, 1]);
    let again = Scenario::from_str(&scenario.to_toml().unwrap(), Format::Toml, "round trip").unwrap();
    assert_eq!(again, scenario);
    for (value, expected) in [
        ("\"highest_elevation\"", StationAssignment::HighestElevation),
        ("\"first_come\"", StationAssignment::FirstCome),
    ] {
        let edited = text.replace("{ priority = [\"eo-P1-S2\", \"eo-P1-S1\"] }", value);
        let scenario = Scenario::from_str(&edited, Format::Toml, "s.toml").unwrap();
        assert_eq!(scenario.station_assignment, expected);
    }
    // The default scenario says neither, and writes neither back.
    let default = Scenario::default_scenario().unwrap().to_toml().unwrap();
    assert!(!default.contains("station_assignment") && !default.contains("antennas"));
    // A station CSV with an antennas column.
    let dir = std::env::temp_dir().join(format!("orbitedge-antennas-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("gs.csv"),
        "name,latitude_deg,longitude_deg,antennas\nKiruna,67.86,20.96,3\nMatera,40.65,16.70,\n",
    )
    .unwrap();
    let csv = text.replace("duration_h = 1.0", "duration_h = 1.0\nstations_csv = \"gs.csv\"");
    let scenario = Scenario::from_str(&csv, Format::Toml, "s.toml").unwrap();
    let stations = scenario.ground_stations(&dir).unwrap();
    let antennas: Vec<u32> = stations.iter().map(|s| s.antennas()).collect();
    assert_eq!(antennas, vec![2, 1, 3, 1]);
    std::fs::write(
        dir.join("gs.csv"),
        "name,latitude_deg,longitude_deg,antennas\nKiruna,67.86,20.96,0\n",
    )
    .unwrap();
    let err = scenario.ground_stations(&dir).unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("antennas"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Activities in a scenario file (issue 14): `[[bus.activities]]` with the
/// anti-chattering options, checked as strictly as the rest.
#[test]
fn bus_activities_with_a_resume_charge_and_a_minimum_on_time() {
    let text = r#"
name = "chatter"
start = "2024-03-01T00:00:00Z"
duration_h = 2.0

[[satellites]]
source = "elements"
name = "one"
elements = { semi_major_axis_km = 6928.0, eccentricity = 0.0, inclination_deg = 97.6, raan_deg = 0.0, argument_of_perigee_deg = 0.0, mean_anomaly_deg = 0.0 }

[bus]
preset = "cubesat_6u"

[[bus.activities]]
name = "survey"
power_w = 40.0
auto = true
min_on_s = 600.0
preconditions = { min_soc = 0.5, resume_soc = 0.6 }
"#;
    let scenario = Scenario::from_str(text, Format::Toml, "chatter.toml").unwrap();
    let again = Scenario::from_str(&scenario.to_toml().unwrap(), Format::Toml, "round trip").unwrap();
    assert_eq!(again, scenario);
    let mut prepared = scenario.prepare(Path::new(".")).unwrap();
    let activity = &prepared.simulation.spacecraft()[0].activities[0];
    assert_eq!(
        (activity.min_on_s, activity.preconditions.resume_soc),
        (600.0, Some(0.6))
    );
    prepared
        .simulation
        .run(prepared.until, prepared.stepping)
        .unwrap();
    let starts = prepared
        .simulation
        .events()
        .iter()
        .filter(|e| e.kind.name() == "activity_started")
        .count();
    assert!((1..=12).contains(&starts), "{starts}");
    // Sweeps vary them by key path.
    let varied = scenario
        .with_values([("bus.activities.0.min_on_s", serde_json::json!(900.0))])
        .unwrap();
    assert_eq!(varied.bus.activities[0].min_on_s, 900.0);

    let typo = Scenario::from_str(&text.replace("min_on_s", "min_on"), Format::Toml, "s.toml")
        .unwrap_err()
        .to_string();
    assert!(
        typo.contains("bus.activities") && typo.contains("did you mean `min_on_s`?"),
        "{typo}"
    );
    let below = Scenario::from_str(
        &text.replace("resume_soc = 0.6", "resume_soc = 0.4"),
        Format::Toml,
        "s",
    )
    .unwrap()
    .prepare(Path::new("."))
    .unwrap_err()
    .to_string();
    assert!(
        below.contains("resume_soc must be greater than min_soc (0.5)"),
        "{below}"
    );
}

/// An RTG instead of the preset's array (issue 14): `[bus.power]` with `rtg`,
/// read, written back and varied like any section; a solar array is written
/// as before.
#[test]
fn an_rtg_bus() {
    let text = r#"
name = "deep-space"
start = "2024-03-01T00:00:00Z"
duration_h = 2.0

[[satellites]]
source = "elements"
name = "one"
elements = { semi_major_axis_km = 6928.0, eccentricity = 0.0, inclination_deg = 97.6, raan_deg = 0.0, argument_of_perigee_deg = 0.0, mean_anomaly_deg = 0.0 }

[bus.power]
rtg = { power_w = 40.0 }
battery = { capacity_wh = 40.0, initial_soc = 0.5 }
bus_load_w = 8.0
"#;
    let scenario = Scenario::from_str(text, Format::Toml, "rtg.toml").unwrap();
    let written = scenario.to_toml().unwrap();
    assert!(
        written.contains("[bus.power.rtg]") && !written.contains("solar_array"),
        "{written}"
    );
    assert_eq!(
        Scenario::from_str(&written, Format::Toml, "again").unwrap(),
        scenario
    );
    let prepared = scenario.prepare(Path::new(".")).unwrap();
    let power = prepared.simulation.spacecraft()[0].power.unwrap();
    assert_eq!(power.source, PowerSource::Rtg(Rtg { power_w: 40.0 }));
    let varied = scenario
        .with_values([("bus.power.rtg.power_w", serde_json::json!(60.0))])
        .unwrap();
    assert_eq!(
        varied.bus.power.unwrap().source,
        PowerSource::Rtg(Rtg { power_w: 60.0 })
    );
    // The preset's array, written out for a sweep, keeps its keys.
    let preset = Scenario::default_scenario()
        .unwrap()
        .with_values([("bus.power.bus_load_w", serde_json::json!(5.0))])
        .unwrap();
    let json = serde_json::to_string(&preset.bus.power.unwrap()).unwrap();
    let at = |key: &str| json.find(&format!("\"{key}\":")).unwrap();
    assert!(
        at("solar_array") < at("battery") && at("battery") < at("bus_load_w"),
        "{json}"
    );
    assert!(!json.contains("rtg"), "{json}");
}

/// A measured run's records replay on another device from a scenario key
/// (`computer.replay_records`), without the model, the latency scaled to
/// that device; the calibration is measured before the run and stated.
#[cfg(feature = "onnx")]
#[test]
fn a_measured_run_replays_on_another_device_from_its_records() {
    use orbitedge::compute::DetectorChoice;
    use orbitedge::scenario::{run_scenario, RunOptions};
    use serde_json::json;

    let dir = std::env::temp_dir().join(format!("orbitedge-replay-records-{}", std::process::id()));
    let tiny = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tiny_cloudnet.onnx");
    let base = Scenario::default_scenario()
        .unwrap()
        .with_values([
            ("duration_h", json!(6.0)),
            ("imager.tile_px", json!(32)),
            ("computer.model.path", json!(tiny)),
            ("outputs.plots", json!(false)),
        ])
        .unwrap();
    let run = |scenario: &Scenario, out: &str| {
        run_scenario(
            scenario,
            Path::new("."),
            RunOptions {
                out_dir: Some(dir.join(out)),
                seed: None,
                progress: &mut |_, _| true,
            },
        )
        .unwrap()
    };
    let measured = run(&base, "ix5");
    let latency = measured.report.run.latency.clone().unwrap();
    assert!(
        latency.contains("calibrated on") && latency.contains("÷ the device's 8 GFLOP/s"),
        "{latency}"
    );
    let records = dir.join("ix5/inferences.jsonl");
    let ix10 = base
        .with_values([
            ("computer.device", json!("unibap-ix10")),
            ("computer.detector", json!("replay")),
            ("computer.replay_records", json!(records.display().to_string())),
        ])
        .unwrap();
    let replayed = run(&ix10, "ix10");
    let (a, b) = (&measured.report.summary.totals, &replayed.report.summary.totals);
    assert!(a.jobs_started > 10);
    assert_eq!(
        (a.detector, b.detector),
        (Some(DetectorChoice::Model), Some(DetectorChoice::Replay))
    );
    assert_eq!((b.detections.model, b.detections.replayed), (0, a.jobs_started));
    let ratio = a.compute_busy_s / b.compute_busy_s;
    assert!((ratio / 4.0 - 1.0).abs() < 0.05, "iX5 busy / iX10 busy = {ratio}");
    let md = std::fs::read_to_string(dir.join("ix10/summary.md")).unwrap();
    assert!(md.contains("detector `replay`"), "{md}");
    std::fs::remove_dir_all(&dir).unwrap();
}
