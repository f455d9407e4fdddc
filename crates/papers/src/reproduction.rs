//! What a reproduction is: the seed paper, the claim, the sweeps it runs (specs under
//! `configs/papers/<name>/`) and the analysis that decides the verdicts.

use overparam_sweep::dtype::DTypeKind;

use crate::{Analysis, Criterion};

/// One sweep of a reproduction.
pub struct Part {
    /// The part's directory name under the reproduction's directory.
    pub name: &'static str,
    /// The spec's file stem: `<stem>.toml` (full scale) and `<stem>.small.toml` (small scale),
    /// in the reproduction's directory of the specs directory (see [`crate::spec_file`]).
    pub spec: &'static str,
    /// Dtype of every run.
    pub dtype: DTypeKind,
    /// Also compute the analytic NTK K∞ of every finished run (`ntk --method analytic`).
    pub analytic_ntk: bool,
    /// Also compute the loss Hessian at every finished run's final parameters (`hessian
    /// --init params_final.npz`, into `runs/<id>/hessian/`).
    pub hessian: bool,
    /// The thresholds and rules its analysis decides the verdicts by; its specs state the
    /// same ones in `[criteria]` (see [`crate::criteria_differences`]).
    pub criteria: &'static [Criterion],
}

/// One reproduction.
pub struct Reproduction {
    /// The name on the command line, and the directory of its specs.
    pub name: &'static str,
    /// The report's title.
    pub title: &'static str,
    /// The paper and the claim in a few sentences.
    pub summary: &'static str,
    /// Its sweeps, in order.
    pub parts: &'static [Part],
    /// Turns the sweeps into verdicts and sections.
    pub analyse: Analysis,
}
