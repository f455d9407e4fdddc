//! Divergence is named, whichever engine runs: a parameter, the loss, a gradient or the kernel
//! turning NaN/±∞ ends the run with [`TrainerError::Diverged`] naming the step and the tensor,
//! the rows before it kept; a network with nothing to train is refused, not a panic; a kernel
//! that is 0 at step 0 drifts by an absolute (finite) amount.

mod common;

use common::*;
use overparam_model::{Activation, MlpConfig, OutputInit, Parameterization, Trainable};
use overparam_trainer::data::Dataset;
use overparam_trainer::{
    train, Divergence, LearningRates, MetricRecord, Optimizer, StepEngine, TrainSpec, TrainerError,
};

fn config(widths: &[usize], bias_init: f64, trainable: Trainable) -> MlpConfig {
    MlpConfig {
        input_dim: 4,
        widths: widths.to_vec(),
        activation: Activation::Relu,
        parameterization: Parameterization::Ntk,
        output_init: OutputInit::Gaussian,
        bias_init,
        trainable,
        trainable_layers: vec![true; widths.len()],
    }
}

fn spec(
    engine: StepEngine,
    optimizer: Optimizer,
    rates: LearningRates,
    ntk_every: usize,
) -> TrainSpec {
    TrainSpec {
        optimizer,
        steps: 200,
        learning_rates: rates,
        log_every: 1,
        target_loss: 0.0,
        seed: 1,
        ntk_every,
        engine,
    }
}

/// The records and the outcome of training `config` from seed 7's draw on `data`.
fn run(
    config: &MlpConfig,
    data: &Dataset,
    spec: &TrainSpec,
) -> (Vec<MetricRecord>, Result<(), TrainerError>) {
    let device = f64_autodiff_device();
    let start = config.init_parameters(&mut overparam_trainer::stream_rng(
        7,
        overparam_trainer::RngStream::Init,
    ));
    let inputs = data.inputs_tensor(&device);
    let targets = data.targets_tensor(&device);
    let mut records = Vec::new();
    let sink = |r: &MetricRecord| {
        records.push(r.clone());
        Ok(())
    };
    let model = config.with_parameters(&start, &device).unwrap();
    let result = train(model, inputs, targets, spec, sink).map(|_| ());
    (records, result)
}

/// (step, cause) of a divergence.
fn divergence(result: Result<(), TrainerError>) -> (usize, Divergence) {
    match result {
        Err(TrainerError::Diverged { step, cause, .. }) => (step, cause),
        other => panic!("expected a divergence, got {other:?}"),
    }
}

#[test]
fn both_engines_name_the_same_step_and_tensor_when_training_blows_up() {
    let data = random_problem(12, 4, 3);
    // Huge biases and rates: θ overflows within a few steps (the bias_init = 1e10 in f32).
    for widths in [vec![16], vec![8, 8]] {
        let net = config(&widths, 1e150, Trainable::ALL);
        let rates = LearningRates::by_kind(1e150, 1e150, 1e150);
        let (fused_records, fused) = run(
            &net,
            &data,
            &spec(
                StepEngine::Fused,
                Optimizer::GradientDescent,
                rates.clone(),
                0,
            ),
        );
        let (autodiff_records, autodiff) = run(
            &net,
            &data,
            &spec(StepEngine::Autodiff, Optimizer::GradientDescent, rates, 0),
        );
        let (fused_step, fused_cause) = divergence(fused);
        let (autodiff_step, autodiff_cause) = divergence(autodiff);
        assert_eq!(
            fused_step, autodiff_step,
            "{widths:?}: {fused_cause} vs {autodiff_cause}"
        );
        assert_eq!(
            std::mem::discriminant(&fused_cause),
            std::mem::discriminant(&autodiff_cause),
            "{widths:?}: {fused_cause} vs {autodiff_cause}"
        );
        if let (Divergence::Parameter(f), Divergence::Parameter(a)) =
            (&fused_cause, &autodiff_cause)
        {
            assert_eq!(f.tensor, a.tensor);
        }
        assert!(fused_step < 200, "diverged early, not at the step limit");
        // Rows up to and including the diverged step are kept, finite before it.
        assert_eq!(fused_records.len(), fused_step + 1);
        assert_eq!(autodiff_records.len(), autodiff_step + 1);
        assert!(fused_records[..fused_step]
            .iter()
            .all(|r| r.loss.is_finite()));
    }
}

#[test]
fn a_nan_parameter_is_named_even_where_relu_would_hide_it_from_the_loss() {
    // w1[3] = NaN: the unit's pre-activations are NaN. A ReLU pass mapping NaN to 0 made the
    // fused loss finite while θ was NaN (the "status: ok" with NaN parameters).
    let data = random_problem(6, 4, 5);
    let net = config(&[8], 0.0, Trainable::ALL);
    let mut start = net.init_parameters(&mut overparam_trainer::stream_rng(
        7,
        overparam_trainer::RngStream::Init,
    ));
    start[0].values[3] = f64::NAN;
    let device = f64_autodiff_device();
    for engine in [StepEngine::Fused, StepEngine::Autodiff] {
        let model = net.with_parameters(&start, &device).unwrap();
        let rates = LearningRates::by_kind(0.1, 0.1, 0.1);
        let mut records = Vec::new();
        let result = train(
            model,
            data.inputs_tensor(&device),
            data.targets_tensor(&device),
            &spec(engine, Optimizer::GradientDescent, rates, 0),
            |r| {
                records.push(r.clone());
                Ok(())
            },
        )
        .map(|_| ());
        let (step, cause) = divergence(result);
        assert_eq!(step, 0, "{engine:?}");
        match cause {
            Divergence::Parameter(entry) => {
                assert_eq!(
                    (entry.tensor.as_str(), entry.index),
                    ("w1", 3),
                    "{engine:?}"
                );
                assert!(entry.value.is_nan());
            }
            other => panic!("{engine:?}: expected parameter `w1`, got {other}"),
        }
        assert!(records[0].loss.is_nan(), "{engine:?}: NaN reaches the loss");
    }
}

#[test]
fn both_engines_name_the_same_step_and_tensor_when_sgd_blows_up() {
    let data = random_problem(12, 4, 3);
    let rates = LearningRates::by_kind(1e150, 1e150, 1e150);
    // Batches of 5 of 12 samples: the epoch's short batch comes into it too.
    let sgd = Optimizer::StochasticGradientDescent { batch_size: 5 };
    for widths in [vec![16], vec![8, 8]] {
        let net = config(&widths, 1e150, Trainable::ALL);
        let outcome = |engine| {
            let spec = TrainSpec {
                log_every: 50,
                ..spec(engine, sgd, rates.clone(), 0)
            };
            let (records, result) = run(&net, &data, &spec);
            let (step, cause) = divergence(result);
            (records, step, cause)
        };
        let (fused_records, fused_step, fused_cause) = outcome(StepEngine::Fused);
        let (autodiff_records, autodiff_step, autodiff_cause) = outcome(StepEngine::Autodiff);
        let label = format!("{widths:?}: {fused_cause} vs {autodiff_cause}");
        assert!(autodiff_step < 200, "{label}");
        assert_eq!(fused_step, autodiff_step, "{label}");
        assert_eq!(
            std::mem::discriminant(&fused_cause),
            std::mem::discriminant(&autodiff_cause),
            "{label}"
        );
        if let (
            Divergence::Parameter(f) | Divergence::Gradient(f),
            Divergence::Parameter(a) | Divergence::Gradient(a),
        ) = (&fused_cause, &autodiff_cause)
        {
            assert_eq!(f.tensor, a.tensor, "{label}");
        }
        assert_eq!(fused_records.len(), autodiff_records.len(), "{label}");
        let message = TrainerError::Diverged {
            step: fused_step,
            cause: fused_cause,
            last_finite: None,
        }
        .to_string();
        assert!(message.contains("diverged at step"), "{message}");
    }
}

#[test]
fn a_network_with_every_tensor_frozen_is_refused_by_both_engines() {
    let data = random_problem(6, 4, 5);
    let frozen = Trainable {
        w: false,
        b: false,
        a: false,
    };
    let mut deep_frozen = config(
        &[4, 4],
        0.0,
        Trainable {
            w: true,
            b: true,
            a: false,
        },
    );
    deep_frozen.trainable_layers = vec![false, false];
    for net in [config(&[8], 0.0, frozen), deep_frozen] {
        for (engine, optimizer) in [
            (StepEngine::Fused, Optimizer::GradientDescent),
            (StepEngine::Autodiff, Optimizer::GradientDescent),
            (
                StepEngine::Autodiff,
                Optimizer::StochasticGradientDescent { batch_size: 2 },
            ),
        ] {
            let rates = LearningRates::by_kind(0.1, 0.1, 0.1);
            let (records, result) = run(&net, &data, &spec(engine, optimizer, rates, 0));
            assert!(
                matches!(result, Err(TrainerError::NothingToTrain)),
                "{engine:?} {optimizer:?}: {result:?}"
            );
            assert!(records.is_empty());
        }
    }
}

#[test]
fn an_infinite_kernel_is_a_divergence_at_its_step_with_the_row_kept() {
    let data = random_problem(6, 4, 5);
    let net = config(&[8], 0.0, Trainable::ALL);
    // K_η = Σ η_p K_p overflows at rates of 1e308 in f64 (the issue's `lr_a = 1e300,
    // ntk_every = 10` overflowed the same way in f32).
    let rates = LearningRates::by_kind(1e308, 1e308, 1e308);
    for engine in [StepEngine::Fused, StepEngine::Autodiff] {
        let (records, result) = run(
            &net,
            &data,
            &spec(engine, Optimizer::GradientDescent, rates.clone(), 10),
        );
        let (step, cause) = divergence(result);
        assert_eq!(step, 0, "{engine:?}");
        assert!(
            matches!(cause, Divergence::Kernel(_)),
            "{engine:?}: {cause}"
        );
        assert_eq!(records.len(), 1, "the row of step 0 is kept");
        assert!(records[0].loss.is_finite());
    }
}

#[test]
fn kernel_drift_is_absolute_when_the_initial_kernel_is_zero() {
    // Every ReLU unit dead (bias −100 on unit-scale inputs): K_0 = 0 and nothing moves.
    let data = random_problem(6, 4, 5);
    let net = config(&[8], -100.0, Trainable::ALL);
    let rates = LearningRates::by_kind(0.1, 0.1, 0.1);
    let (records, result) = run(
        &net,
        &data,
        &TrainSpec {
            steps: 20,
            ..spec(StepEngine::Fused, Optimizer::GradientDescent, rates, 10)
        },
    );
    result.unwrap();
    let drifts: Vec<f64> = records
        .iter()
        .filter_map(|r| r.kernel)
        .map(|k| k.drift)
        .collect();
    assert_eq!(drifts, vec![0.0, 0.0, 0.0]);
}
