//! The fused gradient-descent step and the closed-form kernel at the sizes of issue 11.
//! Run: `cargo bench -p overparam-cpu --bench step` (`-- --quick` for a short run).

#[path = "../tests/common.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use overparam_cpu::{closed_form_kernel_in, HostMlp, KernelWorkspace, Nonlinearity, Workspace};

fn to_f32(values: &[f64]) -> Vec<f32> {
    values.iter().map(|&v| v as f32).collect()
}

fn f32_network(net: &HostMlp<f64>) -> HostMlp<f32> {
    HostMlp {
        layers: net
            .layers
            .iter()
            .map(|l| overparam_cpu::HostLayer {
                weight: to_f32(&l.weight),
                bias: to_f32(&l.bias),
                fan_in: l.fan_in,
                width: l.width,
                input_scale: l.input_scale as f32,
                train_w: l.train_w,
                train_b: l.train_b,
            })
            .collect(),
        output: to_f32(&net.output),
        output_scale: net.output_scale as f32,
        nonlinearity: net.nonlinearity,
        train_a: net.train_a,
    }
}

fn step(c: &mut Criterion) {
    let cases: [(&str, usize, usize, &[usize], f64); 5] = [
        ("two_layer_1024x64x4096", 1024, 64, &[4096], 0.0),
        ("two_layer_256x32x1024", 256, 32, &[1024], 0.0),
        ("mlp3_1024x64x1024", 1024, 64, &[1024, 1024, 1024], 0.0),
        ("two_layer_1024x64x4096_bias-3", 1024, 64, &[4096], -3.0),
        ("two_layer_64x8x64", 64, 8, &[64], 0.0),
    ];
    for (name, n, d, widths, bias) in cases {
        let (inputs, targets) = common::data(1, n, d);
        let net = f32_network(&common::network(2, d, widths, Nonlinearity::Relu, bias));
        let (inputs, targets) = (to_f32(&inputs), to_f32(&targets));
        let mut work = Workspace::new(&net, n);
        c.bench_function(&format!("gd_step_f32/{name}"), |b| {
            b.iter(|| net.loss_and_gradients(&inputs, &targets, &mut work))
        });
    }
    let (n, d, m) = (1024, 64, 4096);
    let (inputs, _) = common::data(3, n, d);
    let net = common::network(4, d, &[m], Nonlinearity::Relu, 0.0);
    let mut work = KernelWorkspace::default();
    c.bench_function("closed_form_kernel/f64_1024x64x4096", |b| {
        b.iter(|| closed_form_kernel_in(&net, &inputs, n, &mut work))
    });
    let (net, inputs) = (f32_network(&net), to_f32(&inputs));
    let mut work = KernelWorkspace::default();
    c.bench_function("closed_form_kernel/f32_1024x64x4096", |b| {
        b.iter(|| closed_form_kernel_in(&net, &inputs, n, &mut work))
    });
}

criterion_group!(benches, step);
criterion_main!(benches);
