//! One workspace for mini-batches of changing size: after [`Workspace::set_samples`] a pass
//! gives the same bits as a pass in a workspace made for that many samples, shrinking and
//! growing back, depths 1 and 2.

mod common;

use common::{data, network};
use overparam_cpu::{HostMlp, Nonlinearity, Workspace};

/// (L, ∂L/∂θ) of the first `rows` samples in a fresh workspace.
fn fresh(net: &HostMlp<f64>, inputs: &[f64], targets: &[f64], rows: usize) -> (f64, Vec<f64>) {
    let mut work = Workspace::new(net, rows);
    let d = inputs.len() / targets.len();
    let loss = net.loss_and_gradients(&inputs[..rows * d], &targets[..rows], &mut work);
    (loss, flat(&work))
}

fn flat(work: &Workspace<f64>) -> Vec<f64> {
    let g = &work.gradients;
    let tensors = g.weights.iter().chain(&g.biases).chain([&g.output]);
    tensors.flatten().flatten().copied().collect()
}

#[test]
fn a_resized_workspace_computes_what_a_fresh_one_does() {
    let (n, d) = (40, 5);
    let (inputs, targets) = data(3, n, d);
    for widths in [vec![64], vec![24, 32]] {
        for sigma in [Nonlinearity::Relu, Nonlinearity::Softplus] {
            let net = network(4, d, &widths, sigma, 0.1);
            let mut work = Workspace::new(&net, 16);
            for rows in [16, 7, 16, 1, 40, 9] {
                work.set_samples(rows);
                assert_eq!(work.samples(), rows);
                let x = &inputs[..rows * d];
                let loss = net.loss_and_gradients(x, &targets[..rows], &mut work);
                let (want_loss, want) = fresh(&net, &inputs, &targets, rows);
                assert_eq!(loss, want_loss, "{widths:?} {sigma:?} rows {rows}");
                assert_eq!(flat(&work), want, "{widths:?} {sigma:?} rows {rows}");
            }
        }
    }
}
