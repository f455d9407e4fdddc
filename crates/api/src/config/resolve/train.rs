//! `[train]` resolved: the learning rates, the schedule and the optimizer.

use anyhow::ensure;
use overparam_trainer::{LearningRates, Optimizer, StepEngine, TrainSpec};

use crate::config::{OptimizerKey, TrainSection};

impl TrainSection {
    /// `train.lr`: empty, or [η_1, …, η_L, η_out] for `depth` hidden layers, each finite and
    /// ≥ 0.
    pub(super) fn check_layer_rates(&self, depth: usize) -> anyhow::Result<()> {
        ensure!(
            self.lr.is_empty() || self.lr.len() == depth + 1,
            "train.lr needs {} entries [η_1, …, η_L, η_out] for {depth} hidden layers, got {}",
            depth + 1,
            self.lr.len()
        );
        for (index, rate) in self.lr.iter().enumerate() {
            ensure!(
                rate.is_finite() && *rate >= 0.0,
                "train.lr[{index}] must be finite and ≥ 0, got {rate}"
            );
        }
        Ok(())
    }

    /// `train.log_every` ≥ 1 and `train.target_loss` finite and ≥ 0.
    pub(super) fn check_schedule(&self) -> anyhow::Result<()> {
        ensure!(self.log_every >= 1, "train.log_every must be at least 1");
        ensure!(
            self.target_loss.is_finite() && self.target_loss >= 0.0,
            "train.target_loss must be a finite number ≥ 0, got {}",
            self.target_loss
        );
        Ok(())
    }

    /// `train.lr_w`, `lr_b` and `lr_a` each finite and ≥ 0.
    pub(super) fn check_kind_rates(&self) -> anyhow::Result<()> {
        for (key, rate) in [
            ("lr_w", self.lr_w),
            ("lr_b", self.lr_b),
            ("lr_a", self.lr_a),
        ] {
            ensure!(
                rate.is_finite() && rate >= 0.0,
                "train.{key} must be finite and ≥ 0, got {rate}"
            );
        }
        Ok(())
    }

    /// The optimizer, its `train.batch_size` checked against `num_samples` (data.n).
    pub(super) fn optimizer(&self, num_samples: usize) -> anyhow::Result<Optimizer> {
        Ok(match self.optimizer {
            OptimizerKey::Gd => {
                ensure!(
                    self.batch_size == 0,
                    "train.batch_size is for optimizer = \"sgd\" only (got {} with \"gd\")",
                    self.batch_size
                );
                Optimizer::GradientDescent
            }
            OptimizerKey::Sgd => {
                ensure!(
                    (1..=num_samples).contains(&self.batch_size),
                    "train.batch_size must be between 1 and data.n = {} for sgd, got {}",
                    num_samples,
                    self.batch_size
                );
                Optimizer::StochasticGradientDescent {
                    batch_size: self.batch_size,
                }
            }
        })
    }

    /// The schedule to train with (checked values only; `seed` is the run's).
    pub(super) fn spec(&self, optimizer: Optimizer, seed: u64) -> TrainSpec {
        TrainSpec {
            optimizer,
            steps: self.steps,
            learning_rates: LearningRates {
                per_layer: self.lr.clone(),
                ..LearningRates::by_kind(self.lr_w, self.lr_b, self.lr_a)
            },
            log_every: self.log_every,
            target_loss: self.target_loss,
            seed,
            ntk_every: self.ntk_every,
            engine: StepEngine::Autodiff,
        }
    }
}
