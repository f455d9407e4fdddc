//! The critical width m*(n) of a sweep over (width m, number of points n, seed), and its
//! scaling m* ∝ n^α (`overparam analyze critical-width`).
//!
//! For each n, m* is the smallest width of the grid at which at least the fraction `success` of
//! the runs (one per seed, unless the sweep varies other keys too) reached the target loss. α and
//! c come from ordinary least squares of log m* = α log n + c over the n whose m* the grid
//! brackets (some smaller width of the grid failed); a bootstrap over seeds gives a 95% interval
//! for α.
//!
//! [`critical_width`] computes a [`CriticalWidthReport`] from a results table;
//! [`write_critical_width`] writes it as `critical_width.json` and `critical_width.csv`;
//! [`report_text`] says it in a few lines.

mod fit;
mod grid;
mod output;

use anyhow::{ensure, Context};
use serde::Serialize;

use overparam_sweep::results::Table;

use crate::stats::{least_squares_line, quantile};
use fit::{bootstrap_slopes, critical_index, log_log_points};
use grid::{pooled_columns, Grid, WidthTally};
pub use output::{report_text, write_critical_width};

/// The percentiles of the bootstrap distribution of α that bound its 95% interval.
const INTERVAL_PERCENTILES: (f64, f64) = (0.025, 0.975);

/// What counts as success, and how to bootstrap.
#[derive(Clone, Debug, PartialEq)]
pub struct CriticalWidthOptions {
    /// A run succeeded when its `final_loss` is at most this; `None`: when it reached its own
    /// configured target (`steps_to_target` non-empty).
    pub target_loss: Option<f64>,
    /// The fraction of runs at a width that must succeed for the width to count, in (0, 1].
    pub success: f64,
    /// How many bootstrap resamples of the seeds to draw (0: no interval).
    pub bootstrap_samples: usize,
    /// The seed of the bootstrap's random stream.
    pub bootstrap_seed: u64,
}

impl Default for CriticalWidthOptions {
    fn default() -> Self {
        CriticalWidthOptions {
            target_loss: None,
            success: 0.9,
            bootstrap_samples: 2000,
            bootstrap_seed: 0,
        }
    }
}

impl CriticalWidthOptions {
    /// Errors when `success` is outside (0, 1] or `target_loss` is not finite.
    fn validate(&self) -> anyhow::Result<()> {
        ensure!(
            self.success > 0.0 && self.success <= 1.0,
            "the success fraction must lie in (0, 1], got {}",
            self.success
        );
        if let Some(target) = self.target_loss {
            ensure!(
                target.is_finite(),
                "the target loss must be finite, got {target}"
            );
        }
        Ok(())
    }
}

/// Where m* lies relative to the grid of widths, for one n.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GridStatus {
    /// m* is a width of the grid above its smallest: the next smaller width failed.
    Bracketed,
    /// Even the smallest width succeeded: m* ≤ the smallest width (an upper bound only).
    BelowGrid,
    /// No width succeeded: m* > the largest width (a lower bound only).
    AboveGrid,
}

impl GridStatus {
    /// The name used in the JSON and CSV (`bracketed`, `below_grid`, `above_grid`).
    pub fn as_str(self) -> &'static str {
        match self {
            GridStatus::Bracketed => "bracketed",
            GridStatus::BelowGrid => "below_grid",
            GridStatus::AboveGrid => "above_grid",
        }
    }
}

/// The interval (low, high] of the grid that holds m*: either end is `None` when the grid
/// does not reach it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bracket {
    /// The largest width below m* (which failed); `None` when m* is the smallest width.
    pub low: Option<u64>,
    /// m* itself; `None` when no width succeeded.
    pub high: Option<u64>,
}

/// How often the runs at one width succeeded, for one n.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct WidthSuccess {
    /// The width m.
    pub width: u64,
    /// The fraction of its runs that succeeded.
    pub fraction: f64,
    /// Distinct seeds with a run at this width.
    pub seeds: usize,
    /// Runs at this width (more than `seeds` when the sweep varies other keys too).
    pub runs: u64,
}

/// The critical width at one n.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriticalWidthPoint {
    /// The number of training points.
    pub n: u64,
    /// m*: the smallest width whose success fraction reaches the threshold; `None` when none
    /// does. When `status` is `below_grid` it is the smallest width, an upper bound only.
    pub critical_width: Option<u64>,
    /// The grid interval (low, high] that holds m*.
    pub bracket: Bracket,
    /// Where m* lies relative to the grid.
    pub status: GridStatus,
    /// Distinct seeds with a run at this n.
    pub seeds: usize,
    /// Widths above m* that fell short of the threshold (success not monotone in width).
    pub failing_above: Vec<u64>,
    /// The success fraction at every width, ascending in width.
    pub success_fraction_by_width: Vec<WidthSuccess>,
}

/// The result of the critical-width analysis; serialized as `critical_width.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriticalWidthReport {
    /// The fitted exponent α of m* ∝ n^α; `None` when fewer than two n are bracketed.
    pub alpha: Option<f64>,
    /// The 2.5th percentile of α over the usable bootstrap resamples.
    pub alpha_low: Option<f64>,
    /// The 97.5th percentile of α over the usable bootstrap resamples.
    pub alpha_high: Option<f64>,
    /// The fitted c of log m* = α log n + c (natural logarithms).
    pub intercept: Option<f64>,
    /// One point per n, ascending in n.
    pub points: Vec<CriticalWidthPoint>,
    /// Plain sentences about what the grid could not resolve or the data did oddly.
    pub warnings: Vec<String>,
    /// The success fraction a width needed.
    pub success: f64,
    /// The `final_loss` threshold, or `None` when each run's own target decided.
    pub target_loss: Option<f64>,
    /// Distinct seeds in the table.
    pub seeds: usize,
    /// Bootstrap resamples drawn.
    pub bootstrap_samples: usize,
    /// Resamples that bracketed m* for at least two n, over which the interval is taken.
    pub bootstrap_usable: usize,
    /// The seed of the bootstrap's random stream.
    pub bootstrap_seed: u64,
}

/// The critical width of every n of `table` (a `results.csv`), and the fit of its scaling in n.
///
/// The table needs the columns `model.width`, `data.n`, `seed` and `status`, and `final_loss`
/// (with `target_loss`) or `steps_to_target` (without). A run succeeded when its status is `ok`
/// and its final loss is at most `target_loss`, or, without one, it reached its own target.
///
/// The interval for α resamples the seeds with replacement, the same draw for every n, and
/// recomputes m* and the fit; it takes the 2.5th and 97.5th percentiles of α over the resamples
/// that bracket m* for at least two n. Since m* can only take the grid's widths, α takes few
/// distinct values across resamples: the interval is coarse, a statement about seed-to-seed
/// variation at this grid rather than a precise confidence interval, and it says nothing about
/// the error from the grid's spacing.
pub fn critical_width(
    table: &Table,
    options: &CriticalWidthOptions,
) -> anyhow::Result<CriticalWidthReport> {
    options.validate()?;
    let grid = Grid::from_table(table, options).context("critical-width analysis")?;
    let every_seed_once = vec![1u32; grid.seeds.len()];
    let points: Vec<CriticalWidthPoint> = (0..grid.ns.len())
        .map(|n_index| point(&grid, n_index, &every_seed_once, options.success))
        .collect();
    let line = least_squares_line(&log_log_points(&grid, &every_seed_once, options.success));
    let slopes = match line {
        Some(_) => bootstrap_slopes(
            &grid,
            options.success,
            options.bootstrap_samples,
            options.bootstrap_seed,
        ),
        None => Vec::new(),
    };
    let interval = (!slopes.is_empty()).then(|| {
        (
            quantile(&slopes, INTERVAL_PERCENTILES.0),
            quantile(&slopes, INTERVAL_PERCENTILES.1),
        )
    });
    let mut report = CriticalWidthReport {
        alpha: line.map(|line| line.slope),
        alpha_low: interval.map(|interval| interval.0),
        alpha_high: interval.map(|interval| interval.1),
        intercept: line.map(|line| line.intercept),
        points,
        warnings: Vec::new(),
        success: options.success,
        target_loss: options.target_loss,
        seeds: grid.seeds.len(),
        bootstrap_samples: options.bootstrap_samples,
        bootstrap_usable: slopes.len(),
        bootstrap_seed: options.bootstrap_seed,
    };
    report.warnings = warnings(table, &report);
    Ok(report)
}

/// The critical width at n number `n_index` of `grid`, each seed counted `multiplicity` times.
fn point(grid: &Grid, n_index: usize, multiplicity: &[u32], success: f64) -> CriticalWidthPoint {
    let tallies = grid.tally(n_index, multiplicity);
    let index = critical_index(&tallies, success);
    let (status, bracket) = match index {
        None => (
            GridStatus::AboveGrid,
            Bracket {
                low: tallies.last().map(|tally| tally.width),
                high: None,
            },
        ),
        Some(0) => (
            GridStatus::BelowGrid,
            Bracket {
                low: None,
                high: Some(tallies[0].width),
            },
        ),
        Some(index) => (
            GridStatus::Bracketed,
            Bracket {
                low: Some(tallies[index - 1].width),
                high: Some(tallies[index].width),
            },
        ),
    };
    let failing_above = match index {
        Some(index) => tallies[index + 1..]
            .iter()
            .filter(|tally| !tally.meets(success))
            .map(|tally| tally.width)
            .collect(),
        None => Vec::new(),
    };
    CriticalWidthPoint {
        n: grid.ns[n_index],
        critical_width: bracket.high,
        bracket,
        status,
        seeds: grid.seeds_at(n_index),
        failing_above,
        success_fraction_by_width: tallies.iter().map(width_success).collect(),
    }
}

/// The reported form of a width's tally.
fn width_success(tally: &WidthTally) -> WidthSuccess {
    WidthSuccess {
        width: tally.width,
        fraction: tally.fraction(),
        seeds: tally.seeds,
        runs: tally.runs,
    }
}

/// The warnings of `report`: pooled keys, points the grid does not bracket, non-monotone
/// success, and a fit or interval that could not be had.
fn warnings(table: &Table, report: &CriticalWidthReport) -> Vec<String> {
    let threshold = output::percent(report.success);
    let mut warnings: Vec<String> = pooled_columns(table)
        .into_iter()
        .map(|(column, values)| {
            format!(
                "`{column}` takes {values} values in this sweep; their runs are pooled, each \
                 run one trial at its width and n"
            )
        })
        .collect();
    warnings.extend(
        report
            .points
            .iter()
            .flat_map(|point| point_warnings(point, &threshold)),
    );
    let bracketed = report
        .points
        .iter()
        .filter(|point| point.status == GridStatus::Bracketed)
        .count();
    if report.alpha.is_none() {
        warnings.push(format!(
            "only {bracketed} of {} n have m* bracketed by the grid; fitting α needs at least 2",
            report.points.len()
        ));
    } else if report.bootstrap_usable < report.bootstrap_samples {
        warnings.push(format!(
            "only {} of {} bootstrap resamples of the seeds bracketed m* for at least 2 n; the \
             interval for α is over those",
            report.bootstrap_usable, report.bootstrap_samples
        ));
    }
    if report.alpha.is_some() && report.seeds == 1 && report.bootstrap_samples > 0 {
        warnings.push("only one seed: the bootstrap interval for α is a single point".into());
    }
    warnings
}

/// The warnings about one n: m* outside the grid, or success not monotone in width.
fn point_warnings(point: &CriticalWidthPoint, threshold: &str) -> Vec<String> {
    let n = point.n;
    let seeds = point.seeds;
    let mut warnings = Vec::new();
    match (point.status, point.bracket.low, point.bracket.high) {
        (GridStatus::AboveGrid, Some(largest), _) => warnings.push(format!(
            "n = {n}: no width up to {largest} reached the target in ≥ {threshold} of {seeds} \
             seeds; m* > {largest} — widen the grid"
        )),
        (GridStatus::BelowGrid, _, Some(smallest)) => warnings.push(format!(
            "n = {n}: even the smallest width, {smallest}, reached the target in ≥ {threshold} \
             of {seeds} seeds; m* ≤ {smallest} — extend the grid to smaller widths"
        )),
        _ => {}
    }
    if let (Some(critical_width), false) = (point.critical_width, point.failing_above.is_empty()) {
        let widths: Vec<String> = point.failing_above.iter().map(u64::to_string).collect();
        warnings.push(format!(
            "n = {n}: width {} above m* = {critical_width} fell short of {threshold}; success \
             is not monotone in width",
            widths.join(", ")
        ));
    }
    warnings
}
