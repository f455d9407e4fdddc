//! `gradcheck`: the loss gradient of the configured network three ways in f64 (autodiff, the
//! hand-derived fused host backward pass, central finite differences), per tensor.

use burn::tensor::Device;
use overparam_trainer::{fused_gradients, gradient_check, TensorCheck};

use crate::backend::{BackendKind, DTypeKind};
use crate::compute::Compute;
use crate::experiment::Experiment;
use crate::network::{refuse_frozen_network, Init};

/// Checks the gradient of `experiment`'s network (at `init`, or the config's initial
/// parameters) on `backend` in f64, finite differences on at most `max_entries` entries per
/// tensor: one [`TensorCheck`] per trained tensor. A network with every tensor frozen is an
/// error.
pub fn gradcheck(
    experiment: &Experiment,
    backend: BackendKind,
    init: Option<&Init>,
    max_entries: usize,
) -> anyhow::Result<Vec<TensorCheck>> {
    refuse_frozen_network(&experiment.resolved.model, "check")?;
    let compute = Compute {
        backend,
        dtype: DTypeKind::F64,
    };
    let device = compute
        .device(&experiment.resolved.model)?
        .without_autodiff();
    gradcheck_on(experiment, &device, init, max_entries)
}

/// [`gradcheck`] on `device` (an f64 device without autodiff, as [`gradcheck`] opens it).
pub fn gradcheck_on(
    experiment: &Experiment,
    device: &Device,
    init: Option<&Init>,
    max_entries: usize,
) -> anyhow::Result<Vec<TensorCheck>> {
    let dataset = experiment.dataset()?;
    let network = experiment.initial_network(device, init)?;
    Ok(gradient_check(
        &network,
        &dataset,
        max_entries,
        fused_gradients,
    ))
}
