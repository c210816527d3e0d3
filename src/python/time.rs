//! Epochs across the boundary, through `orbitedge._time` (which knows every
//! Python time type); Unix nanoseconds in between.

use hifitime::Epoch;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::time::{epoch_from_unix_nanoseconds, unix_nanoseconds};

fn helpers(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("orbitedge._time")
}

/// One instant.
pub(crate) fn epoch(value: &Bound<'_, PyAny>) -> PyResult<Epoch> {
    let ns: i64 = helpers(value.py())?
        .call_method1("to_unix_ns", (value,))?
        .extract()?;
    Ok(epoch_from_unix_nanoseconds(ns))
}

/// A series of instants (one instant counts as a series of one).
pub(crate) fn epochs(value: &Bound<'_, PyAny>) -> PyResult<Vec<Epoch>> {
    let array = helpers(value.py())?.call_method1("to_unix_ns_array", (value,))?;
    let array: PyReadonlyArray1<'_, i64> = array.extract()?;
    Ok(array
        .as_array()
        .iter()
        .map(|ns| epoch_from_unix_nanoseconds(*ns))
        .collect())
}

/// True when `value` is one instant rather than a series.
pub(crate) fn is_scalar(value: &Bound<'_, PyAny>) -> PyResult<bool> {
    helpers(value.py())?
        .call_method1("is_scalar_time", (value,))?
        .extract()
}

/// A timezone-aware UTC `datetime`.
pub(crate) fn datetime<'py>(py: Python<'py>, epoch: Epoch) -> PyResult<Bound<'py, PyAny>> {
    helpers(py)?.call_method1("from_unix_ns", (unix_nanoseconds(epoch),))
}
