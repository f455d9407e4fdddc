//! The seed papers `overparam reproduce` checks, with no Burn in sight: one module per paper,
//! holding its registry entry (`REPRODUCTION`: the claim, the sweeps it runs, their dtype) and
//! the analysis that turns the sweeps into verdicts (computed from the measurements by a
//! criterion stated up front) and report sections. The runner runs the sweeps; nothing here
//! runs a network.

pub mod quadratic;
pub mod sparse_bias;
pub mod subquadratic;
pub mod teacher_student;
pub mod two_rates;

mod builtin_specs;
mod criteria;
mod number;
mod parts;
mod registry;
mod reproduction;
mod result_rows;
mod run_metrics;
mod spec_file;

pub use builtin_specs::{write_builtin_specs, BUILTIN_SPECS};
pub use criteria::{criteria_differences, Criterion, Threshold};
pub use number::number;
pub use parts::{Analysis, Findings, Parts, Scale};
pub use registry::{find, REPRODUCTIONS};
pub use reproduction::{Part, Reproduction};
pub use result_rows::ResultRows;
pub use run_metrics::{late_loss_ratio, metric_minimum, STALL_RATIO};
pub use spec_file::{spec_file, spec_name};
