//! The fused CPU gradient-descent step as a training engine: the network is copied to host
//! memory once, every step runs `overparam-cpu`'s hand-derived forward/backward (on the full
//! batch under GD, on the next mini-batch gathered on the host under SGD), and the Burn
//! network is rebuilt from the host values only where the loop asks for it (logged steps, the
//! kernel, checkpoints, the end). Autodiff stays the reference: the tests hold this path to it.

use burn::tensor::{DType, Tensor};
use overparam_cpu::{HostMlp, Real, StepRates, Workspace};
use overparam_model::{host_named_arrays, host_values_as, Mlp, NamedArray, ParameterId};
use serde::{Deserialize, Serialize};

use crate::batches::BatchSchedule;
use crate::divergence::{first_divergence, Divergence};
use crate::fused_batch::HostBatch;
use crate::optimizer::{LearningRates, SquaredGradientNorms};
use crate::resume::BatchOrderState;
use crate::step::Step;

/// How gradient descent (full-batch or mini-batch) computes its steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepEngine {
    /// Burn autodiff on the model's device: any backend, any network, the reference.
    Autodiff,
    /// `overparam-cpu`'s fused hand-derived step on the host (GD and SGD; the CPU backends).
    /// Equal to the autodiff trajectory up to rounding (tested to 1e-10 in f64), SGD on the
    /// same batches.
    Fused,
}

impl StepEngine {
    /// The name used on the command line and in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            StepEngine::Autodiff => "autodiff",
            StepEngine::Fused => "fused",
        }
    }
}

/// θ_t on the host in its device's float type, with the data, the buffers and the Burn
/// network it was copied from (brought up to date when asked for).
pub struct FusedStep {
    state: HostState,
    rates: StepRates,
    /// The Burn network: architecture and device, and θ_t when `synced`.
    network: Mlp,
    /// Whether `network` holds the host's θ_t.
    synced: bool,
    /// `None`: full-batch GD; `Some`: SGD on this sample order.
    batches: Option<BatchSchedule>,
}

enum HostState {
    F32(HostRun<f32>),
    F64(HostRun<f64>),
}

struct HostRun<T> {
    network: HostMlp<T>,
    work: Workspace<T>,
    inputs: Vec<T>,
    targets: Vec<T>,
    /// SGD's mini-batch rows (empty under GD).
    batch: HostBatch<T>,
}

impl<T: Real> HostRun<T> {
    fn new(model: &Mlp, inputs: &Tensor<2>, targets: &Tensor<1>) -> Self {
        let network = model.to_host::<T>();
        let samples = targets.dims()[0];
        Self {
            work: Workspace::new(&network, samples),
            network,
            inputs: host_values_as(inputs.clone().inner()),
            targets: host_values_as(targets.clone().inner()),
            batch: HostBatch::default(),
        }
    }

    /// L(θ_t) on all n samples, leaving ∂L/∂θ in the workspace (sized back to n after a
    /// mini-batch: no allocation, its buffers were made for n).
    fn full_batch_loss(&mut self) -> f64 {
        self.work.set_samples(self.targets.len());
        self.network
            .loss_and_gradients(&self.inputs, &self.targets, &mut self.work)
    }

    /// θ ← θ − η_θ ∂L/∂θ: with the last full-batch gradient (`indices` `None`), or on the
    /// mini-batch of the samples `indices` (checked first, see [`HostBatch::descend`]).
    fn descend(&mut self, indices: Option<&[i64]>, rates: &StepRates) -> Result<(), Divergence> {
        let Some(indices) = indices else {
            self.network.descend(&self.work.gradients, rates);
            return Ok(());
        };
        let data = [self.inputs.as_slice(), self.targets.as_slice()];
        self.batch
            .descend(&mut self.network, &mut self.work, indices, data, rates)
    }
}

/// Calls `$body` with `$run` bound to the [`HostRun`] of either float type.
macro_rules! each_run {
    ($state:expr, |$run:ident| $body:expr) => {
        match $state {
            HostState::F32($run) => $body,
            HostState::F64($run) => $body,
        }
    };
}

impl FusedStep {
    /// Copies `model`, `inputs` `[n, d]` and `targets` `[n]` to the host, in the float type of
    /// the model's device (f32 or f64), to descend with `rates`.
    pub fn new(model: Mlp, inputs: &Tensor<2>, targets: &Tensor<1>, rates: &LearningRates) -> Self {
        let state = match inputs.dtype() {
            DType::F64 => HostState::F64(HostRun::new(&model, inputs, targets)),
            _ => HostState::F32(HostRun::new(&model, inputs, targets)),
        };
        let depth = each_run!(&state, |run| run.network.depth());
        let rates = StepRates {
            weights: (1..=depth)
                .map(|l| rates.for_parameter(ParameterId::Weights(l)))
                .collect(),
            biases: (1..=depth)
                .map(|l| rates.for_parameter(ParameterId::Biases(l)))
                .collect(),
            output: rates.for_parameter(ParameterId::Output),
        };
        Self {
            state,
            rates,
            network: model,
            synced: true,
            batches: None,
        }
    }

    /// The same step under SGD: every [`Step::descend`] takes the next mini-batch of
    /// `batches` (the order autodiff SGD takes) instead of the full batch.
    pub(crate) fn with_batches(mut self, batches: BatchSchedule) -> Self {
        self.batches = Some(batches);
        self
    }

    /// θ_t as named f64 arrays (exact copies of the host values).
    fn named_arrays(&self) -> Vec<NamedArray> {
        each_run!(&self.state, |run| host_named_arrays(&run.network))
    }
}

impl Step for FusedStep {
    fn full_batch_loss(&mut self) -> f64 {
        each_run!(&mut self.state, |run| run.full_batch_loss())
    }

    fn divergence(&self, loss: f64) -> Option<Divergence> {
        first_divergence(
            || each_run!(&self.state, |run| run.network.first_non_finite()),
            loss,
            || each_run!(&self.state, |run| run.work.gradients.first_non_finite()),
        )
    }

    fn squared_gradient_norms(&self) -> SquaredGradientNorms {
        let (weights, biases, output) =
            each_run!(&self.state, |run| run.work.gradients.squared_norms());
        let mut norms = SquaredGradientNorms::new();
        for (index, (w, b)) in weights.into_iter().zip(biases).enumerate() {
            if let Some(w) = w {
                norms.insert(ParameterId::Weights(index + 1), w);
            }
            if let Some(b) = b {
                norms.insert(ParameterId::Biases(index + 1), b);
            }
        }
        if let Some(a) = output {
            norms.insert(ParameterId::Output, a);
        }
        norms
    }

    fn descend(&mut self) -> Result<(), Divergence> {
        let rates = &self.rates;
        let indices = self.batches.as_mut().map(BatchSchedule::next_indices);
        each_run!(&mut self.state, |run| run.descend(indices, rates))?;
        self.synced = false;
        Ok(())
    }

    fn network(&mut self) -> &Mlp {
        if !self.synced {
            self.network = self
                .network
                .with_named_arrays(&self.named_arrays())
                .expect("the host network has the model's tensors and shapes");
            self.synced = true;
        }
        &self.network
    }

    fn batch_order(&self) -> Option<BatchOrderState> {
        self.batches.as_ref().map(BatchSchedule::state)
    }

    fn into_network(mut self: Box<Self>) -> Mlp {
        self.network();
        self.network
    }
}
