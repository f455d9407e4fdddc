//! Matrix products on row-major slices through faer, parallel above a size where threads pay.
//!
//! faer splits a product over blocks of its output, never over the inner dimension, so a
//! product gives the same bits whatever the number of threads (tested).

use faer::linalg::matmul::{matmul, triangular};
use faer::{Accum, MatMut, MatRef, Par};

use crate::Real;

/// Below this many multiply-adds a product runs on the calling thread.
const PARALLEL_MIN_WORK: usize = 1 << 21;

fn parallelism(work: usize) -> Par {
    if work >= PARALLEL_MIN_WORK && rayon::current_num_threads() > 1 {
        Par::rayon(0)
    } else {
        Par::Seq
    }
}

fn view<T: Real>(data: &[T], rows: usize, cols: usize) -> MatRef<'_, T> {
    MatRef::from_row_major_slice(&data[..rows * cols], rows, cols)
}

fn view_mut<T: Real>(data: &mut [T], rows: usize, cols: usize) -> MatMut<'_, T> {
    MatMut::from_row_major_slice_mut(&mut data[..rows * cols], rows, cols)
}

/// `dst` = α · lhs · rhs, parallel above [`PARALLEL_MIN_WORK`].
fn multiply<T: Real>(dst: MatMut<'_, T>, lhs: MatRef<'_, T>, rhs: MatRef<'_, T>, alpha: T) {
    let work = dst.nrows() * dst.ncols() * lhs.ncols();
    matmul(dst, Accum::Replace, lhs, rhs, alpha, parallelism(work));
}

/// `dst` `[p, q]` = α · A Bᵀ for A `[p, k]`, B `[q, k]`.
pub fn matmul_nt<T: Real>(dst: &mut [T], a: &[T], b: &[T], [p, q, k]: [usize; 3], alpha: T) {
    multiply(
        view_mut(dst, p, q),
        view(a, p, k),
        view(b, q, k).transpose(),
        alpha,
    );
}

/// `dst` `[p, q]` = α · Aᵀ B for A `[k, p]`, B `[k, q]`.
pub fn matmul_tn<T: Real>(dst: &mut [T], a: &[T], b: &[T], [p, q, k]: [usize; 3], alpha: T) {
    multiply(
        view_mut(dst, p, q),
        view(a, k, p).transpose(),
        view(b, k, q),
        alpha,
    );
}

/// `dst` `[p, q]` = α · A B for A `[p, k]`, B `[k, q]`.
pub fn matmul_nn<T: Real>(dst: &mut [T], a: &[T], b: &[T], [p, q, k]: [usize; 3], alpha: T) {
    multiply(view_mut(dst, p, q), view(a, p, k), view(b, k, q), alpha);
}

/// The lower triangle (diagonal included) of `dst` `[n, n]` = α · A Aᵀ for A `[n, k]`: a
/// symmetric rank-k product, half the multiply-adds of a full one. The strict upper triangle
/// of `dst` is left as it was; [`mirror_lower`] fills it.
pub fn gram_lower<T: Real>(dst: &mut [T], a: &[T], [n, k]: [usize; 2], alpha: T) {
    let a = view(a, n, k);
    triangular::matmul(
        view_mut(dst, n, n),
        triangular::BlockStructure::TriangularLower,
        Accum::Replace,
        a,
        triangular::BlockStructure::Rectangular,
        a.transpose(),
        triangular::BlockStructure::Rectangular,
        alpha,
        parallelism(n * n * k / 2),
    );
}

/// Side of the square tiles in which lower triangles are mirrored, so that both the rows read
/// and the columns written stay in cache.
const TILE: usize = 32;

/// Calls `visit(i, j)` for every i > j of an `[n, n]` matrix, tile by tile.
fn strict_lower_by_tiles(n: usize, mut visit: impl FnMut(usize, usize)) {
    for row_start in (0..n).step_by(TILE) {
        for col_start in (0..=row_start).step_by(TILE) {
            for i in row_start..(row_start + TILE).min(n) {
                for j in col_start..(col_start + TILE).min(i) {
                    visit(i, j);
                }
            }
        }
    }
}

/// Copies the lower triangle of the row-major `[n, n]` matrix onto its upper triangle.
pub fn mirror_lower<T: Real>(matrix: &mut [T], n: usize) {
    strict_lower_by_tiles(n, |i, j| matrix[j * n + i] = matrix[i * n + j]);
}

/// With `a` and `b` holding symmetric matrices in their lower triangles: mirrors `a` in place
/// and returns the full a ∘ b (elementwise product), in one pass over the tiles.
pub fn mirror_lower_with_product<T: Real>(a: &mut [T], b: &[T], n: usize) -> Vec<T> {
    let mut product = vec![T::zero(); n * n];
    for i in 0..n {
        product[i * n + i] = a[i * n + i] * b[i * n + i];
    }
    strict_lower_by_tiles(n, |i, j| {
        let value = a[i * n + j];
        a[j * n + i] = value;
        let entry = value * b[i * n + j];
        product[i * n + j] = entry;
        product[j * n + i] = entry;
    });
    product
}
