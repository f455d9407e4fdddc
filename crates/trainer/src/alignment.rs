//! Teacher–student diagnostics: how close each student neuron's direction w_r is to some
//! teacher neuron w*_j.

use overparam_model::NamedArray;

/// The cosines cos∠(w_r, w*_j), row-major `[m, k]`, of the student's first-layer rows `w1`
/// `[m, d]` against the teacher directions `teacher` (k rows of length d). A zero row has
/// cosine 0 with everything.
pub fn teacher_cosines(w1: &NamedArray, teacher: &[Vec<f64>]) -> Vec<f64> {
    let d = w1.shape.get(1).copied().unwrap_or(0);
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    w1.values
        .chunks(d.max(1))
        .flat_map(|row| {
            let row_norm = norm(row);
            teacher.iter().map(move |direction| {
                let scale = row_norm * norm(direction);
                if scale > 0.0 {
                    row.iter().zip(direction).map(|(a, b)| a * b).sum::<f64>() / scale
                } else {
                    0.0
                }
            })
        })
        .collect()
}

/// The output-weight-weighted mean over student neurons of their best cosine to a teacher
/// neuron, Σ_r |a_r| max_j cos∠(w_r, w*_j) / Σ_r |a_r|, from `cosines` `[m, k]` and the output
/// weights `a` `[m]`; `None` when every a_r is 0 or there is no teacher neuron.
pub fn teacher_alignment(cosines: &[f64], output_weights: &[f64]) -> Option<f64> {
    let m = output_weights.len();
    if m == 0 || cosines.is_empty() {
        return None;
    }
    let k = cosines.len() / m;
    let total: f64 = output_weights.iter().map(|a| a.abs()).sum();
    if total == 0.0 || k == 0 {
        return None;
    }
    let weighted: f64 = cosines
        .chunks(k)
        .zip(output_weights)
        .map(|(row, a)| a.abs() * row.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        .sum();
    Some(weighted / total)
}

/// [`teacher_alignment`] of a network's named parameters: needs one hidden layer (`w1`,
/// `a`, no `w2`); `None` otherwise.
pub fn network_teacher_alignment(parameters: &[NamedArray], teacher: &[Vec<f64>]) -> Option<f64> {
    let find = |name: &str| parameters.iter().find(|p| p.name == name);
    if find("w2").is_some() {
        return None;
    }
    let (w1, a) = (find("w1")?, find("a")?);
    teacher_alignment(&teacher_cosines(w1, teacher), &a.values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_alignment() {
        // Student rows (1,0), (1,1), (0,-2); teacher directions e1, e2.
        let w1 = NamedArray::new("w1", vec![3, 2], vec![1.0, 0.0, 1.0, 1.0, 0.0, -2.0]).unwrap();
        let teacher = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let cosines = teacher_cosines(&w1, &teacher);
        let h = 0.5f64.sqrt();
        let expected = [1.0, 0.0, h, h, 0.0, -1.0];
        for (c, e) in cosines.iter().zip(expected) {
            assert!((c - e).abs() < 1e-15, "{cosines:?}");
        }
        // Best cosines 1, √½, 0 weighted by |a| = 2, 1, 1.
        let alignment = teacher_alignment(&cosines, &[2.0, -1.0, 1.0]).unwrap();
        assert!((alignment - (2.0 + h) / 4.0).abs() < 1e-15);
        assert_eq!(teacher_alignment(&cosines, &[0.0; 3]), None);
    }
}
