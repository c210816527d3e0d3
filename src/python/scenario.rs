//! `orbitedge.Scenario`: a whole simulation from a scenario file (or the
//! embedded default), run into the same results object as `Simulation`.

use std::path::PathBuf;

use pyo3::prelude::*;

use super::errors::IntoPy;
use super::sim::PySimulation;
use crate::scenario::{build_scenario, Format, Scenario};

/// A scenario: satellites, bus, imager, computer, stations, seed and outputs.
#[pyclass(module = "orbitedge", name = "Scenario", frozen)]
pub(crate) struct PyScenario {
    inner: Scenario,
    base: PathBuf,
}

#[pymethods]
impl PyScenario {
    /// Reads a scenario file (``.toml``, ``.json``, ``.yaml``); relative paths in it
    /// are resolved from its directory.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        let (inner, base) = Scenario::from_path(&path).py_err()?;
        Ok(Self { inner, base })
    }

    /// The embedded default scenario (the main job).
    #[staticmethod]
    fn default() -> PyResult<Self> {
        Ok(Self {
            inner: Scenario::default_scenario().py_err()?,
            base: PathBuf::from("."),
        })
    }

    /// A scenario from TOML text.
    #[staticmethod]
    fn from_toml(text: &str) -> PyResult<Self> {
        Ok(Self {
            inner: Scenario::from_str(text, Format::Toml, "TOML text").py_err()?,
            base: PathBuf::from("."),
        })
    }

    /// Name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// The scenario as TOML text.
    fn to_toml(&self) -> PyResult<String> {
        self.inner.to_toml().py_err()
    }

    /// Builds the simulation (loading the model, fetched from PyPI on first use),
    /// runs it to the scenario's end and returns it: the same object as
    /// ``Simulation`` (``telemetry()``, ``events()``, ``summary()``, ``report(dir)``).
    #[pyo3(signature = (seed = None, progress = None, threads = None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        seed: Option<u64>,
        progress: Option<&Bound<'py, PyAny>>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PySimulation>> {
        let built = py
            .detach(|| build_scenario(&self.inner, &self.base, seed))
            .py_err()?;
        let step_s = match built.stepping {
            crate::sim::Stepping::Fixed { step_s } => Some(step_s),
            crate::sim::Stepping::EventDriven => None,
        };
        let until = super::time::datetime(py, built.until)?;
        let sim = Bound::new(py, PySimulation::from_simulation(built.simulation, built.info))?;
        sim.call_method1("run", (until, step_s, progress, threads))?;
        Ok(sim)
    }

    fn __repr__(&self) -> String {
        format!(
            "Scenario({:?}, {} h, seed {})",
            self.inner.name, self.inner.duration_h, self.inner.seed
        )
    }
}
