//! `train`: the configured network trained on its data on a chosen backend, with rows and
//! checkpoints handed to a [`TrainObserver`] as they come and the outputs returned as a
//! [`TrainRun`]. [`TrainSetup::run`] is the loop itself, shared by a fresh run and a run
//! continued from a checkpoint.

mod engine;
mod ensemble;
mod observer;
mod outcome;

use std::cell::RefCell;

use burn::tensor::Device;
use overparam_model::Mlp;
use overparam_trainer::data::Dataset;
use overparam_trainer::{
    train_from, Baseline, Checkpointing, Generalization, Linearization, LoopState, MetricRecord,
    TrainOutcome, TrainStart, TrainerError,
};

pub use engine::{engine_for, EngineChoice};
pub use ensemble::{train_stacked, StackedMember};
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
        let (prepared, loss_curve) = self.prepare(from);
        let Prepared {
            initial,
            resumed_from,
            start,
        } = prepared;
        // The loop calls the row and checkpoint callbacks one at a time.
        let sink = RefCell::new(Sink::new(observer, loss_curve));
        let mut save = |model: &Mlp, state: &LoopState| sink.borrow_mut().checkpoint(model, state);
        let mut interrupted = || sink.borrow_mut().interrupted();
        let checkpointing = Checkpointing {
            every: self.experiment.config.train.checkpoint_every,
            save: &mut save,
            interrupted: &mut interrupted,
        };
        let result = start.and_then(|start| {
            train_from(
                start,
                self.dataset.inputs_tensor(self.device),
                self.dataset.targets_tensor(self.device),
                &self.experiment.resolved.train,
                |record| sink.borrow_mut().row(record),
                checkpointing,
            )
        });
        self.finish(initial, resumed_from, sink.into_inner(), result)
    }

    /// The loop's start from `from` (θ_0's baseline, the held-out points), and the loss curve
    /// logged before it.
    fn prepare(&self, from: TrainFrom) -> (Prepared, Vec<(usize, f64)>) {
        let TrainFrom {
            initial,
            model,
            state,
            logged_losses,
        } = from;
        let inputs = self.dataset.inputs_tensor(self.device);
        let resumed_from = (state.step > 0).then_some(state.step);
        let mut baseline = Baseline::new(&initial, inputs);
        if let Some(teacher) = &self.dataset.teacher {
            baseline = baseline.with_teacher(teacher.directions.clone());
        }
        let start = self
            .generalization(&initial)
            .map(|generalization| TrainStart {
                baseline,
                model,
                state,
                generalization,
            });
        let prepared = Prepared {
            initial,
            resumed_from,
            start,
        };
        (prepared, logged_losses)
    }

    /// The run's outputs from θ_0 (`initial`), the loop's `result` and what `sink` gathered.
    fn finish(
        &self,
        initial: Mlp,
        resumed_from: Option<usize>,
        sink: Sink<'_>,
        result: Result<(Mlp, TrainOutcome), TrainerError>,
    ) -> TrainRun {
        let resolved = &self.experiment.resolved;
        let (result, final_parameters) = match result {
            Ok((model, outcome)) => (Ok(outcome), Some(model.to_named_arrays())),
            Err(error) => (Err(error), None),
        };
        TrainRun {
            engine: resolved.train.engine,
            result,
            rows: sink.rows,
            loss_curve: sink.loss_curve,
            initial_parameters: initial.to_named_arrays(),
            final_parameters,
            resumed_from,
            learning_rates: applied_rates(resolved),
            num_samples: self.dataset.num_samples,
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

/// A loop ready to start: θ_0, the step it resumes from, and its start (or why it cannot).
struct Prepared {
    initial: Mlp,
    resumed_from: Option<usize>,
    start: Result<TrainStart, TrainerError>,
}

/// A loop's rows and checkpoints on their way to the observer, with the loss curve so far.
struct Sink<'o> {
    observer: &'o mut dyn TrainObserver,
    rows: Vec<MetricRecord>,
    loss_curve: Vec<(usize, f64)>,
}

impl<'o> Sink<'o> {
    fn new(observer: &'o mut dyn TrainObserver, loss_curve: Vec<(usize, f64)>) -> Self {
        Self {
            observer,
            rows: Vec::new(),
            loss_curve,
        }
    }

    /// The row's loss joins the curve, then the observer sees the row, then it is kept.
    fn row(&mut self, record: &MetricRecord) -> std::io::Result<()> {
        self.loss_curve.push((record.step, record.loss));
        self.observer.row(record)?;
        self.rows.push(record.clone());
        Ok(())
    }

    fn checkpoint(&mut self, model: &Mlp, state: &LoopState) -> std::io::Result<()> {
        self.observer.checkpoint(model, state)
    }

    fn interrupted(&mut self) -> bool {
        self.observer.interrupted()
    }
}
