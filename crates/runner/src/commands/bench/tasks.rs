//! The timed tasks: GEMM, GD steps (fused and autodiff), closed-form and empirical NTKs.

use burn::tensor::{Device, Tensor};
use overparam_cpu::{
    closed_form_kernel_in, matmul_nn, HostMlp, KernelWorkspace, Real, StepRates, Workspace,
};
use overparam_model::{
    host_values, host_values_as, Activation, Mlp, MlpConfig, OutputInit, Parameterization,
    Trainable,
};
use overparam_trainer::data::{
    DataSpec, Dataset, InputLaw, InputSource, LabelSource, RandomLabels,
};
use overparam_trainer::ntk::{ntk, NtkMethod, NtkOptions};
use overparam_trainer::{
    gradient_descent_step, mean_squared_loss, stream_rng, LearningRates, RngStream,
};

use super::{best_time, GemmRates, Task};

/// The product [1024,4096]×[4096,1024] through faer (the kernels' own GEMM), in GFLOP/s.
pub fn gemm_rates(repeats: usize) -> GemmRates {
    fn rate<T: Real>(repeats: usize) -> f64 {
        let (n, k) = (1024, 4096);
        let left: Vec<T> = (0..n * k)
            .map(|i| T::of(((i * 31) % 997) as f64 / 997.0))
            .collect();
        let right: Vec<T> = (0..n * k)
            .map(|i| T::of(((i * 37) % 991) as f64 / 991.0))
            .collect();
        let mut out = vec![T::zero(); n * n];
        let seconds = best_time(repeats, || {
            matmul_nn(&mut out, &left, &right, [n, n, k], T::one())
        });
        2.0 * (n * n * k) as f64 / seconds / 1e9
    }
    GemmRates {
        f32: rate::<f32>(repeats),
        f64: rate::<f64>(repeats),
    }
}

/// The plain kernel of `model` at host inputs `x` `[n, d]` by `method` on the model's device
/// (read back to the host, so that lazy backends finish computing it).
fn device_kernel(model: &Mlp, x: &[f64], method: NtkMethod) {
    let options = NtkOptions {
        method,
        on_host: false,
    };
    let kernel = ntk(model, x, &options).expect("the benchmark networks train every tensor");
    drop(kernel.kernel(None));
}

fn mlp_config(d: usize, widths: &[usize], bias: f64) -> MlpConfig {
    MlpConfig {
        input_dim: d,
        widths: widths.to_vec(),
        activation: Activation::Relu,
        parameterization: Parameterization::Ntk,
        output_init: OutputInit::Gaussian,
        bias_init: bias,
        trainable: Trainable::ALL,
        trainable_layers: vec![true; widths.len()],
    }
}

/// A ReLU MLP (NTK scaling) with the given widths and bias, inputs on the sphere and N(0, 1)
/// labels (the project's own data generator), on `device`.
pub(super) fn problem(
    n: usize,
    d: usize,
    widths: &[usize],
    bias: f64,
    device: &Device,
) -> (Mlp, Tensor<2>, Tensor<1>) {
    let model = mlp_config(d, widths, bias).init(&mut stream_rng(7, RngStream::Init), device);
    let data = Dataset::from_spec(&DataSpec {
        num_samples: n,
        input_dim: d,
        inputs: InputSource::Generated(InputLaw::Sphere),
        labels: LabelSource::Random(RandomLabels::Gaussian),
        seed: 7,
        test: None,
    })
    .expect("generated data is valid");
    (
        model,
        data.inputs_tensor(device),
        data.targets_tensor(device),
    )
}

/// FLOPs of one GD step's matrix products: forward and ∂W per layer, Δ back above the first.
pub(super) fn step_flops(n: usize, d: usize, widths: &[usize]) -> f64 {
    let mut fan_in = d;
    let mut total = 0.0;
    for (index, &width) in widths.iter().enumerate() {
        let products = if index == 0 { 2.0 } else { 3.0 };
        total += products * 2.0 * (n * width * fan_in) as f64;
        fan_in = width;
    }
    total
}

/// GD steps: fused (host) and autodiff (Burn) on the same networks.
pub fn gradient_steps(device: &Device, rates: GemmRates, repeats: usize) -> Vec<Task> {
    let cases: [(&str, usize, usize, &[usize], f64); 4] = [
        ("two_layer_f32_1024x64x4096", 1024, 64, &[4096], 0.0),
        ("two_layer_f32_256x32x1024", 256, 32, &[1024], 0.0),
        ("mlp3_f32_1024x64x1024", 1024, 64, &[1024, 1024, 1024], 0.0),
        ("two_layer_f32_1024x64x4096_bias-3", 1024, 64, &[4096], -3.0),
    ];
    let mut tasks = Vec::new();
    for (label, n, d, widths, bias) in cases {
        let (model, x, y) = problem(n, d, widths, bias, device);
        let bound = step_flops(n, d, widths) / (rates.f32 * 1e9);
        let network = model.to_host::<f32>();
        let (inputs, targets) = (
            host_values_as::<f32, 2>(x.clone()),
            host_values_as::<f32, 1>(y.clone()),
        );
        let fused = |allow_sparse: bool| {
            let mut network: HostMlp<f32> = network.clone();
            let mut work = Workspace::new(&network, n);
            work.allow_sparse = allow_sparse;
            let step_rates = StepRates {
                weights: vec![1e-3; widths.len()],
                biases: vec![1e-3; widths.len()],
                output: 1e-3,
            };
            let seconds = best_time(repeats, || {
                network.loss_and_gradients(&inputs, &targets, &mut work);
                let gradients = std::mem::take(&mut work.gradients);
                network.descend(&gradients, &step_rates);
                work.gradients = gradients;
            });
            (seconds, work.used_sparse)
        };
        let (seconds, sparse) = fused(true);
        let note = if sparse {
            "fused, sparse last layer"
        } else {
            "fused"
        };
        tasks.push(Task::new(
            format!("gd_step_{label}"),
            seconds,
            Some(bound),
            note,
        ));
        if sparse {
            let (dense_seconds, _) = fused(false);
            tasks.push(Task::new(
                format!("gd_step_{label}_dense_pass"),
                dense_seconds,
                Some(bound),
                "fused, sparse path off",
            ));
        }
        let mut current = Some(model);
        let rates_by_kind = LearningRates::by_kind(1e-3, 1e-3, 1e-3);
        let autodiff = best_time(repeats.min(3), || {
            let model = current
                .take()
                .expect("the model is put back after each step");
            let grads = mean_squared_loss(model.forward(x.clone()), y.clone()).backward();
            current = Some(gradient_descent_step(model, grads, &rates_by_kind, true, false).0);
        });
        tasks.push(Task::new(
            format!("gd_step_{label}_autodiff"),
            autodiff,
            Some(bound),
            "Burn autodiff",
        ));
    }
    tasks
}

/// Best time of the host closed-form kernel of `model` at `x` in `T`.
fn host_kernel_seconds<T: Real>(model: &Mlp, x: &Tensor<2>, repeats: usize) -> f64 {
    let network = model.to_host::<T>();
    let inputs = host_values_as::<T, 2>(x.clone());
    let n = x.dims()[0];
    let mut work = KernelWorkspace::default();
    best_time(repeats, || {
        drop(closed_form_kernel_in(&network, &inputs, n, &mut work))
    })
}

/// Closed-form two-layer kernels (host f32/f64, Burn f32) and empirical kernels for depths 1–3.
pub fn kernels(device: &Device, rates: GemmRates, repeats: usize) -> Vec<Task> {
    let (n, d, m) = (1024, 64, 4096);
    let (model, x, _) = problem(n, d, &[m], 0.0, device);
    let flops = (2 * n * m * d + 2 * n * n * m + n * n * d) as f64;
    let label = format!("{n}x{d}x{m}");
    let mut tasks = Vec::new();
    let note = "host, symmetric products, [n, m] buffers reused between calls";
    for (dtype, seconds, rate) in [
        (
            "f32",
            host_kernel_seconds::<f32>(&model, &x, repeats),
            rates.f32,
        ),
        (
            "f64",
            host_kernel_seconds::<f64>(&model, &x, repeats),
            rates.f64,
        ),
    ] {
        let bound = flops / (rate * 1e9);
        tasks.push(Task::new(
            format!("closed_form_ntk_{dtype}_{label}"),
            seconds,
            Some(bound),
            note,
        ));
    }
    let host_x = host_values(x);
    let seconds = best_time(repeats.min(3), || {
        device_kernel(&model, &host_x, NtkMethod::ClosedForm)
    });
    tasks.push(Task::new(
        format!("closed_form_ntk_f32_{label}_burn"),
        seconds,
        None,
        "Burn products",
    ));
    for depth in 1..=3 {
        let (rows, widths) = if depth == 1 {
            (1024, vec![4096])
        } else {
            (512, vec![1024; depth])
        };
        let (model, x, _) = problem(rows, d, &widths, 0.0, device);
        let host_x = host_values(x);
        let seconds = best_time(repeats.min(3), || {
            device_kernel(&model, &host_x, NtkMethod::Jacobian { block_size: rows })
        });
        let note =
            format!("Burn autodiff, one backward with zero leaves; n = {rows}, widths {widths:?}");
        tasks.push(Task::new(
            format!("empirical_ntk_depth{depth}_f32"),
            seconds,
            None,
            note,
        ));
    }
    tasks
}
