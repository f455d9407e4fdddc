//! The TOML run configuration: the file schema as typed (serde, unknown keys rejected, every
//! key defaulted as documented in the README), `--set` overrides, and the validation that
//! turns it into the model's and trainer's specifications. Past [`RunConfig::resolve`] the
//! program only sees valid values.

use std::path::{Path, PathBuf};

use anyhow::Context;
use overparam_model::{Activation, MlpConfig, OutputInit, Parameterization};
use overparam_trainer::data::DataSpec;
use overparam_trainer::TrainSpec;
use serde::{Deserialize, Serialize};

mod conflicts;
mod file;
mod given;
mod keys;
mod range;
mod resolve;
mod set;
#[cfg(test)]
mod tests;

pub use given::GivenKeys;
pub use keys::{InitKey, InputsKey, LabelsKey, OptimizerKey, RandomLabelsKey};

/// A whole run configuration file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Seed of the inputs, random labels, initial weights and SGD batches, in [0, 2^63 − 1]
    /// (TOML's integer range; with `train.seeds`, so is the last seed). Default 0.
    pub seed: u64,
    /// `[data]`.
    pub data: DataSection,
    /// `[model]`.
    pub model: ModelSection,
    /// `[train]`.
    pub train: TrainSection,
    /// The keys given explicitly, in the file or by a `--set` (provenance: never serialized,
    /// and equal in every config; see [`GivenKeys`]).
    #[serde(skip)]
    pub given: GivenKeys,
}

/// `[data]`: the samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataSection {
    /// Number of samples n. Default 256.
    pub n: usize,
    /// Input dimension d. Default 16.
    pub d: usize,
    /// `gaussian` (N(0, I/d)), `sphere` (uniform on S^{d−1}) or `file`. Default `sphere`.
    pub inputs: InputsKey,
    /// `teacher`, `random`, `planted_quadratic` or `file`. Default `teacher`.
    pub labels: LabelsKey,
    /// Teacher width k (also the number of planted directions). Default 4.
    pub teacher_width: usize,
    /// Seed of the teacher / planted directions, independent of `seed`, in [0, 2^63 − 1].
    /// Default 0.
    pub teacher_seed: u64,
    /// Orthonormal teacher directions (needs k ≤ d). Default false.
    pub teacher_orthonormal: bool,
    /// Law of random labels: `gaussian` (N(0,1)) or `sign` (±1). Default `gaussian`.
    pub random_labels: RandomLabelsKey,
    /// `.npz` with `x` `[n, d]` and `y` `[n]` when inputs/labels = `file`; relative to the
    /// config file's directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// Number of held-out points, drawn like the training ones (the same input law, teacher
    /// or planted directions; fresh random labels) from their own streams of `seed`; with
    /// `test_path`, the rows the file must have (0: whatever it has). Default 0: none.
    #[serde(skip_serializing_if = "is_zero")]
    pub n_test: usize,
    /// `.npz` with the held-out `x` `[n_test, d]` and `y` `[n_test]`; relative to the config
    /// file's directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_path: Option<PathBuf>,
    /// Seed of the data (inputs, random labels, held-out points) in [0, 2^63 − 1]; absent: the
    /// run's `seed`. Set, the seeds of `train.seeds` share their data while their
    /// initializations differ (the teacher has its own `teacher_seed` either way). Left out of
    /// serialized configs when absent, so that configs without it keep their run ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// `[model]`: the two-layer network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSection {
    /// Width m. Default 512.
    pub width: usize,
    /// `relu`, `quadratic` or `softplus`. Default `relu`.
    pub activation: Activation,
    /// `ntk`, `standard` or `mean_field`. Default `ntk`.
    pub parameterization: Parameterization,
    /// Law of the output weights a: `gaussian` or `sign` (±1). Default `gaussian`.
    pub output_init: OutputInit,
    /// Initial value B of every bias. Default 0.0.
    pub bias_init: f64,
    /// Train W. Default true.
    pub train_w: bool,
    /// Train b. Default true.
    pub train_b: bool,
    /// Train a. Default true.
    pub train_a: bool,
    /// Widths m_1, …, m_L of a network with L hidden layers; empty: one layer of `width`
    /// (not both given). Default [].
    pub widths: Vec<usize>,
    /// Per hidden layer, whether its W_l and b_l may train (with train_w/train_b); empty: all.
    /// Default [].
    pub train_layers: Vec<bool>,
    /// Initial parameters: `random` (drawn from `seed`) or `teacher` (the teacher itself, with
    /// labels = "teacher" and width ≥ data.teacher_width: each teacher neuron split among
    /// ⌈width/teacher_width⌉ or ⌊width/teacher_width⌋ copies sharing its output weight,
    /// perturbed by `init_noise`).
    /// Default `random`.
    pub init: InitKey,
    /// With init = "teacher": relative size of the perturbation (0: exactly the teacher).
    /// Default 0.0.
    pub init_noise: f64,
}

/// `[train]`: the optimisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainSection {
    /// `gd` (full batch) or `sgd`. Default `gd`.
    pub optimizer: OptimizerKey,
    /// Mini-batch size for `sgd` (1..=n); must be 0 for `gd`. Default 0.
    pub batch_size: usize,
    /// Maximum number of steps. Default 2000.
    pub steps: usize,
    /// Learning rate of W. Default 1.0.
    pub lr_w: f64,
    /// Learning rate of b. Default 1.0.
    pub lr_b: f64,
    /// Learning rate of a. Default 1.0.
    pub lr_a: f64,
    /// Log metrics every this many steps (≥ 1). Default 10.
    pub log_every: usize,
    /// Stop once the loss is ≤ this. Default 0.0.
    pub target_loss: f64,
    /// Record λ_min, λ_max and drift of the NTK every this many steps (0: never). Default 0.
    pub ntk_every: usize,
    /// Per-layer rates [η_1, …, η_L, η_out] overriding lr_w/lr_b/lr_a (layer l's weights and
    /// bias share η_l); empty: use lr_w/lr_b/lr_a (not given with any of them). Default [].
    pub lr: Vec<f64>,
    /// Write a checkpoint (parameters, loop state, step) every this many steps, so that
    /// `train --resume DIR` can continue bit-identically (0: never). Default 0.
    pub checkpoint_every: usize,
    /// Train this many networks, seeds `seed`, `seed + 1`, …, in one process as parallel
    /// tasks; each writes DIR/seed-<s>/ exactly as a run with that seed would. Default 1.
    #[serde(skip_serializing_if = "is_one")]
    pub seeds: u64,
    /// Also step the network's linearization at θ_0 with the same rates and log `loss_lin`,
    /// `test_loss_lin`, `lin_distance` and `test_lin_distance`. Default false.
    #[serde(skip_serializing_if = "is_false")]
    pub linearized: bool,
}

/// Whether `value` is 1 (the default of `train.seeds`, left out of serialized configs so that
/// configs from before the key existed keep their run ids).
fn is_one(value: &u64) -> bool {
    *value == 1
}

/// Whether `value` is 0 (the default of `data.n_test`, left out of serialized configs so that
/// configs from before the key existed keep their run ids).
fn is_zero(value: &usize) -> bool {
    *value == 0
}

/// Whether `value` is false (the default of `train.linearized`, left out like `is_zero`'s).
fn is_false(value: &bool) -> bool {
    !*value
}

impl Default for DataSection {
    fn default() -> Self {
        Self {
            n: 256,
            d: 16,
            inputs: InputsKey::Sphere,
            labels: LabelsKey::Teacher,
            teacher_width: 4,
            teacher_seed: 0,
            teacher_orthonormal: false,
            random_labels: RandomLabelsKey::Gaussian,
            path: None,
            n_test: 0,
            test_path: None,
            seed: None,
        }
    }
}

impl Default for ModelSection {
    fn default() -> Self {
        Self {
            width: 512,
            activation: Activation::Relu,
            parameterization: Parameterization::Ntk,
            output_init: OutputInit::Gaussian,
            bias_init: 0.0,
            train_w: true,
            train_b: true,
            train_a: true,
            widths: Vec::new(),
            train_layers: Vec::new(),
            init: InitKey::Random,
            init_noise: 0.0,
        }
    }
}

impl Default for TrainSection {
    fn default() -> Self {
        Self {
            optimizer: OptimizerKey::Gd,
            batch_size: 0,
            steps: 2000,
            lr_w: 1.0,
            lr_b: 1.0,
            lr_a: 1.0,
            log_every: 10,
            target_loss: 0.0,
            ntk_every: 0,
            lr: Vec::new(),
            checkpoint_every: 0,
            seeds: 1,
            linearized: false,
        }
    }
}

/// The model's and trainer's specifications, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedRun {
    /// Data to make or read.
    pub data: DataSpec,
    /// Network to build (one hidden layer: the two-layer network).
    pub model: MlpConfig,
    /// Schedule to train with.
    pub train: TrainSpec,
    /// With model.init = "teacher": the perturbation's relative size.
    pub near_teacher_noise: Option<f64>,
}

impl RunConfig {
    /// Reads `path` (at most 1 MiB), then applies each `--set key=value` in order. Errors name
    /// the file (with line and key) or the `--set`.
    pub fn load(path: &Path, overrides: &[String]) -> anyhow::Result<RunConfig> {
        let text = overparam_sweep::small_file::read_small_text(path, "config")?;
        let mut config =
            file::parse(&text).with_context(|| format!("config {}", path.display()))?;
        // A relative data path is relative to the config file.
        for data_path in [&mut config.data.path, &mut config.data.test_path]
            .into_iter()
            .flatten()
        {
            if data_path.is_relative() {
                *data_path = path.parent().unwrap_or(Path::new(".")).join(&*data_path);
            }
        }
        config.with_overrides(overrides)
    }

    /// Parses `text` (a whole config file; a relative `data.path` stays relative to the working
    /// directory), then applies each `--set key=value` in order. Errors name the line and key,
    /// or the `--set`.
    pub fn from_toml(text: &str, overrides: &[String]) -> anyhow::Result<RunConfig> {
        file::parse(text)
            .context("config text")?
            .with_overrides(overrides)
    }

    /// This configuration with each `--set key=value` of `overrides` applied in order (see
    /// [`with_override`](Self::with_override)); an error names the `--set`.
    pub fn with_overrides(self, overrides: &[String]) -> anyhow::Result<RunConfig> {
        let mut config = self;
        for assignment in overrides {
            config = config
                .with_override(assignment)
                .with_context(|| format!("--set {assignment}"))?;
        }
        Ok(config)
    }

    /// This configuration with one `key=value` applied (`key` dotted, e.g. `train.lr_a`;
    /// `value` exactly one TOML value on one line, or a bare string), the key recorded as
    /// given by `assignment`.
    pub fn with_override(&self, assignment: &str) -> anyhow::Result<RunConfig> {
        let (key, value) = set::parse_assignment(assignment)?;
        range::check_tree(&serde_json::to_value(self).context("encoding the config")?)?;
        let mut table = toml::Table::try_from(self).context("re-encoding the config")?;
        let inner_keys: Vec<String> = match &value {
            toml::Value::Table(inner) if !key.contains('.') => {
                inner.keys().map(|k| format!("{key}.{k}")).collect()
            }
            _ => vec![key.clone()],
        };
        set::insert(&mut table, &key, value)?;
        let mut config = RunConfig::deserialize(toml::Value::Table(table))
            .map_err(|e| anyhow::anyhow!("key `{key}`: {e}"))?;
        config.given = self.given.clone();
        if !key.contains('.') {
            config.given.forget_section(&key);
        }
        for given in &inner_keys {
            config.given.record_set(given, assignment);
        }
        Ok(config)
    }

    /// [`resolve`](Self::resolve), its error placed at the `--set` that gave the key the error
    /// starts with, or else at the config file `path`.
    pub fn resolve_located(&self, path: &Path) -> anyhow::Result<ResolvedRun> {
        self.resolve().map_err(|error| {
            let place = match self.given.set_named_by(&error.to_string()) {
                Some(assignment) => format!("--set {assignment}"),
                None => format!("config {}", path.display()),
            };
            error.context(place)
        })
    }
}
