//! Python bindings (the `python` feature). Thin wrappers: convert at the
//! boundary, call the core, convert back; no logic lives here.

mod callable;
#[cfg(feature = "onnx")]
mod compute;
mod devices;
mod errors;
mod events;
mod flight;
mod ints;
mod pickle;
mod satellite;
#[cfg(feature = "onnx")]
mod scenario;
mod sim;
mod station;
mod time;

use pyo3::prelude::*;

/// Runs `work` on `threads` rayon threads, or on the global pool when `None`;
/// the count is checked by [`crate::threads::with_threads`], as the CLI's is.
pub(crate) fn with_threads<T: Send>(
    threads: Option<ints::PyInt>,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    let threads = threads.map(|t| t.signed("threads")).transpose()?;
    crate::threads::with_threads(threads, work).map_err(errors::to_py)
}

/// Test-only (not API): panics inside an entry point, so the test suite can
/// check that a panic reaches Python as `orbitedge.errors.InternalError`.
#[pyfunction]
fn _debug_panic() -> PyResult<()> {
    errors::guard("_debug_panic", || {
        panic!("deliberate panic for the test suite (orbitedge._orbitedge._debug_panic)")
    })
}

/// The compiled core of the `orbitedge` package.
#[pymodule]
fn _orbitedge(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<satellite::PySatellite>()?;
    m.add_class::<station::PyGroundStation>()?;
    m.add_class::<events::PyAccessWindow>()?;
    m.add_class::<events::PyEclipseInterval>()?;
    m.add_class::<events::PyLinkWindow>()?;
    m.add_class::<sim::PySpacecraft>()?;
    m.add_class::<sim::PySimulation>()?;
    m.add_class::<sim::PyEvent>()?;
    #[cfg(feature = "onnx")]
    m.add_class::<compute::PyOnnxModel>()?;
    #[cfg(feature = "onnx")]
    m.add_class::<scenario::PyScenario>()?;
    m.add_function(wrap_pyfunction!(satellite::walker_delta, m)?)?;
    m.add_function(wrap_pyfunction!(satellite::propagate, m)?)?;
    m.add_function(wrap_pyfunction!(events::access_windows, m)?)?;
    m.add_function(wrap_pyfunction!(events::eclipse_intervals, m)?)?;
    m.add_function(wrap_pyfunction!(events::link_windows, m)?)?;
    m.add_function(wrap_pyfunction!(devices::device_profiles, m)?)?;
    m.add_function(wrap_pyfunction!(compute::scene_tile, m)?)?;
    m.add_function(wrap_pyfunction!(devices::device_profile, m)?)?;
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    Ok(())
}
