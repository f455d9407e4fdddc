//! The backend-parity suite, shared by one test binary per dtype (Burn fixes a device's dtype
//! once per process): the same host-side parameters and data on the `wgpu` device and on the
//! `flex` CPU device, through the runner's one dispatch point, and four comparisons —
//! forward pass, autodiff gradients, 200 steps of gradient descent, and the two-layer NTK.
//!
//! Every comparison is the ∞-norm relative difference `max|gpu − cpu| / max|cpu|` against a
//! bar per dtype ([`Bars`]); each prints its measured value so that the margin can be read
//! off the test log (`cargo test … -- --nocapture`).
//!
//! Where no wgpu device opens, the tests say so and pass, unless `OVERPARAM_REQUIRE_WGPU` is
//! set (CI sets it after installing Mesa's software Vulkan driver), in which case they fail.
#![allow(dead_code)]

use std::sync::OnceLock;

use burn::tensor::{Device, Tensor};
use overparam_model::{
    host_values, Activation, Mlp, MlpConfig, NamedArray, OutputInit, Parameterization, Trainable,
};
use overparam_runner::backend::{
    autodiff_device, require_accurate_activation, BackendKind, DTypeKind,
};
use overparam_trainer::data::{DataSpec, Dataset, InputLaw, InputSource, LabelSource};
use overparam_trainer::ntk::{ntk, ntk_spectrum, NtkMethod, NtkOptions};
use overparam_trainer::{
    mean_squared_loss, stream_rng, train, LearningRates, Optimizer, RngStream, StepEngine,
    TrainSpec,
};

/// The wgpu device under test and the CPU reference, both autodiff, in one dtype.
#[derive(Clone)]
pub struct Pair {
    /// `--backend wgpu`.
    pub gpu: Device,
    /// `--backend flex`, the reference.
    pub cpu: Device,
    /// Their dtype.
    pub dtype: DTypeKind,
}

/// The devices for `dtype`, opened once per test process; `None` (the test passes, saying why)
/// where no wgpu device opens and `OVERPARAM_REQUIRE_WGPU` is unset.
pub fn devices(dtype: DTypeKind) -> Option<Pair> {
    static PAIR: OnceLock<Option<Pair>> = OnceLock::new();
    let pair = PAIR.get_or_init(|| match autodiff_device(BackendKind::Wgpu, dtype) {
        Ok(gpu) => Some(Pair {
            gpu,
            cpu: autodiff_device(BackendKind::Flex, dtype).expect("flex always opens"),
            dtype,
        }),
        Err(error) if std::env::var_os("OVERPARAM_REQUIRE_WGPU").is_some() => {
            panic!("OVERPARAM_REQUIRE_WGPU is set but wgpu does not open: {error:#}")
        }
        Err(error) => {
            eprintln!("skipping the wgpu parity suite: {error:#}");
            None
        }
    });
    assert!(
        pair.as_ref().is_none_or(|p| p.dtype == dtype),
        "one dtype per test binary"
    );
    pair.clone()
}

/// The agreement each comparison must reach, as `max|gpu − cpu| / max|cpu|`.
#[derive(Clone, Copy, Debug)]
pub struct Bars {
    /// f(X) of a two-layer network and a depth-2 MLP.
    pub forward: f64,
    /// ∂L/∂θ for every tensor.
    pub gradients: f64,
    /// Final parameters, and the loss at every logged step (relative to that step's loss),
    /// after 200 GD steps.
    pub training: f64,
    /// The two-layer NTK (closed form and Jacobian on wgpu against the closed form on CPU),
    /// and its spectrum.
    pub ntk: f64,
}

/// n, d and the widths of the parity problems: small, because Mesa's software Vulkan device
/// runs ~10× slower than the CPU backends.
const NUM_SAMPLES: usize = 32;
const INPUT_DIM: usize = 8;
const WIDTH: usize = 64;
const DEEP_WIDTHS: [usize; 2] = [32, 16];

/// `max|gpu − cpu| / max|cpu|`, printed, and checked against `bar`.
pub fn assert_close(what: &str, gpu: &[f64], cpu: &[f64], bar: f64) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths differ");
    let scale = cpu.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let difference = gpu
        .iter()
        .zip(cpu)
        .fold(0.0_f64, |m, (g, c)| m.max((g - c).abs()));
    let relative = difference / scale.max(f64::MIN_POSITIVE);
    eprintln!("{what}: wgpu vs flex {relative:.2e} (bar {bar:.0e})");
    assert!(
        relative.is_finite() && relative <= bar,
        "{what}: wgpu and flex differ by {relative:.3e} relative (bar {bar:.0e})"
    );
}

/// The activations the wgpu device computes to its dtype's precision. One it does not is
/// refused by every command (`require_accurate_activation`), so it is left out here, saying
/// so; in f32 every activation must pass.
fn activations(pair: &Pair) -> Vec<Activation> {
    Activation::ALL
        .into_iter()
        .filter(|&activation| {
            match require_accurate_activation(&pair.gpu, pair.dtype, activation) {
                Ok(()) => true,
                Err(error) => {
                    assert_eq!(pair.dtype, DTypeKind::F64, "{error:#}");
                    eprintln!("not compared (refused by the commands): {error:#}");
                    false
                }
            }
        })
        .collect()
}

/// Gaussian inputs `[n, d]` with labels from a 4-neuron teacher of `activation`.
fn problem(activation: Activation) -> Dataset {
    Dataset::from_spec(&DataSpec {
        num_samples: NUM_SAMPLES,
        input_dim: INPUT_DIM,
        inputs: InputSource::Generated(InputLaw::Gaussian),
        labels: LabelSource::Teacher {
            width: 4,
            orthonormal: true,
            seed: 3,
            activation,
        },
        seed: 5,
        test: None,
    })
    .expect("generated data is valid")
}

/// A depth-`widths.len()` network of `activation` in the NTK parameterization, biases at −0.3.
fn network_config(widths: &[usize], activation: Activation) -> MlpConfig {
    MlpConfig {
        input_dim: INPUT_DIM,
        widths: widths.to_vec(),
        activation,
        parameterization: Parameterization::Ntk,
        output_init: OutputInit::Gaussian,
        bias_init: -0.3,
        trainable: Trainable::ALL,
        trainable_layers: vec![true; widths.len()],
    }
}

/// The two-layer network (one hidden layer of width [`WIDTH`]) of `activation`.
fn two_layer_config(activation: Activation) -> MlpConfig {
    network_config(&[WIDTH], activation)
}

/// One initial draw, shared by both devices.
fn parameters(config: &MlpConfig) -> Vec<NamedArray> {
    config.init_parameters(&mut stream_rng(7, RngStream::Init))
}

/// f(X) on both devices for the two-layer network of every activation and a depth-2 MLP.
pub fn check_forward(pair: &Pair, bar: f64) {
    for activation in activations(pair) {
        let data = problem(activation);
        let config = two_layer_config(activation);
        let theta = parameters(&config);
        let output = |device: &Device| {
            let model: Mlp = config.with_parameters(&theta, device).unwrap();
            host_values(model.forward(data.inputs_tensor(device)))
        };
        assert_close(
            &format!("two-layer {activation:?} f(X)"),
            &output(&pair.gpu),
            &output(&pair.cpu),
            bar,
        );

        let config = network_config(&DEEP_WIDTHS, activation);
        let theta = parameters(&config);
        let output = |device: &Device| {
            let model: Mlp = config.with_parameters(&theta, device).unwrap();
            host_values(model.forward(data.inputs_tensor(device)))
        };
        assert_close(
            &format!("depth-2 {activation:?} f(X)"),
            &output(&pair.gpu),
            &output(&pair.cpu),
            bar,
        );
    }
}

/// ∂L/∂θ by autodiff on both devices, every tensor of the two-layer network and the depth-2
/// MLP, every activation.
pub fn check_gradients(pair: &Pair, bar: f64) {
    for activation in activations(pair) {
        let data = problem(activation);
        let config = two_layer_config(activation);
        let theta = parameters(&config);
        let gradients = |device: &Device| {
            let model: Mlp = config.with_parameters(&theta, device).unwrap();
            let grads = loss(model.forward(data.inputs_tensor(device)), &data, device).backward();
            vec![
                host_values(model.w[0].val().grad(&grads).unwrap()),
                host_values(model.b[0].val().grad(&grads).unwrap()),
                host_values(model.a.val().grad(&grads).unwrap()),
            ]
        };
        for ((name, gpu), cpu) in ["w1", "b1", "a"]
            .iter()
            .zip(gradients(&pair.gpu))
            .zip(gradients(&pair.cpu))
        {
            assert_close(
                &format!("two-layer {activation:?} ∂L/∂{name}"),
                &gpu,
                &cpu,
                bar,
            );
        }

        let config = network_config(&DEEP_WIDTHS, activation);
        let theta = parameters(&config);
        let gradients = |device: &Device| {
            let model: Mlp = config.with_parameters(&theta, device).unwrap();
            let grads = loss(model.forward(data.inputs_tensor(device)), &data, device).backward();
            let mut all: Vec<Vec<f64>> = Vec::new();
            for (w, b) in model.w.iter().zip(&model.b) {
                all.push(host_values(w.val().grad(&grads).unwrap()));
                all.push(host_values(b.val().grad(&grads).unwrap()));
            }
            all.push(host_values(model.a.val().grad(&grads).unwrap()));
            all
        };
        for ((name, gpu), cpu) in ["w1", "b1", "w2", "b2", "a"]
            .iter()
            .zip(gradients(&pair.gpu))
            .zip(gradients(&pair.cpu))
        {
            assert_close(
                &format!("depth-2 {activation:?} ∂L/∂{name}"),
                &gpu,
                &cpu,
                bar,
            );
        }
    }
}

fn loss(predictions: Tensor<1>, data: &Dataset, device: &Device) -> Tensor<1> {
    mean_squared_loss(predictions, data.targets_tensor(device))
}

/// 200 full-batch GD steps of a two-layer ReLU network on a ReLU teacher, rates (1, 1, 1) and
/// the NTK tracked every 50 steps: the loss at every logged step, λ_min along the way, and the
/// final parameters.
pub fn check_training(pair: &Pair, bar: f64) {
    let activation = Activation::Relu;
    let data = problem(activation);
    let config = two_layer_config(activation);
    let theta = parameters(&config);
    let spec = TrainSpec {
        optimizer: Optimizer::GradientDescent,
        steps: 200,
        learning_rates: LearningRates {
            hidden_weights: 1.0,
            hidden_biases: 1.0,
            output_weights: 1.0,
            per_layer: Vec::new(),
        },
        log_every: 10,
        target_loss: 0.0,
        seed: 0,
        ntk_every: 50,
        engine: StepEngine::Autodiff,
    };
    let run = |device: &Device| {
        let model: Mlp = config.with_parameters(&theta, device).unwrap();
        let mut losses = Vec::new();
        let mut eigenvalues = Vec::new();
        let (model, outcome) = train(
            model,
            data.inputs_tensor(device),
            data.targets_tensor(device),
            &spec,
            |record| {
                losses.push(record.loss);
                if let Some(kernel) = &record.kernel {
                    eigenvalues.extend([kernel.lambda_min, kernel.lambda_max]);
                }
                Ok(())
            },
        )
        .expect("training converges on both devices");
        assert_eq!(outcome.steps_run, 200);
        let parameters: Vec<f64> = model
            .to_named_arrays()
            .into_iter()
            .flat_map(|array| array.values)
            .collect();
        (losses, eigenvalues, parameters)
    };
    let (gpu_losses, gpu_lambda, gpu_parameters) = run(&pair.gpu);
    let (cpu_losses, cpu_lambda, cpu_parameters) = run(&pair.cpu);
    assert!(
        cpu_losses.last().unwrap() < &(0.1 * cpu_losses[0]),
        "the reference run should learn: losses {cpu_losses:?}"
    );
    // Each logged loss relative to itself: the curve falls by orders of magnitude.
    let ratios: Vec<f64> = gpu_losses
        .iter()
        .zip(&cpu_losses)
        .map(|(g, c)| g / c)
        .collect();
    assert_close(
        "loss curve (ratio to flex's)",
        &ratios,
        &vec![1.0; ratios.len()],
        bar,
    );
    // Eigenvalues move by at most ‖δK‖₂ (Weyl), so they are compared on the scale of λ_max.
    assert_close("λ_min, λ_max along training", &gpu_lambda, &cpu_lambda, bar);
    assert_close(
        "parameters after 200 steps",
        &gpu_parameters,
        &cpu_parameters,
        bar,
    );
}

/// The two-layer NTK of every activation: closed form and Jacobian on wgpu against the closed
/// form on CPU, and its spectrum (compared on the scale of λ_max: by Weyl's inequality no
/// eigenvalue moves by more than ‖δK‖₂, so a near-zero λ_min has no relative accuracy to keep).
pub fn check_ntk(pair: &Pair, bar: f64) {
    for activation in activations(pair) {
        let data = problem(activation);
        let config = two_layer_config(activation);
        let theta = parameters(&config);
        let kernel = |device: &Device, closed: bool| {
            let model: Mlp = config.with_parameters(&theta, device).unwrap();
            let method = if closed {
                NtkMethod::ClosedForm
            } else {
                NtkMethod::Jacobian { block_size: 16 }
            };
            let options = NtkOptions {
                method,
                on_host: false,
            };
            ntk(&model, &data.inputs, &options)
                .expect("every tensor is trained")
                .kernel(None)
        };
        let reference = kernel(&pair.cpu, true);
        let spectrum = |k: &[f64]| {
            ntk_spectrum(k, NUM_SAMPLES)
                .expect("finite kernel")
                .eigenvalues
        };
        for (method, closed) in [("closed-form", true), ("Jacobian", false)] {
            let gpu = kernel(&pair.gpu, closed);
            assert_close(
                &format!("{activation:?} NTK, {method}"),
                &gpu,
                &reference,
                bar,
            );
            assert_close(
                &format!("{activation:?} NTK spectrum, {method}"),
                &spectrum(&gpu),
                &spectrum(&reference),
                bar,
            );
        }
    }
}

/// The four parity tests for one dtype, against its [`Bars`].
macro_rules! parity_tests {
    ($dtype:expr, $bars:expr) => {
        #[test]
        fn forward_pass_matches_flex() {
            if let Some(pair) = parity::devices($dtype) {
                parity::check_forward(&pair, $bars.forward);
            }
        }

        #[test]
        fn autodiff_gradients_match_flex() {
            if let Some(pair) = parity::devices($dtype) {
                parity::check_gradients(&pair, $bars.gradients);
            }
        }

        #[test]
        fn two_hundred_gd_steps_match_flex() {
            if let Some(pair) = parity::devices($dtype) {
                parity::check_training(&pair, $bars.training);
            }
        }

        #[test]
        fn two_layer_ntk_matches_flex() {
            if let Some(pair) = parity::devices($dtype) {
                parity::check_ntk(&pair, $bars.ntk);
            }
        }
    };
}
