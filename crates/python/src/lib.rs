//! `overparam._core`: the extension module under the `overparam` Python package. Each
//! function resolves its config through the library API's schema (`overparam-api`), runs the
//! same code the command line runs with the GIL released, and hands numpy arrays back without
//! copying them. The package's `__init__.py` holds the documented, keyword-argument surface;
//! these functions take plain positional arguments.
//!
//! A Rust panic becomes `RuntimeError` ([`errors::guarded`]); configuration and argument
//! errors are `ValueError` (shapes, keys, values) or `TypeError` (array types).

mod arrays;
mod choices;
mod commands;
mod config;
mod errors;
mod kernels;
mod memory;
mod signals;
mod training;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    overparam_runner::interrupt::set_interrupt_check(signals::interrupt_requested);
    module.add_function(wrap_pyfunction!(config::config_file, module)?)?;
    module.add_function(wrap_pyfunction!(config::init_params, module)?)?;
    module.add_function(wrap_pyfunction!(kernels::ntk, module)?)?;
    module.add_function(wrap_pyfunction!(kernels::eigenvalues, module)?)?;
    module.add_function(wrap_pyfunction!(kernels::configured_dtype, module)?)?;
    module.add_function(wrap_pyfunction!(training::train, module)?)?;
    module.add_function(wrap_pyfunction!(commands::gradcheck, module)?)?;
    module.add_function(wrap_pyfunction!(commands::backends, module)?)?;
    module.add_function(wrap_pyfunction!(commands::cli, module)?)?;
    module.add_function(wrap_pyfunction!(commands::set_launcher, module)?)?;
    module.add_function(wrap_pyfunction!(errors::panic_for_test, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("METRIC_COLUMNS", overparam_trainer::METRIC_COLUMNS.to_vec())?;
    Ok(())
}
