//! Shared by the f64 test binaries of this crate: one f64 device per process, and small
//! random problems.
#![allow(dead_code)]

pub mod numerics;
pub mod trajectory;

use std::sync::OnceLock;

use burn::tensor::{Device, FloatDType, Tensor};
use overparam_model::{
    host_values, Activation, Mlp, MlpConfig, NamedArray, OutputInit, Parameterization, Trainable,
};
use overparam_trainer::data::{
    DataSpec, Dataset, InputLaw, InputSource, LabelSource, RandomLabels,
};
use overparam_trainer::ntk::{ntk, NtkError, NtkMethod, NtkOptions};
use overparam_trainer::{mean_squared_loss, stream_rng, LearningRates, RngStream};

// Not every test binary compares vectors.
#[allow(unused_imports)]
pub use numerics::relative_error;

/// The flex device in f64 (configured once per test process), without autodiff.
pub fn f64_device() -> Device {
    static DEVICE: OnceLock<Device> = OnceLock::new();
    DEVICE
        .get_or_init(|| configured_f64(Device::flex()))
        .clone()
}

/// The ndarray device in f64 (configured once per test process), without autodiff.
pub fn f64_ndarray_device() -> Device {
    static DEVICE: OnceLock<Device> = OnceLock::new();
    #[allow(deprecated)] // burn-ndarray is deprecated upstream; still offered as --backend ndarray
    DEVICE
        .get_or_init(|| configured_f64(Device::ndarray()))
        .clone()
}

/// Every CPU backend the binary offers, in f64, by name.
pub fn f64_cpu_devices() -> [(&'static str, Device); 2] {
    [("flex", f64_device()), ("ndarray", f64_ndarray_device())]
}

fn configured_f64(mut device: Device) -> Device {
    device
        .configure(FloatDType::F64)
        .expect("only this helper configures the device");
    device
}

/// The same device with autodiff.
pub fn f64_autodiff_device() -> Device {
    f64_device().autodiff()
}

/// The config of a network with hidden layers of `widths`, every layer trained, of the given
/// kind; biases start at `bias_init`.
pub fn mlp_config(
    input_dim: usize,
    widths: &[usize],
    activation: Activation,
    parameterization: Parameterization,
    bias_init: f64,
    trainable: Trainable,
) -> MlpConfig {
    MlpConfig {
        input_dim,
        widths: widths.to_vec(),
        activation,
        parameterization,
        output_init: OutputInit::Gaussian,
        bias_init,
        trainable,
        trainable_layers: vec![true; widths.len()],
    }
}

/// The config of a network with one hidden layer (the two-layer network) of the given shape
/// and kind; biases start at `bias_init`.
pub fn two_layer_config(
    input_dim: usize,
    width: usize,
    activation: Activation,
    parameterization: Parameterization,
    bias_init: f64,
    trainable: Trainable,
) -> MlpConfig {
    mlp_config(
        input_dim,
        &[width],
        activation,
        parameterization,
        bias_init,
        trainable,
    )
}

/// A ReLU network in the `ntk` parameterization with hidden layers of `widths`, every tensor
/// trained; biases start at `bias_init`.
pub fn relu_ntk_config(input_dim: usize, widths: &[usize], bias_init: f64) -> MlpConfig {
    mlp_config(
        input_dim,
        widths,
        Activation::Relu,
        Parameterization::Ntk,
        bias_init,
        Trainable::ALL,
    )
}

/// n Gaussian inputs in dimension d with N(0,1) random labels, drawn from `seed`.
pub fn random_problem(num_samples: usize, input_dim: usize, seed: u64) -> Dataset {
    Dataset::from_spec(&DataSpec {
        num_samples,
        input_dim,
        inputs: InputSource::Generated(InputLaw::Gaussian),
        labels: LabelSource::Random(RandomLabels::Gaussian),
        seed,
        test: None,
    })
    .expect("generated data is valid")
}

/// n inputs uniform on the sphere in dimension d with `labels`, drawn from `seed`.
pub fn sphere_problem(
    num_samples: usize,
    input_dim: usize,
    seed: u64,
    labels: RandomLabels,
) -> Dataset {
    Dataset::from_spec(&DataSpec {
        num_samples,
        input_dim,
        inputs: InputSource::Generated(InputLaw::Sphere),
        labels: LabelSource::Random(labels),
        seed,
        test: None,
    })
    .expect("generated data is valid")
}

/// Initial parameters of `config` drawn from `seed`, with the first layer's biases `b1`
/// perturbed away from their constant so that ∂L/∂b is not the same for every neuron.
pub fn random_parameters(config: &MlpConfig, seed: u64) -> Vec<NamedArray> {
    let mut parameters = config.init_parameters(&mut stream_rng(seed, RngStream::Init));
    let b1 = parameters
        .iter_mut()
        .find(|p| p.name == "b1")
        .expect("every network has b1");
    for (r, b) in b1.values.iter_mut().enumerate() {
        *b += 0.1 * ((r as f64) * 0.7).sin();
    }
    parameters
}

/// L(θ) = (1/2n)‖f(X) − y‖², evaluated without autodiff.
pub fn loss_at(config: &MlpConfig, parameters: &[NamedArray], data: &Dataset) -> f64 {
    let device = f64_device();
    let model: Mlp = config
        .with_parameters(parameters, &device)
        .expect("shapes match");
    let loss: Tensor<1> = mean_squared_loss(
        model.forward(data.inputs_tensor(&device)),
        data.targets_tensor(&device),
    );
    host_values(loss)[0]
}

/// The kernel `[n, n]` (row-major) of `model` at `data`'s inputs by `method`, plain
/// (`rates: None`) or rate-weighted, its closed-form products on the host or on the device.
///
/// # Panics
/// Panics when the kernel cannot be computed (every tensor frozen, a closed form of depth > 1,
/// an architecture without analytic limit).
pub fn kernel_of(
    model: &Mlp,
    data: &Dataset,
    method: NtkMethod,
    rates: Option<&LearningRates>,
    on_host: bool,
) -> Vec<f64> {
    let options = NtkOptions { method, on_host };
    ntk(model, &data.inputs, &options)
        .expect("the kernel of this network")
        .kernel(rates)
}

/// The plain kernel of `model` at `data`'s inputs by `method` (closed form on the device).
pub fn plain_kernel(model: &Mlp, data: &Dataset, method: NtkMethod) -> Vec<f64> {
    kernel_of(model, data, method, None, false)
}

/// K∞ of `config`'s architecture at `inputs` `[n, d]` (row-major), plain: the analytic method
/// reads the architecture from a network, so one is drawn (seed 0, f64 device) to ask it.
pub fn analytic_kernel(config: &MlpConfig, inputs: &[f64]) -> Result<Vec<f64>, NtkError> {
    let network = config.init(&mut stream_rng(0, RngStream::Init), &f64_device());
    let options = NtkOptions {
        method: NtkMethod::Analytic,
        on_host: true,
    };
    ntk(&network, inputs, &options).map(|ntk| ntk.kernel(None))
}
