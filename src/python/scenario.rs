//! `orbitedge.Scenario`: a whole simulation from a scenario file (or the
//! embedded default), run into the same results object as `Simulation`.

use std::path::PathBuf;

use pyo3::prelude::*;

use pyo3::types::PyDict;

use super::errors::{guard, input_error, IntoPy};
use super::ints::PyInt;
use super::sim::PySimulation;
use crate::scenario::{build_scenario, Built, Format, Scenario};

/// A scenario: satellites, bus, imager, computer, stations, seed and outputs.
#[pyclass(module = "orbitedge", name = "Scenario", frozen)]
pub(crate) struct PyScenario {
    inner: Scenario,
    base: PathBuf,
}

impl PyScenario {
    /// The scenario's simulation at its start (the model loaded), after the
    /// orbit warnings.
    fn build(&self, py: Python<'_>, seed: Option<PyInt>) -> PyResult<Built> {
        let seed: Option<u64> = seed.map(|s| s.unsigned("seed")).transpose()?;
        let built = py
            .detach(|| build_scenario(&self.inner, &self.base, seed))
            .py_err()?;
        for sc in built.simulation.spacecraft() {
            super::satellite::warn_about(&sc.satellite)?;
        }
        Ok(built)
    }
}

#[pymethods]
impl PyScenario {
    /// Reads a scenario file (``.toml``, ``.json``, ``.yaml``); relative paths in it
    /// are resolved from its directory.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        guard("Scenario.load", || {
            let (inner, base) = Scenario::from_path(&path).py_err()?;
            Ok(Self { inner, base })
        })
    }

    /// The embedded default scenario (the main job).
    #[staticmethod]
    fn default() -> PyResult<Self> {
        guard("Scenario.default", || {
            Ok(Self {
                inner: Scenario::default_scenario().py_err()?,
                base: PathBuf::from("."),
            })
        })
    }

    /// A scenario from TOML text.
    #[staticmethod]
    fn from_toml(text: &str) -> PyResult<Self> {
        guard("Scenario.from_toml", || {
            Ok(Self {
                inner: Scenario::from_str(text, Format::Toml, "TOML text").py_err()?,
                base: PathBuf::from("."),
            })
        })
    }

    /// Name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The scenario as TOML text.
    fn to_toml(&self) -> PyResult<String> {
        guard("Scenario.to_toml", || self.inner.to_toml().py_err())
    }

    /// Seed (a run's ``seed`` argument overrides it).
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// A copy with values set by dotted key path, e.g.
    /// ``{"bus.power.battery.capacity_wh": 60.0, "seed": 7, "satellites.0.total": 12}``;
    /// checked as strictly as a file (a misspelt key names the closest one); a bus
    /// section left to the preset takes the preset's values first.
    fn with_values(&self, values: &Bound<'_, PyDict>) -> PyResult<Self> {
        guard("Scenario.with_values", || {
            let mut pairs = Vec::with_capacity(values.len());
            for (key, value) in values.iter() {
                let key: String = key.extract()?;
                let value: serde_json::Value = super::sim::from_python(&key, &value)?;
                pairs.push((key, value));
            }
            let inner = self
                .inner
                .with_values(pairs.iter().map(|(k, v)| (k.as_str(), v.clone())))
                .py_err()?;
            Ok(Self {
                inner,
                base: self.base.clone(),
            })
        })
    }

    /// Pickled as its JSON and the directory its relative paths start from.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String, PathBuf))> {
        guard("Scenario.__reduce__", || {
            let json = serde_json::to_string(&slf.get().inner).map_err(|e| input_error(&e.to_string()))?;
            let restore = slf.as_any().get_type().getattr("_restore")?;
            Ok((restore, (json, slf.get().base.clone())))
        })
    }

    #[staticmethod]
    fn _restore(json: &str, base: PathBuf) -> PyResult<Self> {
        guard("Scenario._restore", || {
            Ok(Self {
                inner: Scenario::from_str(json, Format::Json, "pickled scenario").py_err()?,
                base,
            })
        })
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Self>()
            .map(|o| o.get().inner == self.inner && o.get().base == self.base)
            .unwrap_or(false)
    }

    /// Builds the simulation (loading the model, fetched from PyPI on first use),
    /// runs it to the scenario's end and returns it: the same object as
    /// ``Simulation`` (``telemetry()``, ``events()``, ``summary()``, ``report(dir)``).
    #[pyo3(signature = (seed = None, progress = None, threads = None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        seed: Option<PyInt>,
        progress: Option<&Bound<'py, PyAny>>,
        threads: Option<PyInt>,
    ) -> PyResult<Bound<'py, PySimulation>> {
        guard("Scenario.run", || {
            let built = self.build(py, seed)?;
            let step_s = match built.stepping {
                crate::sim::Stepping::Fixed { step_s } => Some(step_s),
                crate::sim::Stepping::EventDriven => None,
            };
            let until = super::time::datetime(py, built.until)?;
            let sim = Bound::new(py, PySimulation::from_simulation(built.simulation, built.info))?;
            let threads = threads.map(|t| t.signed("threads")).transpose()?;
            sim.call_method1("run", (until, step_s, progress, threads))?;
            Ok(sim)
        })
    }

    /// The scenario's simulation at its start, not run: to drive it with the
    /// flight verbs (``state``, ``start``, ``wait`` …) as ``orbitedge serve``
    /// would, without the wall clock. The model, if any, is loaded.
    #[pyo3(signature = (seed = None))]
    fn simulation<'py>(&self, py: Python<'py>, seed: Option<PyInt>) -> PyResult<Bound<'py, PySimulation>> {
        guard("Scenario.simulation", || {
            let built = self.build(py, seed)?;
            Bound::new(py, PySimulation::from_simulation(built.simulation, built.info))
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Scenario({:?}, {} h, seed {})",
            self.inner.name, self.inner.duration_h, self.inner.seed
        )
    }
}
