//! The analytic NNGP kernel E_θ0[f(x) f(x′)] against (1) the Monte Carlo mean of f_0(X) f_0(X)ᵀ
//! over many freshly initialized wide networks, within its own sampling error, for ReLU with
//! bias 0 and 0.5 at depths 1 and 2; and (2) the degree-1 arc-cosine kernel worked by hand at
//! B = 0. All f64.

mod common;

use std::f64::consts::PI;
use std::time::Instant;

use common::*;
use overparam_model::MlpConfig;
use overparam_trainer::data::RandomLabels;
use overparam_trainer::ntk::analytic_nngp;
use overparam_trainer::{network_outputs, stream_rng, RngStream};

/// Per entry (i, j) of f fᵀ over the ensemble: (mean, standard error of the mean).
struct Ensemble {
    mean: Vec<f64>,
    standard_error: Vec<f64>,
}

/// f_0(X) for networks drawn from seeds 0..count, and the per-entry statistics of f_i f_j.
fn ensemble(config: &MlpConfig, inputs: &[f64], count: u64) -> Ensemble {
    let n = inputs.len() / config.input_dim;
    let device = f64_device();
    let (mut sum, mut sum_sq) = (vec![0.0; n * n], vec![0.0; n * n]);
    for seed in 0..count {
        let network = config.init(&mut stream_rng(seed, RngStream::Init), &device);
        let f = network_outputs(&network, inputs);
        for i in 0..n {
            for j in 0..n {
                let p = f[i] * f[j];
                sum[i * n + j] += p;
                sum_sq[i * n + j] += p * p;
            }
        }
    }
    let s = count as f64;
    let mean: Vec<f64> = sum.iter().map(|v| v / s).collect();
    let standard_error = sum_sq
        .iter()
        .zip(&mean)
        .map(|(q, m)| ((q / s - m * m) * s / (s - 1.0)).max(0.0).sqrt() / s.sqrt())
        .collect();
    Ensemble {
        mean,
        standard_error,
    }
}

/// The entries where |mean − K| > 4·SE + allowance, as (i·n + j, mean, K, SE).
fn outliers(ensemble: &Ensemble, kernel: &[f64], allowance: f64) -> Vec<(usize, f64, f64, f64)> {
    ensemble
        .mean
        .iter()
        .zip(kernel)
        .zip(&ensemble.standard_error)
        .enumerate()
        .filter(|(_, ((m, k), se))| (*m - *k).abs() > 4.0 * *se + allowance)
        .map(|(index, ((m, k), se))| (index, *m, *k, *se))
        .collect()
}

/// With depth 1 the ensemble mean is exactly E[a²]·E[σ(u)σ(u′)] at any width (the m neurons
/// are i.i.d. and a is independent with E a_r a_s = δ_rs): no finite-width term. At depth 2,
/// given layer 1 the readout's pre-activations are Gaussian with covariance the empirical
/// Σ̂ = (1/m_1) Σ_k σ(z_k)σ(z′_k), whose mean is Σ and whose variance is O(Σ²/m_1); the NNGP
/// is E[g(Σ̂)] for the smooth-off-the-diagonal moment function g of degree 1, so it differs
/// from g(Σ) by the Jensen gap ½ g″ Var Σ̂ = O(max|K|/m_1). We allow 4·max|K|/m_1 (≈ 0.008·K
/// at m_1 = 512, a twentieth of the 4·SE ≈ 0.2·K band at S = 400 networks).
fn finite_width_allowance(config: &MlpConfig, kernel: &[f64]) -> f64 {
    if config.depth() == 1 {
        return 0.0;
    }
    let scale = kernel.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    4.0 * scale / config.widths[0] as f64
}

#[test]
fn analytic_nngp_is_the_mean_of_f_f_transposed_over_initializations() {
    let started = Instant::now();
    let d = 4;
    let inputs = sphere_problem(5, d, 3, RandomLabels::Gaussian).inputs;
    let m = 512;
    for (widths, count) in [(vec![m], 2000u64), (vec![m, m], 400)] {
        let mut fitted = Vec::new();
        for bias in [0.0, 0.5] {
            let config = relu_ntk_config(d, &widths, bias);
            let kernel = analytic_nngp(&inputs, &config).unwrap();
            let stats = ensemble(&config, &inputs, count);
            let allowance = finite_width_allowance(&config, &kernel);
            let bad = outliers(&stats, &kernel, allowance);
            let worst = stats
                .mean
                .iter()
                .zip(&kernel)
                .zip(&stats.standard_error)
                .map(|((m, k), se)| (m - k).abs() / se)
                .fold(0.0f64, f64::max);
            eprintln!(
                "depth {} B = {bias}, S = {count}: worst |mean − K|/SE = {worst:.2}, allowance {allowance:.2e}",
                widths.len()
            );
            assert!(
                bad.is_empty(),
                "depth {} B = {bias}: entries beyond 4·SE + {allowance:e}: {bad:?}",
                widths.len()
            );
            fitted.push((stats, kernel, allowance));
        }
        // The band has power: the ensemble of one bias rejects the other bias's kernel.
        for (own, other) in [(0, 1), (1, 0)] {
            let (stats, _, allowance) = &fitted[own];
            let wrong = &fitted[other].1;
            assert!(
                !outliers(stats, wrong, *allowance).is_empty(),
                "depth {}: the ensemble at bias #{own} cannot tell the other bias's kernel apart",
                widths.len()
            );
        }
    }
    eprintln!("{:.1} s", started.elapsed().as_secs_f64());
}

/// ‖x‖‖x′‖ (sin θ + (π − θ) cos θ)/(2π) for a pair with variances q, q′ and covariance c: the
/// degree-1 arc-cosine kernel E[relu(u) relu(u′)] (Cho & Saul 2009).
fn arc_cosine(q: f64, q2: f64, c: f64) -> f64 {
    let norms = (q * q2).sqrt();
    let cos = (c / norms).clamp(-1.0, 1.0);
    let theta = cos.acos();
    norms * (theta.sin() + (PI - theta) * cos) / (2.0 * PI)
}

/// E_{l+1}[i][j] = arc_cosine(E_l[i][i], E_l[j][j], E_l[i][j]) for an `[n, n]` matrix.
fn arc_cosine_layer(sigma: &[f64], n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|index| {
            let (i, j) = (index / n, index % n);
            arc_cosine(sigma[i * n + i], sigma[j * n + j], sigma[index])
        })
        .collect()
}

#[test]
fn analytic_nngp_at_zero_bias_is_the_arc_cosine_kernel_worked_by_hand() {
    let d = 3;
    // Rows of different norms (0.5 … 2), one pair nearly parallel, one nearly opposite.
    let inputs = vec![
        0.5, 0.0, 0.0, //
        0.0, 1.2, -0.3, //
        1.0, 1.0, 1.0, //
        -0.9, 0.1, 0.4, //
        0.0, 1.199, -0.301, //
        0.0, -1.2, 0.3,
    ];
    let n = inputs.len() / d;
    let mut gram = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            gram[i * n + j] = (0..d).map(|k| inputs[i * d + k] * inputs[j * d + k]).sum();
        }
    }
    let layer1 = arc_cosine_layer(&gram, n);
    let layer2 = arc_cosine_layer(&layer1, n);
    for (widths, want) in [(vec![7], &layer1), (vec![7, 9], &layer2)] {
        let got = analytic_nngp(&inputs, &relu_ntk_config(d, &widths, 0.0)).unwrap();
        // Both sides evaluate the same closed form in f64 (acos near θ = 0 or π loses
        // ~√ε relative in θ, but sin θ + (π − θ) cos θ is flat there): 1e-12 relative.
        let err = relative_error(&got, want);
        assert!(
            err < 1e-12,
            "depth {}: {err:e}\n{got:?}\n{want:?}",
            widths.len()
        );
        // Sanity of the hand formula: the diagonal is ‖x‖²/2 at depth 1.
        for i in 0..n {
            assert!((layer1[i * n + i] - gram[i * n + i] / 2.0).abs() < 1e-15 * gram[i * n + i]);
        }
    }
}
