//! The command line, as typed: clap derive, where each doc comment is the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::backend::{BackendKind, DTypeKind};

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

/// `overparam train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Run configuration (TOML; see configs/quickstart.toml).
    #[arg(long)]
    pub config: PathBuf,
    /// Backend and dtype.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Output directory (created if needed). Default: runs/<config file stem>.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a config key, e.g. --set train.lr_a=0.5 (repeatable; applied in order).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
    /// Start from these parameters instead of a random draw: an .npz with w1 [m,d], b1 [m], a [m].
    #[arg(long)]
    pub init: Option<PathBuf>,
}
