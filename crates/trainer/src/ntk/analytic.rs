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
//! - ReLU with B ≠ 0: the same expectations by one-dimensional Gauss–Legendre quadrature over
//!   u, with the inner expectation over u′ | u in closed form (E[max(v,0)] = μΦ(μ/τ) + τφ(μ/τ),
//!   P(v > 0) = Φ(μ/τ) for v ~ N(μ, τ²)); exact formulas on the diagonal;
//! - quadratic σ(z) = z², exactly by Isserlis' theorem: E[u²u′²] = B⁴ + B²(q + q′ + 4c) + qq′ + 2c²,
//!   E[σ′σ′] = 4(B² + c), with q = ‖x‖², q′ = ‖x′‖², c = x·x′.
//!
//! Softplus has no closed form here, and under `standard` (s = 1) and `mean_field` (s = 1/m)
//! the kernel has no finite non-zero limit (it grows like m, resp. vanishes like 1/m).

use std::f64::consts::PI;

use overparam_model::{Activation, MlpConfig, Parameterization};

use crate::LearningRates;

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
    if config.parameterization != Parameterization::Ntk {
        return Err(AnalyticNtkError::Parameterization(config.parameterization));
    }
    let moments: fn(f64, f64, f64, f64) -> (f64, f64) = match config.activation {
        Activation::Relu => relu_moments,
        Activation::Quadratic => quadratic_moments,
        Activation::Softplus => return Err(AnalyticNtkError::Activation(config.activation)),
    };
    let d = config.input_dim;
    let rows: Vec<&[f64]> = inputs.chunks_exact(d).collect();
    let n = rows.len();
    let rate = |name: &str, trained: bool| {
        if trained {
            rates.map_or(1.0, |r| r.for_parameter(name))
        } else {
            0.0
        }
    };
    let layer_trained = |l: usize| config.trainable_layers.get(l).copied().unwrap_or(true);
    let weight_rate = |l: usize| {
        rate(
            &format!("w{}", l + 1),
            config.trainable.w && layer_trained(l),
        )
    };
    let bias_rate = |l: usize| {
        rate(
            &format!("b{}", l + 1),
            config.trainable.b && layer_trained(l),
        )
    };

    let mut sigma = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            sigma[i * n + j] = rows[i].iter().zip(rows[j]).map(|(a, b)| a * b).sum();
        }
    }
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
            (rate("a", config.trainable.a), 0.0)
        };
        for index in 0..n * n {
            theta[index] = theta[index] * slopes[index] + next_w * values[index] + next_b;
        }
        sigma = values;
    }
    Ok(theta)
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
            (
                (bias * bias + q) * normal_cdf(t) + bias * s * normal_pdf(t),
                normal_cdf(t),
            )
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

/// (E[relu(u) relu(u′)], P(u > 0, u′ > 0)) for the Gaussian pair of the module doc.
fn relu_moments(bias: f64, q1: f64, q2: f64, c: f64) -> (f64, f64) {
    let (s1, s2) = (q1.sqrt(), q2.sqrt());
    if s1 == 0.0 || s2 == 0.0 {
        // One of the pair is the constant B: E[relu(B)] times the other's mean.
        let (constant, s) = if s1 == 0.0 { (bias, s2) } else { (bias, s1) };
        let (mean_relu, mean_step) = gaussian_relu_mean(bias, s);
        return (
            constant.max(0.0) * mean_relu,
            f64::from(u8::from(constant > 0.0)) * mean_step,
        );
    }
    let rho = (c / (s1 * s2)).clamp(-1.0, 1.0);
    if bias == 0.0 {
        let theta = rho.acos();
        let degree_one = s1 * s2 * (theta.sin() + (PI - theta) * rho) / (2.0 * PI);
        return (degree_one, (PI - theta) / (2.0 * PI));
    }
    // u = B + s1 ξ with ξ ~ N(0,1); u′ | ξ ~ N(B + s2 ρ ξ, s2² (1 − ρ²)).
    let residual = s2 * (1.0 - rho * rho).max(0.0).sqrt();
    let integrand = |xi: f64| {
        let u = bias + s1 * xi;
        let (mean_relu, mean_step) = gaussian_relu_mean(bias + s2 * rho * xi, residual);
        let density = normal_pdf(xi);
        (u * mean_relu * density, mean_step * density)
    };
    // Zero below ξ₀ = −B/s1 (u ≤ 0); split where the inner kink sits when ρ → ±1.
    let lower = (-bias / s1).max(-LIMIT);
    let mut breaks = vec![lower, LIMIT];
    if rho.abs() > 1e-12 {
        let kink = -bias / (s2 * rho);
        if kink > lower && kink < LIMIT {
            breaks.insert(1, kink);
        }
    }
    if lower >= LIMIT {
        return (0.0, 0.0);
    }
    let mut total = (0.0, 0.0);
    for piece in breaks.windows(2) {
        let (a, b) = gauss_legendre(piece[0], piece[1], &integrand);
        total.0 += a;
        total.1 += b;
    }
    total
}

/// Standard-normal tails beyond this contribute < 1e-40.
const LIMIT: f64 = 13.0;

/// (E[max(v, 0)], P(v > 0)) for v ~ N(μ, τ²), τ ≥ 0.
fn gaussian_relu_mean(mean: f64, std: f64) -> (f64, f64) {
    if std == 0.0 {
        return (mean.max(0.0), f64::from(u8::from(mean > 0.0)));
    }
    let t = mean / std;
    (mean * normal_cdf(t) + std * normal_pdf(t), normal_cdf(t))
}

/// Φ(x), the standard normal CDF, to full f64 relative accuracy in both tails.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// φ(x), the standard normal density.
fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// ∫_a^b of a pair of smooth functions by composite Gauss–Legendre (8 panels of 16 nodes).
fn gauss_legendre(a: f64, b: f64, f: &impl Fn(f64) -> (f64, f64)) -> (f64, f64) {
    const PANELS: usize = 8;
    let (nodes, weights) = legendre_rule();
    let width = (b - a) / PANELS as f64;
    let mut sum = (0.0, 0.0);
    for panel in 0..PANELS {
        let center = a + (panel as f64 + 0.5) * width;
        for (x, w) in nodes.iter().zip(weights) {
            let (p, q) = f(center + 0.5 * width * x);
            sum.0 += w * p;
            sum.1 += w * q;
        }
    }
    (0.5 * width * sum.0, 0.5 * width * sum.1)
}

/// Nodes and weights of the 16-point Gauss–Legendre rule on [−1, 1], by Newton's method on
/// the Legendre recurrence (computed once).
fn legendre_rule() -> &'static ([f64; 16], [f64; 16]) {
    static RULE: std::sync::OnceLock<([f64; 16], [f64; 16])> = std::sync::OnceLock::new();
    RULE.get_or_init(|| {
        const N: usize = 16;
        let (mut nodes, mut weights) = ([0.0; N], [0.0; N]);
        for i in 0..N {
            let mut x = (PI * (i as f64 + 0.75) / (N as f64 + 0.5)).cos();
            let mut derivative = 0.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=N {
                    let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                    p0 = p1;
                    p1 = p2;
                }
                derivative = N as f64 * (x * p1 - p0) / (x * x - 1.0);
                let step = p1 / derivative;
                x -= step;
                if step.abs() < 1e-16 {
                    break;
                }
            }
            nodes[i] = x;
            weights[i] = 2.0 / ((1.0 - x * x) * derivative * derivative);
        }
        (nodes, weights)
    })
}

#[cfg(test)]
mod tests {
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

    /// The 16-point rule integrates polynomials of degree ≤ 31 exactly: ∫_{-1}^{1} x^30 = 2/31.
    #[test]
    fn legendre_rule_is_exact_for_high_degree_polynomials() {
        let (nodes, weights) = legendre_rule();
        let integral: f64 = nodes.iter().zip(weights).map(|(x, w)| w * x.powi(30)).sum();
        assert!((integral - 2.0 / 31.0).abs() < 1e-14);
    }
}
