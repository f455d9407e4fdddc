//! Seed paper 000: with standard initialization and both layers trained together by
//! gradient descent, a width subquadratic in n suffices to reach zero training loss.
//!
//! Part `sweep`: width × n × seeds, each n with a step budget scaled with the convergence time
//! its kernel predicts (in the spec). Verdict from the critical-width fit log m* = α log n + c:
//! holds when the whole bootstrap interval for α lies below 2, does not hold when it lies at
//! or above 2, inconclusive otherwise (or when fewer than two n bracket m*); criteria fixed in
//! the specs' `[criteria]`. Beside it, the share of the runs that missed the target that were
//! still descending when their budget ran out ([`descent`]), and the Polyak–Łojasiewicz ratio
//! ‖∇L‖²/(2L) along the runs at the critical width: its minimum over training (the constant
//! the analysis needs bounded below).

pub mod descent;
pub mod generalization;

use overparam_analysis::critical_width::{
    critical_width, write_critical_width, CriticalWidthOptions, GridStatus,
};
use overparam_analysis::plot::plot_sweep;
use overparam_analysis::report::{ClaimVerdict, Section, TextTable, Verdict};
use overparam_sweep::columns::{DATA_N, MODEL_WIDTH, PL_RATIO, RUN_ID};

use overparam_sweep::dtype::DTypeKind;

use crate::{
    metric_minimum, number, Criterion, Findings, Part, Parts, Reproduction, Threshold, STALL_RATIO,
};
use descent::{totals, unfinished_by_n, unfinished_table};

/// This paper's entry in [`crate::REPRODUCTIONS`].
pub const REPRODUCTION: Reproduction = Reproduction {
    name: "subquadratic",
    title: "Subquadratic over-parameterization (seed paper 000)",
    summary: "Shallow networks with standard initialization, both layers trained together \
              by gradient descent, reach zero training loss once the width exceeds a \
              threshold subquadratic in the number of samples n (a Polyak–Łojasiewicz \
              argument, no lazy training), and standard initialization with every layer \
              trained generalizes better than lazy training. Measured: the critical width \
              m*(n) over a width × n × seed grid and the exponent α of m* ∝ n^α; the held-out \
              loss of each network against its own linearization at initialization.",
    parts: &[
        Part {
            name: PART,
            spec: "subquadratic",
            dtype: DTypeKind::F32,
            analytic_ntk: false,
            hessian: false,
            criteria: CRITERIA,
        },
        Part {
            name: generalization::PART,
            spec: "subquadratic-generalization",
            dtype: DTypeKind::F32,
            analytic_ntk: false,
            hessian: false,
            criteria: generalization::CRITERIA,
        },
    ],
    analyse,
};

/// The part's name.
const PART: &str = "sweep";
/// The claim holds when the bootstrap interval of α lies below this.
pub const ALPHA_BOUND: f64 = 2.0;
/// A width counts as reaching the target for an n when this share of its seeds do.
pub const SUCCESS_SHARE: f64 = 0.9;
/// How the spec sets each n's step budget.
pub const BUDGET_RULE: &str = "train.steps = max(10000, 4 x the steps to the target predicted \
                               by the learning-rate-weighted NTK at initialization of the \
                               widest network, m = 256), rounded up to a multiple of 5000";

/// The criteria the part's specs fix.
const CRITERIA: &[Criterion] = &[
    Criterion {
        key: "alpha_bound",
        value: Threshold::Number(ALPHA_BOUND),
        meaning: "holds when the 95% bootstrap interval of α lies below this",
    },
    Criterion {
        key: "success_share",
        value: Threshold::Number(SUCCESS_SHARE),
        meaning: "m*(n) is the smallest width where at least this share of the seeds reach \
                  the target",
    },
    Criterion {
        key: "budget",
        value: Threshold::Rule(BUDGET_RULE),
        meaning: "each n's step budget",
    },
    Criterion {
        key: "stall_ratio",
        value: Threshold::Number(STALL_RATIO),
        meaning: "a run that missed the target stalled when L_end / L at 80% of the budget \
                  is at least this, else it was still descending",
    },
];

/// Analyses the `sweep` part.
pub fn analyse(parts: &Parts) -> anyhow::Result<Findings> {
    let results = parts.results(PART)?;
    let dir = parts.part(PART)?;
    let options = CriticalWidthOptions {
        success: SUCCESS_SHARE,
        ..CriticalWidthOptions::default()
    };
    let report = critical_width(&results, &options)?;
    let unfinished = unfinished_by_n(dir)?;
    let (missed, descending) = totals(&unfinished);
    write_critical_width(dir, &report)?;
    // Redraw: the critical-width figure needs critical_width.json.
    plot_sweep(dir)?;
    let (verdict, measured, reason) = match (report.alpha, report.alpha_low, report.alpha_high) {
        (Some(alpha), Some(low), Some(high)) => {
            let measured = format!(
                "α = {}, 95% bootstrap interval [{}, {}] over {} seeds",
                number(alpha),
                number(low),
                number(high),
                report.seeds
            );
            if high < ALPHA_BOUND {
                (Verdict::Holds, measured, String::new())
            } else if low >= ALPHA_BOUND {
                (Verdict::DoesNotHold, measured, String::new())
            } else {
                let reason = "the interval contains 2".to_string();
                (Verdict::Inconclusive, measured, reason)
            }
        }
        _ => (
            Verdict::Inconclusive,
            "α not fitted".to_string(),
            format!(
                "the width grid brackets m* for fewer than 2 values of n: {}",
                report.warnings.join("; ")
            ),
        ),
    };
    let measured = format!(
        "{measured}; {descending} of the {missed} runs that missed the target were still \
         descending when their budget ran out"
    );
    let mut reason = reason;
    if descending > 0 {
        let caveat = format!(
            "caveat: for the {descending} still-descending runs \"not reached\" means \
             unfinished, not stalled, so m* may be overestimated where they sit (table below)"
        );
        reason = if reason.is_empty() {
            caveat
        } else {
            format!("{reason}; {caveat}")
        };
    }
    let width_verdict = ClaimVerdict {
        claim: "A width subquadratic in n suffices: m*(n) ∝ n^α with α < 2".into(),
        verdict,
        criterion: format!(
            "the 95% bootstrap interval of α (fit of log m* on log n over the n whose m* the \
             grid brackets; m* the smallest width where a share ≥ {SUCCESS_SHARE} of the seeds \
             reach the target within the step budget, the budget scaled per n: \
             {BUDGET_RULE}) lies below {ALPHA_BOUND}; a run that missed the target was still \
             descending when L_end / L at 80% of its budget < {STALL_RATIO}"
        ),
        measured,
        reason,
    };

    let (n_column, width_column, id_column) = (
        results.column(DATA_N)?,
        results.column(MODEL_WIDTH)?,
        results.column(RUN_ID)?,
    );
    let mut table = TextTable {
        columns: [
            "n",
            "m*",
            "status",
            "min pl_ratio over training at m* (over seeds)",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for point in &report.points {
        let pl = match (point.status, point.critical_width) {
            (GridStatus::Bracketed, Some(width)) => {
                let mut minima = Vec::new();
                for row in &results.rows {
                    if row[n_column] == point.n.to_string()
                        && row[width_column] == width.to_string()
                    {
                        let run = dir.join("runs").join(&row[id_column]);
                        if let Some(minimum) = metric_minimum(&run, PL_RATIO)? {
                            minima.push(minimum);
                        }
                    }
                }
                minima
                    .iter()
                    .copied()
                    .reduce(f64::min)
                    .map_or("–".to_string(), number)
            }
            _ => "–".to_string(),
        };
        table.rows.push(vec![
            point.n.to_string(),
            point.critical_width.map_or("–".into(), |m| m.to_string()),
            point.status.as_str().to_string(),
            pl,
        ]);
    }
    let mut section = Section {
        title: "Critical width".into(),
        paragraphs: vec![
            format!(
                "For each n, m* is the smallest width at which a share of at least \
                 {SUCCESS_SHARE} of the seeds reached the target loss within the step budget, \
                 scaled with n: {BUDGET_RULE}. The Polyak–Łojasiewicz ratio ‖∇L‖²/(2L) is \
                 logged at every logged step; its minimum over training bounds the linear rate \
                 of gradient descent from below."
            ),
            format!(
                "A run that missed the target stalled when its loss at the end was at least \
                 {STALL_RATIO} of its loss at 80% of the budget, and was still descending \
                 (unfinished) otherwise: {descending} of the {missed} runs that missed it were \
                 still descending (second table)."
            ),
        ],
        tables: vec![table, unfinished_table(&unfinished)],
        figures: Vec::new(),
    };
    section.paragraphs.extend(report.warnings.iter().cloned());
    section.figures.extend(
        [
            (
                "critical_width",
                "Critical width m* against n (log-log) with the fit and references ∝ n, ∝ n²",
            ),
            ("loss_curves", "Training loss by width"),
            (
                "movement_vs_width",
                "Relative weight movement at the end against width",
            ),
        ]
        .into_iter()
        .filter_map(|(stem, caption)| parts.figure(PART, stem, caption)),
    );
    let (generalization_verdict, generalization_section) = generalization::analyse(parts)?;
    Ok(Findings {
        verdicts: vec![width_verdict, generalization_verdict],
        sections: vec![section, generalization_section],
    })
}
