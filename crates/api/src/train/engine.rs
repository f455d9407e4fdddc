//! How `train` computes its steps: the `--engine` choice and the engine it selects.

use anyhow::ensure;
use overparam_trainer::StepEngine;

use crate::backend::BackendKind;

/// How `train` computes its GD or SGD steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    /// `fused` where it applies (GD or SGD on flex or ndarray), else `autodiff`.
    Auto,
    /// Burn autodiff on the chosen backend: every optimizer and backend (the reference).
    Autodiff,
    /// The hand-derived, fused CPU step (GD or SGD on a CPU backend only).
    Fused,
}

/// The engine `choice` selects for `train` (GD or SGD) on `backend`; `fused` where it does not
/// apply (a GPU backend) is an error that says what to use.
pub fn engine_for(choice: EngineChoice, backend: BackendKind) -> anyhow::Result<StepEngine> {
    let applies = backend.is_cpu();
    Ok(match choice {
        EngineChoice::Autodiff => StepEngine::Autodiff,
        EngineChoice::Auto if !applies => StepEngine::Autodiff,
        EngineChoice::Auto => StepEngine::Fused,
        EngineChoice::Fused => {
            ensure!(
                applies,
                "--engine fused needs a CPU backend (--backend flex or ndarray); use --engine \
                 autodiff (or auto) here"
            );
            StepEngine::Fused
        }
    })
}
