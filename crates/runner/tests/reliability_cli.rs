//! Reliability of `overparam train` under hostile input, end to end: divergence in any tensor
//! is a failed run naming the step and the tensor (both engines alike), a frozen network is
//! refused before anything is written, `--set` never silently ignored by `--resume`, a batch of
//! seeds resumes from its own directory, and stray temporaries of a killed run are cleaned.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_fails_with, kill_when, overparam, stderr, subcommand, workspace, TINY};
use overparam_trainer::read_npz_arrays;

fn train(config: &Path, out: &Path, extra: &[&str]) -> Output {
    subcommand("train", config, out, extra)
}

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/quickstart.toml")
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// The issue's case: `bias_init = 1e10` on the quickstart (f32) used to end "ok" with NaN in
/// every entry of w1 and b1 under the fused engine, and "diverged at step 1" under autodiff.
#[test]
fn nan_parameters_fail_the_run_on_both_engines_alike() {
    let dir = tempfile::tempdir().unwrap();
    let mut errors = Vec::new();
    for engine in ["fused", "autodiff"] {
        let out = dir.path().join(engine);
        let sets = ["model.bias_init=1e10", "train.steps=50"];
        let output = train(
            &quickstart(),
            &out,
            &["--engine", engine, "--set", sets[0], "--set", sets[1]],
        );
        assert_fails_with(&output, &["diverged at step", "metrics.csv"]);
        let summary = summary(&out);
        assert_eq!(summary["status"], "failed", "{engine}");
        assert!(!out.join("params_final.npz").exists());
        // The last finite loss is kept, and the summary says where it got to.
        assert!(
            summary["final_loss"].as_f64().unwrap().is_finite(),
            "{summary}"
        );
        assert!(summary["steps_run"].is_u64(), "{summary}");
        let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
        assert!(metrics.lines().count() >= 2, "rows kept:\n{metrics}");
        errors.push((
            summary["diverged_at_step"].clone(),
            summary["error"].clone(),
        ));
    }
    assert_eq!(
        errors[0], errors[1],
        "fused and autodiff name the same step and cause"
    );
}

/// Width 16 (the issue's `widths = [16]`), `lr_a = 1e10`: whatever becomes of the run, an `ok` means finite
/// parameters, and both engines end the same way.
#[test]
fn a_run_that_ends_ok_has_finite_parameters_on_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    let mut statuses = Vec::new();
    for engine in ["fused", "autodiff"] {
        let out = dir.path().join(engine);
        let sets = ["model.width=16", "train.lr_a=1e10", "train.steps=300"];
        let mut args = vec!["--engine", engine];
        for set in &sets {
            args.extend(["--set", set]);
        }
        train(&quickstart(), &out, &args);
        let summary = summary(&out);
        if summary["status"] == "ok" {
            let names = ["w1", "b1", "a"];
            let arrays = read_npz_arrays(&out.join("params_final.npz"), &names).unwrap();
            for array in arrays {
                assert!(
                    array.values.iter().all(|v| v.is_finite()),
                    "{engine}: {}",
                    array.name
                );
            }
        }
        statuses.push(summary["status"].clone());
    }
    assert_eq!(statuses[0], statuses[1]);
}

#[test]
fn a_network_with_every_tensor_frozen_is_refused_before_anything_is_written() {
    let (dir, config) = workspace(TINY);
    let frozen = [
        "model.train_w=false",
        "model.train_b=false",
        "model.train_a=false",
    ];
    let cases: Vec<Vec<&str>> = vec![
        [&frozen[..], &["--engine", "autodiff"]].concat(),
        [&frozen[..], &["--engine", "fused"]].concat(),
        [
            &frozen[..],
            &["train.optimizer=\"sgd\"", "train.batch_size=4"],
        ]
        .concat(),
        vec!["model.train_layers=[false, false]", "model.train_a=false"],
    ];
    // The last case is a depth-2 network: its own config, with `widths` instead of `width`.
    let deep = dir.path().join("deep.toml");
    std::fs::write(&deep, TINY.replace("width = 16", "widths = [8, 8]")).unwrap();
    for (index, case) in cases.iter().enumerate() {
        let config = if index == 3 { &deep } else { &config };
        let out = dir.path().join(format!("out{index}"));
        let mut args = Vec::new();
        for item in case {
            if item.starts_with("--") || !item.contains('=') {
                args.push(*item);
            } else {
                args.extend(["--set", item]);
            }
        }
        let output = train(config, &out, &args);
        assert_fails_with(&output, &["nothing to train", "model.train_a"]);
        assert!(!out.join("metrics.csv.partial").exists(), "{case:?}");
        assert!(!out.join("metrics.csv").exists(), "{case:?}");
    }
}

#[test]
fn an_infinite_kernel_is_a_divergence_naming_the_step_with_rows_kept() {
    let (dir, config) = workspace(TINY);
    let out = dir.path().join("out");
    let output = train(
        &config,
        &out,
        &["--set", "train.lr_a=1e300", "--set", "train.ntk_every=10"],
    );
    assert_fails_with(&output, &["diverged at step 0", "NTK"]);
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 2, "header and step 0:\n{metrics}");
    let summary = summary(&out);
    assert_eq!(summary["status"], "failed");
    assert_eq!(summary["steps_run"], 0);
}

#[test]
fn resume_with_set_is_refused_naming_the_key() {
    let (dir, config) = workspace(&format!("{TINY}checkpoint_every = 10\n"));
    let out = dir.path().join("out");
    assert!(train(&config, &out, &[]).status.success());
    let output = overparam(&[
        "train",
        "--resume",
        out.to_str().unwrap(),
        "--set",
        "train.steps=500",
    ]);
    assert_fails_with(
        &output,
        &["--set train.steps=500", "train.steps", "--resume"],
    );
}

#[test]
fn stray_temporaries_of_a_killed_run_are_removed_by_the_next_run() {
    let (dir, config) = workspace(TINY);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(".tmpAbC123"), b"half an npz").unwrap();
    let output = train(&config, &out, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!out.join(".tmpAbC123").exists());
}

/// A batch of seeds with checkpoints, SIGKILLed once some seed has a checkpoint, continued by
/// `train --resume DIR` on the batch's own directory: every seed's files equal an
/// uninterrupted batch's.
#[test]
fn a_batch_of_seeds_resumes_from_its_own_directory() {
    let text = r#"
seed = 11
[data]
n = 48
d = 6
[model]
width = 128
[train]
steps = 20000
log_every = 100
checkpoint_every = 500
seeds = 3
"#;
    let (dir, config) = workspace(text);
    let (whole, killed) = (dir.path().join("whole"), dir.path().join("killed"));
    let output = train(&config, &whole, &[]);
    assert!(output.status.success(), "{}", stderr(&output));

    let args = [
        "train",
        "--config",
        config.to_str().unwrap(),
        "--out",
        killed.to_str().unwrap(),
    ];
    kill_when(&args, || {
        (11..14).any(|s| killed.join(format!("seed-{s}/checkpoint.json")).exists())
    });
    assert_eq!(summary(&killed)["status"], "running");

    let output = overparam(&["train", "--resume", killed.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(summary(&killed)["status"], "ok");
    for seed in 11..14 {
        for file in ["metrics.csv", "params_final.npz", "params_init.npz"] {
            let a = std::fs::read(whole.join(format!("seed-{seed}/{file}"))).unwrap();
            let b = std::fs::read(killed.join(format!("seed-{seed}/{file}"))).unwrap();
            assert!(
                a == b,
                "seed {seed}: {file} differs after resuming the batch"
            );
        }
    }
}

#[test]
fn gradcheck_of_a_network_with_every_tensor_frozen_is_refused_not_a_panic() {
    let (_dir, config) = workspace(TINY);
    let output = overparam(&[
        "gradcheck",
        "--config",
        config.to_str().unwrap(),
        "--set",
        "model.train_w=false",
        "--set",
        "model.train_b=false",
        "--set",
        "model.train_a=false",
    ]);
    assert_fails_with(&output, &["nothing to check", "model.train_a"]);
}

/// A tmpfs of a given size mounted on a temporary directory for the test's lifetime (root
/// only); `None`, said on stderr, where mounting is not allowed, unless
/// `OVERPARAM_REQUIRE_TMPFS` is set (as in CI), where that fails the test instead.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|output| output.status.success());
        if mounted {
            return Some(Tmpfs { dir });
        }
        assert!(
            std::env::var_os("OVERPARAM_REQUIRE_TMPFS").is_none(),
            "cannot mount a tmpfs (root is needed) and OVERPARAM_REQUIRE_TMPFS is set"
        );
        eprintln!(
            "SKIPPED: cannot mount a tmpfs here (needs root); the full-disk test did not run"
        );
        None
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// A full disk while the final parameters are written: one clear error naming the file and
/// "No space left on device" once (zip's "ZipWriter drop failed" used to be printed, and the
/// I/O error three times), and the metrics already computed kept.
#[test]
fn a_full_disk_is_one_clear_error_and_the_metrics_stay() {
    let Some(disk) = Tmpfs::mount("200k") else {
        return;
    };
    // 100 KiB of padding leaves room for the metrics, teacher.npz and params_init.npz (74 KB)
    // of the quickstart, not for params_final.npz as well.
    std::fs::write(disk.dir.path().join("pad"), vec![0u8; 100 << 10]).unwrap();
    let out = disk.dir.path().join("run");
    let output = train(&quickstart(), &out, &["--set", "train.steps=50"]);
    assert_fails_with(&output, &["params_final.npz", "No space left on device"]);
    let message = stderr(&output);
    assert_eq!(
        message.matches("No space left on device").count(),
        1,
        "{message}"
    );
    assert!(!message.contains("ZipWriter"), "{message}");
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(
        metrics.lines().count(),
        7,
        "header and steps 0, 10, …, 50:\n{metrics}"
    );
    assert!(!out.join("params_final.npz").exists());
}
