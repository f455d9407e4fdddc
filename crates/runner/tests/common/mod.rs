//! Running the real `overparam` binary from the end-to-end tests.
#![allow(dead_code)]

#[path = "../../../trainer/tests/common/numerics.rs"]
pub mod numerics;
pub mod sweep;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `overparam ARGS…`, waited for.
pub fn overparam(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(args)
        .output()
        .unwrap()
}

/// `overparam SUBCOMMAND --config CONFIG --out OUT EXTRA…`.
pub fn subcommand(name: &str, config: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        name,
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    overparam(&args)
}

/// The process's standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A tiny two-layer run (n = 12, d = 3, m = 16, 30 steps): well under a second.
pub const TINY: &str = r#"
seed = 3
[data]
n = 12
d = 3
[model]
width = 16
[train]
steps = 30
log_every = 10
"#;

/// A run with checkpoints every 300 steps and the NTK tracked (so K_0 travels in the
/// checkpoint too), its `[train]` section last and open for `steps`: about a second at 3000
/// steps under autodiff, or 30000 on the ~5× faster fused engine, so that the first
/// checkpoint comes well before the end.
pub const LONG: &str = r#"
seed = 5
[data]
n = 64
d = 8
[model]
width = 256
[train]
log_every = 10
ntk_every = 250
checkpoint_every = 300
"#;

/// A temporary directory holding `config.toml` with `text`.
pub fn workspace(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text).unwrap();
    (dir, config)
}

/// The command failed cleanly (an exit status, not a panic, an abort or a signal) and its
/// standard error holds every fragment.
pub fn assert_fails_with(output: &Output, fragments: &[&str]) {
    assert!(!output.status.success(), "expected failure, got success");
    let message = stderr(output);
    assert!(!message.contains("panicked"), "panicked: {message}");
    assert!(
        output
            .status
            .code()
            .is_some_and(|code| code != 101 && code != 134),
        "not a clean error exit ({}): {message}",
        output.status
    );
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "stderr lacks `{fragment}`:\n{message}"
        );
    }
}

/// Starts `overparam ARGS…` and SIGKILLs it as soon as `ready()` holds (checked every
/// millisecond, for at most two minutes); panics if it ends first.
pub fn kill_when(args: &[&str], ready: impl Fn() -> bool) {
    let mut child = spawn_when(args, ready);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Starts `overparam ARGS…` (output discarded) and returns it, still running, once `ready()`
/// holds; fails if it ends first or takes over 120 s.
pub fn spawn_when(args: &[&str], ready: impl Fn() -> bool) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "overparam {args:?} ended before it was to be stopped"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "overparam {args:?}: still not ready after 120 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    child
}

/// Asserts that an interrupted run continued in `cut` ended with the same `metrics.csv`,
/// `params_final.npz` and `params_init.npz`, byte for byte, as the uninterrupted one in
/// `full` (`step`: where it resumed, for the message).
pub fn assert_same_run_files(full: &Path, cut: &Path, step: u64) {
    for file in ["metrics.csv", "params_final.npz", "params_init.npz"] {
        let (a, b) = (
            std::fs::read(full.join(file)).unwrap(),
            std::fs::read(cut.join(file)).unwrap(),
        );
        assert!(a == b, "{file} differs after resuming from step {step}");
    }
}

/// Sends SIGTERM to `child` and waits for it; its exit code and standard error.
pub fn terminate(child: std::process::Child) -> (Option<i32>, String) {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let output = child.wait_with_output().unwrap();
    (output.status.code(), stderr(&output))
}
