//! End to end: `overparam ntk` on tiny problems in temporary directories.

mod common;

use std::path::Path;
use std::process::Output;

use common::subcommand;

use ndarray::Array2;
use overparam_model::NamedArray;
use overparam_trainer::write_npz_arrays;

fn ntk(dir: &Path, config_text: &str, extra: &[&str]) -> Output {
    let config = dir.join("config.toml");
    std::fs::write(&config, config_text).unwrap();
    subcommand("ntk", &config, &dir.join("out"), extra)
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("out/summary.json")).unwrap()).unwrap()
}

fn read_matrix(path: &Path) -> Array2<f64> {
    ndarray_npy::read_npy(path).unwrap()
}

#[test]
fn all_methods_agree_and_write_their_kernels() {
    let dir = tempfile::tempdir().unwrap();
    let output = ntk(
        dir.path(),
        "[data]\nn = 10\nd = 3\n[model]\nwidth = 64\n",
        &["--dtype", "f64"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = summary(dir.path());
    assert_eq!(
        summary["methods"],
        serde_json::json!(["jacobian", "closed", "analytic"])
    );
    assert!(summary["agreement"]["jacobian_vs_closed"].as_f64().unwrap() < 1e-12);
    let finite_width = summary["agreement"]["closed_vs_analytic"].as_f64().unwrap();
    assert!(
        finite_width > 1e-4 && finite_width < 1.0,
        "m = 64 is neither exact nor unrelated: {finite_width}"
    );
    for method in ["jacobian", "closed", "analytic"] {
        let kernel = read_matrix(&dir.path().join(format!("out/ntk_{method}.npy")));
        assert_eq!(kernel.dim(), (10, 10));
        assert!(kernel.iter().all(|v| v.is_finite()));
    }
    let eigenvalues: ndarray::Array1<f64> =
        ndarray_npy::read_npy(dir.path().join("out/eigenvalues.npy")).unwrap();
    assert_eq!(eigenvalues.len(), 10);
    assert_eq!(eigenvalues[0], summary["lambda_min"].as_f64().unwrap());
}

/// Weights and inputs made elsewhere: the kernel must be exactly the formula's, here summed
/// in plain loops: K_ij = s² Σ_r [a_r² σ′(z_ir) σ′(z_jr) (x_i·x_j + 1) + σ(z_ir) σ(z_jr)].
#[test]
fn init_and_data_give_the_kernel_of_those_exact_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (w, b, a) = (
        [1.0, -0.5, 0.3, 0.8, -1.2, 0.4],
        [0.1, -0.2, 0.05],
        [0.7, -1.1, 0.4],
    );
    let x = [0.6, -0.3, 0.2, 0.9, -0.5, -0.5, 1.0, 0.0];
    let params = [
        NamedArray::new("w1", vec![3, 2], w.to_vec()).unwrap(),
        NamedArray::new("b1", vec![3], b.to_vec()).unwrap(),
        NamedArray::new("a", vec![3], a.to_vec()).unwrap(),
    ];
    write_npz_arrays(
        std::fs::File::create(dir.path().join("init.npz")).unwrap(),
        &params,
    )
    .unwrap();
    let data = [NamedArray::new("x", vec![4, 2], x.to_vec()).unwrap()];
    write_npz_arrays(
        std::fs::File::create(dir.path().join("x.npz")).unwrap(),
        &data,
    )
    .unwrap();
    let init = dir.path().join("init.npz");
    let inputs = dir.path().join("x.npz");
    let output = ntk(
        dir.path(),
        "[data]\nd = 2\n[model]\nwidth = 3\n",
        &[
            "--dtype",
            "f64",
            "--init",
            init.to_str().unwrap(),
            "--data",
            inputs.to_str().unwrap(),
            "--method",
            "closed",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let kernel = read_matrix(&dir.path().join("out/ntk_closed.npy"));
    let s2 = 1.0 / 3.0; // s = 1/√m
    let z = |i: usize, r: usize| w[2 * r] * x[2 * i] + w[2 * r + 1] * x[2 * i + 1] + b[r];
    for i in 0..4 {
        for j in 0..4 {
            let dot = x[2 * i] * x[2 * j] + x[2 * i + 1] * x[2 * j + 1];
            let expected: f64 = (0..3)
                .map(|r| {
                    let (zi, zj) = (z(i, r), z(j, r));
                    let slopes = f64::from(u8::from(zi > 0.0)) * f64::from(u8::from(zj > 0.0));
                    s2 * (a[r] * a[r] * slopes * (dot + 1.0) + zi.max(0.0) * zj.max(0.0))
                })
                .sum();
            assert!(
                (kernel[[i, j]] - expected).abs() < 1e-14,
                "[{i},{j}] {} vs {expected}",
                kernel[[i, j]]
            );
        }
    }
    assert_eq!(summary(dir.path())["num_samples"], 4);
}

#[test]
fn analytic_is_refused_with_a_reason_or_skipped_under_all() {
    let dir = tempfile::tempdir().unwrap();
    let standard = "[data]\nn = 5\nd = 2\n[model]\nwidth = 8\nparameterization = \"standard\"\n";
    let output = ntk(dir.path(), standard, &["--method", "analytic"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("parameterization = \"ntk\""));
    let output = ntk(dir.path(), standard, &[]);
    assert!(output.status.success());
    assert!(summary(dir.path())["analytic_skipped"]
        .as_str()
        .unwrap()
        .contains("standard"));
}

#[test]
fn data_with_the_wrong_dimension_names_the_array_and_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let data = [NamedArray::new("x", vec![4, 3], vec![0.1; 12]).unwrap()];
    let path = dir.path().join("x.npz");
    write_npz_arrays(std::fs::File::create(&path).unwrap(), &data).unwrap();
    let output = ntk(
        dir.path(),
        "[data]\nd = 2\n",
        &["--data", path.to_str().unwrap()],
    );
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("`x`") && message.contains("[4, 3]") && message.contains("[n, 2]"),
        "{message}"
    );
}

/// Seed 004's sparse regime at small width: λ_min ≈ 0 is reported, never NaN or an error.
#[test]
fn sparse_regime_reports_a_near_zero_lambda_min() {
    let dir = tempfile::tempdir().unwrap();
    let output = ntk(
        dir.path(),
        "[data]\nn = 40\nd = 3\n[model]\nwidth = 8\nbias_init = -3.0\n",
        &["--dtype", "f64", "--method", "closed"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = summary(dir.path());
    assert!(summary["lambda_min"].as_f64().unwrap().abs() < 1e-10);
}
