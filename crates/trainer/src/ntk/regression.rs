//! Kernel regression, the infinite-time prediction of the linearized network (and, with the
//! analytic kernel, of the infinitely wide one): for residual targets r = y − f_0(X),
//!
//! f(X_test) − f_0(X_test) = K(X_test, X) (K(X, X) + ρ I)⁻¹ r,
//!
//! with an optional ridge ρ ≥ 0 (neural-tangents' `predict.gradient_descent_mse(…, diag_reg)`
//! at t = ∞). The solve goes through the eigendecomposition K = V diag(λ) Vᵀ, which also says
//! how well posed it is.

use faer::Mat;

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

/// The variance over initializations of the infinitely wide network's prediction at each
/// held-out point after training to convergence (Lee et al. 2019, eq. 16 at t = ∞): with Θ
/// the NTK and 𝒦 the NNGP kernel (both analytic) and A = Θ(X_test, X) Θ(X, X)⁻¹ `[n_test, n]`,
/// the prediction is the kernel-regression mean plus f_0(x_test) − A f_0(X), whose variance is
///
/// Σ_ii = 𝒦(x_i, x_i) − 2 Σ_j A_ij 𝒦(x_i, x_j) + Σ_jk A_ij 𝒦(x_j, x_k) A_ik.
///
/// `ntk_train` `[n, n]`, `ntk_cross` `[n_test, n]`, `nngp_train` `[n, n]`, `nngp_cross`
/// `[n_test, n]`, `nngp_test_diagonal` `[n_test]`; returns Σ_ii `[n_test]`. The same
/// singularity rule as [`kernel_regression`] (without a ridge).
pub fn initialization_variance(
    ntk_train: &[f64],
    ntk_cross: &[f64],
    nngp_train: &[f64],
    nngp_cross: &[f64],
    nngp_test_diagonal: &[f64],
) -> Result<Vec<f64>, RegressionError> {
    let n_test = nngp_test_diagonal.len();
    let n = ntk_train.len().isqrt();
    if n_test == 0 {
        return Ok(Vec::new());
    }
    let eigen = Eigendecomposition::of(ntk_train, n)?;
    let spectrum = eigen.spectrum();
    let (lambda_min, lambda_max) = (spectrum.ntk_min_eigenvalue(), spectrum.ntk_max_eigenvalue());
    if n > 0 && lambda_min <= n as f64 * f64::EPSILON * lambda_max.abs() {
        return Err(RegressionError::Singular {
            lambda_min,
            lambda_max,
            ridge: 0.0,
        });
    }
    // A = Θ_c V diag(1/λ) Vᵀ [n_test, n], then Σ_ii = 𝒦_tt,ii − 2 (A ∘ 𝒦_c)·1 + (A 𝒦 ∘ A)·1,
    // as matrix products: O(n_test n²) multiply–adds in faer's kernels.
    let rotated = eigen.right_multiply(ntk_cross, n_test); // Θ_c V
    let scaled = Mat::<f64>::from_fn(n_test, n, |i, k| rotated[i * n + k] / eigen.eigenvalues[k]);
    let gain = eigen.times_transpose(&scaled); // A
    let nngp = Mat::<f64>::from_fn(n, n, |j, k| nngp_train[j * n + k]);
    let spread = &gain * &nngp; // A 𝒦
    let variances = (0..n_test)
        .map(|i| {
            let (cross, quadratic) = (0..n).fold((0.0, 0.0), |(c, q), j| {
                (
                    c + gain[(i, j)] * nngp_cross[i * n + j],
                    q + spread[(i, j)] * gain[(i, j)],
                )
            });
            nngp_test_diagonal[i] - 2.0 * cross + quadratic
        })
        .collect();
    Ok(variances)
}
