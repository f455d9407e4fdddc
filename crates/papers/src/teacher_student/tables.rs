//! The report's tables (per width) and the per-run table written beside the sweep
//! (`teacher_student.csv`), all computed from the students.

use std::path::Path;

use crate::number;
use overparam_analysis::report::TextTable;
use overparam_sweep::columns::{FINAL_LOSS, MODEL_WIDTH, RUN_ID, SEED, STEPS_TO_TARGET};
use overparam_sweep::files::write_atomically;
use overparam_sweep::results::Table;

use overparam_analysis::stats::median;

use super::claims::{percent, WidthRates};
use super::student::{total_misalignment, Student};

/// Text for a value that may be missing.
fn or_dash(value: Option<f64>, show: fn(f64) -> String) -> String {
    value.map_or_else(|| "–".to_string(), show)
}

/// Per width: runs, how many reached the target, how many end with misaligned non-negligible
/// neurons (and how many of those point against a teacher neuron), the least aligned
/// non-negligible neuron, and the median weight on misaligned neurons.
pub fn alignment_table(students: &[Student], runs_per_width: &[(usize, usize)]) -> TextTable {
    let columns = [
        "m",
        "runs",
        "reached target",
        "runs with a misaligned neuron",
        "misaligned neurons (against a teacher neuron / in an opposite pair)",
        "least max_j cos among non-negligible neurons",
        "median weight on misaligned neurons",
    ];
    let rows = runs_per_width
        .iter()
        .map(|&(width, runs)| {
            let group: Vec<&Student> = students.iter().filter(|s| s.width == width).collect();
            let [misaligned, against, paired] = total_misalignment(group.iter().copied());
            let shares: Vec<f64> = group.iter().map(|s| s.misaligned_share()).collect();
            vec![
                width.to_string(),
                runs.to_string(),
                group
                    .iter()
                    .filter(|s| s.reached_target())
                    .count()
                    .to_string(),
                group
                    .iter()
                    .filter(|s| s.misaligned().next().is_some())
                    .count()
                    .to_string(),
                format!("{misaligned} ({against} / {paired})"),
                or_dash(
                    group
                        .iter()
                        .filter_map(|s| s.worst_cosine())
                        .reduce(f64::min),
                    number,
                ),
                or_dash(median(shares.iter().copied()), percent),
            ]
        })
        .collect();
    TextTable {
        columns: columns.map(String::from).to_vec(),
        rows,
    }
}

/// Per width with a fitted rate: the median and range of 1 − ρ, the median slowdown within
/// the final phase, and the median steps to the target.
pub fn rate_table(students: &[Student], rates: &[WidthRates]) -> TextTable {
    let columns = [
        "m",
        "runs with a rate",
        "median 1 − ρ",
        "1 − ρ over seeds",
        "median slowdown (upper/lower half of the window)",
        "median steps to target",
    ];
    let rows = rates
        .iter()
        .map(|rate| {
            let group = students
                .iter()
                .filter(|s| s.width == rate.width && s.reached_target());
            let slowdowns: Vec<f64> = group.clone().filter_map(|s| s.rate?.slowdown).collect();
            let steps: Vec<f64> = group.filter_map(|s| s.steps_to_target).collect();
            vec![
                rate.width.to_string(),
                rate.decreases.len().to_string(),
                number(rate.median()),
                rate.range_text(),
                or_dash(median(slowdowns.iter().copied()), number),
                or_dash(median(steps.iter().copied()), |s| format!("{s:.0}")),
            ]
        })
        .collect();
    TextTable {
        columns: columns.map(String::from).to_vec(),
        rows,
    }
}

/// Writes `path` (CSV): one row per student with its rate, slowdown and alignment figures.
pub fn write_runs(path: &Path, students: &[Student]) -> anyhow::Result<()> {
    let columns = [
        RUN_ID,
        MODEL_WIDTH,
        SEED,
        FINAL_LOSS,
        STEPS_TO_TARGET,
        "rate_per_step",
        "slowdown",
        "non_negligible_neurons",
        "misaligned_neurons",
        "misaligned_against_teacher",
        "misaligned_in_opposite_pair",
        "misaligned_share",
        "worst_cosine",
    ];
    let mut table = Table::new(columns.map(String::from).to_vec());
    let text = |value: Option<f64>| value.map_or_else(String::new, |v| v.to_string());
    for s in students {
        let non_negligible = s.neurons.iter().filter(|n| n.non_negligible()).count();
        let mut row = vec![
            s.id.clone(),
            s.width.to_string(),
            s.seed.clone(),
            text(s.final_loss),
            text(s.steps_to_target),
            text(s.rate.map(|r| r.per_step)),
            text(s.rate.and_then(|r| r.slowdown)),
            non_negligible.to_string(),
        ];
        row.extend(s.misalignment().map(|count| count.to_string()));
        row.extend([s.misaligned_share().to_string(), text(s.worst_cosine())]);
        table.rows.push(row);
    }
    write_atomically(path, &table.to_csv()?)
}
