//! The infinite-width NTK K∞ in the `ntk` parameterization (two-layer case below; deeper
//! networks by the recursion documented on [`analytic_ntk`]).
//!
//! With W ~ N(0, I), a ~ N(0, 1) (or ±1: only E a² = 1 enters), every bias at the constant B,
//! and s = 1/√m, the law of large numbers over the m neurons gives
//!
//! K∞(x, x′) = 1_a · E[σ(u)σ(u′)] + (1_W · x·x′ + 1_b) · E[σ′(u)σ′(u′)],
//!
//! where (u, u′) = (w·x + B, w·x′ + B) is Gaussian with means (B, B), variances ‖x‖², ‖x′‖² and
//! covariance x·x′, and 1_W, 1_b, 1_a say which tensors are trained. Supported:
//! - ReLU with B = 0: the arc-cosine kernels of degree 1 and 0 (Cho & Saul 2009), with
//!   θ = ∠(x, x′): E[σσ′] = ‖x‖‖x′‖ (sin θ + (π − θ) cos θ)/(2π), E[σ′σ′] = (π − θ)/(2π);
//! - ReLU with B ≠ 0: E[σσ′] is a truncated second moment and E[σ′σ′] a bivariate-normal
//!   orthant probability; both are taken as one-dimensional integrals over u with the inner
//!   expectation over u′ | u in closed form (E[max(v, 0)] = τψ(μ/τ), P(v > 0) = Φ(μ/τ) for
//!   v ~ N(μ, τ²), ψ(t) = tΦ(t) + φ(t)), by adaptive Gauss–Legendre quadrature over a window
//!   around the integrand's mode (see `ConditionedPair`); closed forms on the diagonal. Every
//!   factor is evaluated without cancellation (Laplace's continued fraction in the left tail),
//!   so each entry is accurate to ≤ 2e-14 relative (≤ 1e-13 for values below 1e-100; measured
//!   against mpmath over B ∈ [−3, 3], |ρ| ≤ 0.999 in `tests/analytic_bias.rs`), at ~15 µs
//!   per pair of inputs;
//! - quadratic σ(z) = z², exactly by Isserlis' theorem: E[u²u′²] = B⁴ + B²(q + q′ + 4c) + qq′ + 2c²,
//!   E[σ′σ′] = 4(B² + c), with q = ‖x‖², q′ = ‖x′‖², c = x·x′.
//!
//! Softplus has no closed form here, and under `standard` (s = 1) and `mean_field` (s = 1/m)
//! the kernel has no finite non-zero limit (it grows like m, resp. vanishes like 1/m).

use overparam_model::{Activation, MlpConfig, ParameterId, Parameterization};

use crate::LearningRates;

mod relu;

use relu::{normal_cdf, ramp_second_moment, relu_moments};

/// Why K∞ cannot be computed for a configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyticNtkError {
    /// Only `ntk` has a finite, non-zero infinite-width kernel.
    #[error("the analytic NTK needs parameterization = \"ntk\" (got \"{0}\": its kernel has no finite non-zero limit as m grows)")]
    Parameterization(Parameterization),
    /// No closed form for this activation.
    #[error("the analytic NTK supports activation = \"relu\" or \"quadratic\" (got \"{0}\"); compare against --method closed at a large width instead")]
    Activation(Activation),
}

/// K∞ `[n, n]` (row-major, f64, on the host) for `inputs` `[n, d]` (row-major) under the
/// architecture, bias and trainable flags of `config`, at any depth L, by the layer-wise
/// recursion (Jacot et al. 2018; Arora et al. 2019), with Σ_1 = XXᵀ:
///
/// - E_l = E[σ(u)σ(u′)], Ė_l = E[σ′(u)σ′(u′)] for (u, u′) ~ N((B, B), Σ_l restricted to x, x′);
/// - Θ_1 = 1_{W1} Σ_1 + 1_{b1};  Θ_{l+1} = Θ_l ∘ Ė_l + 1_{W_{l+1}} E_l + 1_{b_{l+1}},
///   Σ_{l+1} = E_l (the `ntk` scaling makes each layer's input variance E_l);
/// - K∞ = Θ_L ∘ Ė_L + 1_a E_L.
///
/// With `rates` each indicator 1_g becomes η_g (the learning-rate-weighted limit K∞_η).
pub fn analytic_ntk(
    inputs: &[f64],
    config: &MlpConfig,
    rates: Option<&LearningRates>,
) -> Result<Vec<f64>, AnalyticNtkError> {
    Ok(analytic_ntk_and_nngp(inputs, config, rates)?.0)
}

/// [`analytic_ntk`] and [`analytic_nngp`] from one pass of the recursion (the NNGP kernel is
/// its E_L), at the cost of one of them: (K∞ or K∞_η, 𝒦), each `[n, n]`.
pub fn analytic_ntk_and_nngp(
    inputs: &[f64],
    config: &MlpConfig,
    rates: Option<&LearningRates>,
) -> Result<(Vec<f64>, Vec<f64>), AnalyticNtkError> {
    let moments = layer_moment_function(config)?;
    let d = config.input_dim;
    let rows: Vec<&[f64]> = inputs.chunks_exact(d).collect();
    let n = rows.len();
    // η_g for a trained tensor (1 for the plain kernel), 0 for a frozen one; layers from 0.
    let rate = |id: ParameterId| {
        if config.trains(id) {
            rates.map_or(1.0, |r| r.for_parameter(id))
        } else {
            0.0
        }
    };
    let weight_rate = |l: usize| rate(ParameterId::Weights(l + 1));
    let bias_rate = |l: usize| rate(ParameterId::Biases(l + 1));

    let mut sigma = input_gram(&rows);
    let mut theta: Vec<f64> = sigma
        .iter()
        .map(|s| weight_rate(0) * s + bias_rate(0))
        .collect();
    let depth = config.depth();
    for l in 0..depth {
        let (values, slopes) =
            layer_moments(config.activation, moments, config.bias_init, &sigma, n);
        let (next_w, next_b) = if l + 1 < depth {
            (weight_rate(l + 1), bias_rate(l + 1))
        } else {
            (rate(ParameterId::Output), 0.0)
        };
        for index in 0..n * n {
            theta[index] = theta[index] * slopes[index] + next_w * values[index] + next_b;
        }
        sigma = values;
    }
    Ok((theta, sigma))
}

/// The infinite-width NNGP kernel, the covariance of the initial network's outputs over its
/// initializations, E_θ0[f(x) f(x′)] `[n, n]` (row-major, f64) for `inputs` `[n, d]`: with
/// a ~ N(0, 1) (or ±1) independent of the hidden layers and s = 1/√m_L, it is E_L of the
/// recursion on [`analytic_ntk`] (Σ_{L+1} in Lee et al. 2018), whatever is trained.
pub fn analytic_nngp(inputs: &[f64], config: &MlpConfig) -> Result<Vec<f64>, AnalyticNtkError> {
    Ok(analytic_ntk_and_nngp(inputs, config, None)?.1)
}

/// Σ_1 = XXᵀ `[n, n]` for the rows x_i of X.
fn input_gram(rows: &[&[f64]]) -> Vec<f64> {
    let n = rows.len();
    let mut gram = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            gram[i * n + j] = rows[i].iter().zip(rows[j]).map(|(a, b)| a * b).sum();
        }
    }
    gram
}

/// The per-pair moments (E[σσ′], E[σ′σ′]) of `config`'s activation, or why `config` has no
/// analytic limit here (a parameterization other than `ntk`, or softplus).
pub(super) fn layer_moment_function(
    config: &MlpConfig,
) -> Result<fn(f64, f64, f64, f64) -> (f64, f64), AnalyticNtkError> {
    if config.parameterization != Parameterization::Ntk {
        return Err(AnalyticNtkError::Parameterization(config.parameterization));
    }
    match config.activation {
        Activation::Relu => Ok(relu_moments),
        Activation::Quadratic => Ok(quadratic_moments),
        Activation::Softplus => Err(AnalyticNtkError::Activation(config.activation)),
    }
}

/// (E, Ė) `[n, n]` for pre-activations with mean B and covariance `sigma` `[n, n]`.
fn layer_moments(
    activation: Activation,
    moments: fn(f64, f64, f64, f64) -> (f64, f64),
    bias: f64,
    sigma: &[f64],
    n: usize,
) -> (Vec<f64>, Vec<f64>) {
    let (mut values, mut slopes) = (vec![0.0; n * n], vec![0.0; n * n]);
    for i in 0..n {
        for j in 0..=i {
            let (q1, q2, c) = (sigma[i * n + i], sigma[j * n + j], sigma[i * n + j]);
            let (value, slope) = if i == j {
                diagonal_moments(activation, bias, q1)
            } else {
                moments(bias, q1, q2, c)
            };
            for index in [i * n + j, j * n + i] {
                values[index] = value;
                slopes[index] = slope;
            }
        }
    }
    (values, slopes)
}

/// (E[σ(u)²], E[σ′(u)²]) for u ~ N(B, q).
fn diagonal_moments(activation: Activation, bias: f64, q: f64) -> (f64, f64) {
    match activation {
        Activation::Relu => {
            let s = q.sqrt();
            if s == 0.0 {
                return (bias.max(0.0).powi(2), f64::from(u8::from(bias > 0.0)));
            }
            let t = bias / s;
            (q * ramp_second_moment(t), normal_cdf(t))
        }
        _ => quadratic_moments(bias, q, q, q),
    }
}

/// (E[u²u′²], E[2u · 2u′]) for the Gaussian pair described in the module doc.
fn quadratic_moments(bias: f64, q1: f64, q2: f64, c: f64) -> (f64, f64) {
    let b2 = bias * bias;
    (
        b2 * b2 + b2 * (q1 + q2 + 4.0 * c) + q1 * q2 + 2.0 * c * c,
        4.0 * (b2 + c),
    )
}

#[cfg(test)]
mod tests {
    use super::relu::*;
    use super::*;

    /// With B → 0 the quadrature must reproduce the arc-cosine closed forms.
    #[test]
    fn quadrature_reproduces_the_arc_cosine_kernel_at_tiny_bias() {
        for (q1, q2, c) in [(1.0, 1.0, 0.3), (0.5, 2.0, -0.7), (1.3, 0.9, 1.0)] {
            let exact = relu_moments(0.0, q1, q2, c);
            let numeric = relu_moments(1e-12, q1, q2, c);
            assert!(
                (exact.0 - numeric.0).abs() < 1e-10,
                "{exact:?} vs {numeric:?}"
            );
            assert!(
                (exact.1 - numeric.1).abs() < 1e-10,
                "{exact:?} vs {numeric:?}"
            );
        }
    }

    /// At ρ = 1 with equal variances the pair is one variable: the diagonal formulas.
    #[test]
    fn quadrature_at_equal_inputs_matches_the_diagonal_formulas() {
        for bias in [-2.0, -0.5, 0.7] {
            let numeric = relu_moments(bias, 1.2, 1.2, 1.2);
            let exact = diagonal_moments(Activation::Relu, bias, 1.2);
            assert!(
                (exact.0 - numeric.0).abs() < 1e-9 * exact.0.max(1e-3),
                "{bias}: {exact:?} vs {numeric:?}"
            );
            assert!(
                (exact.1 - numeric.1).abs() < 1e-9,
                "{bias}: {exact:?} vs {numeric:?}"
            );
        }
    }

    /// Where the closed forms still hold a dozen digits (their cancellation is below ~12× for
    /// ψ, ~110× for ψ₂), the continued-fraction forms agree with them to that accuracy: a check
    /// of the formulas (their accuracy is checked against mpmath in `tests/analytic_bias.rs`).
    #[test]
    fn tail_forms_agree_with_the_closed_forms_where_both_hold() {
        for k in 0..=30 {
            let t = -2.0 - k as f64 / 20.0;
            let (t1, t2) = tail_fractions(-t);
            let direct = t * normal_cdf(t) + normal_pdf(t);
            let tail = normal_cdf(t) * t1;
            assert!(
                (tail / direct - 1.0).abs() < 3e-14,
                "ψ({t}): {tail:e} vs {direct:e}"
            );
            let direct = (1.0 + t * t) * normal_cdf(t) + t * normal_pdf(t);
            let tail = normal_cdf(t) * t1 * t2;
            assert!(
                (tail / direct - 1.0).abs() < 3e-13,
                "ψ₂({t}): {tail:e} vs {direct:e}"
            );
        }
    }

    /// The 16-point rule integrates polynomials of degree ≤ 31 exactly: ∫_{-1}^{1} x^30 = 2/31.
    #[test]
    fn legendre_rule_is_exact_for_high_degree_polynomials() {
        let (nodes, weights) = legendre_rule();
        let integral: f64 = nodes.iter().zip(weights).map(|(x, w)| w * x.powi(30)).sum();
        assert!((integral - 2.0 / 31.0).abs() < 1e-14);
    }
}
