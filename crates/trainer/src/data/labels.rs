//! Label generators: a two-layer teacher, random labels, and a planted quadratic.

use overparam_model::{Activation, NamedArray};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::inputs::{dot, gaussian_vector, norm};
use crate::TrainerError;

/// Law of random labels (arbitrary labels: nothing in x predicts them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RandomLabels {
    /// y_i ~ N(0, 1).
    Gaussian,
    /// y_i = ±1 with probability ½ each.
    Sign,
}

/// k unit directions u_j `[k, d]` drawn from `rng`: independent uniform on the sphere, or
/// orthonormal (Gram–Schmidt on Gaussian vectors; needs k ≤ d).
pub fn unit_directions(
    count: usize,
    input_dim: usize,
    orthonormal: bool,
    rng: &mut impl Rng,
) -> Result<Vec<Vec<f64>>, TrainerError> {
    if orthonormal && count > input_dim {
        return Err(TrainerError::InvalidData(format!(
            "teacher_orthonormal needs teacher_width ≤ d, got teacher_width = {count} > d = {input_dim}"
        )));
    }
    let mut directions: Vec<Vec<f64>> = Vec::with_capacity(count);
    while directions.len() < count {
        let mut v = gaussian_vector(input_dim, rng);
        if orthonormal {
            for u in &directions {
                let projection = dot(&v, u);
                v.iter_mut()
                    .zip(u)
                    .for_each(|(vi, ui)| *vi -= projection * ui);
            }
        }
        let length = norm(&v);
        if length > 1e-8 {
            directions.push(v.into_iter().map(|x| x / length).collect());
        }
    }
    Ok(directions)
}

/// The teacher f*(x) = Σ_{j=1..k} a*_j σ(w*_j·x) with unit-norm w*_j, a*_j = 1 and no bias.
#[derive(Clone, Debug, PartialEq)]
pub struct Teacher {
    /// Teacher neurons w*_j, `[k, d]`, unit norm.
    pub directions: Vec<Vec<f64>>,
    /// Activation σ (the student's).
    pub activation: Activation,
}

impl Teacher {
    /// f*(x) for one input x `[d]`.
    pub fn output(&self, x: &[f64]) -> f64 {
        self.directions
            .iter()
            .map(|w| self.activation.value(dot(w, x)))
            .sum()
    }

    /// The teacher's parameters as named arrays `w1` `[k, d]`, `b1` `[k]`, `a` `[k]`.
    pub fn to_named_arrays(&self) -> Vec<NamedArray> {
        let k = self.directions.len();
        let d = self.directions.first().map_or(0, Vec::len);
        vec![
            NamedArray {
                name: "w1".into(),
                shape: vec![k, d],
                values: self.directions.concat(),
            },
            NamedArray {
                name: "b1".into(),
                shape: vec![k],
                values: vec![0.0; k],
            },
            NamedArray {
                name: "a".into(),
                shape: vec![k],
                values: vec![1.0; k],
            },
        ]
    }
}

/// y = Σ_j (u_j·x)²: the planted quadratic with unit directions u_j and unit weights.
pub fn planted_quadratic_output(directions: &[Vec<f64>], x: &[f64]) -> f64 {
    directions.iter().map(|u| dot(u, x).powi(2)).sum()
}

/// `num_samples` random labels.
pub fn random_labels(law: RandomLabels, num_samples: usize, rng: &mut impl Rng) -> Vec<f64> {
    (0..num_samples)
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            match law {
                RandomLabels::Gaussian => z,
                RandomLabels::Sign => z.signum(),
            }
        })
        .collect()
}
