//! Sweeps for the end-to-end tests: a tiny base config and spec in a temporary directory,
//! `overparam sweep VERB`, and the manifest and results tables it writes.

use std::path::{Path, PathBuf};
use std::process::Output;

use overparam_sweep::results::Table;

use super::{overparam, stderr};

pub const BASE: &str = r#"
seed = 0
[data]
n = 16
d = 4
[model]
width = 8
[train]
steps = 200
log_every = 20
target_loss = 1e-3
ntk_every = 100
"#;

/// 2 widths × 2 n × 2 seeds.
pub const SPEC: &str = r#"
base = "base.toml"
[grid]
"model.width" = [8, 64]
"data.n" = [8, 16]
seed = [0, 1]
"#;

/// A temporary directory with base.toml ([`BASE`]) and spec.toml (`spec` text); returns it,
/// the spec path and the sweep directory.
pub fn workspace(spec: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    workspace_with(BASE, spec)
}

/// [`workspace`] with `base` as base.toml.
pub fn workspace_with(base: &str, spec: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.toml"), base).unwrap();
    let spec_path = dir.path().join("spec.toml");
    std::fs::write(&spec_path, spec).unwrap();
    let out = dir.path().join("sweep");
    (dir, spec_path, out)
}

pub fn sweep(verb: &str, spec: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "sweep",
        verb,
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    overparam(&args)
}

pub fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn manifest(out: &Path) -> Table {
    Table::read(&out.join("manifest.csv")).unwrap()
}

pub fn statuses(out: &Path) -> Vec<String> {
    let table = manifest(out);
    let column = table.column("status").unwrap();
    table.rows.iter().map(|row| row[column].clone()).collect()
}

/// results.csv without its wall-time column (the one field that differs between runs).
pub fn results_without_wall_time(out: &Path) -> Table {
    let mut table = Table::read(&out.join("results.csv")).unwrap();
    let wall = table.column("wall_s").unwrap();
    table.columns.remove(wall);
    for row in &mut table.rows {
        row.remove(wall);
    }
    table
}
