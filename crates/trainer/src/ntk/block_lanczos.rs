//! Block Lanczos with full reorthogonalization for the largest eigenvalues of a symmetric
//! operator A (the kernel K, or its inverse through a Cholesky factor).
//!
//! Each step applies A to a block of p vectors at once: one pass over K, or two triangular
//! solves with p right-hand sides, which run at matrix-product speed where p single-vector
//! applications would each be bound by memory bandwidth (~16× cheaper per vector at p = 16).
//! Krylov space after j steps: span{Q_1, …, Q_j}, Q_{i+1} B_i = A Q_i − Q_i A_i − Q_{i−1} B_{i−1}ᵀ
//! (then reorthogonalized against every earlier block, twice); the projection T = Qᵀ A Q is
//! block tridiagonal, and a Ritz pair (θ, Q y) has residual ‖A Q y − θ Q y‖ = ‖B_j y_last‖,
//! with y_last the last p entries of y.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::matrix_free::LinOp;
use faer::{Mat, MatRef, Par, Side};
use rand::SeedableRng as _;
use rand_distr::{Distribution, StandardNormal};

/// Vectors per block.
const BLOCK: usize = 16;
/// A pivot of R below this fraction of the operator's scale marks a deflated direction.
const BREAKDOWN: f64 = 1e-12;
/// The Krylov basis is capped at this many vectors (at n = 32768, 2048 vectors are 512 MiB).
const MAX_BASIS: usize = 2048;

/// Unit Ritz vectors `[n, count]` of the `count` largest eigenvalues (largest first) of the
/// symmetric positive semi-definite `operator`, each
/// converged when its residual is at most `relative_tolerance` × θ_1 (θ_1 ≤ ‖A‖, the largest
/// Ritz value), or the best found when the basis reaches [`MAX_BASIS`] or n.
pub(super) fn largest_eigenvectors(
    operator: &dyn LinOp<f64>,
    count: usize,
    relative_tolerance: f64,
) -> Mat<f64> {
    let n = operator.nrows();
    let block = BLOCK.max(count).min(n);
    let mut memory = MemBuffer::new(operator.apply_scratch(block, Par::Seq));
    let mut basis: Vec<Mat<f64>> = vec![orthonormal(&start_block(n, block)).0];
    let mut diagonal: Vec<Mat<f64>> = Vec::new(); // A_i = Q_iᵀ A Q_i
    let mut below: Vec<Mat<f64>> = Vec::new(); // B_i
    loop {
        let current = basis.last().expect("at least one block");
        let mut next = Mat::<f64>::zeros(n, block);
        operator.apply(
            next.as_mut(),
            current.as_ref(),
            Par::Seq,
            MemStack::new(&mut memory),
        );
        let projected = current.transpose() * &next;
        diagonal.push(projected);
        // Full reorthogonalization against every block, twice ("twice is enough").
        for _ in 0..2 {
            for q in &basis {
                let overlap = q.transpose() * &next;
                next -= q * &overlap;
            }
        }
        let (mut q_next, mut r) = orthonormal(&next);
        let steps = basis.len();
        let scale = diagonal.iter().map(|a| a.norm_max()).fold(0.0, f64::max);
        replace_deflated(&mut q_next, &mut r, &basis, BREAKDOWN * scale, steps);
        let exhausted = (steps + 1) * block > MAX_BASIS.min(n);
        // The projection's eigenproblem grows with the basis (O((16 j)³) at step j, more than
        // the step itself beyond a few hundred vectors): look at steps 1–4, then every 4th.
        if steps > 4 && steps % 4 != 0 && !exhausted {
            below.push(r);
            basis.push(q_next);
            continue;
        }
        let ritz = ritz_pairs(&diagonal, &below, &r);
        let wanted = count.min(ritz.0.len());
        let tolerance = relative_tolerance * ritz.0[0].abs();
        let converged = ritz.1[..wanted].iter().all(|&res| res <= tolerance);
        if converged || exhausted {
            return combine(&basis, ritz.2.subcols(0, wanted));
        }
        below.push(r);
        basis.push(q_next);
    }
}

/// Where a pivot of R is at most `threshold` the basis has found an invariant direction (to
/// rounding) and that column of Q is noise, not orthogonal to the basis: it is replaced by a
/// fresh random vector orthogonalized against the basis and the rest of Q, and its row of R
/// set to 0 (A Q_j = … + Q_{j+1} R then holds to `threshold`).
fn replace_deflated(
    q: &mut Mat<f64>,
    r: &mut Mat<f64>,
    basis: &[Mat<f64>],
    threshold: f64,
    step: usize,
) {
    let (n, p) = (q.nrows(), q.ncols());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(step as u64);
    for i in 0..p {
        if r[(i, i)].abs() > threshold {
            continue;
        }
        for j in i..p {
            r[(i, j)] = 0.0;
        }
        let mut v = Mat::<f64>::from_fn(n, 1, |_, _| StandardNormal.sample(&mut rng));
        for _ in 0..2 {
            for block in basis {
                let overlap = block.transpose() * &v;
                v -= block * &overlap;
            }
            for j in (0..p).filter(|&j| j != i) {
                let overlap = q.col(j).transpose() * v.col(0);
                v -= q.subcols(j, 1) * faer::Scale(overlap);
            }
        }
        let norm = v.col(0).norm_l2();
        q.col_mut(i).copy_from(v.col(0) / faer::Scale(norm));
    }
}

/// Eigenpairs of the block tridiagonal T (diagonal blocks A_i, subdiagonal blocks B_i), the
/// largest first: (θ, residual bounds ‖B_last y_last‖, y as columns).
fn ritz_pairs(
    diagonal: &[Mat<f64>],
    below: &[Mat<f64>],
    last: &Mat<f64>,
) -> (Vec<f64>, Vec<f64>, Mat<f64>) {
    let p = diagonal[0].nrows();
    let size = diagonal.len() * p;
    let mut t = Mat::<f64>::zeros(size, size);
    for (i, a) in diagonal.iter().enumerate() {
        t.as_mut().submatrix_mut(i * p, i * p, p, p).copy_from(a);
    }
    for (i, b) in below.iter().enumerate() {
        t.as_mut()
            .submatrix_mut((i + 1) * p, i * p, p, p)
            .copy_from(b);
        t.as_mut()
            .submatrix_mut(i * p, (i + 1) * p, p, p)
            .copy_from(b.transpose());
    }
    let eigen = t
        .self_adjoint_eigen(Side::Lower)
        .expect("a small symmetric eigenproblem converges");
    let (values, vectors) = (eigen.S().column_vector(), eigen.U());
    let order: Vec<usize> = (0..size).rev().collect();
    let mut coefficients = Mat::<f64>::zeros(size, size);
    let mut thetas = Vec::with_capacity(size);
    let mut residuals = Vec::with_capacity(size);
    for (k, &j) in order.iter().enumerate() {
        coefficients.col_mut(k).copy_from(vectors.col(j));
        thetas.push(values[j]);
        let tail = vectors.col(j).subrows(size - p, p);
        residuals.push((last * tail).norm_l2());
    }
    (thetas, residuals, coefficients)
}

/// Q y for the basis blocks Q = [Q_1 … Q_j] and coefficients y `[j p, k]`.
fn combine(basis: &[Mat<f64>], coefficients: MatRef<'_, f64>) -> Mat<f64> {
    let (n, p) = (basis[0].nrows(), basis[0].ncols());
    let mut out = Mat::<f64>::zeros(n, coefficients.ncols());
    for (i, q) in basis.iter().enumerate() {
        out += q * coefficients.subrows(i * p, p);
    }
    out
}

/// Q, R with W = Q R, Q `[n, p]` orthonormal, R `[p, p]` upper triangular.
fn orthonormal(w: &Mat<f64>) -> (Mat<f64>, Mat<f64>) {
    let qr = w.qr();
    (qr.compute_thin_Q(), qr.thin_R().to_owned())
}

/// The first block: fixed Gaussian vectors, so that results repeat run to run.
fn start_block(n: usize, p: usize) -> Mat<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x4b72_796c_6f76);
    Mat::<f64>::from_fn(n, p, |_, _| StandardNormal.sample(&mut rng))
}
