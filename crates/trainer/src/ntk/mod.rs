//! The empirical Neural Tangent Kernel and its infinite-width limit.
//!
//! K[i, j] = Σ_p ∂f(x_i)/∂θ_p · ∂f(x_j)/∂θ_p = (J Jᵀ)[i, j], J = ∂f(X)/∂θ `[n, P]`, the sum
//! running over every *trained* parameter (frozen tensors contribute nothing). Under gradient
//! descent on L = (1/2n) Σ_i (f(x_i) − y_i)² with one rate η the outputs move as
//! f ← f − (η/n) K (f − y); with a rate η_g per parameter group g the kernel that moves them
//! is K_η = Σ_g η_g J_g J_gᵀ ([`NtkParts::weighted`]).
//!
//! One entry point, [`ntk`], with three methods ([`NtkMethod`]), which the tests cross-check:
//! - `Jacobian`: any depth, from per-sample gradients taken by Burn autodiff (one backward
//!   pass per row block);
//! - `ClosedForm`: the formula for one hidden layer, matrix products only (the fast path);
//! - `Analytic`: the m → ∞ limit for the `ntk` parameterization, on the host.

mod analytic;
mod block_lanczos;
mod closed_form;
mod cross;
mod extremes;
mod jacobian;
mod kernel_spectrum;
mod lower_copy;
mod method;
mod operators;
mod parts;
mod regression;
mod spectrum;
mod tracking;

pub use analytic::{analytic_nngp, analytic_ntk, analytic_ntk_and_nngp, AnalyticNtkError};
pub use cross::{JointNtk, KernelBlocks};
pub use extremes::{extreme_eigenvalues, ExtremeEigenvalues, RitzValue};
use jacobian::jacobian_ntk;
pub use kernel_spectrum::{KernelSpectrum, SpectrumMethod, AUTO_FULL_MAX_SAMPLES};
pub use method::{ntk, Ntk, NtkError, NtkMethod, NtkOptions, HOST_SUM_MIN_SAMPLES};
pub use parts::NtkParts;
pub use regression::{
    initialization_variance, kernel_regression, KernelRegression, RegressionError,
};
pub use spectrum::{
    kernel_drift, ntk_spectrum, relative_frobenius_error, Eigendecomposition, Spectrum,
    SpectrumError,
};
pub use tracking::{KernelRecord, KernelTracker};
