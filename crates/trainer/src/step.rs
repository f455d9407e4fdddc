//! One step of gradient descent, whichever engine takes it, so that the training loop
//! ([`train_from`](crate::train_from)) reads top to bottom: loss, checks, measurements, update.

use overparam_model::Mlp;

use crate::divergence::Divergence;
use crate::optimizer::SquaredGradientNorms;
use crate::resume::BatchOrderState;

/// How θ_t moves to θ_{t+1}: the autodiff step ([`AutodiffStep`](crate::AutodiffStep), GD
/// and SGD on any backend) or the fused host step ([`FusedStep`](crate::FusedStep), GD and
/// SGD on the CPU backends). Both hold θ_t and the data.
pub trait Step {
    /// L(θ_t) = (1/2n) Σ_i (f(x_i) − y_i)² on the full batch, computing ∂L/∂θ there for
    /// [`Step::divergence`], [`Step::squared_gradient_norms`] and, under GD, [`Step::descend`].
    fn full_batch_loss(&mut self) -> f64;

    /// The first of θ_t, `loss` (from [`Step::full_batch_loss`]) and ∂L/∂θ that holds a NaN
    /// or ±∞, checked in that order; `None` when all are finite.
    fn divergence(&self, loss: f64) -> Option<Divergence>;

    /// ‖∂L/∂θ‖² of the last full-batch gradient, per trained tensor.
    fn squared_gradient_norms(&self) -> SquaredGradientNorms;

    /// θ ← θ − η_θ ∂L/∂θ: under GD with the last full-batch gradient, under SGD with the
    /// gradient of the next mini-batch (θ_t, the batch's loss and its gradient are checked
    /// first: a non-finite one is the error and nothing moves).
    fn descend(&mut self) -> Result<(), Divergence>;

    /// θ_t as a Burn network (for the kernel, movement, activity and checkpoints).
    fn network(&mut self) -> &Mlp;

    /// Where SGD stands in its sample order (`None` under GD), for checkpoints.
    fn batch_order(&self) -> Option<BatchOrderState>;

    /// θ_t, ending the run.
    fn into_network(self: Box<Self>) -> Mlp;
}
