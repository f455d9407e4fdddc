//! The smallest eigenvalue of the NTK Gram matrix over training, where it was measured.

use super::axis::Axis;
use super::curves::{curve_figures, main_key, Colouring, Curves};
use super::data::{Run, Sweep};
use super::Built;

/// The λ_min figures, from the runs whose metrics have `lambda_min` values.
pub fn figures(sweep: &Sweep, runs: &[&Run]) -> anyhow::Result<Built> {
    let spec = Curves {
        name: "lambda_min",
        what: "Smallest NTK eigenvalue λ_min during training",
        column: "lambda_min",
        y: Axis::log("λ_min of the NTK Gram matrix"),
        panels: None,
        colour: main_key(sweep, runs).map(Colouring::by),
        guide: None,
        companion: None,
    };
    let figures = curve_figures(sweep, runs, &spec)?;
    if figures.is_empty() {
        let why = "no metrics.csv has positive lambda_min values (the NTK is measured every ntk_every steps when enabled)";
        return Ok(Err(why.into()));
    }
    Ok(Ok(figures))
}
