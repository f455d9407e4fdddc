//! `sweep submit` on a real Slurm cluster (CI starts a one-node one with `.ci/slurm start`):
//! a sweep of 8 runs over 4 array tasks merged by the dependent job equals a local `sweep
//! run` of the same spec; a task cancelled mid-run with `scancel` is finished by the next
//! submission, which submits that task alone, resumes its run from the checkpoint SIGTERM
//! made, and runs nothing twice.
//!
//! Where no cluster answers (`sinfo` fails) the tests say so and pass without running,
//! except under CI (`CI=true`) or with `OVERPARAM_REQUIRE_SLURM=1`, where they fail.

mod common;

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::overparam;
use common::sweep::{ok, results_without_wall_time, sweep, workspace, SPEC};
use serde_json::Value;

/// Whether `sinfo` lists a node within 20 s (a cluster whose controller is down makes it retry
/// for longer); asked once per test binary.
fn cluster_answers() -> bool {
    static ANSWERS: OnceLock<bool> = OnceLock::new();
    *ANSWERS.get_or_init(|| {
        let Ok(mut child) = Command::new("sinfo")
            .args(["-h", "-o", "%T"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        else {
            return false;
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(status)) = child.try_wait() {
                let mut listed = String::new();
                if let Some(mut stdout) = child.stdout.take() {
                    let _ = stdout.read_to_string(&mut listed);
                }
                return status.success() && !listed.trim().is_empty();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    })
}

/// Whether the Slurm tests can run here; under CI (or with `OVERPARAM_REQUIRE_SLURM=1`) they
/// must. A skip is said on the terminal (written past the test harness's capture).
fn slurm_available(test: &str) -> bool {
    if cluster_answers() {
        return true;
    }
    let required = std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("OVERPARAM_REQUIRE_SLURM").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: no Slurm cluster answers here (sinfo), and CI (or OVERPARAM_REQUIRE_SLURM=1) \
         requires the Slurm tests: start one with `bash .ci/slurm start`"
    );
    let _ = writeln!(
        std::io::stderr(),
        "{test}: SKIPPED, no Slurm cluster answers here (sinfo); `sudo bash .ci/slurm start` \
         starts a one-node one"
    );
    false
}

/// The spec text with `analyses` set, before its first table.
fn with_analyses(spec: &str, analyses: &str) -> String {
    spec.replacen("[grid]", &format!("analyses = {analyses}\n[grid]"), 1)
}

/// The jobs of the latest submission in `out/slurm/jobs.json`: (role, id, tasks).
fn latest_jobs(out: &Path) -> Vec<(String, String, Vec<u64>)> {
    let text = std::fs::read_to_string(out.join("slurm/jobs.json")).unwrap();
    let record: Value = serde_json::from_str(&text).unwrap();
    let latest = record["submissions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    latest["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| {
            let tasks = job["tasks"]
                .as_array()
                .map(|t| t.iter().map(|x| x.as_u64().unwrap()).collect())
                .unwrap_or_default();
            (
                job["role"].as_str().unwrap().to_string(),
                job["id"].as_str().unwrap().to_string(),
                tasks,
            )
        })
        .collect()
}

/// The id of the latest submission's job in `role`.
fn job_id(out: &Path, role: &str) -> String {
    latest_jobs(out)
        .into_iter()
        .find(|(r, _, _)| r == role)
        .unwrap_or_else(|| panic!("no {role} job in {}", out.display()))
        .1
}

/// Slurm's state of job (or array task) `id`, from `scontrol`.
fn state(id: &str) -> String {
    let output = Command::new("scontrol")
        .args(["-o", "show", "job", id])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .find_map(|token| token.strip_prefix("JobState="))
        .unwrap_or("UNKNOWN")
        .to_string()
}

/// Waits (at most 5 minutes) until job `id` has ended; its final state.
fn wait_for_end(id: &str, out: &Path) -> String {
    let started = Instant::now();
    loop {
        let state = state(id);
        if !matches!(
            state.as_str(),
            "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "REQUEUED"
        ) {
            return state;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "job {id} still {state} after 5 minutes; logs in {}",
            out.join("slurm/logs").display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The logs of every job of the sweep in `out`, for failure messages.
fn logs(out: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(out.join("slurm/logs"))
        .into_iter()
        .flatten()
        .flatten()
    {
        text += &format!(
            "--- {}\n{}\n",
            entry.path().display(),
            std::fs::read_to_string(entry.path()).unwrap_or_default()
        );
    }
    text
}

fn submit(spec: &Path, out: &Path, extra: &[&str]) -> String {
    ok(sweep("submit", spec, out, extra))
}

#[test]
fn a_submitted_sweep_merges_to_the_results_of_a_local_run() {
    if !slurm_available("a_submitted_sweep_merges_to_the_results_of_a_local_run") {
        return;
    }
    // 2 widths × 2 n × 2 seeds = 8 runs over 4 tasks, two each.
    let (_dir, spec, out) = workspace(&with_analyses(SPEC, r#"["plot"]"#));
    let reference = out.with_file_name("reference");
    ok(sweep("run", &spec, &reference, &["--jobs", "2"]));
    ok(overparam(&["sweep", "merge", reference.to_str().unwrap()]));

    let printed = submit(&spec, &out, &["--tasks", "4", "--time", "00:10:00"]);
    assert!(
        printed.contains("8 runs (8 unfinished) in 4 tasks"),
        "{printed}"
    );
    let jobs = latest_jobs(&out);
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert_eq!(jobs[0].2, [0, 1, 2, 3]);
    let script = std::fs::read_to_string(out.join("slurm/sweep.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0-3"), "{script}");
    assert!(script.contains("#SBATCH --time=00:10:00"), "{script}");
    assert!(
        script.contains("--shard \"${SLURM_ARRAY_TASK_ID}/4\""),
        "{script}"
    );

    let merge = job_id(&out, "merge");
    let ended = wait_for_end(&merge, &out);
    assert_eq!(ended, "COMPLETED", "{}", logs(&out));
    for task in 0..4 {
        let task_state = state(&format!("{}_{task}", job_id(&out, "runs")));
        assert_eq!(task_state, "COMPLETED", "task {task}: {}", logs(&out));
    }
    assert_eq!(
        results_without_wall_time(&out),
        results_without_wall_time(&reference),
        "{}",
        logs(&out)
    );
    // The spec's analyses ran in the merge job.
    assert!(out.join("plots/loss_curves.svg").exists(), "{}", logs(&out));
    let status = ok(overparam(&["sweep", "status", out.to_str().unwrap()]));
    assert!(
        status.contains("8 runs: 8 done, 0 failed, 0 busy, 0 pending"),
        "{status}"
    );
    assert!(status.contains("COMPLETED"), "{status}");
}

#[test]
fn a_cancelled_task_is_finished_by_the_next_submission_and_nothing_runs_twice() {
    if !slurm_available(
        "a_cancelled_task_is_finished_by_the_next_submission_and_nothing_runs_twice",
    ) {
        return;
    }
    // 4 runs of ~2 s with checkpoints, over 2 tasks: task 1 holds runs 1 and 3.
    let spec = SPEC.replace(
        "seed = [0, 1]",
        "seed = [0]\n\"train.steps\" = [400000]\n\"train.checkpoint_every\" = [20000]\n\"train.target_loss\" = [0.0]",
    );
    let (_dir, spec, out) = workspace(&spec);
    let reference = out.with_file_name("reference");
    ok(sweep("run", &spec, &reference, &["--jobs", "2"]));
    ok(overparam(&["sweep", "merge", reference.to_str().unwrap()]));

    submit(&spec, &out, &["--tasks", "2"]);
    let array = job_id(&out, "runs");
    let manifest = common::sweep::manifest(&out);
    let id_column = manifest.column("run_id").unwrap();
    let run_ids: Vec<String> = manifest
        .rows
        .iter()
        .map(|row| row[id_column].clone())
        .collect();
    let run = |index: usize| out.join("runs").join(&run_ids[index]);
    // Cancel task 1 once its first run (index 1) has a checkpoint.
    let started = Instant::now();
    while !run(1).join("checkpoint.json").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "run 1 never checkpointed: {}",
            logs(&out)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let cancelled = Command::new("scancel")
        .arg(format!("{array}_1"))
        .status()
        .unwrap();
    assert!(cancelled.success());
    let merged = wait_for_end(&job_id(&out, "merge"), &out);
    assert_eq!(merged, "COMPLETED", "{}", logs(&out));
    assert_eq!(state(&format!("{array}_1")), "CANCELLED");
    let summary = |index: usize| -> Value {
        serde_json::from_str(&std::fs::read_to_string(run(index).join("summary.json")).unwrap())
            .unwrap()
    };
    assert_eq!(
        summary(1)["status"],
        "interrupted",
        "the cancel came too late: {}",
        logs(&out)
    );
    assert!(!run(3).join("summary.json").exists(), "{}", logs(&out));
    let status = ok(overparam(&["sweep", "status", out.to_str().unwrap()]));
    assert!(
        status.contains("4 runs: 2 done, 0 failed, 0 busy, 2 pending (1 with a checkpoint"),
        "{status}"
    );
    assert!(status.contains("CANCELLED"), "{status}");
    // What the finished runs hold, to show they are not run again.
    let finished: Vec<(Vec<u8>, std::time::SystemTime)> = [0, 2]
        .iter()
        .map(|&index| {
            let path = run(index).join("summary.json");
            (
                std::fs::read(&path).unwrap(),
                std::fs::metadata(&path).unwrap().modified().unwrap(),
            )
        })
        .collect();

    let printed = submit(&spec, &out, &["--tasks", "2"]);
    assert!(
        printed.contains("4 runs (2 unfinished) in 2 tasks"),
        "{printed}"
    );
    let jobs = latest_jobs(&out);
    assert_eq!(jobs[0].2, [1], "only task 1 is submitted again: {jobs:?}");
    let merged = wait_for_end(&job_id(&out, "merge"), &out);
    assert_eq!(merged, "COMPLETED", "{}", logs(&out));

    // Nothing lost: the results, and each run's metrics, equal the local sweep's.
    assert_eq!(
        results_without_wall_time(&out),
        results_without_wall_time(&reference),
        "{}",
        logs(&out)
    );
    let reference_ids = {
        let table = common::sweep::manifest(&reference);
        let column = table.column("run_id").unwrap();
        table
            .rows
            .iter()
            .map(|row| row[column].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(reference_ids, run_ids);
    for id in &run_ids {
        let (a, b) = (
            std::fs::read(reference.join("runs").join(id).join("metrics.csv")).unwrap(),
            std::fs::read(out.join("runs").join(id).join("metrics.csv")).unwrap(),
        );
        assert!(
            a == b,
            "run {id}: metrics.csv differs from the local sweep's"
        );
    }
    // Nothing run twice: the finished runs untouched, the cancelled one resumed.
    for (&index, (bytes, modified)) in [0, 2].iter().zip(&finished) {
        let path = run(index).join("summary.json");
        assert_eq!(
            &std::fs::read(&path).unwrap(),
            bytes,
            "run {index} was run again"
        );
        assert_eq!(
            &std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified
        );
    }
    assert!(
        summary(1)["resumed_from_step"]
            .as_u64()
            .is_some_and(|s| s >= 20000),
        "{}",
        summary(1)
    );
    assert!(summary(3)["resumed_from_step"].is_null());
}

#[test]
fn a_reproduction_submitted_to_slurm_reports_the_verdicts_of_a_local_run() {
    if !slurm_available("a_reproduction_submitted_to_slurm_reports_the_verdicts_of_a_local_run") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let specs =
        std::path::absolute(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/papers"))
            .unwrap();
    let reproduce = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "reproduce",
            "quadratic",
            "--scale",
            "small",
            "--specs",
            specs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        ok(overparam(&args))
    };
    let (local, submitted) = (dir.path().join("local"), dir.path().join("slurm"));
    reproduce(&local, &[]);
    let printed = reproduce(&submitted, &["--slurm", "--tasks", "2"]);
    assert!(printed.contains("report job"), "{printed}");
    let jobs = latest_jobs(&submitted);
    let roles: Vec<&str> = jobs.iter().map(|(role, _, _)| role.as_str()).collect();
    assert_eq!(roles, ["runs", "runs", "report"], "{jobs:?}");
    let ended = wait_for_end(&job_id(&submitted, "report"), &submitted);
    assert_eq!(ended, "COMPLETED", "{}", logs(&submitted));
    let verdicts = |out: &Path| -> Value {
        let text = std::fs::read_to_string(out.join("report.json")).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()["verdicts"].clone()
    };
    assert_eq!(
        verdicts(&submitted),
        verdicts(&local),
        "{}",
        logs(&submitted)
    );
    let status = ok(overparam(&["sweep", "status", submitted.to_str().unwrap()]));
    assert!(status.contains("part landscape: "), "{status}");
    assert!(status.contains("4 runs: 4 done"), "{status}");
    assert!(status.contains("report job"), "{status}");
}
