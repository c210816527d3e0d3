//! The layers import downwards only (ARCHITECTURE.md's diagram): nothing in
//! the lower modules reaches up into the engine, the report, scenarios, the
//! rehearsal server, the CLI or the Python bindings. Checked on the sources,
//! so a `use` that runs up the layers fails here and not in a later review.

#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Each lower module and the modules above it that it must not import.
const RULES: &[(&str, &[&str])] = &[
    ("time", UPPER_ALL),
    ("frames", UPPER_ALL),
    ("constants", UPPER_ALL),
    ("orbit", UPPER_ALL),
    ("satellite", UPPER_ALL),
    ("environment", UPPER_ALL),
    ("access", UPPER_ALL),
    ("batch", UPPER_ALL),
    ("spacecraft", UPPER_ALL),
    ("compute", UPPER_ALL),
    ("sim", &["report", "scenario", "rehearsal", "python", "cli"]),
    ("report", &["scenario", "rehearsal", "python", "cli"]),
];

const UPPER_ALL: &[&str] = &["sim", "report", "scenario", "rehearsal", "python", "cli"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files of module `name`: `src/name.rs` and everything under `src/name/`.
fn module_files(name: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let file = src.join(format!("{name}.rs"));
    if file.exists() {
        files.push(file);
    }
    let dir = src.join(name);
    if dir.is_dir() {
        sources(&dir, &mut files);
    }
    assert!(!files.is_empty(), "no sources for module {name}");
    files
}

#[test]
fn lower_modules_never_import_upper_ones() {
    let mut violations = Vec::new();
    for (module, forbidden) in RULES {
        for file in module_files(module) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (k, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for upper in *forbidden {
                    if code.contains(&format!("crate::{upper}::"))
                        || code.contains(&format!("crate::{upper};"))
                    {
                        violations.push(format!("{}:{}: {}", file.display(), k + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports that run up the layers:\n{}",
        violations.join("\n")
    );
}
