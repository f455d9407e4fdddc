//! wgpu against flex in f32 (run with `--features wgpu`; see `parity/mod.rs`).
//!
//! Bars, with u = 2⁻²⁴ ≈ 6e-8 the f32 unit roundoff: a sum of k terms computed in another order
//! differs by at most ~k·u of the sum of |terms| (typically √k·u). The forward pass sums
//! d + m ≤ 72 terms per output, and an output can be a tenth of its |terms|: 72·u·10 ≈ 4e-5 in
//! the worst case, bar 1e-4 (i.e. ~2000 u). Gradients add the sum over n = 32 samples: bar 1e-4.
//! 200 GD steps compound per-step differences of ~1e-6 in a contracting iteration (loss falling
//! by orders of magnitude); the loss ratio near convergence is the most sensitive: bar 1e-3. The
//! NTK is a sum of products over m = 64 units: bar 1e-4 (its spectrum on the λ_max scale).
//! Measured on Mesa lavapipe (LLVM 15): forward ≤ 2.7e-7, gradients ≤ 3.5e-7, NTK ≤ 1.0e-7,
//! 200 steps ≤ 8.4e-7 (loss ratio); f64: ≤ 8.3e-16 everywhere, softplus refused (see mod.rs).
#![cfg(feature = "wgpu")]

#[macro_use]
mod parity;

use overparam_runner::backend::DTypeKind;
use parity::Bars;

const BARS: Bars = Bars {
    forward: 1e-4,
    gradients: 1e-4,
    training: 1e-3,
    ntk: 1e-4,
};

parity_tests!(DTypeKind::F32, BARS);
