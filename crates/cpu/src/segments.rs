//! The row kernels of `rows.rs` on rows that hold several segments of one width (a block of
//! the stacked ensemble's `[n, S·m]` buffers, one segment per seed): one SIMD dispatch for a
//! whole block, each segment of each row computed exactly as the single network's kernel
//! computes that row (same loops, same order, same bits).

use pulp::{Arch, Simd, WithSimd};

use crate::rows::{backward_row, read_out_row, LANES};
use crate::{Nonlinearity, Real};

/// [`read_out`](crate::rows::read_out) on each `width`-entry segment k of each row r of
/// `rows` (k segments per row, matching `bias` and `a` `[k·width]`): z ← z + b, and
/// Σ_j a_j σ(z_j) of the segment into `sums[r·k + k']` (`sums` `[rows, k]`).
pub(crate) fn read_out_segments<T: Real>(
    rows: &mut [&mut [T]],
    [bias, a]: [&[T]; 2],
    width: usize,
    sigma: Nonlinearity,
    sums: &mut [T],
) {
    Arch::new().dispatch(ReadOutSegments {
        rows,
        bias,
        a,
        width,
        sigma,
        sums,
    });
}

struct ReadOutSegments<'a, 'r, T> {
    rows: &'a mut [&'r mut [T]],
    bias: &'a [T],
    a: &'a [T],
    width: usize,
    sigma: Nonlinearity,
    sums: &'a mut [T],
}

impl<T: Real> WithSimd for ReadOutSegments<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let Self {
            rows,
            bias,
            a,
            width,
            sigma,
            sums,
        } = self;
        let segments = bias.len() / width;
        let mut active = [T::zero(); LANES];
        crate::with_nonlinearity!(sigma, T, |value, _slope| {
            for (row, sums) in rows.iter_mut().zip(sums.chunks_mut(segments)) {
                let pieces = row.chunks_mut(width).zip(bias.chunks(width));
                for (((z, b), a), sum) in pieces.zip(a.chunks(width)).zip(sums.iter_mut()) {
                    *sum = read_out_row(z, b, a, &value, &mut active);
                }
            }
        })
    }
}

/// [`backward`](crate::rows::backward) on each `width`-entry segment k′ of each row r of
/// `rows` with coefficient `coefficients[r·k + k′]` (`[rows, k]`), readout weights `a` and
/// sums `[k·width]` (∂a sums, ∂b sums).
pub(crate) fn backward_segments<T: Real>(
    rows: &mut [&mut [T]],
    a: &[T],
    coefficients: &[T],
    [output_sums, bias_sums]: [&mut [T]; 2],
    (width, want_delta, sigma): (usize, bool, Nonlinearity),
) {
    Arch::new().dispatch(BackwardSegments {
        rows,
        a,
        coefficients,
        output_sums,
        bias_sums,
        width,
        want_delta,
        sigma,
    });
}

struct BackwardSegments<'a, 'r, T> {
    rows: &'a mut [&'r mut [T]],
    a: &'a [T],
    coefficients: &'a [T],
    output_sums: &'a mut [T],
    bias_sums: &'a mut [T],
    width: usize,
    want_delta: bool,
    sigma: Nonlinearity,
}

impl<T: Real> WithSimd for BackwardSegments<'_, '_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let Self {
            rows,
            a,
            coefficients,
            output_sums,
            bias_sums,
            width,
            want_delta,
            sigma,
        } = self;
        let segments = a.len() / width;
        crate::with_nonlinearity!(sigma, T, |value, slope| {
            for (row, coefficients) in rows.iter_mut().zip(coefficients.chunks(segments)) {
                let pieces = row.chunks_mut(width).zip(a.chunks(width)).zip(
                    output_sums
                        .chunks_mut(width)
                        .zip(bias_sums.chunks_mut(width)),
                );
                for (((z, a), (outputs, biases)), &c) in pieces.zip(coefficients) {
                    backward_row(z, a, c, [outputs, biases], want_delta, &value, &slope);
                }
            }
        })
    }
}
