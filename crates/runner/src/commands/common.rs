//! What `train` and `ntk` share: loading the config, preparing the output directory, the
//! initial network, and the fields every `summary.json` starts with.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use burn::tensor::Device;
use overparam_model::{Mlp, MlpConfig, NamedArray, ParameterId};
use overparam_sweep::files::is_temporary;
use overparam_trainer::data::{check_finite, Dataset, Teacher};
use overparam_trainer::{near_teacher_parameters, read_npz_arrays, stream_rng, RngStream};
use serde_json::{json, Value};

use crate::backend::{
    autodiff_device, device_name, require_accurate_activation, BackendKind, DTypeKind,
};
use crate::cli::RunArgs;
use crate::config::{ResolvedRun, RunConfig};
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

/// The autodiff device for `backend` and `dtype`, checked to compute `model`'s activation to
/// the dtype's precision.
pub fn device_for(
    backend: BackendKind,
    dtype: DTypeKind,
    model: &MlpConfig,
) -> anyhow::Result<Device> {
    let device = autodiff_device(backend, dtype)?;
    require_accurate_activation(&device, dtype, model.activation)?;
    Ok(device)
}

/// Reads and validates `--config` with its `--set` overrides.
pub fn load_config(args: &RunArgs) -> anyhow::Result<(RunConfig, ResolvedRun)> {
    let Some(path) = &args.config else {
        anyhow::bail!(
            "--config FILE is required (a TOML run configuration, e.g. configs/quickstart.toml)"
        );
    };
    load_config_file(path, &args.overrides)
}

/// Reads and validates the config at `path` with `overrides` applied in order; an invalid
/// value names the `--set` that gave it, or else the config file.
pub fn load_config_file(
    path: &Path,
    overrides: &[String],
) -> anyhow::Result<(RunConfig, ResolvedRun)> {
    let config = RunConfig::load(path, overrides)?;
    let resolved = config.resolve_located(path)?;
    Ok((config, resolved))
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

/// Refuses a network with every tensor frozen before anything is computed or written:
/// there is nothing to `purpose` (train: gradient descent would move nothing, and Burn's
/// backward pass has nothing to differentiate), whichever engine computes the steps.
pub fn refuse_frozen_network(model: &MlpConfig, purpose: &str) -> anyhow::Result<()> {
    let hidden = model.trainable_layers.iter().any(|&trained| trained)
        && (model.trainable.w || model.trainable.b);
    anyhow::ensure!(
        hidden || model.trainable.a,
        "nothing to {purpose}: model.train_w, model.train_b and model.train_a (or every entry \
         of model.train_layers, with model.train_a) are all false, so every tensor is frozen; \
         let at least one train (`overparam ntk` computes the kernel of a network without \
         training it)"
    );
    Ok(())
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

/// The parameter names of a network with `depth` hidden layers, in file order: `w1`, `b1`, …,
/// `a` (the `.npz` keys).
pub fn parameter_names(depth: usize) -> Vec<String> {
    ParameterId::all(depth).iter().map(ParameterId::to_string).collect()
}

/// The teacher and perturbation size when the config starts the student at its teacher
/// (`model.init = "teacher"`), else `None`.
pub fn near_teacher(resolved: &ResolvedRun) -> anyhow::Result<Option<(Teacher, f64)>> {
    let Some(noise) = resolved.near_teacher_noise else {
        return Ok(None);
    };
    let teacher = Dataset::from_spec(&resolved.data)?
        .teacher
        .context("model.init = \"teacher\" needs a teacher (data.labels = \"teacher\")")?;
    Ok(Some((teacher, noise)))
}

/// The initial parameters: a draw from the `Init` stream of `seed`, the teacher perturbed by
/// the same stream (`near_teacher`), or the arrays of `--init FILE.npz` (checked for presence
/// and finiteness; shapes are checked on building).
pub fn initial_parameters(
    config: &MlpConfig,
    init: Option<&Path>,
    seed: u64,
    near_teacher: Option<&(Teacher, f64)>,
) -> anyhow::Result<Vec<NamedArray>> {
    let Some(path) = init else {
        let mut rng = stream_rng(seed, RngStream::Init);
        return match near_teacher {
            Some((teacher, noise)) => near_teacher_parameters(config, teacher, *noise, &mut rng)
                .map_err(|error| anyhow::anyhow!("model.init = \"teacher\": {error}")),
            None => Ok(config.init_parameters(&mut rng)),
        };
    };
    anyhow::ensure!(
        near_teacher.is_none(),
        "--init {} and model.init = \"teacher\" both choose the initial parameters; keep one",
        path.display()
    );
    let names = parameter_names(config.depth());
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let arrays = read_npz_arrays(path, &names)?;
    for array in &arrays {
        check_finite(&path.display().to_string(), array)?;
    }
    Ok(arrays)
}

/// Builds the network of `config` from `parameters` on `device`; a shape mismatch names the
/// array, both shapes and where the parameters came from (`--init FILE` or the initial draw).
pub fn build_network(
    config: &MlpConfig,
    parameters: &[NamedArray],
    device: &Device,
    init: Option<&Path>,
) -> anyhow::Result<Mlp> {
    config.with_parameters(parameters, device).with_context(|| {
        init.map_or_else(
            || "initial parameters".to_string(),
            |p| format!("--init {}", p.display()),
        )
    })
}

/// The initial network: `--init` arrays, the perturbed teacher or a draw from `seed`.
pub fn initial_network(
    config: &MlpConfig,
    init: Option<&Path>,
    seed: u64,
    near_teacher: Option<&(Teacher, f64)>,
    device: &Device,
) -> anyhow::Result<Mlp> {
    let parameters = initial_parameters(config, init, seed, near_teacher)?;
    build_network(config, &parameters, device, init)
}

/// The fields every `summary.json` starts with: the resolved config, seed, backend, the
/// device's own name, dtype, `--init`, and provenance.
pub fn summary_header(args: &RunArgs, config: &RunConfig, device: &Device) -> Value {
    json!({
        "config": config,
        "seed": config.seed,
        "backend": args.device.backend,
        "device": device_name(device),
        "dtype": args.device.dtype,
        "init": args.init.as_ref().map(|p| p.display().to_string()),
        "provenance": provenance(),
    })
}
