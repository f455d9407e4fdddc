//! Input generators: x_i ~ N(0, I_d/d) or uniform on the unit sphere S^{d−1}.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Law of generated inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputLaw {
    /// x ~ N(0, I_d/d), so E‖x‖² = 1.
    Gaussian,
    /// x uniform on the unit sphere: a standard Gaussian vector divided by its norm.
    Sphere,
}

/// Draws `num_samples` inputs of dimension `input_dim`, row-major `[n, d]`.
pub fn generate_inputs(
    law: InputLaw,
    num_samples: usize,
    input_dim: usize,
    rng: &mut impl Rng,
) -> Vec<f64> {
    let mut inputs = Vec::with_capacity(num_samples * input_dim);
    for _ in 0..num_samples {
        let row = gaussian_vector(input_dim, rng);
        let scale = match law {
            InputLaw::Gaussian => 1.0 / (input_dim as f64).sqrt(),
            InputLaw::Sphere => 1.0 / norm(&row),
        };
        inputs.extend(row.iter().map(|v| v * scale));
    }
    inputs
}

/// A vector of `dim` independent N(0, 1) draws.
pub(crate) fn gaussian_vector(dim: usize, rng: &mut impl Rng) -> Vec<f64> {
    (0..dim).map(|_| StandardNormal.sample(rng)).collect()
}

/// Euclidean norm.
pub(crate) fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Dot product.
pub(crate) fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}
