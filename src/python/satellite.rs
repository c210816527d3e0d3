//! `orbitedge.Satellite`, `walker_delta` and `propagate`.

use nalgebra::Vector3;
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::callable;
use super::errors::{guard, input_error, IntoPy};
use super::ints::PyInt;
use super::pickle;
use super::{time, with_threads};
use crate::batch::propagate_batch;
use crate::environment::eclipse::ShadowConfig;
use crate::environment::sun::sun_position_km;
use crate::environment::ShadowModel;
use crate::frames::{gmst_rad, teme_to_ecef, Geodetic};
use crate::orbit::validity::with_name;
use crate::orbit::walker::WalkerDelta;
use crate::orbit::{ClassicalElements, Ephemeris, Orbit, Propagator, StateVector};
use crate::satellite::{AnalyticModel, Satellite};
use crate::time::julian_date_ut1;

/// A satellite and its orbit. States are TEME (km, km/s).
#[pyclass(module = "orbitedge", name = "Satellite", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct PySatellite {
    pub(crate) inner: Satellite,
}

fn model(name: &str) -> PyResult<AnalyticModel> {
    name.parse().py_err()
}

fn vector3(name: &str, values: Vec<f64>) -> PyResult<Vector3<f64>> {
    if values.len() != 3 {
        return Err(input_error(&format!(
            "{name} must have 3 components, got {}",
            values.len()
        )));
    }
    Ok(Vector3::new(values[0], values[1], values[2]))
}

/// Shape (rows, 3) float array as vectors.
fn rows3(name: &str, array: PyReadonlyArray2<'_, f64>) -> PyResult<Vec<Vector3<f64>>> {
    let view = array.as_array();
    if view.ncols() != 3 {
        return Err(input_error(&format!(
            "{name} must have shape (T, 3), got {:?}",
            view.shape()
        )));
    }
    Ok(view
        .rows()
        .into_iter()
        .map(|r| Vector3::new(r[0], r[1], r[2]))
        .collect())
}

/// (T, 3) arrays of positions and velocities.
fn states_to_arrays<'py>(py: Python<'py>, states: &[StateVector]) -> PyResult<Bound<'py, PyTuple>> {
    let mut positions = Vec::with_capacity(states.len() * 3);
    let mut velocities = Vec::with_capacity(states.len() * 3);
    for s in states {
        positions.extend_from_slice(s.position_km.as_slice());
        velocities.extend_from_slice(s.velocity_km_s.as_slice());
    }
    let shape = [states.len(), 3];
    let p = PyArray1::from_vec(py, positions).reshape(shape)?;
    let v = PyArray1::from_vec(py, velocities).reshape(shape)?;
    PyTuple::new(py, [p.into_any(), v.into_any()])
}

impl PySatellite {
    fn states(&self, epochs: &[hifitime::Epoch]) -> crate::Result<Vec<StateVector>> {
        epochs.iter().map(|e| self.inner.state_at(*e)).collect()
    }

    /// Wraps a satellite, raising its warnings first ([`warn_about`]).
    pub(crate) fn checked(inner: Satellite) -> PyResult<Self> {
        warn_about(&inner)?;
        Ok(Self { inner })
    }
}

/// Raises a satellite's warnings (a low perigee) as
/// `orbitedge.errors.LowPerigeeWarning` at the caller's line.
pub(crate) fn warn_about(satellite: &Satellite) -> PyResult<()> {
    let warnings = satellite.warnings();
    if warnings.is_empty() {
        return Ok(());
    }
    Python::attach(|py| {
        let category = py.import("orbitedge.errors")?.getattr("LowPerigeeWarning")?;
        warnings.iter().try_for_each(|text| {
            let text = std::ffi::CString::new(text.replace('\0', ""))?;
            PyErr::warn(py, &category, &text, 1)
        })
    })
}

#[pymethods]
impl PySatellite {
    /// SGP4 satellite from a two-line element set (Alpha-5 catalogue numbers accepted).
    ///
    /// Raises ``TleError`` naming the line and columns of a malformed field or checksum.
    #[staticmethod]
    #[pyo3(signature = (line1, line2, name = None))]
    fn from_tle(line1: &str, line2: &str, name: Option<String>) -> PyResult<Self> {
        guard("Satellite.from_tle", || {
            let name = name.unwrap_or_else(|| line1.get(2..7).unwrap_or("").trim().to_string());
            Self::checked(Satellite::from_tle(name, line1, line2).py_err()?)
        })
    }

    /// SGP4 satellites from an OMM in JSON (Celestrak/Space-Track) or KVN form, one per record.
    #[staticmethod]
    fn from_omm(text: &str) -> PyResult<Vec<Self>> {
        guard("Satellite.from_omm", || {
            Satellite::from_omm(text)
                .py_err()?
                .into_iter()
                .map(Self::checked)
                .collect()
        })
    }

    /// Satellite through a TEME state at ``epoch``, propagated by ``"kepler"`` or ``"j2"``.
    #[staticmethod]
    #[pyo3(signature = (epoch, position_km, velocity_km_s, propagator = "kepler", name = "satellite"))]
    fn from_state(
        epoch: &Bound<'_, PyAny>,
        position_km: Vec<f64>,
        velocity_km_s: Vec<f64>,
        propagator: &str,
        name: &str,
    ) -> PyResult<Self> {
        guard("Satellite.from_state", || {
            let state = StateVector {
                position_km: vector3("position_km", position_km)?,
                velocity_km_s: vector3("velocity_km_s", velocity_km_s)?,
            };
            let epoch = time::epoch(epoch)?;
            Self::checked(Satellite::from_state(name, epoch, &state, model(propagator)?).py_err()?)
        })
    }

    /// Satellite from classical elements (mean elements for ``"j2"``), angles in degrees.
    #[staticmethod]
    #[pyo3(signature = (epoch, a_km, e, i_deg, raan_deg, argp_deg, mean_anomaly_deg, propagator = "j2", name = "satellite"))]
    #[allow(clippy::too_many_arguments)]
    fn from_elements(
        epoch: &Bound<'_, PyAny>,
        a_km: f64,
        e: f64,
        i_deg: f64,
        raan_deg: f64,
        argp_deg: f64,
        mean_anomaly_deg: f64,
        propagator: &str,
        name: &str,
    ) -> PyResult<Self> {
        guard("Satellite.from_elements", || {
            let elements = ClassicalElements {
                semi_major_axis_km: a_km,
                eccentricity: e,
                inclination_deg: i_deg,
                raan_deg,
                argument_of_perigee_deg: argp_deg,
                mean_anomaly_deg,
            };
            let epoch = time::epoch(epoch)?;
            Self::checked(Satellite::from_elements(name, epoch, elements, model(propagator)?).py_err()?)
        })
    }

    /// Satellite following tabulated TEME states (cubic Hermite interpolation; no extrapolation).
    #[staticmethod]
    #[pyo3(signature = (epochs, positions_km, velocities_km_s, name = "satellite"))]
    fn from_ephemeris(
        epochs: &Bound<'_, PyAny>,
        positions_km: PyReadonlyArray2<'_, f64>,
        velocities_km_s: PyReadonlyArray2<'_, f64>,
        name: &str,
    ) -> PyResult<Self> {
        guard("Satellite.from_ephemeris", || {
            let epochs = time::epochs(epochs)?;
            let states = rows3("positions_km", positions_km)?
                .into_iter()
                .zip(rows3("velocities_km_s", velocities_km_s)?)
                .map(|(position_km, velocity_km_s)| StateVector {
                    position_km,
                    velocity_km_s,
                })
                .collect();
            let ephemeris = Ephemeris::new(epochs, states).map_err(|e| with_name(e, name));
            Self::checked(Satellite::from_ephemeris(name, ephemeris.py_err()?))
        })
    }

    /// Display name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Propagator: ``"kepler"``, ``"j2"``, ``"sgp4"``, ``"ephemeris"`` or
    /// ``"custom"`` (``from_callable``).
    #[getter]
    fn model(&self) -> &'static str {
        self.inner.orbit.model_name()
    }

    /// Reference epoch of the orbit (UTC datetime).
    #[getter]
    fn epoch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.epoch())
    }

    /// Catalogue number for SGP4 satellites, else ``None``.
    #[getter]
    fn norad_id(&self) -> Option<u64> {
        match &self.inner.orbit {
            Orbit::Sgp4(o) => Some(o.norad_id()),
            _ => None,
        }
    }

    /// TEME positions (km) and velocities (km/s) at ``epochs``: two (T, 3) arrays.
    fn propagate<'py>(&self, py: Python<'py>, epochs: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
        guard("Satellite.propagate", || {
            let epochs = time::epochs(epochs)?;
            let states = py.detach(|| self.states(&epochs)).py_err()?;
            states_to_arrays(py, &states)
        })
    }

    /// Visible fraction of the solar disk (0 umbra … 1 sunlit) at one epoch (→ float)
    /// or several (→ array). ``model`` is ``"conical"`` (default) or ``"cylindrical"``.
    #[pyo3(signature = (epoch, model = "conical", atmosphere_km = 0.0))]
    fn sunlit_fraction<'py>(
        &self,
        py: Python<'py>,
        epoch: &Bound<'py, PyAny>,
        model: &str,
        atmosphere_km: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard("Satellite.sunlit_fraction", || {
            let shadow = ShadowConfig {
                model: shadow_model(model)?,
                atmosphere_km: crate::error::ensure_non_negative("atmosphere_km", atmosphere_km).py_err()?,
            };
            let scalar = time::is_scalar(epoch)?;
            let epochs = time::epochs(epoch)?;
            let fractions: Vec<f64> = py
                .detach(|| {
                    epochs
                        .iter()
                        .map(|e| {
                            let state = self.inner.state_at(*e)?;
                            Ok(shadow
                                .sunlit_fraction(&state.position_km, &sun_position_km(julian_date_ut1(*e))))
                        })
                        .collect::<crate::Result<Vec<f64>>>()
                })
                .py_err()?;
            if scalar {
                Ok(fractions[0].into_pyobject(py)?.into_any())
            } else {
                Ok(PyArray1::from_vec(py, fractions).into_any())
            }
        })
    }

    /// Geodetic sub-satellite point (WGS84): latitude_deg, longitude_deg, altitude_km arrays.
    fn subpoint<'py>(&self, py: Python<'py>, epochs: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
        guard("Satellite.subpoint", || {
            let epochs = time::epochs(epochs)?;
            let points = py
                .detach(|| {
                    epochs
                        .iter()
                        .map(|e| {
                            let s = self.inner.state_at(*e)?;
                            let (r, _) =
                                teme_to_ecef(&s.position_km, &s.velocity_km_s, gmst_rad(julian_date_ut1(*e)));
                            Ok(Geodetic::from_ecef(&r))
                        })
                        .collect::<crate::Result<Vec<Geodetic>>>()
                })
                .py_err()?;
            let column =
                |f: fn(&Geodetic) -> f64| PyArray1::from_vec(py, points.iter().map(f).collect()).into_any();
            PyTuple::new(
                py,
                [
                    column(|g| g.latitude_deg),
                    column(|g| g.longitude_deg),
                    column(|g| g.altitude_km),
                ],
            )
        })
    }

    fn __repr__(&self) -> String {
        format!("Satellite(name={:?}, model={:?})", self.inner.name, self.model())
    }
}

pub(crate) fn shadow_model(name: &str) -> PyResult<ShadowModel> {
    match name {
        "conical" => Ok(ShadowModel::Conical),
        "cylindrical" => Ok(ShadowModel::Cylindrical),
        other => Err(super::errors::to_py(crate::Error::InvalidChoice {
            name: "shadow model",
            value: other.to_string(),
            expected: "\"conical\" or \"cylindrical\"",
        })),
    }
}

/// The members of a Walker-delta constellation T/P/F.
#[pyfunction]
#[pyo3(signature = (total, planes, phasing, altitude_km, inclination_deg, epoch, propagator = "j2", prefix = "walker"))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn walker_delta(
    total: PyInt,
    planes: PyInt,
    phasing: PyInt,
    altitude_km: f64,
    inclination_deg: f64,
    epoch: &Bound<'_, PyAny>,
    propagator: &str,
    prefix: &str,
) -> PyResult<Vec<PySatellite>> {
    guard("walker_delta", || {
        let total = total.unsigned("total")?;
        let planes = planes.unsigned("planes")?;
        let phasing = phasing.unsigned("phasing")?;
        let pattern = WalkerDelta {
            total,
            planes,
            phasing,
            altitude_km,
            inclination_deg,
        };
        let epoch = time::epoch(epoch)?;
        Satellite::walker(prefix, &pattern, epoch, model(propagator)?)
            .py_err()?
            .into_iter()
            .map(PySatellite::checked)
            .collect()
    })
}

pub(crate) fn satellites(list: Vec<PySatellite>) -> Vec<Satellite> {
    list.into_iter().map(|s| s.inner).collect()
}

/// TEME positions (km) and velocities (km/s) of N satellites at T epochs: two (N, T, 3) arrays.
#[pyfunction]
#[pyo3(signature = (satellites, epochs, threads = None))]
pub(crate) fn propagate<'py>(
    py: Python<'py>,
    satellites: Vec<PySatellite>,
    epochs: &Bound<'py, PyAny>,
    threads: Option<PyInt>,
) -> PyResult<Bound<'py, PyTuple>> {
    guard("propagate", || {
        let epochs = time::epochs(epochs)?;
        let sats = self::satellites(satellites);
        let batch = py
            .detach(|| with_threads(threads, || propagate_batch(&sats, &epochs)))?
            .py_err()?;
        let shape = [batch.satellites, batch.epochs, 3];
        let p = PyArray1::from_vec(py, batch.positions_km).reshape(shape)?;
        let v = PyArray1::from_vec(py, batch.velocities_km_s).reshape(shape)?;
        PyTuple::new(py, [p.into_any(), v.into_any()])
    })
}

impl pickle::SerdeValue for PySatellite {
    type Inner = Satellite;
    const WHAT: &'static str = "satellite";
    fn inner(&self) -> &Satellite {
        &self.inner
    }
    fn decode(text: &str) -> PyResult<Satellite> {
        Satellite::from_json(text).py_err()
    }
    fn wrap(inner: Satellite) -> PyResult<Self> {
        Self::checked(inner)
    }
}

/// A value class (`pickle`), except that a satellite on a Python function
/// pickles and compares through its function ([`super::callable`]): it has
/// no JSON form.
#[pymethods]
impl PySatellite {
    /// JSON form (serde); ``from_json`` reads it back. A satellite on a
    /// Python function (``from_callable``) has none: ``InputError``.
    fn to_json(&self) -> PyResult<String> {
        pickle::to_json(self)
    }

    /// The satellite from ``to_json`` output.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        pickle::from_json(text)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        guard("Satellite.__reduce__", || {
            if let Some(reduced) = callable::reduce(slf)? {
                return Ok(reduced);
            }
            let (from_json, (text,)) = pickle::reduce(slf)?;
            Ok((from_json, PyTuple::new(slf.py(), [text])?))
        })
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        callable::equal(self, other).unwrap_or_else(|| pickle::equal(self, other))
    }
}
