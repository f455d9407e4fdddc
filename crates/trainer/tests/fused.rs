//! The fused CPU step against the autodiff reference: 100 full-batch GD steps in f64 from the
//! same start, every logged record and the final parameters within 1e-10 relative, for one
//! and three hidden layers, every activation and parameterization, frozen tensors, per-layer
//! rates, and the sparse (bias −2.5) regime.
//!
//! Why 1e-10: both paths compute the same formulas in f64 with sums in different orders
//! (≈1e-16 relative per step); GD at these rates is a contraction over 100 steps, so the
//! difference stays within a few hundred ulps. A wrong term shows as O(η·|∇L|) ≥ 1e-4.

mod common;

use common::trajectory::{self, run};
use common::*;
use overparam_model::{Activation, MlpConfig, Parameterization, Trainable};
use overparam_trainer::data::RandomLabels;
use overparam_trainer::{LearningRates, Optimizer, StepEngine, TrainSpec};

fn spec(engine: StepEngine, learning_rates: LearningRates) -> TrainSpec {
    TrainSpec {
        optimizer: Optimizer::GradientDescent,
        steps: 100,
        learning_rates,
        log_every: 7,
        target_loss: 0.0,
        seed: 0,
        ntk_every: 0,
        engine,
    }
}

/// The input dimension of every network and problem here.
const D: usize = 5;

fn assert_same_trajectory(config: &MlpConfig, rates: &LearningRates, label: &str) {
    let data = sphere_problem(24, D, 3, RandomLabels::Gaussian);
    let reference = run(config, &data, &spec(StepEngine::Autodiff, rates.clone()));
    let fused = run(config, &data, &spec(StepEngine::Fused, rates.clone()));
    trajectory::assert_same_trajectory(&reference, &fused, label);
}

#[test]
fn two_layer_trajectories_match_autodiff_for_every_activation_and_scaling() {
    let rates = LearningRates::by_kind(0.5, 0.3, 0.4);
    for activation in Activation::ALL {
        for parameterization in Parameterization::ALL {
            let config = mlp_config(D, &[40], activation, parameterization, 0.1, Trainable::ALL);
            let label = format!("{activation} {parameterization}");
            let rates = if activation == Activation::Quadratic {
                LearningRates::by_kind(0.05, 0.05, 0.05)
            } else {
                rates.clone()
            };
            assert_same_trajectory(&config, &rates, &label);
        }
    }
}

#[test]
fn deep_trajectories_match_autodiff_with_per_layer_rates() {
    let mut rates = LearningRates::by_kind(0.0, 0.0, 0.0);
    rates.per_layer = vec![0.3, 0.2, 0.4, 0.5];
    for activation in [Activation::Relu, Activation::Softplus] {
        let config = mlp_config(
            D,
            &[16, 12, 20],
            activation,
            Parameterization::Ntk,
            0.0,
            Trainable::ALL,
        );
        assert_same_trajectory(&config, &rates, &format!("depth 3 {activation}"));
    }
}

#[test]
fn frozen_tensors_stay_frozen_on_both_paths() {
    let rates = LearningRates::by_kind(0.5, 0.5, 0.5);
    for trainable in [
        Trainable {
            w: true,
            b: false,
            a: false,
        },
        Trainable {
            w: false,
            b: true,
            a: true,
        },
        Trainable {
            w: true,
            b: true,
            a: false,
        },
    ] {
        let config = mlp_config(
            D,
            &[30],
            Activation::Relu,
            Parameterization::Ntk,
            0.2,
            trainable,
        );
        assert_same_trajectory(&config, &rates, &format!("{trainable:?}"));
        let mut deep = mlp_config(
            D,
            &[10, 10],
            Activation::Softplus,
            Parameterization::Ntk,
            0.2,
            trainable,
        );
        deep.trainable_layers = vec![false, true];
        assert_same_trajectory(
            &deep,
            &rates,
            &format!("deep {trainable:?}, layer 1 frozen"),
        );
    }
}

#[test]
fn the_sparse_regime_matches_autodiff() {
    // Bias −2.5, W ~ N(0, I), inputs on the sphere: ~0.6% of units active, so the fused step
    // takes its sparse path; width 2000 keeps a few active units per sample.
    let config = mlp_config(
        D,
        &[2000],
        Activation::Relu,
        Parameterization::Ntk,
        -2.5,
        Trainable::ALL,
    );
    assert_same_trajectory(&config, &LearningRates::by_kind(2.0, 2.0, 2.0), "bias −2.5");
}
