//! A part's `results.csv` as numbers: the rows of the runs that ended `ok`, with the columns
//! an analysis asks for, grouped by the first of them (a width, a bias level).

use anyhow::Context;

use overparam_sweep::columns::STATUS;
use overparam_sweep::results::Table;

use crate::Parts;

/// The numeric columns asked for, one row per run that ended `ok`.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultRows {
    /// Per run, the asked columns in order (`None` where the field is empty).
    pub rows: Vec<Vec<Option<f64>>>,
    /// Runs that did not end `ok` (failed or diverged), left out of `rows`.
    pub not_ok: usize,
}

impl ResultRows {
    /// Reads `columns` of part `part`'s `results.csv`; errors name the file and the column.
    pub fn read(parts: &Parts, part: &str, columns: &[&str]) -> anyhow::Result<ResultRows> {
        let path = parts.part(part)?.join("results.csv");
        let table = Table::read(&path)?;
        let context = || format!("reading {}", path.display());
        let status = table.column(STATUS).with_context(context)?;
        let indices = columns
            .iter()
            .map(|name| table.column(name))
            .collect::<anyhow::Result<Vec<usize>>>()
            .with_context(context)?;
        let mut rows = Vec::new();
        let mut not_ok = 0;
        for (row, fields) in table.rows.iter().enumerate() {
            if fields[status].trim() != "ok" {
                not_ok += 1;
                continue;
            }
            let values = indices
                .iter()
                .map(|&column| table.number(row, column))
                .collect::<anyhow::Result<Vec<Option<f64>>>>()
                .with_context(context)?;
            rows.push(values);
        }
        Ok(ResultRows { rows, not_ok })
    }

    /// The rows grouped by their first column, in ascending order of it (rows without one are
    /// left out).
    pub fn groups(&self) -> Vec<(f64, Vec<&[Option<f64>]>)> {
        let mut groups: Vec<(f64, Vec<&[Option<f64>]>)> = Vec::new();
        for row in &self.rows {
            let Some(key) = row.first().copied().flatten() else {
                continue;
            };
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(row),
                None => groups.push((key, vec![row])),
            }
        }
        groups.sort_by(|a, b| a.0.total_cmp(&b.0));
        groups
    }
}
