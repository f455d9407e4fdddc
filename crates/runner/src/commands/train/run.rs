//! What one run of one seed needs besides the network: its command-line arguments, the
//! resolved experiment, the output directory, the device and the data.

use std::path::Path;

use burn::tensor::Device;
use overparam_api::Experiment;
use overparam_trainer::data::Dataset;

use crate::cli::RunArgs;

/// Everything a run needs besides the network.
pub(super) struct Run<'a> {
    /// The command line's run arguments (backend, dtype, `--out`, `--init`).
    pub(super) args: &'a RunArgs,
    /// The run's config, its engine chosen.
    pub(super) experiment: &'a Experiment,
    /// The run directory.
    pub(super) out: &'a Path,
    /// The autodiff device the run trains on.
    pub(super) device: &'a Device,
    /// The training data.
    pub(super) dataset: &'a Dataset,
    /// Hide the progress bar and the closing line (seeds trained side by side).
    pub(super) quiet: bool,
}
