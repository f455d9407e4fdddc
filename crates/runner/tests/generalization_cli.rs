//! Held-out points, the linearized network, cross kernels, kernel regression and the NNGP kernel
//! end to end: `overparam train` with `data.n_test` / `data.test_path` / `train.linearized`,
//! `overparam ntk --predict | --ridge | --kernel nngp`, and a width sweep through `sweep run`,
//! `sweep merge` and `plot`, on tiny problems in temporary directories.
//!
//! Numbers are checked against what the test computes itself from the files the binary wrote
//! (kernels, predictions) and from inputs, targets and parameters the test chose (forward
//! passes and kernel-regression solves written out here).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::numerics::{pseudo_random, times};
use common::sweep::{ok, sweep, workspace_with};
use common::{assert_fails_with, overparam, stderr, subcommand, workspace, TINY};

use ndarray::{Array1, Array2};
use overparam_model::NamedArray;
use overparam_sweep::results::Table;
use overparam_trainer::write_npz_arrays;

/// The five columns this feature appends to metrics.csv, in order.
const NEW_COLUMNS: [&str; 5] = [
    "test_loss",
    "loss_lin",
    "test_loss_lin",
    "lin_distance",
    "test_lin_distance",
];

/// [`TINY`] (n = 12, d = 3, m = 16, 30 steps) with `data` added to its `[data]` table, and the
/// linearized network when `linearized`.
fn tiny_with(data: &str, linearized: bool) -> String {
    let text = TINY.replace("\nd = 3\n", &format!("\nd = 3\n{data}"));
    if linearized {
        text + "linearized = true\n"
    } else {
        text
    }
}

/// The tiny run with 5 held-out points and the linearized network.
fn held_out() -> String {
    tiny_with("n_test = 5\n", true)
}

/// The tiny run with its held-out points read from `held_out.npz` beside the config.
fn held_out_file(linearized: bool) -> String {
    tiny_with("test_path = \"held_out.npz\"\n", linearized)
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// `dir/name` holding `text`.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn write_npz(path: &Path, arrays: &[NamedArray]) {
    write_npz_arrays(std::fs::File::create(path).unwrap(), arrays).unwrap();
}

fn array(name: &str, shape: &[usize], values: &[f64]) -> NamedArray {
    NamedArray::new(name, shape.to_vec(), values.to_vec()).unwrap()
}

/// Writes `x` `[rows, d]` and `y` `[rows]` to the `.npz` file `path`.
fn write_xy(path: &Path, d: usize, x: &[f64], y: &[f64]) {
    write_npz(
        path,
        &[array("x", &[x.len() / d, d], x), array("y", &[y.len()], y)],
    );
}

/// Succeeds or shows stderr.
fn succeeded(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

fn metrics(out: &Path) -> Table {
    Table::read(&out.join("metrics.csv")).unwrap()
}

/// The values of `column` (None for an empty field).
fn column(table: &Table, name: &str) -> Vec<Option<f64>> {
    let index = table
        .column(name)
        .unwrap_or_else(|_| panic!("no column {name}"));
    (0..table.rows.len())
        .map(|row| table.number(row, index).unwrap())
        .collect()
}

/// The values of `column`, every one present.
fn filled(table: &Table, name: &str) -> Vec<f64> {
    column(table, name)
        .into_iter()
        .enumerate()
        .map(|(row, v)| v.unwrap_or_else(|| panic!("{name} is empty in row {row}")))
        .collect()
}

fn f64_of(value: &serde_json::Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {value}"))
}

/// |a − b| ≤ rtol · max(|a|, |b|), with the values in the message.
fn assert_relative(a: f64, b: f64, rtol: f64, what: &str) {
    assert!(
        (a - b).abs() <= rtol * a.abs().max(b.abs()),
        "{what}: {a:e} vs {b:e} (relative {:e} > {rtol:e})",
        (a - b).abs() / a.abs().max(b.abs())
    );
}

/// serde_json (without its float_roundtrip feature) may parse a number a few ulps off the value
/// the same text gives `str::parse`; this is the tolerance between a summary.json number and a
/// CSV field written from the same f64.
const JSON_ULPS: f64 = 1e-15;

/// Entrywise |a − b| ≤ tol · max|b|.
fn assert_all_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * scale,
            "{what}[{i}]: {x:e} vs {y:e} (scale {scale:e}, tol {tol:e})"
        );
    }
}

/// A two-layer ReLU network in the NTK parameterization: w1 `[m, d]`, b1 `[m]`, a `[m]`.
struct Network {
    w: Vec<f64>,
    b: Vec<f64>,
    a: Vec<f64>,
    d: usize,
}

impl Network {
    fn new(m: usize, d: usize, seed: u64) -> Self {
        Self {
            w: pseudo_random(seed, m * d).iter().map(|v| 2.0 * v).collect(),
            b: pseudo_random(seed + 1, m).iter().map(|v| 0.3 * v).collect(),
            a: pseudo_random(seed + 2, m).iter().map(|v| 2.0 * v).collect(),
            d,
        }
    }

    fn arrays(&self) -> [NamedArray; 3] {
        let m = self.a.len();
        [
            array("w1", &[m, self.d], &self.w),
            array("b1", &[m], &self.b),
            array("a", &[m], &self.a),
        ]
    }

    /// f(x) = (1/√m) Σ_r a_r relu(w_r·x + b_r) for each row of `x` `[rows, d]`
    /// (crates/model: the first layer is never scaled, s = 1/√m).
    fn outputs(&self, x: &[f64]) -> Vec<f64> {
        let m = self.a.len();
        x.chunks_exact(self.d)
            .map(|row| {
                (0..m)
                    .map(|r| {
                        let z: f64 = (0..self.d)
                            .map(|k| self.w[r * self.d + k] * row[k])
                            .sum::<f64>()
                            + self.b[r];
                        self.a[r] * z.max(0.0)
                    })
                    .sum::<f64>()
                    / (m as f64).sqrt()
            })
            .collect()
    }
}

/// (1/2n) Σ (f − y)².
fn half_mean_squared(f: &[f64], y: &[f64]) -> f64 {
    f.iter().zip(y).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / (2.0 * y.len() as f64)
}

/// The solution of (K + ρI) α = r for `kernel` `[n, n]`, by the direct solve of the tests'
/// numerics.
fn solve(kernel: &Array2<f64>, ridge: f64, rhs: &[f64]) -> Vec<f64> {
    common::numerics::solve(&row_major(kernel), ridge, rhs)
}

/// offset + cross · α, row by row (`cross` `[n_test, n]`).
fn apply(cross: &Array2<f64>, alpha: &[f64], offset: &[f64]) -> Vec<f64> {
    let product = times(&row_major(cross), alpha);
    offset.iter().zip(&product).map(|(f0, k)| f0 + k).collect()
}

/// The entries of `matrix` in row-major order.
fn row_major(matrix: &Array2<f64>) -> Vec<f64> {
    matrix.iter().copied().collect()
}

fn read_matrix(path: &Path) -> Array2<f64> {
    ndarray_npy::read_npy(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The arrays of an .npz file written by `ntk --predict`, by name.
fn read_npz_vectors(path: &Path) -> std::collections::BTreeMap<String, Vec<f64>> {
    let mut reader = ndarray_npy::NpzReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let names = reader.names().unwrap();
    names
        .into_iter()
        .map(|name| {
            let values: Array1<f64> = reader.by_name(&name).unwrap();
            (name.trim_end_matches(".npy").to_string(), values.to_vec())
        })
        .collect()
}

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

// ---------------------------------------------------------------------------------------------
// (d) ntk --predict.

/// Training data (x, y), held-out data and initial parameters chosen here, so that every
/// number of the predictions can be recomputed from the kernels `ntk` writes.
struct PredictionProblem {
    dir: tempfile::TempDir,
    config: PathBuf,
    init: PathBuf,
    network: Network,
    x: Vec<f64>,
    y: Vec<f64>,
    x_test: Vec<f64>,
    y_test: Vec<f64>,
}

const N: usize = 8;
const N_TEST: usize = 4;
const D: usize = 3;
const M: usize = 6;

impl PredictionProblem {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let network = Network::new(M, D, 31);
        let init = dir.path().join("init.npz");
        write_npz(&init, &network.arrays());
        let (x, y) = (pseudo_random(41, N * D), pseudo_random(42, N));
        let (x_test, y_test) = (pseudo_random(43, N_TEST * D), pseudo_random(44, N_TEST));
        write_xy(&dir.path().join("train.npz"), D, &x, &y);
        write_xy(&dir.path().join("test.npz"), D, &x_test, &y_test);
        let config = write(
            dir.path(),
            "config.toml",
            &format!(
                "[data]\nn = {N}\nd = {D}\ninputs = \"file\"\nlabels = \"file\"\npath = \"train.npz\"\ntest_path = \"test.npz\"\n[model]\nwidth = {M}\n"
            ),
        );
        Self {
            dir,
            config,
            init,
            network,
            x,
            y,
            x_test,
            y_test,
        }
    }

    /// `overparam ntk --dtype f64 --init init.npz EXTRA…` into `dir/<name>`.
    fn ntk(&self, name: &str, extra: &[&str]) -> (Output, PathBuf) {
        let out = self.dir.path().join(name);
        let mut args = vec!["--dtype", "f64", "--init", self.init.to_str().unwrap()];
        args.extend_from_slice(extra);
        (subcommand("ntk", &self.config, &out, &args), out)
    }
}

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
