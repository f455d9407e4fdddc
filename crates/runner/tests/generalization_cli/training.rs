//! `overparam train` with held-out points and the linearized network: the new columns, the
//! summary, reproducibility and bad held-out data.

use super::*;

// ---------------------------------------------------------------------------------------------
// (a) train: the new metrics.csv columns and summary fields.

/// With held-out points and the linearized network, every logged row has the five new columns;
/// at step 0 the linearized network is the network itself; the summary's final values are the
/// last row's; the training columns are those of the run without held-out points (the held-out
/// draw has its own RNG streams); without held-out points the columns are empty.
#[test]
fn held_out_and_linearized_columns_fill_metrics_and_summary() {
    let (dir, config) = workspace(&held_out());
    let out = dir.path().join("out");
    succeeded(&subcommand("train", &config, &out, &[]));

    let table = metrics(&out);
    let header = &table.columns;
    assert_eq!(header.len(), 20, "{header:?}");
    assert_eq!(header[header.len() - 5..], NEW_COLUMNS, "{header:?}");
    assert_eq!(
        header,
        &overparam_sweep::columns::METRIC_COLUMNS.to_vec(),
        "metrics.csv's header is the documented column list"
    );
    assert_eq!(filled(&table, "step"), [0.0, 10.0, 20.0, 30.0]);
    let loss = filled(&table, "loss");
    let (test_loss, loss_lin, test_loss_lin, lin_distance, test_lin_distance) = (
        filled(&table, "test_loss"),
        filled(&table, "loss_lin"),
        filled(&table, "test_loss_lin"),
        filled(&table, "lin_distance"),
        filled(&table, "test_lin_distance"),
    );
    for values in [
        &test_loss,
        &loss_lin,
        &test_loss_lin,
        &lin_distance,
        &test_lin_distance,
    ] {
        assert!(values.iter().all(|v| v.is_finite() && *v >= 0.0));
    }

    // Step 0, default dtype f32 (summary.json says so below). The linearized outputs at step 0
    // are f_0 itself, reconstructed in f64 as y + V Vᵀ (f_0 − y) from the eigenvectors V of
    // K_η, against the same f32 forward pass of θ_0 converted to f64: the only difference is
    // the f64 rounding of that orthogonal reconstruction, ~n·2⁻⁵³ ≈ 1e-15 relative to
    // ‖f_0 − y‖ (the distance's scale). 1e-10 leaves 5 decades of margin and is still 10⁹
    // below the distance one step of training makes (≈ 0.1 at step 10).
    assert!(
        lin_distance[0] <= 1e-10,
        "lin_distance(0) = {:e}",
        lin_distance[0]
    );
    assert!(
        test_lin_distance[0] <= 1e-10,
        "test_lin_distance(0) = {:e}",
        test_lin_distance[0]
    );
    assert!(lin_distance[3] > 1e-3, "training moves the network off f_0");
    // loss is the f32 engine's loss; loss_lin is computed in f64 from an f32 forward pass of
    // the same θ_0 (on [X; X_test], so blocked differently). Each output is a sum of m = 16
    // products of f32 numbers, relative error ≤ ~(m + d + 2)·2⁻²⁴ ≈ 1.3e-6 of its terms'
    // magnitudes; the loss, quadratic in residuals of size O(|f|) at initialization, inherits
    // at most a few times that. rtol 1e-5 covers it; an off-by-one step (the loss halves
    // within a few steps here) or a wrong normalization is ≥ 1e-2 away.
    assert_relative(loss_lin[0], loss[0], 1e-5, "loss_lin(0) vs loss(0)");
    // test_loss and test_loss_lin at step 0 are both (1/2n_test) Σ (f_0(x) − y)² in f64 over
    // the same f32 outputs: equal up to f64 summation order.
    assert_relative(
        test_loss_lin[0],
        test_loss[0],
        1e-12,
        "test_loss_lin(0) vs test_loss(0)",
    );

    let s = summary(&out);
    assert_eq!(s["dtype"], "f32");
    assert_eq!(s["status"], "ok");
    let last = table.rows.len() - 1;
    assert_relative(
        f64_of(&s["final_test_loss"], "final_test_loss"),
        test_loss[last],
        JSON_ULPS,
        "final_test_loss vs the last row's test_loss",
    );
    let linearized = &s["final_linearized"];
    for (key, values) in [
        ("loss_lin", &loss_lin),
        ("test_loss_lin", &test_loss_lin),
        ("lin_distance", &lin_distance),
        ("test_lin_distance", &test_lin_distance),
    ] {
        assert_relative(
            f64_of(&linearized[key], key),
            values[last],
            JSON_ULPS,
            &format!("final_linearized.{key} vs the last row"),
        );
    }
    let regression = &s["kernel_regression"];
    let analytic = f64_of(&regression["analytic_test_loss"], "analytic_test_loss");
    let expected = f64_of(
        &regression["analytic_expected_test_loss"],
        "analytic_expected_test_loss",
    );
    let condition = f64_of(
        &regression["analytic_condition_number"],
        "analytic_condition_number",
    );
    assert!(analytic > 0.0 && analytic.is_finite(), "{regression}");
    // The expected loss adds half a variance (≥ 0) to the mean prediction's loss.
    assert!(expected >= analytic, "{regression}");
    assert!((1.0..1e12).contains(&condition), "{regression}");

    // The same run without held-out points: identical training columns, empty new ones, no
    // held-out summary fields.
    let plain = write(dir.path(), "plain.toml", TINY);
    let plain_out = dir.path().join("plain");
    succeeded(&subcommand("train", &plain, &plain_out, &[]));
    let plain_table = metrics(&plain_out);
    assert_eq!(plain_table.columns, table.columns);
    for (row, (with, without)) in table.rows.iter().zip(&plain_table.rows).enumerate() {
        assert_eq!(
            with[..15],
            without[..15],
            "row {row}: held-out points changed the training run"
        );
        assert!(
            without[15..].iter().all(String::is_empty),
            "row {row}: {:?}",
            &without[15..]
        );
    }
    let plain_summary = summary(&plain_out);
    for key in ["final_test_loss", "final_linearized", "kernel_regression"] {
        assert!(
            plain_summary.get(key).is_none(),
            "{key} without held-out points or linearization: {}",
            plain_summary[key]
        );
    }
}

/// In f64 the linearized network's step-0 loss is the network's loss to f64 rounding, and the
/// held-out loss at step 0 is (1/2n_test) Σ (f_0 − y)² of the given parameters and held-out file
/// (written out here); data.test_path is relative to the config file, not the working directory.
#[test]
fn test_path_held_out_loss_is_the_given_networks_loss_in_f64() {
    let text = held_out_file(true);
    let (dir, config) = workspace(&text);
    let (m, d, n_test) = (16, 3, 5);
    let network = Network::new(m, d, 11);
    let init = dir.path().join("init.npz");
    write_npz(&init, &network.arrays());
    let x_test = pseudo_random(21, n_test * d);
    let y_test = pseudo_random(22, n_test);
    write_xy(&dir.path().join("held_out.npz"), d, &x_test, &y_test);
    let out = dir.path().join("out");
    succeeded(&subcommand(
        "train",
        &config,
        &out,
        &["--dtype", "f64", "--init", init.to_str().unwrap()],
    ));
    let table = metrics(&out);
    let hand = half_mean_squared(&network.outputs(&x_test), &y_test);
    // 16-term sums of O(1) f64 products in another order: ~1e-15 relative.
    assert_relative(
        filled(&table, "test_loss")[0],
        hand,
        1e-12,
        "test_loss(0) vs the hand-computed held-out loss",
    );
    assert_relative(
        filled(&table, "test_loss_lin")[0],
        hand,
        1e-12,
        "test_loss_lin(0) vs the hand-computed held-out loss",
    );
    assert_relative(
        filled(&table, "loss_lin")[0],
        filled(&table, "loss")[0],
        1e-12,
        "f64: loss_lin(0) vs loss(0)",
    );
    assert!(filled(&table, "lin_distance")[0] <= 1e-12);
    assert_eq!(summary(&out)["dtype"], "f64");

    // n_test given as well must equal the file's rows.
    let matching = write(
        dir.path(),
        "matching.toml",
        &text.replace("[model]", "n_test = 5\n[model]"),
    );
    succeeded(&subcommand(
        "train",
        &matching,
        &dir.path().join("matching"),
        &[],
    ));
    let other = write(
        dir.path(),
        "other.toml",
        &text.replace("[model]", "n_test = 6\n[model]"),
    );
    assert_fails_with(
        &subcommand("train", &other, &dir.path().join("other"), &[]),
        &["held_out.npz", "`x`", "[5, 3]", "[6, 3]"],
    );
}

/// The same seed twice: identical metrics.csv, held-out and linearized columns included.
#[test]
fn held_out_runs_are_reproducible() {
    let (dir, config) = workspace(&held_out());
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    for out in [&first, &second] {
        succeeded(&subcommand("train", &config, out, &[]));
    }
    let text = std::fs::read_to_string(first.join("metrics.csv")).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(second.join("metrics.csv")).unwrap()
    );
    assert!(
        !text
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(15)
            .unwrap()
            .is_empty(),
        "the compared file has held-out values"
    );
    // Another seed draws other held-out points: the comparison above can fail.
    let other = dir.path().join("other");
    succeeded(&subcommand("train", &config, &other, &["--set", "seed=4"]));
    let other_table = metrics(&other);
    assert_ne!(
        filled(&other_table, "test_loss"),
        filled(&metrics(&first), "test_loss")
    );
}

/// A non-finite held-out loss (targets near f64's largest value overflow the square) is a
/// divergence naming the column, with the summary recording the failure.
#[test]
fn an_overflowing_held_out_loss_fails_the_run_naming_the_column() {
    let (dir, config) = workspace(&held_out_file(false));
    let d = 3;
    write_xy(
        &dir.path().join("held_out.npz"),
        d,
        &pseudo_random(5, 2 * d),
        &[0.5, 1e300],
    );
    let out = dir.path().join("out");
    let output = subcommand("train", &config, &out, &["--dtype", "f64"]);
    assert_fails_with(&output, &["diverged", "test_loss"]);
    let s = summary(&out);
    assert_eq!(s["status"], "failed");
    assert!(
        s["error"].as_str().unwrap().contains("test_loss"),
        "{}",
        s["error"]
    );
}

// ---------------------------------------------------------------------------------------------
// (c) data.test_path errors.

#[test]
fn bad_held_out_files_and_keys_are_errors_naming_the_file_array_and_key() {
    let (dir, config) = workspace(&held_out_file(false));
    let held_out = dir.path().join("held_out.npz");
    let out = dir.path().join("out");

    // x with d = 4 where the config has d = 3.
    write_xy(&held_out, 4, &pseudo_random(1, 20), &pseudo_random(2, 5));
    let output = subcommand("train", &config, &out, &[]);
    assert_fails_with(&output, &["held_out.npz", "`x`", "[5, 4]", "[5, 3]"]);
    assert!(
        stderr(&output).contains(&dir.path().display().to_string()),
        "the file is named by its path (relative to the config file, resolved): {}",
        stderr(&output)
    );

    // NaN in y.
    let mut y = pseudo_random(2, 5);
    y[3] = f64::NAN;
    write_xy(&held_out, 3, &pseudo_random(1, 15), &y);
    assert_fails_with(
        &subcommand("train", &config, &out, &[]),
        &["held_out.npz", "`y`", "NaN"],
    );

    // y of the wrong length.
    write_xy(&held_out, 3, &pseudo_random(1, 15), &pseudo_random(2, 4));
    assert_fails_with(
        &subcommand("train", &config, &out, &[]),
        &["held_out.npz", "`y`"],
    );

    // A missing file.
    std::fs::remove_file(&held_out).unwrap();
    assert_fails_with(&subcommand("train", &config, &out, &[]), &["held_out.npz"]);

    // n_test draws from the data's law, which file inputs do not have.
    let train_data = dir.path().join("train.npz");
    write_xy(&train_data, 3, &pseudo_random(3, 36), &pseudo_random(4, 12));
    for labels in ["", "labels = \"file\"\n"] {
        let text = tiny_with(
            &format!("n_test = 5\ninputs = \"file\"\n{labels}path = \"train.npz\"\n"),
            true,
        );
        let config = write(dir.path(), "file_inputs.toml", &text);
        assert_fails_with(
            &subcommand("train", &config, &out, &[]),
            &["data.n_test", "data.test_path"],
        );
    }
}
