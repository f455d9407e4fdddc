//! The kernel split by parameter group, so that the plain kernel K = Σ_g K_g and the
//! learning-rate-weighted one K_η = Σ_g η_g K_g come from the same computation.

use burn::tensor::Tensor;
use overparam_model::ParameterKind;

use crate::LearningRates;

/// K_g = J_g J_gᵀ for each parameter group g, each `[n, n]`; `None` for a group with no
/// trained tensor.
#[derive(Clone, Debug)]
pub struct NtkParts {
    /// Contribution of the hidden weights (`w1`, …).
    pub hidden_weights: Option<Tensor<2>>,
    /// Contribution of the hidden biases (`b1`, …).
    pub hidden_biases: Option<Tensor<2>>,
    /// Contribution of the output weights `a`.
    pub output_weights: Option<Tensor<2>>,
}

impl NtkParts {
    /// No contribution yet.
    pub fn empty() -> Self {
        Self {
            hidden_weights: None,
            hidden_biases: None,
            output_weights: None,
        }
    }

    /// Adds `term` `[n, n]` to the group `kind`.
    pub fn add(&mut self, kind: ParameterKind, term: Tensor<2>) {
        let slot = match kind {
            ParameterKind::HiddenWeights => &mut self.hidden_weights,
            ParameterKind::HiddenBiases => &mut self.hidden_biases,
            ParameterKind::OutputWeights => &mut self.output_weights,
        };
        *slot = Some(match slot.take() {
            Some(sum) => sum + term,
            None => term,
        });
    }

    /// K = Σ_g K_g `[n, n]`; `None` if no parameter is trained.
    pub fn total(&self) -> Option<Tensor<2>> {
        self.combine(|_| 1.0)
    }

    /// K_η = Σ_g η_g K_g `[n, n]`, the kernel of gradient descent with per-group rates.
    pub fn weighted(&self, rates: &LearningRates) -> Option<Tensor<2>> {
        self.combine(|kind| rates.for_kind(kind))
    }

    fn combine(&self, weight: impl Fn(ParameterKind) -> f64) -> Option<Tensor<2>> {
        let groups = [
            (ParameterKind::HiddenWeights, &self.hidden_weights),
            (ParameterKind::HiddenBiases, &self.hidden_biases),
            (ParameterKind::OutputWeights, &self.output_weights),
        ];
        groups
            .into_iter()
            .filter_map(|(kind, part)| part.clone().map(|k| k.mul_scalar(weight(kind))))
            .reduce(|sum, k| sum + k)
    }
}
