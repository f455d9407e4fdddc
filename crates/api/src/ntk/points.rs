//! The points a kernel is computed on: the training inputs (the config's data or given
//! inputs) and, for cross kernels and predictions, held-out inputs (the config's held-out
//! points or given ones) with the targets the predictions need.

use anyhow::{bail, ensure, Context};
use overparam_model::NamedArray;
use overparam_trainer::data::check_finite;

use super::{inputs, NtkRequest};
use crate::experiment::Experiment;

/// Given held-out inputs and targets (with given inputs `x`), in place of the config's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GivenPoints {
    /// y `[n]`, which predictions need.
    pub targets: Option<NamedArray>,
    /// X_test `[n_test, d]`: the cross kernels K(X_test, X) are computed on them.
    pub test_inputs: Option<NamedArray>,
    /// y_test `[n_test]`, for the predictions' held-out loss.
    pub test_targets: Option<NamedArray>,
}

/// Inputs and the targets predictions need, row-major on the host in f64.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelPoints {
    /// X `[n, d]`.
    pub train: Vec<f64>,
    /// Number of training points n.
    pub num_samples: usize,
    /// X_test `[n_test, d]` (empty: no cross kernels).
    pub test: Vec<f64>,
    /// Number of held-out points n_test.
    pub num_test: usize,
    /// y `[n]`.
    pub targets: Option<Vec<f64>>,
    /// y_test `[n_test]`.
    pub test_targets: Option<Vec<f64>>,
}

impl KernelPoints {
    /// The points `request` asks for: given arrays (checked for shape and finiteness, errors
    /// naming the array), else the config's data and, with a ridge (predictions), its held-out
    /// points (`data.n_test` or `data.test_path`).
    pub fn of(experiment: &Experiment, request: &NtkRequest) -> anyhow::Result<Self> {
        let input_dim = experiment.resolved.model.input_dim;
        let given = &request.given;
        let points = match &request.inputs {
            Some(x) => {
                inputs::check_inputs("x", x, input_dim)?;
                let n = x.shape[0];
                let test = match &given.test_inputs {
                    Some(x_test) => {
                        inputs::check_inputs("x_test", x_test, input_dim)?;
                        ensure!(
                            x_test.shape[0] > 0,
                            "x_test has no rows: give at least one held-out input"
                        );
                        x_test.clone()
                    }
                    None => NamedArray::new("x_test", vec![0, input_dim], Vec::new())?,
                };
                let n_test = test.shape[0];
                Self {
                    train: x.values.clone(),
                    num_samples: n,
                    test: test.values,
                    num_test: n_test,
                    targets: vector(given.targets.as_ref(), n)?,
                    test_targets: vector(given.test_targets.as_ref(), n_test)?,
                }
            }
            None => {
                if *given != GivenPoints::default() {
                    bail!("held-out points and targets are given with inputs x; without x the config's data and held-out points are used");
                }
                Self::of_config(experiment, request.ridge.is_some())?
            }
        };
        if request.ridge.is_some() {
            ensure!(
                points.targets.is_some(),
                "predictions need the training targets y: given inputs (ntk --data) have none; predict on the config's data and held-out points, or pass y (the Python module's predict)"
            );
            ensure!(
                points.num_test > 0,
                "predictions are made on held-out inputs: give x_test (the Python module's predict)"
            );
        }
        Ok(points)
    }

    /// The config's data and, when `held_out`, its held-out points.
    fn of_config(experiment: &Experiment, held_out: bool) -> anyhow::Result<Self> {
        let dataset = experiment.dataset()?;
        let mut points = Self {
            num_samples: dataset.num_samples,
            train: dataset.inputs,
            test: Vec::new(),
            num_test: 0,
            targets: Some(dataset.targets),
            test_targets: None,
        };
        if held_out {
            let test = dataset.test.context(
                "predictions are made on held-out points: set data.n_test (drawn like the training points) or data.test_path (an .npz with x and y)",
            )?;
            points.num_test = test.num_samples;
            points.test = test.inputs;
            points.test_targets = Some(test.targets);
        }
        Ok(points)
    }
}

/// The values of `array` after checking it is `[rows]` and finite.
fn vector(array: Option<&NamedArray>, rows: usize) -> anyhow::Result<Option<Vec<f64>>> {
    let Some(array) = array else {
        return Ok(None);
    };
    ensure!(
        array.shape == [rows],
        "array `{}` has shape {:?}, expected [{rows}]",
        array.name,
        array.shape
    );
    check_finite(&array.name, array)?;
    Ok(Some(array.values.clone()))
}
