//! A finished training run as values: its outcome or error, rows, parameters and the summary
//! fields the command line writes to `summary.json`.

use overparam_model::{NamedArray, ParameterId};
use overparam_sweep::columns::{LIN_DISTANCE, LOSS_LIN, TEST_LIN_DISTANCE, TEST_LOSS_LIN};
use overparam_trainer::{
    fitted_loss_rate, predicted_loss_rate, FiniteLoss, MetricRecord, StepEngine, TrainOutcome,
    TrainerError,
};
use serde_json::{json, Value};

use crate::config::ResolvedRun;

/// What a training run produced.
#[derive(Debug)]
pub struct TrainRun {
    /// The engine that computed the steps.
    pub engine: StepEngine,
    /// How it ended: the outcome, or the trainer's error (divergence, a failed observer).
    pub result: Result<TrainOutcome, TrainerError>,
    /// The metrics rows logged by this call, in order.
    pub rows: Vec<MetricRecord>,
    /// (step, loss) of every logged row, those of a resumed run's first part included.
    pub loss_curve: Vec<(usize, f64)>,
    /// θ_0: `w1` `[m_1, d]`, `b1` `[m_1]`, …, `a` `[m_L]`.
    pub initial_parameters: Vec<NamedArray>,
    /// The trained parameters, in the same order and shapes; `None` where the run failed.
    pub final_parameters: Option<Vec<NamedArray>>,
    /// The step a resumed run continued from (`None` for a run from step 0).
    pub resumed_from: Option<usize>,
    /// The rate each tensor descends with, keyed `w1`, `b1`, …, `a`.
    pub learning_rates: Value,
    /// Number of samples n (for the predicted loss rate).
    pub num_samples: usize,
    /// With `train.linearized` and held-out points: `summary.json`'s `kernel_regression`.
    pub kernel_regression: Option<Value>,
}

impl TrainRun {
    /// The last finite loss and its step: the outcome's final loss, or after a failure the
    /// diverged run's last finite loss (every step's under GD) or else the last finite logged
    /// one, so that a failed run still says how far it got.
    pub fn last_finite(&self) -> Option<FiniteLoss> {
        match &self.result {
            Ok(outcome) => Some(FiniteLoss {
                step: outcome.steps_run,
                loss: outcome.final_loss,
            }),
            Err(error) => match error {
                TrainerError::Diverged { last_finite, .. } => *last_finite,
                _ => None,
            }
            .or_else(|| {
                let (step, loss) = self.loss_curve.iter().rev().find(|(_, l)| l.is_finite())?;
                Some(FiniteLoss {
                    step: *step,
                    loss: *loss,
                })
            }),
        }
    }

    /// The fields of `summary.json` this run decides: `status` (`ok`, `failed`, or
    /// `interrupted` when the loop was asked to stop), `error`,
    /// `engine`, `learning_rates`, `resumed_from_step`, `steps_run`, `final_loss`, and either
    /// `reached_target` and `linear_rate` or `diverged_at_step`.
    pub fn summary(&self) -> Value {
        let mut summary = json!({
            "resumed_from_step": self.resumed_from,
            "engine": self.engine.name(),
            "learning_rates": self.learning_rates,
        });
        self.add_generalization(&mut summary);
        match &self.result {
            Ok(outcome) => {
                summary["steps_run"] = json!(outcome.steps_run);
                summary["final_loss"] = json!(outcome.final_loss);
                summary["reached_target"] = json!(outcome.reached_target);
                summary["linear_rate"] = self.linear_rate(outcome);
                summary["status"] = json!("ok");
            }
            Err(error) => {
                // An interrupted run is unfinished, not failed: a sweep runs it again.
                let interrupted = matches!(error, TrainerError::Interrupted { .. });
                summary["status"] = json!(if interrupted { "interrupted" } else { "failed" });
                summary["error"] = json!(error.to_string());
                let last_finite = self.last_finite();
                summary["steps_run"] = json!(last_finite.map(|f| f.step));
                summary["final_loss"] = json!(last_finite.map(|f| f.loss));
                if let TrainerError::Diverged { step, .. } = error {
                    summary["diverged_at_step"] = json!(step);
                }
            }
        }
        summary
    }

    /// `final_test_loss` and, with the linearized network, `final_linearized` (its columns in
    /// the last logged row) and `kernel_regression`, when measured.
    fn add_generalization(&self, summary: &mut Value) {
        let Some(last) = self.rows.last().map(|row| &row.generalization) else {
            return;
        };
        if let Some(test_loss) = last.test_loss {
            summary["final_test_loss"] = json!(test_loss);
        }
        if let Some(linear) = &last.linearized {
            summary["final_linearized"] = json!({
                LOSS_LIN: linear.loss,
                TEST_LOSS_LIN: linear.test_loss,
                LIN_DISTANCE: linear.distance,
                TEST_LIN_DISTANCE: linear.test_distance,
            });
        }
        if let Some(regression) = &self.kernel_regression {
            summary["kernel_regression"] = regression.clone();
        }
    }

    /// The per-step loss factor predicted by λ_min(K_η) at step 0 (when `ntk_every` > 0)
    /// beside the one fitted to the second half of the logged loss curve.
    fn linear_rate(&self, outcome: &TrainOutcome) -> Value {
        let lambda = outcome.initial_lr_weighted_lambda_min;
        json!({
            "lr_weighted_lambda_min_0": lambda,
            "predicted_per_step": lambda.map(|l| predicted_loss_rate(l, self.num_samples)),
            "observed_per_step": fitted_loss_rate(&self.loss_curve),
        })
    }
}

/// The rate each tensor descends with (`w1`, `b1`, …, `a`; after `train.lr` or
/// `lr_w`/`lr_b`/`lr_a`, whichever the config used), so the summary shows what was applied.
pub(crate) fn applied_rates(resolved: &ResolvedRun) -> Value {
    let rates = &resolved.train.learning_rates;
    ParameterId::all(resolved.model.depth())
        .into_iter()
        .map(|id| (id.to_string(), json!(rates.for_parameter(id))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}
