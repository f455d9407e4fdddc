//! The closed-form weight Hessian: a one-neuron case worked by hand, its gradient against the
//! fused backward pass, and every entry against central differences of that (independent)
//! gradient in f64, for the quadratic and softplus activations with biases; and its refusals.

mod common;

use common::{data, network};
use overparam_cpu::{weight_hessian, HessianError, HostMlp, Nonlinearity, Workspace};

/// ∂L/∂W of the fused backward pass.
fn fused_gradient(network: &HostMlp<f64>, inputs: &[f64], targets: &[f64]) -> (f64, Vec<f64>) {
    let mut work = Workspace::new(network, targets.len());
    let loss = network.loss_and_gradients(inputs, targets, &mut work);
    (loss, work.gradients.weights[0].clone().unwrap())
}

#[test]
fn one_neuron_by_hand() {
    // f = s a (c w x + b)², L = ½ (f − y)²; with u = c w x + b:
    // ∂L/∂w = e · 2 s a u c x, ∂²L/∂w² = (2 s a u c x)² + e · 2 s a c² x².
    let (s, a, c, b, w, x, y) = (0.5, -1.5, 0.7, 0.2, 1.3, 0.9, 0.4);
    let mut net = network(0, 1, &[1], Nonlinearity::Quadratic, b);
    net.layers[0].weight = vec![w];
    net.layers[0].input_scale = c;
    net.output = vec![a];
    net.output_scale = s;
    let u: f64 = c * w * x + b;
    let e = s * a * u * u - y;
    let hand_gradient = e * 2.0 * s * a * u * c * x;
    let hand_hessian = (2.0 * s * a * u * c * x).powi(2) + e * 2.0 * s * a * c * c * x * x;
    let computed = weight_hessian(&net, &[x], &[y]).unwrap();
    assert!((computed.loss - 0.5 * e * e).abs() < 1e-15);
    assert!((computed.gradient[0] - hand_gradient).abs() < 1e-15);
    assert!((computed.hessian[0] - hand_hessian).abs() < 1e-15);
}

/// Every entry of H against (g(W + h e_q) − g(W − h e_q)) / 2h of the fused gradient.
fn check_against_gradient_differences(sigma: Nonlinearity, bias: f64) {
    let (m, d, n) = (3, 4, 7);
    let net = network(11, d, &[m], sigma, bias);
    let (inputs, targets) = data(12, n, d);
    let computed = weight_hessian(&net, &inputs, &targets).unwrap();
    let (loss, gradient) = fused_gradient(&net, &inputs, &targets);
    assert!((computed.loss - loss).abs() <= 1e-14 * loss.max(1.0));
    for (ours, fused) in computed.gradient.iter().zip(&gradient) {
        assert!((ours - fused).abs() <= 1e-13, "{ours} vs {fused}");
    }
    let size = m * d;
    assert_eq!(computed.size, size);
    let scale = computed.hessian.iter().fold(0.0_f64, |a, h| a.max(h.abs()));
    let h = 1e-5;
    for q in 0..size {
        let moved = |step: f64| {
            let mut net = net.clone();
            net.layers[0].weight[q] += step;
            fused_gradient(&net, &inputs, &targets).1
        };
        let (plus, minus) = (moved(h), moved(-h));
        for p in 0..size {
            // Central difference: truncation O(h²) ≈ 1e-10, rounding O(ε/h) ≈ 1e-11 (× scale).
            let numeric = (plus[p] - minus[p]) / (2.0 * h);
            let analytic = computed.hessian[p * size + q];
            assert!(
                (analytic - numeric).abs() <= 1e-7 * scale,
                "{sigma:?}: H[{p}, {q}] = {analytic} vs differences {numeric}"
            );
            assert_eq!(analytic, computed.hessian[q * size + p], "symmetric");
        }
    }
}

#[test]
fn quadratic_hessian_equals_differences_of_the_gradient() {
    check_against_gradient_differences(Nonlinearity::Quadratic, 0.3);
    check_against_gradient_differences(Nonlinearity::Quadratic, 0.0);
}

#[test]
fn softplus_hessian_equals_differences_of_the_gradient() {
    check_against_gradient_differences(Nonlinearity::Softplus, -0.4);
}

#[test]
fn relu_and_deeper_networks_are_refused() {
    let (inputs, targets) = data(1, 5, 3);
    let relu = network(1, 3, &[4], Nonlinearity::Relu, 0.0);
    assert_eq!(
        weight_hessian(&relu, &inputs, &targets),
        Err(HessianError::NotTwiceDifferentiable(Nonlinearity::Relu))
    );
    let deep = network(1, 3, &[4, 4], Nonlinearity::Quadratic, 0.0);
    assert_eq!(
        weight_hessian(&deep, &inputs, &targets),
        Err(HessianError::Depth(2))
    );
    let net = network(1, 3, &[4], Nonlinearity::Quadratic, 0.0);
    assert!(matches!(
        weight_hessian(&net, &inputs[1..], &targets),
        Err(HessianError::Shape { .. })
    ));
}
