//! `Satellite.from_callable`: a Python function as an orbit (PASEOS's
//! `set_custom_orbit`). The function is a [`CustomOrbit`] source of a
//! [`SampledOrbit`], which calls it on a grid, one 6-h block per GIL
//! acquisition, from whichever thread needs the block; its exceptions and bad
//! returns become `PropagationError` naming the satellite, the function and
//! the time. A satellite on a function pickles as the call that builds it.

use std::any::Any;
use std::fmt;

use hifitime::{Duration, Epoch};
use nalgebra::Vector3;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::errors::{guard, input_error, IntoPy};
use super::satellite::PySatellite;
use super::time;
use crate::error::{Error, Result};
use crate::orbit::custom::{CustomOrbit, SampledOrbit, Sampling};
use crate::orbit::validity::with_name;
use crate::orbit::{Orbit, StateVector};
use crate::satellite::Satellite;
use crate::time::unix_nanoseconds;

/// A Python `fn(t_s) -> (position_km, velocity_km_s)`.
pub(crate) struct PyOrbitFunction {
    function: Py<PyAny>,
    epoch: Epoch,
    /// The satellite's name, for messages.
    satellite: String,
    /// The function's qualified name (or its type's), for messages.
    label: String,
}

impl fmt::Debug for PyOrbitFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PyOrbitFunction({})", self.label)
    }
}

impl CustomOrbit for PyOrbitFunction {
    /// Every time of the block under one GIL acquisition.
    fn states(&self, t_s: &[f64]) -> Result<Vec<StateVector>> {
        Python::attach(|py| t_s.iter().map(|t| self.state(py, *t)).collect())
    }

    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

impl PyOrbitFunction {
    fn state(&self, py: Python<'_>, t_s: f64) -> Result<StateVector> {
        let value = (self.function)
            .call1(py, (t_s,))
            .map_err(|e| self.failure(t_s, format!("raised {e}")))?;
        let (position_km, velocity_km_s) = two_vectors(value.bind(py)).ok_or_else(|| {
            let shown = short_repr(value.bind(py));
            self.failure(
                t_s,
                format!("returned {shown}, not (position_km, velocity_km_s): two sequences of 3 numbers"),
            )
        })?;
        if !position_km
            .iter()
            .chain(velocity_km_s.iter())
            .all(|x| x.is_finite())
        {
            return Err(self.failure(
                t_s,
                format!(
                    "returned a non-finite state: position {:?} km, velocity {:?} km/s",
                    position_km.as_slice(),
                    velocity_km_s.as_slice()
                ),
            ));
        }
        Ok(StateVector {
            position_km,
            velocity_km_s,
        })
    }

    fn failure(&self, t_s: f64, what: String) -> Error {
        Error::Propagation {
            epoch: self.epoch + Duration::from_seconds(t_s),
            reason: format!(
                "satellite {:?}: its orbit function {}(t_s={t_s}) {what}",
                self.satellite, self.label
            ),
        }
    }
}

/// `(r, v)`: any sequence of two sequences (or arrays) of three numbers.
fn two_vectors(value: &Bound<'_, PyAny>) -> Option<(Vector3<f64>, Vector3<f64>)> {
    if value.is_instance_of::<pyo3::types::PyString>() || value.len().ok()? != 2 {
        return None;
    }
    let vector = |k: usize| -> Option<Vector3<f64>> {
        let item = value.get_item(k).ok()?;
        let components: Vec<f64> = item.extract().ok()?;
        (components.len() == 3).then(|| Vector3::new(components[0], components[1], components[2]))
    };
    Some((vector(0)?, vector(1)?))
}

/// `repr(value)`, cut to 120 characters.
fn short_repr(value: &Bound<'_, PyAny>) -> String {
    let text = value
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "an object without a repr".into());
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// What a function is called in messages: its `__qualname__`, else its type.
fn label(function: &Bound<'_, PyAny>) -> String {
    function
        .getattr("__qualname__")
        .and_then(|n| n.extract::<String>())
        .or_else(|_| function.get_type().name().map(|n| format!("{n} object")))
        .unwrap_or_else(|_| "callable".into())
}

/// The Python function behind a satellite's orbit, if it has one.
fn function_of(satellite: &Satellite) -> Option<(&SampledOrbit, &PyOrbitFunction)> {
    let Orbit::Custom(orbit) = &satellite.orbit else {
        return None;
    };
    let function = orbit.source().as_any()?.downcast_ref::<PyOrbitFunction>()?;
    Some((orbit, function))
}

/// `__reduce__` of a satellite on a Python function: `from_callable` and its
/// arguments (the epoch as a `datetime64[ns]`, exact). Pickle then pickles the
/// function as it pickles any (by reference: a module-level function or a
/// picklable object; a lambda or a local function raises pickle's error, and
/// cloudpickle, as Dask uses, ships those by value). `None` for other orbits.
pub(crate) fn reduce<'py>(
    slf: &Bound<'py, PySatellite>,
) -> PyResult<Option<(Bound<'py, PyAny>, Bound<'py, PyTuple>)>> {
    let py = slf.py();
    let Some((orbit, function)) = function_of(&slf.get().inner) else {
        return Ok(None);
    };
    let sampling = orbit.sampling();
    let epoch = py
        .import("numpy")?
        .getattr("datetime64")?
        .call1((unix_nanoseconds(function.epoch), "ns"))?;
    let args = (
        function.function.bind(py).clone(),
        epoch,
        slf.get().inner.name.clone(),
        sampling.step_s,
        sampling.bounds_span_s,
    )
        .into_pyobject(py)?;
    Ok(Some((slf.as_any().get_type().getattr("from_callable")?, args)))
}

/// `__eq__` of a satellite on a Python function: the other one is on an equal
/// function (Python's `==`), with the same name, epoch and sampling. `None`
/// for other orbits.
pub(crate) fn equal(satellite: &PySatellite, other: &Bound<'_, PyAny>) -> Option<bool> {
    let (orbit, function) = function_of(&satellite.inner)?;
    let Ok(other) = other.cast::<PySatellite>() else {
        return Some(false);
    };
    let other = &other.get().inner;
    let Some((other_orbit, other_function)) = function_of(other) else {
        return Some(false);
    };
    let same_function = Python::attach(|py| {
        (function.function.bind(py))
            .eq(other_function.function.bind(py))
            .unwrap_or(false)
    });
    Some(
        same_function
            && satellite.inner.name == other.name
            && function.epoch == other_function.epoch
            && orbit.sampling() == other_orbit.sampling(),
    )
}

#[pymethods]
impl PySatellite {
    /// Satellite on a Python function: ``fn(t_s) -> (position_km, velocity_km_s)``
    /// gives the TEME state ``t_s`` seconds (elapsed) after ``epoch`` (negative
    /// before it) as two sequences or arrays of 3 numbers, km and km/s; PASEOS's
    /// ``set_custom_orbit``.
    ///
    /// ``fn`` is called on a grid ``k * step_s`` fixed to ``epoch``, one 6-h block
    /// of grid points at a time (under the GIL, from whichever thread needs the
    /// block), and the states in between are interpolated (cubic Hermite:
    /// ≈ 0.34 m in LEO at the default 60 s step, 16 times less at 30 s). Results
    /// do not depend on the order of queries or the thread count (for an ``fn``
    /// that is a function of ``t_s``). ``fn`` is called over the first
    /// ``bounds_span_s`` now, to measure the motion bounds the event searches
    /// step by; a later state outside them raises ``PropagationError`` (measure
    /// over the whole run for an orbit that changes much).
    ///
    /// An exception in ``fn``, a wrong shape or a non-finite number raises
    /// ``PropagationError`` with the function's message and the time; a
    /// ``step_s`` not in (0, 3600], a ``bounds_span_s`` not > 0 or an ``fn`` that
    /// is not callable, ``InputError``. It pickles when ``fn`` does; its checkpoints
    /// (and a ``Simulation`` holding it) are refused with ``CheckpointError``.
    ///
    /// >>> import math, orbitedge as oe
    /// >>> def circular(t_s, r_km=6928.0):
    /// ...     n = math.sqrt(398600.4418 / r_km**3)
    /// ...     c, s = math.cos(n * t_s), math.sin(n * t_s)
    /// ...     return (r_km * c, r_km * s, 0.0), (-r_km * n * s, r_km * n * c, 0.0)
    /// >>> sat = oe.Satellite.from_callable(circular, "2024-03-01T00:00:00Z", name="custom")
    /// >>> r, v = sat.propagate(["2024-03-01T00:20:34.5Z"])
    /// >>> abs(float((r[0] ** 2).sum() ** 0.5) - 6928.0) < 1e-3
    /// True
    #[staticmethod]
    #[pyo3(signature = (r#fn, epoch, name = "satellite", step_s = 60.0, bounds_span_s = 86_400.0))]
    fn from_callable(
        r#fn: &Bound<'_, PyAny>,
        epoch: &Bound<'_, PyAny>,
        name: &str,
        step_s: f64,
        bounds_span_s: f64,
    ) -> PyResult<Self> {
        guard("Satellite.from_callable", || {
            if !r#fn.is_callable() {
                return Err(input_error(&format!(
                    "fn must be callable as fn(t_s) -> (position_km, velocity_km_s), got {}",
                    short_repr(r#fn)
                )));
            }
            let epoch = time::epoch(epoch)?;
            let source = PyOrbitFunction {
                function: r#fn.clone().unbind(),
                epoch,
                satellite: name.to_string(),
                label: label(r#fn),
            };
            let sampling = Sampling {
                step_s,
                bounds_span_s,
            };
            let orbit = SampledOrbit::new(epoch, std::sync::Arc::new(source), sampling);
            Self::checked(Satellite::new(
                name,
                orbit.map_err(|e| with_name(e, name)).py_err()?,
            ))
        })
    }
}
