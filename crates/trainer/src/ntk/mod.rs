//! The empirical Neural Tangent Kernel and its infinite-width limit.
//!
//! K[i, j] = Σ_p ∂f(x_i)/∂θ_p · ∂f(x_j)/∂θ_p = (J Jᵀ)[i, j], J = ∂f(X)/∂θ `[n, P]`, the sum
//! running over every *trained* parameter (frozen tensors contribute nothing). Under gradient
//! descent on L = (1/2n) Σ_i (f(x_i) − y_i)² with one rate η the outputs move as
//! f ← f − (η/n) K (f − y); with a rate η_g per parameter group g the kernel that moves them
//! is K_η = Σ_g η_g J_g J_gᵀ ([`NtkParts::weighted`]).
//!
//! Three ways to compute it, which the tests cross-check:
//! - [`jacobian_ntk`]: any [`Network`](overparam_model::Network), from per-sample gradients taken
//!   by Burn autodiff (one backward pass per row block);
//! - [`closed_form_ntk`]: the two-layer formula, matrix products only (the fast path);
//! - [`analytic_ntk`]: the m → ∞ limit for the `ntk` parameterization, on the host.

mod analytic;
mod closed_form;
mod jacobian;
mod parts;
mod spectrum;
mod tracking;

pub use analytic::{analytic_ntk, AnalyticNtkError};
pub use closed_form::{closed_form_ntk, closed_form_ntk_host};
pub use jacobian::jacobian_ntk;
pub use parts::NtkParts;
pub use spectrum::{kernel_drift, ntk_spectrum, relative_frobenius_error, Spectrum, SpectrumError};
pub use tracking::{EmpiricalNtk, KernelRecord, KernelTracker};
