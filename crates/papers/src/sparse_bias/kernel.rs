//! The verdict on the NTK's smallest eigenvalue: the empirical kernel with trainable bias at
//! initialization against the infinite-width kernel K∞ with the same constant bias, and the
//! values of the λ_min-against-B figure.

use super::figures::KernelLevel;
use overparam_analysis::report::{ClaimVerdict, TextTable, Verdict};

use super::claims::{cell, label, verdict};
use super::runs::{Level, Measured};

/// The claim holds when the ratio λ_min(K_m)/λ_min(K∞) at every B is within this relative
/// distance of the dense network's.
pub const KERNEL_TOLERANCE: f64 = 0.3;

/// The claim, the table of λ_min against B, and the verdict.
pub fn smallest_eigenvalue(levels: &[Level]) -> (ClaimVerdict, TextTable) {
    let mut table = TextTable {
        columns: [
            "B",
            "λ_min empirical NTK (init)",
            "λ_min(K∞) same bias",
            "empirical / K∞",
            "relative to B = 0",
            "λ_min(K∞)/(1 − Φ(B))",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    let dense = levels
        .iter()
        .find(|l| l.bias == 0.0)
        .and_then(|l| l.median(Measured::kernel_ratio));
    let mut relative = Vec::new();
    let mut missing = Vec::new();
    for level in levels {
        let limit = level.median(|r| r.lambda_min_limit);
        let ratio = level.median(Measured::kernel_ratio);
        let to_dense = ratio.zip(dense).map(|(r, d)| r / d);
        table.rows.push(vec![
            level.bias.to_string(),
            cell(level.median(|r| r.lambda_min)),
            cell(limit),
            cell(ratio),
            cell(to_dense),
            cell(limit.map(|l| l / level.active_probability())),
        ]);
        match (ratio, to_dense) {
            (Some(ratio), Some(to_dense)) if level.bias > 0.0 => {
                relative.push((level, ratio, to_dense))
            }
            (None, _) => missing.push(label(level)),
            _ => {}
        }
    }
    let claim = "With width m ∝ 1/(1 − Φ(B)), the NTK with trainable bias at initialization is \
                 as close to the bias-generalized infinite-width kernel K∞ as the dense \
                 network's is to its own: λ_min(K_m)/λ_min(K∞) does not depend on B";
    let criterion = "r(B) = median over seeds of λ_min(K_m)/λ_min(K∞) (K∞ from `ntk --method \
                     analytic` on the run's inputs); holds when r(B)/r(0) is within 30% of 1 at \
                     every B > 0, does not hold otherwise; inconclusive when some B (or B = 0) \
                     lacks r";
    if dense.is_none() || !missing.is_empty() || relative.is_empty() {
        let reason = match dense {
            None => "no ratio for the dense B = 0 runs".to_string(),
            Some(_) if missing.is_empty() => "no sparse (B > 0) run".to_string(),
            Some(_) => format!("no ratio at {}", missing.join(", ")),
        };
        let measured = "not all measured".to_string();
        return (
            verdict(claim, Verdict::Inconclusive, criterion, measured, reason),
            table,
        );
    }
    let text: Vec<String> = relative
        .iter()
        .map(|(l, ratio, to_dense)| {
            format!(
                "{}: {} ({})",
                label(l),
                cell(Some(*ratio)),
                cell(Some(*to_dense))
            )
        })
        .collect();
    let measured = format!(
        "λ_min(K_m)/λ_min(K∞) (relative to B = 0): B = 0: {}, {}",
        cell(dense),
        text.join(", ")
    );
    let worst = relative
        .iter()
        .map(|(_, _, to_dense)| (to_dense - 1.0).abs())
        .fold(0.0, f64::max);
    let outcome = Verdict::from_condition(worst <= KERNEL_TOLERANCE);
    (
        verdict(claim, outcome, criterion, measured, String::new()),
        table,
    )
}

/// The values of the λ_min-against-B figure.
pub fn figure_levels(levels: &[Level]) -> Vec<KernelLevel> {
    levels
        .iter()
        .map(|level| KernelLevel {
            bias: level.bias,
            active_probability: level.active_probability(),
            empirical: level.runs.iter().filter_map(|r| r.lambda_min).collect(),
            limit: level
                .runs
                .iter()
                .filter_map(|r| r.lambda_min_limit)
                .collect(),
            medians: (
                level.median(|r| r.lambda_min),
                level.median(|r| r.lambda_min_limit),
            ),
        })
        .collect()
}
