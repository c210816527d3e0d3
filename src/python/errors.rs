//! Maps [`crate::Error`] variants to the exception classes of `orbitedge.errors`,
//! and keeps panics from crossing into Python ([`guard`]).

use pyo3::prelude::*;

use crate::Error;

fn raise(class: &str, message: &str) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("orbitedge.errors")
            .and_then(|module| module.getattr(class))
            .and_then(|cls| cls.call1((message,)));
        match made {
            Ok(instance) => PyErr::from_value(instance),
            Err(import_failure) => import_failure,
        }
    })
}

/// An `InputError` (a `ValueError`) with this message.
pub(crate) fn input_error(message: &str) -> PyErr {
    raise("InputError", message)
}

/// The Python exception for a core error.
pub(crate) fn to_py(error: Error) -> PyErr {
    let class = match &error {
        Error::Tle { .. } => "TleError",
        Error::Omm { .. } => "OmmError",
        Error::Ephemeris { .. } => "EphemerisError",
        Error::Propagation { .. } => "PropagationError",
        Error::Model { .. } | Error::ModelFile { .. } => "ModelError",
        Error::ShapeMismatch { .. } => "ShapeError",
        Error::InvalidOrbit { .. } => "OrbitError",
        Error::Checkpoint { .. } => "CheckpointError",
        Error::ResourceLimit { .. } => "ResourceLimitError",
        Error::Io { .. } => "OutputError",
        Error::Internal { .. } => "InternalError",
        Error::NonFiniteInput { .. } => "NonFiniteInputError",
        Error::NonFiniteOutput { .. } => "NonFiniteOutputError",
        _ => "InputError",
    };
    raise(class, &error.to_string())
}

/// `Result` → `PyResult`.
pub(crate) trait IntoPy<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for crate::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// Runs the body of a Python entry point, turning a panic (a bug here or in a
/// library) into `orbitedge.errors.InternalError`. Without it pyo3 raises
/// `PanicException`, a `BaseException` that `except Exception` (and so most
/// applications, sweeps and servers) does not catch.
///
/// Every `#[pyfunction]` and every method that calls into the core runs its
/// body here; accessors that only return a stored field do not need to.
pub(crate) fn guard<T>(context: &str, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    crate::error::catch_panic(context, || Ok(body()))
        .map_err(to_py)
        .and_then(|result| result)
}
