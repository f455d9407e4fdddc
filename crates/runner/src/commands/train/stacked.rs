//! A batch of seeds on shared data trained as stacked computations: one group of seeds per
//! thread, each group one [`train_stacked`] loop whose seeds are opened, begun and finished
//! exactly as their own runs are (`single.rs`).

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use overparam_api::train::{train_stacked, StackedMember};
use rayon::prelude::*;

use super::seeds::{seed_dir_name, Batch, Trained};
use super::single::open;
use crate::cli::RunArgs;

impl Batch<'_> {
    /// Every seed as stacked computations: the seeds split into one group per thread, each
    /// group trained as one stacked computation on its own thread (threads meet once, at the
    /// end, not at every step).
    pub(super) fn train_stacked(&self, out: &Path) -> Trained {
        let started = Instant::now();
        let seeds = self.seeds();
        let groups = rayon::current_num_threads().clamp(1, seeds.len());
        let per_group = seeds.len().div_ceil(groups);
        let trained: Vec<_> = seeds
            .par_chunks(per_group)
            .map(|group| self.train_group(group, out))
            .collect();
        let mut results = Vec::new();
        for group in trained {
            results.extend(group?);
        }
        Ok((results, started.elapsed().as_secs_f64()))
    }

    /// `seeds` as one stacked computation: each seed's directory opened and its files begun
    /// as its own run's, the loop run on all of them together, then each seed's outputs
    /// written. An error before the first step fails the whole group.
    fn train_group(
        &self,
        seeds: &[u64],
        out: &Path,
    ) -> anyhow::Result<Vec<(u64, anyhow::Result<()>)>> {
        let args: Vec<RunArgs> = seeds
            .iter()
            .map(|&seed| self.run_args(Some(&out.join(seed_dir_name(seed)))))
            .collect();
        let mut opened = Vec::new();
        for (&seed, args) in seeds.iter().zip(&args) {
            let experiment = self.experiment(seed)?;
            opened
                .push(open(args, self.engine, experiment).with_context(|| format!("seed {seed}"))?);
        }
        let runs: Vec<_> = opened
            .iter()
            .zip(&args)
            .map(|(o, a)| o.run(a, true))
            .collect();
        let mut files = Vec::new();
        let mut froms = Vec::new();
        for (run, opened) in runs.iter().zip(&opened) {
            let (seed_files, from) = run.begin_fresh(opened.model.clone())?;
            files.push(seed_files);
            froms.push(from);
        }
        let members = runs
            .iter()
            .zip(files.iter_mut())
            .zip(froms)
            .map(|((run, observer), from)| StackedMember {
                setup: run.setup(),
                from,
                observer,
            })
            .collect();
        let trained = train_stacked(members).map_err(anyhow::Error::new)?;
        Ok(seeds
            .iter()
            .zip(runs.iter().zip(files).zip(&trained))
            .map(|(&seed, ((run, files), trained))| (seed, run.end(files, trained)))
            .collect())
    }
}
