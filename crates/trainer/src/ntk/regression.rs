//! Kernel regression, the infinite-time prediction of the linearized network (and, with the
//! analytic kernel, of the infinitely wide one): for residual targets r = y − f_0(X),
//!
//! f(X_test) − f_0(X_test) = K(X_test, X) (K(X, X) + ρ I)⁻¹ r,
//!
//! with an optional ridge ρ ≥ 0 (neural-tangents' `predict.gradient_descent_mse(…, diag_reg)`
//! at t = ∞). The solve goes through the eigendecomposition K = V diag(λ) Vᵀ, which also says
//! how well posed it is.

use super::{Eigendecomposition, SpectrumError};

/// Predictions of kernel regression, relative to the initial outputs f_0.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelRegression {
    /// K(X_test, X) (K + ρI)⁻¹ r `[n_test]`.
    pub test: Vec<f64>,
    /// K (K + ρI)⁻¹ r `[n]`: r itself when ρ = 0, shrunk towards 0 by a ridge.
    pub train: Vec<f64>,
    /// λ_min(K(X, X)).
    pub lambda_min: f64,
    /// λ_max(K(X, X)).
    pub lambda_max: f64,
    /// κ(K + ρI) = (λ_max + ρ)/(λ_min + ρ), the amplification of rounding errors in the solve.
    pub condition_number: f64,
}

/// Why kernel regression has no answer.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RegressionError {
    /// The kernel has no eigendecomposition (a non-finite entry).
    #[error(transparent)]
    Spectrum(#[from] SpectrumError),
    /// K(X, X) + ρI is singular to working precision.
    #[error("K(X, X) + ridge·I is singular to working precision (λ_min = {lambda_min:e}, λ_max = {lambda_max:e}, ridge = {ridge:e}): give a ridge > 0 of the order of λ_max·1e-8 or more")]
    Singular {
        /// λ_min(K).
        lambda_min: f64,
        /// λ_max(K).
        lambda_max: f64,
        /// ρ.
        ridge: f64,
    },
}

/// Kernel regression of the residual targets `residual` `[n]` with the training kernel `train`
/// `[n, n]` and the cross kernel `cross` `[n_test, n]` (row-major), with ridge ρ = `ridge` ≥ 0.
///
/// An error when λ_min + ρ ≤ n·ε·(λ_max + ρ) (ε the f64 machine epsilon): the solve would then
/// amplify rounding beyond the size of the answer.
pub fn kernel_regression(
    train: &[f64],
    cross: &[f64],
    residual: &[f64],
    ridge: f64,
) -> Result<KernelRegression, RegressionError> {
    assert!(
        ridge >= 0.0 && ridge.is_finite(),
        "ridge must be finite and ≥ 0"
    );
    let n = residual.len();
    let eigen = Eigendecomposition::of(train, n)?;
    let spectrum = eigen.spectrum();
    let (lambda_min, lambda_max) = (spectrum.ntk_min_eigenvalue(), spectrum.ntk_max_eigenvalue());
    if n > 0 && lambda_min + ridge <= n as f64 * f64::EPSILON * (lambda_max + ridge).abs() {
        return Err(RegressionError::Singular {
            lambda_min,
            lambda_max,
            ridge,
        });
    }
    let coefficients = eigen.project(residual);
    let solved: Vec<f64> = coefficients
        .iter()
        .zip(&eigen.eigenvalues)
        .map(|(c, lambda)| c / (lambda + ridge))
        .collect();
    let fitted: Vec<f64> = coefficients
        .iter()
        .zip(&eigen.eigenvalues)
        .map(|(c, lambda)| c * lambda / (lambda + ridge))
        .collect();
    let weights = eigen.combine(&solved); // (K + ρI)⁻¹ r
    let test = cross
        .chunks_exact(n.max(1))
        .map(|row| row.iter().zip(&weights).map(|(k, w)| k * w).sum())
        .collect();
    Ok(KernelRegression {
        test,
        train: eigen.combine(&fitted),
        lambda_min,
        lambda_max,
        condition_number: (lambda_max + ridge) / (lambda_min + ridge),
    })
}
