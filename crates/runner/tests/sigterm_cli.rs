//! SIGTERM, Slurm's signal before the kill (time limit, pre-emption, `scancel`), end to end:
//! `train` saves a checkpoint of the step it stopped at and exits with 143, and resuming
//! gives files byte-identical to an uninterrupted run; `sweep run` sends the signal on to its
//! runs, leaves them pending, and a second `sweep run` gives the uninterrupted results.

mod common;

use std::path::Path;

use common::sweep::{ok, results_without_wall_time, statuses, sweep, workspace, SPEC};
use common::{assert_same_run_files, overparam, spawn_when, stderr, terminate, LONG};
use serde_json::Value;

/// [`LONG`] on the fused engine: about a second.
fn long() -> String {
    format!("{LONG}steps = 30000\n")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn train_stopped_by_sigterm_checkpoints_that_step_and_resumes_bit_identically() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, long()).unwrap();
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    let args = |out: &Path| {
        [
            "train",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--dtype",
            "f64",
        ]
        .map(str::to_string)
    };
    let full_args = args(&full);
    let output = overparam(&full_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(output.status.success(), "{}", stderr(&output));

    let cut_args = args(&cut);
    let checkpoint = cut.join("checkpoint.json");
    let child = spawn_when(
        &cut_args.iter().map(String::as_str).collect::<Vec<_>>(),
        || checkpoint.exists(),
    );
    let (code, message) = terminate(child);
    assert_eq!(code, Some(143), "{message}");
    assert!(message.contains("stopped by SIGTERM"), "{message}");
    let summary = json(&cut.join("summary.json"));
    assert_eq!(summary["status"], "interrupted", "{summary}");
    let error = summary["error"].as_str().unwrap();
    assert!(error.contains("checkpoint saved at that step"), "{error}");
    // The checkpoint is of the very step the run stopped at, not the last periodic one.
    let step = json(&checkpoint)["step"].as_u64().unwrap();
    assert!(
        error.contains(&format!("interrupted before step {step} ")),
        "{error} vs checkpoint at {step}"
    );
    assert!(step >= 300 && step < 30000, "stopped at step {step}");

    let output = overparam(&["train", "--resume", cut.to_str().unwrap(), "--dtype", "f64"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_same_run_files(&full, &cut, step);
    let summary = json(&cut.join("summary.json"));
    assert_eq!(summary["resumed_from_step"], step);
    assert_eq!(summary["status"], "ok");
}

#[test]
fn a_train_without_checkpoints_stops_at_once_and_says_it_was_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, long().replace("checkpoint_every = 300\n", "")).unwrap();
    let out = dir.path().join("run");
    let metrics = out.join("metrics.csv.partial");
    let child = spawn_when(
        &[
            "train",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        || std::fs::metadata(&metrics).is_ok_and(|m| m.len() > 2000),
    );
    let (code, message) = terminate(child);
    assert_eq!(code, Some(143), "{message}");
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["status"], "interrupted");
    assert!(!out.join("checkpoint.json").exists());
    assert!(
        !summary["error"].as_str().unwrap().contains("checkpoint"),
        "{summary}"
    );
}

#[test]
fn sigterm_to_a_sweep_reaches_its_runs_and_a_rerun_gives_the_uninterrupted_results() {
    // 4 runs of ~1 s, 2 at a time, with checkpoints; the signal lands inside the first two.
    let spec = SPEC.replace(
        "seed = [0, 1]",
        "seed = [0]\n\"train.steps\" = [200000]\n\"train.checkpoint_every\" = [20000]\n\"train.target_loss\" = [0.0]",
    );
    let (_dir, spec, out) = workspace(&spec);
    let reference = out.with_file_name("reference");
    ok(sweep("run", &spec, &reference, &["--jobs", "2"]));

    let runs = out.join("runs");
    let checkpointed = || {
        std::fs::read_dir(&runs)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|run| run.path().join("checkpoint.json").exists())
            .count()
    };
    let child = spawn_when(
        &[
            "sweep",
            "run",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "2",
        ],
        || checkpointed() == 2,
    );
    let status = ok(overparam(&["sweep", "status", out.to_str().unwrap()]));
    assert!(
        status.contains("4 runs: 0 done, 0 failed, 2 busy, 2 pending"),
        "{status}"
    );
    // SIGTERM to the sweep's pid alone: it sends the signal on to its two runs.
    let (code, message) = terminate(child);
    assert_eq!(code, Some(143), "{message}");
    assert!(message.contains("stopped by SIGTERM"), "{message}");
    let manifest = common::sweep::manifest(&out);
    let (status, error) = (
        manifest.column("status").unwrap(),
        manifest.column("error").unwrap(),
    );
    let interrupted: Vec<_> = manifest
        .rows
        .iter()
        .filter(|row| row[error].contains("interrupted before step"))
        .collect();
    assert_eq!(interrupted.len(), 2, "{:?}", manifest.rows);
    assert!(interrupted.iter().all(|row| row[status] == "pending"));
    assert!(statuses(&out).iter().all(|s| s == "pending"), "{message}");
    let status = ok(overparam(&["sweep", "status", out.to_str().unwrap()]));
    assert!(
        status.contains("4 runs: 0 done, 0 failed, 0 busy, 4 pending (2 with a checkpoint"),
        "{status}"
    );

    let report = ok(sweep("run", &spec, &out, &["--jobs", "2"]));
    assert!(report.contains("0 failed, 0 interrupted"), "{report}");
    let resumed = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .filter(|run| json(&run.path().join("summary.json"))["resumed_from_step"].is_u64())
        .count();
    assert_eq!(
        resumed, 2,
        "both interrupted runs continued from their checkpoints"
    );
    for dir in [&out, &reference] {
        ok(overparam(&["sweep", "merge", dir.to_str().unwrap()]));
    }
    assert_eq!(
        results_without_wall_time(&out),
        results_without_wall_time(&reference)
    );
}
