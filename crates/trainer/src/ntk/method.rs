//! The one way to ask for a kernel: the network, its inputs and the method; the result gives
//! the plain or the learning-rate-weighted kernel without computing again. The command
//! (`overparam ntk`), the library API and the tracking during training all call [`ntk`], as
//! neural-tangents' `empirical_ntk_fn(…, implementation=…)` is called whatever the
//! implementation.

use burn::tensor::{DType, Tensor, TensorData};
use overparam_cpu::{closed_form_kernel_sum, GroupWeights};
use overparam_model::{host_values, Mlp, MlpConfig, ParameterId};

use super::analytic::layer_moment_function;
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

/// How a kernel is computed.
#[derive(Clone, Copy, Debug)]
pub struct NtkOptions {
    /// The method.
    pub method: NtkMethod,
    /// Compute the closed form's products on the host by `overparam-cpu` rather than on the
    /// network's device: about twice as fast on the CPU backends, where `overparam ntk` and
    /// training with the fused engine ask for it (the two agree to rounding).
    pub on_host: bool,
}

/// A computed kernel, from which the plain kernel K = Σ_g J_g J_gᵀ and the
/// learning-rate-weighted one K_η = Σ_g η_g J_g J_gᵀ (the kernel that moves the outputs under
/// gradient descent with per-tensor rates) are both read without computing again.
pub struct Ntk {
    computed: Computed,
}

/// What [`Ntk`] holds.
enum Computed {
    /// The empirical kernel by trained tensor (at least one), each part `[n, n]` on the
    /// network's device.
    Parts(NtkParts),
    /// The limit's architecture and inputs `[n, d]`, checked to have a limit; computed when
    /// read (its weights enter inside the recursion).
    Analytic { config: MlpConfig, inputs: Vec<f64> },
    /// A one-hidden-layer network and inputs `[n, d]` whose closed form is summed on the host
    /// when read, one `[n, n]` buffer in all (large n, see [`HOST_SUM_MIN_SAMPLES`]).
    HostSum { network: Mlp, inputs: Vec<f64> },
}

/// From this many samples on, the host closed form is summed as it is built
/// ([`closed_form_kernel_sum`]) rather than kept by parameter group: one `[n, n]` matrix
/// instead of four. The two agree to rounding (tested).
pub const HOST_SUM_MIN_SAMPLES: usize = 4097;

impl Ntk {
    /// K (`rates` = `None`) or K_η `[n, n]`, row-major, on the host in f64.
    pub fn kernel(&self, rates: Option<&LearningRates>) -> Vec<f64> {
        match &self.computed {
            Computed::Parts(parts) => {
                let kernel = match rates {
                    Some(rates) => parts.weighted(rates),
                    None => parts.total(),
                };
                host_values(kernel.expect("an Ntk has at least one trained tensor"))
            }
            Computed::Analytic { config, inputs } => analytic_ntk(inputs, config, rates)
                .expect("the architecture was checked to have a limit"),
            Computed::HostSum { network, inputs } => host_sum(network, inputs, rates),
        }
    }
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

/// The kernel of `network` at `inputs` `[n, d]` (row-major host values, put on the network's
/// device in its dtype for the empirical methods), computed as `options` ask; read K or K_η
/// from it with [`Ntk::kernel`].
pub fn ntk(network: &Mlp, inputs: &[f64], options: &NtkOptions) -> Result<Ntk, NtkError> {
    let samples = inputs.len() / network.input_dim();
    let summed_on_host = options.method == NtkMethod::ClosedForm
        && options.on_host
        && network.depth() == 1
        && samples >= HOST_SUM_MIN_SAMPLES;
    let computed = if summed_on_host {
        let trained = [
            ParameterId::Weights(1),
            ParameterId::Biases(1),
            ParameterId::Output,
        ];
        if !trained.into_iter().any(|id| network.config.trains(id)) {
            return Err(NtkError::Frozen);
        }
        Computed::HostSum {
            network: network.clone(),
            inputs: inputs.to_vec(),
        }
    } else if options.method == NtkMethod::Analytic {
        layer_moment_function(&network.config)?;
        Computed::Analytic {
            config: network.config.clone(),
            inputs: inputs.to_vec(),
        }
    } else {
        let parts = ntk_parts(network, inputs, options.method, options.on_host)?;
        if parts.parts.is_empty() {
            return Err(NtkError::Frozen);
        }
        Computed::Parts(parts)
    };
    Ok(Ntk { computed })
}

/// [`closed_form_kernel_sum`] of `network` at `inputs` `[n, d]` in the network's float type,
/// K (`rates` = `None`) or K_η.
fn host_sum(network: &Mlp, inputs: &[f64], rates: Option<&LearningRates>) -> Vec<f64> {
    let rate = |id| rates.map_or(1.0, |r| r.for_parameter(id));
    let weights = GroupWeights {
        weight: rate(ParameterId::Weights(1)),
        bias: rate(ParameterId::Biases(1)),
        output: rate(ParameterId::Output),
    };
    let n = inputs.len() / network.input_dim();
    match network.a.val().dtype() {
        DType::F64 => closed_form_kernel_sum(&network.to_host::<f64>(), inputs, n, weights),
        _ => {
            let inputs: Vec<f32> = inputs.iter().map(|&v| v as f32).collect();
            closed_form_kernel_sum(&network.to_host::<f32>(), &inputs, n, weights)
        }
    }
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
