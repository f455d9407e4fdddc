//! wgpu against flex in f64 (run with `--features wgpu` on a device with f64 shaders, such as
//! Mesa's software Vulkan driver; see `parity/mod.rs`).
//!
//! Bars, with u = 2⁻⁵³ ≈ 1.1e-16: the same reasoning as the f32 suite (~2000 u for a forward
//! pass, gradients and the NTK, ~2e4 u after 200 GD steps) gives 1e-12 and 1e-11.
#![cfg(feature = "wgpu")]

#[macro_use]
mod parity;

use overparam_runner::backend::DTypeKind;
use parity::Bars;

const BARS: Bars = Bars {
    forward: 1e-12,
    gradients: 1e-12,
    training: 1e-11,
    ntk: 1e-12,
};

parity_tests!(DTypeKind::F64, BARS);
