//! The report written as `critical_width.json` and `critical_width.csv`, and said in words.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use overparam_sweep::files::write_atomically;
use overparam_sweep::results::Table;

use super::{CriticalWidthPoint, CriticalWidthReport, GridStatus};

/// The name of the JSON report in a sweep directory.
const JSON_FILE: &str = "critical_width.json";
/// The name of the CSV report in a sweep directory.
const CSV_FILE: &str = "critical_width.csv";
/// The columns of `critical_width.csv`, one row per n.
const CSV_COLUMNS: [&str; 7] = [
    "n",
    "critical_width",
    "status",
    "bracket_low",
    "bracket_high",
    "success_fraction",
    "seeds",
];

/// Writes `report` to `dir/critical_width.json` (pretty, `alpha`, `alpha_low`, `alpha_high`,
/// `points`, … at the top level) and `dir/critical_width.csv` (columns `n`, `critical_width`,
/// `status`, `bracket_low`, `bracket_high`, `success_fraction` at m*, `seeds`; one row per n).
/// Each file is written to a `.tmp` beside it and renamed into place, so a reader never sees a
/// partial file.
pub fn write_critical_width(dir: &Path, report: &CriticalWidthReport) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(report).context("serializing the report")?;
    json.push(b'\n');
    write_atomically(&dir.join(JSON_FILE), &json)?;
    write_atomically(&dir.join(CSV_FILE), &csv_table(report).to_csv()?)
}

/// The rows of `critical_width.csv`.
fn csv_table(report: &CriticalWidthReport) -> Table {
    let mut table = Table::new(CSV_COLUMNS.iter().map(|c| c.to_string()).collect());
    for point in &report.points {
        let fraction_at_critical_width = point
            .success_fraction_by_width
            .iter()
            .find(|entry| Some(entry.width) == point.critical_width)
            .map(|entry| entry.fraction);
        table.rows.push(vec![
            point.n.to_string(),
            optional(point.critical_width),
            point.status.as_str().to_string(),
            optional(point.bracket.low),
            optional(point.bracket.high),
            optional(fraction_at_critical_width),
            point.seeds.to_string(),
        ]);
    }
    table
}

/// The value as text, or an empty field.
fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// A fraction as a percentage without needless digits: 0.9 → `90%`, 0.875 → `87.5%`.
pub(super) fn percent(fraction: f64) -> String {
    let value = fraction * 100.0;
    if (value - value.round()).abs() < 1e-9 {
        format!("{}%", value.round())
    } else {
        format!("{value:.1}%")
    }
}

/// The report in a few lines for a person: α with its interval, m* for each n, the warnings.
pub fn report_text(report: &CriticalWidthReport) -> String {
    let mut text = String::new();
    let _ = match (report.alpha, report.alpha_low, report.alpha_high) {
        (Some(alpha), Some(low), Some(high)) => writeln!(
            text,
            "α = {alpha:.3}, 95% bootstrap interval [{low:.3}, {high:.3}] over {} of {} resamples of the {} seeds (fit log m* = α log n + c)",
            report.bootstrap_usable, report.bootstrap_samples, report.seeds
        ),
        (Some(alpha), _, _) => writeln!(text, "α = {alpha:.3} (no bootstrap interval)"),
        _ => writeln!(text, "α: not fitted (fewer than 2 n with m* bracketed by the grid)"),
    };
    for point in &report.points {
        let _ = writeln!(text, "{}", point_line(point));
    }
    for warning in &report.warnings {
        let _ = writeln!(text, "warning: {warning}");
    }
    text
}

/// `n = 100: m* = 16 (in (8, 16])` and its out-of-grid variants.
fn point_line(point: &CriticalWidthPoint) -> String {
    let n = point.n;
    match (point.status, point.critical_width, point.bracket.low) {
        (GridStatus::Bracketed, Some(width), Some(low)) => {
            format!("n = {n}: m* = {width} (in ({low}, {width}])")
        }
        (GridStatus::BelowGrid, Some(width), _) => {
            format!("n = {n}: m* ≤ {width} (below the grid)")
        }
        (_, _, Some(low)) => format!("n = {n}: m* > {low} (above the grid)"),
        _ => format!("n = {n}: m* unknown"),
    }
}
