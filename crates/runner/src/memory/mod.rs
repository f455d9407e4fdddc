//! What a run will need in memory, estimated from its config before anything is allocated, and
//! the refusal when that is more than the machine has (or than `--max-memory SIZE`).
//!
//! Sizes beyond memory would otherwise abort the process part-way ("memory allocation of N
//! bytes failed", exit 134) or, for `train.seeds`, grow it without bound. Every number here is
//! an `f64` of bytes, so no product of config values can overflow. The estimate is a sum of
//! named terms (shapes in the labels; n samples, d inputs, m_l hidden widths with m_0 = d,
//! P = Σ_l m_l (m_{l−1} + 1) + m_L parameters, k teacher neurons, b bytes of the run's dtype),
//! so that a refusal can list the largest terms and name the config key whose halving would
//! shrink the estimate the most.

use std::path::Path;

use overparam_trainer::data::LabelSource;
use overparam_trainer::ntk::{SpectrumMethod, HOST_SUM_MIN_SAMPLES};

use crate::backend::DTypeKind;
use crate::config::{ResolvedRun, RunConfig};

mod limit;
mod terms;
#[cfg(test)]
mod tests;

pub use limit::{check_fits, parse_memory_size, MemoryLimit};
#[cfg(test)]
use limit::{format_bytes, parse_mem_total};
pub use overparam_api::NtkMethods;
use terms::{sum, terms, terms_of};

/// Memory assumed where `/proc/meminfo` cannot be read: 16 GiB.
pub const FALLBACK_MEMORY_BYTES: u64 = 16 << 30;

/// Bookkeeping per seed of `train.seeds` (its seed, result and summary entry): about 1 KiB.
const BYTES_PER_SEED: f64 = 1024.0;

/// `[n, m_l]` buffers per hidden layer of a training step: pre-activation, activation and
/// derivative forward, delta and product backward, and what autodiff keeps besides.
const TRAIN_ACTIVATIONS_PER_LAYER: f64 = 6.0;

/// `[n, m_l]` buffers per hidden layer of `gradcheck`: the autodiff pass, the tapped pass for the
/// Jacobian rows and the finite-difference passes with their ReLU signs.
const GRADCHECK_ACTIVATIONS_PER_LAYER: f64 = 8.0;

/// `[n, n]` f64 matrices of the eigen-decomposition's workspace (the copy it factors, its
/// tridiagonal reduction and householder factors).
const EIGEN_WORKSPACE_KERNELS: f64 = 3.0;

/// The extremes set the kernel's lower triangle aside in memory up to this size (on disk above).
const EXTREMES_IN_MEMORY_BYTES: f64 = 512.0 * 1024.0 * 1024.0;

/// The most vectors `[n]` the extremes' block Lanczos basis holds.
const KRYLOV_BASIS_VECTORS: f64 = 2048.0;

/// One row block of the summed closed form (its three products together: 3 × this).
const SUMMED_BLOCK_BYTES: f64 = 128.0 * 1024.0 * 1024.0;

/// Bytes of a host `Vec<f64>` header (each teacher direction is one).
const VEC_HEADER_BYTES: f64 = 24.0;

/// Bytes of one f64.
const F64: f64 = 8.0;

/// A config key that scales the estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    /// n: `data.n` (or the rows of `ntk --data FILE`'s `x`).
    Samples,
    /// d: `data.d`.
    InputDim,
    /// m_1, …, m_L: `model.width` or `model.widths`.
    Widths,
    /// k: `data.teacher_width`.
    TeacherWidth,
    /// S: `train.seeds`.
    Seeds,
}

/// The sizes the estimate is a function of, as `f64` (so that products never overflow).
#[derive(Clone, Debug, PartialEq)]
struct Sizes {
    /// n.
    samples: f64,
    /// d.
    input_dim: f64,
    /// m_1, …, m_L.
    widths: Vec<f64>,
    /// k, when the labels come from a teacher or planted directions.
    teacher_width: Option<f64>,
    /// S.
    seeds: f64,
    /// n_test: `data.n_test` (0 when none, or when only `data.test_path` says how many).
    test_samples: f64,
}

impl Sizes {
    /// P = Σ_l m_l (m_{l−1} + 1) + m_L with m_0 = d.
    fn parameters(&self) -> f64 {
        let mut fan_in = self.input_dim;
        let mut total = 0.0;
        for &width in &self.widths {
            total += width * (fan_in + 1.0);
            fan_in = width;
        }
        total + fan_in
    }

    /// Σ_l m_l.
    fn hidden_units(&self) -> f64 {
        self.widths.iter().sum()
    }

    /// These sizes with `key` halved (never below 1).
    fn halved(&self, key: Key) -> Sizes {
        let half = |v: f64| (v / 2.0).max(1.0);
        let mut sizes = self.clone();
        match key {
            Key::Samples => sizes.samples = half(sizes.samples),
            Key::InputDim => sizes.input_dim = half(sizes.input_dim),
            Key::Widths => sizes.widths.iter_mut().for_each(|m| *m = half(*m)),
            Key::TeacherWidth => sizes.teacher_width = sizes.teacher_width.map(half),
            Key::Seeds => sizes.seeds = half(sizes.seeds),
        }
        sizes
    }
}

/// What besides the sizes shapes an estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Workload {
    /// `train`: `dtype_bytes` b, `kernel_parts` trained tensors (when `train.ntk_every` > 0,
    /// else `None`), `threads` that train seeds side by side.
    Train {
        dtype_bytes: f64,
        kernel_parts: Option<f64>,
        threads: f64,
        /// With `train.linearized`: the trained tensors of the kernel at θ_0.
        linearized_parts: Option<f64>,
    },
    /// `ntk`: the methods' kernels, `kernel_parts` trained tensors, whether labels are made.
    Ntk {
        dtype_bytes: f64,
        kernel_parts: f64,
        methods: NtkMethods,
        makes_labels: bool,
        /// The closed form alone, summed on the host as it is built (one `[n, n]`, no parts).
        summed: bool,
        /// Only the extreme eigenvalues are computed (the kernel's lower triangle set aside, in
        /// memory up to 512 MiB, and the Krylov basis), no full decomposition (neither for the
        /// spectrum nor for predictions).
        extremes_only: bool,
    },
    /// `gradcheck` (always f64).
    Gradcheck,
}

/// One named contribution to an estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryTerm {
    /// What it is, with its shape, e.g. `inputs [n, d]`.
    pub label: String,
    /// Its size in bytes.
    pub bytes: f64,
}

/// What a run needs in memory: named terms, and the config key that dominates them.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// Every term, in the order computed.
    pub terms: Vec<MemoryTerm>,
    /// The key whose halving shrinks the estimate the most, as `key = value`.
    pub dominant_key: Option<String>,
}

/// The config keys of a run, as `key = value` for messages.
struct KeyNames {
    samples: String,
    input_dim: String,
    widths: String,
    teacher_width: String,
    seeds: String,
}

impl KeyNames {
    /// The names of `config`'s keys; `rows_from` names the file n comes from, if any.
    fn of(config: &RunConfig, resolved: &ResolvedRun, rows_from: Option<(&Path, usize)>) -> Self {
        let widths = &resolved.model.widths;
        Self {
            samples: match rows_from {
                Some((path, rows)) => {
                    format!("n = {rows} (the rows of `x` in --data {})", path.display())
                }
                None => format!("data.n = {}", resolved.data.num_samples),
            },
            input_dim: format!("data.d = {}", resolved.data.input_dim),
            widths: if config.model.widths.is_empty() && widths.len() == 1 {
                format!("model.width = {}", widths[0])
            } else {
                format!("model.widths = {widths:?}")
            },
            teacher_width: format!("data.teacher_width = {}", config.data.teacher_width),
            seeds: format!("train.seeds = {}", config.train.seeds),
        }
    }

    fn name(&self, key: Key) -> &str {
        match key {
            Key::Samples => &self.samples,
            Key::InputDim => &self.input_dim,
            Key::Widths => &self.widths,
            Key::TeacherWidth => &self.teacher_width,
            Key::Seeds => &self.seeds,
        }
    }
}

impl MemoryEstimate {
    /// `train` of `config` (resolved) in `dtype`, per run: the parameters [P] ×3 in the dtype
    /// (θ_0, θ_t, gradients) and ×2 on the host (the fused engine's copy in the dtype, the
    /// written arrays in f64); inputs [n, d] and labels [n] (host f64, device and fused copies);
    /// the teacher [k, d] (f64); activations [n, m_l] ×6 per layer; with `train.ntk_every` > 0
    /// the kernels [n, n] f64 (one per trained tensor, the total, K_0) and the eigen workspace
    /// (3 [n, n]); held-out inputs [n_test, d] and labels; with `train.linearized` the kernel
    /// on [X; X_test] by part and in total (f64), its eigenvectors [n, n] and the cross kernel
    /// [n_test, n] ×2. With `train.seeds` = S, runs × min(S, rayon threads) + S × 1 KiB.
    pub fn for_train(config: &RunConfig, resolved: &ResolvedRun, dtype: DTypeKind) -> Self {
        let workload = Workload::Train {
            dtype_bytes: dtype_bytes(dtype),
            kernel_parts: (config.train.ntk_every > 0).then(|| trained_tensors(resolved)),
            threads: rayon::current_num_threads() as f64,
            linearized_parts: config.train.linearized.then(|| trained_tensors(resolved)),
        };
        let keys = KeyNames::of(config, resolved, None);
        Self::build(sizes_of(config, resolved, None), workload, &keys)
    }

    /// `ntk` computing `methods` of `config` in `dtype`, on n = `rows_from`'s rows (`--data FILE`)
    /// or `data.n`: the parameters [P] in the dtype and as f64 arrays; inputs [n, d] (f64 and
    /// device); labels [n] and teacher [k, d] when the config's data is made; activations
    /// [n, m_l] ×6 per layer for the jacobian and closed methods; one [n, n] f64 kept per
    /// computed kernel, plus the largest workspace of one step: a method's parts (one per
    /// trained tensor) and 3 temporaries, the analytic recursion's 4, or the eigen
    /// decomposition's 3. With `held_out` rows (cross kernels and predictions), n + n_test
    /// rows, the kernels being computed on [X; X_test]. Without held-out rows, the closed form
    /// alone on the host (`on_host`) from n = 4097 on is summed as built (no parts), and the
    /// extremes of `spectrum` need no decomposition's workspace.
    #[allow(clippy::too_many_arguments)]
    pub fn for_ntk(
        config: &RunConfig,
        resolved: &ResolvedRun,
        dtype: DTypeKind,
        methods: NtkMethods,
        rows_from: Option<(&Path, usize)>,
        held_out: usize,
        on_host: bool,
        spectrum: Option<SpectrumMethod>,
    ) -> Self {
        let rows = rows_from.map_or(resolved.data.num_samples, |(_, rows)| rows) + held_out;
        let closed = methods.closed && resolved.model.depth() == 1;
        let summed = closed
            && on_host
            && held_out == 0
            && !methods.jacobian
            && !methods.analytic
            && rows >= HOST_SUM_MIN_SAMPLES;
        let extremes = matches!(
            spectrum.map(|method| method.resolved(rows)),
            Some(SpectrumMethod::Extremes { .. })
        );
        let workload = Workload::Ntk {
            summed,
            extremes_only: extremes && held_out == 0,
            dtype_bytes: dtype_bytes(dtype),
            kernel_parts: trained_tensors(resolved),
            methods: NtkMethods {
                closed: methods.closed && resolved.model.depth() == 1,
                ..methods
            },
            makes_labels: rows_from.is_none(),
        };
        let keys = KeyNames::of(config, resolved, rows_from);
        let sizes = sizes_of(config, resolved, Some(rows));
        Self::build(sizes, workload, &keys)
    }

    /// `gradcheck` of `config` (f64): the parameters [P] ×6 (arrays, the autodiff network and
    /// its gradients, hand gradients, the moved copy and its network), the per-sample Jacobian
    /// [n, P], inputs [n, d] and labels [n] ×3 (host, autodiff and plain device), the teacher
    /// [k, d], activations [n, m_l] ×8 per layer.
    pub fn for_gradcheck(config: &RunConfig, resolved: &ResolvedRun) -> Self {
        let keys = KeyNames::of(config, resolved, None);
        Self::build(sizes_of(config, resolved, None), Workload::Gradcheck, &keys)
    }

    /// The estimate of `workload` at `sizes`, with the dominant key found by halving each.
    fn build(sizes: Sizes, workload: Workload, keys: &KeyNames) -> Self {
        let terms = terms(&sizes, workload);
        let total = sum(&terms);
        let mut candidates = vec![Key::Samples, Key::InputDim, Key::Widths];
        if sizes.teacher_width.is_some() {
            candidates.push(Key::TeacherWidth);
        }
        if matches!(workload, Workload::Train { .. }) {
            candidates.push(Key::Seeds);
        }
        let dominant_key = candidates
            .into_iter()
            .map(|key| (key, total - sum(&terms_of(&sizes.halved(key), workload))))
            .filter(|(_, saving)| *saving > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(key, _)| keys.name(key).to_string());
        Self {
            terms,
            dominant_key,
        }
    }

    /// The sum of the terms, in bytes.
    pub fn total_bytes(&self) -> f64 {
        sum(&self.terms)
    }
}

/// The sizes of `config`, with n = `rows` where given.
fn sizes_of(config: &RunConfig, resolved: &ResolvedRun, rows: Option<usize>) -> Sizes {
    let teacher_width = match resolved.data.labels {
        LabelSource::Teacher { width, .. } | LabelSource::PlantedQuadratic { width, .. } => {
            Some(width as f64)
        }
        LabelSource::Random(_) | LabelSource::File(_) => None,
    };
    Sizes {
        samples: rows.unwrap_or(resolved.data.num_samples) as f64,
        input_dim: resolved.data.input_dim as f64,
        widths: resolved.model.widths.iter().map(|&m| m as f64).collect(),
        teacher_width,
        seeds: config.train.seeds as f64,
        test_samples: config.data.n_test as f64,
    }
}

/// The number of trained parameter tensors (one kernel part each).
fn trained_tensors(resolved: &ResolvedRun) -> f64 {
    let model = &resolved.model;
    let per_layer = usize::from(model.trainable.w) + usize::from(model.trainable.b);
    let layers = (0..model.depth())
        .filter(|&l| model.trainable_layers.get(l).copied().unwrap_or(true))
        .count();
    (layers * per_layer + usize::from(model.trainable.a)) as f64
}

/// Bytes per number of `dtype`.
fn dtype_bytes(dtype: DTypeKind) -> f64 {
    match dtype {
        DTypeKind::F32 => 4.0,
        DTypeKind::F64 => 8.0,
    }
}
