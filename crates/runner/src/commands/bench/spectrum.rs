//! The spectrum of a large two-layer kernel (closed form, d = 64, m = 4096, f64, no kernel
//! file): the full decomposition against λ_min and λ_max by block Lanczos, each an
//! `overparam ntk` process whose summary gives the eigenvalue time, the kernel time and the
//! process's peak memory. n = 8192 both ways and n = 32768 by Krylov (about 4 minutes and 10
//! GB); `--quick`: n = 2048.

use std::path::Path;

use anyhow::{ensure, Context as _};

use super::{GemmRates, Task};
use crate::launcher::Launcher;

/// (n, spectrum) pairs timed.
fn cases(quick: bool) -> Vec<(usize, &'static str)> {
    if quick {
        vec![(2048, "full"), (2048, "extremes")]
    } else {
        vec![(8192, "full"), (8192, "extremes"), (32768, "extremes")]
    }
}

/// One `overparam ntk` run: its summary.json.
fn ntk(dir: &Path, n: usize, spectrum: &str) -> anyhow::Result<serde_json::Value> {
    let config = dir.join(format!("spectrum-{n}.toml"));
    let text = format!("seed = 0\n[data]\nn = {n}\nd = 64\n[model]\nwidth = 4096\n");
    std::fs::write(&config, text)?;
    let out = dir.join(format!("{spectrum}-{n}"));
    let status = Launcher::current()?
        .command()
        .args(["ntk", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .args(["--method", "closed", "--dtype", "f64", "--no-kernel-file"])
        .args(["--spectrum", spectrum])
        .stdout(std::process::Stdio::null())
        .status()
        .context("starting overparam ntk")?;
    ensure!(
        status.success(),
        "overparam ntk at n = {n} ({spectrum}) failed ({status})"
    );
    let text = std::fs::read_to_string(out.join("summary.json"))?;
    Ok(serde_json::from_str(&text)?)
}

/// The spectrum tasks; the Krylov ones' bound is the Cholesky factorization's n³/3
/// multiply-adds at the f64 GEMM rate.
pub fn spectra(quick: bool, rates: GemmRates) -> anyhow::Result<Vec<Task>> {
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let mut tasks = Vec::new();
    for (n, spectrum) in cases(quick) {
        let summary = ntk(dir.path(), n, spectrum)?;
        let seconds = summary["timings_s"]["eigenvalues"]
            .as_f64()
            .unwrap_or(f64::NAN);
        let kernel = summary["timings_s"]["closed"].as_f64().unwrap_or(f64::NAN);
        let peak = summary["peak_memory_bytes"].as_f64().unwrap_or(f64::NAN) / 1e9;
        let krylov = spectrum == "extremes";
        let bound = krylov.then(|| (n as f64).powi(3) / 3.0 * 2.0 / (rates.f64 * 1e9));
        let method = if krylov { "krylov" } else { "full" };
        let note = format!(
            "λ_min = {:.6e}, λ_max = {:.6e}; kernel {kernel:.1} s; peak {peak:.2} GB",
            summary["lambda_min"].as_f64().unwrap_or(f64::NAN),
            summary["lambda_max"].as_f64().unwrap_or(f64::NAN),
        );
        tasks.push(Task::new(
            format!("spectrum_{method}_f64_n{n}"),
            seconds,
            bound,
            note,
        ));
    }
    Ok(tasks)
}
