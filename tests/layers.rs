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

/// Braces of `line` outside string and character literals and comments
/// (enough for this crate's sources: no raw strings hold braces in `src/sim`).
fn brace_balance(line: &str) -> i64 {
    let mut balance = 0;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => break,
            '"' => {
                while let Some(s) = chars.next() {
                    match s {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                // A char literal ('{', '\n') or a lifetime ('a): skip a literal only.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with('\\') || rest.chars().nth(1) == Some('\'') {
                    for s in chars.by_ref() {
                        if s == '\'' {
                            break;
                        }
                    }
                }
            }
            '{' => balance += 1,
            '}' => balance -= 1,
            _ => {}
        }
    }
    balance
}

/// Functions under `src/sim` read at once (issue 13): none longer than 80
/// lines, none needing `too_many_arguments`.
#[test]
fn engine_functions_fit_on_a_screen() {
    const MAX_LINES: usize = 80;
    let mut too_long = Vec::new();
    for file in module_files("sim") {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (k, line) in lines.iter().enumerate() {
            assert!(
                !line.contains("too_many_arguments"),
                "{}:{}: a function with too many arguments",
                file.display(),
                k + 1
            );
            let code = line.trim_start();
            let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn "]
                .iter()
                .any(|p| code.starts_with(p));
            if !is_fn || code.ends_with(';') {
                continue;
            }
            let mut depth = 0;
            let mut opened = false;
            let mut end = k;
            for (j, l) in lines.iter().enumerate().skip(k) {
                let b = brace_balance(l);
                opened |= l.contains('{');
                depth += b;
                end = j;
                if opened && depth <= 0 {
                    break;
                }
            }
            let length = end - k + 1;
            if length > MAX_LINES {
                too_long.push(format!("{}:{}: {length} lines: {code}", file.display(), k + 1));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "functions longer than {MAX_LINES} lines:\n{}",
        too_long.join("\n")
    );
}
