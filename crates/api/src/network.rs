//! The network a run starts from: its parameter names, the initial parameters (a draw from the
//! seed, the perturbed teacher, or `--init FILE.npz`), and the network built from them.

use std::path::Path;

use anyhow::Context as _;
use burn::tensor::Device;
use overparam_model::{Mlp, MlpConfig, NamedArray, ParameterId};
use overparam_trainer::data::{check_finite, Dataset, Teacher};
use overparam_trainer::{near_teacher_parameters, read_npz_arrays, stream_rng, RngStream};

use crate::config::ResolvedRun;

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

/// The parameter names of a network with `depth` hidden layers, in file order: `w1`, `b1`, …,
/// `a` (the `.npz` keys).
pub fn parameter_names(depth: usize) -> Vec<String> {
    ParameterId::all(depth)
        .iter()
        .map(ParameterId::to_string)
        .collect()
}

/// The teacher and perturbation size when the config starts the student at its teacher
/// (`model.init = "teacher"`), else `None`.
pub(crate) fn near_teacher(resolved: &ResolvedRun) -> anyhow::Result<Option<(Teacher, f64)>> {
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
pub(crate) fn initial_parameters(
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
pub(crate) fn initial_network(
    config: &MlpConfig,
    init: Option<&Path>,
    seed: u64,
    near_teacher: Option<&(Teacher, f64)>,
    device: &Device,
) -> anyhow::Result<Mlp> {
    let parameters = initial_parameters(config, init, seed, near_teacher)?;
    build_network(config, &parameters, device, init)
}
