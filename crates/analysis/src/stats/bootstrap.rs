//! The bootstrap: a statistic recomputed over resamples drawn with replacement, and the
//! quantiles of the resampled values.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `statistic` of each of `samples` bootstrap resamples of `count` units (e.g. seeds) that
/// gives one, ascending.
///
/// A resample draws `count` units with replacement and hands `statistic` how often each was
/// drawn (`multiplicity[unit]`). The draws come from a ChaCha8 stream seeded with `seed`, so
/// the result is reproducible.
pub fn bootstrap(
    count: usize,
    samples: usize,
    seed: u64,
    mut statistic: impl FnMut(&[u32]) -> Option<f64>,
) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut values: Vec<f64> = (0..samples)
        .filter_map(|_| {
            let mut multiplicity = vec![0u32; count];
            for _ in 0..count {
                multiplicity[rng.random_range(0..count)] += 1;
            }
            statistic(&multiplicity)
        })
        .collect();
    values.sort_by(f64::total_cmp);
    values
}

/// The `p`-quantile (0 ≤ p ≤ 1) of the non-empty ascending `sorted`, interpolating linearly
/// between order statistics.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let position = p * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    sorted[below] + (position - below as f64) * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resamples_draw_every_unit_count_times_and_quantiles_interpolate() {
        let sizes = bootstrap(5, 20, 7, |m| Some(m.iter().sum::<u32>() as f64));
        assert_eq!(sizes, vec![5.0; 20]);
        assert_eq!(bootstrap(3, 4, 0, |_| None), Vec::<f64>::new());
        assert_eq!(quantile(&[1.0, 2.0, 4.0], 0.75), 3.0);
    }
}
