//! The fused backward pass against central finite differences of the loss (f64), depths 1–3,
//! every σ, frozen tensors; the sparse path against the dense one; thread-count independence.

mod common;

use common::{data, network};
use overparam_cpu::{HostMlp, Nonlinearity, StepRates, Workspace};

fn loss(network: &HostMlp<f64>, inputs: &[f64], targets: &[f64]) -> f64 {
    let mut work = Workspace::new(network, targets.len());
    network.loss_and_gradients(inputs, targets, &mut work)
}

/// Every parameter of `network` as a mutable reference, with its analytic gradient.
fn check_against_differences(network: &HostMlp<f64>, inputs: &[f64], targets: &[f64]) {
    let mut work = Workspace::new(network, targets.len());
    network.loss_and_gradients(inputs, targets, &mut work);
    let gradients = work.gradients.clone();
    let h = 1e-4;
    let mut worst: f64 = 0.0;
    let mut compare = |analytic: f64, perturb: &dyn Fn(&mut HostMlp<f64>, f64)| {
        let at = |step: f64| {
            let mut moved = network.clone();
            perturb(&mut moved, step);
            loss(&moved, inputs, targets)
        };
        // Five-point central difference: truncation O(h⁴), rounding O(ε/h) ≈ 1e-12.
        let numeric = (at(-2.0 * h) - 8.0 * at(-h) + 8.0 * at(h) - at(2.0 * h)) / (12.0 * h);
        let error = (analytic - numeric).abs() / (1e-3 + numeric.abs());
        worst = worst.max(error);
    };
    for (l, layer) in network.layers.iter().enumerate() {
        for k in (0..layer.weight.len()).step_by(7) {
            if let Some(g) = &gradients.weights[l] {
                compare(g[k], &|net, e| net.layers[l].weight[k] += e);
            }
        }
        for k in 0..layer.width {
            if let Some(g) = &gradients.biases[l] {
                compare(g[k], &|net, e| net.layers[l].bias[k] += e);
            }
        }
    }
    if let Some(g) = &gradients.output {
        for k in 0..network.output.len() {
            compare(g[k], &|net, e| net.output[k] += e);
        }
    }
    // Rounding in the stencil is ~ε·L/h = 1e-12·L, and L reaches ~10³ for the depth-3
    // quadratic net; a wrong term shows as O(1). ReLU kinks stay farther than 2h from every z
    // for these seeds.
    assert!(worst < 1e-7, "worst relative gradient error {worst:e}");
}

#[test]
fn gradients_match_finite_differences_for_every_depth_and_activation() {
    let (inputs, targets) = data(1, 12, 5);
    for sigma in [
        Nonlinearity::Relu,
        Nonlinearity::Quadratic,
        Nonlinearity::Softplus,
    ] {
        for widths in [&[9][..], &[9, 7], &[6, 8, 5]] {
            let net = network(2, 5, widths, sigma, 0.1);
            check_against_differences(&net, &inputs, &targets);
        }
    }
}

#[test]
fn frozen_tensors_get_no_gradient_and_the_rest_stay_right() {
    let (inputs, targets) = data(3, 10, 4);
    let mut net = network(4, 4, &[8, 6], Nonlinearity::Softplus, 0.0);
    net.layers[0].train_w = false;
    net.layers[1].train_b = false;
    net.train_a = false;
    let mut work = Workspace::new(&net, targets.len());
    net.loss_and_gradients(&inputs, &targets, &mut work);
    assert!(work.gradients.weights[0].is_none() && work.gradients.biases[1].is_none());
    assert!(work.gradients.output.is_none());
    check_against_differences(&net, &inputs, &targets);
}

#[test]
fn sparse_last_layer_equals_the_dense_backward() {
    let (inputs, targets) = data(5, 200, 6);
    // Bias −2.5 on the sphere with N(0, I) rows: ~0.6% of units active → sparse path.
    let sparse = network(6, 6, &[300], Nonlinearity::Relu, -2.5);
    let mut work = Workspace::new(&sparse, targets.len());
    let loss_sparse = sparse.loss_and_gradients(&inputs, &targets, &mut work);
    assert!(work.used_sparse, "bias −2.5 should take the sparse path");
    let sparse_gradients = work.gradients.clone();
    // Against the dense pass (which the tests above hold to finite differences): with 60 000
    // pre-activations around B = −2.5 some z always lies within a stencil's reach of the ReLU
    // kink, so finite differences of this network are not a reliable reference themselves.
    let mut dense_work = Workspace::new(&sparse, targets.len());
    dense_work.allow_sparse = false;
    let loss_dense = sparse.loss_and_gradients(&inputs, &targets, &mut dense_work);
    assert!(!dense_work.used_sparse);
    assert_eq!(loss_sparse, loss_dense);
    let close = |a: &Option<Vec<f64>>, b: &Option<Vec<f64>>| {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-14 * (1.0 + y.abs()))
    };
    assert!(close(
        &sparse_gradients.weights[0],
        &dense_work.gradients.weights[0]
    ));
    assert!(close(
        &sparse_gradients.biases[0],
        &dense_work.gradients.biases[0]
    ));
    assert!(close(
        &sparse_gradients.output,
        &dense_work.gradients.output
    ));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let (inputs, targets) = data(7, 512, 64);
    let net = network(8, 64, &[512, 256], Nonlinearity::Relu, 0.0);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut net = net.clone();
            let mut work = Workspace::new(&net, targets.len());
            let rates = StepRates {
                weights: vec![0.5; 2],
                biases: vec![0.5; 2],
                output: 0.5,
            };
            let mut losses = Vec::new();
            for _ in 0..3 {
                losses.push(net.loss_and_gradients(&inputs, &targets, &mut work));
                let gradients = work.gradients.clone();
                net.descend(&gradients, &rates);
            }
            (losses, net)
        })
    };
    let (one, four) = (run(1), run(4));
    assert_eq!(one.0, four.0);
    assert_eq!(one.1, four.1);
}
