//! `results.csv`: one row per run of a sweep, written by `overparam sweep merge`.
//!
//! Columns (scripts depend on these names): `run_id`, then each swept key under its dotted
//! name (`model.width`, `data.n`, `seed`, …), then [`RESULT_COLUMNS`]. Empty fields mean
//! "not measured" (e.g. `steps_to_target` of a run that never reached the target).
//!
//! [`RESULT_COLUMNS`]: crate::columns::RESULT_COLUMNS

use std::path::Path;

use anyhow::{bail, Context};

/// A CSV table held as strings: a header and rows of the same length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each with one field per column.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: Vec<String>) -> Table {
        Table {
            columns,
            rows: Vec::new(),
        }
    }

    /// Reads a CSV file with a header row; errors name the file and line.
    pub fn read(path: &Path) -> anyhow::Result<Table> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .with_context(|| format!("reading {}", path.display()))?;
        let columns = reader
            .headers()
            .with_context(|| format!("reading the header of {}", path.display()))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut table = Table::new(columns);
        for record in reader.records() {
            let record = record.with_context(|| format!("reading {}", path.display()))?;
            table.rows.push(record.iter().map(str::to_string).collect());
        }
        Ok(table)
    }

    /// The CSV text of the table (header first, `\n` line ends).
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
        writer.write_record(&self.columns)?;
        for row in &self.rows {
            writer.write_record(row)?;
        }
        Ok(writer.into_inner().context("flushing CSV")?)
    }

    /// The index of column `name`, or an error listing the columns there are.
    pub fn column(&self, name: &str) -> anyhow::Result<usize> {
        match self.columns.iter().position(|c| c == name) {
            Some(index) => Ok(index),
            None => bail!("no column `{name}` (columns: {})", self.columns.join(", ")),
        }
    }

    /// Field `column` of row `row` as a number: `None` when empty, an error when not a number.
    pub fn number(&self, row: usize, column: usize) -> anyhow::Result<Option<f64>> {
        let field = self.rows[row][column].trim();
        if field.is_empty() {
            return Ok(None);
        }
        field.parse::<f64>().map(Some).with_context(|| {
            format!(
                "row {} column `{}`: `{field}` is not a number",
                row + 1,
                self.columns[column]
            )
        })
    }
}
