//! Part `generalization`: does standard initialization with every layer trained generalize
//! better than lazy training? Every run trains the network and its linearization at
//! initialization side by side (same data, start, rates and steps); the verdict compares their
//! held-out losses width by width, over the runs in which both fit the training set.

use overparam_analysis::report::{ClaimVerdict, Section, TextTable, Verdict};
use overparam_analysis::stats::median;
use overparam_sweep::columns::{
    FINAL_LOSS, FINAL_TEST_LOSS, LOSS_LIN, MODEL_WIDTH, MOVE_W, TEST_LOSS_LIN,
};

use crate::{number, Criterion, Parts, ResultRows, Threshold};

/// The part's name.
pub const PART: &str = "generalization";
/// A run counts when both final training losses are at most this.
pub const FITTED_LOSS: f64 = 1e-4;
/// The share of a width's counted runs in which one of the two must be better.
pub const BETTER_SHARE: f64 = 0.8;
/// What the network is compared with.
pub const COMPARED_WITH: &str = "its linearization at initialization trained by the same \
                                 gradient descent (train.linearized = true), by held-out loss";

/// The criteria the part's specs fix.
pub const CRITERIA: &[Criterion] = &[
    Criterion {
        key: "fitted_loss",
        value: Threshold::Number(FITTED_LOSS),
        meaning: "a run counts when the network's and its linearization's final training \
                  losses are at most this",
    },
    Criterion {
        key: "better_share",
        value: Threshold::Number(BETTER_SHARE),
        meaning: "the share of a width's counted runs in which one of the two must be better",
    },
    Criterion {
        key: "compared_with",
        value: Threshold::Rule(COMPARED_WITH),
        meaning: "what the network is compared with",
    },
];

/// One width's runs.
struct Width {
    /// m.
    width: f64,
    /// Runs that ended ok.
    runs: usize,
    /// (held-out loss of the network, of its linearization, relative movement of W) of the
    /// runs in which both fit the training set.
    fitted: Vec<(f64, f64, Option<f64>)>,
}

impl Width {
    /// Counted runs in which the network's held-out loss is at most its linearization's.
    fn network_better(&self) -> usize {
        self.fitted.iter().filter(|(f, lin, _)| f <= lin).count()
    }
}

/// The verdict and the section of the part.
pub fn analyse(parts: &Parts) -> anyhow::Result<(ClaimVerdict, Section)> {
    let columns = [
        MODEL_WIDTH,
        FINAL_LOSS,
        LOSS_LIN,
        FINAL_TEST_LOSS,
        TEST_LOSS_LIN,
        MOVE_W,
    ];
    let results = ResultRows::read(parts, PART, &columns)?;
    let widths: Vec<Width> = results
        .groups()
        .into_iter()
        .map(|(width, rows)| Width {
            width,
            runs: rows.len(),
            fitted: rows
                .iter()
                .filter_map(|row| match row[1..6] {
                    [Some(loss), Some(loss_lin), Some(test), Some(test_lin), _]
                        if loss <= FITTED_LOSS && loss_lin <= FITTED_LOSS =>
                    {
                        Some((test, test_lin, row[5]))
                    }
                    _ => None,
                })
                .collect(),
        })
        .collect();
    let verdict = verdict(&widths, results.not_ok);
    let section = Section {
        title: "Generalization: every layer trained against the lazy regime".into(),
        paragraphs: vec![format!(
            "On a learnable task (a 4-neuron ReLU teacher, n = 128, 1000 held-out points), \
             every run trains the network and, beside it, its linearization at \
             initialization (train.linearized = true) by the same gradient descent: the same \
             network in the lazy regime. A run counts when both fit the training set (final training loss ≤ \
             {FITTED_LOSS}). The ratio is the network's held-out loss over its \
             linearization's (below 1: training every layer away from the lazy regime \
             generalizes better); the movement ‖W_T − W_0‖/‖W_0‖ shows how far from lazy the \
             network went."
        )],
        tables: vec![table(&widths)],
        figures: parts
            .figure(
                PART,
                "generalization_vs_width",
                "Held-out loss by width, and the distance between the network and its \
                 linearization on the training and held-out points",
            )
            .into_iter()
            .collect(),
    };
    Ok((verdict, section))
}

/// The claim's verdict by the fixed criteria.
fn verdict(widths: &[Width], not_ok: usize) -> ClaimVerdict {
    let per_width: Vec<String> = widths
        .iter()
        .map(|w| format!("m = {}: {}/{}", w.width, w.network_better(), w.fitted.len()))
        .collect();
    let counted: usize = widths.iter().map(|w| w.fitted.len()).sum();
    let runs: usize = widths.iter().map(|w| w.runs).sum::<usize>() + not_ok;
    let ratios: Vec<f64> = widths
        .iter()
        .flat_map(|w| w.fitted.iter().map(|(f, lin, _)| f / lin))
        .collect();
    let measured = format!(
        "{counted} of {runs} runs fitted the training set with both models; network better \
         (held-out loss ≤ its linearization's) by width: {}; median ratio {}",
        per_width.join(", "),
        median(ratios).map_or("–".into(), number)
    );
    let share = |better: usize, of: usize| better as f64 >= BETTER_SHARE * of as f64;
    let (verdict, reason) = if widths.is_empty() || widths.iter().any(|w| w.fitted.is_empty()) {
        let reason = "some width has no run in which both models fit the training set";
        (Verdict::Inconclusive, reason.to_string())
    } else if widths
        .iter()
        .all(|w| share(w.network_better(), w.fitted.len()))
    {
        (Verdict::Holds, String::new())
    } else if let Some(w) = widths
        .iter()
        .find(|w| share(w.fitted.len() - w.network_better(), w.fitted.len()))
    {
        let reason = format!(
            "at m = {} the linearization generalizes better in {} of {} runs",
            w.width,
            w.fitted.len() - w.network_better(),
            w.fitted.len()
        );
        (Verdict::DoesNotHold, reason)
    } else {
        let reason =
            format!("at some width neither model is better in a share {BETTER_SHARE} of the runs");
        (Verdict::Inconclusive, reason)
    };
    ClaimVerdict {
        claim: "Standard initialization with every layer trained generalizes at least as well \
                as lazy training of the same network"
            .into(),
        verdict,
        criterion: format!(
            "runs in which the network and its linearization both reach training loss ≤ \
             {FITTED_LOSS}; holds when at every width the network's held-out loss is ≤ its \
             linearization's in a share ≥ {BETTER_SHARE} of them; does not hold when at some \
             width the linearization's is lower in such a share; inconclusive otherwise"
        ),
        measured,
        reason,
    }
}

/// Per width: runs, counted, network better, median held-out losses, ratio and movement.
fn table(widths: &[Width]) -> TextTable {
    let text = |value: Option<f64>| value.map_or("–".to_string(), number);
    TextTable {
        columns: [
            "m",
            "runs",
            "both fitted",
            "network better",
            "median held-out loss (network)",
            "median held-out loss (linearization)",
            "median ratio",
            "median ‖W_T − W_0‖/‖W_0‖",
        ]
        .map(String::from)
        .to_vec(),
        rows: widths
            .iter()
            .map(|w| {
                vec![
                    w.width.to_string(),
                    w.runs.to_string(),
                    w.fitted.len().to_string(),
                    w.network_better().to_string(),
                    text(median(w.fitted.iter().map(|r| r.0))),
                    text(median(w.fitted.iter().map(|r| r.1))),
                    text(median(w.fitted.iter().map(|r| r.0 / r.1))),
                    text(median(w.fitted.iter().filter_map(|r| r.2))),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A width whose counted runs have these (network, linearization) held-out losses.
    fn width(width: f64, pairs: &[(f64, f64)]) -> Width {
        Width {
            width,
            runs: pairs.len() + 1,
            fitted: pairs.iter().map(|&(f, lin)| (f, lin, Some(0.1))).collect(),
        }
    }

    #[test]
    fn the_network_against_its_linearization_by_the_fixed_share() {
        let better = [(0.9, 1.0), (0.8, 1.0), (1.0, 1.0), (0.7, 1.0), (1.1, 1.0)];
        let worse = [(1.1, 1.0), (1.2, 1.0), (1.3, 1.0), (1.4, 1.0), (0.9, 1.0)];
        let mixed = [(0.9, 1.0), (1.1, 1.0)];
        // 4 of 5 better (ties count for the network) at both widths: holds.
        let holds = verdict(&[width(64.0, &better), width(128.0, &better)], 0);
        assert_eq!(holds.verdict, Verdict::Holds, "{holds:#?}");
        assert_eq!(
            holds.measured,
            "10 of 12 runs fitted the training set with both models; network better (held-out \
             loss ≤ its linearization's) by width: m = 64: 4/5, m = 128: 4/5; median ratio 0.900"
        );
        let fails = verdict(&[width(64.0, &better), width(128.0, &worse)], 1);
        assert_eq!(fails.verdict, Verdict::DoesNotHold);
        assert_eq!(
            fails.reason,
            "at m = 128 the linearization generalizes better in 4 of 5 runs"
        );
        let mixed = verdict(&[width(64.0, &better), width(128.0, &mixed)], 0);
        assert_eq!(mixed.verdict, Verdict::Inconclusive);
        let empty = verdict(&[width(64.0, &better), width(128.0, &[])], 0);
        assert_eq!(empty.verdict, Verdict::Inconclusive);
        assert!(empty.reason.contains("no run in which both models fit"));
    }
}
