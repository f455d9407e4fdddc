//! The critical width m* against the number of samples n on log-log axes, from the analysis
//! step's `critical_width.json`: the measured points, the fitted power law m* = e^c·n^α, and
//! reference lines ∝ n and ∝ n² through the first point.

use std::fs;

use anyhow::Context;
use plotters::style::RGBColor;
use serde::Deserialize;

use super::axis::Axis;
use super::data::Sweep;
use super::figure::{Figure, LegendEntry, Mark, Panel, Stroke};
use super::style::{fmt_number, INK, SOLO};
use super::Built;

/// Colours of the reference lines ∝ n and ∝ n² (Okabe–Ito vermillion and bluish green).
const LINEAR: RGBColor = RGBColor(213, 94, 0);
/// See [`LINEAR`].
const QUADRATIC: RGBColor = RGBColor(0, 158, 115);

/// `critical_width.json` as the analysis writes it.
#[derive(Debug, Deserialize)]
struct Analysis {
    /// Fitted exponent α (null with fewer than two bracketed points).
    #[serde(default)]
    alpha: Option<f64>,
    /// Lower end of α's interval.
    #[serde(default)]
    alpha_low: Option<f64>,
    /// Upper end of α's interval.
    #[serde(default)]
    alpha_high: Option<f64>,
    /// c in ln m* = c + α ln n.
    #[serde(default)]
    intercept: Option<f64>,
    /// One entry per n.
    points: Vec<Point>,
}

/// The critical width found for one n.
#[derive(Debug, Deserialize)]
struct Point {
    /// Number of samples.
    n: f64,
    /// The critical width, when bracketed by the width grid.
    #[serde(default)]
    critical_width: Option<f64>,
    /// `bracketed`, `below_grid` or `above_grid`.
    status: String,
}

/// The critical-width figure, when `critical_width.json` has a bracketed point.
pub fn figures(sweep: &Sweep) -> anyhow::Result<Built> {
    let path = sweep.dir.join("critical_width.json");
    if !path.is_file() {
        return Ok(Err(
            "no critical_width.json (written by the critical-width analysis)".into(),
        ));
    }
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let analysis: Analysis =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mut points: Vec<(f64, f64)> = analysis
        .points
        .iter()
        .filter(|p| p.status == "bracketed" && p.n > 0.0)
        .filter_map(|p| Some((p.n, p.critical_width.filter(|m| *m > 0.0)?)))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(&(n0, m0)) = points.first() else {
        return Ok(Err(
            "critical_width.json has no bracketed point (every m* lies outside the width grid)"
                .into(),
        ));
    };
    let n_last = points[points.len() - 1].0;
    let ns: Vec<f64> = points.iter().map(|p| p.0).collect();
    let x = Axis::log("number of training samples n");
    let x = if ns.len() <= 8 { x.with_ticks(ns) } else { x };
    let mut panel = Panel::new(x, Axis::log("critical width m* (hidden units)"));

    for (power, colour, label) in [
        (1, LINEAR, "∝ n (reference)"),
        (2, QUADRATIC, "∝ n² (reference)"),
    ] {
        let line = [n0, n_last]
            .map(|n| (n, m0 * (n / n0).powi(power)))
            .to_vec();
        panel.marks.push(Mark::new(line, Stroke::dashed(colour, 2)));
        panel
            .legend
            .push(LegendEntry::new(label, Stroke::dashed(colour, 2)));
    }
    if let (Some(alpha), Some(c)) = (analysis.alpha, analysis.intercept) {
        let line = [n0, n_last]
            .map(|n| (n, (c + alpha * n.ln()).exp()))
            .to_vec();
        panel.marks.push(Mark::new(line, Stroke::line(SOLO, 2)));
        let interval = match (analysis.alpha_low, analysis.alpha_high) {
            (Some(lo), Some(hi)) => {
                format!(
                    ", interval [{}, {}]",
                    fmt_number(lo, Some(2)),
                    fmt_number(hi, Some(2))
                )
            }
            _ => String::new(),
        };
        let label = format!(
            "fit m* = e^c·n^α: α = {}{interval}",
            fmt_number(alpha, Some(2))
        );
        panel
            .legend
            .push(LegendEntry::new(label, Stroke::line(SOLO, 2)));
    } else {
        panel
            .legend
            .push(LegendEntry::note("no fit (fewer than two bracketed n)"));
    }
    panel.marks.push(Mark::new(points, Stroke::dots(INK, 5)));
    panel
        .legend
        .insert(0, LegendEntry::new("measured m*", Stroke::dots(INK, 5)));
    for p in analysis.points.iter().filter(|p| p.status != "bracketed") {
        let side = if p.status == "below_grid" {
            "below"
        } else {
            "above"
        };
        panel.legend.push(LegendEntry::note(format!(
            "n = {}: m* {side} the width grid",
            fmt_number(p.n, None)
        )));
    }
    let title = "Critical width m* vs number of samples n (log-log)".to_string();
    Ok(Ok(vec![(
        "critical_width".into(),
        Figure {
            title,
            panels: vec![panel],
            legend: Vec::new(),
        },
    )]))
}
