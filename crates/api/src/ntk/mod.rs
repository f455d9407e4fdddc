//! `ntk`: the NTK of the configured network at its initialisation (or at `--init` parameters,
//! on the config's data or given inputs), by up to three methods, with their agreement and
//! the spectrum. Each kernel is one call of [`overparam_trainer::ntk::ntk`].

mod inputs;
mod kernels;
mod nngp;
mod points;
pub mod predict;

use std::time::Instant;

use overparam_model::NamedArray;
use overparam_trainer::ntk::{JointNtk, NtkError, NtkMethod, NtkOptions, SpectrumMethod};
use serde_json::json;

pub use inputs::read_inputs;
pub use kernels::{Kernel, NtkKernels, NtkSpectrum};
pub use points::{GivenPoints, KernelPoints};
pub use predict::Prediction;

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

impl NtkMethods {
    /// (name, method) of each kernel to compute, in the order jacobian, closed, analytic; for
    /// the NNGP kernel the Jacobian and closed-form choices both mean the one `empirical`
    /// kernel (the ensemble's outputs do not depend on how gradients would be taken).
    fn chosen(self, kind: KernelKind, block_size: usize) -> Vec<(&'static str, NtkMethod)> {
        let jacobian = NtkMethod::Jacobian { block_size };
        let all = match kind {
            KernelKind::Ntk => vec![
                ("jacobian", self.jacobian, jacobian),
                ("closed", self.closed, NtkMethod::ClosedForm),
                ("analytic", self.analytic, NtkMethod::Analytic),
            ],
            KernelKind::Nngp { .. } => vec![
                ("empirical", self.jacobian || self.closed, jacobian),
                ("analytic", self.analytic, NtkMethod::Analytic),
            ],
        };
        all.into_iter()
            .filter(|(_, wanted, _)| *wanted)
            .map(|(name, _, method)| (name, method))
            .collect()
    }
}

/// Which kernel: the NTK, or the NNGP kernel E_θ0[f(x) f(x′)] (the covariance of the
/// initial network's outputs over initializations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelKind {
    /// The neural tangent kernel Σ_p ∂f(x)/∂θ_p ∂f(x′)/∂θ_p.
    Ntk,
    /// The NNGP kernel: empirically the mean of f(X) f(X)ᵀ over `ensemble` initial networks
    /// (seeds `seed`, `seed + 1`, …; the Jacobian and closed-form methods both mean this),
    /// analytically its infinite-width limit.
    Nngp {
        /// Number of initial networks averaged (≥ 1).
        ensemble: usize,
    },
}

impl KernelKind {
    /// `ntk` or `nngp`: the prefix of the kernel files.
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Ntk => "ntk",
            KernelKind::Nngp { .. } => "nngp",
        }
    }
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
    /// With `inputs`: held-out inputs and the targets, in place of the config's.
    pub given: GivenPoints,
    /// Initial parameters instead of the config's (`--init FILE`, or arrays).
    pub init: Option<Init>,
    /// Rows per backward pass of the Jacobian method (≥ 1).
    pub block_size: usize,
    /// The NTK or the NNGP kernel.
    pub kernel: KernelKind,
    /// `Some(ρ)`: the kernel-regression predictions on the held-out points with ridge ρ ≥ 0
    /// (see [`predict`]); the config's held-out points unless given. Cross kernels
    /// K(X_test, X) come with held-out points.
    pub ridge: Option<f64>,
}

/// The kernels and the spectrum of one request.
#[derive(Clone, Debug)]
pub struct NtkRun {
    /// The kernels `[n, n]` by method.
    pub kernels: NtkKernels,
    /// The spectrum of the primary one.
    pub spectrum: NtkSpectrum,
}

/// The kernels and spectrum `request` asks for, as `overparam ntk` computes them (all
/// eigenvalues up to n = 4096, the Krylov extremes above; [`NtkKernels::spectrum`] chooses).
pub fn ntk(experiment: &Experiment, request: &NtkRequest) -> anyhow::Result<NtkRun> {
    let mut kernels = ntk_kernels(experiment, request)?;
    let spectrum = kernels.spectrum(SpectrumMethod::Auto { count: 1 })?;
    Ok(NtkRun { kernels, spectrum })
}

/// The kernels `request` asks for, each `[n, n]` (with `ridge`, also `[n_test, n]` cross
/// kernels and the predictions); a method that does not apply is an error, or with
/// `skip_inapplicable` a note.
pub fn ntk_kernels(experiment: &Experiment, request: &NtkRequest) -> anyhow::Result<NtkKernels> {
    let started = Instant::now();
    let resolved = &experiment.resolved;
    let device = request.compute.device(&resolved.model)?;
    if matches!(request.kernel, KernelKind::Nngp { .. }) {
        anyhow::ensure!(
            !request.lr_weighted,
            "the NNGP kernel has no parameter groups to weigh: drop the learning-rate weighting"
        );
        anyhow::ensure!(
            request.init.is_none(),
            "the NNGP kernel averages over initializations: given initial parameters are one network"
        );
    }
    let points = KernelPoints::of(experiment, request)?;
    let network = experiment.initial_network(&device, request.init.as_ref())?;
    let rates = request
        .lr_weighted
        .then_some(&resolved.train.learning_rates);
    let setup_seconds = started.elapsed().as_secs_f64();

    let mut kernels = Vec::new();
    let mut notes = serde_json::Map::new();
    for (name, method) in request.methods.chosen(request.kernel, request.block_size) {
        let options = NtkOptions {
            method,
            on_host: request.compute.backend.is_cpu(),
        };
        let start = Instant::now();
        let computed = match request.kernel {
            KernelKind::Ntk => JointNtk::new(&network, &points.train, &points.test, &options)
                .map(|joint| joint.blocks(rates)),
            KernelKind::Nngp { ensemble } => {
                nngp::blocks(experiment, &device, method, &points, ensemble)?
            }
        };
        match computed {
            Ok(blocks) => kernels.push(Kernel {
                name,
                values: blocks.train,
                cross: (points.num_test > 0).then_some(blocks.cross),
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
    let predictions = match request.ridge {
        Some(ridge) => Some(predict::predictions(
            &kernels,
            &points,
            &network,
            request.kernel,
            ridge,
        )?),
        None => None,
    };
    Ok(NtkKernels {
        device,
        num_samples: points.num_samples,
        lr_weighted: request.lr_weighted,
        kind: request.kernel,
        kernels,
        notes,
        setup_seconds,
        predictions,
    })
}
