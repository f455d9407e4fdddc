//! The closed-form kernel against the formula summed entry by entry.

mod common;

use common::{data, network};
use overparam_cpu::{closed_form_kernel, closed_form_kernel_sum, GroupWeights, Nonlinearity};

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

/// Σ_g η_g K_g from the parts, entry by entry.
fn weighted_sum(parts: &overparam_cpu::KernelParts<f64>, weights: GroupWeights) -> Vec<f64> {
    let n2 = [&parts.weight, &parts.bias, &parts.output]
        .iter()
        .find_map(|p| p.as_ref().map(Vec::len))
        .unwrap();
    (0..n2)
        .map(|k| {
            let term =
                |part: &Option<Vec<f64>>, rate: f64| part.as_ref().map_or(0.0, |p| rate * p[k]);
            term(&parts.weight, weights.weight)
                + term(&parts.bias, weights.bias)
                + term(&parts.output, weights.output)
        })
        .collect()
}

#[test]
fn summed_kernel_equals_the_weighted_parts_in_one_block_and_in_many() {
    let weights = GroupWeights {
        weight: 0.7,
        bias: 1.3,
        output: 2.1,
    };
    // n = 2100 spans two row blocks (at most 2048 rows each); n = 23 one.
    for (n, d, m, sigma) in [
        (23, 5, 41, Nonlinearity::Relu),
        (23, 5, 41, Nonlinearity::Softplus),
        (23, 5, 41, Nonlinearity::Quadratic),
        (2100, 3, 7, Nonlinearity::Relu),
    ] {
        let (inputs, _) = data(13, n, d);
        for frozen in [None, Some(0), Some(1), Some(2)] {
            let mut net = network(14, d, &[m], sigma, 0.2);
            net.layers[0].input_scale = 0.6;
            match frozen {
                Some(0) => net.layers[0].train_w = false,
                Some(1) => net.layers[0].train_b = false,
                Some(2) => net.train_a = false,
                _ => {}
            }
            let want = weighted_sum(&closed_form_kernel(&net, &inputs, n), weights);
            let got = closed_form_kernel_sum(&net, &inputs, n, weights);
            let scale = want.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-13 * scale,
                    "n {n} {sigma:?} frozen {frozen:?} [{k}]: {g} vs {w}"
                );
            }
            // Symmetric bit for bit.
            for i in 0..n.min(200) {
                for j in 0..i {
                    assert_eq!(got[i * n + j], got[j * n + i]);
                }
            }
        }
    }
}
