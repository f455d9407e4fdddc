//! Starting a student next to its teacher: the local-convergence experiments (seed paper 001's
//! local part, seed paper 002's softplus part) begin at the truth plus a small perturbation.
//!
//! A student wider than the teacher (m ≥ k) starts with every teacher neuron represented by
//! several student neurons near it: student neuron r copies teacher neuron j = r mod k, so
//! teacher neuron j has c_j = ⌈(m − j)/k⌉ copies, each w*_j/√c_j with output weight 1/√c_j.
//! The copies sum to the teacher's neuron (σ is positively homogeneous: Σ_copies
//! (1/√c_j) σ(w*_j·x/√c_j) = σ(w*_j·x)) and keep its balance |a| = ‖w‖ (a*_j = ‖w*_j‖ = 1),
//! which gradient flow conserves; they also leave the tangent kernel at the start equal to
//! the teacher's (Σ_copies a_r² = 1 and Σ_copies ‖w_r‖² = 1), so that m changes how many
//! neurons there are, not how fast each moves. (An unbalanced split a_r = 1/c_j, w_r = w*_j
//! would slow every direction down by a factor c_j.)

use overparam_model::{MlpConfig, NamedArray};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::data::Teacher;

/// Why a student cannot start at its teacher.
#[derive(Debug, thiserror::Error)]
pub enum NearTeacherError {
    /// The student is not one hidden layer at least as wide as the teacher.
    #[error(
        "starting at the teacher needs one hidden layer at least as wide as the teacher \
         (model.width ≥ data.teacher_width = {teacher_width}), got widths {widths:?}"
    )]
    Widths {
        /// The teacher's width k.
        teacher_width: usize,
        /// The student's hidden widths.
        widths: Vec<usize>,
    },
}

/// A one-hidden-layer student of width m ≥ k equal to `teacher` (k neurons) up to a
/// perturbation of relative size `noise`. Student neuron r copies teacher neuron j = r mod k:
/// w_r = (w*_j + noise·g_r/√d)/√c_j, a_r = (1 + noise·g′_r)/(√c_j·s), with g_r ~ N(0, I_d),
/// g′_r ~ N(0, 1) (all g_r drawn first, in neuron order, then all g′_r), c_j the number of
/// copies of teacher neuron j and s the parameterization's output scale at width m; and
/// b_r = `config.bias_init` (the teacher has no bias). At noise = 0 and bias_init = 0 the
/// student computes exactly the teacher f*(x) = Σ_j σ(w*_j·x); at m = k it is the teacher's
/// own neurons, perturbed.
pub fn near_teacher_parameters(
    config: &MlpConfig,
    teacher: &Teacher,
    noise: f64,
    rng: &mut impl Rng,
) -> Result<Vec<NamedArray>, NearTeacherError> {
    let k = teacher.directions.len();
    let m = match config.widths[..] {
        [m] if k >= 1 && m >= k => m,
        _ => {
            return Err(NearTeacherError::Widths {
                teacher_width: k,
                widths: config.widths.clone(),
            })
        }
    };
    let d = config.input_dim;
    let scale = noise / (d as f64).sqrt();
    let mut gaussian = || rng.sample::<f64, _>(StandardNormal);
    // 1/√c_j for student neuron r, which copies teacher neuron j = r mod k.
    let split = |r: usize| 1.0 / ((m - r % k).div_ceil(k) as f64).sqrt();
    let w1: Vec<f64> = (0..m)
        .flat_map(|r| {
            teacher.directions[r % k]
                .iter()
                .map(|&v| (v + scale * gaussian()) * split(r))
                .collect::<Vec<_>>()
        })
        .collect();
    let b1 = vec![config.bias_init; m];
    let output_scale = config.parameterization.output_scale(m);
    let a: Vec<f64> = (0..m)
        .map(|r| (1.0 + noise * gaussian()) * split(r) / output_scale)
        .collect();
    Ok(vec![
        NamedArray {
            name: "w1".into(),
            shape: vec![m, d],
            values: w1,
        },
        NamedArray {
            name: "b1".into(),
            shape: vec![m],
            values: b1,
        },
        NamedArray {
            name: "a".into(),
            shape: vec![m],
            values: a,
        },
    ])
}
