//! A child process that ends with its parent: `sweep run` starts each `overparam train` with
//! [`PARENT_PID_VAR`] set to its own pid; the child, at startup ([`watch_parent_from_env`]),
//! starts a thread that checks its parent pid every [`POLL_INTERVAL`] and, as soon as it is
//! no longer that pid (the parent died and the child was re-parented to init or a
//! subreaper), exits at once with [`PARENT_GONE_EXIT_CODE`], one line on stderr. So killing a
//! sweep (even with SIGKILL of its pid alone) leaves no `train` holding a run's lock, and an
//! immediate rerun finds every run free. The abrupt exit is safe: every output is written
//! atomically and an interrupted run resumes from its checkpoint.
//!
//! This is the portable, `unsafe`-free stand-in for Linux's `PR_SET_PDEATHSIG`. Unix only:
//! elsewhere the variable is checked but no watcher runs (the child outlives its parent, and
//! a rerun waits for it).

use std::time::Duration;

/// The environment variable holding the pid of the process this one must not outlive.
pub const PARENT_PID_VAR: &str = "OVERPARAM_PARENT_PID";

/// The exit status of a process whose watched parent is gone (distinct from failure, 1, and
/// a busy run directory, 75).
pub const PARENT_GONE_EXIT_CODE: i32 = 76;

/// How often the watcher checks the parent pid.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// When [`PARENT_PID_VAR`] is set, starts the watcher thread for that pid (Unix; a no-op
/// elsewhere). An error when the variable is set but is not a pid; nothing when it is unset.
pub fn watch_parent_from_env() -> anyhow::Result<()> {
    let Some(value) = std::env::var_os(PARENT_PID_VAR) else {
        return Ok(());
    };
    let pid: u32 = value
        .to_str()
        .and_then(|text| text.trim().parse().ok())
        .filter(|&pid| pid > 0)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{PARENT_PID_VAR} = {value:?} is not a process id (a positive integer); \
                 unset it, or set it to the pid this process must not outlive"
            )
        })?;
    watch(pid)
}

/// Starts the thread that exits the process once its parent is no longer `pid`.
#[cfg(unix)]
fn watch(pid: u32) -> anyhow::Result<()> {
    use anyhow::Context;
    std::thread::Builder::new()
        .name("parent-watch".into())
        .spawn(move || loop {
            let parent = std::os::unix::process::parent_id();
            if parent != pid {
                eprintln!(
                    "error: the parent process {pid} ({PARENT_PID_VAR}) is gone (this \
                     process's parent is now {parent}); exiting with status {PARENT_GONE_EXIT_CODE}"
                );
                std::process::exit(PARENT_GONE_EXIT_CODE);
            }
            std::thread::sleep(POLL_INTERVAL);
        })
        .context("starting the parent-watch thread")?;
    Ok(())
}

/// No watcher off Unix: the process outlives a dead parent.
#[cfg(not(unix))]
fn watch(_pid: u32) -> anyhow::Result<()> {
    Ok(())
}
