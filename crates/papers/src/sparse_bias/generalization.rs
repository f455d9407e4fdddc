//! Part `generalization`: at a fixed expected number of active units, does a sparser network
//! (larger B, wider) generalize no worse than the dense one? The held-out loss at the end of
//! training against B, each B > 0 relative to B = 0.

use overparam_analysis::plot::data::Sweep;
use overparam_analysis::report::{ClaimVerdict, Section, TextTable, Verdict};
use overparam_analysis::stats::{median, normal_cdf};
use overparam_sweep::columns::{FINAL_LOSS, FINAL_TEST_LOSS, MODEL_WIDTH, TEST_LOSS};

use super::claims::cell;
use super::runs::BIAS_INIT;
use crate::{number, Criterion, Parts, Threshold};

/// The part's name.
pub const PART: &str = "generalization";
/// A run counts when its final training loss is at most this.
pub const FITTED_LOSS: f64 = 1e-6;
/// At every B > 0 the median held-out loss may exceed B = 0's by at most this fraction.
pub const TEST_LOSS_TOLERANCE: f64 = 0.25;
/// What each B is compared with.
pub const COMPARED_TO: &str = "the dense B = 0 networks with the same expected number of \
                               active units (m = 128 / (1 - Phi(B)))";

/// The criteria the part's specs fix.
pub const CRITERIA: &[Criterion] = &[
    Criterion {
        key: "fitted_loss",
        value: Threshold::Number(FITTED_LOSS),
        meaning: "a run counts when its final training loss is at most this",
    },
    Criterion {
        key: "test_loss_tolerance",
        value: Threshold::Number(TEST_LOSS_TOLERANCE),
        meaning: "at every B > 0 the median held-out loss may exceed B = 0's by at most this \
                  fraction",
    },
    Criterion {
        key: "compared_to",
        value: Threshold::Rule(COMPARED_TO),
        meaning: "what each B is compared with",
    },
];

/// The runs of one bias level.
struct Level {
    /// B (the runs' bias_init is −B).
    bias: f64,
    /// The width m.
    width: f64,
    /// Runs that ended ok.
    runs: usize,
    /// Final held-out losses of the runs that fit the training set, ascending.
    held_out: Vec<f64>,
    /// Held-out losses at step 0 (the network's random function), every run.
    initial: Vec<f64>,
}

impl Level {
    /// The median final held-out loss.
    fn median(&self) -> Option<f64> {
        median(self.held_out.iter().copied())
    }
}

/// The verdict and the section of the part.
pub fn analyse(parts: &Parts) -> anyhow::Result<(ClaimVerdict, Section)> {
    let sweep = Sweep::read(parts.part(PART)?)?;
    let mut levels: Vec<Level> = Vec::new();
    for run in &sweep.runs {
        // 0 − b₀ rather than −b₀: B = 0, not −0, for b₀ = 0.
        let bias = 0.0 - run.number(BIAS_INIT).unwrap_or(0.0);
        let index = match levels.iter().position(|l| l.bias == bias) {
            Some(index) => index,
            None => {
                levels.push(Level {
                    bias,
                    width: run.number(MODEL_WIDTH).unwrap_or(f64::NAN),
                    runs: 0,
                    held_out: Vec::new(),
                    initial: Vec::new(),
                });
                levels.len() - 1
            }
        };
        let level = &mut levels[index];
        level.runs += 1;
        if let Some(&(_, initial)) = run.curve(TEST_LOSS)?.first() {
            level.initial.push(initial);
        }
        if let (Some(loss), Some(test)) = (run.number(FINAL_LOSS), run.number(FINAL_TEST_LOSS)) {
            if loss <= FITTED_LOSS {
                level.held_out.push(test);
            }
        }
    }
    levels.sort_by(|a, b| a.bias.total_cmp(&b.bias));
    for level in &mut levels {
        level.held_out.sort_by(f64::total_cmp);
    }
    let verdict = verdict(&levels);
    let section = Section {
        title: "Generalization at a fixed number of active units".into(),
        paragraphs: vec![format!(
            "On a learnable task (a 4-neuron ReLU teacher without bias, n = 64, 1000 held-out \
             points), networks with biases at −B and width m = 128/(1 − Φ(B)) (128 active \
             units per input on average) are trained to the target; a run counts when its \
             final training loss is ≤ {FITTED_LOSS}. Each B is compared with {COMPARED_TO}. \
             The held-out loss at step 0 is that of the network's random initial function, \
             whose size falls with B (E[relu(u)²], u ~ N(−B, 1)): part of a difference at the \
             end may come from there rather than from sparsity."
        )],
        tables: vec![table(&levels)],
        figures: parts
            .figure(
                PART,
                "generalization_vs_width",
                "Held-out loss at the end against the width m = 128/(1 − Φ(B)), one colour per B",
            )
            .into_iter()
            .collect(),
    };
    Ok((verdict, section))
}

/// The claim's verdict by the fixed criteria.
fn verdict(levels: &[Level]) -> ClaimVerdict {
    let medians: Vec<String> = levels
        .iter()
        .map(|l| {
            format!(
                "B = {}: {} ({} runs)",
                l.bias,
                cell(l.median()),
                l.held_out.len()
            )
        })
        .collect();
    let mut measured = format!("median held-out loss by B: {}", medians.join(", "));
    let dense = levels.first().filter(|l| l.bias == 0.0);
    let (verdict, reason) = match dense.and_then(|d| Some((d, d.median()?))) {
        None => (
            Verdict::Inconclusive,
            "no B = 0 run fit the training set".to_string(),
        ),
        Some((dense, dense_median)) => {
            let sparse = &levels[1..];
            let ratios: Vec<String> = sparse
                .iter()
                .filter_map(|l| {
                    Some(format!(
                        "B = {}: {}",
                        l.bias,
                        number(l.median()? / dense_median)
                    ))
                })
                .collect();
            measured.push_str(&format!("; relative to B = 0: {}", ratios.join(", ")));
            let bound = (1.0 + TEST_LOSS_TOLERANCE) * dense_median;
            let dense_max = dense.held_out.last().copied().unwrap_or(f64::NAN);
            if sparse.is_empty() || sparse.iter().any(|l| l.median().is_none()) {
                let reason = "some B > 0 has no run that fit the training set (or none exists)";
                (Verdict::Inconclusive, reason.to_string())
            } else if sparse
                .iter()
                .all(|l| l.median().is_some_and(|m| m <= bound))
            {
                (Verdict::Holds, String::new())
            } else if let Some(worse) = sparse
                .iter()
                .find(|l| l.held_out.first().is_some_and(|&least| least > dense_max))
            {
                let reason = format!(
                    "at B = {} even the smallest held-out loss exceeds B = 0's largest",
                    worse.bias
                );
                (Verdict::DoesNotHold, reason)
            } else {
                let reason = "a median exceeds the bound but the seeds' ranges overlap B = 0's";
                (Verdict::Inconclusive, reason.to_string())
            }
        }
    };
    ClaimVerdict {
        claim: "At a fixed expected number of active units, a sparser network (larger B, wider) \
                generalizes no worse than the dense one"
            .into(),
        verdict,
        criterion: format!(
            "runs with final training loss ≤ {FITTED_LOSS}; holds when at every B > 0 the \
             median held-out loss over seeds is ≤ (1 + {TEST_LOSS_TOLERANCE}) × B = 0's; does \
             not hold when at some B it is above and even its smallest held-out loss exceeds \
             B = 0's largest; inconclusive otherwise"
        ),
        measured,
        reason,
    }
}

/// Per B: width, expected active share, runs, counted, held-out losses.
fn table(levels: &[Level]) -> TextTable {
    TextTable {
        columns: [
            "B",
            "m",
            "1 − Φ(B)",
            "runs",
            "fitted",
            "median held-out loss at step 0",
            "median held-out loss at the end",
            "held-out loss over seeds",
        ]
        .map(String::from)
        .to_vec(),
        rows: levels
            .iter()
            .map(|l| {
                let range = match (l.held_out.first(), l.held_out.last()) {
                    (Some(lo), Some(hi)) => format!("{}–{}", number(*lo), number(*hi)),
                    _ => "–".into(),
                };
                vec![
                    l.bias.to_string(),
                    l.width.to_string(),
                    number(1.0 - normal_cdf(l.bias)),
                    l.runs.to_string(),
                    l.held_out.len().to_string(),
                    cell(median(l.initial.iter().copied())),
                    cell(l.median()),
                    range,
                ]
            })
            .collect(),
    }
}
