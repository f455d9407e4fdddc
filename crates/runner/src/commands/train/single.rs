//! One run of one seed, whatever started it (`train`, a batch of seeds, `--resume`): the
//! outputs prepared and locked, the library API's training loop (`overparam_api::train`) fed
//! into the files as it goes (`files.rs`), then summary.json, params_final.npz and
//! alignment.npy.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use burn::tensor::Device;
use overparam_api::train::{engine_for, TrainFrom, TrainSetup};
use overparam_api::{refuse_frozen_network, Experiment, TrainRun};
use overparam_model::{Mlp, NamedArray};
use overparam_sweep::files::write_atomically_with;
use overparam_trainer::data::Dataset;
use overparam_trainer::{teacher_cosines, write_npy_array, LoopState, TrainerError};
use serde_json::{json, Value};

use super::files::RunFiles;
use super::run::Run;
use crate::checkpoint::remove_checkpoint;
use crate::cli::{EngineArg, RunArgs};
use crate::commands::common::{
    prepare_out_dir, remove_stray_temporaries, summary_header, TRAIN_OUTPUTS,
};
use crate::interrupt::{sigterm_received, Terminated};
use crate::output::{write_json, write_params, MetricsCsv};
use crate::progress::step_progress_bar;
use crate::run_lock::{lock_run_dir, RunDirLock};

/// A fresh run of `experiment` (one seed) into `args.out` (default runs/<config stem>);
/// `quiet` hides the progress bar and the closing line (for seeds trained side by side).
pub(super) fn start(
    args: &RunArgs,
    engine: EngineArg,
    experiment: Experiment,
    quiet: bool,
) -> anyhow::Result<()> {
    let opened = open(args, engine, experiment)?;
    opened.run(args, quiet).start(opened.model.clone())
}

/// A fresh run's directory, prepared, locked and cleared, with its device, data and θ_0.
pub(super) struct Opened {
    /// The run, its engine chosen.
    pub(super) experiment: Experiment,
    /// The run directory.
    pub(super) out: PathBuf,
    /// Held while the run writes there.
    _lock: RunDirLock,
    /// The autodiff device.
    pub(super) device: Device,
    /// The training data.
    pub(super) dataset: Dataset,
    /// θ_0.
    pub(super) model: Mlp,
}

/// Chooses the engine of `experiment`, prepares, locks and clears `args.out`, and builds the
/// device, the data and θ_0 (errors before the first step).
pub(super) fn open(
    args: &RunArgs,
    engine: EngineArg,
    mut experiment: Experiment,
) -> anyhow::Result<Opened> {
    let resolved = &mut experiment.resolved;
    resolved.train.engine = engine_for(engine, args.device.backend)?;
    refuse_frozen_network(&resolved.model, "train")?;
    let out = prepare_out_dir(args, "", &[])?;
    let lock = lock_run_dir(&out)?;
    prepare_out_dir(args, "", &TRAIN_OUTPUTS)?;
    remove_stray_temporaries(&out)?;
    remove_checkpoint(&out)?;
    let device = args.device.compute().device(&experiment.resolved.model)?;
    let dataset = experiment.dataset()?;
    let model = experiment.initial_network(&device, args.init_source().as_ref())?;
    Ok(Opened {
        experiment,
        out,
        _lock: lock,
        device,
        dataset,
        model,
    })
}

impl Opened {
    /// The run, with `args` (`quiet`: no bar, no closing line).
    pub(super) fn run<'a>(&'a self, args: &'a RunArgs, quiet: bool) -> Run<'a> {
        Run {
            args,
            experiment: &self.experiment,
            out: &self.out,
            device: &self.device,
            dataset: &self.dataset,
            quiet,
        }
    }
}

/// Where a resumed run picks up.
pub(super) struct Resumed {
    pub(super) state: LoopState,
    pub(super) metrics: MetricsCsv,
    pub(super) kept_rows: Vec<String>,
    pub(super) elapsed_s: f64,
}

impl Run<'_> {
    /// Writes the initial parameters and trains `model` from step 0.
    fn start(&self, model: Mlp) -> anyhow::Result<()> {
        let (files, from) = self.begin_fresh(model)?;
        self.train_and_write(files, from)
    }

    /// Writes the initial parameters and opens the files of a run of `model` from step 0.
    pub(super) fn begin_fresh(&self, model: Mlp) -> anyhow::Result<(RunFiles<'_>, TrainFrom)> {
        write_params(&self.out.join("params_init.npz"), &model.to_named_arrays())?;
        let metrics = MetricsCsv::create(&self.out.join("metrics.csv"))?;
        let resumed = Resumed {
            state: LoopState::default(),
            metrics,
            kept_rows: Vec::new(),
            elapsed_s: 0.0,
        };
        self.begin(model.clone(), model, resumed)
    }

    /// Trains `model` from `resumed.state.step` (θ_0 = `initial`) and writes every output.
    pub(super) fn continue_from(
        &self,
        initial: Mlp,
        model: Mlp,
        resumed: Resumed,
    ) -> anyhow::Result<()> {
        let (files, from) = self.begin(initial, model, resumed)?;
        self.train_and_write(files, from)
    }

    /// The loop on `from`, fed into `files`, then every output.
    fn train_and_write(&self, mut files: RunFiles<'_>, from: TrainFrom) -> anyhow::Result<()> {
        let trained = self.setup().run(from, &mut files);
        self.end(files, &trained)
    }

    /// The files (and bar) of a run of `model` from `resumed.state.step` (θ_0 = `initial`),
    /// and where its loop starts.
    fn begin(
        &self,
        initial: Mlp,
        model: Mlp,
        resumed: Resumed,
    ) -> anyhow::Result<(RunFiles<'_>, TrainFrom)> {
        let Run {
            experiment,
            out,
            dataset,
            quiet,
            ..
        } = *self;
        let Resumed {
            state,
            metrics,
            kept_rows,
            elapsed_s,
        } = resumed;
        let logged_losses = logged_losses(&kept_rows)?;
        let progress = step_progress_bar(experiment.resolved.train.steps, state.step, quiet);
        if let Some(teacher) = &dataset.teacher {
            write_params(&out.join("teacher.npz"), &teacher.to_named_arrays())?;
        }
        let files = RunFiles {
            run: self,
            progress,
            metrics,
            rows_logged: kept_rows.len(),
            elapsed_before: elapsed_s,
            started: Instant::now(),
        };
        let from = TrainFrom {
            initial,
            model,
            state,
            logged_losses,
        };
        Ok((files, from))
    }

    /// What the loop needs besides the network.
    pub(super) fn setup(&self) -> TrainSetup<'_> {
        TrainSetup {
            experiment: self.experiment,
            device: self.device,
            dataset: self.dataset,
        }
    }

    /// Closes `files` and writes the outputs of `trained`.
    pub(super) fn end(&self, files: RunFiles<'_>, trained: &TrainRun) -> anyhow::Result<()> {
        let wall_time_s = files.elapsed();
        files.progress.finish_and_clear();
        files.metrics.finish()?;
        self.write_outcome(trained, wall_time_s)
    }

    /// summary.json, and for a finished run params_final.npz and alignment.npy; a failed run
    /// is the trainer's error, pointing at the metrics so far.
    fn write_outcome(&self, trained: &TrainRun, wall_time_s: f64) -> anyhow::Result<()> {
        let Run {
            args,
            experiment,
            out,
            device,
            dataset,
            quiet,
        } = *self;
        let mut summary = summary_header(args, &experiment.config, device);
        if let Value::Object(fields) = trained.summary() {
            for (key, value) in fields {
                summary[key] = value;
            }
        }
        summary["wall_time_s"] = json!(wall_time_s);
        let summary_path = out.join("summary.json");
        match &trained.result {
            Ok(outcome) => {
                // A finished run always has its final parameters.
                let final_parameters = trained.final_parameters.as_deref().unwrap_or_default();
                let written = write_params(&out.join("params_final.npz"), final_parameters)
                    .and_then(|()| match &dataset.teacher {
                        Some(teacher) => {
                            write_alignment(out, final_parameters, &teacher.directions)
                        }
                        None => Ok(()),
                    });
                if let Err(error) = written {
                    // Trained, but the outputs could not be written (a full disk, say): say
                    // so in summary.json where that still fits; metrics.csv is already whole.
                    summary["status"] = json!("failed");
                    summary["error"] = json!(format!("{error:#}"));
                    let _ = write_json(&summary_path, &summary);
                    return Err(error);
                }
                write_json(&summary_path, &summary)?;
                remove_checkpoint(out)?;
                if quiet {
                    return Ok(());
                }
                println!(
                    "loss {:.3e} after {} steps in {:.1} s ({}); outputs in {}",
                    outcome.final_loss,
                    outcome.steps_run,
                    wall_time_s,
                    if outcome.reached_target {
                        "reached target_loss"
                    } else {
                        "step limit"
                    },
                    out.display()
                );
                Ok(())
            }
            Err(error) => {
                write_json(&summary_path, &summary)?;
                let message = format!(
                    "{error} (metrics up to this point are in {})",
                    out.join("metrics.csv").display()
                );
                if matches!(error, TrainerError::Interrupted { .. }) && sigterm_received() {
                    return Err(Terminated(message).into());
                }
                Err(anyhow::anyhow!(message))
            }
        }
    }
}

/// `alignment.npy`: cos∠(w_r, w*_j) `[m, k]` of the final student neurons against the
/// teacher's (one hidden layer only).
fn write_alignment(
    out: &Path,
    parameters: &[NamedArray],
    teacher: &[Vec<f64>],
) -> anyhow::Result<()> {
    let Some(w1) = parameters.iter().find(|p| p.name == "w1") else {
        return Ok(());
    };
    if parameters.iter().any(|p| p.name == "w2") {
        return Ok(());
    }
    let cosines = teacher_cosines(w1, teacher);
    let shape = vec![w1.shape[0], teacher.len()];
    let array = NamedArray::new("alignment", shape, cosines)?;
    write_atomically_with(&out.join("alignment.npy"), |w| write_npy_array(w, &array))
}

/// (step, loss) of metrics rows already logged (a resumed run's first part).
fn logged_losses(rows: &[String]) -> anyhow::Result<Vec<(usize, f64)>> {
    rows.iter()
        .map(|row| {
            let mut fields = row.split(',');
            let step = fields.next().and_then(|s| s.parse().ok());
            let loss = fields.next().and_then(|s| s.parse().ok());
            step.zip(loss)
                .with_context(|| format!("metrics row `{row}` has no step and loss"))
        })
        .collect()
}
