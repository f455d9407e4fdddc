//! m* from a grid's tallies, the points (ln n, ln m*) of the fit log m* = α log n + c, and the
//! bootstrap of α over seeds.

use crate::stats::{bootstrap, least_squares_line};

use super::grid::{Grid, WidthTally};

/// The index of m* in `tallies` (ascending in width): the first width at which at least the
/// fraction `success` of runs succeeded; `None` when no width does.
pub(super) fn critical_index(tallies: &[WidthTally], success: f64) -> Option<usize> {
    tallies.iter().position(|tally| tally.meets(success))
}

/// Whether m* at `index` is bracketed: some smaller width of the grid failed.
pub(super) fn is_bracketed(index: Option<usize>) -> bool {
    index.is_some_and(|index| index > 0)
}

/// The points (ln n, ln m*) of every n whose m* the grid brackets, with each seed counted
/// `multiplicity[seed]` times.
pub(super) fn log_log_points(grid: &Grid, multiplicity: &[u32], success: f64) -> Vec<(f64, f64)> {
    grid.ns
        .iter()
        .enumerate()
        .filter_map(|(n_index, &n)| {
            let tallies = grid.tally(n_index, multiplicity);
            let index = critical_index(&tallies, success);
            is_bracketed(index).then(|| {
                let critical_width = tallies[index.expect("bracketed")].width;
                ((n as f64).ln(), (critical_width as f64).ln())
            })
        })
        .collect()
}

/// α of each of `samples` bootstrap resamples of the seeds that brackets m* for at least two
/// n, ascending.
///
/// A resample draws as many seeds as there are, with replacement, and uses the same draw for
/// every n, so that a seed's runs stay paired across n. The draws come from a ChaCha8 stream
/// seeded with `seed`, so the result is reproducible.
pub(super) fn bootstrap_slopes(grid: &Grid, success: f64, samples: usize, seed: u64) -> Vec<f64> {
    bootstrap(grid.seeds.len(), samples, seed, |multiplicity| {
        least_squares_line(&log_log_points(grid, multiplicity, success)).map(|line| line.slope)
    })
}
