//! Many seeds at once: S separate `overparam train` processes against `train.seeds = S` in
//! one process, on the seeds' own data (side by side, one run per task) and on shared data
//! (`data.seed`: one stacked computation), beside the bound the FLOPs give at the GEMM rate
//! measured in the same run, and a check that every way wrote the same numbers.

use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context as _};

use super::{GemmRates, Task};
use crate::launcher::Launcher;

/// The small network of issue 11: n = 64, d = 8, m = 64, 2000 GD steps.
const CONFIG: &str = r#"# overparam bench: the many-seeds task
seed = 0
[data]
n = 64
d = 8
[model]
width = 64
[train]
steps = 2000
lr_w = 0.5
lr_b = 0.5
lr_a = 0.5
log_every = 100
"#;

/// (n, d, m, steps) of [`CONFIG`].
const SHAPE: [f64; 4] = [64.0, 8.0, 64.0, 2000.0];

/// FLOPs of one GD step of one network (one hidden layer), counted: the products
/// Z = X Wᵀ and ∂W = Δᵀ X, 2·n·m·d each; the row passes, 9·n·m (bias, σ, the readout's
/// multiply-add; ∂a's multiply-add, Δ = g·a·σ′, ∂b); the update, 2·(m·d + 2m).
pub(super) fn flops_per_step() -> f64 {
    let [n, d, m, _] = SHAPE;
    4.0 * n * m * d + 9.0 * n * m + 2.0 * (m * d + 2.0 * m)
}

fn train(config: &Path, out: &Path, sets: &[String], engine: &str) -> anyhow::Result<()> {
    let mut command = Launcher::current()?.command();
    command
        .args(["train", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out);
    for set in sets {
        command.args(["--set", set]);
    }
    let status = command
        .args(["--engine", engine])
        .stdout(std::process::Stdio::null())
        .status()
        .context("starting overparam train")?;
    ensure!(
        status.success(),
        "overparam train --set {sets:?} failed ({status})"
    );
    Ok(())
}

/// Seconds `work` took.
fn timed(work: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let start = Instant::now();
    work()?;
    Ok(start.elapsed().as_secs_f64())
}

/// Whether every seed's `file` in `batch/seed-<s>` equals the one in `separate-<s>`.
fn identical(dir: &Path, batch: &str, separate: &str, count: u64) -> anyhow::Result<bool> {
    let mut same = true;
    for seed in 0..count {
        for file in ["metrics.csv", "params_final.npz"] {
            let one = std::fs::read(dir.join(batch).join(format!("seed-{seed}")).join(file))?;
            let other = std::fs::read(dir.join(format!("{separate}-{seed}")).join(file))?;
            same &= one == other;
        }
    }
    Ok(same)
}

/// Times `count` seeds: as separate processes (own data, and shared data), as `train.seeds`
/// side by side (own data) and stacked (shared data); the FLOP bound at `rates.f32`.
pub fn throughput(count: u64, rates: GemmRates) -> anyhow::Result<Vec<Task>> {
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let config = dir.path().join("seeds.toml");
    std::fs::write(&config, CONFIG)?;
    let path = |name: &str| dir.path().join(name);
    let seeds = format!("train.seeds={count}");
    let shared = "data.seed=0".to_string();
    let side_by_side = timed(|| train(&config, &path("batched"), &[seeds.clone()], "auto"))?;
    let stacked = timed(|| {
        train(
            &config,
            &path("stacked"),
            &[seeds.clone(), shared.clone()],
            "auto",
        )
    })?;
    let separately = |name: &str, extra: &[String], engine: &str| {
        timed(|| {
            for seed in 0..count {
                let mut sets = vec![format!("seed={seed}")];
                sets.extend_from_slice(extra);
                train(&config, &path(&format!("{name}-{seed}")), &sets, engine)?;
            }
            Ok(())
        })
    };
    let separate = separately("separate", &[], "auto")?;
    let separate_shared = separately("separate-shared", &[shared.clone()], "auto")?;
    let separate_autodiff = separately("separate-autodiff", &[], "autodiff")?;
    let same = |batch, separate| -> anyhow::Result<&'static str> {
        Ok(if identical(dir.path(), batch, separate, count)? {
            "identical outputs"
        } else {
            "outputs differ in the last bits (see the tests for the 1e-12 bound)"
        })
    };
    let side_by_side_same = same("batched", "separate")?;
    let stacked_same = same("stacked", "separate-shared")?;
    let [_, _, _, steps] = SHAPE;
    let bound = count as f64 * steps * flops_per_step() / (rates.f32 * 1e9);
    let shape = "n=64 d=8 m=64, 2000 steps";
    let flops = flops_per_step() / 1e3;
    Ok(vec![
        Task::new(
            format!("seeds_{count}_stacked_shared_data"),
            stacked,
            Some(bound),
            format!(
                "train.seeds = {count} with data.seed (one stacked computation), {shape}: \
                 {:.1}× the throughput of separate processes on the same data, {:.1}× that \
                 of train.seeds on own data (side by side); bound {:.1} kFLOP per network-step \
                 at the f32 GEMM rate, so at most {:.1}× over separate processes; {stacked_same}",
                separate_shared / stacked,
                side_by_side / stacked,
                flops,
                separate_shared / bound,
            ),
        ),
        Task::new(
            format!("seeds_{count}_batched"),
            side_by_side,
            Some(bound),
            format!(
                "train.seeds = {count} on own data (side by side), {shape}: {:.1}× the throughput \
                 of separate processes, {:.1}× that of separate autodiff processes; {side_by_side_same}",
                separate / side_by_side,
                separate_autodiff / side_by_side
            ),
        ),
        Task::new(format!("seeds_{count}_separate_processes"), separate, Some(bound), "one `overparam train` per seed (fused engine), one after another"),
        Task::new(format!("seeds_{count}_separate_processes_shared_data"), separate_shared, Some(bound), "the same with data.seed = 0 (the stacked run's data)"),
        Task::new(
            format!("seeds_{count}_separate_processes_autodiff"),
            separate_autodiff,
            None,
            "the same with --engine autodiff (what each run cost before the fused step)",
        ),
    ])
}
