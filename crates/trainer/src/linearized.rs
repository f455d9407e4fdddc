//! The linearized network f_lin(x; θ) = f(x; θ_0) + ∇_θ f(x; θ_0)·(θ − θ_0) (Lee et al. 2019,
//! "Wide neural networks of any depth evolve as linear models under gradient descent"), trained
//! by the same full-batch gradient descent with the same per-tensor rates. Its outputs move by
//! the learning-rate-weighted kernel at θ_0, K_η = Σ_g η_g J_g J_gᵀ:
//!
//! f_lin,t+1(X) = f_lin,t(X) − (1/n) K_η(X, X) (f_lin,t(X) − y),
//! f_lin,t+1(X_test) = f_lin,t(X_test) − (1/n) K_η(X_test, X) (f_lin,t(X) − y).
//!
//! With K_η(X, X) = V diag(λ) Vᵀ and c = Vᵀ (f_0(X) − y) both have closed forms at any t,
//! so a logged step costs two products with `[n, n]` and `[n_test, n]` matrices, not t steps:
//!
//! f_lin,t(X) − y = V diag((1 − λ_k/n)^t) c,
//! f_lin,t(X_test) = f_0(X_test) − K_η(X_test, X) V diag(g_t(λ_k)) c,
//! g_t(λ) = Σ_{s<t} (1 − λ/n)^s / n = (1 − (1 − λ/n)^t)/λ  (t/n at λ = 0).
//!
//! Under SGD the same trajectory is the mean path of the linear model trained by SGD with the
//! same rates (each mini-batch step is, in expectation, the full-batch step), so the columns
//! then measure the network's distance from the lazy full-batch path, SGD noise included.

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use overparam_model::{host_values, Mlp};

use crate::data::TestSet;
use crate::ntk::{Eigendecomposition, JointNtk, NtkMethod, NtkOptions};
use crate::{mean_squared_loss_of, LearningRates, TrainerError};

/// The linearization at θ_0, ready to give its outputs at any step.
pub struct Linearization {
    num_samples: usize,
    targets: Vec<f64>,
    eigenvalues: Vec<f64>,
    eigen: Eigendecomposition,
    /// c = Vᵀ (f_0(X) − y).
    coefficients: Vec<f64>,
    /// ‖f_0(X) − y‖, the scale of `lin_distance`.
    initial_residual_norm: f64,
    test: Option<HeldOutLinearization>,
}

/// What the held-out outputs need.
struct HeldOutLinearization {
    targets: Vec<f64>,
    initial_outputs: Vec<f64>,
    /// K_η(X_test, X) V `[n_test, n]`.
    cross_in_eigenbasis: Vec<f64>,
    initial_residual_norm: f64,
}

/// The linearized network's outputs at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearizedOutputs {
    /// f_lin,t(X) `[n]`.
    pub train: Vec<f64>,
    /// f_lin,t(X_test) `[n_test]`, with held-out points.
    pub test: Option<Vec<f64>>,
}

/// The linearized network's columns at one logged step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearizedRecord {
    /// L(f_lin,t) on the training points, (1/2n) Σ_i (f_lin,t(x_i) − y_i)².
    pub loss: f64,
    /// The same on the held-out points.
    pub test_loss: Option<f64>,
    /// ‖f_t(X) − f_lin,t(X)‖ / ‖f_0(X) − y‖ (the absolute distance when f_0(X) = y).
    pub distance: f64,
    /// ‖f_t(X_test) − f_lin,t(X_test)‖ / ‖f_0(X_test) − y_test‖ (likewise).
    pub test_distance: Option<f64>,
}

impl Linearization {
    /// The linearization of `initial` (θ_0) on `inputs` `[n, d]` with `targets` `[n]` and the
    /// held-out points `test`, for gradient descent with `rates`: K_η at θ_0 by the closed form
    /// (one hidden layer) or the Jacobian method (deeper), its eigendecomposition, f_0 on both.
    pub fn new(
        initial: &Mlp,
        inputs: &[f64],
        targets: &[f64],
        test: Option<&TestSet>,
        rates: &LearningRates,
    ) -> Result<Self, TrainerError> {
        let n = targets.len();
        let test_inputs = test.map_or(&[][..], |t| &t.inputs[..]);
        let total = n + test.map_or(0, |t| t.num_samples);
        let method = if initial.depth() == 1 {
            NtkMethod::ClosedForm
        } else {
            NtkMethod::Jacobian {
                block_size: total.max(1),
            }
        };
        let options = NtkOptions {
            method,
            on_host: false,
        };
        let blocks = JointNtk::new(initial, inputs, test_inputs, &options)
            .map_err(TrainerError::Ntk)?
            .blocks(Some(rates));
        let eigen = Eigendecomposition::of(&blocks.train, n).map_err(TrainerError::Kernel)?;
        let outputs = outputs_at(initial, inputs, test_inputs);
        let initial_residual: Vec<f64> = outputs[..n]
            .iter()
            .zip(targets)
            .map(|(f, y)| f - y)
            .collect();
        let test = test.map(|t| {
            let initial_outputs = outputs[n..].to_vec();
            HeldOutLinearization {
                initial_residual_norm: distance(&initial_outputs, &t.targets),
                cross_in_eigenbasis: eigen.right_multiply(&blocks.cross, t.num_samples),
                targets: t.targets.clone(),
                initial_outputs,
            }
        });
        Ok(Self {
            num_samples: n,
            targets: targets.to_vec(),
            eigenvalues: eigen.eigenvalues.clone(),
            coefficients: eigen.project(&initial_residual),
            initial_residual_norm: norm(&initial_residual),
            eigen,
            test,
        })
    }

    /// λ of K_η(X, X) at θ_0, ascending.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// f_lin after `step` gradient steps, on the training and held-out points.
    pub fn outputs(&self, step: usize) -> LinearizedOutputs {
        let n = self.num_samples as f64;
        let t = step as f64;
        let decayed: Vec<f64> = self
            .eigenvalues
            .iter()
            .zip(&self.coefficients)
            .map(|(&lambda, c)| c * power(1.0 - lambda / n, step))
            .collect();
        let train = self
            .eigen
            .combine(&decayed)
            .iter()
            .zip(&self.targets)
            .map(|(r, y)| y + r)
            .collect();
        let test = self.test.as_ref().map(|held_out| {
            let accumulated: Vec<f64> = self
                .eigenvalues
                .iter()
                .zip(&self.coefficients)
                .map(|(&lambda, c)| c * accumulated_step(lambda, n, t, step))
                .collect();
            held_out
                .cross_in_eigenbasis
                .chunks_exact(self.num_samples.max(1))
                .zip(&held_out.initial_outputs)
                .map(|(row, f0)| {
                    f0 - row
                        .iter()
                        .zip(&accumulated)
                        .map(|(k, a)| k * a)
                        .sum::<f64>()
                })
                .collect()
        });
        LinearizedOutputs { train, test }
    }

    /// The columns at `step`, given the network's outputs f_t(X) `[n]` and, with held-out
    /// points, f_t(X_test) `[n_test]`.
    pub fn record(
        &self,
        step: usize,
        network: &[f64],
        network_test: Option<&[f64]>,
    ) -> LinearizedRecord {
        let linear = self.outputs(step);
        let test = self.test.as_ref().zip(linear.test.as_ref());
        LinearizedRecord {
            loss: mean_squared_loss_of(&linear.train, &self.targets),
            test_loss: test
                .map(|(held_out, outputs)| mean_squared_loss_of(outputs, &held_out.targets)),
            distance: relative(distance(network, &linear.train), self.initial_residual_norm),
            test_distance: test.zip(network_test).map(|((held_out, outputs), f)| {
                relative(distance(f, outputs), held_out.initial_residual_norm)
            }),
        }
    }
}

/// f at `train_inputs` then at `test_inputs` (both row-major `[·, d]`), as one host vector.
fn outputs_at(network: &Mlp, train_inputs: &[f64], test_inputs: &[f64]) -> Vec<f64> {
    let joint: Vec<f64> = train_inputs.iter().chain(test_inputs).copied().collect();
    network_outputs(network, &joint)
}

/// f(x_i) `[rows]` of `network` for `inputs` `[rows, d]` (row-major), on the host in f64
/// (computed on the network's device in its dtype, without recording a graph).
pub fn network_outputs(network: &Mlp, inputs: &[f64]) -> Vec<f64> {
    let d = network.input_dim();
    let rows = inputs.len() / d.max(1);
    let device = network.a.val().device();
    let x = Tensor::<2>::from_data(TensorData::new(inputs.to_vec(), [rows, d]), &device);
    host_values(network.valid().forward(x.inner()))
}

/// q^t for an integer t ≥ 0, also for q ≤ 0.
fn power(q: f64, t: usize) -> f64 {
    match i32::try_from(t) {
        Ok(t) => q.powi(t),
        Err(_) => q.abs().powf(t as f64) * if q < 0.0 && t % 2 == 1 { -1.0 } else { 1.0 },
    }
}

/// g_t(λ) = Σ_{s<t} (1 − λ/n)^s / n = (1 − (1 − λ/n)^t)/λ, without cancellation for small λ.
fn accumulated_step(lambda: f64, n: f64, t: f64, step: usize) -> f64 {
    let x = lambda / n;
    if x == 0.0 {
        t / n
    } else if x < 1.0 {
        -(t * (-x).ln_1p()).exp_m1() / lambda
    } else {
        (1.0 - power(1.0 - x, step)) / lambda
    }
}

/// ‖u − v‖.
fn distance(u: &[f64], v: &[f64]) -> f64 {
    u.iter()
        .zip(v)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// `value / scale`, or `value` when the scale is 0.
fn relative(value: f64, scale: f64) -> f64 {
    if scale > 0.0 {
        value / scale
    } else {
        value
    }
}

/// ‖v‖.
fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}
