//! One run of one seed, whatever started it (`train`, a batch of seeds, `--resume`): the
//! engine chosen, the outputs prepared, the training loop, then metrics.csv, summary.json,
//! params_init.npz, params_final.npz and the checkpoints.

use std::cell::Cell;
use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context as _};
use burn::tensor::Device;
use indicatif::{ProgressBar, ProgressStyle};
use overparam_sweep::files::write_atomically_with;
use overparam_trainer::data::Dataset;
use overparam_trainer::{
    fitted_loss_rate, predicted_loss_rate, train_from, Baseline, Checkpointing, FiniteLoss,
    LoopState, Optimizer, StepEngine, TrainOutcome, TrainSpec, TrainStart, TrainerError,
};
use serde_json::json;

use crate::backend::BackendKind;
use crate::checkpoint::{remove_checkpoint, save_checkpoint, CheckpointRecord};
use crate::cli::{EngineArg, RunArgs};
use crate::commands::common::{
    device_for, initial_network, near_teacher, prepare_out_dir,
    refuse_frozen_network, remove_stray_temporaries, summary_header, TRAIN_OUTPUTS,
};
use crate::config::{ResolvedRun, RunConfig};
use crate::output::{write_json, write_params, MetricsCsv};
use crate::run_lock::lock_run_dir;
use overparam_model::{Mlp, NamedArray, ParameterId};
use overparam_trainer::{teacher_cosines, write_npy_array};

/// The engine `choice` selects for `train` on `backend`.
pub(super) fn engine_for(
    choice: EngineArg,
    backend: BackendKind,
    train: &TrainSpec,
) -> anyhow::Result<StepEngine> {
    let applies = train.optimizer == Optimizer::GradientDescent && backend.is_cpu();
    Ok(match choice {
        EngineArg::Autodiff => StepEngine::Autodiff,
        EngineArg::Auto if !applies => StepEngine::Autodiff,
        EngineArg::Auto => StepEngine::Fused,
        EngineArg::Fused => {
            ensure!(
                applies,
                "--engine fused needs full-batch GD (train.optimizer = \"gd\") on a CPU backend \
                 (--backend flex or ndarray); use --engine autodiff (or auto) here"
            );
            StepEngine::Fused
        }
    })
}

/// A fresh run of `config` (one seed) into `args.out` (default runs/<config stem>); `quiet`
/// hides the progress bar and the closing line (for seeds trained side by side).
pub(super) fn start(
    args: &RunArgs,
    engine: EngineArg,
    config: &RunConfig,
    mut resolved: ResolvedRun,
    quiet: bool,
) -> anyhow::Result<()> {
    resolved.train.engine = engine_for(engine, args.device.backend, &resolved.train)?;
    refuse_frozen_network(&resolved.model, "train")?;
    let out = prepare_out_dir(args, "", &[])?;
    let _lock = lock_run_dir(&out)?;
    prepare_out_dir(args, "", &TRAIN_OUTPUTS)?;
    remove_stray_temporaries(&out)?;
    remove_checkpoint(&out)?;
    let device = device_for(args.device.backend, args.device.dtype, &resolved.model)?;
    let dataset = Dataset::from_spec(&resolved.data)?;
    let run = Run {
        args,
        config,
        resolved: &resolved,
        out: &out,
        device: &device,
        dataset: &dataset,
        quiet,
    };
    let teacher = near_teacher(&resolved)?;
    let init = args.init.as_deref();
    let model = initial_network(
        &resolved.model,
        init,
        config.seed,
        teacher.as_ref(),
        &device,
    )?;
    run.start(model)
}

/// Everything a run needs besides the network.
pub(super) struct Run<'a> {
    pub(super) args: &'a RunArgs,
    pub(super) config: &'a RunConfig,
    pub(super) resolved: &'a ResolvedRun,
    pub(super) out: &'a Path,
    pub(super) device: &'a Device,
    pub(super) dataset: &'a Dataset,
    pub(super) quiet: bool,
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
        write_params(&self.out.join("params_init.npz"), &model.to_named_arrays())?;
        let metrics = MetricsCsv::create(&self.out.join("metrics.csv"))?;
        let resumed = Resumed {
            state: LoopState::default(),
            metrics,
            kept_rows: Vec::new(),
            elapsed_s: 0.0,
        };
        self.continue_from(&model.clone(), model, resumed)
    }

    /// Trains `model` from `resumed.state.step` (θ_0 = `initial`) and writes every output.
    pub(super) fn continue_from(
        &self,
        initial: &Mlp,
        model: Mlp,
        resumed: Resumed,
    ) -> anyhow::Result<()> {
        let Run {
            args,
            config,
            resolved,
            out,
            device,
            dataset,
            quiet,
        } = *self;
        let inputs = dataset.inputs_tensor(device);
        let Resumed {
            state,
            mut metrics,
            kept_rows,
            elapsed_s: elapsed_before,
        } = resumed;
        let resumed_from = (state.step > 0).then_some(state.step);
        let mut loss_curve = logged_losses(&kept_rows)?;
        let rows_logged = Cell::new(kept_rows.len());
        let progress = progress_bar(resolved.train.steps, state.step, quiet);
        let mut baseline = Baseline::new(initial, inputs.clone());
        if let Some(teacher) = &dataset.teacher {
            write_params(&out.join("teacher.npz"), &teacher.to_named_arrays())?;
            baseline = baseline.with_teacher(teacher.directions.clone());
        }
        let start = TrainStart {
            baseline,
            model,
            state,
        };
        let started = Instant::now();
        let elapsed = || elapsed_before + started.elapsed().as_secs_f64();
        let mut save = |model: &Mlp, state: &LoopState| -> std::io::Result<()> {
            let record = CheckpointRecord {
                step: state.step,
                archive: String::new(),
                loop_state: LoopState::default(),
                has_initial_kernel: false,
                metrics_rows: rows_logged.get(),
                elapsed_s: elapsed(),
                config: config.clone(),
                backend: args.device.backend,
                dtype: args.device.dtype,
                engine: resolved.train.engine,
                init: args.init.clone(),
            };
            save_checkpoint(out, record, model.to_named_arrays(), state)
                .map_err(|error| std::io::Error::other(format!("{error:#}")))
        };
        let checkpointing = Checkpointing {
            every: config.train.checkpoint_every,
            save: &mut save,
        };
        let result = train_from(
            start,
            inputs,
            dataset.targets_tensor(device),
            &resolved.train,
            |record| {
                progress.set_position(record.step as u64);
                progress.set_message(format!("loss {:.3e}", record.loss));
                loss_curve.push((record.step, record.loss));
                metrics.append(record)?;
                rows_logged.set(rows_logged.get() + 1);
                Ok(())
            },
            checkpointing,
        );
        let wall_time_s = elapsed();
        progress.finish_and_clear();
        metrics.finish()?;

        let mut summary = summary_header(args, config, device);
        summary["wall_time_s"] = json!(wall_time_s);
        summary["resumed_from_step"] = json!(resumed_from);
        summary["engine"] = json!(resolved.train.engine.name());
        summary["learning_rates"] = applied_rates(resolved);
        let summary_path = out.join("summary.json");
        match result {
            Ok((model, outcome)) => {
                summary["steps_run"] = json!(outcome.steps_run);
                summary["final_loss"] = json!(outcome.final_loss);
                summary["reached_target"] = json!(outcome.reached_target);
                summary["linear_rate"] = linear_rate(&outcome, &loss_curve, dataset.num_samples);
                let final_parameters = model.to_named_arrays();
                let written = write_params(&out.join("params_final.npz"), &final_parameters)
                    .and_then(|()| match &dataset.teacher {
                        Some(teacher) => {
                            write_alignment(out, &final_parameters, &teacher.directions)
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
                summary["status"] = json!("ok");
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
                summary["status"] = json!("failed");
                summary["error"] = json!(error.to_string());
                // The last finite loss and its step (the full-batch loss of every step under
                // GD; the last logged one otherwise), so a failed run still says how far it got.
                let last_finite = match &error {
                    TrainerError::Diverged { last_finite, .. } => *last_finite,
                    _ => None,
                }
                .or_else(|| {
                    let (step, loss) = loss_curve.iter().rev().find(|(_, l)| l.is_finite())?;
                    Some(FiniteLoss {
                        step: *step,
                        loss: *loss,
                    })
                });
                summary["steps_run"] = json!(last_finite.map(|f| f.step));
                summary["final_loss"] = json!(last_finite.map(|f| f.loss));
                if let TrainerError::Diverged { step, .. } = &error {
                    summary["diverged_at_step"] = json!(step);
                }
                write_json(&summary_path, &summary)?;
                Err(anyhow::anyhow!(
                    "{error} (metrics up to this point are in {})",
                    out.join("metrics.csv").display()
                ))
            }
        }
    }
}

/// The rate each tensor descends with (`w1`, `b1`, …, `a`; after `train.lr` or
/// `lr_w`/`lr_b`/`lr_a`, whichever the config used), so the summary shows what was applied.
fn applied_rates(resolved: &ResolvedRun) -> serde_json::Value {
    let rates = &resolved.train.learning_rates;
    ParameterId::all(resolved.model.depth())
        .into_iter()
        .map(|id| (id.to_string(), json!(rates.for_parameter(id))))
        .collect::<serde_json::Map<_, _>>()
        .into()
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

/// The per-step loss factor predicted by λ_min(K_η) at step 0 (when `ntk_every` > 0) beside
/// the one fitted to the second half of the logged loss curve.
fn linear_rate(
    outcome: &TrainOutcome,
    loss_curve: &[(usize, f64)],
    num_samples: usize,
) -> serde_json::Value {
    let lambda = outcome.initial_lr_weighted_lambda_min;
    json!({
        "lr_weighted_lambda_min_0": lambda,
        "predicted_per_step": lambda.map(|l| predicted_loss_rate(l, num_samples)),
        "observed_per_step": fitted_loss_rate(loss_curve),
    })
}

/// A bar over the steps on a terminal, starting at `first_step`; hidden when stderr is not one.
fn progress_bar(steps: usize, first_step: usize, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps as u64);
    bar.set_position(first_step as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps {msg} [{elapsed} < {eta}]")
    {
        bar.set_style(style);
    }
    bar
}
