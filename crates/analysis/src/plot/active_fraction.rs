//! The fraction of active ReLU units over training, for negative bias initialisations
//! b₀ = −B < 0, against the prediction 1 − Φ(B) at initialisation.

use super::axis::Axis;
use super::curves::{curve_figures, Colouring, Curves, Guide};
use super::data::{Run, Sweep};
use super::style::fmt_number;
use super::Built;
use crate::stats::normal_cdf;

/// The config key of the bias initialisation.
const BIAS_INIT: &str = "model.bias_init";

/// B = −b₀ for a `model.bias_init` value b₀.
fn threshold(bias_init: &str) -> Option<f64> {
    bias_init.trim().parse::<f64>().ok().map(|b| -b)
}

/// The active-fraction figures: one colour per B, with the prediction 1 − Φ(B) dashed.
pub fn figures(sweep: &Sweep, runs: &[&Run]) -> anyhow::Result<Built> {
    let negative: Vec<&Run> = runs
        .iter()
        .copied()
        .filter(|r| r.number(BIAS_INIT).is_some_and(|b| b < 0.0))
        .collect();
    if negative.is_empty() {
        return Ok(Err(
            "no run has a negative model.bias_init (B = −b₀ > 0), where 1 − Φ(B) is predicted"
                .into(),
        ));
    }
    let label =
        |v: &str| threshold(v).map_or(v.to_string(), |b| format!("B = {}", fmt_number(b, None)));
    let level = |v: &str| threshold(v).map(|b| 1.0 - normal_cdf(b));
    let spec = Curves {
        name: "active_fraction",
        what: "Fraction of active units during training",
        column: "active_fraction",
        y: Axis::linear("active fraction: share of w·x + b > 0").including(0.0),
        // Fewer panels: by width only, the other keys' runs drawn together.
        panels: Some(&["model.width"]),
        colour: Some(Colouring {
            key: BIAS_INIT.into(),
            name: "bias B = −b₀".into(),
            label: Some(&label),
            decreasing: true,
        }),
        guide: Some(Guide {
            label: "prediction 1 − Φ(B)",
            level: &level,
        }),
        companion: None,
    };
    let figures = curve_figures(sweep, &negative, &spec)?;
    if figures.is_empty() {
        return Ok(Err(
            "no run with a negative bias_init has active_fraction values in metrics.csv".into(),
        ));
    }
    Ok(Ok(figures))
}
