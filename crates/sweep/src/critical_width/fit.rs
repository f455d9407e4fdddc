//! m* from a grid's tallies, the least-squares fit of log m* = α log n + c, and the bootstrap of
//! α over seeds.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::plot::least_squares_line;

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
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let seed_count = grid.seeds.len();
    let mut slopes: Vec<f64> = (0..samples)
        .filter_map(|_| {
            let mut multiplicity = vec![0u32; seed_count];
            for _ in 0..seed_count {
                multiplicity[rng.random_range(0..seed_count)] += 1;
            }
            least_squares_line(&log_log_points(grid, &multiplicity, success)).map(|line| line.slope)
        })
        .collect();
    slopes.sort_by(f64::total_cmp);
    slopes
}

/// The `p`-quantile (0 ≤ p ≤ 1) of the non-empty ascending `sorted`, interpolating linearly
/// between order statistics.
pub(super) fn quantile(sorted: &[f64], p: f64) -> f64 {
    let position = p * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    sorted[below] + (position - below as f64) * (sorted[above] - sorted[below])
}
