//! The NTK of a network at given (or drawn) parameters on given (or the config's) inputs, by
//! the command line's methods; and the spectrum of a kernel.

use std::path::Path;

use overparam_api::ntk::predict::Predictions;
use overparam_api::ntk::{ntk_kernels, GivenPoints, KernelKind};
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
/// the config's rates; `kernel` `ntk` or `nngp` (the empirical NNGP over `ensemble` draws).
/// With `x_test` `[n_test, d]` also the cross kernels `<method>_cross` `[n_test, n]`; with
/// `ridge`, kernel-regression predictions at `x_test` from `y` (`y_test` for their loss).
/// Returns (a dict of kernels, the notes of skipped methods as JSON, the predictions: a dict
/// method → {prediction, test_loss, train_loss, condition_number} plus `f0_test`, or None).
#[pyfunction]
#[pyo3(signature = (config, overrides, x, params, methods, lr_weighted, block_size, backend, dtype, skip_inapplicable, max_memory = None, x_test = None, y = None, y_test = None, ridge = None, kernel = "ntk", ensemble = 256))]
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
    x_test: Option<&Bound<'py, PyAny>>,
    y: Option<&Bound<'py, PyAny>>,
    y_test: Option<&Bound<'py, PyAny>>,
    ridge: Option<f64>,
    kernel: &str,
    ensemble: usize,
) -> PyResult<(Bound<'py, PyDict>, String, Option<Bound<'py, PyDict>>)> {
    if let Some(unknown) = methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
        return Err(PyValueError::new_err(format!(
            "method: `{unknown}` is not one of jacobian, closed, analytic, all"
        )));
    }
    if block_size == 0 {
        return Err(PyValueError::new_err("block_size must be at least 1"));
    }
    let wanted = |name: &str| methods.iter().any(|m| m == name);
    let kernel = match kernel {
        "ntk" => KernelKind::Ntk,
        "nngp" => KernelKind::Nngp { ensemble },
        other => {
            return Err(PyValueError::new_err(format!(
                "kernel: `{other}` is not one of ntk, nngp"
            )))
        }
    };
    let optional = |argument: &str, value: Option<&Bound<'py, PyAny>>| {
        value.map(|v| read_array(argument, argument, v)).transpose()
    };
    let given = GivenPoints {
        targets: optional("y", y)?,
        test_inputs: optional("x_test", x_test)?,
        test_targets: optional("y_test", y_test)?,
    };
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
        given,
        init: params.map(read_params).transpose()?.map(Init::Arrays),
        block_size,
        kernel,
        ridge,
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
        held_out_rows(&request, &experiment),
        request.compute.backend.is_cpu(),
        None,
    );
    memory::check(&estimate, &memory::limit(max_memory)?)?;
    let kernels = guarded(py, ErrorKind::Input, || ntk_kernels(&experiment, &request))?;
    let n = kernels.num_samples;
    let dict = PyDict::new(py);
    let predictions = match &kernels.predictions {
        Some(predictions) => Some(predictions_dict(py, predictions)?),
        None => None,
    };
    for kernel in kernels.kernels {
        let array = NamedArray::new(kernel.name, vec![n, n], kernel.values).map_err(value_error)?;
        dict.set_item(kernel.name, to_numpy(py, array)?)?;
        if let Some(cross) = kernel.cross {
            let name = format!("{}_cross", kernel.name);
            let array = NamedArray::new(&name, vec![cross.len() / n.max(1), n], cross)
                .map_err(value_error)?;
            dict.set_item(name, to_numpy(py, array)?)?;
        }
    }
    Ok((
        dict,
        serde_json::Value::Object(kernels.notes).to_string(),
        predictions,
    ))
}

/// The predictions as a dict: `f0_test`, `ridge` and per method a dict of `prediction`
/// `[n_test]`, `test_loss` (None without y_test), `train_loss` and `condition_number`.
fn predictions_dict<'py>(
    py: Python<'py>,
    predictions: &Predictions,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let vector = |name: &str, values: &[f64]| {
        NamedArray::new(name, vec![values.len()], values.to_vec()).map_err(value_error)
    };
    dict.set_item("ridge", predictions.ridge)?;
    dict.set_item(
        "f0_test",
        to_numpy(py, vector("f0_test", &predictions.initial_test)?)?,
    )?;
    for p in &predictions.by_method {
        let entry = PyDict::new(py);
        entry.set_item("prediction", to_numpy(py, vector(p.method, &p.test)?)?)?;
        entry.set_item("test_loss", p.test_loss)?;
        entry.set_item("train_loss", p.train_loss)?;
        entry.set_item("condition_number", p.condition_number)?;
        dict.set_item(p.method, entry)?;
    }
    Ok(dict)
}

/// The held-out rows the kernels of `request` are also computed on: the given x_test's, or
/// with predictions on the config's data its `data.n_test`.
fn held_out_rows(request: &NtkRequest, experiment: &overparam_api::Experiment) -> usize {
    match (
        &request.given.test_inputs,
        request.inputs.is_some(),
        request.ridge,
    ) {
        (Some(x_test), _, _) => x_test.shape.first().copied().unwrap_or(0),
        (None, false, Some(_)) => experiment.config.data.n_test,
        _ => 0,
    }
}

/// A shape error as a `ValueError`.
fn value_error(error: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(error.to_string())
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
