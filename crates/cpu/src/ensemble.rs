//! S two-layer networks on the same data trained as one computation: the S first-layer
//! weight matrices stacked seed-major into W `[S·m, d]`, so that the forward pre-activations
//! of every seed are one product Z = c X Wᵀ `[n, S·m]` and the weight gradients one product
//! ∂L/∂W = c Δᵀ X `[S·m, d]`; the readout, the loss and the backward row pass run per seed
//! (in parallel over the seeds) on that seed's column block of Z.
//!
//! Seed s gets what [`HostMlp::loss_and_gradients`] (dense path) gives its own network: the
//! row passes are the same kernels on the same rows in the same order, the bias and readout
//! sums are added over the same fixed partition of the rows, and the loss is summed in f64 in
//! sample order with the same overflow rule. The products differ from the single network's
//! in their output width only (faer never splits the inner dimension), so the results agree
//! to rounding and, where faer picks the same inner-loop order, bit for bit.

use rayon::prelude::*;

use crate::chunks::rows_per_chunk;
use crate::finite::first_in;
use crate::loss::scaled_errors;
use crate::mlp::HostLayer;
use crate::products::{matmul_nt, matmul_tn};
use crate::{rows, HostMlp, NonFiniteEntry, Nonlinearity, Real};

/// Below this many entries of Z the per-seed passes run on the calling thread.
const PARALLEL_MIN_ENTRIES: usize = 1 << 15;

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
    /// Z `[n, S·m]`, overwritten by Δ in the backward pass.
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
            pre: vec![T::zero(); samples * self.weight.len() / layer.fan_in],
            losses: vec![0.0; self.seeds],
            gradients: EnsembleGradients {
                weight: zeros(layer.train_w, self.weight.len()),
                bias: zeros(layer.train_b, self.bias.len()),
                output: zeros(self.template.train_a, self.output.len()),
            },
        }
    }

    /// L_s(θ_s) on the shared `inputs` `[n, d]`, `targets` `[n]` into `work.losses`, and
    /// ∂L_s/∂θ_s into `work.gradients`, for every seed.
    pub fn losses_and_gradients(
        &self,
        inputs: &[T],
        targets: &[T],
        work: &mut EnsembleWorkspace<T>,
    ) {
        let (n, m, d) = (work.samples, self.width(), self.fan_in());
        let columns = self.seeds * m;
        let layer = self.layer();
        matmul_nt(
            &mut work.pre,
            inputs,
            &self.weight,
            [n, columns, d],
            layer.input_scale,
        );
        let want_delta = layer.train_w || layer.train_b;
        let pass = SeedPass {
            bias: &self.bias,
            output: &self.output,
            targets,
            width: m,
            output_scale: self.template.output_scale,
            sigma: self.template.nonlinearity,
            want_delta,
        };
        let blocks = seed_blocks(&mut work.pre, self.seeds, m);
        let run = |(seed, rows): (usize, Vec<&mut [T]>)| pass.run(seed, rows);
        let results: Vec<SeedResult<T>> = if n * columns >= PARALLEL_MIN_ENTRIES {
            blocks.into_par_iter().enumerate().map(run).collect()
        } else {
            blocks.into_iter().enumerate().map(run).collect()
        };
        let gradients = &mut work.gradients;
        for (seed, result) in results.into_iter().enumerate() {
            work.losses[seed] = result.loss;
            let block = seed * m..(seed + 1) * m;
            if let Some(output) = gradients.output.as_mut() {
                output[block.clone()].copy_from_slice(&result.output_sums);
            }
            if let Some(bias) = gradients.bias.as_mut() {
                bias[block].copy_from_slice(&result.bias_sums);
            }
        }
        if let Some(weight) = gradients.weight.as_mut() {
            matmul_tn(
                weight,
                &work.pre,
                inputs,
                [columns, d, n],
                layer.input_scale,
            );
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

/// Per seed, its `width`-entry segment of every row of the `[n, seeds·width]` buffer.
fn seed_blocks<T>(buffer: &mut [T], seeds: usize, width: usize) -> Vec<Vec<&mut [T]>> {
    let mut blocks: Vec<Vec<&mut [T]>> = (0..seeds).map(|_| Vec::new()).collect();
    for row in buffer.chunks_mut(seeds * width) {
        for (block, segment) in blocks.iter_mut().zip(row.chunks_mut(width)) {
            block.push(segment);
        }
    }
    blocks
}

/// What the per-seed pass reads.
struct SeedPass<'a, T> {
    bias: &'a [T],
    output: &'a [T],
    targets: &'a [T],
    width: usize,
    output_scale: T,
    sigma: Nonlinearity,
    want_delta: bool,
}

/// One seed's loss and bias/readout gradient sums.
struct SeedResult<T> {
    loss: f64,
    output_sums: Vec<T>,
    bias_sums: Vec<T>,
}

impl<T: Real> SeedPass<'_, T> {
    /// Seed s's readout f, loss, g = (f − y)/n, and backward row pass over its `rows` of Z
    /// (each replaced by Δ when `want_delta`).
    fn run(&self, seed: usize, mut rows: Vec<&mut [T]>) -> SeedResult<T> {
        let m = self.width;
        let block = seed * m..(seed + 1) * m;
        let (bias, a) = (&self.bias[block.clone()], &self.output[block]);
        let n = rows.len();
        let mut errors = vec![T::zero(); n];
        for (row, f) in rows.iter_mut().zip(errors.iter_mut()) {
            rows::read_out(row, bias, a, self.sigma, std::slice::from_mut(f));
            *f = self.output_scale * *f;
        }
        let loss = scaled_errors(&mut errors, self.targets);
        let (mut output_sums, mut bias_sums) = (vec![T::zero(); m], vec![T::zero(); m]);
        // The sums over the same fixed partition of the rows as the single network's pass.
        let rows_per_chunk = rows_per_chunk(m);
        for (chunk, g) in rows
            .chunks_mut(rows_per_chunk)
            .zip(errors.chunks(rows_per_chunk))
        {
            let (mut outputs, mut biases) = (vec![T::zero(); m], vec![T::zero(); m]);
            for (row, &g) in chunk.iter_mut().zip(g) {
                let coefficient = [self.output_scale * g];
                rows::backward(
                    row,
                    a,
                    &coefficient,
                    &mut outputs,
                    &mut biases,
                    self.want_delta,
                    self.sigma,
                );
            }
            add(&mut output_sums, &outputs);
            add(&mut bias_sums, &biases);
        }
        SeedResult {
            loss,
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
