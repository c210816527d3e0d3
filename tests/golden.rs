//! The embedded default scenario against its golden outputs (issue 13: the
//! engine renovation must keep them byte for byte).
//!
//! `tests/data/golden/default/` holds what `orbitedge run --quiet` wrote for
//! the default scenario with the real model: `inferences.jsonl` (every
//! inference's latency and detected cloud fraction), `summary.json`,
//! `events.jsonl` and `timeline.csv`. Replaying the recorded inferences takes
//! the host (its CPU, its timing, tract's kernels) out of the run, so the same
//! engine must give the same bytes on any machine. A deliberate change of the
//! engine's behaviour re-derives the outputs from the same recorded inferences
//! (`ORBITEDGE_BLESS_GOLDEN=1 cargo test --test golden`, a reviewable diff) and
//! says why in the CHANGELOG; `scripts/record_golden.sh` records everything
//! anew with the real model (new inferences, new latencies).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use orbitedge::report::summary::Summary;
use orbitedge::scenario::Scenario;
use orbitedge::sim::InferenceRecord;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golden/default")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(golden(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `inferences.jsonl` as the engine's replay records, by spacecraft.
fn recorded_inferences() -> Vec<(String, InferenceRecord)> {
    read("inferences.jsonl")
        .lines()
        .map(|line| {
            let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
            let spacecraft = value
                .as_object_mut()
                .and_then(|o| o.remove("spacecraft"))
                .and_then(|s| s.as_str().map(str::to_string))
                .expect("every record names its spacecraft");
            (spacecraft, serde_json::from_value(value).unwrap())
        })
        .collect()
}

/// The first line where two texts differ, for a readable failure.
fn first_difference(name: &str, actual: &str, expected: &str) -> Option<String> {
    if actual == expected {
        return None;
    }
    let (a, e): (Vec<&str>, Vec<&str>) = (actual.lines().collect(), expected.lines().collect());
    let line = (0..a.len().max(e.len()))
        .find(|&k| a.get(k) != e.get(k))
        .unwrap_or(0);
    Some(format!(
        "{name} differs from its golden copy at line {}:\n  now:    {:?}\n  golden: {:?}\n  ({} lines now, {} golden)",
        line + 1,
        a.get(line),
        e.get(line),
        a.len(),
        e.len()
    ))
}

#[test]
fn the_default_scenario_replayed_gives_its_golden_outputs() {
    let scenario = Scenario::default_scenario().unwrap();
    let mut prepared = scenario.prepare(Path::new(".")).unwrap();
    let sim = &mut prepared.simulation;
    sim.replay_inferences(&recorded_inferences()).unwrap();
    sim.run(prepared.until, prepared.stepping).unwrap();
    // summary.json holds the run's wall-clock time too: compare its summary.
    // (As JSON values: the file holds NaN as null, which does not read back as f64.)
    let report: serde_json::Value = serde_json::from_str(&read("summary.json")).unwrap();
    let expected_summary = serde_json::to_string_pretty(&report["summary"]).unwrap();
    let summary = serde_json::to_string_pretty(&serde_json::to_value(Summary::of(sim)).unwrap()).unwrap();
    if std::env::var_os("ORBITEDGE_BLESS_GOLDEN").is_some() {
        #[derive(serde::Serialize)]
        struct Blessed<'a> {
            run: &'a serde_json::Value,
            summary: Summary,
        }
        let blessed = Blessed {
            run: &report["run"],
            summary: Summary::of(sim),
        };
        let write = |name: &str, text: &str| std::fs::write(golden(name), text).unwrap();
        write("summary.json", &serde_json::to_string_pretty(&blessed).unwrap());
        write("events.jsonl", &sim.events_jsonl());
        write("timeline.csv", &sim.telemetry_csv());
        return;
    }
    let differences: Vec<String> = [
        first_difference("summary.json (summary)", &summary, &expected_summary),
        first_difference("events.jsonl", &sim.events_jsonl(), &read("events.jsonl")),
        first_difference("timeline.csv", &sim.telemetry_csv(), &read("timeline.csv")),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
