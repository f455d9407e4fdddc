//! Random networks and data for the tests.
#![allow(missing_docs, dead_code)]

use overparam_cpu::{HostLayer, HostMlp, Nonlinearity};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

pub fn normal(rng: &mut impl Rng, count: usize, scale: f64) -> Vec<f64> {
    (0..count)
        .map(|_| scale * Distribution::<f64>::sample(&StandardNormal, rng))
        .collect()
}

/// An MLP with input dimension d and hidden widths, NTK scaling, biases at `bias`.
pub fn network(
    seed: u64,
    d: usize,
    widths: &[usize],
    sigma: Nonlinearity,
    bias: f64,
) -> HostMlp<f64> {
    let mut rng = rng(seed);
    let mut fan_in = d;
    let mut layers = Vec::new();
    for (index, &width) in widths.iter().enumerate() {
        layers.push(HostLayer {
            weight: normal(&mut rng, width * fan_in, 1.0),
            bias: vec![bias; width],
            fan_in,
            width,
            input_scale: if index == 0 {
                1.0
            } else {
                1.0 / (fan_in as f64).sqrt()
            },
            train_w: true,
            train_b: true,
        });
        fan_in = width;
    }
    HostMlp {
        layers,
        output: normal(&mut rng, fan_in, 1.0),
        output_scale: 1.0 / (fan_in as f64).sqrt(),
        nonlinearity: sigma,
        train_a: true,
    }
}

/// n inputs on the unit sphere in d dimensions and targets N(0, 1).
pub fn data(seed: u64, n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = rng(seed);
    let mut inputs = normal(&mut rng, n * d, 1.0);
    for row in inputs.chunks_mut(d) {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        row.iter_mut().for_each(|v| *v /= norm);
    }
    (inputs, normal(&mut rng, n, 1.0))
}
