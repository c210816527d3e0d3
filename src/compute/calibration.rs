//! Host calibration: the sustained throughput of one model on this host, so a
//! measured latency can be scaled to any device.
//!
//! Under measured latency the simulated duration of a tile is its host time ×
//! `host_gflops / device_gflops`: the host's FLOP/s on this model over the
//! device profile's. Equivalently, it is the device's modeled latency × how
//! much slower this tile ran than the calibration — so an iX10 (4× an iX5's
//! throughput) takes a quarter of an iX5's time for the same host run.
//!
//! A calibration times the model a few times on a representative input
//! (after one untimed warm-up) and keeps the median: measured once per model
//! file (its SHA-256), input shape, precision and host, then reused — from
//! memory for the rest of the process and, when asked, from a file under the
//! orbitedge cache directory ([`crate::compute::fetch::cache_dir`]). It is
//! never re-measured during a run, so every tile of a run is scaled by the
//! same factor; the host times themselves still follow the host's load, which
//! is why measured runs are reproducible only through their inference records.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::compute::device::DeviceProfile;
use crate::compute::fetch;
use crate::compute::model::OnnxModel;
use crate::compute::{CalibrationCache, Precision};
use crate::error::{Error, Result};

/// Timed runs of a calibration (after one warm-up): enough for a stable
/// median, few enough to cost about a second on the cloud model.
pub const CALIBRATION_RUNS: usize = 5;

/// The sustained throughput of one model on one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostCalibration {
    /// SHA-256 of the model file, hex.
    pub model_sha256: String,
    /// The host it was measured on ([`host_id`]).
    pub host: String,
    /// Input shape of the plan timed.
    pub input_shape: Vec<usize>,
    /// Precision the plan ran in.
    pub run_precision: Precision,
    /// Floating-point operations per run (tract's cost model, as in the
    /// model's report).
    pub flops_per_inference: u64,
    /// Median wall-clock time of a run, s.
    pub host_s_per_inference: f64,
    /// `flops_per_inference / host_s_per_inference`, GFLOP/s.
    pub host_gflops: f64,
    /// Timed runs the median is taken over.
    pub runs: usize,
}

/// One run for timing: NaN or inf in the output does not spoil the timing (the
/// model ran in full), so a model that overflows on the calibration scene is
/// still calibrated and its tiles fail one by one, logged, in the run.
fn timed_run(model: &OnnxModel, input: &[f32], shape: &[usize]) -> Result<()> {
    match model.run(input, shape) {
        Ok(_) | Err(Error::NonFiniteOutput { .. }) => Ok(()),
        Err(other) => Err(other),
    }
}

impl HostCalibration {
    /// Times `runs` runs of `model` on `input` (its input shape) after one
    /// untimed warm-up; the median run gives the throughput. A model whose
    /// cost model counts no FLOPs cannot be calibrated (give `host_to_target`).
    pub fn measure(model: &OnnxModel, input: &[f32], runs: usize) -> Result<Self> {
        let report = model.report();
        if report.flops_per_inference == 0 {
            return Err(Error::Model {
                reason: "tract's cost model counts no FLOPs in this model, so its host throughput \
                         cannot be calibrated: give latency.host_to_target instead"
                    .into(),
            });
        }
        let shape = report.input_shape.clone();
        timed_run(model, input, &shape)?;
        let mut times_s = Vec::with_capacity(runs.max(1));
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            timed_run(model, input, &shape)?;
            times_s.push(started.elapsed().as_secs_f64());
        }
        times_s.sort_by(f64::total_cmp);
        let host_s = times_s[times_s.len() / 2].max(f64::MIN_POSITIVE);
        Ok(Self {
            model_sha256: report.sha256.clone(),
            host: host_id(),
            input_shape: shape,
            run_precision: report.run_precision,
            flops_per_inference: report.flops_per_inference,
            host_s_per_inference: host_s,
            host_gflops: report.flops_per_inference as f64 / host_s / 1e9,
            runs: times_s.len(),
        })
    }

    /// Target seconds per host second on `device`.
    pub fn host_to_target(&self, device: &DeviceProfile) -> f64 {
        self.host_gflops / device.throughput_gflops.value
    }

    /// What keys it: the model, its plan and the host.
    fn key(&self) -> Key {
        Key {
            model_sha256: self.model_sha256.clone(),
            input_shape: self.input_shape.clone(),
            run_precision: self.run_precision,
            host: self.host.clone(),
        }
    }
}

/// What a calibration is valid for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    model_sha256: String,
    input_shape: Vec<usize>,
    run_precision: Precision,
    host: String,
}

impl Key {
    fn of(model: &OnnxModel) -> Self {
        let report = model.report();
        Self {
            model_sha256: report.sha256.clone(),
            input_shape: report.input_shape.clone(),
            run_precision: report.run_precision,
            host: host_id(),
        }
    }

    /// The cache file's name: short hashes, the shape and the precision.
    fn file_name(&self) -> String {
        let shape: Vec<String> = self.input_shape.iter().map(usize::to_string).collect();
        let host = fetch::sha256_hex(self.host.as_bytes());
        format!(
            "{}-{}-{}-{}.json",
            &self.model_sha256[..self.model_sha256.len().min(16)],
            shape.join("x"),
            self.run_precision.name(),
            &host[..16]
        )
    }
}

fn memory() -> &'static Mutex<HashMap<Key, HostCalibration>> {
    static MEMORY: OnceLock<Mutex<HashMap<Key, HostCalibration>>> = OnceLock::new();
    MEMORY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The calibration of `model` on this host: from this process's memory, else
/// (with [`CalibrationCache::Disk`]) from the cache directory, else measured
/// on `input` with [`CALIBRATION_RUNS`] runs and kept there.
pub fn calibrated(model: &OnnxModel, input: &[f32], cache: CalibrationCache) -> Result<HostCalibration> {
    let key = Key::of(model);
    let remembered = memory()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
        .cloned();
    if let Some(found) = remembered {
        return Ok(found);
    }
    let on_disk = match cache {
        CalibrationCache::Disk => read_disk(&key)?,
        CalibrationCache::Memory => None,
    };
    let calibration = match on_disk {
        Some(found) => found,
        None => {
            let measured = HostCalibration::measure(model, input, CALIBRATION_RUNS)?;
            if cache == CalibrationCache::Disk {
                write_disk(&measured)?;
            }
            measured
        }
    };
    memory()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(key, calibration.clone());
    Ok(calibration)
}

fn disk_path(key: &Key) -> Result<PathBuf> {
    Ok(fetch::cache_dir()?.join("calibrations").join(key.file_name()))
}

/// A calibration file for `key`, if one exists and is for exactly it (a file
/// that does not parse or belongs to another key is ignored and rewritten).
fn read_disk(key: &Key) -> Result<Option<HostCalibration>> {
    Ok(read_file(&disk_path(key)?, key))
}

fn read_file(path: &std::path::Path, key: &Key) -> Option<HostCalibration> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return None;
    };
    serde_json::from_str::<HostCalibration>(&text)
        .ok()
        .filter(|c| c.key() == *key && c.host_gflops > 0.0)
}

fn write_disk(calibration: &HostCalibration) -> Result<()> {
    write_file(&disk_path(&calibration.key())?, calibration)
}

fn write_file(path: &std::path::Path, calibration: &HostCalibration) -> Result<()> {
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        reason: format!("cannot write the host calibration: {e}"),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let text = serde_json::to_string_pretty(calibration).map_err(|e| Error::Internal {
        context: "writing a host calibration".into(),
        message: e.to_string(),
    })?;
    // Write then rename, so a concurrent reader never sees half a file.
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, text).map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)
}

/// This host, as calibrations are keyed: host name, CPU model, architecture
/// and the number of logical CPUs (a calibration moves with none of them).
pub fn host_id() -> String {
    let read = |path: &str| std::fs::read_to_string(path).ok().map(|s| s.trim().to_string());
    let name = read("/proc/sys/kernel/hostname")
        .or_else(|| read("/etc/hostname"))
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown-host".into());
    let cpu = read("/proc/cpuinfo")
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    format!("{name} / {cpu} / {} / {cpus} CPUs", std::env::consts::ARCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> OnnxModel {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tiny_cloudnet.onnx");
        OnnxModel::from_path(path, None).unwrap()
    }

    #[test]
    fn a_calibration_is_measured_once_per_model_and_host() {
        let model = tiny();
        let input = vec![0.2f32; model.report().input_shape.iter().product()];
        let first = calibrated(&model, &input, CalibrationCache::Memory).unwrap();
        assert!(first.host_gflops > 0.0 && first.runs == CALIBRATION_RUNS);
        assert_eq!(first.model_sha256.len(), 64);
        let runs = model.runs();
        // A second model loaded from the same file: the same calibration, no run.
        let again = tiny();
        let second = calibrated(&again, &input, CalibrationCache::Memory).unwrap();
        assert_eq!(second, first);
        assert_eq!((model.runs(), again.runs()), (runs, 0));
        let ix5 = DeviceProfile::shipped("unibap-ix5").unwrap();
        let ix10 = DeviceProfile::shipped("unibap-ix10").unwrap();
        let ratio = first.host_to_target(&ix5) / first.host_to_target(&ix10);
        assert!((ratio - 4.0).abs() < 1e-12, "{ratio}");
    }

    #[test]
    fn the_disk_cache_is_keyed_by_model_and_host() {
        let model = tiny();
        let key = Key::of(&model);
        assert!(
            key.file_name().contains("-1x4x32x32-float32-"),
            "{}",
            key.file_name()
        );
        let mut other = key.clone();
        other.host.push('!');
        assert_ne!(key.file_name(), other.file_name());
        // Round trip through a file; a file for another host is not used.
        let input = vec![0.2f32; 4 * 32 * 32];
        let calibration = HostCalibration::measure(&model, &input, 1).unwrap();
        let dir = std::env::temp_dir().join(format!("orbitedge-calibration-{}", std::process::id()));
        let path = dir.join(key.file_name());
        write_file(&path, &calibration).unwrap();
        assert_eq!(read_file(&path, &key), Some(calibration));
        assert_eq!(read_file(&path, &other), None);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
