//! `ntk`: the NTK of the configured network at its initialisation (or at `--init` parameters,
//! on the config's data or given inputs), by up to three methods, with their agreement and
//! the spectrum. Each kernel is one call of [`overparam_trainer::ntk::ntk`].

mod inputs;
mod kernels;

use std::time::Instant;

use overparam_model::NamedArray;
use overparam_trainer::ntk::{ntk as kernel_of, NtkError, NtkMethod, NtkOptions};
use serde_json::json;

pub use inputs::read_inputs;
pub use kernels::{Kernel, NtkKernels, NtkSpectrum};

use crate::compute::Compute;
use crate::experiment::Experiment;
use crate::network::Init;

/// Which kernels to compute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NtkMethods {
    /// Burn autodiff per-sample gradients.
    pub jacobian: bool,
    /// The two-layer closed form (one hidden layer only: skipped for deeper networks).
    pub closed: bool,
    /// The infinite-width limit.
    pub analytic: bool,
}

/// What to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct NtkRequest {
    /// Backend and dtype.
    pub compute: Compute,
    /// The methods.
    pub methods: NtkMethods,
    /// Skip, with a note, a requested method that does not apply to the network (the closed
    /// form of a deep network, the analytic kernel of an unsupported one) rather than fail
    /// (`--method all`).
    pub skip_inapplicable: bool,
    /// The learning-rate-weighted kernel K_η = Σ_g η_g J_g J_gᵀ (rates from the config).
    pub lr_weighted: bool,
    /// Inputs `x` `[n, d]` instead of the config's data (see [`read_inputs`]).
    pub inputs: Option<NamedArray>,
    /// Initial parameters instead of the config's (`--init FILE`, or arrays).
    pub init: Option<Init>,
    /// Rows per backward pass of the Jacobian method (≥ 1).
    pub block_size: usize,
}

/// The kernels and the spectrum of one request.
#[derive(Clone, Debug)]
pub struct NtkRun {
    /// The kernels `[n, n]` by method.
    pub kernels: NtkKernels,
    /// The spectrum of the primary one.
    pub spectrum: NtkSpectrum,
}

/// The kernels and spectrum `request` asks for, as `overparam ntk` computes them.
pub fn ntk(experiment: &Experiment, request: &NtkRequest) -> anyhow::Result<NtkRun> {
    let kernels = ntk_kernels(experiment, request)?;
    let spectrum = kernels.spectrum()?;
    Ok(NtkRun { kernels, spectrum })
}

/// The kernels `request` asks for, each `[n, n]`; a method that does not apply is an error,
/// or with `skip_inapplicable` a note.
pub fn ntk_kernels(experiment: &Experiment, request: &NtkRequest) -> anyhow::Result<NtkKernels> {
    let started = Instant::now();
    let resolved = &experiment.resolved;
    let device = request.compute.device(&resolved.model)?;
    let (inputs, num_samples) = match &request.inputs {
        Some(x) => {
            inputs::check_inputs("inputs", x, resolved.model.input_dim)?;
            (x.values.clone(), x.shape[0])
        }
        None => {
            let dataset = experiment.dataset()?;
            (dataset.inputs, dataset.num_samples)
        }
    };
    let network = experiment.initial_network(&device, request.init.as_ref())?;
    let rates = request
        .lr_weighted
        .then_some(&resolved.train.learning_rates);
    let setup_seconds = started.elapsed().as_secs_f64();

    let block_size = request.block_size;
    let methods = [
        (
            "jacobian",
            request.methods.jacobian,
            NtkMethod::Jacobian { block_size },
        ),
        ("closed", request.methods.closed, NtkMethod::ClosedForm),
        ("analytic", request.methods.analytic, NtkMethod::Analytic),
    ];
    let mut kernels = Vec::new();
    let mut notes = serde_json::Map::new();
    for (name, wanted, method) in methods {
        if !wanted {
            continue;
        }
        let options = NtkOptions {
            method,
            on_host: request.compute.backend.is_cpu(),
        };
        let start = Instant::now();
        match kernel_of(&network, &inputs, &options).map(|ntk| ntk.kernel(rates)) {
            Ok(values) => kernels.push(Kernel {
                name,
                values,
                seconds: start.elapsed().as_secs_f64(),
            }),
            Err(reason @ (NtkError::ClosedFormDepth { .. } | NtkError::Analytic(_)))
                if request.skip_inapplicable =>
            {
                notes.insert(format!("{name}_skipped"), json!(reason.to_string()));
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(NtkKernels {
        device,
        num_samples,
        lr_weighted: request.lr_weighted,
        kernels,
        notes,
        setup_seconds,
    })
}
