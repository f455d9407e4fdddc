//! `sweep submit` and `reproduce --slurm` without a cluster: the scripts `--dry-run` writes,
//! the errors (no `sbatch`, more tasks than runs, a bad `analyses` entry, a failed merge
//! submission), and, against a stand-in `sbatch` that records its arguments, that submitting
//! again submits only the tasks whose shards have unfinished runs. The real cluster's tests
//! are in `slurm_cli.rs`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::stderr;
use common::sweep::{ok, sweep, workspace, SPEC};

/// `overparam ARGS` with `PATH` set to `path` alone.
fn overparam_with_path(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap()
}

/// `sweep submit SPEC --out OUT EXTRA…` with only `bin` on `PATH`.
fn submit(spec: &Path, out: &Path, bin: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "sweep",
        "submit",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    overparam_with_path(&args, bin)
}

/// A directory with a stand-in `sbatch` (shell built-ins only: `PATH` holds nothing else)
/// that appends its arguments to `calls` (one line per call) and prints the next job id, 101,
/// 102, …; it fails for `fail_on` scripts.
fn fake_sbatch(dir: &Path, fail_on: &str) -> (PathBuf, PathBuf) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = dir.join("calls.txt");
    let script = format!(
        "#!/bin/sh\nset -e\necho \"$*\" >> '{calls}'\ncase \"$*\" in *{fail}*) echo 'sbatch: error: \
         Batch job submission failed: Invalid account' >&2; exit 1;; esac\n\
         n=0\nwhile read -r _; do n=$((n + 1)); done < '{calls}'\necho $((100 + n))\n",
        calls = calls.display(),
        fail = if fail_on.is_empty() { "no-such-script-name" } else { fail_on },
    );
    let path = bin.join("sbatch");
    std::fs::write(&path, script).unwrap();
    let chmod = Command::new("chmod")
        .args(["+x", path.to_str().unwrap()])
        .status();
    assert!(chmod.unwrap().success());
    (bin, calls)
}

fn calls(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn bash_syntax_ok(script: &Path) {
    let status = Command::new("bash").arg("-n").arg(script).status().unwrap();
    assert!(status.success(), "{} is not valid bash", script.display());
}

#[test]
fn without_sbatch_submit_says_so_and_dry_run_writes_the_scripts() {
    let spec = SPEC.replacen(
        "[grid]",
        "analyses = [\"critical-width\", \"plot\"]\n[grid]",
        1,
    );
    let (dir, spec, out) = workspace(&spec);
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let output = submit(&spec, &out, &empty, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("sbatch is not on PATH"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("--dry-run"), "{}", stderr(&output));
    assert!(
        !out.join("slurm").exists(),
        "nothing is written without sbatch"
    );

    let printed = ok(submit(
        &spec,
        &out,
        &empty,
        &[
            "--dry-run",
            "--jobs-per-task",
            "2",
            "--mem",
            "2G",
            "--setup",
            "echo ready",
        ],
    ));
    assert!(
        printed.contains("8 runs (8 unfinished) in 8 tasks"),
        "{printed}"
    );
    assert!(printed.contains("nothing submitted"), "{printed}");
    let sweep_script = std::fs::read_to_string(out.join("slurm/sweep.sbatch")).unwrap();
    let binary = env!("CARGO_BIN_EXE_overparam");
    for line in [
        "#SBATCH --array=0-7".to_string(),
        "#SBATCH --cpus-per-task=2".into(),
        "#SBATCH --mem=2G".into(),
        "#SBATCH --requeue".into(),
        format!(
            "#SBATCH --output={}/slurm/logs/sweep-%A_%a.out",
            out.display()
        ),
        "echo ready".into(),
        format!(
            "exec {binary} sweep run {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/8\" --jobs 2 \
             --backend flex --dtype f32",
            spec.display(),
            out.display()
        ),
    ] {
        assert!(
            sweep_script.lines().any(|l| l == line),
            "no line `{line}` in\n{sweep_script}"
        );
    }
    let merge_script = std::fs::read_to_string(out.join("slurm/merge.sbatch")).unwrap();
    for line in [
        format!("{binary} sweep merge {}", out.display()),
        format!("{binary} analyze critical-width {}", out.display()),
        format!("{binary} plot {}", out.display()),
    ] {
        assert!(
            merge_script.lines().any(|l| l == line),
            "no line `{line}` in\n{merge_script}"
        );
    }
    bash_syntax_ok(&out.join("slurm/sweep.sbatch"));
    bash_syntax_ok(&out.join("slurm/merge.sbatch"));
    assert!(!out.join("slurm/jobs.json").exists());
    assert!(out.join("manifest.csv").exists(), "the sweep is planned");
}

#[test]
fn submitting_again_submits_only_the_tasks_with_unfinished_runs() {
    let (dir, spec, out) = workspace(SPEC);
    let (bin, calls_file) = fake_sbatch(dir.path(), "");
    let printed = ok(submit(&spec, &out, &bin, &["--tasks", "4"]));
    assert!(printed.contains("array job 101"), "{printed}");
    assert!(printed.contains("merge job 102"), "{printed}");
    let script = out.join("slurm/sweep.sbatch");
    let merge = out.join("slurm/merge.sbatch");
    assert_eq!(
        calls(&calls_file),
        [
            format!("--parsable {}", script.display()),
            format!("--parsable --dependency=afterany:101 {}", merge.display()),
        ]
    );
    // Tasks 0 and 2 run (here), 1 and 3 do not.
    for shard in ["0/4", "2/4"] {
        ok(sweep("run", &spec, &out, &["--shard", shard]));
    }
    let printed = ok(submit(&spec, &out, &bin, &["--tasks", "4"]));
    assert!(
        printed.contains("8 runs (4 unfinished) in 4 tasks"),
        "{printed}"
    );
    assert_eq!(
        calls(&calls_file)[2..],
        [
            format!("--parsable --array=1,3 {}", script.display()),
            format!("--parsable --dependency=afterany:103 {}", merge.display()),
        ]
    );
    ok(sweep("run", &spec, &out, &[]));
    let printed = ok(submit(&spec, &out, &bin, &["--tasks", "4"]));
    assert!(printed.contains("no tasks to submit"), "{printed}");
    assert_eq!(
        calls(&calls_file)[4..],
        [format!("--parsable {}", merge.display())]
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("slurm/jobs.json")).unwrap())
            .unwrap();
    let submissions = record["submissions"].as_array().unwrap();
    assert_eq!(submissions.len(), 3);
    assert_eq!(submissions[1]["missing_runs"], 4);
    assert_eq!(
        submissions[1]["jobs"][0]["tasks"],
        serde_json::json!([1, 3])
    );
    assert_eq!(
        submissions[1]["jobs"][1]["after"],
        serde_json::json!(["103"])
    );
    assert_eq!(submissions[2]["jobs"][0]["role"], "merge");
    // Without sacct and scontrol the jobs' states are unknown, and said to be.
    let status = ok(overparam_with_path(
        &["sweep", "status", out.to_str().unwrap()],
        &bin,
    ));
    assert!(
        status.contains("8 runs: 8 done, 0 failed, 0 busy, 0 pending"),
        "{status}"
    );
    assert!(status.contains("submission 3 of 3"), "{status}");
    assert!(
        status.contains(
            "merge job 105: unknown to Slurm now (sacct is not on PATH; scontrol is not on PATH)"
        ),
        "{status}"
    );
    let output = overparam_with_path(&["sweep", "status", bin.to_str().unwrap()], &bin);
    assert!(
        stderr(&output).contains("has no manifest.csv"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_failed_merge_submission_says_how_to_submit_it_and_keeps_the_array_job() {
    let (dir, spec, out) = workspace(SPEC);
    let (bin, _) = fake_sbatch(dir.path(), "merge.sbatch");
    let output = submit(&spec, &out, &bin, &["--tasks", "2"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("Invalid account"), "{message}");
    assert!(
        message.contains(&format!(
            "sbatch --dependency=afterany:101 {}",
            out.join("slurm/merge.sbatch").display()
        )),
        "{message}"
    );
    let record = std::fs::read_to_string(out.join("slurm/jobs.json")).unwrap();
    assert!(record.contains("\"101\""), "{record}");
}

#[test]
fn bad_submissions_are_refused_naming_the_flag_or_key() {
    let (dir, spec, out) = workspace(SPEC);
    let (bin, calls_file) = fake_sbatch(dir.path(), "");
    let output = submit(&spec, &out, &bin, &["--tasks", "0"]);
    assert!(
        stderr(&output).contains("--tasks must be at least 1"),
        "{}",
        stderr(&output)
    );
    let output = submit(&spec, &out, &bin, &["--jobs-per-task", "0"]);
    assert!(
        stderr(&output).contains("--jobs-per-task"),
        "{}",
        stderr(&output)
    );
    let output = submit(&spec, &out, &bin, &["--partition", "a b"]);
    assert!(
        stderr(&output).contains("--partition `a b`"),
        "{}",
        stderr(&output)
    );
    let output = submit(&spec, &out, &bin, &["--sbatch-arg", "qos=long"]);
    assert!(
        stderr(&output).contains("one sbatch option per flag"),
        "{}",
        stderr(&output)
    );
    let spaced = dir.path().join("a b");
    let output = submit(&spec, &spaced, &bin, &[]);
    assert!(
        stderr(&output).contains("white space"),
        "{}",
        stderr(&output)
    );

    let (_dir2, bad_spec, bad_out) =
        workspace(&SPEC.replacen("[grid]", "analyses = [\"critical_width\"]\n[grid]", 1));
    let output = submit(&bad_spec, &bad_out, &bin, &[]);
    let message = stderr(&output);
    assert!(
        message.contains(bad_spec.to_str().unwrap()) && message.contains("critical-width"),
        "{message}"
    );
    assert!(calls(&calls_file).is_empty(), "nothing was submitted");
}

#[test]
fn reproduce_slurm_dry_run_writes_each_part_and_the_report_job() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("repro");
    let specs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/papers");
    let specs = std::path::absolute(&specs).unwrap();
    let args = |extra: &[&str]| {
        let mut args = vec![
            "reproduce".to_string(),
            "quadratic".into(),
            "--scale".into(),
            "small".into(),
            "--specs".into(),
            specs.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = |extra: &[&str]| {
        let args = args(extra);
        overparam_with_path(&args.iter().map(String::as_str).collect::<Vec<_>>(), &empty)
    };
    let output = run(&["--tasks", "2"]);
    assert!(
        stderr(&output).contains("apply only with --slurm"),
        "{}",
        stderr(&output)
    );
    let output = run(&["--slurm", "--tasks", "2"]);
    assert!(
        stderr(&output).contains("sbatch is not on PATH"),
        "{}",
        stderr(&output)
    );

    // --tasks 2 for each part: the one-run part gets one task.
    let printed = ok(run(&["--slurm", "--tasks", "2", "--dry-run"]));
    for (part, array) in [("landscape", "0-1"), ("softplus", "0-0")] {
        let script = out.join(part).join("slurm/sweep.sbatch");
        assert!(printed.contains(&script.display().to_string()), "{printed}");
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(text.contains("--dtype f64"), "{text}");
        assert!(
            text.contains(&format!("#SBATCH --array={array}\n")),
            "{text}"
        );
        bash_syntax_ok(&script);
    }
    let report = std::fs::read_to_string(out.join("slurm/report.sbatch")).unwrap();
    let line = format!(
        "exec {} reproduce quadratic --scale small --out {} --specs {} --backend flex --jobs 1",
        env!("CARGO_BIN_EXE_overparam"),
        out.display(),
        specs.display()
    );
    assert!(
        report.lines().any(|l| l == line),
        "no `{line}` in\n{report}"
    );
    bash_syntax_ok(&out.join("slurm/report.sbatch"));
}
