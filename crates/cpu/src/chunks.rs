//! Row passes over `[n, m]` buffers, in parallel over a fixed partition of the rows; whatever
//! each piece returns comes back in partition order, so reductions over the pieces do not
//! depend on the thread count.

use rayon::prelude::*;

use crate::Real;

/// Rows per piece of the fixed partition of a buffer with `width` entries per row: at least
/// 16 rows and about 4096 entries, so that narrow layers are not cut into pieces too small to
/// pay for their bookkeeping. It depends on the width only, never on the thread count.
pub fn rows_per_chunk(width: usize) -> usize {
    (4096 / width.max(1)).max(16)
}

/// Below this many entries a pass runs on the calling thread (same partition, same order).
const PARALLEL_MIN_ENTRIES: usize = 1 << 15;

/// `visit(first_row, rows)` on every piece of [`rows_per_chunk`] rows of `buffer` (`width`
/// entries per row); the results in row order.
pub fn map_row_chunks<T: Real, R: Send, F>(buffer: &mut [T], width: usize, visit: F) -> Vec<R>
where
    F: Fn(usize, &mut [T]) -> R + Sync,
{
    let rows_per_chunk = rows_per_chunk(width);
    let chunk_len = rows_per_chunk * width.max(1);
    let run = |(index, rows): (usize, &mut [T])| visit(index * rows_per_chunk, rows);
    if buffer.len() >= PARALLEL_MIN_ENTRIES {
        buffer
            .par_chunks_mut(chunk_len)
            .enumerate()
            .map(run)
            .collect()
    } else {
        buffer.chunks_mut(chunk_len).enumerate().map(run).collect()
    }
}

/// Adds `partial[k][j]` over k in order, for each column j of `columns`.
pub fn add_columns<T: Real>(partial: &[Vec<T>], columns: usize) -> Vec<T> {
    let mut total = vec![T::zero(); columns];
    for sums in partial {
        for (t, s) in total.iter_mut().zip(sums) {
            *t += *s;
        }
    }
    total
}

/// `visit(primary_rows, secondary_rows)` on the same pieces of rows of two `[n, width]`
/// buffers.
pub fn map_row_chunk_pairs<T: Real, F>(
    primary: &mut [T],
    secondary: &mut [T],
    width: usize,
    visit: F,
) where
    F: Fn(&mut [T], &mut [T]) + Sync,
{
    let chunk_len = rows_per_chunk(width) * width.max(1);
    let pieces = primary
        .chunks_mut(chunk_len)
        .zip(secondary.chunks_mut(chunk_len));
    if primary_len_is_large(chunk_len, pieces.len()) {
        let pieces: Vec<_> = pieces.collect();
        pieces.into_par_iter().for_each(|(a, b)| visit(a, b));
    } else {
        pieces.for_each(|(a, b)| visit(a, b));
    }
}

fn primary_len_is_large(chunk_len: usize, chunks: usize) -> bool {
    chunk_len * chunks >= PARALLEL_MIN_ENTRIES
}
