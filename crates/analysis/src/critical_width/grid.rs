//! The results table read as a grid of outcomes: for each `n`, its widths in ascending order,
//! and for each (n, width, seed) cell how many runs there were and how many succeeded.

use anyhow::{bail, Context};

use overparam_sweep::columns::{
    DATA_N, FINAL_LOSS, MODEL_WIDTH, RESULT_COLUMNS, RUN_ID, SEED, STATUS, STEPS_TO_TARGET,
};
use overparam_sweep::results::Table;

use super::CriticalWidthOptions;

/// Integers above this are not exactly representable in the f64 the table parses into.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// The runs of one (n, width, seed) cell: more than one when the sweep varies other keys too.
#[derive(Clone, Copy, Debug, Default)]
struct Cell {
    runs: u32,
    successes: u32,
}

/// One width's outcome at one n, summed over the seeds of a (re)sample.
#[derive(Clone, Copy, Debug)]
pub(super) struct WidthTally {
    /// The width m.
    pub width: u64,
    /// Runs that succeeded, each counted as often as its seed was drawn.
    pub successes: u64,
    /// Runs, each counted as often as its seed was drawn.
    pub runs: u64,
    /// Distinct seeds with at least one run here.
    pub seeds: usize,
}

impl WidthTally {
    /// The fraction of runs that succeeded.
    pub fn fraction(&self) -> f64 {
        self.successes as f64 / self.runs as f64
    }

    /// Whether at least the fraction `success` of the runs succeeded (exact for k/r = success).
    pub fn meets(&self, success: f64) -> bool {
        self.successes as f64 >= success * self.runs as f64 - 1e-9
    }
}

/// The outcomes of a sweep over (n, width, seed).
#[derive(Clone, Debug)]
pub(super) struct Grid {
    /// The distinct n, ascending.
    pub ns: Vec<u64>,
    /// The distinct seeds, ascending.
    pub seeds: Vec<u64>,
    /// For each n, its distinct widths, ascending.
    widths: Vec<Vec<u64>>,
    /// `cells[n][width][seed]`, indexed like `ns`, `widths[n]` and `seeds`.
    cells: Vec<Vec<Vec<Cell>>>,
}

/// How a run's success is decided.
enum Criterion {
    /// `final_loss ≤ target` (the `--target-loss` override).
    FinalLoss { column: usize, target: f64 },
    /// `steps_to_target` is non-empty: the run reached its own configured target.
    StepsToTarget { column: usize },
}

/// One run: where it sits in the grid and whether it succeeded.
struct Run {
    n: u64,
    width: u64,
    seed: u64,
    succeeded: bool,
}

impl Grid {
    /// Reads every run of `table`; errors name the missing column or the offending row.
    pub fn from_table(table: &Table, options: &CriticalWidthOptions) -> anyhow::Result<Grid> {
        let n_column = required_column(table, DATA_N)?;
        let width_column = required_column(table, MODEL_WIDTH)?;
        let seed_column = required_column(table, SEED)?;
        let status_column = required_column(table, STATUS)?;
        let criterion = match options.target_loss {
            Some(target) => Criterion::FinalLoss {
                column: required_column(table, FINAL_LOSS)?,
                target,
            },
            None => Criterion::StepsToTarget {
                column: required_column(table, STEPS_TO_TARGET)?,
            },
        };
        if table.rows.is_empty() {
            bail!("the results table has no runs");
        }
        let runs = (0..table.rows.len())
            .map(|row| {
                Ok(Run {
                    n: integer_at_least(table, row, n_column, 1)?,
                    width: integer_at_least(table, row, width_column, 1)?,
                    seed: integer_at_least(table, row, seed_column, 0)?,
                    succeeded: succeeded(table, row, status_column, &criterion)?,
                })
            })
            .collect::<anyhow::Result<Vec<Run>>>()?;
        Ok(Grid::from_runs(&runs))
    }

    /// Places the runs in their cells.
    fn from_runs(runs: &[Run]) -> Grid {
        let ns = sorted_distinct(runs.iter().map(|run| run.n));
        let seeds = sorted_distinct(runs.iter().map(|run| run.seed));
        let widths: Vec<Vec<u64>> = ns
            .iter()
            .map(|&n| sorted_distinct(runs.iter().filter(|run| run.n == n).map(|run| run.width)))
            .collect();
        let mut cells: Vec<Vec<Vec<Cell>>> = widths
            .iter()
            .map(|ws| vec![vec![Cell::default(); seeds.len()]; ws.len()])
            .collect();
        for run in runs {
            let n = index_of(&ns, run.n);
            let cell = &mut cells[n][index_of(&widths[n], run.width)][index_of(&seeds, run.seed)];
            cell.runs += 1;
            cell.successes += u32::from(run.succeeded);
        }
        Grid {
            ns,
            seeds,
            widths,
            cells,
        }
    }

    /// The widths of n number `n_index` with at least one run among the seeds drawn, each seed
    /// counted `multiplicity[seed]` times, in ascending order of width.
    pub fn tally(&self, n_index: usize, multiplicity: &[u32]) -> Vec<WidthTally> {
        self.widths[n_index]
            .iter()
            .zip(&self.cells[n_index])
            .filter_map(|(&width, by_seed)| {
                let mut tally = WidthTally {
                    width,
                    successes: 0,
                    runs: 0,
                    seeds: 0,
                };
                for (cell, &times) in by_seed.iter().zip(multiplicity) {
                    if cell.runs > 0 && times > 0 {
                        tally.successes += u64::from(cell.successes) * u64::from(times);
                        tally.runs += u64::from(cell.runs) * u64::from(times);
                        tally.seeds += 1;
                    }
                }
                (tally.runs > 0).then_some(tally)
            })
            .collect()
    }

    /// Distinct seeds with at least one run at n number `n_index`.
    pub fn seeds_at(&self, n_index: usize) -> usize {
        (0..self.seeds.len())
            .filter(|&seed| {
                self.cells[n_index]
                    .iter()
                    .any(|by_seed| by_seed[seed].runs > 0)
            })
            .count()
    }
}

/// The index of `name`, or an error saying what the analysis needs and which columns there are.
fn required_column(table: &Table, name: &str) -> anyhow::Result<usize> {
    table.column(name).with_context(|| {
        format!(
            "the results table has no column `{name}`: the critical-width analysis needs a sweep \
             that varies `{MODEL_WIDTH}` and `{DATA_N}` over seeds (`{SEED}`), with \
             `{STATUS}` and the result columns"
        )
    })
}

/// Field (`row`, `column`) as an integer ≥ `min`; errors name the row and column.
fn integer_at_least(table: &Table, row: usize, column: usize, min: u64) -> anyhow::Result<u64> {
    let describe = || format!("row {} column `{}`", row + 1, table.columns[column]);
    let Some(value) = table.number(row, column)? else {
        bail!("{} is empty", describe());
    };
    if value.fract() != 0.0 || value < min as f64 || value > MAX_EXACT_INTEGER {
        bail!("{}: `{value}` is not an integer ≥ {min}", describe());
    }
    Ok(value as u64)
}

/// Whether the run in `row` succeeded: status `ok` and the criterion met.
fn succeeded(
    table: &Table,
    row: usize,
    status_column: usize,
    criterion: &Criterion,
) -> anyhow::Result<bool> {
    match table.rows[row][status_column].trim() {
        "ok" => {}
        "failed" => return Ok(false),
        other => bail!(
            "row {} column `{STATUS}`: `{other}` is neither `ok` nor `failed`",
            row + 1
        ),
    }
    Ok(match *criterion {
        Criterion::FinalLoss { column, target } => table
            .number(row, column)?
            .is_some_and(|loss| loss <= target),
        Criterion::StepsToTarget { column } => table.number(row, column)?.is_some(),
    })
}

/// The distinct values, ascending.
fn sorted_distinct(values: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut values: Vec<u64> = values.collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// The position of `value` in the sorted `values`, which hold it.
fn index_of(values: &[u64], value: u64) -> usize {
    values
        .binary_search(&value)
        .expect("the grid's axes hold every run's value")
}

/// The swept columns other than n, width and seed that take more than one value, with how many:
/// the analysis pools their runs, each run one trial.
pub(super) fn pooled_columns(table: &Table) -> Vec<(String, usize)> {
    let analysed = [RUN_ID, DATA_N, MODEL_WIDTH, SEED];
    table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, name)| {
            !analysed.contains(&name.as_str()) && !RESULT_COLUMNS.contains(&name.as_str())
        })
        .filter_map(|(column, name)| {
            let values = table.rows.iter().map(|row| row[column].trim());
            let distinct = values.collect::<std::collections::BTreeSet<_>>().len();
            let tied = tied_to(table, column, MODEL_WIDTH) || tied_to(table, column, DATA_N);
            (distinct > 1 && !tied).then(|| (name.clone(), distinct))
        })
        .collect()
}

/// Whether `column` takes one value per value of `key` (`model.width` or `data.n`: a rate
/// zipped with the width, a step budget zipped with n): such a column is part of what the
/// width or n means in this sweep, not a separate factor pooled over.
fn tied_to(table: &Table, column: usize, key: &str) -> bool {
    let Ok(key) = table.column(key) else {
        return false;
    };
    let mut value_of_key: std::collections::BTreeMap<&str, &str> = Default::default();
    table.rows.iter().all(|row| {
        let value = row[column].trim();
        *value_of_key.entry(row[key].trim()).or_insert(value) == value
    })
}
