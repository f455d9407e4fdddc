//! `train`: the configured network trained on its data on a chosen backend, with rows and
//! checkpoints handed to a [`TrainObserver`] as they come and the outputs returned as a
//! [`TrainRun`]. [`TrainSetup::run`] is the loop itself, shared by a fresh run and a run
//! continued from a checkpoint.

mod engine;
mod observer;
mod outcome;

use std::cell::RefCell;

use burn::tensor::Device;
use overparam_model::Mlp;
use overparam_trainer::data::Dataset;
use overparam_trainer::{
    train_from, Baseline, Checkpointing, Generalization, Linearization, LoopState, TrainStart,
    TrainerError,
};

pub use engine::{engine_for, EngineChoice};
pub use observer::TrainObserver;
pub use outcome::TrainRun;

use crate::compute::Compute;
use crate::experiment::Experiment;
use crate::network::{refuse_frozen_network, Init};
use outcome::applied_rates;

/// How to train an [`Experiment`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    /// Backend and dtype.
    pub compute: Compute,
    /// Engine of the GD steps.
    pub engine: EngineChoice,
    /// Initial parameters instead of the config's (`--init FILE`, or arrays).
    pub init: Option<Init>,
    /// Samples instead of the config's (see [`Experiment::dataset_from_arrays`]).
    pub dataset: Option<Dataset>,
}

/// Trains `experiment` from step 0 as `overparam train` does (same numbers, bit for bit),
/// without writing anything: rows and due checkpoints go to `observer`. Errors before the
/// first step (an engine that does not apply, a frozen network, a device, data or `--init`
/// problem) are returned; an error of the loop itself is the returned run's `result`.
pub fn train(
    experiment: &Experiment,
    options: &TrainOptions,
    observer: &mut impl TrainObserver,
) -> anyhow::Result<TrainRun> {
    let mut experiment = experiment.clone();
    let train = &mut experiment.resolved.train;
    train.engine = engine_for(options.engine, options.compute.backend)?;
    refuse_frozen_network(&experiment.resolved.model, "train")?;
    let device = options.compute.device(&experiment.resolved.model)?;
    let dataset = match &options.dataset {
        Some(dataset) => dataset.clone(),
        None => experiment.dataset()?,
    };
    let model = experiment.initial_network(&device, options.init.as_ref())?;
    let setup = TrainSetup {
        experiment: &experiment,
        device: &device,
        dataset: &dataset,
    };
    Ok(setup.run(TrainFrom::start(model), observer))
}

/// Everything a training loop needs besides the network.
pub struct TrainSetup<'a> {
    /// The run, its `resolved.train.engine` already chosen (see [`engine_for`]).
    pub experiment: &'a Experiment,
    /// The autodiff device (see [`Compute::device`]).
    pub device: &'a Device,
    /// The samples (see [`Experiment::dataset`]).
    pub dataset: &'a Dataset,
}

/// Where a training loop starts.
pub struct TrainFrom {
    /// θ_0, which the movement metrics are measured from.
    pub initial: Mlp,
    /// The network at `state.step` (θ_0 itself for a run from step 0).
    pub model: Mlp,
    /// The loop state (the default: step 0).
    pub state: LoopState,
    /// (step, loss) of the rows an earlier part of the run logged (a resumed run's).
    pub logged_losses: Vec<(usize, f64)>,
}

impl TrainFrom {
    /// A run from step 0 at `model`.
    pub fn start(model: Mlp) -> TrainFrom {
        TrainFrom {
            initial: model.clone(),
            model,
            state: LoopState::default(),
            logged_losses: Vec::new(),
        }
    }
}

impl TrainSetup<'_> {
    /// Trains from `from` to the end of the schedule (or the target loss, or an error).
    pub fn run(&self, from: TrainFrom, observer: &mut impl TrainObserver) -> TrainRun {
        let TrainSetup {
            experiment,
            device,
            dataset,
        } = *self;
        let resolved = &experiment.resolved;
        let TrainFrom {
            initial,
            model,
            state,
            mut logged_losses,
        } = from;
        let inputs = dataset.inputs_tensor(device);
        let resumed_from = (state.step > 0).then_some(state.step);
        let mut baseline = Baseline::new(&initial, inputs.clone());
        if let Some(teacher) = &dataset.teacher {
            baseline = baseline.with_teacher(teacher.directions.clone());
        }
        let generalization = self.generalization(&initial);
        // The loop calls the row and checkpoint callbacks one at a time.
        let observer = RefCell::new(observer);
        let mut rows = Vec::new();
        let mut save =
            |model: &Mlp, state: &LoopState| observer.borrow_mut().checkpoint(model, state);
        let mut interrupted = || observer.borrow_mut().interrupted();
        let checkpointing = Checkpointing {
            every: experiment.config.train.checkpoint_every,
            save: &mut save,
            interrupted: &mut interrupted,
        };
        let result = generalization.and_then(|generalization| {
            let start = TrainStart {
                baseline,
                model,
                state,
                generalization,
            };
            train_from(
                start,
                inputs,
                dataset.targets_tensor(device),
                &resolved.train,
                |record| {
                    logged_losses.push((record.step, record.loss));
                    observer.borrow_mut().row(record)?;
                    rows.push(record.clone());
                    Ok(())
                },
                checkpointing,
            )
        });
        let (result, final_parameters) = match result {
            Ok((model, outcome)) => (Ok(outcome), Some(model.to_named_arrays())),
            Err(error) => (Err(error), None),
        };
        TrainRun {
            engine: resolved.train.engine,
            result,
            rows,
            loss_curve: logged_losses,
            initial_parameters: initial.to_named_arrays(),
            final_parameters,
            resumed_from,
            learning_rates: applied_rates(resolved),
            num_samples: dataset.num_samples,
            kernel_regression: self.kernel_regression(),
        }
    }

    /// The held-out points and, with `train.linearized`, the linearization at `initial` (θ_0).
    fn generalization(&self, initial: &Mlp) -> Result<Generalization, TrainerError> {
        let dataset = self.dataset;
        let linearization = match self.experiment.config.train.linearized {
            true => Some(Linearization::new(
                initial,
                &dataset.inputs,
                &dataset.targets,
                dataset.test.as_ref(),
                &self.experiment.resolved.train.learning_rates,
            )?),
            false => None,
        };
        Ok(Generalization::new(
            &dataset.inputs,
            dataset.test.clone(),
            linearization,
        ))
    }

    /// With `train.linearized` and held-out points, the held-out loss of kernel regression
    /// with the analytic K∞ (the infinitely wide network trained to convergence), or why
    /// there is none.
    fn kernel_regression(&self) -> Option<serde_json::Value> {
        let test = self.dataset.test.as_ref()?;
        if !self.experiment.config.train.linearized {
            return None;
        }
        Some(crate::ntk::predict::analytic_regression_summary(
            &self.experiment.resolved,
            self.dataset,
            test,
        ))
    }
}
