//! The sweep side of the command line: `overparam sweep plan | run | merge | submit | status`,
//! `overparam analyze …` and `overparam plot`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use overparam_sweep::slurm::options::SlurmOptions;

use super::DeviceArgs;

/// `overparam sweep …`.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Expand SPEC into DIR/manifest.csv (index, run id, swept values, status) and print the
    /// number of runs; every run's config is checked before anything runs.
    Plan(SweepPlanArgs),
    /// Run the manifest's runs (planning first if needed) into DIR/runs/<run id>/, skipping
    /// finished ones and resuming checkpointed ones.
    Run(SweepRunArgs),
    /// Collect one row per finished run into DIR/results.csv.
    Merge(SweepDirArgs),
    /// Submit the sweep to Slurm: an array job whose task I runs `sweep run --shard I/N`,
    /// and a job after it that merges and runs the spec's analyses; scripts, job ids and logs
    /// in DIR/slurm/. Submitting again submits only the tasks with unfinished runs.
    Submit(SweepSubmitArgs),
    /// Runs done, failed, busy and pending (from the manifest and the run directories), and
    /// the Slurm states of the jobs `sweep submit` recorded.
    Status(SweepDirArgs),
}

/// `overparam sweep submit`.
#[derive(Debug, Args)]
pub struct SweepSubmitArgs {
    /// Sweep spec (TOML: base = "train config", [grid], [[zip]], analyses).
    pub spec: PathBuf,
    /// Sweep directory (created if needed), on a filesystem every node shares.
    #[arg(long)]
    pub out: PathBuf,
    /// How the runs are cut into tasks and what each job asks for.
    #[command(flatten)]
    pub slurm: SlurmOptions,
    /// Backend and dtype of every run.
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// `overparam sweep plan`.
#[derive(Debug, Args)]
pub struct SweepPlanArgs {
    /// Sweep spec (TOML: base = "train config", [grid], [[zip]]).
    pub spec: PathBuf,
    /// Sweep directory (created if needed).
    #[arg(long)]
    pub out: PathBuf,
}

/// `overparam sweep run`.
#[derive(Debug, Args)]
pub struct SweepRunArgs {
    /// Sweep spec (TOML: base = "train config", [grid], [[zip]]).
    pub spec: PathBuf,
    /// Sweep directory (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// Runs in parallel on this machine, each with (cores / jobs, at least 1) threads, where
    /// cores is `SLURM_CPUS_PER_TASK` inside a Slurm job, else every core. Default: cores.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,
    /// Only the runs with index ≡ I (mod N), e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT.
    #[arg(long, value_name = "I/N", conflicts_with = "index")]
    pub shard: Option<String>,
    /// Only the run with this manifest index.
    #[arg(long, value_name = "K")]
    pub index: Option<usize>,
    /// Backend and dtype of every run.
    #[command(flatten)]
    pub device: DeviceArgs,
}

/// A sweep directory.
#[derive(Debug, Args)]
pub struct SweepDirArgs {
    /// Sweep directory (holds manifest.csv and runs/).
    pub dir: PathBuf,
}

/// `overparam analyze …`.
#[derive(Debug, Subcommand)]
pub enum AnalyzeCommand {
    /// For each n, the smallest width at which enough seeds reach the target; the exponent α
    /// of m* ∝ n^α with a bootstrap 95% interval. Writes DIR/critical_width.{csv,json}.
    CriticalWidth(CriticalWidthArgs),
}

/// `overparam analyze critical-width`.
#[derive(Debug, Args)]
pub struct CriticalWidthArgs {
    /// Sweep directory (results.csv is merged first when missing).
    pub dir: PathBuf,
    /// A run succeeds when its final loss is ≤ this; default: when it reached its own
    /// train.target_loss within its step budget.
    #[arg(long)]
    pub target_loss: Option<f64>,
    /// Fraction of seeds that must succeed at a width.
    #[arg(long, default_value_t = 0.9)]
    pub success: f64,
}

/// `overparam plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// A sweep directory (results.csv, runs/) or one train run's output directory.
    pub dir: PathBuf,
}
