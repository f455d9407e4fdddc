//! The network a run starts from: its parameter names, the initial parameters (a draw from the
//! seed, the perturbed teacher, or `--init FILE.npz`), and the network built from them.

use std::fmt;
use std::path::PathBuf;

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

/// Parameters a run starts from instead of the config's draw (`w1` `[m_1, d]`, `b1` `[m_1]`,
/// …, `a` `[m_L]`).
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// The arrays of an `.npz` file (`--init FILE`).
    File(PathBuf),
    /// Arrays the caller holds (from numpy, say), in any order; every name of the network
    /// and no other.
    Arrays(Vec<NamedArray>),
}

impl fmt::Display for Init {
    /// `--init FILE` or `the given parameters`: where a shape or value error points.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Init::File(path) => write!(f, "--init {}", path.display()),
            Init::Arrays(_) => f.write_str("the given parameters"),
        }
    }
}

impl Init {
    /// The arrays, checked for presence (each of `names`, no other) and finiteness, in the
    /// order of `names`; shapes are checked when the network is built.
    fn arrays(&self, names: &[&str]) -> anyhow::Result<Vec<NamedArray>> {
        let arrays = match self {
            Init::File(path) => read_npz_arrays(path, names)?,
            Init::Arrays(given) => {
                if let Some(extra) = given.iter().find(|a| !names.contains(&a.name.as_str())) {
                    anyhow::bail!(
                        "{self}: no parameter is called `{}`; this network has {}",
                        extra.name,
                        names.join(", ")
                    );
                }
                names
                    .iter()
                    .map(|name| {
                        given
                            .iter()
                            .find(|a| a.name == *name)
                            .cloned()
                            .with_context(|| {
                                format!(
                                    "{self}: `{name}` is missing (this network has {})",
                                    names.join(", ")
                                )
                            })
                    })
                    .collect::<anyhow::Result<_>>()?
            }
        };
        for array in &arrays {
            check_finite(&self.to_string(), array)?;
        }
        Ok(arrays)
    }
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
/// the same stream (`near_teacher`), or the arrays of `init` (checked for presence and
/// finiteness; shapes are checked on building).
pub(crate) fn initial_parameters(
    config: &MlpConfig,
    init: Option<&Init>,
    seed: u64,
    near_teacher: Option<&(Teacher, f64)>,
) -> anyhow::Result<Vec<NamedArray>> {
    let Some(init) = init else {
        let mut rng = stream_rng(seed, RngStream::Init);
        return match near_teacher {
            Some((teacher, noise)) => near_teacher_parameters(config, teacher, *noise, &mut rng)
                .map_err(|error| anyhow::anyhow!("model.init = \"teacher\": {error}")),
            None => Ok(config.init_parameters(&mut rng)),
        };
    };
    anyhow::ensure!(
        near_teacher.is_none(),
        "{init} and model.init = \"teacher\" both choose the initial parameters; keep one"
    );
    let names = parameter_names(config.depth());
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    init.arrays(&names)
}

/// Builds the network of `config` from `parameters` on `device`; a shape mismatch names the
/// array, both shapes and where the parameters came from (`init`, or the initial draw).
pub fn build_network(
    config: &MlpConfig,
    parameters: &[NamedArray],
    device: &Device,
    init: Option<&Init>,
) -> anyhow::Result<Mlp> {
    config
        .with_parameters(parameters, device)
        .with_context(|| init.map_or_else(|| "initial parameters".to_string(), Init::to_string))
}

/// The initial network: `init`'s arrays, the perturbed teacher or a draw from `seed`.
pub(crate) fn initial_network(
    config: &MlpConfig,
    init: Option<&Init>,
    seed: u64,
    near_teacher: Option<&(Teacher, f64)>,
    device: &Device,
) -> anyhow::Result<Mlp> {
    let parameters = initial_parameters(config, init, seed, near_teacher)?;
    build_network(config, &parameters, device, init)
}
