//! `overparam ntk --predict`: cross kernels and kernel-regression predictions against solves
//! made here, the ridge, and the linearized network trained to convergence.

use super::*;

/// `ntk --predict` writes the cross kernels and predictions.npz; the closed and Jacobian
/// predictions agree; each prediction is f_0(X_test) + K(X_test, X) (K + ρI)⁻¹ (y − f_0(X))
/// recomputed here from the written kernels, the chosen y and a hand forward pass (the
/// analytic one without f_0); the summary's losses are those of the written predictions.
#[test]
fn predict_writes_cross_kernels_and_the_kernel_regression_predictions() {
    let problem = PredictionProblem::new();
    let (output, out) = problem.ntk("out", &["--predict"]);
    succeeded(&output);
    let predictions = read_npz_vectors(&out.join("predictions.npz"));
    let names: Vec<&str> = predictions.keys().map(String::as_str).collect();
    for name in [
        "f0_test",
        "y_test",
        "prediction_jacobian",
        "prediction_closed",
        "prediction_analytic",
    ] {
        assert!(
            names.contains(&name),
            "predictions.npz lacks {name}: {names:?}"
        );
        assert_eq!(predictions[name].len(), N_TEST, "{name}");
    }
    assert_eq!(
        predictions["y_test"], problem.y_test,
        "y_test is the file's"
    );
    let f0_train = problem.network.outputs(&problem.x);
    let f0_test = problem.network.outputs(&problem.x_test);
    // f64 sums of 6 products in another order: ~1e-16 relative.
    assert_all_close(&predictions["f0_test"], &f0_test, 1e-13, "f0_test");

    let s = summary(&out);
    assert_eq!(s["kernel_kind"], "ntk");
    let prediction = &s["prediction"];
    assert_eq!(prediction["ridge"], 0.0);
    assert_eq!(prediction["num_test"], N_TEST);
    assert_relative(
        f64_of(&prediction["initial_test_loss"], "initial_test_loss"),
        half_mean_squared(&f0_test, &problem.y_test),
        1e-12,
        "initial_test_loss",
    );

    for method in ["jacobian", "closed", "analytic"] {
        let kernel = read_matrix(&out.join(format!("ntk_{method}.npy")));
        let cross = read_matrix(&out.join(format!("ntk_{method}_cross.npy")));
        assert_eq!(kernel.dim(), (N, N), "{method}");
        assert_eq!(cross.dim(), (N_TEST, N), "{method}");
        let condition = f64_of(&prediction[method]["condition_number"], "condition_number");
        // Below 1e4 the solve loses at most 4 of f64's 16 digits: 1e-9 is safe and the formula
        // with a wrong offset, sign or kernel block is O(1) off.
        assert!(condition < 1e4, "{method}: κ = {condition:e}");
        let (offset_train, offset_test) = match method {
            "analytic" => (vec![0.0; N], vec![0.0; N_TEST]),
            _ => (f0_train.clone(), f0_test.clone()),
        };
        let residual: Vec<f64> = problem
            .y
            .iter()
            .zip(&offset_train)
            .map(|(y, f)| y - f)
            .collect();
        let expected = apply(&cross, &solve(&kernel, 0.0, &residual), &offset_test);
        let written = &predictions[&format!("prediction_{method}")];
        assert_all_close(written, &expected, 1e-9, &format!("prediction_{method}"));
        assert_relative(
            f64_of(&prediction[method]["test_loss"], "test_loss"),
            half_mean_squared(written, &problem.y_test),
            1e-12,
            &format!("{method}: test_loss of the written prediction"),
        );
        let train_loss = f64_of(&prediction[method]["train_loss"], "train_loss");
        assert!(
            train_loss < 1e-20,
            "{method}: without a ridge the training points are interpolated: {train_loss:e}"
        );
    }
    // The kernels agree to ~1e-15 (ntk_cli.rs checks jacobian_vs_closed < 1e-12) and the solve
    // amplifies that by κ < 1e4: 1e-6 relative is a wide bound on rounding.
    assert_all_close(
        &predictions["prediction_jacobian"],
        &predictions["prediction_closed"],
        1e-6,
        "jacobian vs closed prediction",
    );
    // The finite-width prediction is not the infinite-width one: the comparisons above are of
    // different numbers.
    let gap = predictions["prediction_closed"]
        .iter()
        .zip(&predictions["prediction_analytic"])
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(gap > 1e-3, "closed vs analytic prediction: {gap:e}");
}

/// The cross kernel K(X_test, X) is the off-diagonal block of the kernel of the same network on
/// the joint inputs [X; X_test], and K(X, X) its top-left block.
#[test]
fn cross_kernel_is_the_off_diagonal_block_of_the_joint_kernel() {
    let problem = PredictionProblem::new();
    let (output, out) = problem.ntk("out", &["--predict", "--method", "closed"]);
    succeeded(&output);
    let joint_inputs: Vec<f64> = problem.x.iter().chain(&problem.x_test).copied().collect();
    let joint_path = problem.dir.path().join("joint.npz");
    write_npz(&joint_path, &[array("x", &[N + N_TEST, D], &joint_inputs)]);
    let (output, joint_out) = problem.ntk(
        "joint",
        &["--method", "closed", "--data", joint_path.to_str().unwrap()],
    );
    succeeded(&output);
    let joint = read_matrix(&joint_out.join("ntk_closed.npy"));
    let kernel = read_matrix(&out.join("ntk_closed.npy"));
    let cross = read_matrix(&out.join("ntk_closed_cross.npy"));
    let scale = joint.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for i in 0..N_TEST {
        for j in 0..N {
            assert!(
                (cross[[i, j]] - joint[[N + i, j]]).abs() <= 1e-14 * scale,
                "cross[{i},{j}] = {} vs joint[{},{j}] = {}",
                cross[[i, j]],
                N + i,
                joint[[N + i, j]]
            );
        }
    }
    for i in 0..N {
        for j in 0..N {
            assert!((kernel[[i, j]] - joint[[i, j]]).abs() <= 1e-14 * scale);
        }
    }
}

/// With --ridge ρ the predictions solve (K + ρI): recomputed here; the training points are no
/// longer interpolated and the summary records ρ.
#[test]
fn ridge_enters_the_solve() {
    let problem = PredictionProblem::new();
    let ridge = 0.5;
    let (output, out) = problem.ntk(
        "out",
        &["--predict", "--ridge", "0.5", "--method", "closed"],
    );
    succeeded(&output);
    let s = summary(&out);
    assert_eq!(s["prediction"]["ridge"], ridge);
    let train_loss = f64_of(&s["prediction"]["closed"]["train_loss"], "train_loss");
    assert!(
        train_loss > 1e-6,
        "ridge leaves a training residual: {train_loss:e}"
    );
    let predictions = read_npz_vectors(&out.join("predictions.npz"));
    let kernel = read_matrix(&out.join("ntk_closed.npy"));
    let cross = read_matrix(&out.join("ntk_closed_cross.npy"));
    let f0_train = problem.network.outputs(&problem.x);
    let residual: Vec<f64> = problem
        .y
        .iter()
        .zip(&f0_train)
        .map(|(y, f)| y - f)
        .collect();
    let f0_test = problem.network.outputs(&problem.x_test);
    let expected = apply(&cross, &solve(&kernel, ridge, &residual), &f0_test);
    assert_all_close(
        &predictions["prediction_closed"],
        &expected,
        1e-10,
        "prediction with ridge 0.5",
    );
    let unridged = apply(&cross, &solve(&kernel, 0.0, &residual), &f0_test);
    let gap = unridged
        .iter()
        .zip(&expected)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(gap > 1e-4, "ρ = 0.5 changes the prediction: {gap:e}");
    // The fitted training values f_0 + K (K + ρI)⁻¹ r leave ρ (K + ρI)⁻¹ r as residual.
    let alpha = solve(&kernel, ridge, &residual);
    let hand_train_loss = alpha.iter().map(|a| (ridge * a).powi(2)).sum::<f64>() / (2.0 * N as f64);
    assert_relative(train_loss, hand_train_loss, 1e-9, "train_loss with ridge");
}

#[test]
fn predict_needs_held_out_points_and_ridge_needs_predict() {
    let (dir, config) = workspace(TINY);
    let out = dir.path().join("out");
    let output = subcommand("ntk", &config, &out, &["--predict"]);
    assert_fails_with(&output, &["data.n_test"]);
    assert!(!out.join("predictions.npz").exists());

    let output = subcommand("ntk", &config, &out, &["--ridge", "0.1"]);
    assert!(!output.status.success());
    assert_eq!(
        output.status.code(),
        Some(2),
        "a usage error: {}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("--predict"), "{}", stderr(&output));

    let held_out = write(
        dir.path(),
        "held_out.toml",
        &tiny_with("n_test = 4\n", false),
    );
    assert_fails_with(
        &subcommand("ntk", &held_out, &out, &["--predict", "--ridge=-1"]),
        &["ridge"],
    );
    // Without --predict no cross kernels or predictions are written, held-out points or not.
    succeeded(&subcommand("ntk", &held_out, &out, &[]));
    assert!(!out.join("predictions.npz").exists());
    assert!(!out.join("ntk_closed_cross.npy").exists());
    assert!(summary(&out).get("prediction").is_none());
}

/// Two independent computations of the same limits, with unequal learning rates (so that the
/// learning-rate-weighted kernel K_η differs from K): the linearized network `train` tracks,
/// trained until its training loss is ~0, has the held-out loss of `ntk --predict
/// --lr-weighted` (kernel regression with K_η at θ_0), not that of the unweighted kernel; and
/// `train`'s `kernel_regression.analytic_test_loss` is `ntk --predict --lr-weighted --method
/// analytic`'s (K∞_η) on the same drawn held-out points.
#[test]
fn linearized_training_converges_to_the_kernel_regression_of_ntk_predict() {
    let text = held_out()
        .replace("steps = 30", "steps = 6000")
        .replace("log_every = 10", "log_every = 3000")
        .replace(
            "linearized = true",
            "linearized = true\nlr_a = 0.5\nlr_b = 2.0",
        );
    let (dir, config) = workspace(&text);
    let train_out = dir.path().join("train");
    succeeded(&subcommand(
        "train",
        &config,
        &train_out,
        &["--dtype", "f64"],
    ));
    let table = metrics(&train_out);
    let last = table.rows.len() - 1;
    assert_eq!(filled(&table, "step")[last], 6000.0);
    // (1 − λ_min/n)^t with λ_min ≈ 0.1, n = 12, t = 6000: the residual is e^-50 of f_0 − y.
    assert!(filled(&table, "loss_lin")[last] < 1e-30);
    let test_loss_lin = filled(&table, "test_loss_lin")[last];

    let ntk = |name: &str, extra: &[&str]| -> serde_json::Value {
        let out = dir.path().join(name);
        let mut args = vec!["--predict", "--dtype", "f64"];
        args.extend_from_slice(extra);
        succeeded(&subcommand("ntk", &config, &out, &args));
        summary(&out)["prediction"].clone()
    };
    let weighted = ntk("weighted", &["--lr-weighted", "--method", "closed"]);
    let plain = ntk("plain", &["--method", "closed"]);
    let regression = f64_of(&weighted["closed"]["test_loss"], "weighted test_loss");
    // Both are f_0 + K_η(X_test, X) K_η⁻¹ (y − f_0) in f64 (one as a converged geometric sum in
    // the eigenbasis, one as a solve) with κ ≈ 1e2: agreement to ~1e-13; the unweighted kernel's
    // loss differs in the second digit.
    assert_relative(
        test_loss_lin,
        regression,
        1e-9,
        "linearized network at convergence vs ntk --predict --lr-weighted",
    );
    let unweighted = f64_of(&plain["closed"]["test_loss"], "unweighted test_loss");
    assert!(
        (unweighted - regression).abs() > 1e-2 * regression,
        "K_η and K give different predictions: {unweighted} vs {regression}"
    );

    let analytic = ntk("analytic", &["--lr-weighted", "--method", "analytic"]);
    assert_relative(
        f64_of(
            &summary(&train_out)["kernel_regression"]["analytic_test_loss"],
            "analytic_test_loss",
        ),
        f64_of(
            &analytic["analytic"]["test_loss"],
            "prediction.analytic.test_loss",
        ),
        1e-10,
        "train's analytic kernel-regression loss vs ntk --predict --method analytic",
    );
}
