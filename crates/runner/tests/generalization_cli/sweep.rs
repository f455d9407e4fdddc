//! A width sweep through `sweep run`, `sweep merge` and `plot` fills the generalization columns
//! and draws their figure.

use super::*;

// ---------------------------------------------------------------------------------------------
// (f) A width sweep: run, merge, plot.

/// The sweep tests' base config (`common::sweep::BASE`: n = 16, d = 4, m = 8) shortened to 40
/// steps logged every 10, without its target loss and NTK tracking.
fn sweep_base() -> String {
    common::sweep::BASE
        .replace("steps = 200\n", "steps = 40\n")
        .replace("log_every = 20\n", "log_every = 10\n")
        .replace("target_loss = 1e-3\nntk_every = 100\n", "")
}

const SWEEP_SPEC: &str = r#"
base = "base.toml"
[grid]
"model.width" = [8, 32]
seed = [0]
"data.n_test" = [8]
"train.linearized" = [true]
"#;

/// The new results.csv columns are each run's summary values; the infinite-width kernel
/// regression losses are the same for both widths (same seed, same points, K∞ has no width);
/// `plot` draws generalization_vs_width. A sweep without held-out points leaves the columns
/// empty and the plot skipped with a reason.
#[test]
fn a_width_sweep_fills_the_generalization_columns_and_plot() {
    let (_dir, spec, out) = workspace_with(&sweep_base(), SWEEP_SPEC);
    let report = ok(sweep("run", &spec, &out, &[]));
    assert!(report.contains("2 ran ok"), "{report}");
    ok(overparam(&["sweep", "merge", out.to_str().unwrap()]));
    let results = Table::read(&out.join("results.csv")).unwrap();
    assert_eq!(results.rows.len(), 2);
    let by_summary = [
        ("final_test_loss", vec!["final_test_loss"]),
        ("loss_lin", vec!["final_linearized", "loss_lin"]),
        ("test_loss_lin", vec!["final_linearized", "test_loss_lin"]),
        ("lin_distance", vec!["final_linearized", "lin_distance"]),
        (
            "test_lin_distance",
            vec!["final_linearized", "test_lin_distance"],
        ),
        (
            "kernel_regression_test_loss",
            vec!["kernel_regression", "analytic_test_loss"],
        ),
        (
            "kernel_regression_expected_test_loss",
            vec!["kernel_regression", "analytic_expected_test_loss"],
        ),
    ];
    let run_id = results.column("run_id").unwrap();
    for (name, path) in &by_summary {
        let values = filled(&results, name);
        for (row, value) in values.iter().enumerate() {
            assert!(value.is_finite() && *value >= 0.0, "{name} of row {row}");
            let run = out.join("runs").join(&results.rows[row][run_id]);
            let mut field = summary(&run);
            for key in path {
                field = field[*key].clone();
            }
            assert_relative(
                *value,
                f64_of(&field, name),
                JSON_ULPS,
                &format!("{name} of row {row} vs its run's summary.json"),
            );
        }
    }
    for name in [
        "kernel_regression_test_loss",
        "kernel_regression_expected_test_loss",
    ] {
        let values = filled(&results, name);
        assert_eq!(values[0], values[1], "{name} does not depend on the width");
    }
    let distances = filled(&results, "lin_distance");
    assert_ne!(
        distances[0], distances[1],
        "the two widths are different runs"
    );

    let plots = ok(overparam(&["plot", out.to_str().unwrap()]));
    for extension in ["svg", "png"] {
        let path = out
            .join("plots")
            .join(format!("generalization_vs_width.{extension}"));
        assert!(path.metadata().is_ok_and(|m| m.len() > 0), "{plots}");
    }
    let svg = std::fs::read_to_string(out.join("plots/generalization_vs_width.svg")).unwrap();
    assert!(svg.contains("<svg"), "an SVG document");

    // Without held-out points or the linearized network.
    let (_plain_dir, plain_spec, plain_out) = workspace_with(
        &sweep_base(),
        &SWEEP_SPEC
            .replace("\"data.n_test\" = [8]\n", "")
            .replace("\"train.linearized\" = [true]\n", ""),
    );
    ok(sweep("run", &plain_spec, &plain_out, &[]));
    ok(overparam(&["sweep", "merge", plain_out.to_str().unwrap()]));
    let plain = Table::read(&plain_out.join("results.csv")).unwrap();
    for (name, _) in &by_summary {
        assert!(
            column(&plain, name).iter().all(Option::is_none),
            "{name} is empty without held-out points"
        );
    }
    let plots = ok(overparam(&["plot", plain_out.to_str().unwrap()]));
    assert!(!plain_out.join("plots/generalization_vs_width.svg").exists());
    assert!(
        plots.contains("skipped generalization_vs_width"),
        "the skip is reported: {plots}"
    );
}

/// A sweep's runs each get a config.toml in runs/<id>/: a relative data.test_path of the base
/// config (relative to the base config's directory, like data.path) must still name the same
/// file there. Run from the sweep's directory with relative paths, as a user types it.
#[test]
fn a_sweep_base_with_a_relative_test_path_runs_from_its_directory() {
    let (dir, _, out) = workspace_with(
        &sweep_base().replace("d = 4\n", "d = 4\ntest_path = \"held.npz\"\n"),
        "base = \"base.toml\"\n[grid]\n\"model.width\" = [8, 16]\n",
    );
    write_xy(
        &dir.path().join("held.npz"),
        4,
        &pseudo_random(1, 20),
        &pseudo_random(2, 5),
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(["sweep", "run", "spec.toml", "--out", "sweep"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let manifest = std::fs::read_to_string(out.join("manifest.csv")).unwrap_or_default();
    assert!(
        output.status.success(),
        "{}\nmanifest:\n{manifest}",
        stderr(&output)
    );
}

/// `train --resume` of a run with held-out points and the linearized network, SIGKILLed after
/// its first checkpoint, ends with the uninterrupted run's metrics.csv byte for byte (the
/// held-out set and the linearization at θ_0 are rebuilt, not restarted at the checkpoint).
#[test]
fn resume_continues_the_held_out_and_linearized_columns_bit_identically() {
    let (dir, config) = workspace(
        "seed = 5\n[data]\nn = 64\nd = 8\nn_test = 32\n[model]\nwidth = 256\n[train]\nsteps = 30000\nlog_every = 10\ncheckpoint_every = 300\nlinearized = true\n",
    );
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    succeeded(&subcommand("train", &config, &full, &[]));
    let checkpoint = cut.join("checkpoint.json");
    common::kill_when(
        &[
            "train",
            "--config",
            config.to_str().unwrap(),
            "--out",
            cut.to_str().unwrap(),
        ],
        || checkpoint.exists(),
    );
    assert!(
        !cut.join("summary.json").exists(),
        "the run finished before it was killed"
    );
    succeeded(&overparam(&["train", "--resume", cut.to_str().unwrap()]));
    let (a, b) = (
        std::fs::read_to_string(full.join("metrics.csv")).unwrap(),
        std::fs::read_to_string(cut.join("metrics.csv")).unwrap(),
    );
    assert!(a == b, "metrics.csv differs after resuming");
    let (a, b) = (summary(&full), summary(&cut));
    for key in ["final_test_loss", "final_linearized", "kernel_regression"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    assert!(a["final_linearized"]["loss_lin"].is_number());
}

/// With W and b frozen, f = (1/√m) Σ_r a_r relu(w_r·x + b_r) is linear in the trained a: the
/// network is its own linearization, so gradient descent (at a rate ≠ 1, which K_η must carry)
/// keeps lin_distance and test_lin_distance at f64 rounding (~1e-15) at every step while the
/// loss falls, and the linearized losses are the network's.
#[test]
fn a_network_linear_in_its_trained_parameters_is_its_own_linearization() {
    let (dir, config) = workspace(&held_out().replace(
        "[train]",
        "train_w = false\ntrain_b = false\n[train]\nlr_a = 3.0",
    ));
    let out = dir.path().join("out");
    succeeded(&subcommand("train", &config, &out, &["--dtype", "f64"]));
    let table = metrics(&out);
    let loss = filled(&table, "loss");
    assert!(loss[3] < 0.1 * loss[0], "training happened: {loss:?}");
    for (name, reference) in [("loss_lin", "loss"), ("test_loss_lin", "test_loss")] {
        for (row, (lin, net)) in filled(&table, name)
            .iter()
            .zip(filled(&table, reference))
            .enumerate()
        {
            assert_relative(
                *lin,
                net,
                1e-12,
                &format!("{name} vs {reference}, row {row}"),
            );
        }
    }
    for name in ["lin_distance", "test_lin_distance"] {
        for (row, value) in filled(&table, name).iter().enumerate() {
            assert!(*value <= 1e-12, "{name} at row {row}: {value:e}");
        }
    }
}

/// A held-out file without rows is refused when it is read, naming the file: not a panic
/// (with the linearized network) nor a "divergence" of an empty mean (NaN) at step 0.
#[test]
fn an_empty_held_out_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write_xy(&dir.path().join("held_out.npz"), 3, &[], &[]);
    for (name, text) in [
        ("linearized", held_out_file(true)),
        ("plain", held_out_file(false)),
    ] {
        let config = write(dir.path(), &format!("{name}.toml"), &text);
        let output = subcommand("train", &config, &dir.path().join(name), &[]);
        assert_fails_with(&output, &["held_out.npz"]);
        assert!(
            !stderr(&output).contains("diverged"),
            "{name}: {}",
            stderr(&output)
        );
    }
}
