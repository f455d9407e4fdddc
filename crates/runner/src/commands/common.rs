//! What `train` and `ntk` share: loading the config, preparing the output directory, the
//! initial network, and the fields every `summary.json` starts with.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use overparam_model::{NamedArray, TwoLayer, TwoLayerConfig};
use overparam_trainer::data::check_finite;
use overparam_trainer::{read_npz_arrays, stream_rng, RngStream};
use serde_json::{json, Value};

use crate::cli::RunArgs;
use crate::config::{ResolvedRun, RunConfig};
use crate::provenance::provenance;

/// The files `train` writes into its output directory.
pub const TRAIN_OUTPUTS: [&str; 5] = [
    "summary.json",
    "metrics.csv",
    "metrics.csv.partial",
    "params_init.npz",
    "params_final.npz",
];

/// Reads and validates `--config` with its `--set` overrides.
pub fn load_config(args: &RunArgs) -> anyhow::Result<(RunConfig, ResolvedRun)> {
    let config = RunConfig::load(&args.config, &args.overrides)?;
    let resolved = config
        .resolve()
        .with_context(|| format!("config {}", args.config.display()))?;
    Ok((config, resolved))
}

/// Creates `--out` (default `runs/<config stem><suffix>`) and removes the `outputs` an earlier
/// run left there, so that a failed run never sits beside an earlier run's results.
pub fn prepare_out_dir(args: &RunArgs, suffix: &str, outputs: &[&str]) -> anyhow::Result<PathBuf> {
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .config
            .file_stem()
            .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("runs").join(format!("{stem}{suffix}"))
    });
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    for name in outputs {
        let path = out.join(name);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error)
                    .with_context(|| format!("removing the stale {}", path.display()));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A random draw from the `Init` stream of `seed`, or the arrays of `--init FILE.npz`.
pub fn initial_model(
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

/// The fields every `summary.json` starts with: the resolved config, seed, backend, dtype,
/// `--init`, and provenance.
pub fn summary_header(args: &RunArgs, config: &RunConfig) -> Value {
    json!({
        "config": config,
        "seed": config.seed,
        "backend": args.device.backend,
        "dtype": args.device.dtype,
        "init": args.init.as_ref().map(|p| p.display().to_string()),
        "provenance": provenance(),
    })
}
