//! How far the weights moved by the end of training, against the width, on log-log axes:
//! the lazy (NTK) regime predicts ‖θ_T − θ_0‖/‖θ_0‖ ∝ m^(−1/2).

use overparam_sweep::columns::{MOVE_A, MOVE_W};

use super::axis::Axis;
use super::data::{Run, Sweep};
use super::figure::Figure;
use super::width_fit::{fitted_panel, Series, WidthGroups};
use super::Built;

/// The layers shown: `results.csv` column, panel title, the norm ratio it measures.
const LAYERS: [(&str, &str, &str); 2] = [
    (MOVE_W, "first layer W", "‖W_T−W_0‖/‖W_0‖"),
    (MOVE_A, "output layer a", "‖a_T−a_0‖/‖a_0‖"),
];

/// The movement-vs-width figure: a panel per layer, one colour (and fitted slope) per
/// combination of the other swept keys, and the reference slope −1/2.
pub fn figures(sweep: &Sweep, runs: &[&Run]) -> anyhow::Result<Built> {
    let groups = match WidthGroups::new(sweep, runs) {
        Ok(groups) => groups,
        Err(why) => return Ok(Err(why)),
    };
    let panels: Vec<_> = LAYERS
        .iter()
        .filter_map(|&(column, layer, ratio)| {
            let y = Axis::log(format!("relative movement {ratio}"));
            let reference = "slope −1/2 (lazy-regime prediction)";
            fitted_panel(&groups, y, layer, &[Series::solid(column)], reference)
        })
        .collect();
    if panels.is_empty() {
        return Ok(Err("no run has move_w or move_a in results.csv".into()));
    }
    let title = "Relative weight movement by the end of training vs width (log-log)".to_string();
    Ok(Ok(vec![(
        "movement_vs_width".into(),
        Figure {
            title,
            panels,
            legend: Vec::new(),
        },
    )]))
}
