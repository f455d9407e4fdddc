//! `overparam train`: config → data and network on the chosen device → training loop →
//! metrics.csv, summary.json, params_init.npz, params_final.npz.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use overparam_model::{NamedArray, TwoLayer, TwoLayerConfig};
use overparam_trainer::data::{check_finite, Dataset};
use overparam_trainer::{read_npz_arrays, stream_rng, train, RngStream};
use serde_json::json;

use crate::backend::autodiff_device;
use crate::cli::TrainArgs;
use crate::config::RunConfig;
use crate::output::{write_json, write_params, MetricsCsv};
use crate::provenance::provenance;

/// Runs `overparam train`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let config = RunConfig::load(&args.config, &args.overrides)?;
    let resolved = config
        .resolve()
        .with_context(|| format!("config {}", args.config.display()))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.config));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    remove_stale_outputs(&out)?;

    let device = autodiff_device(args.device.backend, args.device.dtype)?;
    let dataset = Dataset::from_spec(&resolved.data)?;
    let model = initial_model(&resolved.model, args.init.as_deref(), config.seed, &device)?;
    write_params(&out.join("params_init.npz"), &model.to_named_arrays())?;

    let mut metrics = MetricsCsv::create(&out.join("metrics.csv"))?;
    let progress = progress_bar(resolved.train.steps);
    let started = Instant::now();
    let result = train(
        model,
        dataset.inputs_tensor(&device),
        dataset.targets_tensor(&device),
        &resolved.train,
        |record| {
            progress.set_position(record.step as u64);
            progress.set_message(format!("loss {:.3e}", record.loss));
            metrics.append(record)
        },
    );
    let wall_time_s = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    metrics.finish()?;

    let mut summary = json!({
        "config": config,
        "seed": config.seed,
        "backend": args.device.backend,
        "dtype": args.device.dtype,
        "init": args.init.as_ref().map(|p| p.display().to_string()),
        "provenance": provenance(),
        "wall_time_s": wall_time_s,
    });
    let summary_path = out.join("summary.json");
    match result {
        Ok((model, outcome)) => {
            write_params(&out.join("params_final.npz"), &model.to_named_arrays())?;
            summary["status"] = json!("ok");
            summary["steps_run"] = json!(outcome.steps_run);
            summary["final_loss"] = json!(outcome.final_loss);
            summary["reached_target"] = json!(outcome.reached_target);
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

/// Removes what an earlier run in `out` wrote, so that a failed run never sits beside a
/// previous run's `params_final.npz` or `summary.json`.
fn remove_stale_outputs(out: &Path) -> anyhow::Result<()> {
    for name in [
        "summary.json",
        "metrics.csv",
        "metrics.csv.partial",
        "params_init.npz",
        "params_final.npz",
    ] {
        let path = out.join(name);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error)
                    .with_context(|| format!("removing the stale {}", path.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// `runs/<config file stem>`.
fn default_out_dir(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from("runs").join(stem)
}

/// A random draw from the `Init` stream of `seed`, or the arrays of `--init FILE.npz`.
fn initial_model(
    config: &TwoLayerConfig,
    init: Option<&Path>,
    seed: u64,
    device: &burn::tensor::Device,
) -> anyhow::Result<TwoLayer> {
    let Some(path) = init else {
        return Ok(config.init(&mut stream_rng(seed, RngStream::Init), device));
    };
    let arrays: Vec<NamedArray> = read_npz_arrays(path, &["w1", "b1", "a"])?;
    for array in &arrays {
        check_finite(&path.display().to_string(), array)?;
    }
    config
        .with_parameters(&arrays, device)
        .with_context(|| format!("--init {}", path.display()))
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
