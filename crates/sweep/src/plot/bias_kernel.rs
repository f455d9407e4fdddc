//! The smallest NTK eigenvalue against the bias B (biases at −B): the empirical kernel of each
//! run at initialisation beside the infinite-width kernel K∞ with the same constant bias, raw
//! and per unit of the activation probability 1 − Φ(B). Drawn by the sparse-bias reproduction,
//! which computes the values.

use std::path::{Path, PathBuf};

use super::axis::Axis;
use super::figure::{Figure, LegendEntry, Mark, Panel, Stroke};
use super::render;
use super::style::ordered_colour;

/// The file stem of the figure.
pub(crate) const STEM: &str = "bias_kernel";

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
            LegendEntry::new(
                "empirical NTK at initialization, m ∝ 1/(1 − Φ(B)) (dots: seeds, line: median)",
                Stroke::line(empirical, 2),
            ),
            LegendEntry::new(
                "infinite-width kernel K∞ with the same bias (ntk --method analytic)",
                Stroke::dashed(limit, 2),
            ),
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
