//! The verdict criteria each part's spec fixes (`[criteria]`), compared with those its
//! analysis applies: where they differ, every verdict line says so.

use std::path::Path;

use overparam_analysis::report::ClaimVerdict;
use overparam_papers::{criteria_differences, Part};
use overparam_sweep::spec::SweepSpec;

/// Where the `[criteria]` of `spec` (the spec `part` ran) and the part's analysis differ, as
/// `PART: sentence`.
pub(super) fn differences(part: &Part, spec: &Path) -> anyhow::Result<Vec<String>> {
    let stated = SweepSpec::load(spec)?.criteria;
    Ok(criteria_differences(part.criteria, &stated)
        .into_iter()
        .map(|difference| format!("{}: {difference} (spec {})", part.name, spec.display()))
        .collect())
}

/// Appends the `differences` to every verdict's criterion (none when they agree) and returns
/// the report's settings line on the criteria.
pub(super) fn mark(verdicts: &mut [ClaimVerdict], differences: &[String]) -> String {
    if differences.is_empty() {
        return "verdict criteria: as fixed in each spec's `[criteria]` before the runs".into();
    }
    let text = differences.join("; ");
    for verdict in verdicts {
        verdict.criterion = format!(
            "{} — NOT the criteria fixed in the spec: {text}",
            verdict.criterion
        );
    }
    format!("verdict criteria differ from the specs' `[criteria]`: {text}")
}
