//! `orbitedge.OnnxModel`: real inference with tract on numpy arrays.

use numpy::{PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::errors::IntoPy;
use super::ints::{unsigned_list, PyInt};
use crate::compute::fetch;
use crate::compute::model::{ModelLimits, OnnxModel, Output};
use crate::compute::scene::{Scene, SceneConfig};
use crate::compute::{Precision, FLOAT16_SLOW_NOTE};

/// An ONNX model, optimised once for a fixed input shape and run by tract.
#[pyclass(module = "orbitedge", name = "OnnxModel", frozen)]
pub(crate) struct PyOnnxModel {
    inner: OnnxModel,
    /// The ONNX file's bytes, how they were loaded: what a pickle carries, so a
    /// worker runs exactly this model without access to the file.
    source: Arc<Vec<u8>>,
    widened: bool,
    input_shape: Option<Vec<usize>>,
}

/// What `OnnxModel._restore` takes: file bytes, input shape, widened to float32.
type Reduced<'py> = (Bound<'py, PyBytes>, Option<Vec<usize>>, bool);

#[pymethods]
impl PyOnnxModel {
    /// Loads ``path`` (``input_shape`` fixes a symbolic input; a symbolic batch
    /// is 1 by default). ``"ukis-csmask:4b-l1c"`` (or another variant) names the
    /// DLR cloud model: fetched from PyPI on first use and cached. A float16 file
    /// is widened to float32 on load unless ``precision="float16"`` (which warns:
    /// tract's float16 path is 100–300× slower and overflows above 65504).
    #[new]
    #[pyo3(signature = (path, input_shape = None, precision = "float32"))]
    fn new(
        py: Python<'_>,
        path: std::path::PathBuf,
        input_shape: Option<Vec<PyInt>>,
        precision: &str,
    ) -> PyResult<Self> {
        let input_shape = shape_argument(input_shape)?;
        let precision = Precision::parse(precision).py_err()?;
        let file = match path.to_str().filter(|p| p.starts_with(fetch::UKIS_PREFIX)) {
            Some(spec) => fetch::resolve(spec, std::path::Path::new(".")).py_err()?,
            None => path,
        };
        let shape = input_shape.clone();
        let (inner, bytes) = py
            .detach(|| OnnxModel::load_file(&file, shape.as_deref(), precision))
            .py_err()?;
        let model = Self {
            inner,
            source: Arc::new(bytes),
            widened: precision == Precision::Float32,
            input_shape,
        };
        model.warn_if_float16(py, precision)?;
        Ok(model)
    }

    /// Loads a model from the bytes of an ONNX file (``precision`` as for a path).
    #[staticmethod]
    #[pyo3(signature = (data, input_shape = None, precision = "float32"))]
    fn from_bytes(
        py: Python<'_>,
        data: &[u8],
        input_shape: Option<Vec<PyInt>>,
        precision: &str,
    ) -> PyResult<Self> {
        let precision = Precision::parse(precision).py_err()?;
        let model = Self::load(
            py,
            data.to_vec(),
            shape_argument(input_shape)?,
            precision == Precision::Float32,
        )?;
        model.warn_if_float16(py, precision)?;
        Ok(model)
    }

    #[staticmethod]
    fn _restore(
        py: Python<'_>,
        data: Vec<u8>,
        input_shape: Option<Vec<usize>>,
        widened: bool,
    ) -> PyResult<Self> {
        Self::load(py, data, input_shape, widened)
    }

    /// Pickled with the file's bytes (a worker needs no access to the file).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Reduced<'py>)> {
        let model = slf.get();
        let restore = slf.as_any().get_type().getattr("_restore")?;
        let data = PyBytes::new(slf.py(), &model.source);
        Ok((restore, (data, model.input_shape.clone(), model.widened)))
    }

    /// Same file bytes, loaded the same way.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Self>()
            .map(|o| {
                let o = o.get();
                o.source == self.source && o.widened == self.widened && o.input_shape == self.input_shape
            })
            .unwrap_or(false)
    }

    /// File size, parameters, precision, shapes, operators, FLOPs per run and
    /// memory estimates (weights, peak activations, peak memory), as a dict.
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = serde_json::to_string(self.inner.report())
            .map_err(|e| super::errors::input_error(&e.to_string()))?;
        py.import("json")?.call_method1("loads", (json,))
    }

    /// Runs the model on an array of the input shape (the GIL is released).
    /// float32 is read as is; other numeric dtypes (float64, float16, int, uint,
    /// bool) are converted to float32 first; anything else raises ``InputError``.
    /// A wrong shape raises ``ShapeError``; NaN or infinite values raise
    /// ``NonFiniteInputError`` (tract would turn them into a confident mask); NaN
    /// or infinite values in the output raise ``NonFiniteOutputError`` (a
    /// ``ModelError``).
    fn run<'py>(&self, py: Python<'py>, input: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let input = float32_input(input)?;
        self.call(py, &input, OnnxModel::run)
    }

    /// Runs the model on a stack of inputs along the first axis (k times the
    /// plan's batch), in parallel on rayon's threads with the GIL released;
    /// outputs stacked in input order, bit-identical whatever the thread count.
    /// Inputs as for ``run``.
    fn run_batch<'py>(
        &self,
        py: Python<'py>,
        input: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let input = float32_input(input)?;
        self.call(py, &input, OnnxModel::run_batch)
    }

    /// How many tiles this model has run since it was loaded (``run``, each
    /// tile of ``run_batch``; failed runs included).
    #[getter]
    fn runs(&self) -> u64 {
        self.inner.runs()
    }

    /// Shapes (with how the input shape was chosen), parameters, precisions.
    fn __repr__(&self) -> String {
        let r = self.inner.report();
        let chosen = match (&self.input_shape, batch_defaulted(r)) {
            (None, true) => format!(
                " (declared [{}]: batch 1 by default)",
                r.declared_input_shape.join(", ")
            ),
            _ => String::new(),
        };
        format!(
            "OnnxModel(input_shape={:?}{chosen}, output_shape={:?}, parameters={}, precision={:?}, run_precision={:?})",
            r.input_shape,
            r.output_shape,
            r.parameters,
            r.precision.name(),
            r.run_precision.name()
        )
    }
}

/// Whether the file left the batch dimension free (and the plan took 1 for it).
fn batch_defaulted(report: &crate::compute::model::ModelReport) -> bool {
    report
        .declared_input_shape
        .first()
        .is_some_and(|d| d.parse::<usize>().is_err())
}

/// numpy dtype kinds converted to float32: bool, signed and unsigned integers,
/// floats (float64 and float16 included).
const NUMERIC_KINDS: &str = "biuf";

/// ``input`` as a float32 array: as is when it already is one, else converted
/// with numpy (any array-like of a numeric dtype); a non-numeric dtype is an
/// ``InputError`` that shows the call to make.
fn float32_input<'py>(input: &Bound<'py, PyAny>) -> PyResult<PyReadonlyArrayDyn<'py, f32>> {
    if let Ok(array) = input.extract::<PyReadonlyArrayDyn<'py, f32>>() {
        return Ok(array);
    }
    let py = input.py();
    let numpy = py.import("numpy")?;
    let array = numpy.call_method1("asarray", (input,)).map_err(|e| {
        super::errors::input_error(&format!(
            "the input is not an array numpy can read ({e}); pass a numpy array, e.g. np.asarray(x, dtype=np.float32)"
        ))
    })?;
    let dtype = array.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    if !NUMERIC_KINDS.contains(kind.as_str()) || kind.len() != 1 {
        let name: String = dtype.getattr("name")?.extract()?;
        return Err(super::errors::input_error(&format!(
            "the input array has dtype {name}, which is not numeric; the model takes float32: \
             convert it with arr.astype(np.float32) if its values are numbers"
        )));
    }
    let converted = array.call_method1("astype", (numpy.getattr("float32")?,))?;
    converted.extract::<PyReadonlyArrayDyn<'py, f32>>()
}

/// `input_shape` as given in Python: a negative or huge dimension is an
/// `InputError` naming it (pyo3 would raise `OverflowError`).
fn shape_argument(input_shape: Option<Vec<PyInt>>) -> PyResult<Option<Vec<usize>>> {
    input_shape
        .map(|dims| unsigned_list("input_shape", &dims))
        .transpose()
}

impl PyOnnxModel {
    /// Warns (``Float16Warning``) when the caller asked to keep float16.
    fn warn_if_float16(&self, py: Python<'_>, asked: Precision) -> PyResult<()> {
        if asked != Precision::Float16 {
            return Ok(());
        }
        let text = match self.inner.report().run_precision {
            Precision::Float16 => format!("precision=\"float16\": {FLOAT16_SLOW_NOTE}"),
            Precision::Float32 => "precision=\"float16\" keeps float16 weights as stored, but this \
                 file has none: it runs in float32"
                .to_string(),
        };
        let category = py.import("orbitedge.errors")?.getattr("Float16Warning")?;
        let text = std::ffi::CString::new(text)?;
        PyErr::warn(py, &category, &text, 1)
    }

    /// Loads with the GIL released (checking and optimising a model takes a while).
    fn load(
        py: Python<'_>,
        bytes: Vec<u8>,
        input_shape: Option<Vec<usize>>,
        widened: bool,
    ) -> PyResult<Self> {
        let limits = ModelLimits::default();
        let precision = if widened {
            Precision::Float32
        } else {
            Precision::Float16
        };
        let inner = py
            .detach(|| OnnxModel::load_bytes(&bytes, input_shape.as_deref(), precision, &limits))
            .py_err()?;
        Ok(Self {
            inner,
            source: Arc::new(bytes),
            widened,
            input_shape,
        })
    }

    /// Reads a C-contiguous array in place (tract then copies it once into its
    /// own aligned tensor); any other layout is first gathered into a buffer.
    fn call<'py>(
        &self,
        py: Python<'py>,
        input: &PyReadonlyArrayDyn<'py, f32>,
        run: fn(&OnnxModel, &[f32], &[usize]) -> crate::Result<Output>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let shape = input.shape().to_vec();
        // `as_slice` also accepts Fortran-ordered arrays: only row-major memory is read as is.
        let contiguous = if input.is_c_contiguous() {
            input.as_slice().ok()
        } else {
            None
        };
        let output = match contiguous {
            Some(slice) => py.detach(|| run(&self.inner, slice, &shape)),
            None => {
                let data: Vec<f32> = input.as_array().iter().copied().collect();
                py.detach(|| run(&self.inner, &data, &shape))
            }
        }
        .py_err()?;
        numpy::PyArray1::from_vec(py, output.values).reshape(output.shape)
    }
}

/// A synthetic scene tile with its ground truth (the generator the detector's
/// accuracy is measured on): a dict with ``reflectance`` (1×4×N×N float32, TOA
/// reflectance, bands blue, green, red, NIR), ``normalized`` (the same, normalised
/// as ukis-csmask expects), ``truth`` (N×N uint8: 0 clear, 1 cloud, 2 shadow) and
/// ``cloud_fraction``. ``config`` keys are those of scenes in scenarios
/// (``size_px``, ``cloud_cover``, ``thin_cloud_share``, ``shadow``, ...). The same
/// seed and index give the same tile.
#[pyfunction]
#[pyo3(signature = (seed, index = PyInt::ZERO, **config), text_signature = "(seed, index=0, **config)")]
pub(crate) fn scene_tile<'py>(
    py: Python<'py>,
    seed: PyInt,
    index: PyInt,
    config: Option<&Bound<'py, pyo3::types::PyDict>>,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let seed: u64 = seed.unsigned("seed")?;
    let index: u64 = index.unsigned("index")?;
    let config: SceneConfig = match config {
        Some(kwargs) => super::sim::from_python("scene", kwargs.as_any())?,
        None => SceneConfig::default(),
    };
    let scene = py.detach(|| Scene::generate(&config, seed, index)).py_err()?;
    let n = scene.size_px;
    let shape = scene.input_shape();
    let out = pyo3::types::PyDict::new(py);
    out.set_item("cloud_fraction", scene.cloud_fraction())?;
    out.set_item(
        "normalized",
        numpy::PyArray1::from_vec(py, scene.normalized_ukis()).reshape(shape)?,
    )?;
    out.set_item(
        "truth",
        numpy::PyArray1::from_vec(py, scene.truth).reshape([n, n])?,
    )?;
    out.set_item(
        "reflectance",
        numpy::PyArray1::from_vec(py, scene.bands).reshape(shape)?,
    )?;
    Ok(out)
}
