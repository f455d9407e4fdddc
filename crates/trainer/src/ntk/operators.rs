//! The kernel as a linear operator for faer's Krylov–Schur eigensolver: the full symmetric
//! `[n, n]` matrix (row-major; read column-major it is the same matrix), and the inverse
//! through a Cholesky factor.

use faer::dyn_stack::{MemStack, StackReq};
use faer::linalg::cholesky::llt::solve::solve_in_place;
use faer::linalg::matmul::matmul;
use faer::matrix_free::LinOp;
use faer::{Accum, MatMut, MatRef, Par};

/// K v for a full symmetric `[n, n]` matrix.
#[derive(Debug)]
pub(super) struct FullSymmetric<'a> {
    /// K, row-major.
    pub matrix: MatRef<'a, f64>,
}

/// (K + τI)⁻¹ v through its Cholesky factor L (K + τI = L Lᵀ), L the lower triangle of a
/// column-major `[n, n]` view.
#[derive(Debug)]
pub(super) struct CholeskyInverse<'a> {
    /// L in its lower triangle.
    pub factor: MatRef<'a, f64>,
}

/// Sequential below this many matrix entries (threads cost more than they save).
const PARALLEL_MIN_ENTRIES: usize = 1 << 18;

/// Threads for work on an `[n, n]` matrix: faer's rayon pool from [`PARALLEL_MIN_ENTRIES`].
pub(super) fn parallelism(n: usize) -> Par {
    if n * n >= PARALLEL_MIN_ENTRIES && rayon::current_num_threads() > 1 {
        Par::rayon(0)
    } else {
        Par::Seq
    }
}

impl LinOp<f64> for FullSymmetric<'_> {
    fn apply_scratch(&self, _rhs_ncols: usize, _par: Par) -> StackReq {
        StackReq::EMPTY
    }
    fn nrows(&self) -> usize {
        self.matrix.nrows()
    }
    fn ncols(&self) -> usize {
        self.matrix.ncols()
    }
    fn apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, _: Par, _: &mut MemStack) {
        let par = parallelism(self.matrix.nrows());
        matmul(out, Accum::Replace, self.matrix, rhs, 1.0, par);
    }
    fn conj_apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par, s: &mut MemStack) {
        self.apply(out, rhs, par, s);
    }
}

impl LinOp<f64> for CholeskyInverse<'_> {
    fn apply_scratch(&self, _rhs_ncols: usize, _par: Par) -> StackReq {
        StackReq::EMPTY
    }
    fn nrows(&self) -> usize {
        self.factor.nrows()
    }
    fn ncols(&self) -> usize {
        self.factor.ncols()
    }
    fn apply(&self, mut out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, _: Par, s: &mut MemStack) {
        out.copy_from(rhs);
        let par = parallelism(self.factor.nrows());
        solve_in_place(self.factor, out, par, s);
    }
    fn conj_apply(&self, out: MatMut<'_, f64>, rhs: MatRef<'_, f64>, par: Par, s: &mut MemStack) {
        self.apply(out, rhs, par, s);
    }
}
