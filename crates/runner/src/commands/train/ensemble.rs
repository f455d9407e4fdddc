//! What a batch of seeds says as an ensemble, read back from the seeds' own outputs (so that
//! it is the same whichever way the seeds were trained or resumed): statistics over the seeds
//! for `DIR/summary.json`, and the ensemble-mean initial kernel ⟨K_0⟩ `[n, n]`.

use std::path::Path;

use anyhow::{ensure, Context as _};
use overparam_api::{Experiment, Init};
use overparam_model::NamedArray;
use overparam_sweep::columns::{LAMBDA_MIN, MOVE_A, MOVE_B, MOVE_W};
use overparam_sweep::files::write_atomically_with;
use overparam_trainer::ntk::{ntk, NtkMethod, NtkOptions};
use overparam_trainer::write_npy_array;
use serde_json::{json, Value};

use crate::cli::DeviceArgs;

/// The file ⟨K_0⟩ is written to.
pub(super) const MEAN_KERNEL_FILE: &str = "ntk_mean_initial.npy";

/// Over the seeds whose run finished (`status` ok, in `DIR/seed-<s>/`): count, mean, standard
/// deviation (S − 1 in the denominator; 0 for one seed), min and max of the final loss, of
/// λ_min(K_0) (the `lambda_min` of step 0, where the NTK was tracked) and of the final
/// movements `move_w`, `move_b`, `move_a`; `null` where no seed has the value.
pub(super) fn statistics(dirs: &[std::path::PathBuf]) -> Value {
    let mut columns: Vec<(&str, Vec<f64>)> = ["final_loss", "lambda_min_0", MOVE_W, MOVE_B, MOVE_A]
        .into_iter()
        .map(|name| (name, Vec::new()))
        .collect();
    let finished: Vec<[Option<f64>; 5]> = dirs.iter().filter_map(|d| finished_values(d)).collect();
    for values in &finished {
        for ((_, column), value) in columns.iter_mut().zip(values) {
            column.extend(value.filter(|v| v.is_finite()));
        }
    }
    let mut statistics = json!({ "finished_seeds": finished.len() });
    for (name, values) in columns {
        statistics[name] = describe(&values);
    }
    statistics
}

/// count, mean, std, min, max of `values` (`null` when empty).
fn describe(values: &[f64]) -> Value {
    if values.is_empty() {
        return Value::Null;
    }
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    let std = if values.len() > 1 {
        (squares / (count - 1.0)).sqrt()
    } else {
        0.0
    };
    json!({
        "count": values.len(),
        "mean": mean,
        "std": std,
        "min": values.iter().copied().fold(f64::INFINITY, f64::min),
        "max": values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// A finished seed's final loss, λ_min(K_0) and final movements (w, b, a); `None` when the
/// seed did not finish.
fn finished_values(dir: &Path) -> Option<[Option<f64>; 5]> {
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).ok()?).ok()?;
    if summary["status"] != "ok" {
        return None;
    }
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).ok()?;
    let mut lines = metrics.lines();
    let header: Vec<&str> = lines.next()?.split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let cell = |row: &Vec<&str>, column: &str| {
        let index = header.iter().position(|h| *h == column)?;
        row.get(index)?.parse::<f64>().ok()
    };
    let first = rows.iter().find(|row| row.first() == Some(&"0"));
    let last = rows.last();
    let at = |row: Option<&Vec<&str>>, column| row.and_then(|row| cell(row, column));
    Some([
        summary["final_loss"].as_f64(),
        at(first, LAMBDA_MIN),
        at(last, MOVE_W),
        at(last, MOVE_B),
        at(last, MOVE_A),
    ])
}

/// ⟨K_0⟩ = (1/S) Σ_s K_0(θ_0^(s)) `[n, n]` on the shared inputs: each seed's NTK at its
/// `params_init.npz`, written to `out`/[`MEAN_KERNEL_FILE`]. `experiments` are the seeds'
/// runs (sharing `data.seed`), `dirs` their directories.
pub(super) fn write_mean_kernel(
    out: &Path,
    experiments: &[Experiment],
    dirs: &[std::path::PathBuf],
    device_args: &DeviceArgs,
) -> anyhow::Result<()> {
    let first = experiments.first().context("no seeds")?;
    let dataset = first.dataset()?;
    let n = dataset.num_samples;
    let mut mean = vec![0.0; n * n];
    for (experiment, dir) in experiments.iter().zip(dirs) {
        let device = device_args.compute().device(&experiment.resolved.model)?;
        let init = Init::File(dir.join("params_init.npz"));
        let network = experiment.initial_network(&device, Some(&init))?;
        let method = if network.depth() == 1 {
            NtkMethod::ClosedForm
        } else {
            NtkMethod::Jacobian { block_size: n }
        };
        let options = NtkOptions {
            method,
            on_host: true,
        };
        let kernel = ntk(&network, &dataset.inputs, &options)
            .with_context(|| format!("the NTK of {}", dir.display()))?
            .kernel(None);
        ensure!(
            kernel.len() == n * n,
            "a kernel of {} entries",
            kernel.len()
        );
        for (m, k) in mean.iter_mut().zip(kernel) {
            *m += k;
        }
    }
    let count = experiments.len() as f64;
    mean.iter_mut().for_each(|m| *m /= count);
    let array = NamedArray::new("ntk_mean_initial", vec![n, n], mean)?;
    write_atomically_with(&out.join(MEAN_KERNEL_FILE), |w| write_npy_array(w, &array))
}
