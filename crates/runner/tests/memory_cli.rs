//! End to end: sizes beyond memory are refused before anything is allocated or written, with the
//! key, the estimate and the limit, on `train`, `ntk` and `gradcheck`; `--max-memory` overrides
//! the limit.
//!
//! The sizes refused under the machine's own memory are estimated at about 0.5 TB or more, so
//! the tests hold on any machine with less.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{overparam, stderr, subcommand, workspace};
use overparam_model::NamedArray;
use overparam_trainer::write_npz_arrays;

/// The quickstart's sizes (n = 256, d = 16, k = 4; the default width m = 512, left unset so
/// that `--set model.widths=…` is no conflict), few steps.
const BASE: &str = r#"
[data]
n = 256
d = 16
teacher_width = 4
[train]
steps = 5
log_every = 5
"#;

/// Each key at a size beyond memory, for the commands it applies to.
const TOO_BIG: [(&str, &str); 4] = [
    ("data.n=4294967296", "data.n = 4294967296"),
    ("model.width=4294967296", "model.width = 4294967296"),
    (
        "data.teacher_width=4294967296",
        "data.teacher_width = 4294967296",
    ),
    ("data.d=100000000", "data.d = 100000000"),
];

fn quickstart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/quickstart.toml")
}

fn gradcheck(config: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["gradcheck", "--config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    overparam(&args)
}

/// The run failed with an exit code (not an abort, not a signal), naming `key` and memory.
fn assert_refused(output: &Output, key: &str) {
    let message = stderr(output);
    assert!(!output.status.success(), "expected a refusal: {message}");
    let code = output.status.code();
    assert!(
        code.is_some() && code != Some(134),
        "killed or aborted ({:?}): {message}",
        output.status
    );
    assert!(!message.contains("panicked"), "panicked: {message}");
    assert!(message.contains(key), "stderr lacks `{key}`:\n{message}");
    assert!(
        message.contains("memory"),
        "stderr lacks `memory`:\n{message}"
    );
    assert!(message.contains("needs about"), "no estimate:\n{message}");
}

#[test]
fn train_refuses_sizes_beyond_memory_naming_the_key_and_writing_nothing() {
    let (dir, config) = workspace(BASE);
    let cases = TOO_BIG
        .iter()
        .copied()
        .chain([("train.seeds=1000000000", "train.seeds = 1000000000")]);
    for (index, (set, key)) in cases.enumerate() {
        let out = dir.path().join(format!("out-{index}"));
        let output = subcommand("train", &config, &out, &["--set", set]);
        assert_refused(&output, key);
        assert!(!out.exists(), "{set}: {} was created", out.display());
    }
}

#[test]
fn train_counts_tracked_kernels() {
    let (dir, config) = workspace(BASE);
    let out = dir.path().join("deep");
    let deep = [
        "--set",
        "model.widths=[100000, 100000, 100000]",
        "--set",
        "train.ntk_every=1",
    ];
    assert_refused(
        &subcommand("train", &config, &out, &deep),
        "model.widths = [100000, 100000, 100000]",
    );
    assert!(!out.exists());
    // n = 200000 fits untracked (~2 GiB) but its kernels [n, n] in f64 need ~2.4 TiB.
    let wide = ["--set", "data.n=200000", "--set", "train.ntk_every=10"];
    let output = subcommand("train", &config, &out, &wide);
    assert_refused(&output, "data.n = 200000");
    assert!(
        stderr(&output).contains("kernels [n, n]"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists());
}

#[test]
fn ntk_refuses_sizes_beyond_memory_naming_the_key_and_writing_nothing() {
    let (dir, config) = workspace(BASE);
    let deep = (
        "model.widths=[200000, 200000, 200000]",
        "model.widths = [200000, 200000, 200000]",
    );
    let kernels = ("data.n=1000000", "data.n = 1000000");
    for (index, (set, key)) in TOO_BIG.iter().chain([&deep, &kernels]).enumerate() {
        let out = dir.path().join(format!("out-{index}"));
        let output = subcommand("ntk", &config, &out, &["--set", set]);
        assert_refused(&output, key);
        assert!(!out.exists(), "{set}: {} was created", out.display());
    }
}

#[test]
fn ntk_takes_n_from_the_data_file_before_computing_kernels() {
    let (dir, config) = workspace("[data]\nn = 4\nd = 1\n[model]\nwidth = 4\n");
    let data = dir.path().join("x.npz");
    let rows = 30_000;
    let x = NamedArray::new("x", vec![rows, 1], vec![0.5; rows]).unwrap();
    write_npz_arrays(std::fs::File::create(&data).unwrap(), &[x]).unwrap();
    let out = dir.path().join("out");
    let extra = ["--data", data.to_str().unwrap(), "--max-memory", "1G"];
    let output = subcommand("ntk", &config, &out, &extra);
    assert_refused(&output, "n = 30000 (the rows of `x` in --data");
    assert!(stderr(&output).contains("--max-memory limit of 1.0 GiB"));
    assert!(!out.exists());
}

#[test]
fn gradcheck_refuses_sizes_beyond_memory_naming_the_key() {
    let (_dir, config) = workspace(BASE);
    for (set, key) in TOO_BIG {
        assert_refused(&gradcheck(&config, &["--set", set]), key);
    }
}

#[test]
fn max_memory_overrides_the_limit_both_ways() {
    let quickstart = quickstart();
    let dir = tempfile::tempdir().unwrap();
    let steps = ["--set", "train.steps=5"];
    let out = dir.path().join("train");
    let tiny_limit = ["--set", "train.steps=5", "--max-memory", "1M"];
    let output = subcommand("train", &quickstart, &out, &tiny_limit);
    assert_refused(&output, "the --max-memory limit of 1.0 MiB");
    assert!(!out.exists());
    let output = subcommand("train", &quickstart, &out, &steps);
    assert!(output.status.success(), "{}", stderr(&output));
    let large_limit = ["--set", "train.steps=5", "--max-memory", "1G"];
    let output = subcommand("train", &quickstart, &out, &large_limit);
    assert!(output.status.success(), "{}", stderr(&output));

    let ntk_out = dir.path().join("ntk");
    let output = subcommand("ntk", &quickstart, &ntk_out, &["--max-memory", "1M"]);
    assert_refused(&output, "--max-memory limit");
    assert!(!ntk_out.exists());
    let output = gradcheck(&quickstart, &["--max-memory", "1M"]);
    assert_refused(&output, "--max-memory limit");
}

#[test]
fn seeds_are_checked_against_max_memory_before_the_directory_is_made() {
    let (dir, config) = workspace(BASE);
    let out = dir.path().join("seeds");
    let seeds = ["--set", "train.seeds=2", "--max-memory", "1M"];
    let output = subcommand("train", &config, &out, &seeds);
    assert_refused(&output, "--max-memory limit");
    assert!(!out.exists());
}

#[test]
fn gradcheck_passes_by_default_on_a_small_config() {
    let (_dir, config) = workspace("[data]\nn = 6\nd = 3\n[model]\nwidth = 5\n");
    let output = gradcheck(&config, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn a_malformed_max_memory_is_a_usage_error() {
    let (dir, config) = workspace(BASE);
    let out = dir.path().join("out");
    let output = subcommand("train", &config, &out, &["--max-memory", "12X"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("--max-memory"), "{message}");
    assert!(message.contains("expected a size such as 64G"), "{message}");
    assert!(!out.exists());
}

#[test]
fn resume_is_checked_against_max_memory_and_keeps_the_checkpoint() {
    // A run that diverges at step 2 leaves its step-2 checkpoint behind.
    let (dir, config) = workspace(
        "seed = 3\n[data]\nn = 12\nd = 3\n[model]\nwidth = 16\n[train]\nsteps = 30\n\
         log_every = 1\nlr_w = 1e8\nlr_a = 1e8\ncheckpoint_every = 1\n",
    );
    let out = dir.path().join("out");
    assert!(!subcommand("train", &config, &out, &[]).status.success());
    let checkpoint = std::fs::read(out.join("checkpoint.json")).unwrap();
    let metrics = std::fs::read(out.join("metrics.csv")).unwrap();
    let resume = [
        "train",
        "--resume",
        out.to_str().unwrap(),
        "--max-memory",
        "1K",
    ];
    assert_refused(&overparam(&resume), "the --max-memory limit of 1.0 KiB");
    assert_eq!(
        std::fs::read(out.join("checkpoint.json")).unwrap(),
        checkpoint
    );
    assert_eq!(std::fs::read(out.join("metrics.csv")).unwrap(), metrics);
}
