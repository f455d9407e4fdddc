//! The training loop: forward, loss, backward, one gradient step per parameter group; a
//! record every `log_every` steps; stop at `steps`, at `target_loss`, or when a parameter, the
//! loss, a gradient or the kernel turns non-finite.

use burn::tensor::Tensor;
use overparam_model::Mlp;

use crate::autodiff_step::AutodiffStep;
use crate::batches::BatchSchedule;
use crate::divergence::{Divergence, FiniteLoss};
use crate::fused::{FusedStep, StepEngine};
use crate::generalization::Generalization;
use crate::metrics::{group_gradient_norms, Baseline, MetricRecord};
use crate::ntk::KernelTracker;
use crate::optimizer::{has_trained_tensor, LearningRates};
use crate::resume::{BatchOrderState, Checkpointing, LoopState};
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
    checkpointing: Checkpointing<'_>,
) -> Result<(Mlp, TrainOutcome), TrainerError> {
    let TrainStart {
        model,
        baseline,
        state,
        generalization,
    } = start;
    if !has_trained_tensor(&model) {
        return Err(TrainerError::NothingToTrain);
    }
    let first_step = state.step;
    let mut kernels =
        KernelTracker::resumed(state.initial_kernel, state.initial_lr_weighted_lambda_min);
    let ntk_due = |step: usize| spec.ntk_every > 0 && step.is_multiple_of(spec.ntk_every);
    let stochastic = matches!(spec.optimizer, Optimizer::StochasticGradientDescent { .. });
    let fused = spec.engine == StepEngine::Fused && !stochastic;
    let mut stepper = step_engine(model, &inputs, &targets, spec, state.batch_order);
    let mut last_finite: Option<FiniteLoss> = None;
    let diverged = |step, cause, last_finite| TrainerError::Diverged {
        step,
        cause,
        last_finite,
    };
    for step in first_step.. {
        if (checkpointing.interrupted)() {
            return Err(TrainerError::Interrupted { step });
        }
        if checkpointing.due(step, first_step, spec.steps) {
            let state = LoopState {
                step,
                initial_kernel: kernels.initial_kernel().map(<[f64]>::to_vec),
                initial_lr_weighted_lambda_min: kernels.initial_lr_weighted_lambda_min,
                batch_order: stepper.batch_order(),
            };
            (checkpointing.save)(stepper.network(), &state)
                .map_err(|source| TrainerError::Checkpoint { step, source })?;
        }
        // The full-batch loss and gradient: every step under GD, at logged steps under SGD.
        let scheduled = step % spec.log_every == 0 || ntk_due(step) || step == spec.steps;
        if !stochastic || scheduled {
            let loss = stepper.full_batch_loss();
            // θ_t, then L(θ_t), then ∂L/∂θ: the first of them that is non-finite, if any.
            let mut broken = stepper.divergence(loss);
            let reached_target = broken.is_none() && loss <= spec.target_loss;
            let mut stop = broken.is_some() || step == spec.steps || reached_target;
            // The kernel, movement and activity are measured at θ_t, before the update; a
            // kernel that overflows is a divergence like any other.
            let measure_kernel =
                broken.is_none() && (ntk_due(step) || (stop && spec.ntk_every > 0));
            let mut kernel = None;
            if measure_kernel {
                match kernels.measure(
                    stepper.network(),
                    inputs.clone(),
                    &spec.learning_rates,
                    fused,
                ) {
                    Ok(measured) => kernel = measured,
                    Err(TrainerError::Kernel(error)) => {
                        broken = Some(Divergence::Kernel(error));
                        stop = true;
                    }
                    Err(error) => return Err(error),
                }
            }
            if stop || scheduled {
                let snapshot = baseline.measure(stepper.network(), inputs.clone());
                let norms = group_gradient_norms(&stepper.squared_gradient_norms());
                let mut row = MetricRecord::new(step, loss, norms, snapshot, kernel);
                if broken.is_none() {
                    let measured = generalization.measure(stepper.network(), step);
                    if let Some((column, value)) = measured.first_non_finite() {
                        broken = Some(Divergence::Metric { column, value });
                    }
                    row = row.with_generalization(measured);
                }
                record(&row).map_err(TrainerError::Sink)?;
            }
            if loss.is_finite() && !matches!(broken, Some(Divergence::Parameter(_))) {
                last_finite = Some(FiniteLoss { step, loss });
            }
            if let Some(cause) = broken {
                return Err(diverged(step, cause, last_finite));
            }
            if stop {
                let outcome = TrainOutcome {
                    steps_run: step,
                    final_loss: loss,
                    reached_target,
                    initial_lr_weighted_lambda_min: kernels.initial_lr_weighted_lambda_min,
                };
                return Ok((stepper.into_network(), outcome));
            }
        }
        // The update: with the full-batch gradient under GD, on the next mini-batch under SGD
        // (θ_t and the batch's loss and gradient checked first).
        stepper
            .descend()
            .map_err(|cause| diverged(step, cause, last_finite))?;
    }
    unreachable!("the loop returns at step == steps")
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
