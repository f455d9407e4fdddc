//! λ_min and λ_max of a kernel (or its k smallest and k largest eigenvalues) without the full
//! eigendecomposition: block Lanczos (`block_lanczos`) on K for the largest, and on
//! (K + τI)⁻¹ through an in-place Cholesky factorization for the smallest (shift-invert: the
//! bottom of an NTK's spectrum is a cluster relative to λ_max, λ_65/λ_1 ≈ 1.1 at n = 2048,
//! but not relative to λ_min, so K⁻¹ separates what K cannot).
//!
//! Cost for `[n, n]`: n³/3 multiply-adds for the factorization, then two triangular solves
//! with 16 right-hand sides per step, against ~9n³ for the full decomposition. Memory: the kernel itself,
//! factorized in place and restored from its lower triangle set aside meanwhile (in a
//! temporary file when large, see `lower_copy`), and `[n, 64]` Krylov vectors.
//!
//! Every value comes with its residual ‖K u − θ u‖ for the unit vector u it was computed
//! from: K has an eigenvalue within that distance of θ (for symmetric K), whatever the
//! iteration did.

use std::sync::atomic::{AtomicUsize, Ordering};

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt::factor::{
    cholesky_in_place, cholesky_in_place_scratch, LltRegularization,
};
use faer::matrix_free::LinOp;
use faer::{Mat, MatMut, MatRef, Par};

use super::block_lanczos::largest_eigenvectors;
use super::lower_copy::LowerTriangleCopy;
use super::operators::{parallelism, CholeskyInverse, FullSymmetric};
use super::spectrum::check_finite;
use super::{Eigendecomposition, SpectrumError};

/// An eigenvalue estimate θ (a Rayleigh quotient uᵀKu, ‖u‖ = 1) and its residual
/// ‖K u − θ u‖: K has an eigenvalue in [θ − residual, θ + residual].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RitzValue {
    /// θ.
    pub value: f64,
    /// ‖K u − θ u‖₂.
    pub residual: f64,
}

/// The extreme eigenvalues of a symmetric positive semi-definite kernel.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtremeEigenvalues {
    /// The smallest ones, ascending (λ_min first).
    pub smallest: Vec<RitzValue>,
    /// The largest ones, descending (λ_max first).
    pub largest: Vec<RitzValue>,
    /// τ ≥ 0 added to the diagonal for the factorization to succeed (0 when K is positive
    /// definite to working precision; the values are K's own, τ taken off again).
    pub shift: f64,
    /// Products K v and solves (K + τI)⁻¹ v taken, Cholesky factorization not counted.
    pub operator_applications: usize,
}

impl ExtremeEigenvalues {
    /// λ_min(K).
    pub fn lambda_min(&self) -> f64 {
        self.smallest.first().map_or(f64::NAN, |r| r.value)
    }

    /// λ_max(K).
    pub fn lambda_max(&self) -> f64 {
        self.largest.first().map_or(f64::NAN, |r| r.value)
    }

    /// κ = λ_max/λ_min, or `None` when λ_min ≤ 0.
    pub fn condition_number(&self) -> Option<f64> {
        let lambda_min = self.lambda_min();
        (lambda_min > 0.0).then(|| self.lambda_max() / lambda_min)
    }
}

/// A pair is converged when its residual is below this fraction of the operator's largest
/// Ritz value (λ_max for K, 1/λ_min for the inverse). The value's own error is about the
/// residual squared over the gap to the next eigenvalue, far below the reported bound.
const RELATIVE_TOLERANCE: f64 = 1e-8;

/// Up to this size the full decomposition is as cheap as the iteration's first blocks.
const SMALL_KERNEL: usize = 256;

/// The `count` smallest and `count` largest eigenvalues of the symmetric `[n, n]` `kernel`
/// (row-major; positive semi-definite, as every NTK and NNGP kernel), each with its residual.
///
/// `kernel` is factorized in place and restored bit for bit before returning (also when the
/// iteration fails), so the peak memory is the kernel plus its lower triangle (on disk above
/// 512 MiB) plus O(n · 64). Non-finite entries are an error naming the
/// first one; a kernel that is not positive semi-definite beyond rounding still gets values
/// (τ grows until the factorization succeeds), with residuals that say how good they are.
pub fn extreme_eigenvalues(
    kernel: &mut [f64],
    n: usize,
    count: usize,
) -> Result<ExtremeEigenvalues, SpectrumError> {
    check_finite(kernel, n)?;
    let count = count.clamp(1, n.max(1));
    if n == 0 {
        return Ok(ExtremeEigenvalues {
            smallest: Vec::new(),
            largest: Vec::new(),
            shift: 0.0,
            operator_applications: 0,
        });
    }
    if n <= SMALL_KERNEL.max(4 * count) {
        return small_kernel_extremes(kernel, n, count);
    }
    let diagonal: Vec<f64> = (0..n).map(|i| kernel[i * n + i]).collect();
    let applications = AtomicUsize::new(0);

    let full = Counted::new(
        FullSymmetric {
            matrix: MatRef::from_row_major_slice(kernel, n, n),
        },
        &applications,
    );
    let vectors = largest_eigenvectors(&full, count, RELATIVE_TOLERANCE);
    let mut largest = rayleigh_refined(&full, vectors.as_ref());
    largest.sort_by(|a, b| b.value.total_cmp(&a.value));

    let mut lower = LowerTriangleCopy::save(kernel, n).map_err(scratch)?;
    let smallest = smallest_pairs(kernel, n, &diagonal, &mut lower, count, &applications);
    lower.restore(kernel, &diagonal).map_err(scratch)?;
    let (smallest, shift) = smallest?;
    Ok(ExtremeEigenvalues {
        smallest,
        largest,
        shift,
        operator_applications: applications.load(Ordering::Relaxed),
    })
}

/// The smallest pairs by shift-invert: Cholesky of K + τI in place (τ = 0 first, then growing
/// until it succeeds), Krylov–Schur on its inverse, Rayleigh quotients and residuals in K
/// itself (from `lower` and `diagonal`). Leaves `kernel` overwritten by the factor.
fn smallest_pairs(
    kernel: &mut [f64],
    n: usize,
    diagonal: &[f64],
    lower: &mut LowerTriangleCopy,
    count: usize,
    applications: &AtomicUsize,
) -> Result<(Vec<RitzValue>, f64), SpectrumError> {
    let trace: f64 = diagonal.iter().sum::<f64>().abs().max(f64::MIN_POSITIVE);
    let par = parallelism(n);
    let mut memory = MemBuffer::new(cholesky_in_place_scratch::<f64>(n, par, Default::default()));
    let mut shift = 0.0;
    loop {
        for (i, &k_ii) in diagonal.iter().enumerate() {
            kernel[i * n + i] = k_ii + shift;
        }
        let factorized = cholesky_in_place(
            MatMut::from_column_major_slice_mut(kernel, n, n),
            LltRegularization::default(),
            par,
            MemStack::new(&mut memory),
            Default::default(),
        );
        if factorized.is_ok() {
            break;
        }
        if shift >= trace {
            return Err(SpectrumError::NotConverged { end: "smallest" });
        }
        // The failed factorization overwrote K: bring it back and shift further.
        lower.restore(kernel, diagonal).map_err(scratch)?;
        shift = if shift == 0.0 {
            trace * 1e-15
        } else {
            shift * 100.0
        };
    }
    let inverse = Counted::new(
        CholeskyInverse {
            factor: MatRef::from_column_major_slice(kernel, n, n),
        },
        applications,
    );
    let vectors = largest_eigenvectors(&inverse, count, RELATIVE_TOLERANCE);
    let k = vectors.ncols();
    let packed: Vec<f64> = (0..k)
        .flat_map(|j| vectors.col(j).iter().copied())
        .collect();
    let mut product = vec![0.0; n * k];
    lower
        .multiply_add(diagonal, &packed, &mut product, k)
        .map_err(scratch)?;
    applications.fetch_add(k, Ordering::Relaxed);
    let product = MatRef::from_column_major_slice(&product, n, k);
    let mut smallest = ritz_values(vectors.as_ref(), product);
    smallest.sort_by(|a, b| a.value.total_cmp(&b.value));
    Ok((smallest, shift))
}

/// The extremes of a kernel no larger than the Krylov subspace, from its full decomposition
/// (residuals computed the same way, for the same meaning).
fn small_kernel_extremes(
    kernel: &[f64],
    n: usize,
    count: usize,
) -> Result<ExtremeEigenvalues, SpectrumError> {
    let eigen = Eigendecomposition::of(kernel, n)?;
    let full = FullSymmetric {
        matrix: MatRef::from_row_major_slice(kernel, n, n),
    };
    let mut smallest = rayleigh_refined(&full, eigen.vectors.subcols(0, count));
    let mut largest = rayleigh_refined(&full, eigen.vectors.subcols(n - count, count));
    smallest.sort_by(|a, b| a.value.total_cmp(&b.value));
    largest.sort_by(|a, b| b.value.total_cmp(&a.value));
    Ok(ExtremeEigenvalues {
        smallest,
        largest,
        shift: 0.0,
        operator_applications: 2 * count,
    })
}

/// [`ritz_values`] with K u computed by `kernel`.
fn rayleigh_refined(kernel: &dyn LinOp<f64>, vectors: MatRef<'_, f64>) -> Vec<RitzValue> {
    let (n, k) = (vectors.nrows(), vectors.ncols());
    let mut product = Mat::<f64>::zeros(n, k);
    let mut memory = MemBuffer::new(kernel.apply_scratch(k, Par::Seq));
    kernel.apply(
        product.as_mut(),
        vectors,
        Par::Seq,
        MemStack::new(&mut memory),
    );
    ritz_values(vectors, product.as_ref())
}

/// For each column u of `vectors` and K u in `product`: θ = uᵀKu/uᵀu and ‖K u − θ u‖/‖u‖
/// (the iteration's own values are superseded: for the inverse they are 1/(λ + τ)).
fn ritz_values(vectors: MatRef<'_, f64>, product: MatRef<'_, f64>) -> Vec<RitzValue> {
    (0..vectors.ncols())
        .map(|j| {
            let (u, ku) = (vectors.col(j), product.col(j));
            let norm_squared = u.squared_norm_l2();
            let value = (u.transpose() * ku) / norm_squared;
            let residual = (ku - u * faer::Scale(value)).norm_l2() / norm_squared.sqrt();
            RitzValue { value, residual }
        })
        .collect()
}

/// Setting the lower triangle aside, or reading it back, failed.
fn scratch(error: std::io::Error) -> SpectrumError {
    SpectrumError::Scratch(error.to_string())
}

/// An operator that counts its applications (one per column).
#[derive(Debug)]
struct Counted<'a, Op> {
    operator: Op,
    applications: &'a AtomicUsize,
}

impl<'a, Op> Counted<'a, Op> {
    fn new(operator: Op, applications: &'a AtomicUsize) -> Self {
        Self {
            operator,
            applications,
        }
    }
}

impl<Op: LinOp<f64>> LinOp<f64> for Counted<'_, Op> {
    fn apply_scratch(&self, rhs_ncols: usize, par: Par) -> StackReq {
        self.operator.apply_scratch(rhs_ncols, par)
    }
    fn nrows(&self) -> usize {
        self.operator.nrows()
    }
    fn ncols(&self) -> usize {
        self.operator.ncols()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par, s: &mut MemStack) {
        self.applications.fetch_add(rhs.ncols(), Ordering::Relaxed);
        self.operator.apply(out, rhs, par, s);
    }
    fn conj_apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par, s: &mut MemStack) {
        self.apply(out, rhs, par, s);
    }
}
