//! Training loss over the gradient steps, on a log scale, by the swept keys; the held-out loss
//! dashed beside it where the runs measured one.

use overparam_sweep::columns::{LOSS, TEST_LOSS};

use super::axis::Axis;
use super::curves::{curve_figures, main_key, Colouring, Companion, Curves};
use super::data::{Run, Sweep};
use super::Built;

/// The loss-curve figures: one colour per value of the main swept key (the width when swept),
/// the training loss solid and, where `metrics.csv` has `test_loss` values, the held-out loss
/// dashed.
pub fn figures(sweep: &Sweep, runs: &[&Run]) -> anyhow::Result<Built> {
    let spec = Curves {
        name: "loss_curves",
        what: "Training loss",
        column: LOSS,
        y: Axis::log("loss ½·mean (f−y)²"),
        panels: None,
        colour: main_key(sweep, runs).map(Colouring::by),
        guide: None,
        companion: Some(Companion {
            column: TEST_LOSS,
            what: "Training and held-out loss",
            note: "solid: training loss, dashed: held-out loss",
        }),
    };
    let figures = curve_figures(sweep, runs, &spec)?;
    if figures.is_empty() {
        return Ok(Err("no metrics.csv with positive loss values".into()));
    }
    Ok(Ok(figures))
}
