//! One gradient step against the hand-computed update, per-layer rates, frozen tensors, and
//! the training loop's stopping, logging and reproducibility, in f64.

mod common;

use common::*;
use overparam_model::{Activation, Mlp, MlpConfig, NamedArray, Parameterization, Trainable};
use overparam_trainer::data::Dataset;
use overparam_trainer::{
    fused_gradients, gradient_descent_step, mean_squared_loss, train, LearningRates, MetricRecord,
    Optimizer, StepEngine, TrainSpec, TrainerError,
};

const RATES: LearningRates = LearningRates::by_kind(0.3, 0.7, 1.1);

fn spec(optimizer: Optimizer, steps: usize, learning_rates: LearningRates) -> TrainSpec {
    TrainSpec {
        optimizer,
        steps,
        learning_rates,
        log_every: 5,
        target_loss: 0.0,
        seed: 3,
        ntk_every: 0,
        engine: StepEngine::Autodiff,
    }
}

/// θ⁺ = θ − η_θ ∂L/∂θ from the autodiff step, read back to the host.
fn one_step(
    config: &MlpConfig,
    parameters: &[NamedArray],
    data: &Dataset,
    rates: &LearningRates,
) -> Vec<NamedArray> {
    let device = f64_autodiff_device();
    let model: Mlp = config.with_parameters(parameters, &device).unwrap();
    let loss = mean_squared_loss(
        model.forward(data.inputs_tensor(&device)),
        data.targets_tensor(&device),
    );
    let (model, _) = gradient_descent_step(model, loss.backward(), rates, true, false);
    model.to_named_arrays()
}

/// θ − η_θ g_θ with g from the hand-derived (fused host) backward pass, on the host; `rates`
/// are η for `w1`, `b1`, `a` in turn, and a frozen tensor (no gradient) stays as it is.
fn hand_step(
    config: &MlpConfig,
    parameters: &[NamedArray],
    data: &Dataset,
    rates: [f64; 3],
) -> Vec<NamedArray> {
    let model: Mlp = config.with_parameters(parameters, &f64_device()).unwrap();
    let gradients = fused_gradients(&model, data);
    parameters
        .iter()
        .zip(rates)
        .map(
            |(p, rate)| match gradients.iter().find(|g| g.name == p.name) {
                Some(g) => NamedArray {
                    values: p
                        .values
                        .iter()
                        .zip(&g.values)
                        .map(|(v, g)| v - rate * g)
                        .collect(),
                    ..p.clone()
                },
                None => p.clone(),
            },
        )
        .collect()
}

#[test]
fn one_gradient_step_equals_the_hand_computed_update_with_per_layer_rates() {
    let data = random_problem(9, 4, 1);
    for activation in Activation::ALL {
        let config = two_layer_config(4, 6, activation, Parameterization::Ntk, 0.1, Trainable::ALL);
        let parameters = random_parameters(&config, 2);
        let stepped = one_step(&config, &parameters, &data, &RATES);
        let expected = hand_step(&config, &parameters, &data, [0.3, 0.7, 1.1]);
        for (got, want) in stepped.iter().zip(&expected) {
            // Each entry is θ − η g with g accurate to ~1e-15 relative (see gradients.rs).
            assert!(
                relative_error(&got.values, &want.values) < 1e-12,
                "{activation} {}",
                got.name
            );
        }
    }
}

#[test]
fn frozen_tensors_and_zero_rates_leave_parameters_bit_identical() {
    let data = random_problem(9, 4, 1);
    let frozen_w = Trainable {
        w: false,
        b: true,
        a: true,
    };
    let config = two_layer_config(
        4,
        6,
        Activation::Relu,
        Parameterization::Standard,
        0.1,
        frozen_w,
    );
    let parameters = random_parameters(&config, 2);
    let zero_lr_a = LearningRates {
        output_weights: 0.0,
        ..RATES.clone()
    };
    let stepped = one_step(&config, &parameters, &data, &zero_lr_a);
    assert_eq!(stepped[0], parameters[0], "frozen w1 changed");
    assert_eq!(stepped[2], parameters[2], "a with lr_a = 0 changed");
    assert_ne!(stepped[1], parameters[1], "b1 should move");
    let expected = hand_step(&config, &parameters, &data, [0.0, 0.7, 0.0]);
    assert!(relative_error(&stepped[1].values, &expected[1].values) < 1e-12);
}

/// Final parameters and outcome of a run, or its error.
type RunResult = Result<(Vec<NamedArray>, overparam_trainer::TrainOutcome), TrainerError>;

/// Trains from `parameters` and returns (final parameters, records, outcome or error).
fn run(
    config: &MlpConfig,
    parameters: &[NamedArray],
    data: &Dataset,
    spec: &TrainSpec,
) -> (Vec<MetricRecord>, RunResult) {
    let device = f64_autodiff_device();
    let model: Mlp = config.with_parameters(parameters, &device).unwrap();
    let mut records = Vec::new();
    let result = train(
        model,
        data.inputs_tensor(&device),
        data.targets_tensor(&device),
        spec,
        |r| {
            records.push(r.clone());
            Ok(())
        },
    );
    (
        records,
        result.map(|(model, outcome)| (model.to_named_arrays(), outcome)),
    )
}

#[test]
fn same_inputs_give_identical_records_and_logging_follows_log_every() {
    let data = random_problem(16, 4, 4);
    let config = two_layer_config(
        4,
        32,
        Activation::Relu,
        Parameterization::Ntk,
        0.0,
        Trainable::ALL,
    );
    let parameters = random_parameters(&config, 5);
    for optimizer in [
        Optimizer::GradientDescent,
        Optimizer::StochasticGradientDescent { batch_size: 5 },
    ] {
        let spec = spec(optimizer, 23, RATES);
        let (first, outcome) = run(&config, &parameters, &data, &spec);
        let (second, _) = run(&config, &parameters, &data, &spec);
        assert_eq!(first, second, "{optimizer:?}: not reproducible");
        let steps: Vec<usize> = first.iter().map(|r| r.step).collect();
        assert_eq!(steps, [0, 5, 10, 15, 20, 23]);
        let (_, outcome) = outcome.unwrap();
        assert_eq!(outcome.steps_run, 23);
        assert!(
            first.last().unwrap().loss < first[0].loss,
            "{optimizer:?}: loss did not fall"
        );
        // Step 0 is the initial network: nothing has moved or flipped yet.
        assert_eq!(first[0].movements, [0.0, 0.0, 0.0]);
        assert_eq!(first[0].flipped_fraction, 0.0);
    }
}

/// SGD with one batch of all n samples visits them in a permuted order: the same sum, so the
/// same trajectory as GD up to rounding.
#[test]
fn sgd_with_a_full_batch_follows_gradient_descent() {
    let data = random_problem(12, 3, 8);
    let config = two_layer_config(
        3,
        16,
        Activation::Softplus,
        Parameterization::MeanField,
        0.0,
        Trainable::ALL,
    );
    let parameters = random_parameters(&config, 9);
    let (_, gd) = run(
        &config,
        &parameters,
        &data,
        &spec(Optimizer::GradientDescent, 10, RATES),
    );
    let full = Optimizer::StochasticGradientDescent { batch_size: 12 };
    let (_, sgd) = run(&config, &parameters, &data, &spec(full, 10, RATES));
    for (a, b) in gd.unwrap().0.iter().zip(&sgd.unwrap().0) {
        assert!(relative_error(&a.values, &b.values) < 1e-12, "{}", a.name);
    }
}

#[test]
fn training_stops_at_the_target_loss() {
    let data = random_problem(8, 3, 2);
    let config = two_layer_config(
        3,
        64,
        Activation::Relu,
        Parameterization::Ntk,
        0.0,
        Trainable::ALL,
    );
    let parameters = random_parameters(&config, 1);
    let initial_loss = loss_at(&config, &parameters, &data);
    let spec = TrainSpec {
        target_loss: initial_loss * 0.5,
        ..spec(Optimizer::GradientDescent, 10_000, RATES)
    };
    let (records, result) = run(&config, &parameters, &data, &spec);
    let (_, outcome) = result.unwrap();
    assert!(outcome.reached_target && outcome.steps_run < 10_000);
    assert!(outcome.final_loss <= spec.target_loss);
    let last = records.last().unwrap();
    assert_eq!(
        (last.step, last.loss),
        (outcome.steps_run, outcome.final_loss)
    );
}

#[test]
fn divergence_names_the_step_and_keeps_earlier_records() {
    let data = random_problem(8, 3, 2);
    let config = two_layer_config(
        3,
        16,
        Activation::Quadratic,
        Parameterization::Standard,
        0.0,
        Trainable::ALL,
    );
    let parameters = random_parameters(&config, 1);
    let huge = LearningRates::by_kind(1e6, 1e6, 1e6);
    let spec = TrainSpec {
        log_every: 1,
        ..spec(Optimizer::GradientDescent, 1000, huge)
    };
    let (records, result) = run(&config, &parameters, &data, &spec);
    let Err(TrainerError::Diverged {
        step, last_finite, ..
    }) = result
    else {
        panic!("expected divergence")
    };
    assert!(
        !records[step].loss.is_finite()
            || records[step]
                .grad_norms
                .iter()
                .flatten()
                .any(|g| !g.is_finite())
    );
    assert!(step > 0 && step < 1000);
    let last_finite = last_finite.expect("step 0 was finite");
    assert!(last_finite.step < step && last_finite.loss.is_finite());
    assert_eq!(last_finite.loss, records[last_finite.step].loss);
    assert_eq!(
        records.len(),
        step + 1,
        "one record per step up to the diverged one"
    );
    assert!(records[..step].iter().all(|r| r.loss.is_finite()));
}

/// With Σ over hidden units, ReLU activity at step 0 is the share of positive pre-activations:
/// recomputed here on the host from the parameters.
#[test]
fn active_fraction_counts_positive_pre_activations() {
    let data = random_problem(10, 3, 6);
    let config = two_layer_config(
        3,
        8,
        Activation::Relu,
        Parameterization::Ntk,
        -0.3,
        Trainable::ALL,
    );
    let parameters = random_parameters(&config, 4);
    let (records, _) = run(
        &config,
        &parameters,
        &data,
        &spec(Optimizer::GradientDescent, 0, RATES),
    );
    let (w, b) = (&parameters[0].values, &parameters[1].values);
    let mut active = 0;
    for x in data.inputs.chunks(3) {
        for r in 0..8 {
            let z: f64 = (0..3).map(|k| w[r * 3 + k] * x[k]).sum::<f64>() + b[r];
            active += usize::from(z > 0.0);
        }
    }
    assert_eq!(records[0].active_fraction, active as f64 / 80.0);
}

/// λ_min at step 0 is the spectrum of the closed-form kernel of the initial network; the
/// kernel is tracked on multiples of ntk_every and at the last step, and only there.
#[test]
fn ntk_tracking_records_the_initial_spectrum_and_drift() {
    use overparam_trainer::ntk::{ntk_spectrum, NtkMethod};
    let data = random_problem(10, 3, 7);
    let config = two_layer_config(
        3,
        40,
        Activation::Relu,
        Parameterization::Ntk,
        0.0,
        Trainable::ALL,
    );
    let parameters = random_parameters(&config, 2);
    let spec = TrainSpec {
        ntk_every: 4,
        engine: StepEngine::Autodiff,
        ..spec(Optimizer::GradientDescent, 10, RATES)
    };
    let (records, result) = run(&config, &parameters, &data, &spec);
    let tracked: Vec<usize> = records
        .iter()
        .filter(|r| r.kernel.is_some())
        .map(|r| r.step)
        .collect();
    assert_eq!(tracked, [0, 4, 8, 10]);
    let initial: Mlp = config.with_parameters(&parameters, &f64_device()).unwrap();
    let kernel = plain_kernel(&initial, &data, NtkMethod::ClosedForm);
    let expected = ntk_spectrum(&kernel, 10).unwrap();
    let first = records[0].kernel.unwrap();
    assert_eq!(first.lambda_min, expected.ntk_min_eigenvalue());
    assert_eq!(first.drift, 0.0);
    assert!(records.last().unwrap().kernel.unwrap().drift > 0.0);
    // Per-group rates 0.3/0.7/1.1: λ_min(K_η) differs from λ_min(K).
    let weighted = result.unwrap().1.initial_lr_weighted_lambda_min.unwrap();
    assert!(weighted > 0.0 && (weighted - first.lambda_min).abs() > 1e-6 * first.lambda_min);
}
