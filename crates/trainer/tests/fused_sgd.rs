//! The fused SGD step against autodiff SGD: the same batches from one `BatchSchedule` (23
//! samples in batches of 5, so every epoch ends on a batch of 3), 100 f64 steps, every logged
//! record and the final parameters within 1e-10 relative for one and two hidden layers, ReLU
//! and softplus, per-layer rates and frozen tensors; and a fused SGD checkpoint resumed
//! mid-epoch continues the uninterrupted run exactly, batch order included.
//!
//! Why 1e-10: as for GD (`tests/fused.rs`), the two paths differ only in the order of their
//! sums; a batch taken out of order changes the loss by O(η·|∇L_B|) ≥ 1e-3.

mod common;

use common::trajectory::{assert_same_trajectory, run};
use common::*;
use overparam_model::{Activation, Mlp, NamedArray, Parameterization, Trainable};
use overparam_trainer::data::RandomLabels;
use overparam_trainer::{
    stream_rng, train_from, Baseline, Checkpointing, Generalization, LearningRates, LoopState,
    MetricRecord, Optimizer, RngStream, StepEngine, TrainSpec, TrainStart,
};

/// Input dimension, samples and batch size of every problem here (5 ∤ 23).
const D: usize = 5;
const N: usize = 23;
const BATCH: usize = 5;

fn spec(engine: StepEngine, learning_rates: LearningRates) -> TrainSpec {
    TrainSpec {
        optimizer: Optimizer::StochasticGradientDescent { batch_size: BATCH },
        steps: 100,
        learning_rates,
        log_every: 7,
        target_loss: 0.0,
        seed: 11,
        ntk_every: 0,
        engine,
    }
}

#[test]
fn fused_sgd_trajectories_match_autodiff_sgd() {
    let data = sphere_problem(N, D, 3, RandomLabels::Gaussian);
    let mut per_layer = LearningRates::by_kind(0.0, 0.0, 0.0);
    per_layer.per_layer = vec![0.3, 0.2, 0.4];
    let frozen_a = Trainable {
        w: true,
        b: true,
        a: false,
    };
    let frozen_b = Trainable {
        w: true,
        b: false,
        a: true,
    };
    let by_kind = LearningRates::by_kind(0.5, 0.3, 0.4);
    let cases = [
        (vec![40], Activation::Relu, Trainable::ALL, &by_kind),
        (vec![40], Activation::Softplus, Trainable::ALL, &by_kind),
        (vec![40], Activation::Relu, frozen_a, &by_kind),
        (vec![16, 12], Activation::Relu, Trainable::ALL, &per_layer),
        (vec![16, 12], Activation::Softplus, frozen_b, &per_layer),
    ];
    for (widths, activation, trainable, rates) in cases {
        let config = mlp_config(
            D,
            &widths,
            activation,
            Parameterization::Ntk,
            0.1,
            trainable,
        );
        let label = format!("{widths:?} {activation} {trainable:?}");
        let reference = run(&config, &data, &spec(StepEngine::Autodiff, rates.clone()));
        let fused = run(&config, &data, &spec(StepEngine::Fused, rates.clone()));
        assert_same_trajectory(&reference, &fused, &label);
    }
}

/// A checkpoint handed out by the loop: θ_t and the loop state.
type Saved = (Vec<NamedArray>, LoopState);

/// Records (and checkpoints every 32 steps) of fused SGD from `state` at `parameters`.
fn fused_run(parameters: &[NamedArray], state: LoopState) -> (Vec<MetricRecord>, Vec<Saved>) {
    let config = relu_ntk_config(D, &[30], 0.1);
    let data = sphere_problem(N, D, 3, RandomLabels::Gaussian);
    let device = f64_autodiff_device();
    let inputs = data.inputs_tensor(&device);
    let initial = config.init_parameters(&mut stream_rng(5, RngStream::Init));
    let network =
        |values: &[NamedArray]| -> Mlp { config.with_parameters(values, &device).unwrap() };
    let start = TrainStart {
        model: network(parameters),
        baseline: Baseline::new(&network(&initial), inputs.clone()),
        state,
        generalization: Generalization::none(),
    };
    let (mut records, mut saved) = (Vec::new(), Vec::new());
    let mut save = |model: &Mlp, state: &LoopState| {
        saved.push((model.to_named_arrays(), state.clone()));
        Ok(())
    };
    let checkpointing = Checkpointing {
        every: 32,
        save: &mut save,
        interrupted: &mut || false,
    };
    let rates = LearningRates::by_kind(0.5, 0.3, 0.4);
    let sink = |r: &MetricRecord| {
        records.push(r.clone());
        Ok(())
    };
    let spec = spec(StepEngine::Fused, rates);
    train_from(
        start,
        inputs,
        data.targets_tensor(&device),
        &spec,
        sink,
        checkpointing,
    )
    .expect("training succeeds");
    (records, saved)
}

#[test]
fn a_fused_sgd_checkpoint_resumes_exactly_where_it_stopped() {
    let config = relu_ntk_config(D, &[30], 0.1);
    let initial = config.init_parameters(&mut stream_rng(5, RngStream::Init));
    let (full, saved) = fused_run(&initial, LoopState::default());
    let (parameters, state) = saved[0].clone();
    assert_eq!(state.step, 32);
    let order = state
        .batch_order
        .clone()
        .expect("SGD checkpoints its batch order");
    // 32 steps of 5 batches per epoch: two batches into the seventh epoch.
    assert_eq!(order.position, 2 * BATCH, "{order:?}");
    let (resumed, resumed_saved) = fused_run(&parameters, state.clone());
    let expected: Vec<_> = full.iter().filter(|r| r.step >= 32).cloned().collect();
    assert!(expected.len() >= 10, "rows after the checkpoint");
    assert_eq!(resumed, expected, "the resumed run's rows");
    // θ and the batch order at the later checkpoints (steps 64 and 96), bit for bit.
    assert_eq!(resumed_saved, saved[1..], "the later checkpoints");
    // The batch order is what carries the run on: a fresh one gives other rows.
    let fresh_order = LoopState {
        batch_order: None,
        ..state
    };
    let (reshuffled, _) = fused_run(&parameters, fresh_order);
    assert_ne!(reshuffled, expected, "a new batch order changes the run");
}
