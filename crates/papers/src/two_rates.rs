//! Seed paper 003 (Razborov, "Improved Convergence Guarantees for Shallow Neural Networks",
//! 2022): a two-layer ReLU network on Gaussian inputs with arbitrary labels, both layers
//! trained by gradient descent at different rates η_w and η_a, converges to zero loss; the
//! paper's experiments suggest the convergence extends well beyond the NTK regime.
//!
//! Part `grid`: width m × rate ratio η_w/η_a (× seeds). Per run: whether it converged
//! (L_T ≤ [`CONVERGED`] · L_0), the kernel drift ‖K_T − K_0‖_F/‖K_0‖_F, the relative movement
//! of each layer, and its loss rates beside (1 − λ_min(K_η)/n)², the rate of the
//! learning-rate-weighted kernel K_η at initialisation. Verdicts (criteria in [`verdicts`],
//! fixed before the data in the spec's `[criteria]`, listed in `CRITERIA`): convergence among
//! the over-parameterized runs (m ≥ n) with drift > [`LARGE_DRIFT`], narrower widths reported
//! beside it; the early rate at least the predicted one; in the lazy runs (drift <
//! [`LAZY_DRIFT`]) the linear-phase rate equal to it.
//! Figures: the phase diagram (final loss, contour of large drift) and the drift map, in
//! `grid/plots/`; every run's numbers in `grid/two_rates.csv`.

mod cells;
mod runs;
pub mod verdicts;

use anyhow::ensure;

use overparam_analysis::report::{Figure, Section, TextTable};

use self::cells::{cell_table, ratio_label, save_heat_maps, write_runs_csv};
use self::runs::{count, read_runs, Measured, EARLY_POINTS, LINEAR_PHASE, MIN_FIT_POINTS};
use self::verdicts::{
    BOUND_SHARE, CONVERGED_SHARE, MIN_LARGE_DRIFT_RUNS, MIN_RATE_RUNS, RATE_TOLERANCE,
};
use overparam_sweep::dtype::DTypeKind;

use crate::{number, Criterion, Findings, Part, Parts, Reproduction, Threshold};
use overparam_analysis::stats::median;

/// This paper's entry in [`crate::REPRODUCTIONS`].
pub const REPRODUCTION: Reproduction = Reproduction {
    name: "two-rates",
    title: "Both layers trained at different rates (seed paper 003)",
    summary: "Two-layer ReLU networks on Gaussian inputs with arbitrary labels, both layers \
              trained by gradient descent at different rates, converge to a global minimum \
              also outside the NTK regime; early on, the learning-rate-weighted kernel K_η \
              predicts the rate.",
    parts: &[Part {
        name: PART,
        spec: "two-rates",
        dtype: DTypeKind::F32,
        analytic_ntk: false,
        hessian: false,
        criteria: CRITERIA,
    }],
    analyse,
};

/// The part's name.
const PART: &str = "grid";
/// A run converged when its final loss is at most this fraction of its initial loss.
pub const CONVERGED: f64 = 1e-5;
/// Final kernel drift above which a run is outside the NTK regime.
pub const LARGE_DRIFT: f64 = 0.3;
/// Final kernel drift below which a run is lazy (in the NTK regime).
pub const LAZY_DRIFT: f64 = 0.1;

/// What the three verdicts are decided by (the constants here, in [`verdicts`] and in `runs`,
/// and the runs the convergence claim counts); `two-rates*.toml` state the same in
/// `[criteria]`.
const CRITERIA: &[Criterion] = &[
    Criterion {
        key: "converged",
        value: Threshold::Number(CONVERGED),
        meaning: "a run converged when it ended with status ok and L_T <= this * L_0",
    },
    Criterion {
        key: "large_drift",
        value: Threshold::Number(LARGE_DRIFT),
        meaning: "final kernel drift above which a run is outside the NTK regime",
    },
    Criterion {
        key: "lazy_drift",
        value: Threshold::Number(LAZY_DRIFT),
        meaning: "final kernel drift below which a run is lazy",
    },
    Criterion {
        key: "convergence_counted_over",
        value: Threshold::Rule("runs with m >= n and drift > large_drift"),
        meaning: "the runs the convergence claim counts; narrower widths are reported beside them",
    },
    Criterion {
        key: "converged_share",
        value: Threshold::Number(CONVERGED_SHARE),
        meaning: "share of the counted runs that must converge for the convergence claim",
    },
    Criterion {
        key: "min_large_drift_runs",
        value: Threshold::Number(MIN_LARGE_DRIFT_RUNS as f64),
        meaning: "fewest counted runs the convergence verdict is drawn from",
    },
    Criterion {
        key: "early_points",
        value: Threshold::Number(EARLY_POINTS as f64),
        meaning: "logged losses (step 0 and the next ones) the early rate is fitted to",
    },
    Criterion {
        key: "early_bound",
        value: Threshold::Rule("ln(observed) / ln(predicted) >= 1"),
        meaning: "a run's early loss falls at least as fast as K_η predicts",
    },
    Criterion {
        key: "bound_share",
        value: Threshold::Number(BOUND_SHARE),
        meaning: "share of the runs whose early loss must fall at least as fast as predicted",
    },
    Criterion {
        key: "linear_phase_low",
        value: Threshold::Number(LINEAR_PHASE.0),
        meaning: "the linear phase: logged losses above this fraction of L_0",
    },
    Criterion {
        key: "linear_phase_high",
        value: Threshold::Number(LINEAR_PHASE.1),
        meaning: "the linear phase: logged losses below this fraction of L_0",
    },
    Criterion {
        key: "min_fit_points",
        value: Threshold::Number(MIN_FIT_POINTS as f64),
        meaning: "fewest logged losses a rate is fitted to",
    },
    Criterion {
        key: "rate_tolerance",
        value: Threshold::Number(RATE_TOLERANCE),
        meaning: "largest median |ln(observed)/ln(predicted) - 1| over the lazy runs' linear \
                  phase for K_η to predict their rate",
    },
    Criterion {
        key: "min_rate_runs",
        value: Threshold::Number(MIN_RATE_RUNS as f64),
        meaning: "fewest runs each rate verdict is drawn from",
    },
];

/// Analyses the `grid` part.
pub fn analyse(parts: &Parts) -> anyhow::Result<Findings> {
    let dir = parts.part(PART)?;
    let runs = read_runs(dir)?;
    ensure!(
        !runs.is_empty(),
        "{}: results.csv lists no runs",
        dir.join("results.csv").display()
    );
    write_runs_csv(&runs, &dir.join("two_rates.csv"))?;
    save_heat_maps(&runs, &dir.join("plots"))?;
    let verdicts = vec![
        verdicts::convergence_outside_ntk(&runs),
        verdicts::early_rate_bound(&runs),
        verdicts::lazy_rate_prediction(&runs),
    ];
    let mut phase = Section {
        title: "Phase diagram: width × rate ratio".into(),
        paragraphs: vec![format!(
            "Each cell pools the seeds of one width m and one ratio η_w/η_a of the first \
             layer's rate to the output layer's. A run converged when L_T ≤ {} · L_0. Kernel \
             drift is ‖K_T − K_0‖_F/‖K_0‖_F of the (unweighted) NTK at the last step; drift > \
             {LARGE_DRIFT} counts as outside the NTK regime, drift < {LAZY_DRIFT} as lazy. \
             Movement is ‖θ_T − θ_0‖_F/‖θ_0‖_F per layer. Cells show medians over seeds; every run \
             is in grid/two_rates.csv.",
            number(CONVERGED)
        )],
        tables: vec![cell_table(&runs)],
        figures: Vec::new(),
    };
    phase.paragraphs.extend(failed_runs(&runs));
    let phase_caption = format!(
        "Median final loss L_T/L_0 per cell (log₁₀ colour; text: runs converged); the outlined \
         region has median kernel drift > {LARGE_DRIFT}"
    );
    phase.figures.extend(
        [
            ("phase_diagram", phase_caption.as_str()),
            ("kernel_drift", "Median kernel drift per cell (log₁₀ colour, value in the cell); a dot marks a cell where some run did not converge"),
            ("movement_vs_width", "Relative movement of each layer at the end against the width, one colour per pair of rates"),
        ]
        .into_iter()
        .flat_map(|(stem, caption)| numbered_figures(parts, stem, caption)),
    );
    let rates = Section {
        title: "Rates: observed against the learning-rate-weighted kernel".into(),
        paragraphs: vec![format!(
            "K_η = η_w J_w J_wᵀ + η_a J_a J_aᵀ at initialisation drives gradient descent to first \
             order (f ← f − (1/n) K_η (f − y)), so in the kernel regime the loss falls at least \
             by the factor (1 − λ_min(K_η)/n)² per step, and at exactly that factor once the \
             faster eigen-directions of the residual have decayed. The ratio ln(observed)/\
             ln(predicted) is 1 at the predicted rate and above 1 when faster. Early: the \
             least-squares slope of ln L over step 0 and the next {} logged steps. Linear phase: \
             over the logged losses between {} and {} of L_0.",
            EARLY_POINTS - 1,
            number(LINEAR_PHASE.0),
            number(LINEAR_PHASE.1)
        )],
        tables: vec![regime_table(&runs)],
        figures: numbered_figures(parts, "loss_curves", "Training loss over the steps"),
    };
    Ok(Findings {
        verdicts,
        sections: vec![phase, rates],
    })
}

/// Figure `stem` of the plot module, or its parts `stem_1`, `stem_2`, … when it was split.
fn numbered_figures(parts: &Parts, stem: &str, caption: &str) -> Vec<Figure> {
    if let Some(figure) = parts.figure(PART, stem, caption) {
        return vec![figure];
    }
    (1..)
        .map_while(|i| parts.figure(PART, &format!("{stem}_{i}"), &format!("{caption} ({i})")))
        .collect()
}

/// A sentence on the runs that failed (diverged or crashed), if any.
fn failed_runs(runs: &[Measured]) -> Option<String> {
    let failed: Vec<String> = runs
        .iter()
        .filter(|r| r.status != "ok")
        .map(|r| {
            format!(
                "{} (m = {}, η_w/η_a = {})",
                r.id,
                count(r.width),
                ratio_label(r.ratio())
            )
        })
        .collect();
    (!failed.is_empty()).then(|| {
        format!(
            "{} runs did not finish with status ok and count as not converged: {}.",
            failed.len(),
            failed.join(", ")
        )
    })
}

/// Runs, convergence, movements and rate ratios per regime of drift.
fn regime_table(runs: &[Measured]) -> TextTable {
    let regimes: [(String, &dyn Fn(f64) -> bool); 3] = [
        (format!("lazy (drift < {LAZY_DRIFT})"), &|d| d < LAZY_DRIFT),
        (
            format!("between ({LAZY_DRIFT} ≤ drift ≤ {LARGE_DRIFT})"),
            &|d| (LAZY_DRIFT..=LARGE_DRIFT).contains(&d),
        ),
        (format!("outside NTK (drift > {LARGE_DRIFT})"), &|d| {
            d > LARGE_DRIFT
        }),
    ];
    let show = |v: Option<f64>| v.map_or("–".to_string(), number);
    let rows = regimes
        .iter()
        .map(|(name, keep)| {
            let members: Vec<&Measured> =
                runs.iter().filter(|r| r.drift.is_some_and(keep)).collect();
            let of = |value: &dyn Fn(&Measured) -> Option<f64>| {
                show(median(members.iter().filter_map(|r| value(r))))
            };
            let converged = members.iter().filter(|r| r.converged(CONVERGED)).count();
            vec![
                name.clone(),
                members.len().to_string(),
                converged.to_string(),
                of(&|r| r.move_w),
                of(&|r| r.move_a),
                of(&|r| r.lambda_change),
                of(&|r| r.rate_ratio(r.early)),
                of(&|r| r.rate_ratio(r.linear)),
            ]
        })
        .collect();
    let columns = [
        "regime",
        "runs",
        "converged",
        "median move W",
        "median move a",
        "median λ_min(K_T)/λ_min(K_0)",
        "median early rate / K_η rate",
        "median linear-phase rate / K_η rate",
    ];
    TextTable {
        columns: columns.map(String::from).to_vec(),
        rows,
    }
}
