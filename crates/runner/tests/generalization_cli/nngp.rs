//! `overparam ntk --kernel nngp`: the kernels written, what is refused, and the posterior-mean
//! predictions.

use super::*;

// ---------------------------------------------------------------------------------------------
// (e) ntk --kernel nngp.

#[test]
fn nngp_kernels_are_written_symmetric_with_the_right_diagonal() {
    let n = 10;
    let (dir, config) = workspace(&format!(
        "seed = 3\n[data]\nn = {n}\nd = 3\n[model]\nwidth = 64\n"
    ));
    let out = dir.path().join("out");
    succeeded(&subcommand(
        "ntk",
        &config,
        &out,
        &["--kernel", "nngp", "--ensemble", "16", "--dtype", "f64"],
    ));
    let s = summary(&out);
    assert_eq!(s["kernel_kind"], "nngp");
    assert_eq!(s["methods"], serde_json::json!(["empirical", "analytic"]));
    assert!(!out.join("ntk_closed.npy").exists());
    let empirical = read_matrix(&out.join("nngp_empirical.npy"));
    let analytic = read_matrix(&out.join("nngp_analytic.npy"));
    for (name, kernel) in [("empirical", &empirical), ("analytic", &analytic)] {
        assert_eq!(kernel.dim(), (n, n), "{name}");
        let scale = kernel.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            scale > 0.0 && kernel.iter().all(|v| v.is_finite()),
            "{name}"
        );
        for i in 0..n {
            for j in 0..n {
                assert!(
                    (kernel[[i, j]] - kernel[[j, i]]).abs() <= 1e-14 * scale,
                    "{name} is not symmetric at [{i},{j}]"
                );
            }
            // A mean of squares is nonnegative.
            assert!(kernel[[i, i]] >= 0.0, "{name}[{i},{i}]");
        }
    }
    // Inputs on the unit sphere, bias 0, a ~ N(0, 1): E[f(x)²] = E[relu(w·x)²] = ‖x‖²/2 = 1/2,
    // and the ReLU NNGP is nonnegative off the diagonal.
    for i in 0..n {
        assert!(
            (analytic[[i, i]] - 0.5).abs() < 1e-12,
            "{}",
            analytic[[i, i]]
        );
        for j in 0..n {
            assert!(analytic[[i, j]] >= 0.0 && analytic[[i, j]] <= 0.5 + 1e-12);
        }
    }
    // 16 networks average to something near, not equal to, the limit.
    let gap = empirical
        .iter()
        .zip(&analytic)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(gap > 1e-6 && gap < 2.0, "empirical vs analytic: {gap:e}");

    // One network: the empirical kernel is f fᵀ of that network, rank one: K_ij² = K_ii K_jj.
    let single = dir.path().join("single");
    succeeded(&subcommand(
        "ntk",
        &config,
        &single,
        &[
            "--kernel",
            "nngp",
            "--ensemble",
            "1",
            "--dtype",
            "f64",
            "--method",
            "jacobian",
        ],
    ));
    let one = read_matrix(&single.join("nngp_empirical.npy"));
    for i in 0..n {
        for j in 0..n {
            assert_relative(
                one[[i, j]].powi(2),
                one[[i, i]] * one[[j, j]],
                1e-12,
                &format!("rank one at [{i},{j}]"),
            );
        }
    }
    assert!(
        (0..n).any(|i| (one[[i, i]] - empirical[[i, i]]).abs() > 1e-9),
        "--ensemble 16 averages more than one network"
    );
}

#[test]
fn nngp_refuses_learning_rate_weighting_and_given_parameters() {
    let (dir, config) = workspace("seed = 3\n[data]\nn = 6\nd = 3\n[model]\nwidth = 8\n");
    let out = dir.path().join("out");
    assert_fails_with(
        &subcommand("ntk", &config, &out, &["--kernel", "nngp", "--lr-weighted"]),
        &["NNGP", "learning-rate"],
    );
    let init = dir.path().join("init.npz");
    write_npz(&init, &Network::new(8, 3, 1).arrays());
    assert_fails_with(
        &subcommand(
            "ntk",
            &config,
            &out,
            &["--kernel", "nngp", "--init", init.to_str().unwrap()],
        ),
        &["NNGP"],
    );
    let output = subcommand(
        "ntk",
        &config,
        &out,
        &["--kernel", "nngp", "--ensemble", "0"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

/// NNGP predictions on held-out points: the Gaussian-process posterior mean
/// K(X_test, X) (K + ρI)⁻¹ y, without an f_0 offset, from the written kernels.
#[test]
fn nngp_predictions_are_the_posterior_mean() {
    let problem = PredictionProblem::new();
    // --init is refused for the NNGP kernel: predictions on the config's (file) data.
    let out = problem.dir.path().join("nngp");
    succeeded(&subcommand(
        "ntk",
        &problem.config,
        &out,
        &[
            "--kernel",
            "nngp",
            "--ensemble",
            "8",
            "--dtype",
            "f64",
            "--predict",
            "--ridge",
            "0.01",
        ],
    ));
    let predictions = read_npz_vectors(&out.join("predictions.npz"));
    for method in ["empirical", "analytic"] {
        let kernel = read_matrix(&out.join(format!("nngp_{method}.npy")));
        let cross = read_matrix(&out.join(format!("nngp_{method}_cross.npy")));
        assert_eq!(cross.dim(), (N_TEST, N));
        let expected = apply(&cross, &solve(&kernel, 0.01, &problem.y), &[0.0; N_TEST]);
        assert_all_close(
            &predictions[&format!("prediction_{method}")],
            &expected,
            1e-8,
            &format!("NNGP {method} prediction"),
        );
    }
}
