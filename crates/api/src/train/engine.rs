//! How `train` computes its steps: the `--engine` choice and the engine it selects.

use anyhow::ensure;
use overparam_trainer::{Optimizer, StepEngine, TrainSpec};

use crate::backend::BackendKind;

/// How `train` computes full-batch GD steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    /// `fused` where it applies (full-batch GD on flex or ndarray), else `autodiff`.
    Auto,
    /// Burn autodiff on the chosen backend: every optimizer and backend (the reference).
    Autodiff,
    /// The hand-derived, fused CPU step (full-batch GD on a CPU backend only).
    Fused,
}

/// The engine `choice` selects for `train` on `backend`; `fused` where it does not apply is
/// an error that says what to use.
pub fn engine_for(
    choice: EngineChoice,
    backend: BackendKind,
    train: &TrainSpec,
) -> anyhow::Result<StepEngine> {
    let applies = train.optimizer == Optimizer::GradientDescent && backend.is_cpu();
    Ok(match choice {
        EngineChoice::Autodiff => StepEngine::Autodiff,
        EngineChoice::Auto if !applies => StepEngine::Autodiff,
        EngineChoice::Auto => StepEngine::Fused,
        EngineChoice::Fused => {
            ensure!(
                applies,
                "--engine fused needs full-batch GD (train.optimizer = \"gd\") on a CPU backend \
                 (--backend flex or ndarray); use --engine autodiff (or auto) here"
            );
            StepEngine::Fused
        }
    })
}
