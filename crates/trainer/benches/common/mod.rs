//! The NTK benchmarks of one dtype: the closed form and the Jacobian (leaf) method at
//! (n, d, m) = (256, 32, 1024) and (1024, 64, 4096), and a plain [n, m] × [m, n] matrix
//! product of the same backend and dtype, the GEMM rate the closed form is measured against.
//!
//! Closed-form FLOPs: Z = XWᵀ (2nmd), (D∘a)(D∘a)ᵀ and RRᵀ (2n²m each), XXᵀ (2n²d), plus O(n²)
//! and O(nm) elementwise work; its GEMM-bound time is 2n(2nm + nd + md) / (measured rate).

use burn::tensor::{Device, FloatDType, Tensor};
use criterion::Criterion;
use overparam_model::{
    host_values, Activation, Mlp, MlpConfig, OutputInit, Parameterization, Trainable,
};
use overparam_trainer::data::{generate_inputs, InputLaw};
use overparam_trainer::ntk::{ntk, NtkMethod, NtkOptions};
use overparam_trainer::{stream_rng, RngStream};

/// Problem sizes (n, d, m).
pub const SIZES: [(usize, usize, usize); 2] = [(256, 32, 1024), (1024, 64, 4096)];

/// Registers every benchmark for `dtype` (the flex backend is configured once per process).
pub fn bench_ntk(c: &mut Criterion, dtype: FloatDType, label: &str) {
    let mut device = Device::flex();
    device.configure(dtype).expect("one dtype per bench binary");
    let autodiff = device.clone().autodiff();
    let mut group = c.benchmark_group(format!("ntk_{label}"));
    group.sample_size(10);
    for (n, d, m) in SIZES {
        let config = MlpConfig {
            input_dim: d,
            widths: vec![m],
            activation: Activation::Relu,
            parameterization: Parameterization::Ntk,
            output_init: OutputInit::Gaussian,
            bias_init: 0.0,
            trainable: Trainable::ALL,
            trainable_layers: vec![true],
        };
        let model: Mlp = config.init(&mut stream_rng(0, RngStream::Init), &autodiff);
        let inputs = generate_inputs(
            InputLaw::Sphere,
            n,
            d,
            &mut stream_rng(0, RngStream::Inputs),
        );
        // The kernel of `method` on the device (inputs copied there, kernel copied back).
        let kernel = |method| {
            let options = NtkOptions {
                method,
                on_host: false,
            };
            ntk(&model, &inputs, &options).unwrap().kernel(None)
        };
        let size = format!("n{n}_d{d}_m{m}");
        group.bench_function(format!("closed/{size}"), |b| {
            b.iter(|| kernel(NtkMethod::ClosedForm))
        });
        group.bench_function(format!("jacobian/{size}"), |b| {
            b.iter(|| kernel(NtkMethod::Jacobian { block_size: n }))
        });
        let left = Tensor::<2>::random([n, m], burn::tensor::Distribution::Default, &device);
        let right = Tensor::<2>::random([m, n], burn::tensor::Distribution::Default, &device);
        group.bench_function(format!("gemm_{n}x{m}x{n}"), |b| {
            b.iter(|| host_values(left.clone().matmul(right.clone())))
        });
    }
    group.finish();
}
