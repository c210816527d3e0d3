//! Runs whose work or memory cannot fit are refused before they start, with the
//! estimate and the limit (issue 12, defect 5); long runs stream to disk.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use orbitedge::prelude::*;
use orbitedge::sim::{Simulation, SimulationConfig, Stepping};

mod common;
use common::{cubesats, epoch};

fn sim(config: SimulationConfig) -> Simulation {
    Simulation::with_config(epoch(), cubesats("sat", 2, 2, 1, &[]), vec![], 1, config).unwrap()
}

fn refused(sim: &mut Simulation, until: Epoch, stepping: Stepping) -> String {
    match sim.run(until, stepping) {
        Err(e @ Error::ResourceLimit { .. }) => e.to_string(),
        other => panic!("expected a ResourceLimit error, got {other:?}"),
    }
}

#[test]
fn a_microsecond_telemetry_interval_is_refused_with_the_estimate() {
    let mut sim = sim(SimulationConfig {
        telemetry_interval_s: 1e-6,
        ..Default::default()
    });
    let message = refused(
        &mut sim,
        epoch() + Duration::from_days(1.0),
        Stepping::EventDriven,
    );
    assert!(
        message.contains("bytes of memory") && message.contains("telemetry_interval_s"),
        "{message}"
    );
    assert_eq!(sim.elapsed_s(), 0.0, "nothing ran");
}

#[test]
fn absurd_durations_and_steps_are_refused() {
    let mut s = sim(SimulationConfig::default());
    let century = epoch() + Duration::from_days(36_525.0 * 100.0);
    let message = refused(&mut s, century, Stepping::EventDriven);
    assert!(message.contains("limit"), "{message}");
    let message = refused(
        &mut s,
        epoch() + Duration::from_days(1.0),
        Stepping::Fixed { step_s: 1e-6 },
    );
    assert!(message.contains("sub-steps"), "{message}");
    // What is left is a normal run.
    s.run(epoch() + Duration::from_hours(1.0), Stepping::EventDriven)
        .unwrap();
}

#[test]
fn a_streaming_run_writes_everything_and_holds_nothing() {
    let dir = std::env::temp_dir().join(format!("orbitedge-stream-test-{}", std::process::id()));
    let mut held = sim(SimulationConfig::default());
    held.run(epoch() + Duration::from_hours(12.0), Stepping::EventDriven)
        .unwrap();
    let mut streamed = sim(SimulationConfig::default());
    streamed
        .run(epoch() + Duration::from_hours(2.0), Stepping::EventDriven)
        .unwrap();
    streamed.stream_to(&dir).unwrap(); // what was held is written first
    streamed
        .run(epoch() + Duration::from_hours(12.0), Stepping::EventDriven)
        .unwrap();
    assert!(streamed.telemetry().is_empty() && streamed.events().is_empty());
    let csv = std::fs::read_to_string(dir.join("timeline.csv")).unwrap();
    let jsonl = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert_eq!(csv, held.telemetry_csv());
    assert_eq!(jsonl, held.events_jsonl());
    assert_eq!(held.states(), streamed.states());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scenario_that_cannot_run_does_not_validate() {
    use orbitedge::scenario::{Format, Scenario, DEFAULT_SCENARIO_TOML};
    let text = DEFAULT_SCENARIO_TOML.replace("duration_h = 24.0", "duration_h = 1e300");
    assert_ne!(text, DEFAULT_SCENARIO_TOML);
    let scenario = Scenario::from_str(&text, Format::Toml, "test").unwrap();
    let err = scenario.prepare(std::path::Path::new(".")).unwrap_err();
    assert!(matches!(err, Error::ResourceLimit { .. }), "{err}");
}
