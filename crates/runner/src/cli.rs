//! The command line, as typed: clap derive, where each doc comment is the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use overparam_api::Compute;
use overparam_sweep::slurm::options::SlurmOptions;

use crate::backend::{BackendKind, DTypeKind};
use crate::memory::NtkMethods;

mod sweeps;

pub use sweeps::{
    AnalyzeCommand, CriticalWidthArgs, PlotArgs, SweepCommand, SweepDirArgs, SweepPlanArgs,
    SweepRunArgs, SweepSubmitArgs,
};

/// Train over-parameterized networks and watch the theory happen.
#[derive(Debug, Parser)]
#[command(name = "overparam", version, about)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a two-layer network with per-layer learning rates; writes metrics.csv,
    /// summary.json, params_init.npz and params_final.npz.
    Train(TrainArgs),
    /// Compute the NTK of a network at its initialisation (or at --init parameters) three ways;
    /// writes ntk_<method>.npy, eigenvalues.npy and summary.json.
    Ntk(NtkArgs),
    /// Check the loss gradient of the configured network three ways in f64: autodiff,
    /// hand-derived backpropagation, central finite differences (and the NTK's per-sample
    /// Jacobian rows); exits non-zero if they disagree.
    Gradcheck(GradcheckArgs),
    /// The loss Hessian with respect to the hidden weights of a two-layer network, in closed
    /// form (f64): the loss, |dL/dW| and every eigenvalue, at the initial draw or at --init
    /// parameters (a saddle has a negative one); with --out, summary.json and
    /// hessian_eigenvalues.npy.
    Hessian(HessianArgs),
    /// List the compute backends built into this binary, the device each opens on this
    /// machine and the dtypes it supports.
    Backends(BackendsArgs),
    /// Plan, run (in parallel, sharded, resumable) and merge a grid of train runs.
    #[command(subcommand)]
    Sweep(SweepCommand),
    /// Analyses of a merged sweep.
    #[command(subcommand)]
    Analyze(AnalyzeCommand),
    /// Draw a sweep's (or one train run's) plots as SVG and PNG into DIR/plots/.
    Plot(PlotArgs),
    /// Check a seed paper's claim in one command: its sweeps, analysis, plots and a report
    /// (DIR/report.md, report.html, report.json) with verdicts computed from the data.
    Reproduce(ReproduceArgs),
    /// Time the hot tasks (GD step, closed-form and empirical NTK, batched seeds) against the
    /// GEMM rate measured in the same run; prints a table (or JSON).
    Bench(BenchArgs),
}

/// `overparam bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Fewer repetitions and 8 instead of 64 seeds (about a minute on 2 cores).
    #[arg(long)]
    pub quick: bool,
    /// Print JSON (for benches/compare/compare.py) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Backend of the autodiff (Burn) tasks; f32 throughout.
    #[arg(long, value_enum, default_value_t = BackendKind::Flex)]
    pub backend: BackendKind,
}

/// How `train` computes its GD or SGD steps (`--engine`).
pub use overparam_api::EngineChoice as EngineArg;

/// How big a reproduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScaleArg {
    /// A few runs (under 90 s on 2 cores): checks the pipeline, not the claim.
    Small,
    /// The experiment.
    Full,
}

/// `overparam reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Which reproduction (see --list).
    #[arg(required_unless_present = "list")]
    pub name: Option<String>,
    /// List the reproductions.
    #[arg(long)]
    pub list: bool,
    /// Scale of the experiment.
    #[arg(long, value_enum, default_value_t = ScaleArg::Full)]
    pub scale: ScaleArg,
    /// Runs in parallel (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,
    /// Output directory. Default: reproductions/NAME-SCALE.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Where the sweep specs are (NAME/SPEC.toml, NAME/SPEC.small.toml; or the flat SPEC.toml,
    /// SPEC.small.toml). Default: the ones built into this binary (those of configs/papers/),
    /// written to DIR/specs/ and read from there.
    #[arg(long)]
    pub specs: Option<PathBuf>,
    /// Compute backend of the runs (each part fixes its dtype).
    #[arg(long, value_enum, default_value_t = BackendKind::Flex)]
    pub backend: BackendKind,
    /// Submit to Slurm instead of running here: each part's runs as an array job (as `sweep
    /// submit`), then one job after them all that runs this command there and writes the
    /// report; scripts and job ids in DIR/slurm/ and DIR/PART/slurm/.
    #[arg(long)]
    pub slurm: bool,
    /// With --slurm: how each part's runs are cut into tasks and what each job asks for.
    #[command(flatten)]
    pub slurm_options: SlurmOptions,
}

/// Where the computation runs.
#[derive(Debug, Args)]
pub struct DeviceArgs {
    /// Compute backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Flex)]
    pub backend: BackendKind,
    /// Float precision of every tensor.
    #[arg(long, value_enum, default_value_t = DTypeKind::F32)]
    pub dtype: DTypeKind,
}

impl DeviceArgs {
    /// The backend and dtype these flags choose.
    pub fn compute(&self) -> Compute {
        Compute {
            backend: self.backend,
            dtype: self.dtype,
        }
    }
}

/// What every subcommand that builds a network from a config takes.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run configuration (TOML; see configs/quickstart.toml). Required, except with
    /// `train --resume`.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Backend and dtype.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Output directory (created if needed). Default: runs/<config file stem>[-ntk].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a config key, e.g. --set train.lr_a=0.5 (repeatable; applied in order).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Use these parameters instead of a random draw: an .npz with w1 [m,d], b1 [m], a [m].
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Memory the run may use, e.g. 64G, 512M or plain bytes (K, M, G, T are powers of 1024).
    /// Default: this machine's memory. A run estimated to need more is refused before it starts.
    #[arg(long, value_name = "SIZE", value_parser = crate::memory::parse_memory_size)]
    pub max_memory: Option<u64>,
}

impl RunArgs {
    /// `--init FILE` as the library API's parameter source.
    pub fn init_source(&self) -> Option<overparam_api::Init> {
        self.init.clone().map(overparam_api::Init::File)
    }
}

/// `overparam train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Config, device, outputs, overrides, initial parameters.
    #[command(flatten)]
    pub run: RunArgs,
    /// Continue the interrupted run in this directory from its checkpoint (written when the
    /// config sets train.checkpoint_every); the result is bit-identical to an uninterrupted
    /// run. Takes the config from the checkpoint; pass the run's --backend and --dtype.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// How GD and SGD steps are computed. The fused step equals autodiff's up to rounding
    /// (tested to 1e-10 relative over 100 f64 steps, SGD on the same batches) and is several
    /// times faster on the CPU.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,
    /// With `train.seeds` = S > 1 on shared data (`data.seed` set): also write the
    /// ensemble-mean initial NTK ⟨K_0⟩ = (1/S) Σ_s K_0(θ_0^(s)) on the shared inputs as
    /// DIR/ntk_mean_initial.npy `[n, n]`.
    #[arg(long)]
    pub mean_kernel: bool,
}

/// Which NTK computations `overparam ntk` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NtkMethodArg {
    /// Per-sample gradients from Burn autodiff (any network).
    Jacobian,
    /// The two-layer closed form (fast path).
    Closed,
    /// The infinite-width limit (ntk parameterization; relu or quadratic).
    Analytic,
    /// All three, with their agreement (analytic skipped, with the reason, where unsupported).
    All,
}

impl NtkMethodArg {
    /// The kernels this choice computes: its own, or with `all` every one.
    pub(crate) fn methods(self) -> NtkMethods {
        let all = self == NtkMethodArg::All;
        NtkMethods {
            jacobian: all || self == NtkMethodArg::Jacobian,
            closed: all || self == NtkMethodArg::Closed,
            analytic: all || self == NtkMethodArg::Analytic,
        }
    }
}

/// `overparam ntk`.
#[derive(Debug, Args)]
pub struct NtkArgs {
    /// Config, device, outputs, overrides, parameters.
    #[command(flatten)]
    pub run: RunArgs,
    /// Inputs from an .npz with x [n, d] instead of the config's data (n is taken from x).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Which computation(s).
    #[arg(long, value_enum, default_value_t = NtkMethodArg::All)]
    pub method: NtkMethodArg,
    /// The learning-rate-weighted kernel K_η = Σ_g η_g J_g J_gᵀ (rates lr_w, lr_b, lr_a).
    #[arg(long)]
    pub lr_weighted: bool,
    /// Rows per backward pass of the Jacobian method.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    pub block_size: u64,
    /// The neural tangent kernel, or the NNGP kernel E[f(x) f(x′)] over initializations
    /// (empirical: the mean over --ensemble networks; analytic: its infinite-width limit).
    #[arg(long, value_enum, default_value_t = KernelArg::Ntk)]
    pub kernel: KernelArg,
    /// Networks (seeds seed, seed + 1, …) averaged by the empirical NNGP kernel.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    pub ensemble: u64,
    /// Also the cross kernels K(X_test, X) on the config's held-out points (data.n_test or
    /// data.test_path) and kernel-regression predictions there: predictions.npz and
    /// summary.json's `prediction`.
    #[arg(long)]
    pub predict: bool,
    /// Ridge ρ ≥ 0 added to K(X, X) in the predictions' solve.
    #[arg(long, default_value_t = 0.0, requires = "predict")]
    pub ridge: f64,
    /// The eigenvalues: all of them (`full`, eigenvalues.npy), the --extremes smallest and
    /// largest with residual bounds (`extremes`: Krylov–Schur, shift-invert for the smallest;
    /// eigenvalues_extreme.npz), or `auto`: full up to n = 4096, extremes above.
    #[arg(long, value_enum, default_value_t = SpectrumArg::Auto)]
    pub spectrum: SpectrumArg,
    /// Eigenvalues at each end with the extremes.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub extremes: u64,
    /// Do not write the kernels `<kind>_<method>.npy` (an n = 32768 kernel is 8.6 GB in f64).
    #[arg(long)]
    pub no_kernel_file: bool,
}

/// How `overparam ntk` computes the eigenvalues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SpectrumArg {
    /// All n eigenvalues (faer's full self-adjoint decomposition).
    Full,
    /// The --extremes smallest and largest, each with its residual bound.
    Extremes,
    /// Full up to n = 4096, extremes above.
    Auto,
}

impl SpectrumArg {
    /// The trainer's method with `count` eigenvalues at each end.
    pub fn method(self, count: u64) -> overparam_trainer::ntk::SpectrumMethod {
        use overparam_trainer::ntk::SpectrumMethod;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        match self {
            SpectrumArg::Full => SpectrumMethod::Full,
            SpectrumArg::Extremes => SpectrumMethod::Extremes { count },
            SpectrumArg::Auto => SpectrumMethod::Auto { count },
        }
    }
}

/// Which kernel `overparam ntk` computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KernelArg {
    /// The neural tangent kernel.
    Ntk,
    /// The NNGP kernel (the covariance of f over initializations).
    Nngp,
}

/// A network at a point, in f64: the config's draw or `--init` parameters.
#[derive(Debug, Args)]
pub struct PointArgs {
    /// Run configuration (TOML): its data and network.
    #[arg(long)]
    pub config: PathBuf,
    /// Compute backend of the network's draw (everything here runs in f64).
    #[arg(long, value_enum, default_value_t = BackendKind::Flex)]
    pub backend: BackendKind,
    /// Override a config key, e.g. --set model.widths=[8,8] (repeatable; applied in order).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// At these parameters instead of the initial draw (.npz with w1, b1, …, a: a run's
    /// params_final.npz, say).
    #[arg(long)]
    pub init: Option<PathBuf>,
}

/// `overparam hessian`.
#[derive(Debug, Args)]
pub struct HessianArgs {
    /// The network (one hidden layer, a twice-differentiable activation: quadratic,
    /// softplus) and the point.
    #[command(flatten)]
    pub point: PointArgs,
    /// Write summary.json and hessian_eigenvalues.npy here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `overparam gradcheck`.
#[derive(Debug, Args)]
pub struct GradcheckArgs {
    /// The network and the point.
    #[command(flatten)]
    pub point: PointArgs,
    /// Finite differences for at most this many evenly spaced entries per tensor.
    #[arg(long, default_value_t = 200)]
    pub max_entries: usize,
    /// Memory the check may use, e.g. 64G, 512M or plain bytes (K, M, G, T are powers of
    /// 1024). Default: this machine's memory. A check estimated to need more is refused.
    #[arg(long, value_name = "SIZE", value_parser = crate::memory::parse_memory_size)]
    pub max_memory: Option<u64>,
}

/// `overparam backends`.
#[derive(Debug, Args)]
pub struct BackendsArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}
