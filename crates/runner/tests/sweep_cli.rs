//! `overparam sweep plan | run | merge`, `analyze critical-width` and `plot` end to end on
//! tiny sweeps: determinism of the plan, shards, skipping, failures, a SIGKILLed sweep.

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{overparam, stderr};
use overparam_sweep::results::Table;

const BASE: &str = r#"
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
const SPEC: &str = r#"
base = "base.toml"
[grid]
"model.width" = [8, 64]
"data.n" = [8, 16]
seed = [0, 1]
"#;

/// A temporary directory with base.toml and spec.toml (`spec` text); returns it, the spec
/// path and the sweep directory.
fn workspace(spec: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.toml"), BASE).unwrap();
    let spec_path = dir.path().join("spec.toml");
    std::fs::write(&spec_path, spec).unwrap();
    let out = dir.path().join("sweep");
    (dir, spec_path, out)
}

fn sweep(verb: &str, spec: &Path, out: &Path, extra: &[&str]) -> Output {
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

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn manifest(out: &Path) -> Table {
    Table::read(&out.join("manifest.csv")).unwrap()
}

fn statuses(out: &Path) -> Vec<String> {
    let table = manifest(out);
    let column = table.column("status").unwrap();
    table.rows.iter().map(|row| row[column].clone()).collect()
}

/// results.csv without its wall-time column (the one field that differs between runs).
fn results_without_wall_time(out: &Path) -> Table {
    let mut table = Table::read(&out.join("results.csv")).unwrap();
    let wall = table.column("wall_s").unwrap();
    table.columns.remove(wall);
    for row in &mut table.rows {
        row.remove(wall);
    }
    table
}

#[test]
fn plan_is_deterministic_and_checks_every_key_first() {
    let (_dir, spec, out) = workspace(SPEC);
    let first = ok(sweep("plan", &spec, &out, &[]));
    assert!(first.contains("8 runs"), "{first}");
    let text = std::fs::read_to_string(out.join("manifest.csv")).unwrap();
    ok(sweep("plan", &spec, &out, &[]));
    assert_eq!(
        std::fs::read_to_string(out.join("manifest.csv")).unwrap(),
        text
    );
    let table = manifest(&out);
    assert_eq!(
        table.columns,
        [
            "index",
            "run_id",
            "data.n",
            "model.width",
            "seed",
            "status",
            "error"
        ]
    );
    let ids: std::collections::BTreeSet<_> = table.rows.iter().map(|r| r[1].clone()).collect();
    assert_eq!(ids.len(), 8, "run ids are distinct");
    assert_eq!(table.rows[7][2..5], ["16", "64", "1"]);

    let (_dir, spec, out) = workspace(&SPEC.replace("\"model.width\"", "\"model.widht\""));
    let output = sweep("run", &spec, &out, &[]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("model.widht") && message.contains("run 0"),
        "{message}"
    );
    assert!(!out.join("runs").exists(), "nothing ran");

    // train.seeds belongs to `overparam train`; a sweep sweeps `seed`.
    let (_dir, spec, out) = workspace(SPEC);
    std::fs::write(
        spec.with_file_name("base.toml"),
        format!("{BASE}seeds = 3\n"),
    )
    .unwrap();
    let output = sweep("plan", &spec, &out, &[]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("sweep over `seed` instead"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_small_sweep_runs_merges_analyses_and_plots() {
    let (_dir, spec, out) = workspace(SPEC);
    let report = ok(sweep("run", &spec, &out, &["--jobs", "2"]));
    assert!(report.contains("8 ran ok"), "{report}");
    assert!(statuses(&out).iter().all(|s| s == "ok"));
    let again = ok(sweep("run", &spec, &out, &[]));
    assert!(again.contains("0 ran ok, 8 already done"), "{again}");

    ok(overparam(&["sweep", "merge", out.to_str().unwrap()]));
    let results = Table::read(&out.join("results.csv")).unwrap();
    let mut expected = vec!["run_id", "data.n", "model.width", "seed"];
    expected.extend(overparam_sweep::results::RESULT_COLUMNS);
    assert_eq!(results.columns, expected);
    assert_eq!(results.rows.len(), 8);
    for name in [
        "final_loss",
        "lambda_min_0",
        "lambda_max_0",
        "move_w",
        "ntk_drift",
    ] {
        let column = results.column(name).unwrap();
        for row in 0..8 {
            let value = results.number(row, column).unwrap();
            assert!(value.is_some_and(f64::is_finite), "{name} of row {row}");
        }
    }
    // steps_to_target is filled exactly where the final loss reached the target.
    let (loss, steps) = (
        results.column("final_loss").unwrap(),
        results.column("steps_to_target").unwrap(),
    );
    for row in 0..8 {
        let reached = results.number(row, loss).unwrap().unwrap() <= 1e-3;
        assert_eq!(reached, !results.rows[row][steps].is_empty(), "row {row}");
    }

    let analysis = ok(overparam(&[
        "analyze",
        "critical-width",
        out.to_str().unwrap(),
    ]));
    assert!(
        analysis.contains("n = 8") && analysis.contains("n = 16"),
        "{analysis}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("critical_width.json")).unwrap())
            .unwrap();
    for key in ["alpha", "alpha_low", "alpha_high", "points"] {
        assert!(json.get(key).is_some(), "critical_width.json lacks {key}");
    }
    assert!(out.join("critical_width.csv").exists());

    let plots = ok(overparam(&["plot", out.to_str().unwrap()]));
    for name in ["loss_curves", "lambda_min", "movement_vs_width"] {
        for extension in ["svg", "png"] {
            let path = out.join("plots").join(format!("{name}.{extension}"));
            assert!(path.metadata().is_ok_and(|m| m.len() > 0), "{plots}");
        }
    }
}

#[test]
fn shards_cover_the_manifest_once_and_index_runs_one() {
    let (_dir, spec, out) = workspace(SPEC);
    let mut total = 0;
    for shard in ["0/3", "1/3", "2/3"] {
        let report = ok(sweep(
            "run",
            &spec,
            &out,
            &["--shard", shard, "--jobs", "1"],
        ));
        let ran: usize = report
            .split(" ran ok")
            .next()
            .unwrap()
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            report.contains(", 0 already done"),
            "shards overlap: {report}"
        );
        total += ran;
    }
    assert_eq!(total, 8);
    assert!(statuses(&out).iter().all(|s| s == "ok"));

    let (_dir, spec, out) = workspace(SPEC);
    ok(sweep("run", &spec, &out, &["--index", "5"]));
    let done: Vec<usize> = statuses(&out)
        .iter()
        .enumerate()
        .filter(|(_, s)| *s == "ok")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(done, [5]);
    let output = sweep("run", &spec, &out, &["--index", "8"]);
    assert!(stderr(&output).contains("runs 0..7"), "{}", stderr(&output));
    let output = sweep("run", &spec, &out, &["--shard", "3/3"]);
    assert!(
        stderr(&output).contains("I must be in 0..N"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_failed_run_is_recorded_and_the_others_go_on() {
    let spec =
        format!("{SPEC}\n[[zip]]\n\"train.lr_w\" = [1.0, 1e9]\n\"train.lr_a\" = [1.0, 1e9]\n");
    let (_dir, spec, out) = workspace(&spec.replace("seed = [0, 1]", "seed = [0]"));
    let output = sweep("run", &spec, &out, &["--jobs", "2"]);
    assert!(
        !output.status.success(),
        "failures make the exit status non-zero"
    );
    assert!(
        stderr(&output).contains("4 of 8 runs failed"),
        "{}",
        stderr(&output)
    );
    let table = manifest(&out);
    let (lr, status, error) = (
        table.column("train.lr_w").unwrap(),
        table.column("status").unwrap(),
        table.column("error").unwrap(),
    );
    for row in &table.rows {
        if row[lr] == "1.0" {
            assert_eq!(row[status], "ok");
        } else {
            assert_eq!(row[status], "failed");
            assert!(row[error].contains("diverged at step"), "{}", row[error]);
        }
    }
    ok(overparam(&["sweep", "merge", out.to_str().unwrap()]));
    let results = Table::read(&out.join("results.csv")).unwrap();
    assert_eq!(results.rows.len(), 8, "failed runs are merged too");
}

#[test]
fn a_killed_sweep_rerun_gives_the_uninterrupted_results() {
    // Long enough runs with checkpoints, so the kill lands inside a run (~0.1 s each on the
    // fused engine, the first checkpoint at a tenth of it).
    let spec = SPEC.replace("seed = [0, 1]", "seed = [0, 1]\n\"train.steps\" = [20000]\n\"train.checkpoint_every\" = [2000]\n\"train.target_loss\" = [0.0]");
    let (_dir, spec, out) = workspace(&spec);
    let reference = out.with_file_name("reference");
    ok(sweep("run", &spec, &reference, &["--jobs", "2"]));

    let mut child = Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args([
            "sweep",
            "run",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--jobs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    // Kill the whole group (driver and its train child) once a run has finished and a later
    // one has written a checkpoint.
    let started = Instant::now();
    loop {
        let runs = out.join("runs");
        let checkpoints = std::fs::read_dir(&runs).into_iter().flatten().flatten();
        let checkpointed = checkpoints
            .filter(|e| e.path().join("checkpoint.json").exists())
            .count();
        if checkpointed > 0 && statuses(&out).iter().any(|s| s == "ok") {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before it was killed"
        );
        assert!(started.elapsed() < Duration::from_secs(300));
        std::thread::sleep(Duration::from_millis(2));
    }
    let group = format!("-{}", child.id());
    assert!(Command::new("kill")
        .args(["-KILL", "--", &group])
        .status()
        .unwrap()
        .success());
    child.wait().unwrap();
    assert!(
        statuses(&out).iter().any(|s| s == "pending"),
        "the kill came too late"
    );

    let report = ok(sweep("run", &spec, &out, &["--jobs", "2"]));
    assert!(!report.contains(" 0 already done"), "{report}");
    let resumed = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .any(|run| {
            let text = std::fs::read_to_string(run.path().join("summary.json")).unwrap();
            let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
            summary["resumed_from_step"].is_u64()
        });
    assert!(resumed, "the interrupted run continued from its checkpoint");
    for dir in [&out, &reference] {
        ok(overparam(&["sweep", "merge", dir.to_str().unwrap()]));
    }
    assert_eq!(
        results_without_wall_time(&out),
        results_without_wall_time(&reference)
    );
}
