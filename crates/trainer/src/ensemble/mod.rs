//! S runs on the same data trained in lockstep by one stacked engine
//! ([`overparam_cpu::HostEnsemble`]): each step one batched loss and gradient for every seed,
//! then each running seed's [`RunLoop`] visits its own view of the batch (a [`Step`] whose
//! Burn network is rebuilt from the host values only where the loop asks for it), then every
//! seed that goes on descends. A seed that stops (step limit, target loss, divergence) drops
//! out with the result its own fused run gives, to rounding.
//!
//! [`Step`]: crate::Step

mod stacked;

use burn::tensor::Tensor;
use overparam_model::Mlp;

use crate::fused::StepEngine;
use crate::metrics::MetricRecord;
use crate::resume::Checkpointing;
use crate::run_loop::{RunLoop, Visit};
use crate::train::{Optimizer, TrainOutcome, TrainSpec, TrainStart};
use crate::TrainerError;
use stacked::{SeedNetwork, SeedView, Stacked};

/// One run of an ensemble: where it starts and where its rows and checkpoints go.
pub struct EnsembleMember<'a> {
    /// θ_t, θ_0's baseline, the loop state and the held-out points of this run.
    pub start: TrainStart,
    /// Receives each logged row of this run.
    pub record: Box<dyn FnMut(&MetricRecord) -> std::io::Result<()> + 'a>,
    /// This run's checkpoints and interrupt.
    pub checkpointing: Checkpointing<'a>,
}

/// What one member's run gave: θ at the end and how it ended, or its error.
pub type MemberResult = Result<(Mlp, TrainOutcome), TrainerError>;

/// Whether [`train_ensemble`] can train networks configured like `model` under `spec`:
/// full-batch GD with the fused engine and one hidden layer.
pub fn stackable(model: &Mlp, spec: &TrainSpec) -> bool {
    spec.optimizer == Optimizer::GradientDescent
        && spec.engine == StepEngine::Fused
        && model.depth() == 1
}

/// Trains every member on the shared `inputs` `[n, d]`, `targets` `[n]` as one stacked
/// computation (see the module doc); each member's result is what
/// [`train_from`](crate::train_from) with the fused engine gives it, to rounding. The outer
/// error, before any step, is [`TrainerError::NothingToTrain`] (all tensors frozen) or
/// [`TrainerError::NotStackable`] (see [`stackable`]; networks of different shapes).
pub fn train_ensemble(
    members: Vec<EnsembleMember<'_>>,
    inputs: Tensor<2>,
    targets: Tensor<1>,
    spec: &TrainSpec,
) -> Result<Vec<MemberResult>, TrainerError> {
    let mut runs = Vec::new();
    let mut sinks = Vec::new();
    let mut networks = Vec::new();
    for member in members {
        let (run, model, _) = RunLoop::new(member.start, inputs.clone(), spec)?;
        if !stackable(&model, spec) {
            return Err(TrainerError::NotStackable(
                "stacked training needs full-batch GD, the fused engine and one hidden layer"
                    .into(),
            ));
        }
        runs.push(run);
        sinks.push((member.record, member.checkpointing));
        networks.push(SeedNetwork::new(model));
    }
    let mut engine = Stacked::new(&networks, &inputs, &targets, spec)?;
    let mut results: Vec<Option<MemberResult>> = networks.iter().map(|_| None).collect();
    let mut moving = vec![true; networks.len()];
    while moving.contains(&true) {
        engine.losses_and_gradients();
        for (seed, moves) in moving.iter_mut().enumerate().filter(|(_, m)| **m) {
            let (record, checkpointing) = &mut sinks[seed];
            let mut view = SeedView::new(&engine, seed, &mut networks[seed]);
            match runs[seed].visit(&mut view, record.as_mut(), checkpointing) {
                Ok(Visit::Descend) => continue,
                Ok(Visit::Stop(outcome)) => results[seed] = Some(Ok((view.take(), outcome))),
                Err(error) => results[seed] = Some(Err(error)),
            }
            *moves = false;
        }
        engine.descend(&moving);
        for (seed, _) in moving.iter().enumerate().filter(|(_, m)| **m) {
            networks[seed].moved();
            runs[seed].descended(Ok(()))?;
        }
    }
    Ok(results
        .into_iter()
        .map(|result| result.expect("every seed stops before the loop ends"))
        .collect())
}
