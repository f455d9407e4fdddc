//! `train`: the library API's training loop from Python, with the GIL released, the command
//! line's progress bar, and Ctrl-C checked between steps.

use std::time::Instant;

use anyhow::Context as _;
use indicatif::ProgressBar;
use overparam_api::{
    train as train_run, EngineChoice, Experiment, Init, TrainObserver, TrainOptions,
};
use overparam_runner::memory::MemoryEstimate;
use overparam_runner::{run_header, step_progress_bar};
use overparam_trainer::{MetricRecord, METRIC_COLUMNS};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::{json, Value};

use crate::arrays::{arrays_dict, read_array, read_params, to_numpy};
use crate::choices::{choice, compute};
use crate::config::experiment;
use crate::errors::{guarded, ErrorKind};
use crate::memory;
use crate::signals::{interrupt_requested, take_interrupt};

/// What the Python caller sees while a run trains: the bar, and Ctrl-C between steps.
struct Watch {
    progress: ProgressBar,
}

impl TrainObserver for Watch {
    fn row(&mut self, record: &MetricRecord) -> std::io::Result<()> {
        self.progress.set_position(record.step as u64);
        self.progress
            .set_message(format!("loss {:.3e}", record.loss));
        Ok(())
    }

    fn interrupted(&mut self) -> bool {
        interrupt_requested()
    }
}

/// Trains the network of `config` (at `params`, else its initial draw; on `x` `[n, d]` and
/// `y` `[n]`, else the config's data) as `overparam train` does, with the same numbers.
/// Returns a dict: `columns` (metrics.csv's), `metrics` (column → float64 `[rows]`, NaN where
/// metrics.csv has an empty field), `params_init`, `params_final` (None after a failure),
/// `summary` (summary.json's fields, as JSON) and `error` (None, or why the run failed); with
/// `train.seeds = S` > 1, a list of S such dicts, seed by seed (each as `seed-<s>/`).
#[pyfunction]
#[pyo3(signature = (config, overrides, x, y, params, backend, dtype, engine, progress, max_memory = None, x_test = None, y_test = None))]
#[allow(clippy::too_many_arguments)]
pub fn train<'py>(
    py: Python<'py>,
    config: Option<&Bound<'py, PyAny>>,
    overrides: Vec<String>,
    x: Option<&Bound<'py, PyAny>>,
    y: Option<&Bound<'py, PyAny>>,
    params: Option<&Bound<'py, PyDict>>,
    backend: &str,
    dtype: &str,
    engine: &str,
    progress: bool,
    max_memory: Option<&str>,
    x_test: Option<&Bound<'py, PyAny>>,
    y_test: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let compute = compute(backend, dtype)?;
    let engine: EngineChoice = choice("engine", engine)?;
    let experiment = experiment(py, config, overrides)?;
    let estimate =
        MemoryEstimate::for_train(&experiment.config, &experiment.resolved, compute.dtype);
    memory::check(&estimate, &memory::limit(max_memory)?)?;
    let init = params.map(read_params).transpose()?.map(Init::Arrays);
    let dataset = match (x, y) {
        (None, None) => None,
        (Some(x), Some(y)) => {
            let (x, y) = (read_array("x", "x", x)?, read_array("y", "y", y)?);
            Some(guarded(py, ErrorKind::Input, || {
                experiment.dataset_from_arrays("x, y", x, y)
            })?)
        }
        _ => return Err(PyValueError::new_err("x and y: give both or neither")),
    };
    let dataset = match (x_test, y_test) {
        (None, None) => dataset,
        (Some(x_test), Some(y_test)) => {
            let arrays = (
                read_array("x_test", "x_test", x_test)?,
                read_array("y_test", "y_test", y_test)?,
            );
            Some(guarded(py, ErrorKind::Input, || {
                let mut dataset = match dataset {
                    Some(dataset) => dataset,
                    None => experiment.dataset()?,
                };
                dataset.test =
                    Some(experiment.test_set_from_arrays("x_test, y_test", arrays.0, arrays.1)?);
                Ok(dataset)
            })?)
        }
        _ => {
            return Err(PyValueError::new_err(
                "x_test and y_test: give both or neither",
            ))
        }
    };
    let init_description = init.as_ref().map(ToString::to_string);
    let options = TrainOptions {
        compute,
        engine,
        init,
        dataset,
    };
    let seeds = experiment.config.train.seeds;
    let mut runs = Vec::new();
    for one in seed_experiments(py, &experiment)? {
        runs.push(train_one(
            py,
            &one,
            &options,
            progress,
            init_description.clone(),
        )?);
    }
    if seeds > 1 {
        return Ok(PyList::new(py, runs)?.into_any());
    }
    Ok(runs.remove(0).into_any())
}

/// `experiment` itself, or with `train.seeds = S` > 1 one experiment per seed `seed`, …,
/// `seed + S − 1` (each with `seeds = 1`), as `overparam train` makes them for `seed-<s>/`.
fn seed_experiments(py: Python<'_>, experiment: &Experiment) -> PyResult<Vec<Experiment>> {
    let seeds = experiment.config.train.seeds;
    if seeds <= 1 {
        return Ok(vec![experiment.clone()]);
    }
    (0..seeds as u64)
        .map(|offset| {
            let mut one = experiment.config.clone();
            one.seed += offset;
            one.train.seeds = 1;
            guarded(py, ErrorKind::Input, || {
                Experiment::from_config(one)
                    .with_context(|| format!("seed {}", experiment.config.seed + offset))
            })
        })
        .collect()
}

/// Trains one seed; the dict [`train`] describes.
fn train_one<'py>(
    py: Python<'py>,
    experiment: &Experiment,
    options: &TrainOptions,
    progress: bool,
    init_description: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let compute = options.compute;
    // Only the set-up can fail here (the device, data, parameters): an error of the loop is
    // the run's result.
    let (trained, summary) = guarded(py, ErrorKind::Input, || {
        let mut watch = Watch {
            progress: step_progress_bar(experiment.resolved.train.steps, 0, !progress),
        };
        let started = Instant::now();
        let trained = train_run(experiment, options, &mut watch)?;
        watch.progress.finish_and_clear();
        let device = compute.device(&experiment.resolved.model)?;
        let mut summary = run_header(&experiment.config, compute, &device, init_description);
        if let Value::Object(fields) = trained.summary() {
            for (key, value) in fields {
                summary[key] = value;
            }
        }
        summary["wall_time_s"] = json!(started.elapsed().as_secs_f64());
        if options.dataset.is_some() {
            // The config's [data] only gave n and d: say where the samples came from.
            summary["data"] = json!("x [n, d] and y [n] given as arrays");
        }
        Ok((trained, summary))
    })?;
    if let Some(interrupt) = take_interrupt() {
        return Err(interrupt);
    }
    let out = PyDict::new(py);
    out.set_item("columns", METRIC_COLUMNS.to_vec())?;
    out.set_item("metrics", metric_columns(py, &trained.rows)?)?;
    out.set_item("params_init", arrays_dict(py, trained.initial_parameters)?)?;
    match trained.final_parameters {
        Some(parameters) => out.set_item("params_final", arrays_dict(py, parameters)?)?,
        None => out.set_item("params_final", py.None())?,
    }
    out.set_item("summary", summary.to_string())?;
    out.set_item("error", trained.result.err().map(|e| e.to_string()))?;
    Ok(out)
}

/// Column → float64 `[rows]` of the rows, NaN for an empty field.
fn metric_columns<'py>(py: Python<'py>, rows: &[MetricRecord]) -> PyResult<Bound<'py, PyDict>> {
    let values: Vec<_> = rows.iter().map(MetricRecord::values).collect();
    let columns = PyDict::new(py);
    for (index, name) in METRIC_COLUMNS.iter().enumerate() {
        let column = values
            .iter()
            .map(|row| row[index].unwrap_or(f64::NAN))
            .collect();
        let array = overparam_model::NamedArray::new(name, vec![rows.len()], column)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        columns.set_item(*name, to_numpy(py, array)?)?;
    }
    Ok(columns)
}
