//! What a caller sees of a training run while it runs.

use overparam_model::Mlp;
use overparam_trainer::{LoopState, MetricRecord};

/// Receives a training run's metrics rows as the loop logs them and its checkpoints when due,
/// and may stop it between steps; an error from either callback stops the run (it becomes the
/// run's trainer error). `()` observes nothing.
pub trait TrainObserver {
    /// One metrics row (every `train.log_every` steps, and the last step).
    fn row(&mut self, record: &MetricRecord) -> std::io::Result<()> {
        let _ = record;
        Ok(())
    }

    /// θ_t and the loop state at the top of step t, every `train.checkpoint_every` steps
    /// (never at the first or last step): enough to continue the run bit-identically.
    fn checkpoint(&mut self, model: &Mlp, state: &LoopState) -> std::io::Result<()> {
        let _ = (model, state);
        Ok(())
    }

    /// Asked at the top of every step: `true` stops the run there (its result is then
    /// `TrainerError::Interrupted`), e.g. after a Ctrl-C. Never, by default.
    fn interrupted(&mut self) -> bool {
        false
    }
}

impl TrainObserver for () {}
