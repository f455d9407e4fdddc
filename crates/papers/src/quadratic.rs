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

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use overparam_analysis::plot::data::Sweep;
use overparam_analysis::report::{ClaimVerdict, Section, TextTable, Verdict};
use overparam_analysis::stats::least_squares_line;
use overparam_sweep::columns::{FINAL_LOSS, LOSS, MODEL_WIDTH, RUN_ID, SEED};

use overparam_sweep::dtype::DTypeKind;

use crate::{number, Findings, Part, Parts, Reproduction};

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
        },
        Part {
            name: SOFTPLUS,
            spec: "quadratic-softplus",
            dtype: DTypeKind::F64,
            analytic_ntk: false,
            hessian: false,
        },
    ],
    analyse,
};

/// The landscape part's name.
const LANDSCAPE: &str = "landscape";
/// The local-convergence part's name.
const SOFTPLUS: &str = "softplus";
/// The loss counted as the global minimum.
const GLOBAL_MINIMUM_LOSS: f64 = 1e-10;
/// L_end / L at 80% of the budget at or above which a run that missed the target counts as
/// stalled rather than still descending.
const STALL_RATIO: f64 = 0.9;
/// A stalled point is a saddle when λ_min(∇²L) < −this · λ_max (f64 eigenvalues of a
/// Hessian with exact zero directions come out at ~1e-15 · λ_max).
const NEGATIVE_CURVATURE: f64 = 1e-6;
/// The largest relative disagreement between the closed-form Hessian and central differences
/// of the gradient at which the Hessian is used.
const HESSIAN_CHECK: f64 = 1e-5;
/// The smallest R² of a linear fit of log L that counts as linear convergence.
const LINEAR_R_SQUARED: f64 = 0.99;

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

/// Where one landscape run ended, classified by the criteria fixed in this module's
/// constants.
#[derive(Clone, Copy, Debug, PartialEq)]
enum EndPoint {
    /// Loss below [`GLOBAL_MINIMUM_LOSS`].
    GlobalMinimum,
    /// Stalled with negative curvature: λ_min(∇²L) < −[`NEGATIVE_CURVATURE`] · λ_max.
    Saddle,
    /// Stalled, loss above the global minimum, no negative curvature.
    SpuriousMinimum,
    /// The loss still falling: L_end / L at 80% of the budget below [`STALL_RATIO`].
    StillDescending,
    /// Stalled, but without a usable Hessian (missing, or failing its finite-difference check).
    Unmeasured,
}

/// What `overparam hessian` recorded at a run's final parameters.
#[derive(Clone, Copy, Debug)]
struct Curvature {
    least: f64,
    greatest: f64,
    gradient_norm: f64,
    /// Max |H − differences of the gradient| over max |H|.
    check: f64,
}

/// `runs/<id>/hessian/summary.json` of the landscape part, if there.
fn curvature(part: &Path, id: &str) -> Option<Curvature> {
    let path = part.join("runs").join(id).join("hessian/summary.json");
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    Some(Curvature {
        least: summary["hessian_min_eigenvalue"].as_f64()?,
        greatest: summary["hessian_max_eigenvalue"].as_f64()?,
        gradient_norm: summary["gradient_norm"].as_f64()?,
        check: summary["finite_difference"]["relative"].as_f64()?,
    })
}

/// The class of a run's end point from its final loss, its late loss ratio and the Hessian
/// there.
fn classify(final_loss: f64, late_ratio: Option<f64>, curvature: Option<Curvature>) -> EndPoint {
    if final_loss < GLOBAL_MINIMUM_LOSS {
        return EndPoint::GlobalMinimum;
    }
    if late_ratio.is_none_or(|ratio| ratio < STALL_RATIO) {
        return EndPoint::StillDescending;
    }
    match curvature {
        Some(c) if c.check > HESSIAN_CHECK => EndPoint::Unmeasured,
        Some(c) if c.least < -NEGATIVE_CURVATURE * c.greatest => EndPoint::Saddle,
        Some(_) => EndPoint::SpuriousMinimum,
        None => EndPoint::Unmeasured,
    }
}

/// Counts of each [`EndPoint`], in the table's order.
#[derive(Clone, Debug, Default)]
struct Tally {
    global: usize,
    saddle: usize,
    spurious: usize,
    descending: usize,
    unmeasured: usize,
    runs: usize,
}

impl Tally {
    fn add(&mut self, point: EndPoint) {
        self.runs += 1;
        match point {
            EndPoint::GlobalMinimum => self.global += 1,
            EndPoint::Saddle => self.saddle += 1,
            EndPoint::SpuriousMinimum => self.spurious += 1,
            EndPoint::StillDescending => self.descending += 1,
            EndPoint::Unmeasured => self.unmeasured += 1,
        }
    }

    fn merge(&mut self, other: &Tally) {
        self.global += other.global;
        self.saddle += other.saddle;
        self.spurious += other.spurious;
        self.descending += other.descending;
        self.unmeasured += other.unmeasured;
        self.runs += other.runs;
    }

    fn text(&self) -> String {
        let mut text = format!(
            "{} global minima, {} saddles, {} spurious local minima, {} still descending",
            self.global, self.saddle, self.spurious, self.descending
        );
        if self.unmeasured > 0 {
            text += &format!(", {} stalled without a usable Hessian", self.unmeasured);
        }
        text + &format!(" (of {})", self.runs)
    }
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

/// L at the end over L at 80% of the logged steps: below 1 while the loss is still falling.
fn late_loss_ratio(curve: &[(f64, f64)]) -> Option<f64> {
    let (_, last) = curve.last()?;
    let (_, earlier) = curve.get(curve.len() * 4 / 5)?;
    (*earlier > 0.0).then(|| last / earlier)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(least: f64, check: f64) -> Option<Curvature> {
        Some(Curvature {
            least,
            greatest: 10.0,
            gradient_norm: 1e-9,
            check,
        })
    }

    #[test]
    fn end_points_are_classified_by_the_fixed_rules() {
        // Loss below 1e-10: a global minimum whatever else holds.
        assert_eq!(
            classify(1e-11, Some(1.0), at(-1.0, 0.0)),
            EndPoint::GlobalMinimum
        );
        // Still falling over the last fifth: not stalled, whatever the curvature.
        assert_eq!(
            classify(1e-3, Some(0.5), at(-1.0, 0.0)),
            EndPoint::StillDescending
        );
        assert_eq!(classify(1e-3, None, None), EndPoint::StillDescending);
        // Stalled: negative curvature beyond 1e-6 · λ_max is a saddle…
        assert_eq!(classify(1e-3, Some(0.95), at(-1e-4, 0.0)), EndPoint::Saddle);
        // …rounding-level negatives and zero directions are not.
        assert_eq!(
            classify(1e-3, Some(0.95), at(-1e-14, 0.0)),
            EndPoint::SpuriousMinimum
        );
        assert_eq!(
            classify(1e-3, Some(1.0), at(0.0, 0.0)),
            EndPoint::SpuriousMinimum
        );
        // No Hessian, or one that failed its check against differences of the gradient.
        assert_eq!(classify(1e-3, Some(1.0), None), EndPoint::Unmeasured);
        assert_eq!(
            classify(1e-3, Some(1.0), at(-1.0, 1e-3)),
            EndPoint::Unmeasured
        );
    }

    #[test]
    fn tallies_count_and_say_each_class() {
        let mut tally = Tally::default();
        for point in [
            EndPoint::GlobalMinimum,
            EndPoint::GlobalMinimum,
            EndPoint::Saddle,
            EndPoint::StillDescending,
        ] {
            tally.add(point);
        }
        assert_eq!(
            tally.text(),
            "2 global minima, 1 saddles, 0 spurious local minima, 1 still descending (of 4)"
        );
        tally.add(EndPoint::Unmeasured);
        assert!(tally
            .text()
            .contains("1 stalled without a usable Hessian (of 5)"));
    }
}
