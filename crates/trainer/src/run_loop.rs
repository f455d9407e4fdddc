//! One run's side of the training loop, step by step: at the top of step t the interrupt and
//! checkpoint, the full-batch loss and its checks, the kernel and the metrics row, and the
//! decision to stop or descend. The update itself is the caller's, so that one engine can
//! drive one run ([`train_from`](crate::train_from)) or many in lockstep
//! ([`train_ensemble`](crate::train_ensemble)).

use burn::tensor::Tensor;

use crate::divergence::{Divergence, FiniteLoss};
use crate::fused::StepEngine;
use crate::generalization::Generalization;
use crate::metrics::{group_gradient_norms, Baseline, MetricRecord};
use crate::ntk::KernelTracker;
use crate::optimizer::has_trained_tensor;
use crate::resume::{BatchOrderState, Checkpointing, LoopState};
use crate::step::Step;
use crate::train::{Optimizer, TrainOutcome, TrainSpec, TrainStart};
use crate::TrainerError;
use overparam_model::Mlp;

/// Where a run stands between steps: everything [`train_from`](crate::train_from) carries
/// from one step to the next besides θ_t, which the [`Step`] holds.
pub(crate) struct RunLoop<'a> {
    spec: &'a TrainSpec,
    /// X `[n, d]` on the device (kernel and movement are measured there).
    inputs: Tensor<2>,
    baseline: Baseline,
    generalization: Generalization,
    kernels: KernelTracker,
    first_step: usize,
    /// The step about to be taken.
    step: usize,
    last_finite: Option<FiniteLoss>,
}

/// What the run does after [`RunLoop::visit`].
pub(crate) enum Visit {
    /// Take the update of this step, then report it with [`RunLoop::descended`].
    Descend,
    /// The run is over.
    Stop(TrainOutcome),
}

impl<'a> RunLoop<'a> {
    /// The loop at `start`, with θ_t and SGD's batch order handed back for the engine; a
    /// network with every tensor frozen is [`TrainerError::NothingToTrain`].
    pub(crate) fn new(
        start: TrainStart,
        inputs: Tensor<2>,
        spec: &'a TrainSpec,
    ) -> Result<(Self, Mlp, Option<BatchOrderState>), TrainerError> {
        let TrainStart {
            model,
            baseline,
            state,
            generalization,
        } = start;
        if !has_trained_tensor(&model) {
            return Err(TrainerError::NothingToTrain);
        }
        let run = Self {
            spec,
            inputs,
            baseline,
            generalization,
            kernels: KernelTracker::resumed(
                state.initial_kernel,
                state.initial_lr_weighted_lambda_min,
            ),
            first_step: state.step,
            step: state.step,
            last_finite: None,
        };
        Ok((run, model, state.batch_order))
    }

    fn ntk_due(&self, step: usize) -> bool {
        self.spec.ntk_every > 0 && step.is_multiple_of(self.spec.ntk_every)
    }

    fn stochastic(&self) -> bool {
        matches!(
            self.spec.optimizer,
            Optimizer::StochasticGradientDescent { .. }
        )
    }

    /// The divergence error of the current step.
    fn diverged(&self, cause: Divergence) -> TrainerError {
        TrainerError::Diverged {
            step: self.step,
            cause,
            last_finite: self.last_finite,
        }
    }

    /// Hands θ_t and the loop state at the top of step t to the checkpoint writer.
    fn save(
        &self,
        stepper: &mut dyn Step,
        checkpointing: &mut Checkpointing<'_>,
    ) -> Result<(), TrainerError> {
        let step = self.step;
        let state = LoopState {
            step,
            initial_kernel: self.kernels.initial_kernel().map(<[f64]>::to_vec),
            initial_lr_weighted_lambda_min: self.kernels.initial_lr_weighted_lambda_min,
            batch_order: stepper.batch_order(),
        };
        (checkpointing.save)(stepper.network(), &state)
            .map_err(|source| TrainerError::Checkpoint { step, source })
    }

    /// Step t up to its update, on θ_t held by `stepper`: the interrupt, a due checkpoint, and
    /// (every step under GD, at logged steps under SGD) the loss, its checks, the kernel and
    /// the row handed to `record`.
    pub(crate) fn visit(
        &mut self,
        stepper: &mut dyn Step,
        record: &mut dyn FnMut(&MetricRecord) -> std::io::Result<()>,
        checkpointing: &mut Checkpointing<'_>,
    ) -> Result<Visit, TrainerError> {
        let (step, spec) = (self.step, self.spec);
        if (checkpointing.interrupted)() {
            // Saved so that a rerun continues from here; at the first step of this part
            // there is nothing newer than what it started from.
            let checkpointed = checkpointing.every > 0 && step > self.first_step;
            if checkpointed {
                self.save(stepper, checkpointing)?;
            }
            return Err(TrainerError::Interrupted { step, checkpointed });
        }
        if checkpointing.due(step, self.first_step, spec.steps) {
            self.save(stepper, checkpointing)?;
        }
        // The full-batch loss and gradient: every step under GD, at logged steps under SGD.
        let scheduled = step % spec.log_every == 0 || self.ntk_due(step) || step == spec.steps;
        if self.stochastic() && !scheduled {
            return Ok(Visit::Descend);
        }
        let loss = stepper.full_batch_loss();
        // θ_t, then L(θ_t), then ∂L/∂θ: the first of them that is non-finite, if any.
        let mut broken = stepper.divergence(loss);
        let reached_target = broken.is_none() && loss <= spec.target_loss;
        let mut stop = broken.is_some() || step == spec.steps || reached_target;
        // The kernel, movement and activity are measured at θ_t, before the update; a kernel
        // that overflows is a divergence like any other.
        let measure_kernel =
            broken.is_none() && (self.ntk_due(step) || (stop && spec.ntk_every > 0));
        let mut kernel = None;
        if measure_kernel {
            let fused = spec.engine == StepEngine::Fused;
            let inputs = self.inputs.clone();
            match self
                .kernels
                .measure(stepper.network(), inputs, &spec.learning_rates, fused)
            {
                Ok(measured) => kernel = measured,
                Err(TrainerError::Kernel(error)) => {
                    broken = Some(Divergence::Kernel(error));
                    stop = true;
                }
                Err(error) => return Err(error),
            }
        }
        if stop || scheduled {
            let snapshot = self
                .baseline
                .measure(stepper.network(), self.inputs.clone());
            let norms = group_gradient_norms(&stepper.squared_gradient_norms());
            let mut row = MetricRecord::new(step, loss, norms, snapshot, kernel);
            if broken.is_none() {
                let measured = self.generalization.measure(stepper.network(), step);
                if let Some((column, value)) = measured.first_non_finite() {
                    broken = Some(Divergence::Metric { column, value });
                }
                row = row.with_generalization(measured);
            }
            record(&row).map_err(TrainerError::Sink)?;
        }
        if loss.is_finite() && !matches!(broken, Some(Divergence::Parameter(_))) {
            self.last_finite = Some(FiniteLoss { step, loss });
        }
        if let Some(cause) = broken {
            return Err(self.diverged(cause));
        }
        if stop {
            return Ok(Visit::Stop(TrainOutcome {
                steps_run: step,
                final_loss: loss,
                reached_target,
                initial_lr_weighted_lambda_min: self.kernels.initial_lr_weighted_lambda_min,
            }));
        }
        Ok(Visit::Descend)
    }

    /// After [`Visit::Descend`]: the update's result (under SGD it checks θ_t and the batch
    /// first); moves on to the next step, or is the divergence error of this one.
    pub(crate) fn descended(&mut self, update: Result<(), Divergence>) -> Result<(), TrainerError> {
        update.map_err(|cause| self.diverged(cause))?;
        self.step += 1;
        Ok(())
    }
}
