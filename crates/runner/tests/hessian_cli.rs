//! `overparam hessian` end to end: at a trained quadratic network's final parameters its
//! ‖∂L/∂W‖ equals the gradient norm the training run logged at its last step (the same point,
//! computed by the training loop), its eigenvalues are all m·d of them, ascending, and its
//! finite-difference check passes; networks it does not cover are refused with the reason.

mod common;

use common::{overparam, stderr, workspace};
use overparam_sweep::results::Table;

const QUADRATIC: &str = r#"
seed = 2
[data]
n = 24
d = 3
inputs = "gaussian"
labels = "planted_quadratic"
teacher_width = 2
[model]
width = 6
activation = "quadratic"
output_init = "balanced_sign"
bias_init = 0.0
train_b = false
train_a = false
[train]
steps = 300
lr_w = 0.2
log_every = 100
"#;

#[test]
fn at_a_trained_network_the_gradient_norm_is_the_one_training_logged() {
    let (dir, config) = workspace(QUADRATIC);
    let run = dir.path().join("run");
    let output = overparam(&[
        "train",
        "--config",
        config.to_str().unwrap(),
        "--out",
        run.to_str().unwrap(),
        "--dtype",
        "f64",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = dir.path().join("hessian");
    let output = overparam(&[
        "hessian",
        "--config",
        config.to_str().unwrap(),
        "--init",
        run.join("params_final.npz").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let metrics = Table::read(&run.join("metrics.csv")).unwrap();
    let last = metrics.rows.len() - 1;
    let logged_norm = metrics
        .number(last, metrics.column("grad_norm_w").unwrap())
        .unwrap()
        .unwrap();
    let logged_loss = metrics
        .number(last, metrics.column("loss").unwrap())
        .unwrap()
        .unwrap();
    let norm = summary["gradient_norm"].as_f64().unwrap();
    let loss = summary["loss"].as_f64().unwrap();
    assert!(
        (norm - logged_norm).abs() <= 1e-9 * logged_norm,
        "{norm} vs {logged_norm}"
    );
    assert!(
        (loss - logged_loss).abs() <= 1e-12 * logged_loss.max(1e-300),
        "{loss} vs {logged_loss}"
    );
    assert_eq!(summary["weights"], 18);
    assert!(
        summary["finite_difference"]["relative"].as_f64().unwrap() < 1e-6,
        "{summary}"
    );
    let eigenvalues: ndarray::Array1<f64> =
        ndarray_npy::read_npy(out.join("hessian_eigenvalues.npy")).unwrap();
    assert_eq!(eigenvalues.len(), 18);
    assert!(eigenvalues.windows(2).into_iter().all(|w| w[0] <= w[1]));
    assert_eq!(
        eigenvalues[0],
        summary["hessian_min_eigenvalue"].as_f64().unwrap()
    );
    assert_eq!(
        eigenvalues[17],
        summary["hessian_max_eigenvalue"].as_f64().unwrap()
    );
}

#[test]
fn relu_and_deep_networks_are_refused_with_the_reason() {
    let (_dir, config) = workspace(&QUADRATIC.replace("\"quadratic\"", "\"relu\""));
    let output = overparam(&["hessian", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("twice-differentiable"),
        "{}",
        stderr(&output)
    );
    let (_dir, config) = workspace(&QUADRATIC.replace("width = 6", "widths = [6, 6]"));
    let output = overparam(&["hessian", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("one hidden layer"),
        "{}",
        stderr(&output)
    );
}
