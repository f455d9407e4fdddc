//! One process at a time per run directory: `train` holds an exclusive advisory lock on
//! `DIR/.lock` while it writes there, so two sweep shards (or a re-submitted job beside a
//! straggler) never write the same run at once. The lock dies with its process, so a killed
//! run never leaves a stale lock behind.

use std::fs::{File, TryLockError};
use std::path::Path;

use anyhow::Context;

/// The lock file's name in a run directory.
const LOCK_FILE: &str = ".lock";

/// The exit status of `overparam` when the run directory is locked by another process
/// (`EX_TEMPFAIL`: try again later). `sweep run` then waits for the lock and decides again.
pub const BUSY_EXIT_CODE: u8 = 75;

/// Another process holds the lock on a run directory.
#[derive(Debug, thiserror::Error)]
#[error("another overparam process is writing to {0} (it holds {0}/.lock); wait for it or use another --out")]
pub struct RunDirBusy(pub String);

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct RunDirLock {
    _file: File,
}

/// Opens (creating if needed, never truncating) the lock file at `path`.
pub fn open_lock_file(path: &Path) -> anyhow::Result<File> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// Takes the lock on `dir` (which must exist), or fails with [`RunDirBusy`] at once.
pub fn lock_run_dir(dir: &Path) -> anyhow::Result<RunDirLock> {
    let path = dir.join(LOCK_FILE);
    let file = open_lock_file(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(RunDirLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(RunDirBusy(dir.display().to_string()).into()),
        Err(TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// Whether another process holds the lock on `dir` now.
pub fn run_dir_busy(dir: &Path) -> anyhow::Result<bool> {
    match lock_run_dir(dir) {
        Ok(_lock) => Ok(false),
        Err(error) if error.is::<RunDirBusy>() => Ok(true),
        Err(error) => Err(error),
    }
}

/// How often [`wait_for_run_dir`] tries the lock again.
const WAIT_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// Blocks until no other process holds the lock on `dir` (which must exist), then takes it;
/// `None` as soon as `stop()` says to give up (a SIGTERM). `sweep run` uses it to wait for a
/// run another process is writing; the lock is released when the returned value is dropped.
pub fn wait_for_run_dir(dir: &Path, stop: impl Fn() -> bool) -> anyhow::Result<Option<RunDirLock>> {
    loop {
        match lock_run_dir(dir) {
            Ok(lock) => return Ok(Some(lock)),
            Err(error) if error.is::<RunDirBusy>() => {
                if stop() {
                    return Ok(None);
                }
                std::thread::sleep(WAIT_POLL);
            }
            Err(error) => return Err(error),
        }
    }
}
