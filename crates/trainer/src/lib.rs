//! Data, per-layer-learning-rate gradient descent, the training loop and its metrics.
//!
//! The loss is L = (1/2n) Σ_i (f(x_i) − y_i)² throughout ([`mean_squared_loss`]). Every
//! function takes Burn tensors and a `&Device`; none names a backend.

mod alignment;
mod autodiff_step;
mod batches;
pub mod data;
mod distance;
mod divergence;
mod ensemble;
mod error;
mod fused;
mod fused_batch;
mod generalization;
mod gradient_check;
mod linearized;
mod loss;
mod metrics;
mod npz;
pub mod ntk;
mod optimizer;
mod rate;
mod resume;
mod rng;
mod run_loop;
mod step;
mod teacher_init;
mod train;

pub use alignment::{network_teacher_alignment, teacher_alignment, teacher_cosines};
pub use autodiff_step::AutodiffStep;
pub use distance::{euclidean_distance, relative_or_absolute_distance};
pub use divergence::{
    autodiff_divergence, first_divergence, first_non_finite_gradient, first_non_finite_in,
    first_non_finite_parameter, Divergence, FiniteLoss, NonFiniteEntry,
};
pub use ensemble::{stackable, train_ensemble, EnsembleMember, MemberResult};
pub use error::TrainerError;
pub use fused::{FusedStep, StepEngine};
pub use generalization::{Generalization, GeneralizationRecord};
pub use gradient_check::{discrepancy, fused_gradients, gradient_check, Discrepancy, TensorCheck};
pub use linearized::{network_outputs, Linearization, LinearizedOutputs, LinearizedRecord};
pub use loss::{loss_output_gradient, mean_squared_loss, mean_squared_loss_of};
pub use metrics::{group_gradient_norms, Baseline, MetricRecord, Snapshot, METRIC_COLUMNS};
pub use npz::{
    read_npz_arrays, write_npy_array, write_npz_arrays, FoundInHeader, LiteralError, NpyError,
    NpzError,
};
pub use optimizer::{
    gradient_descent_step, has_trained_tensor, squared_gradient_norms, LearningRates,
    SquaredGradientNorms,
};
pub use rate::{fitted_loss_rate, predicted_loss_rate};
pub use resume::{BatchOrderState, Checkpointing, LoopState};
pub use rng::{stream_rng, RngStream};
pub use step::Step;
pub use teacher_init::{near_teacher_parameters, NearTeacherError};
pub use train::{step_engine, train, train_from, Optimizer, TrainOutcome, TrainSpec, TrainStart};
