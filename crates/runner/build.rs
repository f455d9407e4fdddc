//! Records, at build time, the `git describe` of the source tree and the Burn version from
//! `Cargo.lock`, so that every run's `summary.json` says exactly what code produced it.

use std::process::Command;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    println!("cargo:rerun-if-changed={root}/.git/HEAD");
    println!("cargo:rerun-if-changed={root}/.git/index");
    println!("cargo:rerun-if-changed={root}/Cargo.lock");
    let describe = Command::new("git")
        .args(["-C", root, "describe", "--always", "--dirty", "--tags"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=OVERPARAM_GIT_DESCRIBE={describe}");
    let lock = std::fs::read_to_string(format!("{root}/Cargo.lock")).unwrap_or_default();
    let burn = lock
        .split("[[package]]")
        .find(|entry| entry.contains("name = \"burn\"\n"))
        .and_then(|entry| entry.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=OVERPARAM_BURN_VERSION={burn}");
}
