//! The points a kernel is computed on: the training inputs (the config's data or given
//! inputs) and, for predictions, the config's held-out points with both sets' targets.

use anyhow::{bail, Context};

use super::{inputs, NtkRequest};
use crate::experiment::Experiment;

/// Inputs and, where predictions are asked for, targets, row-major on the host in f64.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelPoints {
    /// X `[n, d]`.
    pub train: Vec<f64>,
    /// Number of training points n.
    pub num_samples: usize,
    /// X_test `[n_test, d]` (empty without predictions).
    pub test: Vec<f64>,
    /// y `[n]` and y_test `[n_test]`, with predictions.
    pub targets: Option<(Vec<f64>, Vec<f64>)>,
}

impl KernelPoints {
    /// The points `request` needs from `experiment`: given inputs or the config's data, and
    /// with `ridge` the config's held-out points (`data.n_test` or `data.test_path`), which
    /// predictions need.
    pub fn of(experiment: &Experiment, request: &NtkRequest) -> anyhow::Result<Self> {
        let input_dim = experiment.resolved.model.input_dim;
        if let Some(x) = &request.inputs {
            if request.ridge.is_some() {
                bail!("predictions need targets: they use the config's data and held-out points, not given inputs (drop --data, or set data.path and data.test_path)");
            }
            inputs::check_inputs("inputs", x, input_dim)?;
            return Ok(Self {
                train: x.values.clone(),
                num_samples: x.shape[0],
                test: Vec::new(),
                targets: None,
            });
        }
        let dataset = experiment.dataset()?;
        let mut points = Self {
            num_samples: dataset.num_samples,
            train: dataset.inputs,
            test: Vec::new(),
            targets: None,
        };
        if request.ridge.is_some() {
            let test = dataset.test.context(
                "predictions are made on held-out points: set data.n_test (drawn like the training points) or data.test_path (an .npz with x and y)",
            )?;
            points.test = test.inputs;
            points.targets = Some((dataset.targets, test.targets));
        }
        Ok(points)
    }

    /// Number of held-out points n_test (0 without predictions).
    pub fn num_test(&self) -> usize {
        self.targets.as_ref().map_or(0, |(_, test)| test.len())
    }
}
