//! Starting a student next to its teacher: the local-convergence experiments (seed paper 002's
//! softplus part) begin at the truth plus a small perturbation.

use overparam_model::{MlpConfig, NamedArray};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::data::Teacher;

/// Why a student cannot start at its teacher.
#[derive(Debug, thiserror::Error)]
pub enum NearTeacherError {
    /// The student is not one hidden layer of the teacher's width.
    #[error(
        "starting at the teacher needs one hidden layer of the teacher's width {teacher_width} \
         (model.width = data.teacher_width), got widths {widths:?}"
    )]
    Widths {
        /// The teacher's width k.
        teacher_width: usize,
        /// The student's hidden widths.
        widths: Vec<usize>,
    },
}

/// A one-hidden-layer student equal to `teacher` up to a perturbation of relative size
/// `noise`: w_r = w*_r + noise·g/√d, a_r = (1 + noise·g′)/s with g ~ N(0, I_d),
/// g′ ~ N(0, 1) and s the parameterization's output scale, and b_r = `config.bias_init`
/// (the teacher has no bias: at 0 it starts at the truth), so that at noise = 0 and
/// bias_init = 0 the student computes exactly the teacher f*(x) = Σ_j σ(w*_j·x).
///
/// The student needs one hidden layer of the teacher's width k.
pub fn near_teacher_parameters(
    config: &MlpConfig,
    teacher: &Teacher,
    noise: f64,
    rng: &mut impl Rng,
) -> Result<Vec<NamedArray>, NearTeacherError> {
    let k = teacher.directions.len();
    if config.widths != [k] {
        return Err(NearTeacherError::Widths {
            teacher_width: k,
            widths: config.widths.clone(),
        });
    }
    let d = config.input_dim;
    let scale = noise / (d as f64).sqrt();
    let mut gaussian = || rng.sample::<f64, _>(StandardNormal);
    let w1: Vec<f64> = teacher
        .directions
        .iter()
        .flat_map(|w| {
            w.iter()
                .map(|&v| v + scale * gaussian())
                .collect::<Vec<_>>()
        })
        .collect();
    let b1 = vec![config.bias_init; k];
    let output_scale = config.parameterization.output_scale(k);
    let a: Vec<f64> = (0..k)
        .map(|_| (1.0 + noise * gaussian()) / output_scale)
        .collect();
    Ok(vec![
        NamedArray {
            name: "w1".into(),
            shape: vec![k, d],
            values: w1,
        },
        NamedArray {
            name: "b1".into(),
            shape: vec![k],
            values: b1,
        },
        NamedArray {
            name: "a".into(),
            shape: vec![k],
            values: a,
        },
    ])
}
