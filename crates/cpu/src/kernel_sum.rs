//! The two-layer NTK K = Σ_g η_g K_g summed as it is built, row block by row block, so that
//! the only `[n, n]` buffer is the result (f64, whatever the network's float type): what a
//! kernel at n = 32768 (8.6 GB in f64) needs, where [`closed_form_kernel`]'s three parts would
//! take three times that.
//!
//! With Z = c X Wᵀ + 1bᵀ, D̃ = σ′(Z)∘a, R = σ(Z) (all `[n, m]`) and a row block B of the
//! lower triangle: K[B, ≤B] = s² [ (D̃_B D̃ᵀ) ∘ (η_W c² X_B Xᵀ + η_b) + η_a R_B Rᵀ ], each
//! term present only if its tensor trains. Cost as the parts': n²(2m + d)/2 multiply-adds.
//!
//! [`closed_form_kernel`]: crate::closed_form_kernel

use crate::products::{matmul_nt, mirror_lower};
use crate::{HostMlp, KernelWorkspace, Real};
use rayon::prelude::*;

/// η per parameter group: 1, 1, 1 for the plain kernel K, the learning rates for K_η.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupWeights {
    /// η_W, of the hidden weights.
    pub weight: f64,
    /// η_b, of the hidden biases.
    pub bias: f64,
    /// η_a, of the output weights.
    pub output: f64,
}

/// Rows per block: the block's three `[rows, n]` products stay near 384 MiB (tall enough
/// blocks for the products to run at full speed on every thread).
fn block_rows<T>(n: usize) -> usize {
    let per_row = 3 * n * std::mem::size_of::<T>();
    ((384 << 20) / per_row.max(1)).clamp(32, 2048)
}

/// Σ_g η_g K_g `[n, n]` (row-major, both triangles, f64) of the one-hidden-layer `network` at
/// `inputs` `[n, d]`, frozen groups left out.
///
/// # Panics
/// Panics if `network` has more than one hidden layer (a programming error: callers check).
pub fn closed_form_kernel_sum<T: Real>(
    network: &HostMlp<T>,
    inputs: &[T],
    samples: usize,
    weights: GroupWeights,
) -> Vec<f64> {
    let mut factors = KernelWorkspace::default();
    let layer = factors.fill(network, inputs, samples);
    let (n, m, d) = (samples, layer.width, layer.fan_in);
    let s_squared = network.output_scale * network.output_scale;
    let slope_needed = layer.train_w || layer.train_b;
    let (hidden, slopes) = (&factors.pre, &factors.weighted_slope);
    let weight_rate = if layer.train_w { weights.weight } else { 0.0 };
    let bias_rate = if layer.train_b { weights.bias } else { 0.0 };
    let output_rate = if network.train_a { weights.output } else { 0.0 };
    let c_squared = layer.input_scale * layer.input_scale;

    let mut kernel = vec![0.0_f64; n * n];
    let rows = block_rows::<T>(n);
    let mut slope_block = Vec::new();
    let mut input_block = Vec::new();
    let mut output_block = Vec::new();
    for first in (0..n).step_by(rows) {
        let count = rows.min(n - first);
        let columns = first + count; // the block's lower triangle and everything left of it
        let product = |block: &mut Vec<T>, factor: &[T], rank: usize, alpha: T| {
            block.resize(count * columns, T::zero());
            let left = &factor[first * rank..columns * rank];
            matmul_nt(
                block,
                left,
                &factor[..columns * rank],
                [count, columns, rank],
                alpha,
            );
        };
        if slope_needed {
            product(&mut slope_block, slopes, m, s_squared);
        }
        if weight_rate != 0.0 {
            product(&mut input_block, inputs, d, c_squared);
        }
        if output_rate != 0.0 {
            product(&mut output_block, hidden, m, s_squared);
        }
        let block = &mut kernel[first * n..(first + count) * n];
        block.par_chunks_mut(n).enumerate().for_each(|(r, row)| {
            let i = first + r;
            for (j, entry) in row[..=i].iter_mut().enumerate() {
                let at = r * columns + j;
                let mut value = 0.0;
                if slope_needed {
                    let slope = slope_block[at].as_f64();
                    let mut factor = bias_rate;
                    if weight_rate != 0.0 {
                        factor += weight_rate * input_block[at].as_f64();
                    }
                    value += slope * factor;
                }
                if output_rate != 0.0 {
                    value += output_rate * output_block[at].as_f64();
                }
                *entry = value;
            }
        });
    }
    mirror_lower(&mut kernel, n);
    kernel
}
