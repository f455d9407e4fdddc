//! [`RunConfig::resolve`]: every value checked (errors name the key) and turned into the
//! model's and trainer's specifications.

use std::path::PathBuf;

use anyhow::{ensure, Context};
use overparam_model::{MlpConfig, Trainable};
use overparam_trainer::data::{DataSpec, InputLaw, InputSource, LabelSource, RandomLabels};
use overparam_trainer::{LearningRates, Optimizer, StepEngine, TrainSpec};

use super::{
    conflicts, range, InitKey, InputsKey, LabelsKey, OptimizerKey, RandomLabelsKey, ResolvedRun,
    RunConfig,
};

impl RunConfig {
    /// Checks every value and builds the specifications. Errors name the key.
    pub fn resolve(&self) -> anyhow::Result<ResolvedRun> {
        let (data, model, train) = (&self.data, &self.model, &self.train);
        ensure!(data.n >= 1, "data.n must be at least 1");
        ensure!(train.seeds >= 1, "train.seeds must be at least 1");
        range::check_seeds(self.seed, data.teacher_seed, train.seeds)?;
        ensure!(data.d >= 1, "data.d must be at least 1");
        ensure!(model.width >= 1, "model.width must be at least 1");
        conflicts::check(self)?;
        let widths = if model.widths.is_empty() {
            vec![model.width]
        } else {
            model.widths.clone()
        };
        ensure!(
            widths.iter().all(|&m| m >= 1),
            "every entry of model.widths must be at least 1, got {widths:?}"
        );
        let depth = widths.len();
        ensure!(
            model.train_layers.is_empty() || model.train_layers.len() == depth,
            "model.train_layers needs one entry per hidden layer ({depth}), got {}",
            model.train_layers.len()
        );
        ensure!(
            train.lr.is_empty() || train.lr.len() == depth + 1,
            "train.lr needs {} entries [η_1, …, η_L, η_out] for {depth} hidden layers, got {}",
            depth + 1,
            train.lr.len()
        );
        for (index, rate) in train.lr.iter().enumerate() {
            ensure!(
                rate.is_finite() && *rate >= 0.0,
                "train.lr[{index}] must be finite and ≥ 0, got {rate}"
            );
        }
        ensure!(
            model.bias_init.is_finite(),
            "model.bias_init must be finite"
        );
        ensure!(train.log_every >= 1, "train.log_every must be at least 1");
        ensure!(
            train.target_loss.is_finite() && train.target_loss >= 0.0,
            "train.target_loss must be a finite number ≥ 0, got {}",
            train.target_loss
        );
        for (key, rate) in [
            ("lr_w", train.lr_w),
            ("lr_b", train.lr_b),
            ("lr_a", train.lr_a),
        ] {
            ensure!(
                rate.is_finite() && rate >= 0.0,
                "train.{key} must be finite and ≥ 0, got {rate}"
            );
        }
        let optimizer = match train.optimizer {
            OptimizerKey::Gd => {
                ensure!(
                    train.batch_size == 0,
                    "train.batch_size is for optimizer = \"sgd\" only (got {} with \"gd\")",
                    train.batch_size
                );
                Optimizer::GradientDescent
            }
            OptimizerKey::Sgd => {
                ensure!(
                    (1..=data.n).contains(&train.batch_size),
                    "train.batch_size must be between 1 and data.n = {} for sgd, got {}",
                    data.n,
                    train.batch_size
                );
                Optimizer::StochasticGradientDescent {
                    batch_size: train.batch_size,
                }
            }
        };
        let near_teacher_noise = match model.init {
            InitKey::Random => None,
            InitKey::Teacher => {
                ensure!(
                    data.labels == LabelsKey::Teacher,
                    "model.init = \"teacher\" needs data.labels = \"teacher\""
                );
                ensure!(
                    depth == 1 && widths[0] == data.teacher_width,
                    "model.init = \"teacher\" needs one hidden layer with model.width = \
                     data.teacher_width = {}",
                    data.teacher_width
                );
                ensure!(
                    model.init_noise.is_finite() && model.init_noise >= 0.0,
                    "model.init_noise must be finite and ≥ 0, got {}",
                    model.init_noise
                );
                Some(model.init_noise)
            }
        };
        let file = || -> anyhow::Result<PathBuf> {
            data.path.clone().context(
                "data.path must name an .npz file when data.inputs or data.labels is \"file\"",
            )
        };
        let inputs = match data.inputs {
            InputsKey::Gaussian => InputSource::Generated(InputLaw::Gaussian),
            InputsKey::Sphere => InputSource::Generated(InputLaw::Sphere),
            InputsKey::File => InputSource::File(file()?),
        };
        let teacher_width = || -> anyhow::Result<usize> {
            ensure!(
                data.teacher_width >= 1,
                "data.teacher_width must be at least 1"
            );
            Ok(data.teacher_width)
        };
        let labels = match data.labels {
            LabelsKey::Teacher => LabelSource::Teacher {
                width: teacher_width()?,
                orthonormal: data.teacher_orthonormal,
                seed: data.teacher_seed,
                activation: model.activation,
            },
            LabelsKey::Random => LabelSource::Random(match data.random_labels {
                RandomLabelsKey::Gaussian => RandomLabels::Gaussian,
                RandomLabelsKey::Sign => RandomLabels::Sign,
            }),
            LabelsKey::PlantedQuadratic => LabelSource::PlantedQuadratic {
                width: teacher_width()?,
                orthonormal: data.teacher_orthonormal,
                seed: data.teacher_seed,
            },
            LabelsKey::File => {
                ensure!(data.inputs == InputsKey::File, "data.labels = \"file\" needs data.inputs = \"file\" (x and y come from the same .npz)");
                LabelSource::File(file()?)
            }
        };
        Ok(ResolvedRun {
            data: DataSpec {
                num_samples: data.n,
                input_dim: data.d,
                inputs,
                labels,
                seed: self.seed,
            },
            model: MlpConfig {
                input_dim: data.d,
                trainable_layers: if model.train_layers.is_empty() {
                    vec![true; depth]
                } else {
                    model.train_layers.clone()
                },
                widths,
                activation: model.activation,
                parameterization: model.parameterization,
                output_init: model.output_init,
                bias_init: model.bias_init,
                trainable: Trainable {
                    w: model.train_w,
                    b: model.train_b,
                    a: model.train_a,
                },
            },
            train: TrainSpec {
                optimizer,
                steps: train.steps,
                learning_rates: LearningRates {
                    per_layer: train.lr.clone(),
                    ..LearningRates::by_kind(train.lr_w, train.lr_b, train.lr_a)
                },
                log_every: train.log_every,
                target_loss: train.target_loss,
                seed: self.seed,
                ntk_every: train.ntk_every,
                engine: StepEngine::Autodiff,
            },
            near_teacher_noise,
        })
    }
}
