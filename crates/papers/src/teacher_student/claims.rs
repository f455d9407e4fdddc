//! The two claims, each checked by a criterion fixed in advance: alignment with the teacher
//! at a loss of ~0, and a final-phase linear rate that does not depend on the width m.

use crate::number;
use overparam_analysis::plot::style::fmt_number;
use overparam_analysis::report::{ClaimVerdict, Verdict};
use overparam_analysis::stats::median;

use super::student::{total_misalignment, Student};
use super::{ALIGNED_COSINE, NEGLIGIBLE_SHARE, RATE_DECADES, RATE_FACTOR};

/// The fitted 1 − ρ of the runs of one width that reached the target.
#[derive(Clone, Debug, PartialEq)]
pub struct WidthRates {
    /// m.
    pub width: usize,
    /// 1 − ρ per run, ascending.
    pub decreases: Vec<f64>,
}

impl WidthRates {
    /// The median of 1 − ρ.
    pub fn median(&self) -> f64 {
        median(self.decreases.iter().copied()).unwrap_or(f64::NAN)
    }

    /// The smallest and largest 1 − ρ.
    pub fn range(&self) -> (f64, f64) {
        let first = self.decreases.first().copied().unwrap_or(f64::NAN);
        (first, self.decreases.last().copied().unwrap_or(f64::NAN))
    }

    /// `lo–hi` for a report.
    pub fn range_text(&self) -> String {
        let (lo, hi) = self.range();
        format!("{}–{}", number(lo), number(hi))
    }
}

/// The rates of the students that reached the target, grouped by width (widths without any
/// left out), in width order (`students` are sorted by width).
pub fn rates_by_width(students: &[Student]) -> Vec<WidthRates> {
    let mut groups: Vec<WidthRates> = Vec::new();
    for student in students.iter().filter(|s| s.reached_target()) {
        let Some(rate) = student.rate else { continue };
        match groups.last_mut() {
            Some(group) if group.width == student.width => group.decreases.push(rate.decrease()),
            _ => groups.push(WidthRates {
                width: student.width,
                decreases: vec![rate.decrease()],
            }),
        }
    }
    for group in &mut groups {
        group.decreases.sort_by(f64::total_cmp);
    }
    groups
}

/// The claim that every non-negligible neuron ends aligned with a teacher neuron and the loss
/// goes to ~0, over all `runs` of the sweep (`students` are its successful ones).
pub fn alignment_verdict(students: &[Student], runs: usize) -> ClaimVerdict {
    let reached: Vec<&Student> = students.iter().filter(|s| s.reached_target()).collect();
    let counterexamples: Vec<&Student> = reached
        .iter()
        .copied()
        .filter(|s| s.misaligned().next().is_some())
        .collect();
    let mut measured = format!(
        "{} of {runs} runs reached the target loss; {} of those end with a non-negligible \
         neuron farther than cos 0.99 from every teacher neuron",
        reached.len(),
        counterexamples.len()
    );
    if let Some(worst) = counterexamples
        .iter()
        .max_by(|a, b| a.misaligned_share().total_cmp(&b.misaligned_share()))
    {
        measured.push_str(&format!(
            " (widths {}; worst: m = {}, seed {}, {} of the output weight on {} misaligned \
             neurons, {} of them pointing against a teacher neuron)",
            widths_of(&counterexamples),
            worst.width,
            worst.seed,
            percent(worst.misaligned_share()),
            worst.misaligned().count(),
            worst.misaligned().filter(|n| n.anti_aligned()).count()
        ));
    } else if let Some(cos) = reached
        .iter()
        .filter_map(|s| s.worst_cosine())
        .reduce(f64::min)
    {
        measured.push_str(&format!(
            "; the least aligned non-negligible neuron has max cos {}",
            number(cos)
        ));
    }
    let (verdict, reason) = if !counterexamples.is_empty() {
        let [misaligned, against, paired] = total_misalignment(counterexamples.iter().copied());
        let reason = format!(
            "caveat: in those runs {against} of the {misaligned} misaligned neurons point \
             against a teacher neuron and {paired} form opposite pairs: exact zero-loss \
             representations of the teacher through σ(z) = σ(−z) + z, which the paper's \
             hypotheses must rule out (its summary does not say how)"
        );
        (Verdict::DoesNotHold, reason)
    } else if reached.len() < runs {
        let reason = format!(
            "{} run(s) did not reach the target within the step budget (or failed), so the \
             loss did not go to ~0 there; the claim is local and says nothing about them",
            runs - reached.len()
        );
        (Verdict::Inconclusive, reason)
    } else {
        (Verdict::Holds, String::new())
    };
    ClaimVerdict {
        claim: "Every student neuron with non-negligible weight ends within cos ≥ 0.99 of some \
                teacher neuron, and the loss goes to ~0"
            .into(),
        verdict,
        criterion: format!(
            "every run reaches its target loss, and in every run each neuron carrying ≥ {} of \
             Σ_r |a_r|‖w_r‖ ends with max_j cos∠(w_r, w*_j) ≥ {ALIGNED_COSINE}; does not hold \
             if a run that reached the target has a non-negligible neuron below that; \
             inconclusive if none has but some run did not reach the target",
            percent(NEGLIGIBLE_SHARE)
        ),
        measured,
        reason,
    }
}

/// The claim that the final-phase linear rate does not depend on m (`rates` from
/// [`rates_by_width`] of `students`).
pub fn rate_verdict(rates: &[WidthRates], students: &[Student]) -> ClaimVerdict {
    let criterion = format!(
        "ρ per run = e^slope of ln L vs step over its last {RATE_DECADES} decades of loss \
         (runs that reached the target); holds when the per-width medians of 1 − ρ are within \
         a factor {RATE_FACTOR} of each other; does not hold when the largest and smallest \
         differ by more and their widths' ranges over seeds do not overlap; inconclusive \
         otherwise"
    );
    let claim = "The final-phase linear rate does not depend on the number of student \
                 neurons m"
        .to_string();
    let verdict = |verdict, measured, reason| ClaimVerdict {
        claim: claim.clone(),
        verdict,
        criterion: criterion.clone(),
        measured,
        reason,
    };
    let by_median = |a: &&WidthRates, b: &&WidthRates| a.median().total_cmp(&b.median());
    let (Some(slow), Some(fast)) = (
        rates.iter().min_by(by_median),
        rates.iter().max_by(by_median),
    ) else {
        return verdict(
            Verdict::Inconclusive,
            "no fitted rate".into(),
            "no run reached the target with enough logged points".into(),
        );
    };
    let medians: Vec<String> = rates
        .iter()
        .map(|r| format!("m = {}: {}", r.width, number(r.median())))
        .collect();
    let ratio = fast.median() / slow.median();
    let measured = format!(
        "median 1 − ρ by width: {}; largest/smallest = {} (m = {}: {} over seeds; m = {}: {})",
        medians.join(", "),
        number(ratio),
        fast.width,
        fast.range_text(),
        slow.width,
        slow.range_text()
    );
    if rates.len() < 2 {
        return verdict(
            Verdict::Inconclusive,
            measured,
            "fewer than two widths have a fitted rate".into(),
        );
    }
    if slow.median().is_nan() || slow.median() <= 0.0 {
        let reason = format!("the median fitted ρ at m = {} is ≥ 1", slow.width);
        return verdict(Verdict::Inconclusive, measured, reason);
    }
    if ratio <= RATE_FACTOR {
        verdict(Verdict::Holds, measured, slowdown_caveat(students))
    } else if fast.range().0 > slow.range().1 {
        verdict(Verdict::DoesNotHold, measured, slowdown_caveat(students))
    } else {
        let reason = format!(
            "the medians differ by more than a factor {RATE_FACTOR} but the ranges over seeds \
             at m = {} and m = {} overlap",
            fast.width, slow.width
        );
        verdict(Verdict::Inconclusive, measured, reason)
    }
}

/// How linear the final phase is, for m = k and m > k: the median slowdown of the runs that
/// reached the target (empty when no run has one).
fn slowdown_caveat(students: &[Student]) -> String {
    let k = students.first().map_or(0, Student::teacher_width);
    let slowdowns = |wider: bool| -> Vec<f64> {
        let runs = students
            .iter()
            .filter(|s| s.reached_target() && (s.width > k) == wider);
        runs.filter_map(|s| s.rate?.slowdown).collect()
    };
    let text = |values: Vec<f64>| median(values).map(number);
    match (text(slowdowns(false)), text(slowdowns(true))) {
        (Some(exact), Some(wider)) => format!(
            "caveat: a linear rate has slowdown 1 (1 − ρ equal over the upper and lower half of \
             the window); median slowdown {exact} at m = k = {k}, {wider} at m > k"
        ),
        _ => String::new(),
    }
}

/// The distinct widths of `students`, as `4, 8, 16`.
fn widths_of(students: &[&Student]) -> String {
    let mut widths: Vec<usize> = students.iter().map(|s| s.width).collect();
    widths.dedup();
    let text: Vec<String> = widths.iter().map(usize::to_string).collect();
    text.join(", ")
}

/// A fraction as a percentage for a report (`0.01` → `1%`).
pub fn percent(fraction: f64) -> String {
    format!("{}%", fmt_number(100.0 * fraction, None))
}
