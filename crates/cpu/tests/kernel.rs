//! The closed-form kernel against the formula summed entry by entry.

mod common;

use common::{data, network};
use overparam_cpu::{closed_form_kernel, Nonlinearity};

#[test]
fn kernel_parts_match_the_formula_summed_naively() {
    let (n, d, m) = (23, 5, 41);
    let (inputs, _) = data(11, n, d);
    for sigma in [
        Nonlinearity::Relu,
        Nonlinearity::Quadratic,
        Nonlinearity::Softplus,
    ] {
        let net = network(12, d, &[m], sigma, 0.2);
        let parts = closed_form_kernel(&net, &inputs, n);
        let layer = &net.layers[0];
        let z = |i: usize, r: usize| {
            (0..d)
                .map(|k| inputs[i * d + k] * layer.weight[r * d + k])
                .sum::<f64>()
                + layer.bias[r]
        };
        let s2 = net.output_scale * net.output_scale;
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..d).map(|k| inputs[i * d + k] * inputs[j * d + k]).sum();
                let (mut kb, mut ka) = (0.0, 0.0);
                for r in 0..m {
                    let (zi, zj) = (z(i, r), z(j, r));
                    kb += s2 * net.output[r].powi(2) * sigma.slope(zi) * sigma.slope(zj);
                    ka += s2 * sigma.value(zi) * sigma.value(zj);
                }
                let close = |got: f64, want: f64| (got - want).abs() <= 1e-12 * (1.0 + want.abs());
                let k = i * n + j;
                assert!(close(parts.bias.as_ref().unwrap()[k], kb), "K_b[{i},{j}]");
                assert!(
                    close(parts.weight.as_ref().unwrap()[k], kb * dot),
                    "K_W[{i},{j}]"
                );
                assert!(close(parts.output.as_ref().unwrap()[k], ka), "K_a[{i},{j}]");
            }
        }
    }
}
