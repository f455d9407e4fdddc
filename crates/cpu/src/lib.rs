//! Burn-free CPU kernels for the two hot loops of a sweep, written against row-major host
//! slices in f32 or f64:
//!
//! - [`HostMlp`]: gradient descent (full-batch or mini-batch) on the MLP f(x) = s · a·h_L,
//!   h_l = σ(c_l W_l h_{l−1} + b_l), with the backward pass derived by hand and fused: per layer
//!   one matrix product forward, one (or two) backward, and one pass over each `[n, m_l]`
//!   buffer that applies σ, σ′, the readout and the bias/readout gradients together. When the
//!   last hidden layer is sparse (ReLU with few active units, the large-bias regime) its weight
//!   gradient is accumulated over the active (sample, unit) pairs only.
//! - [`closed_form_kernel`]: the two-layer NTK parts as symmetric rank-k products (only the
//!   lower triangle is computed).
//! - [`weight_hessian`]: the loss Hessian with respect to the hidden weights of a two-layer
//!   network, in closed form (where gradient descent stalls: saddle or minimum).
//!
//! Every reduction runs over a fixed partition of the rows, so results do not depend on the
//! number of threads: the same inputs give the same bits on 1 or 16 cores. The Burn/autodiff
//! path in `overparam-trainer` stays the reference; its tests hold this one to it.

mod chunks;
mod ensemble;
mod finite;
mod hessian;
mod kernel;
mod kernel_sum;
mod loss;
mod mlp;
mod nonlinearity;
mod products;
mod real;
mod rows;
mod segments;
mod sparse;

pub use ensemble::{EnsembleGradients, EnsembleWorkspace, HostEnsemble, StackError};
pub use finite::NonFiniteEntry;
pub use hessian::{weight_hessian, HessianError, WeightHessian};
pub use kernel::{closed_form_kernel, closed_form_kernel_in, KernelParts, KernelWorkspace};
pub use kernel_sum::{closed_form_kernel_sum, GroupWeights};
pub use mlp::{Gradients, HostLayer, HostMlp, StepRates, Workspace};
pub use nonlinearity::{Nonlinearity, SOFTPLUS_THRESHOLD};
pub use products::{gram_lower, matmul_nn, matmul_nt, matmul_tn, mirror_lower};
pub use real::Real;
