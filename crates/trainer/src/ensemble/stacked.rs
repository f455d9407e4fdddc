//! The stacked engine of [`train_ensemble`](super::train_ensemble) in the device's float
//! type, and each seed's view of it as a [`Step`].

use burn::tensor::{DType, Tensor};
use overparam_cpu::{EnsembleWorkspace, HostEnsemble, NonFiniteEntry, Real};
use overparam_model::{host_named_arrays, host_values_as, Mlp, NamedArray, ParameterId};

use crate::divergence::{first_divergence, Divergence};
use crate::optimizer::SquaredGradientNorms;
use crate::resume::BatchOrderState;
use crate::step::Step;
use crate::train::TrainSpec;
use crate::TrainerError;

/// The S networks stacked on the host, with the shared data and the buffers.
struct StackedRun<T> {
    ensemble: HostEnsemble<T>,
    work: EnsembleWorkspace<T>,
    /// X `[n, d]`.
    inputs: Vec<T>,
    /// y `[n]`.
    targets: Vec<T>,
}

enum Precision {
    F32(StackedRun<f32>),
    F64(StackedRun<f64>),
}

/// Calls `$body` with `$run` bound to the [`StackedRun`] of either float type.
macro_rules! each_run {
    ($state:expr, |$run:ident| $body:expr) => {
        match $state {
            Precision::F32($run) => $body,
            Precision::F64($run) => $body,
        }
    };
}

/// θ_s of every seed on the host, stepped together.
pub(super) struct Stacked {
    state: Precision,
    /// (η_W, η_b, η_a).
    rates: [f64; 3],
}

impl<T: Real> StackedRun<T> {
    fn new(
        networks: &[SeedNetwork],
        inputs: &Tensor<2>,
        targets: &Tensor<1>,
    ) -> Result<Self, TrainerError> {
        let hosts: Vec<_> = networks.iter().map(|n| n.network.to_host::<T>()).collect();
        let ensemble = HostEnsemble::stack(&hosts)
            .map_err(|error| TrainerError::NotStackable(error.to_string()))?;
        Ok(Self {
            work: ensemble.workspace(targets.dims()[0]),
            ensemble,
            inputs: host_values_as(inputs.clone().inner()),
            targets: host_values_as(targets.clone().inner()),
        })
    }

    fn shape(&self) -> [usize; 2] {
        [self.ensemble.width(), self.ensemble.fan_in()]
    }
}

impl Stacked {
    /// Copies the `networks` (one hidden layer each, alike), the shared `inputs` `[n, d]` and
    /// `targets` `[n]` to the host in the device's float type, to descend with `spec`'s rates.
    pub(super) fn new(
        networks: &[SeedNetwork],
        inputs: &Tensor<2>,
        targets: &Tensor<1>,
        spec: &TrainSpec,
    ) -> Result<Self, TrainerError> {
        let state = match inputs.dtype() {
            DType::F64 => Precision::F64(StackedRun::new(networks, inputs, targets)?),
            _ => Precision::F32(StackedRun::new(networks, inputs, targets)?),
        };
        let rate = |id| spec.learning_rates.for_parameter(id);
        let rates = [
            rate(ParameterId::Weights(1)),
            rate(ParameterId::Biases(1)),
            rate(ParameterId::Output),
        ];
        Ok(Self { state, rates })
    }

    /// Every seed's loss and gradient at its θ_t.
    pub(super) fn losses_and_gradients(&mut self) {
        each_run!(&mut self.state, |run| run.ensemble.losses_and_gradients(
            &run.inputs,
            &run.targets,
            &mut run.work
        ))
    }

    /// θ_s ← θ_s − η ∂L_s/∂θ_s for every seed with `moving[s]`.
    pub(super) fn descend(&mut self, moving: &[bool]) {
        let rates = self.rates;
        each_run!(&mut self.state, |run| run.ensemble.descend(
            &run.work.gradients,
            rates,
            moving
        ))
    }

    fn loss(&self, seed: usize) -> f64 {
        each_run!(&self.state, |run| run.work.losses[seed])
    }

    fn first_non_finite_parameter(&self, seed: usize) -> Option<NonFiniteEntry> {
        each_run!(&self.state, |run| run.ensemble.first_non_finite(seed))
    }

    fn first_non_finite_gradient(&self, seed: usize) -> Option<NonFiniteEntry> {
        each_run!(&self.state, |run| run
            .work
            .gradients
            .first_non_finite(seed, run.shape()))
    }

    fn squared_norms(&self, seed: usize) -> [Option<f64>; 3] {
        each_run!(&self.state, |run| run
            .work
            .gradients
            .squared_norms(seed, run.shape()))
    }

    /// θ_s as named f64 arrays (exact copies of the host values).
    fn named_arrays(&self, seed: usize) -> Vec<NamedArray> {
        each_run!(&self.state, |run| host_named_arrays(
            &run.ensemble.network(seed)
        ))
    }
}

/// One seed's Burn network: architecture and device, and θ_t when `synced`.
pub(super) struct SeedNetwork {
    network: Mlp,
    synced: bool,
}

impl SeedNetwork {
    /// The network at the start (in step with the host copy).
    pub(super) fn new(network: Mlp) -> Self {
        Self {
            network,
            synced: true,
        }
    }

    /// The host copy has moved past the network.
    pub(super) fn moved(&mut self) {
        self.synced = false;
    }
}

/// Seed s's [`Step`] within one step of the ensemble: the loss and gradient from the batch,
/// the Burn network rebuilt from the host values when asked for. The update is the
/// ensemble's (its [`Step::descend`] moves nothing).
pub(super) struct SeedView<'a> {
    engine: &'a Stacked,
    seed: usize,
    network: &'a mut SeedNetwork,
}

impl<'a> SeedView<'a> {
    /// Seed `seed`'s view of `engine`, with its Burn `network`.
    pub(super) fn new(engine: &'a Stacked, seed: usize, network: &'a mut SeedNetwork) -> Self {
        Self {
            engine,
            seed,
            network,
        }
    }

    /// θ_t as a Burn network, ending the seed's run.
    pub(super) fn take(mut self) -> Mlp {
        self.network().clone()
    }
}

impl Step for SeedView<'_> {
    fn full_batch_loss(&mut self) -> f64 {
        self.engine.loss(self.seed)
    }

    fn divergence(&self, loss: f64) -> Option<Divergence> {
        let (engine, seed) = (self.engine, self.seed);
        first_divergence(
            || engine.first_non_finite_parameter(seed),
            loss,
            || engine.first_non_finite_gradient(seed),
        )
    }

    fn squared_gradient_norms(&self) -> SquaredGradientNorms {
        let [w, b, a] = self.engine.squared_norms(self.seed);
        let mut norms = SquaredGradientNorms::new();
        let ids = [
            ParameterId::Weights(1),
            ParameterId::Biases(1),
            ParameterId::Output,
        ];
        for (id, norm) in ids.into_iter().zip([w, b, a]) {
            if let Some(norm) = norm {
                norms.insert(id, norm);
            }
        }
        norms
    }

    fn descend(&mut self) -> Result<(), Divergence> {
        Ok(())
    }

    fn network(&mut self) -> &Mlp {
        let network = &mut *self.network;
        if !network.synced {
            network.network = network
                .network
                .with_named_arrays(&self.engine.named_arrays(self.seed))
                .expect("the host network has the model's tensors and shapes");
            network.synced = true;
        }
        &network.network
    }

    fn batch_order(&self) -> Option<BatchOrderState> {
        None
    }

    fn into_network(self: Box<Self>) -> Mlp {
        self.take()
    }
}
