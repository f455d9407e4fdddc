//! The overparam library API: what the `overparam` command line and other programs (a Python
//! module, a notebook) call to resolve a run configuration, build its data and network on a
//! chosen backend and dtype, and run `train`, `ntk` and `gradcheck`, getting the outputs as
//! values rather than files.
//!
//! ```no_run
//! use overparam_api::{train, BackendKind, Compute, DTypeKind, EngineChoice, Experiment, TrainOptions};
//!
//! let overrides = ["model.width=32".to_string(), "train.steps=50".to_string()];
//! let experiment = Experiment::load("configs/quickstart.toml".as_ref(), &overrides)?;
//! let options = TrainOptions {
//!     compute: Compute { backend: BackendKind::Flex, dtype: DTypeKind::F64 },
//!     engine: EngineChoice::Auto,
//!     init: None,
//!     dataset: None,
//! };
//! let run = train(&experiment, &options, &mut ())?;
//! println!("{} rows, final loss {:?}", run.rows.len(), run.last_finite().map(|f| f.loss));
//! # Ok::<(), anyhow::Error>(())
//! ```
//!
//! Files, progress bars, run locks and checkpoints on disk are the command line's; the API
//! hands out rows and checkpoints as they come through a [`TrainObserver`].

pub mod backend;
mod compute;
pub mod config;
mod experiment;
mod gradcheck;
mod network;
pub mod ntk;
pub mod train;

pub use backend::{BackendKind, DTypeKind};
pub use compute::Compute;
pub use experiment::Experiment;
pub use gradcheck::{gradcheck, gradcheck_on};
pub use network::{build_network, parameter_names, refuse_frozen_network, Init};
pub use ntk::{ntk, NtkMethods, NtkRequest, NtkRun};
pub use train::{train, EngineChoice, TrainObserver, TrainOptions, TrainRun};

pub use overparam_model::{Mlp, NamedArray};
pub use overparam_trainer::data::Dataset;
pub use overparam_trainer::{MetricRecord, TensorCheck};
