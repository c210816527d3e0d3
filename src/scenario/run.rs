//! Running a scenario end to end: resolve and load the model, build the
//! simulation, attach the detector, run, write the report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::compute::detector::SceneDetector;
use crate::compute::model::OnnxModel;
use crate::compute::scene::{Scene, SceneConfig};
use crate::compute::{calibration, fetch, ComputerConfig, DetectorChoice, Latency};
use crate::error::{Error, Result};
use crate::report::{inference_records_from_jsonl, write_report, Report, RunInfo};
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

/// Loads the model, calibrates the host for measured latencies, builds the
/// simulation and attaches the real detector (under `detector = "model"`) or
/// the records to replay (`computer.replay_records`).
pub fn build_scenario(scenario: &Scenario, base: &Path, seed: Option<u64>) -> Result<Built> {
    let mut scenario = scenario.clone();
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let model = load_model(&mut scenario, base)?;
    let scene = scenario.imager.as_ref().map(|imager| SceneConfig {
        size_px: imager.tile_px as usize,
        ..SceneConfig::default()
    });
    let detector = scenario.computer.as_ref().map(ComputerConfig::detector);
    if detector == Some(DetectorChoice::Model) && model.is_none() {
        return Err(Error::Config {
            origin: format!("scenario {:?}", scenario.name),
            reason: "computer.detector: the model detector (the default under measured latency) needs \
                     a model file (computer.model.path); or choose detector = \"truth\" (perfect \
                     detection) or \"replay\" (with computer.replay_records)"
                .into(),
        });
    }
    let latency = match (&model, &scene, scenario.computer.as_mut()) {
        (Some((model, _)), Some(scene), Some(computer)) => calibrate(computer, model, scene, scenario.seed)?,
        (_, _, computer) => computer.map(|c| describe_latency(c, None)),
    };
    let replay = replay_records(&scenario, base)?;
    let mut prepared = scenario.prepare(base)?;
    if let (Some((model, _)), Some(scene), Some(DetectorChoice::Model)) = (&model, scene, detector) {
        let detector = Arc::new(SceneDetector::new(model.clone(), scene)?);
        for hooks in prepared.simulation.hooks_mut() {
            hooks.set_detector(detector.clone());
        }
    }
    prepared.simulation.replay_inferences(&replay)?;
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
            latency,
            wall_s: 0.0,
        },
        out_dir: PathBuf::from(&scenario.outputs.dir),
        plots: scenario.outputs.plots,
    })
}

/// Under measured latency with the model detector and neither
/// `host_to_target` nor `host_gflops` given: the host calibration of the
/// model (measured once per process, or read from the disk cache), on a scene
/// like the tiles', written into `latency.host_gflops` — before the run, so no
/// tile is scaled by a calibration taken during it. Returns the latency in words.
fn calibrate(
    computer: &mut ComputerConfig,
    model: &OnnxModel,
    scene: &SceneConfig,
    seed: u64,
) -> Result<Option<String>> {
    let Latency::Measured {
        host_to_target: None,
        host_gflops: None,
        calibration: cache,
    } = computer.latency
    else {
        return Ok(Some(describe_latency(computer, None)));
    };
    if computer.detector() != DetectorChoice::Model {
        return Ok(Some(describe_latency(computer, None)));
    }
    let input = Scene::generate(scene, seed, 0)?.normalized_ukis();
    let found = calibration::calibrated(model, &input, cache)?;
    computer.latency = Latency::Measured {
        host_to_target: None,
        host_gflops: Some(found.host_gflops),
        calibration: cache,
    };
    Ok(Some(describe_latency(computer, Some(&found))))
}

/// The latency mode in words, for the report.
fn describe_latency(computer: &ComputerConfig, calibration: Option<&calibration::HostCalibration>) -> String {
    let device = &computer.device;
    match computer.latency {
        Latency::Modeled => format!(
            "modeled: {:.3} s per tile ({:.2} GFLOP at the device's {} GFLOP/s); the model does not run for it",
            computer.modeled_latency_s(),
            computer.model.flops / 1e9,
            device.throughput_gflops.value
        ),
        Latency::Given { latency_s } => format!("given: {latency_s} s per tile"),
        Latency::Measured {
            host_to_target: Some(factor),
            ..
        } => format!(
            "measured: host time × {factor} (host_to_target, given: it ignores the device's throughput)"
        ),
        Latency::Measured {
            host_gflops: Some(host),
            ..
        } => {
            let source = calibration.map_or_else(
                || "given as latency.host_gflops".to_string(),
                |c| {
                    format!(
                        "calibrated on {}: median of {} runs, {:.3} s per tile",
                        c.host, c.runs, c.host_s_per_inference
                    )
                },
            );
            format!(
                "measured: host time × {:.4} = the host's {host:.2} GFLOP/s on this model ({source}) \
                 ÷ the device's {} GFLOP/s; host times follow the host's load, so the run is \
                 reproducible through its inference records",
                host / device.throughput_gflops.value,
                device.throughput_gflops.value
            )
        }
        Latency::Measured { .. } => format!(
            "measured: host time × the recorded calibration's host GFLOP/s ÷ the device's {} GFLOP/s",
            device.throughput_gflops.value
        ),
    }
}

/// The records a scenario replays (`computer.replay_records`, relative to the
/// scenario file): none when it names no file.
fn replay_records(scenario: &Scenario, base: &Path) -> Result<Vec<(String, crate::sim::InferenceRecord)>> {
    let Some(file) = scenario.computer.as_ref().and_then(|c| c.replay_records.as_ref()) else {
        return Ok(Vec::new());
    };
    let path = base.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Config {
        origin: format!("scenario {:?}", scenario.name),
        reason: format!("computer.replay_records: cannot read {}: {e}", path.display()),
    })?;
    inference_records_from_jsonl(&text, &path.display().to_string())
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
