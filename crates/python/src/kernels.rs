//! The NTK of a network at given (or drawn) parameters on given (or the config's) inputs, by
//! the command line's methods; and the spectrum of a kernel.

use std::path::Path;

use overparam_api::ntk::ntk_kernels;
use overparam_api::{Init, NamedArray, NtkMethods, NtkRequest};
use overparam_runner::memory::MemoryEstimate;
use overparam_trainer::ntk::ntk_spectrum;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::arrays::{read_array, read_params, to_numpy};
use crate::choices::{choice, compute};
use crate::config::experiment;
use crate::errors::{guarded, ErrorKind};
use crate::memory;

/// The method names, in the order the kernels are computed.
const METHODS: [&str; 3] = ["jacobian", "closed", "analytic"];

/// The dtype `backend`'s device already computes in in this process (`f32`, `f64`), or
/// `None` before its first use: Burn fixes a device's dtype then, for the process.
#[pyfunction]
#[pyo3(signature = (backend))]
pub fn configured_dtype(backend: &str) -> PyResult<Option<&'static str>> {
    let backend = choice("backend", backend)?;
    Ok(overparam_api::backend::configured_dtype(backend).map(|dtype| dtype.name()))
}

/// The kernels `[n, n]` (float64) of `methods` for the network of `config` at `params` (else
/// its initial draw) on `x` `[n, d]` (else the config's inputs); with `lr_weighted`, K_η with
/// the config's rates. Returns (a dict method → kernel, the notes of skipped methods as JSON).
#[pyfunction]
#[pyo3(signature = (config, overrides, x, params, methods, lr_weighted, block_size, backend, dtype, skip_inapplicable, max_memory = None))]
#[allow(clippy::too_many_arguments)]
pub fn ntk<'py>(
    py: Python<'py>,
    config: Option<&Bound<'py, PyAny>>,
    overrides: Vec<String>,
    x: Option<&Bound<'py, PyAny>>,
    params: Option<&Bound<'py, PyDict>>,
    methods: Vec<String>,
    lr_weighted: bool,
    block_size: usize,
    backend: &str,
    dtype: &str,
    skip_inapplicable: bool,
    max_memory: Option<&str>,
) -> PyResult<(Bound<'py, PyDict>, String)> {
    if let Some(unknown) = methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
        return Err(PyValueError::new_err(format!(
            "method: `{unknown}` is not one of jacobian, closed, analytic, all"
        )));
    }
    if block_size == 0 {
        return Err(PyValueError::new_err("block_size must be at least 1"));
    }
    let wanted = |name: &str| methods.iter().any(|m| m == name);
    let request = NtkRequest {
        compute: compute(backend, dtype)?,
        methods: NtkMethods {
            jacobian: wanted("jacobian"),
            closed: wanted("closed"),
            analytic: wanted("analytic"),
        },
        skip_inapplicable,
        lr_weighted,
        inputs: x.map(|x| read_array("x", "x", x)).transpose()?,
        init: params.map(read_params).transpose()?.map(Init::Arrays),
        block_size,
        kernel: overparam_api::ntk::KernelKind::Ntk,
        ridge: None,
    };
    let experiment = experiment(py, config, overrides)?;
    let rows = request
        .inputs
        .as_ref()
        .map(|x| (Path::new("x"), x.shape[0]));
    let estimate = MemoryEstimate::for_ntk(
        &experiment.config,
        &experiment.resolved,
        request.compute.dtype,
        request.methods,
        rows,
    );
    memory::check(&estimate, &memory::limit(max_memory)?)?;
    let kernels = guarded(py, ErrorKind::Input, || ntk_kernels(&experiment, &request))?;
    let n = kernels.num_samples;
    let dict = PyDict::new(py);
    for kernel in kernels.kernels {
        let array = NamedArray {
            name: kernel.name.to_string(),
            shape: vec![n, n],
            values: kernel.values,
        };
        dict.set_item(kernel.name, to_numpy(py, array)?)?;
    }
    Ok((dict, serde_json::Value::Object(kernels.notes).to_string()))
}

/// The eigenvalues `[n]`, ascending, of the symmetric `kernel` `[n, n]` (faer's
/// self-adjoint eigensolver in f64, as `overparam ntk` computes them).
#[pyfunction]
#[pyo3(signature = (kernel))]
pub fn eigenvalues<'py>(
    py: Python<'py>,
    kernel: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let kernel = read_array("K", "K", kernel)?;
    let n = match kernel.shape[..] {
        [n, m] if n == m => n,
        _ => {
            return Err(PyValueError::new_err(format!(
                "K: expected a square matrix [n, n], got shape {:?}",
                kernel.shape
            )))
        }
    };
    let spectrum = guarded(py, ErrorKind::Input, || {
        Ok(ntk_spectrum(&kernel.values, n)?)
    })?;
    let eigenvalues = NamedArray {
        name: "eigenvalues".to_string(),
        shape: vec![n],
        values: spectrum.eigenvalues,
    };
    to_numpy(py, eigenvalues)
}
