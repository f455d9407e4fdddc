//! The trainer's one error type: each variant carries the bad value and where it was found.

use std::path::{Path, PathBuf};

use crate::divergence::{Divergence, FiniteLoss};
use crate::npz::NpzError;
use crate::ntk::SpectrumError;

/// Everything that can go wrong loading data or training.
#[derive(Debug, thiserror::Error)]
pub enum TrainerError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An `.npz` file (or an array in it) could not be parsed. Displayed as
    /// "PATH: array `NAME`: message", or "PATH: message" when the archive itself is at fault.
    #[error("{}", npz_message(.path, .array, .error))]
    Npz {
        /// The file.
        path: PathBuf,
        /// The array being read (empty when the archive itself is unreadable).
        array: String,
        /// What went wrong.
        error: NpzError,
    },
    /// An array has a shape other than the configuration implies.
    #[error("{path}: array `{array}` has shape {found:?}, expected {expected:?}")]
    ShapeMismatch {
        /// The file.
        path: PathBuf,
        /// The array.
        array: String,
        /// Shape implied by the configuration.
        expected: Vec<usize>,
        /// Shape in the file.
        found: Vec<usize>,
    },
    /// An array holds NaN or ±Inf.
    #[error(
        "{source_name}: array `{array}` holds a non-finite value {value} at flat index {index}"
    )]
    NonFinite {
        /// The file or generator the array came from.
        source_name: String,
        /// The array.
        array: String,
        /// Flat (row-major) index of the first non-finite entry.
        index: usize,
        /// The value (NaN, inf or -inf).
        value: f64,
    },
    /// Runs that cannot train as one stacked ensemble (see [`crate::stackable`]).
    #[error("cannot train the seeds stacked: {0}")]
    NotStackable(String),
    /// A data specification that cannot be generated.
    #[error("invalid data specification: {0}")]
    InvalidData(String),
    /// The metrics sink (e.g. `metrics.csv`) could not be written.
    #[error("writing metrics: {0}")]
    Sink(std::io::Error),
    /// The kernel's spectrum could not be computed (e.g. non-finite entries).
    #[error("NTK spectrum: {0}")]
    Kernel(SpectrumError),
    /// The kernel could not be computed.
    #[error("NTK: {0}")]
    Ntk(crate::ntk::NtkError),
    /// A checkpoint could not be written.
    #[error("writing the checkpoint at step {step}: {source}")]
    Checkpoint {
        /// The step the checkpoint was for.
        step: usize,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The loss, a parameter, a gradient or the kernel became NaN or ±Inf.
    #[error("training diverged at step {step}: {cause}")]
    Diverged {
        /// The step at which the non-finite value was found (θ_step, or L and ∂L/∂θ at it).
        step: usize,
        /// What was non-finite, with the tensor and entry where that applies.
        cause: Divergence,
        /// The last finite full-batch loss before it, if any.
        last_finite: Option<FiniteLoss>,
    },
    /// Every tensor of the network is frozen: gradient descent has nothing to move.
    #[error(
        "nothing to train: every tensor is frozen (train_w, train_b and train_a, or every entry \
         of train_layers with train_a); let at least one train"
    )]
    NothingToTrain,
    /// The caller asked the loop to stop (a Ctrl-C, a SIGTERM) at the top of `step`; with
    /// checkpointing on, θ_step and the loop state were saved there first.
    #[error(
        "interrupted before step {step}{}",
        if *checkpointed { " (checkpoint saved at that step)" } else { "" }
    )]
    Interrupted {
        /// The step that was not taken.
        step: usize,
        /// Whether a checkpoint of that step was written.
        checkpointed: bool,
    },
}

/// The message of [`TrainerError::Npz`]: the file (or "empty path"), the array when there is one.
fn npz_message(path: &Path, array: &str, error: &NpzError) -> String {
    let file = if path.as_os_str().is_empty() {
        "empty path".to_string()
    } else {
        path.display().to_string()
    };
    if array.is_empty() {
        format!("{file}: {error}")
    } else {
        format!("{file}: array `{array}`: {error}")
    }
}
