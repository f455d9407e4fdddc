//! End to end on `--backend wgpu`: every subcommand runs there and agrees with flex. Skipped
//! (with a message) where no wgpu device opens, unless `OVERPARAM_REQUIRE_WGPU` is set.
#![cfg(feature = "wgpu")]

mod common;

use std::path::Path;

use common::{overparam, stderr, subcommand};
use ndarray::Array2;
use ndarray_npy::read_npy;

/// Small enough for Mesa's software Vulkan device: 100 steps at n = 32, m = 64.
const SMALL: &str = r#"
seed = 4
[data]
n = 32
d = 8
labels = "teacher"
[model]
width = 64
bias_init = -0.2
[train]
steps = 100
log_every = 10
ntk_every = 50
"#;

/// The wgpu entry of `overparam backends --json`, or `None` (after saying why) where its
/// device does not open and the suite is not required.
fn wgpu_report() -> Option<serde_json::Value> {
    let output = overparam(&["backends", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let wgpu = reports
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["backend"] == "wgpu")
        .unwrap()
        .clone();
    assert_eq!(wgpu["built"], true);
    if wgpu["device"].is_null() {
        let problem = wgpu["problem"].as_str().unwrap_or_default().to_string();
        assert!(
            std::env::var_os("OVERPARAM_REQUIRE_WGPU").is_none(),
            "OVERPARAM_REQUIRE_WGPU is set but wgpu does not open: {problem}"
        );
        eprintln!("skipping: no wgpu device ({problem})");
        return None;
    }
    Some(wgpu)
}

fn supports_f64(report: &serde_json::Value) -> bool {
    report["dtypes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d == "f64")
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// The loss and λ_min columns of a metrics.csv, by row.
fn loss_and_lambda_min(out: &Path) -> Vec<(f64, Option<f64>)> {
    let text = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (loss, lambda_min) = (column("loss"), column("lambda_min"));
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (
                fields[loss].parse().unwrap(),
                fields[lambda_min].parse().ok(),
            )
        })
        .collect()
}

#[test]
fn train_on_wgpu_records_its_device_and_follows_the_flex_run() {
    let Some(report) = wgpu_report() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("small.toml");
    std::fs::write(&config, SMALL).unwrap();
    let run = |backend: &str| {
        let out = dir.path().join(backend);
        let output = subcommand("train", &config, &out, &["--backend", backend]);
        assert!(output.status.success(), "{backend}: {}", stderr(&output));
        out
    };
    let (gpu, cpu) = (run("wgpu"), run("flex"));
    let recorded = summary(&gpu);
    assert_eq!(recorded["backend"], "wgpu");
    assert_eq!(recorded["device"], report["device"]);
    assert_eq!(recorded["status"], "ok");
    // f32 on both sides; the in-process parity suite states the bar (1e-3 after 200 steps).
    for ((gpu_loss, gpu_lambda), (cpu_loss, cpu_lambda)) in loss_and_lambda_min(&gpu)
        .into_iter()
        .zip(loss_and_lambda_min(&cpu))
    {
        assert!(
            (gpu_loss / cpu_loss - 1.0).abs() < 1e-3,
            "{gpu_loss} vs {cpu_loss}"
        );
        assert_eq!(gpu_lambda.is_some(), cpu_lambda.is_some());
    }
}

#[test]
fn ntk_on_wgpu_agrees_with_flex_and_its_three_methods_agree() {
    if wgpu_report().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("small.toml");
    std::fs::write(&config, SMALL).unwrap();
    let kernel = |backend: &str, method: &str| -> Array2<f64> {
        let out = dir.path().join(format!("{backend}-{method}"));
        let output = subcommand(
            "ntk",
            &config,
            &out,
            &["--backend", backend, "--method", method],
        );
        assert!(output.status.success(), "{backend}: {}", stderr(&output));
        read_npy(out.join(format!("ntk_{method}.npy"))).unwrap()
    };
    let reference = kernel("flex", "closed");
    for method in ["closed", "jacobian"] {
        let gpu = kernel("wgpu", method);
        let scale = reference.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let difference = (&gpu - &reference)
            .iter()
            .fold(0.0_f64, |m, v| m.max(v.abs()));
        assert!(
            difference <= 1e-4 * scale,
            "{method}: {difference} vs scale {scale}"
        );
    }
}

#[test]
fn gradcheck_passes_on_wgpu_where_it_has_f64() {
    let Some(report) = wgpu_report() else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("small.toml");
    std::fs::write(&config, SMALL).unwrap();
    let output = overparam(&[
        "gradcheck",
        "--config",
        config.to_str().unwrap(),
        "--backend",
        "wgpu",
        "--max-entries",
        "20",
    ]);
    if supports_f64(&report) {
        assert!(output.status.success(), "{}", stderr(&output));
    } else {
        // No f64 shaders on this device: a clear error, not a panic.
        assert!(!output.status.success());
        let message = stderr(&output);
        assert!(message.contains("does not support f64") && !message.contains("panicked"));
    }
}

#[test]
fn softplus_in_f64_runs_or_is_refused_with_the_reason() {
    let Some(report) = wgpu_report() else { return };
    if !supports_f64(&report) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("small.toml");
    std::fs::write(&config, SMALL).unwrap();
    let output = subcommand(
        "train",
        &config,
        &dir.path().join("out"),
        &[
            "--backend",
            "wgpu",
            "--dtype",
            "f64",
            "--set",
            "model.activation=softplus",
        ],
    );
    let message = stderr(&output);
    assert!(!message.contains("panicked"), "{message}");
    assert!(
        output.status.success() || message.contains("computes the Softplus activation wrongly"),
        "{message}"
    );
}
