//! `orbitedge.Spacecraft`, `orbitedge.Simulation` and `orbitedge.Event`.

use std::sync::{Arc, Mutex};

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use super::errors::{guard, input_error, IntoPy};
use super::ints::PyInt;
use super::pickle;
use super::satellite::PySatellite;
use super::station::PyGroundStation;
use super::{time, with_threads};
use crate::compute::{ComputerConfig, ImagerConfig};
use crate::sim::{
    Event, InferenceRecord, Simulation, SimulationConfig, SpacecraftView, StationAssignment, Stepping,
};
use crate::spacecraft::{
    ActivityConfig, PowerConfig, RadiationConfig, RadioConfig, RelayConfig, Spacecraft, StorageConfig,
    ThermalConfig,
};
use crate::time::{seconds_between, unix_nanoseconds};

/// Parses a Python dict (or list) into a serde type via JSON, naming `what` in errors.
pub(crate) fn from_python<T: serde::de::DeserializeOwned>(
    what: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<T> {
    let json: String = value
        .py()
        .import("orbitedge._config")?
        .call_method1("to_json", (what, value))?
        .extract()?;
    serde_json::from_str(&json).map_err(|e| input_error(&format!("{what}: {e}")))
}

pub(crate) fn to_python<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(value).map_err(|e| input_error(&e.to_string()))?;
    py.import("json")?.call_method1("loads", (json,))
}

/// A spacecraft: an orbit plus subsystem models given as dicts (keys as in the
/// Rust structs; unknown keys are errors).
#[pyclass(module = "orbitedge", name = "Spacecraft", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct PySpacecraft {
    inner: Spacecraft,
}

#[pymethods]
impl PySpacecraft {
    #[new]
    #[pyo3(signature = (name, orbit, power = None, thermal = None, radiation = None, storage = None, radios = None, activities = None, relays = None, imager = None, computer = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: String,
        orbit: PySatellite,
        power: Option<&Bound<'_, PyAny>>,
        thermal: Option<&Bound<'_, PyAny>>,
        radiation: Option<&Bound<'_, PyAny>>,
        storage: Option<&Bound<'_, PyAny>>,
        radios: Option<&Bound<'_, PyAny>>,
        activities: Option<&Bound<'_, PyAny>>,
        relays: Option<&Bound<'_, PyAny>>,
        imager: Option<&Bound<'_, PyAny>>,
        computer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard("Spacecraft", || {
            let mut sc = Spacecraft::new(name, orbit.inner);
            sc.imager = imager
                .map(|i| from_python::<ImagerConfig>("imager", i))
                .transpose()?;
            sc.computer = computer
                .map(|c| from_python::<ComputerConfig>("computer", c))
                .transpose()?;
            if let Some(r) = relays {
                sc.relays = from_python::<Vec<RelayConfig>>("relays", r)?;
            }
            sc.power = power
                .map(|p| from_python::<PowerConfig>("power", p))
                .transpose()?;
            sc.thermal = thermal
                .map(|t| from_python::<ThermalConfig>("thermal", t))
                .transpose()?;
            if let Some(r) = radiation {
                sc.radiation = from_python::<RadiationConfig>("radiation", r)?;
            }
            if let Some(s) = storage {
                sc.storage = from_python::<StorageConfig>("storage", s)?;
            }
            if let Some(r) = radios {
                sc.radios = from_python::<Vec<RadioConfig>>("radios", r)?;
            }
            if let Some(a) = activities {
                sc.activities = from_python::<Vec<ActivityConfig>>("activities", a)?;
            }
            Ok(Self {
                inner: sc.validated().py_err()?,
            })
        })
    }

    /// Name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The orbit.
    #[getter]
    fn orbit(&self) -> PySatellite {
        PySatellite {
            inner: self.inner.satellite.clone(),
        }
    }

    /// Every parameter, as plain Python data.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard("Spacecraft.config", || to_python(py, &self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "Spacecraft({:?}, orbit={:?})",
            self.inner.name, self.inner.satellite.name
        )
    }
}

/// One entry of the event log.
#[pyclass(module = "orbitedge", name = "Event", frozen)]
pub(crate) struct PyEvent {
    pub(crate) inner: Event,
}

#[pymethods]
impl PyEvent {
    #[classattr]
    fn _time_fields() -> (&'static str,) {
        ("time",)
    }
    /// When (UTC datetime).
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.time)
    }
    /// Seconds since the simulation start.
    #[getter]
    fn elapsed_s(&self) -> f64 {
        self.inner.elapsed_s
    }
    /// Spacecraft name.
    #[getter]
    fn spacecraft(&self) -> &str {
        &self.inner.spacecraft
    }
    /// Kind, e.g. ``"contact_started"``, ``"activity_interrupted"``, ``"load_shed"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.name()
    }
    /// Human-readable details.
    #[getter]
    fn detail(&self) -> String {
        self.inner.kind.detail()
    }
    /// Every field of the event, as a dict.
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard("Event.data", || to_python(py, &self.inner.kind))
    }
    fn _row<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let row = PyDict::new(py);
        row.set_item("time", unix_nanoseconds(self.inner.time))?;
        row.set_item("spacecraft", &self.inner.spacecraft)?;
        row.set_item("kind", self.inner.kind.name())?;
        row.set_item("detail", self.inner.kind.detail())?;
        Ok(row)
    }
    fn __repr__(&self) -> String {
        format!(
            "Event({}, {:?}, {}, {:?})",
            self.inner.time,
            self.inner.spacecraft,
            self.inner.kind.name(),
            self.inner.kind.detail()
        )
    }
}

/// An error raised by user Python code inside a hook, kept until the run returns.
type HookError = Arc<Mutex<Option<PyErr>>>;

fn view_dict<'py>(py: Python<'py>, view: &SpacecraftView) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("elapsed_s", view.elapsed_s)?;
    d.set_item("soc", view.soc)?;
    d.set_item("temperature_k", view.temperature_k)?;
    d.set_item("sunlit_fraction", view.sunlit_fraction)?;
    d.set_item("in_contact", view.in_contact)?;
    d.set_item("storage_used_bytes", view.storage_used_bytes)?;
    d.set_item("storage_free_bytes", view.storage_free_bytes)?;
    d.set_item("dose_rad", view.dose_rad)?;
    d.set_item("alive", view.alive)?;
    d.set_item("activity", view.activity.clone())?;
    let props = PyDict::new(py);
    for (k, v) in &view.properties {
        props.set_item(k, v)?;
    }
    d.set_item("properties", props)?;
    d.set_item("peers_in_view", view.peers_in_view.clone())?;
    Ok(d)
}

/// Spacecraft and ground stations advanced together.
///
/// ``station_assignment`` says how a station's antennas are shared when more
/// passes compete than it has antennas: ``"first_come"`` (the default: by rise,
/// never preempted), ``"highest_elevation"`` (by each pass's peak elevation,
/// the higher preempting) or ``{"priority": [spacecraft names]}`` (listed first
/// preempts; unlisted last, first come among themselves). A spacecraft claims a
/// station only when its radio can use it.
#[pyclass(module = "orbitedge", name = "Simulation")]
pub(crate) struct PySimulation {
    pub(crate) inner: Simulation,
    /// Where `events()` without `since` continues (a reader's position, not
    /// part of the simulation: it is not in checkpoints or pickles).
    pub(crate) events_cursor: usize,
    hook_error: HookError,
    info: crate::report::RunInfo,
    /// The Python functions attached with `add_constraint` / `add_property`, as
    /// they were given: a pickle carries them (by reference, as pickle does).
    /// Each as `(kind, spacecraft, activity or property, function, name or initial)`:
    /// the arguments `_restore` re-attaches it with.
    py_hooks: Vec<Py<PyTuple>>,
}

impl PySimulation {
    /// Runs `work` on the engine without the GIL: Ctrl-C and the progress
    /// `reporter` are looked at between sync points (either stops the run with
    /// the state intact), and an error raised by a user hook is re-raised.
    pub(crate) fn drive<T: Send>(
        &mut self,
        py: Python<'_>,
        threads: Option<PyInt>,
        reporter: Option<Py<PyAny>>,
        work: impl FnOnce(&mut Simulation, &mut dyn FnMut(f64) -> bool) -> crate::Result<T> + Send,
    ) -> PyResult<T> {
        let interrupted: Arc<Mutex<Option<PyErr>>> = Arc::default();
        let started = std::time::Instant::now();
        let sim = &mut self.inner;
        let outcome = py.detach(|| {
            with_threads(threads, || {
                work(sim, &mut |fraction| {
                    Python::attach(|py| {
                        if let Err(e) = py.check_signals() {
                            *interrupted.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            return false;
                        }
                        if let Some(report) = &reporter {
                            if let Err(e) = report.call1(py, (fraction,)) {
                                *interrupted.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                                return false;
                            }
                        }
                        true
                    })
                })
            })
        });
        // The report's "run in" counts the time spent advancing, also on an error.
        self.info.wall_s += started.elapsed().as_secs_f64();
        let value = outcome?.py_err()?;
        if let Some(error) = self.hook_error.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(error);
        }
        if let Some(error) = interrupted.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(error);
        }
        Ok(value)
    }

    /// A Python simulation around a built one (e.g. from a scenario).
    pub(crate) fn from_simulation(inner: Simulation, info: crate::report::RunInfo) -> Self {
        Self {
            inner,
            hook_error: Arc::default(),
            events_cursor: 0,
            info,
            py_hooks: Vec::new(),
        }
    }
}

#[pymethods]
impl PySimulation {
    #[new]
    #[pyo3(
        signature = (start, spacecraft, stations = Vec::new(), seed = PyInt::ZERO, telemetry_interval_s = 60.0, max_substep_s = 60.0, shadow_model = "conical", sync_interval_s = 60.0, station_assignment = None, name = None, solar_constant_w_m2 = crate::environment::irradiance::SOLAR_IRRADIANCE_1AU_W_M2, paseos_compatible = false),
        text_signature = "(start, spacecraft, stations=[], seed=0, telemetry_interval_s=60.0, max_substep_s=60.0, shadow_model='conical', sync_interval_s=60.0, station_assignment='first_come', name=None, solar_constant_w_m2=1361.0, paseos_compatible=False)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        start: &Bound<'_, PyAny>,
        spacecraft: Vec<PySpacecraft>,
        stations: Vec<PyGroundStation>,
        seed: PyInt,
        telemetry_interval_s: f64,
        max_substep_s: f64,
        shadow_model: &str,
        sync_interval_s: f64,
        station_assignment: Option<&Bound<'_, PyAny>>,
        name: Option<String>,
        solar_constant_w_m2: f64,
        paseos_compatible: bool,
    ) -> PyResult<Self> {
        guard("Simulation", || {
            let seed: u64 = seed.unsigned("seed")?;
            let station_assignment = station_assignment
                .map(|a| from_python::<StationAssignment>("station_assignment", a))
                .transpose()?
                .unwrap_or_default();
            let config = SimulationConfig {
                telemetry_interval_s,
                max_substep_s,
                sync_interval_s,
                shadow: crate::environment::eclipse::ShadowConfig {
                    model: super::satellite::shadow_model(shadow_model)?,
                    atmosphere_km: 0.0,
                },
                station_assignment,
                solar_constant_w_m2,
                paseos_compatible,
                ..SimulationConfig::default()
            };
            let inner = Simulation::with_config(
                time::epoch(start)?,
                spacecraft.into_iter().map(|s| s.inner).collect(),
                stations.into_iter().map(|s| s.inner).collect(),
                seed,
                config,
            )
            .py_err()?;
            let scenario = name.unwrap_or_else(|| default_title(&inner));
            Ok(Self::from_simulation(
                inner,
                crate::report::RunInfo {
                    scenario,
                    ..Default::default()
                },
            ))
        })
    }

    /// Current simulation time (UTC datetime).
    #[getter]
    fn now<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard("Simulation.now", || time::datetime(py, self.inner.now()))
    }

    /// Seconds simulated so far.
    #[getter]
    fn elapsed_s(&self) -> f64 {
        self.inner.elapsed_s()
    }

    /// Advances to ``until``: fixed steps of ``step_s`` seconds, or event-driven when
    /// ``step_s`` is None. ``progress=True`` draws a progress bar on stderr (or pass a
    /// callable taking the fraction done). Ctrl-C stops at the next sync point with the
    /// state intact and raises ``KeyboardInterrupt``.
    #[pyo3(signature = (until, step_s = None, progress = None, threads = None))]
    fn run(
        &mut self,
        py: Python<'_>,
        until: &Bound<'_, PyAny>,
        step_s: Option<f64>,
        progress: Option<&Bound<'_, PyAny>>,
        threads: Option<PyInt>,
    ) -> PyResult<()> {
        guard("Simulation.run", || {
            let until = time::epoch(until)?;
            let stepping = match step_s {
                Some(step_s) => Stepping::Fixed { step_s },
                None => Stepping::EventDriven,
            };
            let reporter: Option<Py<PyAny>> = match progress {
                None => None,
                Some(p) if p.is_callable() => Some(p.clone().unbind()),
                Some(p) if p.is_truthy()? => Some(
                    py.import("orbitedge._progress")?
                        .getattr("bar")?
                        .call0()?
                        .unbind(),
                ),
                Some(_) => None,
            };
            self.drive(py, threads, reporter, |sim, progress| {
                sim.run_with_progress(until, stepping, progress).map(|_| ())
            })
        })
    }

    /// Requests an activity to start at ``at`` (a rejection is logged with its reasons).
    fn schedule(&mut self, spacecraft: &str, activity: &str, at: &Bound<'_, PyAny>) -> PyResult<()> {
        guard("Simulation.schedule", || {
            self.inner
                .schedule(spacecraft, activity, time::epoch(at)?)
                .py_err()
        })
    }

    /// Adds ``constraint(view) -> bool`` to an activity of one spacecraft.
    #[pyo3(signature = (spacecraft, activity, constraint, name = None))]
    fn add_constraint(
        &mut self,
        spacecraft: &str,
        activity: &str,
        constraint: Py<PyAny>,
        name: Option<String>,
    ) -> PyResult<()> {
        guard("Simulation.add_constraint", || {
            let hook = Python::attach(|py| {
                (
                    "constraint",
                    spacecraft,
                    activity,
                    constraint.clone_ref(py),
                    name.clone(),
                )
                    .into_pyobject(py)
                    .map(Bound::unbind)
            })?;
            let label = name.unwrap_or_else(|| {
                Python::attach(|py| {
                    constraint
                        .getattr(py, "__name__")
                        .and_then(|n| n.extract::<String>(py))
                        .unwrap_or_else(|_| "python".into())
                })
            });
            let slot = self.hook_error.clone();
            let f = Arc::new(move |view: &SpacecraftView| {
                Python::attach(|py| {
                    let result = view_dict(py, view)
                        .and_then(|d| constraint.call1(py, (d,)))
                        .and_then(|r| r.bind(py).is_truthy());
                    result.unwrap_or_else(|e| {
                        slot.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                        false
                    })
                })
            });
            self.inner
                .add_constraint(spacecraft, activity, &label, f)
                .py_err()?;
            self.py_hooks.push(hook); // only once attached: a pickle must re-attach cleanly
            Ok(())
        })
    }

    /// Adds a custom property to one spacecraft: ``update(view, dt_s, value) -> value``.
    fn add_property(
        &mut self,
        spacecraft: &str,
        name: &str,
        initial: f64,
        update: Py<PyAny>,
    ) -> PyResult<()> {
        guard("Simulation.add_property", || {
            let hook = Python::attach(|py| {
                ("property", spacecraft, name, update.clone_ref(py), initial)
                    .into_pyobject(py)
                    .map(Bound::unbind)
            })?;
            let slot = self.hook_error.clone();
            let f = Arc::new(move |view: &SpacecraftView, dt: f64, value: f64| {
                Python::attach(|py| {
                    let result = view_dict(py, view)
                        .and_then(|d| update.call1(py, (d, dt, value)))
                        .and_then(|r| r.extract::<f64>(py));
                    result.unwrap_or_else(|e| {
                        slot.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                        value
                    })
                })
            });
            self.inner.add_property(spacecraft, name, initial, f).py_err()?;
            self.py_hooks.push(hook);
            Ok(())
        })
    }

    /// Telemetry as a dict of numpy columns (one row per spacecraft per sample).
    fn telemetry<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard("Simulation.telemetry", || {
            let t = self.inner.telemetry();
            let start = self.inner.start();
            let start_ns = unix_nanoseconds(start);
            let axis = crate::time::TimeAxis::new(start, self.inner.now());
            let linear = seconds_between(start, self.inner.now()) == (self.inner.now() - start).to_seconds();
            let times: Vec<i64> = t
                .elapsed_s
                .iter()
                .map(|s| {
                    if linear {
                        start_ns + (s * 1e9).round() as i64
                    } else {
                        unix_nanoseconds(axis.epoch(*s))
                    }
                })
                .collect();
            let d = PyDict::new(py);
            let helpers = py.import("orbitedge._columns")?;
            d.set_item(
                "time",
                helpers.call_method1("nanoseconds_to_datetime64", (PyArray1::from_vec(py, times),))?,
            )?;
            let names: Vec<String> = self.inner.spacecraft().iter().map(|s| s.name.clone()).collect();
            let index: Vec<i64> = t.spacecraft_index.iter().map(|i| i64::from(*i)).collect();
            d.set_item(
                "spacecraft",
                helpers.call_method1(
                    "labels",
                    (PyList::new(py, &names)?, PyArray1::from_vec(py, index)),
                )?,
            )?;
            for (key, column) in [
                ("x_km", &t.x_km),
                ("y_km", &t.y_km),
                ("z_km", &t.z_km),
                ("sunlit_fraction", &t.sunlit_fraction),
                ("soc", &t.soc),
                ("battery_wh", &t.battery_wh),
                ("power_in_w", &t.power_in_w),
                ("power_out_w", &t.power_out_w),
                ("temperature_k", &t.temperature_k),
                ("storage_used_bytes", &t.storage_used_bytes),
                ("dose_rad", &t.dose_rad),
            ] {
                d.set_item(key, PyArray1::from_slice(py, column))?;
            }
            d.set_item("peers_in_view", PyArray1::from_slice(py, &t.peers_in_view))?;
            d.set_item("queued_tiles", PyArray1::from_slice(py, &t.queued_tiles))?;
            d.set_item("queue_age_s", PyArray1::from_slice(py, &t.queue_age_s))?;
            let names: Vec<&str> = self
                .inner
                .spacecraft()
                .iter()
                .map(|sc| sc.name.as_str())
                .collect();
            for column in self.inner.link_columns().py_err()? {
                let key = format!("in_view:{}", names[column.peer]);
                d.set_item(key, PyArray1::from_vec(py, column.in_view))?;
            }
            // Activity labels: one table over all spacecraft, code 0 = idle.
            let mut activity_labels = vec![String::new()];
            let mut offsets = Vec::new();
            for sc in self.inner.spacecraft() {
                offsets.push(activity_labels.len() as i64);
                activity_labels.extend(sc.activities.iter().map(|a| a.name.clone()));
            }
            let activity_codes: Vec<i64> = t
                .activity
                .iter()
                .zip(&t.spacecraft_index)
                .map(|(a, i)| {
                    if *a < 0 {
                        0
                    } else {
                        offsets[*i as usize] + i64::from(*a)
                    }
                })
                .collect();
            d.set_item(
                "activity",
                helpers.call_method1(
                    "labels",
                    (
                        PyList::new(py, &activity_labels)?,
                        PyArray1::from_vec(py, activity_codes),
                    ),
                )?,
            )?;
            let mut station_labels = vec![String::new()];
            station_labels.extend(self.inner.stations().iter().map(|s| s.name().to_string()));
            let link_codes: Vec<i64> = t.link.iter().map(|l| i64::from(*l) + 1).collect();
            d.set_item(
                "link",
                helpers.call_method1(
                    "labels",
                    (
                        PyList::new(py, &station_labels)?,
                        PyArray1::from_vec(py, link_codes),
                    ),
                )?,
            )?;
            d.set_item("alive", PyArray1::from_vec(py, t.alive.clone()))?;
            Ok(d)
        })
    }

    /// Per-spacecraft state now: a list of dicts (state of charge, temperature,
    /// storage, dose, energy ledger, custom properties, …).
    fn states<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard("Simulation.states", || {
            let list = PyList::empty(py);
            for now in self.inner.snapshots() {
                let d = PyDict::new(py);
                d.set_item("spacecraft", now.name())?;
                d.set_item("soc", now.soc().unwrap_or(f64::NAN))?;
                d.set_item("battery_wh", now.battery_wh().unwrap_or(f64::NAN))?;
                d.set_item("temperature_k", now.temperature_k().unwrap_or(f64::NAN))?;
                d.set_item("storage_used_bytes", now.storage_used_bytes())?;
                d.set_item("downlinked_bytes", now.downlinked_bytes())?;
                let per_partition = PyDict::new(py);
                for (partition, bytes) in now.downlinked_partition_bytes() {
                    per_partition.set_item(partition, bytes)?;
                }
                d.set_item("downlinked_partition_bytes", per_partition)?;
                d.set_item("dose_rad", now.dose_rad())?;
                d.set_item("alive", now.alive())?;
                d.set_item("activity", now.activity())?;
                d.set_item("energy", to_python(py, now.energy())?)?;
                let props = PyDict::new(py);
                for (k, v) in now.properties() {
                    props.set_item(k, v)?;
                }
                d.set_item("properties", props)?;
                match now.onboard() {
                    Some(onboard) => {
                        let o = to_python(py, onboard.counters())?;
                        o.set_item("tiles_queued", onboard.tiles_queued())?;
                        o.set_item("job_running", onboard.job_running())?;
                        o.set_item("tiles_unaccounted", onboard.tiles_unaccounted())?;
                        d.set_item("onboard", o)?;
                    }
                    None => d.set_item("onboard", py.None())?,
                }
                list.append(d)?;
            }
            Ok(list)
        })
    }

    /// Every inference run so far: dicts with ``spacecraft``, ``job``,
    /// ``latency_s``, ``host_s`` and ``cloud_fraction`` (keep them to replay a
    /// measured run with ``replay_inferences``).
    fn inference_records<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guard("Simulation.inference_records", || {
            let list = PyList::empty(py);
            for (name, record) in self.inner.inference_records() {
                let d = to_python(py, &record)?;
                d.set_item("spacecraft", name)?;
                list.append(d)?;
            }
            Ok(list)
        })
    }

    /// Uses these recorded inferences (from ``inference_records``) in the next runs
    /// instead of running or modelling the detector: a bit-for-bit replay.
    fn replay_inferences(&mut self, records: &Bound<'_, PyAny>) -> PyResult<()> {
        guard("Simulation.replay_inferences", || {
            #[derive(serde::Deserialize)]
            struct Row {
                spacecraft: String,
                #[serde(flatten)]
                record: InferenceRecord,
            }
            let rows: Vec<Row> = from_python("records", records)?;
            let records: Vec<(String, InferenceRecord)> =
                rows.into_iter().map(|r| (r.spacecraft, r.record)).collect();
            self.inner.replay_inferences(&records).py_err()
        })
    }

    /// Writes the report (``summary.md``, ``summary.json``, ``timeline.csv``,
    /// ``events.jsonl``, ``inferences.jsonl`` and, unless ``plots=False``, the
    /// plots as PNG and SVG) into ``out_dir``; returns the paths.
    #[pyo3(signature = (out_dir, plots = true))]
    fn report(&self, py: Python<'_>, out_dir: std::path::PathBuf, plots: bool) -> PyResult<Vec<String>> {
        guard("Simulation.report", || {
            let (_, files) = py
                .detach(|| crate::report::write_report(&self.inner, &self.info, &out_dir, plots))
                .py_err()?;
            Ok(files.iter().map(|p| p.display().to_string()).collect())
        })
    }

    /// The report's numbers (per spacecraft and for the constellation), as a dict.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard("Simulation.summary", || {
            to_python(py, &crate::report::Summary::of(&self.inner))
        })
    }

    /// Telemetry as CSV text.
    fn telemetry_csv(&self) -> PyResult<String> {
        guard("Simulation.telemetry_csv", || Ok(self.inner.telemetry_csv()))
    }

    /// Events as JSON Lines text.
    fn events_jsonl(&self) -> PyResult<String> {
        guard("Simulation.events_jsonl", || Ok(self.inner.events_jsonl()))
    }

    /// From now on, writes telemetry to `out_dir/timeline.csv` and events to
    /// `out_dir/events.jsonl` as the run advances, holding none in memory (for
    /// long runs; `telemetry()` and `events()` then return only the latest chunk).
    fn stream_to(&mut self, out_dir: std::path::PathBuf) -> PyResult<()> {
        self.inner.stream_to(out_dir).py_err()
    }

    /// Whether outputs are streamed to disk (`stream_to`).
    #[getter]
    fn streaming(&self) -> bool {
        self.inner.is_streaming()
    }

    /// The whole simulation as bytes (hooks excluded).
    fn checkpoint<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        guard("Simulation.checkpoint", || {
            let bytes = self.inner.checkpoint().py_err()?;
            Ok(PyBytes::new(py, &bytes))
        })
    }

    /// A simulation from ``checkpoint()`` bytes (re-attach Python hooks afterwards).
    #[staticmethod]
    fn restore(blob: &[u8]) -> PyResult<Self> {
        guard("Simulation.restore", || {
            let inner = Simulation::restore(blob).py_err()?;
            let scenario = default_title(&inner);
            Ok(Self::from_simulation(
                inner,
                crate::report::RunInfo {
                    scenario,
                    ..Default::default()
                },
            ))
        })
    }

    /// Pickled as its checkpoint, its run description and its Python hooks
    /// (functions pickle by reference: define them at module level). A
    /// detector (the real model attached by a scenario) is not carried: a run
    /// with measured latencies continues only where it is rebuilt from its
    /// scenario, and says so otherwise.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        guard("Simulation.__reduce__", || {
            let py = slf.py();
            let this = slf.borrow();
            let blob = this.checkpoint(py)?;
            let info = serde_json::to_string(&this.info).map_err(|e| input_error(&e.to_string()))?;
            let hooks = PyList::new(py, this.py_hooks.iter().map(|h| h.bind(py)))?;
            let restore = slf.as_any().get_type().getattr("_restore")?;
            Ok((
                restore,
                PyTuple::new(
                    py,
                    [
                        blob.into_any(),
                        info.into_pyobject(py)?.into_any(),
                        hooks.into_any(),
                    ],
                )?,
            ))
        })
    }

    #[staticmethod]
    fn _restore(blob: &[u8], info: &str, hooks: &Bound<'_, PyList>) -> PyResult<Self> {
        guard("Simulation._restore", || {
            let mut sim = Self::restore(blob)?;
            sim.info = serde_json::from_str(info)
                .map_err(|e| input_error(&format!("pickled run description: {e}")))?;
            for hook in hooks.iter() {
                let kind: String = hook.get_item(0)?.extract()?;
                let spacecraft: String = hook.get_item(1)?.extract()?;
                let key: String = hook.get_item(2)?.extract()?;
                let function: Py<PyAny> = hook.get_item(3)?.unbind();
                if kind == "constraint" {
                    let name: Option<String> = hook.get_item(4)?.extract()?;
                    sim.add_constraint(&spacecraft, &key, function, name)?;
                } else {
                    // The restored state keeps the property's value; `initial` is what it started from.
                    sim.add_property(&spacecraft, &key, hook.get_item(4)?.extract()?, function)?;
                }
            }
            Ok(sim)
        })
    }

    /// Same state (bit for bit, through the checkpoint), run description and hooks.
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        guard("Simulation.__eq__", || {
            let Ok(other) = other.cast::<Self>() else {
                return Ok(false);
            };
            let other = other.borrow();
            // Python equality of the tuples: same targets, the same function objects.
            let mut same_hooks = self.py_hooks.len() == other.py_hooks.len();
            for (a, b) in self.py_hooks.iter().zip(&other.py_hooks) {
                same_hooks = same_hooks && a.bind(py).eq(b.bind(py))?;
            }
            // The wall time is this process's measurement, not the simulation's.
            let timeless = |info: &crate::report::RunInfo| crate::report::RunInfo {
                wall_s: 0.0,
                ..info.clone()
            };
            Ok(same_hooks
                && timeless(&self.info) == timeless(&other.info)
                && self.inner.checkpoint().py_err()? == other.inner.checkpoint().py_err()?)
        })
    }

    fn __repr__(&self) -> PyResult<String> {
        guard("Simulation.__repr__", || {
            Ok(format!(
                "Simulation({} spacecraft, {} stations, now={})",
                self.inner.spacecraft().len(),
                self.inner.stations().len(),
                self.inner.now()
            ))
        })
    }
}

pickle::serde_value_class!(PySpacecraft, Spacecraft, "spacecraft", |inner| Ok(Self {
    inner: inner.validated().py_err()?,
}));
pickle::serde_value_class!(PyEvent, Event, "event");

/// The report title of a simulation built without a name: what it is and when
/// it starts ("3 spacecraft from 2024-03-01 00:00:00 UTC").
fn default_title(sim: &Simulation) -> String {
    let count = sim.spacecraft().len();
    let (y, mo, d, h, mi, s, _) = sim.start().to_gregorian_utc();
    format!("{count} spacecraft from {y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} UTC")
}
