//! What `train` and `ntk` share: loading the config, preparing the output directory, and the
//! fields every `summary.json` starts with.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use burn::tensor::Device;
use overparam_api::{Compute, Experiment};
use overparam_sweep::files::is_temporary;
use serde_json::{json, Value};

use crate::backend::device_name;
use crate::cli::RunArgs;
use crate::config::RunConfig;
use crate::output::remove_if_present;
use crate::provenance::provenance;

/// The files `train` writes into its output directory.
pub const TRAIN_OUTPUTS: [&str; 8] = [
    "summary.json",
    "teacher.npz",
    "alignment.npy",
    "checkpoint.json",
    "metrics.csv",
    "metrics.csv.partial",
    "params_init.npz",
    "params_final.npz",
];

/// Reads and validates `--config` with its `--set` overrides.
pub fn load_config(args: &RunArgs) -> anyhow::Result<Experiment> {
    let Some(path) = &args.config else {
        anyhow::bail!(
            "--config FILE is required (a TOML run configuration, e.g. configs/quickstart.toml)"
        );
    };
    Experiment::load(path, &args.overrides)
}

/// Creates `--out` (default `runs/<config stem><suffix>`) and removes the `outputs` an earlier
/// run left there, so that a failed run never sits beside an earlier run's results.
pub fn prepare_out_dir(args: &RunArgs, suffix: &str, outputs: &[&str]) -> anyhow::Result<PathBuf> {
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .config
            .as_deref()
            .and_then(Path::file_stem)
            .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("runs").join(format!("{stem}{suffix}"))
    });
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    for name in outputs {
        remove_if_present(&out.join(name))?;
    }
    Ok(out)
}

/// Removes the temporary files that a process killed while writing an output left in `dir`
/// (`overparam_sweep::files::temporary_beside`'s, and the `.tmp*` of older versions); called
/// with the run directory's lock held, so no live writer owns them.
pub fn remove_stray_temporaries(dir: &Path) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stray = (name.starts_with(".tmp") || is_temporary(&name))
            && entry.file_type().is_ok_and(|t| t.is_file());
        if stray {
            let path = entry.path();
            std::fs::remove_file(&path)
                .with_context(|| format!("removing the stray temporary {}", path.display()))?;
        }
    }
    Ok(())
}

/// [`run_header`] of a command-line run.
pub fn summary_header(args: &RunArgs, config: &RunConfig, device: &Device) -> Value {
    let init = args.init.as_ref().map(|p| p.display().to_string());
    run_header(config, args.device.compute(), device, init)
}

/// The fields every `summary.json` starts with: the resolved config, seed, backend, the
/// device's own name, dtype, where the initial parameters came from (`init`: a file, or
/// `None` for the config's draw), and provenance.
pub fn run_header(
    config: &RunConfig,
    compute: Compute,
    device: &Device,
    init: Option<String>,
) -> Value {
    json!({
        "config": config,
        "seed": config.seed,
        "backend": compute.backend,
        "device": device_name(device),
        "dtype": compute.dtype,
        "init": init,
        "provenance": provenance(),
    })
}
