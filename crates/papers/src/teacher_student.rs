//! Seed paper 001 — Zhou, Ge, Jin (2021), "A local convergence theory for mildly
//! over-parameterized two-layer neural network" (arXiv:2102.02410, abstract only): once the
//! loss is below a threshold, every student neuron converges to a teacher neuron and the loss
//! goes to 0, for any number of student neurons m ≥ k, at a rate that does not depend on m.
//!
//! Two parts, each students of widths m ∈ {k, …, 8k} × seeds fitting a k = 4 neuron ReLU
//! teacher with orthonormal directions, trained by full-batch GD in f64 to loss 1e-8:
//! `near-teacher`, the theorem's experiment, starts each student next to the teacher (every
//! teacher neuron split among m/k students, perturbed) and counts the runs whose starting loss
//! is below the spec's threshold; `students` starts from random initializations, outside the
//! theorem's hypothesis. Verdicts per part (criteria in [`claims`], thresholds fixed in the
//! specs' `[criteria]`): every neuron carrying ≥ 1% of Σ_r |a_r|‖w_r‖ ends within cos ≥ 0.99
//! of a teacher neuron in every run that reached the target; and the per-width medians of
//! 1 − ρ, ρ the per-step loss factor fitted over each run's last two decades of loss, lie
//! within a factor 2 of each other.

pub mod claims;
mod figures;
mod hypothesis;
pub mod rate;
pub mod student;
mod tables;

use anyhow::Context;

use overparam_analysis::report::Section;
use overparam_sweep::columns::MODEL_WIDTH;
use overparam_sweep::results::Table;

use overparam_sweep::dtype::DTypeKind;

use crate::{Criterion, Findings, Part, Parts, Reproduction, Threshold};
use claims::{alignment_verdict, rate_verdict, rates_by_width, WidthRates};
use hypothesis::{assumptions_section, start_paragraph, start_table, starts_below_threshold};
use student::{read_students, total_misalignment, Student};

/// This paper's entry in [`crate::REPRODUCTIONS`].
pub const REPRODUCTION: Reproduction = Reproduction {
    name: "teacher-student",
    title: "Mildly over-parameterized teacher–student (seed paper 001)",
    summary: "Once the loss is below a threshold, a student with a few more neurons than a \
              k-neuron teacher, trained by gradient descent, converges to zero loss with \
              every student neuron of non-negligible weight aligned with a teacher neuron, \
              at a rate that does not depend on the student's width. Tested from starts \
              below a loss threshold (the theorem's hypothesis) and, outside it, from random \
              starts.",
    parts: &[
        Part {
            name: NEAR_TEACHER.part,
            spec: "teacher-student-near-teacher",
            dtype: DTypeKind::F64,
            analytic_ntk: false,
            hessian: false,
            criteria: NEAR_TEACHER_CRITERIA,
        },
        Part {
            name: RANDOM_START.part,
            spec: "teacher-student",
            dtype: DTypeKind::F64,
            analytic_ntk: false,
            hessian: false,
            criteria: RANDOM_START_CRITERIA,
        },
    ],
    analyse,
};

/// A neuron is non-negligible when it carries at least this share of Σ_r |a_r|‖w_r‖.
pub const NEGLIGIBLE_SHARE: f64 = 0.01;
/// A neuron is aligned with a teacher neuron at cos∠(w_r, w*_j) ≥ this.
pub const ALIGNED_COSINE: f64 = 0.99;
/// The final phase: the last this many decades of loss before the run ended.
pub const RATE_DECADES: f64 = 2.0;
/// The rate "does not depend on m" when its per-width medians of 1 − ρ are within this factor.
pub const RATE_FACTOR: f64 = 2.0;
/// A near-teacher run is inside the theorem's hypothesis when its loss at step 0 is at most
/// this (the abstract gives no threshold; ≈ 4% of the zero network's loss ≈ 0.24).
pub const START_LOSS_THRESHOLD: f64 = 0.01;

/// The criteria of the near-teacher part: the start, then those of the random-start part.
const NEAR_TEACHER_CRITERIA: &[Criterion] = &[
    Criterion {
        key: "start_loss_threshold",
        value: Threshold::Number(START_LOSS_THRESHOLD),
        meaning: "a run is inside the theorem's hypothesis when its loss at step 0 is at most this",
    },
    RANDOM_START_CRITERIA[0],
    RANDOM_START_CRITERIA[1],
    RANDOM_START_CRITERIA[2],
    RANDOM_START_CRITERIA[3],
];

/// The criteria of the random-start part.
const RANDOM_START_CRITERIA: &[Criterion] = &[
    Criterion {
        key: "negligible_share",
        value: Threshold::Number(NEGLIGIBLE_SHARE),
        meaning: "a neuron is non-negligible at this share of Σ_r |a_r|‖w_r‖",
    },
    Criterion {
        key: "aligned_cosine",
        value: Threshold::Number(ALIGNED_COSINE),
        meaning: "a neuron is aligned at max_j cos∠(w_r, w*_j) ≥ this",
    },
    Criterion {
        key: "rate_decades",
        value: Threshold::Number(RATE_DECADES),
        meaning: "the final phase is each run's last this many decades of loss",
    },
    Criterion {
        key: "rate_factor",
        value: Threshold::Number(RATE_FACTOR),
        meaning: "the rate does not depend on m when the per-width medians of 1 − ρ are \
                  within this factor",
    },
];

/// One part: its directory, how its verdicts are labelled, and whether its runs must start
/// below [`START_LOSS_THRESHOLD`].
struct Setting {
    /// The part's name.
    part: &'static str,
    /// Put before each claim and section title.
    label: &'static str,
    /// Whether runs count only when their loss at step 0 is below [`START_LOSS_THRESHOLD`].
    hypothesis: bool,
}

/// The theorem's experiment.
const NEAR_TEACHER: Setting = Setting {
    part: "near-teacher",
    label: "From a start below the loss threshold (the theorem's hypothesis)",
    hypothesis: true,
};

/// Outside the theorem's hypothesis.
const RANDOM_START: Setting = Setting {
    part: "students",
    label: "From a random start (outside the theorem's hypothesis)",
    hypothesis: false,
};

/// Analyses both parts, the theorem's experiment first.
pub fn analyse(parts: &Parts) -> anyhow::Result<Findings> {
    let mut findings = Findings {
        verdicts: Vec::new(),
        sections: vec![assumptions_section()],
    };
    for setting in [&NEAR_TEACHER, &RANDOM_START] {
        let part = analyse_part(parts, setting)?;
        findings.verdicts.extend(part.verdicts);
        findings.sections.extend(part.sections);
    }
    Ok(findings)
}

/// The verdicts and sections of one part.
fn analyse_part(parts: &Parts, setting: &Setting) -> anyhow::Result<Findings> {
    let dir = parts.part(setting.part)?;
    let results = dir.join("results.csv");
    let runs_per_width = runs_per_width(&Table::read(&results)?)
        .with_context(|| format!("reading {}", results.display()))?;
    let runs: usize = runs_per_width.iter().map(|(_, n)| n).sum();
    let students = read_students(dir)?;
    tables::write_runs(&dir.join("teacher_student.csv"), &students)?;
    // Runs started above the threshold are outside the hypothesis: left out of the verdicts.
    let inside: Vec<Student> = students
        .iter()
        .filter(|s| !setting.hypothesis || starts_below_threshold(s))
        .cloned()
        .collect();
    let outside = students.len() - inside.len();
    let rates = rates_by_width(&inside);
    let plots = dir.join("plots");
    let maps = figures::alignment_maps(&plots, &students)?;
    let rate_plot = figures::rate_figure(&plots, &rates)?;

    let mut alignment = alignment_section(&students, &runs_per_width);
    alignment.title = format!("{}: alignment with the teacher", setting.label);
    if setting.hypothesis {
        alignment
            .paragraphs
            .insert(0, start_paragraph(&students, inside.len()));
        alignment.tables.push(start_table(&students));
    }
    alignment.figures = maps
        .iter()
        .filter_map(|(stem, caption)| parts.figure(setting.part, stem, caption))
        .collect();
    let mut rate = rate_section(&inside, &rates);
    rate.title = format!("{}: final-phase rate", setting.label);
    rate.figures = rate_plot
        .iter()
        .map(|(stem, caption)| (stem.as_str(), caption.as_str()))
        .chain([("loss_curves", "Training loss by width")])
        .filter_map(|(stem, caption)| parts.figure(setting.part, stem, caption))
        .collect();
    let mut verdicts = vec![
        alignment_verdict(&inside, runs - outside),
        rate_verdict(&rates, &inside),
    ];
    for verdict in &mut verdicts {
        verdict.claim = format!("{}: {}", setting.label, verdict.claim);
        if outside > 0 {
            verdict.measured = format!(
                "{} run(s) started above the loss threshold {} and are left out; {}",
                outside, START_LOSS_THRESHOLD, verdict.measured
            );
        }
    }
    Ok(Findings {
        verdicts,
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
        title: String::new(),
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
        title: String::new(),
        paragraphs,
        tables: vec![tables::rate_table(students, rates)],
        figures: Vec::new(),
    }
}
