//! The `train` processes a sweep has running, and SIGTERM sent on to them: once the sweep
//! itself receives SIGTERM (Slurm signals every process of a job, but a user's `kill` reaches
//! the sweep alone), each running child gets it too, once, so that it saves a checkpoint and
//! exits (see [`crate::interrupt`]); the sweep then waits for them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::interrupt::sigterm_received;

/// How often the forwarder checks for SIGTERM.
const POLL: Duration = Duration::from_millis(50);

/// Running children by pid, each with whether SIGTERM was sent on to it.
#[derive(Default)]
pub(super) struct Children {
    running: Mutex<BTreeMap<u32, bool>>,
    finished: AtomicBool,
}

impl Children {
    /// Records a started child.
    pub(super) fn started(&self, pid: u32) {
        if let Ok(mut running) = self.running.lock() {
            running.insert(pid, false);
        }
    }

    /// Forgets a child that has been waited for.
    pub(super) fn ended(&self, pid: u32) {
        if let Ok(mut running) = self.running.lock() {
            running.remove(&pid);
        }
    }

    /// Until [`Children::finish`]: every [`POLL`], once SIGTERM has arrived, sends it on to
    /// each running child that has not had it yet. Run on its own thread.
    pub(super) fn forward_sigterm(&self) {
        while !self.finished.load(Ordering::SeqCst) {
            if sigterm_received() {
                if let Ok(mut running) = self.running.lock() {
                    for (&pid, signalled) in running.iter_mut().filter(|(_, s)| !**s) {
                        send_sigterm(pid);
                        *signalled = true;
                    }
                }
            }
            std::thread::park_timeout(POLL);
        }
    }

    /// Ends [`Children::forward_sigterm`] (at its next wake-up; unpark its thread to hurry it).
    pub(super) fn finish(&self) {
        self.finished.store(true, Ordering::SeqCst);
    }
}

/// Sends SIGTERM to `pid` (a child not yet waited for, so the pid is still its own).
#[cfg(unix)]
fn send_sigterm(pid: u32) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    if let Ok(pid) = i32::try_from(pid) {
        // A child that has just exited is no error: there is nothing left to stop.
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
}

/// No signals to send off Unix.
#[cfg(not(unix))]
fn send_sigterm(_pid: u32) {}
