//! The two-layer NTK in closed form on the host, as symmetric rank-k products.
//!
//! For f(x) = s Σ_r a_r σ(w_r·x + b_r), with Z = XWᵀ + 1bᵀ (`[n, m]`):
//! K_W = s² ((σ′(Z)∘a)(σ′(Z)∘a)ᵀ) ∘ XXᵀ,  K_b = s² (σ′(Z)∘a)(σ′(Z)∘a)ᵀ,  K_a = s² σ(Z)σ(Z)ᵀ.
//! Each Gram matrix is one rank-m (or rank-d) product of which only the lower triangle is
//! computed: n²m multiply-adds per m-term, half a general product's.

use crate::chunks::map_row_chunk_pairs;
use crate::products::{gram_lower, matmul_nt, mirror_lower, mirror_lower_with_product};
use crate::rows::kernel_factors;
use crate::{HostLayer, HostMlp, Real};

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

/// The two `[n, m]` factors [`closed_form_kernel_in`] builds, kept between calls so that a
/// kernel tracked during training does not map fresh pages every time.
#[derive(Debug, Default)]
pub struct KernelWorkspace<T> {
    /// σ(Z) `[n, m]` (Z before the pass).
    pub(crate) pre: Vec<T>,
    /// σ′(Z)∘a `[n, m]`.
    pub(crate) weighted_slope: Vec<T>,
}

impl<T: Real> KernelWorkspace<T> {
    /// The two `[n, m]` factors of the one-hidden-layer `network` at `inputs` `[n, d]`:
    /// σ(Z) in `pre` and σ′(Z)∘a in `weighted_slope` (left empty when neither W nor b trains),
    /// Z = c X Wᵀ + 1bᵀ; returns the layer.
    ///
    /// # Panics
    /// Panics if `network` has more than one hidden layer (a programming error: callers check).
    pub(crate) fn fill<'a>(
        &mut self,
        network: &'a HostMlp<T>,
        inputs: &[T],
        samples: usize,
    ) -> &'a HostLayer<T> {
        let [layer] = &network.layers[..] else {
            panic!("the closed-form kernel is for one hidden layer");
        };
        let (n, m, d) = (samples, layer.width, layer.fan_in);
        let Self {
            pre,
            weighted_slope,
        } = self;
        pre.resize(n * m, T::zero());
        matmul_nt(pre, inputs, &layer.weight, [n, m, d], layer.input_scale);
        let slope_needed = layer.train_w || layer.train_b;
        weighted_slope.resize(if slope_needed { n * m } else { 0 }, T::zero());
        let sigma = network.nonlinearity;
        let (bias, a) = (&layer.bias, &network.output);
        // One pass: Z += b, D∘a into `weighted_slope`, σ(Z) in place.
        let pass = |rows: &mut [T], slopes: &mut [T]| kernel_factors(rows, slopes, bias, a, sigma);
        if slope_needed {
            map_row_chunk_pairs(pre, weighted_slope, m, pass);
        } else {
            pass(pre, &mut []);
        }
        layer
    }
}

/// The closed-form NTK parts of the one-hidden-layer `network` at `inputs` `[n, d]`.
///
/// # Panics
/// Panics if `network` has more than one hidden layer (a programming error: callers check).
pub fn closed_form_kernel<T: Real>(
    network: &HostMlp<T>,
    inputs: &[T],
    samples: usize,
) -> KernelParts<T> {
    closed_form_kernel_in(network, inputs, samples, &mut KernelWorkspace::default())
}

/// [`closed_form_kernel`] with its `[n, m]` buffers in `work`.
///
/// # Panics
/// As [`closed_form_kernel`].
pub fn closed_form_kernel_in<T: Real>(
    network: &HostMlp<T>,
    inputs: &[T],
    samples: usize,
    work: &mut KernelWorkspace<T>,
) -> KernelParts<T> {
    let layer = work.fill(network, inputs, samples);
    let (n, m, d) = (samples, layer.width, layer.fan_in);
    let s_squared = network.output_scale * network.output_scale;
    let slope_needed = layer.train_w || layer.train_b;
    let KernelWorkspace {
        pre,
        weighted_slope,
    } = work;
    let gram = |factor: &[T], rank: usize, alpha: T| {
        let mut out = vec![T::zero(); n * n];
        gram_lower(&mut out, factor, [n, rank], alpha);
        out
    };
    let mut parts = KernelParts::default();
    if slope_needed {
        let mut slope_gram = gram(weighted_slope, m, s_squared);
        if layer.train_w {
            let input_gram = gram(inputs, d, layer.input_scale * layer.input_scale);
            parts.weight = Some(mirror_lower_with_product(&mut slope_gram, &input_gram, n));
        } else {
            mirror_lower(&mut slope_gram, n);
        }
        if layer.train_b {
            parts.bias = Some(slope_gram);
        }
    }
    if network.train_a {
        let mut output_part = gram(pre, m, s_squared);
        mirror_lower(&mut output_part, n);
        parts.output = Some(output_part);
    }
    parts
}
