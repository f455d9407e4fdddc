//! The NTK three ways: explicit per-sample Jacobian rows (one backward pass per sample, the
//! definition) vs the one-backward leaf scheme vs the two-layer closed form, to 1e-10 in f64;
//! the closed form against its infinite-width limit; the limit against values worked by hand;
//! the learning-rate-weighted kernel against an actual gradient step; the spectrum.

mod common;

use burn::tensor::Tensor;
use common::*;
use overparam_model::{host_values, Activation, Mlp, MlpConfig, Parameterization, Trainable};
use overparam_trainer::data::{Dataset, RandomLabels};
use overparam_trainer::ntk::{ntk_spectrum, relative_frobenius_error, NtkMethod};
use overparam_trainer::{gradient_descent_step, mean_squared_loss, LearningRates};

/// Rows ∂f(x_i)/∂θ of the trained tensors, by the definition: one backward pass per sample.
/// Returned per group (w, b, a), each `[n][P_g]`.
fn explicit_jacobian(model: &Mlp, data: &Dataset) -> [Vec<Vec<f64>>; 3] {
    let device = f64_autodiff_device();
    let inputs = data.inputs_tensor(&device);
    let mut rows: [Vec<Vec<f64>>; 3] = Default::default();
    for i in 0..data.num_samples {
        let grads = model
            .forward(inputs.clone().narrow(0, i, 1))
            .sum()
            .backward();
        let w: Option<Tensor<2>> = model.w[0].val().grad(&grads);
        let b: Option<Tensor<1>> = model.b[0].val().grad(&grads);
        let a: Option<Tensor<1>> = model.a.val().grad(&grads);
        for (group, gradient) in [w.map(host_values), b.map(host_values), a.map(host_values)]
            .into_iter()
            .enumerate()
        {
            if let Some(row) = gradient {
                rows[group].push(row);
            }
        }
    }
    rows
}

/// Σ_g η_g J_g J_gᵀ `[n*n]` from explicit rows.
fn gram(rows: &[Vec<Vec<f64>>; 3], rates: [f64; 3], n: usize) -> Vec<f64> {
    let mut kernel = vec![0.0; n * n];
    for (group, rate) in rows.iter().zip(rates) {
        for i in 0..group.len() {
            for j in 0..group.len() {
                kernel[i * n + j] += rate
                    * group[i]
                        .iter()
                        .zip(&group[j])
                        .map(|(p, q)| p * q)
                        .sum::<f64>();
            }
        }
    }
    kernel
}

/// The network of `config` with [`random_parameters`] from `seed`, on the f64 autodiff device.
fn build(config: &MlpConfig, seed: u64) -> Mlp {
    config
        .with_parameters(&random_parameters(config, seed), &f64_autodiff_device())
        .unwrap()
}

#[test]
fn jacobian_leaf_scheme_and_closed_form_equal_the_definition_to_1e_10() {
    let data = random_problem(7, 4, 21);
    let flag_sets = [
        Trainable::ALL,
        Trainable {
            w: true,
            b: false,
            a: true,
        },
        Trainable {
            w: false,
            b: true,
            a: false,
        },
        Trainable {
            w: true,
            b: true,
            a: false,
        },
        Trainable {
            w: false,
            b: false,
            a: true,
        },
    ];
    for activation in Activation::ALL {
        for parameterization in Parameterization::ALL {
            for bias_init in [0.0, -0.8] {
                for trainable in flag_sets {
                    let config =
                        two_layer_config(4, 9, activation, parameterization, bias_init, trainable);
                    let model = build(&config, 2);
                    let label =
                        format!("{activation} {parameterization} B={bias_init} {trainable:?}");
                    let definition = gram(&explicit_jacobian(&model, &data), [1.0; 3], 7);
                    for block_size in [1, 3, 7] {
                        let leaf = plain_kernel(&model, &data, NtkMethod::Jacobian { block_size });
                        let error = relative_error(&leaf, &definition);
                        assert!(
                            error < 1e-10,
                            "{label} jacobian (block {block_size}): {error:e}"
                        );
                    }
                    let closed = plain_kernel(&model, &data, NtkMethod::ClosedForm);
                    let error = relative_error(&closed, &definition);
                    assert!(error < 1e-10, "{label} closed form: {error:e}");
                    let on_host = kernel_of(&model, &data, NtkMethod::ClosedForm, None, true);
                    let error = relative_error(&on_host, &definition);
                    assert!(error < 1e-10, "{label} closed form on the host: {error:e}");
                    // The parts by group are no longer reachable: their rate-weighted sums,
                    // host vs device, are.
                    let rates = LearningRates::by_kind(0.3, 0.7, 1.9);
                    let weighted = |on_host| {
                        kernel_of(&model, &data, NtkMethod::ClosedForm, Some(&rates), on_host)
                    };
                    let error = relative_error(&weighted(true), &weighted(false));
                    assert!(error < 1e-12, "{label} host parts by group: {error:e}");
                }
            }
        }
    }
}

/// K_η = Σ_g η_g J_g J_gᵀ is the kernel of a GD step with per-group rates:
/// f(θ − η∘∇L) − f(θ) = −(1/n) K_η (f − y) + O(η²). With rates ~1e-4 the second-order term is
/// ~1e-4 of the first, so 1e-3 relative is a test that the weighting is right (a wrong weighting
/// is off by O(1)).
#[test]
fn lr_weighted_kernel_predicts_a_gradient_step() {
    let data = random_problem(6, 3, 4);
    let rates = LearningRates::by_kind(3e-4, 1e-4, 7e-4);
    for activation in Activation::ALL {
        let config = two_layer_config(
            3,
            12,
            activation,
            Parameterization::Ntk,
            0.2,
            Trainable::ALL,
        );
        let model = build(&config, 6);
        let device = f64_autodiff_device();
        let (inputs, targets) = (data.inputs_tensor(&device), data.targets_tensor(&device));
        let before = host_values(model.forward(inputs.clone()).inner());
        let kernel = kernel_of(
            &model,
            &data,
            NtkMethod::Jacobian { block_size: 4 },
            Some(&rates),
            false,
        );
        let grads = mean_squared_loss(model.forward(inputs.clone()), targets).backward();
        let (stepped, _) = gradient_descent_step(model, grads, &rates, true, false);
        let after = host_values(stepped.forward(inputs).inner());
        let n = data.num_samples;
        let change: Vec<f64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
        let predicted: Vec<f64> = (0..n)
            .map(|i| {
                -(0..n)
                    .map(|j| kernel[i * n + j] * (before[j] - data.targets[j]))
                    .sum::<f64>()
                    / n as f64
            })
            .collect();
        let error = relative_error(&change, &predicted);
        assert!(error < 1e-3, "{activation}: {error:e}");
        // The explicit weighted Gram of the definition agrees with the leaf scheme exactly.
        let definition = gram(
            &explicit_jacobian(&build(&config, 6), &data),
            [3e-4, 1e-4, 7e-4],
            n,
        );
        assert!(relative_error(&kernel, &definition) < 1e-10, "{activation}");
    }
}

/// x₁ = e₁, x₂ = e₂, x₃ = (e₁ + e₂)/√2 in d = 2, ReLU, B = 0, every tensor trained:
/// K∞(x, x′) = E[σσ′] + (x·x′ + 1) E[σ′σ′] with the arc-cosine kernels (θ = ∠(x, x′)):
/// E[σσ′] = (sin θ + (π − θ) cos θ)/(2π), E[σ′σ′] = (π − θ)/(2π).
/// - diagonal, θ = 0: 1/2 + 2 · 1/2 = 1.5;
/// - (x₁, x₂), θ = π/2: 1/(2π) + 1 · 1/4 = 0.40915494309189535;
/// - (x₁, x₃), θ = π/4: (√2/2)(1 + 3π/4)/(2π) + (1 + 1/√2) · 3/8 = 0.37772… + 0.64017… = 1.0178696…
#[test]
fn analytic_ntk_matches_three_points_worked_by_hand() {
    let h = std::f64::consts::FRAC_1_SQRT_2;
    let inputs = [1.0, 0.0, 0.0, 1.0, h, h];
    let config = two_layer_config(
        2,
        1,
        Activation::Relu,
        Parameterization::Ntk,
        0.0,
        Trainable::ALL,
    );
    let kernel = analytic_kernel(&config, &inputs).unwrap();
    let pi = std::f64::consts::PI;
    let off_12 = 1.0 / (2.0 * pi) + 0.25;
    let off_13 = h * (1.0 + 3.0 * pi / 4.0) / (2.0 * pi) + (1.0 + h) * 3.0 / 8.0;
    let expected = [
        1.5, off_12, off_13, off_12, 1.5, off_13, off_13, off_13, 1.5,
    ];
    for (got, want) in kernel.iter().zip(expected) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
    assert!((off_12 - 0.409_154_943).abs() < 1e-9);
    assert!((off_13 - 1.017_869_6).abs() < 1e-7);
}

/// K_m is an average of m i.i.d. neuron terms whose mean is K∞, so ‖K_m − K∞‖_F/‖K∞‖_F falls
/// like 1/√m: ~8× per 64× of width (measured here, 3 seeds: 0.13 → 0.012 from m = 256 to 16384
/// for ReLU at B = 0). Asserting ≥ 4× per step up to m = 2^20 is generous to sampling noise,
/// yet fails for a K∞ wrong by 1% in one term (checked by mutation), since the error then
/// levels off at the bias.
#[test]
fn closed_form_converges_to_the_analytic_limit_like_one_over_root_m() {
    let data = sphere_problem(12, 5, 1, RandomLabels::Gaussian);
    let device = f64_device();
    for (activation, bias_init, trainable) in [
        (Activation::Relu, 0.0, Trainable::ALL),
        (Activation::Relu, -1.0, Trainable::ALL),
        (
            Activation::Relu,
            0.5,
            Trainable {
                w: true,
                b: false,
                a: true,
            },
        ),
        (Activation::Quadratic, 0.3, Trainable::ALL),
    ] {
        let limit_config = two_layer_config(
            5,
            1,
            activation,
            Parameterization::Ntk,
            bias_init,
            trainable,
        );
        let limit = analytic_kernel(&limit_config, &data.inputs).unwrap();
        let mean_error = |width: usize| {
            (0..3)
                .map(|seed| {
                    let config = MlpConfig {
                        widths: vec![width],
                        ..limit_config.clone()
                    };
                    let model: Mlp = config.init(
                        &mut overparam_trainer::stream_rng(
                            seed,
                            overparam_trainer::RngStream::Init,
                        ),
                        &device,
                    );
                    relative_frobenius_error(
                        &plain_kernel(&model, &data, NtkMethod::ClosedForm),
                        &limit,
                    )
                })
                .sum::<f64>()
                / 3.0
        };
        let errors = [256, 16384, 1 << 20].map(mean_error);
        for pair in errors.windows(2) {
            // 64× the width: expect 8× less error; a biased K∞ stalls the decay.
            assert!(
                pair[0] / pair[1] > 4.0,
                "{activation} B={bias_init}: errors {errors:?}"
            );
        }
        assert!(
            errors[2] < 5e-3,
            "{activation} B={bias_init}: {:e} at m = 2^20",
            errors[2]
        );
    }
}

#[test]
fn analytic_ntk_refuses_unsupported_settings_with_a_reason() {
    let softplus = two_layer_config(
        2,
        1,
        Activation::Softplus,
        Parameterization::Ntk,
        0.0,
        Trainable::ALL,
    );
    assert!(analytic_kernel(&softplus, &[1.0, 0.0])
        .unwrap_err()
        .to_string()
        .contains("softplus"));
    let standard = two_layer_config(
        2,
        1,
        Activation::Relu,
        Parameterization::Standard,
        0.0,
        Trainable::ALL,
    );
    assert!(analytic_kernel(&standard, &[1.0, 0.0])
        .unwrap_err()
        .to_string()
        .contains("standard"));
}

/// Identities rather than magic numbers: Σλ = tr K, λ ascending, K PSD up to rounding
/// (λ_min ≥ −ε·n·λ_max).
#[test]
fn spectrum_is_ascending_sums_to_the_trace_and_is_psd() {
    let data = random_problem(20, 4, 3);
    let config = two_layer_config(
        4,
        50,
        Activation::Relu,
        Parameterization::Ntk,
        0.0,
        Trainable::ALL,
    );
    let model = build(&config, 1);
    let kernel = plain_kernel(&model, &data, NtkMethod::ClosedForm);
    let spectrum = ntk_spectrum(&kernel, 20).unwrap();
    let trace: f64 = (0..20).map(|i| kernel[i * 20 + i]).sum();
    let sum: f64 = spectrum.eigenvalues.iter().sum();
    assert!((sum - trace).abs() < 1e-12 * trace);
    assert!(spectrum.eigenvalues.windows(2).all(|w| w[0] <= w[1]));
    assert!(
        spectrum.ntk_min_eigenvalue() > 0.0,
        "n = 20 < P: K is positive definite"
    );
    assert!(spectrum.condition_number().unwrap() >= 1.0);
}

/// Seed 004's sparse regime: bias −3 on the sphere with m = 8 leaves inputs with no active
/// neuron, whose rows of K vanish (a and b terms included), so λ_min is ~0: reported, not an error.
#[test]
fn near_singular_kernel_of_the_sparse_regime_reports_lambda_min_near_zero() {
    let data = sphere_problem(40, 3, 2, RandomLabels::Sign);
    let config = two_layer_config(
        3,
        8,
        Activation::Relu,
        Parameterization::Ntk,
        -3.0,
        Trainable::ALL,
    );
    let model: Mlp = config.init(
        &mut overparam_trainer::stream_rng(0, overparam_trainer::RngStream::Init),
        &f64_device(),
    );
    let kernel = plain_kernel(&model, &data, NtkMethod::ClosedForm);
    let spectrum = ntk_spectrum(&kernel, 40).unwrap();
    let lambda_min = spectrum.ntk_min_eigenvalue();
    assert!(
        lambda_min.is_finite() && lambda_min.abs() < 1e-12,
        "{lambda_min}"
    );
    assert!(spectrum.condition_number().is_none() || spectrum.condition_number().unwrap() > 1e12);
}
