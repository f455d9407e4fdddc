//! Held-out points, the linearized network, cross kernels, kernel regression and the NNGP kernel
//! end to end: `overparam train` with `data.n_test` / `data.test_path` / `train.linearized`,
//! `overparam ntk --predict | --ridge | --kernel nngp`, and a width sweep through `sweep run`,
//! `sweep merge` and `plot`, on tiny problems in temporary directories.
//!
//! Numbers are checked against what the test computes itself from the files the binary wrote
//! (kernels, predictions) and from inputs, targets and parameters the test chose (forward
//! passes and kernel-regression solves written out here).

#[path = "../common/mod.rs"]
mod common;
mod nngp;
mod predict;
mod sweep;
mod training;

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
