//! `[train] seeds = S`: S networks, seeds `seed`, …, `seed + S − 1`, trained in one process as
//! parallel tasks on one thread pool. Each writes `DIR/seed-<s>/` exactly as `overparam train`
//! with that seed (and `seeds = 1`) would: same code path, same numbers, bit for bit (tested);
//! `DIR/summary.json` lists the runs. It is written first with `"status": "running"` (the
//! config, backend, dtype and engine), so that `train --resume DIR` can continue a killed
//! batch: finished seeds are kept, checkpointed ones resumed, the others started afresh.
//!
//! With `data.seed` the seeds share their data (X, y, the teacher, held-out points) while
//! their initializations differ; where the stacked engine applies (one hidden layer,
//! full-batch GD, the fused engine) they then train as one stacked computation
//! (`overparam_api::train::train_stacked`; one group of seeds per thread), each seed's outputs equal to its own run's to
//! rounding (tested to 1e-12 relative in f64). `DIR/summary.json` records the `batching`
//! (`stacked` or `side_by_side`) and the `ensemble` statistics over the seeds; with
//! `--mean-kernel` the ensemble-mean initial NTK ⟨K_0⟩ is written to
//! `DIR/ntk_mean_initial.npy`. A resumed batch always continues side by side (each seed from
//! its own checkpoint, as its own fused run), which is equal to the stacked run to rounding.

use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context as _};
use clap::ValueEnum;
use overparam_api::Experiment;
use rayon::prelude::*;
use serde_json::{json, Value};

use overparam_api::train::engine_for;
use overparam_trainer::{Optimizer, StepEngine};

use super::ensemble::{statistics, write_mean_kernel};
use super::resume::resume as resume_one;
use super::single::start;
use crate::backend::{BackendKind, DTypeKind};
use crate::checkpoint::CHECKPOINT_FILE;
use crate::cli::{DeviceArgs, EngineArg, RunArgs, TrainArgs};
use crate::commands::common::prepare_out_dir;
use crate::config::RunConfig;
use crate::interrupt::{sigterm_received, Terminated};
use crate::output::write_json;
use crate::provenance::provenance;

/// Trains every seed of `config` (which has `train.seeds` > 1) into `DIR/seed-<s>/`.
pub fn run(args: &TrainArgs, config: &RunConfig) -> anyhow::Result<()> {
    let out = prepare_out_dir(&args.run, "", &["summary.json"])?;
    let batch = Batch {
        config,
        device: &args.run.device,
        engine: args.engine,
        init: args.run.init.as_deref(),
        max_memory: args.run.max_memory,
    };
    let batching = batch.batching()?;
    write_json(
        &out.join("summary.json"),
        &batch.summary("running", batching, None),
    )?;
    let trained = match batching {
        Batching::Stacked => batch.train_stacked(&out),
        Batching::SideBySide => batch.train_all(|seed| batch.train_one(seed, &out)),
    };
    let outcome = batch.finish(&out, batching, trained);
    if args.mean_kernel {
        let seeds = batch.seeds();
        let experiments = seeds
            .iter()
            .map(|&seed| batch.experiment(seed))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let dirs: Vec<_> = seeds.iter().map(|&s| out.join(seed_dir_name(s))).collect();
        write_mean_kernel(&out, &experiments, &dirs, batch.device)?;
    }
    outcome
}

/// How the seeds of a batch are trained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Batching {
    /// One run per seed, in parallel tasks.
    SideBySide,
    /// One stacked computation over all seeds (shared data).
    Stacked,
}

impl Batching {
    fn name(self) -> &'static str {
        match self {
            Batching::SideBySide => "side_by_side",
            Batching::Stacked => "stacked",
        }
    }
}

/// The `summary.json` of the batch of seeds in `dir`, if `dir` holds one (its summary lists
/// seeds) rather than one run.
pub fn batch_summary(dir: &Path) -> Option<Value> {
    if dir.join(CHECKPOINT_FILE).exists() {
        return None;
    }
    read_summary(dir)
        .ok()
        .filter(|summary| summary["seeds"].is_array())
}

/// Continues the batch in `dir`, whose [`batch_summary`] is `summary`: a seed whose run
/// finished ok is kept, one with a checkpoint is resumed from it, any other is trained from
/// the start.
pub fn resume(args: &TrainArgs, dir: &Path, summary: &Value) -> anyhow::Result<()> {
    let field = |key: &str| {
        summary
            .get(key)
            .cloned()
            .with_context(|| format!("{}: no `{key}`", dir.join("summary.json").display()))
    };
    let config: RunConfig = serde_json::from_value(field("config")?)
        .with_context(|| format!("the config in {}", dir.join("summary.json").display()))?;
    let backend: BackendKind = serde_json::from_value(field("backend")?)?;
    let dtype: DTypeKind = serde_json::from_value(field("dtype")?)?;
    let recorded_engine = summary["engine"]
        .as_str()
        .and_then(|name| EngineArg::from_str(name, true).ok())
        .unwrap_or(EngineArg::Auto);
    ensure!(
        args.run.device.backend == backend && args.run.device.dtype == dtype,
        "the seeds in {} compute on --backend {} --dtype {}; resume them with those",
        dir.display(),
        backend.name(),
        dtype.name()
    );
    let engine = match args.engine {
        EngineArg::Auto => recorded_engine,
        explicit => explicit,
    };
    let init = summary["init"].as_str().map(Path::new);
    let device = DeviceArgs { backend, dtype };
    let batch = Batch {
        config: &config,
        device: &device,
        engine,
        init,
        max_memory: args.run.max_memory,
    };
    let out = dir.to_path_buf();
    let trained = batch.train_all(|seed| {
        let seed_dir = out.join(seed_dir_name(seed));
        if read_summary(&seed_dir).is_ok_and(|s| s["status"] == "ok") {
            Ok(())
        } else if seed_dir.join(CHECKPOINT_FILE).exists() {
            resume_one(&batch.run_args(None), &seed_dir, engine, true)
        } else {
            batch.train_one(seed, &out)
        }
    });
    batch.finish(&out, Batching::SideBySide, trained)
}

/// What every seed of a batch shares.
pub(super) struct Batch<'a> {
    config: &'a RunConfig,
    device: &'a DeviceArgs,
    pub(super) engine: EngineArg,
    init: Option<&'a Path>,
    max_memory: Option<u64>,
}

impl Batch<'_> {
    /// The seeds `seed`, …, `seed + S − 1` (the config's range check keeps them below 2^63).
    pub(super) fn seeds(&self) -> Vec<u64> {
        (0..self.config.train.seeds)
            .map(|k| self.config.seed.saturating_add(k))
            .collect()
    }

    /// Stacked where the seeds share their data (`data.seed`) and the stacked engine applies
    /// (one hidden layer, full-batch GD, the fused engine), else side by side.
    fn batching(&self) -> anyhow::Result<Batching> {
        if self.config.data.seed.is_none() {
            return Ok(Batching::SideBySide);
        }
        let resolved = &self.experiment(self.config.seed)?.resolved;
        let engine = engine_for(self.engine, self.device.backend)?;
        let full_batch = resolved.train.optimizer == Optimizer::GradientDescent;
        let stacked = engine == StepEngine::Fused && full_batch && resolved.model.widths.len() == 1;
        Ok(if stacked {
            Batching::Stacked
        } else {
            Batching::SideBySide
        })
    }

    /// `DIR/summary.json` with `status` and, once run, each seed's outcome and the ensemble
    /// statistics.
    fn summary(
        &self,
        status: &str,
        batching: Batching,
        runs: Option<(Vec<Value>, f64, Value)>,
    ) -> Value {
        let (runs, wall_time_s, ensemble) = match runs {
            Some((runs, wall, ensemble)) => (Some(runs), Some(wall), Some(ensemble)),
            None => (None, None, None),
        };
        json!({
            "status": status,
            "config": self.config,
            "seeds": self.seeds(),
            "batching": batching.name(),
            "ensemble": ensemble,
            "runs": runs,
            "backend": self.device.backend,
            "dtype": self.device.dtype,
            "engine": self.engine.to_possible_value().map(|v| v.get_name().to_string()),
            "init": self.init.map(|p| p.display().to_string()),
            "wall_time_s": wall_time_s,
            "provenance": provenance(),
        })
    }

    /// Runs `train_seed` for every seed in parallel; each seed's result and the seconds taken.
    fn train_all(&self, train_seed: impl Fn(u64) -> anyhow::Result<()> + Sync) -> Trained {
        let started = Instant::now();
        let results = self
            .seeds()
            .par_iter()
            .map(|&seed| (seed, train_seed(seed)))
            .collect();
        Ok((results, started.elapsed().as_secs_f64()))
    }

    /// Writes the final summary (with the ensemble statistics over the seeds' outputs) and
    /// says how many seeds failed.
    fn finish(&self, out: &Path, batching: Batching, trained: Trained) -> anyhow::Result<()> {
        let seeds = self.seeds();
        let (results, wall_time_s) = match trained {
            Ok(trained) => trained,
            Err(error) => {
                let mut summary = self.summary("failed", batching, None);
                summary["error"] = json!(format!("{error:#}"));
                write_json(&out.join("summary.json"), &summary)?;
                return Err(error);
            }
        };
        let runs: Vec<_> = results
            .iter()
            .map(|(seed, result)| {
                json!({
                    "seed": seed,
                    "dir": seed_dir_name(*seed),
                    "status": if result.is_ok() { "ok" } else { "failed" },
                    "error": result.as_ref().err().map(|e| format!("{e:#}")),
                })
            })
            .collect();
        let failed: Vec<String> = results
            .iter()
            .filter_map(|(seed, result)| {
                result.as_ref().err().map(|e| format!("seed {seed}: {e:#}"))
            })
            .collect();
        // Seeds stopped by SIGTERM are unfinished, not failed: a rerun resumes them.
        let terminated = sigterm_received();
        let status = match (failed.is_empty(), terminated) {
            (true, _) => "ok",
            (false, true) => "interrupted",
            (false, false) => "failed",
        };
        let dirs: Vec<_> = seeds.iter().map(|&s| out.join(seed_dir_name(s))).collect();
        let ensemble = statistics(&dirs);
        let summary = self.summary(status, batching, Some((runs, wall_time_s, ensemble)));
        write_json(&out.join("summary.json"), &summary)?;
        println!(
            "{} seeds in {:.1} s: {} ok, {} failed; outputs in {}/seed-*",
            seeds.len(),
            wall_time_s,
            seeds.len() - failed.len(),
            failed.len(),
            out.display()
        );
        if terminated && !failed.is_empty() {
            return Err(Terminated(format!(
                "{} of {} seeds did not finish:\n{}",
                failed.len(),
                seeds.len(),
                failed.join("\n")
            ))
            .into());
        }
        ensure!(
            failed.is_empty(),
            "{} of {} seeds failed:\n{}",
            failed.len(),
            seeds.len(),
            failed.join("\n")
        );
        Ok(())
    }

    /// The arguments of one seed's run: a fresh one writing into `out` (with `--init`, if the
    /// batch has one), or, with `None`, a resumed one (whose checkpoint has both).
    pub(super) fn run_args(&self, out: Option<&Path>) -> RunArgs {
        RunArgs {
            config: None,
            device: DeviceArgs {
                backend: self.device.backend,
                dtype: self.device.dtype,
            },
            out: out.map(Path::to_path_buf),
            overrides: Vec::new(),
            init: out.and(self.init).map(Path::to_path_buf),
            max_memory: self.max_memory,
        }
    }

    /// One seed from the start, as `overparam train` with `seed = s`, `seeds = 1` and
    /// `--out DIR/seed-<s>`.
    fn train_one(&self, seed: u64, out: &Path) -> anyhow::Result<()> {
        let experiment = self.experiment(seed)?;
        let run_args = self.run_args(Some(&out.join(seed_dir_name(seed))));
        start(&run_args, self.engine, experiment, true)
    }

    /// The run of one seed: the config with `seed = s` and `seeds = 1`.
    pub(super) fn experiment(&self, seed: u64) -> anyhow::Result<Experiment> {
        let mut one = self.config.clone();
        one.seed = seed;
        one.train.seeds = 1;
        Experiment::from_config(one).with_context(|| format!("seed {seed}"))
    }
}

/// Each seed's result and the seconds the batch took, or an error before any step.
pub(super) type Trained = anyhow::Result<(Vec<(u64, anyhow::Result<()>)>, f64)>;

/// `seed-<s>`.
pub(super) fn seed_dir_name(seed: u64) -> String {
    format!("seed-{seed}")
}

/// `dir/summary.json`, parsed.
fn read_summary(dir: &Path) -> anyhow::Result<Value> {
    let path = dir.join("summary.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}
