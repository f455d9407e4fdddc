//! `overparam sweep merge DIR`: one row per finished run in `DIR/results.csv`, from each
//! run's summary.json and metrics.csv (column names in `overparam_sweep::columns`).

use std::path::Path;

use anyhow::Context;
use overparam_sweep::columns::{
    ACTIVE_FRACTION, LAMBDA_MAX, LAMBDA_MIN, LIN_DISTANCE, LOSS, LOSS_LIN, MOVE_A, MOVE_B, MOVE_W,
    NTK_DRIFT, RESULT_COLUMNS, RUN_ID, TEST_LIN_DISTANCE, TEST_LOSS, TEST_LOSS_LIN,
};
use overparam_sweep::files::write_atomically;
use overparam_sweep::manifest::Manifest;
use overparam_sweep::results::Table;
use serde_json::Value;

use super::plan::run_dir;

/// The merged table's file name in a sweep directory.
pub const RESULTS_FILE: &str = "results.csv";

/// Merges the finished runs of the sweep in `dir` into `dir/results.csv` and says how many
/// are still pending.
pub fn merge_results(dir: &Path) -> anyhow::Result<Table> {
    if !dir.join("manifest.csv").exists() {
        anyhow::bail!(
            "{} has no manifest.csv: plan or run the sweep first (overparam sweep run SPEC --out {})",
            dir.display(),
            dir.display()
        );
    }
    let manifest = Manifest::read(dir)?;
    let mut columns = vec![RUN_ID.to_string()];
    columns.extend(manifest.keys.iter().cloned());
    columns.extend(RESULT_COLUMNS.iter().map(|c| c.to_string()));
    let mut table = Table::new(columns);
    let mut pending = 0;
    for entry in &manifest.entries {
        let run = run_dir(dir, &entry.run_id);
        let Some(summary) = read_summary(&run)? else {
            pending += 1;
            continue;
        };
        let mut row = vec![entry.run_id.clone()];
        row.extend(entry.values.iter().cloned());
        row.extend(result_fields(&run, &summary)?);
        table.rows.push(row);
    }
    let path = dir.join(RESULTS_FILE);
    write_atomically(&path, &table.to_csv()?)?;
    let failed = table
        .rows
        .iter()
        .filter(|row| row[manifest.keys.len() + 1] == "failed")
        .count();
    println!(
        "merged {} runs ({} ok, {failed} failed) into {}{}",
        table.rows.len(),
        table.rows.len() - failed,
        path.display(),
        if pending > 0 {
            format!(
                "; {pending} of {} runs have not finished",
                manifest.entries.len()
            )
        } else {
            String::new()
        }
    );
    Ok(table)
}

/// The run's summary.json when it finished (status `ok` or `failed`).
fn read_summary(run: &Path) -> anyhow::Result<Option<Value>> {
    let path = run.join("summary.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let summary: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(matches!(summary["status"].as_str(), Some("ok" | "failed")).then_some(summary))
}

/// The [`RESULT_COLUMNS`] fields of one finished run.
fn result_fields(run: &Path, summary: &Value) -> anyhow::Result<Vec<String>> {
    let metrics_path = run.join("metrics.csv");
    let metrics = if metrics_path.exists() {
        Some(Table::read(&metrics_path)?)
    } else {
        None
    };
    let metric = |row: Option<usize>, column: &str| -> anyhow::Result<String> {
        let (Some(table), Some(row)) = (&metrics, row) else {
            return Ok(String::new());
        };
        let index = table
            .column(column)
            .with_context(|| format!("{}", metrics_path.display()))?;
        Ok(table.rows[row][index].clone())
    };
    // Columns added later: empty for a run written before they existed.
    let added_metric = |row: Option<usize>, column: &str| -> anyhow::Result<String> {
        match &metrics {
            Some(table) if table.column(column).is_err() => Ok(String::new()),
            _ => metric(row, column),
        }
    };
    let regression = |key: &str| {
        summary["kernel_regression"][key]
            .as_f64()
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let first = metrics.as_ref().filter(|t| !t.rows.is_empty()).map(|_| 0);
    let last = metrics.as_ref().and_then(|t| t.rows.len().checked_sub(1));
    let number = |key: &str| summary[key].as_f64().map(|v| v.to_string());
    let status = summary["status"].as_str().unwrap_or_default();
    let final_loss = match status {
        "ok" => number("final_loss").unwrap_or_default(),
        _ => metric(last, LOSS)?,
    };
    let steps_to_target = match (status, summary["reached_target"].as_bool()) {
        ("ok", Some(true)) => summary["steps_run"].to_string(),
        _ => String::new(),
    };
    Ok(vec![
        status.to_string(),
        summary["error"].as_str().unwrap_or_default().to_string(),
        final_loss,
        steps_to_target,
        metric(first, LAMBDA_MIN)?,
        metric(first, LAMBDA_MAX)?,
        metric(last, MOVE_W)?,
        metric(last, MOVE_B)?,
        metric(last, MOVE_A)?,
        metric(last, ACTIVE_FRACTION)?,
        metric(last, NTK_DRIFT)?,
        number("wall_time_s").unwrap_or_default(),
        added_metric(last, TEST_LOSS)?,
        added_metric(last, LOSS_LIN)?,
        added_metric(last, TEST_LOSS_LIN)?,
        added_metric(last, LIN_DISTANCE)?,
        added_metric(last, TEST_LIN_DISTANCE)?,
        regression("analytic_test_loss"),
        regression("analytic_expected_test_loss"),
    ])
}
