//! How far the weights moved by the end of training, against the width, on log-log axes:
//! the lazy (NTK) regime predicts ‖θ_T − θ_0‖/‖θ_0‖ ∝ m^(−1/2).

use super::axis::Axis;
use super::data::{group_by, Run, Sweep};
use super::figure::{Figure, LegendEntry, Mark, Panel, Stroke};
use super::style::{fmt_number, key_value, ordered_colour, REFERENCE};
use super::Built;
use crate::stats::loglog_fit;

/// The width key.
const WIDTH: &str = "model.width";
/// The slope the lazy regime predicts.
const LAZY_SLOPE: f64 = -0.5;

/// The layers shown: `results.csv` column, panel title, the norm ratio it measures.
const LAYERS: [(&str, &str, &str); 2] = [
    ("move_w", "first layer W", "‖W_T−W_0‖/‖W_0‖"),
    ("move_a", "output layer a", "‖a_T−a_0‖/‖a_0‖"),
];

/// The movement-vs-width figure: a panel per layer, one colour (and fitted slope) per
/// combination of the other swept keys, and the reference slope −1/2.
pub fn figures(sweep: &Sweep, runs: &[&Run]) -> anyhow::Result<Built> {
    if sweep.single {
        return Ok(Err("a single run has no widths to compare".into()));
    }
    let varying = sweep.varying(runs);
    if !varying.iter().any(|k| k == WIDTH) {
        return Ok(Err(
            "model.width is not swept (or takes one value): no width dependence to fit".into(),
        ));
    }
    let group_keys: Vec<String> = varying
        .iter()
        .filter(|k| *k != WIDTH && *k != "seed")
        .cloned()
        .collect();
    let groups = group_by(runs, &group_keys);
    let mut widths: Vec<f64> = runs.iter().filter_map(|r| r.number(WIDTH)).collect();
    widths.sort_by(f64::total_cmp);
    widths.dedup();

    let mut panels = Vec::new();
    for (column, layer, ratio) in LAYERS {
        let x = Axis::log("width m (hidden units)");
        let x = if widths.len() <= 8 {
            x.with_ticks(widths.clone())
        } else {
            x
        };
        let mut panel = Panel::new(x, Axis::log(format!("relative movement {ratio}")));
        panel.title = Some(layer.to_string());
        let mut all = Vec::new();
        for (i, (values, members)) in groups.iter().enumerate() {
            let points: Vec<(f64, f64)> = members
                .iter()
                .filter_map(|r| Some((r.number(WIDTH)?, r.number(column)?)))
                .filter(|&(m, v)| m > 0.0 && v > 0.0)
                .collect();
            if points.is_empty() {
                continue;
            }
            let colour = ordered_colour(i, groups.len());
            let name: Vec<String> = group_keys
                .iter()
                .zip(values)
                .map(|(k, v)| key_value(k, v))
                .collect();
            let name = if name.is_empty() {
                "runs".to_string()
            } else {
                name.join(", ")
            };
            let label = match loglog_fit(&points) {
                Some(fit) => {
                    let line = span(&points).map(|m| (m, fit.at(m))).to_vec();
                    panel.marks.push(Mark::new(line, Stroke::line(colour, 2)));
                    format!("{name}: slope {}", fmt_number(fit.slope, Some(2)))
                }
                None => format!("{name} (one width, no fit)"),
            };
            panel
                .marks
                .push(Mark::new(points.clone(), Stroke::dots(colour, 4)));
            panel
                .legend
                .push(LegendEntry::new(label, Stroke::line(colour, 2)));
            all.extend(points);
        }
        if all.is_empty() {
            continue;
        }
        panel
            .marks
            .insert(0, Mark::new(reference(&all), Stroke::dashed(REFERENCE, 2)));
        panel.legend.push(LegendEntry::new(
            "slope −1/2 (lazy-regime prediction)",
            Stroke::dashed(REFERENCE, 2),
        ));
        panels.push(panel);
    }
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

/// The smallest and largest x of `points`.
fn span(points: &[(f64, f64)]) -> [f64; 2] {
    points
        .iter()
        .fold([f64::INFINITY, f64::NEG_INFINITY], |[lo, hi], p| {
            [lo.min(p.0), hi.max(p.0)]
        })
}

/// The line of slope −1/2 through the centre of `points` in log-log coordinates, over their
/// x range.
fn reference(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let count = points.len() as f64;
    let ln_x = points.iter().map(|p| p.0.ln()).sum::<f64>() / count;
    let ln_y = points.iter().map(|p| p.1.ln()).sum::<f64>() / count;
    span(points)
        .map(|m| (m, (ln_y + LAZY_SLOPE * (m.ln() - ln_x)).exp()))
        .to_vec()
}
