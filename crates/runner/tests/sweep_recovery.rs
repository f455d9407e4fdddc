//! Sweeps under interruption and hostile input, end to end: a SIGKILLed sweep (its process
//! group, or its pid only) rerun to the uninterrupted results, a run held by another process
//! waited for, a planted `train.log` symlink replaced, and a spec or base at `/dev/zero`.

mod common;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::sweep::{manifest, ok, results_without_wall_time, statuses, sweep, workspace, SPEC};
use common::{overparam, stderr};

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
