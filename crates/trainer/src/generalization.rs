//! What the training loop measures beyond the training set: the loss on held-out points and,
//! with a [`Linearization`], the linearized network's losses and its distance from the
//! network, at every logged step.

use overparam_model::Mlp;
use overparam_sweep::columns::{
    LIN_DISTANCE, LOSS_LIN, TEST_LIN_DISTANCE, TEST_LOSS, TEST_LOSS_LIN,
};

use crate::data::TestSet;
use crate::linearized::{network_outputs, LinearizedRecord};
use crate::mean_squared_loss_of;
use crate::Linearization;

/// The held-out points and the linearization a run measures against (either may be absent).
#[derive(Default)]
pub struct Generalization {
    /// The inputs the network is evaluated on at each logged step, row-major: X `[n, d]` (only
    /// with a linearization, which compares f_t(X)), then X_test `[n_test, d]`; stacked once.
    inputs: Vec<f64>,
    test: Option<TestSet>,
    linearization: Option<Linearization>,
}

/// The held-out and linearized columns of one logged step.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GeneralizationRecord {
    /// (1/2n_test) Σ (f_t(x) − y)² over the held-out points.
    pub test_loss: Option<f64>,
    /// The linearized network's columns.
    pub linearized: Option<LinearizedRecord>,
}

impl Generalization {
    /// Nothing beyond the training set.
    pub fn none() -> Self {
        Self::default()
    }

    /// Measures the held-out loss on `test` and, with `linearization` (made at θ_0 on the
    /// training inputs `train_inputs` `[n, d]` and the same `test`), the linearized network.
    pub fn new(
        train_inputs: &[f64],
        test: Option<TestSet>,
        linearization: Option<Linearization>,
    ) -> Self {
        let train = match linearization {
            Some(_) => train_inputs,
            None => &[],
        };
        let test_inputs = test.as_ref().map_or(&[][..], |t| &t.inputs[..]);
        Self {
            inputs: train.iter().chain(test_inputs).copied().collect(),
            test,
            linearization,
        }
    }

    /// The columns at `step` for the network θ_t.
    pub(crate) fn measure(&self, network: &Mlp, step: usize) -> GeneralizationRecord {
        if self.test.is_none() && self.linearization.is_none() {
            return GeneralizationRecord::default();
        }
        let outputs = network_outputs(network, &self.inputs);
        let (train, test) =
            outputs.split_at(outputs.len() - self.test.as_ref().map_or(0, |t| t.num_samples));
        let test_outputs = self.test.as_ref().map(|_| test);
        GeneralizationRecord {
            test_loss: self
                .test
                .as_ref()
                .map(|t| mean_squared_loss_of(test, &t.targets)),
            linearized: self
                .linearization
                .as_ref()
                .map(|linear| linear.record(step, train, test_outputs)),
        }
    }
}

impl GeneralizationRecord {
    /// The first column (by its `metrics.csv` name) whose value is NaN or ±∞.
    pub fn first_non_finite(&self) -> Option<(&'static str, f64)> {
        let linear = self.linearized.as_ref();
        [
            (TEST_LOSS, self.test_loss),
            (LOSS_LIN, linear.map(|l| l.loss)),
            (TEST_LOSS_LIN, linear.and_then(|l| l.test_loss)),
            (LIN_DISTANCE, linear.map(|l| l.distance)),
            (TEST_LIN_DISTANCE, linear.and_then(|l| l.test_distance)),
        ]
        .into_iter()
        .find_map(|(column, value)| value.filter(|v| !v.is_finite()).map(|v| (column, v)))
    }
}
