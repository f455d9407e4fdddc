//! The training loop: forward, loss, backward, one gradient step per parameter group; a
//! record every `log_every` steps; stop at `steps`, at `target_loss`, or when a parameter, the
//! loss, a gradient or the kernel turns non-finite.

use burn::tensor::Tensor;
use overparam_model::Mlp;

use crate::autodiff_step::AutodiffStep;
use crate::batches::BatchSchedule;
use crate::fused::{FusedStep, StepEngine};
use crate::generalization::Generalization;
use crate::metrics::{Baseline, MetricRecord};
use crate::optimizer::LearningRates;
use crate::resume::{BatchOrderState, Checkpointing, LoopState};
use crate::run_loop::{RunLoop, Visit};
use crate::step::Step;
use crate::TrainerError;

/// Full-batch gradient descent or mini-batch SGD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimizer {
    /// Every step uses all n samples.
    GradientDescent,
    /// Every step uses `batch_size` samples; batches run through a fresh random permutation
    /// of the samples each epoch (the last, short batch of an epoch is used too).
    StochasticGradientDescent {
        /// Samples per step, 1 ≤ batch_size ≤ n.
        batch_size: usize,
    },
}

/// A validated training schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSpec {
    /// GD or SGD.
    pub optimizer: Optimizer,
    /// Maximum number of gradient steps.
    pub steps: usize,
    /// η per parameter group.
    pub learning_rates: LearningRates,
    /// Record metrics every this many steps (≥ 1); step 0 and the last step are always recorded.
    pub log_every: usize,
    /// Stop as soon as the full-batch loss is ≤ this (checked every step under GD, at logged
    /// steps under SGD).
    pub target_loss: f64,
    /// Seed of the SGD batch order.
    pub seed: u64,
    /// Track the NTK (λ_min, λ_max, drift) every this many steps and at the last step; 0: never.
    pub ntk_every: usize,
    /// How GD and SGD steps are computed ([`StepEngine::Fused`]: on the host, for models on
    /// a CPU backend; [`StepEngine::Autodiff`]: any backend).
    pub engine: StepEngine,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOutcome {
    /// Gradient steps applied.
    pub steps_run: usize,
    /// Full-batch loss of the final network.
    pub final_loss: f64,
    /// Whether the run stopped because the loss reached `target_loss`.
    pub reached_target: bool,
    /// λ_min of the learning-rate-weighted kernel K_η at step 0, when the NTK was tracked.
    pub initial_lr_weighted_lambda_min: Option<f64>,
}

/// Trains `model` on `inputs` `[n, d]`, `targets` `[n]` (on an autodiff device), calling
/// `record` with each logged [`MetricRecord`] as soon as it is measured.
///
/// When θ_t, the loss, a gradient or the kernel turns NaN/±Inf the step is recorded and
/// [`TrainerError::Diverged`] names it, the tensor and the last finite loss; records already
/// passed to `record` stay wherever it put them. A network with every tensor frozen is
/// [`TrainerError::NothingToTrain`].
pub fn train(
    model: Mlp,
    inputs: Tensor<2>,
    targets: Tensor<1>,
    spec: &TrainSpec,
    record: impl FnMut(&MetricRecord) -> std::io::Result<()>,
) -> Result<(Mlp, TrainOutcome), TrainerError> {
    let baseline = Baseline::new(&model, inputs.clone());
    let start = TrainStart {
        model,
        baseline,
        state: LoopState::default(),
        generalization: Generalization::none(),
    };
    let mut no_checkpoints = |_: &Mlp, _: &LoopState| Ok(());
    let checkpointing = Checkpointing {
        every: 0,
        save: &mut no_checkpoints,
        interrupted: &mut || false,
    };
    train_from(start, inputs, targets, spec, record, checkpointing)
}

/// Where [`train_from`] begins: θ_t, the baseline θ_0 and the loop state of step t (the
/// default state for a fresh run).
pub struct TrainStart {
    /// The network at the start step.
    pub model: Mlp,
    /// θ_0 and its sign pattern, measured on the initial network.
    pub baseline: Baseline,
    /// The loop's state at the start step.
    pub state: LoopState,
    /// Held-out points and the linearization at θ_0, measured at every logged step.
    pub generalization: Generalization,
}

/// [`train`] from any step, handing θ_t and the loop state to `checkpointing` when due.
///
/// Resumed from a state that `checkpointing.save` received, it records exactly the rows and
/// returns exactly the network the uninterrupted run would have (same backend and dtype):
/// every quantity the loop carries is in the state.
pub fn train_from(
    start: TrainStart,
    inputs: Tensor<2>,
    targets: Tensor<1>,
    spec: &TrainSpec,
    mut record: impl FnMut(&MetricRecord) -> std::io::Result<()>,
    mut checkpointing: Checkpointing<'_>,
) -> Result<(Mlp, TrainOutcome), TrainerError> {
    let (mut run, model, batch_order) = RunLoop::new(start, inputs.clone(), spec)?;
    let mut stepper = step_engine(model, &inputs, &targets, spec, batch_order);
    loop {
        match run.visit(stepper.as_mut(), &mut record, &mut checkpointing)? {
            Visit::Stop(outcome) => return Ok((stepper.into_network(), outcome)),
            // The update: with the full-batch gradient under GD, on the next mini-batch under
            // SGD (θ_t and the batch's loss and gradient checked first).
            Visit::Descend => run.descended(stepper.descend())?,
        }
    }
}

/// The step engine `spec` asks for, starting at `model` (on an autodiff device) with
/// `inputs` `[n, d]` and `targets` `[n]`: the fused host step with [`StepEngine::Fused`], else
/// autodiff; under SGD both take the batches of one batch schedule, continuing
/// `batch_order` when resumed.
pub fn step_engine(
    model: Mlp,
    inputs: &Tensor<2>,
    targets: &Tensor<1>,
    spec: &TrainSpec,
    batch_order: Option<BatchOrderState>,
) -> Box<dyn Step> {
    let batches = match spec.optimizer {
        Optimizer::GradientDescent => None,
        Optimizer::StochasticGradientDescent { batch_size } => Some(match batch_order {
            Some(order) => BatchSchedule::resumed(batch_size, order, spec.seed),
            None => BatchSchedule::new(batch_size, inputs.dims()[0], spec.seed),
        }),
    };
    if spec.engine == StepEngine::Fused {
        let fused = FusedStep::new(model, inputs, targets, &spec.learning_rates);
        return match batches {
            Some(batches) => Box::new(fused.with_batches(batches)),
            None => Box::new(fused),
        };
    }
    Box::new(AutodiffStep::new(
        model,
        inputs.clone(),
        targets.clone(),
        &spec.learning_rates,
        batches,
    ))
}
