//! The stacked ensemble step against the single fused step in process (no files, no Burn, one
//! thread): S networks of (n, d, m) stepped `steps` times either way, beside the FLOP bound.

use overparam_cpu::{HostEnsemble, HostLayer, HostMlp, Nonlinearity, StepRates, Workspace};

use super::{best_time, GemmRates, Task};

/// A deterministic network f32 of input dimension d and width m (NTK scaling), seed `seed`.
fn network(seed: usize, d: usize, m: usize) -> HostMlp<f32> {
    let value = |i: usize| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.5 - 1.0) * 1.7;
    HostMlp {
        layers: vec![HostLayer {
            weight: (0..m * d).map(value).collect(),
            bias: vec![0.0; m],
            fan_in: d,
            width: m,
            input_scale: 1.0 / (d as f32).sqrt(),
            train_w: true,
            train_b: true,
        }],
        output: (m * d..m * d + m).map(value).collect(),
        output_scale: 1.0 / (m as f32).sqrt(),
        nonlinearity: Nonlinearity::Relu,
        train_a: true,
    }
}

/// Times `seeds` networks of `(n, d, m)` for `steps` GD steps, stacked and one by one; the
/// bound is `flops_per_step` per network-step at `rates.f32`.
pub fn engines(
    seeds: usize,
    [n, d, m]: [usize; 3],
    steps: usize,
    flops_per_step: f64,
    rates: GemmRates,
) -> Vec<Task> {
    let inputs: Vec<f32> = (0..n * d)
        .map(|i| ((i * 31) % 17) as f32 / 17.0 - 0.5)
        .collect();
    let targets: Vec<f32> = (0..n).map(|i| ((i * 13) % 7) as f32 / 7.0 - 0.5).collect();
    let networks: Vec<HostMlp<f32>> = (0..seeds).map(|s| network(s, d, m)).collect();
    let rates_per_tensor = [0.5, 0.5, 0.5];
    let step_rates = StepRates {
        weights: vec![0.5],
        biases: vec![0.5],
        output: 0.5,
    };
    let moving = vec![true; seeds];
    let stacked = best_time(2, || {
        let mut ensemble = HostEnsemble::stack(&networks).expect("alike networks");
        let mut work = ensemble.workspace(n);
        for _ in 0..steps {
            ensemble.losses_and_gradients(&inputs, &targets, &mut work);
            ensemble.descend(&work.gradients, rates_per_tensor, &moving);
        }
    });
    let single = best_time(2, || {
        for network in &networks {
            let mut network = network.clone();
            let mut work = Workspace::new(&network, n);
            for _ in 0..steps {
                network.loss_and_gradients(&inputs, &targets, &mut work);
                network.descend(&work.gradients, &step_rates);
            }
        }
    });
    let bound = (seeds * steps) as f64 * flops_per_step / (rates.f32 * 1e9);
    let shape =
        format!("{seeds} seeds of (n, d, m) = ({n}, {d}, {m}), {steps} GD steps, f32, one thread");
    vec![
        Task::new(
            format!("ensemble_engine_{seeds}_stacked"),
            stacked,
            Some(bound),
            format!(
                "{shape}: the stacked step, {:.1}× the single fused step one seed after another",
                single / stacked
            ),
        ),
        Task::new(
            format!("ensemble_engine_{seeds}_one_by_one"),
            single,
            Some(bound),
            format!("{shape}: the single fused step (HostMlp), one seed after another"),
        ),
    ]
}
