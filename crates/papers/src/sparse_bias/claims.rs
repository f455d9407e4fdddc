//! The verdicts on the active fraction and the convergence rate, each with the table behind
//! it (the kernel's is in `kernel`), and the cell formats they share. The criteria are fixed
//! here, before any data is read, and stated with the same values in the spec's `[criteria]`.

use super::figures::ActiveRatio;
use crate::number;
use overparam_analysis::report::{ClaimVerdict, TextTable, Verdict};

use super::runs::{Level, Measured};

/// Claim 1 holds when the active fraction stays within this relative distance of 1 − Φ(B).
pub const ACTIVE_TOLERANCE: f64 = 0.25;
/// Claim 2 holds when every sparse network's normalized rate is at least this share of the
/// dense one's.
pub const RATE_FLOOR: f64 = 0.5;
/// "B = 1.5" for a level (B as written in the spec: 0.5, 1, 1.5, …).
pub(super) fn label(level: &Level) -> String {
    format!("B = {}", level.bias)
}

/// `value` as a cell, "–" when missing.
pub(super) fn cell(value: Option<f64>) -> String {
    value.map_or("–".into(), number)
}

/// A count (width, steps) as a cell.
fn count(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{v:.0}"))
}

/// `value` as a percentage cell.
fn percent(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{:.1}%", 100.0 * v))
}

/// A verdict from its parts.
pub(super) fn verdict(
    claim: &str,
    verdict: Verdict,
    criterion: &str,
    measured: String,
    reason: String,
) -> ClaimVerdict {
    ClaimVerdict {
        claim: claim.into(),
        verdict,
        criterion: criterion.into(),
        measured,
        reason,
    }
}

/// Claim 1: the fraction of active units stays near 1 − Φ(B) during all of training.
pub fn active_fraction(levels: &[Level]) -> (ClaimVerdict, TextTable) {
    let mut table = TextTable {
        columns: [
            "B",
            "1 − Φ(B)",
            "width m",
            "active at init",
            "active at end",
            "worst |a_t/(1 − Φ(B)) − 1|",
            "at init",
            "flipped by the end",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    // (level, worst deviation over training, deviation at initialisation)
    let mut measured = Vec::new();
    for level in levels {
        let p = level.active_probability();
        let worst = level.maximum(|r| r.worst_deviation(p));
        let initial = level.maximum(|r| r.initial_active().map(|a| (a / p - 1.0).abs()));
        table.rows.push(vec![
            level.bias.to_string(),
            number(p),
            count(level.median(|r| Some(r.width))),
            cell(level.median(Measured::initial_active)),
            cell(level.median(Measured::final_active)),
            percent(worst),
            percent(initial),
            percent(level.median(|r| r.flipped)),
        ]);
        if let (Some(worst), Some(initial)) = (worst, initial) {
            measured.push((level, worst, initial));
        }
    }
    let claim = "The fraction of active units stays near 1 − Φ(B) during all of training";
    let criterion =
        "holds when at every B the worst relative deviation max_t |a_t/(1 − Φ(B)) − 1| \
                     over the logged steps of every seed is ≤ 25%; inconclusive when every B \
                     beyond that is already > 12.5% off at initialization (sampling error: too \
                     few active units to resolve 25%), does not hold otherwise";
    if !measured.iter().any(|(l, _, _)| l.bias > 0.0) {
        let reason = "no run with B > 0 logged active_fraction".to_string();
        return (
            verdict(
                claim,
                Verdict::Inconclusive,
                criterion,
                "nothing measured".into(),
                reason,
            ),
            table,
        );
    }
    let text: Vec<String> = measured
        .iter()
        .map(|(l, worst, _)| format!("{}: {:.1}%", label(l), 100.0 * worst))
        .collect();
    let summary = format!(
        "worst relative deviation over training: {}",
        text.join(", ")
    );
    let beyond: Vec<_> = measured
        .iter()
        .filter(|(_, worst, _)| *worst > ACTIVE_TOLERANCE)
        .collect();
    let outcome = if beyond.is_empty() {
        (Verdict::Holds, String::new())
    } else if beyond
        .iter()
        .all(|(_, _, initial)| *initial > 0.5 * ACTIVE_TOLERANCE)
    {
        let at: Vec<String> = beyond
            .iter()
            .map(|(l, _, i)| format!("{} ({:.1}% off at init)", label(l), 100.0 * i))
            .collect();
        let reason = format!(
            "beyond 25% only where the initialization alone is > 12.5% off: {}",
            at.join(", ")
        );
        (Verdict::Inconclusive, reason)
    } else {
        (Verdict::DoesNotHold, String::new())
    };
    (
        verdict(claim, outcome.0, criterion, summary, outcome.1),
        table,
    )
}

/// Claim 2: widened by 1/(1 − Φ(B)), the sparse networks converge as fast as the dense one.
pub fn convergence_rate(levels: &[Level]) -> (ClaimVerdict, TextTable) {
    let mut table = TextTable {
        columns: [
            "B",
            "rate η",
            "steps to the target",
            "observed per-step loss factor",
            "predicted (1 − λ_min(K_η)/n)²",
            "ν = ln observed / ln predicted",
            "ν/ν(B = 0)",
            "−ln observed, relative to B = 0",
            "NTK drift by the end",
        ]
        .map(String::from)
        .to_vec(),
        rows: Vec::new(),
    };
    let dense = levels.iter().find(|l| l.bias == 0.0);
    let dense_nu = dense.and_then(|l| l.median(Measured::normalized_rate));
    let dense_log_rate = dense.and_then(|l| l.median(Measured::log_rate));
    let mut ratios = Vec::new();
    let mut missing = Vec::new();
    for level in levels {
        let nu = level.median(Measured::normalized_rate);
        let ratio = nu.zip(dense_nu).map(|(nu, dense)| nu / dense);
        let speed = level
            .median(Measured::log_rate)
            .zip(dense_log_rate)
            .map(|(rate, dense)| rate / dense);
        table.rows.push(vec![
            level.bias.to_string(),
            cell(level.median(|r| r.learning_rate)),
            count(level.median(|r| r.steps)),
            cell(level.median(|r| r.observed_rate)),
            cell(level.median(|r| r.predicted_rate)),
            cell(nu),
            cell(ratio),
            cell(speed),
            cell(level.median(|r| r.ntk_drift)),
        ]);
        match (level.bias > 0.0, ratio) {
            (true, Some(ratio)) => ratios.push((level, ratio, speed)),
            (true, None) => missing.push(label(level)),
            _ => {}
        }
    }
    let claim = "Widened to m ∝ 1/(1 − Φ(B)), the sparse networks converge at a rate comparable \
                 to the dense (B = 0) one";
    let criterion = "rate per B normalized by the kernel: ν = ln(observed per-step loss factor) / \
                     ln((1 − λ_min(K_η)/n)²) with K_η the learning-rate-weighted NTK at step 0 \
                     (median over seeds); holds when ν(B)/ν(0) ≥ 0.5 at every B > 0, does not \
                     hold when it is < 0.5 at some B; inconclusive when a rate is missing";
    if dense_nu.is_none() || !missing.is_empty() || ratios.is_empty() {
        let reason = if dense_nu.is_none() {
            "no fitted rate (or no kernel prediction) for the dense B = 0 runs".to_string()
        } else {
            format!("no fitted rate at {}", missing.join(", "))
        };
        return (
            verdict(
                claim,
                Verdict::Inconclusive,
                criterion,
                "not all rates measured".into(),
                reason,
            ),
            table,
        );
    }
    let text: Vec<String> = ratios
        .iter()
        .map(|(l, ratio, speed)| {
            let raw = speed.map_or(String::new(), |s| format!(" (raw per-step {})", number(s)));
            format!("{}: {}{raw}", label(l), number(*ratio))
        })
        .collect();
    let summary = format!(
        "ν(B)/ν(0) with ν(0) = {}: {}",
        number(dense_nu.unwrap_or(f64::NAN)),
        text.join(", ")
    );
    let slowest = ratios.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
    let outcome = Verdict::from_condition(slowest >= RATE_FLOOR);
    (
        verdict(claim, outcome, criterion, summary, String::new()),
        table,
    )
}

/// Says where the kernel moved by more than its own initial norm during training (median NTK
/// drift over the seeds > 1): those networks left the lazy regime, and their rate is not the
/// initial kernel's. `None` when every B stayed below.
pub fn drift_note(levels: &[Level]) -> Option<String> {
    let moved: Vec<String> = levels
        .iter()
        .filter_map(|l| {
            let drift = l.median(|r| r.ntk_drift)?;
            (drift > 1.0).then(|| format!("{} ({})", label(l), number(drift)))
        })
        .collect();
    (!moved.is_empty()).then(|| {
        format!(
            "Measured: the NTK moved by more than its initial norm (‖K_T − K_0‖/‖K_0‖ > 1, median \
             over seeds) at {}. Those networks are not in the lazy regime the kernel analysis \
             assumes: keeping m(1 − Φ(B)) fixed keeps the kernel's finite-width error fixed, but \
             fitting labels of order 1 with a kernel of order 1 − Φ(B) moves each active unit \
             further, so laziness would need m to grow faster than 1/(1 − Φ(B)).",
            moved.join(", ")
        )
    })
}

/// Every run's active fraction over its prediction 1 − Φ(B), for the figure.
pub fn active_ratios(levels: &[Level]) -> Vec<ActiveRatio> {
    let mut ratios = Vec::new();
    for level in levels {
        let p = level.active_probability();
        for run in &level.runs {
            ratios.push(ActiveRatio {
                bias: level.bias,
                ratio: run.active.iter().map(|&(step, a)| (step, a / p)).collect(),
            });
        }
    }
    ratios
}
