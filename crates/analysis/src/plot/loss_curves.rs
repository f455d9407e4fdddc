//! Training loss over the gradient steps, on a log scale, by the swept keys.

use super::axis::Axis;
use super::curves::{curve_figures, main_key, Colouring, Curves};
use super::data::{Run, Sweep};
use super::Built;

/// The loss-curve figures: one colour per value of the main swept key (the width when swept).
pub fn figures(sweep: &Sweep, runs: &[&Run]) -> anyhow::Result<Built> {
    let spec = Curves {
        name: "loss_curves",
        what: "Training loss",
        column: "loss",
        y: Axis::log("loss ½·mean (f−y)²"),
        panels: None,
        colour: main_key(sweep, runs).map(Colouring::by),
        guide: None,
    };
    let figures = curve_figures(sweep, runs, &spec)?;
    if figures.is_empty() {
        return Ok(Err("no metrics.csv with positive loss values".into()));
    }
    Ok(Ok(figures))
}
