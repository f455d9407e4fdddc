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

use anyhow::bail;
use overparam_trainer::data::LabelSource;

use crate::backend::DTypeKind;
use crate::cli::NtkMethodArg;
use crate::config::{ResolvedRun, RunConfig};

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
    },
    /// `ntk`: the methods' kernels, `kernel_parts` trained tensors, whether labels are made.
    Ntk {
        dtype_bytes: f64,
        kernel_parts: f64,
        methods: NtkMethods,
        makes_labels: bool,
    },
    /// `gradcheck` (always f64).
    Gradcheck,
}

/// Which kernels `ntk` computes.
#[derive(Clone, Copy, Debug, PartialEq)]
struct NtkMethods {
    /// Burn autodiff per-sample gradients.
    jacobian: bool,
    /// The two-layer closed form.
    closed: bool,
    /// The infinite-width limit.
    analytic: bool,
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
    /// (3 [n, n]). With `train.seeds` = S, runs × min(S, rayon threads) + S × 1 KiB.
    pub fn for_train(config: &RunConfig, resolved: &ResolvedRun, dtype: DTypeKind) -> Self {
        let workload = Workload::Train {
            dtype_bytes: dtype_bytes(dtype),
            kernel_parts: (config.train.ntk_every > 0).then(|| trained_tensors(resolved)),
            threads: rayon::current_num_threads() as f64,
        };
        let keys = KeyNames::of(config, resolved, None);
        Self::build(sizes_of(config, resolved, None), workload, &keys)
    }

    /// `ntk --method method` of `config` in `dtype`, on n = `rows_from`'s rows (`--data FILE`)
    /// or `data.n`: the parameters [P] in the dtype and as f64 arrays; inputs [n, d] (f64 and
    /// device); labels [n] and teacher [k, d] when the config's data is made; activations
    /// [n, m_l] ×6 per layer for the jacobian and closed methods; one [n, n] f64 kept per
    /// computed kernel, plus the largest workspace of one step: a method's parts (one per
    /// trained tensor) and 3 temporaries, the analytic recursion's 4, or the eigen
    /// decomposition's 3.
    pub fn for_ntk(
        config: &RunConfig,
        resolved: &ResolvedRun,
        dtype: DTypeKind,
        method: NtkMethodArg,
        rows_from: Option<(&Path, usize)>,
    ) -> Self {
        let all = method == NtkMethodArg::All;
        let workload = Workload::Ntk {
            dtype_bytes: dtype_bytes(dtype),
            kernel_parts: trained_tensors(resolved),
            methods: NtkMethods {
                jacobian: all || method == NtkMethodArg::Jacobian,
                closed: (all || method == NtkMethodArg::Closed) && resolved.model.depth() == 1,
                analytic: all || method == NtkMethodArg::Analytic,
            },
            makes_labels: rows_from.is_none(),
        };
        let keys = KeyNames::of(config, resolved, rows_from);
        let sizes = sizes_of(config, resolved, rows_from.map(|(_, rows)| rows));
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

fn sum(terms: &[MemoryTerm]) -> f64 {
    terms.iter().map(|t| t.bytes).sum()
}

/// The terms of `workload` at `sizes`, zero-sized ones left out.
fn terms(sizes: &Sizes, workload: Workload) -> Vec<MemoryTerm> {
    let mut terms = terms_of(sizes, workload);
    terms.retain(|t| t.bytes > 0.0);
    terms
}

fn term(label: impl Into<String>, bytes: f64) -> MemoryTerm {
    MemoryTerm {
        label: label.into(),
        bytes,
    }
}

/// Every term of `workload` at `sizes`.
fn terms_of(sizes: &Sizes, workload: Workload) -> Vec<MemoryTerm> {
    let n = sizes.samples;
    let d = sizes.input_dim;
    let p = sizes.parameters();
    let units = sizes.hidden_units();
    let kernel = n * n * F64;
    let teacher = |copies: f64| {
        let bytes = sizes
            .teacher_width
            .map_or(0.0, |k| k * (d * F64 + VEC_HEADER_BYTES));
        term("teacher [k, d]", copies * bytes)
    };
    match workload {
        Workload::Train {
            dtype_bytes: b,
            kernel_parts,
            threads,
        } => {
            let mut run = vec![
                term("parameters [P] ×3", 3.0 * p * b),
                term("host parameter copies [P] ×2", p * (b + F64)),
                term("inputs [n, d]", n * d * (F64 + 2.0 * b)),
                term("labels [n]", n * (F64 + 2.0 * b)),
                teacher(1.0),
                term(
                    "activations [n, m] ×6 per layer",
                    n * units * TRAIN_ACTIVATIONS_PER_LAYER * b,
                ),
            ];
            if let Some(parts) = kernel_parts {
                run.push(term(
                    format!("kernels [n, n] ×{} (f64)", parts + 2.0),
                    (parts + 2.0) * kernel,
                ));
                run.push(term(
                    "eigen workspace [n, n] ×3",
                    EIGEN_WORKSPACE_KERNELS * kernel,
                ));
            }
            let parallel = sizes.seeds.min(threads).max(1.0);
            if parallel > 1.0 {
                for t in &mut run {
                    t.label = format!("{} ×{parallel} seeds at once", t.label);
                    t.bytes *= parallel;
                }
            }
            if sizes.seeds > 1.0 {
                run.push(term(
                    "seed bookkeeping S × 1 KiB",
                    sizes.seeds * BYTES_PER_SEED,
                ));
            }
            run
        }
        Workload::Ntk {
            dtype_bytes: b,
            kernel_parts,
            methods,
            makes_labels,
        } => {
            let computed = [methods.jacobian, methods.closed, methods.analytic]
                .into_iter()
                .filter(|&m| m)
                .count() as f64;
            let mut workspace = EIGEN_WORKSPACE_KERNELS;
            if methods.jacobian || methods.closed {
                workspace = workspace.max(kernel_parts + 3.0);
            }
            if methods.analytic {
                workspace = workspace.max(4.0);
            }
            let layers = if methods.jacobian || methods.closed {
                TRAIN_ACTIVATIONS_PER_LAYER
            } else {
                0.0
            };
            vec![
                term("parameters [P] ×2", p * (b + F64)),
                term("inputs [n, d]", n * d * (F64 + b)),
                term("labels [n]", if makes_labels { n * F64 } else { 0.0 }),
                teacher(if makes_labels { 1.0 } else { 0.0 }),
                term("activations [n, m] ×6 per layer", n * units * layers * b),
                term(
                    format!("kernels [n, n] ×{computed} (f64)"),
                    computed * kernel,
                ),
                term(
                    format!("kernel workspace [n, n] ×{workspace}"),
                    workspace * kernel,
                ),
            ]
        }
        Workload::Gradcheck => vec![
            term("parameters [P] ×6", 6.0 * p * F64),
            term("per-sample Jacobian [n, P]", n * p * F64),
            term("inputs [n, d] ×3", 3.0 * n * d * F64),
            term("labels [n] ×3", 3.0 * n * F64),
            teacher(1.0),
            term(
                "activations [n, m] ×8 per layer",
                n * units * GRADCHECK_ACTIVATIONS_PER_LAYER * F64,
            ),
        ],
    }
}

/// How much memory a run may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemoryLimit {
    /// `--max-memory SIZE`, in bytes.
    Flag(u64),
    /// This machine's memory (`MemTotal` of `/proc/meminfo`), in bytes.
    Machine(u64),
    /// [`FALLBACK_MEMORY_BYTES`], because the machine's memory could not be read (why).
    Assumed(String),
}

impl MemoryLimit {
    /// `--max-memory` where given, else this machine's memory.
    pub fn from_flag(max_memory: Option<u64>) -> Self {
        match max_memory {
            Some(bytes) => MemoryLimit::Flag(bytes),
            None => match machine_memory() {
                Ok(bytes) => MemoryLimit::Machine(bytes),
                Err(reason) => MemoryLimit::Assumed(reason),
            },
        }
    }

    /// The limit in bytes.
    pub fn bytes(&self) -> u64 {
        match self {
            MemoryLimit::Flag(bytes) | MemoryLimit::Machine(bytes) => *bytes,
            MemoryLimit::Assumed(_) => FALLBACK_MEMORY_BYTES,
        }
    }

    /// The limit in words, after "more than".
    fn describe(&self) -> String {
        let size = format_bytes(self.bytes() as f64);
        match self {
            MemoryLimit::Flag(_) => format!("the --max-memory limit of {size}"),
            MemoryLimit::Machine(_) => format!("this machine's {size} of memory"),
            MemoryLimit::Assumed(reason) => format!(
                "the {size} of memory assumed because this machine's memory could not be read \
                 ({reason})"
            ),
        }
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes, or why it could not be read.
fn machine_memory() -> Result<u64, String> {
    let path = "/proc/meminfo";
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    parse_mem_total(&text).ok_or_else(|| format!("{path} has no readable MemTotal line"))
}

/// The `MemTotal:  N kB` line of a `/proc/meminfo` text, in bytes.
fn parse_mem_total(text: &str) -> Option<u64> {
    let line = text.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let mut fields = line.split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") => value.checked_mul(1024),
        None => Some(value),
        Some(_) => None,
    }
}

/// Refuses the run when `estimate` is more than `limit`, naming the dominant key, the estimate
/// with its largest terms, and the limit.
pub fn check_fits(estimate: &MemoryEstimate, limit: &MemoryLimit) -> anyhow::Result<()> {
    let total = estimate.total_bytes();
    if total <= limit.bytes() as f64 {
        return Ok(());
    }
    let mut largest: Vec<&MemoryTerm> = estimate.terms.iter().collect();
    largest.sort_by(|a, b| b.bytes.total_cmp(&a.bytes));
    let listed: Vec<String> = largest
        .iter()
        .take(3)
        .map(|t| format!("{} {}", t.label, format_bytes(t.bytes)))
        .collect();
    let more = if largest.len() > 3 { ", …" } else { "" };
    let subject = estimate
        .dominant_key
        .clone()
        .unwrap_or_else(|| "this run".to_string());
    let advice = match limit {
        MemoryLimit::Flag(_) => "lower it, or pass a larger --max-memory",
        _ => "lower it, or pass --max-memory SIZE to override the limit",
    };
    bail!(
        "{subject} needs about {} of memory ({}{more}), more than {}; {advice}",
        format_bytes(total),
        listed.join(", "),
        limit.describe()
    )
}

/// `bytes` in binary units with one decimal, e.g. `23.5 GiB`.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Parses `--max-memory SIZE`: a number of bytes, or with a binary unit K, M, G or T (powers of
/// 1024; `KiB`/`KB`, `GiB`/`GB`, … and lower case mean the same), e.g. `64G`, `512M`, `1.5G`.
pub fn parse_memory_size(text: &str) -> Result<u64, String> {
    let usage = || {
        format!(
            "expected a size such as 64G, 512M or 1048576 (bytes; K, M, G, T are powers of \
             1024), got `{text}`"
        )
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number.parse().map_err(|_| usage())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(usage()),
    };
    let bytes = (number * 2f64.powi(shift)).round();
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!(
            "--max-memory must be at least 1 byte and below 16 EiB, got `{text}`"
        ));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// n = 4, d = 3, m = 5, k = 2 teacher labels, f32, one seed.
    fn tiny(ntk_every: usize) -> (RunConfig, ResolvedRun) {
        let mut config = RunConfig::default();
        config.data.n = 4;
        config.data.d = 3;
        config.data.teacher_width = 2;
        config.model.width = 5;
        config.train.ntk_every = ntk_every;
        let resolved = config.resolve().unwrap();
        (config, resolved)
    }

    #[test]
    fn train_estimate_matches_a_hand_count_for_a_tiny_config() {
        let (config, resolved) = tiny(0);
        let estimate = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
        // P = 5 (3 + 1) + 5 = 25.
        let parameters = 3.0 * 25.0 * 4.0 + 25.0 * (4.0 + 8.0); // 300 + 300
        let data = 4.0 * 3.0 * (8.0 + 8.0) + 4.0 * (8.0 + 8.0); // 192 + 64
        let teacher = 2.0 * (3.0 * 8.0 + 24.0); // 96
        let activations = 4.0 * 5.0 * 6.0 * 4.0; // 480
        let expected = parameters + data + teacher + activations;
        assert_eq!(estimate.total_bytes(), expected);
        assert_eq!(expected, 1432.0);

        let (config, resolved) = tiny(1);
        let tracked = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
        // 3 trained tensors: w1, b1, a → 5 kernels + 3 workspace, 16 entries of 8 bytes each.
        assert_eq!(tracked.total_bytes(), expected + 8.0 * 16.0 * 8.0);
    }

    #[test]
    fn gradcheck_estimate_counts_the_jacobian_in_f64() {
        let (config, resolved) = tiny(0);
        let estimate = MemoryEstimate::for_gradcheck(&config, &resolved);
        let expected = 6.0 * 25.0 * 8.0 // parameters
            + 4.0 * 25.0 * 8.0 // Jacobian [n, P]
            + 3.0 * 4.0 * 3.0 * 8.0 + 3.0 * 4.0 * 8.0 // inputs, labels
            + 96.0 // teacher
            + 4.0 * 5.0 * 8.0 * 8.0; // activations
        assert_eq!(estimate.total_bytes(), expected);
    }

    #[test]
    fn seeds_multiply_the_run_by_the_parallel_threads_and_add_bookkeeping() {
        let (mut config, resolved) = tiny(0);
        let one = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32).total_bytes();
        config.train.seeds = 1_000;
        let many = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
        let parallel = rayon::current_num_threads().min(1_000) as f64;
        assert_eq!(many.total_bytes(), one * parallel + 1_000.0 * 1024.0);
        assert_eq!(many.dominant_key.as_deref(), Some("train.seeds = 1000"));
    }

    #[test]
    fn the_dominant_key_is_the_one_whose_halving_saves_most() {
        let (mut config, _) = tiny(0);
        config.data.n = 1 << 32;
        let resolved = config.resolve().unwrap();
        let estimate = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
        assert_eq!(
            estimate.dominant_key.as_deref(),
            Some("data.n = 4294967296")
        );
        let (mut config, _) = tiny(0);
        config.model.width = 1 << 32;
        let resolved = config.resolve().unwrap();
        let estimate = MemoryEstimate::for_gradcheck(&config, &resolved);
        assert_eq!(
            estimate.dominant_key.as_deref(),
            Some("model.width = 4294967296")
        );
    }

    #[test]
    fn check_fits_refuses_with_key_estimate_and_limit() {
        let (mut config, _) = tiny(0);
        config.data.d = 100_000_000;
        let resolved = config.resolve().unwrap();
        let estimate = MemoryEstimate::for_train(&config, &resolved, DTypeKind::F32);
        assert!(check_fits(&estimate, &MemoryLimit::Flag(u64::MAX)).is_ok());
        let message = check_fits(&estimate, &MemoryLimit::Machine(1 << 30))
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("data.d = 100000000 needs about"),
            "{message}"
        );
        assert!(
            message.contains("this machine's 1.0 GiB of memory"),
            "{message}"
        );
        assert!(message.contains("--max-memory SIZE"), "{message}");
        let assumed = check_fits(&estimate, &MemoryLimit::Assumed("no file".into()))
            .unwrap_err()
            .to_string();
        assert!(assumed.contains("16.0 GiB of memory assumed"), "{assumed}");
    }

    #[test]
    fn memory_sizes_parse_in_binary_units() {
        assert_eq!(parse_memory_size("64G"), Ok(64 << 30));
        assert_eq!(parse_memory_size("512M"), Ok(512 << 20));
        assert_eq!(parse_memory_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_memory_size("2k"), Ok(2048));
        assert_eq!(parse_memory_size("1048576"), Ok(1 << 20));
        for bad in ["", "G", "12X", "0", "-1G", "1e30", "99999999T"] {
            assert!(parse_memory_size(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn mem_total_is_read_in_kilobytes() {
        let text = "MemFree: 1 kB\nMemTotal:       24576000 kB\n";
        assert_eq!(parse_mem_total(text), Some(24_576_000 * 1024));
        assert_eq!(parse_mem_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn bytes_are_formatted_in_binary_units() {
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_bytes(1.5 * 1024.0 * 1024.0), "1.5 MiB");
        assert_eq!(format_bytes(23.5 * f64::from(1u32 << 30)), "23.5 GiB");
    }
}
