//! Running a scenario end to end: resolve and load the model, build the
//! simulation, attach the detector, run, write the report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::compute::detector::SceneDetector;
use crate::compute::model::OnnxModel;
use crate::compute::scene::SceneConfig;
use crate::compute::{fetch, Latency};
use crate::error::{Error, Result};
use crate::report::{write_report, Report, RunInfo};
use crate::scenario::Scenario;
use crate::sim::Simulation;

/// How to run.
pub struct RunOptions<'a> {
    /// Report directory (default: the scenario's `outputs.dir`).
    pub out_dir: Option<PathBuf>,
    /// Seed override.
    pub seed: Option<u64>,
    /// Called with the fraction done and a status line; return false to stop.
    pub progress: &'a mut dyn FnMut(f64, &str) -> bool,
}

/// What a run produced.
pub struct RunOutcome {
    /// The simulation at its end.
    pub simulation: Simulation,
    /// The report written.
    pub report: Report,
    /// The files written.
    pub files: Vec<PathBuf>,
    /// Whether the run reached its end (false: stopped by the progress callback).
    pub completed: bool,
}

/// The loaded model of a scenario's computer (resolving `ukis-csmask:` names),
/// with the model description filled in from its report.
pub fn load_model(scenario: &mut Scenario, base: &Path) -> Result<Option<(OnnxModel, String)>> {
    let (Some(computer), Some(imager)) = (scenario.computer.as_mut(), scenario.imager.as_ref()) else {
        return Ok(None);
    };
    let Some(spec) = computer.model.path.clone() else {
        return Ok(None);
    };
    let path = fetch::resolve(&spec, base)?;
    let tile = imager.tile_px as usize;
    let shape = [1, imager.bands as usize, tile, tile];
    let model = OnnxModel::from_path_with_precision(&path, Some(&shape), computer.model.precision)?;
    let report = model.report();
    if computer.model.flops == 0.0 {
        computer.model.flops = report.flops_per_inference as f64;
    }
    if computer.model.peak_memory_bytes == 0.0 {
        computer.model.peak_memory_bytes = report.peak_memory_bytes as f64;
    }
    let description = format!(
        "{} ({}, {:.1} M parameters, {:.1} GFLOP and {:.0} MB peak per {tile}×{tile} tile; file precision {}, run in {})",
        computer.model.name,
        path.display(),
        report.parameters as f64 / 1e6,
        report.flops_per_inference as f64 / 1e9,
        report.peak_memory_bytes as f64 / 1e6,
        report.precision.name(),
        report.run_precision.name(),
    );
    Ok(Some((model, description)))
}

/// A scenario made into a simulation with its detector attached, ready to run.
pub struct Built {
    /// The simulation at its start.
    pub simulation: Simulation,
    /// End of the run.
    pub until: hifitime::Epoch,
    /// Stepping.
    pub stepping: crate::sim::Stepping,
    /// What the report says about the run (wall time still 0).
    pub info: RunInfo,
    /// Report directory from the scenario.
    pub out_dir: PathBuf,
    /// Whether the report draws plots (from the scenario).
    pub plots: bool,
}

/// Loads the model, builds the simulation and attaches the real detector.
pub fn build_scenario(scenario: &Scenario, base: &Path, seed: Option<u64>) -> Result<Built> {
    let mut scenario = scenario.clone();
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let model = load_model(&mut scenario, base)?;
    if let Some(computer) = &scenario.computer {
        if matches!(computer.latency, Latency::Measured { .. }) && model.is_none() {
            return Err(Error::Config {
                origin: format!("scenario {:?}", scenario.name),
                reason: "computer.latency: measured latencies need a model file (computer.model.path)".into(),
            });
        }
    }
    let mut prepared = scenario.prepare(base)?;
    if let (Some((model, _)), Some(imager)) = (&model, &scenario.imager) {
        let scene = SceneConfig {
            size_px: imager.tile_px as usize,
            ..SceneConfig::default()
        };
        let detector = Arc::new(SceneDetector::new(model.clone(), scene)?);
        for hooks in prepared.simulation.hooks_mut() {
            hooks.set_detector(detector.clone());
        }
    }
    let device = scenario.computer.as_ref().map(|c| {
        let assumed = c.device.assumed_fields();
        if assumed.is_empty() {
            format!("{} — {}", c.device.name, c.device.summary)
        } else {
            format!(
                "{} — {}; unverified numbers: {}",
                c.device.name,
                c.device.summary,
                assumed.join(", ")
            )
        }
    });
    Ok(Built {
        simulation: prepared.simulation,
        until: prepared.until,
        stepping: prepared.stepping,
        info: RunInfo {
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            model: model.map(|(_, d)| d),
            device,
            wall_s: 0.0,
        },
        out_dir: PathBuf::from(&scenario.outputs.dir),
        plots: scenario.outputs.plots,
    })
}

/// Runs a scenario and writes its report.
pub fn run_scenario(scenario: &Scenario, base: &Path, options: RunOptions<'_>) -> Result<RunOutcome> {
    let started = Instant::now();
    let progress = options.progress;
    progress(0.0, "loading the model");
    let built = build_scenario(scenario, base, options.seed)?;
    let mut sim = built.simulation;
    let completed = sim.run_with_progress(built.until, built.stepping, &mut |done| {
        progress(done, "simulating")
    })?;
    let info = RunInfo {
        wall_s: started.elapsed().as_secs_f64(),
        ..built.info
    };
    let dir = options.out_dir.unwrap_or(built.out_dir);
    progress(1.0, "writing the report");
    let (report, files) = write_report(&sim, &info, &dir, built.plots)?;
    Ok(RunOutcome {
        simulation: sim,
        report,
        files,
        completed,
    })
}
