//! Python ints into Rust's unsigned types, checked with the parameter's name.
//!
//! Why: pyo3 converts `-1` or `10**30` for a `u64` argument into
//! `OverflowError`, which is not a `ValueError`, and does not say which
//! argument was wrong. Entry points take such arguments as [`PyInt`] and
//! convert them with [`PyInt::unsigned`] into an `InputError` that names the
//! parameter.

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;

use super::errors::input_error;

/// A Python int as given (`None`: beyond ±2¹²⁷), not yet checked against
/// the type it must fit. Anything but an int is pyo3's `TypeError`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PyInt(Option<i128>);

impl PyInt {
    /// Zero, the usual default of a seed.
    pub(crate) const ZERO: PyInt = PyInt(Some(0));
    /// One, the default number of a station's antennas.
    pub(crate) const ONE: PyInt = PyInt(Some(1));

    /// The value as a `T`: an `InputError` naming `name` when it is negative
    /// or too large.
    pub(crate) fn unsigned<T: Unsigned>(self, name: &str) -> PyResult<T> {
        self.0
            .and_then(|v| u128::try_from(v).ok())
            .and_then(|v| T::try_from(v).ok())
            .ok_or_else(|| {
                let shown = self
                    .0
                    .map_or_else(|| "an integer beyond ±2**127".to_string(), |v| v.to_string());
                input_error(&format!(
                    "{name} must be an integer from 0 to {}, got {shown}",
                    T::MAX
                ))
            })
    }
}

impl PyInt {
    /// The value as an `i64` (signed: the callee checks its own range and says
    /// it); beyond ±2⁶³ an `InputError` naming `name`.
    pub(crate) fn signed(self, name: &str) -> PyResult<i64> {
        self.0.and_then(|v| i64::try_from(v).ok()).ok_or_else(|| {
            input_error(&format!(
                "{name} must be a 64-bit integer, got an integer beyond ±2**63"
            ))
        })
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for PyInt {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        match obj.extract::<i128>() {
            Ok(v) => Ok(PyInt(Some(v))),
            Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Ok(PyInt(None)),
            Err(e) => Err(e),
        }
    }
}

/// An unsigned integer type a Python int may be converted into.
pub(crate) trait Unsigned: TryFrom<u128> + Copy {
    /// The largest value, for the message.
    const MAX: u128;
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Unsigned for $t {
            const MAX: u128 = <$t>::MAX as u128;
        }
    )*};
}
unsigned!(u32, u64, usize);

/// A list of ints (a shape) as `T`s; `name[k]` in the message.
pub(crate) fn unsigned_list<T: Unsigned>(name: &str, values: &[PyInt]) -> PyResult<Vec<T>> {
    values
        .iter()
        .enumerate()
        .map(|(k, v)| v.unsigned(&format!("{name}[{k}]")))
        .collect()
}
