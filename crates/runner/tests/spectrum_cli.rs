//! `overparam ntk --spectrum extremes`: λ_min and λ_max by block Lanczos against the full
//! decomposition of the same kernel, the extremes file, and `--no-kernel-file`.

mod common;

use std::path::Path;

use common::subcommand;
use ndarray::Array1;

fn ntk(dir: &Path, name: &str, extra: &[&str]) -> serde_json::Value {
    let config = dir.join("config.toml");
    // n = 400 > 256: the extremes take the Krylov path, not the small-kernel one.
    std::fs::write(&config, "[data]\nn = 400\nd = 5\n[model]\nwidth = 96\n").unwrap();
    let out = dir.join(name);
    let mut args = vec!["--dtype", "f64", "--method", "closed"];
    args.extend_from_slice(extra);
    let output = subcommand("ntk", &config, &out, &args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn extremes_equal_the_full_spectrum_within_their_residuals() {
    let dir = tempfile::tempdir().unwrap();
    let full = ntk(dir.path(), "full", &["--spectrum", "full"]);
    let extremes = ntk(
        dir.path(),
        "extremes",
        &[
            "--spectrum",
            "extremes",
            "--extremes",
            "3",
            "--no-kernel-file",
        ],
    );
    assert_eq!(full["spectrum_method"], "full");
    assert_eq!(extremes["spectrum_method"], "krylov");
    let eigenvalues: Array1<f64> =
        ndarray_npy::read_npy(dir.path().join("full/eigenvalues.npy")).unwrap();
    let n = eigenvalues.len();
    let lambda_max = eigenvalues[n - 1];
    let file = dir.path().join("extremes/eigenvalues_extreme.npz");
    let mut npz = ndarray_npy::NpzReader::new(std::fs::File::open(&file).unwrap()).unwrap();
    let mut read = |name: &str| -> Array1<f64> { npz.by_name(name).unwrap() };
    let (smallest, smallest_residual) = (read("smallest"), read("smallest_residual"));
    let (largest, largest_residual) = (read("largest"), read("largest_residual"));
    assert_eq!((smallest.len(), largest.len()), (3, 3));
    for k in 0..3 {
        // The residual bounds the distance to an eigenvalue; faer's own full decomposition is
        // accurate to about n ε λ_max.
        let rounding = 1e-13 * n as f64 * lambda_max;
        let error = (smallest[k] - eigenvalues[k]).abs();
        assert!(
            error <= smallest_residual[k] + rounding,
            "λ_{k}: {} vs {}",
            smallest[k],
            eigenvalues[k]
        );
        assert!(
            error <= 1e-6 * eigenvalues[k],
            "λ_{k}: {} vs {}",
            smallest[k],
            eigenvalues[k]
        );
        let error = (largest[k] - eigenvalues[n - 1 - k]).abs();
        assert!(
            error <= largest_residual[k] + rounding,
            "λ_max-{k}: {} vs {}",
            largest[k],
            eigenvalues[n - 1 - k]
        );
    }
    let close = |a: &serde_json::Value, b: &serde_json::Value| {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        (a - b).abs() <= 1e-6 * b.abs()
    };
    assert!(close(&extremes["lambda_min"], &full["lambda_min"]));
    assert!(close(&extremes["lambda_max"], &full["lambda_max"]));
    assert_eq!(
        extremes["extremes"]["smallest"].as_array().unwrap().len(),
        3
    );
    // --no-kernel-file: no kernel, no full spectrum; the full run wrote its kernel.
    assert!(!dir.path().join("extremes/ntk_closed.npy").exists());
    assert!(!dir.path().join("extremes/eigenvalues.npy").exists());
    assert!(dir.path().join("full/ntk_closed.npy").exists());
    assert!(!dir.path().join("full/eigenvalues_extreme.npz").exists());
}

#[test]
fn auto_takes_the_full_decomposition_for_small_kernels() {
    let dir = tempfile::tempdir().unwrap();
    let auto = ntk(dir.path(), "auto", &[]);
    assert_eq!(auto["spectrum_method"], "full");
    assert!(auto.get("extremes").is_none());
}
