//! The progress bar of a training run.

use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

static HIDDEN: AtomicBool = AtomicBool::new(false);

/// Hides (or shows again) every progress bar the command line draws in this process: a host
/// program's switch.
pub fn set_progress_hidden(hidden: bool) {
    HIDDEN.store(hidden, Ordering::Relaxed);
}

/// A bar over `steps` steps on stderr, starting at `first_step`, with the loss as its message;
/// indicatif draws it only where stderr is a terminal. `hidden` (or [`set_progress_hidden`])
/// hides it everywhere.
pub fn step_progress_bar(steps: usize, first_step: usize, hidden: bool) -> ProgressBar {
    if hidden || HIDDEN.load(Ordering::Relaxed) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps as u64);
    bar.set_position(first_step as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps {msg} [{elapsed} < {eta}]")
    {
        bar.set_style(style);
    }
    bar
}
