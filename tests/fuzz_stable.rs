//! The stable fallback of the fuzz targets (`fuzz/`, see docs/fuzzing.md): the
//! same entry points (`fuzz/src/lib.rs`, included below) on structured
//! mutations of valid inputs, for a bounded number of cases, plus a replay of
//! every input the fuzzer ever crashed on (`tests/data/fuzz-regressions/`).
//!
//! libFuzzer mutates bytes blindly and needs millions of runs to get past a TLE
//! checksum or a TOML table header; these mutations start from the repository's
//! own valid inputs and make the edits that matter (a character swapped with the
//! checksum fixed, a key deleted or duplicated, a number replaced by NaN, 1e308
//! or -1, unicode, truncation), so a few hundred cases reach the validators.
//!
//! `cargo test --test fuzz_stable -- --ignored write_seed_corpora` writes the
//! seeds below to `fuzz/corpus/<target>/` for cargo-fuzz.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "../fuzz/src/lib.rs"]
mod entries;

use std::path::{Path, PathBuf};

use orbitedge::orbit::omm::parse_omm;
use orbitedge::orbit::sgp4::tle_checksum;
use orbitedge::scenario::{Format, Scenario};
use orbitedge::sim::{Simulation, Stepping};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::RngSeed;
use rmpv::Value;

/// One fuzz target: its name (the directory under `fuzz/corpus` and
/// `tests/data/fuzz-regressions`) and its entry point.
struct Target {
    name: &'static str,
    entry: fn(&[u8]),
    seeds: fn() -> Vec<Vec<u8>>,
}

fn targets() -> Vec<Target> {
    #[cfg_attr(not(feature = "onnx"), allow(unused_mut))]
    let mut targets = vec![
        Target {
            name: "tle",
            entry: entries::tle,
            seeds: tle_seeds,
        },
        Target {
            name: "omm",
            entry: entries::omm,
            seeds: omm_seeds,
        },
        Target {
            name: "scenario",
            entry: entries::scenario,
            seeds: scenario_seeds,
        },
        Target {
            name: "scenario_values",
            entry: entries::scenario_values,
            seeds: values_seeds,
        },
        Target {
            name: "checkpoint",
            entry: entries::checkpoint,
            seeds: checkpoint_seeds,
        },
    ];
    #[cfg(feature = "onnx")]
    targets.push(Target {
        name: "onnx_model",
        entry: entries::onnx_model,
        seeds: onnx_seeds,
    });
    targets
}

// ---------------------------------------------------------------- seeds

const TLE_SAMPLES: &str = include_str!("../data/tle-samples.txt");

/// A TLE line body (68 columns) with its checksum appended.
fn with_checksum(body: &str) -> String {
    format!("{body}{}", tle_checksum(body))
}

fn tle_seeds() -> Vec<Vec<u8>> {
    let lines: Vec<&str> = TLE_SAMPLES.lines().collect();
    let mut seeds = vec![TLE_SAMPLES.to_string()];
    seeds.extend(lines.chunks(3).map(|set| set.join("\n") + "\n"));
    seeds.push(lines[1..3].join("\n"));
    let (iss1, iss2) = (lines[7], lines[8]);
    // Alpha-5 catalogue number, a "0 NAME" title, old blank optional fields.
    seeds.push(format!(
        "0 ALPHA\n{}\n{}\n",
        with_checksum(&format!("1 A0001{}", &iss1[7..68])),
        with_checksum(&format!("2 A0001{}", &iss2[7..68]))
    ));
    seeds.push(format!(
        "{}\n{iss2}\n",
        with_checksum(&format!("{}       ", &iss1[..61]))
    ));
    // Deep space (SDP4): Molniya-like and geostationary element sets.
    for (eccentricity, mean_motion) in [("7000000", " 2.00560000"), ("0002000", " 1.00270000")] {
        let body = format!(
            "{}{eccentricity}{}{mean_motion}{}",
            &iss2[..26],
            &iss2[33..52],
            &iss2[63..68]
        );
        seeds.push(format!("DEEP\n{iss1}\n{}\n", with_checksum(&body)));
    }
    seeds.into_iter().map(String::into_bytes).collect()
}

/// The TLE samples as OMM JSON (pretty, one key a line) and KVN.
fn omm_seeds() -> Vec<Vec<u8>> {
    let satellites = orbitedge::scenario::satellites_from_tle_text(TLE_SAMPLES).unwrap();
    let orbits: Vec<&orbitedge::orbit::Sgp4Orbit> = satellites
        .iter()
        .map(|s| match &s.orbit {
            orbitedge::orbit::Orbit::Sgp4(orbit) => orbit.as_ref(),
            _ => unreachable!("TLEs give SGP4 orbits"),
        })
        .collect();
    let mut seeds = vec![serde_json::to_string_pretty(&orbits).unwrap()];
    seeds.push(serde_json::to_string(orbits[0]).unwrap());
    let mut kvn = String::new();
    for orbit in &orbits {
        kvn.push_str("CCSDS_OMM_VERS = 2.0\nCOMMENT from data/tle-samples.txt\n");
        let serde_json::Value::Object(map) = serde_json::to_value(orbit).unwrap() else {
            unreachable!("elements serialise to an object")
        };
        for (key, value) in map {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            let unit = if key == "MEAN_MOTION" { " [rev/day]" } else { "" };
            kvn.push_str(&format!("{key} = {value}{unit}\n"));
        }
    }
    seeds.push(kvn);
    for seed in &seeds {
        assert_eq!(
            parse_omm(seed).unwrap().len(),
            if seed.contains("SENTINEL-2B") { 3 } else { 1 }
        );
    }
    seeds.into_iter().map(String::into_bytes).collect()
}

/// A two-hour scenario of one satellite from elements, fixed steps, YAML.
const TINY_YAML: &str = r#"
name: tiny
start: "2024-03-01T00:00:00Z"
duration_h: 2
step_s: 10
satellites:
  - source: elements
    name: one
    elements: {semi_major_axis_km: 6928, eccentricity: 0.001, inclination_deg: 97.6,
               raan_deg: 0, argument_of_perigee_deg: 0, mean_anomaly_deg: 0}
stations:
  - {name: Kiruna, latitude_deg: 67.86, longitude_deg: 20.96}
"#;

/// The scenarios of the repository; the first byte picks the format ('0'
/// TOML, '1' JSON, '2' YAML, as `entries::scenario` reads it).
fn scenario_seeds() -> Vec<Vec<u8>> {
    let default = Scenario::default_scenario().unwrap();
    let tiny = Scenario::from_str(TINY_YAML, Format::Yaml, "tiny").unwrap();
    let texts = [
        ('0', orbitedge::scenario::DEFAULT_SCENARIO_TOML.to_string()),
        ('0', include_str!("../examples/monte_carlo.toml").to_string()),
        ('0', include_str!("../examples/rehearsal.toml").to_string()),
        ('0', tiny.to_toml().unwrap()),
        ('1', serde_json::to_string_pretty(&default).unwrap()),
        ('1', serde_json::to_string_pretty(&tiny).unwrap()),
        ('2', TINY_YAML.to_string()),
    ];
    texts
        .into_iter()
        .map(|(format, text)| format!("{format}{text}").into_bytes())
        .collect()
}

fn values_seeds() -> Vec<Vec<u8>> {
    [
        "seed=7\nsatellites.0.altitude_km=600.0",
        "bus.power.bus_load_w=5.0\nbus.power.battery.capacity_wh=20",
        "imager.targets.0.name=\"Alps\"\ncomputer.min_soc=0.5",
        "satellites.0.total=3\nsatellites.0.planes=3\nduration_h=1.5",
        "bus.radiation.restart_per_s=1e-4\nstations.1.min_elevation_deg=10",
    ]
    .into_iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// The Monte-Carlo example cut to two satellites (imager, modeled computer,
/// radiation, three stations): at the start, after 20 minutes, after 2 hours
/// of fixed steps; and one spacecraft with a scheduled activity, event-driven.
fn checkpoint_seeds() -> Vec<Vec<u8>> {
    let base = Scenario::from_str(include_str!("../examples/monte_carlo.toml"), Format::Toml, "mc").unwrap();
    let small = base
        .with_values([
            ("satellites.0.total", serde_json::json!(2)),
            ("satellites.0.planes", serde_json::json!(1)),
            ("satellites.0.phasing", serde_json::json!(0)),
        ])
        .unwrap();
    let mut seeds = Vec::new();
    for minutes in [0.0, 20.0, 120.0] {
        let mut sim = small.prepare(Path::new(".")).unwrap().simulation;
        if minutes > 0.0 {
            let until = sim.start() + hifitime::Duration::from_seconds(minutes * 60.0);
            sim.run(until, Stepping::Fixed { step_s: 30.0 }).unwrap();
        }
        seeds.push(sim.checkpoint().unwrap());
    }
    // A run that ends inside a sub-step: the checkpoint holds a resume point.
    let mut cut = small.prepare(Path::new(".")).unwrap().simulation;
    let until = cut.start() + hifitime::Duration::from_seconds(47.3 * 60.0);
    cut.run(until, Stepping::EventDriven).unwrap();
    seeds.push(cut.checkpoint().unwrap());
    let tiny = Scenario::from_str(TINY_YAML, Format::Yaml, "tiny").unwrap();
    let mut prepared = tiny.prepare(Path::new(".")).unwrap();
    let spacecraft = &prepared.simulation.spacecraft()[0];
    let mut with_activity = spacecraft.clone();
    with_activity.activities.push(
        serde_json::from_value(serde_json::json!({"name": "payload", "power_w": 3.0, "duration_s": 600.0}))
            .unwrap(),
    );
    let start = prepared.simulation.start();
    let stations = prepared.simulation.stations().to_vec();
    prepared.simulation = Simulation::new(start, vec![with_activity], stations, 3).unwrap();
    let sim = &mut prepared.simulation;
    sim.schedule("one", "payload", start + hifitime::Duration::from_seconds(300.0))
        .unwrap();
    sim.run(
        start + hifitime::Duration::from_seconds(1_800.0),
        Stepping::EventDriven,
    )
    .unwrap();
    seeds.push(sim.checkpoint().unwrap());
    seeds
}

#[cfg(feature = "onnx")]
fn onnx_seeds() -> Vec<Vec<u8>> {
    vec![include_bytes!("data/tiny_cloudnet.onnx").to_vec()]
}

// ---------------------------------------------------------------- mutations

/// Characters that matter to the parsers, and a few that should not be there.
const CHARS: &[char] = &[
    '0',
    '1',
    '9',
    '-',
    '+',
    '.',
    ' ',
    'e',
    'E',
    'x',
    'Z',
    'T',
    ':',
    '"',
    '\'',
    '=',
    '[',
    ']',
    '{',
    '}',
    ',',
    '#',
    '&',
    '*',
    '!',
    '|',
    '>',
    '\n',
    '\t',
    '\r',
    '\0',
    'é',
    '∞',
    '\u{FEFF}',
    '\u{202E}',
    '\u{10FFFF}',
];

/// Values a number is replaced with: non-finite, huge, negative, malformed.
const NUMBERS: &[&str] = &[
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1e309",
    "-1",
    "0",
    "-0",
    "1e-320",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775809",
    "0x10",
    "1_000",
    ".5",
    "5.",
    "1e",
    "--1",
    "١",
];

/// Snippets inserted anywhere.
const SNIPPETS: &[&str] = &[
    "NaN",
    "1e308",
    "-1",
    "\"\"",
    "null",
    "[]",
    "{}",
    "[[",
    "*a",
    "&a ",
    "!!binary ",
    "<<: ",
    "\\u0000",
    "🚀",
    "ISS (ZARYA)",
    "=",
    "\n[bus]\n",
    "\nsource = \"tle\"\n",
    "CCSDS_OMM_VERS = 2.0\n",
];

/// One edit of a text, positions as indices into whatever it edits.
#[derive(Debug, Clone)]
enum Edit {
    Substitute(Index, char),
    Insert(Index, &'static str),
    Delete(Index, usize),
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    ReplaceNumber(Index, &'static str),
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let any_char = prop_oneof![select(CHARS), any::<char>()];
    prop_oneof![
        4 => (any::<Index>(), any_char).prop_map(|(i, c)| Edit::Substitute(i, c)),
        2 => (any::<Index>(), select(SNIPPETS)).prop_map(|(i, s)| Edit::Insert(i, s)),
        1 => (any::<Index>(), 1usize..16).prop_map(|(i, n)| Edit::Delete(i, n)),
        2 => any::<Index>().prop_map(Edit::DeleteLine),
        2 => any::<Index>().prop_map(Edit::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        4 => (any::<Index>(), select(NUMBERS)).prop_map(|(i, n)| Edit::ReplaceNumber(i, n)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

/// Spans (char offsets) of the numbers in `chars`: runs of digits, signs,
/// points and exponents that hold at least one digit.
fn number_spans(chars: &[char]) -> Vec<(usize, usize)> {
    let numeric = |c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E');
    let mut spans = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let start = k;
        while k < chars.len() && numeric(chars[k]) {
            k += 1;
        }
        if chars[start..k].iter().any(char::is_ascii_digit) {
            spans.push((start, k));
        }
        k = k.max(start + 1);
    }
    spans
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = |i: &Index, n: usize| if n == 0 { 0 } else { i.index(n) };
    let lines = || text.split('\n').map(str::to_string).collect::<Vec<_>>();
    match edit {
        Edit::Substitute(i, c) if !chars.is_empty() => {
            let k = at(i, chars.len());
            chars[k] = *c;
        }
        Edit::Substitute(..) => {}
        Edit::Insert(i, s) => {
            let k = at(i, chars.len() + 1);
            chars.splice(k..k, s.chars());
        }
        Edit::Delete(i, n) => {
            let k = at(i, chars.len() + 1);
            chars.drain(k..(k + n).min(chars.len()));
        }
        Edit::Truncate(i) => chars.truncate(at(i, chars.len() + 1)),
        Edit::ReplaceNumber(i, n) => {
            let spans = number_spans(&chars);
            if !spans.is_empty() {
                let (a, b) = spans[at(i, spans.len())];
                chars.splice(a..b, n.chars());
            }
        }
        Edit::DeleteLine(i) => {
            let mut lines = lines();
            lines.remove(at(i, lines.len()));
            return lines.join("\n");
        }
        Edit::DuplicateLine(i) => {
            let mut lines = lines();
            let k = at(i, lines.len());
            lines.insert(k, lines[k].clone());
            return lines.join("\n");
        }
        Edit::SwapLines(a, b) => {
            let mut lines = lines();
            let n = lines.len();
            lines.swap(at(a, n), at(b, n));
            return lines.join("\n");
        }
    }
    chars.into_iter().collect()
}

/// Recomputes the checksum of every line that looks like a TLE line, so edits
/// reach the field parsers instead of stopping at column 69.
fn fix_tle_checksums(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            let is_tle = (line.starts_with("1 ") || line.starts_with("2 ")) && line.len() == 69;
            match line.get(..68) {
                Some(body) if is_tle => with_checksum(body),
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Byte-level edits of binary inputs (MessagePack checkpoints, ONNX protobuf).
#[derive(Debug, Clone)]
enum ByteEdit {
    Set(Index, u8),
    Magic(Index, &'static [u8]),
    Delete(Index, usize),
    Duplicate(Index, usize),
    Truncate(Index),
}

/// Byte strings that mean something to MessagePack or protobuf: NaN and ±inf
/// as f64, huge unsigned integers, array/map/string headers claiming 4 G
/// items, nil, varints of 2⁶³, zeros.
const MAGIC: &[&[u8]] = &[
    &[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
    &[0xcb, 0xff, 0xf0, 0, 0, 0, 0, 0, 0],
    &[0xcb, 0x7f, 0xef, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
    &[0xdd, 0xff, 0xff, 0xff, 0xff],
    &[0xdf, 0xff, 0xff, 0xff, 0xff],
    &[0xdb, 0xff, 0xff, 0xff, 0xff],
    &[0xc0],
    &[0x90],
    &[0x80],
    &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
    &[0, 0, 0, 0],
];

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Set(i, b)),
        4 => (any::<Index>(), select(MAGIC)).prop_map(|(i, m)| ByteEdit::Magic(i, m)),
        1 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| ByteEdit::Delete(i, n)),
        1 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| ByteEdit::Duplicate(i, n)),
        1 => any::<Index>().prop_map(ByteEdit::Truncate),
    ]
}

fn apply_bytes(bytes: &[u8], edit: &ByteEdit) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let n = out.len();
    let at = |i: &Index| if n == 0 { 0 } else { i.index(n) };
    match edit {
        ByteEdit::Set(i, b) if n > 0 => out[at(i)] = *b,
        ByteEdit::Set(..) => {}
        ByteEdit::Magic(i, magic) => {
            let k = at(i);
            let end = (k + magic.len()).min(n);
            out.splice(k..end, magic.iter().copied());
        }
        ByteEdit::Delete(i, len) => {
            let k = at(i);
            out.drain(k..(k + len).min(n));
        }
        ByteEdit::Duplicate(i, len) => {
            let k = at(i);
            let copy = out[k..(k + len).min(n)].to_vec();
            out.splice(k..k, copy);
        }
        ByteEdit::Truncate(i) => out.truncate(at(i)),
    }
    out
}

/// Values a checkpoint field is set to: negative, zero, huge, non-finite,
/// outside the integer ranges, subnormal, or of the wrong type.
fn field_values() -> Vec<Value> {
    vec![
        Value::from(-1),
        Value::from(0),
        Value::from(0.5),
        Value::from(1e308),
        Value::from(-1e308),
        Value::from(1e-320),
        Value::from(f64::NAN),
        Value::from(f64::INFINITY),
        Value::from(f64::NEG_INFINITY),
        Value::from(4_294_967_296u64),
        Value::from(u64::MAX),
        Value::from(i64::MIN),
        Value::from(true),
        Value::from(""),
        Value::Nil,
        Value::Array(vec![]),
        Value::Map(vec![]),
    ]
}

/// One structural edit of a decoded checkpoint (a MessagePack tree).
#[derive(Debug, Clone)]
enum CheckpointEdit {
    SetNumber(Index, Value),
    DeleteEntry(Index, Index),
    DuplicateEntry(Index, Index),
    Clear(Index),
}

fn checkpoint_edit() -> impl Strategy<Value = CheckpointEdit> {
    prop_oneof![
        5 => (any::<Index>(), select(field_values())).prop_map(|(i, v)| CheckpointEdit::SetNumber(i, v)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, k)| CheckpointEdit::DeleteEntry(i, k)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, k)| CheckpointEdit::DuplicateEntry(i, k)),
        1 => any::<Index>().prop_map(CheckpointEdit::Clear),
    ]
}

fn is_number(value: &Value) -> bool {
    value.is_number()
}

fn is_collection(value: &Value) -> bool {
    matches!(value, Value::Array(items) if !items.is_empty())
        || matches!(value, Value::Map(entries) if !entries.is_empty())
}

fn children(value: &mut Value) -> Vec<&mut Value> {
    match value {
        Value::Array(items) => items.iter_mut().collect(),
        Value::Map(entries) => entries.iter_mut().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    }
}

fn count(value: &Value, keep: fn(&Value) -> bool) -> usize {
    let below = match value {
        Value::Array(items) => items.iter().map(|v| count(v, keep)).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| count(v, keep)).sum(),
        _ => 0,
    };
    below + usize::from(keep(value))
}

/// The `n`-th node (pre-order) that `keep` selects.
fn nth<'a>(value: &'a mut Value, keep: fn(&Value) -> bool, n: &mut usize) -> Option<&'a mut Value> {
    if keep(value) {
        if *n == 0 {
            return Some(value);
        }
        *n -= 1;
    }
    children(value).into_iter().find_map(|child| nth(child, keep, n))
}

fn pick<'a>(tree: &'a mut Value, index: &Index, keep: fn(&Value) -> bool) -> Option<&'a mut Value> {
    let total = count(tree, keep);
    let mut n = index.index(total.max(1));
    nth(tree, keep, &mut n)
}

/// A checkpoint seed decoded, edited as a tree and encoded again.
fn mutated_checkpoint(seeds: &[Vec<u8>], seed: &Index, edits: &[CheckpointEdit]) -> Vec<u8> {
    let seed_bytes = seeds[seed.index(seeds.len())].as_slice();
    // The format and version header comes first; the edits go to the simulation after it.
    let mut bytes = seed_bytes;
    rmpv::decode::read_value(&mut bytes).expect("a seed's header decodes");
    let header = &seed_bytes[..seed_bytes.len() - bytes.len()];
    let mut tree = rmpv::decode::read_value(&mut bytes).expect("a seed decodes");
    for edit in edits {
        match edit {
            CheckpointEdit::SetNumber(i, value) => {
                if let Some(node) = pick(&mut tree, i, is_number) {
                    *node = value.clone();
                }
            }
            CheckpointEdit::DeleteEntry(i, k) => match pick(&mut tree, i, is_collection) {
                Some(Value::Array(items)) => drop(items.remove(k.index(items.len()))),
                Some(Value::Map(entries)) => drop(entries.remove(k.index(entries.len()))),
                _ => {}
            },
            CheckpointEdit::DuplicateEntry(i, k) => match pick(&mut tree, i, is_collection) {
                Some(Value::Array(items)) => items.push(items[k.index(items.len())].clone()),
                Some(Value::Map(entries)) => entries.push(entries[k.index(entries.len())].clone()),
                _ => {}
            },
            CheckpointEdit::Clear(i) => match pick(&mut tree, i, is_collection) {
                Some(Value::Array(items)) => items.clear(),
                Some(Value::Map(entries)) => entries.clear(),
                _ => {}
            },
        }
    }
    let mut out = header.to_vec();
    rmpv::encode::write_value(&mut out, &tree).expect("a tree encodes");
    out
}

/// A seed (by index) of `target` with text edits applied (and, for TLEs,
/// checksums fixed when `fix`).
fn mutated_text(seeds: &[Vec<u8>], seed: &Index, edits: &[Edit], fix: bool) -> Vec<u8> {
    let mut text = String::from_utf8(seeds[seed.index(seeds.len())].clone()).expect("text seeds are UTF-8");
    for edit in edits {
        text = apply(&text, edit);
    }
    if fix {
        text = fix_tle_checksums(&text);
    }
    text.into_bytes()
}

fn mutated_bytes(seeds: &[Vec<u8>], seed: &Index, edits: &[ByteEdit]) -> Vec<u8> {
    edits
        .iter()
        .fold(seeds[seed.index(seeds.len())].clone(), |bytes, edit| {
            apply_bytes(&bytes, edit)
        })
}

/// Cases per target, tuned so the whole file runs in well under 20 s on a CI
/// machine in the dev profile (the checkpoint cases each advance a simulation);
/// The cases are the same on every run (a fixed seed: CI does not flake);
/// `ORBITEDGE_FUZZ_SCALE=k` runs k times as many and `ORBITEDGE_FUZZ_SEED=n`
/// draws other ones (a longer local campaign).
fn config(cases: u32) -> ProptestConfig {
    let number = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u64>().ok());
    let scale = number("ORBITEDGE_FUZZ_SCALE").map_or(1, |k| u32::try_from(k).unwrap_or(u32::MAX));
    ProptestConfig {
        cases: cases.saturating_mul(scale),
        rng_seed: RngSeed::Fixed(number("ORBITEDGE_FUZZ_SEED").unwrap_or(12)),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Runs `entry` on `input`; when it panics, first keeps the input in
/// `target/tmp/fuzz-stable/<target>/` (the smallest file there is proptest's
/// minimal case) to be added to `tests/data/fuzz-regressions/<target>/`.
fn run(target: &str, entry: fn(&[u8]), input: &[u8]) {
    if let Err(panic) = std::panic::catch_unwind(|| entry(input)) {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("fuzz-stable")
            .join(target);
        let name = format!("{:016x}", fnv1a(input));
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(dir.join(name), input);
        }
        std::panic::resume_unwind(panic);
    }
}

/// 64-bit FNV-1a: a stable file name for an input.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

thread_local! {
    static TLE: Vec<Vec<u8>> = tle_seeds();
    static OMM: Vec<Vec<u8>> = omm_seeds();
    static SCENARIO: Vec<Vec<u8>> = scenario_seeds();
    static VALUES: Vec<Vec<u8>> = values_seeds();
    static CHECKPOINT: Vec<Vec<u8>> = checkpoint_seeds();
}

proptest! {
    #![proptest_config(config(1_500))]
    #[test]
    fn tle_mutations(seed: Index, edits in prop::collection::vec(edit(), 1..4), fix: bool) {
        let input = TLE.with(|seeds| mutated_text(seeds, &seed, &edits, fix));
        run("tle", entries::tle, &input);
    }
}

proptest! {
    #![proptest_config(config(1_000))]
    #[test]
    fn omm_mutations(seed: Index, edits in prop::collection::vec(edit(), 1..4)) {
        let input = OMM.with(|seeds| mutated_text(seeds, &seed, &edits, false));
        run("omm", entries::omm, &input);
    }
}

proptest! {
    #![proptest_config(config(300))]
    #[test]
    fn scenario_mutations(seed: Index, edits in prop::collection::vec(edit(), 1..4)) {
        let input = SCENARIO.with(|seeds| mutated_text(seeds, &seed, &edits, false));
        run("scenario", entries::scenario, &input);
    }
}

proptest! {
    #![proptest_config(config(200))]
    #[test]
    fn scenario_values_mutations(seed: Index, edits in prop::collection::vec(edit(), 1..3)) {
        let input = VALUES.with(|seeds| mutated_text(seeds, &seed, &edits, false));
        run("scenario_values", entries::scenario_values, &input);
    }
}

proptest! {
    #![proptest_config(config(150))]
    #[test]
    fn checkpoint_mutations(seed: Index, edits in prop::collection::vec(checkpoint_edit(), 1..4)) {
        let input = CHECKPOINT.with(|seeds| mutated_checkpoint(seeds, &seed, &edits));
        run("checkpoint", entries::checkpoint, &input);
    }

    #[test]
    fn checkpoint_byte_mutations(seed: Index, edits in prop::collection::vec(byte_edit(), 1..4)) {
        let input = CHECKPOINT.with(|seeds| mutated_bytes(seeds, &seed, &edits));
        run("checkpoint", entries::checkpoint, &input);
    }
}

#[cfg(feature = "onnx")]
proptest! {
    #![proptest_config(config(100))]
    #[test]
    fn onnx_model_mutations(seed: Index, edits in prop::collection::vec(byte_edit(), 1..4)) {
        let input = mutated_bytes(&onnx_seeds(), &seed, &edits);
        run("onnx_model", entries::onnx_model, &input);
    }
}

// ---------------------------------------------------------------- replays

fn repository(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Files directly under `dir` (none when it does not exist), sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `target`'s entry on every file of `dir`, naming each file that panics.
fn replay(dir: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for target in targets() {
        for file in files_in(&repository(dir).join(target.name)) {
            let bytes = std::fs::read(&file).unwrap();
            if std::panic::catch_unwind(|| (target.entry)(&bytes)).is_err() {
                failures.push(file.display().to_string());
            }
        }
    }
    failures
}

/// Every input the fuzzer once crashed on, minimised, stays fixed.
#[test]
fn fuzz_regressions_stay_fixed() {
    let failures = replay("tests/data/fuzz-regressions");
    assert!(failures.is_empty(), "panicked on {failures:#?}");
}

/// Whether `target` accepts `seed` as a valid input (not only without panicking).
fn accepts(target: &str, seed: &[u8]) -> bool {
    let text = || std::str::from_utf8(seed).expect("text seeds are UTF-8");
    match target {
        "tle" => orbitedge::scenario::satellites_from_tle_text(text()).is_ok(),
        "omm" => parse_omm(text()).is_ok(),
        "scenario" => {
            let format = [Format::Toml, Format::Json, Format::Yaml][usize::from(seed[0] % 3)];
            Scenario::from_str(&text()[1..], format, "seed").is_ok()
        }
        "scenario_values" => {
            let values = text().lines().map(|line| {
                let (path, value) = line.split_once('=').expect("path=value");
                (path, serde_json::from_str(value).unwrap_or_else(|_| value.into()))
            });
            Scenario::default_scenario().unwrap().with_values(values).is_ok()
        }
        "checkpoint" => Simulation::restore(seed).is_ok(),
        #[cfg(feature = "onnx")]
        "onnx_model" => orbitedge::compute::model::OnnxModel::from_bytes(seed, None).is_ok(),
        other => unreachable!("no target {other}"),
    }
}

/// The seeds are valid inputs and pass (a seed that fails would hide every
/// mutation of it).
#[test]
fn seeds_are_valid_and_pass() {
    for target in targets() {
        for (k, seed) in (target.seeds)().iter().enumerate() {
            assert!(
                accepts(target.name, seed),
                "seed {k} of {} is not valid",
                target.name
            );
            (target.entry)(seed);
        }
    }
}

/// Writes the seeds to `fuzz/corpus/<target>/seed-<n>` (run by hand, see docs/fuzzing.md).
#[test]
#[ignore = "writes files; run when the seeds change"]
fn write_seed_corpora() {
    for target in targets() {
        let dir = repository("fuzz/corpus").join(target.name);
        std::fs::create_dir_all(&dir).unwrap();
        for (k, seed) in (target.seeds)().iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{k}")), seed).unwrap();
        }
    }
}
