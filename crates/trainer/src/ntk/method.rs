//! The one way to ask for a kernel: the method, plain or learning-rate-weighted, and the
//! network, inputs and device it is computed for. The command (`overparam ntk`) and the
//! tracking during training both call [`ntk`], as neural-tangents' `empirical_ntk_fn(…,
//! implementation=…)` is called whatever the implementation.

use burn::tensor::{Tensor, TensorData};
use overparam_model::{host_values, Mlp};

use super::{analytic_ntk, closed_form::closed_form_ntk, jacobian_ntk, AnalyticNtkError, NtkParts};
use crate::LearningRates;

/// How the kernel is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtkMethod {
    /// Per-sample gradients by Burn autodiff, one forward and one backward pass per block of
    /// `block_size` rows (≥ 1): any depth; the network must be on an autodiff device.
    Jacobian {
        /// Rows per backward pass.
        block_size: usize,
    },
    /// The closed form of a network with one hidden layer: matrix products only.
    ClosedForm,
    /// The infinite-width limit K∞ of the network's architecture (`ntk` parameterization,
    /// relu or quadratic), on the host in f64 whatever the device.
    Analytic,
}

/// Which kernel, computed how.
#[derive(Clone, Copy, Debug)]
pub struct NtkOptions<'a> {
    /// The method.
    pub method: NtkMethod,
    /// `None`: K = Σ_g J_g J_gᵀ; `Some(rates)`: K_η = Σ_g η_g J_g J_gᵀ, the kernel that moves
    /// the outputs under gradient descent with per-tensor rates.
    pub rates: Option<&'a LearningRates>,
    /// Compute the closed form's products on the host by `overparam-cpu` rather than on the
    /// network's device: about twice as fast on the CPU backends, where `overparam ntk` and
    /// training with the fused engine ask for it (the two agree to rounding).
    pub on_host: bool,
}

/// Why a kernel could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NtkError {
    /// The closed form is the formula for one hidden layer.
    #[error("the closed-form NTK is the two-layer formula: use --method jacobian for model.widths with more than one entry")]
    ClosedFormDepth {
        /// The network's number of hidden layers (≥ 2).
        depth: usize,
    },
    /// No analytic limit for this architecture.
    #[error(transparent)]
    Analytic(#[from] AnalyticNtkError),
    /// Every tensor is frozen: the sum over trained parameters is empty.
    #[error(
        "every parameter tensor is frozen (train_w = train_b = train_a = false): the NTK is empty"
    )]
    Frozen,
}

/// The kernel `[n, n]` (row-major, f64, on the host) of `network` at `inputs` `[n, d]`
/// (row-major host values, put on the network's device in its dtype for the empirical
/// methods), as `options` ask.
pub fn ntk(network: &Mlp, inputs: &[f64], options: &NtkOptions) -> Result<Vec<f64>, NtkError> {
    if options.method == NtkMethod::Analytic {
        return Ok(analytic_ntk(inputs, &network.config, options.rates)?);
    }
    let parts = ntk_parts(network, inputs, options.method, options.on_host)?;
    let kernel = match options.rates {
        Some(rates) => parts.weighted(rates),
        None => parts.total(),
    };
    kernel.map(host_values).ok_or(NtkError::Frozen)
}

/// The empirical kernel by parameter tensor, each part `[n, n]` on the network's device.
///
/// # Panics
/// Panics on [`NtkMethod::Analytic`] (not a finite network's kernel) and on a Jacobian block
/// size of 0.
fn ntk_parts(
    network: &Mlp,
    inputs: &[f64],
    method: NtkMethod,
    on_host: bool,
) -> Result<NtkParts, NtkError> {
    let d = network.input_dim();
    let n = inputs.len() / d;
    let device = network.a.val().device();
    let inputs = Tensor::<2>::from_data(TensorData::new(inputs.to_vec(), [n, d]), &device);
    match method {
        NtkMethod::Jacobian { block_size } => Ok(jacobian_ntk(network, inputs, block_size)),
        NtkMethod::ClosedForm => closed_form_ntk(network, inputs, on_host),
        NtkMethod::Analytic => unreachable!("the analytic kernel has no parts"),
    }
}
