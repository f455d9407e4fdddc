//! `train` checkpoints: a run SIGKILLed mid-way and continued with `train --resume DIR`
//! ends with metrics.csv and params_final.npz byte-identical to an uninterrupted run (GD and
//! SGD on the fused engine, SGD on autodiff, with the NTK tracked so that K_0 travels in the
//! checkpoint too); and the errors around resuming and busy run directories.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};

use common::{assert_same_run_files, kill_when, overparam, stderr, LONG};

/// `[train]` steps for the runs on the fused engine.
const FUSED_STEPS: &str = "steps = 30000\n";

/// `[train]` steps for the runs on autodiff.
const AUTODIFF_STEPS: &str = "steps = 3000\n";

fn workspace(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("{LONG}{extra}")).unwrap();
    (dir, config)
}

fn train_args<'a>(config: &'a Path, out: &'a Path, engine: &'a str) -> Vec<&'a str> {
    vec![
        "train",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--engine",
        engine,
    ]
}

/// Starts `train` with `engine`, SIGKILLs it as soon as its first checkpoint exists and
/// returns the checkpoint's step.
fn train_and_kill(config: &Path, out: &Path, engine: &str) -> u64 {
    let checkpoint = out.join("checkpoint.json");
    kill_when(&train_args(config, out, engine), || checkpoint.exists());
    assert!(
        !out.join("summary.json").exists(),
        "the run finished before it was killed"
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    record["step"].as_u64().unwrap()
}

/// With `engine` (`auto` resumes on the engine the checkpoint names).
fn assert_resume_is_bit_identical(extra: &str, engine: &str) {
    let (dir, config) = workspace(extra);
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    let output = overparam(&train_args(&config, &full, engine));
    assert!(output.status.success(), "{}", stderr(&output));

    let step = train_and_kill(&config, &cut, engine);
    assert!(step >= 300, "checkpoint at step {step}");
    let output = overparam(&["train", "--resume", cut.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));

    assert_same_run_files(&full, &cut, step);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cut.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["resumed_from_step"], step);
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["engine"], engine);
    // A finished run no longer needs its checkpoint.
    let left: Vec<String> = std::fs::read_dir(&cut)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with("checkpoint"))
        .collect();
    assert!(left.is_empty(), "checkpoint files left: {left:?}");
}

#[test]
fn gradient_descent_resumes_bit_identically() {
    assert_resume_is_bit_identical(FUSED_STEPS, "fused");
}

/// SGD with batches of 20 of 64 samples: every epoch ends on a short batch.
const SGD: &str = "optimizer = \"sgd\"\nbatch_size = 20\n";

#[test]
fn sgd_resumes_bit_identically() {
    // The batch order (permutation, position, RNG word) must travel in the checkpoint.
    assert_resume_is_bit_identical(&format!("{FUSED_STEPS}{SGD}"), "fused");
    assert_resume_is_bit_identical(&format!("{AUTODIFF_STEPS}{SGD}"), "autodiff");
}

#[test]
fn resume_errors_name_what_is_wrong() {
    let (dir, config) = workspace(FUSED_STEPS);
    let out = dir.path().join("out");
    let missing = overparam(&["train", "--resume", out.to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no such run directory"),
        "{}",
        stderr(&missing)
    );

    train_and_kill(&config, &out, "auto");
    let other_dtype = overparam(&["train", "--resume", out.to_str().unwrap(), "--dtype", "f64"]);
    assert!(!other_dtype.status.success());
    let message = stderr(&other_dtype);
    assert!(message.contains("--backend flex --dtype f32"), "{message}");
    let other_engine = overparam(&[
        "train",
        "--resume",
        out.to_str().unwrap(),
        "--engine",
        "autodiff",
    ]);
    assert!(!other_engine.status.success());
    let message = stderr(&other_engine);
    assert!(
        message.contains("computes with --engine fused"),
        "{message}"
    );

    let mut args = train_args(&config, &out, "auto");
    args.extend(["--resume", out.to_str().unwrap(), "--set", "train.lr_a=0.5"]);
    let other_config = overparam(&args);
    assert!(!other_config.status.success());
    assert!(
        stderr(&other_config).contains("differs from the config"),
        "{}",
        stderr(&other_config)
    );

    // A train output directory without a checkpoint.
    let finished = dir.path().join("finished");
    let mut args = train_args(&config, &finished, "auto");
    args.extend([
        "--set",
        "train.checkpoint_every=0",
        "--set",
        "train.steps=20",
    ]);
    assert!(overparam(&args).status.success());
    let nothing = overparam(&["train", "--resume", finished.to_str().unwrap()]);
    assert!(
        stderr(&nothing).contains("checkpoint_every > 0"),
        "{}",
        stderr(&nothing)
    );
}

#[test]
fn a_locked_run_directory_is_refused_as_busy() {
    let (dir, config) = workspace(FUSED_STEPS);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let lock = File::create(out.join(".lock")).unwrap();
    lock.lock().unwrap();
    let output = overparam(&train_args(&config, &out, "auto"));
    assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
    assert!(stderr(&output).contains("another overparam process is writing"));
    assert!(!out.join("metrics.csv").exists() && !out.join("summary.json").exists());
    drop(lock);
    let mut args = train_args(&config, &out, "auto");
    args.extend(["--set", "train.steps=20"]);
    assert!(
        overparam(&args).status.success(),
        "the lock dies with its holder"
    );
}
