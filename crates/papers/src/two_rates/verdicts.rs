//! The three verdicts of the two-rates reproduction, each computed from the runs by the
//! criterion it states.

use crate::number;
use overparam_analysis::report::{ClaimVerdict, Verdict};

use super::runs::{count, Measured, EARLY_POINTS, LINEAR_PHASE};
use super::{CONVERGED, LARGE_DRIFT, LAZY_DRIFT};
use overparam_analysis::stats::median;

/// Share of the large-drift runs that must converge for the claim to hold.
pub const CONVERGED_SHARE: f64 = 0.9;
/// Fewest large-drift runs a convergence verdict is drawn from.
pub const MIN_LARGE_DRIFT_RUNS: usize = 5;
/// Share of the runs whose early loss must fall at least as fast as K_η predicts.
pub const BOUND_SHARE: f64 = 0.9;
/// Fewest runs a rate verdict is drawn from.
pub const MIN_RATE_RUNS: usize = 3;
/// Largest median |ln(observed)/ln(predicted) − 1| for K_η to predict the lazy runs' rate.
pub const RATE_TOLERANCE: f64 = 0.25;

/// `k of N (p%)`.
fn share(k: usize, n: usize) -> String {
    format!("{k} of {n} ({:.0}%)", 100.0 * k as f64 / n.max(1) as f64)
}

/// `m = 8: 4/21, 16: 21/21, …`: per width, the runs among `large` that converged out of those
/// there.
fn by_width(large: &[&Measured]) -> String {
    let mut widths: Vec<f64> = large.iter().map(|r| r.width).collect();
    widths.sort_by(f64::total_cmp);
    widths.dedup();
    let parts: Vec<String> = widths
        .iter()
        .map(|&w| {
            let at: Vec<&&Measured> = large.iter().filter(|r| r.width == w).collect();
            let converged = at.iter().filter(|r| r.converged(CONVERGED)).count();
            format!("{}: {converged}/{}", count(w), at.len())
        })
        .collect();
    format!("m = {}", parts.join(", "))
}

/// Claim 1: gradient descent converges also where the kernel moved far from K_0.
pub fn convergence_outside_ntk(runs: &[Measured]) -> ClaimVerdict {
    let large: Vec<&Measured> = runs
        .iter()
        .filter(|r| r.drift.is_some_and(|d| d > LARGE_DRIFT))
        .collect();
    let counted: Vec<&Measured> = large.iter().copied().filter(|r| r.wide()).collect();
    let converged = counted.iter().filter(|r| r.converged(CONVERGED)).count();
    let largest = counted.iter().filter_map(|r| r.drift).reduce(f64::max);
    let mut measured = format!(
        "{} runs with drift > {LARGE_DRIFT} and m ≥ n converged (largest drift among them {}); \
         by width, converged/runs with drift > {LARGE_DRIFT}: {}",
        share(converged, counted.len()),
        largest.map_or("–".into(), number),
        by_width(&large)
    );
    let unmeasured = runs
        .iter()
        .filter(|r| r.drift.is_none() || r.n.is_none())
        .count();
    if unmeasured > 0 {
        measured +=
            &format!("; {unmeasured} run(s) without a drift measurement or data.n not counted");
    }
    let (verdict, reason) = if counted.len() < MIN_LARGE_DRIFT_RUNS {
        let why = format!(
            "only {} runs with drift > {LARGE_DRIFT} and m ≥ n (at least {MIN_LARGE_DRIFT_RUNS} \
             needed): the grid hardly leaves the NTK regime at these widths",
            counted.len()
        );
        (Verdict::Inconclusive, why)
    } else {
        let holds = converged as f64 >= CONVERGED_SHARE * counted.len() as f64;
        (Verdict::from_condition(holds), String::new())
    };
    ClaimVerdict {
        claim: "Over-parameterized networks trained on both layers at different rates converge \
                also outside the NTK regime, where the kernel moves far from its initial value"
            .into(),
        verdict,
        criterion: format!(
            "among the runs of width m ≥ n (over-parameterized, the paper's setting) whose final \
             kernel drift ‖K_T−K_0‖_F/‖K_0‖_F exceeds {LARGE_DRIFT}, at least {:.0}% converge, \
             i.e. reach L_T ≤ {} · L_0; at least {MIN_LARGE_DRIFT_RUNS} such runs. Narrower \
             widths are reported beside it, not counted",
            100.0 * CONVERGED_SHARE,
            number(CONVERGED)
        ),
        measured,
        reason,
    }
}

/// The median rate ratio of `runs` for the factor `observed` picks, with how many had one.
fn median_ratio(
    runs: &[&Measured],
    observed: impl Fn(&Measured) -> Option<f64>,
) -> (Option<f64>, usize) {
    let ratios: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.rate_ratio(observed(r)))
        .collect();
    (median(ratios.clone()), ratios.len())
}

/// `median r over N lazy runs, M non-lazy runs` for the factor `observed` picks.
fn by_regime(runs: &[Measured], observed: impl Fn(&Measured) -> Option<f64> + Copy) -> String {
    let regime = |keep: &dyn Fn(f64) -> bool| -> Vec<&Measured> {
        runs.iter().filter(|r| r.drift.is_some_and(keep)).collect()
    };
    let show =
        |(m, n): (Option<f64>, usize)| format!("{} over {n} runs", m.map_or("–".into(), number));
    format!(
        "median ratio {} with drift < {LAZY_DRIFT}, {} with drift > {LARGE_DRIFT}",
        show(median_ratio(&regime(&|d| d < LAZY_DRIFT), observed)),
        show(median_ratio(&regime(&|d| d > LARGE_DRIFT), observed))
    )
}

/// Claim 2: from the start, the loss falls at least at the rate K_η at initialisation gives.
pub fn early_rate_bound(runs: &[Measured]) -> ClaimVerdict {
    let ratios: Vec<f64> = runs.iter().filter_map(|r| r.rate_ratio(r.early)).collect();
    let faster = ratios.iter().filter(|&&r| r >= 1.0).count();
    let minimum = ratios.iter().copied().reduce(f64::min);
    let measured = format!(
        "{} runs fell at least as fast as predicted early on (smallest ratio {}); {}",
        share(faster, ratios.len()),
        minimum.map_or("–".into(), number),
        by_regime(runs, |r| r.early)
    );
    let (verdict, reason) = if ratios.len() < MIN_RATE_RUNS {
        let why = format!(
            "only {} runs have both a K_η prediction and an early fit",
            ratios.len()
        );
        (Verdict::Inconclusive, why)
    } else {
        let holds = faster as f64 >= BOUND_SHARE * ratios.len() as f64;
        (Verdict::from_condition(holds), String::new())
    };
    ClaimVerdict {
        claim: "Early in training the loss falls at least as fast as the learning-rate-weighted \
                kernel K_η at initialisation guarantees: L_t ≤ (1 − λ_min(K_η)/n)^(2t) L_0"
            .into(),
        verdict,
        criterion: format!(
            "the early rate (least-squares slope of ln L over step 0 and the next {} logged \
             steps) over the predicted one, ln(observed)/ln((1 − λ_min(K_η)/n)²), is ≥ 1 in at \
             least {:.0}% of the runs (at least {MIN_RATE_RUNS} runs)",
            EARLY_POINTS - 1,
            100.0 * BOUND_SHARE
        ),
        measured,
        reason,
    }
}

/// Claim 3: in the lazy runs, λ_min(K_η) at initialisation gives the linear rate itself.
pub fn lazy_rate_prediction(runs: &[Measured]) -> ClaimVerdict {
    let lazy: Vec<&Measured> = runs
        .iter()
        .filter(|r| r.drift.is_some_and(|d| d < LAZY_DRIFT))
        .collect();
    let deviations: Vec<f64> = lazy
        .iter()
        .filter_map(|r| r.rate_ratio(r.linear))
        .map(|q| (q - 1.0).abs())
        .collect();
    let deviation = median(deviations.clone());
    let measured = format!(
        "median |ratio − 1| = {} over {} lazy runs; {}",
        deviation.map_or("–".into(), number),
        deviations.len(),
        by_regime(runs, |r| r.linear)
    );
    let (verdict, reason) = match deviation {
        Some(d) if deviations.len() >= MIN_RATE_RUNS => (Verdict::from_condition(d < RATE_TOLERANCE), String::new()),
        _ => (
            Verdict::Inconclusive,
            format!(
                "only {} runs with drift < {LAZY_DRIFT} reach the linear phase (at least {MIN_RATE_RUNS} needed)",
                deviations.len()
            ),
        ),
    };
    ClaimVerdict {
        claim: "In the NTK (lazy) regime the learning-rate-weighted kernel K_η at \
                initialisation predicts the linear rate of convergence, (1 − λ_min(K_η)/n)² per step"
            .into(),
        verdict,
        criterion: format!(
            "over the runs with final kernel drift < {LAZY_DRIFT}, the median of \
             |ln(observed)/ln(predicted) − 1| is below {RATE_TOLERANCE}, the observed rate fitted \
             to the linear phase (logged losses between {} and {} of L_0); at least \
             {MIN_RATE_RUNS} such runs",
            number(LINEAR_PHASE.0),
            number(LINEAR_PHASE.1)
        ),
        measured,
        reason,
    }
}
