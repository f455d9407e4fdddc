//! The two-layer NTK in closed form on the host, as symmetric rank-k products.
//!
//! For f(x) = s Σ_r a_r σ(w_r·x + b_r), with Z = XWᵀ + 1bᵀ (`[n, m]`):
//! K_W = s² ((σ′(Z)∘a)(σ′(Z)∘a)ᵀ) ∘ XXᵀ,  K_b = s² (σ′(Z)∘a)(σ′(Z)∘a)ᵀ,  K_a = s² σ(Z)σ(Z)ᵀ.
//! Each Gram matrix is one rank-m (or rank-d) product of which only the lower triangle is
//! computed: n²m multiply-adds per m-term, half a general product's.

use crate::chunks::map_row_chunk_pairs;
use crate::rows::kernel_factors;
use crate::products::{gram_lower, matmul_nt, mirror_lower};
use crate::{HostMlp, Real};

/// The kernel by parameter group, each `[n, n]` row-major and symmetric; `None` for a frozen
/// group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KernelParts<T> {
    /// K_W, the hidden weights' part.
    pub weight: Option<Vec<T>>,
    /// K_b, the hidden biases' part.
    pub bias: Option<Vec<T>>,
    /// K_a, the output weights' part.
    pub output: Option<Vec<T>>,
}

/// The closed-form NTK parts of the one-hidden-layer `network` at `inputs` `[n, d]`.
///
/// # Panics
/// Panics if `network` has more than one hidden layer (a programming error: callers check).
pub fn closed_form_kernel<T: Real>(network: &HostMlp<T>, inputs: &[T], samples: usize) -> KernelParts<T> {
    let [layer] = &network.layers[..] else {
        panic!("the closed-form kernel is for one hidden layer");
    };
    let (n, m, d) = (samples, layer.width, layer.fan_in);
    let s_squared = network.output_scale * network.output_scale;
    let mut pre = vec![T::zero(); n * m];
    matmul_nt(&mut pre, inputs, &layer.weight, [n, m, d], layer.input_scale);
    let slope_needed = layer.train_weight || layer.train_bias;
    let mut weighted_slope = vec![T::zero(); if slope_needed { n * m } else { 0 }];
    let sigma = network.nonlinearity;
    let (bias, a) = (&layer.bias, &network.output);
    // One pass: Z += b, D∘a into `weighted_slope`, σ(Z) in place.
    let pass = |rows: &mut [T], slopes: &mut [T]| kernel_factors(rows, slopes, bias, a, sigma);
    if slope_needed {
        map_row_chunk_pairs(&mut pre, &mut weighted_slope, m, pass);
    } else {
        pass(&mut pre, &mut []);
    }
    let gram = |factor: &[T], rank: usize, alpha: T| {
        let mut out = vec![T::zero(); n * n];
        gram_lower(&mut out, factor, [n, rank], alpha);
        out
    };
    let mut parts = KernelParts::default();
    if slope_needed {
        let slope_gram = gram(&weighted_slope, m, s_squared);
        if layer.train_weight {
            let input_gram = gram(inputs, d, layer.input_scale * layer.input_scale);
            let mut weight_part = slope_gram.clone();
            for i in 0..n {
                for j in 0..=i {
                    weight_part[i * n + j] *= input_gram[i * n + j];
                }
            }
            mirror_lower(&mut weight_part, n);
            parts.weight = Some(weight_part);
        }
        if layer.train_bias {
            let mut bias_part = slope_gram;
            mirror_lower(&mut bias_part, n);
            parts.bias = Some(bias_part);
        }
    }
    if network.train_output {
        let mut output_part = gram(&pre, m, s_squared);
        mirror_lower(&mut output_part, n);
        parts.output = Some(output_part);
    }
    parts
}
