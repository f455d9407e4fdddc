//! The command line's other commands from Python: the gradient check as a table, the backends
//! this build has, and the whole command line in-process (sweeps, reproductions, `out=`).

use std::ffi::OsString;
use std::path::PathBuf;

use overparam_api::backend::{BackendKind, BackendReport};
use overparam_api::{gradcheck as check_gradients, Init};
use overparam_runner::launcher::{set_launcher as set_host_launcher, Launcher};
use overparam_runner::memory::MemoryEstimate;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::arrays::read_params;
use crate::choices::choice;
use crate::config::experiment;
use crate::errors::{guarded, value_error, ErrorKind};
use crate::memory;
use crate::signals::take_interrupt;

/// The loss gradient of `config`'s network (at `params`, else its initial draw) three ways in
/// f64, per trained tensor: a list of dicts, the columns of `overparam gradcheck`'s table.
#[pyfunction]
#[pyo3(signature = (config, overrides, params, backend, max_entries, max_memory = None))]
pub fn gradcheck<'py>(
    py: Python<'py>,
    config: Option<&Bound<'py, PyAny>>,
    overrides: Vec<String>,
    params: Option<&Bound<'py, PyDict>>,
    backend: &str,
    max_entries: usize,
    max_memory: Option<&str>,
) -> PyResult<Bound<'py, PyList>> {
    let backend: BackendKind = choice("backend", backend)?;
    let init = params.map(read_params).transpose()?.map(Init::Arrays);
    let experiment = experiment(py, config, overrides)?;
    let estimate = MemoryEstimate::for_gradcheck(&experiment.config, &experiment.resolved);
    memory::check(&estimate, &memory::limit(max_memory)?)?;
    let checks = guarded(py, ErrorKind::Input, || {
        check_gradients(&experiment, backend, init.as_ref(), max_entries)
    })?;
    let rows = PyList::empty(py);
    for check in checks {
        let row = PyDict::new(py);
        row.set_item("tensor", &check.name)?;
        row.set_item("entries", check.entries)?;
        row.set_item("checked_entries", check.checked_entries)?;
        row.set_item("step", check.step)?;
        for (name, discrepancy) in [
            ("autodiff_vs_hand", check.autodiff_vs_hand),
            ("autodiff_vs_numeric", check.autodiff_vs_numeric),
            ("hand_vs_numeric", check.hand_vs_numeric),
            ("jacobian_vs_numeric", check.jacobian_vs_numeric),
        ] {
            row.set_item(name, discrepancy.relative)?;
        }
        row.set_item("excluded_entries", check.excluded_entries)?;
        row.set_item("kink_pre_activations", check.kink_pre_activations)?;
        row.set_item("passes", check.passes())?;
        rows.append(row)?;
    }
    Ok(rows)
}

/// What `overparam backends --json` prints: one report per backend, as JSON.
#[pyfunction]
pub fn backends(py: Python<'_>) -> PyResult<String> {
    guarded(py, ErrorKind::Compute, || {
        let reports: Vec<BackendReport> = BackendKind::ALL
            .into_iter()
            .map(BackendReport::probe)
            .collect();
        Ok(serde_json::to_string(&reports)?)
    })
}

/// Runs the command line `argv` (the program name first) in this process, as the `overparam`
/// executable would, and returns its exit status; output goes to this process's stdout and
/// stderr.
/// `progress` shows the progress bars where the command line draws them; Ctrl-C stops a
/// training run between steps (its files say so) and is raised as `KeyboardInterrupt`.
#[pyfunction]
#[pyo3(signature = (argv, progress = true))]
pub fn cli(py: Python<'_>, argv: Vec<String>, progress: bool) -> PyResult<u8> {
    overparam_runner::set_progress_hidden(!progress);
    let status = guarded(py, ErrorKind::Compute, || {
        Ok(overparam_runner::main_with_args(argv))
    })?;
    match take_interrupt() {
        Some(interrupt) => Err(interrupt),
        None => Ok(status),
    }
}

/// Makes `program leading_args…` (with `envs` set) the command the core starts copies of
/// itself with (a sweep's runs): `python -m overparam` from the package.
#[pyfunction]
#[pyo3(signature = (program, leading_args, envs))]
pub fn set_launcher(
    program: PathBuf,
    leading_args: Vec<String>,
    envs: Vec<(String, String)>,
) -> PyResult<()> {
    set_host_launcher(Launcher {
        program,
        leading_args: leading_args.into_iter().map(OsString::from).collect(),
        envs: envs
            .into_iter()
            .map(|(key, value)| (OsString::from(key), OsString::from(value)))
            .collect(),
    })
    .map_err(|error| value_error(&error))
}
