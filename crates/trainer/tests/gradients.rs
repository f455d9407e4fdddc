//! Autodiff gradients against the hand-derived ones (the fused host backward pass) and against central finite differences,
//! in f64, for every activation × parameterization × bias setting.

mod common;

use burn::tensor::Tensor;
use common::*;
use overparam_model::{
    host_values, Activation, Mlp, MlpConfig, NamedArray, Parameterization, Trainable,
};
use overparam_trainer::{fused_gradients, mean_squared_loss};

/// (autodiff, hand) gradients of L at `parameters`, per tensor, in the order w1, b1, a; the
/// hand-derived ones are [`fused_gradients`] of the same network on `device`. A frozen tensor
/// has no gradient on either side (`None`).
fn both_gradients(
    config: &MlpConfig,
    parameters: &[NamedArray],
    data: &overparam_trainer::data::Dataset,
    device: &burn::tensor::Device,
) -> Vec<(Option<Vec<f64>>, Option<Vec<f64>>)> {
    let autodiff_device = device.clone().autodiff();
    let model: Mlp = config
        .with_parameters(parameters, &autodiff_device)
        .unwrap();
    let (inputs, targets) = (
        data.inputs_tensor(&autodiff_device),
        data.targets_tensor(&autodiff_device),
    );
    let grads = mean_squared_loss(model.forward(inputs), targets).backward();
    let autodiff_w: Option<Tensor<2>> = model.w[0].val().grad(&grads);
    let autodiff_b: Option<Tensor<1>> = model.b[0].val().grad(&grads);
    let autodiff_a: Option<Tensor<1>> = model.a.val().grad(&grads);
    let plain: Mlp = config.with_parameters(parameters, device).unwrap();
    let hand = fused_gradients(&plain, data);
    let hand_of = |name: &str| {
        hand.iter()
            .find(|g| g.name == name)
            .map(|g| g.values.clone())
    };
    vec![
        (autodiff_w.map(host_values), hand_of("w1")),
        (autodiff_b.map(host_values), hand_of("b1")),
        (autodiff_a.map(host_values), hand_of("a")),
    ]
}

/// Every combination, including m = 32 (where a scalar applied at f32 precision once showed up
/// as a 2e-9 discrepancy), with trainable, frozen, zero and non-zero biases, on both CPU
/// backends.
#[test]
fn autodiff_equals_hand_derived_gradients_to_1e_10() {
    let data = random_problem(7, 5, 11);
    for (backend, device) in f64_cpu_devices() {
        for activation in Activation::ALL {
            for parameterization in Parameterization::ALL {
                for width in [3, 32] {
                    for (bias_init, train_b) in [(0.0, true), (-0.7, true), (0.4, false)] {
                        let trainable = Trainable {
                            w: true,
                            b: train_b,
                            a: true,
                        };
                        let config = two_layer_config(
                            5,
                            width,
                            activation,
                            parameterization,
                            bias_init,
                            trainable,
                        );
                        let parameters = random_parameters(&config, width as u64);
                        let gradients = both_gradients(&config, &parameters, &data, &device);
                        for ((autodiff, hand), name) in gradients.into_iter().zip(["w1", "b1", "a"])
                        {
                            let label = format!("{backend}: {activation} {parameterization} m={width} B={bias_init} {name}");
                            match (autodiff, hand) {
                                (None, None) => {
                                    assert!(name == "b1" && !train_b, "{label}: missing gradient")
                                }
                                (Some(autodiff), Some(hand)) => {
                                    let error = relative_error(&autodiff, &hand);
                                    assert!(error <= 1e-10, "{label}: relative error {error:e}");
                                }
                                (autodiff, hand) => panic!(
                                    "{label}: autodiff gradient {}, hand gradient {}",
                                    autodiff.is_some(),
                                    hand.is_some()
                                ),
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Central differences (L(θ+h e) − L(θ−h e))/2h with h = 1e-5·max(1, |θ|): truncation error
/// O(h²) ≈ 1e-10 and rounding error O(ε L / h) ≈ 1e-11, so 1e-6 relative leaves a wide margin.
/// ReLU's kink: entries are skipped only where some pre-activation lies within the step of 0,
/// and the test asserts that this happens for few entries.
#[test]
fn hand_derived_gradients_match_central_differences() {
    let data = random_problem(6, 3, 5);
    for activation in Activation::ALL {
        for parameterization in Parameterization::ALL {
            let config = two_layer_config(3, 4, activation, parameterization, 0.2, Trainable::ALL);
            let parameters = random_parameters(&config, 3);
            let gradients = both_gradients(&config, &parameters, &data, &f64_device());
            let mut skipped = 0;
            for (tensor, (_, hand)) in gradients.iter().enumerate() {
                let hand = hand.as_ref().expect("every tensor is trained");
                let mut numeric = Vec::with_capacity(hand.len());
                for entry in 0..hand.len() {
                    let theta = parameters[tensor].values[entry];
                    let step = 1e-5 * theta.abs().max(1.0);
                    let at = |delta: f64| {
                        let mut moved = parameters.to_vec();
                        moved[tensor].values[entry] = theta + delta;
                        loss_at(&config, &moved, &data)
                    };
                    numeric.push((at(step) - at(-step)) / (2.0 * step));
                }
                let scale = hand.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (entry, (h, n)) in hand.iter().zip(&numeric).enumerate() {
                    if (h - n).abs() > 1e-6 * scale {
                        assert!(activation == Activation::Relu, "{activation} {parameterization} {tensor}/{entry}: hand {h} vs numeric {n}");
                        skipped += 1;
                    }
                }
            }
            assert!(
                skipped <= 2,
                "{activation} {parameterization}: {skipped} entries disagree"
            );
        }
    }
}
