//! The linearized network f_lin(x; θ) = f_0(x) + J(x)(θ − θ_0) against computations that share
//! nothing with the library's kernel code: a per-sample Jacobian by hand-written backpropagation
//! on the host, stepped in output space and in parameter space; through the training loop its
//! columns against the network's own outputs; and the lazy-regime rate
//! ‖f_t − f_lin,t‖ = O(1/√m) fitted over widths.
//!
//! Everything is f64.

#[path = "../common/mod.rs"]
mod common;
mod hand;
mod lazy_rate;
mod training_loop;

use std::time::Instant;

use common::*;
use hand::*;
use overparam_model::{Activation, Mlp, MlpConfig, NamedArray, Parameterization, Trainable};
use overparam_trainer::data::{DataSpec, Dataset, InputLaw, InputSource, LabelSource, TestSpec};
use overparam_trainer::{
    mean_squared_loss_of, network_outputs, stream_rng, train_from, Baseline, Checkpointing,
    Generalization, LearningRates, Linearization, LoopState, MetricRecord, Optimizer, RngStream,
    StepEngine, TrainSpec, TrainStart,
};

fn config(
    widths: &[usize],
    activation: Activation,
    bias_init: f64,
    trainable: Trainable,
) -> MlpConfig {
    mlp_config(
        3,
        widths,
        activation,
        Parameterization::Ntk,
        bias_init,
        trainable,
    )
}

/// n points on the sphere in dimension d labelled by a 2-neuron ReLU teacher, with `n_test`
/// held-out points drawn the same way.
fn teacher_data(n: usize, d: usize, n_test: usize, seed: u64) -> Dataset {
    Dataset::from_spec(&DataSpec {
        num_samples: n,
        input_dim: d,
        inputs: InputSource::Generated(InputLaw::Sphere),
        labels: LabelSource::Teacher {
            width: 2,
            orthonormal: false,
            seed: 1,
            activation: Activation::Relu,
        },
        seed,
        test: Some(TestSpec::Drawn {
            num_samples: n_test,
        }),
    })
    .unwrap()
}

/// Initial parameters from `seed` with every hidden bias moved off its constant by a
/// different amount (so that ∂f/∂b differs between neurons).
fn perturbed_parameters(config: &MlpConfig, seed: u64) -> Vec<NamedArray> {
    let mut arrays = config.init_parameters(&mut stream_rng(seed, RngStream::Init));
    for array in arrays.iter_mut().filter(|a| a.name.starts_with('b')) {
        for (r, b) in array.values.iter_mut().enumerate() {
            *b += 0.2 * ((r as f64) * 1.7 + 0.3).sin();
        }
    }
    arrays
}

/// The four networks of the trajectory tests: depth 1 (closed-form path) and depth 2
/// (Jacobian path), per-kind and per-layer rates, a frozen tensor, a smooth activation.
fn trajectory_cases() -> Vec<(&'static str, MlpConfig, LearningRates)> {
    let by_kind = LearningRates::by_kind(0.7, 0.3, 1.3);
    let per_layer = LearningRates {
        per_layer: vec![0.9, 0.4, 1.2],
        ..LearningRates::by_kind(1.0, 1.0, 1.0)
    };
    let no_b = Trainable {
        w: true,
        b: false,
        a: true,
    };
    let no_a = Trainable {
        w: true,
        b: true,
        a: false,
    };
    vec![
        (
            "depth 1 relu",
            config(&[5], Activation::Relu, 0.1, Trainable::ALL),
            by_kind.clone(),
        ),
        (
            "depth 2 relu",
            config(&[4, 3], Activation::Relu, 0.1, Trainable::ALL),
            by_kind.clone(),
        ),
        (
            "depth 2 per-layer rates, b frozen",
            config(&[4, 3], Activation::Relu, 0.0, no_b),
            per_layer,
        ),
        (
            "depth 1 softplus, a frozen",
            config(&[5], Activation::Softplus, -0.2, no_a),
            by_kind,
        ),
    ]
}

const CHECKED_STEPS: [usize; 4] = [0, 1, 7, 50];

/// Checks `Linearization::outputs(t)` against `hand` (a path t = 0..=50) at the checked steps.
///
/// Tolerance 1e-10 relative (to the largest entry): both sides are f64 on n = 6, n_test = 4
/// points; the library goes through an eigendecomposition of K_η (backward error ~n·ε ≈ 1e-15)
/// and powers (1 − λ/n)^t, the hand recursion accumulates ~t·ε over 50 steps with a
/// contraction, so they agree to ~1e-13. Any wrong term (a rate, an off-by-one step, the 1/n)
/// moves the outputs by ≥ 1e-3 relative.
fn assert_matches(label: &str, linear: &Linearization, hand: &[(Vec<f64>, Vec<f64>)], what: &str) {
    for t in CHECKED_STEPS {
        let got = linear.outputs(t);
        let (want, want_test) = &hand[t];
        let err = relative_error(&got.train, want);
        assert!(
            err < 1e-10,
            "{label} ({what}) step {t}: train error {err:e}\n{:?}\n{:?}",
            got.train,
            want
        );
        let got_test = got.test.as_ref().expect("held-out outputs");
        let err = relative_error(got_test, want_test);
        assert!(
            err < 1e-10,
            "{label} ({what}) step {t}: test error {err:e}\n{got_test:?}\n{want_test:?}"
        );
    }
}

/// The library's linearization of `network` on `data` (with its held-out points) under `rates`.
fn linearization(network: &Mlp, data: &Dataset, rates: &LearningRates) -> Linearization {
    Linearization::new(
        network,
        &data.inputs,
        &data.targets,
        data.test.as_ref(),
        rates,
    )
    .unwrap()
}

/// For each of the trajectory cases on `data`: its label, the network from perturbed seed-3
/// parameters, the library's linearization of it and the hand-built linear model at the same θ_0.
fn trajectories(data: &Dataset) -> Vec<(&'static str, Mlp, Linearization, HandLinear)> {
    trajectory_cases()
        .into_iter()
        .map(|(label, config, rates)| {
            let arrays = perturbed_parameters(&config, 3);
            let network = config
                .with_parameters(&arrays, &f64_autodiff_device())
                .unwrap();
            let linear = linearization(&network, data, &rates);
            let hand = HandLinear::new(&config, &arrays, data, &rates);
            (label, network, linear, hand)
        })
        .collect()
}

#[test]
fn linearized_trajectory_equals_stepping_the_linear_model_with_an_explicit_jacobian() {
    let data = teacher_data(6, 3, 4, 11);
    for (label, network, linear, hand) in trajectories(&data) {
        // The hand network is the library's network: f_0 to rounding.
        let f0 = network_outputs(&network, &data.inputs);
        assert!(
            relative_error(&f0, &hand.f0) < 1e-13,
            "{label}: f_0 {f0:?} vs {:?}",
            hand.f0
        );

        // The setting is a convergent one (λ_max(K_η)/n < 2), and the spectrum is K_η's: its
        // trace (Σλ) equals tr K_η computed from the hand Jacobian (1e-12: ~n·ε per sum).
        let k = weighted_gram(&hand.jac, &hand.jac);
        let trace: f64 = (0..6).map(|i| k[i][i]).sum();
        let lambdas = linear.eigenvalues();
        let lambda_sum: f64 = lambdas.iter().sum();
        assert!(
            (lambda_sum - trace).abs() < 1e-12 * trace,
            "{label}: Σλ {lambda_sum} vs tr {trace}"
        );
        let lambda_max = lambdas.last().copied().unwrap();
        assert!(
            lambda_max / 6.0 < 2.0,
            "{label}: λ_max/n = {}",
            lambda_max / 6.0
        );

        let path = hand.output_space(50);
        // Non-vacuous: the outputs move visibly over the checked steps.
        assert!(
            relative_error(&path[50].0, &path[0].0) > 1e-2,
            "{label}: nothing moved"
        );
        assert!(
            relative_error(&path[50].1, &path[0].1) > 1e-3,
            "{label}: held-out outputs did not move"
        );
        assert_matches(label, &linear, &path, "output space");
    }
}

#[test]
fn linearized_trajectory_equals_gradient_descent_on_theta_of_the_linear_model() {
    let data = teacher_data(6, 3, 4, 11);
    for (label, _, linear, hand) in trajectories(&data) {
        let theta_path = hand.parameter_space(50);
        // The two hand computations agree with each other (the same linear dynamics), ...
        let outputs_path = hand.output_space(50);
        for t in CHECKED_STEPS {
            assert!(
                relative_error(&theta_path[t].0, &outputs_path[t].0) < 1e-11,
                "{label} step {t}"
            );
            assert!(
                relative_error(&theta_path[t].1, &outputs_path[t].1) < 1e-11,
                "{label} step {t}"
            );
        }
        // ... and the library's closed form agrees with the θ-space one.
        assert_matches(label, &linear, &theta_path, "θ space");
    }
}

/// The records of `train_from` on `config`'s network from `arrays` with a generalization made
/// of the data's held-out points and the linearization, and the final network.
fn run_with_generalization(
    config: &MlpConfig,
    arrays: &[NamedArray],
    data: &Dataset,
    spec: &TrainSpec,
) -> (Vec<MetricRecord>, Mlp) {
    let device = f64_autodiff_device();
    let model = config.with_parameters(arrays, &device).unwrap();
    let inputs = data.inputs_tensor(&device);
    let linear = linearization(&model, data, &spec.learning_rates);
    let start = TrainStart {
        baseline: Baseline::new(&model, inputs.clone()),
        model,
        state: LoopState::default(),
        generalization: Generalization::new(&data.inputs, data.test.clone(), Some(linear)),
    };
    let mut save = |_: &Mlp, _: &LoopState| Ok(());
    let mut interrupted = || false;
    let checkpointing = Checkpointing {
        every: 0,
        save: &mut save,
        interrupted: &mut interrupted,
    };
    let mut rows = Vec::new();
    let (network, _) = train_from(
        start,
        inputs,
        data.targets_tensor(&device),
        spec,
        |r| {
            rows.push(r.clone());
            Ok(())
        },
        checkpointing,
    )
    .unwrap();
    (rows, network)
}

fn gd_spec(steps: usize, log_every: usize, rates: LearningRates, engine: StepEngine) -> TrainSpec {
    TrainSpec {
        optimizer: Optimizer::GradientDescent,
        steps,
        learning_rates: rates,
        log_every,
        target_loss: 0.0,
        seed: 0,
        ntk_every: 0,
        engine,
    }
}

fn norm_of_difference(u: &[f64], v: &[f64]) -> f64 {
    u.iter()
        .zip(v)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt()
}
