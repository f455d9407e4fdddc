//! The autodiff step: forward, backward by Burn autodiff on the network's device, and one
//! gradient step per parameter tensor; full-batch GD or mini-batch SGD, on any backend. The
//! reference the fused host step is held to.

use burn::tensor::{Gradients, Tensor};
use overparam_model::Mlp;

use crate::batches::BatchSchedule;
use crate::divergence::{autodiff_divergence, Divergence};
use crate::loss::mean_squared_loss;
use crate::optimizer::SquaredGradientNorms;
use crate::optimizer::{gradient_descent_step, squared_gradient_norms, LearningRates};
use crate::resume::BatchOrderState;
use crate::step::Step;

/// θ_t on an autodiff device with the data and, under SGD, the batch order.
pub struct AutodiffStep {
    /// θ_t; `None` only while an update replaces it.
    network: Option<Mlp>,
    inputs: Tensor<2>,
    targets: Tensor<1>,
    rates: LearningRates,
    /// The gradient of the last [`Step::full_batch_loss`].
    gradients: Option<Gradients>,
    /// `None`: full-batch GD; `Some`: SGD on this sample order.
    batches: Option<BatchSchedule>,
}

impl AutodiffStep {
    /// A step for `network` (on an autodiff device) on `inputs` `[n, d]`, `targets` `[n]`
    /// with `rates`; `batches` for SGD.
    pub(crate) fn new(
        network: Mlp,
        inputs: Tensor<2>,
        targets: Tensor<1>,
        rates: &LearningRates,
        batches: Option<BatchSchedule>,
    ) -> Self {
        Self {
            network: Some(network),
            inputs,
            targets,
            rates: rates.clone(),
            gradients: None,
            batches,
        }
    }

    fn current(&self) -> &Mlp {
        self.network
            .as_ref()
            .expect("θ_t is in place between updates")
    }

    /// θ ← θ − η ∂L/∂θ with `gradients`.
    fn apply(&mut self, gradients: Gradients) {
        let network = self
            .network
            .take()
            .expect("θ_t is in place between updates");
        let (next, _) = gradient_descent_step(network, gradients, &self.rates, true, false);
        self.network = Some(next);
    }
}

/// Forward and backward on one batch: (L as f64, ∂L/∂θ).
fn loss_and_gradients(network: &Mlp, inputs: Tensor<2>, targets: Tensor<1>) -> (f64, Gradients) {
    let loss = mean_squared_loss(network.forward(inputs), targets);
    let value: f64 = loss.clone().into_scalar();
    (value, loss.backward())
}

impl Step for AutodiffStep {
    fn full_batch_loss(&mut self) -> f64 {
        let (loss, gradients) =
            loss_and_gradients(self.current(), self.inputs.clone(), self.targets.clone());
        self.gradients = Some(gradients);
        loss
    }

    fn divergence(&self, loss: f64) -> Option<Divergence> {
        let gradients = self.gradients.as_ref().expect("full_batch_loss came first");
        autodiff_divergence(self.current(), loss, gradients)
    }

    fn squared_gradient_norms(&self) -> SquaredGradientNorms {
        let gradients = self.gradients.as_ref().expect("full_batch_loss came first");
        squared_gradient_norms(self.current(), gradients)
    }

    fn descend(&mut self) -> Result<(), Divergence> {
        let full_batch = self.gradients.take();
        let Some(schedule) = self.batches.as_mut() else {
            self.apply(full_batch.expect("full_batch_loss came first under GD"));
            return Ok(());
        };
        let (inputs, targets) = schedule.next(self.inputs.clone(), self.targets.clone());
        let (loss, gradients) = loss_and_gradients(self.current(), inputs, targets);
        if let Some(cause) = autodiff_divergence(self.current(), loss, &gradients) {
            return Err(cause);
        }
        self.apply(gradients);
        Ok(())
    }

    fn network(&mut self) -> &Mlp {
        self.current()
    }

    fn batch_order(&self) -> Option<BatchOrderState> {
        self.batches.as_ref().map(BatchSchedule::state)
    }

    fn into_network(self: Box<Self>) -> Mlp {
        self.network.expect("θ_t is in place between updates")
    }
}
