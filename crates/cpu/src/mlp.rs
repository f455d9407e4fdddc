//! Gradient descent on an MLP held in host memory (on all samples, or on a mini-batch: n is
//! the workspace's sample count), with the backward pass written out: f = s · H_L a,
//! H_l = σ(Z_l), Z_l = c_l H_{l−1} W_lᵀ + 1 b_lᵀ, H_0 = X, loss L = (1/2n) Σ_i (f_i − y_i)², g = (f − y)/n, and
//!
//! ∂L/∂a = s H_Lᵀ g,  Δ_L = (s g aᵀ) ∘ σ′(Z_L),  Δ_{l−1} = c_l (Δ_l W_l) ∘ σ′(Z_{l−1}),
//! ∂L/∂W_l = c_l Δ_lᵀ H_{l−1},  ∂L/∂b_l = Δ_lᵀ 1.

use crate::chunks::{add_columns, map_row_chunk_pairs, map_row_chunks, rows_per_chunk};
use crate::loss::scaled_errors;
use crate::products::{matmul_nn, matmul_nt, matmul_tn};
use crate::sparse::{accumulate, active_pairs, ActivePairs, SparseGradients};
use crate::{rows, Nonlinearity, Real};

/// The last layer's gradient goes sparse when at most this fraction of its units is active.
const SPARSE_MAX_ACTIVE_FRACTION: usize = 16; // 1/16

/// One hidden layer z = c W h + b.
#[derive(Clone, Debug, PartialEq)]
pub struct HostLayer<T> {
    /// W `[width, fan_in]`, row-major.
    pub weight: Vec<T>,
    /// b `[width]`.
    pub bias: Vec<T>,
    /// Input size (d for the first layer).
    pub fan_in: usize,
    /// Output size m_l.
    pub width: usize,
    /// c_l multiplying W h.
    pub input_scale: T,
    /// Whether W trains (a frozen tensor gets no gradient).
    pub train_w: bool,
    /// Whether b trains.
    pub train_b: bool,
}

/// The network f(x) = s · a·h_L (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct HostMlp<T> {
    /// Hidden layers, input side first.
    pub layers: Vec<HostLayer<T>>,
    /// a `[m_L]`.
    pub output: Vec<T>,
    /// s.
    pub output_scale: T,
    /// σ, the same in every hidden layer.
    pub nonlinearity: Nonlinearity,
    /// Whether a trains.
    pub train_a: bool,
}

/// ∂L/∂θ for every trained tensor (`None` for a frozen one), same shapes as θ.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gradients<T> {
    /// ∂L/∂W_l per layer.
    pub weights: Vec<Option<Vec<T>>>,
    /// ∂L/∂b_l per layer.
    pub biases: Vec<Option<Vec<T>>>,
    /// ∂L/∂a.
    pub output: Option<Vec<T>>,
}

/// η per tensor for [`HostMlp::descend`].
#[derive(Clone, Debug, PartialEq)]
pub struct StepRates {
    /// η of W_l per layer.
    pub weights: Vec<f64>,
    /// η of b_l per layer.
    pub biases: Vec<f64>,
    /// η of a.
    pub output: f64,
}

/// Buffers reused from step to step for n samples (n may change between passes, see
/// [`Workspace::set_samples`]).
pub struct Workspace<T> {
    samples: usize,
    /// m_l per layer.
    widths: Vec<usize>,
    /// Z_l `[n, m_l]`, overwritten by Δ_l in the backward pass.
    pre: Vec<Vec<T>>,
    /// H_l `[n, m_l]` for l < L (the last layer's is never formed).
    hidden: Vec<Vec<T>>,
    /// f `[n]`, then g.
    outputs: Vec<T>,
    /// The last step's gradients.
    pub gradients: Gradients<T>,
    /// Whether the last step took the sparse path for the last layer.
    pub used_sparse: bool,
    /// Whether the sparse path may be taken (true by default; false to time or test the
    /// dense pass on a sparse network).
    pub allow_sparse: bool,
}

impl<T: Real> Workspace<T> {
    /// Buffers for `network` on `samples` inputs.
    pub fn new(network: &HostMlp<T>, samples: usize) -> Self {
        let layers = &network.layers;
        let depth = layers.len();
        let gradients = Gradients {
            weights: layers
                .iter()
                .map(|l| l.train_w.then(|| vec![T::zero(); l.weight.len()]))
                .collect(),
            biases: layers
                .iter()
                .map(|l| l.train_b.then(|| vec![T::zero(); l.width]))
                .collect(),
            output: network
                .train_a
                .then(|| vec![T::zero(); network.output.len()]),
        };
        Self {
            samples,
            widths: layers.iter().map(|l| l.width).collect(),
            pre: layers
                .iter()
                .map(|l| vec![T::zero(); samples * l.width])
                .collect(),
            hidden: layers[..depth - 1]
                .iter()
                .map(|l| vec![T::zero(); samples * l.width])
                .collect(),
            outputs: vec![T::zero(); samples],
            gradients,
            used_sparse: false,
            allow_sparse: true,
        }
    }

    /// The number of samples n the next pass runs on.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Makes the next pass run on `samples` rows (a mini-batch of another size): the `[n, m_l]`
    /// buffers shrink in place and grow back without allocating up to the largest n they have
    /// held. The gradients keep their shapes.
    pub fn set_samples(&mut self, samples: usize) {
        if samples == self.samples {
            return;
        }
        let buffers = self.pre.iter_mut().zip(&self.widths);
        for (buffer, width) in buffers.chain(self.hidden.iter_mut().zip(&self.widths)) {
            buffer.resize(samples * width, T::zero());
        }
        self.outputs.resize(samples, T::zero());
        self.samples = samples;
    }
}

impl<T: Real> HostMlp<T> {
    /// Number of hidden layers L.
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// Whether layer l's Δ is needed: some layer at or below l trains W or b.
    fn needs_delta(&self, layer: usize) -> bool {
        self.layers[..=layer].iter().any(|l| l.train_w || l.train_b)
    }

    /// The forward pass on `inputs` `[n, d]`: fills Z_l, H_l (l < L) and f, and returns the
    /// active pairs of the last layer per chunk when σ is ReLU.
    fn forward(&self, inputs: &[T], work: &mut Workspace<T>) -> Vec<ActivePairs> {
        let n = work.samples;
        let depth = self.depth();
        let mut pairs = Vec::new();
        for (index, layer) in self.layers.iter().enumerate() {
            let (done, rest) = work.hidden.split_at_mut(index);
            let input: &[T] = if index == 0 { inputs } else { &done[index - 1] };
            let pre = &mut work.pre[index];
            let dims = [n, layer.width, layer.fan_in];
            matmul_nt(pre, input, &layer.weight, dims, layer.input_scale);
            let (sigma, bias, width) = (self.nonlinearity, &layer.bias, layer.width);
            if index + 1 < depth {
                map_row_chunk_pairs(pre, &mut rest[0], width, |rows, out| {
                    rows::activate(rows, out, bias, sigma);
                });
            } else {
                let (a, s) = (&self.output, self.output_scale);
                let track = sigma == Nonlinearity::Relu;
                let limit = rows_per_chunk(width) * width / (SPARSE_MAX_ACTIVE_FRACTION / 2);
                let results = map_row_chunks(pre, width, |first, rows| {
                    let mut outputs = vec![T::zero(); rows.len() / width];
                    let count = rows::read_out(rows, bias, a, sigma, &mut outputs);
                    outputs.iter_mut().for_each(|f| *f = s * *f);
                    let active = if track {
                        active_pairs(first, rows, width, count, limit)
                    } else {
                        None
                    };
                    (outputs, active)
                });
                let mut row = 0;
                for (outputs, active) in results {
                    work.outputs[row..row + outputs.len()].copy_from_slice(&outputs);
                    row += outputs.len();
                    pairs.push(active);
                }
            }
        }
        pairs
    }

    /// L(θ) on `inputs` `[n, d]`, `targets` `[n]`, leaving ∂L/∂θ in `work.gradients`.
    pub fn loss_and_gradients(&self, inputs: &[T], targets: &[T], work: &mut Workspace<T>) -> f64 {
        let n = work.samples;
        let pairs = self.forward(inputs, work);
        let loss = scaled_errors(&mut work.outputs, targets);
        let last = self.depth() - 1;
        let total_active: usize = pairs.iter().flatten().map(Vec::len).sum();
        let sparse = work.allow_sparse
            && !pairs.is_empty()
            && pairs.iter().all(Option::is_some)
            && total_active * SPARSE_MAX_ACTIVE_FRACTION <= n * self.layers[last].width
            && (last == 0 || !self.needs_delta(last - 1));
        work.used_sparse = sparse;
        if sparse {
            self.sparse_last_layer(inputs, work, &pairs);
        } else {
            self.dense_backward(inputs, work);
        }
        loss
    }

    /// The last layer's gradients from its active pairs (no lower layer needs Δ).
    fn sparse_last_layer(&self, inputs: &[T], work: &mut Workspace<T>, pairs: &[ActivePairs]) {
        let last = self.depth() - 1;
        let layer = &self.layers[last];
        let input: &[T] = if last == 0 {
            inputs
        } else {
            &work.hidden[last - 1]
        };
        let gradients = &mut work.gradients;
        let (weights, biases) = (&mut gradients.weights[last], &mut gradients.biases[last]);
        for buffer in [weights.as_mut(), biases.as_mut(), gradients.output.as_mut()]
            .into_iter()
            .flatten()
        {
            buffer.fill(T::zero());
        }
        let all: Vec<(u32, u32)> = pairs.iter().flatten().flatten().copied().collect();
        accumulate(
            &all,
            &work.pre[last],
            input,
            [layer.width, layer.fan_in],
            &work.outputs,
            &self.output,
            [self.output_scale, layer.input_scale],
            SparseGradients {
                weight: weights.as_deref_mut(),
                bias: biases.as_deref_mut(),
                output: gradients.output.as_deref_mut(),
            },
        );
    }

    /// The backward pass through every layer that needs it.
    fn dense_backward(&self, inputs: &[T], work: &mut Workspace<T>) {
        let n = work.samples;
        let last = self.depth() - 1;
        let (sigma, s) = (self.nonlinearity, self.output_scale);
        let width = self.layers[last].width;
        let want_delta = self.needs_delta(last);
        let (a, g) = (&self.output, &work.outputs);
        // Δ_L, ∂a and ∂b_L in one pass over Z_L.
        let partial = map_row_chunks(&mut work.pre[last], width, |first, rows| {
            let mut output_sums = vec![T::zero(); width];
            let mut bias_sums = vec![T::zero(); width];
            let count = rows.len() / width;
            let coefficients: Vec<T> = g[first..first + count].iter().map(|&g| s * g).collect();
            rows::backward(
                rows,
                a,
                &coefficients,
                &mut output_sums,
                &mut bias_sums,
                want_delta,
                sigma,
            );
            (output_sums, bias_sums)
        });
        let (output_parts, bias_parts): (Vec<_>, Vec<_>) = partial.into_iter().unzip();
        if let Some(output) = work.gradients.output.as_mut() {
            *output = add_columns(&output_parts, width);
        }
        let mut bias_parts = bias_parts;
        for index in (0..=last).rev() {
            if !self.needs_delta(index) {
                break;
            }
            let layer = &self.layers[index];
            if let Some(bias) = work.gradients.biases[index].as_mut() {
                *bias = add_columns(&bias_parts, layer.width);
            }
            let (below, _) = work.hidden.split_at_mut(index);
            let input: &[T] = if index == 0 {
                inputs
            } else {
                &below[index - 1]
            };
            if let Some(weight) = work.gradients.weights[index].as_mut() {
                let dims = [layer.width, layer.fan_in, n];
                matmul_tn(weight, &work.pre[index], input, dims, layer.input_scale);
            }
            if index == 0 || !self.needs_delta(index - 1) {
                break;
            }
            // Δ_{l−1} = c_l (Δ_l W_l) ∘ σ′(Z_{l−1}); H_{l−1} is no longer needed and holds Δ_l W_l.
            let below_width = layer.fan_in;
            let (pre_below, pre_here) = work.pre.split_at_mut(index);
            let product = &mut below[index - 1];
            let dims = [n, below_width, layer.width];
            matmul_nn(
                product,
                &pre_here[0],
                &layer.weight,
                dims,
                layer.input_scale,
            );
            let product: &[T] = product;
            bias_parts = map_row_chunks(&mut pre_below[index - 1], below_width, |first, rows| {
                let mut sums = vec![T::zero(); below_width];
                let back = &product[first * below_width..first * below_width + rows.len()];
                rows::delta_below(rows, back, &mut sums, sigma);
                sums
            });
        }
    }

    /// θ ← θ − η_θ ∂L/∂θ for every trained tensor with η_θ ≠ 0.
    pub fn descend(&mut self, gradients: &Gradients<T>, rates: &StepRates) {
        fn step<T: Real>(values: &mut [T], gradient: Option<&Vec<T>>, rate: f64) {
            if let (Some(gradient), true) = (gradient, rate != 0.0) {
                let rate = T::of(rate);
                for (v, g) in values.iter_mut().zip(gradient) {
                    *v -= *g * rate;
                }
            }
        }
        for (index, layer) in self.layers.iter_mut().enumerate() {
            step(
                &mut layer.weight,
                gradients.weights[index].as_ref(),
                rates.weights[index],
            );
            step(
                &mut layer.bias,
                gradients.biases[index].as_ref(),
                rates.biases[index],
            );
        }
        step(&mut self.output, gradients.output.as_ref(), rates.output);
    }
}

impl<T: Real> Gradients<T> {
    /// ‖∂L/∂θ‖² in f64 per tensor: (weights per layer, biases per layer, output).
    pub fn squared_norms(&self) -> (Vec<Option<f64>>, Vec<Option<f64>>, Option<f64>) {
        let norm = |g: &Option<Vec<T>>| {
            g.as_ref()
                .map(|g| g.iter().map(|v| v.as_f64().powi(2)).sum())
        };
        (
            self.weights.iter().map(norm).collect(),
            self.biases.iter().map(norm).collect(),
            norm(&self.output),
        )
    }
}
