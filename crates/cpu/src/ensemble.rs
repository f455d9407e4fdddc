//! S two-layer networks on the same data trained as one computation: the S first-layer
//! weight matrices stacked seed-major into W `[S·m, d]`, so that the pre-activations of a
//! block of B seeds are one product Z = c X W_blockᵀ `[n, B·m]` and their weight gradients
//! one product ∂L/∂W_block = c Δᵀ X `[B·m, d]`; the readout, the loss and the backward row
//! pass run on each seed's column segment of Z, one SIMD dispatch per block. B is chosen so
//! that a block's Z stays in cache (all S seeds in one block when they fit).
//!
//! Seed s gets what [`HostMlp::loss_and_gradients`] (dense path) gives its own network: the
//! row passes are the same kernels on the same rows in the same order, the bias and readout
//! sums are added over the same fixed partition of the rows, and the loss is summed in f64 in
//! sample order with the same overflow rule. The products differ from the single network's
//! in their output width only (faer never splits the inner dimension), so the results agree
//! to rounding and, where faer picks the same inner-loop order, bit for bit.

use crate::chunks::rows_per_chunk;
use crate::finite::first_in;
use crate::loss::scaled_errors;
use crate::mlp::HostLayer;
use crate::products::{matmul_nt, matmul_tn};
use crate::segments::{backward_segments, read_out_segments};
use crate::{HostMlp, NonFiniteEntry, Nonlinearity, Real};

/// Entries of Z per block of seeds: the seeds are stepped a block at a time so that a block's
/// Z (and Δ in its place) stays in cache between its product, its row passes and its weight
/// gradient product. Threads are not used inside a step (a step is short, and threads
/// meeting at every step cost more than they give): a caller trains groups of seeds on
/// separate threads instead.
const BLOCK_ENTRIES: usize = 1 << 15;

/// Why networks cannot be stacked.
#[derive(Clone, Debug, PartialEq)]
pub enum StackError {
    /// No network was given.
    Empty,
    /// Network `.0` has `.1` hidden layers, not one.
    Depth(usize, usize),
    /// Network `.0` differs from the first in shape, scales, σ or which tensors train.
    Mismatch(usize),
}

impl std::fmt::Display for StackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StackError::Empty => write!(f, "an ensemble needs at least one network"),
            StackError::Depth(index, depth) => write!(
                f,
                "stacked training needs one hidden layer; network {index} has {depth}"
            ),
            StackError::Mismatch(index) => write!(
                f,
                "network {index} differs from network 0 in shape, scales, activation or trained tensors"
            ),
        }
    }
}

impl std::error::Error for StackError {}

/// S one-hidden-layer networks f_s(x) = s_out · a_s·σ(c W_s x + b_s) of the same shape, their
/// parameters stacked seed-major.
#[derive(Clone, Debug, PartialEq)]
pub struct HostEnsemble<T> {
    /// W `[S·m, d]`: rows s·m … s·m + m − 1 are seed s's W_s `[m, d]`.
    pub weight: Vec<T>,
    /// b `[S·m]`.
    pub bias: Vec<T>,
    /// a `[S·m]`.
    pub output: Vec<T>,
    /// Number of networks S.
    pub seeds: usize,
    /// The shared shape, scales, σ and trained flags (its own parameters are seed 0's at
    /// stacking time and are not kept up to date).
    template: HostMlp<T>,
}

/// ∂L_s/∂θ_s of every seed, stacked like the parameters (`None` for a frozen tensor).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnsembleGradients<T> {
    /// ∂L/∂W `[S·m, d]`.
    pub weight: Option<Vec<T>>,
    /// ∂L/∂b `[S·m]`.
    pub bias: Option<Vec<T>>,
    /// ∂L/∂a `[S·m]`.
    pub output: Option<Vec<T>>,
}

/// Buffers reused from step to step, and the last step's losses and gradients.
pub struct EnsembleWorkspace<T> {
    samples: usize,
    /// Z of a block of seeds `[n, B·m]`, overwritten by Δ in the backward pass.
    pre: Vec<T>,
    /// L_s per seed `[S]`, summed in f64.
    pub losses: Vec<f64>,
    /// The last step's gradients.
    pub gradients: EnsembleGradients<T>,
}

impl<T: Real> HostEnsemble<T> {
    /// Stacks `networks` (each with one hidden layer, all of the same shape, scales, σ and
    /// trained tensors).
    pub fn stack(networks: &[HostMlp<T>]) -> Result<Self, StackError> {
        let first = networks.first().ok_or(StackError::Empty)?;
        for (index, network) in networks.iter().enumerate() {
            if network.depth() != 1 {
                return Err(StackError::Depth(index, network.depth()));
            }
            if !same_shape(first, network) {
                return Err(StackError::Mismatch(index));
            }
        }
        let concat =
            |part: fn(&HostMlp<T>) -> &[T]| networks.iter().flat_map(part).copied().collect();
        Ok(Self {
            weight: concat(|n| &n.layers[0].weight),
            bias: concat(|n| &n.layers[0].bias),
            output: concat(|n| &n.output),
            seeds: networks.len(),
            template: first.clone(),
        })
    }

    /// The hidden layer's shape and scales.
    fn layer(&self) -> &HostLayer<T> {
        &self.template.layers[0]
    }

    /// Width m of each network.
    pub fn width(&self) -> usize {
        self.layer().width
    }

    /// Input dimension d.
    pub fn fan_in(&self) -> usize {
        self.layer().fan_in
    }

    /// Seed s's network, copied out.
    pub fn network(&self, seed: usize) -> HostMlp<T> {
        let (m, d) = (self.width(), self.fan_in());
        let mut network = self.template.clone();
        let layer = &mut network.layers[0];
        layer.weight = self.weight[seed * m * d..(seed + 1) * m * d].to_vec();
        layer.bias = self.bias[seed * m..(seed + 1) * m].to_vec();
        network.output = self.output[seed * m..(seed + 1) * m].to_vec();
        network
    }

    /// The first parameter entry of seed s that is NaN or ±∞, scanning `w1`, `b1`, `a` (as
    /// [`HostMlp::first_non_finite`] does on that seed's network).
    pub fn first_non_finite(&self, seed: usize) -> Option<NonFiniteEntry> {
        let (m, d) = (self.width(), self.fan_in());
        first_in(
            || "w1".to_string(),
            &self.weight[seed * m * d..(seed + 1) * m * d],
        )
        .or_else(|| first_in(|| "b1".to_string(), &self.bias[seed * m..(seed + 1) * m]))
        .or_else(|| first_in(|| "a".to_string(), &self.output[seed * m..(seed + 1) * m]))
    }

    /// Buffers for `samples` inputs.
    pub fn workspace(&self, samples: usize) -> EnsembleWorkspace<T> {
        let layer = self.layer();
        let zeros = |trains: bool, len: usize| trains.then(|| vec![T::zero(); len]);
        EnsembleWorkspace {
            samples,
            pre: vec![T::zero(); samples * self.seeds_per_block(samples) * layer.width],
            losses: vec![0.0; self.seeds],
            gradients: EnsembleGradients {
                weight: zeros(layer.train_w, self.weight.len()),
                bias: zeros(layer.train_b, self.bias.len()),
                output: zeros(self.template.train_a, self.output.len()),
            },
        }
    }

    /// Seeds per block: as many as keep a block's Z within [`BLOCK_ENTRIES`] (at least one).
    fn seeds_per_block(&self, samples: usize) -> usize {
        (BLOCK_ENTRIES / (samples * self.width()).max(1)).clamp(1, self.seeds)
    }

    /// L_s(θ_s) on the shared `inputs` `[n, d]`, `targets` `[n]` into `work.losses`, and
    /// ∂L_s/∂θ_s into `work.gradients`, for every seed: per block of seeds one product
    /// Z = c X W_blockᵀ, the row passes, and one product ∂W_block = c Δᵀ X.
    pub fn losses_and_gradients(
        &self,
        inputs: &[T],
        targets: &[T],
        work: &mut EnsembleWorkspace<T>,
    ) {
        let (n, m, d) = (work.samples, self.width(), self.fan_in());
        let layer = self.layer();
        let pass = GroupPass {
            bias: &self.bias,
            output: &self.output,
            targets,
            width: m,
            output_scale: self.template.output_scale,
            sigma: self.template.nonlinearity,
            want_delta: layer.train_w || layer.train_b,
        };
        let per_block = self.seeds_per_block(n);
        let gradients = &mut work.gradients;
        for first in (0..self.seeds).step_by(per_block) {
            let count = per_block.min(self.seeds - first);
            let columns = count * m;
            let weight = &self.weight[first * m * d..(first + count) * m * d];
            let pre = &mut work.pre[..n * columns];
            matmul_nt(pre, inputs, weight, [n, columns, d], layer.input_scale);
            let rows: Vec<&mut [T]> = pre.chunks_mut(columns).collect();
            let result = pass.run(first, rows);
            work.losses[first..first + count].copy_from_slice(&result.losses);
            let block = first * m..(first + count) * m;
            if let Some(output) = gradients.output.as_mut() {
                output[block.clone()].copy_from_slice(&result.output_sums);
            }
            if let Some(bias) = gradients.bias.as_mut() {
                bias[block].copy_from_slice(&result.bias_sums);
            }
            if let Some(weight) = gradients.weight.as_mut() {
                let weight = &mut weight[first * m * d..(first + count) * m * d];
                matmul_tn(weight, pre, inputs, [columns, d, n], layer.input_scale);
            }
        }
    }

    /// θ_s ← θ_s − η ∂L_s/∂θ_s for every seed with `moving[s]` (η ≠ 0 only, as
    /// [`HostMlp::descend`]); `rates` = (η_W, η_b, η_a).
    pub fn descend(&mut self, gradients: &EnsembleGradients<T>, rates: [f64; 3], moving: &[bool]) {
        let (m, d) = (self.width(), self.fan_in());
        let parts = [
            (&mut self.weight, gradients.weight.as_ref(), rates[0], m * d),
            (&mut self.bias, gradients.bias.as_ref(), rates[1], m),
            (&mut self.output, gradients.output.as_ref(), rates[2], m),
        ];
        for (values, gradient, rate, block) in parts {
            let (Some(gradient), true) = (gradient, rate != 0.0) else {
                continue;
            };
            let rate = T::of(rate);
            let blocks = values.chunks_mut(block).zip(gradient.chunks(block));
            for ((values, gradient), _) in blocks.zip(moving).filter(|(_, moves)| **moves) {
                for (v, g) in values.iter_mut().zip(gradient) {
                    *v -= *g * rate;
                }
            }
        }
    }
}

impl<T: Real> EnsembleGradients<T> {
    /// Seed s's blocks (∂W_s `[m, d]`, ∂b_s `[m]`, ∂a_s `[m]`) for networks of width m, input
    /// dimension d.
    fn blocks(&self, seed: usize, [m, d]: [usize; 2]) -> [(&'static str, Option<&[T]>); 3] {
        fn block<T>(g: &Option<Vec<T>>, seed: usize, len: usize) -> Option<&[T]> {
            g.as_deref().map(|g| &g[seed * len..(seed + 1) * len])
        }
        let block = |g, len| block(g, seed, len);
        [
            ("w1", block(&self.weight, m * d)),
            ("b1", block(&self.bias, m)),
            ("a", block(&self.output, m)),
        ]
    }

    /// ‖∂L_s/∂θ‖² in f64 of seed s per tensor (W, b, a), summed in the order
    /// [`Gradients::squared_norms`](crate::Gradients::squared_norms) sums them.
    pub fn squared_norms(&self, seed: usize, shape: [usize; 2]) -> [Option<f64>; 3] {
        self.blocks(seed, shape)
            .map(|(_, g)| g.map(|g| g.iter().map(|v| v.as_f64().powi(2)).sum()))
    }

    /// The first gradient entry of seed s that is NaN or ±∞, scanning ∂w1, ∂b1, ∂a.
    pub fn first_non_finite(&self, seed: usize, shape: [usize; 2]) -> Option<NonFiniteEntry> {
        self.blocks(seed, shape)
            .into_iter()
            .find_map(|(name, g)| g.and_then(|g| first_in(|| name.to_string(), g)))
    }
}

/// Whether `a` and `b` (one hidden layer each) can share a stacked computation.
fn same_shape<T: Real>(a: &HostMlp<T>, b: &HostMlp<T>) -> bool {
    let (x, y) = (&a.layers[0], &b.layers[0]);
    (x.width, x.fan_in, x.input_scale, x.train_w, x.train_b)
        == (y.width, y.fan_in, y.input_scale, y.train_w, y.train_b)
        && (a.output_scale, a.nonlinearity, a.train_a)
            == (b.output_scale, b.nonlinearity, b.train_a)
}

/// What the pass over a group of seeds reads.
struct GroupPass<'a, T> {
    bias: &'a [T],
    output: &'a [T],
    targets: &'a [T],
    width: usize,
    output_scale: T,
    sigma: Nonlinearity,
    want_delta: bool,
}

/// A group's losses `[k]` and bias/readout gradient sums `[k·m]`.
struct GroupResult<T> {
    losses: Vec<f64>,
    output_sums: Vec<T>,
    bias_sums: Vec<T>,
}

impl<T: Real> GroupPass<'_, T> {
    /// The seeds `first`, … of a group (k of them: the segments of `rows`, its rows of Z):
    /// readout f, losses, g = (f − y)/n, and the backward row pass (Z ← Δ when `want_delta`).
    fn run(&self, first: usize, mut rows: Vec<&mut [T]>) -> GroupResult<T> {
        let (m, n) = (self.width, rows.len());
        let k = rows.first().map_or(0, |row| row.len() / m);
        let block = first * m..(first + k) * m;
        let (bias, a) = (&self.bias[block.clone()], &self.output[block]);
        // f `[n, k]`, then each seed's g scaled by s into the coefficients `[n, k]`.
        let mut coefficients = vec![T::zero(); n * k];
        read_out_segments(&mut rows, [bias, a], m, self.sigma, &mut coefficients);
        coefficients
            .iter_mut()
            .for_each(|f| *f = self.output_scale * *f);
        let mut losses = Vec::with_capacity(k);
        let mut errors = vec![T::zero(); n];
        for seed in 0..k {
            errors
                .iter_mut()
                .zip(coefficients.iter().skip(seed).step_by(k))
                .for_each(|(e, f)| *e = *f);
            losses.push(scaled_errors(&mut errors, self.targets));
            let column = coefficients.iter_mut().skip(seed).step_by(k);
            column
                .zip(&errors)
                .for_each(|(c, g)| *c = self.output_scale * *g);
        }
        let (mut output_sums, mut bias_sums) = (vec![T::zero(); k * m], vec![T::zero(); k * m]);
        // The sums over the same fixed partition of the rows as the single network's pass.
        let rows_per_chunk = rows_per_chunk(m);
        let chunks = rows
            .chunks_mut(rows_per_chunk)
            .zip(coefficients.chunks(rows_per_chunk * k));
        for (chunk, coefficients) in chunks {
            let (mut outputs, mut biases) = (vec![T::zero(); k * m], vec![T::zero(); k * m]);
            let settings = (m, self.want_delta, self.sigma);
            let sums = [&mut outputs[..], &mut biases[..]];
            backward_segments(chunk, a, coefficients, sums, settings);
            add(&mut output_sums, &outputs);
            add(&mut bias_sums, &biases);
        }
        GroupResult {
            losses,
            output_sums,
            bias_sums,
        }
    }
}

/// total += part, entry by entry.
fn add<T: Real>(total: &mut [T], part: &[T]) {
    for (t, p) in total.iter_mut().zip(part) {
        *t += *p;
    }
}
