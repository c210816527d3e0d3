//! The `orbitedge` command: the default scenario end to end (its summary agrees
//! with its event log), every bad-input path exits with code 2 and a message,
//! a closed standard output ends a command quietly, and a report replaces the
//! previous one whole.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn orbitedge(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orbitedge"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// A scratch directory with the repository's prepared models visible (the
/// default scenario finds `models/` or fetches the model from PyPI).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orbitedge-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// A scenario that runs in well under a second: three cubesats, no model, one
/// station, `hours` long (eclipses and windows for the pipe tests).
fn tiny_scenario(hours: f64, plots: bool) -> String {
    format!(
        r#"name = "tiny"
start = "2024-03-01T00:00:00Z"
duration_h = {hours:?}

[[satellites]]
source = "walker"
prefix = "t"
total = 3
planes = 3
phasing = 1
altitude_km = 550.0

[[stations]]
name = "Kiruna"
latitude_deg = 67.8558
longitude_deg = 20.9644

[outputs]
dir = "tiny-out"
plots = {plots}
"#
    )
}

/// The files in a directory, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

/// Runs the binary with its standard output a pipe whose reader is gone
/// (`| head -0`, deterministically: every write fails with EPIPE).
fn with_stdout_closed(args: &[&str], dir: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orbitedge"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

fn assert_quiet_success(args: &[&str], out: &Output) {
    let text = stderr(out);
    assert!(
        !text.contains("panicked") && !text.contains("Broken pipe") && !text.contains("error"),
        "{args:?}: {text}"
    );
    assert_eq!(out.status.code(), Some(0), "{args:?}: {text}");
}

#[test]
fn a_closed_standard_output_ends_every_printing_command_quietly() {
    let dir = scratch("pipe");
    std::fs::write(dir.join("tiny.toml"), tiny_scenario(0.5, false)).unwrap();
    let commands: [&[&str]; 10] = [
        &["windows", "tiny.toml"],
        &["windows", "tiny.toml", "--csv"],
        &["eclipses", "tiny.toml"],
        &["eclipses", "tiny.toml", "--csv"],
        &["validate", "tiny.toml"],
        &["devices"],
        &["devices", "--json"],
        &["init", "copy.toml", "--force"],
        &["run", "tiny.toml", "--quiet", "--json"],
        &["run", "tiny.toml"],
    ];
    for args in commands {
        assert_quiet_success(args, &with_stdout_closed(args, &dir));
    }
    // A log is what replay prints about; an empty one replays to the start.
    std::fs::write(dir.join("empty.jsonl"), "").unwrap();
    let args = ["replay", "empty.jsonl", "--scenario", "tiny.toml"];
    assert_quiet_success(&args, &with_stdout_closed(&args, &dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `orbitedge eclipses | head -1`, as in the shell: the reader takes a line
/// and goes while the command is still writing (30 days of eclipses of three
/// satellites are more than a pipe holds).
#[test]
fn a_reader_that_stops_after_one_line_ends_the_command_quietly() {
    use std::io::BufRead;
    let dir = scratch("head");
    std::fs::write(dir.join("month.toml"), tiny_scenario(720.0, false)).unwrap();
    for csv in [false, true] {
        let mut args = vec!["eclipses", "month.toml"];
        if csv {
            args.push("--csv");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_orbitedge"))
            .args(&args)
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with("satellite"), "{first}");
        let out = child.wait_with_output().unwrap();
        assert_quiet_success(&args, &out);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An unusable report directory is refused before the scenario is simulated
/// (the default run used to lose 74 s of simulation to a typo in `--out`).
#[test]
fn an_unusable_report_directory_is_refused_before_any_simulation() {
    let dir = scratch("out");
    std::fs::write(dir.join("tiny.toml"), tiny_scenario(0.5, false)).unwrap();
    std::fs::write(dir.join("a-file"), "not a directory").unwrap();
    std::fs::write(
        dir.join("into-a-file.toml"),
        tiny_scenario(0.5, false).replace("\"tiny-out\"", "\"a-file\""),
    )
    .unwrap();
    std::fs::write(dir.join("empty.jsonl"), "").unwrap();
    let cases: [&[&str]; 5] = [
        &["run", "tiny.toml", "--out", "a-file"],
        &["run", "tiny.toml", "--out", "a-file/report"],
        &["run", "into-a-file.toml"],
        &[
            "replay",
            "empty.jsonl",
            "--scenario",
            "tiny.toml",
            "--out",
            "a-file",
        ],
        &["serve", "tiny.toml", "--bind", "127.0.0.1:0", "--out", "a-file"],
    ];
    for args in cases {
        let out = orbitedge(args, &dir);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        let lower = text.to_lowercase();
        assert!(
            lower.contains("report directory a-file") && lower.contains("not a directory"),
            "{args:?}: {text}"
        );
        // Nothing was loaded or simulated (the progress lines say so when it is).
        assert!(
            !text.contains('%') && !text.contains("simulating"),
            "{args:?}: {text}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("a-file")).unwrap(),
        "not a directory"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A report written over a previous run's directory replaces it whole: no
/// plots of the old run beside the new numbers, no staging left behind, and
/// files that are not the report's are kept.
#[test]
fn a_report_over_a_previous_run_leaves_no_stale_files() {
    let dir = scratch("stale");
    std::fs::write(dir.join("plots.toml"), tiny_scenario(0.5, true)).unwrap();
    std::fs::write(dir.join("text.toml"), tiny_scenario(0.5, false)).unwrap();
    let out = orbitedge(&["run", "plots.toml", "--quiet", "--out", "report"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = dir.join("report");
    assert!(
        files_in(&report).iter().any(|f| f.ends_with(".png")),
        "{:?}",
        files_in(&report)
    );
    std::fs::write(report.join("notes.txt"), "mine").unwrap();

    let out = orbitedge(
        &["run", "text.toml", "--quiet", "--seed", "7", "--out", "report"],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        files_in(&report),
        [
            "events.jsonl",
            "inferences.jsonl",
            "notes.txt",
            "summary.json",
            "summary.md",
            "timeline.csv"
        ]
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["summary"]["seed"], 7, "{summary}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Absurd numbers on the command line are refused at once with a message
/// naming the flag and its range: never a hang (`--threads 100000` used to
/// spend minutes starting threads) nor a panic.
#[test]
fn absurd_numbers_on_the_command_line_are_refused_with_a_clear_message() {
    let dir = scratch("numbers");
    std::fs::write(dir.join("tiny.toml"), tiny_scenario(0.5, false)).unwrap();
    let serve = |flag: &'static str, value: &'static str| -> Vec<&'static str> {
        vec!["serve", "tiny.toml", "--bind", "127.0.0.1:0", flag, value]
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["run", "tiny.toml", "--threads", "100000"],
            "from 1 to 256, got 100000",
        ),
        (
            vec!["run", "tiny.toml", "--threads", "257"],
            "from 1 to 256, got 257",
        ),
        (vec!["run", "tiny.toml", "--threads", "0"], "from 1 to 256, got 0"),
        (
            vec!["run", "tiny.toml", "--threads", "-1"],
            "from 1 to 256, got -1",
        ),
        (
            vec!["run", "tiny.toml", "--threads", "99999999999999999999999"],
            "--threads",
        ),
        (vec!["run", "tiny.toml", "--seed", "-1"], "--seed"),
        (
            serve("--multiplier", "NaN"),
            "--multiplier must be from 0.001 to 1e6",
        ),
        (serve("--multiplier", "inf"), "--multiplier"),
        (serve("--multiplier", "-1"), "--multiplier"),
        (serve("--multiplier", "0"), "--multiplier"),
        (serve("--multiplier", "1e308"), "--multiplier"),
        (
            serve("--slot-ms", "1e300"),
            "--slot-ms must be from 0.1 to 1000 ms",
        ),
        (serve("--slot-ms", "0"), "--slot-ms"),
        (serve("--slot-ms", "nan"), "--slot-ms"),
        (serve("--slot-ms", "-5"), "--slot-ms"),
        (serve("--lag-policy", "sometimes"), "sometimes"),
    ];
    for (args, expected) in &cases {
        let out = orbitedge(args, &dir);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(expected), "{args:?}: {text}");
        assert!(!text.contains("panicked"), "{args:?}: {text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_devices_init_validate_windows_and_eclipses() {
    let dir = scratch("small");
    for command in ["run", "validate", "windows", "eclipses", "devices", "init"] {
        let out = orbitedge(&[command, "--help"], &dir);
        assert!(out.status.success(), "{command} --help");
    }
    let out = orbitedge(&["devices"], &dir);
    let text = String::from_utf8_lossy(&out.stdout);
    for device in ["unibap-ix5", "unibap-ix10", "myriad-x", "host"] {
        assert!(text.contains(device), "{text}");
    }
    let out = orbitedge(&["init", "s.toml"], &dir);
    assert!(out.status.success());
    let again = orbitedge(&["init", "s.toml"], &dir);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"));
    let out = orbitedge(&["validate", "s.toml"], &dir);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("6 spacecraft"));
    let out = orbitedge(&["windows", "s.toml", "--csv"], &dir);
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.lines().count() > 20 && csv.contains("Svalbard"), "{csv}");
    let out = orbitedge(&["eclipses", "s.toml"], &dir);
    assert!(String::from_utf8_lossy(&out.stdout).contains("umbra"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_exits_with_code_2_and_says_what_is_wrong() {
    let dir = scratch("errors");
    let default = orbitedge::scenario::DEFAULT_SCENARIO_TOML;
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "typo.toml",
            default.replace("capture_interval_s", "capture_intervl_s"),
            "did you mean `capture_interval_s`",
        ),
        (
            "value.toml",
            default.replace("duration_h = 24.0", "duration_h = -3.0"),
            "duration_h",
        ),
        (
            "device.toml",
            default.replace("\"unibap-ix5\"", "\"unibap-ix7\""),
            "unibap-ix7",
        ),
        (
            "model.toml",
            default.replace("\"ukis-csmask:4b-l1c\"", "\"garbage.onnx\""),
            "not a readable ONNX file",
        ),
        (
            "missing-model.toml",
            default.replace("\"ukis-csmask:4b-l1c\"", "\"nowhere.onnx\""),
            "nowhere.onnx",
        ),
    ];
    std::fs::write(dir.join("garbage.onnx"), b"not a model").unwrap();
    for (file, text, expected) in &cases {
        std::fs::write(dir.join(file), text).unwrap();
        let out = orbitedge(&["run", file, "--quiet"], &dir);
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{file}: {}", stderr(&out));
    }
    let out = orbitedge(&["run", "no-such.toml"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
    let out = orbitedge(&["validate", "typo.toml"], &dir);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The main job: the embedded default scenario with the real model. Its summary
/// must agree with its own event log.
#[test]
fn the_default_scenario_runs_and_its_summary_agrees_with_its_event_log() {
    let dir = std::env::current_dir().unwrap(); // finds models/ prepared by scripts/check.sh
    let out_dir = scratch("default");
    let out = orbitedge(
        &["run", "--quiet", "--json", "--out", out_dir.to_str().unwrap()],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(report, on_disk);
    let totals = &report["summary"]["totals"];
    let n = |key: &str| totals[key].as_u64().unwrap();
    assert!(n("images_captured") > 50, "{totals}");
    assert!(n("images_downlinked") <= n("images_kept"));
    assert_eq!(
        n("images_inferred"),
        n("images_kept") + n("images_dropped_cloudy")
    );
    assert!(n("images_inferred") + n("images_lost") <= n("images_captured"));
    assert!(report["run"]["model"]
        .as_str()
        .unwrap()
        .contains("run in float32"));

    // The event log tells the same story.
    let events: Vec<serde_json::Value> = std::fs::read_to_string(out_dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kind = |e: &serde_json::Value| e["kind"]["event"].as_str().unwrap_or("").to_string();
    let captured: u64 = events
        .iter()
        .filter(|e| kind(e) == "image_captured")
        .map(|e| e["kind"]["tiles"].as_u64().unwrap())
        .sum();
    assert_eq!(captured, n("images_captured"));
    let completed: Vec<&serde_json::Value> = events.iter().filter(|e| kind(e) == "job_completed").collect();
    assert_eq!(completed.len() as u64, n("images_inferred"));
    let dropped = completed
        .iter()
        .filter(|e| !e["kind"]["kept"].as_bool().unwrap())
        .count() as u64;
    assert_eq!(dropped, n("images_dropped_cloudy"));
    // Contact time per station = the sum of the windows used.
    let mut open: std::collections::HashMap<(String, String), f64> = Default::default();
    let mut used: std::collections::BTreeMap<String, f64> = Default::default();
    for e in &events {
        let sc = e["spacecraft"].as_str().unwrap().to_string();
        let t = e["elapsed_s"].as_f64().unwrap();
        match kind(e).as_str() {
            "contact_started" => {
                open.insert((sc, e["kind"]["station"].as_str().unwrap().into()), t);
            }
            "contact_ended" => {
                let station: String = e["kind"]["station"].as_str().unwrap().into();
                let start = open.remove(&(sc, station.clone())).unwrap_or(0.0);
                *used.entry(station).or_default() += t - start;
            }
            _ => {}
        }
    }
    for ((_, station), start) in open {
        *used.entry(station).or_default() += 86_400.0 - start; // still in contact at the end
    }
    assert!(!used.is_empty());
    for (station, seconds) in &used {
        let reported = totals["contact_s"][station].as_f64().unwrap();
        assert!(
            (reported - seconds).abs() < 1e-6,
            "{station}: {reported} vs {seconds}"
        );
    }
    // Every inference is recorded for replay.
    let records = std::fs::read_to_string(out_dir.join("inferences.jsonl")).unwrap();
    assert_eq!(records.lines().count() as u64, n("jobs_started"));
    for file in ["summary.md", "timeline.csv"] {
        assert!(
            std::fs::metadata(out_dir.join(file)).unwrap().len() > 500,
            "{file}"
        );
    }
    // The plots exist in both formats (their content is checked in tests/report.rs).
    for stem in ["ground_tracks", "power_thermal", "timeline"] {
        let png = std::fs::read(out_dir.join(format!("{stem}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 50_000, "{stem}.png");
        let svg = std::fs::read_to_string(out_dir.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("eo-P1-S1"), "{stem}.svg");
    }
    std::fs::remove_dir_all(&out_dir).unwrap();
}

/// One request with curl-like simplicity: status and body.
fn http(url: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    (
        status,
        response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string(),
    )
}

/// `orbitedge serve` paces the default scenario (real model) behind the API;
/// `orbitedge replay` of its log reproduces its event log and telemetry.
#[test]
fn serve_then_replay_gives_the_same_run() {
    use std::io::BufRead;
    let dir = std::env::current_dir().unwrap(); // finds models/ prepared by scripts/check.sh
    let served = scratch("served");
    let replayed = scratch("replayed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_orbitedge"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--multiplier",
            "300",
            "--quiet",
            "--out",
        ])
        .arg(&served)
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let (status, _) = http(
        &url,
        "POST",
        "/v1/spacecraft/eo-P1-S1/activities",
        r#"{"activity":"app","power_w":12}"#,
    );
    assert_eq!(status, 201);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (status, body) = http(&url, "GET", "/v1/spacecraft/eo-P1-S1/state", "");
    assert_eq!(status, 200);
    assert!(body.contains(r#""app":12.0"#), "{body}");
    assert_eq!(
        http(&url, "DELETE", "/v1/spacecraft/eo-P1-S1/activities/app", "").0,
        200
    );
    assert_eq!(http(&url, "POST", "/v1/shutdown", "{}").0, 200);
    assert!(child.wait().unwrap().success());

    let log = served.join("rehearsal.jsonl");
    let out = orbitedge(
        &[
            "replay",
            log.to_str().unwrap(),
            "--out",
            replayed.to_str().unwrap(),
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for file in ["events.jsonl", "timeline.csv"] {
        let a = std::fs::read_to_string(served.join(file)).unwrap();
        let b = std::fs::read_to_string(replayed.join(file)).unwrap();
        assert!(a.contains("eo-P1-S1"), "{file}");
        assert!(a == b, "{file} differs between the rehearsal and its replay");
    }
    std::fs::remove_dir_all(&served).unwrap();
    std::fs::remove_dir_all(&replayed).unwrap();
}

#[test]
fn searches_are_bounded_by_their_own_cost_not_by_a_run_they_do_not_make() {
    let dir = scratch("search-bounds");
    // Telemetry every 10 µs: a run of these six hours would need ~800 GB of
    // memory and is refused; a search holds no telemetry and is accepted.
    let dense = tiny_scenario(6.0, false).replace(
        "duration_h = 6.0",
        "duration_h = 6.0\ntelemetry_interval_s = 1e-5",
    );
    std::fs::write(dir.join("dense.toml"), dense).unwrap();
    let run = orbitedge(&["validate", "dense.toml"], &dir);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("telemetry"), "{}", stderr(&run));
    for command in ["windows", "eclipses"] {
        let out = orbitedge(&[command, "dense.toml", "--csv"], &dir);
        assert_quiet_success(&[command, "dense.toml"], &out);
        assert!(
            String::from_utf8_lossy(&out.stdout).lines().count() > 3,
            "{command}"
        );
    }
    // 1e300 hours: refused at once by the search's own bound, never searched.
    std::fs::write(dir.join("forever.toml"), tiny_scenario(1e300, false)).unwrap();
    for command in ["windows", "eclipses"] {
        let out = orbitedge(&[command, "forever.toml"], &dir);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {text}");
        assert!(
            text.contains("pair-days") || text.contains("duration"),
            "{command}: {text}"
        );
        assert!(!text.contains("panicked"), "{command}: {text}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
