//! `orbitedge.device_profiles()` and `orbitedge.device_profile()`: the edge
//! computers as plain dicts, to inspect or to edit and pass to a `Spacecraft`.

use pyo3::prelude::*;

use super::errors::{guard, input_error, IntoPy};
use crate::compute::DeviceProfile;

fn to_python<'py>(py: Python<'py>, profile: &DeviceProfile) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(profile).map_err(|e| input_error(&e.to_string()))?;
    py.import("json")?.call_method1("loads", (json,))
}

/// The shipped device profiles, as dicts (every number with its source and confidence).
#[pyfunction]
pub(crate) fn device_profiles(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyAny>>> {
    guard("device_profiles", || {
        DeviceProfile::all_shipped()
            .py_err()?
            .iter()
            .map(|p| to_python(py, p))
            .collect()
    })
}

/// One device profile, by shipped name (``"unibap-ix5"``) or ``.toml`` path, as a dict.
#[pyfunction]
pub(crate) fn device_profile<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    guard("device_profile", || {
        to_python(py, &DeviceProfile::resolve(name).py_err()?)
    })
}
