//! Access windows, eclipse intervals and link windows for Python.

use hifitime::Epoch;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::errors::{guard, IntoPy};
use super::ints::PyInt;
use super::pickle;
use super::satellite::{satellites, shadow_model, PySatellite};
use super::station::PyGroundStation;
use super::{time, with_threads};
use crate::access::{
    find_access_windows, find_eclipse_intervals, find_link_windows, AccessWindow, EclipseInterval,
    LinkWindow, SearchConfig,
};
use crate::environment::eclipse::ShadowConfig;
use crate::environment::LineOfSight;
use crate::time::unix_nanoseconds;

fn config(tolerance_s: f64) -> SearchConfig {
    SearchConfig {
        tolerance_s,
        ..SearchConfig::default()
    }
}

fn interval(start: &Bound<'_, PyAny>, end: &Bound<'_, PyAny>) -> PyResult<(Epoch, Epoch)> {
    Ok((time::epoch(start)?, time::epoch(end)?))
}

/// A pass of a satellite over a ground station.
#[pyclass(module = "orbitedge", name = "AccessWindow", frozen)]
pub(crate) struct PyAccessWindow {
    inner: AccessWindow,
}

#[pymethods]
impl PyAccessWindow {
    #[classattr]
    fn _time_fields() -> (&'static str, &'static str, &'static str) {
        ("rise", "culmination", "set")
    }

    /// Satellite name.
    #[getter]
    fn satellite(&self) -> &str {
        &self.inner.satellite
    }
    /// Station name.
    #[getter]
    fn station(&self) -> &str {
        &self.inner.station
    }
    /// Start of the window (UTC datetime).
    #[getter]
    fn rise<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.rise)
    }
    /// Time of highest elevation.
    #[getter]
    fn culmination<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.culmination)
    }
    /// End of the window.
    #[getter]
    fn set<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.set)
    }
    /// Elevation at culmination, degrees.
    #[getter]
    fn max_elevation_deg(&self) -> f64 {
        self.inner.max_elevation_deg
    }
    /// Length, seconds.
    #[getter]
    fn duration_s(&self) -> f64 {
        self.inner.duration_s()
    }
    /// Already visible at the search start (rise is the search start).
    #[getter]
    fn clipped_start(&self) -> bool {
        self.inner.clipped_start
    }
    /// Still visible at the search end (set is the search end).
    #[getter]
    fn clipped_end(&self) -> bool {
        self.inner.clipped_end
    }
    fn _row<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let w = &self.inner;
        let row = PyDict::new(py);
        row.set_item("satellite", &w.satellite)?;
        row.set_item("station", &w.station)?;
        row.set_item("rise", unix_nanoseconds(w.rise))?;
        row.set_item("culmination", unix_nanoseconds(w.culmination))?;
        row.set_item("set", unix_nanoseconds(w.set))?;
        row.set_item("max_elevation_deg", w.max_elevation_deg)?;
        row.set_item("duration_s", w.duration_s())?;
        row.set_item("clipped_start", w.clipped_start)?;
        row.set_item("clipped_end", w.clipped_end)?;
        Ok(row)
    }
    fn __repr__(&self) -> String {
        let w = &self.inner;
        format!(
            "AccessWindow(satellite={:?}, station={:?}, rise={}, set={}, max_elevation_deg={:.2})",
            w.satellite, w.station, w.rise, w.set, w.max_elevation_deg
        )
    }
}

/// A period of a satellite in umbra or penumbra.
#[pyclass(module = "orbitedge", name = "EclipseInterval", frozen)]
pub(crate) struct PyEclipseInterval {
    inner: EclipseInterval,
}

#[pymethods]
impl PyEclipseInterval {
    #[classattr]
    fn _time_fields() -> (&'static str, &'static str) {
        ("start", "end")
    }

    /// Satellite name.
    #[getter]
    fn satellite(&self) -> &str {
        &self.inner.satellite
    }
    /// ``"umbra"`` or ``"penumbra"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }
    /// Entry (UTC datetime).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.start)
    }
    /// Exit (UTC datetime).
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.end)
    }
    /// Length, seconds.
    #[getter]
    fn duration_s(&self) -> f64 {
        crate::time::seconds_between(self.inner.start, self.inner.end)
    }
    /// Already in this shadow at the search start.
    #[getter]
    fn clipped_start(&self) -> bool {
        self.inner.clipped_start
    }
    /// Still in it at the search end.
    #[getter]
    fn clipped_end(&self) -> bool {
        self.inner.clipped_end
    }
    fn _row<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let e = &self.inner;
        let row = PyDict::new(py);
        row.set_item("satellite", &e.satellite)?;
        row.set_item("kind", e.kind.as_str())?;
        row.set_item("start", unix_nanoseconds(e.start))?;
        row.set_item("end", unix_nanoseconds(e.end))?;
        row.set_item("duration_s", self.duration_s())?;
        row.set_item("clipped_start", e.clipped_start)?;
        row.set_item("clipped_end", e.clipped_end)?;
        Ok(row)
    }
    fn __repr__(&self) -> String {
        let e = &self.inner;
        format!(
            "EclipseInterval(satellite={:?}, kind={:?}, start={}, end={})",
            e.satellite,
            e.kind.as_str(),
            e.start,
            e.end
        )
    }
}

/// A period during which two satellites see each other.
#[pyclass(module = "orbitedge", name = "LinkWindow", frozen)]
pub(crate) struct PyLinkWindow {
    inner: LinkWindow,
}

#[pymethods]
impl PyLinkWindow {
    #[classattr]
    fn _time_fields() -> (&'static str, &'static str, &'static str) {
        ("start", "closest_approach", "end")
    }

    /// First satellite's name.
    #[getter]
    fn satellite_a(&self) -> &str {
        &self.inner.satellite_a
    }
    /// Second satellite's name.
    #[getter]
    fn satellite_b(&self) -> &str {
        &self.inner.satellite_b
    }
    /// Start (UTC datetime).
    #[getter]
    fn start<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.start)
    }
    /// Time of smallest range.
    #[getter]
    fn closest_approach<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.closest_approach)
    }
    /// End (UTC datetime).
    #[getter]
    fn end<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        time::datetime(py, self.inner.end)
    }
    /// Smallest range, km.
    #[getter]
    fn min_range_km(&self) -> f64 {
        self.inner.min_range_km
    }
    fn _row<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let w = &self.inner;
        let row = PyDict::new(py);
        row.set_item("satellite_a", &w.satellite_a)?;
        row.set_item("satellite_b", &w.satellite_b)?;
        row.set_item("start", unix_nanoseconds(w.start))?;
        row.set_item("closest_approach", unix_nanoseconds(w.closest_approach))?;
        row.set_item("end", unix_nanoseconds(w.end))?;
        row.set_item("min_range_km", w.min_range_km)?;
        row.set_item("clipped_start", w.clipped_start)?;
        row.set_item("clipped_end", w.clipped_end)?;
        Ok(row)
    }
    fn __repr__(&self) -> String {
        let w = &self.inner;
        format!(
            "LinkWindow({:?} <-> {:?}, start={}, end={})",
            w.satellite_a, w.satellite_b, w.start, w.end
        )
    }
}

/// Every pass of every satellite over every station in [start, end], sorted by rise.
#[pyfunction]
#[pyo3(signature = (satellites, stations, start, end, tolerance_s = 1e-4, threads = None))]
pub(crate) fn access_windows(
    py: Python<'_>,
    satellites: Vec<PySatellite>,
    stations: Vec<PyGroundStation>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    tolerance_s: f64,
    threads: Option<PyInt>,
) -> PyResult<Vec<PyAccessWindow>> {
    guard("access_windows", || {
        let (start, end) = interval(start, end)?;
        let sats = self::satellites(satellites);
        let stations: Vec<_> = stations.into_iter().map(|s| s.inner).collect();
        let windows = py
            .detach(|| {
                with_threads(threads, || {
                    find_access_windows(&sats, &stations, start, end, &config(tolerance_s))
                })
            })?
            .py_err()?;
        Ok(windows
            .into_iter()
            .map(|inner| PyAccessWindow { inner })
            .collect())
    })
}

/// Every umbra and penumbra interval of every satellite in [start, end].
#[pyfunction]
#[pyo3(signature = (satellites, start, end, model = "conical", atmosphere_km = 0.0, tolerance_s = 1e-4, threads = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn eclipse_intervals(
    py: Python<'_>,
    satellites: Vec<PySatellite>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    model: &str,
    atmosphere_km: f64,
    tolerance_s: f64,
    threads: Option<PyInt>,
) -> PyResult<Vec<PyEclipseInterval>> {
    guard("eclipse_intervals", || {
        let (start, end) = interval(start, end)?;
        let shadow = ShadowConfig {
            model: shadow_model(model)?,
            atmosphere_km,
        };
        let sats = self::satellites(satellites);
        let intervals = py
            .detach(|| {
                with_threads(threads, || {
                    find_eclipse_intervals(&sats, start, end, &shadow, &config(tolerance_s))
                })
            })?
            .py_err()?;
        Ok(intervals
            .into_iter()
            .map(|inner| PyEclipseInterval { inner })
            .collect())
    })
}

/// Every inter-satellite line-of-sight window among all pairs in [start, end].
#[pyfunction]
#[pyo3(signature = (satellites, start, end, grazing_altitude_km = 80.0, max_range_km = None, tolerance_s = 1e-4, threads = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn link_windows(
    py: Python<'_>,
    satellites: Vec<PySatellite>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    grazing_altitude_km: f64,
    max_range_km: Option<f64>,
    tolerance_s: f64,
    threads: Option<PyInt>,
) -> PyResult<Vec<PyLinkWindow>> {
    guard("link_windows", || {
        let (start, end) = interval(start, end)?;
        let los = LineOfSight::new(grazing_altitude_km, max_range_km).py_err()?;
        let sats = self::satellites(satellites);
        let windows = py
            .detach(|| {
                with_threads(threads, || {
                    find_link_windows(&sats, start, end, &los, &config(tolerance_s))
                })
            })?
            .py_err()?;
        Ok(windows.into_iter().map(|inner| PyLinkWindow { inner }).collect())
    })
}

pickle::serde_value_class!(PyAccessWindow, AccessWindow, "access window");
pickle::serde_value_class!(PyEclipseInterval, EclipseInterval, "eclipse interval");
pickle::serde_value_class!(PyLinkWindow, LinkWindow, "link window");
