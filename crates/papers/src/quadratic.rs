//! Seed paper 002 — Soltanolkotabi, Javanmard, Lee (2017), arXiv:1707.04926.
//!
//! Part `landscape`: quadratic activation, output weights fixed at ±1 in equal numbers, the
//! hidden layer trained on planted quadratic labels. The paper: with at least d positive and d
//! negative output weights (m ≥ 2d) there are no spurious local minima, so gradient descent
//! from a random start reaches the global minimum (here: loss < the runs' target 1e-10, f64).
//! Verdict: holds when every seed at every m ≥ 2d reaches it.
//!
//! Part `softplus`: a softplus student started near a softplus teacher of the same width.
//! The paper: locally, gradient descent converges linearly. Verdict: holds when, for every
//! run, a straight line through log L over the second half of training fits with R² ≥ 0.99
//! and a per-step factor below 1.

use std::collections::BTreeMap;

use overparam_analysis::plot::data::Sweep;
use overparam_analysis::report::{ClaimVerdict, Section, TextTable, Verdict};
use overparam_analysis::stats::least_squares_line;
use overparam_sweep::columns::{FINAL_LOSS, LOSS, MODEL_WIDTH, RUN_ID, SEED, STATUS};

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
        },
        Part {
            name: SOFTPLUS,
            spec: "quadratic-softplus",
            dtype: DTypeKind::F64,
            analytic_ntk: false,
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

/// Per width: seeds that reached the global minimum, of how many, and the final losses.
fn landscape(parts: &Parts) -> anyhow::Result<(ClaimVerdict, Section)> {
    let results = parts.results(LANDSCAPE)?;
    let sweep = Sweep::read(parts.part(LANDSCAPE)?)?;
    let d = sweep
        .runs
        .first()
        .and_then(|run| run.number("data.d"))
        .ok_or_else(|| anyhow::anyhow!("{LANDSCAPE}: no finished run to read data.d from"))?;
    let (width, loss) = (results.column(MODEL_WIDTH)?, results.column(FINAL_LOSS)?);
    let status = results.column(STATUS)?;
    let id = results.column(RUN_ID)?;
    let mut by_width: BTreeMap<u64, (usize, usize, Vec<f64>)> = BTreeMap::new();
    let mut still_falling: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for (row, fields) in results.rows.iter().enumerate() {
        let m: u64 = fields[width].parse()?;
        let final_loss = results.number(row, loss)?.unwrap_or(f64::INFINITY);
        let entry = by_width.entry(m).or_default();
        entry.1 += 1;
        if fields[status] == "ok" && final_loss < GLOBAL_MINIMUM_LOSS {
            entry.0 += 1;
        } else if let Some(run) = sweep.runs.iter().find(|run| run.id == fields[id]) {
            still_falling
                .entry(m)
                .or_default()
                .extend(late_loss_ratio(&run.curve(LOSS)?));
        }
        entry.2.push(final_loss);
    }
    let mut table = TextTable {
        columns: [
            "m",
            "m/d",
            "seeds at the global minimum",
            "largest final loss",
            "others: L_end / L at 80% of training (median)",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    for (m, (reached, seeds, losses)) in &by_width {
        let worst = losses.iter().copied().fold(0.0, f64::max);
        let mut ratios = still_falling.get(m).cloned().unwrap_or_default();
        ratios.sort_by(f64::total_cmp);
        table.rows.push(vec![
            m.to_string(),
            number(*m as f64 / d),
            format!("{reached}/{seeds}"),
            number(worst),
            ratios
                .get(ratios.len() / 2)
                .map_or("–".into(), |r| number(*r)),
        ]);
    }
    let at_least_2d: Vec<_> = by_width
        .iter()
        .filter(|(m, _)| **m as f64 >= 2.0 * d)
        .collect();
    let failing_below: Vec<u64> = by_width
        .iter()
        .filter(|(m, (reached, seeds, _))| (**m as f64) < 2.0 * d && reached < seeds)
        .map(|(m, _)| *m)
        .collect();
    let all_reach = at_least_2d.iter().all(|(_, (r, s, _))| r == s);
    // A run at m ≥ 2d that missed the target but whose loss still fell by more than
    // STALL_RATIO over the last fifth of its budget ran out of steps; it is no evidence of a
    // spurious minimum. One whose loss stopped falling is.
    let late_ratios: Vec<f64> = still_falling
        .iter()
        .filter(|(m, _)| **m as f64 >= 2.0 * d)
        .flat_map(|(_, ratios)| ratios.iter().copied())
        .collect();
    let stalled = late_ratios.iter().filter(|r| **r >= STALL_RATIO).count();
    let (verdict, reason) = if at_least_2d.is_empty() {
        (
            Verdict::Inconclusive,
            format!("no width m ≥ 2d = {} in the grid", 2.0 * d),
        )
    } else if all_reach || stalled > 0 {
        (Verdict::from_condition(all_reach), String::new())
    } else {
        let reason = format!(
            "the {} run(s) at m ≥ 2d that missed the target were still descending (L_end / L at \
             80% of the budget ≤ {STALL_RATIO}): out of steps, not stuck at a spurious minimum",
            late_ratios.len()
        );
        (Verdict::Inconclusive, reason)
    };
    let failures = match failing_below.last() {
        Some(m) => format!("below 2d, some seeds fail up to m = {m}"),
        None => "below 2d no seed failed".to_string(),
    };
    let measured = format!(
        "{} of {} runs with m ≥ 2d = {} reached loss < {GLOBAL_MINIMUM_LOSS:e}; {failures}",
        at_least_2d.iter().map(|(_, (r, _, _))| r).sum::<usize>(),
        at_least_2d.iter().map(|(_, (_, s, _))| s).sum::<usize>(),
        2.0 * d
    );
    let verdict = ClaimVerdict {
        claim: "With at least d positive and d negative output weights (m ≥ 2d), gradient \
                descent on the hidden layer reaches the global minimum from a random start"
            .into(),
        verdict,
        criterion: format!(
            "holds: every seed at every m ≥ 2d ends with loss < {GLOBAL_MINIMUM_LOSS:e} (f64) \
             within the step budget; does not hold: some run at m ≥ 2d misses it with its loss \
             no longer falling (L_end / L at 80% of the budget ≥ {STALL_RATIO}); inconclusive \
             when the runs that miss it are still falling"
        ),
        measured,
        reason,
    };
    let section = Section {
        title: "Quadratic activation: reaching the global minimum".into(),
        paragraphs: vec![format!(
            "d = {d}. A run below 2d that misses the target need not sit at a spurious local \
             minimum: its loss may still be falling, slowly — the last column says by how \
             much over the last fifth of the step budget (1 would be a stall)."
        )],
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
