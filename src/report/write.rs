//! Writing the report files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::compute::DetectorChoice;
use crate::error::{Error, Result};
use crate::report::summary::{SpacecraftSummary, Summary};
use crate::sim::Simulation;

/// What the report says about the run besides the simulation itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// Scenario description.
    pub description: String,
    /// The model, its precision as run, and its file (when there is one).
    pub model: Option<String>,
    /// Device profile name and the numbers in it that are unverified.
    pub device: Option<String>,
    /// How inference latencies were found (the mode, and for measured ones
    /// the factor to the device and where it comes from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<String>,
    /// Wall-clock time of the run, s.
    pub wall_s: f64,
}

/// The full report as JSON (`summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// About the run.
    pub run: RunInfo,
    /// The numbers.
    pub summary: Summary,
}

fn io_error(path: &Path, action: &str, e: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        reason: format!("cannot {action}: {e}"),
    }
}

/// Where a report is written, inside its directory, before it replaces the
/// previous one: same filesystem, so moving the files in is a rename.
const STAGING_DIR: &str = ".orbitedge-partial";

/// Every file a report can consist of. A new report removes the ones of a
/// previous report that it does not write itself (the plots of a run with
/// plots, under a run without), so no file is left that disagrees with the new
/// numbers; other files in the directory (a rehearsal log, notes) are kept.
const REPORT_FILES: [&str; 11] = [
    "summary.json",
    "summary.md",
    "timeline.csv",
    "events.jsonl",
    "inferences.jsonl",
    "ground_tracks.png",
    "ground_tracks.svg",
    "power_thermal.png",
    "power_thermal.svg",
    "timeline.png",
    "timeline.svg",
];

/// The file that says a report is complete: moved in last, after the previous
/// one's is removed first, so an interrupted replacement shows as a report
/// without a summary rather than new numbers beside old event logs.
const COMPLETE_MARKER: &str = "summary.json";

/// Makes sure a report can be written into `dir`, before any work that would
/// be lost otherwise: creates it (and missing parents, like `mkdir -p`), and
/// refuses a path that is a file or a directory it cannot write into.
pub fn prepare_report_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Io {
            path: dir.display().to_string(),
            reason: "exists and is not a directory".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "create the directory", e))?;
    // Writing is what must work: try it (permissions alone do not say, e.g.
    // for root or on a read-only mount).
    Staging::create(dir).map(drop)
}

/// The staging directory of one report; removed when dropped (on failure the
/// previous report is left as it was).
struct Staging {
    dir: PathBuf,
}

impl Staging {
    /// A fresh, empty staging directory in `target` (one left by an
    /// interrupted run is removed first).
    fn create(target: &Path) -> Result<Self> {
        let dir = target.join(STAGING_DIR);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| io_error(&dir, "remove the leftover", e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| io_error(target, "write into the directory", e))?;
        Ok(Self { dir })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes a report with `write` (given a directory, it writes files there and
/// returns their names) and replaces the report in `dir` with it only once
/// every file is written: a failure or an interruption while writing leaves
/// the previous report intact. Returns the paths in `dir`, in `write`'s order.
fn replace_report(dir: &Path, write: impl FnOnce(&Path) -> Result<Vec<String>>) -> Result<Vec<PathBuf>> {
    prepare_report_dir(dir)?;
    let staging = Staging::create(dir)?;
    let names = write(&staging.dir)?;
    let finished = |name: &str| dir.join(name);
    remove_if_present(&finished(COMPLETE_MARKER))?;
    for name in names.iter().filter(|n| *n != COMPLETE_MARKER) {
        move_in(&staging.dir, dir, name)?;
    }
    for stale in REPORT_FILES.iter().filter(|n| !names.iter().any(|m| m == *n)) {
        remove_if_present(&finished(stale))?;
    }
    if names.iter().any(|n| n == COMPLETE_MARKER) {
        move_in(&staging.dir, dir, COMPLETE_MARKER)?;
    }
    Ok(names.iter().map(|n| finished(n)).collect())
}

fn move_in(staging: &Path, dir: &Path, name: &str) -> Result<()> {
    let to = dir.join(name);
    std::fs::rename(staging.join(name), &to).map_err(|e| io_error(&to, "replace", e))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(path, "remove", e)),
        _ => Ok(()),
    }
}

/// Writes `text` to `dir/name` and records the name.
fn write(dir: &Path, name: &str, text: &str, written: &mut Vec<String>) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| io_error(&path, "write", e))?;
    written.push(name.to_string());
    Ok(())
}

/// Writes `summary.json`, `summary.md`, `timeline.csv`, `events.jsonl` and
/// `inferences.jsonl` (the records that replay the run) into `dir`, and with
/// `plots` the plots as PNG and SVG (when built with the `plots` feature);
/// returns the paths written.
///
/// The files are written beside `dir`'s previous report and replace it only
/// when all are written (see `replace_report`): Ctrl-C or a full disk half-way
/// leaves the previous report whole, never a mixture of two runs. Failures are
/// [`Error::Io`].
pub fn write_report(
    sim: &Simulation,
    info: &RunInfo,
    dir: &Path,
    plots: bool,
) -> Result<(Report, Vec<PathBuf>)> {
    let report = Report {
        run: info.clone(),
        summary: Summary::of(sim),
    };
    let written = replace_report(dir, |staging| write_files(sim, &report, staging, plots))?;
    Ok((report, written))
}

/// Writes every file of the report into `dir`; returns their names.
fn write_files(sim: &Simulation, report: &Report, dir: &Path, plots: bool) -> Result<Vec<String>> {
    let mut written = Vec::new();
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Internal {
        context: "writing summary.json".into(),
        message: e.to_string(),
    })?;
    write(dir, "summary.json", &json, &mut written)?;
    write(dir, "summary.md", &markdown(report), &mut written)?;
    write(dir, "timeline.csv", &sim.telemetry_csv(), &mut written)?;
    write(dir, "events.jsonl", &sim.events_jsonl(), &mut written)?;
    let records: String = sim
        .inference_records()
        .iter()
        .filter_map(|(name, r)| {
            let mut value = serde_json::to_value(r).ok()?;
            value
                .as_object_mut()?
                .insert("spacecraft".into(), name.clone().into());
            Some(value.to_string() + "\n")
        })
        .collect();
    write(dir, "inferences.jsonl", &records, &mut written)?;
    #[cfg(feature = "plots")]
    if plots {
        for path in crate::report::plots::write_plots(sim, dir)? {
            let name = path.file_name().map(|n| n.to_string_lossy().to_string());
            written.extend(name);
        }
    }
    #[cfg(not(feature = "plots"))]
    let _ = plots;
    Ok(written)
}

/// The records of an `inferences.jsonl` (one JSON object per line: an
/// [`crate::sim::InferenceRecord`] with its `spacecraft`), as
/// [`Simulation::replay_inferences`] takes them; `origin` names the file in errors.
pub fn inference_records_from_jsonl(
    text: &str,
    origin: &str,
) -> Result<Vec<(String, crate::sim::InferenceRecord)>> {
    #[derive(Deserialize)]
    struct Row {
        spacecraft: String,
        #[serde(flatten)]
        record: crate::sim::InferenceRecord,
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(k, line)| {
            serde_json::from_str::<Row>(line)
                .map(|row| (row.spacecraft, row.record))
                .map_err(|e| Error::Config {
                    origin: origin.to_string(),
                    reason: format!("line {}: not an inference record ({e})", k + 1),
                })
        })
        .collect()
}

fn hours(seconds: f64) -> String {
    // + 0.0 turns −0.0 (the sum of no passes: Rust's empty f64 sum) into 0.0.
    format!("{:.2} h", seconds / 3_600.0 + 0.0)
}

fn megabytes(bytes: f64) -> String {
    format!("{:.1} MB", bytes / 1e6)
}

fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.0} %", 100.0 * part / whole)
    } else {
        "–".into()
    }
}

/// A temperature range in °C, "–" when nothing was modelled (no thermal
/// model: the range is still the empty (∞, −∞)).
fn celsius_range((low_k, high_k): (f64, f64)) -> String {
    if low_k.is_finite() && high_k.is_finite() {
        format!("{:.1}–{:.1}", low_k - 273.15, high_k - 273.15)
    } else {
        "–".into()
    }
}

fn row(s: &SpacecraftSummary) -> String {
    let contact: f64 = s.contact_s.values().sum();
    format!(
        "| {} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        s.name,
        s.energy.generated_wh,
        s.energy.consumed_wh,
        if s.min_soc.is_nan() {
            "–".to_string()
        } else {
            format!("{:.0} % at {}", 100.0 * s.min_soc, hours(s.min_soc_elapsed_s))
        },
        celsius_range(s.temperature_range_k),
        hours(s.eclipse_s),
        hours(contact),
        s.images_captured,
        s.images_inferred,
        s.images_dropped_cloudy,
        s.images_downlinked,
        megabytes(s.bytes_saved),
        megabytes(s.downlinked_bytes),
    )
}

/// What detected clouds, in words: the choice and the counts by source.
fn detection_line(t: &SpacecraftSummary) -> Option<String> {
    let d = t.detections;
    if d.model + d.truth + d.replayed == 0 && t.detector.is_none() {
        return None;
    }
    let choice = match t.detector {
        Some(choice) => format!("detector `{}` ({})", choice.name(), choice.meaning()),
        None => "detectors differ between spacecraft".to_string(),
    };
    let sample = if t.detector == Some(DetectorChoice::Model) && d.truth > 0 {
        " The model ran on a seeded sample of the tiles (`model_sample`); the others were given \
         their ground truth (perfect detection) at the device's modeled latency."
    } else {
        ""
    };
    Some(format!(
        "Detection: {choice}; inferences by the model {}, with the ground truth {}, replayed from records {}.{sample}",
        d.model, d.truth, d.replayed
    ))
}

/// A warning when measured host times were well above the calibration's.
fn host_load_line(ratio: f64) -> Option<String> {
    if !ratio.is_finite() {
        return None;
    }
    let warning = if ratio > 1.25 {
        " — the host was busier than when calibrated, so the measured latencies are that much \
         longer than the device's; rerun on a quiet host, or replay the records"
    } else {
        ""
    };
    Some(format!(
        "Measured host time per tile: {ratio:.2}× the calibration's{warning}."
    ))
}

/// The Markdown summary.
pub fn markdown(report: &Report) -> String {
    let s = &report.summary;
    let t = &s.totals;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", report.run.scenario);
    if !report.run.description.is_empty() {
        let _ = writeln!(md, "{}\n", report.run.description.trim());
    }
    let _ = writeln!(
        md,
        "Start {} · {} simulated · seed {} · {} spacecraft · run in {:.1} s",
        s.start,
        hours(s.duration_s),
        s.seed,
        s.spacecraft.len(),
        report.run.wall_s
    );
    if let Some(model) = &report.run.model {
        let _ = writeln!(md, "\nModel: {model}");
    }
    if let Some(device) = &report.run.device {
        let _ = writeln!(md, "\nDevice: {device}");
    }
    if let Some(latency) = &report.run.latency {
        let _ = writeln!(md, "\nLatency: {latency}");
    }
    let _ = writeln!(md, "\n## Onboard filtering\n");
    let _ = writeln!(
        md,
        "| captured | inferred | dropped as cloudy | kept | downlinked | lost | downlink saved |\n|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| {} | {} | {} ({}) | {} | {} | {} | {} |",
        t.images_captured,
        t.images_inferred,
        t.images_dropped_cloudy,
        percent(t.images_dropped_cloudy as f64, t.images_inferred as f64),
        t.images_kept,
        t.images_downlinked,
        t.images_lost,
        megabytes(t.bytes_saved)
    );
    if let Some(line) = detection_line(t) {
        let _ = writeln!(md, "\n{line}");
    }
    if let Some(line) = host_load_line(t.host_time_vs_calibration) {
        let _ = writeln!(md, "\n{line}");
    }
    if t.cloud_fraction_mean_abs_error.is_finite() {
        let _ = writeln!(
            md,
            "\nDetected vs true cloud fraction: mean absolute error {:.3}.",
            t.cloud_fraction_mean_abs_error
        );
    }
    let _ = writeln!(
        md,
        "\nJobs: {} started, {} preempted; computer busy {}.",
        t.jobs_started,
        t.jobs_preempted,
        hours(t.compute_busy_s)
    );
    if !t.deferred_s.is_empty() {
        let reasons: Vec<String> = t
            .deferred_s
            .iter()
            .map(|(k, v)| format!("{k} {}", hours(*v)))
            .collect();
        let _ = writeln!(
            md,
            "Work waited (summed over spacecraft): {}.",
            reasons.join(", ")
        );
    }
    let _ = writeln!(md, "\n## Per spacecraft\n");
    let _ = writeln!(
        md,
        "| spacecraft | generated Wh | consumed Wh | min SoC | T °C | eclipse | contact | captured | inferred | dropped | downlinked | saved | sent |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for sc in &s.spacecraft {
        let _ = writeln!(md, "{}", row(sc));
    }
    let _ = writeln!(
        md,
        "{}",
        row(t).replacen("| constellation", "| **constellation**", 1)
    );
    let _ = writeln!(md, "\n## Contacts\n\n| station | contact time |\n|---|---|");
    for (station, seconds) in &t.contact_s {
        let _ = writeln!(md, "| {station} | {} |", hours(*seconds));
    }
    let _ = writeln!(
        md,
        "\n## Faults\n\n{} radiation restarts, {} data corruptions; {}.",
        t.restarts,
        t.corruptions,
        if t.alive {
            "every spacecraft alive at the end"
        } else {
            "some spacecraft failed"
        }
    );
    let _ = writeln!(
        md,
        "\n## Files\n\n`summary.json` (these numbers), `timeline.csv` (telemetry), `events.jsonl` (event log), \
         `inferences.jsonl` (every inference: replay the run with it), plots (`*.png`, `*.svg`)."
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory holding a previous report: its summary, events and a plot,
    /// and a file that is not the report's.
    fn previous_report(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("orbitedge-write-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["summary.json", "events.jsonl", "timeline.png", "notes.txt"] {
            std::fs::write(dir.join(file), "old").unwrap();
        }
        dir
    }

    fn read(dir: &Path, name: &str) -> Option<String> {
        std::fs::read_to_string(dir.join(name)).ok()
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_report_replaces_the_previous_one_without_stale_files() {
        let dir = previous_report("replace");
        let written = replace_report(&dir, |staging| {
            let mut names = Vec::new();
            write(staging, "summary.json", "new", &mut names)?;
            write(staging, "events.jsonl", "new", &mut names)?;
            Ok(names)
        })
        .unwrap();
        assert_eq!(written, vec![dir.join("summary.json"), dir.join("events.jsonl")]);
        // The old plot is gone (this report has none), the user's file stays.
        assert_eq!(files_in(&dir), ["events.jsonl", "notes.txt", "summary.json"]);
        assert_eq!(read(&dir, "summary.json").as_deref(), Some("new"));
        assert_eq!(read(&dir, "events.jsonl").as_deref(), Some("new"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failure_half_way_leaves_the_previous_report_intact() {
        let dir = previous_report("failure");
        let error = replace_report(&dir, |staging| {
            let mut names = Vec::new();
            write(staging, "summary.json", "new", &mut names)?;
            // A full disk, say, at the second file.
            write(&staging.join("no-such-dir"), "events.jsonl", "new", &mut names)?;
            Ok(names)
        })
        .unwrap_err();
        assert!(matches!(error, Error::Io { .. }), "{error:?}");
        assert!(error.to_string().contains("events.jsonl"), "{error}");
        // Everything as it was, and no staging directory left behind.
        assert_eq!(
            files_in(&dir),
            ["events.jsonl", "notes.txt", "summary.json", "timeline.png"]
        );
        assert_eq!(read(&dir, "summary.json").as_deref(), Some("old"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_interrupted_run_s_staging_directory_is_cleared_by_the_next() {
        let dir = previous_report("leftover");
        std::fs::create_dir_all(dir.join(STAGING_DIR)).unwrap();
        std::fs::write(dir.join(STAGING_DIR).join("summary.json"), "half").unwrap();
        replace_report(&dir, |staging| {
            let mut names = Vec::new();
            write(staging, "summary.json", "new", &mut names)?;
            Ok(names)
        })
        .unwrap();
        assert_eq!(files_in(&dir), ["notes.txt", "summary.json"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_report_directory_that_is_a_file_is_an_io_error() {
        let dir = previous_report("file");
        for path in [dir.join("notes.txt"), dir.join("notes.txt").join("sub")] {
            let error = prepare_report_dir(&path).unwrap_err();
            assert!(matches!(error, Error::Io { .. }), "{error:?}");
            assert!(error.to_string().contains("notes.txt"), "{error}");
        }
        // Missing parents are created.
        prepare_report_dir(&dir.join("a").join("b")).unwrap();
        assert!(dir.join("a").join("b").is_dir());
        assert!(!dir.join("a").join("b").join(STAGING_DIR).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
