//! The command line's choices (`--backend`, `--dtype`, `--engine`) spelled as strings from
//! Python.

use clap::ValueEnum;
use overparam_api::Compute;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The backend and dtype named by `backend` and `dtype` (the command line's spellings).
pub fn compute(backend: &str, dtype: &str) -> PyResult<Compute> {
    Ok(Compute {
        backend: choice("backend", backend)?,
        dtype: choice("dtype", dtype)?,
    })
}

/// The value of a command-line choice `argument` spelled `value`; others are a `ValueError`
/// listing the choices.
pub fn choice<T: ValueEnum>(argument: &str, value: &str) -> PyResult<T> {
    T::from_str(value, true).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        PyValueError::new_err(format!(
            "{argument}: `{value}` is not one of {}",
            names.join(", ")
        ))
    })
}
