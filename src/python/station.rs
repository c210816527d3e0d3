//! `orbitedge.GroundStation`.

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::errors::{guard, IntoPy};
use super::ints::PyInt;
use super::pickle;
use super::satellite::PySatellite;
use super::time;
use crate::environment::{GroundStation, HorizonMask};
use crate::frames::gmst_rad;
use crate::orbit::Propagator;
use crate::time::julian_date_ut1;

/// A ground station on the WGS84 ellipsoid.
#[pyclass(module = "orbitedge", name = "GroundStation", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct PyGroundStation {
    pub(crate) inner: GroundStation,
}

impl PyGroundStation {
    fn looks(
        &self,
        satellite: &PySatellite,
        epochs: &[hifitime::Epoch],
    ) -> crate::Result<Vec<crate::environment::station::Look>> {
        epochs
            .iter()
            .map(|e| {
                let s = satellite.inner.state_at(*e)?;
                Ok(self
                    .inner
                    .look(&s.position_km, &s.velocity_km_s, gmst_rad(julian_date_ut1(*e))))
            })
            .collect()
    }
}

#[pymethods]
impl PyGroundStation {
    /// ``GroundStation(name, lat_deg, lon_deg, alt_m=0.0, min_elevation_deg=0.0, horizon_mask=None, antennas=1)``.
    ///
    /// ``horizon_mask`` is a list of ``(azimuth_deg, elevation_deg)`` points, linear in
    /// between and wrapping through north; the larger of it and ``min_elevation_deg`` applies.
    /// ``antennas`` (at least 1) is how many spacecraft the station serves at once in a
    /// ``Simulation``.
    #[new]
    #[pyo3(
        signature = (name, lat_deg, lon_deg, alt_m = 0.0, min_elevation_deg = 0.0, horizon_mask = None, antennas = PyInt::ONE),
        text_signature = "(name, lat_deg, lon_deg, alt_m=0.0, min_elevation_deg=0.0, horizon_mask=None, antennas=1)"
    )]
    fn new(
        name: String,
        lat_deg: f64,
        lon_deg: f64,
        alt_m: f64,
        min_elevation_deg: f64,
        horizon_mask: Option<Vec<(f64, f64)>>,
        antennas: PyInt,
    ) -> PyResult<Self> {
        guard("GroundStation", || {
            let station = GroundStation::new(name, lat_deg, lon_deg, alt_m, min_elevation_deg).py_err()?;
            let station = match horizon_mask {
                Some(points) => station.with_horizon_mask(HorizonMask::new(points).py_err()?),
                None => station,
            };
            let inner = station.with_antennas(antennas.unsigned("antennas")?).py_err()?;
            Ok(Self { inner })
        })
    }

    /// Station name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// Geodetic latitude, degrees.
    #[getter]
    fn lat_deg(&self) -> f64 {
        self.inner.location().latitude_deg
    }

    /// Longitude, degrees east.
    #[getter]
    fn lon_deg(&self) -> f64 {
        self.inner.location().longitude_deg
    }

    /// Height above the ellipsoid, metres.
    #[getter]
    fn alt_m(&self) -> f64 {
        self.inner.location().altitude_km * 1_000.0
    }

    /// Minimum elevation, degrees.
    #[getter]
    fn min_elevation_deg(&self) -> f64 {
        self.inner.min_elevation_deg()
    }

    /// Antennas: how many spacecraft the station serves at once.
    #[getter]
    fn antennas(&self) -> u32 {
        self.inner.antennas()
    }

    /// Elevation of ``satellite`` above the local horizon (deg) at each epoch: array (T,).
    fn elevation_deg<'py>(
        &self,
        py: Python<'py>,
        satellite: PySatellite,
        epochs: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        guard("GroundStation.elevation_deg", || {
            let epochs = time::epochs(epochs)?;
            let looks = py.detach(|| self.looks(&satellite, &epochs)).py_err()?;
            Ok(PyArray1::from_vec(
                py,
                looks.iter().map(|l| l.topocentric.elevation_deg).collect(),
            ))
        })
    }

    /// Azimuth (deg), elevation (deg) and range (km) arrays of ``satellite``, as a dict.
    fn look<'py>(
        &self,
        py: Python<'py>,
        satellite: PySatellite,
        epochs: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        guard("GroundStation.look", || {
            let epochs = time::epochs(epochs)?;
            let looks = py.detach(|| self.looks(&satellite, &epochs)).py_err()?;
            let dict = PyDict::new(py);
            dict.set_item(
                "azimuth_deg",
                PyArray1::from_vec(py, looks.iter().map(|l| l.topocentric.azimuth_deg).collect()),
            )?;
            dict.set_item(
                "elevation_deg",
                PyArray1::from_vec(py, looks.iter().map(|l| l.topocentric.elevation_deg).collect()),
            )?;
            dict.set_item(
                "range_km",
                PyArray1::from_vec(py, looks.iter().map(|l| l.topocentric.range_km).collect()),
            )?;
            Ok(dict)
        })
    }

    fn __repr__(&self) -> String {
        let g = self.inner.location();
        let antennas = match self.inner.antennas() {
            1 => String::new(),
            n => format!(", antennas={n}"),
        };
        format!(
            "GroundStation({:?}, lat_deg={}, lon_deg={}, alt_m={}, min_elevation_deg={}{antennas})",
            self.inner.name(),
            g.latitude_deg,
            g.longitude_deg,
            g.altitude_km * 1_000.0,
            self.inner.min_elevation_deg()
        )
    }
}

pickle::serde_value_class!(PyGroundStation, GroundStation, "ground station");
