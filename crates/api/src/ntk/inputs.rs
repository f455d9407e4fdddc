//! Inputs of the kernel other than the config's data (`ntk --data FILE.npz`).

use std::path::Path;

use anyhow::bail;
use overparam_model::NamedArray;
use overparam_trainer::data::check_finite;
use overparam_trainer::read_npz_arrays;

/// `x` `[n, d]` from the `.npz` at `path`, checked for shape (d must be `input_dim`, the
/// config's) and finiteness.
pub fn read_inputs(path: &Path, input_dim: usize) -> anyhow::Result<NamedArray> {
    let x = read_npz_arrays(path, &["x"])?.remove(0);
    check_inputs(&path.display().to_string(), &x, input_dim)?;
    Ok(x)
}

/// Checks that `x` (from `place`) is `[n, input_dim]` and finite.
pub(super) fn check_inputs(place: &str, x: &NamedArray, input_dim: usize) -> anyhow::Result<()> {
    if x.shape.len() != 2 || x.shape[1] != input_dim {
        bail!(
            "{place}: array `x` has shape {:?}, expected [n, {input_dim}] (data.d = {input_dim})",
            x.shape
        );
    }
    check_finite(place, x)?;
    Ok(())
}
