//! How errors of the core reach Python: configuration and argument errors as `ValueError`, a
//! missing file as `FileNotFoundError`, anything else as `RuntimeError`; a panic never unwinds
//! into the interpreter.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyFileNotFoundError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// Runs `compute` with the GIL released, turning a panic into `RuntimeError` (the interpreter
/// and its other threads carry on) and an error into [`value_error`] or [`runtime_error`] as
/// `kind` says.
pub fn guarded<T: Send>(
    py: Python<'_>,
    kind: ErrorKind,
    compute: impl FnOnce() -> anyhow::Result<T> + Send,
) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(compute)))
        .map_err(panic_error)?
        .map_err(|error| kind.to_py(&error))
}

/// Which Python exception an error of a stage becomes.
#[derive(Clone, Copy, Debug)]
pub enum ErrorKind {
    /// What the caller asked for: a config, arrays, a backend and dtype, a method that must
    /// apply to the network: `ValueError` (or `FileNotFoundError`).
    Input,
    /// A command run as a whole (its status says how it went): `RuntimeError` (or
    /// `FileNotFoundError`).
    Compute,
}

impl ErrorKind {
    /// The exception for `error`, its message the whole chain (`outer: inner: …`).
    pub fn to_py(self, error: &anyhow::Error) -> PyErr {
        let message = format!("{error:#}");
        let missing_file = error.chain().any(|cause| {
            cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
        });
        match self {
            _ if missing_file => PyFileNotFoundError::new_err(message),
            ErrorKind::Input => PyValueError::new_err(message),
            ErrorKind::Compute => PyRuntimeError::new_err(message),
        }
    }
}

/// `ValueError` for an input error.
pub fn value_error(error: &anyhow::Error) -> PyErr {
    ErrorKind::Input.to_py(error)
}

/// `RuntimeError` naming the panic's message.
fn panic_error(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    PyRuntimeError::new_err(format!(
        "internal error in the overparam core (a Rust panic, caught; the interpreter is \
         unaffected): {message}"
    ))
}

/// Panics inside the core with `message`: for the test that a panic reaches Python as
/// `RuntimeError` and the interpreter carries on.
#[pyfunction]
#[pyo3(name = "_panic_for_test")]
pub fn panic_for_test(py: Python<'_>, message: String) -> PyResult<()> {
    guarded(py, ErrorKind::Compute, move || -> anyhow::Result<()> {
        panic!("{message}")
    })
}
