//! Requests to stop a training run between steps: a host program's check (the Python
//! module's Ctrl-C), installed once, and SIGTERM — the signal Slurm sends before it kills a
//! job at its time limit, on pre-emption or on `scancel` — for the commands that ask for it
//! ([`stop_on_sigterm`]: `train`, `sweep run`, `reproduce`). Training runs ask at every step;
//! a run stopped this way saves a checkpoint of that step first (when `checkpoint_every` is
//! set), writes `summary.json` with status `interrupted` and exits with
//! [`TERMINATED_EXIT_CODE`], so that the next `sweep run` resumes it. Other commands keep the
//! default: a signal ends them at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;

/// The exit status of a command stopped by SIGTERM after saving what it could (128 + 15,
/// what a shell reports for a process the signal killed).
pub const TERMINATED_EXIT_CODE: u8 = 143;

static CHECK: OnceLock<fn() -> bool> = OnceLock::new();

/// Set by the SIGTERM handler once [`stop_on_sigterm`] has installed it.
static SIGTERM_RECEIVED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Installs `check` for the rest of the process (a second call keeps the first).
pub fn set_interrupt_check(check: fn() -> bool) {
    let _ = CHECK.set(check);
}

/// From now on SIGTERM no longer ends the process: it sets a flag that
/// [`interrupt_requested`] and [`sigterm_received`] report. Idempotent.
pub fn stop_on_sigterm() -> anyhow::Result<()> {
    let mut result = Ok(());
    SIGTERM_RECEIVED.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        result = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&flag))
            .map(|_| ())
            .context("installing the SIGTERM handler");
        flag
    });
    result
}

/// Whether SIGTERM has arrived since [`stop_on_sigterm`].
pub fn sigterm_received() -> bool {
    SIGTERM_RECEIVED
        .get()
        .is_some_and(|flag| flag.load(Ordering::SeqCst))
}

/// Whether the host or a SIGTERM asks the run to stop now.
pub fn interrupt_requested() -> bool {
    sigterm_received() || CHECK.get().is_some_and(|check| check())
}

/// A command stopped by SIGTERM after saving what it could; the program exits with
/// [`TERMINATED_EXIT_CODE`].
#[derive(Debug, thiserror::Error)]
#[error("stopped by SIGTERM: {0}")]
pub struct Terminated(pub String);
