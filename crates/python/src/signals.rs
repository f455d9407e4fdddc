//! Ctrl-C while the core computes with the GIL released: the training loop asks between steps
//! ([`interrupt_requested`], at most every 50 ms), which takes the GIL and runs Python's
//! signal handlers; a `KeyboardInterrupt` (or a handler's error) is kept for the caller to
//! raise ([`take_interrupt`]) once the loop has stopped.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use pyo3::prelude::*;

/// How often, at most, the loop asks the interpreter whether Ctrl-C was pressed.
const CHECK_INTERVAL: Duration = Duration::from_millis(50);

static LAST_CHECK: Mutex<Option<Instant>> = Mutex::new(None);
static INTERRUPT: Mutex<Option<PyErr>> = Mutex::new(None);

/// Whether a signal handler raised since the last check (kept for [`take_interrupt`]).
pub fn interrupt_requested() -> bool {
    {
        let mut last = LAST_CHECK.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| at.elapsed() < CHECK_INTERVAL) {
            return false;
        }
        *last = Some(Instant::now());
    }
    match Python::attach(|py| py.check_signals()) {
        Ok(()) => false,
        Err(error) => {
            *INTERRUPT.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
            true
        }
    }
}

/// The interrupt that stopped the last run, if one did (cleared).
pub fn take_interrupt() -> Option<PyErr> {
    INTERRUPT.lock().unwrap_or_else(|e| e.into_inner()).take()
}
