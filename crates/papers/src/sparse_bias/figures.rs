//! Figures of the sparse-bias reproduction (biases start at −B), which computes their values:
//!
//! - `bias_kernel`: the smallest NTK eigenvalue against B, the empirical kernel of each run at
//!   initialisation beside the infinite-width kernel K∞ with the same constant bias, raw and
//!   per unit of the activation probability 1 − Φ(B);
//! - `active_ratio`: the active fraction over training divided by its prediction 1 − Φ(B),
//!   every B on one scale, with the band the verdict allows.

use std::path::{Path, PathBuf};

use overparam_analysis::plot::axis::Axis;
use overparam_analysis::plot::figure::{Figure, LegendEntry, Mark, Panel, Stroke};
use overparam_analysis::plot::render;
use overparam_analysis::plot::series::thin;
use overparam_analysis::plot::style::{fmt_number, ordered_colour, REFERENCE};

/// The file stem of the λ_min figure.
pub(crate) const STEM: &str = "bias_kernel";
/// The file stem of the active-ratio figure.
pub(crate) const ACTIVE_STEM: &str = "active_ratio";

/// The values at one bias.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct KernelLevel {
    /// B.
    pub bias: f64,
    /// 1 − Φ(B).
    pub active_probability: f64,
    /// λ_min of each run's empirical NTK at initialisation.
    pub empirical: Vec<f64>,
    /// λ_min(K∞) on each run's inputs.
    pub limit: Vec<f64>,
    /// The medians over the runs: (empirical, K∞).
    pub medians: (Option<f64>, Option<f64>),
}

/// Writes `dir/bias_kernel.svg` and `.png` (creating `dir`); returns the paths, none when no
/// level has a positive value.
pub(crate) fn save(levels: &[KernelLevel], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let any = levels
        .iter()
        .any(|l| l.empirical.iter().chain(&l.limit).any(|&v| v > 0.0));
    if !any {
        return Ok(Vec::new());
    }
    let (empirical, limit) = (ordered_colour(0, 2), ordered_colour(1, 2));
    let panels = vec![
        panel(levels, "λ_min of the NTK", 1.0, (empirical, limit)),
        panel(levels, "λ_min / (1 − Φ(B))", 0.0, (empirical, limit)),
    ];
    let figure = Figure {
        title: "Smallest NTK eigenvalue against the bias B (biases start at −B)".into(),
        panels,
        legend: vec![
            LegendEntry::new("empirical NTK at init", Stroke::line(empirical, 2)),
            LegendEntry::new("K∞ with the same bias", Stroke::dashed(limit, 2)),
            LegendEntry::note("dots: seeds, lines: medians"),
        ],
    };
    std::fs::create_dir_all(dir)?;
    render::save(&figure, dir, STEM)
}

/// One panel: λ_min, divided by (1 − Φ(B))^(1 − `raw`) (so `raw` = 1 plots λ_min itself).
fn panel(
    levels: &[KernelLevel],
    label: &str,
    raw: f64,
    (empirical, limit): (plotters::style::RGBColor, plotters::style::RGBColor),
) -> Panel {
    let scale = |level: &KernelLevel, v: f64| v / level.active_probability.powf(1.0 - raw);
    let dots = |values: fn(&KernelLevel) -> &Vec<f64>| -> Vec<(f64, f64)> {
        levels
            .iter()
            .flat_map(|l| values(l).iter().map(move |&v| (l.bias, scale(l, v))))
            .filter(|p| p.1 > 0.0)
            .collect()
    };
    let line = |median: fn(&KernelLevel) -> Option<f64>| -> Vec<(f64, f64)> {
        levels
            .iter()
            .filter_map(|l| median(l).map(|v| (l.bias, scale(l, v))))
            .filter(|p| p.1 > 0.0)
            .collect()
    };
    let biases: Vec<f64> = levels.iter().map(|l| l.bias).collect();
    let mut panel = Panel::new(
        Axis::linear("bias B").with_ticks(biases),
        Axis::log(label.to_string()),
    );
    panel.marks = vec![
        Mark::new(
            dots(|l| &l.empirical),
            Stroke::dots(empirical, 4).faint(0.5),
        ),
        Mark::new(line(|l| l.medians.0), Stroke::line(empirical, 2)),
        Mark::new(dots(|l| &l.limit), Stroke::dots(limit, 3).faint(0.5)),
        Mark::new(line(|l| l.medians.1), Stroke::dashed(limit, 2)),
    ];
    panel
}

/// One run's active fraction over training: (step, a_t/(1 − Φ(B))) at bias B.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ActiveRatio {
    /// B.
    pub bias: f64,
    /// (step, measured over predicted active fraction).
    pub ratio: Vec<(f64, f64)>,
}

/// Writes `dir/active_ratio.svg` and `.png`: every run's a_t/(1 − Φ(B)), one colour per B, with
/// the prediction 1 and the band 1 ± `tolerance` dashed; returns the paths, none without data.
pub(crate) fn save_active_ratio(
    runs: &[ActiveRatio],
    tolerance: f64,
    dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut biases: Vec<f64> = runs.iter().map(|r| r.bias).collect();
    biases.sort_by(f64::total_cmp);
    biases.dedup();
    let last = runs
        .iter()
        .filter_map(|r| r.ratio.last().map(|p| p.0))
        .fold(0.0, f64::max);
    if biases.is_empty() || last <= 0.0 {
        return Ok(Vec::new());
    }
    let mut panel = Panel::new(
        Axis::linear("gradient steps"),
        Axis::linear("active fraction / (1 − Φ(B))")
            .including(1.0 - tolerance)
            .including(1.0 + tolerance),
    );
    let level = |v: f64| vec![(0.0, v), (last, v)];
    panel.marks = vec![
        Mark::new(level(1.0), Stroke::dashed(REFERENCE, 2)),
        Mark::new(
            level(1.0 - tolerance),
            Stroke::dashed(REFERENCE, 1).faint(0.6),
        ),
        Mark::new(
            level(1.0 + tolerance),
            Stroke::dashed(REFERENCE, 1).faint(0.6),
        ),
    ];
    let colour = |bias: f64| {
        let i = biases.iter().position(|&b| b == bias).unwrap_or(0);
        ordered_colour(i, biases.len())
    };
    for run in runs {
        let stroke = Stroke::line(colour(run.bias), 2).faint(0.8);
        panel
            .marks
            .push(Mark::new(thin(run.ratio.clone(), 400), stroke));
    }
    let mut legend: Vec<LegendEntry> = biases
        .iter()
        .map(|&b| {
            LegendEntry::new(
                format!("B = {}", fmt_number(b, None)),
                Stroke::line(colour(b), 2),
            )
        })
        .collect();
    legend.push(LegendEntry::new(
        "prediction 1 − Φ(B)",
        Stroke::dashed(REFERENCE, 2),
    ));
    legend.push(LegendEntry::new(
        format!("±{}%", fmt_number(100.0 * tolerance, None)),
        Stroke::dashed(REFERENCE, 1).faint(0.6),
    ));
    let figure = Figure {
        title: "Active fraction over its prediction 1 − Φ(B) during training (one line per run)"
            .into(),
        panels: vec![panel],
        legend,
    };
    std::fs::create_dir_all(dir)?;
    render::save(&figure, dir, ACTIVE_STEM)
}
