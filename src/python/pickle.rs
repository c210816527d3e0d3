//! Pickling of the value classes: each wraps a serde type and travels as its
//! JSON, so `multiprocessing`, `concurrent.futures`, Dask and Ray can ship it.
//! Equality compares the wrapped values, so an unpickled object equals the
//! original. [`serde_value_class!`] gives a class its `to_json`, `from_json`,
//! `__reduce__` and `__eq__` (a second `#[pymethods]` block, pyo3's
//! `multiple-pymethods`).

use pyo3::prelude::*;
use pyo3::PyClass;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::errors::{guard, input_error};

/// A Python class around one serde value.
pub(crate) trait SerdeValue: PyClass + Sized {
    /// The wrapped Rust value.
    type Inner: Serialize + DeserializeOwned + PartialEq;
    /// What the class is called in error messages, e.g. "satellite".
    const WHAT: &'static str;
    fn inner(&self) -> &Self::Inner;
    /// Reads the value from JSON: serde, unless the class decodes it itself
    /// (to raise the typed error of a check instead of serde's text of it).
    fn decode(text: &str) -> PyResult<Self::Inner>;
    /// Wraps a value read back from JSON (validating it where the class must).
    fn wrap(inner: Self::Inner) -> PyResult<Self>;
}

/// The JSON form of a value.
pub(crate) fn to_json<T: SerdeValue>(value: &T) -> PyResult<String> {
    guard("to_json", || {
        serde_json::to_string(value.inner()).map_err(|e| input_error(&format!("{}: {e}", T::WHAT)))
    })
}

/// Serde's reading of a value's JSON form (the default [`SerdeValue::decode`]).
pub(crate) fn decode_json<T: SerdeValue>(text: &str) -> PyResult<T::Inner> {
    serde_json::from_str(text).map_err(|e| input_error(&format!("invalid {} JSON: {e}", T::WHAT)))
}

/// A value from its JSON form.
pub(crate) fn from_json<T: SerdeValue>(text: &str) -> PyResult<T> {
    guard("from_json", || T::wrap(T::decode(text)?))
}

/// `__reduce__`: rebuilt by the class's `from_json` static method.
pub(crate) fn reduce<'py, T: SerdeValue + PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync>(
    slf: &Bound<'py, T>,
) -> PyResult<(Bound<'py, PyAny>, (String,))> {
    guard("__reduce__", || {
        let from_json = slf.as_any().get_type().getattr("from_json")?;
        Ok((from_json, (to_json(slf.get())?,)))
    })
}

/// `__eq__`: same class and equal values.
pub(crate) fn equal<T: SerdeValue + PyClass<Frozen = pyo3::pyclass::boolean_struct::True> + Sync>(
    value: &T,
    other: &Bound<'_, PyAny>,
) -> bool {
    other
        .cast::<T>()
        .map(|o| o.get().inner() == value.inner())
        .unwrap_or(false)
}

/// Makes `$class` (a pyclass with an `inner: $inner` field) a serde value
/// class: `to_json`, `from_json`, `__reduce__` and `__eq__`. The optional
/// closure-like tail builds the class from a value read back (e.g. validating
/// it); before it, an optional `decode = |text| …` reads the value from JSON.
macro_rules! serde_value_class {
    ($class:ty, $inner:ty, $what:literal) => {
        $crate::python::pickle::serde_value_class!($class, $inner, $what, |inner| Ok(Self { inner }));
    };
    ($class:ty, $inner:ty, $what:literal, |$value:ident| $wrap:expr) => {
        $crate::python::pickle::serde_value_class!(
            $class,
            $inner,
            $what,
            decode = |text| $crate::python::pickle::decode_json::<$class>(text),
            |$value| $wrap
        );
    };
    ($class:ty, $inner:ty, $what:literal, decode = |$text:ident| $decode:expr, |$value:ident| $wrap:expr) => {
        impl $crate::python::pickle::SerdeValue for $class {
            type Inner = $inner;
            const WHAT: &'static str = $what;
            fn inner(&self) -> &Self::Inner {
                &self.inner
            }
            fn decode($text: &str) -> PyResult<Self::Inner> {
                $decode
            }
            fn wrap($value: Self::Inner) -> PyResult<Self> {
                $wrap
            }
        }

        #[pymethods]
        impl $class {
            /// JSON form (serde); ``from_json`` reads it back.
            fn to_json(&self) -> PyResult<String> {
                $crate::python::pickle::to_json(self)
            }

            /// The object from ``to_json`` output.
            #[staticmethod]
            fn from_json(text: &str) -> PyResult<Self> {
                $crate::python::pickle::from_json(text)
            }

            fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
                $crate::python::pickle::reduce(slf)
            }

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                $crate::python::pickle::equal(self, other)
            }
        }
    };
}
pub(crate) use serde_value_class;
