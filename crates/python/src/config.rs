//! Run configurations from Python: a dict (nested like the TOML file's tables), a TOML string,
//! or a path, through the command line's schema and validation, so that the same mistakes get
//! the same messages (an unknown key names itself); and the initial draw.

use std::path::PathBuf;

use overparam_api::Experiment;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use overparam_sweep::files::write_atomically;

use crate::arrays::arrays_dict;
use crate::errors::{guarded, value_error, ErrorKind};

/// What a Python caller gave as a config.
enum Given {
    /// A file (a `str` that reads as a path, or an `os.PathLike`).
    Path(PathBuf),
    /// TOML text (a dict, converted; or a `str` holding TOML).
    Text(String),
}

impl Given {
    /// Reads `config`: `None` (every default), a dict, a `str` (TOML text when it holds a
    /// newline, `=` or `[`, else a path) or an `os.PathLike`.
    fn read(config: Option<&Bound<'_, PyAny>>) -> PyResult<Given> {
        let Some(config) = config.filter(|c| !c.is_none()) else {
            return Ok(Given::Text(String::new()));
        };
        if let Ok(dict) = config.cast::<PyDict>() {
            let table = toml_table("", dict)?;
            return Ok(Given::Text(toml::to_string(&table).map_err(|e| {
                PyValueError::new_err(format!("config: cannot be written as TOML: {e}"))
            })?));
        }
        if let Ok(text) = config.cast::<PyString>() {
            let text = text.to_cow()?;
            return Ok(if text.contains(['\n', '=', '[']) {
                Given::Text(text.to_string())
            } else {
                Given::Path(PathBuf::from(text.as_ref()))
            });
        }
        if config.hasattr("__fspath__")? {
            return Ok(Given::Path(config.call_method0("__fspath__")?.extract()?));
        }
        Err(PyTypeError::new_err(format!(
            "config: expected a dict, TOML text or a path, got {}",
            config.get_type().name()?
        )))
    }
}

/// The validated experiment of `config` with the `key=value` `overrides` (the command line's
/// `--set`) applied in order; any schema or validation error is a `ValueError`.
pub fn experiment(
    py: Python<'_>,
    config: Option<&Bound<'_, PyAny>>,
    overrides: Vec<String>,
) -> PyResult<Experiment> {
    let given = Given::read(config)?;
    guarded(py, ErrorKind::Input, move || match given {
        Given::Path(path) => Experiment::load(&path, &overrides),
        Given::Text(text) => Experiment::from_toml(&text, &overrides),
    })
}

/// A config file for `overparam train --config`: the file `config` names, or else
/// `directory/config.toml`, written with the dict or TOML text (a relative `data.path` or
/// `data.test_path`, which is relative to the working directory there, made absolute).
#[pyfunction]
#[pyo3(signature = (config, directory))]
pub fn config_file(config: Option<&Bound<'_, PyAny>>, directory: PathBuf) -> PyResult<PathBuf> {
    let text = match Given::read(config)? {
        Given::Path(path) => return Ok(path),
        Given::Text(text) => text,
    };
    let mut table: toml::Table = text
        .parse()
        .map_err(|e| PyValueError::new_err(format!("config text: {e}")))?;
    if let Some(toml::Value::Table(data)) = table.get_mut("data") {
        for key in ["path", "test_path"] {
            if let Some(toml::Value::String(path)) = data.get_mut(key) {
                *path = std::env::current_dir()?.join(&*path).display().to_string();
            }
        }
    }
    let text =
        toml::to_string(&table).map_err(|e| PyValueError::new_err(format!("config: {e}")))?;
    let file = directory.join("config.toml");
    write_atomically(&file, text.as_bytes()).map_err(|error| value_error(&error))?;
    Ok(file)
}

/// The initial parameters of `config` (the command line's draw from `seed`, or the perturbed
/// teacher with `model.init = "teacher"`): a dict `w1` `[m_1, d]`, `b1` `[m_1]`, …, `a`
/// `[m_L]`, float64.
#[pyfunction]
#[pyo3(signature = (config, overrides))]
pub fn init_params<'py>(
    py: Python<'py>,
    config: Option<&Bound<'py, PyAny>>,
    overrides: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let experiment = experiment(py, config, overrides)?;
    let parameters = guarded(py, ErrorKind::Input, || experiment.initial_parameters(None))?;
    arrays_dict(py, parameters)
}

/// A dict as a TOML table; `path` is the dotted key so far, for errors.
fn toml_table(path: &str, dict: &Bound<'_, PyDict>) -> PyResult<toml::Table> {
    let mut table = toml::Table::new();
    for (key, value) in dict.iter() {
        let key: String = key.extract().map_err(|_| {
            PyTypeError::new_err(format!("config{}: keys must be strings", dotted(path, "")))
        })?;
        let full = dotted(path, &key);
        table.insert(key, toml_value(&full, &value)?);
    }
    Ok(table)
}

fn dotted(path: &str, key: &str) -> String {
    match (path.is_empty(), key.is_empty()) {
        (true, _) => key.to_string(),
        (false, true) => format!(" `{path}`"),
        (false, false) => format!("{path}.{key}"),
    }
}

/// One config value as TOML: bool, int, float, str, list, tuple, dict, path; numpy scalars.
fn toml_value(key: &str, value: &Bound<'_, PyAny>) -> PyResult<toml::Value> {
    if value.is_none() {
        return Err(PyValueError::new_err(format!(
            "config key `{key}` is None: TOML has no null; leave the key out for its default"
        )));
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(toml::Value::Boolean(flag.is_true()));
    }
    if value.cast::<PyInt>().is_ok() {
        let integer: i64 = value.extract().map_err(|_| {
            PyValueError::new_err(format!(
                "config key `{key}`: {value} is outside TOML's integers"
            ))
        })?;
        return Ok(toml::Value::Integer(integer));
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        return Ok(toml::Value::Float(float.value()));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(toml::Value::String(text.to_cow()?.into_owned()));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        return Ok(toml::Value::Table(toml_table(key, dict)?));
    }
    if value.cast::<PyList>().is_ok() || value.cast::<PyTuple>().is_ok() {
        let items = value
            .try_iter()?
            .enumerate()
            .map(|(i, item)| toml_value(&format!("{key}[{i}]"), &item?))
            .collect::<PyResult<_>>()?;
        return Ok(toml::Value::Array(items));
    }
    if value.hasattr("__fspath__")? {
        let path: String = value.call_method0("__fspath__")?.extract()?;
        return Ok(toml::Value::String(path));
    }
    // numpy scalars: integers through __index__, floats through __float__.
    if value.hasattr("__index__")? {
        return Ok(toml::Value::Integer(value.extract()?));
    }
    if value.hasattr("__float__")? {
        return Ok(toml::Value::Float(value.extract()?));
    }
    Err(PyTypeError::new_err(format!(
        "config key `{key}`: a {} has no TOML value",
        value.get_type().name()?
    )))
}
