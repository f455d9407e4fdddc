//! The kernel split by parameter tensor, so that the plain kernel K = Σ_g K_g and the
//! learning-rate-weighted one K_η = Σ_g η_g K_g come from the same computation.

use std::collections::BTreeMap;

use burn::tensor::Tensor;

use overparam_model::ParameterId;

use crate::LearningRates;

/// K_g = J_g J_gᵀ `[n, n]` for each trained parameter tensor g (`w1`, `b1`, …, `a`); frozen
/// tensors have no entry. Sums run in the ids' order (as their names sort).
#[derive(Clone, Debug, Default)]
pub struct NtkParts {
    /// The contribution of each trained tensor.
    pub parts: BTreeMap<ParameterId, Tensor<2>>,
}

impl NtkParts {
    /// No contribution yet.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds `term` `[n, n]` to the contribution of parameter `id`.
    pub fn add(&mut self, id: ParameterId, term: Tensor<2>) {
        let sum = match self.parts.remove(&id) {
            Some(sum) => sum + term,
            None => term,
        };
        self.parts.insert(id, sum);
    }

    /// K = Σ_g K_g `[n, n]`; `None` if no parameter is trained.
    pub fn total(&self) -> Option<Tensor<2>> {
        self.combine(|_| 1.0)
    }

    /// K_η = Σ_g η_g K_g `[n, n]`, the kernel of gradient descent with per-tensor rates.
    pub fn weighted(&self, rates: &LearningRates) -> Option<Tensor<2>> {
        self.combine(|id| rates.for_parameter(id))
    }

    fn combine(&self, weight: impl Fn(ParameterId) -> f64) -> Option<Tensor<2>> {
        self.parts
            .iter()
            .map(|(&id, k)| {
                let rate = weight(id);
                if rate == 1.0 {
                    k.clone()
                } else {
                    k.clone().mul_scalar(rate)
                }
            })
            .reduce(|sum, k| sum + k)
    }
}
