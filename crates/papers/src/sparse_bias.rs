//! Seed paper 004 — Yang, Jiang, Zhang, Wang, Liang (2023), "Convergence and generalization of
//! wide neural networks with large bias": one-hidden-layer ReLU networks whose trainable
//! biases start at −B are sparsely active (a fraction ≈ 1 − Φ(B) of the units) throughout
//! training, and, widened accordingly, converge as fast as dense ones, at the rate of their
//! bias-generalized NTK.
//!
//! Part `train`: B = 0, 0.5, …, 3, zipped with the width m ∝ 1/(1 − Φ(B)) (the same expected
//! number of active units) and the rate η ∝ 1/K∞_B(x, x), over seeds, with the NTK at step 0
//! and, from `overparam reproduce`, the analytic K∞ of every run (`ntk-analytic/`). Verdicts
//! ([`claims`]): (1) the active fraction's worst relative deviation from 1 − Φ(B) over
//! training; (2) the convergence rate normalized by the kernel-regime prediction, relative to
//! B = 0; (3) λ_min of the empirical NTK against λ_min(K∞) with the same bias, relative to
//! the dense network's ([`kernel`]). Their criteria are fixed before the data in the spec's
//! `[criteria]` (listed in `CRITERIA`).

mod claims;
mod figures;
pub mod generalization;
mod kernel;
mod runs;

pub use claims::{ACTIVE_TOLERANCE, RATE_FLOOR};
pub use kernel::KERNEL_TOLERANCE;

use overparam_analysis::report::Section;

use overparam_sweep::dtype::DTypeKind;

use crate::{Criterion, Findings, Part, Parts, Reproduction, Threshold};
use runs::read_levels;

/// This paper's entry in [`crate::REPRODUCTIONS`].
pub const REPRODUCTION: Reproduction = Reproduction {
    name: "sparse-bias",
    title: "Large trainable biases and sparse activation (seed paper 004)",
    summary: "With biases initialized at −B, only a fraction 1 − Φ(B) of the ReLU units is \
              active; the fraction stays there during training, sparse networks widened \
              accordingly converge as fast as dense ones, the trainable bias enters \
              the smallest eigenvalue of the NTK, and the generalization bound depends on \
              the number of active units rather than the width.",
    parts: &[
        Part {
            name: PART,
            spec: "sparse-bias",
            dtype: DTypeKind::F32,
            analytic_ntk: true,
            hessian: false,
            criteria: CRITERIA,
        },
        Part {
            name: generalization::PART,
            spec: "sparse-bias-generalization",
            dtype: DTypeKind::F32,
            analytic_ntk: false,
            hessian: false,
            criteria: generalization::CRITERIA,
        },
    ],
    analyse,
};

/// The part's name.
const PART: &str = "train";

/// What the three verdicts are decided by (the constants of [`claims`] and [`kernel`], and
/// what each is relative to); `sparse-bias*.toml` state the same in `[criteria]`.
const CRITERIA: &[Criterion] = &[
    Criterion {
        key: "active_tolerance",
        value: Threshold::Number(ACTIVE_TOLERANCE),
        meaning: "largest worst-over-training relative deviation of the active fraction from \
                  1 - Φ(B), at every B, for the active-fraction claim",
    },
    Criterion {
        key: "active_inconclusive",
        value: Threshold::Rule(
            "inconclusive, not failed, when every B beyond active_tolerance is already more \
             than active_tolerance / 2 off at initialization",
        ),
        meaning: "too few active units to resolve the tolerance",
    },
    Criterion {
        key: "rate_compared_to",
        value: Threshold::Rule(
            "nu(B) / nu(0), nu = median over seeds of ln(observed per-step loss factor) / \
             ln((1 - lambda_min(K_eta)/n)^2)",
        ),
        meaning: "the convergence rate at each B > 0, relative to the dense B = 0 runs",
    },
    Criterion {
        key: "rate_floor",
        value: Threshold::Number(RATE_FLOOR),
        meaning: "smallest nu(B)/nu(0) at every B > 0 for the rate claim",
    },
    Criterion {
        key: "kernel_compared_to",
        value: Threshold::Rule(
            "r(B) / r(0), r = median over seeds of lambda_min(empirical NTK at init) / \
             lambda_min(K_inf with the same bias)",
        ),
        meaning: "the λ_min claim at each B > 0, relative to the dense B = 0 runs",
    },
    Criterion {
        key: "kernel_tolerance",
        value: Threshold::Number(KERNEL_TOLERANCE),
        meaning: "largest |r(B)/r(0) - 1| at every B > 0 for the λ_min claim",
    },
];

/// Analyses the `train` part: reads every finished run, computes the three verdicts, and draws
/// `train/plots/bias_kernel` (λ_min against B).
pub fn analyse(parts: &Parts) -> anyhow::Result<Findings> {
    let dir = parts.part(PART)?;
    let levels = read_levels(dir)?;
    anyhow::ensure!(
        !levels.is_empty(),
        "{}: no run with status ok in results.csv",
        dir.display()
    );
    let (active_verdict, active_table) = claims::active_fraction(&levels);
    let (rate_verdict, rate_table) = claims::convergence_rate(&levels);
    let (kernel_verdict, kernel_table) = kernel::smallest_eigenvalue(&levels);
    let plots = dir.join("plots");
    figures::save(&kernel::figure_levels(&levels), &plots)?;
    figures::save_active_ratio(&claims::active_ratios(&levels), ACTIVE_TOLERANCE, &plots)?;
    // A plot with many panels is split over numbered files (`loss_curves_1`, `_2`, …).
    let figure = |stem: &str, caption: &str| {
        let numbered = (1..=4).map(|k| format!("{stem}_{k}"));
        std::iter::once(stem.to_string())
            .chain(numbered)
            .filter_map(|s| parts.figure(PART, &s, caption))
            .collect::<Vec<_>>()
    };
    let sections = vec![
        Section {
            title: "Active fraction during training".into(),
            paragraphs: vec![
                "With ‖x‖ = 1 and w ~ N(0, I), w·x ~ N(0, 1), so a unit with bias −B is active \
                 on an input with probability 1 − Φ(B). The active fraction is the share of the \
                 n × m pre-activations w_r·x_i + b_r that are positive, logged every few steps; \
                 its deviation is relative to 1 − Φ(B), worst over the seeds. 'Flipped' is the \
                 share whose sign changed since initialization."
                    .into(),
            ],
            tables: vec![active_table],
            figures: [
                figure(
                    figures::ACTIVE_STEM,
                    "Active fraction over its prediction 1 − Φ(B) for every run, with the ±25% band",
                ),
                figure(
                "active_fraction",
                "Active fraction during training (solid) against 1 − Φ(B) (dashed)",
            ),
            ]
            .concat(),
        },
        Section {
            title: "Convergence rate".into(),
            paragraphs: vec![
                "Each run trains until its loss is 1e-9. The observed per-step loss factor is \
                 fitted to the second half of its loss curve; the kernel-regime prediction is \
                 (1 − λ_min(K_η)/n)² with K_η the learning-rate-weighted NTK at step 0. \
                 ν = ln(observed)/ln(predicted) is the rate in units of the prediction (1: as \
                 fast as the kernel says; > 1: faster, the kernel having grown during \
                 training). The raw per-step log-rate relative to B = 0 is shown beside it; the \
                 rate η_B ∝ 1/K∞_B(x, x) gives every B the same step relative to its kernel's \
                 scale. The NTK drift ‖K_T − K_0‖/‖K_0‖ says how far each run is from the \
                 lazy regime."
                    .into(),
            ]
            .into_iter()
            .chain(claims::drift_note(&levels))
            .collect(),
            tables: vec![rate_table],
            figures: figure("loss_curves", "Training loss, one panel per bias and width"),
        },
        Section {
            title: "Smallest eigenvalue of the NTK".into(),
            paragraphs: vec![
                "λ_min of the NTK (every tensor trained, biases included) at initialization, \
                 beside λ_min of the infinite-width kernel K∞ with the same constant bias on the \
                 same inputs (its ReLU expectations need bivariate-normal orthant probabilities \
                 and truncated second moments; `ntk --method analytic`). Per unit of the \
                 activation probability, λ_min(K∞)/(1 − Φ(B)) shows whether the kernel's \
                 conditioning survives the sparsity."
                    .into(),
            ],
            tables: vec![kernel_table],
            figures: figure(
                figures::STEM,
                "λ_min against B: empirical NTK at initialization and K∞ with the same bias; raw and per unit of 1 − Φ(B)",
            ),
        },
    ];
    let (generalization_verdict, generalization_section) = generalization::analyse(parts)?;
    let mut sections = sections;
    sections.push(generalization_section);
    Ok(Findings {
        verdicts: vec![
            active_verdict,
            rate_verdict,
            kernel_verdict,
            generalization_verdict,
        ],
        sections,
    })
}
