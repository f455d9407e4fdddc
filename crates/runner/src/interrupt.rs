//! A host program's request to stop a training run between steps (the Python module's
//! Ctrl-C): a check it installs once, which the command line's training runs ask at every step.
//! The `overparam` executable installs none: a signal ends it at once.

use std::sync::OnceLock;

static CHECK: OnceLock<fn() -> bool> = OnceLock::new();

/// Installs `check` for the rest of the process (a second call keeps the first).
pub fn set_interrupt_check(check: fn() -> bool) {
    let _ = CHECK.set(check);
}

/// Whether the host asks the run to stop now.
pub fn interrupt_requested() -> bool {
    CHECK.get().is_some_and(|check| check())
}
