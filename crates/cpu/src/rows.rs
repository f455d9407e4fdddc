//! The elementwise work on one row of an `[n, m]` buffer, each kernel compiled inside pulp's
//! runtime dispatch ([`pulp::Arch::dispatch`]) for the widest SIMD set of the CPU at hand
//! (AVX-512 or AVX2+FMA where present). The crate itself targets the x86-64 baseline, where
//! these loops would vectorize only 4 f32 wide. Each loop sits directly in an
//! `#[inline(always)]` `with_simd`, so that it is compiled under those features; σ and σ′ are
//! chosen once per row ([`with_nonlinearity!`](crate::with_nonlinearity)), not per entry.
//! Results do not depend on the instruction set: every loop is elementwise or sums in a fixed
//! lane order.

use pulp::{Arch, Simd, WithSimd};

use crate::{Nonlinearity, Real};

/// Lanes of the readout sum: independent partial sums the compiler keeps in one vector.
pub(crate) const LANES: usize = 16;

/// z ← z + b, h ← σ(z) on rows of `bias.len()` entries.
pub fn activate<T: Real>(z: &mut [T], h: &mut [T], bias: &[T], sigma: Nonlinearity) {
    Arch::new().dispatch(Activate { z, h, bias, sigma });
}

struct Activate<'a, T> {
    z: &'a mut [T],
    h: &'a mut [T],
    bias: &'a [T],
    sigma: Nonlinearity,
}

impl<T: Real> WithSimd for Activate<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let Self { z, h, bias, sigma } = self;
        let width = bias.len();
        crate::with_nonlinearity!(sigma, T, |value, _slope| {
            for (z, h) in z.chunks_mut(width).zip(h.chunks_mut(width)) {
                for ((z, h), b) in z.iter_mut().zip(h.iter_mut()).zip(bias) {
                    *z += *b;
                    *h = value(*z);
                }
            }
        })
    }
}

/// z ← z + b on rows of `bias.len()` entries, writing Σ_r a_r σ(z_r) of row i to `sums[i]`
/// (summed in [`LANES`] interleaved partial sums, then those in order); returns how many of
/// the new z are > 0 (the active units, for the sparse path).
pub fn read_out<T: Real>(
    z: &mut [T],
    bias: &[T],
    a: &[T],
    sigma: Nonlinearity,
    sums: &mut [T],
) -> usize {
    Arch::new().dispatch(ReadOut {
        z,
        bias,
        a,
        sigma,
        sums,
    })
}

struct ReadOut<'a, T> {
    z: &'a mut [T],
    bias: &'a [T],
    a: &'a [T],
    sigma: Nonlinearity,
    sums: &'a mut [T],
}

impl<T: Real> WithSimd for ReadOut<'_, T> {
    type Output = usize;
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) -> usize {
        let Self {
            z,
            bias,
            a,
            sigma,
            sums,
        } = self;
        let mut active = [T::zero(); LANES];
        crate::with_nonlinearity!(sigma, T, |value, _slope| {
            for (z, sum) in z.chunks_mut(bias.len()).zip(sums.iter_mut()) {
                *sum = read_out_row(z, bias, a, &value, &mut active);
            }
        });
        active.iter().map(|c| c.as_f64() as usize).sum()
    }
}

/// One row of [`read_out`]; `active` counts the z > 0 per lane (exact: fewer than 2²⁴ per lane).
#[inline(always)]
pub(crate) fn read_out_row<T: Real>(
    z: &mut [T],
    bias: &[T],
    a: &[T],
    value: &impl Fn(T) -> T,
    active: &mut [T; LANES],
) -> T {
    let mut lanes = [T::zero(); LANES];
    let mut z_chunks = z.chunks_exact_mut(LANES);
    let mut bias_chunks = bias.chunks_exact(LANES);
    let mut a_chunks = a.chunks_exact(LANES);
    for ((z, b), a) in (&mut z_chunks).zip(&mut bias_chunks).zip(&mut a_chunks) {
        for k in 0..LANES {
            z[k] += b[k];
            lanes[k] += a[k] * value(z[k]);
            active[k] += if z[k] > T::zero() {
                T::one()
            } else {
                T::zero()
            };
        }
    }
    let rest = z_chunks.into_remainder().iter_mut();
    for (k, ((z, b), a)) in rest
        .zip(bias_chunks.remainder())
        .zip(a_chunks.remainder())
        .enumerate()
    {
        *z += *b;
        lanes[k] += *a * value(*z);
        active[k] += if *z > T::zero() { T::one() } else { T::zero() };
    }
    let mut total = T::zero();
    for lane in lanes {
        total += lane;
    }
    total
}

/// The last layer's backward pass on rows of `a.len()` entries, row i with coefficient
/// c_i: ∂a sums += c_i σ(z); with `want_delta` also δ = c_i a σ′(z) replaces z and is added to
/// the ∂b sums.
#[allow(clippy::too_many_arguments)]
pub fn backward<T: Real>(
    z: &mut [T],
    a: &[T],
    coefficients: &[T],
    output_sums: &mut [T],
    bias_sums: &mut [T],
    want_delta: bool,
    sigma: Nonlinearity,
) {
    Arch::new().dispatch(Backward {
        z,
        a,
        coefficients,
        output_sums,
        bias_sums,
        want_delta,
        sigma,
    });
}

struct Backward<'a, T> {
    z: &'a mut [T],
    a: &'a [T],
    coefficients: &'a [T],
    output_sums: &'a mut [T],
    bias_sums: &'a mut [T],
    want_delta: bool,
    sigma: Nonlinearity,
}

impl<T: Real> WithSimd for Backward<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let Self {
            z,
            a,
            coefficients,
            output_sums,
            bias_sums,
            want_delta,
            sigma,
        } = self;
        crate::with_nonlinearity!(sigma, T, |value, slope| {
            for (z, &coefficient) in z.chunks_mut(a.len()).zip(coefficients) {
                let sums = [&mut *output_sums, &mut *bias_sums];
                backward_row(z, a, coefficient, sums, want_delta, &value, &slope);
            }
        })
    }
}

/// One row of [`backward`] with coefficient c: ∂a sums += c σ(z); with `want_delta` also
/// δ = c a σ′(z) replaces z and is added to the ∂b sums. `sums` = [∂a sums, ∂b sums].
#[inline(always)]
pub(crate) fn backward_row<T: Real>(
    z: &mut [T],
    a: &[T],
    coefficient: T,
    [output_sums, bias_sums]: [&mut [T]; 2],
    want_delta: bool,
    value: &impl Fn(T) -> T,
    slope: &impl Fn(T) -> T,
) {
    if want_delta {
        let entries = z
            .iter_mut()
            .zip(a)
            .zip(output_sums.iter_mut())
            .zip(bias_sums.iter_mut());
        for (((z, a_r), output_sum), bias_sum) in entries {
            *output_sum += coefficient * value(*z);
            let delta = coefficient * *a_r * slope(*z);
            *bias_sum += delta;
            *z = delta;
        }
    } else {
        for (z, output_sum) in z.iter().zip(output_sums.iter_mut()) {
            *output_sum += coefficient * value(*z);
        }
    }
}

/// Δ below on rows of `sums.len()` entries: z ← p σ′(z) where p is the matching row of
/// c_l Δ_l W_l; sums += the new z.
pub fn delta_below<T: Real>(z: &mut [T], back: &[T], sums: &mut [T], sigma: Nonlinearity) {
    Arch::new().dispatch(DeltaBelow {
        z,
        back,
        sums,
        sigma,
    });
}

struct DeltaBelow<'a, T> {
    z: &'a mut [T],
    back: &'a [T],
    sums: &'a mut [T],
    sigma: Nonlinearity,
}

impl<T: Real> WithSimd for DeltaBelow<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let Self {
            z,
            back,
            sums,
            sigma,
        } = self;
        let width = sums.len();
        crate::with_nonlinearity!(sigma, T, |_value, slope| {
            for (z, back) in z.chunks_mut(width).zip(back.chunks(width)) {
                for ((z, p), sum) in z.iter_mut().zip(back).zip(sums.iter_mut()) {
                    *z = *p * slope(*z);
                    *sum += *z;
                }
            }
        })
    }
}

/// The closed-form kernel's pass on rows of `bias.len()` entries: z ← z + b, then (when
/// `slopes` is not empty) slopes ← σ′(z) a, then z ← σ(z).
pub fn kernel_factors<T: Real>(
    z: &mut [T],
    slopes: &mut [T],
    bias: &[T],
    a: &[T],
    sigma: Nonlinearity,
) {
    Arch::new().dispatch(KernelFactors {
        z,
        slopes,
        bias,
        a,
        sigma,
    });
}

struct KernelFactors<'a, T> {
    z: &'a mut [T],
    slopes: &'a mut [T],
    bias: &'a [T],
    a: &'a [T],
    sigma: Nonlinearity,
}

impl<T: Real> WithSimd for KernelFactors<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let Self {
            z,
            slopes,
            bias,
            a,
            sigma,
        } = self;
        let width = bias.len();
        crate::with_nonlinearity!(sigma, T, |value, slope| {
            for (row, z) in z.chunks_mut(width).enumerate() {
                for (z, b) in z.iter_mut().zip(bias) {
                    *z += *b;
                }
                if let Some(slopes) = slopes.get_mut(row * width..(row + 1) * width) {
                    for ((out, z), a_r) in slopes.iter_mut().zip(z.iter()).zip(a) {
                        *out = slope(*z) * *a_r;
                    }
                }
                for z in z.iter_mut() {
                    *z = value(*z);
                }
            }
        })
    }
}
