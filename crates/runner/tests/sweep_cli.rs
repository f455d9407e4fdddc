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

/// The pid and command line of every live process whose command line mentions `path`.
fn processes_mentioning(path: &Path) -> Vec<(String, String)> {
    let needle = path.to_str().unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|entry| {
            let bytes = std::fs::read(entry.path().join("cmdline")).ok()?;
            let line = String::from_utf8_lossy(&bytes).replace('\0', " ");
            line.contains(needle)
                .then(|| (entry.file_name().to_string_lossy().into_owned(), line))
        })
        .collect()
}

/// Whether any run directory of the sweep in `out` holds a file named `name`.
fn any_run_has(out: &Path, name: &str) -> bool {
    std::fs::read_dir(out.join("runs"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|run| run.path().join(name).exists())
}

#[test]
fn killing_the_sweep_parent_ends_its_children_and_a_rerun_completes() {
    // 4 runs of ~1 s each, 2 at a time, with checkpoints; the kill lands inside the first two.
    let spec = SPEC.replace("seed = [0, 1]", "seed = [0]\n\"train.steps\" = [200000]\n\"train.checkpoint_every\" = [20000]\n\"train.target_loss\" = [0.0]");
    let (_dir, spec, out) = workspace(&spec);
    let reference = out.with_file_name("reference");
    ok(sweep("run", &spec, &reference, &["--jobs", "2"]));

    let mut parent = Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(["sweep", "run", spec.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap(), "--jobs", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !any_run_has(&out, "metrics.csv.partial") {
        assert!(
            parent.try_wait().unwrap().is_none(),
            "the sweep ended before it was killed"
        );
        assert!(started.elapsed() < Duration::from_secs(300));
        std::thread::sleep(Duration::from_millis(2));
    }
    // SIGKILL of the sweep's pid alone: its `train` children are not signalled.
    parent.kill().unwrap();
    parent.wait().unwrap();
    let killed = Instant::now();
    let mut survivors = processes_mentioning(&out);
    while !survivors.is_empty() && killed.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(20));
        survivors = processes_mentioning(&out);
    }
    assert!(
        survivors.is_empty(),
        "train children outlived their sweep: {survivors:?}"
    );
    assert!(
        statuses(&out).iter().any(|s| s == "pending"),
        "the kill came too late"
    );
    let logs = std::fs::read_dir(out.join("runs")).unwrap().flatten();
    let said = logs
        .filter_map(|run| std::fs::read_to_string(run.path().join("train.log")).ok())
        .any(|log| log.contains("parent process") && log.contains("is gone"));
    assert!(said, "a child's train.log says why it ended");

    let report = ok(sweep("run", &spec, &out, &["--jobs", "2"]));
    assert!(report.contains("0 failed"), "{report}");
    assert!(statuses(&out).iter().all(|s| s == "ok"), "{report}");
    for dir in [&out, &reference] {
        ok(overparam(&["sweep", "merge", dir.to_str().unwrap()]));
    }
    let results = results_without_wall_time(&out);
    assert_eq!(results.rows.len(), 4);
    let status = results.column("status").unwrap();
    assert!(results.rows.iter().all(|row| row[status] == "ok"));
    assert_eq!(results, results_without_wall_time(&reference));
}

#[test]
fn a_run_held_by_another_process_is_waited_for_and_then_run() {
    let (_dir, spec, out) = workspace(&SPEC.replace("seed = [0, 1]", "seed = [0]"));
    ok(sweep("plan", &spec, &out, &[]));
    let run = out.join("runs").join(&manifest(&out).rows[0][1]);
    std::fs::create_dir_all(&run).unwrap();
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(run.join(".lock"))
        .unwrap();
    lock.lock().unwrap();
    let hold = Duration::from_secs(1);
    let holder = std::thread::spawn(move || {
        std::thread::sleep(hold);
        drop(lock);
    });
    let started = Instant::now();
    let output = sweep("run", &spec, &out, &["--jobs", "2"]);
    holder.join().unwrap();
    assert!(started.elapsed() >= hold, "the sweep did not wait");
    assert!(
        stderr(&output).contains("held by another process; waiting for it"),
        "{}",
        stderr(&output)
    );
    let report = ok(output);
    assert!(
        report.contains("4 ran ok, 0 already done, 0 finished elsewhere, 0 failed"),
        "{report}"
    );
    assert!(statuses(&out).iter().all(|s| s == "ok"));
    assert!(run.join("summary.json").exists());
}

#[test]
fn a_planted_train_log_symlink_is_replaced_not_followed() {
    let (dir, spec, out) = workspace(SPEC);
    ok(sweep("plan", &spec, &out, &[]));
    let run = out.join("runs").join(&manifest(&out).rows[0][1]);
    std::fs::create_dir_all(&run).unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "precious\n").unwrap();
    std::os::unix::fs::symlink(&outside, run.join("train.log")).unwrap();

    ok(sweep("run", &spec, &out, &["--index", "0"]));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious\n");
    let log = run.join("train.log");
    assert!(std::fs::symlink_metadata(&log)
        .unwrap()
        .file_type()
        .is_file());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains("precious") && text.contains(run.to_str().unwrap()),
        "{text}"
    );
}

#[test]
fn a_sweep_spec_or_its_base_at_dev_zero_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("base_dev_zero.toml");
    std::fs::write(&spec, "base = \"/dev/zero\"\n[grid]\nseed = [0, 1]\n").unwrap();
    for (path, what) in [
        (Path::new("/dev/zero"), "sweep spec /dev/zero"),
        (spec.as_path(), "config /dev/zero"),
    ] {
        let out = dir.path().join("sweep");
        let mut child = Command::new(env!("CARGO_BIN_EXE_overparam"))
            .args([
                "sweep",
                "plan",
                path.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("sweep plan {} still reading after 60 s", path.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().unwrap();
        assert!(!output.status.success());
        let message = stderr(&output);
        assert!(
            message.contains(what) && message.contains("larger than"),
            "{message}"
        );
    }
}
