//! Seed paper 001 — Zhou, Ge, Jin (2021), "A local convergence theory for mildly
//! over-parameterized two-layer neural network" (arXiv:2102.02410): once the loss is below a
//! threshold, every student neuron converges to a teacher neuron and the loss goes to 0, for
//! any number of student neurons m ≥ k, at a rate that does not depend on m.
//!
//! Part `students`: students of widths m ∈ {k, …, 8k} × seeds fitting a k = 4 neuron ReLU
//! teacher with orthonormal directions, trained by full-batch GD in f64 to loss 1e-8.
//! Verdicts (criteria in [`claims`]): every neuron carrying ≥ 1% of Σ_r |a_r|‖w_r‖ ends within
//! cos ≥ 0.99 of a teacher neuron in every run that reached the target; and the per-width
//! medians of 1 − ρ, ρ the per-step loss factor fitted over each run's last two decades of
//! loss, lie within a factor 2 of each other.

pub mod claims;
mod figures;
pub mod rate;
pub mod student;
mod tables;

use anyhow::Context;

use overparam_analysis::report::Section;
use overparam_sweep::columns::MODEL_WIDTH;
use overparam_sweep::results::Table;

use overparam_sweep::dtype::DTypeKind;

use crate::{Findings, Part, Parts, Reproduction};
use claims::{alignment_verdict, rate_verdict, rates_by_width, WidthRates};
use student::{read_students, total_misalignment, Student};

/// This paper's entry in [`crate::REPRODUCTIONS`].
pub const REPRODUCTION: Reproduction = Reproduction {
    name: "teacher-student",
    title: "Mildly over-parameterized teacher–student (seed paper 001)",
    summary: "A student with a few more neurons than a k-neuron teacher, trained by \
              gradient descent, converges to zero loss with every student neuron of \
              non-negligible weight aligned with a teacher neuron, at a final linear rate \
              that does not depend on the student's width.",
    parts: &[Part {
        name: PART,
        spec: "teacher-student",
        dtype: DTypeKind::F64,
        analytic_ntk: false,
        hessian: false,
    }],
    analyse,
};

/// The part's name.
const PART: &str = "students";
/// A neuron is non-negligible when it carries at least this share of Σ_r |a_r|‖w_r‖.
pub const NEGLIGIBLE_SHARE: f64 = 0.01;
/// A neuron is aligned with a teacher neuron at cos∠(w_r, w*_j) ≥ this.
pub const ALIGNED_COSINE: f64 = 0.99;
/// The final phase: the last this many decades of loss before the run ended.
pub const RATE_DECADES: f64 = 2.0;
/// The rate "does not depend on m" when its per-width medians of 1 − ρ are within this factor.
pub const RATE_FACTOR: f64 = 2.0;

/// Analyses the `students` part.
pub fn analyse(parts: &Parts) -> anyhow::Result<Findings> {
    let dir = parts.part(PART)?;
    let results = dir.join("results.csv");
    let runs_per_width = runs_per_width(&Table::read(&results)?)
        .with_context(|| format!("reading {}", results.display()))?;
    let runs = runs_per_width.iter().map(|(_, n)| n).sum();
    let students = read_students(dir)?;
    let rates = rates_by_width(&students);
    tables::write_runs(&dir.join("teacher_student.csv"), &students)?;
    let plots = dir.join("plots");
    let maps = figures::alignment_maps(&plots, &students)?;
    let rate_plot = figures::rate_figure(&plots, &rates)?;

    let mut alignment = alignment_section(&students, &runs_per_width);
    alignment.figures = maps
        .iter()
        .filter_map(|(stem, caption)| parts.figure(PART, stem, caption))
        .collect();
    let mut rate = rate_section(&students, &rates);
    rate.figures = rate_plot
        .iter()
        .map(|(stem, caption)| (stem.as_str(), caption.as_str()))
        .chain([("loss_curves", "Training loss by width")])
        .filter_map(|(stem, caption)| parts.figure(PART, stem, caption))
        .collect();
    Ok(Findings {
        verdicts: vec![
            alignment_verdict(&students, runs),
            rate_verdict(&rates, &students),
        ],
        sections: vec![alignment, rate],
    })
}

/// (m, runs of that width) over every row of `results.csv`, failed runs included.
fn runs_per_width(results: &Table) -> anyhow::Result<Vec<(usize, usize)>> {
    let column = results.column(MODEL_WIDTH)?;
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for row in 0..results.rows.len() {
        let width = results
            .number(row, column)?
            .ok_or_else(|| anyhow::anyhow!("results.csv row {} has no model.width", row + 1))?
            as usize;
        match counts.iter_mut().find(|(m, _)| *m == width) {
            Some((_, n)) => *n += 1,
            None => counts.push((width, 1)),
        }
    }
    counts.sort_unstable();
    Ok(counts)
}

/// The alignment section: what was measured, how many misaligned neurons point against a
/// teacher neuron, and the per-width table.
fn alignment_section(students: &[Student], runs_per_width: &[(usize, usize)]) -> Section {
    let [misaligned, against, paired] = total_misalignment(students);
    let mut paragraphs = vec![format!(
        "Each student neuron r contributes a_r σ(w_r·x) = a_r‖w_r‖ σ(ŵ_r·x) (ReLU without \
         bias is positively homogeneous), so its weight is |a_r|‖w_r‖ and its direction ŵ_r. \
         A neuron is non-negligible when it carries at least {} of Σ_r |a_r|‖w_r‖, and \
         aligned when max_j cos∠(w_r, w*_j) ≥ {ALIGNED_COSINE} (alignment.npy of each run). \
         The table counts every successful run; the verdict only those that reached the \
         target.",
        claims::percent(NEGLIGIBLE_SHARE)
    )];
    if misaligned > 0 {
        paragraphs.push(format!(
            "{misaligned} non-negligible neurons end misaligned: {against} point against a \
             teacher neuron (cos ≤ −{ALIGNED_COSINE}), {paired} others have an opposite \
             partner (another non-negligible neuron s with cos∠(w_r, w_s) ≤ \
             −{ALIGNED_COSINE}), {} are neither. For ReLU without bias σ(z) = σ(−z) + z, so a \
             teacher neuron σ(w*·x) is represented exactly by σ(−w*·x) plus the linear term \
             w*·x, and a linear term v·x by an opposite pair σ(v·x) − σ(−v·x): the network \
             computes the teacher's function with neurons not aligned with any teacher \
             neuron. Such zero-loss points exist for every m ≥ k + 2.",
            misaligned - against - paired
        ));
    }
    Section {
        title: "Alignment with the teacher".into(),
        paragraphs,
        tables: vec![tables::alignment_table(students, runs_per_width)],
        figures: Vec::new(),
    }
}

/// The rate section: the fit, the per-width table, and the spread with m = k left out.
fn rate_section(students: &[Student], rates: &[WidthRates]) -> Section {
    let mut paragraphs = vec![format!(
        "For every run that reached the target, ρ is e^slope of the least-squares line through \
         (step, ln L) over the logged points of its last {RATE_DECADES} decades of loss, and \
         1 − ρ the fraction of the loss removed per step. The slowdown compares 1 − ρ over the \
         upper and the lower half of that window: 1 for a linear rate, above 1 when \
         convergence slows down as the loss falls."
    )];
    let k = students.first().map_or(0, Student::teacher_width);
    let wider: Vec<&WidthRates> = rates.iter().filter(|r| r.width > k).collect();
    let medians: Vec<f64> = wider.iter().map(|r| r.median()).collect();
    let (lo, hi) = medians
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &m| {
            (lo.min(m), hi.max(m))
        });
    if wider.len() >= 2 && lo > 0.0 {
        paragraphs.push(format!(
            "Leaving out m = k = {k}, the per-width medians of 1 − ρ span a factor {} \
             ({} to {}).",
            super::number(hi / lo),
            super::number(lo),
            super::number(hi)
        ));
    }
    Section {
        title: "Final-phase rate".into(),
        paragraphs,
        tables: vec![tables::rate_table(students, rates)],
        figures: Vec::new(),
    }
}
