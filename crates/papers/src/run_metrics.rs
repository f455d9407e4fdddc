//! Reading one run's `metrics.csv`.

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
