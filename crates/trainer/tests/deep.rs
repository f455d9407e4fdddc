//! Deeper networks: the gradient check (autodiff vs hand-derived vs finite differences, and the
//! NTK's Jacobian rows) at depths 1–4; a planted error in the hand gradients is caught; the
//! one-hidden-layer MLP is the two-layer network (its outputs and its closed-form kernel);
//! per-layer rates; the deep analytic limit.

mod common;

use common::*;
use overparam_model::{
    host_values, Activation, Mlp, MlpConfig, NamedArray, OutputInit, Parameterization, Trainable,
};
use overparam_trainer::data::Dataset;
use overparam_trainer::ntk::{relative_frobenius_error, NtkMethod};
use overparam_trainer::{
    fused_gradients, gradient_check, gradient_descent_step, mean_squared_loss, stream_rng,
    LearningRates, RngStream, TensorCheck,
};

fn mlp_config(
    widths: &[usize],
    activation: Activation,
    parameterization: Parameterization,
    bias_init: f64,
    train_b: bool,
) -> MlpConfig {
    MlpConfig {
        input_dim: 3,
        widths: widths.to_vec(),
        activation,
        parameterization,
        output_init: OutputInit::Gaussian,
        bias_init,
        trainable: Trainable {
            w: true,
            b: train_b,
            a: true,
        },
        trainable_layers: vec![true; widths.len()],
    }
}

/// Initial parameters with biases moved off their constant (distinct per-neuron gradients).
fn parameters(config: &MlpConfig, seed: u64) -> Vec<NamedArray> {
    let mut arrays = config.init_parameters(&mut stream_rng(seed, RngStream::Init));
    for array in arrays.iter_mut().filter(|a| a.name.starts_with('b')) {
        for (r, b) in array.values.iter_mut().enumerate() {
            *b += 0.05 * ((r as f64) * 1.3).cos();
        }
    }
    arrays
}

/// The gradient check of `config`'s network with [`parameters`] from seed 4 (f64 device) on a
/// small random problem, every entry compared, `hand` as the hand-derived side.
fn check(config: &MlpConfig, hand: impl Fn(&Mlp, &Dataset) -> Vec<NamedArray>) -> Vec<TensorCheck> {
    let data = random_problem(5, 3, 9);
    let network = config
        .with_parameters(&parameters(config, 4), &f64_device())
        .unwrap();
    gradient_check(&network, &data, usize::MAX, hand)
}

#[test]
fn gradient_check_passes_at_depths_one_to_four() {
    let all_widths: [&[usize]; 4] = [&[5], &[5, 4], &[4, 4, 3], &[3, 4, 3, 2]];
    for widths in all_widths {
        for activation in Activation::ALL {
            for parameterization in Parameterization::ALL {
                for (bias_init, train_b) in [(0.1, true), (0.0, false)] {
                    let config =
                        mlp_config(widths, activation, parameterization, bias_init, train_b);
                    let checks = check(&config, fused_gradients);
                    let expected = if train_b {
                        2 * widths.len() + 1
                    } else {
                        widths.len() + 1
                    };
                    assert_eq!(checks.len(), expected, "one check per trained tensor");
                    for c in &checks {
                        let label = format!(
                            "L={} {activation} {parameterization} b={train_b} {}",
                            widths.len(),
                            c.name
                        );
                        assert!(c.passes(), "{label}: {c:?}");
                        assert!(
                            c.excluded_entries * 4 <= c.entries,
                            "{label}: too many kinks {c:?}"
                        );
                    }
                }
            }
        }
    }
}

/// A hand gradient wrong by 1e-8 relative in one tensor fails the 1e-10 bar (and only there).
#[test]
fn a_planted_error_in_the_hand_gradients_is_caught() {
    let config = mlp_config(
        &[4, 3],
        Activation::Softplus,
        Parameterization::Ntk,
        0.1,
        true,
    );
    let checks = check(&config, |m, data| {
        let mut gradients = fused_gradients(m, data);
        let w2 = gradients.iter_mut().find(|a| a.name == "w2").unwrap();
        w2.values.iter_mut().for_each(|v| *v *= 1.0 + 1e-8);
        gradients
    });
    let failing: Vec<&str> = checks
        .iter()
        .filter(|c| !c.passes())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failing, ["w2"]);
}

/// One hidden layer is the two-layer network: its outputs are s Σ_r a_r relu(w_r·x + b_r)
/// (computed here on the host from its parameters) and its Jacobian kernel is the two-layer
/// closed form.
#[test]
fn one_hidden_layer_mlp_is_the_two_layer_network() {
    let data = random_problem(6, 3, 2);
    let device = f64_autodiff_device();
    for parameterization in Parameterization::ALL {
        let config = mlp_config(&[7], Activation::Relu, parameterization, 0.2, true);
        let mlp: Mlp = config.init(&mut stream_rng(3, RngStream::Init), &device);
        let arrays = mlp.to_named_arrays();
        let values = |name: &str| &arrays.iter().find(|a| a.name == name).unwrap().values;
        let (w, b, a) = (values("w1"), values("b1"), values("a"));
        let two_layer: Vec<f64> = data
            .inputs
            .chunks(3)
            .map(|x| {
                let hidden = (0..7).map(|r| {
                    let z = (0..3).map(|k| w[r * 3 + k] * x[k]).sum::<f64>() + b[r];
                    a[r] * z.max(0.0)
                });
                config.output_scale() * hidden.sum::<f64>()
            })
            .collect();
        let outputs = host_values(mlp.forward(data.inputs_tensor(&device)).inner());
        assert!(
            relative_error(&outputs, &two_layer) < 1e-14,
            "{parameterization}"
        );
        let jacobian = plain_kernel(&mlp, &data, NtkMethod::Jacobian { block_size: 6 });
        let closed = plain_kernel(&mlp, &data, NtkMethod::ClosedForm);
        assert!(
            relative_error(&jacobian, &closed) < 1e-14,
            "{parameterization}"
        );
    }
}

/// `lr = [η_1, η_2, η_out]`: each layer moves by its own rate times its hand gradient.
#[test]
fn per_layer_rates_move_each_layer_by_its_own_rate() {
    let data = random_problem(5, 3, 1);
    let config = mlp_config(
        &[4, 3],
        Activation::Softplus,
        Parameterization::Standard,
        0.1,
        true,
    );
    let start = parameters(&config, 2);
    let device = f64_autodiff_device();
    let model = config.with_parameters(&start, &device).unwrap();
    let (inputs, targets) = (data.inputs_tensor(&device), data.targets_tensor(&device));
    let predictions = model.forward(inputs);
    let hand = fused_gradients(
        &config.with_parameters(&start, &f64_device()).unwrap(),
        &data,
    );
    let rates = LearningRates {
        per_layer: vec![0.3, 0.05, 0.9],
        ..LearningRates::by_kind(1.0, 1.0, 1.0)
    };
    let grads = mean_squared_loss(predictions, targets).backward();
    let stepped = gradient_descent_step(model, grads, &rates, true, false)
        .0
        .to_named_arrays();
    for after in &stepped {
        let before = start.iter().find(|s| s.name == after.name).unwrap();
        let rate = rates.for_parameter(after.parameter_id().unwrap());
        let gradient = &hand.iter().find(|h| h.name == after.name).unwrap().values;
        let expected: Vec<f64> = before
            .values
            .iter()
            .zip(gradient)
            .map(|(v, g)| v - rate * g)
            .collect();
        assert!(
            relative_error(&after.values, &expected) < 1e-12,
            "{}",
            after.name
        );
    }
}

/// The depth-2 empirical kernel approaches the layer-wise recursion as the widths grow: the
/// error falls like 1/√m, ~4× per 16× of width (measured, 3 seeds, ReLU at B = −0.5: 0.54,
/// 0.29, 0.16, 0.073 at m = 128, 512, 2048, 8192: no plateau). Asserted: ≥ 2.5× from 128 to
/// 2048 and < 0.2 at 2048.
#[test]
fn deep_kernel_converges_to_the_analytic_recursion() {
    let data = sphere_problem(8, 3, 5, overparam_trainer::data::RandomLabels::Gaussian);
    let device = f64_autodiff_device();
    for (activation, bias_init) in [
        (Activation::Relu, 0.0),
        (Activation::Relu, -0.5),
        (Activation::Quadratic, 0.2),
    ] {
        let limit_config = mlp_config(&[1, 1], activation, Parameterization::Ntk, bias_init, true);
        let limit = analytic_kernel(&limit_config, &data.inputs).unwrap();
        let error = |width: usize| {
            (0..3)
                .map(|seed| {
                    let config = MlpConfig {
                        widths: vec![width, width],
                        ..limit_config.clone()
                    };
                    let model: Mlp = config.init(&mut stream_rng(seed, RngStream::Init), &device);
                    let kernel = plain_kernel(&model, &data, NtkMethod::Jacobian { block_size: 8 });
                    relative_frobenius_error(&kernel, &limit)
                })
                .sum::<f64>()
                / 3.0
        };
        let (narrow, wide) = (error(128), error(2048));
        assert!(
            narrow / wide > 2.5 && wide < 0.2,
            "{activation} B={bias_init}: {narrow:e} → {wide:e}"
        );
    }
}

/// A pre-activation placed exactly on ReLU's kink (z = w₁·x₀ + b₁ = 0): the entries whose ±h
/// perturbation moves it across 0 are excluded and counted, and the rest still pass.
#[test]
fn entries_straddling_a_relu_kink_are_excluded_and_counted() {
    let data = random_problem(5, 3, 9);
    let config = mlp_config(&[4], Activation::Relu, Parameterization::Ntk, 0.0, true);
    let mut start = parameters(&config, 4);
    let w1 = start
        .iter()
        .find(|a| a.name == "w1")
        .unwrap()
        .values
        .clone();
    let on_kink = -(0..3).map(|k| w1[k] * data.inputs[k]).sum::<f64>();
    start.iter_mut().find(|a| a.name == "b1").unwrap().values[0] = on_kink;
    let network = config.with_parameters(&start, &f64_device()).unwrap();
    let checks = gradient_check(&network, &data, usize::MAX, fused_gradients);
    let b1 = checks.iter().find(|c| c.name == "b1").unwrap();
    assert!(
        b1.excluded_entries >= 1 && b1.kink_pre_activations >= 1,
        "{b1:?}"
    );
    assert!(checks.iter().all(TensorCheck::passes), "{checks:?}");
}
