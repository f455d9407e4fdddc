//! Stopping and resuming: the state the training loop carries from one step to the next,
//! so that a run continued from a checkpoint computes bit-for-bit what the uninterrupted run
//! would have.
//!
//! The network θ_t itself travels beside it (as the model); θ_0, from which movement and sign
//! flips are measured, is rebuilt by the caller from the run's initial parameters.

use overparam_model::Mlp;
use serde::{Deserialize, Serialize};

/// Everything besides θ_t that step t of the loop depends on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoopState {
    /// The step about to be taken: θ_t has had `step` updates.
    pub step: usize,
    /// K_0 row-major `[n, n]`, once the NTK has been measured (drift is relative to it).
    #[serde(skip)]
    pub initial_kernel: Option<Vec<f64>>,
    /// λ_min(K_η) at step 0, once measured.
    pub initial_lr_weighted_lambda_min: Option<f64>,
    /// SGD's sample order; `None` under full-batch GD.
    pub batch_order: Option<BatchOrderState>,
}

/// Where SGD stands in its sample order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchOrderState {
    /// The current epoch's permutation of the sample indices.
    pub order: Vec<i64>,
    /// Index into `order` of the next batch's first sample (`order.len()`: reshuffle first).
    pub position: usize,
    /// Word position of the `Batches` ChaCha8 stream (its seed is the run's seed).
    pub rng_word_position: u128,
}

/// When the loop hands its state to a checkpoint writer.
pub struct Checkpointing<'a> {
    /// Every this many steps (0: never); never at step 0 or at the last step.
    pub every: usize,
    /// Called with θ_t and the loop state at the top of step t.
    pub save: &'a mut dyn FnMut(&Mlp, &LoopState) -> std::io::Result<()>,
    /// Asked at the top of every step, before anything is computed: `true` stops the loop
    /// there with [`TrainerError::Interrupted`](crate::TrainerError::Interrupted) (a caller's
    /// Ctrl-C, a SIGTERM), after saving a checkpoint of that step when `every` > 0 and the
    /// step is past the one this part started from. Rows already recorded stay recorded.
    pub interrupted: &'a mut dyn FnMut() -> bool,
}

impl Checkpointing<'_> {
    /// Whether a checkpoint is due at the top of `step` of a run of `steps` steps that
    /// started (or resumed) at `first_step`.
    pub fn due(&self, step: usize, first_step: usize, steps: usize) -> bool {
        self.every > 0 && step > first_step && step < steps && step.is_multiple_of(self.every)
    }
}
