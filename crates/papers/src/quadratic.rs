//! Seed paper 002 — Soltanolkotabi, Javanmard, Lee (2017), arXiv:1707.04926.
//!
//! Part `landscape`: quadratic activation, output weights fixed at ±1 in equal numbers, the
//! hidden layer trained on planted quadratic labels. The paper: with at least d positive and d
//! negative output weights (m ≥ 2d) there are no spurious local minima. A finite step budget
//! cannot show that by reaching the target alone, so each run's end point is classified —
//! global minimum (loss < 1e-10, f64), still descending, or, where it stalled, a saddle or a
//! spurious local minimum by the least eigenvalue of the closed-form loss Hessian there
//! (`overparam hessian`). Verdict: holds when no run at m ≥ 2d ends at a spurious minimum.
//!
//! Part `softplus`: a softplus student started near a softplus teacher of the same width.
//! The paper: locally, gradient descent converges linearly. Verdict: holds when, for every
//! run, a straight line through log L over the second half of training fits with R² ≥ 0.99
//! and a per-step factor below 1.
//!
//! Both parts' criteria (`LANDSCAPE_CRITERIA`, `SOFTPLUS_CRITERIA`) are fixed before the
//! data: their specs state the same values in `[criteria]`.

use std::collections::BTreeMap;

use overparam_analysis::plot::data::Sweep;
use overparam_analysis::report::{ClaimVerdict, Section, TextTable, Verdict};
use overparam_analysis::stats::least_squares_line;
use overparam_sweep::columns::{FINAL_LOSS, LOSS, MODEL_WIDTH, RUN_ID, SEED};

use overparam_sweep::dtype::DTypeKind;

use crate::{number, Criterion, Findings, Part, Parts, Reproduction, Threshold};

mod end_point;

use end_point::{
    classify, curvature, late_loss_ratio, EndPoint, Tally, GLOBAL_MINIMUM_LOSS, HESSIAN_CHECK,
    NEGATIVE_CURVATURE, STALL_RATIO,
};

/// This paper's entry in [`crate::REPRODUCTIONS`].
pub const REPRODUCTION: Reproduction = Reproduction {
    name: "quadratic",
    title: "The landscape of quadratic-activation networks (seed paper 002)",
    summary: "With quadratic activations and output weights fixed with at least d positive \
              and d negative entries (m ≥ 2d), the training loss has no spurious local \
              minima, so gradient descent reaches the global minimum from a random start; \
              for smooth activations with a planted teacher, gradient descent started near \
              the truth converges linearly.",
    parts: &[
        Part {
            name: LANDSCAPE,
            spec: "quadratic-landscape",
            dtype: DTypeKind::F64,
            analytic_ntk: false,
            hessian: true,
            criteria: LANDSCAPE_CRITERIA,
        },
        Part {
            name: SOFTPLUS,
            spec: "quadratic-softplus",
            dtype: DTypeKind::F64,
            analytic_ntk: false,
            hessian: false,
            criteria: SOFTPLUS_CRITERIA,
        },
    ],
    analyse,
};

/// The landscape part's name.
const LANDSCAPE: &str = "landscape";
/// The local-convergence part's name.
const SOFTPLUS: &str = "softplus";
/// The smallest R² of a linear fit of log L that counts as linear convergence.
const LINEAR_R_SQUARED: f64 = 0.99;

/// What the landscape verdict is decided by (the constants of `end_point` and the widths
/// counted); `quadratic-landscape*.toml` state the same in `[criteria]`.
const LANDSCAPE_CRITERIA: &[Criterion] = &[
    Criterion {
        key: "counted_over",
        value: Threshold::Rule("runs with m >= 2d"),
        meaning: "the runs the verdict is drawn from; narrower widths are reported beside them",
    },
    Criterion {
        key: "end_point",
        value: Threshold::Rule(
            "global minimum if the final loss < global_minimum_loss; else still descending if \
             L_end / L at 80% of the logged steps < stall_ratio (or unknown); else stalled: \
             unmeasured if the loss Hessian in W is missing or fails hessian_check, a saddle if \
             its lambda_min < -negative_curvature * lambda_max, a spurious local minimum if not",
        ),
        meaning: "how each run's end point is classified",
    },
    Criterion {
        key: "global_minimum_loss",
        value: Threshold::Number(GLOBAL_MINIMUM_LOSS),
        meaning: "a run whose final loss is below this is at a global minimum",
    },
    Criterion {
        key: "stall_ratio",
        value: Threshold::Number(STALL_RATIO),
        meaning: "L_end / L at 80% of the logged steps at or above which a run has stalled, \
                  below which it is still descending",
    },
    Criterion {
        key: "negative_curvature",
        value: Threshold::Number(NEGATIVE_CURVATURE),
        meaning: "a stalled run is at a saddle when lambda_min of the Hessian < -this * \
                  lambda_max, else at a spurious local minimum",
    },
    Criterion {
        key: "hessian_check",
        value: Threshold::Number(HESSIAN_CHECK),
        meaning: "largest relative disagreement with central differences of the gradient at \
                  which a Hessian is used",
    },
];

/// What the softplus verdict is decided by; `quadratic-softplus*.toml` state the same in
/// `[criteria]`.
const SOFTPLUS_CRITERIA: &[Criterion] = &[
    Criterion {
        key: "fit_window",
        value: Threshold::Rule("the second half of the logged losses above 0"),
        meaning: "the points of the least-squares line through (step, ln L)",
    },
    Criterion {
        key: "linear_r_squared",
        value: Threshold::Number(LINEAR_R_SQUARED),
        meaning: "the smallest R² of that line that counts as linear convergence",
    },
    Criterion {
        key: "holds_when",
        value: Threshold::Rule(
            "every run has R^2 >= linear_r_squared and a per-step factor exp(slope) < 1",
        ),
        meaning: "the verdict",
    },
];

/// Analyses both parts.
pub fn analyse(parts: &Parts) -> anyhow::Result<Findings> {
    let (landscape_verdict, landscape) = landscape(parts)?;
    let (softplus_verdict, softplus) = softplus(parts)?;
    let mut sections = vec![landscape, softplus];
    sections[0].figures.extend(parts.figure(
        LANDSCAPE,
        "loss_curves",
        "Training loss of the quadratic networks by width",
    ));
    sections[1].figures.extend(parts.figure(
        SOFTPLUS,
        "loss_curves",
        "Training loss of the softplus students started near the teacher",
    ));
    Ok(Findings {
        verdicts: vec![landscape_verdict, softplus_verdict],
        sections,
    })
}

/// Per width: where each seed's run ended (global minimum, saddle, spurious local minimum,
/// still descending), from its loss curve and the loss Hessian at its final parameters.
fn landscape(parts: &Parts) -> anyhow::Result<(ClaimVerdict, Section)> {
    let results = parts.results(LANDSCAPE)?;
    let part = parts.part(LANDSCAPE)?;
    let sweep = Sweep::read(part)?;
    let d = sweep
        .runs
        .first()
        .and_then(|run| run.number("data.d"))
        .ok_or_else(|| anyhow::anyhow!("{LANDSCAPE}: no finished run to read data.d from"))?;
    let (width, loss) = (results.column(MODEL_WIDTH)?, results.column(FINAL_LOSS)?);
    let id = results.column(RUN_ID)?;
    // Per width: the tally, final losses, and for runs not at the global minimum
    // λ_min/λ_max and ‖∂L/∂W‖ at the end.
    let mut by_width: BTreeMap<u64, (Tally, Vec<f64>, Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let mut worst_check: f64 = 0.0;
    for (row, fields) in results.rows.iter().enumerate() {
        let m: u64 = fields[width].parse()?;
        let final_loss = results.number(row, loss)?.unwrap_or(f64::INFINITY);
        let run = sweep.runs.iter().find(|run| run.id == fields[id]);
        let late_ratio = match run {
            Some(run) => late_loss_ratio(&run.curve(LOSS)?),
            None => None,
        };
        let measured = curvature(part, &fields[id]);
        if let Some(c) = measured {
            worst_check = worst_check.max(c.check);
        }
        let point = classify(final_loss, late_ratio, measured);
        let entry = by_width.entry(m).or_default();
        entry.0.add(point);
        entry.1.push(final_loss);
        if let (false, Some(c)) = (point == EndPoint::GlobalMinimum, measured) {
            entry.2.push(c.least / c.greatest);
            entry.3.push(c.gradient_norm);
        }
    }
    let mut table = TextTable {
        columns: [
            "m",
            "m/d",
            "global minimum",
            "saddle",
            "spurious local minimum",
            "still descending",
            "others: λ_min/λ_max of ∇²L (median)",
            "others: ‖∂L/∂W‖ (median)",
            "largest final loss",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    let (mut at_least_2d, mut below_2d) = (Tally::default(), Tally::default());
    let median = |values: &[f64]| {
        let mut values = values.to_vec();
        values.sort_by(f64::total_cmp);
        values
            .get(values.len() / 2)
            .map_or("–".into(), |v| number(*v))
    };
    for (m, (tally, losses, ratios, gradients)) in &by_width {
        table.rows.push(vec![
            m.to_string(),
            number(*m as f64 / d),
            format!("{}/{}", tally.global, tally.runs),
            tally.saddle.to_string(),
            tally.spurious.to_string(),
            tally.descending.to_string(),
            median(ratios),
            median(gradients),
            number(losses.iter().copied().fold(0.0, f64::max)),
        ]);
        if *m as f64 >= 2.0 * d {
            at_least_2d.merge(tally);
        } else {
            below_2d.merge(tally);
        }
    }
    let classified = at_least_2d.global + at_least_2d.saddle + at_least_2d.spurious;
    let (verdict, reason) = if at_least_2d.runs == 0 {
        (
            Verdict::Inconclusive,
            format!("no width m ≥ 2d = {} in the grid", 2.0 * d),
        )
    } else if at_least_2d.spurious > 0 {
        (Verdict::DoesNotHold, String::new())
    } else if at_least_2d.unmeasured > 0 {
        (
            Verdict::Inconclusive,
            format!(
                "{} stalled run(s) at m ≥ 2d have no Hessian that passes its check",
                at_least_2d.unmeasured
            ),
        )
    } else if classified == 0 {
        (
            Verdict::Inconclusive,
            "every run at m ≥ 2d was still descending: no end point to classify".to_string(),
        )
    } else {
        (Verdict::Holds, String::new())
    };
    let measured = format!(
        "m ≥ 2d = {}: {}; below 2d: {}",
        2.0 * d,
        at_least_2d.text(),
        below_2d.text()
    );
    let verdict = ClaimVerdict {
        claim: "With at least d positive and d negative output weights (m ≥ 2d), the loss in \
                the hidden weights has no spurious local minima: where gradient descent stops, \
                it is at a global minimum or at a saddle it can escape"
            .into(),
        verdict,
        criterion: format!(
            "each run's end point, by rules fixed before the data: a global minimum when its \
             loss is < {GLOBAL_MINIMUM_LOSS:e} (f64); still descending when L_end / L at 80% of \
             the budget is < {STALL_RATIO}; otherwise stalled, and then a saddle when the least \
             eigenvalue of the loss Hessian in W is < −{NEGATIVE_CURVATURE:e}·λ_max, a spurious \
             local minimum when not. holds: no spurious local minimum at m ≥ 2d and at least one \
             run there at a global minimum or saddle; does not hold: one or more; inconclusive: \
             a stalled run at m ≥ 2d without a Hessian that agrees with differences of the \
             gradient to {HESSIAN_CHECK:e}"
        ),
        measured,
        reason,
    };
    let section = Section {
        title: "Quadratic activation: where gradient descent stops".into(),
        paragraphs: vec![
            format!(
                "d = {d}. The claim is about the landscape, so each run's end point is \
                 examined rather than only whether it reached the target: the Hessian of the \
                 loss in the hidden weights W (output weights fixed at ±1) is formed in closed \
                 form at the final parameters (`overparam hessian`), its every eigenvalue \
                 computed, and it is checked in the same run against central differences of \
                 the independently derived gradient (largest relative disagreement over all \
                 runs: {}). The Gauss–Newton part of the Hessian is positive semidefinite; only \
                 the residuals can make it indefinite, so a stalled point with negative \
                 curvature is a saddle and one without is a local minimum (the rotations within \
                 each sign group leave the loss unchanged, so a minimum has zero eigenvalues \
                 but no negative ones).",
                number(worst_check)
            ),
            "The two \"others\" columns are medians over the runs not at a global minimum: \
             λ_min/λ_max < 0 means they end near saddles, and ‖∂L/∂W‖ how far from a \
             stationary point they are."
                .to_string(),
        ],
        tables: vec![table],
        figures: Vec::new(),
    };
    Ok((verdict, section))
}

/// Per run: the fitted per-step loss factor and R² over the second half of training.
fn softplus(parts: &Parts) -> anyhow::Result<(ClaimVerdict, Section)> {
    let sweep = Sweep::read(parts.part(SOFTPLUS)?)?;
    let mut table = TextTable {
        columns: [
            "run",
            "seed",
            "initial loss",
            "final loss",
            "per-step factor",
            "R²",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    let mut linear = 0;
    for run in &sweep.runs {
        let curve: Vec<(f64, f64)> = run
            .curve(LOSS)?
            .into_iter()
            .filter(|(_, loss)| *loss > 0.0)
            .collect();
        let half = &curve[curve.len() / 2..];
        let logs: Vec<(f64, f64)> = half.iter().map(|(s, l)| (*s, l.ln())).collect();
        let fit = least_squares_line(&logs);
        let (factor, r_squared) =
            fit.map_or((f64::NAN, f64::NAN), |f| (f.slope.exp(), f.r_squared));
        if factor < 1.0 && r_squared >= LINEAR_R_SQUARED {
            linear += 1;
        }
        table.rows.push(vec![
            run.id.clone(),
            run.value(SEED).unwrap_or_default(),
            curve.first().map_or("–".into(), |(_, l)| number(*l)),
            curve.last().map_or("–".into(), |(_, l)| number(*l)),
            format!("{factor:.6}"),
            format!("{r_squared:.4}"),
        ]);
    }
    let runs = sweep.runs.len();
    let (verdict, reason) = if runs == 0 {
        (Verdict::Inconclusive, "no finished run".to_string())
    } else {
        (Verdict::from_condition(linear == runs), String::new())
    };
    let verdict = ClaimVerdict {
        claim: "Started near a softplus teacher, gradient descent converges at a linear rate"
            .into(),
        verdict,
        criterion: format!(
            "for every run, log L over the second half of training fits a straight line with \
             R² ≥ {LINEAR_R_SQUARED} and a per-step factor below 1"
        ),
        measured: format!("{linear} of {runs} runs converge linearly by that test"),
        reason,
    };
    let section = Section {
        title: "Softplus near the truth: linear convergence".into(),
        paragraphs: vec![
            "The student has the teacher's width and starts at the teacher with its weights \
             perturbed (model.init = \"teacher\"); the per-step factor is e^slope of the \
             least-squares line through (step, ln L)."
                .into(),
        ],
        tables: vec![table],
        figures: Vec::new(),
    };
    Ok((verdict, section))
}
