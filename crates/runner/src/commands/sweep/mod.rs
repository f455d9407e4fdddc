//! `overparam sweep plan | run | merge | submit | status`: a grid of ordinary `train` runs in
//! one directory, coordinated only through the filesystem (manifest.csv, runs/<run id>/, lock
//! files), so that it scales from `--jobs` on a laptop to Slurm array shards on a shared
//! filesystem (`submit`, which writes and submits the batch scripts).

mod children;
mod execute;
mod merge;
mod plan;
mod status;
mod submit;

pub use execute::{available_cores, execute_sweep, Outcome, Selection};
pub use merge::{merge_results, RESULTS_FILE};
pub use submit::{absolute, path_text, prepare_array, submit_after, submit_array, unix_now};

use crate::cli::SweepCommand;

/// Runs `overparam sweep …`.
pub fn run(command: &SweepCommand) -> anyhow::Result<()> {
    match command {
        SweepCommand::Plan(args) => plan::run(args),
        SweepCommand::Run(args) => execute::run(args),
        SweepCommand::Merge(args) => merge_results(&args.dir).map(|_| ()),
        SweepCommand::Submit(args) => submit::run(args),
        SweepCommand::Status(args) => status::run(&args.dir),
    }
}
