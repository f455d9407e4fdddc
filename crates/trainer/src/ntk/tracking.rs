//! The kernel during training: λ_min(K_t), λ_max(K_t) and the drift ‖K_t − K_0‖_F/‖K_0‖_F,
//! plus λ_min of the learning-rate-weighted kernel at step 0 for the predicted linear rate.

use burn::tensor::Tensor;
use overparam_model::{host_values, HostNetwork, Mlp, Network, TwoLayer};

use super::{
    closed_form_ntk, closed_form_ntk_host, jacobian_ntk, kernel_drift, ntk_spectrum, NtkParts,
};
use crate::{LearningRates, TrainerError};

/// A network whose empirical NTK the training loop can track: the two-layer network uses
/// the closed form; deeper networks use [`jacobian_ntk`](super::jacobian_ntk).
pub trait EmpiricalNtk: Network + HostNetwork {
    /// The empirical NTK by parameter tensor at `inputs` `[n, d]`, each part `[n, n]`, for a
    /// model on an autodiff device.
    fn empirical_ntk(&self, inputs: Tensor<2>) -> NtkParts;

    /// The same kernel computed on the host where that is faster (the two-layer closed form
    /// as symmetric products); only for models on a CPU backend.
    fn empirical_ntk_on_host(&self, inputs: Tensor<2>) -> NtkParts {
        self.empirical_ntk(inputs)
    }
}

impl EmpiricalNtk for TwoLayer {
    fn empirical_ntk(&self, inputs: Tensor<2>) -> NtkParts {
        closed_form_ntk(self, inputs)
    }

    fn empirical_ntk_on_host(&self, inputs: Tensor<2>) -> NtkParts {
        closed_form_ntk_host(self, inputs)
    }
}

impl EmpiricalNtk for Mlp {
    /// The Jacobian (leaf) method in one block (the model must be on an autodiff device).
    fn empirical_ntk(&self, inputs: Tensor<2>) -> NtkParts {
        let [n, _] = inputs.dims();
        jacobian_ntk(self, inputs, n.max(1))
    }
}

/// λ_min, λ_max and drift of K_t at one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelRecord {
    /// λ_min(K_t), as computed (may be ~0 or slightly negative when K_t is singular).
    pub lambda_min: f64,
    /// λ_max(K_t).
    pub lambda_max: f64,
    /// ‖K_t − K_0‖_F/‖K_0‖_F.
    pub drift: f64,
}

/// Remembers K_0 and measures later kernels against it.
#[derive(Default)]
pub struct KernelTracker {
    initial: Option<Vec<f64>>,
    /// λ_min(K_η) at the first measurement: the rate-weighted kernel that governs GD.
    pub initial_lr_weighted_lambda_min: Option<f64>,
}

impl KernelTracker {
    /// A tracker that already knows K_0 (row-major `[n, n]`) and λ_min(K_η) at step 0, as a
    /// resumed run's checkpoint records them.
    pub fn resumed(initial: Option<Vec<f64>>, initial_lr_weighted_lambda_min: Option<f64>) -> Self {
        Self {
            initial,
            initial_lr_weighted_lambda_min,
        }
    }

    /// K_0 row-major `[n, n]`, once measured.
    pub fn initial_kernel(&self) -> Option<&[f64]> {
        self.initial.as_deref()
    }

    /// Measures the kernel of `model` at `inputs` `[n, d]`; the first call fixes K_0 (and
    /// λ_min(K_η) with `rates`). A model with every tensor frozen has no kernel: `Ok(None)`.
    pub fn measure<M: EmpiricalNtk>(
        &mut self,
        model: &M,
        inputs: Tensor<2>,
        rates: &LearningRates,
        on_host: bool,
    ) -> Result<Option<KernelRecord>, TrainerError> {
        let [n, _] = inputs.dims();
        let parts = if on_host {
            model.empirical_ntk_on_host(inputs)
        } else {
            model.empirical_ntk(inputs)
        };
        let Some(total) = parts.total() else {
            return Ok(None);
        };
        let kernel = host_values(total);
        let spectrum = ntk_spectrum(&kernel, n).map_err(TrainerError::Kernel)?;
        if self.initial.is_none() {
            if let Some(weighted) = parts.weighted(rates) {
                let weighted =
                    ntk_spectrum(&host_values(weighted), n).map_err(TrainerError::Kernel)?;
                self.initial_lr_weighted_lambda_min = Some(weighted.ntk_min_eigenvalue());
            }
        }
        let initial = self.initial.get_or_insert_with(|| kernel.clone());
        Ok(Some(KernelRecord {
            lambda_min: spectrum.ntk_min_eigenvalue(),
            lambda_max: spectrum.ntk_max_eigenvalue(),
            drift: kernel_drift(&kernel, initial),
        }))
    }
}
