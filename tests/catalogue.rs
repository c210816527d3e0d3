//! The bad-input catalogue (issue 12, "make it stay fixed"): every class of
//! bad input a user can give the library, each with the typed error it must
//! produce and a fragment its message must contain.
//!
//! One table, one loop: every case runs (on its own thread, with panics caught
//! and a time limit), and the test fails at the end listing *every* case that
//! was accepted, answered with another variant or message, panicked or hung —
//! not just the first one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration as WallDuration;

use orbitedge::compute::model::OnnxModel;
use orbitedge::compute::scene::{Scene, SceneConfig};
use orbitedge::compute::DeviceProfile;
use orbitedge::environment::eclipse::ShadowConfig;
use orbitedge::orbit::custom::{FnOrbit, SampledOrbit, Sampling};
use orbitedge::orbit::walker::WalkerDelta;
use orbitedge::orbit::Ephemeris;
use orbitedge::prelude::*;
use orbitedge::report::{write_report, RunInfo};
use orbitedge::scenario::{Format, Scenario};
use orbitedge::sim::{Simulation, SimulationConfig, StationAssignment, Stepping};
use orbitedge::spacecraft::{ActivityConfig, DataFlow, RadioConfig, RateModel, RelayConfig, Spacecraft};

mod common;
use common::epoch;

/// Longest a case may take before it counts as a hang.
const CASE_TIME_LIMIT: WallDuration = WallDuration::from_secs(20);

const L1: &str = "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991";
const L2: &str = "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482";

const TINY_MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tiny_cloudnet.onnx");

/// One bad input and what it must produce.
struct Case {
    id: &'static str,
    what: &'static str,
    /// The expected variant, as written in the table.
    expected: &'static str,
    matches: fn(&Error) -> bool,
    fragment: &'static str,
    run: Box<dyn FnOnce() -> Result<()> + Send>,
}

/// `case!(id, what, pattern, fragment, expression)`: `expression` (a
/// `Result<_>`) must fail with an error matching `pattern` whose message
/// contains `fragment`.
macro_rules! case {
    ($id:literal, $what:literal, $pattern:pat, $fragment:literal, $run:expr) => {
        Case {
            id: $id,
            what: $what,
            expected: stringify!($pattern),
            matches: |e| matches!(e, $pattern),
            fragment: $fragment,
            run: Box::new(move || ($run).map(|_| ())),
        }
    };
}

/// Any variant for a problem with what was passed in (Python's `InputError`
/// and its subclasses) — for cases where the issue does not fix the variant.
macro_rules! input_error {
    () => {
        Error::InvalidParameter { .. }
            | Error::ParameterOrder { .. }
            | Error::InvalidChoice { .. }
            | Error::InvalidInterval { .. }
            | Error::EmptyInput { .. }
            | Error::InvalidTime { .. }
            | Error::Ephemeris { .. }
            | Error::ModelFile { .. }
            | Error::Model { .. }
            | Error::ShapeMismatch { .. }
            | Error::Config { .. }
            | Error::Conflict(_)
            | Error::InvalidOrbit { .. }
            | Error::Checkpoint { .. }
            | Error::ResourceLimit { .. }
            | Error::Tle { .. }
            | Error::Omm { .. }
            | Error::NonFiniteInput { .. }
            | Error::UnknownName { .. }
            | Error::Duplicate { .. }
            | Error::MissingDependency { .. }
    };
}

// ---------------------------------------------------------------- fixtures

/// `line` with columns `first..` (1-based) replaced by `text` and the checksum redone.
fn tle_with(line: &str, first: usize, text: &str) -> String {
    let mut body = line[..68].to_string();
    body.replace_range(first - 1..first - 1 + text.len(), text);
    let sum = orbitedge::orbit::sgp4::tle_checksum(&body);
    format!("{body}{sum}")
}

fn elements(a_km: f64, e: f64) -> ClassicalElements {
    ClassicalElements {
        semi_major_axis_km: a_km,
        eccentricity: e,
        inclination_deg: 97.6,
        raan_deg: 0.0,
        argument_of_perigee_deg: 0.0,
        mean_anomaly_deg: 0.0,
    }
}

fn from_elements(a_km: f64, e: f64) -> Result<Satellite> {
    Satellite::from_elements("x", epoch(), elements(a_km, e), AnalyticModel::J2)
}

fn from_state(position_km: [f64; 3], velocity_km_s: [f64; 3]) -> Result<Satellite> {
    let state = StateVector {
        position_km: position_km.into(),
        velocity_km_s: velocity_km_s.into(),
    };
    Satellite::from_state("x", epoch(), &state, AnalyticModel::Kepler)
}

fn leo(name: &str) -> Satellite {
    Satellite::from_elements(name, epoch(), elements(6_928.137, 0.001), AnalyticModel::J2).unwrap()
}

fn walker(
    total: u32,
    planes: u32,
    phasing: u32,
    altitude_km: f64,
    inclination_deg: f64,
) -> Result<Vec<Satellite>> {
    let pattern = WalkerDelta {
        total,
        planes,
        phasing,
        altitude_km,
        inclination_deg,
    };
    Satellite::walker("w", &pattern, epoch(), AnalyticModel::J2)
}

fn ephemeris(epochs: Vec<Epoch>, radius_km: f64, value: f64) -> Result<Satellite> {
    let states = epochs
        .iter()
        .map(|_| StateVector {
            position_km: [radius_km, value, 0.0].into(),
            velocity_km_s: [0.0, 7.5, 0.0].into(),
        })
        .collect();
    Ok(Satellite::from_ephemeris("x", Ephemeris::new(epochs, states)?))
}

/// A circular equatorial orbit at 7 000 km.
fn circular(t_s: f64) -> StateVector {
    let n = (orbitedge::constants::EARTH_MU_KM3_S2 / 7_000f64.powi(3)).sqrt();
    let (sin, cos) = (n * t_s).sin_cos();
    StateVector {
        position_km: [7_000.0 * cos, 7_000.0 * sin, 0.0].into(),
        velocity_km_s: [-7_000.0 * n * sin, 7_000.0 * n * cos, 0.0].into(),
    }
}

fn custom(sampling: Sampling, f: fn(f64) -> Result<StateVector>) -> Result<Satellite> {
    let orbit = SampledOrbit::new(epoch(), std::sync::Arc::new(FnOrbit(f)), sampling)?;
    Ok(Satellite::new("x", orbit))
}

fn minutes(k: f64) -> Epoch {
    epoch() + Duration::from_seconds(60.0 * k)
}

fn kiruna() -> GroundStation {
    common::kiruna()
}

fn search() -> SearchConfig {
    SearchConfig::default()
}

fn tolerance(tolerance_s: f64) -> SearchConfig {
    SearchConfig {
        tolerance_s,
        ..SearchConfig::default()
    }
}

fn access(end: Epoch, config: SearchConfig) -> Result<Vec<AccessWindow>> {
    find_access_windows(&[leo("a")], &[kiruna()], epoch(), end, &config)
}

fn eclipses(end: Epoch, shadow: ShadowConfig, config: SearchConfig) -> Result<Vec<EclipseInterval>> {
    find_eclipse_intervals(&[leo("a")], epoch(), end, &shadow, &config)
}

fn links(line_of_sight: LineOfSight, end: Epoch) -> Result<Vec<LinkWindow>> {
    let sats = [leo("a"), leo("b")];
    find_link_windows(&sats, epoch(), end, &line_of_sight, &search())
}

/// A 6U cubesat with an imaging activity (raw partition), an X-band radio and a relay-free bus.
fn cubesat(name: &str) -> Spacecraft {
    let mut sc = Spacecraft::cubesat_6u(name, leo(name));
    sc.radios = vec![RadioConfig {
        name: "x-band".into(),
        rate: RateModel::Fixed { rate_bps: 20e6 },
        transmit_power_w: 10.0,
        partitions: vec![],
        stations: vec![],
        inter_satellite: false,
        max_range_km: None,
    }];
    sc.activities = vec![ActivityConfig {
        name: "imaging".into(),
        power_w: 15.0,
        duration_s: Some(300.0),
        preconditions: Default::default(),
        produces: Some(DataFlow {
            partition: "raw".into(),
            bytes_per_s: 2e6,
        }),
        consumes: None,
        auto: false,
        cooldown_s: 0.0,
        min_on_s: 0.0,
    }];
    sc
}

/// `cubesat("sat")` changed by `edit`, then validated.
fn spacecraft(edit: impl FnOnce(&mut Spacecraft)) -> Result<Spacecraft> {
    let mut sc = cubesat("sat");
    edit(&mut sc);
    sc.validated()
}

fn simulation(config: SimulationConfig) -> Result<Simulation> {
    Simulation::with_config(epoch(), vec![cubesat("sat")], vec![kiruna()], 1, config)
}

fn sim() -> Simulation {
    simulation(SimulationConfig::default()).unwrap()
}

fn run_sim(until: Epoch, stepping: Stepping) -> Result<()> {
    sim().run(until, stepping)
}

fn relay(peer: &str, peer_partition: &str, rate_bps: f64) -> RelayConfig {
    RelayConfig {
        name: "isl".into(),
        peer: peer.into(),
        rate_bps,
        partitions: vec![],
        peer_partition: peer_partition.into(),
        grazing_altitude_km: 80.0,
        max_range_km: None,
        transmit_power_w: 0.0,
    }
}

fn with_relay(relay: RelayConfig) -> Result<Simulation> {
    let mut a = cubesat("a");
    a.relays = vec![relay];
    Simulation::new(epoch(), vec![a, cubesat("b")], vec![], 1)
}

/// A checkpoint of a simulation (one spacecraft without activities and with
/// rare radiation events, whose state then holds no infinities JSON cannot
/// carry) one hour in, as a JSON
/// tree changed by `edit`, encoded as checkpoint bytes (MessagePack) and
/// restored. The unchanged tree restores, so what fails is the edit.
fn crafted_checkpoint(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Simulation> {
    let mut sc = cubesat("sat");
    sc.activities.clear();
    sc.radiation.data_corruption_per_s = 1e-12;
    sc.radiation.restart_per_s = 1e-12;
    sc.radiation.failure_per_s = 1e-12;
    let mut s = Simulation::new(epoch(), vec![sc], vec![kiruna()], 1).unwrap();
    s.run(minutes(60.0), Stepping::EventDriven).unwrap();
    let header = checkpoint_header(&s.checkpoint().unwrap());
    let encode = |tree: &serde_json::Value| [header.clone(), rmp_serde::to_vec_named(tree).unwrap()].concat();
    let mut tree = serde_json::to_value(&s).unwrap();
    Simulation::restore(&encode(&tree)).expect("the unchanged tree restores");
    edit(&mut tree);
    Simulation::restore(&encode(&tree))
}

/// The format and version header that starts checkpoint bytes (the first
/// MessagePack value; the simulation follows).
fn checkpoint_header(bytes: &[u8]) -> Vec<u8> {
    let mut rest = bytes;
    rmpv::decode::read_value(&mut rest).unwrap();
    bytes[..bytes.len() - rest.len()].to_vec()
}

fn checkpoint_bytes() -> Vec<u8> {
    let mut s = sim();
    s.run(minutes(30.0), Stepping::EventDriven).unwrap();
    s.checkpoint().unwrap()
}

/// A small scenario without a model (nothing to download), changed by `edit`.
fn scenario_toml(edit: &[(&str, &str)]) -> String {
    let mut text = String::from(
        r#"name = "catalogue"
start = "2024-03-01T00:00:00Z"
duration_h = 2.0
telemetry_interval_s = 60.0

[[satellites]]
source = "walker"
total = 2
planes = 1
altitude_km = 550.0

[[stations]]
name = "Kiruna"
latitude_deg = 67.8558
longitude_deg = 20.9644
"#,
    );
    for (from, to) in edit {
        assert!(text.contains(from), "{from:?} is not in the scenario");
        text = text.replace(from, to);
    }
    text
}

fn scenario(text: &str, format: Format) -> Result<Scenario> {
    Scenario::from_str(text, format, "catalogue")
}

/// Parses and prepares (validates everything a run needs, without running).
fn prepared(text: &str) -> Result<()> {
    scenario(text, Format::Toml)?.prepare(Path::new(".")).map(|_| ())
}

const ELEMENTS_INSIDE_EARTH: &str = r#"[[satellites]]
source = "elements"
name = "mole"
elements = { semi_major_axis_km = 3000.0, eccentricity = 0.0, inclination_deg = 50.0, raan_deg = 0.0, argument_of_perigee_deg = 0.0, mean_anomaly_deg = 0.0 }
"#;

fn tiny_model_bytes() -> Vec<u8> {
    std::fs::read(TINY_MODEL).unwrap()
}

fn tiny(shape: &[usize]) -> Result<OnnxModel> {
    OnnxModel::from_bytes(&tiny_model_bytes(), Some(shape))
}

fn run_tiny(value: f32, shape: &[usize]) -> Result<()> {
    let model = OnnxModel::from_bytes(&tiny_model_bytes(), None)?;
    let input = vec![value; shape.iter().product()];
    model.run(&input, shape).map(|_| ())
}

/// A temporary directory of this test process, made afresh.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orbitedge-catalogue-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A path whose parent is a regular file: no directory can be made there
/// (unlike permissions, this holds for root too).
fn under_a_file(name: &str) -> PathBuf {
    let dir = scratch(name);
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    file.join("out")
}

fn omm_json(edit: &[(&str, &str)]) -> String {
    let mut text = String::from(
        r#"[{"OBJECT_NAME":"ISS (ZARYA)","EPOCH":"2019-12-09T16:38:29.363424","MEAN_MOTION":15.50103472,"ECCENTRICITY":0.0007417,"INCLINATION":51.6439,"RA_OF_ASC_NODE":211.2001,"ARG_OF_PERICENTER":17.6667,"MEAN_ANOMALY":85.6398,"NORAD_CAT_ID":25544,"BSTAR":3.8792e-5,"MEAN_MOTION_DOT":1.764e-5}]"#,
    );
    for (from, to) in edit {
        assert!(text.contains(from), "{from:?} is not in the OMM");
        text = text.replace(from, to);
    }
    text
}

fn omm_kvn(edit: &[(&str, &str)]) -> String {
    let mut text = String::from(
        "CCSDS_OMM_VERS = 2.0\nOBJECT_NAME = ISS (ZARYA)\nEPOCH = 2019-12-09T16:38:29.363424\n\
         MEAN_MOTION = 15.50103472 [rev/day]\nECCENTRICITY = 0.0007417\nINCLINATION = 51.6439\n\
         RA_OF_ASC_NODE = 211.2001\nARG_OF_PERICENTER = 17.6667\nMEAN_ANOMALY = 85.6398\n\
         NORAD_CAT_ID = 25544\nBSTAR = 0.38792E-4\nMEAN_MOTION_DOT = 0.00001764\n",
    );
    for (from, to) in edit {
        assert!(text.contains(from), "{from:?} is not in the OMM");
        text = text.replace(from, to);
    }
    text
}

/// A satellite read back from JSON whose semi-major axis was changed to `a_km`.
fn satellite_json_with_a(a_km: &str) -> Result<Satellite> {
    let json = serde_json::to_string(&leo("x")).unwrap();
    let edited = json.replace("6928.137", a_km);
    assert_ne!(json, edited);
    serde_json::from_str(&edited).map_err(|e| Error::Config {
        origin: "satellite JSON".into(),
        reason: e.to_string(),
    })
}

// ---------------------------------------------------------------- the table

#[rustfmt::skip] // a table: each case on two lines, its expectation first
fn cases() -> Vec<Case> {
    vec![
        // --- TLE
        case!("tle-checksum", "last digit of line 1 changed", Error::Tle { .. }, "checksum",
            Satellite::from_tle("X", &format!("{}8", &L1[..68]), L2)),
        case!("tle-short-line", "line 1 cut to 50 characters", Error::Tle { .. }, "69 characters",
            Satellite::from_tle("X", &L1[..50], L2)),
        case!("tle-long-line", "a 70th character", Error::Tle { .. }, "69 characters",
            Satellite::from_tle("X", &format!("{L1}0"), L2)),
        case!("tle-empty", "two empty lines", Error::Tle { .. }, "69 characters",
            Satellite::from_tle("X", "", "")),
        case!("tle-swapped", "line 2 given first", Error::Tle { .. }, "must start with '1'",
            Satellite::from_tle("X", L2, L1)),
        case!("tle-line2-twice", "line 1 given twice", Error::Tle { .. }, "must start with '2'",
            Satellite::from_tle("X", L1, L1)),
        case!("tle-non-ascii", "a non-ASCII character", Error::Tle { .. }, "non-ASCII",
            Satellite::from_tle("X", &L1.replacen('U', "Ü", 1), L2)),
        case!("tle-nul-bytes", "69 NUL bytes", Error::Tle { .. }, "must start with '1'",
            Satellite::from_tle("X", &"\0".repeat(69), L2)),
        case!("tle-huge-line", "a megabyte line", Error::Tle { .. }, "69 characters",
            Satellite::from_tle("X", &"1".repeat(1 << 20), L2)),
        case!("tle-catalogue-mismatch", "line 2 of another satellite", Error::Tle { .. }, "",
            Satellite::from_tle("X", L1, &tle_with(L2, 3, "25545"))),
        case!("tle-alpha5-bad-letter", "catalogue number with a '#'", Error::Tle { .. }, "",
            Satellite::from_tle("X", &tle_with(L1, 3, "#5544"), &tle_with(L2, 3, "#5544"))),
        case!("tle-epoch-letters", "epoch day 'abcde'", Error::Tle { .. }, "",
            Satellite::from_tle("X", &tle_with(L1, 21, "abcde.6933954"), L2)),
        case!("tle-epoch-day-400", "epoch day of year 400", Error::Tle { .. }, "",
            Satellite::from_tle("X", &tle_with(L1, 21, "400.69339541"), L2)),
        case!("tle-nan-mean-motion", "mean motion 'NaN'", Error::Tle { .. }, "float field",
            Satellite::from_tle("X", L1, &tle_with(L2, 53, "NaN        "))),
        case!("tle-inf-inclination", "inclination 'inf'", Error::Tle { .. }, "float field",
            Satellite::from_tle("X", L1, &tle_with(L2, 9, "inf     "))),
        case!("tle-zero-mean-motion", "mean motion 0", Error::Tle { .. }, "mean motion",
            Satellite::from_tle("X", L1, &tle_with(L2, 53, " 0.00000000"))),
        case!("tle-letters-eccentricity", "eccentricity 'abcdefg'", Error::Tle { .. }, "",
            Satellite::from_tle("X", L1, &tle_with(L2, 27, "abcdefg"))),
        case!("tle-inside-earth", "mean motion 20 rev/day (a ≈ 5 700 km)", Error::InvalidOrbit { .. }, "perigee",
            Satellite::from_tle("X", L1, &tle_with(L2, 53, "20.00000000"))),
        // --- OMM
        case!("omm-empty", "empty text", Error::Omm { .. }, "no OMM record",
            Satellite::from_omm("")),
        case!("omm-json-syntax", "unterminated JSON", Error::Omm { .. }, "invalid JSON",
            Satellite::from_omm("{not json")),
        case!("omm-json-not-objects", "a list of numbers", Error::Omm { .. }, "expected a JSON object",
            Satellite::from_omm("[1, 2]")),
        case!("omm-json-missing-keys", "only OBJECT_NAME", Error::Omm { .. }, "MEAN_MOTION",
            Satellite::from_omm(r#"[{"OBJECT_NAME": "X"}]"#)),
        case!("omm-json-nan-string", "MEAN_MOTION \"NaN\"", Error::Omm { .. }, "finite",
            Satellite::from_omm(&omm_json(&[("15.50103472", "\"NaN\"")]))),
        case!("omm-json-nan-token", "MEAN_MOTION NaN (not JSON)", Error::Omm { .. }, "invalid JSON",
            Satellite::from_omm(&omm_json(&[("15.50103472", "NaN")]))),
        case!("omm-json-huge", "MEAN_MOTION 1e400", Error::Omm { .. }, "",
            Satellite::from_omm(&omm_json(&[("15.50103472", "1e400")]))),
        case!("omm-json-wrong-type", "MEAN_MOTION a list", Error::Omm { .. }, "invalid field",
            Satellite::from_omm(&omm_json(&[("15.50103472", "[1, 2]")]))),
        case!("omm-json-bad-epoch", "EPOCH 'yesterday'", Error::Omm { .. }, "invalid field",
            Satellite::from_omm(&omm_json(&[("2019-12-09T16:38:29.363424", "yesterday")]))),
        case!("omm-json-hyperbolic", "ECCENTRICITY 1.5", Error::Omm { .. }, "eccentricity",
            Satellite::from_omm(&omm_json(&[("0.0007417", "1.5")]))),
        case!("omm-json-negative-mean-motion", "MEAN_MOTION -1", Error::Omm { .. }, "mean motion",
            Satellite::from_omm(&omm_json(&[("15.50103472", "-1")]))),
        case!("omm-json-inside-earth", "MEAN_MOTION 20 rev/day", Error::InvalidOrbit { .. }, "perigee",
            Satellite::from_omm(&omm_json(&[("15.50103472", "20.0")]))),
        case!("omm-kvn-no-equals", "a line without '='", Error::Omm { .. }, "KEY = value",
            Satellite::from_omm("KEY WITHOUT EQUALS")),
        case!("omm-kvn-csv", "CSV instead of KVN", Error::Omm { .. }, "KEY = value",
            Satellite::from_omm("OBJECT_NAME,EPOCH,MEAN_MOTION\nISS,2019-12-09T16:38:29,15.5\n")),
        case!("omm-kvn-missing-keys", "no MEAN_MOTION line", Error::Omm { .. }, "MEAN_MOTION",
            Satellite::from_omm(&omm_kvn(&[("MEAN_MOTION = 15.50103472 [rev/day]\n", "")]))),
        case!("omm-kvn-nan", "MEAN_MOTION = NaN", Error::Omm { .. }, "finite",
            Satellite::from_omm(&omm_kvn(&[("15.50103472", "NaN")]))),
        case!("omm-kvn-inside-earth", "MEAN_MOTION = 20", Error::InvalidOrbit { .. }, "perigee",
            Satellite::from_omm(&omm_kvn(&[("15.50103472", "20.0")]))),
        // --- orbits
        case!("orbit-a-3000", "a = 3000 km: inside the Earth", Error::InvalidOrbit { .. }, "perigee",
            from_elements(3_000.0, 0.0)),
        case!("orbit-perigee-3500", "a = 7000 km, e = 0.5: perigee radius 3500 km", Error::InvalidOrbit { .. }, "perigee",
            from_elements(7_000.0, 0.5)),
        case!("orbit-perigee-20km", "perigee 20 km above the surface", Error::InvalidOrbit { .. }, "perigee",
            from_elements(6_398.137, 0.0)),
        case!("orbit-e-1", "e = 1 (parabolic)", Error::InvalidParameter { .. }, "eccentricity",
            from_elements(7_000.0, 1.0)),
        case!("orbit-e-1.5", "e = 1.5 (hyperbolic)", Error::InvalidParameter { .. }, "eccentricity",
            from_elements(7_000.0, 1.5)),
        case!("orbit-e-negative", "e = -0.1", input_error!(), "eccentricity",
            from_elements(7_000.0, -0.1)),
        case!("orbit-e-nan", "e = NaN", input_error!(), "eccentricity",
            from_elements(7_000.0, f64::NAN)),
        case!("orbit-a-nan", "a = NaN", input_error!(), "semi_major_axis_km",
            from_elements(f64::NAN, 0.0)),
        case!("orbit-a-inf", "a = inf", input_error!(), "semi_major_axis_km",
            from_elements(f64::INFINITY, 0.0)),
        case!("orbit-a-negative", "a = -7000 km", input_error!(), "semi_major_axis_km",
            from_elements(-7_000.0, 0.0)),
        case!("orbit-a-zero", "a = 0", input_error!(), "semi_major_axis_km",
            from_elements(0.0, 0.0)),
        case!("orbit-inclination-nan", "inclination NaN", input_error!(), "inclination",
            Satellite::from_elements("x", epoch(), ClassicalElements { inclination_deg: f64::NAN, ..elements(7_000.0, 0.0) }, AnalyticModel::J2)),
        case!("orbit-state-r-1000", "a state 1000 km from the centre", Error::InvalidOrbit { .. }, "perigee",
            from_state([1_000.0, 0.0, 0.0], [0.0, 7.5, 0.0])),
        case!("orbit-state-falling", "at rest 7000 km up: falls straight in", Error::InvalidParameter { .. }, "angular momentum",
            from_state([7_000.0, 0.0, 0.0], [0.0, 0.0, 0.0])),
        case!("orbit-state-zero", "position and velocity zero", input_error!(), "",
            from_state([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])),
        case!("orbit-state-nan", "a NaN position component", input_error!(), "",
            from_state([7_000.0, f64::NAN, 0.0], [0.0, 7.5, 0.0])),
        case!("orbit-state-escape", "20 km/s at 7000 km: hyperbolic", Error::InvalidParameter { .. }, "escapes",
            from_state([7_000.0, 0.0, 0.0], [0.0, 20.0, 0.0])),
        case!("orbit-json-inside-earth", "a satellite read from JSON with a = 3000 km", Error::Config { .. }, "perigee",
            satellite_json_with_a("3000.0")),
        case!("orbit-unknown-model", "propagator 'rk4'", Error::InvalidChoice { .. }, "kepler",
            "rk4".parse::<AnalyticModel>()),
        case!("walker-negative-altitude", "altitude -500 km", input_error!(), "altitude_km",
            walker(6, 3, 0, -500.0, 53.0)),
        case!("walker-altitude-20km", "altitude 20 km: below the perigee margin", Error::InvalidOrbit { .. }, "perigee",
            walker(6, 3, 0, 20.0, 53.0)),
        case!("walker-planes", "7 satellites in 3 planes", input_error!(), "planes",
            walker(7, 3, 0, 550.0, 53.0)),
        case!("walker-zero-planes", "0 planes", input_error!(), "planes",
            walker(6, 0, 0, 550.0, 53.0)),
        case!("walker-nan-inclination", "inclination NaN", input_error!(), "inclination",
            walker(6, 3, 0, 550.0, f64::NAN)),
        case!("ephemeris-empty", "no states", Error::Ephemeris { .. }, "",
            ephemeris(vec![], 7_000.0, 0.0)),
        case!("ephemeris-unsorted", "epochs out of order", Error::Ephemeris { .. }, "",
            ephemeris(vec![minutes(2.0), minutes(1.0), minutes(3.0)], 7_000.0, 0.0)),
        case!("ephemeris-nan", "NaN positions", Error::Ephemeris { .. }, "",
            ephemeris(vec![minutes(0.0), minutes(1.0), minutes(2.0)], 7_000.0, f64::NAN)),
        case!("ephemeris-outside-span", "a state after the table ends", Error::Ephemeris { .. }, "outside",
            ephemeris(vec![minutes(0.0), minutes(1.0), minutes(2.0)], 7_000.0, 0.0)?.state_at(minutes(10.0))),
        case!("custom-step-zero", "a custom orbit sampled every 0 s", Error::InvalidParameter { .. }, "step_s",
            custom(Sampling { step_s: 0.0, ..Sampling::default() }, |t| Ok(circular(t)))),
        case!("custom-step-two-hours", "a custom orbit sampled every 2 h", Error::InvalidParameter { .. }, "3600",
            custom(Sampling { step_s: 7_200.0, ..Sampling::default() }, |t| Ok(circular(t)))),
        case!("custom-span-nan", "bounds measured over NaN s", Error::InvalidParameter { .. }, "bounds_span_s",
            custom(Sampling { bounds_span_s: f64::NAN, ..Sampling::default() }, |t| Ok(circular(t)))),
        case!("custom-too-many-points", "bounds measured over 30 years at 1 s", Error::ResourceLimit { .. }, "grid points",
            custom(Sampling { step_s: 1.0, bounds_span_s: 1e9 }, |t| Ok(circular(t)))),
        case!("custom-nan", "a custom orbit giving NaN", Error::Propagation { .. }, "non-finite",
            custom(Sampling::default(), |t| Ok(StateVector { position_km: [f64::NAN, 0.0, 0.0].into(), ..circular(t) }))),
        case!("custom-inside-earth", "a custom orbit at 3000 km", Error::InvalidOrbit { .. }, "perigee",
            custom(Sampling::default(), |t| Ok(StateVector { position_km: circular(t).position_km * 0.4, ..circular(t) }))),
        // --- ground stations
        case!("station-lat-91", "latitude 91°", input_error!(), "latitude_deg",
            GroundStation::new("X", 91.0, 0.0, 0.0, 5.0)),
        case!("station-lat-nan", "latitude NaN", input_error!(), "latitude_deg",
            GroundStation::new("X", f64::NAN, 0.0, 0.0, 5.0)),
        case!("station-lon-inf", "longitude inf", input_error!(), "longitude_deg",
            GroundStation::new("X", 0.0, f64::INFINITY, 0.0, 5.0)),
        case!("station-alt-nan", "altitude NaN", input_error!(), "altitude",
            GroundStation::new("X", 0.0, 0.0, f64::NAN, 5.0)),
        case!("station-alt-huge", "altitude 1e308 m", input_error!(), "altitude",
            GroundStation::new("X", 0.0, 0.0, 1e308, 5.0)),
        case!("station-min-elevation-95", "minimum elevation 95°", input_error!(), "min_elevation_deg",
            GroundStation::new("X", 0.0, 0.0, 0.0, 95.0)),
        case!("station-mask-empty", "an empty horizon mask", Error::EmptyInput { .. }, "horizon mask",
            HorizonMask::new(vec![])),
        case!("station-mask-nan", "a NaN mask azimuth", input_error!(), "azimuth_deg",
            HorizonMask::new(vec![(f64::NAN, 5.0)])),
        case!("station-mask-elevation-100", "mask elevation 100°", input_error!(), "elevation_deg",
            HorizonMask::new(vec![(0.0, 100.0)])),
        case!("station-mask-duplicate", "azimuth 0° and 360° both given", input_error!(), "azimuth_deg",
            HorizonMask::new(vec![(0.0, 5.0), (360.0, 10.0)])),
        case!("station-antennas-0", "a station with 0 antennas", input_error!(), "antennas",
            GroundStation::new("X", 0.0, 0.0, 0.0, 5.0)?.with_antennas(0)),
        // --- searches
        case!("access-end-before-start", "end an hour before start", Error::InvalidInterval { .. }, "after its start",
            access(epoch() - Duration::from_hours(1.0), search())),
        case!("access-empty-interval", "end equal to start", Error::InvalidInterval { .. }, "after its start",
            access(epoch(), search())),
        case!("access-nan-tolerance", "tolerance_s NaN", input_error!(), "tolerance_s",
            access(minutes(60.0), tolerance(f64::NAN))),
        case!("access-zero-tolerance", "tolerance_s 0", input_error!(), "tolerance_s",
            access(minutes(60.0), tolerance(0.0))),
        case!("access-no-satellites", "no satellites", Error::EmptyInput { .. }, "satellites",
            find_access_windows(&[], &[kiruna()], epoch(), minutes(60.0), &search())),
        case!("access-no-stations", "no stations", Error::EmptyInput { .. }, "stations",
            find_access_windows(&[leo("a")], &[], epoch(), minutes(60.0), &search())),
        case!("access-10000-years", "a search over 10 000 years", Error::ResourceLimit { .. }, "limit",
            access(epoch() + Duration::from_days(3_652_500.0), search())),
        case!("eclipse-nan-min-step", "min_step_s NaN", input_error!(), "min_step_s",
            eclipses(minutes(60.0), ShadowConfig::default(), SearchConfig { min_step_s: f64::NAN, ..search() })),
        case!("eclipse-denormal-min-step", "min_step_s 6e-322 (a fuzzed checkpoint's: it walked for ever)", Error::InvalidParameter { .. }, "min_step_s",
            eclipses(minutes(60.0), ShadowConfig::default(), SearchConfig { min_step_s: 6.3e-322, ..search() })),
        case!("access-huge-min-step", "min_step_s 1e300", Error::InvalidParameter { .. }, "min_step_s",
            access(minutes(60.0), SearchConfig { min_step_s: 1e300, ..search() })),
        case!("access-denormal-tolerance", "tolerance_s 1e-300", Error::InvalidParameter { .. }, "tolerance_s",
            access(minutes(60.0), tolerance(1e-300))),
        case!("eclipse-negative-atmosphere", "atmosphere_km -1", input_error!(), "atmosphere_km",
            eclipses(minutes(60.0), ShadowConfig { atmosphere_km: -1.0, ..ShadowConfig::default() }, search())),
        case!("eclipse-end-before-start", "end before start", Error::InvalidInterval { .. }, "after its start",
            eclipses(epoch() - Duration::from_hours(1.0), ShadowConfig::default(), search())),
        case!("eclipse-10000-years", "a search over 10 000 years", Error::ResourceLimit { .. }, "limit",
            eclipses(epoch() + Duration::from_days(3_652_500.0), ShadowConfig::default(), search())),
        case!("link-one-satellite", "one satellite: no pair", input_error!(), "",
            find_link_windows(&[leo("a")], epoch(), minutes(60.0), &LineOfSight::new(80.0, None).unwrap(), &search())),
        case!("link-nan-grazing", "grazing altitude NaN", input_error!(), "grazing",
            LineOfSight::new(f64::NAN, None)),
        case!("link-negative-range", "max range -1 km", input_error!(), "range",
            LineOfSight::new(80.0, Some(-1.0))),
        case!("link-10000-years", "a link search over 10 000 years", Error::ResourceLimit { .. }, "limit",
            links(LineOfSight::new(80.0, None).unwrap(), epoch() + Duration::from_days(3_652_500.0))),
        // --- spacecraft
        case!("spacecraft-empty-name", "name \"\"", Error::EmptyInput { .. }, "spacecraft name",
            Spacecraft::cubesat_6u("", leo("x")).validated()),
        case!("power-negative-capacity", "battery capacity -5 Wh", input_error!(), "capacity_wh",
            spacecraft(|sc| sc.power.as_mut().unwrap().battery.capacity_wh = -5.0)),
        case!("power-nan-capacity", "battery capacity NaN", input_error!(), "capacity_wh",
            spacecraft(|sc| sc.power.as_mut().unwrap().battery.capacity_wh = f64::NAN)),
        case!("power-soc-above-1", "initial state of charge 1.5", input_error!(), "initial_soc",
            spacecraft(|sc| sc.power.as_mut().unwrap().battery.initial_soc = 1.5)),
        case!("power-nan-bus-load", "bus load NaN", input_error!(), "bus_load_w",
            spacecraft(|sc| sc.power.as_mut().unwrap().bus_load_w = f64::NAN)),
        case!("power-efficiency-2", "cell efficiency 2", input_error!(), "efficiency",
            spacecraft(|sc| sc.power.as_mut().unwrap().source.solar_array_mut().unwrap().efficiency = 2.0)),
        case!("power-rtg-negative", "RTG power -1 W", Error::InvalidParameter { .. }, "rtg power_w",
            spacecraft(|sc| sc.power.as_mut().unwrap().source = orbitedge::spacecraft::Rtg { power_w: -1.0 }.into())),
        case!("power-rtg-nan", "RTG power NaN", Error::InvalidParameter { .. }, "rtg power_w",
            spacecraft(|sc| sc.power.as_mut().unwrap().source = orbitedge::spacecraft::Rtg { power_w: f64::NAN }.into())),
        case!("thermal-nan-mass", "thermal mass NaN", input_error!(), "mass_kg",
            spacecraft(|sc| sc.thermal.as_mut().unwrap().mass_kg = f64::NAN)),
        case!("thermal-negative-temperature", "initial temperature -5 K", input_error!(), "initial_temperature_k",
            spacecraft(|sc| sc.thermal.as_mut().unwrap().initial_temperature_k = -5.0)),
        case!("radiation-negative-rate", "restart rate -1 /s", input_error!(), "restart_per_s",
            spacecraft(|sc| sc.radiation.restart_per_s = -1.0)),
        case!("radiation-huge-rate", "1e308 data corruptions per second", input_error!(), "data_corruption_per_s",
            spacecraft(|sc| sc.radiation.data_corruption_per_s = 1e308)),
        case!("storage-zero-capacity", "storage capacity 0", input_error!(), "capacity_bytes",
            spacecraft(|sc| sc.storage.capacity_bytes = 0.0)),
        case!("storage-no-partitions", "no partitions", Error::EmptyInput { .. }, "partitions",
            spacecraft(|sc| sc.storage.partitions.clear())),
        case!("storage-duplicate-partition", "partition 'raw' twice", input_error!(), "duplicate",
            spacecraft(|sc| { let p = sc.storage.partitions[0].clone(); sc.storage.partitions.push(p) })),
        case!("radio-zero-rate", "rate 0 bit/s", input_error!(), "rate_bps",
            spacecraft(|sc| sc.radios[0].rate = RateModel::Fixed { rate_bps: 0.0 })),
        case!("radio-unknown-partition", "sends partition 'nowhere'", input_error!(), "nowhere",
            spacecraft(|sc| sc.radios[0].partitions = vec!["nowhere".into()])),
        case!("activity-negative-power", "activity power -15 W", input_error!(), "power_w",
            spacecraft(|sc| sc.activities[0].power_w = -15.0)),
        case!("activity-zero-duration", "activity duration 0 s", input_error!(), "duration_s",
            spacecraft(|sc| sc.activities[0].duration_s = Some(0.0))),
        case!("activity-duplicate-name", "two activities named 'imaging'", input_error!(), "duplicate",
            spacecraft(|sc| { let a = sc.activities[0].clone(); sc.activities.push(a) })),
        case!("activity-unknown-partition", "produces into 'nowhere'", input_error!(), "nowhere",
            spacecraft(|sc| sc.activities[0].produces.as_mut().unwrap().partition = "nowhere".into())),
        case!("activity-min-soc-2", "precondition min_soc 2", input_error!(), "min_soc",
            spacecraft(|sc| sc.activities[0].preconditions.min_soc = Some(2.0))),
        case!("activity-resume-soc-at-min-soc", "resume_soc 0.5 with min_soc 0.5", Error::ParameterOrder { .. }, "resume_soc must be greater than min_soc (0.5)",
            spacecraft(|sc| { let p = &mut sc.activities[0].preconditions; p.min_soc = Some(0.5); p.resume_soc = Some(0.5) })),
        case!("activity-resume-soc-below-battery-floor", "resume_soc 0.1 under the battery's floor 0.2", Error::ParameterOrder { .. }, "the battery's min_soc (0.2)",
            spacecraft(|sc| sc.activities[0].preconditions.resume_soc = Some(0.1))),
        case!("activity-resume-soc-nan", "resume_soc NaN", Error::InvalidParameter { .. }, "resume_soc",
            spacecraft(|sc| sc.activities[0].preconditions.resume_soc = Some(f64::NAN))),
        case!("activity-negative-min-on", "min_on_s -1", Error::InvalidParameter { .. }, "min_on_s",
            spacecraft(|sc| sc.activities[0].min_on_s = -1.0)),
        // --- simulation
        case!("sim-duplicate-names", "two spacecraft named 'sat'", input_error!(), "duplicate",
            Simulation::new(epoch(), vec![cubesat("sat"), cubesat("sat")], vec![], 1)),
        case!("sim-telemetry-zero", "telemetry_interval_s 0", input_error!(), "telemetry_interval_s",
            simulation(SimulationConfig { telemetry_interval_s: 0.0, ..Default::default() })),
        case!("sim-telemetry-nan", "telemetry_interval_s NaN", input_error!(), "telemetry_interval_s",
            simulation(SimulationConfig { telemetry_interval_s: f64::NAN, ..Default::default() })),
        case!("sim-telemetry-microsecond", "telemetry every 1e-6 s over an hour", Error::ResourceLimit { .. }, "telemetry_interval_s",
            simulation(SimulationConfig { telemetry_interval_s: 1e-6, ..Default::default() })?.run(minutes(60.0), Stepping::EventDriven)),
        case!("sim-max-substep-nan", "max_substep_s NaN", input_error!(), "max_substep_s",
            simulation(SimulationConfig { max_substep_s: f64::NAN, ..Default::default() })),
        case!("sim-run-backwards", "run to an hour before the start", Error::InvalidInterval { .. }, "after its start",
            run_sim(epoch() - Duration::from_hours(1.0), Stepping::EventDriven)),
        case!("sim-run-to-now", "run to the current instant", Error::InvalidInterval { .. }, "after its start",
            run_sim(epoch(), Stepping::EventDriven)),
        case!("sim-step-zero", "step_s 0", input_error!(), "step_s",
            run_sim(minutes(60.0), Stepping::Fixed { step_s: 0.0 })),
        case!("sim-step-nan", "step_s NaN", input_error!(), "step_s",
            run_sim(minutes(60.0), Stepping::Fixed { step_s: f64::NAN })),
        case!("sim-step-microsecond", "step_s 1e-6 over a day", Error::ResourceLimit { .. }, "sub-steps",
            run_sim(minutes(1_440.0), Stepping::Fixed { step_s: 1e-6 })),
        case!("sim-10000-years", "a run of 10 000 years", Error::ResourceLimit { .. }, "limit",
            run_sim(epoch() + Duration::from_days(3_652_500.0), Stepping::EventDriven)),
        case!("sim-schedule-unknown-activity", "schedule 'dancing'", Error::UnknownName { .. }, "dancing",
            sim().schedule("sat", "dancing", minutes(10.0))),
        case!("sim-schedule-unknown-spacecraft", "schedule on 'nobody'", Error::UnknownName { .. }, "nobody",
            sim().schedule("nobody", "imaging", minutes(10.0))),
        case!("sim-constraint-unknown-spacecraft", "a constraint on 'nobody'", Error::UnknownName { .. }, "nobody",
            sim().add_constraint("nobody", "imaging", "never", std::sync::Arc::new(|_: &orbitedge::sim::SpacecraftView| false))),
        case!("sim-radio-unknown-station", "a radio for station 'Atlantis'", Error::UnknownName { .. }, "Atlantis",
            Simulation::new(epoch(), vec![spacecraft(|sc| sc.radios[0].stations = vec!["Atlantis".into()])?], vec![kiruna()], 1)),
        case!("sim-priority-unknown-spacecraft", "a station priority list naming 'nobody'", Error::UnknownName { .. }, "nobody",
            simulation(SimulationConfig { station_assignment: StationAssignment::Priority(vec!["nobody".into()]), ..Default::default() })),
        case!("sim-priority-repeated", "a station priority list naming 'sat' twice", Error::Duplicate { .. }, "sat",
            simulation(SimulationConfig { station_assignment: StationAssignment::Priority(vec!["sat".into(), "sat".into()]), ..Default::default() })),
        case!("sim-relay-unknown-peer", "a relay to 'nobody'", Error::UnknownName { .. }, "nobody",
            with_relay(relay("nobody", "raw", 1e7))),
        case!("sim-relay-unknown-peer-partition", "a relay into the peer's 'nowhere'", Error::UnknownName { .. }, "nowhere",
            with_relay(relay("b", "nowhere", 1e7))),
        case!("sim-relay-zero-rate", "a relay at 0 bit/s", input_error!(), "rate_bps",
            with_relay(relay("b", "raw", 0.0))),
        case!("sim-relay-negative-power", "a relay drawing -1 W", input_error!(), "transmit_power_w",
            with_relay(RelayConfig { transmit_power_w: -1.0, ..relay("b", "raw", 1e7) })),
        case!("sim-relay-infinite-power", "a relay drawing inf W", input_error!(), "transmit_power_w",
            with_relay(RelayConfig { transmit_power_w: f64::INFINITY, ..relay("b", "raw", 1e7) })),
        case!("sim-external-load-huge", "an external load of 1e308 W", input_error!(), "power_w",
            sim().start_external_load("sat", "app", 1e308)),
        case!("sim-store-nan-bytes", "store NaN bytes", input_error!(), "bytes",
            sim().store_data("sat", "raw", f64::NAN)),
        case!("sim-stop-not-running", "stop a load that never started", Error::Conflict(_), "not running",
            sim().stop_external_load("sat", "app")),
        // --- checkpoints
        case!("checkpoint-empty", "no bytes", Error::Checkpoint { .. }, "",
            Simulation::restore(&[])),
        case!("checkpoint-random", "4 kB of pseudo-random bytes", Error::Checkpoint { .. }, "",
            Simulation::restore(&(0..4096u32).map(|k| (k.wrapping_mul(2_654_435_761) >> 24) as u8).collect::<Vec<_>>())),
        case!("checkpoint-truncated", "the first half of a checkpoint", Error::Checkpoint { .. }, "",
            { let bytes = checkpoint_bytes(); Simulation::restore(&bytes[..bytes.len() / 2]) }),
        case!("checkpoint-one-byte-short", "a checkpoint without its last byte", Error::Checkpoint { .. }, "",
            { let bytes = checkpoint_bytes(); Simulation::restore(&bytes[..bytes.len() - 1]) }),
        case!("checkpoint-battery-overfull", "battery energy 1e9 Wh in a 40 Wh battery", Error::Checkpoint { .. }, "battery",
            crafted_checkpoint(|t| t["states"][0]["battery"]["energy_wh"] = 1e9.into())),
        case!("checkpoint-missing-state", "no state for the spacecraft", Error::Checkpoint { .. }, "state",
            crafted_checkpoint(|t| t["states"] = serde_json::json!([]))),
        case!("checkpoint-contact-out-of-range", "in contact with station 99 of 1", Error::Checkpoint { .. }, "contact",
            crafted_checkpoint(|t| t["states"][0]["contact"] = 99.into())),
        case!("checkpoint-telemetry-index-out-of-range", "a telemetry row of spacecraft 7 of 1", Error::Checkpoint { .. }, "telemetry",
            crafted_checkpoint(|t| t["telemetry"]["spacecraft_index"][0] = 7.into())),
        case!("checkpoint-event-index-out-of-range", "an event of spacecraft 7 of 1", Error::Checkpoint { .. }, "event",
            crafted_checkpoint(|t| t["events"][0]["spacecraft_index"] = 7.into())),
        case!("checkpoint-negative-battery", "battery energy -5 Wh", Error::Checkpoint { .. }, "battery",
            crafted_checkpoint(|t| t["states"][0]["battery"]["energy_wh"] = (-5.0).into())),
        // --- threads
        case!("threads-zero", "0 worker threads", Error::InvalidParameter { .. }, "threads",
            orbitedge::threads::with_threads(Some(0), || ())),
        case!("threads-100000", "100 000 worker threads", Error::InvalidParameter { .. }, "threads",
            orbitedge::threads::with_threads(Some(100_000), || ())),
        case!("threads-negative", "-1 worker threads", Error::InvalidParameter { .. }, "threads",
            orbitedge::threads::with_threads(Some(-1), || ())),
        // --- scenarios
        case!("scenario-unknown-key", "'duraton_h'", Error::Config { .. }, "did you mean `duration_h`",
            scenario(&scenario_toml(&[("duration_h", "duraton_h")]), Format::Toml)),
        case!("scenario-unknown-nested-key", "'altitude' in a satellite source", Error::Config { .. }, "did you mean `altitude_km`",
            scenario(&scenario_toml(&[("altitude_km", "altitude")]), Format::Toml)),
        case!("scenario-toml-syntax", "a TOML line without a value", Error::Config { .. }, "line",
            scenario("name = \"x\"\nduration_h =\n", Format::Toml)),
        case!("scenario-json-syntax", "unterminated JSON", Error::Config { .. }, "",
            scenario("{\"name\": \"x\",", Format::Json)),
        case!("scenario-yaml-syntax", "bad YAML indentation", Error::Config { .. }, "",
            scenario("name: x\n  duration_h: : [\n", Format::Yaml)),
        case!("scenario-wrong-type", "duration_h = \"long\"", Error::Config { .. }, "duration_h",
            scenario(&scenario_toml(&[("duration_h = 2.0", "duration_h = \"long\"")]), Format::Toml)),
        case!("scenario-unknown-format", "a .txt file", Error::Config { .. }, "unknown scenario format",
            Scenario::from_path("scenario.txt")),
        case!("scenario-missing-file", "a file that does not exist", Error::Config { .. }, "cannot read",
            Scenario::from_path("no/such/scenario.toml")),
        case!("scenario-duration-1e300", "duration_h = 1e300", Error::ResourceLimit { .. }, "limit",
            prepared(&scenario_toml(&[("duration_h = 2.0", "duration_h = 1e300")]))),
        case!("scenario-duration-nan", "duration_h = nan", input_error!(), "duration_h",
            prepared(&scenario_toml(&[("duration_h = 2.0", "duration_h = nan")]))),
        case!("scenario-duration-negative", "duration_h = -1", input_error!(), "duration_h",
            prepared(&scenario_toml(&[("duration_h = 2.0", "duration_h = -1.0")]))),
        case!("scenario-step-microsecond", "step_s = 1e-6", Error::ResourceLimit { .. }, "sub-steps",
            prepared(&scenario_toml(&[("duration_h = 2.0", "duration_h = 2.0\nstep_s = 1e-6")]))),
        case!("scenario-telemetry-microsecond", "telemetry_interval_s = 1e-6", Error::ResourceLimit { .. }, "telemetry_interval_s",
            prepared(&scenario_toml(&[("telemetry_interval_s = 60.0", "telemetry_interval_s = 1e-6")]))),
        case!("scenario-bad-start", "start = \"yesterday\"", input_error!(), "start",
            prepared(&scenario_toml(&[("2024-03-01T00:00:00Z", "yesterday")]))),
        case!("scenario-no-satellites", "satellites = []", input_error!(), "satellite",
            prepared("name = \"x\"\nstart = \"2024-03-01T00:00:00Z\"\nduration_h = 1.0\nsatellites = []\n")),
        case!("scenario-elements-inside-earth", "an elements source with a = 3000 km", Error::Config { .. }, "perigee",
            prepared(&scenario_toml(&[("[[stations]]", &format!("{ELEMENTS_INSIDE_EARTH}\n[[stations]]"))]))),
        case!("scenario-station-lat-91", "a station at latitude 91°", input_error!(), "latitude_deg",
            prepared(&scenario_toml(&[("67.8558", "91.0")]))),
        case!("scenario-station-antennas-0", "a station with antennas = 0", input_error!(), "antennas",
            prepared(&scenario_toml(&[("67.8558", "67.8558\nantennas = 0")]))),
        case!("scenario-unknown-assignment", "station_assignment = \"loudest\"", Error::Config { .. }, "first_come",
            prepared(&scenario_toml(&[("telemetry_interval_s = 60.0", "telemetry_interval_s = 60.0\nstation_assignment = \"loudest\"")]))),
        case!("scenario-priority-unknown", "a priority list naming 'nobody'", Error::UnknownName { .. }, "nobody",
            prepared(&scenario_toml(&[("telemetry_interval_s = 60.0", "telemetry_interval_s = 60.0\nstation_assignment = { priority = [\"nobody\"] }")]))),
        case!("scenario-unknown-preset", "bus preset 'cubesat_99u'", input_error!(), "preset",
            prepared(&scenario_toml(&[("[[stations]]", "[bus]\npreset = \"cubesat_99u\"\n\n[[stations]]")]))),
        case!("scenario-power-two-sources", "bus.power with both solar_array and rtg", Error::Config { .. }, "bus.power: give one power source",
            scenario(&scenario_toml(&[("[[stations]]", "[bus.power]\nsolar_array = { area_m2 = 0.1 }\nrtg = { power_w = 40.0 }\nbattery = { capacity_wh = 40.0 }\n\n[[stations]]")]), Format::Toml)),
        case!("scenario-power-no-source", "bus.power without solar_array or rtg", Error::Config { .. }, "missing the power source",
            scenario(&scenario_toml(&[("[[stations]]", "[bus.power]\nbattery = { capacity_wh = 40.0 }\n\n[[stations]]")]), Format::Toml)),
        case!("scenario-power-rtg-typo", "rtg = { power = 40 }", Error::Config { .. }, "did you mean `power_w`",
            scenario(&scenario_toml(&[("[[stations]]", "[bus.power]\nrtg = { power = 40.0 }\nbattery = { capacity_wh = 40.0 }\n\n[[stations]]")]), Format::Toml)),
        case!("scenario-power-source-typo", "bus.power.solar_aray", Error::Config { .. }, "did you mean `solar_array`",
            scenario(&scenario_toml(&[("[[stations]]", "[bus.power]\nsolar_aray = { area_m2 = 0.1 }\nbattery = { capacity_wh = 40.0 }\n\n[[stations]]")]), Format::Toml)),
        // --- ONNX models
        case!("onnx-missing-file", "a path that does not exist", Error::ModelFile { .. }, "no_such",
            OnnxModel::from_path("no_such.onnx", None)),
        case!("onnx-directory", "a directory instead of a file", Error::ModelFile { .. }, "",
            OnnxModel::from_path(env!("CARGO_MANIFEST_DIR"), None)),
        case!("onnx-empty", "no bytes", Error::Model { .. }, "",
            OnnxModel::from_bytes(&[], None)),
        case!("onnx-garbage", "bytes that are not ONNX", Error::Model { .. }, "not a readable ONNX file",
            OnnxModel::from_bytes(b"garbage garbage garbage", None)),
        case!("onnx-truncated", "the first half of the tiny model", Error::Model { .. }, "",
            { let bytes = tiny_model_bytes(); OnnxModel::from_bytes(&bytes[..bytes.len() / 2], None) }),
        case!("onnx-truncated-tail", "the tiny model without its last 8 bytes", Error::Model { .. }, "",
            { let bytes = tiny_model_bytes(); OnnxModel::from_bytes(&bytes[..bytes.len() - 8], None) }),
        case!("onnx-zero-dimension", "input shape [0, 4, 32, 32]", input_error!(), "",
            tiny(&[0, 4, 32, 32])),
        case!("onnx-empty-shape", "input shape []", input_error!(), "",
            tiny(&[])),
        case!("onnx-huge-shape", "input shape [1, 4, 100000, 100000]", Error::ResourceLimit { .. }, "",
            tiny(&[1, 4, 100_000, 100_000])),
        case!("onnx-wrong-run-shape", "a 16×16 input for a 32×32 model", Error::ShapeMismatch { .. }, "[1, 4, 16, 16]",
            run_tiny(0.1, &[1, 4, 16, 16])),
        case!("onnx-all-nan-input", "an all-NaN tile", Error::NonFiniteInput { .. }, "4096 non-finite",
            run_tiny(f32::NAN, &[1, 4, 32, 32])),
        case!("onnx-inf-input", "an all-inf tile", Error::NonFiniteInput { .. }, "non-finite",
            run_tiny(f32::INFINITY, &[1, 4, 32, 32])),
        // --- compute, devices, scenes
        case!("device-unknown", "device 'cray-1'", input_error!(), "cray-1",
            DeviceProfile::shipped("cray-1")),
        case!("device-bad-toml", "a device profile that is not TOML", Error::Config { .. }, "",
            DeviceProfile::from_toml("name = ", "catalogue")),
        case!("scene-cloud-cover", "cloud cover 1.5", input_error!(), "cloud_cover",
            Scene::generate(&SceneConfig { cloud_cover: 1.5, ..SceneConfig::default() }, 1, 0)),
        case!("scene-huge-tile", "a 100 000 px tile", input_error!(), "size_px",
            Scene::generate(&SceneConfig { size_px: 100_000, ..SceneConfig::default() }, 1, 0)),
        // --- outputs
        case!("report-unwritable", "a report where a file is in the way", Error::Io { .. }, "out",
            write_report(&sim(), &RunInfo::default(), &under_a_file("report"), false)),
        case!("stream-unwritable", "streaming where a file is in the way", Error::Io { .. }, "out",
            sim().stream_to(under_a_file("stream"))),
    ]
}

// ---------------------------------------------------------------- the loop

/// What a case did, when it did not do what the table says.
fn check(case: Case) -> Option<String> {
    let Case {
        id,
        what,
        expected,
        matches,
        fragment,
        run,
    } = case;
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
        let _ = send.send(outcome);
    });
    let problem = match receive.recv_timeout(CASE_TIME_LIMIT) {
        Err(_) => format!("hung (no answer within {CASE_TIME_LIMIT:?})"),
        Ok(Err(payload)) => format!("panicked: {}", Error::from_panic("catalogue", payload.as_ref())),
        Ok(Ok(Ok(()))) => "accepted".to_string(),
        Ok(Ok(Err(error))) => {
            let message = error.to_string();
            if !matches(&error) {
                format!("wrong variant: {error:?}")
            } else if !message.contains(fragment) {
                format!("message lacks {fragment:?}: {message}")
            } else {
                return None;
            }
        }
    };
    Some(format!(
        "{id} ({what}); expected {expected} with {fragment:?}: {problem}"
    ))
}

#[test]
fn every_bad_input_gets_its_typed_error() {
    // A panic inside a case is an outcome to report, not noise on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let cases = cases();
    let total = cases.len();
    let mut ids: Vec<&str> = cases.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "case ids must be unique");
    assert!(total >= 80, "the catalogue has {total} cases, fewer than 80");
    let failures: Vec<String> = cases.into_iter().filter_map(check).collect();
    let _ = std::panic::take_hook();
    assert!(
        failures.is_empty(),
        "{} of {total} catalogue cases failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
