//! The phase diagram: the runs grouped into cells of width m × rate ratio η_w/η_a (seeds
//! pooled), drawn as heat maps and listed as a table, and every run written to a CSV file.

use std::path::Path;

use overparam_analysis::plot::heatmap::{self, ColourScale, HeatMap, Overlay, OverlayStyle};
use overparam_analysis::report::TextTable;
use overparam_sweep::columns::{FINAL_LOSS, MOVE_A, MOVE_W, NTK_DRIFT, RUN_ID, STATUS};
use overparam_sweep::files::write_atomically;
use overparam_sweep::results::Table;

use super::runs::{count, Measured};
use super::{CONVERGED, LARGE_DRIFT};
use crate::number;
use overparam_analysis::stats::median;

/// Ratios within this relative distance are the same column.
const SAME_RATIO: f64 = 1e-3;

/// The runs of one (width, ratio) cell.
pub struct Cell<'a> {
    /// Hidden width m.
    pub width: f64,
    /// η_w/η_a.
    pub ratio: f64,
    /// The runs (one per seed).
    pub runs: Vec<&'a Measured>,
}

impl Cell<'_> {
    /// The median of `value` over the cell's runs.
    fn median(&self, value: impl Fn(&Measured) -> Option<f64>) -> Option<f64> {
        median(self.runs.iter().filter_map(|r| value(r)))
    }

    /// `k/N`: runs converged out of the cell's runs.
    fn converged(&self) -> String {
        let k = self.runs.iter().filter(|r| r.converged(CONVERGED)).count();
        format!("{k}/{}", self.runs.len())
    }
}

/// The widths (ascending), ratios (ascending) and cells of `runs`, `cells[width][ratio]`.
pub fn cells(runs: &[Measured]) -> (Vec<f64>, Vec<f64>, Vec<Vec<Cell<'_>>>) {
    let widths = distinct(runs.iter().map(|r| r.width));
    let ratios = distinct(runs.iter().map(Measured::ratio));
    let grid = widths
        .iter()
        .map(|&width| {
            ratios
                .iter()
                .map(|&ratio| Cell {
                    width,
                    ratio,
                    runs: runs
                        .iter()
                        .filter(|r| same(r.width, width) && same(r.ratio(), ratio))
                        .collect(),
                })
                .collect()
        })
        .collect();
    (widths, ratios, grid)
}

/// Whether `a` and `b` are the same grid value.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= SAME_RATIO * a.abs().max(b.abs())
}

/// The distinct values of `values`, ascending.
fn distinct(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut values: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    values.sort_by(f64::total_cmp);
    values.dedup_by(|a, b| same(*a, *b));
    values
}

/// A ratio as a person reads it: `4`, `1/16`, else 3 significant digits.
pub fn ratio_label(ratio: f64) -> String {
    let whole = |v: f64| (v - v.round()).abs() < 1e-3 * v && v.round() >= 1.0;
    if ratio >= 1.0 && whole(ratio) {
        format!("{}", ratio.round())
    } else if ratio > 0.0 && ratio < 1.0 && whole(1.0 / ratio) {
        format!("1/{}", (1.0 / ratio).round())
    } else {
        number(ratio)
    }
}

/// The two heat maps: the final loss (contour: drift > 0.3) and the kernel drift (dots: a
/// run in the cell did not converge); rows are widths, widest on top.
pub fn save_heat_maps(runs: &[Measured], plots: &Path) -> anyhow::Result<()> {
    let (widths, ratios, grid) = cells(runs);
    let rows: Vec<&Vec<Cell>> = grid.iter().rev().collect();
    let matrix = |value: &dyn Fn(&Cell) -> Option<f64>| -> Vec<Vec<Option<f64>>> {
        rows.iter()
            .map(|row| row.iter().map(value).collect())
            .collect()
    };
    let loss = matrix(&|c| c.median(|r| r.relative_loss().filter(|l| *l > 0.0).map(f64::log10)));
    let drift = matrix(&|c| c.median(|r| r.drift));
    let log_drift = matrix(&|c| c.median(|r| r.drift.filter(|d| *d > 0.0).map(f64::log10)));
    let unconverged = matrix(&|c| {
        let failed = c.runs.iter().filter(|r| !r.converged(CONVERGED)).count();
        (!c.runs.is_empty()).then_some(failed as f64)
    });
    let row_labels = widths.iter().rev().map(|w| count(*w)).collect();
    let column_labels = ratios.iter().map(|r| ratio_label(*r)).collect();
    let phase = HeatMap {
        title: "Two-rate phase diagram: final loss (runs converged per cell)".into(),
        x_label: "rate ratio η_w/η_a (first layer / output layer)".into(),
        y_label: "width m".into(),
        column_labels,
        row_labels,
        scale: ColourScale::spanning("log₁₀ L_T/L_0 (median over seeds)", &loss),
        values: loss,
        annotations: rows
            .iter()
            .map(|row| row.iter().map(Cell::converged).collect())
            .collect(),
        overlay: Some(Overlay {
            values: drift.clone(),
            threshold: LARGE_DRIFT,
            label: format!(
                "kernel drift ‖K_T−K_0‖/‖K_0‖ > {LARGE_DRIFT} (median): outside the NTK regime"
            ),
            style: OverlayStyle::Contour,
        }),
    };
    heatmap::save(&phase, plots, "phase_diagram")?;
    let drift_map = HeatMap {
        title: "Kernel drift ‖K_T−K_0‖/‖K_0‖ (median over seeds)".into(),
        scale: ColourScale::spanning("log₁₀ kernel drift", &log_drift),
        values: log_drift,
        annotations: drift
            .iter()
            .map(|row| {
                row.iter()
                    .map(|d| d.map_or(String::new(), number))
                    .collect()
            })
            .collect(),
        overlay: Some(Overlay {
            values: unconverged,
            threshold: 0.0,
            label: format!(
                "some run did not converge (L_T > {} L_0)",
                number(CONVERGED)
            ),
            style: OverlayStyle::Markers,
        }),
        ..phase
    };
    heatmap::save(&drift_map, plots, "kernel_drift").map(|_| ())
}

/// One row per cell: convergence, final loss, drift, layer movements and rate ratios.
pub fn cell_table(runs: &[Measured]) -> TextTable {
    let (_, _, grid) = cells(runs);
    let columns = [
        "width m",
        "η_w/η_a",
        "converged",
        "L_T/L_0",
        "kernel drift",
        "move W",
        "move a",
        "early rate / K_η rate",
        "linear-phase rate / K_η rate",
    ];
    let show = |v: Option<f64>| v.map_or("–".to_string(), number);
    let rows = grid
        .iter()
        .flatten()
        .filter(|c| !c.runs.is_empty())
        .map(|c| {
            vec![
                count(c.width),
                ratio_label(c.ratio),
                c.converged(),
                show(c.median(Measured::relative_loss)),
                show(c.median(|r| r.drift)),
                show(c.median(|r| r.move_w)),
                show(c.median(|r| r.move_a)),
                show(c.median(|r| r.rate_ratio(r.early))),
                show(c.median(|r| r.rate_ratio(r.linear))),
            ]
        })
        .collect();
    TextTable {
        columns: columns.map(String::from).to_vec(),
        rows,
    }
}

/// Writes every run's measurements to `path` (CSV, one row per run).
pub fn write_runs_csv(runs: &[Measured], path: &Path) -> anyhow::Result<()> {
    let columns = [
        RUN_ID,
        "width",
        "lr_w",
        "lr_a",
        "ratio",
        STATUS,
        "initial_loss",
        FINAL_LOSS,
        "converged",
        NTK_DRIFT,
        "lambda_min_change",
        MOVE_W,
        MOVE_A,
        "predicted_per_step",
        "early_per_step",
        "linear_phase_per_step",
        "early_ratio",
        "linear_phase_ratio",
    ];
    let mut table = Table::new(columns.map(String::from).to_vec());
    let text = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for r in runs {
        table.rows.push(vec![
            r.id.clone(),
            r.width.to_string(),
            r.lr_w.to_string(),
            r.lr_a.to_string(),
            r.ratio().to_string(),
            r.status.clone(),
            text(r.initial_loss),
            text(r.final_loss),
            r.converged(CONVERGED).to_string(),
            text(r.drift),
            text(r.lambda_change),
            text(r.move_w),
            text(r.move_a),
            text(r.predicted),
            text(r.early),
            text(r.linear),
            text(r.rate_ratio(r.early)),
            text(r.rate_ratio(r.linear)),
        ]);
    }
    write_atomically(path, &table.to_csv()?)
}
