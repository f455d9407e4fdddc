//! Many seeds at once: `train.seeds = S` in one process against S separate `overparam train`
//! processes, same config, and a check that both wrote the same numbers.

use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context as _};

use super::Task;
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

fn train(config: &Path, out: &Path, set: &str, engine: &str) -> anyhow::Result<()> {
    let status = Launcher::current()?
        .command()
        .args(["train", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(["--set", set, "--engine", engine])
        .stdout(std::process::Stdio::null())
        .status()
        .context("starting overparam train")?;
    ensure!(
        status.success(),
        "overparam train --set {set} failed ({status})"
    );
    Ok(())
}

/// Times `count` seeds batched and as `count` processes one after another; checks that
/// every seed's `metrics.csv` and `params_final.npz` are byte-identical between the two.
pub fn throughput(count: u64) -> anyhow::Result<Vec<Task>> {
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let config = dir.path().join("seeds.toml");
    std::fs::write(&config, CONFIG)?;
    let batched_dir = dir.path().join("batched");
    let start = Instant::now();
    train(
        &config,
        &batched_dir,
        &format!("train.seeds={count}"),
        "auto",
    )?;
    let batched = start.elapsed().as_secs_f64();
    let separately = |engine: &str| -> anyhow::Result<f64> {
        let start = Instant::now();
        for seed in 0..count {
            let out = dir.path().join(format!("separate-{engine}-{seed}"));
            train(&config, &out, &format!("seed={seed}"), engine)?;
        }
        Ok(start.elapsed().as_secs_f64())
    };
    let separate = separately("auto")?;
    let separate_autodiff = separately("autodiff")?;
    let mut identical = true;
    for seed in 0..count {
        for file in ["metrics.csv", "params_final.npz"] {
            let one = std::fs::read(batched_dir.join(format!("seed-{seed}")).join(file))?;
            let other = std::fs::read(dir.path().join(format!("separate-auto-{seed}")).join(file))?;
            identical &= one == other;
        }
    }
    let same = if identical {
        "identical outputs"
    } else {
        "OUTPUTS DIFFER"
    };
    Ok(vec![
        Task::new(
            format!("seeds_{count}_batched"),
            batched,
            None,
            format!(
                "train.seeds = {count}, n=64 d=8 m=64, 2000 steps: {:.1}× the throughput of separate \
                 processes, {:.1}× that of separate autodiff processes; {same}",
                separate / batched,
                separate_autodiff / batched
            ),
        ),
        Task::new(format!("seeds_{count}_separate_processes"), separate, None, "one `overparam train` per seed (fused engine), one after another"),
        Task::new(
            format!("seeds_{count}_separate_processes_autodiff"),
            separate_autodiff,
            None,
            "the same with --engine autodiff (what each run cost before the fused step)",
        ),
    ])
}
