//! Running the real `overparam` binary from the end-to-end tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

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
