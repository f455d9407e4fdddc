//! `[model]` resolved: the hidden widths, the per-layer training flags, the bias and the
//! start next to the teacher.

use anyhow::ensure;
use overparam_model::{MlpConfig, Trainable};

use crate::config::{DataSection, InitKey, LabelsKey, ModelSection};

impl ModelSection {
    /// The hidden widths m_1, …, m_L: `model.widths`, or one layer of `model.width`.
    pub(super) fn hidden_widths(&self) -> anyhow::Result<Vec<usize>> {
        let widths = if self.widths.is_empty() {
            vec![self.width]
        } else {
            self.widths.clone()
        };
        ensure!(
            widths.iter().all(|&m| m >= 1),
            "every entry of model.widths must be at least 1, got {widths:?}"
        );
        Ok(widths)
    }

    /// `model.train_layers`: empty, or one entry per hidden layer (`depth` of them).
    pub(super) fn check_train_layers(&self, depth: usize) -> anyhow::Result<()> {
        ensure!(
            self.train_layers.is_empty() || self.train_layers.len() == depth,
            "model.train_layers needs one entry per hidden layer ({depth}), got {}",
            self.train_layers.len()
        );
        Ok(())
    }

    /// `model.bias_init` must be finite.
    pub(super) fn check_bias_init(&self) -> anyhow::Result<()> {
        ensure!(self.bias_init.is_finite(), "model.bias_init must be finite");
        Ok(())
    }

    /// With `model.init = "teacher"`, the perturbation's size, once the labels are checked to
    /// be the teacher's and `widths` one layer at least as wide; `None` for a random start.
    pub(super) fn near_teacher_noise(
        &self,
        data: &DataSection,
        widths: &[usize],
    ) -> anyhow::Result<Option<f64>> {
        match self.init {
            InitKey::Random => Ok(None),
            InitKey::Teacher => {
                ensure!(
                    data.labels == LabelsKey::Teacher,
                    "model.init = \"teacher\" needs data.labels = \"teacher\""
                );
                ensure!(
                    matches!(widths, [m] if *m >= data.teacher_width),
                    "model.init = \"teacher\" needs one hidden layer with model.width ≥ \
                     data.teacher_width = {} (each teacher neuron is split among \
                     model.width / data.teacher_width student neurons), got widths {widths:?}",
                    data.teacher_width
                );
                ensure!(
                    self.init_noise.is_finite() && self.init_noise >= 0.0,
                    "model.init_noise must be finite and ≥ 0, got {}",
                    self.init_noise
                );
                Ok(Some(self.init_noise))
            }
        }
    }

    /// The network to build, on inputs of dimension `input_dim` with hidden `widths`.
    pub(super) fn mlp_config(&self, input_dim: usize, widths: Vec<usize>) -> MlpConfig {
        MlpConfig {
            input_dim,
            trainable_layers: if self.train_layers.is_empty() {
                vec![true; widths.len()]
            } else {
                self.train_layers.clone()
            },
            widths,
            activation: self.activation,
            parameterization: self.parameterization,
            output_init: self.output_init,
            bias_init: self.bias_init,
            trainable: Trainable {
                w: self.train_w,
                b: self.train_b,
                a: self.train_a,
            },
        }
    }
}
