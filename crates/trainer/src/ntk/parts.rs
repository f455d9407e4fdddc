//! The kernel split by parameter tensor, so that the plain kernel K = Σ_g K_g and the
//! learning-rate-weighted one K_η = Σ_g η_g K_g come from the same computation.

use std::collections::BTreeMap;

use burn::tensor::Tensor;

use crate::LearningRates;

/// K_g = J_g J_gᵀ `[n, n]` for each trained parameter tensor g, keyed by its name (`w1`, `b1`,
/// …, `a`); frozen tensors have no entry.
#[derive(Clone, Debug, Default)]
pub struct NtkParts {
    /// The contribution of each trained tensor.
    pub parts: BTreeMap<String, Tensor<2>>,
}

impl NtkParts {
    /// No contribution yet.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds `term` `[n, n]` to the contribution of parameter `name`.
    pub fn add(&mut self, name: &str, term: Tensor<2>) {
        let sum = match self.parts.remove(name) {
            Some(sum) => sum + term,
            None => term,
        };
        self.parts.insert(name.to_string(), sum);
    }

    /// K = Σ_g K_g `[n, n]`; `None` if no parameter is trained.
    pub fn total(&self) -> Option<Tensor<2>> {
        self.combine(|_| 1.0)
    }

    /// K_η = Σ_g η_g K_g `[n, n]`, the kernel of gradient descent with per-tensor rates.
    pub fn weighted(&self, rates: &LearningRates) -> Option<Tensor<2>> {
        self.combine(|name| rates.for_parameter(name))
    }

    fn combine(&self, weight: impl Fn(&str) -> f64) -> Option<Tensor<2>> {
        self.parts
            .iter()
            .map(|(name, k)| {
                let rate = weight(name);
                if rate == 1.0 {
                    k.clone()
                } else {
                    k.clone().mul_scalar(rate)
                }
            })
            .reduce(|sum, k| sum + k)
    }
}
