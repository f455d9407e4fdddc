//! `overparam train`: config → data and network on the chosen device → training loop →
//! metrics.csv, summary.json, params_init.npz, params_final.npz; with `checkpoint_every`, a
//! checkpoint that `train --resume DIR` continues from bit-identically (`resume.rs`);
//! `[train] seeds = S` trains S of them side by side (`seeds.rs`). Each run is `single.rs`,
//! which writes the files around the library API's training loop (`overparam_api::train`).

mod ensemble;
mod files;
mod resume;
mod run;
mod seeds;
mod single;
mod stacked;

use crate::cli::TrainArgs;
use crate::commands::common::load_config;
use single::start;

/// Runs `overparam train` (or `train --resume DIR`).
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    // SIGTERM stops the loop between steps, after a checkpoint (see `crate::interrupt`).
    crate::interrupt::stop_on_sigterm()?;
    match &args.resume {
        Some(_) if args.mean_kernel => {
            anyhow::bail!("--mean-kernel is written by a fresh batch of seeds, not by --resume")
        }
        Some(dir) => match seeds::batch_summary(dir) {
            Some(summary) => seeds::resume(args, dir, &summary),
            None => resume::resume(&args.run, dir, args.engine, false),
        },
        None => {
            let experiment = load_config(&args.run)?;
            crate::memory::check_fits(
                &crate::memory::MemoryEstimate::for_train(
                    &experiment.config,
                    &experiment.resolved,
                    args.run.device.dtype,
                ),
                &crate::memory::MemoryLimit::from_flag(args.run.max_memory),
            )?;
            let config = &experiment.config;
            anyhow::ensure!(
                !args.mean_kernel || (config.train.seeds > 1 && config.data.seed.is_some()),
                "--mean-kernel averages the initial NTK over the seeds of train.seeds > 1 on \
                 shared data: set data.seed (and train.seeds)"
            );
            if experiment.config.train.seeds > 1 {
                return seeds::run(args, &experiment.config);
            }
            start(&args.run, args.engine, experiment, false)
        }
    }
}
