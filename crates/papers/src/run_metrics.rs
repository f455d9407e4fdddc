//! Reading one run's `metrics.csv`, and whether its loss was still falling when it ended.

use std::path::Path;

use overparam_sweep::results::Table;

/// The minimum over training of column `column` in `run_dir/metrics.csv` (empty fields
/// skipped); `None` when the column has no value.
pub fn metric_minimum(run_dir: &Path, column: &str) -> anyhow::Result<Option<f64>> {
    let table = Table::read(&run_dir.join("metrics.csv"))?;
    let index = table.column(column)?;
    let mut minimum: Option<f64> = None;
    for row in 0..table.rows.len() {
        if let Some(value) = table.number(row, index)? {
            minimum = Some(minimum.map_or(value, |m| m.min(value)));
        }
    }
    Ok(minimum)
}

/// L_end / L at 80% of the logged steps at or above which a run that missed its target counts
/// as stalled rather than still descending (unfinished).
pub const STALL_RATIO: f64 = 0.9;

/// L at the end over L at 80% of the logged steps ((step, loss) in step order): below 1 while
/// the loss is still falling; `None` for an empty curve or a zero loss at 80%.
pub fn late_loss_ratio(curve: &[(f64, f64)]) -> Option<f64> {
    let (_, last) = curve.last()?;
    let (_, earlier) = curve.get(curve.len() * 4 / 5)?;
    (*earlier > 0.0).then(|| last / earlier)
}
