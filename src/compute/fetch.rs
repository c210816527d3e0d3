//! Trained models from the package registry: `ukis-csmask:<variant>` names a
//! cloud/shadow segmentation model shipped in the `ukis-csmask` wheel on PyPI
//! (DLR, Apache-2.0). On first use the wheel is downloaded with `pip download`
//! (from PyPI, never a model hub), the ONNX file extracted and its SHA-256
//! checked, and the file cached; afterwards no network is needed.
//!
//! Cache: `$ORBITEDGE_CACHE`, else `$XDG_CACHE_HOME/orbitedge`, else
//! `~/.cache/orbitedge`. The interpreter is `$ORBITEDGE_PYTHON`, else
//! `.venv/bin/python` when present, else `python3`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Prefix of registry model names.
pub const UKIS_PREFIX: &str = "ukis-csmask:";
/// The package version the hashes below belong to.
pub const UKIS_VERSION: &str = "1.0.0";

/// Variants in the wheel, with the SHA-256 of the files verified here (`None`: not
/// yet verified on this project's machines; the file is used with a warning).
const VARIANTS: [(&str, Option<&str>); 4] = [
    (
        "4b-l1c",
        Some("81611f290adc315b86bb7e7c69b0f2496b3abe0390c2a5c8e9e9da9622e8a0c8"),
    ),
    ("4b-l2a", None),
    ("6b-l1c", None),
    ("6b-l2a", None),
];

fn fail(reason: impl Into<String>) -> Error {
    Error::ModelFile {
        path: format!("{UKIS_PREFIX}…"),
        reason: reason.into(),
    }
}

/// `$ORBITEDGE_PYTHON`, else the project's `.venv` (made by `scripts/check.sh`),
/// else `python3`.
fn python_interpreter() -> String {
    if let Ok(python) = std::env::var("ORBITEDGE_PYTHON") {
        return python;
    }
    let venv = Path::new(".venv").join("bin").join("python");
    if venv.exists() {
        return venv.display().to_string();
    }
    "python3".into()
}

/// The cache directory.
pub fn cache_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("ORBITEDGE_CACHE") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(dir).join("orbitedge"));
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache").join("orbitedge"))
        .ok_or_else(|| fail("no cache directory: set ORBITEDGE_CACHE"))
}

/// SHA-256 of `bytes`, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A model path from a scenario: `ukis-csmask:<variant>` is fetched (or found in
/// the cache, or in `models/` as prepared by `scripts/prepare_cloud_model.sh`);
/// anything else is a file path relative to `base`.
pub fn resolve(spec: &str, base: &Path) -> Result<PathBuf> {
    match spec.strip_prefix(UKIS_PREFIX) {
        Some(variant) => fetch_ukis(variant),
        None => Ok(base.join(spec)),
    }
}

/// The float16 ONNX file of a ukis-csmask variant, fetched on first use.
pub fn fetch_ukis(variant: &str) -> Result<PathBuf> {
    let (_, expected) = VARIANTS
        .iter()
        .find(|(v, _)| *v == variant)
        .ok_or_else(|| Error::InvalidChoice {
            name: "ukis-csmask variant",
            value: variant.to_string(),
            expected: "4b-l1c, 4b-l2a, 6b-l1c or 6b-l2a",
        })?;
    let file_name = format!("ukis-csmask-{variant}-fp16.onnx");
    let verified = |path: &Path| -> bool {
        std::fs::read(path).is_ok_and(|bytes| expected.is_none_or(|sha| sha256_hex(&bytes) == sha))
    };
    let cache = cache_dir()?.join("models");
    let cached = cache.join(&file_name);
    if verified(&cached) {
        return Ok(cached);
    }
    let prepared = Path::new("models").join(&file_name);
    if verified(&prepared) {
        return Ok(prepared);
    }
    let wheels = cache.join("wheels");
    std::fs::create_dir_all(&wheels).map_err(|e| fail(format!("cannot create {}: {e}", wheels.display())))?;
    let python = python_interpreter();
    let requirement = format!("ukis-csmask=={UKIS_VERSION}");
    let how = format!(
        "{python} -m pip download --no-deps --only-binary=:all: --dest {} {requirement}",
        wheels.display()
    );
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
        ])
        .args(["--only-binary=:all:", "--dest"])
        .arg(&wheels)
        .arg(&requirement)
        .status()
        .map_err(|e| {
            fail(format!(
                "cannot run `{how}` ({e}); install Python 3 with pip, or give the model's file path"
            ))
        })?;
    if !status.success() {
        return Err(fail(format!(
            "`{how}` failed ({status}); check access to PyPI, or give the model's file path"
        )));
    }
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| fail(e.to_string()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("ukis_csmask-{UKIS_VERSION}")) && n.ends_with(".whl"))
        })
        .ok_or_else(|| {
            fail(format!(
                "pip reported success but no ukis_csmask-{UKIS_VERSION} wheel is in {}",
                wheels.display()
            ))
        })?;
    let inner = format!("ukis_csmask/model_{}.onnx", variant.replace('-', "_"));
    let file = std::fs::File::open(&wheel).map_err(|e| fail(format!("{}: {e}", wheel.display())))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| fail(format!("{}: not a wheel ({e})", wheel.display())))?;
    let bytes = {
        let mut entry = archive
            .by_name(&inner)
            .map_err(|e| fail(format!("{} has no {inner} ({e})", wheel.display())))?;
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
        bytes
    };
    if let Some(sha) = expected {
        let got = sha256_hex(&bytes);
        if got != *sha {
            return Err(fail(format!(
                "{inner} has SHA-256 {got}, expected {sha}: refusing to use it"
            )));
        }
    }
    let partial = cache.join(format!("{file_name}.partial"));
    std::fs::write(&partial, &bytes).map_err(|e| fail(format!("{}: {e}", partial.display())))?;
    std::fs::rename(&partial, &cached).map_err(|e| fail(format!("{}: {e}", cached.display())))?;
    // The wheel (≈ 140 MB, four models) is not needed any more.
    drop(archive);
    let _ = std::fs::remove_file(&wheel);
    Ok(cached)
}
