//! The command line's memory check, before anything is allocated: a computation estimated to
//! need more than this machine's memory (or the caller's `max_memory`) is a `MemoryError`
//! naming the key that dominates, rather than the interpreter being killed by the kernel.

use overparam_runner::memory::{check_fits, parse_memory_size, MemoryEstimate, MemoryLimit};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;

/// The limit `max_memory` sets (`"64G"`, `"512M"` or bytes; K, M, G, T are powers of 1024),
/// else this machine's memory.
pub fn limit(max_memory: Option<&str>) -> PyResult<MemoryLimit> {
    let bytes = max_memory
        .map(|text| {
            parse_memory_size(text)
                .map_err(|error| PyValueError::new_err(format!("max_memory: {error}")))
        })
        .transpose()?;
    Ok(MemoryLimit::from_flag(bytes))
}

/// `MemoryError` when `estimate` exceeds `limit`.
pub fn check(estimate: &MemoryEstimate, limit: &MemoryLimit) -> PyResult<()> {
    check_fits(estimate, limit).map_err(|error| PyMemoryError::new_err(format!("{error:#}")))
}
