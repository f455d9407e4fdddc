//! The last hidden layer's gradient over its active (sample, unit) pairs only: with ReLU and
//! a large negative bias most z_ir ≤ 0, σ′(z_ir) = σ(z_ir) = 0, and those pairs add nothing.

use crate::Real;

/// Active pairs of one chunk of rows, or `None` when the chunk had too many to be worth it.
pub type ActivePairs = Option<Vec<(u32, u32)>>;

/// The (row, unit) pairs with z > 0 of `rows` (starting at row `first_row`, `width` units per
/// row), of which there are `count`; `None` (not worth it) when that is more than `limit`.
pub fn active_pairs<T: Real>(
    first_row: usize,
    rows: &[T],
    width: usize,
    count: usize,
    limit: usize,
) -> ActivePairs {
    if count > limit {
        return None;
    }
    let mut pairs = Vec::with_capacity(count);
    for (offset, row) in rows.chunks(width).enumerate() {
        for (unit, &z) in row.iter().enumerate() {
            if z > T::zero() {
                pairs.push(((first_row + offset) as u32, unit as u32));
            }
        }
    }
    Some(pairs)
}

/// What [`accumulate`] adds into.
pub struct SparseGradients<'a, T> {
    /// ∂L/∂W `[m, fan_in]` (zeroed by the caller), when W trains.
    pub weight: Option<&'a mut [T]>,
    /// ∂L/∂b `[m]` (zeroed), when b trains.
    pub bias: Option<&'a mut [T]>,
    /// ∂L/∂a `[m]` (zeroed), when a trains.
    pub output: Option<&'a mut [T]>,
}

/// Adds every active pair's terms: δ = s g_i a_r into ∂b_r and (times c·h_{i}) into ∂W_r,
/// s g_i z_ir into ∂a_r. `pre` `[n, m]` holds z, `input` `[n, fan_in]` the layer's input h_{L−1}.
#[allow(clippy::too_many_arguments)]
pub fn accumulate<T: Real>(
    pairs: &[(u32, u32)],
    pre: &[T],
    input: &[T],
    [width, fan_in]: [usize; 2],
    output_gradient: &[T],
    output_weights: &[T],
    [output_scale, input_scale]: [T; 2],
    gradients: SparseGradients<'_, T>,
) {
    let SparseGradients {
        mut weight,
        mut bias,
        mut output,
    } = gradients;
    for &(row, unit) in pairs {
        let (i, r) = (row as usize, unit as usize);
        let coefficient = output_scale * output_gradient[i];
        if let Some(output) = output.as_deref_mut() {
            output[r] += coefficient * pre[i * width + r];
        }
        let delta = coefficient * output_weights[r];
        if let Some(bias) = bias.as_deref_mut() {
            bias[r] += delta;
        }
        if let Some(weight) = weight.as_deref_mut() {
            let scaled = input_scale * delta;
            let source = &input[i * fan_in..(i + 1) * fan_in];
            for (w, x) in weight[r * fan_in..(r + 1) * fan_in].iter_mut().zip(source) {
                *w += scaled * *x;
            }
        }
    }
}
