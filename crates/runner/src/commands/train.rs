//! `overparam train`: config → data and network on the chosen device → training loop →
//! metrics.csv, summary.json, params_init.npz, params_final.npz.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use overparam_trainer::data::Dataset;
use overparam_trainer::{fitted_loss_rate, predicted_loss_rate, train, TrainOutcome};
use serde_json::json;

use std::path::Path;

use burn::tensor::Device;
use overparam_trainer::ntk::EmpiricalNtk;

use super::common::{
    device_for, initial_network, load_config, prepare_out_dir, summary_header, AnyNetwork,
    TRAIN_OUTPUTS,
};

use crate::cli::{RunArgs, TrainArgs};
use crate::config::{ResolvedRun, RunConfig};
use crate::output::{write_json, write_params, MetricsCsv};

/// Runs `overparam train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let args = &args.run;
    let (config, resolved) = load_config(args)?;
    let out = prepare_out_dir(args, "", &TRAIN_OUTPUTS)?;
    let device = device_for(args.device.backend, args.device.dtype, &resolved.model)?;
    let dataset = Dataset::from_spec(&resolved.data)?;
    let run = Run {
        args,
        config: &config,
        resolved: &resolved,
        out: &out,
        device: &device,
        dataset: &dataset,
    };
    match initial_network(&resolved.model, args.init.as_deref(), config.seed, &device)? {
        AnyNetwork::TwoLayer(model) => run.train(model),
        AnyNetwork::Mlp(model) => run.train(model),
    }
}

/// Everything a run needs besides the network.
struct Run<'a> {
    args: &'a RunArgs,
    config: &'a RunConfig,
    resolved: &'a ResolvedRun,
    out: &'a Path,
    device: &'a Device,
    dataset: &'a Dataset,
}

impl Run<'_> {
    /// Trains `model` and writes every output.
    fn train<M: EmpiricalNtk>(&self, model: M) -> anyhow::Result<()> {
        let Run {
            args,
            config,
            resolved,
            out,
            device,
            dataset,
        } = *self;
        write_params(&out.join("params_init.npz"), &model.to_named_arrays())?;

        let mut metrics = MetricsCsv::create(&out.join("metrics.csv"))?;
        let progress = progress_bar(resolved.train.steps);
        let mut loss_curve: Vec<(usize, f64)> = Vec::new();
        let started = Instant::now();
        let result = train(
            model,
            dataset.inputs_tensor(device),
            dataset.targets_tensor(device),
            &resolved.train,
            |record| {
                progress.set_position(record.step as u64);
                progress.set_message(format!("loss {:.3e}", record.loss));
                loss_curve.push((record.step, record.loss));
                metrics.append(record)
            },
        );
        let wall_time_s = started.elapsed().as_secs_f64();
        progress.finish_and_clear();
        metrics.finish()?;

        let mut summary = summary_header(args, config, device);
        summary["wall_time_s"] = json!(wall_time_s);
        let summary_path = out.join("summary.json");
        match result {
            Ok((model, outcome)) => {
                write_params(&out.join("params_final.npz"), &model.to_named_arrays())?;
                summary["status"] = json!("ok");
                summary["steps_run"] = json!(outcome.steps_run);
                summary["final_loss"] = json!(outcome.final_loss);
                summary["reached_target"] = json!(outcome.reached_target);
                summary["linear_rate"] = linear_rate(&outcome, &loss_curve, dataset.num_samples);
                write_json(&summary_path, &summary)?;
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
                write_json(&summary_path, &summary)?;
                Err(anyhow::anyhow!(
                    "{error} (metrics up to this point are in {})",
                    out.join("metrics.csv").display()
                ))
            }
        }
    }
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

/// A bar over the steps on a terminal; hidden when stderr is not one.
fn progress_bar(steps: usize) -> ProgressBar {
    let bar = ProgressBar::new(steps as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps {msg} [{elapsed} < {eta}]")
    {
        bar.set_style(style);
    }
    bar
}
