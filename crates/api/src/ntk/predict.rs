//! Kernel-regression predictions on held-out points (`ntk --predict`), as neural-tangents'
//! `predict.gradient_descent_mse` gives them at t = ∞:
//!
//! - an empirical NTK (Jacobian, closed form): the linearized network trained to convergence,
//!   f_0(X_test) + K(X_test, X) (K(X, X) + ρI)⁻¹ (y − f_0(X));
//! - the analytic NTK K∞: the infinitely wide network's mean prediction, K∞(X_test, X)
//!   (K∞ + ρI)⁻¹ y (f_0 averages to 0 over initializations);
//! - an NNGP kernel, empirical or analytic: the Gaussian-process posterior mean
//!   K(X_test, X) (K + ρI)⁻¹ y (Lee et al. 2018), ρ playing the observation noise.

use anyhow::Context;
use overparam_model::Mlp;
use overparam_trainer::data::{Dataset, TestSet};
use overparam_trainer::ntk::{
    analytic_ntk_and_nngp, initialization_variance, kernel_regression, KernelBlocks,
};
use overparam_trainer::{mean_squared_loss_of, network_outputs};
use serde_json::{json, Value};

use super::{Kernel, KernelKind, KernelPoints};
use crate::config::ResolvedRun;

/// One kernel's predictions.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The kernel's method (`jacobian`, `closed`, `analytic`, `empirical`).
    pub method: &'static str,
    /// The prediction at X_test `[n_test]`.
    pub test: Vec<f64>,
    /// (1/2n_test) Σ (prediction − y_test)², when y_test is known.
    pub test_loss: Option<f64>,
    /// (1/2n) Σ (fit − y)² on the training points (0 up to rounding without a ridge).
    pub train_loss: f64,
    /// κ(K + ρI), which bounds how many digits the solve loses.
    pub condition_number: f64,
}

/// The predictions of every computed kernel with one ridge.
#[derive(Clone, Debug, PartialEq)]
pub struct Predictions {
    /// ρ ≥ 0.
    pub ridge: f64,
    /// y_test `[n_test]`, when known.
    pub test_targets: Option<Vec<f64>>,
    /// f_0(X_test) `[n_test]` of the network the empirical kernels are of.
    pub initial_test: Vec<f64>,
    /// One per kernel, in the kernels' order.
    pub by_method: Vec<Prediction>,
}

impl Predictions {
    /// `summary.json`'s `prediction`: the ridge, n_test, the initial network's held-out loss
    /// and per method the test and training losses and the condition number.
    pub fn summary(&self) -> Value {
        let mut summary = json!({
            "ridge": self.ridge,
            "num_test": self.initial_test.len(),
            "initial_test_loss": self
                .test_targets
                .as_ref()
                .map(|y| mean_squared_loss_of(&self.initial_test, y)),
        });
        for p in &self.by_method {
            summary[p.method] = json!({
                "test_loss": p.test_loss,
                "train_loss": p.train_loss,
                "condition_number": p.condition_number,
            });
        }
        summary
    }
}

/// The predictions of `kernels` (each with its cross block) on `points`' held-out inputs,
/// empirical NTKs offset by the outputs of `network` (θ_0).
pub(super) fn predictions(
    kernels: &[Kernel],
    points: &KernelPoints,
    network: &Mlp,
    kind: KernelKind,
    ridge: f64,
) -> anyhow::Result<Predictions> {
    anyhow::ensure!(
        ridge.is_finite() && ridge >= 0.0,
        "the ridge must be finite and ≥ 0, got {ridge}"
    );
    let targets = points
        .targets
        .clone()
        .context("predictions need the training targets y")?;
    let test_targets = points.test_targets.clone();
    let joint: Vec<f64> = points.train.iter().chain(&points.test).copied().collect();
    let initial = network_outputs(network, &joint);
    let (initial_train, initial_test) = initial.split_at(points.num_samples);
    let mut by_method = Vec::new();
    for kernel in kernels {
        let offset = kind == KernelKind::Ntk && kernel.name != "analytic";
        let zeros_train = vec![0.0; targets.len()];
        let zeros_test = vec![0.0; points.num_test];
        let (f0_train, f0_test) = match offset {
            true => (initial_train, initial_test),
            false => (&zeros_train[..], &zeros_test[..]),
        };
        let blocks = KernelBlocks {
            train: kernel.values.clone(),
            cross: kernel
                .cross
                .clone()
                .context("predictions need the cross kernel")?,
            test: Vec::new(),
        };
        by_method.push(
            regress(
                kernel.name,
                &blocks,
                (f0_train, f0_test),
                (&targets, test_targets.as_deref()),
                ridge,
            )
            .with_context(|| format!("kernel regression with the {} kernel", kernel.name))?,
        );
    }
    Ok(Predictions {
        ridge,
        test_targets,
        initial_test: initial_test.to_vec(),
        by_method,
    })
}

/// f_0 + K(·, X)(K + ρI)⁻¹(y − f_0(X)) on both sets, with its losses.
fn regress(
    method: &'static str,
    blocks: &KernelBlocks,
    (f0_train, f0_test): (&[f64], &[f64]),
    (targets, test_targets): (&[f64], Option<&[f64]>),
    ridge: f64,
) -> anyhow::Result<Prediction> {
    let residual: Vec<f64> = targets.iter().zip(f0_train).map(|(y, f)| y - f).collect();
    let solved = kernel_regression(&blocks.train, &blocks.cross, &residual, ridge)?;
    let add = |f0: &[f64], delta: &[f64]| -> Vec<f64> {
        f0.iter().zip(delta).map(|(a, b)| a + b).collect()
    };
    let test = add(f0_test, &solved.test);
    let train = add(f0_train, &solved.train);
    Ok(Prediction {
        method,
        test_loss: test_targets.map(|y| mean_squared_loss_of(&test, y)),
        train_loss: mean_squared_loss_of(&train, targets),
        condition_number: solved.condition_number,
        test,
    })
}

/// `summary.json`'s `kernel_regression` of a training run with held-out points, or why there
/// is none: for the infinitely wide network trained by the same gradient descent (the run's
/// rates, K∞_η) to convergence, `analytic_test_loss`, the held-out loss of its mean
/// prediction (kernel regression with K∞_η), and `analytic_expected_test_loss`, its held-out
/// loss averaged over initializations, which adds half the mean variance of f_0's
/// contribution (see [`initialization_variance`]): what finite networks approach as m grows.
pub fn analytic_regression_summary(
    resolved: &ResolvedRun,
    dataset: &Dataset,
    test: &TestSet,
) -> Value {
    let joint: Vec<f64> = dataset.inputs.iter().chain(&test.inputs).copied().collect();
    let rates = Some(&resolved.train.learning_rates);
    let (ntk, nngp) = match analytic_ntk_and_nngp(&joint, &resolved.model, rates) {
        Ok(kernels) => kernels,
        Err(reason) => return json!({ "analytic_skipped": reason.to_string() }),
    };
    let (n, n_test) = (dataset.num_samples, test.num_samples);
    let (blocks, nngp) = (
        KernelBlocks::split(&ntk, n, n_test),
        KernelBlocks::split(&nngp, n, n_test),
    );
    let zeros = (vec![0.0; dataset.num_samples], vec![0.0; test.num_samples]);
    match regress(
        "analytic",
        &blocks,
        (&zeros.0, &zeros.1),
        (&dataset.targets, Some(&test.targets)),
        0.0,
    ) {
        Ok(p) => {
            let mut summary = json!({
                "analytic_test_loss": p.test_loss,
                "analytic_condition_number": p.condition_number,
            });
            match expected_loss(&blocks, &nngp, &p, &test.targets) {
                Ok(expected) => summary["analytic_expected_test_loss"] = json!(expected),
                Err(reason) => summary["expected_skipped"] = json!(format!("{reason:#}")),
            }
            summary
        }
        Err(reason) => json!({ "analytic_skipped": format!("{reason:#}") }),
    }
}

/// The held-out loss of `prediction` (the mean) plus half the mean variance over
/// initializations, from the blocks of the analytic NTK and NNGP kernels on [X; X_test].
fn expected_loss(
    ntk_blocks: &KernelBlocks,
    nngp: &KernelBlocks,
    prediction: &Prediction,
    test_targets: &[f64],
) -> anyhow::Result<f64> {
    let n_test = test_targets.len();
    let diagonal: Vec<f64> = (0..n_test).map(|i| nngp.test[i * n_test + i]).collect();
    let variances = initialization_variance(
        &ntk_blocks.train,
        &ntk_blocks.cross,
        &nngp.train,
        &nngp.cross,
        &diagonal,
    )?;
    let mean_loss = mean_squared_loss_of(&prediction.test, test_targets);
    Ok(mean_loss + 0.5 * variances.iter().sum::<f64>() / n_test as f64)
}
