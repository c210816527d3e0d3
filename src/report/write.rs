//! Writing the report files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Config {
        origin: path.display().to_string(),
        reason: format!("cannot write: {e}"),
    }
}

fn write(path: PathBuf, text: &str, written: &mut Vec<PathBuf>) -> Result<()> {
    std::fs::write(&path, text).map_err(|e| io_error(&path, e))?;
    written.push(path);
    Ok(())
}

/// Writes `summary.json`, `summary.md`, `timeline.csv`, `events.jsonl` and
/// `inferences.jsonl` (the records that replay the run) into `dir`, and with
/// `plots` the plots as PNG and SVG (when built with the `plots` feature);
/// returns the paths written.
pub fn write_report(
    sim: &Simulation,
    info: &RunInfo,
    dir: &Path,
    plots: bool,
) -> Result<(Report, Vec<PathBuf>)> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let report = Report {
        run: info.clone(),
        summary: Summary::of(sim),
    };
    let mut written = Vec::new();
    let json = serde_json::to_string_pretty(&report).map_err(|e| Error::Config {
        origin: "summary.json".into(),
        reason: e.to_string(),
    })?;
    write(dir.join("summary.json"), &json, &mut written)?;
    write(dir.join("summary.md"), &markdown(&report), &mut written)?;
    write(dir.join("timeline.csv"), &sim.telemetry_csv(), &mut written)?;
    write(dir.join("events.jsonl"), &sim.events_jsonl(), &mut written)?;
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
    write(dir.join("inferences.jsonl"), &records, &mut written)?;
    #[cfg(feature = "plots")]
    if plots {
        written.extend(crate::report::plots::write_plots(sim, dir)?);
    }
    #[cfg(not(feature = "plots"))]
    let _ = plots;
    Ok((report, written))
}

fn hours(seconds: f64) -> String {
    format!("{:.2} h", seconds / 3_600.0)
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

fn row(s: &SpacecraftSummary) -> String {
    let contact: f64 = s.contact_s.values().sum();
    format!(
        "| {} | {:.1} | {:.1} | {} | {:.1}–{:.1} | {} | {} | {} | {} | {} | {} | {} | {} |",
        s.name,
        s.energy.generated_wh,
        s.energy.consumed_wh,
        if s.min_soc.is_nan() {
            "–".to_string()
        } else {
            format!("{:.0} % at {}", 100.0 * s.min_soc, hours(s.min_soc_elapsed_s))
        },
        s.temperature_range_k.0 - 273.15,
        s.temperature_range_k.1 - 273.15,
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
