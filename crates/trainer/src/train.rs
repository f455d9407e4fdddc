//! The training loop: forward, loss, backward, one gradient step per parameter group; a
//! record every `log_every` steps; stop at `steps`, at `target_loss`, or when a parameter, the
//! loss, a gradient or the kernel turns non-finite.

use burn::tensor::{Gradients, Int, Tensor, TensorData};
use rand::seq::SliceRandom;

use crate::divergence::{autodiff_divergence, first_divergence, Divergence, FiniteLoss};
use crate::fused::{FusedDescent, StepEngine};
use crate::loss::mean_squared_loss;
use crate::metrics::{group_gradient_norms, Baseline, MetricRecord};
use crate::ntk::{EmpiricalNtk, KernelTracker};
use crate::optimizer::{gradient_descent_step, has_trained_tensor, LearningRates};
use crate::resume::{BatchOrderState, Checkpointing, LoopState};
use crate::rng::{stream_rng, RngStream};
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
    /// How GD steps are computed ([`StepEngine::Fused`] applies to full-batch GD only; SGD
    /// always uses autodiff).
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
pub fn train<M: EmpiricalNtk>(
    model: M,
    inputs: Tensor<2>,
    targets: Tensor<1>,
    spec: &TrainSpec,
    record: impl FnMut(&MetricRecord) -> std::io::Result<()>,
) -> Result<(M, TrainOutcome), TrainerError> {
    let baseline = Baseline::new(&model, inputs.clone());
    let start = TrainStart {
        model,
        baseline,
        state: LoopState::default(),
    };
    let mut no_checkpoints = |_: &M, _: &LoopState| Ok(());
    let checkpointing = Checkpointing {
        every: 0,
        save: &mut no_checkpoints,
    };
    train_from(start, inputs, targets, spec, record, checkpointing)
}

/// Where [`train_from`] begins: θ_t, the baseline θ_0 and the loop state of step t (the
/// default state for a fresh run).
pub struct TrainStart<M> {
    /// The network at the start step.
    pub model: M,
    /// θ_0 and its sign pattern, measured on the initial network.
    pub baseline: Baseline,
    /// The loop's state at the start step.
    pub state: LoopState,
}

/// [`train`] from any step, handing θ_t and the loop state to `checkpointing` when due.
///
/// Resumed from a state that `checkpointing.save` received, it records exactly the rows and
/// returns exactly the network the uninterrupted run would have (same backend and dtype):
/// every quantity the loop carries is in the state.
pub fn train_from<M: EmpiricalNtk>(
    start: TrainStart<M>,
    inputs: Tensor<2>,
    targets: Tensor<1>,
    spec: &TrainSpec,
    mut record: impl FnMut(&MetricRecord) -> std::io::Result<()>,
    checkpointing: Checkpointing<'_, M>,
) -> Result<(M, TrainOutcome), TrainerError> {
    let TrainStart {
        mut model,
        baseline,
        state,
    } = start;
    if !has_trained_tensor(&model) {
        return Err(TrainerError::NothingToTrain);
    }
    let first_step = state.step;
    let mut kernels =
        KernelTracker::resumed(state.initial_kernel, state.initial_lr_weighted_lambda_min);
    let ntk_due = |step: usize| spec.ntk_every > 0 && step.is_multiple_of(spec.ntk_every);
    let mut batches = match spec.optimizer {
        Optimizer::GradientDescent => None,
        Optimizer::StochasticGradientDescent { batch_size } => Some(match state.batch_order {
            Some(order) => BatchSchedule::resumed(batch_size, order, spec.seed),
            None => BatchSchedule::new(batch_size, inputs.dims()[0], spec.seed),
        }),
    };
    let mut fused = (spec.engine == StepEngine::Fused && batches.is_none())
        .then(|| FusedDescent::new(&model, &inputs, &targets, &spec.learning_rates));
    let mut last_finite: Option<FiniteLoss> = None;
    let diverged = |step, cause, last_finite| TrainerError::Diverged {
        step,
        cause,
        last_finite,
    };
    for step in first_step.. {
        if checkpointing.due(step, first_step, spec.steps) {
            if let Some(fused) = &fused {
                model = fused.synced(&model);
            }
            let state = LoopState {
                step,
                initial_kernel: kernels.initial_kernel().map(<[f64]>::to_vec),
                initial_lr_weighted_lambda_min: kernels.initial_lr_weighted_lambda_min,
                batch_order: batches.as_ref().map(BatchSchedule::state),
            };
            (checkpointing.save)(&model, &state)
                .map_err(|source| TrainerError::Checkpoint { step, source })?;
        }
        // Full-batch loss and gradient: every step under GD, at logged steps under SGD.
        let scheduled = step % spec.log_every == 0 || ntk_due(step) || step == spec.steps;
        if batches.is_none() || scheduled {
            let (loss, grads) = match fused.as_mut() {
                Some(fused) => (fused.loss(), None),
                None => {
                    let (loss, grads) = loss_and_gradients(&model, inputs.clone(), targets.clone());
                    (loss, Some(grads))
                }
            };
            // θ_t, then L(θ_t), then ∂L/∂θ: the first of them that is non-finite, if any.
            let mut broken = match (&fused, &grads) {
                (Some(fused), _) => first_divergence(
                    || fused.first_non_finite_parameter(),
                    loss,
                    || fused.first_non_finite_gradient(),
                ),
                (None, Some(grads)) => autodiff_divergence(&model, loss, grads),
                (None, None) => unreachable!("autodiff computed gradients"),
            };
            let reached_target = broken.is_none() && loss <= spec.target_loss;
            let mut stop = broken.is_some() || step == spec.steps || reached_target;
            let measure_kernel =
                broken.is_none() && (ntk_due(step) || (stop && spec.ntk_every > 0));
            if let (Some(fused), true) = (&fused, stop || scheduled || measure_kernel) {
                model = fused.synced(&model);
            }
            // The kernel, movement and activity are measured at θ_t, before the update; a
            // kernel that overflows is a divergence like any other.
            let kernel = if measure_kernel {
                match kernels.measure(
                    &model,
                    inputs.clone(),
                    &spec.learning_rates,
                    fused.is_some(),
                ) {
                    Ok(kernel) => kernel,
                    Err(TrainerError::Kernel(error)) => {
                        broken = Some(Divergence::Kernel(error));
                        stop = true;
                        None
                    }
                    Err(error) => return Err(error),
                }
            } else {
                None
            };
            let logged = stop || scheduled;
            let apply = batches.is_none() && !stop;
            let snapshot = logged.then(|| baseline.measure(&model, inputs.clone()));
            let norms = match (fused.as_mut(), grads) {
                (Some(fused), _) => {
                    let norms = if logged {
                        fused.squared_gradient_norms()
                    } else {
                        Default::default()
                    };
                    if apply {
                        fused.descend();
                    }
                    norms
                }
                (None, Some(grads)) => {
                    let (next, norms) =
                        gradient_descent_step(model, grads, &spec.learning_rates, apply, logged);
                    model = next;
                    norms
                }
                (None, None) => unreachable!("autodiff computed gradients"),
            };
            if let Some(snapshot) = snapshot {
                let norms = group_gradient_norms(&norms);
                let entry = MetricRecord::new(step, loss, norms, snapshot, kernel);
                record(&entry).map_err(TrainerError::Sink)?;
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
                return Ok((model, outcome));
            }
        }
        // The SGD update, on the next mini-batch (θ_t and the batch's loss and gradient
        // checked first, as above).
        if let Some(schedule) = batches.as_mut() {
            let (batch_inputs, batch_targets) = schedule.next(inputs.clone(), targets.clone());
            let (loss, grads) = loss_and_gradients(&model, batch_inputs, batch_targets);
            if let Some(cause) = autodiff_divergence(&model, loss, &grads) {
                return Err(diverged(step, cause, last_finite));
            }
            model = gradient_descent_step(model, grads, &spec.learning_rates, true, false).0;
        }
    }
    unreachable!("the loop returns at step == steps")
}

/// Forward and backward on one batch: (L as f64, gradients).
fn loss_and_gradients<M: overparam_model::Network>(
    model: &M,
    inputs: Tensor<2>,
    targets: Tensor<1>,
) -> (f64, Gradients) {
    let loss = mean_squared_loss(model.forward(inputs), targets);
    let value: f64 = loss.clone().into_scalar();
    (value, loss.backward())
}

/// SGD's sample order: consecutive batches of a fresh random permutation each epoch.
struct BatchSchedule {
    batch_size: usize,
    order: Vec<i64>,
    position: usize,
    rng: rand_chacha::ChaCha8Rng,
}

impl BatchSchedule {
    /// A schedule that shuffles before its first batch.
    fn new(batch_size: usize, num_samples: usize, seed: u64) -> Self {
        let order = (0..num_samples as i64).collect();
        let rng = stream_rng(seed, RngStream::Batches);
        Self {
            batch_size,
            order,
            position: num_samples,
            rng,
        }
    }

    /// The schedule where a checkpoint left it.
    fn resumed(batch_size: usize, state: BatchOrderState, seed: u64) -> Self {
        let mut rng = stream_rng(seed, RngStream::Batches);
        rng.set_word_pos(state.rng_word_position);
        Self {
            batch_size,
            order: state.order,
            position: state.position,
            rng,
        }
    }

    /// What [`BatchSchedule::resumed`] needs to continue from here.
    fn state(&self) -> BatchOrderState {
        BatchOrderState {
            order: self.order.clone(),
            position: self.position,
            rng_word_position: self.rng.get_word_pos(),
        }
    }

    /// The next batch of `inputs` `[n, d]` and `targets` `[n]`.
    fn next(&mut self, inputs: Tensor<2>, targets: Tensor<1>) -> (Tensor<2>, Tensor<1>) {
        if self.position >= self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.position = 0;
        }
        let end = (self.position + self.batch_size).min(self.order.len());
        let chosen = self.order[self.position..end].to_vec();
        self.position = end;
        let count = chosen.len();
        let indices =
            Tensor::<1, Int>::from_data(TensorData::new(chosen, [count]), &inputs.device());
        (
            inputs.select(0, indices.clone()),
            targets.select(0, indices),
        )
    }
}
