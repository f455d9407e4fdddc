//! `[train] seeds = S`: S networks, seeds `seed`, …, `seed + S − 1`, trained in one process as
//! parallel tasks on one thread pool. Each writes `DIR/seed-<s>/` exactly as `overparam train`
//! with that seed (and `seeds = 1`) would: same code path, same numbers, bit for bit (tested);
//! `DIR/summary.json` lists the runs.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use rayon::prelude::*;
use serde_json::json;

use super::common::prepare_out_dir;
use super::train::start;
use crate::cli::{DeviceArgs, RunArgs, TrainArgs};
use crate::config::RunConfig;
use crate::output::write_json;
use crate::provenance::provenance;

/// Trains every seed of `config` (which has `train.seeds` > 1) into `DIR/seed-<s>/`.
pub fn run(args: &TrainArgs, config: &RunConfig) -> anyhow::Result<()> {
    let out = prepare_out_dir(&args.run, "", &["summary.json"])?;
    let seeds: Vec<u64> = (0..config.train.seeds).map(|k| config.seed + k).collect();
    let started = Instant::now();
    let results: Vec<(u64, anyhow::Result<()>)> = seeds
        .par_iter()
        .map(|&seed| (seed, train_one(args, config, seed, &out)))
        .collect();
    let wall_time_s = started.elapsed().as_secs_f64();
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
        .filter_map(|(seed, result)| result.as_ref().err().map(|e| format!("seed {seed}: {e:#}")))
        .collect();
    let summary = json!({
        "config": config,
        "seeds": seeds,
        "runs": runs,
        "backend": args.run.device.backend,
        "dtype": args.run.device.dtype,
        "wall_time_s": wall_time_s,
        "provenance": provenance(),
    });
    write_json(&out.join("summary.json"), &summary)?;
    println!(
        "{} seeds in {:.1} s: {} ok, {} failed; outputs in {}/seed-*",
        seeds.len(),
        wall_time_s,
        seeds.len() - failed.len(),
        failed.len(),
        out.display()
    );
    anyhow::ensure!(
        failed.is_empty(),
        "{} of {} seeds failed:\n{}",
        failed.len(),
        seeds.len(),
        failed.join("\n")
    );
    Ok(())
}

/// `seed-<s>`.
fn seed_dir_name(seed: u64) -> String {
    format!("seed-{seed}")
}

/// One seed, as `overparam train` with `seed = s`, `seeds = 1` and `--out DIR/seed-<s>`.
fn train_one(args: &TrainArgs, config: &RunConfig, seed: u64, out: &Path) -> anyhow::Result<()> {
    let mut one = config.clone();
    one.seed = seed;
    one.train.seeds = 1;
    let resolved = one.resolve().with_context(|| format!("seed {seed}"))?;
    let run_args = RunArgs {
        config: args.run.config.clone(),
        device: DeviceArgs {
            backend: args.run.device.backend,
            dtype: args.run.device.dtype,
        },
        out: Some(out.join(seed_dir_name(seed))),
        overrides: Vec::new(),
        init: args.run.init.clone(),
        max_memory: args.run.max_memory,
    };
    start(&run_args, args.engine, &one, resolved, true)
}
