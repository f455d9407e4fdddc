//! The kernel during training: λ_min(K_t), λ_max(K_t) and the drift ‖K_t − K_0‖_F/‖K_0‖_F,
//! plus λ_min of the learning-rate-weighted kernel at step 0 for the predicted linear rate.
//! A network with one hidden layer uses the closed form, a deeper one the Jacobian method in
//! one block.

use burn::tensor::Tensor;
use overparam_model::{host_values, Mlp};

use super::{kernel_drift, ntk, KernelSpectrum, NtkError, NtkMethod, NtkOptions, SpectrumMethod};
use crate::{LearningRates, TrainerError};

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
    /// The inputs `[n, d]` on the host, read once at the first measurement (a run measures
    /// at the same inputs every time).
    host_inputs: Option<Vec<f64>>,
}

impl KernelTracker {
    /// A tracker that already knows K_0 (row-major `[n, n]`) and λ_min(K_η) at step 0, as a
    /// resumed run's checkpoint records them.
    pub fn resumed(initial: Option<Vec<f64>>, initial_lr_weighted_lambda_min: Option<f64>) -> Self {
        Self {
            initial,
            initial_lr_weighted_lambda_min,
            host_inputs: None,
        }
    }

    /// K_0 row-major `[n, n]`, once measured.
    pub fn initial_kernel(&self) -> Option<&[f64]> {
        self.initial.as_deref()
    }

    /// Measures the kernel of `model` at `inputs` `[n, d]`, the same at every call (`on_host`: see
    /// [`NtkOptions::on_host`]); the first call fixes K_0 (and λ_min(K_η) with `rates`). A
    /// model with every tensor frozen has no kernel: `Ok(None)`.
    pub fn measure(
        &mut self,
        model: &Mlp,
        inputs: Tensor<2>,
        rates: &LearningRates,
        on_host: bool,
    ) -> Result<Option<KernelRecord>, TrainerError> {
        let [n, _] = inputs.dims();
        let inputs = self.host_inputs.get_or_insert_with(|| host_values(inputs));
        let method = if model.depth() == 1 {
            NtkMethod::ClosedForm
        } else {
            NtkMethod::Jacobian {
                block_size: n.max(1),
            }
        };
        let options = NtkOptions { method, on_host };
        let ntk = match ntk(model, inputs, &options) {
            Ok(ntk) => ntk,
            Err(NtkError::Frozen) => return Ok(None),
            Err(error) => return Err(TrainerError::Ntk(error)),
        };
        // All eigenvalues up to n = 4096, the Krylov extremes above.
        let method = SpectrumMethod::Auto { count: 1 };
        let mut kernel = ntk.kernel(None);
        let spectrum = KernelSpectrum::of(&mut kernel, n, method).map_err(TrainerError::Kernel)?;
        if self.initial.is_none() {
            let mut weighted = ntk.kernel(Some(rates));
            let weighted =
                KernelSpectrum::of(&mut weighted, n, method).map_err(TrainerError::Kernel)?;
            self.initial_lr_weighted_lambda_min = Some(weighted.lambda_min());
        }
        let initial = self.initial.get_or_insert_with(|| kernel.clone());
        Ok(Some(KernelRecord {
            lambda_min: spectrum.lambda_min(),
            lambda_max: spectrum.lambda_max(),
            drift: kernel_drift(&kernel, initial),
        }))
    }
}
