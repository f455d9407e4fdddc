//! The column names of the files runs and sweeps write, one constant each, so that a renamed
//! column is a compile error everywhere it is read. Scripts depend on these names.
//!
//! `metrics.csv` (one row per logged step) has [`METRIC_COLUMNS`]; `results.csv` (one row per
//! run of a sweep) has [`RUN_ID`], the swept keys under their dotted names ([`MODEL_WIDTH`],
//! [`DATA_N`], [`SEED`], …), then [`RESULT_COLUMNS`].

/// Gradient steps taken before the row (0 = the initial network).
pub const STEP: &str = "step";
/// The full-batch loss.
pub const LOSS: &str = "loss";
/// ‖∂L/∂W‖ over the hidden layers' weights.
pub const GRAD_NORM_W: &str = "grad_norm_w";
/// ‖∂L/∂b‖ over the hidden layers' biases.
pub const GRAD_NORM_B: &str = "grad_norm_b";
/// ‖∂L/∂a‖ of the output weights.
pub const GRAD_NORM_A: &str = "grad_norm_a";
/// The relative movement of the hidden layers' weights.
pub const MOVE_W: &str = "move_w";
/// The relative movement of the hidden layers' biases.
pub const MOVE_B: &str = "move_b";
/// The relative movement of the output weights.
pub const MOVE_A: &str = "move_a";
/// The fraction of active (sample, hidden unit) pairs.
pub const ACTIVE_FRACTION: &str = "active_fraction";
/// The fraction of (sample, hidden unit) pairs whose sign flipped since step 0.
pub const FLIPPED_FRACTION: &str = "flipped_fraction";
/// λ_min of the NTK.
pub const LAMBDA_MIN: &str = "lambda_min";
/// λ_max of the NTK.
pub const LAMBDA_MAX: &str = "lambda_max";
/// The relative drift of the NTK from step 0.
pub const NTK_DRIFT: &str = "ntk_drift";
/// The Polyak–Łojasiewicz ratio ‖∇L‖² / (2L).
pub const PL_RATIO: &str = "pl_ratio";
/// The alignment of the student's neurons with the teacher's.
pub const TEACHER_ALIGNMENT: &str = "teacher_alignment";

/// The loss on the held-out points (`data.n_test`, `data.test_path`), normalized as `loss`.
pub const TEST_LOSS: &str = "test_loss";
/// The training loss of the linearized network (`train.linearized`).
pub const LOSS_LIN: &str = "loss_lin";
/// The held-out loss of the linearized network.
pub const TEST_LOSS_LIN: &str = "test_loss_lin";
/// ‖f_t(X) − f_lin,t(X)‖ / ‖f_0(X) − y‖: how far training has left the kernel regime.
pub const LIN_DISTANCE: &str = "lin_distance";
/// [`LIN_DISTANCE`] on the held-out points.
pub const TEST_LIN_DISTANCE: &str = "test_lin_distance";

/// Column names of `metrics.csv`, in order.
pub const METRIC_COLUMNS: [&str; 20] = [
    STEP,
    LOSS,
    GRAD_NORM_W,
    GRAD_NORM_B,
    GRAD_NORM_A,
    MOVE_W,
    MOVE_B,
    MOVE_A,
    ACTIVE_FRACTION,
    FLIPPED_FRACTION,
    LAMBDA_MIN,
    LAMBDA_MAX,
    NTK_DRIFT,
    PL_RATIO,
    TEACHER_ALIGNMENT,
    TEST_LOSS,
    LOSS_LIN,
    TEST_LOSS_LIN,
    LIN_DISTANCE,
    TEST_LIN_DISTANCE,
];

/// The run's id: the first column of `results.csv` and the second of `manifest.csv`.
pub const RUN_ID: &str = "run_id";
/// The swept key `model.width`, the hidden width m.
pub const MODEL_WIDTH: &str = "model.width";
/// The swept key `data.n`, the number of training points.
pub const DATA_N: &str = "data.n";
/// The swept key `seed`.
pub const SEED: &str = "seed";

/// `ok`, `failed`, … : how the run ended.
pub const STATUS: &str = "status";
/// The error of a failed run.
pub const ERROR: &str = "error";
/// The last finite loss.
pub const FINAL_LOSS: &str = "final_loss";
/// The first step at which the loss reached the run's target; empty when it never did.
pub const STEPS_TO_TARGET: &str = "steps_to_target";
/// λ_min of the NTK at step 0.
pub const LAMBDA_MIN_0: &str = "lambda_min_0";
/// λ_max of the NTK at step 0.
pub const LAMBDA_MAX_0: &str = "lambda_max_0";
/// The run's wall time in seconds.
pub const WALL_S: &str = "wall_s";

/// The held-out loss of the final network.
pub const FINAL_TEST_LOSS: &str = "final_test_loss";
/// The held-out loss of kernel regression with the analytic kernel K∞ (the infinitely wide
/// network trained to convergence), where the architecture has one.
pub const KERNEL_REGRESSION_TEST_LOSS: &str = "kernel_regression_test_loss";

/// [`KERNEL_REGRESSION_TEST_LOSS`] averaged over initializations: the mean prediction's loss
/// plus the variance that the initial function f_0 leaves in the infinitely wide network's
/// prediction. What the held-out loss of wide networks approaches.
pub const KERNEL_REGRESSION_EXPECTED_TEST_LOSS: &str = "kernel_regression_expected_test_loss";

/// The columns of `results.csv` after the swept keys, in order.
pub const RESULT_COLUMNS: [&str; 19] = [
    STATUS,
    ERROR,
    FINAL_LOSS,
    STEPS_TO_TARGET,
    LAMBDA_MIN_0,
    LAMBDA_MAX_0,
    MOVE_W,
    MOVE_B,
    MOVE_A,
    ACTIVE_FRACTION,
    NTK_DRIFT,
    WALL_S,
    FINAL_TEST_LOSS,
    LOSS_LIN,
    TEST_LOSS_LIN,
    LIN_DISTANCE,
    TEST_LIN_DISTANCE,
    KERNEL_REGRESSION_TEST_LOSS,
    KERNEL_REGRESSION_EXPECTED_TEST_LOSS,
];
